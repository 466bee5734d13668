//! A runtime upgrade by governance while three workers mine, with the real `gonka-node --dev`
//! (60-block epochs of 1 s blocks) and the real `gonka-worker run`: Alice proposes
//! `system.authorize_upgrade` of the runtime one `spec_version` higher (the `upgrade-test` WASM
//! that `scripts/build` builds next to the runtime), the three bootstrap hosts vote aye, it is
//! enacted, and `system.apply_authorized_upgrade` sets the code. The workers — never restarted —
//! sign under the new runtime's versions from the block it applies: in the first whole epoch
//! after the upgrade every one commits, commits and reveals its verdicts, and is accepted with
//! weight = its count and paid. The new runtime has a pallet the old one lacks
//! (`UpgradeNote`, whose event marks the upgrade's block): the workers, whose chain client decodes
//! each block against its own metadata, go on through it.

mod common;

use std::time::{Duration, Instant};

use codec::Encode;
use common::*;
use gonka_runtime::{RuntimeCall, RuntimeEvent};
use gonka_worker::chain::{Call, ChainClient, WaitFor};
use pallet_sprint::Event as SprintEvent;
use polkadot_sdk::{
	frame_support::{traits::Bounded, BoundedVec},
	frame_system,
	sp_keyring::Sr25519Keyring as K,
};

const BUDGET: Duration = Duration::from_secs(420);

