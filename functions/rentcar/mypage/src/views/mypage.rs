//! The MyPage view (green sticky): one row per reservation with its
//! payment, rental and stars, fed by the events of four contexts and
//! listed under its customer, newest reservation first.
//!
//! The events come through one queue but not in order (each context relays
//! on its own), so each status only moves forward (reservation `Reserved` →
//! `Paid` → `Canceled`; payment `Approved` → `Canceled`; rental `Rented` →
//! `Returned` | `Canceled`), ids are filled once, and the reservation's own
//! facts (car, dates, amount) are `CarReserved`'s: a row begun by a later
//! event fills in when `CarReserved` comes. The row converges whatever the
//! order, and a redelivered event changes nothing (the inbox).

use std::sync::Arc;

use framework::store::{Key, Page, PageRequest, StoreError, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};

pub const MYPAGE_VIEW: &str = "mypage-view";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "MyPageReservationStatus")]
pub enum ReservationStatus {
    Reserved,
    Paid,
    Canceled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "MyPagePaymentStatus")]
pub enum PaymentStatus {
    Approved,
    Canceled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "MyPageRentalStatus")]
pub enum RentalStatus {
    Rented,
    Returned,
    Canceled,
}

/// A status's place in its order: a status moves only to a higher one.
trait Stage: Copy {
    fn rank(self) -> u8;
}

impl Stage for ReservationStatus {
    fn rank(self) -> u8 {
        match self {
            Self::Reserved => 0,
            Self::Paid => 1,
            Self::Canceled => 2,
        }
    }
}

impl Stage for PaymentStatus {
    fn rank(self) -> u8 {
        match self {
            Self::Approved => 0,
            Self::Canceled => 1,
        }
    }
}

impl Stage for RentalStatus {
    /// `Returned` and `Canceled` both end a rental (it is never both).
    fn rank(self) -> u8 {
        match self {
            Self::Rented => 0,
            Self::Returned | Self::Canceled => 1,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub reservation_id: String,
    /// Stored, and left out of the answer (it is the caller).
    pub customer_id: String,
    pub car_no: Option<String>,
    pub rental_date: Option<String>,
    pub return_date: Option<String>,
    pub amount: Option<u64>,
    pub reservation_status: Option<ReservationStatus>,
    pub payment_id: Option<String>,
    pub payment_status: Option<PaymentStatus>,
    pub rental_id: Option<String>,
    pub rental_status: Option<RentalStatus>,
    pub stars: Option<u8>,
}

/// The events this view reads (reservation's, payment's, rental's and
/// rating's), as it reads them.
#[derive(Debug, Clone, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    CarReserved {
        reservation_id: String,
        car_no: String,
        customer_id: String,
        rental_date: String,
        return_date: String,
        amount: u64,
    },
    ReservationCanceled {
        reservation_id: String,
        car_no: String,
        customer_id: String,
    },
    PaymentApproved {
        payment_id: String,
        reservation_id: String,
        car_no: String,
        customer_id: String,
        amount: u64,
    },
    PaymentCanceled {
        payment_id: String,
        reservation_id: String,
        car_no: String,
        customer_id: String,
    },
    CarRented {
        rental_id: String,
        reservation_id: String,
        payment_id: String,
        car_no: String,
        customer_id: String,
    },
    CarReturned {
        rental_id: String,
        reservation_id: String,
        car_no: String,
        customer_id: String,
    },
    RentalCanceled {
        rental_id: String,
        reservation_id: String,
        car_no: String,
        customer_id: String,
    },
    CarRated {
        rental_id: String,
        reservation_id: String,
        car_no: String,
        customer_id: String,
        stars: u8,
    },
}

impl Inbound {
    /// The reservation the event is about, and its customer: every event of
    /// the saga carries both.
    fn reservation(&self) -> (&str, &str) {
        match self {
            Inbound::CarReserved { reservation_id, customer_id, .. }
            | Inbound::ReservationCanceled { reservation_id, customer_id, .. }
            | Inbound::PaymentApproved { reservation_id, customer_id, .. }
            | Inbound::PaymentCanceled { reservation_id, customer_id, .. }
            | Inbound::CarRented { reservation_id, customer_id, .. }
            | Inbound::CarReturned { reservation_id, customer_id, .. }
            | Inbound::RentalCanceled { reservation_id, customer_id, .. }
            | Inbound::CarRated { reservation_id, customer_id, .. } => (reservation_id, customer_id),
        }
    }
}

