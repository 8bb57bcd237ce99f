//! The routes of the car context: each turns its request into a typed
//! command, and the outcome into the contract's JSON. The context's own
//! refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::car::{Car, CarError, Status};
use crate::commands::{self, RegisterCar};
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

impl From<CarError> for ApiError {
    fn from(e: CarError) -> Self {
        match e {
            CarError::AlreadyRegistered { car_no, status: Status::Registered } => {
                ApiError::conflict("already_registered", format!("Car {car_no} is registered already."))
            }
            CarError::AlreadyRegistered { car_no, status: Status::Deleted } => ApiError::conflict(
                "already_registered",
                format!("Car {car_no} was registered and deleted; its number is not used again."),
            ),
            CarError::NotRegistered => ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such car."),
            CarError::Deleted { car_no } => ApiError::not_found("car", &car_no),
            CarError::Booked { live } => ApiError::conflict(
                "invalid_state",
                format!(
                    "The car is held by {live} live reservation{}; it can be deleted once none holds it.",
                    if live == 1 { "" } else { "s" }
                ),
            ),
        }
    }
}

/// A registered car as `POST /cars` answers it. A car just registered has
/// no reservation, so it is `Available` (the catalog derives the status
/// from then on).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisteredView<'a> {
    car_no: &'a str,
    model: &'a str,
    daily_rate: u64,
    status: &'static str,
}

impl<'a> From<&'a Car> for RegisteredView<'a> {
    fn from(car: &'a Car) -> Self {
        Self { car_no: &car.car_no, model: &car.model, daily_rate: car.daily_rate, status: "Available" }
    }
}

/// A deleted car as `DELETE /cars/{carNo}` answers it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeletedView<'a> {
    car_no: &'a str,
    status: Option<Status>,
}

impl<'a> From<&'a Car> for DeletedView<'a> {
    fn from(car: &'a Car) -> Self {
        Self { car_no: &car.car_no, status: car.status }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RegisterBody {
    #[schemars(length(min = 1, max = MAX_CAR_NO), pattern(r"^[A-Za-z0-9_-]+$"))]
    #[schemars(example = "car-01")]
    car_no: String,
    #[schemars(length(max = MAX_MODEL), pattern(http::NOT_BLANK))]
    #[schemars(example = &"Avante")]
    model: String,
    #[schemars(range(min = 1, max = MAX_DAILY_RATE))]
    #[serde(deserialize_with = "http::whole")]
    #[schemars(example = 10000)]
    daily_rate: i64,
}

const MAX_CAR_NO: usize = 32;
const MAX_MODEL: usize = 100;
const MAX_DAILY_RATE: u64 = 1_000_000;

/// 1 to 32 letters, digits, `-` or `_`: it is part of a URL (`/cars/{carNo}`).
fn car_no(value: &str) -> Result<String, ApiError> {
    let valid = !value.is_empty()
        && value.len() <= MAX_CAR_NO
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(value.to_owned())
    } else {
        Err(ApiError::invalid_field("carNo", format!("must be 1 to {MAX_CAR_NO} letters, digits, '-' or '_'")))
    }
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::created::<RegisteredView>("register-car", "Register a car in the catalog")
        .body::<RegisterBody>()
        .refuses(&[409]),
    Api::ok::<DeletedView>("delete-car", "Delete a car nobody has booked").refuses(&[409]),
];

/// `POST /cars {carNo, model, dailyRate}` (staff) → 201 with `Location`.
pub async fn register_car(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the body is read: a customer learns nothing of its validation.
    caller.require_staff()?;
    let input: RegisterBody = http::body(&request)?;
    let Some(daily_rate) = u64::try_from(input.daily_rate).ok().filter(|r| (1..=MAX_DAILY_RATE).contains(r)) else {
        return Err(ApiError::invalid_field("dailyRate", format!("must be a whole number from 1 to {MAX_DAILY_RATE}")));
    };
    let command = RegisterCar {
        car_no: car_no(&input.car_no)?,
        model: http::text_field("model", &input.model, MAX_MODEL)?,
        daily_rate,
    };
    let car = commands::register_car(&*table, &caller, command).await?;
    http::created(&format!("/cars/{}", car.car_no), &RegisteredView::from(&car))
}

