//! Native extrinsic signing with the runtime's own [`TxExtension`].

use codec::Encode;
use gonka_runtime::{
	Address, Balance, Hash, Nonce, Runtime, RuntimeCall, Signature, SignedPayload, TxExtension,
	UncheckedExtrinsic,
};
use polkadot_sdk::{
	cumulus_pallet_weight_reclaim::StorageWeightReclaim,
	frame_metadata_hash_extension::CheckMetadataHash,
	frame_system,
	pallet_transaction_payment::ChargeTransactionPayment,
	sp_core::{sr25519, Pair},
	sp_runtime::generic::Era,
};

/// How long a signed extrinsic stays valid, in blocks (a power of two, 4..=65536).
pub const MORTALITY_PERIOD: u64 = 64;

/// A mortal era: valid for [`MORTALITY_PERIOD`] blocks from a checkpoint block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mortality {
	era: Era,
	anchor: u32,
}

impl Mortality {
	/// An era that starts at block `anchor` (use a finalized block).
	pub fn anchored_at(anchor: u32) -> Self {
		Self { era: Era::mortal(MORTALITY_PERIOD, anchor.into()), anchor }
	}

	/// The block whose hash the signature commits to.
	pub fn birth(&self) -> u32 {
		self.era.birth(self.anchor.into()) as u32
	}

	/// The era as encoded in the extrinsic.
	pub fn era(&self) -> Era {
		self.era
	}
}

/// Everything a signature covers.
pub struct SigningContext<'a> {
	pub signer: &'a sr25519::Pair,
	pub call: RuntimeCall,
	pub nonce: Nonce,
	pub tip: Balance,
	pub mortality: Mortality,
	/// The hash of block `mortality.birth()`.
	pub mortality_checkpoint: Hash,
	pub genesis_hash: Hash,
	pub spec_version: u32,
	pub transaction_version: u32,
}

/// The runtime's transaction extensions for a signed extrinsic. The metadata-hash check is off:
/// this signer holds the runtime's types natively and does not need it.
pub fn tx_extension(nonce: Nonce, tip: Balance, mortality: Mortality) -> TxExtension {
	StorageWeightReclaim::new((
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(mortality.era()),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		ChargeTransactionPayment::<Runtime>::from(tip),
		CheckMetadataHash::<Runtime>::new(false),
	))
}

/// Signs the call and builds the extrinsic. The implicit data (versions, genesis, checkpoint)
/// comes from the chain, not from this binary's copy of the runtime, so signatures stay valid
/// across runtime upgrades that keep the call encoding.
pub fn sign(ctx: SigningContext<'_>) -> UncheckedExtrinsic {
	let extension = tx_extension(ctx.nonce, ctx.tip, ctx.mortality);
	let implicit = (
		(),
		ctx.spec_version,
		ctx.transaction_version,
		ctx.genesis_hash,
		ctx.mortality_checkpoint,
		(),
		(),
		(),
		None,
	);
	let payload = SignedPayload::from_raw(ctx.call, extension, implicit);
	let signature = payload.using_encoded(|bytes| ctx.signer.sign(bytes));
	let (call, extension, _) = payload.deconstruct();
	let who: gonka_runtime::AccountId = ctx.signer.public().into();
	UncheckedExtrinsic::new_signed(call, Address::Id(who), Signature::Sr25519(signature), extension)
}

#[cfg(test)]
mod tests {
	use super::*;
	use codec::Decode;
	use polkadot_sdk::sp_keyring::Sr25519Keyring;

	fn transfer() -> RuntimeCall {
		RuntimeCall::Balances(polkadot_sdk::pallet_balances::Call::transfer_keep_alive {
			dest: Sr25519Keyring::Bob.to_account_id().into(),
			value: gonka_runtime::GNK,
		})
	}

	fn context(signer: &sr25519::Pair) -> SigningContext<'_> {
		SigningContext {
			signer,
			call: transfer(),
			nonce: 7,
			tip: 0,
			mortality: Mortality::anchored_at(1000),
			mortality_checkpoint: Hash::repeat_byte(3),
			genesis_hash: Hash::repeat_byte(1),
			spec_version: 1,
			transaction_version: 1,
		}
	}

	#[test]
	fn mortal_era_checkpoint_is_at_or_before_anchor() {
		for anchor in [0, 3, 63, 64, 1000, 1_000_003] {
			let m = Mortality::anchored_at(anchor);
			assert!(m.birth() <= anchor && anchor - m.birth() < MORTALITY_PERIOD as u32);
			assert!(!m.era().is_immortal());
		}
	}

	#[test]
	fn signed_extrinsic_round_trips_and_carries_signer_and_nonce() {
		let alice = Sr25519Keyring::Alice.pair();
		let xt = sign(context(&alice));
		let bytes = xt.encode();
		let decoded = UncheckedExtrinsic::decode(&mut &bytes[..]).expect("decodes");
		assert_eq!(decoded.encode(), bytes);
		let polkadot_sdk::sp_runtime::generic::Preamble::Signed(address, _, ext) =
			&decoded.preamble
		else {
			panic!("not a signed extrinsic")
		};
		assert_eq!(*address, Address::Id(Sr25519Keyring::Alice.to_account_id()));
		assert_eq!(ext.0 .5.encode(), frame_system::CheckNonce::<Runtime>::from(7).encode());
	}

	#[test]
	fn signature_verifies_only_with_the_signed_implicit_data() {
		let alice = Sr25519Keyring::Alice.pair();
		let xt = sign(context(&alice));
		// Rebuild the payload as the runtime does from its own implicit data and verify.
		let ctx = context(&alice);
		let implicit =
			((), 1u32, 1u32, ctx.genesis_hash, ctx.mortality_checkpoint, (), (), (), None);
		let payload =
			SignedPayload::from_raw(transfer(), tx_extension(7, 0, ctx.mortality), implicit);
		let polkadot_sdk::sp_runtime::generic::Preamble::Signed(_, Signature::Sr25519(sig), _) =
			&xt.preamble
		else {
			panic!("not an sr25519-signed extrinsic")
		};
		let alice_pub = Sr25519Keyring::Alice.public();
		assert!(payload.using_encoded(|b| sr25519::Pair::verify(sig, b, &alice_pub)));

		// A different genesis hash (another chain) does not verify.
		let other =
			((), 1u32, 1u32, Hash::repeat_byte(9), ctx.mortality_checkpoint, (), (), (), None);
		let payload = SignedPayload::from_raw(transfer(), tx_extension(7, 0, ctx.mortality), other);
		assert!(!payload.using_encoded(|b| sr25519::Pair::verify(sig, b, &alice_pub)));
	}
}
