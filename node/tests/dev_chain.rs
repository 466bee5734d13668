//! End-to-end: the real `gonka-node --dev` on free ports, driven over real RPC by the worker's
//! chain client with real signed extrinsics.

mod common;

use common::DevNode;
use gonka_runtime::{RuntimeCall, RuntimeEvent, EXISTENTIAL_DEPOSIT, GNK};
use gonka_worker::chain::{Call, ChainClient, ChainError, DispatchErrorInfo, WaitFor};
use polkadot_sdk::{
	pallet_balances, pallet_session,
	sp_core::{sr25519, Pair},
	sp_keyring::Sr25519Keyring,
};
use std::time::Duration;

/// The whole scenario must finish well within this; a hang fails the test instead of CI.
const TEST_BUDGET: Duration = Duration::from_secs(300);

#[tokio::test(flavor = "multi_thread")]
async fn dev_chain_end_to_end() {
	let node = DevNode::start();
	let outcome = tokio::time::timeout(TEST_BUDGET, scenario(&node)).await;
	match outcome {
		Ok(Ok(())) => {},
		Ok(Err(e)) => {
			panic!("{e}\n--- node log ({}) ---\n{}", node.log_path.display(), node.log_tail())
		},
		Err(_) => panic!(
			"end-to-end scenario did not finish in {TEST_BUDGET:?}\n--- node log ---\n{}",
			node.log_tail()
		),
	}
}

async fn scenario(node: &DevNode) -> Result<(), String> {
	let client = node.connect().await?;

	// 1. Five finalized blocks.
	node.wait_finalized(&client, 5).await?;

	// 1b. The sprint pallet through its runtime API and a real commitment (the Commit window of
	// epoch 0 opens at block 11, so this runs first).
	sprint_scenario(&client).await?;

	// 2. Properties and a runtime constant, through the runtime's types.
	let props = client.properties().await.map_err(|e| e.to_string())?;
	assert_eq!(props.token_symbol, "GNK");
	assert_eq!(props.token_decimals, 9);
	let ed: gonka_runtime::Balance =
		client.constant("Balances", "ExistentialDeposit").await.map_err(|e| e.to_string())?;
	assert_eq!(ed, EXISTENTIAL_DEPOSIT);
	assert_eq!(client.runtime_version(None).await.map_err(|e| e.to_string())?.spec_name, "gonka");

	// 3. A transfer signed by //Alice to a fresh account: included, finalized, event seen.
	let alice = Sr25519Keyring::Alice.pair();
	let dest_pair = sr25519::Pair::from_string("//GonkaEndToEnd", None).expect("valid URI");
	let dest: gonka_runtime::AccountId = dest_pair.public().into();
	let amount = 5 * GNK;
	let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: dest.clone().into(),
		value: amount,
	});
	let included = client
		.sign_and_submit(&alice, Call::encoded(&transfer), WaitFor::Finalized)
		.await
		.map_err(|e| format!("transfer failed: {e}"))?;
	let saw_transfer =
		included.events.iter().filter_map(|e| e.decode_as::<RuntimeEvent>().ok()).any(|e| {
			matches!(&e, RuntimeEvent::Balances(pallet_balances::Event::Transfer { from, to, amount: a })
			if *from == Sr25519Keyring::Alice.to_account_id() && *to == dest && *a == amount)
		});
	assert!(saw_transfer, "no Balances::Transfer event among {:?}", included.events);
	let dest_account = client.account(&dest).await.map_err(|e| e.to_string())?;
	assert_eq!(dest_account.data.free, amount);

	// 4. A transfer of more than the balance: included, failed, decoded by name; nothing moved.
	let alice_before = client.account(&Sr25519Keyring::Alice.to_account_id()).await.unwrap();
	let overdraft = RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death {
		dest: dest.clone().into(),
		value: alice_before.data.free * 10,
	});
	let (err, info) = expect_dispatch_error(&client, &alice, overdraft, WaitFor::Finalized).await;
	// pallet-balances reports an overdraft through the fungible traits' token error.
	assert_eq!(info.qualified_name(), "Token::FundsUnavailable", "{err}");
	assert!(err.to_string().contains("Token::FundsUnavailable"), "{err}");
	assert_eq!(client.account(&dest).await.unwrap().data.free, amount, "nothing may move");
	let alice_after = client.account(&Sr25519Keyring::Alice.to_account_id()).await.unwrap();
	assert!(alice_after.data.free < alice_before.data.free, "the failed call still pays its fee");
	assert!(alice_before.data.free - alice_after.data.free < GNK / 100, "only the fee is charged");

	// 5. A pallet error, named from the metadata with its docs: Bob has no session keys.
	let bob = Sr25519Keyring::Bob.pair();
	let purge = RuntimeCall::Session(pallet_session::Call::purge_keys {});
	let (err, info) = expect_dispatch_error(&client, &bob, purge, WaitFor::InBlock).await;
	assert_eq!(info.qualified_name(), "Session::NoKeys", "{err}");
	assert!(!info.docs.is_empty(), "docs come from the metadata: {info:?}");

	// 6. Random bytes: the node refuses them with an RPC error, and keeps producing blocks.
	let before = client.finalized_number().await.map_err(|e| e.to_string())?;
	let garbage: Vec<u8> = (0u8..97).map(|i| i.wrapping_mul(151).wrapping_add(7)).collect();
	match client.submit_and_watch(&garbage, WaitFor::InBlock).await {
		Err(ChainError::Rejected { code, message, .. }) => {
			assert!(code != 0 && !message.is_empty(), "{code} {message}");
		},
		other => panic!("random bytes must be rejected by the node, got {other:?}"),
	}
	node.wait_finalized(&client, before + 3).await?;
	assert!(client.is_connected());

	// 7. A fresh connection sees the same chain (the first one was not special).
	let again = ChainClient::connect(&node.rpc_url).await.map_err(|e| e.to_string())?;
	assert_eq!(again.genesis_hash(), client.genesis_hash());
	Ok(())
}

