//! Lilac sticky `cancel-for-deleted-car`: a reservation accepted for a car
//! that car management had already deleted (the catalog lagged) ends
//! `Canceled` with `cancelReason` `car_deleted`.
//!
//! First the car's mark goes in, which every reservation's transaction
//! needs absent: from then on none is accepted. Then every reservation
//! still holding days of the car is canceled (each cancel is idempotent, so
//! a redelivery after a crash midway finishes the job), and only then is the
//! event recorded as consumed.

use std::sync::Arc;

use framework::commit::Commit;
use framework::store::{Condition, Item, Table};
use framework::{Envelope, Origin, PolicyError};
use serde::Deserialize;

use crate::SOURCE;
use crate::ledger::{change, gone_key, holders};
use crate::reservation::{CancelReason, Command};

pub const CANCEL_FOR_DELETED_CAR: &str = "cancel-for-deleted-car";

/// Car's events, as this policy reads them.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    CarDeleted { car_no: String },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let Inbound::CarDeleted { car_no } = event;
    let table = &*table;
    let mut mark = Commit::new();
    mark.put(Item::new(gone_key(&car_no), 1, serde_json::json!({ "carNo": car_no })), Condition::Always);
    mark.submit(table).await?;
    for reservation_id in holders(table, &car_no).await.map_err(crate::policy_error)? {
        let origin = Origin { source: SOURCE, correlation_id: reservation_id.clone() };
        change(table, &reservation_id, &origin, None, |_| Command::Cancel(CancelReason::CarDeleted))
            .await
            .map_err(crate::policy_error)?;
        tracing::info!(reservation_id, car_no, "reservation of a deleted car canceled");
    }
    let mut consumed = Commit::new();
    consumed.consumed(CANCEL_FOR_DELETED_CAR, &envelope.event_id);
    framework::queue::settle(consumed.submit(table).await)
}
