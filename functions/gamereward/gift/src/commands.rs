//! Blue stickies of the gift context, and its internal function.

use std::sync::Arc;

use framework::Origin;
use framework::commit::{execute, load};
use framework::http::MAX_ID_LEN;
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::gift::{Command, Gift, GiftError, gift_of_entry};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GiftView {
    gift_id: String,
    wallet_id: String,
    name: String,
    status: &'static str,
}

impl From<&Gift> for GiftView {
    fn from(g: &Gift) -> Self {
        Self {
            gift_id: g.gift_id.clone(),
            wallet_id: g.wallet_id.clone(),
            name: g.name.clone(),
            status: g.status.map_or("Unknown", |s| s.as_str()),
        }
    }
}

/// What wallet sends (`issue-gift`): the caller is a service, which has
/// checked the customer; gift trusts it, and users cannot reach this.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueGift {
    wallet_id: String,
    gift_name: String,
    customer_id: String,
    correlation_id: String,
}

/// Issues the wallet entry's gift (`GiftIssued`), or returns it if it exists.
pub async fn issue_gift(table: Arc<dyn Table>, input: IssueGift) -> Result<GiftView, ApiError> {
    for (field, value) in [("walletId", &input.wallet_id), ("customerId", &input.customer_id)] {
        if value.is_empty() || value.len() > MAX_ID_LEN {
            return Err(ApiError::invalid_field(field, format!("must be 1 to {MAX_ID_LEN} characters")));
        }
    }
    let name = http::text_field("giftName", &input.gift_name, 64)?;
    let gift_id = gift_of_entry(&input.wallet_id);
    let origin = Origin { source: SOURCE, correlation_id: input.correlation_id.clone() };
    let done = execute::<Gift, _>(&*table, &gift_id, &origin, None, |_| Command::Issue {
        wallet_id: input.wallet_id.clone(),
        name: name.clone(),
        customer_id: input.customer_id.clone(),
        correlation_id: input.correlation_id.clone(),
    })
    .await
    .map_err(|e| ApiError::from_execute(e, refused))?;
    tracing::info!(gift_id, wallet_id = %input.wallet_id, fresh = !done.events.is_empty(), "gift issued");
    Ok(GiftView::from(&done.aggregate.state))
}

/// `GET /gifts/{giftId}`, owner only.
pub async fn get_gift(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    let gift = owned(&*table, &caller, &http::path_param(&request, "giftId")?).await?;
    http::ok(&GiftView::from(&gift))
}

/// `POST /gifts/{giftId}/use` → 200 `Used` (`GiftUsed`), owner only, once.
pub async fn use_gift(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "giftId")?;
    let gift = owned(&*table, &caller, &id).await?;
    let origin = Origin { source: SOURCE, correlation_id: gift.correlation_id.clone() };
    let done = execute::<Gift, _>(&*table, &id, &origin, None, |_| Command::Use)
        .await
        .map_err(|e| ApiError::from_execute(e, refused))?;
    http::ok(&GiftView::from(&done.aggregate.state))
}

async fn owned(table: &dyn Table, caller: &Caller, id: &str) -> Result<Gift, ApiError> {
    let gift = load::<Gift>(table, id).await?;
    if !gift.exists() {
        return Err(ApiError::not_found("gift", id));
    }
    caller.require_owner(&gift.state.customer_id, "gift")?;
    Ok(gift.state)
}

fn refused(e: GiftError) -> ApiError {
    match e {
        GiftError::Unknown => ApiError::not_found("gift", ""),
        GiftError::AlreadyUsed => {
            ApiError::conflict("invalid_state", "The gift is Used; only an Issued gift can be used.")
        }
    }
}