/// Moves `field` to `status` unless it is there already or further.
fn advance<S: Stage>(field: &mut Option<S>, status: S) {
    if field.is_none_or(|current| current.rank() < status.rank()) {
        *field = Some(status);
    }
}

/// Sets `field` unless it is known already.
fn fill<T: Clone>(field: &mut Option<T>, value: &T) {
    if field.is_none() {
        *field = Some(value.clone());
    }
}

impl Row {
    /// The row after `event`.
    pub fn merge(&mut self, event: &Inbound) {
        match event {
            Inbound::CarReserved { car_no, rental_date, return_date, amount, .. } => {
                // The reservation's own facts: whatever a later event filled in first.
                self.car_no = Some(car_no.clone());
                self.rental_date = Some(rental_date.clone());
                self.return_date = Some(return_date.clone());
                self.amount = Some(*amount);
                advance(&mut self.reservation_status, ReservationStatus::Reserved);
            }
            Inbound::ReservationCanceled { car_no, .. } => {
                fill(&mut self.car_no, car_no);
                advance(&mut self.reservation_status, ReservationStatus::Canceled);
            }
            Inbound::PaymentApproved { payment_id, car_no, amount, .. } => {
                fill(&mut self.car_no, car_no);
                fill(&mut self.amount, amount);
                fill(&mut self.payment_id, payment_id);
                advance(&mut self.payment_status, PaymentStatus::Approved);
                advance(&mut self.reservation_status, ReservationStatus::Paid);
            }
            Inbound::PaymentCanceled { payment_id, car_no, .. } => {
                fill(&mut self.car_no, car_no);
                fill(&mut self.payment_id, payment_id);
                advance(&mut self.payment_status, PaymentStatus::Canceled);
            }
            Inbound::CarRented { rental_id, payment_id, car_no, .. } => {
                fill(&mut self.car_no, car_no);
                fill(&mut self.payment_id, payment_id);
                fill(&mut self.rental_id, rental_id);
                advance(&mut self.rental_status, RentalStatus::Rented);
            }
            Inbound::CarReturned { rental_id, car_no, .. } => {
                fill(&mut self.car_no, car_no);
                fill(&mut self.rental_id, rental_id);
                advance(&mut self.rental_status, RentalStatus::Returned);
            }
            Inbound::RentalCanceled { rental_id, car_no, .. } => {
                fill(&mut self.car_no, car_no);
                fill(&mut self.rental_id, rental_id);
                advance(&mut self.rental_status, RentalStatus::Canceled);
            }
            Inbound::CarRated { rental_id, car_no, stars, .. } => {
                fill(&mut self.car_no, car_no);
                fill(&mut self.rental_id, rental_id);
                fill(&mut self.stars, stars);
            }
        }
    }
}

fn key(reservation_id: &str) -> Key {
    Key::new(format!("MyPage#{reservation_id}"), "ROW")
}

/// Listed under its customer by reservation id: ids are UUIDv7s, so the
/// newest reservation sorts last (and comes first, newest first).
fn listed_under(row: &Row) -> Option<Key> {
    Some(Key::new(framework::customer_partition(&row.customer_id), row.reservation_id.clone()))
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let table = &*table;
    let (reservation_id, customer_id) = event.reservation();
    if reservation_id.is_empty() || reservation_id.len() > framework::http::MAX_ID_LEN || customer_id.is_empty() {
        return Err(PolicyError::Poison(format!(
            "{} without a usable reservation or customer id",
            envelope.event_type
        )));
    }
    framework::view::merge(
        table,
        key(reservation_id),
        MYPAGE_VIEW,
        &envelope,
        || Row { reservation_id: reservation_id.to_owned(), customer_id: customer_id.to_owned(), ..Row::default() },
        |row: &mut Row| row.merge(&event),
        listed_under,
    )
    .await
}

