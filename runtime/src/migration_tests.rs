//! The try-runtime tier: this runtime's [`Migrations`] run against the state of a real dev chain
//! that ran two epochs under the protocol-v1 runtime (storage version 0, `spec_version` 2):
//! `tests/data/v0-dev-state.json`, exported by `e2e/polkadot-js/v0-state.mjs` at block 80, in
//! epoch 1's Validation, with v1 commitments, votes, committees and tallies, a settled and paid
//! epoch 0, a host registered without a key proof and a governance proposal open.
//!
//! `Executive::try_runtime_upgrade` runs every migration's `pre_upgrade`, the migration and its
//! `post_upgrade`, the pallets' storage-version checks, decodes every storage item of every
//! pallet with its v2 type, and runs every pallet's `try_state` — what `try-runtime-cli
//! on-runtime-upgrade` does against a live chain. Then the chain is driven on natively through
//! the reopened Validation, a commit–reveal vote, Settlement and into the next epoch.
//!
//! Built only with `--features try-runtime` (scripts/test, tier `migrate`).

use super::*;
use frame_support::traits::{
	GetStorageVersion, Hooks, OnRuntimeUpgrade, StorageVersion, TryState, TryStateSelect,
	UpgradeCheckSelect,
};
use pallet_sprint::migrations::v1::v0;
use polkadot_sdk::{sp_core::bytes::from_hex, sp_io, sp_keyring::Sr25519Keyring, sp_runtime};

/// Epoch 1's Validation, v1 votes cast, a proposal open (block 80).
const V0_STATE: &str = include_str!("../tests/data/v0-dev-state.json");
/// The block where v1 judged epoch 1 and left its payout to the next block.
const V0_PAYOUT: &str = include_str!("../tests/data/v0-dev-state-payout.json");

/// An exported v1 state and the block it was exported at (the next block runs the new runtime).
fn v0_chain(snapshot: &str) -> (sp_io::TestExternalities, u32) {
	let json: serde_json::Value = serde_json::from_str(snapshot).expect("the snapshot is JSON");
	assert_eq!(json["specVersion"], 2, "the snapshot is of the v1 runtime");
	let mut storage = polkadot_sdk::sp_core::storage::Storage::default();
	for pair in json["pairs"].as_array().expect("pairs") {
		let key = from_hex(pair[0].as_str().unwrap()).expect("hex key");
		let value = from_hex(pair[1].as_str().unwrap()).expect("hex value");
		storage.top.insert(key, value);
	}
	let block = json["block"].as_u64().unwrap() as u32;
	(sp_io::TestExternalities::new(storage), block)
}

fn account(k: Sr25519Keyring) -> AccountId {
	k.to_account_id()
}

/// The hooks of the three protocol pallets for blocks `from..=to` (the parachain pallets need a
/// relay chain's inherent data, which this test has none of; the sprint pallet falls back to the
/// parent hash as it does on any dev chain).
fn run_blocks(from: u32, to: u32) {
	for n in from..=to {
		System::reset_events();
		System::set_block_number(n);
		Sprint::on_initialize(n);
		Issuance::on_initialize(n);
		Governance::on_initialize(n);
		Sprint::on_finalize(n);
	}
}

