//! Blue and lilac stickies of the wallet context.

use std::sync::Arc;

use framework::call::{CallError, Client};
use framework::commit::{Inbox, execute, load};
use framework::http::{self, ApiError, Caller};
use framework::store::{Query, Table};
use framework::{Envelope, Origin, PolicyError};
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::wallet::{Command, WalletEntry, WalletError, customer_listing, entry_of_reward};

type Reply = Result<Response<Body>, ApiError>;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletView {
    wallet_id: String,
    reward_id: String,
    status: &'static str,
    gift_id: Option<String>,
}

impl From<&WalletEntry> for WalletView {
    fn from(w: &WalletEntry) -> Self {
        Self {
            wallet_id: w.wallet_id.clone(),
            reward_id: w.reward_id.clone(),
            status: w.status.map_or("Unknown", |s| s.as_str()),
            gift_id: w.gift_id.clone(),
        }
    }
}

/// `GET /wallets`: the caller's own entries, newest first.
pub async fn list_wallets(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let items = table.query(&Query::index(customer_listing(&caller.sub)).newest_first()).await?;
    let views: Vec<WalletView> = items
        .into_iter()
        .filter_map(|item| serde_json::from_value::<WalletEntry>(item.body).ok())
        .map(|w| WalletView::from(&w))
        .collect();
    http::ok(&views)
}

/// What `exchange-reward` needs: its table and a guarded client of gift.
#[derive(Clone)]
pub struct Exchange {
    pub table: Arc<dyn Table>,
    pub gift: Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExchangeReward {
    gift_name: String,
}

/// What gift is asked, and what it answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IssueGift<'a> {
    wallet_id: &'a str,
    gift_name: &'a str,
    customer_id: &'a str,
    correlation_id: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IssuedGift {
    gift_id: String,
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Exchanged<'a> {
    wallet_id: &'a str,
    status: &'static str,
    gift_id: &'a str,
}

/// `POST /wallets/{walletId}/exchange {giftName}` → 200, owner only.
///
/// Gift is called first, synchronously, through the circuit breaker; the
/// wallet changes only once the gift exists. Gift down, slow, or the circuit
/// open → `503` with `Retry-After`, and nothing written here. Gift issues one
/// gift per wallet entry, so a retry after a lost answer gets the same gift.
pub async fn exchange_reward(exchange: Exchange, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "walletId")?;
    let input: ExchangeReward = http::body(&request)?;
    let gift_name = http::text_field("giftName", &input.gift_name, 64)?;
    let table = &*exchange.table;
    let entry = load::<WalletEntry>(table, &id).await?;
    if !entry.exists() {
        return Err(ApiError::not_found("wallet entry", &id));
    }
    caller.require_owner(&entry.state.customer_id, "wallet entry")?;
    entry.state.exchangeable().map_err(refused)?;
    let request = IssueGift {
        wallet_id: &id,
        gift_name: &gift_name,
        customer_id: &entry.state.customer_id,
        correlation_id: &entry.state.mission_id,
    };
    let gift: IssuedGift = exchange.gift.call(&request).await.map_err(|e| match e {
        CallError::Unavailable(error) => error,
        CallError::Refused(refusal) => refusal.unexpected("gift_refused"),
    })?;
    let origin = Origin { source: SOURCE, correlation_id: entry.state.mission_id.clone() };
    let done = execute::<WalletEntry, _>(table, &id, &origin, None, |_| Command::Exchange {
        gift_id: gift.gift_id.clone(),
        gift_name: gift.name.clone(),
    })
    .await
    .map_err(|e| ApiError::from_execute(e, refused))?;
    tracing::info!(wallet_id = %id, gift_id = %gift.gift_id, "reward exchanged");
    http::ok(&Exchanged {
        wallet_id: &id,
        status: "Exchanged",
        gift_id: done.aggregate.state.gift_id.as_deref().unwrap_or_default(),
    })
}

fn refused(e: WalletError) -> ApiError {
    match e {
        WalletError::Unknown => ApiError::not_found("wallet entry", ""),
        WalletError::AlreadyExchanged => {
            ApiError::conflict("invalid_state", "The wallet entry is Exchanged; only an Issued one can be exchanged.")
        }
    }
}

pub const ISSUE_WALLET_ENTRY: &str = "issue-wallet-entry";

/// Reward's news, as this context reads it.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum RewardNews {
    RewardAllocated { reward_id: String, mission_id: String, customer_id: String },
}

/// `RewardAllocated` → one wallet entry (`RewardIssued`).
pub async fn issue_wallet_entry(table: Arc<dyn Table>, envelope: Envelope) -> Result<(), PolicyError> {
    let Some(RewardNews::RewardAllocated { reward_id, mission_id, customer_id }) = envelope.open()? else {
        return Ok(());
    };
    let origin = Origin { source: SOURCE, correlation_id: envelope.correlation_id.clone() };
    let inbox = Inbox { consumer: ISSUE_WALLET_ENTRY, event_id: &envelope.event_id };
    execute::<WalletEntry, _>(&*table, &entry_of_reward(&reward_id), &origin, Some(inbox), |_| Command::Issue {
        reward_id: reward_id.clone(),
        mission_id: mission_id.clone(),
        customer_id: customer_id.clone(),
    })
    .await?;
    Ok(())
}
