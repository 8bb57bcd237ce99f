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

use framework::{Deps, Function};

/// The `source` of this context's events.
pub const SOURCE: &str = "wallet";

/// The setting that names gift's internal `issue-gift` function.
pub const GIFT_FUNCTION: &str = "GIFT_FUNCTION";

/// Each function of the context, by its Lambda `Handler` name.
pub fn functions(handler: &str, deps: Deps) -> Option<Function> {
    Some(match handler {
        "list-wallets" => Function::http("list-wallets", deps.table, commands::list_wallets),
        "exchange-reward" => {
            let exchange = commands::Exchange {
                gift: deps
                    .client(GIFT_FUNCTION, "exchange-reward→gift")
                    .with_fallback("Gifts cannot be issued right now; exchange later."),
                table: deps.table,
            };
            Function::http("exchange-reward", exchange, commands::exchange_reward)
        }
        commands::ISSUE_WALLET_ENTRY => {
            Function::policy(commands::ISSUE_WALLET_ENTRY, deps.table, commands::issue_wallet_entry)
        }
        _ => return None,
    })
}