#[test]
fn the_v1_dev_chain_state_migrates_to_v2_and_runs_on() {
	let (mut ext, block) = v0_chain(V0_STATE);
	ext.execute_with(|| {
		// What v1 left: storage version 0, v1's votes and committees, an open proposal.
		for version in [
			Sprint::on_chain_storage_version(),
			Issuance::on_chain_storage_version(),
			Governance::on_chain_storage_version(),
		] {
			assert_eq!(version, StorageVersion::new(0));
		}
		let epoch = pallet_sprint::CurrentEpoch::<Runtime>::get();
		assert_eq!(epoch, 1);
		let votes = v0::Votes::<Runtime>::iter_keys().count();
		assert!(votes > 0 && v0::Committees::<Runtime>::iter_keys().count() > 0);
		assert_eq!(pallet_governance::Proposals::<Runtime>::count(), 1);
		let minted = pallet_issuance::TotalMinted::<Runtime>::get();
		assert!(minted > 0, "epoch 0 was paid under v1");
		let hosts = pallet_sprint::Hosts::<Runtime>::count();
		assert_eq!(hosts, 4);

		// The upgrade block.
		let upgrade = block + 1;
		System::set_block_number(upgrade);
		let weight = Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.expect("every pre/post check, the storage decode and every try_state pass");
		let max = configs::RuntimeBlockWeights::get().max_block;
		println!(
			"v1 state at block {block}: {} keys, {votes} v1 votes; the migrations weigh {weight:?} \
			 ({:.2} % of a block's ref time)",
			V0_STATE.matches("\"0x").count() / 2,
			100.0 * weight.ref_time() as f64 / max.ref_time() as f64
		);
		assert!(weight.all_lte(max), "the migrations weigh {weight:?}, more than a block {max:?}");

		for version in [
			Sprint::on_chain_storage_version(),
			Issuance::on_chain_storage_version(),
			Governance::on_chain_storage_version(),
		] {
			assert_eq!(version, StorageVersion::new(1));
		}
		// Sprint: params with a Reveal phase fitted into the 60-block epoch; v1's verdicts gone;
		// Validation reopened at the upgrade block; the dev chain keeps its seed fallback.
		let params = pallet_sprint::Params::<Runtime>::get();
		assert_eq!(
			(params.epoch_length, params.validation_length, params.reveal_length),
			(60, 20, 3)
		);
		assert_eq!(params.lazy_tolerance, pallet_sprint::DEFAULT_LAZY_TOLERANCE);
		assert!(pallet_sprint::DevSeeds::<Runtime>::get());
		assert_eq!(v0::Votes::<Runtime>::iter_keys().count(), 0);
		let (e, phase, offset) = Sprint::current_phase();
		assert_eq!((e, phase), (1, pallet_sprint::Phase::Validation));
		assert_eq!(pallet_sprint::ValidationStart::<Runtime>::get(), Some(offset));
		assert_eq!(pallet_sprint::Hosts::<Runtime>::count(), hosts);
		// Voting weight: the lesser of epochs 0 and 1.
		let alice = account(Sr25519Keyring::Alice);
		assert_eq!(
			pallet_sprint::VotingWeights::<Runtime>::get(1, &alice),
			pallet_sprint::Weights::<Runtime>::get(1, &alice)
				.min(pallet_sprint::Weights::<Runtime>::get(0, &alice))
		);
		assert!(pallet_sprint::TotalVotingWeight::<Runtime>::get(1) > 0);
		// Issuance: v1's default per-vote penalty became v2's share penalty; nothing minted.
		let issuance = pallet_issuance::Params::<Runtime>::get();
		assert_eq!(issuance.missed_vote_penalty, sp_runtime::Perbill::from_percent(50));
		assert_eq!(pallet_issuance::TotalMinted::<Runtime>::get(), minted);
		// Governance: limits that contain the dev chain's 20-block vote; Alice's open proposal
		// counted.
		let limits = pallet_governance::Limits::<Runtime>::get();
		assert!(limits.min_voting_period <= 20 && limits.max_voting_period >= 20);
		assert_eq!(pallet_governance::OpenPerHost::<Runtime>::get(&alice), 1);

		// A second run is a no-op.
		let again = <Migrations as OnRuntimeUpgrade>::on_runtime_upgrade();
		assert_eq!(again, <Runtime as frame_system::Config>::DbWeight::get().reads(3));

		// The chain runs on: every seat holder of the hosts that committed in epoch 1 commits
		// `Valid` under commit–reveal in the reopened Validation ...
		let seed = pallet_sprint::SamplingSeed::<Runtime>::get(1).expect("v1 fixed the seed");
		let info = Sprint::epoch_info();
		let committed: Vec<(AccountId, u64)> =
			pallet_sprint::Commitments::<Runtime>::iter_prefix(1)
				.map(|(host, c)| (host, c.count))
				.collect();
		assert_eq!(committed.len(), 2, "Alice and Bob committed in epoch 1");
		let worker_of = |v: &AccountId| pallet_sprint::Hosts::<Runtime>::get(v).unwrap().worker_key;
		let mut reveals = Vec::new();
		for (host, _) in &committed {
			let seats = Sprint::seats_of(1, host);
			assert!(!seats.is_empty() && seats.iter().all(|(v, _)| v != host));
			for (validator, _) in seats {
				let (hash, reveal) = Sprint::make_reveal(
					1,
					host,
					&validator,
					pallet_sprint::Verdict::Valid,
					seed,
					|_| false,
				)
				.unwrap();
				let worker = RuntimeOrigin::signed(worker_of(&validator));
				let batch = vec![(host.clone(), hash)].try_into().unwrap();
				frame_support::assert_ok!(Sprint::commit_verdicts(worker.clone(), 1, batch));
				reveals.push((worker, reveal));
			}
		}
		// ... reveals in Reveal ...
		run_blocks(upgrade + 1, info.reveal_start);
		assert_eq!(Sprint::current_phase().1, pallet_sprint::Phase::Reveal);
		for (worker, reveal) in reveals {
			let batch = vec![reveal].try_into().unwrap();
			frame_support::assert_ok!(Sprint::reveal_verdicts(worker, 1, batch));
		}
		AllPalletsWithSystem::try_state(System::block_number(), TryStateSelect::All).unwrap();
		// ... and the epoch settles by v2's rules: both accepted, paid, and epoch 2 begins.
		let mut n = info.reveal_start;
		while pallet_sprint::CurrentEpoch::<Runtime>::get() < 2 {
			assert!(n < info.next_epoch_start + 10, "epoch 1 did not end");
			n += 1;
			run_blocks(n, n);
		}
		assert!(Sprint::is_settled(1));
		for (host, count) in &committed {
			assert_eq!(pallet_sprint::Weights::<Runtime>::get(2, host), *count, "accepted");
			assert_eq!(pallet_sprint::MissedSeats::<Runtime>::get(1, host), 0);
		}
		let paid = pallet_issuance::TotalMinted::<Runtime>::get() - minted;
		assert!(paid > 0, "epoch 1 was paid");
		println!("epoch 1 settled under v2 at block {n}: {paid} minted to its accepted hosts");
		run_blocks(n + 1, n + params.sprint_length + params.commit_grace + 3);
		// The dev chain's seed fallback (kept by the migration) fixed epoch 2's sampling seed.
		assert!(pallet_sprint::SamplingSeed::<Runtime>::get(2).is_some());
		assert_eq!(Sprint::current_phase().1, pallet_sprint::Phase::Validation);
		AllPalletsWithSystem::try_state(System::block_number(), TryStateSelect::All).unwrap();
	});
}

