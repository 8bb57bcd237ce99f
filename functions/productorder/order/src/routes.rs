//! The routes of the order context: each turns its request into a typed
//! command or query, and the outcome into the contract's JSON. The
//! context's own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, Place, PlaceOrder};
use crate::order::{Order, OrderError, Status};
use crate::queries;
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

/// The most of one item an order takes.
const MAX_QUANTITY: u64 = 1000;

impl From<OrderError> for ApiError {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::NotCancelable(status) => ApiError::conflict(
                "invalid_state",
                format!("The order is {status}; only an Ordered or Prepared order can be canceled."),
            ),
            OrderError::Unknown => ApiError::not_found("order", ""),
            OrderError::AlreadyPlaced => ApiError::conflict("invalid_state", e.to_string()),
        }
    }
}

/// An order as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView<'a> {
    order_id: &'a str,
    item_cd: &'a str,
    quantity: u64,
    address: &'a str,
    status: Option<Status>,
    payment_id: Option<&'a str>,
}

impl<'a> From<&'a Order> for OrderView<'a> {
    fn from(o: &'a Order) -> Self {
        Self {
            order_id: &o.order_id,
            item_cd: &o.item_cd,
            quantity: o.quantity,
            address: &o.address,
            status: o.status,
            payment_id: o.payment_id.as_deref(),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Placed<'a> {
    order_id: &'a str,
    item_cd: &'a str,
    quantity: u64,
    status: Option<Status>,
    payment_id: Option<&'a str>,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlaceBody {
    #[schemars(length(max = 32), pattern(http::NOT_BLANK))]
    #[schemars(example = "ITEM-001")]
    item_cd: String,
    #[schemars(range(min = 1, max = MAX_QUANTITY))]
    #[serde(deserialize_with = "http::whole")]
    #[schemars(example = 2)]
    quantity: i64,
    #[schemars(length(max = 200), pattern(http::NOT_BLANK))]
    #[schemars(example = "1 Main St, Seoul")]
    address: String,
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::created::<Placed>("place-order", "Order an item; pay approves the payment first")
        .body::<PlaceBody>()
        .refuses(&[404, 409]),
    Api::ok::<OrderView>("cancel-order", "Cancel one's order before it ships; refunded and restocked").refuses(&[409]),
    Api::ok::<OrderView>("get-order", "One of one's orders"),
];

/// `POST /orders {itemCd, quantity, address}` → 201 once paid.
pub async fn place_order(place: Place, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let input: PlaceBody = http::body(&request)?;
    let command = PlaceOrder {
        item_cd: http::text_field("itemCd", &input.item_cd, 32)?,
        quantity: u64::try_from(input.quantity).ok().filter(|q| (1..=MAX_QUANTITY).contains(q)).ok_or_else(|| {
            ApiError::invalid_field("quantity", format!("must be a whole number from 1 to {MAX_QUANTITY}"))
        })?,
        address: http::text_field("address", &input.address, 200)?,
    };
    let order = commands::place_order(&place, &caller, command).await?;
    // The answer to placing is `Ordered`, even when the saga, quicker than
    // this answer, has prepared it already (`GET /orders/{id}` tells).
    let placed = Placed {
        order_id: &order.order_id,
        item_cd: &order.item_cd,
        quantity: order.quantity,
        status: Some(Status::Ordered),
        payment_id: order.payment_id.as_deref(),
    };
    http::created(&format!("/orders/{}", order.order_id), &placed)
}

/// `POST /orders/{orderId}/cancel` → 200, owner only, before shipping.
pub async fn cancel_order(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "orderId")?;
    let order = commands::cancel_order(&*table, &caller, &id).await?;
    http::ok(&OrderView::from(&order))
}

/// `GET /orders/{orderId}`, owner only.
pub async fn get_order(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, "orderId")?;
    let order = queries::get_order(&*table, &caller, &id).await?;
    http::ok(&OrderView::from(&order))
}
