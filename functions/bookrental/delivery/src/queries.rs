//! The delivery context's query, typed.

use framework::commit::load;
use framework::http::Caller;
use framework::refusal::{Refused, staff};
use framework::store::Table;

use crate::commands::Outcome;
use crate::delivery::{Delivery, delivery_of};

/// `find-delivery` (staff): the delivery of a reservation.
pub async fn find_delivery(table: &dyn Table, caller: &Caller, reservation_id: &str) -> Outcome<Delivery> {
    staff(caller)?;
    let delivery = load::<Delivery>(table, &delivery_of(reservation_id)).await?;
    if !delivery.exists() {
        return Err(Refused::NotFound { what: "delivery of reservation", id: reservation_id.to_owned() });
    }
    Ok(delivery.state)
}
