//! Native tests of the runtime: genesis presets, a transfer, integrity, fees and weight limits.

use super::*;
use crate::{configs::RuntimeBlockWeights, genesis_config_presets as presets};
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::{fungible::Inspect, IntegrityTest},
	weights::WeightToFee as _,
};
use polkadot_sdk::{sp_io, sp_keyring::Sr25519Keyring};
use sp_runtime::{traits::Dispatchable, BuildStorage, DispatchError, TokenError};

/// Storage built from a genesis preset exactly as a chain spec would build it.
fn preset_ext(preset: &str) -> sp_io::TestExternalities {
	let patch = presets::get_preset(&preset.to_string()).expect("preset exists");
	let mut json = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	json_merge(&mut json, serde_json::from_slice(&patch).unwrap());
	let config: RuntimeGenesisConfig = serde_json::from_value(json).expect("preset is valid");
	let mut ext = sp_io::TestExternalities::new(config.build_storage().expect("genesis builds"));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// RFC 7386 merge, as `sc-chain-spec` applies a preset patch to the default config.
fn json_merge(a: &mut serde_json::Value, b: serde_json::Value) {
	match (a, b) {
		(serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
			for (k, v) in b {
				json_merge(a.entry(k).or_insert(serde_json::Value::Null), v);
			}
		},
		(a, b) => *a = b,
	}
}

#[test]
fn presets_have_three_bonded_bootstrap_hosts_and_dev_epochs() {
	for preset in ["development", "local_testnet"] {
		preset_ext(preset).execute_with(|| {
			use frame_support::traits::fungible::InspectHold;
			let params = pallet_sprint::Params::<Runtime>::get();
			assert_eq!(params, presets::dev_sprint_params());
			assert_eq!(params.epoch_length, 60);
			assert_eq!(params.model, gonka_primitives::ModelConfig::tiny());
			assert_eq!(pallet_sprint::Hosts::<Runtime>::count(), 3);
			assert_eq!(pallet_sprint::TotalWeight::<Runtime>::get(0), 3 * presets::DEV_HOST_WEIGHT);
			for (host, worker, _) in presets::dev_hosts() {
				let host = host.to_account_id();
				assert_eq!(
					pallet_sprint::HostOfWorker::<Runtime>::get(worker.to_account_id()),
					Some(host.clone())
				);
				assert_eq!(
					Balances::balance_on_hold(
						&RuntimeHoldReason::Sprint(pallet_sprint::HoldReason::HostBond),
						&host
					),
					presets::DEV_HOST_BOND
				);
			}
			Sprint::do_try_state().unwrap();
		});
	}
}

#[test]
fn preset_names_are_dev_and_local() {
	assert_eq!(presets::preset_names(), vec!["development".to_string(), "local_testnet".into()]);
	assert!(presets::get_preset(&"mainnet".to_string()).is_none());
}

#[test]
fn development_preset_builds() {
	preset_ext("development").execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		// Alice is a bootstrap host: her bond is on hold.
		assert_eq!(Balances::total_balance(&alice), presets::DEV_ENDOWMENT);
		assert_eq!(Balances::balance(&alice), presets::DEV_ENDOWMENT - presets::DEV_HOST_BOND);
		assert_eq!(ParachainInfo::parachain_id(), presets::PARACHAIN_ID.into());
		assert_eq!(
			pallet_collator_selection::Invulnerables::<Runtime>::get().to_vec(),
			vec![alice]
		);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(
			Balances::total_issuance(),
			presets::DEV_ENDOWMENT * Sr25519Keyring::well_known().count() as u128
		);
	});
}

#[test]
fn local_testnet_preset_builds_with_two_collators() {
	preset_ext("local_testnet").execute_with(|| {
		// CollatorSelection keeps its invulnerables sorted.
		let mut expected =
			vec![Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Bob.to_account_id()];
		expected.sort();
		let invulnerables = pallet_collator_selection::Invulnerables::<Runtime>::get();
		assert_eq!(invulnerables.to_vec(), expected);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 2);
		assert_eq!(
			pallet_collator_selection::CandidacyBond::<Runtime>::get(),
			presets::CANDIDACY_BOND
		);
	});
}

