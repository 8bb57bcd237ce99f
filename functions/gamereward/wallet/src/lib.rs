//! gamereward · **wallet** context. Its board is
//! `functions/gamereward/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `WalletEntry` and its events | [`wallet`] |
//! | command `exchange-reward` (synchronous call to gift, through a circuit breaker) | [`commands`] |
//! | query `list-wallets` | [`queries`] |
//! | their routes | [`routes`] |
//! | policy `issue-wallet-entry` (on reward's `RewardAllocated`) | [`policies::issue_wallet_entry`] |
//! | policy `follow-gift` (on gift's `GiftIssued`: the exchange converges even when its own commit was lost) | [`policies::follow_gift`] |

pub mod commands;
pub mod queries;
pub mod routes;
pub mod wallet;
pub mod policies {
    pub mod follow_gift;
    pub mod issue_wallet_entry;
}

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
    Sticky { name: "list-wallets", make: |name, deps| Function::http(name, deps.table, routes::list_wallets) },
    Sticky {
        name: "exchange-reward",
        make: |name, deps| {
            let exchange = commands::Exchange {
                gift: deps
                    .client(GIFT_FUNCTION, "exchange-reward→gift")
                    .with_fallback("Gifts cannot be issued right now; exchange later."),
                table: deps.table,
            };
            Function::http(name, exchange, routes::exchange_reward)
        },
    },
    Sticky {
        name: policies::issue_wallet_entry::ISSUE_WALLET_ENTRY,
        make: |name, deps| Function::policy(name, deps.table, policies::issue_wallet_entry::on_event),
    },
    Sticky {
        name: policies::follow_gift::FOLLOW_GIFT,
        make: |name, deps| Function::policy(name, deps.table, policies::follow_gift::on_event),
    },
];
