//! What the client reads from a block's metadata: constants and error names.

use super::{ChainError, DispatchErrorInfo};
use polkadot_sdk::sp_runtime::DispatchError;
use subxt::Metadata;

/// The SCALE-encoded value of constant `pallet::name`.
pub fn constant(metadata: &Metadata, pallet: &str, name: &str) -> Result<Vec<u8>, ChainError> {
	metadata
		.pallet_by_name(pallet)
		.and_then(|p| p.constant_by_name(name))
		.map(|c| c.value().to_vec())
		.ok_or_else(|| ChainError::Metadata { what: format!("constant {pallet}::{name}") })
}

/// Names a dispatch error: module errors by their pallet and variant (with the variant's
/// docs), every other kind by its own name (`Token::FundsUnavailable`, `BadOrigin`).
pub fn describe(metadata: &Metadata, error: &DispatchError) -> DispatchErrorInfo {
	let (pallet, name, docs) = match error {
		DispatchError::Module(module) => metadata
			.pallet_by_error_index(module.index)
			.and_then(|p| {
				let v = p.error_variant_by_index(module.error[0])?;
				Some((p.name().to_string(), v.name.clone(), v.docs.join(" ").trim().to_string()))
			})
			.unwrap_or_else(|| {
				(
					format!("pallet #{}", module.index),
					format!("error #{}", module.error[0]),
					String::new(),
				)
			}),
		DispatchError::Token(e) => ("Token".into(), format!("{e:?}"), String::new()),
		DispatchError::Arithmetic(e) => ("Arithmetic".into(), format!("{e:?}"), String::new()),
		DispatchError::Transactional(e) => {
			("Transactional".into(), format!("{e:?}"), String::new())
		},
		DispatchError::Other(reason) => (String::new(), format!("Other({reason})"), String::new()),
		other => (String::new(), format!("{other:?}"), String::new()),
	};
	DispatchErrorInfo { pallet, name, docs, raw: *error }
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Decode;
	use gonka_runtime::Runtime;
	use polkadot_sdk::{pallet_balances, pallet_session, sp_runtime::TokenError};

	#[test]
	fn module_errors_are_named_by_pallet_and_variant() {
		let md = crate::chain::signing::tests::metadata();
		let err: DispatchError = pallet_balances::Error::<Runtime>::InsufficientBalance.into();
		let info = describe(&md, &err);
		assert_eq!(info.qualified_name(), "Balances::InsufficientBalance");
		assert!(!info.docs.is_empty());
		let err: DispatchError = pallet_session::Error::<Runtime>::NoKeys.into();
		assert_eq!(describe(&md, &err).qualified_name(), "Session::NoKeys");
	}

	#[test]
	fn other_errors_are_named_by_kind() {
		let md = crate::chain::signing::tests::metadata();
		let info = describe(&md, &DispatchError::Token(TokenError::FundsUnavailable));
		assert_eq!(info.qualified_name(), "Token::FundsUnavailable");
		assert_eq!(describe(&md, &DispatchError::BadOrigin).qualified_name(), "BadOrigin");
		// An index the metadata does not know is still reported, by number.
		let unknown = DispatchError::Module(polkadot_sdk::sp_runtime::ModuleError {
			index: 250,
			error: [7, 0, 0, 0],
			message: None,
		});
		assert_eq!(describe(&md, &unknown).qualified_name(), "pallet #250::error #7");
	}

	#[test]
	fn constants_come_from_the_metadata() {
		let md = crate::chain::signing::tests::metadata();
		let ed = constant(&md, "Balances", "ExistentialDeposit").unwrap();
		assert_eq!(u128::decode(&mut &ed[..]).unwrap(), gonka_runtime::EXISTENTIAL_DEPOSIT);
		let batch = constant(&md, "Sprint", "MaxVerdictBatch").unwrap();
		assert!(u32::decode(&mut &batch[..]).unwrap() > 0);
		assert!(matches!(constant(&md, "Balances", "Nope"), Err(ChainError::Metadata { .. })));
	}
}
