// Makes the state the migration tier upgrades (runtime/src/migration_tests.rs): a dev chain that
// ran epochs under the storage-version-0 runtime (protocol v1, commit 7b888aa), exported at a
// block in the middle of an epoch's Validation with v1 votes, committees, tallies, a payout made
// and a governance proposal open.
//
//   git show 7b888aa:chain-spec/dev-raw.json > /tmp/v0-dev-raw.json
//   node e2e/polkadot-js/v0-state.mjs /tmp/v0-dev-raw.json runtime/tests/data
//
// The chain runs on today's `gonka-node` (the runtime is the WASM
// in the spec). Everything is sent as v1 extrinsics from metadata, as Polkadot.js apps would:
//
//   epoch 0  Alice and Bob's workers (Dave, Eve) commit; every worker votes Valid on the hosts it
//            has duties on; settlement pays Alice and Bob;
//            a fourth host registers (v1: no worker-key proof);
//   epoch 1  the same commits and votes; Alice proposes a remark, Bob votes aye;
//            the state is exported (v0-dev-state.json); then again at the block where v1 judged
//            epoch 1 and left its payout to the next block (v0-dev-state-payout.json).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';

import { freePort, sleep } from './net.mjs';

const [spec, out] = process.argv.slice(2);
assert.ok(spec && out, 'usage: node v0-state.mjs <v0 raw chain spec> <output directory>');
const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/gonka/target');
const NODE_BIN = process.env.GONKA_NODE_BIN ?? join(target, 'testnet/gonka-node');


const dir = mkdtempSync(join(tmpdir(), 'gonka-v0-state-'));
const rpcPort = await freePort();
const node = spawn(
  NODE_BIN,
  [
    '--dev', '--chain', spec, '--dev-block-time', '1000', '--no-prometheus', '--no-telemetry',
    '--no-hardware-benchmarks', '--no-mdns', '--rpc-port', String(rpcPort),
    '--port', String(await freePort()), '--base-path', join(dir, 'node'),
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
process.on('exit', () => node.kill('SIGKILL'));

let api;
for (let i = 0; ; i++) {
  try {
    api = await ApiPromise.create({
      provider: new WsProvider(`ws://127.0.0.1:${rpcPort}`, 1000),
      noInitWarn: true,
      throwOnConnect: true,
    });
    break;
  } catch (e) {
    if (i > 120) throw e;
    await sleep(1000);
  }
}
await cryptoWaitReady();
const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
const key = (uri) => keyring.addFromUri(uri);
const version = api.runtimeVersion.specVersion.toNumber();
assert.ok(api.tx.sprint.submitVerdicts, 'the spec runs the v1 runtime (sprint.submit_verdicts)');
console.error(`v1 runtime, spec_version ${version}`);

function send(tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, dispatchError }) => {
      if (dispatchError) {
        const m = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
        reject(new Error(m ? `${m.section}.${m.name}` : dispatchError.toString()));
      } else if (status.isInBlock || status.isFinalized) {
        resolve();
      }
    }).catch(reject);
  });
}

async function info() {
  return api.call.sprintApi.epochInfo();
}

async function waitPhase(epoch, phase) {
  for (;;) {
    const i = await info();
    if (i.epoch.toNumber() > epoch || (i.epoch.toNumber() === epoch && i.phase.type === phase)) {
      return i;
    }
    await sleep(500);
  }
}

const hosts = [
  ['//Alice', '//Dave'],
  ['//Bob', '//Eve'],
  ['//Charlie', '//Ferdie'],
];

async function commitAndVote(epoch) {
  await waitPhase(epoch, 'Commit');
  for (const [i, [, worker]] of hosts.slice(0, 2).entries()) {
    const root = '0x' + String(epoch * 16 + i + 1).padStart(2, '0').repeat(32);
    await send(api.tx.sprint.commit(epoch, root, 1000 + 100 * i), key(worker));
  }
  await waitPhase(epoch, 'Validation');
  let votes = 0;
  for (const [host, worker] of hosts) {
    const duties = await api.call.sprintApi.duties(epoch, key(host).address);
    const verdicts = duties.map(([h]) => [h, 'Valid']);
    if (verdicts.length === 0) continue;
    await send(api.tx.sprint.submitVerdicts(epoch, verdicts), key(worker));
    votes += verdicts.length;
  }
  console.error(`epoch ${epoch}: 2 commitments, ${votes} verdicts`);
}

await commitAndVote(0);
// A host registered under v1 (no key proof), funded by Alice.
const newcomer = key('//Gonka//v0-host');
await send(api.tx.balances.transferKeepAlive(newcomer.address, 10_000n * 10n ** 9n), key('//Alice'));
await send(
  api.tx.sprint.registerHost('http://127.0.0.1:8104', key('//Gonka//v0-host//worker').address),
  newcomer,
);
await commitAndVote(1);
await send(api.tx.governance.propose({ Inline: api.tx.system.remark('0x76302d7374617465').method.toHex() }), key('//Alice'));
await send(api.tx.governance.vote(0, 'Aye'), key('//Bob'));

const rpc = (method, params) => api._rpcCore.provider.send(method, params);

/// Every key but `:code` at block `hash` (the test runs the new runtime natively).
async function exportState(hash, file, about) {
  const header = await api.rpc.chain.getHeader(hash);
  const pairs = [];
  let start = null;
  for (;;) {
    const keys = await rpc('state_getKeysPaged', ['0x', 1000, start, hash.toHex()]);
    if (keys.length === 0) break;
    for (const k of keys) {
      if (k !== '0x3a636f6465') pairs.push([k, await rpc('state_getStorage', [k, hash.toHex()])]);
    }
    start = keys[keys.length - 1];
  }
  const at = await api.at(hash);
  const snapshot = {
    about: `${about} Made by e2e/polkadot-js/v0-state.mjs from a dev chain under the ` +
      'storage-version-0 runtime (protocol v1, commit 7b888aa); every key but :code.',
    specVersion: version,
    block: header.number.toNumber(),
    hash: hash.toHex(),
    epoch: (await at.call.sprintApi.epochInfo()).toJSON(),
    payoutCursor: (await at.query.sprint.payoutCursor()).toJSON(),
    pairs,
  };
  writeFileSync(file, JSON.stringify(snapshot, null, 1) + '\n');
  console.error(`block ${snapshot.block}: ${pairs.length} keys written to ${file}`);
}

await exportState(
  await api.rpc.chain.getBlockHash(),
  join(out, 'v0-dev-state.json'),
  "Epoch 1's Validation: v1 votes cast, a proposal open.",
);
// The block where v1 judged epoch 1 and left its payout to the next block.
const settlement = (await waitPhase(1, 'Settlement')).settlementStart.toNumber();
await waitPhase(2, 'Sprint');
for (let n = settlement; ; n++) {
  assert.ok(n < settlement + 5, 'no block with a payout under way');
  const hash = await api.rpc.chain.getBlockHash(n);
  if ((await (await api.at(hash)).query.sprint.payoutCursor()).isSome) {
    await exportState(hash, join(out, 'v0-dev-state-payout.json'), "Epoch 1 judged, its payout under way.");
    break;
  }
}
await api.disconnect();
node.kill('SIGINT');
process.exit(0);
