//! Blue stickies of the stock context: staff receive books and read stock.

use std::sync::Arc;

use framework::Origin;
use framework::commit::{ExecuteError, execute, load};
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::SOURCE;
use crate::stock::{Command, Stock, StockError};

type Reply = Result<Response<Body>, ApiError>;

#[derive(Debug, Serialize)]
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReceiveStock {
    book_id: String,
    title: String,
    quantity: i64,
}

/// A book id is chosen by staff (an ISBN, say): letters, digits, `-`, `_`, `.`.
fn valid_book_id(raw: &str) -> Result<String, ApiError> {
    let id = raw.trim();
    if id.is_empty() || id.len() > 64 {
        return Err(ApiError::invalid_field("bookId", "must be 1 to 64 characters"));
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(ApiError::invalid_field("bookId", "may hold only letters, digits, '-', '_' and '.'"));
    }
    Ok(id.to_owned())
}

/// `POST /stocks {bookId,title,quantity}` (staff): books received.
pub async fn receive_stock(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    caller.require_staff()?;
    let input: ReceiveStock = http::body(&request)?;
    let book_id = valid_book_id(&input.book_id)?;
    let title = input.title.trim().to_owned();
    if title.is_empty() || title.len() > 200 {
        return Err(ApiError::invalid_field("title", "must be 1 to 200 characters"));
    }
    let quantity = u64::try_from(input.quantity)
        .ok()
        .filter(|q| (1..=1_000_000).contains(q))
        .ok_or_else(|| ApiError::invalid_field("quantity", "must be a whole number from 1 to 1000000"))?;
    let origin = Origin { source: SOURCE, correlation_id: book_id.clone() };
    let done = execute::<Stock, _>(&*table, &book_id, &origin, None, |_| Command::Receive {
        book_id: book_id.clone(),
        title: title.clone(),
        quantity,
    })
    .await
    .map_err(|e| match e {
        ExecuteError::Refused(StockError::TitleMismatch { title, .. }) => {
            ApiError::conflict("title_mismatch", format!("Book {book_id} is already registered as '{title}'."))
        }
        ExecuteError::Store(e) => e.into(),
        other => ApiError::unavailable(format!("Could not record the stock: {other}."), 1),
    })?;
    tracing::info!(book_id = %book_id, quantity, available = done.aggregate.state.available, "stock received");
    http::ok(&StockView::from(&done.aggregate.state))
}

/// `GET /stocks/{bookId}` (staff).
pub async fn get_stock(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    caller.require_staff()?;
    let book_id = http::path_param(&request, "bookId")?;
    let stock = load::<Stock>(&*table, &book_id).await?;
    if !stock.exists() {
        return Err(ApiError::not_found("stock for book", &book_id));
    }
    http::ok(&StockView::from(&stock.state))
}
