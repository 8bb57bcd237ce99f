//! The route of the customer context.

use std::sync::Arc;

use framework::api::Api;
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};

use crate::queries;

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[Api::page::<crate::notifications::Notification>(
    "list-notifications",
    "One's notifications: one per Reserved, ReservationFailed and ReservationCanceled",
)];

/// `GET /notifications`: the caller's own, oldest first.
pub async fn list_notifications(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let notifications = queries::list_notifications(&*table, &caller, &page).await?;
    http::page(&request, &notifications.items, notifications.next.as_ref())
}
