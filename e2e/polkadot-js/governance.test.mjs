// Governance from a real client: @polkadot/api (the library behind Polkadot.js apps) against a
// real `gonka-node --dev`, with no custom type definitions — everything comes from the node's
// metadata, as it does for apps.
//
//   1. metadata and properties: GNK, 9 decimals, the governance pallet, its runtime API;
//   2. a runtime upgrade: Alice proposes `system.authorize_upgrade(hash)` of a runtime with a
//      higher spec_version; Alice, Bob and Charlie's worker key (Ferdie) vote aye; it is decided
//      and enacted as Root; Dave submits `system.apply_authorized_upgrade(code)`; the node runs
//      the new runtime and keeps producing blocks;
//   3. the same vote on `sprint.set_params` with a new sample size; the new value is read back
//      (pending at once, in force from the next epoch).
//
// Both proposals open in epoch 0, whose weights genesis sets: with no workers running, the
// bootstrap hosts are silent and have no weight from epoch 1 on.
//
// Run by `scripts/test` (tier e2e) after `scripts/build`; `GONKA_NODE_BIN` and
// `GONKA_UPGRADE_WASM` point at the binaries (defaults: the testnet profile in
// $CARGO_TARGET_DIR, else ~/.cache/gonka/target).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { blake2AsHex, cryptoWaitReady } from '@polkadot/util-crypto';

import { freePort, sleep } from './net.mjs';

const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/gonka/target');
const NODE_BIN = process.env.GONKA_NODE_BIN ?? join(target, 'testnet/gonka-node');
const UPGRADE_WASM =
  process.env.GONKA_UPGRADE_WASM ??
  join(target, 'testnet/wbuild/gonka-runtime/wasm_binary_upgrade_test.rs.compact.compressed.wasm');

let node;
let dir;
let rpcPort;
let api;
let keyring;
const logs = [];



/// Resolves once something accepts TCP connections on `port` (the node's RPC server is up).
function portOpen(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function connect(port, deadline) {
  while (!(await portOpen(port))) {
    if (node.exitCode !== null) throw new Error(`gonka-node exited with ${node.exitCode}`);
    if (Date.now() > deadline) throw new Error(`gonka-node RPC on port ${port} did not open`);
    await sleep(500);
  }
  const provider = new WsProvider(`ws://127.0.0.1:${port}`);
  const api = new ApiPromise({ provider, noInitWarn: true });
  await api.isReadyOrError;
  return api;
}

/// Signs and sends `tx`, resolving with its events once in a block (the first of `InBlock` and
/// `Finalized`); rejects with the decoded module error if it failed.
function send(tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        if (dispatchError.isModule) {
          const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
          reject(new Error(`${section}.${name}: ${docs.join(' ')}`));
        } else {
          reject(new Error(dispatchError.toString()));
        }
      } else if (status.isInBlock || status.isFinalized) {
        // The dev node seals and finalizes at once: some subscriptions see only `Finalized`.
        resolve(events.map(({ event }) => event));
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        reject(new Error(`transaction ${status.type}`));
      }
    }).catch(reject);
  });
}

/// Resolves with the first event matching `pred` in a new block, within `blocks` blocks.
function waitEvent(pred, blocks) {
  return new Promise((resolve, reject) => {
    let seen = 0;
    let unsub;
    api.query.system
      .events((records) => {
        for (const { event } of records) {
          if (pred(event)) {
            unsub?.();
            resolve(event);
            return;
          }
        }
        if (++seen > blocks) {
          unsub?.();
          reject(new Error(`no matching event in ${blocks} blocks`));
        }
      })
      .then((u) => {
        unsub = u;
      });
  });
}

async function bestNumber() {
  return (await api.rpc.chain.getHeader()).number.toNumber();
}

async function waitBlock(n) {
  while ((await bestNumber()) < n) await sleep(500);
}