/// The upgrade-test runtime, built by `scripts/build` (`GONKA_UPGRADE_WASM` overrides).
fn upgrade_wasm() -> std::path::PathBuf {
	if let Some(p) = std::env::var_os("GONKA_UPGRADE_WASM") {
		return p.into();
	}
	let profile_dir = std::path::Path::new(env!("CARGO_BIN_EXE_gonka-worker")).parent().unwrap();
	profile_dir.join("wbuild/gonka-runtime/wasm_binary_upgrade_test.rs.compact.compressed.wasm")
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_follow_a_runtime_upgrade_by_governance_without_a_restart() {
	let dir = Scratch::new("live-upgrade");
	// Room for a whole runtime in one extrinsic.
	let (node, rpc) = start_node_with(&dir.0, &["--rpc-max-request-size", "32"]);
	let mut workers = Vec::new();
	let outcome = tokio::time::timeout(BUDGET, scenario(&dir.0, &rpc, &mut workers)).await;
	expect_scenario("the live upgrade", BUDGET, outcome, &node, &workers);
}

/// The events of every block from `from` to the best, with their block numbers.
async fn events_since(client: &ChainClient, from: u32) -> Result<Vec<(u32, RuntimeEvent)>, String> {
	Ok(all_events_since(client, from).await?.0)
}

/// The events of blocks `from..=best`: those the runtime this test was built with knows, and the
/// others (`UpgradeNote`'s, which only the upgraded runtime has) as the chain client read them.
async fn all_events_since(
	client: &ChainClient,
	from: u32,
) -> Result<(Vec<(u32, RuntimeEvent)>, Vec<(u32, gonka_worker::chain::Event)>), String> {
	let best = client.header(None).await.map_err(|e| e.to_string())?.number;
	let (mut known, mut novel) = (Vec::new(), Vec::new());
	for n in from..=best {
		let hash = client.block_hash(n).await.map_err(|e| e.to_string())?.ok_or("no hash")?;
		for e in client.events(hash).await.map_err(|e| e.to_string())? {
			if e.pallet == "UpgradeNote" {
				// The compiled runtime has no such pallet: a worker with compiled event types
				// would have stopped here.
				assert!(e.decode_as::<RuntimeEvent>().is_err(), "{}::{}", e.pallet, e.name);
				novel.push((n, e));
			} else {
				let decoded = e
					.decode_as::<RuntimeEvent>()
					.map_err(|d| format!("event {}::{}: {d}", e.pallet, e.name))?;
				known.push((n, decoded));
			}
		}
	}
	Ok((known, novel))
}

async fn scenario(dir: &std::path::Path, rpc: &str, workers: &mut Vec<Proc>) -> Result<(), String> {
	let code = std::fs::read(upgrade_wasm())
		.map_err(|e| format!("the upgrade-test runtime {}: {e}", upgrade_wasm().display()))?;
	let client = connect(rpc, Duration::from_secs(120)).await;
	let err = |e: gonka_worker::chain::ChainError| e.to_string();
	let before = client.runtime_version(None).await.map_err(err)?;

	// Governance in epoch 0, whose weights genesis sets: Alice proposes, the hosts vote aye.
	let code_hash = gonka_kernels::hash::blake2_256(&[&code]).into();
	let authorize = RuntimeCall::System(frame_system::Call::authorize_upgrade { code_hash });
	let propose = RuntimeCall::Governance(pallet_governance::Call::propose {
		call: Bounded::Inline(BoundedVec::truncate_from(authorize.encode())),
	});
	let proposed = client
		.sign_and_submit(&K::Alice.pair(), Call::encoded(&propose), WaitFor::InBlock)
		.await
		.map_err(err)?;
	let index = proposed
		.events
		.iter()
		.find_map(|e| match e.decode_as::<RuntimeEvent>() {
			Ok(RuntimeEvent::Governance(pallet_governance::Event::Proposed { index, .. })) => {
				Some(index)
			},
			_ => None,
		})
		.ok_or("no Governance::Proposed event")?;
	let from = client.header(None).await.map_err(err)?.number;
	for host in [K::Alice, K::Bob, K::Charlie] {
		let vote = RuntimeCall::Governance(pallet_governance::Call::vote {
			index,
			vote: pallet_governance::Vote::Aye,
		});
		client
			.sign_and_submit(&host.pair(), Call::encoded(&vote), WaitFor::InBlock)
			.await
			.map_err(err)?;
	}

	// The workers start while the vote runs, their proof servers at free ports.
	let honest =
		[(K::Alice, K::Dave, "alice"), (K::Bob, K::Eve, "bob"), (K::Charlie, K::Ferdie, "charlie")];
	for (host, worker, name) in honest {
		let port = free_port();
		serve_host_at(&client, &host.pair(), port).await?;
		workers.push(start_worker(dir, name, rpc, &format!("//{worker:?}"), port, &[]));
	}

	// Enacted: the upgrade is authorized; anyone may now set the code.
	let t = Instant::now();
	loop {
		let enacted = events_since(&client, from).await?.into_iter().find_map(|(_, e)| match e {
			RuntimeEvent::Governance(pallet_governance::Event::Enacted {
				index: i,
				result,
				..
			}) if i == index => Some(result),
			_ => None,
		});
		if let Some(result) = enacted {
			result.map_err(|e| format!("authorize_upgrade failed when enacted: {e:?}"))?;
			break;
		}
		if t.elapsed() > Duration::from_secs(120) {
			return Err(format!("proposal {index} not enacted in 120 s"));
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
	let apply = RuntimeCall::System(frame_system::Call::apply_authorized_upgrade { code });
	client
		.sign_and_submit(&K::Alice.pair(), Call::encoded(&apply), WaitFor::InBlock)
		.await
		.map_err(err)?;
	let t = Instant::now();
	let after = loop {
		let v = client.runtime_version(None).await.map_err(err)?;
		if v.spec_version > before.spec_version {
			break v;
		}
		if t.elapsed() > Duration::from_secs(60) {
			return Err(format!("still spec_version {} 60 s after the upgrade", v.spec_version));
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	};
	let upgraded_at = client.header(None).await.map_err(err)?.number;
	println!("upgraded to spec_version {} at block #{upgraded_at}", after.spec_version);
	// The new runtime's own event, in the first block its code ran (the one after the code was
	// set; `on_runtime_upgrade`): decoded by the chain client against that block's metadata.
	wait_block(&client, upgraded_at + 2, Duration::from_secs(30)).await;
	let (_, novel) = all_events_since(&client, from).await?;
	let notes: Vec<u32> = novel
		.iter()
		.filter(|(_, e)| e.name == "Upgraded")
		.map(|(_, e)| codec::Decode::decode(&mut &e.field_bytes[..]).map_err(|d| format!("{d}")))
		.collect::<Result<_, _>>()?;
	if notes != [after.spec_version] {
		return Err(format!(
			"UpgradeNote::Upgraded once with spec_version {}: {notes:?}",
			after.spec_version
		));
	}

	// The first whole epoch under the new runtime, until it is settled.
	let info = client.epoch_info(None).await.map_err(err)?;
	let (e, start) = (info.epoch + 1, info.next_epoch_start);
	let len = client.sprint_params(None).await.map_err(err)?.epoch_length;
	wait_block(&client, start + len + 3, Duration::from_secs(240)).await;
	let events: Vec<RuntimeEvent> =
		events_since(&client, start).await?.into_iter().map(|(_, e)| e).collect();
	for (host, _, name) in honest {
		let account = host.to_account_id();
		let count =
			events
				.iter()
				.find_map(|ev| match ev {
					RuntimeEvent::Sprint(SprintEvent::Committed {
						epoch, host: h, count, ..
					}) if *epoch == e && *h == account => Some(*count),
					_ => None,
				})
				.ok_or(format!("{name} committed nothing in epoch {e}, after the upgrade"))?;
		for (what, found) in [
			("verdict commitments", events.iter().any(|ev| matches!(ev,
				RuntimeEvent::Sprint(SprintEvent::VerdictsCommitted { epoch, validator, .. }) if *epoch == e && *validator == account))),
			("reveals", events.iter().any(|ev| matches!(ev,
				RuntimeEvent::Sprint(SprintEvent::VerdictsRevealed { epoch, validator, .. }) if *epoch == e && *validator == account))),
			("acceptance with weight = its count", events.iter().any(|ev| matches!(ev,
				RuntimeEvent::Sprint(SprintEvent::HostAccepted { epoch, host: h, weight }) if *epoch == e && *h == account && *weight == count))),
			("its reward", events.iter().any(|ev| matches!(ev,
				RuntimeEvent::Issuance(pallet_issuance::Event::HostRewarded { epoch, host: h, .. }) if *epoch == e && *h == account))),
		] {
			if !found {
				return Err(format!("{name}: no {what} in epoch {e} under spec_version {}", after.spec_version));
			}
		}
	}
	// Never restarted: each worker ran its start-up checks once and is still running.
	for w in workers.iter_mut() {
		let log = std::fs::read_to_string(&w.log).unwrap_or_default();
		assert_eq!(log.matches("start-up checks passed").count(), 1, "{} started once", w.name);
		assert!(w.child.as_mut().unwrap().try_wait().unwrap().is_none(), "{} still runs", w.name);
	}
	Ok(())
}
