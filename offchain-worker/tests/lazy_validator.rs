//! A lazy validator in a real network (PROTOCOL §6.6): `gonka-node --dev` and six `gonka-worker
//! run` processes over real RPC and HTTP. The three bootstrap hosts (Alice, Bob, Charlie with
//! worker keys Dave, Eve, Ferdie) and three hosts registered with `gonka-worker register`: two
//! honest (`//Alice//stash`, `//Charlie//stash`) and one whose worker runs the Sprint honestly
//! but validates with `--cheat-lazy` — it votes `Valid` without fetching or checking anything and
//! guesses its check bits (`//Eve//stash`, worker key `//Ferdie//stash`).
//!
//! The registered hosts commit from the epoch they register in (or the next one, when their
//! workers start after its Commit window) and are judged by the bootstrap hosts; once accepted
//! they validate too. By E+1 (E: the epoch the registered hosts are first accepted in) all six are validators, every committee has at least three distinct validators,
//! and the check-bit majority decides who is lazy:
//! * the lazy host is reported `ValidatorLazy` (on every reachable host it sat on, with its
//!   disagreements), its seats there missed, and it is paid less per unit of weight than every
//!   honest host paid — the reward penalty `MissedVotePenalty × missed / assigned`. (A host on
//!   which it held more than a third of the seats is not accepted that epoch: missed seats count
//!   for neither side.)
//! * no honest validator is ever reported lazy, none misses a seat, none pays a penalty.

mod common;

use std::{collections::BTreeMap, time::Duration};

use common::*;
use gonka_runtime::{AccountId, RuntimeEvent};
use pallet_sprint::Event as SprintEvent;
use polkadot_sdk::sp_keyring::Sr25519Keyring as K;

const BUDGET: Duration = Duration::from_secs(420);

#[tokio::test(flavor = "multi_thread")]
async fn a_lazy_validator_is_reported_and_paid_less_than_the_honest_ones() {
	let dir = Scratch::new("lazy");
	let (mut node, rpc) = start_node(&dir.0);
	let mut workers: Vec<Proc> = Vec::new();
	let outcome = tokio::time::timeout(BUDGET, scenario(&dir.0, &rpc, &mut workers)).await;
	expect_scenario("the lazy-validator scenario", BUDGET, outcome, &node, &workers);
	node.interrupt(Duration::from_secs(5));
}

