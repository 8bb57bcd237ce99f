//! The routes of the stock context: each turns its request into a typed
//! command or query, and the outcome into the contract's JSON. The
//! context's own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::api::Api;
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, ReceiveStock};
use crate::queries;
use crate::stock::{Stock, StockError};

type Reply = Result<Response<Body>, ApiError>;

impl From<StockError> for ApiError {
    fn from(e: StockError) -> Self {
        match e {
            StockError::TitleMismatch { book_id, title } => {
                ApiError::conflict("title_mismatch", format!("Book {book_id} is already registered as '{title}'."))
            }
            StockError::Unknown => ApiError::not_found("stock", ""),
        }
    }
}

/// A book's stock as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
struct StockView<'a> {
    book_id: &'a str,
    title: &'a str,
    quantity: u64,
}

impl<'a> From<&'a Stock> for StockView<'a> {
    fn from(s: &'a Stock) -> Self {
        Self { book_id: &s.book_id, title: &s.title, quantity: s.available }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReceiveBody {
    #[schemars(length(min = 1, max = 64), pattern(r"^[A-Za-z0-9._-]+$"))]
    #[schemars(example = "isbn-9788966260959")]
    book_id: String,
    #[schemars(length(max = 200), pattern(http::NOT_BLANK))]
    #[schemars(example = "Clean Code")]
    title: String,
    #[schemars(range(min = 1, max = 1_000_000))]
    #[serde(deserialize_with = "http::whole")]
    #[schemars(example = 2)]
    quantity: i64,
}

/// A book id is chosen by staff (an ISBN, say): letters, digits, `-`, `_`, `.`.
fn book_id(raw: &str) -> Result<String, ApiError> {
    let id = http::text_field("bookId", raw, 64)?;
    if !raw.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(ApiError::invalid_field("bookId", "may hold only letters, digits, '-', '_' and '.'"));
    }
    Ok(id)
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::ok::<StockView>("receive-stock", "Receive copies of a book (registering it the first time)")
        .body::<ReceiveBody>()
        .refuses(&[409]),
    Api::ok::<StockView>("get-stock", "A book's stock"),
];

/// `POST /stocks {bookId,title,quantity}` (staff): books received.
pub async fn receive_stock(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the body is read: a customer learns nothing of its validation.
    caller.require_staff()?;
    let input: ReceiveBody = http::body(&request)?;
    let command = ReceiveStock {
        book_id: book_id(&input.book_id)?,
        title: http::text_field("title", &input.title, 200)?,
        quantity: u64::try_from(input.quantity)
            .ok()
            .filter(|q| (1..=1_000_000).contains(q))
            .ok_or_else(|| ApiError::invalid_field("quantity", "must be a whole number from 1 to 1000000"))?,
    };
    let stock = commands::receive_stock(&*table, &caller, command).await?;
    http::ok(&StockView::from(&stock))
}

/// `GET /stocks/{bookId}` (staff).
pub async fn get_stock(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let book_id = http::path_param(&request, "bookId")?;
    let stock = queries::get_stock(&*table, &caller, &book_id).await?;
    http::ok(&StockView::from(&stock))
}
