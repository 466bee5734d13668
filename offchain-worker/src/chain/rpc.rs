//! Thin helpers over jsonrpsee that turn its errors into [`ChainError`]s.

use super::ChainError;
use gonka_runtime::Hash;
use jsonrpsee::{
	core::{client::ClientT, params::ArrayParams, ClientError},
	ws_client::WsClient,
};
use serde::de::DeserializeOwned;

/// One request, its error tagged with the method.
pub(super) async fn request<R: DeserializeOwned>(
	rpc: &WsClient,
	method: &str,
	params: ArrayParams,
) -> Result<R, ChainError> {
	rpc.request(method, params)
		.await
		.map_err(|source| ChainError::Rpc { method: method.to_string(), source })
}

/// The error of `author_submitAndWatchExtrinsic`: the node's verdict when it answered with one.
pub(super) fn submit_error(error: ClientError, tx_hash: Hash) -> ChainError {
	match error {
		ClientError::Call(e) => ChainError::Rejected {
			tx_hash,
			code: e.code(),
			message: e.message().to_string(),
			data: e.data().map(|d| d.get().trim_matches('"').to_string()),
		},
		source => ChainError::Rpc { method: "author_submitAndWatchExtrinsic".to_string(), source },
	}
}