#[test]
fn transfer_works_and_overdraft_fails_without_change() {
	preset_ext("development").execute_with(|| {
		// Alice and Bob are bootstrap hosts: `total_balance` counts their bonds on hold.
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let amount = 12 * GNK;
		let call = RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death {
			dest: bob.clone().into(),
			value: amount,
		});
		assert!(call.clone().dispatch(RuntimeOrigin::signed(alice.clone())).is_ok());
		assert_eq!(Balances::total_balance(&alice), presets::DEV_ENDOWMENT - amount);
		assert_eq!(Balances::total_balance(&bob), presets::DEV_ENDOWMENT + amount);
		System::assert_has_event(RuntimeEvent::Balances(pallet_balances::Event::Transfer {
			from: alice.clone(),
			to: bob.clone(),
			amount,
		}));

		// More than Alice has: a token error, nothing moves.
		let too_much = RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death {
			dest: bob.clone().into(),
			value: presets::DEV_ENDOWMENT * 10,
		});
		let err = too_much.dispatch(RuntimeOrigin::signed(alice.clone())).unwrap_err();
		assert_eq!(err.error, DispatchError::Token(TokenError::FundsUnavailable));
		assert_eq!(Balances::total_balance(&alice), presets::DEV_ENDOWMENT - amount);
		assert_eq!(Balances::total_balance(&bob), presets::DEV_ENDOWMENT + amount);
	});
}

#[test]
fn integrity_test_passes() {
	sp_io::TestExternalities::default().execute_with(|| {
		<AllPalletsWithSystem as IntegrityTest>::integrity_test();
	});
}

#[test]
fn there_is_no_sudo() {
	let metadata = sp_io::TestExternalities::default().execute_with(Runtime::metadata_ir);
	let names: Vec<_> = metadata.pallets.iter().map(|p| p.name).collect();
	assert!(!names.contains(&"Sudo"), "no key may hold Root over this chain: {names:?}");
	for expected in [
		"System",
		"ParachainSystem",
		"ParachainInfo",
		"Timestamp",
		"Balances",
		"TransactionPayment",
		"Authorship",
		"CollatorSelection",
		"Session",
		"Aura",
		"AuraExt",
		"XcmpQueue",
		"PolkadotXcm",
		"CumulusXcm",
		"MessageQueue",
	] {
		assert!(names.contains(&expected), "{expected} missing from {names:?}");
	}
}

#[test]
fn metadata_v15_and_v16_are_available() {
	sp_io::TestExternalities::default().execute_with(|| {
		let versions = Runtime::metadata_versions();
		assert!(versions.contains(&15), "{versions:?}");
		assert!(versions.contains(&16), "{versions:?}");
		assert!(Runtime::metadata_at_version(15).is_some());
		assert!(Runtime::metadata_at_version(16).is_some());
	});
}

#[test]
fn block_weights_are_valid_and_bounded() {
	let weights = RuntimeBlockWeights::get();
	weights.clone().validate().expect("block weights are consistent");
	assert_eq!(weights.max_block, MAXIMUM_BLOCK_WEIGHT);
	let normal = weights.get(DispatchClass::Normal);
	let max_extrinsic = normal.max_extrinsic.expect("normal extrinsics are bounded");
	assert!(max_extrinsic.all_lte(weights.max_block));

	// A transfer takes a tiny, benchmarked fraction of a block.
	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death {
		dest: Sr25519Keyring::Bob.to_account_id().into(),
		value: GNK,
	});
	let info = call.get_dispatch_info();
	assert!(info.call_weight.ref_time() > 0, "transfer weight comes from benchmarks");
	assert!(info.call_weight.all_lte(max_extrinsic / 100));
}

#[test]
fn gnk_has_nine_decimals_and_fees_are_sized_for_it() {
	assert_eq!(GNK, 10u128.pow(DECIMALS as u32));
	assert_eq!(DECIMALS, 9);
	assert_eq!(SYMBOL, "GNK");
	// The smallest extrinsic costs BASE_EXTRINSIC_FEE; a transfer's weight fee stays well under
	// one GNK and above the existential deposit's tenth.
	assert_eq!(WeightToFee::weight_to_fee(&ExtrinsicBaseWeight::get()), BASE_EXTRINSIC_FEE);
	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death {
		dest: Sr25519Keyring::Bob.to_account_id().into(),
		value: GNK,
	});
	let weight = call.get_dispatch_info().total_weight() + ExtrinsicBaseWeight::get();
	let fee = WeightToFee::weight_to_fee(&weight) + 150 * TRANSACTION_BYTE_FEE;
	assert!(fee > EXISTENTIAL_DEPOSIT / 10 && fee < GNK / 100, "transfer fee {fee}");
}

#[test]
fn runtime_version_is_gonka() {
	assert_eq!(VERSION.spec_name, "gonka");
	// The node finds the parachain APIs it needs by their ids in the version's API list.
	use polkadot_sdk::sp_api::RuntimeApiInfo;
	for id in [
		<dyn cumulus_primitives_core::GetParachainInfo<Block>>::ID,
		<dyn cumulus_primitives_core::CollectCollationInfo<Block>>::ID,
		<dyn sp_consensus_aura::AuraApi<Block, AuraId>>::ID,
	] {
		assert!(VERSION.apis.iter().any(|(api, _)| *api == id), "API {id:?} not declared");
	}
}
