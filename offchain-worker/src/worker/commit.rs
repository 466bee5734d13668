//! The commit duty: the hits of every device become the commitment (leaves and tree on disk),
//! re-derived from the hits when it was saved before a restart, and sent until included.

use super::*;

/// Builds (or reuses) the commitment of `epoch` and gets it included. `Ok(None)`: nothing to
/// commit (no hits).
pub(super) async fn commit(
	client: &ChainClient,
	data: &DataDir,
	key: &polkadot_sdk::sp_core::sr25519::Pair,
	epoch: u32,
	host: &AccountId,
	lock: &tokio::sync::Mutex<()>,
	cheat: Option<Cheat>,
) -> Result<Option<([u8; 32], u64)>, DutyError> {
	let commitment = match data.commitment(epoch)? {
		// Written earlier (before a restart): sent only if it is still the hits' commitment.
		Some(c) if cheat != Some(Cheat::DuplicateHits) => {
			let hits = data.all_hits(epoch)?;
			let nonces: Vec<u64> = hits.iter().map(|h| h.nonce).collect();
			let tree = MerkleTree::new(nonces)?;
			if tree.root() != c.root || tree.count() != c.count {
				return Err(DutyError::CommitmentMismatch {
					epoch,
					saved_count: c.count,
					saved_root: hex::encode(c.root),
					hits_count: tree.count(),
					hits_root: hex::encode(tree.root()),
				});
			}
			c
		},
		Some(c) => c,
		None => {
			let hits = data.all_hits(epoch)?;
			if hits.is_empty() {
				tracing::warn!(
					target: "gonka::worker",
					"epoch {epoch}: no hits, nothing to commit (was the worker running during the Sprint?)"
				);
				return Ok(None);
			}
			let nonces: Vec<u64> = hits.iter().map(|h| h.nonce).collect();
			if cheat == Some(Cheat::DuplicateHits) {
				let doubled = nonces.iter().flat_map(|n| [*n, *n]).collect();
				let tree = MerkleTree::unchecked(doubled)?;
				data.write_tree(epoch, tree)?
			} else {
				data.write_commitment(epoch, nonces)?
			}
		},
	};
	let (root, count) = (commitment.root, commitment.count);
	if let Some(on_chain) = client.commitment(epoch, host, None).await? {
		if on_chain.root != root || on_chain.count != count {
			tracing::error!(
				target: "gonka::worker",
				"epoch {epoch}: the chain holds another commitment of this host ({} leaves, root \
				 0x{}) than this data directory ({count}, 0x{}); is a second worker signing for it?",
				on_chain.count,
				hex::encode(on_chain.root),
				hex::encode(root)
			);
		}
		tracing::info!(
			target: "gonka::worker",
			"epoch {epoch}: the commitment ({} leaves) is on chain already (sent before a restart)",
			on_chain.count
		);
		return Ok(Some((on_chain.root, on_chain.count)));
	}
	let call = crate::chain::call::sprint::commit(epoch, root, count);
	let _g = lock.lock().await;
	if cheat == Some(Cheat::ExitAfterCommitSent) {
		let extrinsic = client.sign(key, call).await?;
		client.submit(&extrinsic).await?;
		tracing::warn!(
			target: "gonka::worker",
			"epoch {epoch}: --test-exit-after-commit-sent: exiting with the commitment sent, not included"
		);
		std::process::exit(3);
	}
	match client.sign_and_submit(key, call, WaitFor::InBlock).await {
		Ok(included) => {
			tracing::info!(
				target: "gonka::worker",
				"epoch {epoch}: committed {count} leaves, root 0x{} (block {:?})",
				hex::encode(root),
				included.block_hash
			);
			Ok(Some((root, count)))
		},
		Err(ChainError::Dispatch { error, .. }) if error.name == "AlreadyCommitted" => {
			// The same commitment, sent before a restart, landed first (this one fails harmlessly).
			tracing::info!(
				target: "gonka::worker",
				"epoch {epoch}: the commitment ({count} leaves) is on chain already (sent before a \
				 restart; this copy was refused as AlreadyCommitted)"
			);
			Ok(Some((root, count)))
		},
		Err(e) => Err(e.into()),
	}
}
