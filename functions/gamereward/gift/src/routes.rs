//! The routes of the gift context, and the JSON in and out of its internal
//! function: each turns its request into a typed command or query, and the
//! outcome into the contract's JSON. The context's own refusals become the
//! contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller, MAX_ID_LEN};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, IssueGift};
use crate::gift::{Gift, GiftError, Status};
use crate::queries;
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

impl From<GiftError> for ApiError {
    fn from(e: GiftError) -> Self {
        match e {
            GiftError::Unknown => ApiError::not_found("gift", ""),
            GiftError::AlreadyUsed => {
                ApiError::conflict("invalid_state", "The gift is Used; only an Issued gift can be used.")
            }
        }
    }
}

/// A gift as the contract shows it, and as `issue-gift` answers wallet.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GiftView {
    gift_id: String,
    wallet_id: String,
    name: String,
    status: Option<Status>,
}

impl From<Gift> for GiftView {
    fn from(g: Gift) -> Self {
        Self { gift_id: g.gift_id, wallet_id: g.wallet_id, name: g.name, status: g.status }
    }
}

/// What wallet sends to `issue-gift`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueGiftRequest {
    wallet_id: String,
    gift_name: String,
    customer_id: String,
    correlation_id: String,
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::ok::<GiftView>("use-gift", "Use one's gift, once").refuses(&[409]),
    Api::ok::<GiftView>("get-gift", "One of one's gifts"),
];

/// `issue-gift` (no route): wallet's call, answered with the gift.
pub async fn issue_gift(table: Arc<dyn Table>, input: IssueGiftRequest) -> Result<GiftView, ApiError> {
    for (field, value) in [("walletId", &input.wallet_id), ("customerId", &input.customer_id)] {
        if value.is_empty() || value.len() > MAX_ID_LEN {
            return Err(ApiError::invalid_field(field, format!("must be 1 to {MAX_ID_LEN} characters")));
        }
    }
    let command = IssueGift {
        gift_name: http::text_field("giftName", &input.gift_name, 64)?,
        wallet_id: input.wallet_id,
        customer_id: input.customer_id,
        correlation_id: input.correlation_id,
    };
    Ok(GiftView::from(commands::issue_gift(&*table, command).await?))
}

/// `GET /gifts/{giftId}`, owner only.
pub async fn get_gift(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "giftId")?;
    http::ok(&GiftView::from(queries::get_gift(&*table, &caller, &id).await?))
}

/// `POST /gifts/{giftId}/use` → 200 `Used` (`GiftUsed`), owner only, once.
pub async fn use_gift(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "giftId")?;
    http::ok(&GiftView::from(commands::use_gift(&*table, &caller, &id).await?))
}
