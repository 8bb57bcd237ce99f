//! The route of the notice context: it turns its request into a typed
//! query, and the notifications into the contract's JSON.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};

use crate::queries;
use framework::api::Api;

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[Api::page::<crate::notifications::Notification>(
    "list-notifications",
    "One's notices: one per order placed, shipped and delivered",
)];

/// `GET /notifications` (customer): the caller's own, oldest first.
pub async fn list_notifications(table: Arc<dyn Table>, request: Request) -> Result<Response<Body>, ApiError> {
    let caller = Caller::of(&request)?;
    let page = http::page_request(&request)?;
    let notifications = queries::list_notifications(&*table, &caller, &page).await?;
    http::page(&request, &notifications.items, notifications.next.as_ref())
}
