//! Blue stickies of the payment context as typed commands: the internal
//! `approve-payment` (reservation's synchronous call: a service's, not a
//! user's) and the customer's `cancel-payment`. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::{Refused, existing};
use framework::store::Table;

use crate::SOURCE;
use crate::payment::{Charge, Command, Payment, PaymentError, payment_of};

pub type Outcome<T> = Result<T, Refused<PaymentError>>;

/// `approve-payment` (internal): charges the reservation's amount, once. A
/// retry (the caller lost the answer) gets the same payment; a reservation
/// canceled before is refused.
pub async fn approve_payment(table: &dyn Table, charge: Charge) -> Outcome<Payment> {
    let payment_id = payment_of(&charge.reservation_id);
    let origin = Origin { source: SOURCE, correlation_id: charge.reservation_id.clone() };
    let done = execute::<Payment, _>(table, &payment_id, &origin, None, |_| Command::Approve(charge.clone())).await?;
    tracing::info!(payment_id = %payment_id, reservation_id = %charge.reservation_id, "payment approved");
    Ok(done.aggregate.state)
}

/// `cancel-payment`: the owner's, while the car is not returned.
pub async fn cancel_payment(table: &dyn Table, caller: &Caller, payment_id: &str) -> Outcome<Payment> {
    // A reservation closed before any approval leaves a record, not a payment.
    let payment = existing::<Payment>(table, payment_id).await?;
    if payment.state.status.is_none() {
        return Err(Refused::not_found::<Payment>(payment_id));
    }
    if payment.state.customer_id != caller.sub {
        return Err(Refused::NotOwner { what: "Payment" });
    }
    let origin = Origin { source: SOURCE, correlation_id: payment.state.reservation_id.clone() };
    let done = execute::<Payment, _>(table, payment_id, &origin, None, |_| Command::Cancel).await?;
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;

    use super::*;
    use crate::payment::Status;

    fn charge() -> Charge {
        Charge { reservation_id: "r1".into(), car_no: "car01".into(), customer_id: "alice".into(), amount: 30_000 }
    }

    fn customer(sub: &str) -> Caller {
        Caller { sub: sub.into(), groups: vec![] }
    }

    #[tokio::test]
    async fn approving_twice_charges_once_and_only_the_payer_cancels() {
        let table = SqliteTable::open(None).unwrap();
        let first = approve_payment(&table, charge()).await.unwrap();
        let again = approve_payment(&table, charge()).await.unwrap();
        assert_eq!((first.payment_id.clone(), first.status), (again.payment_id.clone(), Some(Status::Approved)));
        assert_eq!(
            cancel_payment(&table, &customer("carol"), &first.payment_id).await,
            Err(Refused::NotOwner { what: "Payment" })
        );
        let canceled = cancel_payment(&table, &customer("alice"), &first.payment_id).await.unwrap();
        assert_eq!(canceled.status, Some(Status::Canceled));
        assert_eq!(
            approve_payment(&table, charge()).await,
            Err(Refused::Domain(PaymentError::ReservationClosed)),
            "a refunded payment is not approved again"
        );
    }
}
