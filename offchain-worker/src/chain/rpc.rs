//! Thin helpers over jsonrpsee that turn its errors into [`ChainError`]s, and the same
//! connection lent to subxt (one WebSocket for both).

use super::{ChainError, Hash};
use futures::{StreamExt, TryStreamExt};
use jsonrpsee::{
	core::{
		client::{ClientT, SubscriptionClientT, SubscriptionKind},
		params::ArrayParams,
		traits::ToRpcParams,
		ClientError,
	},
	types::SubscriptionId,
	ws_client::WsClient,
};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::sync::Arc;
use subxt::rpcs::client::{RawRpcFuture, RawRpcSubscription, RpcClientT};

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

/// The worker's WebSocket as subxt's RPC client.
pub(super) struct SubxtRpc(pub Arc<WsClient>);

/// Parameters already serialized (subxt's form).
struct RawParams(Option<Box<RawValue>>);

impl ToRpcParams for RawParams {
	fn to_rpc_params(self) -> Result<Option<Box<RawValue>>, serde_json::Error> {
		Ok(self.0)
	}
}

fn to_subxt(e: ClientError) -> subxt::rpcs::Error {
	match e {
		ClientError::Call(call) => subxt::rpcs::Error::User(subxt::rpcs::UserError {
			code: call.code(),
			message: call.message().to_string(),
			data: call.data().map(|d| d.to_owned()),
		}),
		other => subxt::rpcs::Error::Client(Box::new(other)),
	}
}

impl RpcClientT for SubxtRpc {
	fn request_raw<'a>(
		&'a self,
		method: &'a str,
		params: Option<Box<RawValue>>,
	) -> RawRpcFuture<'a, Box<RawValue>> {
		Box::pin(async move {
			ClientT::request::<Box<RawValue>, _>(&*self.0, method, RawParams(params))
				.await
				.map_err(to_subxt)
		})
	}

	fn subscribe_raw<'a>(
		&'a self,
		sub: &'a str,
		params: Option<Box<RawValue>>,
		unsub: &'a str,
	) -> RawRpcFuture<'a, RawRpcSubscription> {
		Box::pin(async move {
			let stream = SubscriptionClientT::subscribe::<Box<RawValue>, _>(
				&*self.0,
				sub,
				RawParams(params),
				unsub,
			)
			.await
			.map_err(to_subxt)?;
			let id = match stream.kind() {
				SubscriptionKind::Subscription(SubscriptionId::Str(id)) => {
					Some(id.clone().into_owned())
				},
				_ => None,
			};
			let stream = stream.map_err(|e| subxt::rpcs::Error::Client(Box::new(e))).boxed();
			Ok(RawRpcSubscription { stream, id })
		})
	}
}