/// Opens a proposal of `call` by Alice, has Alice, Bob and Ferdie (Charlie's worker key) vote
/// aye, and resolves with the `Enacted` event's result.
async function pass(call) {
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');
  const ferdie = keyring.addFromUri('//Ferdie');
  const encoded = call.method.toHex();
  assert.ok((encoded.length - 2) / 2 <= 128, 'the call fits inline');
  const events = await send(api.tx.governance.propose({ Inline: encoded }), alice);
  const proposed = events.find((e) => api.events.governance.Proposed.is(e));
  assert.ok(proposed, 'governance.Proposed emitted');
  // The transaction fee goes to the treasury (the `issuance.treasury` constant).
  const treasury = api.consts.issuance.treasury.toString();
  const fee = events.find((e) => api.events.transactionPayment.TransactionFeePaid.is(e));
  const deposit = events.find(
    (e) => api.events.balances.Deposit.is(e) && e.data.who.toString() === treasury,
  );
  assert.ok(fee && deposit, 'the fee is paid and deposited into the treasury');
  assert.ok(fee.data.actualFee.gtn(0), 'a signed transaction pays a fee');
  assert.equal(deposit.data.amount.toString(), fee.data.actualFee.toString());
  const index = proposed.data.index.toNumber();
  const end = proposed.data.end.toNumber();
  assert.equal(proposed.data.callHash.toHex(), blake2AsHex(encoded, 256));

  const decided = waitEvent(
    (e) => api.events.governance.Decided.is(e) && e.data.index.toNumber() === index,
    end - (await bestNumber()) + 10,
  );
  const enacted = waitEvent(
    (e) => api.events.governance.Enacted.is(e) && e.data.index.toNumber() === index,
    end - (await bestNumber()) + 10,
  );
  await Promise.all([
    send(api.tx.governance.vote(index, 'Aye'), alice),
    send(api.tx.governance.vote(index, 'Aye'), bob),
    send(api.tx.governance.vote(index, 'Aye'), ferdie),
  ]);

  // What Polkadot.js apps shows: the proposal and its tally, in storage and from the runtime API.
  const stored = (await api.query.governance.proposals(index)).unwrap();
  assert.equal(stored.tally.voters.toNumber(), 3);
  assert.equal(stored.tally.ayes.toNumber(), 2700, '3 hosts of 1,000, each capped at 30 % of 3,000');
  const listed = await api.call.governanceApi.proposals();
  const mine = listed.find((p) => p.index.toNumber() === index);
  assert.ok(mine, 'GovernanceApi.proposals lists it');
  assert.equal(mine.outcomeNow.type, 'Approved');
  const power = await api.call.governanceApi.votingPower(ferdie.address, index);
  assert.equal(power.unwrap().host.toString(), keyring.addFromUri('//Charlie').address);
  assert.equal(power.unwrap().vote.unwrap().type, 'Aye');

  const d = await decided;
  assert.equal(d.data.outcome.type, 'Approved');
  const e = await enacted;
  return e.data.result;
}

before(async () => {
  assert.ok(existsSync(NODE_BIN), `gonka-node is not built at ${NODE_BIN}: run scripts/build`);
  await cryptoWaitReady();
  keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  dir = mkdtempSync(join(tmpdir(), 'gonka-e2e-js-'));
  rpcPort = await freePort();
  const args = [
    '--dev', '--dev-block-time', '1000', '--no-prometheus', '--no-telemetry',
    '--no-hardware-benchmarks', '--no-mdns', '--rpc-port', String(rpcPort),
    '--port', String(await freePort()), '--base-path', join(dir, 'node'),
    // Room for a whole runtime in one extrinsic.
    '--rpc-max-request-size', '32',
  ];
  const log = createWriteStream(join(dir, 'node.log'));
  node = spawn(NODE_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [node.stdout, node.stderr]) {
    s.on('data', (d) => {
      log.write(d);
      logs.push(d.toString());
      if (logs.length > 200) logs.shift();
    });
  }
  api = await connect(rpcPort, Date.now() + 180_000);
});

