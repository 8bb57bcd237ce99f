//! The order context's query, typed.

use framework::http::Caller;
use framework::refusal::{Refused, existing};
use framework::store::Table;

use crate::commands::Outcome;
use crate::order::Order;

/// The caller's order, if it is one: a `Pending` or `Abandoned` order is
/// not (yet), and is `NotFound` like one that never existed.
pub async fn visible(table: &dyn Table, caller: &Caller, order_id: &str) -> Outcome<Order> {
    let order = existing::<Order>(table, order_id).await?.state;
    if !order.status.is_some_and(|s| s.is_visible()) {
        return Err(Refused::not_found::<Order>(order_id));
    }
    if order.customer_id != caller.sub {
        return Err(Refused::NotOwner { what: "Order" });
    }
    Ok(order)
}

/// `get-order`: the owner's.
pub async fn get_order(table: &dyn Table, caller: &Caller, order_id: &str) -> Outcome<Order> {
    visible(table, caller, order_id).await
}