/// `DELETE /cars/{carNo}` (staff) → 200 `Deleted`, unless a live reservation holds it.
pub async fn delete_car(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    // Before the path is read, as for `register-car`.
    caller.require_staff()?;
    let car_no = http::path_param(&request, "carNo")?;
    let car = commands::delete_car(&*table, &caller, &car_no).await?;
    http::ok(&DeletedView::from(&car))
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;
    use framework::testing::ApiRequest;

    use super::*;

    fn request(method: &str, path: &str, sub: &str, staff: bool, body: Option<&str>) -> Request {
        ApiRequest::new(method, path).by(sub).staff(staff).body(body).routes(&["/cars/{carNo}"]).into()
    }

    #[test]
    fn a_car_number_is_letters_digits_dashes_and_underscores() {
        assert_eq!(car_no("12GA-34_56").unwrap(), "12GA-34_56");
        for bad in ["", "12 GA", "12/GA", "가12", &"x".repeat(33)] {
            assert_eq!(car_no(bad).unwrap_err().field.as_deref(), Some("carNo"), "{bad:?}");
        }
    }

    #[test]
    fn each_refusal_is_the_contracts_status() {
        let answer = |e: CarError| {
            let e = ApiError::from(e);
            (e.status.as_u16(), e.code)
        };
        for status in [Status::Registered, Status::Deleted] {
            let again = CarError::AlreadyRegistered { car_no: "c".into(), status };
            assert_eq!(answer(again), (409, "already_registered"));
        }
        assert_eq!(answer(CarError::Deleted { car_no: "c".into() }), (404, "not_found"));
        assert_eq!(answer(CarError::NotRegistered), (404, "not_found"));
        assert_eq!(answer(CarError::Booked { live: 2 }), (409, "invalid_state"));
        assert!(ApiError::from(CarError::Booked { live: 2 }).message.contains("2 live reservations"));
    }

    fn table() -> Arc<dyn Table> {
        Arc::new(SqliteTable::open(None).unwrap())
    }

    async fn register(table: &Arc<dyn Table>, staff: bool, body: &str) -> Reply {
        register_car(table.clone(), request("POST", "/cars", "bob", staff, Some(body))).await
    }

    #[tokio::test]
    async fn registering_answers_201_with_the_car_and_its_location() {
        let table = table();
        let body = r#"{"carNo":"12GA3456","model":"Avante","dailyRate":50000}"#;
        let response = register(&table, true, body).await.unwrap();
        assert_eq!(response.status().as_u16(), 201);
        assert_eq!(response.headers()["location"], "/cars/12GA3456");
        let json: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"carNo": "12GA3456", "model": "Avante", "dailyRate": 50000, "status": "Available"})
        );
        assert_eq!(register(&table, true, body).await.unwrap_err().code, "already_registered");
    }

    #[tokio::test]
    async fn a_bad_field_is_named_and_a_customer_is_refused_before_the_body_is_read() {
        let table = table();
        for (body, field) in [
            (r#"{"carNo":"12 GA","model":"Avante","dailyRate":50000}"#, "carNo"),
            (r#"{"carNo":"12GA3456","model":"  ","dailyRate":50000}"#, "model"),
            (r#"{"carNo":"12GA3456","model":"Avante","dailyRate":0}"#, "dailyRate"),
            (r#"{"carNo":"12GA3456","model":"Avante","dailyRate":1000001}"#, "dailyRate"),
            (r#"{"carNo":"12GA3456","model":"Avante","dailyRate":12.5}"#, "dailyRate"),
            (r#"{"carNo":"12GA3456","model":"Avante"}"#, "dailyRate"),
        ] {
            let refused = register(&table, true, body).await.unwrap_err();
            assert_eq!((refused.status.as_u16(), refused.field.as_deref()), (400, Some(field)), "{body}");
        }
        let refused = register(&table, false, "not json").await.unwrap_err();
        assert_eq!(refused.status.as_u16(), 403);
    }

    #[tokio::test]
    async fn deleting_answers_200_deleted_then_404() {
        let table = table();
        register(&table, true, r#"{"carNo":"12GA3456","model":"Avante","dailyRate":50000}"#).await.unwrap();
        let delete = || delete_car(table.clone(), request("DELETE", "/cars/12GA3456", "bob", true, None));
        let response = delete().await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(
            (response.status().as_u16(), json),
            (200, serde_json::json!({"carNo": "12GA3456", "status": "Deleted"}))
        );
        assert_eq!(delete().await.unwrap_err().status.as_u16(), 404);
    }
}
