//! The route of the rating context: it turns its request into a typed
//! command, and the outcome into the contract's JSON. The context's own
//! refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::http::{self, ApiError, Caller, MAX_ID_LEN};
use framework::store::Table;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

use crate::commands::{self, RateCar};
use crate::rating::{Rating, RatingError};
use framework::api::Api;

type Reply = Result<Response<Body>, ApiError>;

impl From<RatingError> for ApiError {
    fn from(e: RatingError) -> Self {
        match e {
            RatingError::Unknown => ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such rental."),
            RatingError::NotReturned(status) => ApiError::conflict(
                "invalid_state",
                format!("The rental is {status}; a car can be rated once it is Returned."),
            ),
            RatingError::AlreadyRated => ApiError::conflict("already_rated", "This rental is rated already."),
        }
    }
}

/// A rating as `POST /ratings` answers it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RatingView<'a> {
    rating_id: &'a str,
    rental_id: &'a str,
    car_no: &'a str,
    stars: u8,
    comment: Option<&'a str>,
}

impl<'a> RatingView<'a> {
    /// The view of a rated rental (`None` before it is rated).
    fn of(rating: &'a Rating) -> Option<Self> {
        let rated = rating.rated.as_ref()?;
        Some(Self {
            rating_id: &rated.rating_id,
            rental_id: &rating.rental_id,
            car_no: &rating.car_no,
            stars: rated.stars,
            comment: rated.comment.as_deref(),
        })
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RateBody {
    #[schemars(length(max = 128), pattern(http::NOT_BLANK))]
    #[schemars(example = "363a0000-0000-7000-8000-000000000000")]
    rental_id: String,
    #[schemars(range(min = 1, max = 5))]
    #[serde(deserialize_with = "http::whole")]
    #[schemars(example = 5)]
    stars: i64,
    #[serde(default)]
    #[schemars(length(max = MAX_COMMENT))]
    #[schemars(example = "clean and quiet")]
    comment: Option<String>,
}

const MAX_COMMENT: usize = 500;

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[Api::created::<RatingView>("rate-car", "Rate the car of one's returned rental, once")
    .body::<RateBody>()
    .refuses(&[403, 404, 409])];

/// `POST /ratings {rentalId, stars, comment?}` (the renter) → 201 with `Location`.
pub async fn rate_car(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let input: RateBody = http::body(&request)?;
    let stars = u8::try_from(input.stars)
        .ok()
        .filter(|s| (1..=5).contains(s))
        .ok_or_else(|| ApiError::invalid_field("stars", "must be a whole number from 1 to 5"))?;
    if input.comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT) {
        return Err(ApiError::invalid_field("comment", format!("must be at most {MAX_COMMENT} characters")));
    }
    let command = RateCar {
        rental_id: http::text_field("rentalId", &input.rental_id, MAX_ID_LEN)?,
        stars,
        comment: input.comment,
    };
    let rating = commands::rate_car(&*table, &caller, command).await?;
    let view = RatingView::of(&rating).ok_or_else(|| {
        tracing::error!(rental_id = %rating.rental_id, "rated, yet no stars");
        ApiError::internal()
    })?;
    http::created(&format!("/ratings/{}", view.rating_id), &view)
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;
    use framework::testing::ApiRequest;

    use super::*;

    fn request(method: &str, path: &str, sub: &str, staff: bool, body: Option<&str>) -> Request {
        ApiRequest::new(method, path).by(sub).staff(staff).body(body).into()
    }

    fn status(e: RatingError) -> (u16, &'static str) {
        let e = ApiError::from(e);
        (e.status.as_u16(), e.code)
    }

    #[test]
    fn each_refusal_is_the_contracts_status() {
        assert_eq!(status(RatingError::Unknown), (404, "not_found"));
        assert_eq!(status(RatingError::NotReturned(crate::rating::RentalStatus::Rented)), (409, "invalid_state"));
        assert_eq!(status(RatingError::AlreadyRated), (409, "already_rated"));
    }

    #[tokio::test]
    async fn bad_stars_or_a_long_comment_are_named_before_the_rental_is_looked_up() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::open(None).unwrap());
        let long = format!(r#"{{"rentalId":"t1","stars":3,"comment":"{}"}}"#, "가".repeat(501));
        for (body, field) in [
            (r#"{"rentalId":"t1","stars":0}"#.to_owned(), "stars"),
            (r#"{"rentalId":"t1","stars":6}"#.to_owned(), "stars"),
            (r#"{"rentalId":"t1","stars":4.5}"#.to_owned(), "stars"),
            (r#"{"rentalId":"t1","stars":"5"}"#.to_owned(), "stars"),
            (r#"{"rentalId":"t1"}"#.to_owned(), "stars"),
            (r#"{"rentalId":"","stars":5}"#.to_owned(), "rentalId"),
            (long, "comment"),
        ] {
            let refused = rate_car(table.clone(), request("POST", "/ratings", "alice", false, Some(&body))).await;
            let refused = refused.unwrap_err();
            assert_eq!((refused.status.as_u16(), refused.field.as_deref()), (400, Some(field)), "{body}");
        }
        let ok_comment = format!(r#"{{"rentalId":"t1","stars":3,"comment":"{}"}}"#, "가".repeat(500));
        let refused = rate_car(table.clone(), request("POST", "/ratings", "alice", false, Some(&ok_comment))).await;
        assert_eq!(refused.unwrap_err().status.as_u16(), 404, "valid, but no such rental");
    }
}
