//! Every change of a reservation, with what it does to its car, in one
//! transaction: the reservation's new state and events, the days of the car
//! it claims (or gives back), and the car's counters in the catalog row
//! (`live`, `rented`). So no two live reservations of a car hold one day,
//! on DynamoDB as here, and the catalog's status never drifts from the
//! reservations.

use framework::Aggregate;
use framework::commit::{Commit, CommitError, Inbox, Loaded, load};
use framework::envelope::Origin;
use framework::refusal::Refused;
use framework::store::{Item, Key, Table};
use serde_json::json;

use crate::reservation::{Command, Reservation, ReservationError, days_held, parse_date};
use crate::views::car_catalog;

/// How many times a change is decided again after losing a race.
const ATTEMPTS: usize = 8;

/// The partition of a car's days and of its deleted mark.
fn car_partition(car_no: &str) -> String {
    format!("Car#{car_no}")
}

fn day_key(car_no: &str, day: &str) -> Key {
    Key::new(car_partition(car_no), format!("Day#{day}"))
}

/// Written when the car is deleted; every reservation's transaction needs
/// it absent, so none is accepted once it is there.
pub fn gone_key(car_no: &str) -> Key {
    Key::new(car_partition(car_no), "GONE")
}

/// The reservations holding days of the car.
pub async fn holders(table: &dyn Table, car_no: &str) -> Result<Vec<String>, Refused<ReservationError>> {
    let mut query = framework::store::Query::partition(car_partition(car_no));
    query.sk_prefix = Some("Day#".into());
    let mut ids: Vec<String> = table
        .query(&query)
        .await?
        .into_iter()
        .filter_map(|item| item.body["reservationId"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// What a change did: the reservation after it, and whether it changed
/// (a repeated or late command changes nothing).
pub struct Changed {
    pub reservation: Reservation,
    pub changed: bool,
}

/// Decides `command` on reservation `id` and commits it with its days and
/// counters; `origin` publishes its events, `inbox` records the consumed
/// event (a redelivery changes nothing).
pub async fn change<F>(
    table: &dyn Table,
    id: &str,
    origin: &Origin,
    inbox: Option<Inbox<'_>>,
    command: F,
) -> Result<Changed, Refused<ReservationError>>
where
    F: Fn(&Loaded<Reservation>) -> Command,
{
    for _ in 0..ATTEMPTS {
        let mut loaded = load::<Reservation>(table, id).await?;
        let before = loaded.state.clone();
        let events = loaded.state.handle(command(&loaded)).map_err(Refused::Domain)?;
        if events.is_empty() {
            return Ok(Changed { reservation: loaded.state, changed: false });
        }
        let mut commit = Commit::new();
        commit.aggregate(&mut loaded, &events, origin).map_err(|e| {
            tracing::error!(error = %e, "reservation events could not be wrapped");
            Refused::Internal
        })?;
        let after = &loaded.state;
        let (was_live, is_live) = (before.is_live(), after.is_live());
        if is_live != was_live {
            let (Some(rental), Some(back)) = (parse_date(&after.rental_date), parse_date(&after.return_date)) else {
                tracing::error!(reservation_id = id, "stored dates are unreadable");
                return Err(Refused::Internal);
            };
            for day in days_held(rental, back) {
                let key = day_key(&after.car_no, &day);
                if is_live {
                    commit.claim(Item::new(key, 1, json!({ "reservationId": id })));
                } else {
                    commit.release(key);
                }
            }
            if is_live {
                commit.absent(gone_key(&after.car_no));
            }
        }
        let live = i64::from(is_live) - i64::from(was_live);
        let rented = i64::from(after.is_rented()) - i64::from(before.is_rented());
        if live != 0 || rented != 0 {
            let Some((mut row, version)) = car_catalog::find(table, &after.car_no).await? else {
                return Err(Refused::NotFound { what: "Car", id: after.car_no.clone() });
            };
            row.live = row.live.saturating_add_signed(live as i32);
            row.rented = row.rented.saturating_add_signed(rented as i32);
            commit.put(car_catalog::item(&row, version + 1), framework::store::Condition::loaded_at(version));
        }
        if let Some(inbox) = &inbox {
            commit.consumed(inbox.consumer, inbox.event_id);
        }
        match commit.submit(table).await {
            Ok(_) => return Ok(Changed { reservation: loaded.state, changed: true }),
            Err(CommitError::Duplicate) => return Ok(Changed { reservation: loaded.state, changed: false }),
            Err(CommitError::Stale) => continue,
            Err(CommitError::Held(key)) if key == gone_key(&loaded.state.car_no) => {
                return Err(Refused::NotFound { what: "Car", id: loaded.state.car_no.clone() });
            }
            Err(CommitError::Held(key)) => {
                let day = key.sk.trim_start_matches("Day#").to_owned();
                return Err(Refused::Domain(ReservationError::Overlap(day)));
            }
            Err(CommitError::Store(e)) => return Err(e.into()),
            Err(CommitError::Envelope(e)) => {
                tracing::error!(error = %e, "reservation events could not be wrapped");
                return Err(Refused::Internal);
            }
        }
    }
    Err(Refused::Unavailable { message: "This car is busy; try again.".into(), retry_after: 1 })
}
