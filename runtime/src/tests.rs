//! Native tests of the runtime: genesis presets, a transfer, integrity, fees and weight limits.

use super::*;
use crate::{configs::RuntimeBlockWeights, genesis_config_presets as presets};
use frame_support::assert_ok;
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::{fungible::Inspect, IntegrityTest},
	weights::WeightToFee as _,
};
use polkadot_sdk::{sp_io, sp_keyring::Sr25519Keyring};
use sp_runtime::{traits::Dispatchable, BuildStorage, DispatchError, TokenError};

/// Storage built from a genesis preset exactly as a chain spec would build it.
pub(crate) fn preset_ext(preset: &str) -> sp_io::TestExternalities {
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
				+ EXISTENTIAL_DEPOSIT
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
		"Sprint",
		"Issuance",
		"Governance",
		"Preimage",
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

#[test]
fn issuance_genesis_is_protocol_defaults_and_the_treasury_exists() {
	preset_ext("development").execute_with(|| {
		let params = pallet_issuance::Params::<Runtime>::get();
		assert_eq!(params, pallet_issuance::IssuanceParams::default());
		assert_eq!(params.initial_reward, 310_000 * GNK);
		assert_eq!(params.halving_interval, 1_461);
		assert_eq!(params.mining_cap, 680_000_000 * GNK);
		assert_eq!(Issuance::epoch_reward(0), 310_000 * GNK);
		assert_eq!(Issuance::epoch_reward(1_461), 155_000 * GNK);
		assert_eq!(Issuance::next_halving_after(0), 1_461);
		assert_eq!(Issuance::cap_left(), 680_000_000 * GNK);
		assert_eq!(Balances::balance(&configs::TreasuryAccount::get()), EXISTENTIAL_DEPOSIT);
		Issuance::do_try_state().unwrap();
	});
}

/// PROTOCOL §2 and the scale requirement: settling 10,000 hosts with committees of 16
/// takes bounded blocks, each within half the block's weight and proof size — by the
/// benchmarked weights (`weights.rs` of both pallets), and by running it.
#[test]
fn settlement_of_10_000_hosts_fits_in_half_a_block() {
	use frame_support::traits::{Get, Hooks};
	use pallet_issuance::WeightInfo as _;
	use pallet_sprint::WeightInfo as _;
	type SprintWeights = pallet_sprint::weights::SubstrateWeight<Runtime>;
	type IssuanceWeights = pallet_issuance::weights::SubstrateWeight<Runtime>;
	const HOSTS: u32 = 10_000;
	let half = Perbill::from_percent(50) * MAXIMUM_BLOCK_WEIGHT;

	// By the weights: a block judging or paying as many hosts as fit.
	let judge_n = Sprint::settlements_per_block(Sprint::settle_host_weight()) as u64;
	let pay_step = SprintWeights::pay_host().saturating_add(IssuanceWeights::reward_host());
	let pay_n = Sprint::settlements_per_block(pay_step) as u64;
	let judge = Sprint::settle_host_weight().saturating_mul(judge_n);
	let pay = pay_step
		.saturating_mul(pay_n)
		.saturating_add(IssuanceWeights::begin_payout())
		.saturating_add(IssuanceWeights::end_payout());
	assert!(judge.all_lte(half), "judging {judge_n} hosts: {judge:?} > {half:?}");
	assert!(pay.all_lte(half), "paying {pay_n} hosts: {pay:?} > {half:?}");
	let blocks = (HOSTS as u64).div_ceil(judge_n) + (HOSTS as u64).div_ceil(pay_n) + 1;
	println!(
		"settlement of {HOSTS} hosts: {judge_n} judged per block ({judge:?}), {pay_n} paid per \
		 block ({pay:?}); at most {blocks} blocks"
	);
	// A full batch of verdicts fits in one extrinsic.
	let max_extrinsic =
		RuntimeBlockWeights::get().get(DispatchClass::Normal).max_extrinsic.expect("bounded");
	let batch = <<Runtime as pallet_sprint::Config>::MaxVerdictBatch as Get<u32>>::get();
	let commits = SprintWeights::commit_verdicts(batch);
	assert!(commits.all_lte(max_extrinsic), "{batch} commitments: {commits:?} > {max_extrinsic:?}");
	let reveals = SprintWeights::reveal_verdicts(batch);
	assert!(reveals.all_lte(max_extrinsic), "{batch} reveals: {reveals:?} > {max_extrinsic:?}");
	println!("a full batch of {batch}: commit_verdicts {commits:?}, reveal_verdicts {reveals:?}");
	let mainnet = pallet_sprint::SprintParams::<Balance>::default();
	let settlement_phase = (mainnet.epoch_length
		- mainnet.settlement_start(mainnet.earliest_validation_start()))
		as u64;
	assert!(blocks <= settlement_phase, "{blocks} blocks > the {settlement_phase}-block phase");

	// By running it: 10,000 genesis hosts with 16 seats each, all committed; half of them
	// accepted (their seat holders' reveals written directly, standing in for 160,000 verdict
	// extrinsics), the other half not accepted with every seat missed.
	// No relay chain here: the dev chain's parent-hash seeds.
	let mut config = RuntimeGenesisConfig::default();
	let accounts: Vec<AccountId> = (0..2 * HOSTS)
		.map(|i| sp_runtime::AccountId32::new(sp_io::hashing::blake2_256(&i.to_le_bytes())))
		.collect();
	config.balances.balances =
		accounts[..HOSTS as usize].iter().map(|a| (a.clone(), 10_000 * GNK)).collect();
	let mut params = presets::dev_sprint_params();
	params.committee_size = 16;
	config.sprint.params = params.clone();
	config.sprint.dev_seeds = true;
	config.sprint.hosts = (0..HOSTS as usize)
		.map(|i| {
			(
				accounts[i].clone(),
				accounts[HOSTS as usize + i].clone(),
				b"https://h.example".to_vec(),
				100,
			)
		})
		.collect();
	let mut ext = sp_io::TestExternalities::new(config.build_storage().unwrap());
	ext.execute_with(|| {
		let start = pallet_sprint::EpochStart::<Runtime>::get();
		let mut block = start;
		// Finalizes the previous block (where the seeds are fixed) and initializes `block`.
		let run_block = |block: u32| {
			Sprint::on_finalize(block - 1);
			System::reset_events();
			System::set_block_number(block);
			let used = Sprint::on_initialize(block);
			assert!(used.all_lte(half), "block {block}: {used:?} > {half:?}");
		};
		while block < start + params.commit_start() {
			block += 1;
			run_block(block);
		}
		for i in 0..HOSTS as usize {
			let worker = RuntimeOrigin::signed(accounts[HOSTS as usize + i].clone());
			assert_ok!(Sprint::commit(worker, 0, [1; 32], 100));
		}
		let settlement = start + params.settlement_start(params.earliest_validation_start());
		while block < start + params.earliest_validation_start() {
			block += 1;
			run_block(block);
		}
		// Count 100 is below the sample size: every validator samples all 100 positions, and
		// they agree on every bit.
		let n = gonka_primitives::sampling::pool_len(100, params.sample_size);
		let mut sampled = gonka_primitives::sampling::Bitmap::zeros(n);
		(0..n).for_each(|p| sampled.set(p));
		let record = pallet_sprint::RevealRecord {
			verdict: pallet_sprint::Verdict::Valid,
			sampled: sampled.as_bytes().to_vec().try_into().unwrap(),
			below: vec![0u8; sampled.as_bytes().len()].try_into().unwrap(),
		};
		for host in accounts[..HOSTS as usize].iter().step_by(2) {
			for (member, _) in Sprint::seats_of(0, host) {
				pallet_sprint::Reveals::<Runtime>::insert((0, host, &member), &record);
			}
		}
		while block < settlement {
			block += 1;
			run_block(block);
		}
		while !Sprint::is_settled(0) {
			block += 1;
			run_block(block);
			assert!(
				(block - settlement) as u64 <= blocks,
				"settlement took more than {blocks} blocks"
			);
		}
		assert_eq!(pallet_sprint::AcceptedCount::<Runtime>::get(0), HOSTS / 2);
		// The others keep their last weight (their first epoch not accepted, PROTOCOL §7).
		assert_eq!(pallet_sprint::ValidatorCount::<Runtime>::get(1), HOSTS);
		assert_eq!(pallet_sprint::TotalWeight::<Runtime>::get(1), HOSTS as u64 * 100);
		// Every accepted host got R0 · 100 / (10,000 · 100), less 50 % times the share of its
		// seats it missed (those on the hosts nobody voted on); the rest went to the treasury.
		let share = 310_000 * GNK / HOSTS as u128;
		let missed = pallet_sprint::MissedSeats::<Runtime>::get(0, &accounts[0]);
		let assigned = pallet_sprint::AssignedSeats::<Runtime>::get(0, &accounts[0]);
		assert!(missed > 0 && missed < assigned, "{missed} of {assigned}");
		let rate = Issuance::penalty_rate(missed, assigned, Perbill::from_percent(50));
		let penalty = rate.mul_ceil(share);
		assert_eq!(
			Balances::balance(&accounts[0]),
			10_000 * GNK - presets::DEV_HOST_BOND + share - penalty
		);
		assert_eq!(pallet_issuance::TotalMinted::<Runtime>::get(), 310_000 * GNK);
		Issuance::do_try_state().unwrap();
		Sprint::do_try_state().unwrap();
	});
}

/// PROTOCOL §3: as a parachain the seeds come from the relay chain's per-block randomness in the
/// verified relay-chain state proof, with the relay parent's number from the validation data;
/// without it, no randomness — except on the dev chain (`devSeeds`, `--dev`'s mocked relay
/// chain), which falls back to the parent hash.
#[test]
fn seeds_come_from_the_relay_randomness_in_the_state_proof() {
	use codec::Encode;
	use cumulus_pallet_parachain_system::{OnSystemEvent, RelayChainStateProof};
	use cumulus_primitives_core::{
		relay_chain::well_known_keys::CURRENT_BLOCK_RANDOMNESS, PersistedValidationData,
	};
	use pallet_sprint::EpochRandomness;
	let note = |relay_block: u32, randomness: Option<[u8; 32]>| {
		let mut builder =
			polkadot_sdk::cumulus_test_relay_sproof_builder::RelayStateSproofBuilder::default();
		if let Some(r) = randomness {
			builder
				.additional_key_values
				.push((CURRENT_BLOCK_RANDOMNESS.to_vec(), Some(r).encode()));
		}
		let para_id = builder.para_id;
		let (root, proof) = builder.into_state_root_and_proof();
		cumulus_pallet_parachain_system::ValidationData::<Runtime>::put(PersistedValidationData {
			relay_parent_number: relay_block,
			relay_parent_storage_root: root,
			..Default::default()
		});
		let proof = RelayChainStateProof::new(para_id, root, proof).expect("a valid proof");
		configs::NoteRelayRandomness::on_relay_state_proof(&proof);
	};
	type Seeds = pallet_sprint::RelayChainRandomness<Runtime>;
	for (preset, dev) in [("local_testnet", false), ("development", true)] {
		preset_ext(preset).execute_with(|| {
			assert_eq!(pallet_sprint::DevSeeds::<Runtime>::get(), dev);
			System::set_parent_hash([5; 32].into());
			note(77, Some([9; 32]));
			assert_eq!(
				pallet_sprint::RelayEntropy::<Runtime>::get(),
				Some(pallet_sprint::NotedRelayBlock { number: 77, randomness: Some([9; 32]) })
			);
			let entropy = Seeds::entropy();
			assert_eq!(entropy.relay_block, Some(77));
			assert_eq!(entropy.randomness, Some([9; 32]));
			// A relay block without randomness: none (a seed that must be fresh waits), never a
			// stale value; the dev chain's parent hash.
			note(78, None);
			let entropy = Seeds::entropy();
			assert_eq!(entropy.relay_block, Some(78));
			assert_eq!(entropy.randomness, dev.then_some([5; 32]), "{preset}");
		});
	}
}

/// PROTOCOL §3 on the runtime: the sampling seed cannot be read in any block that still accepts
/// a commit. Blocks are built as a collator builds them on a relay chain: the parachain inherent
/// notes each block's relay parent and randomness from a state proof, several parachain blocks
/// may share a relay parent, and the seed waits for a strictly newer one.
#[test]
fn the_sampling_seed_is_unknown_while_commits_are_accepted() {
	use codec::Encode;
	use cumulus_pallet_parachain_system::{OnSystemEvent, RelayChainStateProof};
	use cumulus_primitives_core::{
		relay_chain::well_known_keys::CURRENT_BLOCK_RANDOMNESS, PersistedValidationData,
	};
	use frame_support::traits::Hooks;
	preset_ext("local_testnet").execute_with(|| {
		let params = pallet_sprint::Params::<Runtime>::get();
		let worker = RuntimeOrigin::signed(Sr25519Keyring::Dave.to_account_id());
		let start = pallet_sprint::EpochStart::<Runtime>::get();
		// Block `b` on relay parent `relay`, whose randomness is `[relay; 32]` (the previous
		// block finalized first).
		let block = |b: u32, relay: u32| {
			if b > start {
				Sprint::on_finalize(b - 1);
			}
			System::set_block_number(b);
			Sprint::on_initialize(b);
			let mut builder =
				polkadot_sdk::cumulus_test_relay_sproof_builder::RelayStateSproofBuilder::default();
			builder
				.additional_key_values
				.push((CURRENT_BLOCK_RANDOMNESS.to_vec(), Some([relay as u8; 32]).encode()));
			let para_id = builder.para_id;
			let (root, proof) = builder.into_state_root_and_proof();
			cumulus_pallet_parachain_system::ValidationData::<Runtime>::put(
				PersistedValidationData {
					relay_parent_number: relay,
					relay_parent_storage_root: root,
					..Default::default()
				},
			);
			let proof = RelayChainStateProof::new(para_id, root, proof).expect("a valid proof");
			configs::NoteRelayRandomness::on_relay_state_proof(&proof);
		};
		// Two parachain blocks per relay block (async backing): offsets 2k − 1 and 2k share
		// relay parent 1000 + k, so the last Commit block shares its relay parent with the
		// first seed-gap block.
		let relay_of = |b: u32| 1_000 + (b - start).div_ceil(2);
		let last_commit = start + params.commit_end() - 1;
		assert_eq!(relay_of(last_commit), relay_of(last_commit + 1));
		let mut committed = false;
		let mut b = start;
		loop {
			block(b, relay_of(b));
			let (_, phase, _) = Sprint::current_phase();
			if phase == pallet_sprint::Phase::Validation {
				break;
			}
			// In every block before Validation, what its extrinsics could read: no seed.
			assert!(pallet_sprint::SamplingSeed::<Runtime>::get(0).is_none(), "block {b}");
			if phase == pallet_sprint::Phase::Commit && !committed {
				assert_ok!(Sprint::commit(worker.clone(), 0, [1; 32], 10));
				committed = true;
			}
			assert!(b < start + params.epoch_length, "Validation never started");
			b += 1;
		}
		assert!(committed);
		assert_eq!(
			pallet_sprint::LastCommitRelayBlock::<Runtime>::get(),
			Some(relay_of(last_commit))
		);
		// The first seed-gap block shared the last commit's relay parent: the seed came from
		// the next one, with the randomness of the first strictly newer relay block.
		let fixed_in = last_commit + 2;
		assert_eq!(b, fixed_in + 1, "Validation starts the block after the seed");
		let seed = pallet_sprint::SamplingSeed::<Runtime>::get(0).expect("fixed");
		let newer = relay_of(fixed_in);
		assert_eq!(newer, relay_of(last_commit) + 1);
		assert_eq!(seed, pallet_sprint::mix(&[newer as u8; 32], 0, b"sampling"));
	});
}
