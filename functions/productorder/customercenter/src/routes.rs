//! The route of the customer center: it turns its request into a typed
//! query, and the rows into the contract's JSON.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::queries;
use crate::views::customercenter::{DeliveryStatus, OrderStatus, PaymentStatus, Row};
use framework::api::Api;

/// A row as `GET /customercenter` answers it: the contract's fields, in its
/// order, `null` until known (the customer is the caller, and left out).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowView<'a> {
    order_id: &'a str,
    item_cd: Option<&'a str>,
    quantity: Option<u64>,
    order_status: Option<OrderStatus>,
    payment_status: Option<PaymentStatus>,
    delivery_status: Option<DeliveryStatus>,
}

impl<'a> From<&'a Row> for RowView<'a> {
    fn from(r: &'a Row) -> Self {
        Self {
            order_id: &r.order_id,
            item_cd: r.item_cd.as_deref(),
            quantity: r.quantity,
            order_status: r.order_status,
            payment_status: r.payment_status,
            delivery_status: r.delivery_status,
        }
    }
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[Api::page::<RowView>(
    "get-customercenter",
    "The customer center: one row per order of one's, with its payment and parcel",
)];

/// `GET /customercenter` (customer): one row per order of the caller, newest first.
pub async fn get_customercenter(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let rows = queries::get_customercenter(&*table, &caller, &page).await?;
    let views = rows.items.iter().map(RowView::from).collect::<Vec<_>>();
    http::page(&request, &views, rows.next.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_answers_the_contracts_fields_with_unknowns_null() {
        let row = Row {
            order_id: "o1".into(),
            customer_id: "alice".into(),
            item_cd: None,
            quantity: None,
            order_status: Some(OrderStatus::Shipping),
            payment_status: None,
            delivery_status: Some(DeliveryStatus::Started),
        };
        assert_eq!(
            serde_json::to_value(RowView::from(&row)).unwrap(),
            serde_json::json!({
                "orderId": "o1", "itemCd": null, "quantity": null,
                "orderStatus": "Shipping", "paymentStatus": null, "deliveryStatus": "Started"
            })
        );
    }
}
