//! The reservation context's query, typed.

use framework::http::Caller;
use framework::refusal::owned;
use framework::store::Table;

use crate::commands::Outcome;
use crate::reservation::Reservation;

/// `get-reservation`: the owner's.
pub async fn get_reservation(table: &dyn Table, caller: &Caller, reservation_id: &str) -> Outcome<Reservation> {
    Ok(owned::<Reservation>(table, reservation_id, caller).await?.state)
}
