//! Blue stickies of the reservation context as typed commands: what a route
//! (or a test) hands in, what the context decides. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, owned};
use framework::store::Table;

use crate::SOURCE;
use crate::reservation::{Command, Reservation, ReservationError};
use crate::views::book_list;

pub type Outcome<T> = Result<T, Refused<ReservationError>>;

/// `request-reservation`: one copy of a book, for the customer asking.
#[derive(Debug, Clone)]
pub struct RequestReservation {
    pub book_id: String,
}

/// Accepted now (`Requested`); stock decides by events. A book the book list
/// has not heard of is `NotFound` (the list may lag a new book by a moment).
pub async fn request_reservation(
    table: &dyn Table,
    caller: &Caller,
    command: RequestReservation,
) -> Outcome<Reservation> {
    let book = book_list::find(table, &command.book_id)
        .await?
        .ok_or(Refused::NotFound { what: "Book", id: command.book_id.clone() })?;
    let reservation_id = framework::new_id();
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.clone() };
    let done = execute::<Reservation, _>(table, &reservation_id, &origin, None, |_| Command::Request {
        reservation_id: reservation_id.clone(),
        book_id: book.book_id.clone(),
        title: book.title.clone(),
        customer_id: caller.sub.clone(),
    })
    .await?;
    tracing::info!(reservation_id = %reservation_id, book_id = %book.book_id, "reservation requested");
    Ok(done.aggregate.state)
}

/// `cancel-reservation`: the owner's, and only while `Reserved`.
pub async fn cancel_reservation(table: &dyn Table, caller: &Caller, reservation_id: &str) -> Outcome<Reservation> {
    owned::<Reservation>(table, reservation_id, caller).await?;
    let origin = Origin { source: SOURCE, correlation_id: reservation_id.to_owned() };
    let done = execute::<Reservation, _>(table, reservation_id, &origin, None, |_| Command::Cancel).await?;
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use embedded::SqliteTable;
    use framework::Envelope;

    use super::*;
    use crate::reservation::Status;
    use crate::views::book_list::{self, Inbound};

    fn customer(sub: &str) -> Caller {
        Caller { sub: sub.into(), groups: vec![] }
    }

    /// A table whose book list shows `book_id` (stock's news, as the view hears it).
    async fn listing(book_id: &str) -> Arc<dyn Table> {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let heard = Inbound::StockReceived { book_id: book_id.into(), title: "Dune".into(), available: 1 };
        let envelope = Envelope {
            event_id: "e1".into(),
            event_type: "StockReceived".into(),
            source: "stock".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: book_id.into(),
            version: 1,
            data: serde_json::json!({}),
        };
        book_list::on_event(table.clone(), envelope, heard).await.unwrap();
        table
    }

    #[tokio::test]
    async fn a_book_the_list_has_not_heard_of_is_not_found() {
        let table = listing("b1").await;
        let refused =
            request_reservation(&*table, &customer("alice"), RequestReservation { book_id: "b2".into() }).await;
        assert_eq!(refused, Err(Refused::NotFound { what: "Book", id: "b2".into() }));
    }

    #[tokio::test]
    async fn only_the_owner_cancels_and_only_once_reserved() {
        let table = listing("b1").await;
        let requested = request_reservation(&*table, &customer("alice"), RequestReservation { book_id: "b1".into() })
            .await
            .unwrap();
        assert_eq!(requested.status, Some(Status::Requested));
        let id = requested.reservation_id.as_str();
        assert_eq!(
            cancel_reservation(&*table, &customer("carol"), id).await,
            Err(Refused::NotOwner { what: "Reservation" })
        );
        assert_eq!(
            cancel_reservation(&*table, &customer("alice"), id).await,
            Err(Refused::Domain(ReservationError::NotCancelable(Status::Requested)))
        );
        assert_eq!(
            cancel_reservation(&*table, &customer("alice"), "nobody").await,
            Err(Refused::NotFound { what: "Reservation", id: "nobody".into() })
        );
    }
}
