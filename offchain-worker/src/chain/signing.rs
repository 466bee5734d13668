//! Signing with subxt against the metadata of the block signed at: the call's indices and the
//! runtime's transaction extensions come from it, the key from the worker's sr25519 pair.

use super::{Call, ChainError, GonkaConfig, Hash, Nonce};
use polkadot_sdk::sp_core::{sr25519, Pair};
use subxt::{
	client::{ClientAtBlock, OfflineClientAtBlockT},
	config::substrate::SubstrateExtrinsicParamsBuilder,
	transactions::Signer,
	utils::{AccountId32, MultiSignature},
};

/// How long a signed extrinsic stays valid, in blocks from the block it was signed at.
pub const MORTALITY_PERIOD: u64 = 64;

/// An sr25519 pair as subxt's signer.
pub struct PairSigner<'a>(pub &'a sr25519::Pair);

impl Signer<GonkaConfig> for PairSigner<'_> {
	fn account_id(&self) -> AccountId32 {
		AccountId32(self.0.public().0)
	}

	fn sign(&self, payload: &[u8]) -> MultiSignature {
		MultiSignature::Sr25519(self.0.sign(payload).0)
	}
}

/// The call data of `call` under `block`'s metadata, checked against its types.
pub fn call_data<C: OfflineClientAtBlockT<GonkaConfig>>(
	block: &ClientAtBlock<GonkaConfig, C>,
	call: &Call,
) -> Result<Vec<u8>, ChainError> {
	checked(block, call).map(|(bytes, _)| bytes)
}

/// The call data of `call` and the payload subxt signs, decoded once against `block`'s metadata
/// (which checks every argument, and that nothing is left over).
fn checked<C: OfflineClientAtBlockT<GonkaConfig>>(
	block: &ClientAtBlock<GonkaConfig, C>,
	call: &Call,
) -> Result<(Vec<u8>, impl subxt::transactions::Payload), ChainError> {
	let bytes = match call {
		Call::Encoded(bytes) => bytes.clone(),
		Call::Named { pallet, name, args } => {
			let metadata = block.metadata();
			let p = metadata.pallet_by_name(pallet).ok_or_else(|| ChainError::Metadata {
				what: format!("pallet {pallet} (for the call {pallet}::{name})"),
			})?;
			let variant = p
				.call_variant_by_name(name)
				.ok_or_else(|| ChainError::Metadata { what: format!("call {pallet}::{name}") })?;
			[&[p.call_index(), variant.index][..], &args[..]].concat()
		},
	};
	let payload = block
		.transactions()
		.from_call_data_bytes(&bytes)
		.map_err(|e| ChainError::CallMismatch { call: call.describe(), reason: e.to_string() })?;
	Ok((bytes, payload))
}

