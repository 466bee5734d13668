//! The whole network, end to end, with real binaries over real RPC and HTTP: `gonka-node --dev`
//! (60-block epochs of 1 s blocks, the `tiny` model), the three bootstrap hosts' workers (Alice,
//! Bob and Charlie signing with Dave, Eve and Ferdie) and three cheating hosts, each registered
//! with `gonka-worker register`: one whose worker commits made-up hits (`//Alice//stash`, worker
//! key `//Bob//stash`), one that commits near-misses as hits — nonces whose f32 distance lies in
//! `[r_target, r_target + 0.01)`, which version 1's tolerance let through (`//Charlie//stash`,
//! `//Dave//stash`) — and one that commits each of its real hits twice (`//Eve//stash`,
//! `//Ferdie//stash`).
//!
//! In epoch E (the first whole epoch with every worker up), Alice's worker is killed with SIGKILL
//! in the middle of the Sprint and restarted, and Bob's exits right after sending its verdict
//! commitments (before their block) and is restarted; in epoch E+1 the node is stopped for a few seconds
//! as the Validation phase opens and restarted on the same base path, and Charlie's registered
//! endpoint points where nothing answers (its proof server unreachable; its worker still
//! validates). After both epochs:
//! * each honest host committed once per epoch (Alice in E: every hit of both runs), was accepted
//!   with weight = its count, and was rewarded `R0 · count / D` (PROTOCOL §8) — except Charlie in
//!   E+1: judged `Unreachable`, not accepted, not slashed, keeping its weight of E and unpaid;
//! * each cheater was slashed (half its bond, each epoch), has no weight, and its claimed count
//!   is not in `D`;
//! * every step is an event on chain.

mod common;

use std::{collections::BTreeMap, time::Duration};

use common::*;
use gonka_runtime::{AccountId, RuntimeCall, RuntimeEvent, GNK};
use gonka_worker::chain::{Call, WaitFor};
use pallet_sprint::Event as SprintEvent;
use polkadot_sdk::sp_keyring::Sr25519Keyring as K;

const BUDGET: Duration = Duration::from_secs(480);
const R0: u128 = 310_000 * GNK;

#[tokio::test(flavor = "multi_thread")]
async fn honest_hosts_are_paid_and_a_cheater_is_slashed_through_a_crash_and_an_outage() {
	let dir = Scratch::new("network");
	let (mut node, rpc) = start_node(&dir.0);
	let mut workers: Vec<Proc> = Vec::new();
	let outcome =
		tokio::time::timeout(BUDGET, scenario(&dir.0, &mut node, &rpc, &mut workers)).await;
	expect_scenario("the network scenario", BUDGET, outcome, &node, &workers);
}

fn hits_on_disk(dir: &std::path::Path, epoch: u32) -> Vec<u64> {
	let path = dir.join("alice").join("epochs").join(epoch.to_string()).join("hits-0.bin");
	let bytes = std::fs::read(path).unwrap_or_default();
	let mut nonces: Vec<u64> =
		bytes.chunks_exact(12).map(|c| u64::from_le_bytes(c[..8].try_into().unwrap())).collect();
	nonces.sort_unstable();
	nonces.dedup();
	nonces
}

/// The secret-URI path of a well-known dev account (`AliceStash` → `Alice//stash`).
fn host_suri(k: K) -> String {
	let name = format!("{k:?}");
	match name.strip_suffix("Stash") {
		Some(base) => format!("{base}//stash"),
		None => name,
	}
}

