//! The routes of the rental context: each turns its request into a typed
//! command or query, and the outcome into the contract's JSON. The
//! context's own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller, MAX_ID_LEN};
use framework::store::Table;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::rental::{Rental, RentalError, Status};
use crate::{commands, queries};
use framework::api::{Api, Param};

type Reply = Result<Response<Body>, ApiError>;

impl From<RentalError> for ApiError {
    fn from(e: RentalError) -> Self {
        match e {
            RentalError::Unknown => ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such rental."),
            RentalError::NotRented(status) => ApiError::conflict(
                "invalid_state",
                format!("The rental is {status}; only a Rented car can be returned."),
            ),
        }
    }
}

/// A rental as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RentalView<'a> {
    rental_id: &'a str,
    reservation_id: &'a str,
    car_no: &'a str,
    status: Option<Status>,
}

impl<'a> From<&'a Rental> for RentalView<'a> {
    fn from(r: &'a Rental) -> Self {
        Self { rental_id: &r.rental_id, reservation_id: &r.reservation_id, car_no: &r.car_no, status: r.status }
    }
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::ok::<RentalView>("return-car", "Take a rented car back").refuses(&[409]),
    Api::ok::<RentalView>("find-rental", "The rental of a reservation")
        .query(&[Param { name: "reservationId", description: "The reservation whose rental is asked for." }])
        .refuses(&[404]),
];

/// `POST /rentals/{rentalId}/return` (staff) → 200 `Returned`, only while `Rented`.
pub async fn return_car(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the path is read: a customer learns nothing of its validation.
    caller.require_staff()?;
    let id = http::path_param(&request, "rentalId")?;
    let rental = commands::return_car(&*table, &caller, &id).await?;
    http::ok(&RentalView::from(&rental))
}

/// `GET /rentals?reservationId=` (staff): the rental of a reservation.
pub async fn find_rental(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the query is read, as for `return-car`.
    caller.require_staff()?;
    let reservation_id = http::query_param(&request, "reservationId")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::invalid_field("reservationId", "is required in the query"))?;
    if reservation_id.len() > MAX_ID_LEN {
        return Err(ApiError::not_found("rental of reservation", "…"));
    }
    let rental = queries::find_rental(&*table, &caller, &reservation_id).await?;
    http::ok(&RentalView::from(&rental))
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;
    use framework::testing::ApiRequest;

    use super::*;

    fn request(method: &str, path: &str, sub: &str, staff: bool, body: Option<&str>) -> Request {
        ApiRequest::new(method, path).by(sub).staff(staff).body(body).routes(&["/rentals/{rentalId}/return"]).into()
    }

    #[tokio::test]
    async fn finding_a_rental_needs_staff_then_the_reservation_id() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let find = |path: &str, staff: bool| find_rental(table.clone(), request("GET", path, "bob", staff, None));
        assert_eq!(find("/rentals", false).await.unwrap_err().status.as_u16(), 403);
        let refused = find("/rentals", true).await.unwrap_err();
        assert_eq!((refused.status.as_u16(), refused.field.as_deref()), (400, Some("reservationId")));
        assert_eq!(find("/rentals?reservationId=r1", true).await.unwrap_err().status.as_u16(), 404);
    }

    #[tokio::test]
    async fn returning_needs_staff_and_a_known_rental() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let back = |staff: bool| return_car(table.clone(), request("POST", "/rentals/t1/return", "bob", staff, None));
        assert_eq!(back(false).await.unwrap_err().status.as_u16(), 403);
        assert_eq!(back(true).await.unwrap_err().status.as_u16(), 404);
    }
}