/// The dev chain runs epochs: `SprintApi` reports the clock, the bootstrap hosts and the seed;
/// Dave, Alice's worker key, commits in the Commit window; bad commits fail by name.
async fn sprint_scenario(client: &ChainClient) -> Result<(), String> {
	type Info = pallet_sprint::EpochInfo<u32>;
	let api = |m: &'static str| format!("SprintApi_{m}");
	let info: Info =
		client.runtime_api(&api("epoch_info"), (), None).await.map_err(|e| e.to_string())?;
	assert_eq!(info.start, 1, "epoch 0 starts at block 1: {info:?}");
	assert_eq!(info.next_epoch_start - info.start, 60, "dev epochs are 60 blocks: {info:?}");
	let hosts: Vec<(
		gonka_runtime::AccountId,
		pallet_sprint::HostInfo<gonka_runtime::AccountId, gonka_runtime::Balance>,
	)> = client.runtime_api(&api("hosts"), (), None).await.map_err(|e| e.to_string())?;
	assert_eq!(hosts.len(), 3, "three bootstrap hosts");
	let alice = Sr25519Keyring::Alice.to_account_id();
	let dave = Sr25519Keyring::Dave.to_account_id();
	let host: Option<gonka_runtime::AccountId> =
		client.runtime_api(&api("host_of_worker"), &dave, None).await.map_err(|e| e.to_string())?;
	assert_eq!(host.as_ref(), Some(&alice), "Dave signs for Alice");
	let seed: Option<[u8; 32]> = client
		.runtime_api(&api("epoch_seed"), info.epoch, None)
		.await
		.map_err(|e| e.to_string())?;
	assert!(seed.is_some_and(|s| s != [0; 32]), "epoch {} has a seed", info.epoch);

	// Wait for a Commit window (epoch 0's, or the next one's if the node was slow to start).
	let deadline = std::time::Instant::now() + Duration::from_secs(120);
	let info = loop {
		let info: Info =
			client.runtime_api(&api("epoch_info"), (), None).await.map_err(|e| e.to_string())?;
		// Leave at least two blocks of the window for inclusion.
		if info.phase == pallet_sprint::Phase::Commit && info.block + 2 < info.commit_end {
			break info;
		}
		if std::time::Instant::now() > deadline {
			return Err(format!("no Commit window within 120 s; last {info:?}"));
		}
		tokio::time::sleep(Duration::from_millis(200)).await;
	};
	let root = [0x5a; 32];
	let commit =
		|count| RuntimeCall::Sprint(pallet_sprint::Call::commit { epoch: info.epoch, root, count });
	let included = client
		.sign_and_submit(&Sr25519Keyring::Dave.pair(), Call::encoded(&commit(42)), WaitFor::InBlock)
		.await
		.map_err(|e| format!("commit failed: {e}"))?;
	assert!(
		included.events.iter().filter_map(|e| e.decode_as::<RuntimeEvent>().ok()).any(|e| matches!(&e,
			RuntimeEvent::Sprint(pallet_sprint::Event::Committed { host, count: 42, .. }) if *host == alice)),
		"no Sprint::Committed event among {:?}",
		included.events
	);
	let stored: Option<pallet_sprint::Commitment> = client
		.runtime_api(&api("commitment"), (info.epoch, &alice), None)
		.await
		.map_err(|e| e.to_string())?;
	assert_eq!(stored, Some(pallet_sprint::Commitment { root, count: 42 }));
	// Twice: refused by name. By the host account instead of its worker key: refused by name.
	let (err, e) =
		expect_dispatch_error(client, &Sr25519Keyring::Dave.pair(), commit(43), WaitFor::InBlock)
			.await;
	assert_eq!(e.qualified_name(), "Sprint::AlreadyCommitted", "{err}");
	let (err, e) =
		expect_dispatch_error(client, &Sr25519Keyring::Alice.pair(), commit(43), WaitFor::InBlock)
			.await;
	assert_eq!(e.qualified_name(), "Sprint::NotAWorkerKey", "{err}");
	// From here Alice signs nothing (her worker key Dave commits, the fee above was her last
	// payment), so her balance moves only by her reward.
	let alice_before = client.account(&alice).await.map_err(|e| e.to_string())?.data.free;

	// Validation: the sampling seed is fixed, Alice's 32 seats are held by Bob and Charlie (the
	// other two validators), Bob's worker key (Eve) sees the duty and votes valid.
	wait_phase(client, pallet_sprint::Phase::Validation, |now| now.block + 4 < now.reveal_start)
		.await?;
	let bob = Sr25519Keyring::Bob.to_account_id();
	let mut committee: Vec<gonka_runtime::AccountId> = client
		.runtime_api(&api("committee"), (info.epoch, &alice), None)
		.await
		.map_err(|e| e.to_string())?;
	committee.sort();
	let mut expected = vec![bob.clone(), Sr25519Keyring::Charlie.to_account_id()];
	expected.sort();
	assert_eq!(committee, expected, "Alice's committee");
	let duties: Vec<(gonka_runtime::AccountId, pallet_sprint::Commitment)> = client
		.runtime_api(&api("duties"), (info.epoch, &bob), None)
		.await
		.map_err(|e| e.to_string())?;
	assert_eq!(duties, vec![(alice.clone(), pallet_sprint::Commitment { root, count: 42 })]);
	let seats: Vec<(gonka_runtime::AccountId, u32)> = client
		.runtime_api(&api("seats"), (info.epoch, &alice), None)
		.await
		.map_err(|e| e.to_string())?;
	assert_eq!(seats.iter().map(|(_, n)| n).sum::<u32>(), 32, "{seats:?}");
	// Bob's worker key (Eve) and Charlie's (Ferdie) commit their verdicts as hashes. Count 42
	// is below the sample size: each samples every leaf, one check bit each (all agree here).
	let charlie = Sr25519Keyring::Charlie.to_account_id();
	let bits: pallet_sprint::CheckBits =
		vec![0u8; 42usize.div_ceil(8)].try_into().expect("within MAX_CHECK_BYTES");
	let reveal = |validator: &gonka_runtime::AccountId, salt: u8| {
		let reveal = pallet_sprint::VerdictReveal {
			host: alice.clone(),
			verdict: pallet_sprint::Verdict::Valid,
			bits: bits.clone(),
			salt: [salt; 32],
		};
		let message = pallet_sprint::sampling::verdict_commitment_message(
			info.epoch,
			&alice,
			validator,
			reveal.verdict,
			&reveal.bits,
			&reveal.salt,
		);
		use polkadot_sdk::sp_core::Hasher;
		(polkadot_sdk::sp_core::Blake2Hasher::hash(&message), reveal)
	};
	let mut reveals = Vec::new();
	for (validator, key, salt) in
		[(&bob, Sr25519Keyring::Eve, 1u8), (&charlie, Sr25519Keyring::Ferdie, 2u8)]
	{
		let (hash, r) = reveal(validator, salt);
		let call = RuntimeCall::Sprint(pallet_sprint::Call::commit_verdicts {
			epoch: info.epoch,
			commitments: vec![(alice.clone(), hash)].try_into().expect("within MaxVerdictBatch"),
		});
		client
			.sign_and_submit(&key.pair(), Call::encoded(&call), WaitFor::InBlock)
			.await
			.map_err(|e| format!("commit_verdicts failed: {e}"))?;
		let status: (Option<[u8; 32]>, bool) = client
			.runtime_api(&api("verdict_status"), (info.epoch, &alice, validator), None)
			.await
			.map_err(|e| e.to_string())?;
		assert_eq!(status, (Some(hash.0), false), "committed, not revealed");
		reveals.push((key, validator.clone(), r));
	}
	// A reveal before the Reveal phase is refused by name.
	let early = RuntimeCall::Sprint(pallet_sprint::Call::reveal_verdicts {
		epoch: info.epoch,
		reveals: vec![reveals[0].2.clone()].try_into().expect("within MaxVerdictBatch"),
	});
	let (err, e) =
		expect_dispatch_error(client, &Sr25519Keyring::Eve.pair(), early, WaitFor::InBlock).await;
	assert_eq!(e.qualified_name(), "Sprint::NotRevealWindow", "{err}");
	// Reveal: both open their commitments.
	wait_phase(client, pallet_sprint::Phase::Reveal, |now| now.block + 2 < now.settlement_start)
		.await?;
	for (key, validator, r) in reveals {
		let call = RuntimeCall::Sprint(pallet_sprint::Call::reveal_verdicts {
			epoch: info.epoch,
			reveals: vec![r].try_into().expect("within MaxVerdictBatch"),
		});
		client
			.sign_and_submit(&key.pair(), Call::encoded(&call), WaitFor::InBlock)
			.await
			.map_err(|e| format!("reveal_verdicts failed: {e}"))?;
		let status: (Option<[u8; 32]>, bool) = client
			.runtime_api(&api("verdict_status"), (info.epoch, &alice, &validator), None)
			.await
			.map_err(|e| e.to_string())?;
		assert!(status.1, "revealed");
	}

	// Settlement: Alice is accepted with her count as next epoch's weight; Bob and Charlie
	// did not commit and keep their last weight (their first such epoch, PROTOCOL §7).
	let deadline = std::time::Instant::now() + Duration::from_secs(90);
	let next = info.epoch + 1;
	loop {
		let w: u64 = client
			.runtime_api(&api("weight"), (next, &alice), None)
			.await
			.map_err(|e| e.to_string())?;
		if w == 42 {
			break;
		}
		if std::time::Instant::now() > deadline {
			return Err(format!("Alice not accepted within 90 s (weight {w})"));
		}
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
	let tally: pallet_sprint::Tally = client
		.runtime_api(&api("tally"), (info.epoch, &alice), None)
		.await
		.map_err(|e| e.to_string())?;
	assert_eq!(
		tally,
		pallet_sprint::Tally { valid: 32, invalid: 0, unreachable: 0, votes: 2, missed: 0 },
		"two votes, counted once per seat"
	);
	let bob_next: u64 =
		client.runtime_api(&api("weight"), (next, &bob), None).await.map_err(|e| e.to_string())?;
	assert_eq!(bob_next, 1_000, "Bob did not commit: he keeps his last weight");

	// Payout (PROTOCOL §8): the epoch mints R0 = 310,000 GNK; Alice is paid R0 · 42 / D with
	// D = 42 + 1,000 + 1,000 (Bob and Charlie, silent, count at their last weight); the rest
	// goes to the treasury. `IssuanceApi` reports it.
	let r0 = 310_000 * GNK;
	loop {
		let minted: u128 = client
			.runtime_api("IssuanceApi_total_minted", (), None)
			.await
			.map_err(|e| e.to_string())?;
		if minted == r0 {
			break;
		}
		assert_eq!(minted, 0, "an epoch mints all of R0 or nothing");
		if std::time::Instant::now() > deadline {
			return Err("epoch 0 not paid within 90 s".into());
		}
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
	let alice_after = client.account(&alice).await.map_err(|e| e.to_string())?.data.free;
	assert_eq!(alice_after - alice_before, r0 * 42 / 2_042, "Alice's reward");
	let cap_left: u128 =
		client.runtime_api("IssuanceApi_cap_left", (), None).await.map_err(|e| e.to_string())?;
	assert_eq!(cap_left, 680_000_000 * GNK - r0);
	let reward: u128 = client
		.runtime_api("IssuanceApi_epoch_reward", (next,), None)
		.await
		.map_err(|e| e.to_string())?;
	assert_eq!(reward, r0, "no halving before epoch 1,461");
	Ok(())
}

/// Waits at most 60 s for a block in `phase` where `room` holds (enough of the phase is left).
async fn wait_phase(
	client: &ChainClient,
	phase: pallet_sprint::Phase,
	room: impl Fn(&pallet_sprint::EpochInfo<u32>) -> bool,
) -> Result<(), String> {
	let deadline = std::time::Instant::now() + Duration::from_secs(60);
	loop {
		let now: pallet_sprint::EpochInfo<u32> = client
			.runtime_api("SprintApi_epoch_info", (), None)
			.await
			.map_err(|e| e.to_string())?;
		if now.phase == phase && room(&now) {
			return Ok(());
		}
		if std::time::Instant::now() > deadline {
			return Err(format!("no {phase:?} phase within 60 s; last {now:?}"));
		}
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
}

/// Submits `call`, which must be included and fail; returns the error and its decoded name.
async fn expect_dispatch_error(
	client: &ChainClient,
	signer: &sr25519::Pair,
	call: RuntimeCall,
	wait: WaitFor,
) -> (ChainError, DispatchErrorInfo) {
	let err = match client.sign_and_submit(signer, Call::encoded(&call), wait).await {
		Ok(included) => panic!("the call must fail, but it succeeded: {:?}", included.events),
		Err(err) => err,
	};
	let info =
		err.dispatch_error().cloned().unwrap_or_else(|| panic!("not a dispatch error: {err}"));
	(err, info)
}