#[test]
fn a_v1_payout_under_way_finishes_under_v2() {
	let (mut ext, block) = v0_chain(V0_PAYOUT);
	ext.execute_with(|| {
		let next = pallet_sprint::PayoutCursor::<Runtime>::get().expect("v1's payout under way");
		let validators = pallet_sprint::ValidatorCount::<Runtime>::get(2);
		let minted = pallet_issuance::TotalMinted::<Runtime>::get();
		let payout = pallet_issuance::CurrentPayout::<Runtime>::get().expect("v1 began the payout");
		assert_eq!(payout.epoch, 1);

		System::set_block_number(block + 1);
		Executive::try_runtime_upgrade(UpgradeCheckSelect::All).unwrap();
		// v1 paid the next epoch's validators: they are epoch 1's accepted hosts now.
		assert_eq!(pallet_sprint::PayoutCursor::<Runtime>::get(), Some(next));
		assert_eq!(pallet_sprint::AcceptedCount::<Runtime>::get(1), validators);
		for i in next..validators {
			assert_eq!(
				pallet_sprint::Accepted::<Runtime>::get(1, i),
				pallet_sprint::Validators::<Runtime>::get(2, i).map(|(host, _)| host)
			);
		}
		assert_eq!(Sprint::current_phase().1, pallet_sprint::Phase::Settlement);

		// The payout goes on at the upgrade block and ends the epoch's settlement.
		let mut n = block;
		while !Sprint::is_settled(1) {
			n += 1;
			assert!(n < block + 5, "the payout did not finish");
			run_blocks(n, n);
		}
		let paid = pallet_issuance::TotalMinted::<Runtime>::get() - minted;
		let weights: u64 = (0..validators)
			.filter_map(|i| pallet_sprint::Validators::<Runtime>::get(2, i))
			.map(|(host, _)| pallet_sprint::Weights::<Runtime>::get(2, &host))
			.sum();
		assert!(weights > 0 && paid > 0, "the hosts v1 accepted are paid: {paid} for {weights}");
		assert!(pallet_issuance::CurrentPayout::<Runtime>::get().is_none());
		println!("v1 payout of epoch 1 finished under v2 at block {n}: {paid} minted");
		AllPalletsWithSystem::try_state(System::block_number(), TryStateSelect::All).unwrap();
	});
}

#[test]
fn the_migrations_fit_in_one_parachain_block() {
	for snapshot in [V0_STATE, V0_PAYOUT] {
		let (mut ext, block) = v0_chain(snapshot);
		let (weight, proof) = ext.execute_and_prove(|| {
			System::set_block_number(block + 1);
			<Migrations as OnRuntimeUpgrade>::on_runtime_upgrade()
		});
		let max = configs::RuntimeBlockWeights::get().max_block;
		let pov = codec::Encode::encoded_size(&proof) as u64;
		println!("block {block}: migrations {weight:?}, storage proof {pov} bytes");
		assert!(weight.ref_time() <= max.ref_time() && pov <= max.proof_size());
	}
}