/// Signs `call` by `signer` with `nonce` under `block`'s metadata and versions, mortal for
/// [`MORTALITY_PERIOD`] blocks from `checkpoint` (a block's number and hash: the block signed
/// at). Returns the encoded extrinsic.
pub fn sign<C: OfflineClientAtBlockT<GonkaConfig>>(
	block: &ClientAtBlock<GonkaConfig, C>,
	checkpoint: (u64, Hash),
	signer: &sr25519::Pair,
	call: &Call,
	nonce: Nonce,
) -> Result<Vec<u8>, ChainError> {
	let (_, payload) = checked(block, call)?;
	let params = SubstrateExtrinsicParamsBuilder::<GonkaConfig>::new()
		.nonce(nonce.into())
		.mortal_from_unchecked(MORTALITY_PERIOD, checkpoint.0, checkpoint.1)
		.build();
	let subxt_err = |e: subxt::error::ExtrinsicError| ChainError::Subxt {
		what: format!("signing {}", call.describe()),
		reason: e.to_string(),
	};
	let mut signable =
		block.transactions().create_signable_offline(&payload, params).map_err(subxt_err)?;
	let signed = signable.sign(&PairSigner(signer)).map_err(subxt_err)?;
	Ok(signed.into_encoded())
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use crate::chain::call;
	use codec::{Decode, Encode};
	use gonka_runtime::{Runtime, RuntimeCall, SignedPayload, UncheckedExtrinsic};
	use polkadot_sdk::{sp_io, sp_keyring::Sr25519Keyring, sp_runtime::generic::Preamble};
	use std::sync::Arc;
	use subxt::{
		client::{OfflineClient, OfflineClientAtBlock},
		config::{substrate::SpecVersionForRange, SubstrateConfig},
	};

	pub const GENESIS: Hash = Hash::repeat_byte(1);
	pub const CHECKPOINT: Hash = Hash::repeat_byte(3);

	/// The runtime's own metadata, as a node serves it.
	pub fn metadata() -> subxt::Metadata {
		let bytes = sp_io::TestExternalities::default()
			.execute_with(|| Runtime::metadata_at_version(15).expect("V15 metadata").to_vec());
		subxt::Metadata::decode(&mut &bytes[..]).expect("subxt reads the runtime's metadata")
	}

	/// subxt offline at block 1000 of a chain running this runtime.
	pub fn offline() -> OfflineClientAtBlock<GonkaConfig> {
		let version = gonka_runtime::VERSION;
		let config = SubstrateConfig::builder()
			.set_genesis_hash(GENESIS)
			.set_spec_version_for_block_ranges([SpecVersionForRange {
				block_range: 0..u64::MAX,
				spec_version: version.spec_version,
				transaction_version: version.transaction_version,
			}])
			.set_metadata_for_spec_versions([(version.spec_version, Arc::new(metadata()))])
			.build();
		OfflineClient::new_with_config(config).at_block(1000u64).expect("at block 1000")
	}

	fn transfer() -> RuntimeCall {
		RuntimeCall::Balances(polkadot_sdk::pallet_balances::Call::transfer_keep_alive {
			dest: Sr25519Keyring::Bob.to_account_id().into(),
			value: gonka_runtime::GNK,
		})
	}

	#[test]
	fn named_calls_encode_as_the_runtime_does_and_misfits_are_refused() {
		let block = offline();
		let commit = call::sprint::commit(7, [9; 32], 42);
		let native =
			RuntimeCall::Sprint(pallet_sprint::Call::commit { epoch: 7, root: [9; 32], count: 42 });
		assert_eq!(call_data(&block, &commit).unwrap(), native.encode());
		let reveal = call::sprint::reveal_verdicts(
			3,
			vec![pallet_sprint::VerdictReveal {
				host: Sr25519Keyring::Bob.to_account_id(),
				verdict: gonka_kernels::Verdict::Unreachable,
				bits: vec![0b101u8].try_into().unwrap(),
				salt: [4; 32],
			}],
		);
		let decoded = RuntimeCall::decode(&mut &call_data(&block, &reveal).unwrap()[..]).unwrap();
		assert!(matches!(
			decoded,
			RuntimeCall::Sprint(pallet_sprint::Call::reveal_verdicts { epoch: 3, .. })
		));
		// Arguments that do not fit the call's types, an unknown call or pallet: refused.
		let wrong = Call::new("Sprint", "commit", (7u32, [9u8; 32]));
		assert!(matches!(call_data(&block, &wrong), Err(ChainError::CallMismatch { .. })));
		let unknown = Call::new("Sprint", "commit_everything", ());
		assert!(matches!(call_data(&block, &unknown), Err(ChainError::Metadata { .. })));
		let unknown = Call::new("Nope", "commit", ());
		assert!(matches!(call_data(&block, &unknown), Err(ChainError::Metadata { .. })));
	}

	#[test]
	fn an_extrinsic_signed_by_subxt_is_the_runtimes_and_its_signature_verifies() {
		let block = offline();
		let alice = Sr25519Keyring::Alice.pair();
		let bytes =
			sign(&block, (998, CHECKPOINT), &alice, &Call::encoded(&transfer()), 7).unwrap();
		let xt = UncheckedExtrinsic::decode(&mut &bytes[..]).expect("the runtime decodes it");
		assert_eq!(xt.encode(), bytes);
		let Preamble::Signed(address, signature, extension) = xt.preamble.clone() else {
			panic!("not a signed extrinsic")
		};
		assert_eq!(address, gonka_runtime::Address::Id(Sr25519Keyring::Alice.to_account_id()));
		assert_eq!(
			extension.0 .5.encode(),
			polkadot_sdk::frame_system::CheckNonce::<Runtime>::from(7).encode()
		);
		let gonka_runtime::Signature::Sr25519(sig) = signature else { panic!("not sr25519") };
		// The payload the runtime rebuilds from its own implicit data verifies…
		let version = gonka_runtime::VERSION;
		let implicit = |genesis: Hash| {
			(
				(),
				version.spec_version,
				version.transaction_version,
				genesis,
				CHECKPOINT,
				(),
				(),
				(),
				None,
			)
		};
		let payload = SignedPayload::from_raw(transfer(), extension.clone(), implicit(GENESIS));
		let public = Sr25519Keyring::Alice.public();
		assert!(payload.using_encoded(|b| sr25519::Pair::verify(&sig, b, &public)));
		// …and the same on another chain does not.
		let other = SignedPayload::from_raw(transfer(), extension, implicit(Hash::repeat_byte(9)));
		assert!(!other.using_encoded(|b| sr25519::Pair::verify(&sig, b, &public)));
	}
}
