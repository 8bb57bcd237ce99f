//! The routes of the wallet context: each turns its request into a typed
//! command or query, and the outcome into the contract's JSON. The context's
//! own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, Exchange, ExchangeReward};
use crate::queries;
use crate::wallet::{Status, WalletEntry, WalletError};
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

impl From<WalletError> for ApiError {
    fn from(e: WalletError) -> Self {
        match e {
            WalletError::Unknown => ApiError::not_found("wallet entry", ""),
            WalletError::AlreadyExchanged => ApiError::conflict(
                "invalid_state",
                "The wallet entry is Exchanged; only an Issued one can be exchanged.",
            ),
        }
    }
}

/// A wallet entry as the contract shows it (`giftId` is `null` until it is
/// exchanged).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WalletView<'a> {
    wallet_id: &'a str,
    reward_id: &'a str,
    status: Option<Status>,
    gift_id: Option<&'a str>,
}

impl<'a> From<&'a WalletEntry> for WalletView<'a> {
    fn from(w: &'a WalletEntry) -> Self {
        Self { wallet_id: &w.wallet_id, reward_id: &w.reward_id, status: w.status, gift_id: w.gift_id.as_deref() }
    }
}

/// An exchanged entry, as `exchange-reward` answers it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExchangedView<'a> {
    wallet_id: &'a str,
    status: Option<Status>,
    gift_id: &'a str,
}

impl<'a> From<&'a WalletEntry> for ExchangedView<'a> {
    fn from(w: &'a WalletEntry) -> Self {
        Self { wallet_id: &w.wallet_id, status: w.status, gift_id: w.gift_id.as_deref().unwrap_or_default() }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExchangeBody {
    #[schemars(length(max = 64), pattern(http::NOT_BLANK))]
    #[schemars(example = "Coffee coupon")]
    gift_name: String,
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::page::<WalletView>("list-wallets", "One's wallet entries, newest first"),
    Api::ok::<ExchangedView>("exchange-reward", "Exchange a wallet entry for a gift; gift issues it first")
        .body::<ExchangeBody>()
        .refuses(&[409]),
];

/// `GET /wallets`: the caller's own entries, newest first.
pub async fn list_wallets(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let entries = queries::list_wallets(&*table, &caller, &page).await?;
    let views = entries.items.iter().map(WalletView::from).collect::<Vec<_>>();
    http::page(&request, &views, entries.next.as_ref())
}

/// `POST /wallets/{walletId}/exchange {giftName}` → 200, owner only.
pub async fn exchange_reward(exchange: Exchange, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let wallet_id = http::path_param(&request, "walletId")?;
    let input: ExchangeBody = http::body(&request)?;
    let command = ExchangeReward { wallet_id, gift_name: http::text_field("giftName", &input.gift_name, 64)? };
    let entry = commands::exchange_reward(&exchange, &caller, command).await?;
    http::ok(&ExchangedView::from(&entry))
}
