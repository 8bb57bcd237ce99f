//! The pay context's internal `approve-pay` as a typed command (order's
//! synchronous call: a service's, not a user's). Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::refusal::Refused;
use framework::store::Table;

use crate::SOURCE;
use crate::payment::{Charge, Command, Payment, PaymentError, payment_of};

pub type Outcome<T> = Result<T, Refused<PaymentError>>;

/// `approve-pay`: charges the order's amount, once. A retry gets the same
/// payment; an order closed before is refused.
pub async fn approve_pay(table: &dyn Table, charge: Charge) -> Outcome<Payment> {
    let payment_id = payment_of(&charge.order_id);
    let origin = Origin { source: SOURCE, correlation_id: charge.order_id.clone() };
    let done = execute::<Payment, _>(table, &payment_id, &origin, None, |_| Command::Approve(charge.clone())).await?;
    tracing::info!(payment_id = %payment_id, order_id = %charge.order_id, "payment approved");
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;

    use super::*;
    use crate::payment::Status;

    #[tokio::test]
    async fn approving_twice_charges_once() {
        let table = SqliteTable::open(None).unwrap();
        let charge = Charge {
            order_id: "o1".into(),
            item_cd: "ITEM-001".into(),
            quantity: 1,
            address: "Seoul".into(),
            customer_id: "alice".into(),
            amount: 12_000,
        };
        let first = approve_pay(&table, charge.clone()).await.unwrap();
        let again = approve_pay(&table, charge).await.unwrap();
        assert_eq!((first.payment_id, first.status), (again.payment_id, Some(Status::Approved)));
    }
}
