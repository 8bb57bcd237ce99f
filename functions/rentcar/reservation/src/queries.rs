//! The reservation context's queries, typed.

use framework::http::Caller;
use framework::refusal::owned;
use framework::store::{Page, PageRequest, Table};

use crate::commands::Outcome;
use crate::reservation::Reservation;
use crate::views::car_catalog::{self, CatalogRow};

/// `get-reservation`: the owner's.
pub async fn get_reservation(table: &dyn Table, caller: &Caller, reservation_id: &str) -> Outcome<Reservation> {
    Ok(owned::<Reservation>(table, reservation_id, caller).await?.state)
}

/// `list-cars`: a page of the catalog, listed cars by car number.
pub async fn list_cars(table: &dyn Table, page: &PageRequest) -> Outcome<Page<CatalogRow>> {
    Ok(car_catalog::all(table, page).await?)
}
