//! The parts of the runtime metadata the client uses: constants and error names.

use super::{ChainError, DispatchErrorInfo};
use codec::Decode;
use frame_metadata::{
	v14::{RuntimeMetadataV14, StorageEntryType},
	RuntimeMetadata as Versioned, RuntimeMetadataPrefixed,
};
use polkadot_sdk::{
	frame_support::{StorageHasher, Twox128},
	sp_runtime::DispatchError,
};
use scale_info::TypeDef;

/// The runtime metadata (V14, as `state_getMetadata` returns it).
pub struct RuntimeMetadata {
	inner: RuntimeMetadataV14,
}

impl RuntimeMetadata {
	/// Decodes the SCALE-encoded, prefixed metadata.
	pub fn decode(bytes: &[u8]) -> Result<Self, ChainError> {
		let prefixed = RuntimeMetadataPrefixed::decode(&mut &bytes[..])
			.map_err(|source| ChainError::Decode { what: "runtime metadata".into(), source })?;
		match prefixed.1 {
			Versioned::V14(inner) => Ok(Self { inner }),
			other => Err(ChainError::Metadata {
				what: format!("V14 metadata (the node sent V{})", other.version()),
			}),
		}
	}

	/// The names of the runtime's pallets, in index order.
	pub fn pallets(&self) -> impl Iterator<Item = (u8, &str)> {
		self.inner.pallets.iter().map(|p| (p.index, p.name.as_str()))
	}

	/// The SCALE-encoded value of constant `pallet::name`.
	pub fn constant(&self, pallet: &str, name: &str) -> Result<&[u8], ChainError> {
		self.inner
			.pallets
			.iter()
			.find(|p| p.name == pallet)
			.and_then(|p| p.constants.iter().find(|c| c.name == name))
			.map(|c| &c.value[..])
			.ok_or_else(|| ChainError::Metadata { what: format!("constant {pallet}::{name}") })
	}

	/// The storage key of plain storage value `pallet::entry`, from the metadata's prefix (for
	/// values the runtime does not export a type for, like `System::Events`).
	pub fn storage_value_key(&self, pallet: &str, entry: &str) -> Result<Vec<u8>, ChainError> {
		let missing = || ChainError::Metadata { what: format!("storage value {pallet}::{entry}") };
		let storage = self
			.inner
			.pallets
			.iter()
			.find(|p| p.name == pallet)
			.and_then(|p| p.storage.as_ref())
			.ok_or_else(missing)?;
		let found = storage.entries.iter().find(|e| e.name == entry).ok_or_else(missing)?;
		if !matches!(found.ty, StorageEntryType::Plain(_)) {
			return Err(missing());
		}
		Ok([Twox128::hash(storage.prefix.as_bytes()), Twox128::hash(entry.as_bytes())].concat())
	}

	/// Names a dispatch error: module errors by their pallet and variant (with the variant's
	/// docs), every other kind by its own name (`Token::FundsUnavailable`, `BadOrigin`).
	pub fn describe(&self, error: &DispatchError) -> DispatchErrorInfo {
		let (pallet, name, docs) = match error {
			DispatchError::Module(module) => {
				self.module_error(module.index, module.error[0]).unwrap_or_else(|| {
					(
						format!("pallet #{}", module.index),
						format!("error #{}", module.error[0]),
						String::new(),
					)
				})
			},
			DispatchError::Token(e) => ("Token".into(), format!("{e:?}"), String::new()),
			DispatchError::Arithmetic(e) => ("Arithmetic".into(), format!("{e:?}"), String::new()),
			DispatchError::Transactional(e) => {
				("Transactional".into(), format!("{e:?}"), String::new())
			},
			DispatchError::Other(reason) => {
				(String::new(), format!("Other({reason})"), String::new())
			},
			other => (String::new(), format!("{other:?}"), String::new()),
		};
		DispatchErrorInfo { pallet, name, docs, raw: *error }
	}

	fn module_error(&self, pallet_index: u8, error_index: u8) -> Option<(String, String, String)> {
		let pallet = self.inner.pallets.iter().find(|p| p.index == pallet_index)?;
		let ty = self.inner.types.resolve(pallet.error.as_ref()?.ty.id)?;
		let TypeDef::Variant(def) = &ty.type_def else { return None };
		let variant = def.variants.iter().find(|v| v.index == error_index)?;
		Some((pallet.name.clone(), variant.name.clone(), variant.docs.join(" ").trim().to_string()))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Encode;
	use gonka_runtime::Runtime;
	use polkadot_sdk::{pallet_balances, pallet_session, sp_io, sp_runtime::TokenError};

	/// The runtime's own metadata, as a node would serve it.
	fn metadata() -> RuntimeMetadata {
		let bytes =
			sp_io::TestExternalities::default().execute_with(|| Runtime::metadata().encode());
		RuntimeMetadata::decode(&bytes).expect("V14 metadata decodes")
	}

	#[test]
	fn module_errors_are_named_by_pallet_and_variant() {
		let md = metadata();
		let err: DispatchError = pallet_balances::Error::<Runtime>::InsufficientBalance.into();
		let info = md.describe(&err);
		assert_eq!(info.qualified_name(), "Balances::InsufficientBalance");
		assert!(!info.docs.is_empty());
		let err: DispatchError = pallet_session::Error::<Runtime>::NoKeys.into();
		assert_eq!(md.describe(&err).qualified_name(), "Session::NoKeys");
	}

	#[test]
	fn other_errors_are_named_by_kind() {
		let md = metadata();
		let info = md.describe(&DispatchError::Token(TokenError::FundsUnavailable));
		assert_eq!(info.qualified_name(), "Token::FundsUnavailable");
		assert_eq!(md.describe(&DispatchError::BadOrigin).qualified_name(), "BadOrigin");
		// An index the metadata does not know is still reported, by number.
		let unknown = DispatchError::Module(polkadot_sdk::sp_runtime::ModuleError {
			index: 250,
			error: [7, 0, 0, 0],
			message: None,
		});
		assert_eq!(md.describe(&unknown).qualified_name(), "pallet #250::error #7");
	}

	#[test]
	fn constants_and_storage_keys_come_from_the_metadata() {
		let md = metadata();
		let ed = md.constant("Balances", "ExistentialDeposit").unwrap();
		assert_eq!(u128::decode(&mut &ed[..]).unwrap(), gonka_runtime::EXISTENTIAL_DEPOSIT);
		assert!(matches!(md.constant("Balances", "Nope"), Err(ChainError::Metadata { .. })));
		let key = md.storage_value_key("System", "Events").unwrap();
		assert_eq!(
			hex::encode(key),
			"26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"
		);
		// `Account` is a map, not a plain value.
		assert!(md.storage_value_key("System", "Account").is_err());
		assert!(md.pallets().any(|(_, name)| name == "PolkadotXcm"));
	}

	#[test]
	fn garbage_is_a_decode_error() {
		assert!(matches!(RuntimeMetadata::decode(&[1, 2, 3]), Err(ChainError::Decode { .. })));
	}
}
