//! Only in the runtime-upgrade test's WASM (feature `upgrade-test`, `spec_version` 4): a pallet
//! the runtime before it does not have, with one event, deposited once when the upgrade is
//! enacted. The workers were built against the runtime before it; their chain client must decode
//! the block's events against its own metadata (PROTOCOL §13), or they would stop at this block.

pub use pallet::*;

#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use polkadot_sdk::{frame_support::pallet_prelude::*, frame_system::pallet_prelude::*};

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config<RuntimeEvent: From<Event<Self>>> {}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The runtime was upgraded to this one.
		Upgraded { spec_version: u32 },
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_runtime_upgrade() -> Weight {
			Self::deposit_event(Event::Upgraded { spec_version: crate::VERSION.spec_version });
			T::DbWeight::get().writes(1)
		}
	}
}

#[cfg(feature = "upgrade-test")]
impl Config for crate::Runtime {}
