//! The delivery context's query, typed.

use framework::commit::load;
use framework::http::Caller;
use framework::refusal::{Refused, staff};
use framework::store::Table;

use crate::commands::Outcome;
use crate::delivery::{Delivery, delivery_of};

/// `find-delivery` (staff): the parcel of an order. None yet, or one closed
/// before it existed, is `NotFound`.
pub async fn find_delivery(table: &dyn Table, caller: &Caller, order_id: &str) -> Outcome<Delivery> {
    staff(caller)?;
    let delivery = load::<Delivery>(table, &delivery_of(order_id)).await?;
    if !delivery.state.is_visible() {
        return Err(Refused::NotFound { what: "delivery of order", id: order_id.to_owned() });
    }
    Ok(delivery.state)
}