/// A page of the customer's rows, newest reservation first; an unreadable
/// row is skipped.
pub async fn rows_of(table: &dyn Table, customer_id: &str, page: &PageRequest) -> Result<Page<Row>, StoreError> {
    framework::view::customer_rows(table, customer_id, page).await
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;

    use super::*;

    const FIRST_PAGE: PageRequest = PageRequest { limit: 100, after: None };

    const R1: &str = "0192f0c4-2b1e-7c3a-9a51-4e3b2f1d0a11";

    fn reserved() -> Inbound {
        Inbound::CarReserved {
            reservation_id: R1.into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
            rental_date: "2026-12-01".into(),
            return_date: "2026-12-04".into(),
            amount: 150_000,
        }
    }

    fn reservation_canceled() -> Inbound {
        Inbound::ReservationCanceled {
            reservation_id: R1.into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn approved() -> Inbound {
        Inbound::PaymentApproved {
            payment_id: "p1".into(),
            reservation_id: R1.into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
            amount: 150_000,
        }
    }

    fn payment_canceled() -> Inbound {
        Inbound::PaymentCanceled {
            payment_id: "p1".into(),
            reservation_id: R1.into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn rented() -> Inbound {
        Inbound::CarRented {
            rental_id: "t1".into(),
            reservation_id: R1.into(),
            payment_id: "p1".into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn returned() -> Inbound {
        Inbound::CarReturned {
            rental_id: "t1".into(),
            reservation_id: R1.into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn rental_canceled() -> Inbound {
        Inbound::RentalCanceled {
            rental_id: "t1".into(),
            reservation_id: R1.into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
        }
    }

    fn rated() -> Inbound {
        Inbound::CarRated {
            rental_id: "t1".into(),
            reservation_id: R1.into(),
            car_no: "12GA3456".into(),
            customer_id: "alice".into(),
            stars: 4,
        }
    }

    /// Every order of `events` (Heap's algorithm).
    fn orders(events: Vec<Inbound>) -> Vec<Vec<Inbound>> {
        fn permute(k: usize, events: &mut Vec<Inbound>, out: &mut Vec<Vec<Inbound>>) {
            if k <= 1 {
                out.push(events.clone());
                return;
            }
            for i in 0..k {
                permute(k - 1, events, out);
                events.swap(if k.is_multiple_of(2) { i } else { 0 }, k - 1);
            }
        }
        let mut out = Vec::new();
        let k = events.len();
        permute(k, &mut events.clone(), &mut out);
        out
    }

    fn merged(events: &[Inbound]) -> Row {
        let mut row = Row { reservation_id: R1.into(), customer_id: "alice".into(), ..Row::default() };
        for event in events {
            row.merge(event);
        }
        row
    }

    fn full(reservation: ReservationStatus) -> Row {
        Row {
            reservation_id: R1.into(),
            customer_id: "alice".into(),
            car_no: Some("12GA3456".into()),
            rental_date: Some("2026-12-01".into()),
            return_date: Some("2026-12-04".into()),
            amount: Some(150_000),
            reservation_status: Some(reservation),
            payment_id: Some("p1".into()),
            payment_status: Some(PaymentStatus::Approved),
            rental_id: Some("t1".into()),
            rental_status: Some(RentalStatus::Rented),
            stars: None,
        }
    }

    #[test]
    fn a_returned_and_rated_rental_converges_under_every_order_and_repetition() {
        let expected =
            Row { rental_status: Some(RentalStatus::Returned), stars: Some(4), ..full(ReservationStatus::Paid) };
        let all = orders(vec![reserved(), approved(), rented(), returned(), rated()]);
        assert_eq!(all.len(), 120);
        for order in all {
            let once = merged(&order);
            assert_eq!(once, expected, "order {order:?}");
            let twice: Vec<Inbound> = order.iter().chain(order.iter().rev()).cloned().collect();
            assert_eq!(merged(&twice), expected, "repeated {order:?}");
        }
    }

    #[test]
    fn a_paid_reservation_canceled_with_its_payment_converges_under_every_order() {
        let expected = Row {
            payment_status: Some(PaymentStatus::Canceled),
            rental_status: Some(RentalStatus::Canceled),
            ..full(ReservationStatus::Canceled)
        };
        let all = orders(vec![
            reserved(),
            approved(),
            rented(),
            payment_canceled(),
            rental_canceled(),
            reservation_canceled(),
        ]);
        assert_eq!(all.len(), 720);
        for order in all {
            assert_eq!(merged(&order), expected, "order {order:?}");
        }
    }

    #[test]
    fn an_unpaid_reservation_canceled_stays_canceled_and_unknown_fields_stay_null() {
        for order in orders(vec![reserved(), reservation_canceled()]) {
            let row = merged(&order);
            assert_eq!(row.reservation_status, Some(ReservationStatus::Canceled));
            assert_eq!((row.payment_id, row.payment_status, row.rental_id, row.stars), (None, None, None, None));
        }
    }

    #[test]
    fn a_payment_approved_after_the_cancel_does_not_make_it_paid() {
        let row = merged(&[reserved(), reservation_canceled(), approved()]);
        assert_eq!(row.reservation_status, Some(ReservationStatus::Canceled));
        assert_eq!(row.payment_status, Some(PaymentStatus::Approved));
    }

    #[test]
    fn a_row_begun_by_a_later_event_fills_in_when_the_reservation_comes() {
        let early = merged(&[approved()]);
        assert_eq!((early.reservation_status, early.rental_date.as_deref()), (Some(ReservationStatus::Paid), None));
        let row = merged(&[approved(), reserved()]);
        assert_eq!(row.reservation_status, Some(ReservationStatus::Paid));
        assert_eq!((row.rental_date.as_deref(), row.return_date.as_deref()), (Some("2026-12-01"), Some("2026-12-04")));
    }

    fn envelope(event_id: &str) -> Envelope {
        Envelope {
            event_id: event_id.into(),
            event_type: "test".into(),
            source: "test".into(),
            occurred_at: framework::now_rfc3339(),
            correlation_id: R1.into(),
            version: 1,
            data: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn rows_stored_in_any_order_with_redeliveries_converge_and_list_under_their_customer() {
        let events = [reserved(), approved(), rented(), returned(), rated()];
        let expected =
            Row { rental_status: Some(RentalStatus::Returned), stars: Some(4), ..full(ReservationStatus::Paid) };
        for order in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 4, 0, 3, 1], [1, 3, 4, 2, 0]] {
            let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
            for i in order.into_iter().chain(order) {
                let event = events[i].clone();
                on_event(table.clone(), envelope(&format!("e{i}")), event).await.unwrap();
            }
            assert_eq!(
                rows_of(&*table, "alice", &FIRST_PAGE).await.unwrap().items,
                vec![expected.clone()],
                "order {order:?}"
            );
            assert!(rows_of(&*table, "carol", &FIRST_PAGE).await.unwrap().items.is_empty());
        }
    }

    /// Two reservations of alice's, older then newer.
    async fn two_reservations(table: &Arc<dyn Table>) -> (String, String) {
        // Reservation ids are UUIDv7s: the later one sorts after.
        let (older, newer) = (R1.to_owned(), "0192f0c5-0a00-7b20-9c31-2d3e4f5a6b07".to_owned());
        for (n, id) in [&older, &newer].into_iter().enumerate() {
            let event = Inbound::ReservationCanceled {
                reservation_id: id.clone(),
                car_no: "12GA3456".into(),
                customer_id: "alice".into(),
            };
            on_event(table.clone(), envelope(&format!("e{n}")), event).await.unwrap();
        }
        (older, newer)
    }

    #[tokio::test]
    async fn the_newest_reservation_is_listed_first() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let (older, newer) = two_reservations(&table).await;
        let ids: Vec<String> =
            rows_of(&*table, "alice", &FIRST_PAGE).await.unwrap().items.into_iter().map(|r| r.reservation_id).collect();
        assert_eq!(ids, vec![newer, older]);
    }

    #[tokio::test]
    async fn pages_of_one_row_follow_each_other_in_the_same_order() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let (older, newer) = two_reservations(&table).await;
        let first = rows_of(&*table, "alice", &PageRequest { limit: 1, after: None }).await.unwrap();
        let second = rows_of(&*table, "alice", &PageRequest { limit: 1, after: first.next.clone() }).await.unwrap();
        let paged: Vec<String> = first.items.into_iter().chain(second.items).map(|r| r.reservation_id).collect();
        assert_eq!((paged, second.next), (vec![newer, older], None));
    }
}
