//! The rental context's query, typed.

use framework::commit::load;
use framework::http::Caller;
use framework::refusal::{Refused, staff};
use framework::store::Table;

use crate::commands::Outcome;
use crate::rental::{Rental, rental_of};

/// `find-rental` (staff): the rental of a reservation. None yet, or one
/// closed before it started, is `NotFound`.
pub async fn find_rental(table: &dyn Table, caller: &Caller, reservation_id: &str) -> Outcome<Rental> {
    staff(caller)?;
    let rental = load::<Rental>(table, &rental_of(reservation_id)).await?;
    if !rental.state.started() {
        return Err(Refused::NotFound { what: "rental of reservation", id: reservation_id.to_owned() });
    }
    Ok(rental.state)
}
