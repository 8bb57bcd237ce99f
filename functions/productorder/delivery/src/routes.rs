//! The routes of the delivery context: each turns its request into a typed
//! command or query, and the outcome into the contract's JSON. The
//! context's own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller, MAX_ID_LEN};
use framework::store::Table;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::delivery::{Delivery, DeliveryError, Status};
use crate::{commands, queries};
use framework::api::{Api, Param};

type Reply = Result<Response<Body>, ApiError>;

impl From<DeliveryError> for ApiError {
    fn from(e: DeliveryError) -> Self {
        match e {
            DeliveryError::Unknown => ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such delivery."),
            DeliveryError::NotPrepared(status) => ApiError::conflict(
                "invalid_state",
                format!("The delivery is {status}; only a Prepared delivery can be started."),
            ),
            DeliveryError::NotStarted(status) => ApiError::conflict(
                "invalid_state",
                format!("The delivery is {status}; only a Started delivery can be completed."),
            ),
        }
    }
}

/// A parcel as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView<'a> {
    delivery_id: &'a str,
    order_id: &'a str,
    status: Option<Status>,
}

impl<'a> From<&'a Delivery> for DeliveryView<'a> {
    fn from(d: &'a Delivery) -> Self {
        Self { delivery_id: &d.delivery_id, order_id: &d.parcel.order_id, status: d.status }
    }
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::ok::<DeliveryView>("start-delivery", "Ship a prepared parcel").refuses(&[409]),
    Api::ok::<DeliveryView>("complete-delivery", "Mark a shipped parcel delivered").refuses(&[409]),
    Api::ok::<DeliveryView>("find-delivery", "The parcel of an order")
        .query(&[Param { name: "orderId", description: "The order whose parcel is asked for." }])
        .refuses(&[404]),
];

/// `POST /deliveries/{deliveryId}/start` (staff) → 200 `Started`, only from `Prepared`.
pub async fn start_delivery(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the path is read: a customer learns nothing of its validation.
    caller.require_staff()?;
    let id = http::path_param(&request, "deliveryId")?;
    let delivery = commands::start_delivery(&*table, &caller, &id).await?;
    http::ok(&DeliveryView::from(&delivery))
}

/// `POST /deliveries/{deliveryId}/complete` (staff) → 200 `Completed`, only from `Started`.
pub async fn complete_delivery(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the path is read, as for `start-delivery`.
    caller.require_staff()?;
    let id = http::path_param(&request, "deliveryId")?;
    let delivery = commands::complete_delivery(&*table, &caller, &id).await?;
    http::ok(&DeliveryView::from(&delivery))
}

/// `GET /deliveries?orderId=` (staff): the parcel of an order.
pub async fn find_delivery(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the query is read, as for `start-delivery`.
    caller.require_staff()?;
    let order_id = http::query_param(&request, "orderId")
        .filter(|o| !o.is_empty())
        .ok_or_else(|| ApiError::invalid_field("orderId", "is required in the query"))?;
    if order_id.len() > MAX_ID_LEN {
        return Err(ApiError::not_found("delivery of order", "…"));
    }
    let delivery = queries::find_delivery(&*table, &caller, &order_id).await?;
    http::ok(&DeliveryView::from(&delivery))
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;
    use framework::testing::ApiRequest;

    use super::*;
    use crate::delivery::delivery_of;

    fn request(method: &str, path: &str, staff: bool) -> Request {
        let sub = if staff { "bob" } else { "alice" };
        ApiRequest::new(method, path)
            .by(sub)
            .staff(staff)
            .routes(&["/deliveries/{deliveryId}/start", "/deliveries/{deliveryId}/complete"])
            .into()
    }

    fn table() -> Arc<dyn Table> {
        Arc::new(SqliteTable::open(None).unwrap())
    }

    #[test]
    fn each_refusal_is_the_contracts_status() {
        let answer = |e: DeliveryError| {
            let e = ApiError::from(e);
            (e.status.as_u16(), e.code)
        };
        assert_eq!(answer(DeliveryError::Unknown), (404, "not_found"));
        assert_eq!(answer(DeliveryError::NotPrepared(Status::Canceled)), (409, "invalid_state"));
        assert_eq!(answer(DeliveryError::NotStarted(Status::Prepared)), (409, "invalid_state"));
        assert!(ApiError::from(DeliveryError::NotPrepared(Status::Canceled)).message.contains("Canceled"));
    }

    #[tokio::test]
    async fn finding_a_parcel_needs_staff_then_the_order_id() {
        let table = table();
        let find = |path: &str, staff: bool| find_delivery(table.clone(), request("GET", path, staff));
        assert_eq!(find("/deliveries", false).await.unwrap_err().status.as_u16(), 403);
        let refused = find("/deliveries", true).await.unwrap_err();
        assert_eq!((refused.status.as_u16(), refused.field.as_deref()), (400, Some("orderId")));
        assert_eq!(find("/deliveries?orderId=o1", true).await.unwrap_err().status.as_u16(), 404);
    }

    #[tokio::test]
    async fn starting_and_completing_need_staff_and_a_known_parcel() {
        let table = table();
        let path = format!("/deliveries/{}/start", delivery_of("o1"));
        let start = |staff: bool| start_delivery(table.clone(), request("POST", &path, staff));
        assert_eq!(start(false).await.unwrap_err().status.as_u16(), 403);
        assert_eq!(start(true).await.unwrap_err().status.as_u16(), 404);
        let path = format!("/deliveries/{}/complete", delivery_of("o1"));
        let complete = |staff: bool| complete_delivery(table.clone(), request("POST", &path, staff));
        assert_eq!(complete(false).await.unwrap_err().status.as_u16(), 403);
        assert_eq!(complete(true).await.unwrap_err().status.as_u16(), 404);
    }
}
