//! The car catalog view (green sticky): what customers see before reserving,
//! fed by car's and rating's events so the reservation context never reads
//! their tables. One row per car; its status comes from two counters that
//! reservation's own transactions move (`live`, `rented`), see
//! [`crate::ledger`].

use std::sync::Arc;

use framework::store::{Item, Key, Page, PageRequest, Query, StoreError, Table};
use framework::{Envelope, PolicyError};
use serde::{Deserialize, Serialize};

pub const CAR_CATALOG: &str = "car-catalog";

const PARTITION: &str = "Catalog";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogRow {
    pub car_no: String,
    /// `None` while only a later event of the car was heard.
    pub model: Option<String>,
    pub daily_rate: u64,
    pub deleted: bool,
    /// Live reservations of the car (holding days).
    pub live: u32,
    /// Rentals of the car out now.
    pub rented: u32,
    pub rating_sum: u64,
    pub rating_count: u64,
}

impl CatalogRow {
    /// Reservable: registered and not deleted.
    pub fn is_listed(&self) -> bool {
        self.model.is_some() && !self.deleted
    }

    /// `Rented` while a rental is out, else `Reserved` while a reservation
    /// holds it, else `Available`.
    pub fn status(&self) -> &'static str {
        if self.rented > 0 {
            "Rented"
        } else if self.live > 0 {
            "Reserved"
        } else {
            "Available"
        }
    }

    /// The average stars, to one decimal; `None` before the first rating.
    pub fn rating(&self) -> Option<f64> {
        (self.rating_count > 0).then(|| (self.rating_sum as f64 * 10.0 / self.rating_count as f64).round() / 10.0)
    }
}

pub fn key(car_no: &str) -> Key {
    Key::new(PARTITION, car_no)
}

/// The car's row and its version (for a write conditioned on it).
pub async fn find(table: &dyn Table, car_no: &str) -> Result<Option<(CatalogRow, u64)>, StoreError> {
    let Some(item) = table.get(&key(car_no)).await? else {
        return Ok(None);
    };
    let row =
        serde_json::from_value(item.body).map_err(|e| StoreError::Invalid(format!("catalog row {car_no}: {e}")))?;
    Ok(Some((row, item.version)))
}

/// The row as an item at `version`.
pub fn item(row: &CatalogRow, version: u64) -> Item {
    Item::new(key(&row.car_no), version, serde_json::to_value(row).expect("a catalog row always serializes"))
}

/// A page of the catalog's rows, by car number, keeping the listed cars
/// only: a page may hold fewer than its limit, and the next one starts after
/// the last row scanned.
pub async fn all(table: &dyn Table, page: &PageRequest) -> Result<Page<CatalogRow>, StoreError> {
    let found = framework::store::page(table, Query::partition(PARTITION), page).await?;
    Ok(found.filter_map(|i| serde_json::from_value::<CatalogRow>(i.body).ok().filter(CatalogRow::is_listed)))
}

/// The events this view reads.
#[derive(Debug, Deserialize, strum::VariantNames)]
#[serde(tag = "type", content = "data", rename_all_fields = "camelCase")]
pub enum Inbound {
    CarRegistered { car_no: String, model: String, daily_rate: u64 },
    CarDeleted { car_no: String },
    CarRated { car_no: String, stars: u64 },
}

pub async fn on_event(table: Arc<dyn Table>, envelope: Envelope, event: Inbound) -> Result<(), PolicyError> {
    let car_no = match &event {
        Inbound::CarRegistered { car_no, .. } | Inbound::CarDeleted { car_no } | Inbound::CarRated { car_no, .. } => {
            car_no.clone()
        }
    };
    framework::view::update(
        &*table,
        key(&car_no),
        CAR_CATALOG,
        &envelope,
        |row: Option<CatalogRow>| {
            let mut row = row.unwrap_or_else(|| CatalogRow { car_no: car_no.clone(), ..CatalogRow::default() });
            match &event {
                Inbound::CarRegistered { model, daily_rate, .. } => {
                    row.model = Some(model.clone());
                    row.daily_rate = *daily_rate;
                }
                Inbound::CarDeleted { .. } => row.deleted = true,
                // Counted once per event: the inbox record commits with the row.
                Inbound::CarRated { stars, .. } => {
                    row.rating_sum += stars;
                    row.rating_count += 1;
                }
            }
            Some(row)
        },
        |_| None,
    )
    .await
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;
    use framework::store::{Condition, WriteOp};

    use super::*;

    fn car(car_no: &str, deleted: bool) -> CatalogRow {
        CatalogRow { car_no: car_no.into(), model: Some("Avante".into()), deleted, ..CatalogRow::default() }
    }

    #[tokio::test]
    async fn a_page_leaves_out_unlisted_cars_and_the_next_starts_after_the_rows_scanned() {
        let table = SqliteTable::open(None).unwrap();
        let rows = [car("11GA1111", false), car("22GA2222", true), car("33GA3333", false)];
        let puts = rows.iter().map(|row| WriteOp::Put { item: item(row, 1), condition: Condition::Always }).collect();
        table.transact(puts).await.unwrap();
        let first = all(&table, &PageRequest { limit: 2, after: None }).await.unwrap();
        let second = all(&table, &PageRequest { limit: 2, after: first.next.clone() }).await.unwrap();
        let numbers = |page: &Page<CatalogRow>| page.items.iter().map(|r| r.car_no.clone()).collect::<Vec<_>>();
        assert_eq!(numbers(&first), vec!["11GA1111"], "the deleted car took a place of the page");
        assert!(first.next.is_some(), "more rows were left to scan");
        assert_eq!((numbers(&second), second.next), (vec!["33GA3333".to_owned()], None));
    }
}