async fn scenario(
	dir: &std::path::Path,
	node: &mut Proc,
	rpc: &str,
	workers: &mut Vec<Proc>,
) -> Result<(), String> {
	let client = connect(rpc, Duration::from_secs(120)).await;
	let err = |e: gonka_worker::chain::ChainError| e.to_string();

	// Hosts: the three bootstrap hosts move their endpoints to free ports; the cheater registers.
	let honest =
		[(K::Alice, K::Dave, "alice"), (K::Bob, K::Eve, "bob"), (K::Charlie, K::Ferdie, "charlie")];
	let mut ports = BTreeMap::new();
	for (host, _, name) in honest {
		let port = free_port();
		ports.insert(name, port);
		serve_host_at(&client, &host.pair(), port).await?;
	}
	// The cheaters register with `gonka-worker register`, as an operator would.
	let cheaters = [
		("cheater", K::AliceStash, "//Bob//stash", "--cheat-made-up-hits"),
		("near-misses", K::CharlieStash, "//Dave//stash", "--cheat-near-misses"),
		("duplicates", K::EveStash, "//Ferdie//stash", "--cheat-duplicate-hits"),
	];
	let mut cheat_ports = BTreeMap::new();
	for (name, host, worker, _) in cheaters {
		let port = free_port();
		cheat_ports.insert(name, port);
		let out = std::process::Command::new(env!("CARGO_BIN_EXE_gonka-worker"))
			.args(["register", "--node", rpc, "--public-endpoint"])
			.arg(format!("http://127.0.0.1:{port}"))
			.env("GONKA_HOST_SURI", format!("//{}", host_suri(host)))
			.env("GONKA_WORKER_SURI", worker)
			.env_remove("GONKA_WORKER_KEY_FILE")
			.env_remove("GONKA_HOST_KEY_FILE")
			.output()
			.map_err(|e| e.to_string())?;
		let stdout = String::from_utf8_lossy(&out.stdout);
		if !out.status.success() || !stdout.contains("Registered host") {
			return Err(format!(
				"gonka-worker register ({name}): {stdout}{}",
				String::from_utf8_lossy(&out.stderr)
			));
		}
	}
	let again = std::process::Command::new(env!("CARGO_BIN_EXE_gonka-worker"))
		.args(["register", "--node", rpc, "--public-endpoint", "http://127.0.0.1:1"])
		.env("GONKA_HOST_SURI", "//Alice//stash")
		.env("GONKA_WORKER_SURI", "//Bob//stash")
		.output()
		.map_err(|e| e.to_string())?;
	let stderr = String::from_utf8_lossy(&again.stderr);
	assert!(!again.status.success() && stderr.contains("Sprint::"), "registering twice: {stderr}");

	for (_, worker, name) in honest {
		workers.push(start_worker(dir, name, rpc, &format!("//{worker:?}"), ports[name], &[]));
	}
	for (name, _, worker, flag) in cheaters {
		let args: &[&str] = if flag == "--cheat-made-up-hits" { &[flag, "300"] } else { &[flag] };
		workers.push(start_worker(dir, name, rpc, worker, cheat_ports[name], args));
	}

	let info = client.epoch_info(None).await.map_err(err)?;
	let e = info.epoch + 1;
	let len = client.sprint_params(None).await.map_err(err)?.epoch_length;
	let start = info.next_epoch_start;
	let wait = Duration::from_secs(200);

	// Epoch E: SIGKILL Alice's worker in the middle of its Sprint, once it has saved hits.
	wait_block(&client, start + 3, wait).await;
	let mut waited = 0;
	while hits_on_disk(dir, e).is_empty() {
		assert!(waited < 50, "Alice's worker saved no hit in the Sprint");
		tokio::time::sleep(Duration::from_millis(100)).await;
		waited += 1;
	}
	workers[0].kill();
	let before = hits_on_disk(dir, e);
	workers[0].start();

	// Still in E: Bob's worker is stopped and run again with a crash after its verdict
	// commitments are sent and before their block (it exits 3), then restarted at once: it must
	// not judge again, and still reveal (no missed seat, no penalty below).
	workers[1].interrupt(Duration::from_secs(10));
	let mut crashing = start_worker(
		dir,
		"bob",
		rpc,
		&format!("//{:?}", K::Eve),
		ports["bob"],
		&["--test-exit-after-verdicts-sent"],
	);
	let code = crashing.exit_code(Duration::from_secs(120), "Bob sent no verdicts").await?;
	assert_eq!(code, Some(3), "{}", crashing.log_tail(30));
	let crashed_in = client.epoch_info(None).await.map_err(err)?.epoch;
	assert_eq!(crashed_in, e, "Bob crashed in E's Validation");
	workers[1].start();

	// Before E+1: Charlie's endpoint moves to a port where nothing listens, so nobody can fetch
	// its proofs in E+1 (its worker keeps validating the others).
	wait_block(&client, start + len - 10, wait).await;
	let dead = free_port();
	let call = RuntimeCall::Sprint(pallet_sprint::Call::update_host {
		endpoint: format!("http://127.0.0.1:{dead}").into_bytes().try_into().unwrap(),
	});
	client
		.sign_and_submit(&K::Charlie.pair(), Call::encoded(&call), WaitFor::InBlock)
		.await
		.map_err(err)?;

	// Epoch E+1: the node goes away for a few seconds as the Validation phase opens, before the
	// verdicts are in.
	let params = client.sprint_params(None).await.map_err(err)?;
	wait_block(&client, start + len + params.commit_end(), wait).await;
	drop(client);
	node.interrupt(Duration::from_secs(20));
	tokio::time::sleep(Duration::from_secs(5)).await;
	node.start();
	let client = connect(rpc, Duration::from_secs(120)).await;

	// Both epochs settled and paid.
	wait_block(&client, start + 2 * len + 3, wait).await;

	let at = |n: u32| {
		let client = &client;
		async move { client.block_hash(n).await.unwrap().unwrap() }
	};
	let mut events: BTreeMap<u32, Vec<RuntimeEvent>> = BTreeMap::new();
	for n in start..start + 2 * len + 3 {
		let hash = at(n).await;
		events.entry(n).or_default().extend(runtime_events(&client, hash).await?);
	}
	let all: Vec<&RuntimeEvent> = events.values().flatten().collect();
	let cheater_accounts: Vec<AccountId> =
		cheaters.iter().map(|(_, host, _, _)| host.to_account_id()).collect();
	let cheater = K::AliceStash.to_account_id();
	let charlie = K::Charlie.to_account_id();
	let mut charlie_in_e = 0u64;

	let mut alice_in_e = None;
	for epoch in [e, e + 1] {
		let settled_at = Some(at(start + (epoch - e + 1) * len + 1).await);
		let committed: BTreeMap<AccountId, u64> =
			all.iter()
				.filter_map(|ev| match ev {
					RuntimeEvent::Sprint(SprintEvent::Committed {
						epoch: x, host, count, ..
					}) if *x == epoch => Some((host.clone(), *count)),
					_ => None,
				})
				.collect();
		let commit_events = all
			.iter()
			.filter(
				|ev| matches!(ev, RuntimeEvent::Sprint(SprintEvent::Committed { epoch: x, .. }) if *x == epoch),
			)
			.count();
		assert_eq!(commit_events, 6, "epoch {epoch}: one commitment per host: {committed:?}");
		// PROTOCOL §8: D is the accepted counts and everyone else's expected weight; the
		// cheaters' claims never enter it (they never had weight: they expect 0). Charlie,
		// unreachable in E+1, counts its last weight (its count of E).
		let unreachable = epoch == e + 1;
		let d: u128 = committed
			.iter()
			.filter(|(h, _)| !cheater_accounts.contains(h))
			.map(|(h, c)| if unreachable && *h == charlie { charlie_in_e } else { *c } as u128)
			.sum();
		assert_eq!(committed.get(&cheater), Some(&300));
		if epoch == e {
			alice_in_e = committed.get(&K::Alice.to_account_id()).copied();
			charlie_in_e = committed[&charlie];
		}

		for (host, _, name) in honest {
			let account = host.to_account_id();
			let count = committed[&account];
			assert!(count > 0);
			let weight = client.weight(epoch + 1, &account, settled_at).await.map_err(err)?;
			if unreachable && account == charlie {
				// Not accepted, not slashed: its weight of E kept (its first such epoch), no pay.
				assert_eq!(weight, charlie_in_e, "Charlie unreachable in {epoch}: weight kept");
				assert!(all.iter().any(|ev| matches!(ev,
					RuntimeEvent::Sprint(SprintEvent::HostNotAccepted { epoch: x, host: h, unreachable: u, valid: 0, invalid: 0, .. })
						if *x == epoch && *h == account && *u == 32)),
					"Charlie judged unreachable on all 32 seats in {epoch}");
				assert!(!all.iter().any(|ev| matches!(ev,
					RuntimeEvent::Sprint(SprintEvent::HostSlashed { host: h, .. }) if *h == account)));
				assert!(!all.iter().any(|ev| matches!(ev,
					RuntimeEvent::Issuance(pallet_issuance::Event::HostRewarded { epoch: x, host: h, .. })
						if *x == epoch && *h == account)));
				continue;
			}
			assert_eq!(weight, count, "epoch {epoch}: {name} accepted with weight = its count");
			assert!(
				all.iter().any(|ev| matches!(ev,
				RuntimeEvent::Sprint(SprintEvent::HostAccepted { epoch: x, host: h, weight: w })
					if *x == epoch && *h == account && *w == count)),
				"{name} HostAccepted in {epoch}"
			);
			let rewarded = all.iter().find_map(|ev| match ev {
				RuntimeEvent::Issuance(pallet_issuance::Event::HostRewarded {
					epoch: x,
					host: h,
					amount,
					penalty,
					..
				}) if *x == epoch && *h == account => Some((*amount, *penalty)),
				_ => None,
			});
			assert_eq!(
				rewarded,
				Some((R0 * count as u128 / d, 0)),
				"epoch {epoch}: {name} paid R0·{count}/{d}, no missed votes"
			);
			assert!(
				all.iter().any(|ev| matches!(ev,
				RuntimeEvent::Sprint(SprintEvent::VerdictsCommitted { epoch: x, validator: v, .. })
					if *x == epoch && *v == account)),
				"{name} committed its verdicts in {epoch}"
			);
			assert!(
				all.iter().any(|ev| matches!(ev,
				RuntimeEvent::Sprint(SprintEvent::VerdictsRevealed { epoch: x, validator: v, .. })
					if *x == epoch && *v == account)),
				"{name} revealed its verdicts in {epoch}"
			);
		}
		// Every honest validator computed its check bits: nobody is lazy.
		assert!(
			!all.iter().any(|ev| matches!(ev,
				RuntimeEvent::Sprint(SprintEvent::ValidatorLazy { epoch: x, .. }) if *x == epoch)),
			"no validator found lazy in {epoch}"
		);
		for (name, host, _, _) in cheaters {
			let cheat = host.to_account_id();
			assert!(committed[&cheat] > 0, "{name} committed in {epoch}");
			assert!(all.iter().any(|ev| matches!(ev,
				RuntimeEvent::Sprint(SprintEvent::HostSlashed { epoch: x, host, .. }) if *x == epoch && *host == cheat)),
				"{name} is slashed in {epoch}");
			assert_eq!(client.weight(epoch + 1, &cheat, settled_at).await.map_err(err)?, 0);
			assert!(!all.iter().any(|ev| matches!(ev,
				RuntimeEvent::Issuance(pallet_issuance::Event::HostRewarded { host, .. }) if *host == cheat)));
		}
	}

	// Bob, restarted after the crash, judged no host again (asserted above: it revealed in E and
	// lost no seat).
	let bob_log = std::fs::read_to_string(&workers[1].log).unwrap_or_default();
	let prefix = format!("epoch {e}: host ");
	let judged: Vec<&str> = bob_log
		.lines()
		.filter_map(|l| l.split_once(&prefix).map(|(_, rest)| rest))
		.filter_map(|rest| rest.split_once(" is ").map(|(host, _)| host))
		.collect();
	let distinct: std::collections::BTreeSet<&str> = judged.iter().copied().collect();
	assert!(!judged.is_empty(), "Bob judged hosts in E");
	assert_eq!(judged.len(), distinct.len(), "Bob judged no host of E twice: {judged:?}");

	// Alice's commitment in E holds every hit of both runs, each once, and more than the first
	// run had found.
	let alice = alice_in_e.expect("Alice committed in E");
	let on_disk = hits_on_disk(dir, e);
	assert_eq!(alice, on_disk.len() as u64, "the commitment is every distinct hit on disk");
	assert!(before.iter().all(|n| on_disk.binary_search(n).is_ok()));
	assert!(alice > before.len() as u64, "the second run added hits ({} → {alice})", before.len());

	// Two slashes of half the bond: a quarter is left of what each cheater held before E.
	// Charlie, only unreachable, keeps all of his.
	let bond_at = |n: u32, who: AccountId| {
		let client = &client;
		async move {
			let hash = client.block_hash(n).await.unwrap();
			let hosts = client.hosts(hash).await.unwrap();
			hosts.into_iter().find(|(a, _)| *a == who).expect("still registered").1.bond
		}
	};
	for who in &cheater_accounts {
		let before_e = bond_at(start - 1, who.clone()).await;
		let now = bond_at(start + 2 * len + 2, who.clone()).await;
		assert!(before_e <= 1_000 * GNK && before_e > 0);
		assert_eq!(now, before_e / 4, "{who}: slashed by half in E and in E+1");
	}
	assert_eq!(
		bond_at(start + 2 * len + 2, charlie.clone()).await,
		bond_at(start - 1, charlie.clone()).await
	);

	// The workers reconnected: the node's restart shows in their metrics.
	for (_, _, name) in honest {
		let port = workers.iter().find(|w| w.name == name).and_then(|w| w.metrics_port).unwrap();
		let metrics = gonka_worker::validator::ProofClient::new(Duration::from_secs(2))
			.allow_private_addresses(true)
			.get_text(&format!("http://127.0.0.1:{port}/metrics"))
			.await
			.map_err(|e| e.to_string())?;
		let reconnects =
			gonka_worker::metrics::parse_metric(&metrics, "gonka_worker_chain_reconnects_total");
		assert!(reconnects >= Some(1.0), "{name}: {reconnects:?}");
	}
	Ok(())
}