after(async () => {
  await api?.disconnect().catch(() => {});
  node?.kill('SIGINT');
  await sleep(500);
  node?.kill('SIGKILL');
  if (process.exitCode && dir) {
    console.error(`gonka-node log (last lines), kept in ${dir}:\n${logs.join('').slice(-4000)}`);
  } else if (dir) {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('metadata and properties need no custom types', async () => {
  const version = api.runtimeVersion;
  assert.equal(version.specName.toString(), 'gonka');
  assert.equal(version.specVersion.toNumber(), 3);
  const props = (await api.rpc.system.properties()).toHuman();
  assert.equal(props.tokenSymbol[0], 'GNK');
  assert.equal(String(props.tokenDecimals[0]), '9');
  assert.equal(api.registry.chainDecimals[0], 9);
  assert.ok(api.tx.governance.propose && api.tx.governance.vote, 'governance calls');
  assert.ok(api.query.governance.proposals && api.query.governance.params, 'governance storage');
  assert.equal(api.consts.governance.maxProposals.toNumber(), 32);
  assert.ok(api.call.governanceApi?.proposals, 'GovernanceApi in the metadata');
  assert.equal(api.tx.sudo, undefined, 'no sudo');
  const params = (await api.query.governance.params()).toJSON();
  assert.equal(params.votingPeriod, 20);
  assert.equal(BigInt(params.proposalDeposit), 500n * 10n ** 9n);
  const power = await api.call.governanceApi.votingPower(keyring.addFromUri('//Alice').address, null);
  assert.equal(power.unwrap().power.toNumber(), 900);
});

test('a proposal upgrades the runtime', async () => {
  assert.ok(existsSync(UPGRADE_WASM), `the upgrade-test runtime is not built at ${UPGRADE_WASM}`);
  const code = readFileSync(UPGRADE_WASM);
  const codeHash = blake2AsHex(code, 256);
  const result = await pass(api.tx.system.authorizeUpgrade(codeHash));
  assert.ok(result.isOk, `authorize_upgrade failed: ${result.toString()}`);
  const authorized = (await api.query.system.authorizedUpgrade()).unwrap();
  assert.equal(authorized.codeHash.toHex(), codeHash);

  const dave = keyring.addFromUri('//Dave');
  const events = await send(api.tx.system.applyAuthorizedUpgrade(`0x${code.toString('hex')}`), dave);
  assert.ok(
    events.some((e) => api.events.parachainSystem.ValidationFunctionStored.is(e)),
    'the new code is stored for the relay chain (here: the dev node) to accept',
  );
  // The dev node gives the go-ahead; the new runtime runs a block or two later.
  const deadline = Date.now() + 60_000;
  let spec = 3;
  while (spec !== 4 && Date.now() < deadline) {
    await sleep(1000);
    spec = (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber();
  }
  assert.equal(spec, 4, 'the node runs the upgraded runtime');
  // The block after the one that set the code is the first to run it (and notes the upgrade).
  await waitBlock((await bestNumber()) + 2);
  // A client that connects now (as apps does after a reload) sees the new runtime. The connection
  // that lived through the upgrade is replaced: @polkadot/api 16 swaps its metadata mid-stream and
  // a query racing the swap may decode with the old type registry.
  await api.disconnect();
  api = await connect(rpcPort, Date.now() + 60_000);
  assert.equal(api.runtimeVersion.specVersion.toNumber(), 4);
  const last = (await api.query.system.lastRuntimeUpgrade()).unwrap();
  assert.equal(last.specVersion.toNumber(), 4);
  assert.equal(last.specName.toString(), 'gonka');
  // Blocks go on under the new runtime.
  const n = await bestNumber();
  await waitBlock(n + 3);
});

test('a proposal changes a sprint parameter', async () => {
  const before = (await api.query.sprint.params()).toJSON();
  const wanted = { ...before, sampleSize: before.sampleSize === 100 ? 120 : 100 };
  const result = await pass(api.tx.sprint.setParams(wanted));
  assert.ok(result.isOk, `the call failed: ${result.toString()}`);
  assert.deepEqual((await api.query.sprint.pendingParams()).unwrap().toJSON(), wanted);
  // In force from the next epoch.
  const info = await api.call.sprintApi.epochInfo();
  await waitBlock(info.nextEpochStart.toNumber());
  assert.deepEqual((await api.query.sprint.params()).toJSON(), wanted);
});
