//! The reservation context's queries, typed: what a route (or a test) asks,
//! what the context answers.

use framework::Aggregate;
use framework::http::Caller;
use framework::refusal::{Refused, owned};
use framework::store::{Page, PageRequest, Query, Table};

use crate::commands::Outcome;
use crate::reservation::Reservation;
use crate::views::book_list::{self, BookRow};

/// `get-reservation`: the owner's.
pub async fn get_reservation(table: &dyn Table, caller: &Caller, reservation_id: &str) -> Outcome<Reservation> {
    Ok(owned::<Reservation>(table, reservation_id, caller).await?.state)
}

/// `list-reservations`: the customer's own, newest first.
pub async fn list_reservations(table: &dyn Table, caller: &Caller, page: &PageRequest) -> Outcome<Page<Reservation>> {
    let query = Query::index(framework::customer_partition(&caller.sub)).newest_first();
    let found = framework::store::page(table, query, page).await?;
    let items = found
        .items
        .into_iter()
        .map(|item| {
            serde_json::from_value::<Reservation>(item.body).map_err(|e| {
                tracing::error!(error = %e, "a stored {} is unreadable", Reservation::TYPE);
                Refused::Internal
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page { items, next: found.next })
}

/// `list-books`: the book list view.
pub async fn list_books(table: &dyn Table, page: &PageRequest) -> Outcome<Page<BookRow>> {
    Ok(book_list::all(table, page).await?)
}
