//! Model configurations: [`ModelConfig`] lives in `gonka-primitives`, shared with the chain.

pub use gonka_primitives::model::*;
