//! gamereward · **wallet** context.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `WalletEntry` | [`wallet`] |
//! | events `RewardIssued`, `RewardExchanged` | [`wallet::WalletEvent`] |
//! | query `list-wallets` | [`commands::list_wallets`] |
//! | command `exchange-reward` (synchronous call to gift, through a circuit breaker) | [`commands::exchange_reward`] |
//! | policy `issue-wallet-entry` (on `RewardAllocated`) | [`commands::issue_wallet_entry`] |

pub mod commands;
pub mod wallet;

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = "wallet";

/// The setting that names gift's internal `issue-gift` function.
pub const GIFT_FUNCTION: &str = "GIFT_FUNCTION";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<wallet::WalletEntry>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: "list-wallets", make: |name, deps| Function::http(name, deps.table, commands::list_wallets) },
    Sticky {
        name: "exchange-reward",
        make: |name, deps| {
            let exchange = commands::Exchange {
                gift: deps
                    .client(GIFT_FUNCTION, "exchange-reward→gift")
                    .with_fallback("Gifts cannot be issued right now; exchange later."),
                table: deps.table,
            };
            Function::http(name, exchange, commands::exchange_reward)
        },
    },
    Sticky {
        name: commands::ISSUE_WALLET_ENTRY,
        make: |name, deps| Function::policy(name, deps.table, commands::issue_wallet_entry),
    },
];