async fn scenario(dir: &std::path::Path, rpc: &str, workers: &mut Vec<Proc>) -> Result<(), String> {
	let client = connect(rpc, Duration::from_secs(120)).await;
	let err = |e: gonka_worker::chain::ChainError| e.to_string();

	let bootstrap = [
		(K::Alice, "//Dave", "alice"),
		(K::Bob, "//Eve", "bob"),
		(K::Charlie, "//Ferdie", "charlie"),
	];
	let registered = [
		(K::AliceStash, "//Alice//stash", "//Bob//stash", "alice-stash", false),
		(K::CharlieStash, "//Charlie//stash", "//Dave//stash", "charlie-stash", false),
		(K::EveStash, "//Eve//stash", "//Ferdie//stash", "lazy", true),
	];
	let mut ports = BTreeMap::new();
	for (host, _, name) in bootstrap {
		let port = free_port();
		ports.insert(name, port);
		serve_host_at(&client, &host.pair(), port).await?;
	}
	for (_, host_suri, worker_suri, name, _) in registered {
		let port = free_port();
		ports.insert(name, port);
		let out = std::process::Command::new(env!("CARGO_BIN_EXE_gonka-worker"))
			.args(["register", "--node", rpc, "--public-endpoint"])
			.arg(format!("http://127.0.0.1:{port}"))
			.env("GONKA_HOST_SURI", host_suri)
			.env("GONKA_WORKER_SURI", worker_suri)
			.env_remove("GONKA_WORKER_KEY_FILE")
			.env_remove("GONKA_HOST_KEY_FILE")
			.output()
			.map_err(|e| e.to_string())?;
		if !out.status.success() {
			return Err(format!(
				"gonka-worker register ({name}): {}{}",
				String::from_utf8_lossy(&out.stdout),
				String::from_utf8_lossy(&out.stderr)
			));
		}
	}
	for (_, worker, name) in bootstrap {
		workers.push(start_worker(dir, name, rpc, worker, ports[name], &[]));
	}
	for (_, _, worker, name, lazy) in registered {
		let extra: &[&str] = if lazy { &["--cheat-lazy"] } else { &[] };
		workers.push(start_worker(dir, name, rpc, worker, ports[name], extra));
	}

	// E is the first epoch the registered hosts commit in: the one they registered in when their
	// workers start before its Commit window closes, else the next. Found from the chain, not
	// guessed from the clock (a slow machine must not change what is asserted).
	let info = client.epoch_info(None).await.map_err(err)?;
	let len = client.sprint_params(None).await.map_err(err)?.epoch_length;
	let start_of =
		|k: u32| (info.next_epoch_start + k * len).saturating_sub((info.epoch + 1) * len).max(1);
	let events_until = |end: u32| {
		let client = &client;
		async move {
			wait_block(client, end, Duration::from_secs(360)).await;
			let mut all: Vec<RuntimeEvent> = Vec::new();
			for n in start_of(info.epoch)..end {
				let hash = client.block_hash(n).await.map_err(err)?.ok_or("no block hash")?;
				all.extend(runtime_events(client, hash).await?);
			}
			Ok::<_, String>(all)
		}
	};
	let first = events_until(start_of(info.epoch + 2) + 3).await?;
	let accepted_in = |all: &[RuntimeEvent], account: &AccountId| {
		all.iter()
			.filter_map(|ev| match ev {
				RuntimeEvent::Sprint(SprintEvent::HostAccepted { epoch, host, .. })
					if host == account =>
				{
					Some(*epoch)
				},
				_ => None,
			})
			.min()
	};
	let firsts: Vec<Option<u32>> =
		registered.iter().map(|r| accepted_in(&first, &r.0.to_account_id())).collect();
	let e = match firsts.as_slice() {
		[Some(a), rest @ ..] if rest.iter().all(|x| *x == Some(*a)) => *a,
		_ => {
			let about: Vec<String> = registered
				.iter()
				.map(|(k, _, _, name, _)| {
					let account = k.to_account_id();
					let mine: Vec<String> = first
						.iter()
						.filter(|ev| format!("{ev:?}").contains(&format!("{account:?}")))
						.map(|ev| format!("{ev:?}"))
						.collect();
					format!("{name}: {mine:?}")
				})
				.collect();
			return Err(format!(
				"the registered hosts are first accepted together in epoch {} or {}: {firsts:?}\n{}",
				info.epoch,
				info.epoch + 1,
				about.join("\n")
			));
		},
	};
	if e > info.epoch + 1 {
		return Err(format!(
			"the registered hosts are first accepted in epoch {e}, not {} or {}",
			info.epoch,
			info.epoch + 1
		));
	}
	let all = events_until(start_of(e + 2) + 3).await?;
	let lazy = K::EveStash.to_account_id();
	let honest: Vec<(AccountId, &str)> = bootstrap
		.iter()
		.map(|(k, _, n)| (k.to_account_id(), *n))
		.chain(registered.iter().filter(|r| !r.4).map(|(k, _, _, n, _)| (k.to_account_id(), *n)))
		.collect();
	eprintln!("E = epoch {e} (workers started in epoch {})", info.epoch);

	// The lazy host is found out (in E+1 at least); nobody honest ever is.
	let lazy_events: Vec<(AccountId, u32, u32, u32)> = all
		.iter()
		.filter_map(|ev| match ev {
			RuntimeEvent::Sprint(SprintEvent::ValidatorLazy {
				epoch,
				host,
				validator,
				seats,
				shared,
				disagreements,
			}) => {
				assert_eq!(validator, &lazy, "only the lazy worker is reported lazy");
				(*epoch == e + 1).then(|| (host.clone(), *seats, *shared, *disagreements))
			},
			_ => None,
		})
		.collect();
	assert!(!lazy_events.is_empty(), "the lazy validator is reported in E+1");
	for (host, seats, shared, disagreements) in &lazy_events {
		assert!(
			seats > &0 && disagreements <= shared && *disagreements > 2,
			"{host}: {seats} {shared} {disagreements}"
		);
	}
	let checks: u32 = lazy_events.iter().map(|(_, _, shared, _)| shared).sum();
	eprintln!(
		"lazy validator found on {} hosts, {checks} shared positions checked: {lazy_events:?}",
		lazy_events.len()
	);

	// Paid less per unit of weight than every honest host; honest hosts pay no penalty.
	let rewarded = |who: &AccountId| {
		all.iter().find_map(|ev| match ev {
			RuntimeEvent::Issuance(pallet_issuance::Event::HostRewarded {
				epoch,
				host,
				weight,
				amount,
				penalty,
			}) if *epoch == e + 1 && host == who => Some((*weight, *amount, *penalty)),
			_ => None,
		})
	};
	let (lw, la, lp) =
		rewarded(&lazy).ok_or("the lazy host (accepted: its hits are real) is paid")?;
	assert!(lp > 0, "the lazy host pays a penalty");
	let mut paid = 0;
	for (host, name) in &honest {
		match rewarded(host) {
			Some((w, a, p)) => {
				assert_eq!(p, 0, "{name}: no penalty");
				assert!(
					la * (w as u128) < a * (lw as u128),
					"{name}: the lazy host earns less per unit of weight ({la}/{lw} vs {a}/{w})"
				);
				paid += 1;
			},
			// The lazy validator's seats on a host count for neither side: where it held more
			// than a third of them, too few `Valid` seats are left to accept (a minority withholds
			// acceptance, PROTOCOL §6); the host keeps its weight, is not slashed, is not paid.
			None => assert!(
				all.iter().any(|ev| matches!(ev,
					RuntimeEvent::Sprint(SprintEvent::HostNotAccepted { epoch, host: h, invalid: 0, missed, .. })
						if *epoch == e + 1 && h == host && *missed > 0))
					&& lazy_events.iter().any(|(h, ..)| h == host),
				"{name}: neither paid nor left unaccepted by the lazy validator's missed seats"
			),
		}
	}
	assert!(paid >= 3, "most honest hosts are paid in E+1 ({paid} of 5)");
	eprintln!("lazy host: weight {lw}, paid {la}, penalty {lp}");
	Ok(())
}
