//! Genesis presets (`sp_genesis_builder`): `development` (one collator, Alice) and
//! `local_testnet` (Alice and Bob), both endowing the well-known dev accounts.
//!
//! Both carry the sprint pallet's dev parameters (`PROTOCOL.md` §2: 60 one-second blocks per
//! epoch, the `tiny` model) and three bootstrap hosts — the first validator set: Alice, Bob and
//! Charlie, whose worker keys are Dave, Eve and Ferdie — and PROTOCOL §8's issuance
//! (`R0` 310,000 GNK per epoch, halving every 1,461 epochs, cap 680 M GNK), and governance with
//! PROTOCOL §9's rules but 20-block votes. The treasury account
//! starts with the existential deposit, so that any amount can be paid into it.

use crate::{
	configs::TreasuryAccount, AccountId, Balance, BalancesConfig, BlockNumber,
	CollatorSelectionConfig, GovernanceConfig, IssuanceConfig, ParachainInfoConfig,
	PolkadotXcmConfig, RuntimeGenesisConfig, SessionConfig, SessionKeys, SprintConfig,
	EXISTENTIAL_DEPOSIT, GNK,
};

use alloc::{vec, vec::Vec};

use polkadot_sdk::{staging_xcm as xcm, *};

use cumulus_primitives_core::ParaId;
use parachains_common::AuraId;
use serde_json::Value;
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;

/// The parachain id of the dev and local chains (and of the chain specs in `chain-spec/`).
pub const PARACHAIN_ID: u32 = 2000;

/// What each well-known dev account holds at genesis: one million GNK.
pub const DEV_ENDOWMENT: crate::Balance = 1_000_000 * GNK;

/// The bond a collator candidate reserves to join `CollatorSelection`.
pub const CANDIDACY_BOND: crate::Balance = 100 * GNK;

/// The default XCM version to set in genesis config.
const SAFE_XCM_VERSION: u32 = xcm::prelude::XCM_VERSION;

/// PROTOCOL §9's deposit to open a proposal: 500 GNK.
pub const PROPOSAL_DEPOSIT: Balance = 500 * GNK;

/// Governance on the dev and local chains: PROTOCOL §9's thresholds and deposit, with a vote of
/// 20 one-second blocks instead of two days, enacted at once.
pub fn dev_governance_params() -> pallet_governance::GovernanceParams<Balance, BlockNumber> {
	pallet_governance::GovernanceParams {
		voting_period: 20,
		enactment_delay: 0,
		proposal_deposit: PROPOSAL_DEPOSIT,
		..Default::default()
	}
}

/// The period bounds of the dev and local chains: their blocks are not 6 seconds, and their
/// votes last 20 blocks; the longest vote and enactment delay are PROTOCOL §11's in 6-second
/// blocks.
pub fn dev_period_limits() -> pallet_governance::PeriodLimits<BlockNumber> {
	pallet_governance::PeriodLimits { min_voting_period: 5, ..Default::default() }
}

/// The bond a host holds in the dev and local chains.
pub const DEV_HOST_BOND: Balance = 1_000 * GNK;

/// The genesis weight of each bootstrap host.
pub const DEV_HOST_WEIGHT: u64 = 1_000;

/// The sprint parameters of the dev and local chains: epochs of 60 blocks — the seed block,
/// Sprint 10, Commit 5, a seed gap of at least one block, Validation 20, Reveal 6, settlement in
/// the remaining 17 or fewer — 32 seats per host and the `tiny` model.
pub fn dev_sprint_params() -> pallet_sprint::SprintParams<Balance> {
	pallet_sprint::SprintParams {
		epoch_length: 60,
		sprint_length: 10,
		commit_grace: 5,
		validation_length: 20,
		reveal_length: 6,
		model: gonka_primitives::ModelConfig::tiny(),
		host_bond: DEV_HOST_BOND,
		..Default::default()
	}
}

/// The bootstrap hosts: `(host, worker key, endpoint)`.
pub fn dev_hosts() -> Vec<(Sr25519Keyring, Sr25519Keyring, &'static str)> {
	vec![
		(Sr25519Keyring::Alice, Sr25519Keyring::Dave, "http://127.0.0.1:8101"),
		(Sr25519Keyring::Bob, Sr25519Keyring::Eve, "http://127.0.0.1:8102"),
		(Sr25519Keyring::Charlie, Sr25519Keyring::Ferdie, "http://127.0.0.1:8103"),
	]
}

/// The session keys of a collator from its Aura key.
pub fn session_keys(aura: AuraId) -> SessionKeys {
	SessionKeys { aura }
}

/// `dev_seeds`: the chain has no real relay chain (`--dev`), so the sprint pallet's seeds fall
/// back to the parent hash (PROTOCOL §3).
fn testnet_genesis(
	invulnerables: Vec<(AccountId, AuraId)>,
	endowed_accounts: Vec<AccountId>,
	id: ParaId,
	dev_seeds: bool,
) -> Value {
	let config = RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.into_iter()
				.map(|k| (k, DEV_ENDOWMENT))
				.chain([(TreasuryAccount::get(), EXISTENTIAL_DEPOSIT)])
				.collect(),
			..Default::default()
		},
		parachain_info: ParachainInfoConfig { parachain_id: id, ..Default::default() },
		collator_selection: CollatorSelectionConfig {
			invulnerables: invulnerables.iter().map(|(acc, _)| acc.clone()).collect(),
			candidacy_bond: CANDIDACY_BOND,
			..Default::default()
		},
		session: SessionConfig {
			keys: invulnerables
				.into_iter()
				.map(|(acc, aura)| (acc.clone(), acc, session_keys(aura)))
				.collect(),
			..Default::default()
		},
		polkadot_xcm: PolkadotXcmConfig {
			safe_xcm_version: Some(SAFE_XCM_VERSION),
			..Default::default()
		},
		sprint: SprintConfig {
			params: dev_sprint_params(),
			hosts: dev_hosts()
				.into_iter()
				.map(|(host, worker, endpoint)| {
					(
						host.to_account_id(),
						worker.to_account_id(),
						endpoint.as_bytes().to_vec(),
						DEV_HOST_WEIGHT,
					)
				})
				.collect(),
			dev_seeds,
		},
		issuance: IssuanceConfig { params: Default::default(), first_epoch: 0 },
		governance: GovernanceConfig {
			params: dev_governance_params(),
			limits: dev_period_limits(),
		},
		..Default::default()
	};

	serde_json::to_value(config).expect("the genesis config serializes to JSON; qed")
}

fn collator(k: Sr25519Keyring) -> (AccountId, AuraId) {
	(k.to_account_id(), k.public().into())
}

fn well_known_accounts() -> Vec<AccountId> {
	Sr25519Keyring::well_known().map(|k| k.to_account_id()).collect()
}

/// `local_testnet`: two collators, for zombienet networks with a relay chain.
fn local_testnet_genesis() -> Value {
	testnet_genesis(
		vec![collator(Sr25519Keyring::Alice), collator(Sr25519Keyring::Bob)],
		well_known_accounts(),
		PARACHAIN_ID.into(),
		false,
	)
}

/// `development`: one collator, for `gonka-node --dev`.
fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![collator(Sr25519Keyring::Alice)],
		well_known_accounts(),
		PARACHAIN_ID.into(),
		true,
	)
}

/// Provides the JSON representation of predefined genesis config for given `id`.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_str() {
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work; qed")
			.into_bytes(),
	)
}

/// List of supported presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
