//! rentcar (seed 003), end to end over HTTP through the local runner: cars,
//! reservations over date ranges that never overlap, payment through the
//! circuit breaker, rentals, ratings and MyPage; a canceled payment's
//! compensation, a reservation racing the car's deletion, and bad input.

use std::time::Duration;

use acceptance::*;
use serde_json::{Value, json};

const SYSTEM: &str = "rentcar";

struct World(Stage);

impl std::ops::Deref for World {
    type Target = Stage;
    fn deref(&self) -> &Stage {
        &self.0
    }
}

impl World {
    fn new(backend: Backend) -> Self {
        Self(Stage::new(RunnerOptions::on(backend).with_parameters(FAST_CIRCUIT).serving(SYSTEM)))
    }

    /// Registers a car and waits until the catalog lists it.
    fn car(&self, car_no: &str, daily_rate: u64) {
        let body = json!({"carNo": car_no, "model": "Avante", "dailyRate": daily_rate});
        let reply = self.client.post_json("/cars", Some(&self.staff), &body);
        assert_eq!(reply.status, 201, "{reply:?}");
        assert_eq!(
            reply.body,
            json!({"carNo": car_no, "model": "Avante", "dailyRate": daily_rate, "status": "Available"})
        );
        self.wait_car(car_no, |c| c["status"] == "Available");
    }

    fn catalog_car(&self, car_no: &str) -> Option<Value> {
        self.get(&self.alice, "/cars").as_array()?.iter().find(|c| c["carNo"] == car_no).cloned()
    }

    fn wait_car(&self, car_no: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        eventually(self.converge, || self.catalog_car(car_no).filter(|c| wanted(c)))
            .unwrap_or_else(|| panic!("the catalog never showed {car_no} as wanted: {:?}", self.catalog_car(car_no)))
    }

    fn reserve(&self, token: &str, car_no: &str, rental: &str, back: &str) -> Reply {
        let body = json!({"carNo": car_no, "rentalDate": rental, "returnDate": back});
        self.client.post_json("/reservations", Some(token), &body)
    }

    fn reserved(&self, token: &str, car_no: &str, rental: &str, back: &str) -> String {
        let reply = self.reserve(token, car_no, rental, back);
        assert_eq!(reply.status, 201, "{reply:?}");
        assert_eq!(reply.body["status"], "Reserved");
        reply.body["reservationId"].as_str().expect("an id").to_owned()
    }

    fn reservation(&self, token: &str, id: &str) -> Value {
        self.get(token, &format!("/reservations/{id}"))
    }

    fn wait_reservation(&self, token: &str, id: &str, field: &str, value: &str) -> Value {
        eventually(self.converge, || Some(self.reservation(token, id)).filter(|r| r[field] == value))
            .unwrap_or_else(|| panic!("reservation {id} never had {field}={value}: {:?}", self.reservation(token, id)))
    }

    fn pay(&self, token: &str, id: &str) -> Reply {
        self.client.post(&format!("/reservations/{id}/pay"), Some(token), "")
    }

    fn rental(&self, reservation_id: &str) -> Option<Value> {
        let reply = self.client.get(&format!("/rentals?reservationId={reservation_id}"), Some(&self.staff));
        (reply.status == 200).then_some(reply.body)
    }

    fn wait_rental(&self, reservation_id: &str, wanted: &str) -> Value {
        eventually(self.converge, || self.rental(reservation_id).filter(|r| r["status"] == wanted))
            .unwrap_or_else(|| panic!("rental of {reservation_id} never {wanted}: {:?}", self.rental(reservation_id)))
    }

    fn row(&self, token: &str, reservation_id: &str) -> Option<Value> {
        self.get(token, "/mypage").as_array()?.iter().find(|r| r["reservationId"] == reservation_id).cloned()
    }

    fn wait_row(&self, token: &str, reservation_id: &str, field: &str, value: impl Into<Value>) -> Value {
        let value = value.into();
        eventually(self.converge, || self.row(token, reservation_id).filter(|r| r[field] == value))
            .unwrap_or_else(|| panic!("mypage never showed {field}={value}: {:?}", self.row(token, reservation_id)))
    }

    fn payment_calls(&self, mode: &str) {
        let reply =
            self.client.runner_post("/_local/rentcar/contexts/payment/calls", &json!({"mode": mode}).to_string());
        assert_eq!(reply.status, 200, "{reply:?}");
    }

    fn context(&self, context: &str, action: &str) {
        let reply = self.client.runner_post(&format!("/_local/rentcar/contexts/{context}/{action}"), "");
        assert_eq!(reply.status, 200, "{reply:?}");
    }

    /// Reserves, pays and waits for the rental: `(reservationId, paymentId, rentalId)`.
    fn rented(&self, token: &str, car_no: &str, rental: &str, back: &str) -> (String, String, String) {
        let id = self.reserved(token, car_no, rental, back);
        let paid = self.pay(token, &id);
        assert_eq!((paid.status, paid.body["status"].as_str()), (200, Some("Paid")), "{paid:?}");
        let payment_id = paid.body["paymentId"].as_str().expect("a payment").to_owned();
        let rental_id = self.wait_rental(&id, "Rented")["rentalId"].as_str().expect("a rental").to_owned();
        (id, payment_id, rental_id)
    }
}

fn health_answers_without_a_token(backend: Backend) {
    let w = World::new(backend);
    let reply = w.client.get("/health", None);
    assert_eq!((reply.status, reply.body), (200, json!({"status": "ok"})));
}

/// The seed's story: register, reserve, pay, rent, return, rate.
fn a_car_is_reserved_paid_rented_returned_and_rated(backend: Backend) {
    let w = World::new(backend);
    w.car("car01", 10_000);
    assert_eq!(
        w.catalog_car("car01"),
        Some(
            json!({"carNo": "car01", "model": "Avante", "dailyRate": 10_000, "status": "Available", "rating": null, "ratingCount": 0})
        )
    );
    let reply = w.reserve(&w.alice, "car01", "2026-12-06", "2026-12-09");
    assert_eq!(reply.status, 201, "{reply:?}");
    let id = reply.body["reservationId"].as_str().unwrap().to_owned();
    assert_eq!(
        reply.body,
        json!({"reservationId": id, "carNo": "car01", "rentalDate": "2026-12-06", "returnDate": "2026-12-09", "amount": 30_000, "status": "Reserved"})
    );
    assert_eq!(w.catalog_car("car01").unwrap()["status"], "Reserved");

    let paid = w.pay(&w.alice, &id);
    assert_eq!(paid.status, 200, "{paid:?}");
    let payment_id = paid.body["paymentId"].as_str().expect("a payment id").to_owned();
    assert_eq!(paid.body, json!({"reservationId": id, "status": "Paid", "paymentId": payment_id}));
    let rental = w.wait_rental(&id, "Rented");
    let rental_id = rental["rentalId"].as_str().unwrap().to_owned();
    assert_eq!(rental, json!({"rentalId": rental_id, "reservationId": id, "carNo": "car01", "status": "Rented"}));
    w.wait_car("car01", |c| c["status"] == "Rented");

    let early = w.client.post_json("/ratings", Some(&w.alice), &json!({"rentalId": rental_id, "stars": 5}));
    assert_eq!((early.status, early.code()), (409, "invalid_state"), "not before the return: {early:?}");
    let returned = w.client.post(&format!("/rentals/{rental_id}/return"), Some(&w.staff), "");
    assert_eq!((returned.status, returned.body["status"].as_str()), (200, Some("Returned")), "{returned:?}");
    w.wait_car("car01", |c| c["status"] == "Available");

    let stranger = w.client.post_json("/ratings", Some(&w.carol), &json!({"rentalId": rental_id, "stars": 1}));
    assert_eq!(stranger.status, 403, "only the renter rates: {stranger:?}");
    let rate = || {
        w.client.post_json("/ratings", Some(&w.alice), &json!({"rentalId": rental_id, "stars": 5, "comment": "clean"}))
    };
    let rated = eventually(w.converge, || Some(rate()).filter(|r| r.status != 409)).unwrap_or_else(rate);
    assert_eq!((rated.status, rated.body["stars"].as_u64()), (201, Some(5)), "{rated:?}");
    let twice = rate();
    assert_eq!((twice.status, twice.code()), (409, "already_rated"), "{twice:?}");
    let rated_car = w.wait_car("car01", |c| c["ratingCount"] == 1);
    assert_eq!(rated_car["rating"], 5.0);

    let row = w.wait_row(&w.alice, &id, "stars", 5);
    assert_eq!(
        row,
        json!({
            "reservationId": id, "carNo": "car01", "rentalDate": "2026-12-06", "returnDate": "2026-12-09",
            "amount": 30_000, "reservationStatus": "Paid", "paymentId": payment_id, "paymentStatus": "Approved",
            "rentalId": rental_id, "rentalStatus": "Returned", "stars": 5,
        })
    );
}

fn overlapping_reservations_are_refused_and_a_cancel_frees_the_days(backend: Backend) {
    let w = World::new(backend);
    w.car("car01", 10_000);
    let first = w.reserved(&w.alice, "car01", "2026-12-06", "2026-12-09");
    let overlap = w.reserve(&w.carol, "car01", "2026-12-08", "2026-12-10");
    assert_eq!((overlap.status, overlap.code()), (409, "overlap"), "{overlap:?}");
    assert!(overlap.body["error"]["message"].as_str().unwrap().contains("2026-12-08"));
    w.reserved(&w.carol, "car01", "2026-12-09", "2026-12-10");
    let canceled = w.client.post(&format!("/reservations/{first}/cancel"), Some(&w.alice), "");
    assert_eq!((canceled.status, canceled.body["status"].as_str()), (200, Some("Canceled")), "{canceled:?}");
    assert_eq!(canceled.body["cancelReason"], "customer");
    w.reserved(&w.carol, "car01", "2026-12-06", "2026-12-08");
    let again = w.client.post(&format!("/reservations/{first}/cancel"), Some(&w.alice), "");
    assert_eq!((again.status, again.code()), (409, "invalid_state"));
}

/// Clients racing for the same days: exactly one gets the car.
fn racing_overlapping_reservations_book_the_car_once(backend: Backend) {
    let w = World::new(backend);
    w.car("car01", 10_000);
    let tokens: Vec<String> = (0..8).map(|i| token(&format!("racer{i}"), &[])).collect();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let racers: Vec<_> =
            tokens.iter().map(|t| scope.spawn(|| w.reserve(t, "car01", "2026-12-24", "2026-12-27").status)).collect();
        racers.into_iter().map(|r| r.join().expect("a racer")).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
}

/// Payment down: 503 + Retry-After, the reservation unpaid; the circuit
/// opens; back up, a later pay goes through.
fn with_payment_down_pay_is_refused_and_works_once_it_is_back(backend: Backend) {
    let w = World::new(backend);
    w.car("car01", 10_000);
    let id = w.reserved(&w.alice, "car01", "2026-12-06", "2026-12-07");
    w.payment_calls("down");
    for attempt in 1..=4 {
        let reply = w.pay(&w.alice, &id);
        assert_eq!((reply.status, reply.code()), (503, "unavailable"), "attempt {attempt}: {reply:?}");
        assert!(reply.body["error"]["message"].as_str().unwrap().contains("pay later"));
    }
    let received = w.client.runner_get("/_local/rentcar/contexts/payment/calls").body["received"].as_u64();
    assert_eq!(received, Some(3), "the open circuit answered the fourth without calling payment");
    assert_eq!(w.reservation(&w.alice, &id)["status"], "Reserved", "nothing changed");
    assert_eq!(w.rental(&id), None);
    w.payment_calls("up");
    let paid = eventually(Duration::from_secs(10), || Some(w.pay(&w.alice, &id)).filter(|r| r.status == 200))
        .expect("pay goes through once the circuit lets a probe by");
    assert_eq!(paid.body["status"], "Paid");
    w.wait_rental(&id, "Rented");
}

/// A canceled payment: the rental is canceled, the reservation too
/// (`payment_canceled`), and its days are free again.
fn a_canceled_payment_cancels_the_rental_and_the_reservation(backend: Backend) {
    let w = World::new(backend);
    w.car("car01", 10_000);
    let (id, payment_id, _) = w.rented(&w.alice, "car01", "2026-12-06", "2026-12-08");
    let stranger = w.client.post(&format!("/payments/{payment_id}/cancel"), Some(&w.carol), "");
    assert_eq!(stranger.status, 403, "{stranger:?}");
    let canceled = w.client.post(&format!("/payments/{payment_id}/cancel"), Some(&w.alice), "");
    assert_eq!((canceled.status, canceled.body["status"].as_str()), (200, Some("Canceled")), "{canceled:?}");
    w.wait_rental(&id, "Canceled");
    let reservation = w.wait_reservation(&w.alice, &id, "status", "Canceled");
    assert_eq!(reservation["cancelReason"], "payment_canceled");
    w.wait_car("car01", |c| c["status"] == "Available");
    w.reserved(&w.carol, "car01", "2026-12-06", "2026-12-08");
    // MyPage hears the reservation's and the rental's cancels from two
    // contexts, in either order: each is waited for.
    w.wait_row(&w.alice, &id, "reservationStatus", "Canceled");
    w.wait_row(&w.alice, &id, "rentalStatus", "Canceled");
    let row = w.wait_row(&w.alice, &id, "paymentStatus", "Canceled");
    assert_eq!((&row["reservationStatus"], &row["rentalStatus"]), (&json!("Canceled"), &json!("Canceled")));
}

/// Car refuses to delete a car it knows is reserved or rented, and deletes
/// it once nothing is live; a deleted car is neither reservable nor listed.
fn a_car_is_deleted_only_when_nothing_is_live(backend: Backend) {
    let w = World::new(backend);
    w.car("car01", 10_000);
    let id = w.reserved(&w.alice, "car01", "2026-12-06", "2026-12-07");
    w.wait_settled();
    let reserved = w.client.delete("/cars/car01", Some(&w.staff));
    assert_eq!((reserved.status, reserved.code()), (409, "invalid_state"), "reserved: {reserved:?}");
    let paid = w.pay(&w.alice, &id);
    assert_eq!(paid.status, 200, "{paid:?}");
    let rental_id = w.wait_rental(&id, "Rented")["rentalId"].as_str().unwrap().to_owned();
    w.wait_settled();
    let rented = w.client.delete("/cars/car01", Some(&w.staff));
    assert_eq!(rented.status, 409, "rented: {rented:?}");
    let returned = w.client.post(&format!("/rentals/{rental_id}/return"), Some(&w.staff), "");
    assert_eq!(returned.status, 200, "{returned:?}");
    w.wait_settled();
    let deleted = w.client.delete("/cars/car01", Some(&w.staff));
    assert_eq!((deleted.status, deleted.body["status"].as_str()), (200, Some("Deleted")), "{deleted:?}");
    let unlisted = eventually(w.converge, || w.catalog_car("car01").is_none().then_some(()));
    assert!(unlisted.is_some(), "a deleted car is not listed");
    let refused = w.reserve(&w.alice, "car01", "2026-12-20", "2026-12-21");
    assert_eq!((refused.status, refused.code()), (404, "not_found"), "{refused:?}");
}

/// The race the contract names: a reservation accepted while car
/// management had not heard of it, then the car deleted.
fn a_reservation_racing_the_deletion_ends_canceled(backend: Backend) {
    let w = World::new(backend);
    w.car("car01", 10_000);
    // Car's consumers (and relay) are stopped: it never hears of this
    // reservation before the delete, which its command still answers.
    w.context("car", "stop");
    let id = w.reserved(&w.alice, "car01", "2026-12-06", "2026-12-07");
    let paid = w.pay(&w.alice, &id);
    assert_eq!(paid.status, 200, "{paid:?}");
    let deleted = w.client.delete("/cars/car01", Some(&w.staff));
    assert_eq!(deleted.status, 200, "car does not know the reservation yet: {deleted:?}");
    w.context("car", "start");
    let reservation = w.wait_reservation(&w.alice, &id, "status", "Canceled");
    assert_eq!(reservation["cancelReason"], "car_deleted");
    // Its payment is refunded and its rental canceled.
    w.wait_rental(&id, "Canceled");
    let row = w.wait_row(&w.alice, &id, "paymentStatus", "Canceled");
    assert_eq!(row["reservationStatus"], "Canceled");
    let refused = w.reserve(&w.carol, "car01", "2026-12-20", "2026-12-21");
    assert_eq!(refused.status, 404, "{refused:?}");
}

/// Bad input gets the contract's error and changes nothing.
fn bad_input_gets_the_contracts_error_and_changes_nothing(backend: Backend) {
    let w = World::new(backend);
    w.car("car01", 10_000);
    let id = w.reserved(&w.alice, "car01", "2026-12-06", "2026-12-07");
    let before = (w.reservation(&w.alice, &id), w.catalog_car("car01"));
    let forged = forged_token("alice");
    let expired = expired_token("alice");
    let routes = [
        ("POST", "/cars".to_owned(), r#"{"carNo":"car02","model":"K5","dailyRate":1}"#),
        ("DELETE", "/cars/car01".to_owned(), ""),
        ("GET", "/cars".to_owned(), ""),
        (
            "POST",
            "/reservations".to_owned(),
            r#"{"carNo":"car01","rentalDate":"2026-12-10","returnDate":"2026-12-11"}"#,
        ),
        ("GET", format!("/reservations/{id}"), ""),
        ("POST", format!("/reservations/{id}/cancel"), ""),
        ("POST", format!("/reservations/{id}/pay"), ""),
        ("GET", "/mypage".to_owned(), ""),
        ("POST", "/ratings".to_owned(), r#"{"rentalId":"x","stars":5}"#),
        ("GET", "/rentals?reservationId=x".to_owned(), ""),
    ];
    let mut cases = unauthorized_cases(&routes, &forged, &expired);
    let alice = Some(w.alice.as_str());
    let carol = Some(w.carol.as_str());
    let staff = Some(w.staff.as_str());
    cases.extend([
        ("POST", "/cars".to_owned(), alice, r#"{"carNo":"car02","model":"K5","dailyRate":1}"#, 403, "forbidden", None),
        (
            "POST",
            "/cars".to_owned(),
            staff,
            r#"{"carNo":"car02","model":"K5","dailyRate":0}"#,
            400,
            "invalid_field",
            Some("dailyRate"),
        ),
        (
            "POST",
            "/cars".to_owned(),
            staff,
            r#"{"carNo":"car01","model":"K5","dailyRate":5}"#,
            409,
            "already_registered",
            None,
        ),
        ("DELETE", "/cars/car01".to_owned(), alice, "", 403, "forbidden", None),
        ("DELETE", "/cars/nocar".to_owned(), staff, "", 404, "not_found", None),
        ("POST", "/reservations".to_owned(), alice, "{", 400, "malformed_json", None),
        (
            "POST",
            "/reservations".to_owned(),
            alice,
            r#"{"carNo":"car01","rentalDate":"2026-13-01","returnDate":"2026-12-11"}"#,
            400,
            "invalid_field",
            Some("rentalDate"),
        ),
        (
            "POST",
            "/reservations".to_owned(),
            alice,
            r#"{"carNo":"car01","rentalDate":"2026-12-11","returnDate":"2026-12-10"}"#,
            400,
            "invalid_field",
            Some("returnDate"),
        ),
        (
            "POST",
            "/reservations".to_owned(),
            alice,
            r#"{"carNo":"car01","rentalDate":"2026-12-01","returnDate":"2027-01-15"}"#,
            400,
            "invalid_field",
            Some("returnDate"),
        ),
        (
            "POST",
            "/reservations".to_owned(),
            alice,
            r#"{"carNo":"car01","rentalDate":"2026-12-10"}"#,
            400,
            "invalid_field",
            Some("returnDate"),
        ),
        (
            "POST",
            "/reservations".to_owned(),
            alice,
            r#"{"carNo":"car01","rentalDate":"2026-12-10","returnDate":"2026-12-11","customerId":"eve"}"#,
            400,
            "invalid_field",
            None,
        ),
        (
            "POST",
            "/reservations".to_owned(),
            alice,
            r#"{"carNo":"nocar","rentalDate":"2026-12-10","returnDate":"2026-12-11"}"#,
            404,
            "not_found",
            None,
        ),
        (
            "POST",
            "/reservations".to_owned(),
            alice,
            r#"{"carNo":"car01","rentalDate":"2026-12-06","returnDate":"2026-12-07"}"#,
            409,
            "overlap",
            None,
        ),
        ("GET", format!("/reservations/{id}"), carol, "", 403, "forbidden", None),
        ("GET", "/reservations/nothing".to_owned(), alice, "", 404, "not_found", None),
        ("POST", format!("/reservations/{id}/cancel"), carol, "", 403, "forbidden", None),
        ("POST", format!("/reservations/{id}/pay"), carol, "", 403, "forbidden", None),
        ("POST", "/payments/nothing/cancel".to_owned(), alice, "", 404, "not_found", None),
        ("POST", "/ratings".to_owned(), alice, r#"{"rentalId":"x","stars":6}"#, 400, "invalid_field", Some("stars")),
        ("POST", "/ratings".to_owned(), alice, r#"{"rentalId":"x","stars":5}"#, 404, "not_found", None),
        ("GET", "/rentals".to_owned(), staff, "", 400, "invalid_field", Some("reservationId")),
        ("GET", "/rentals?reservationId=x".to_owned(), alice, "", 403, "forbidden", None),
        ("GET", "/rentals?reservationId=x".to_owned(), staff, "", 404, "not_found", None),
        ("POST", "/rentals/x/return".to_owned(), alice, "", 403, "forbidden", None),
    ]);
    check_matrix(&w.client, &cases);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!((w.reservation(&w.alice, &id), w.catalog_car("car01")), before, "bad input changed state");
}

on_both_backends!(
    health_answers_without_a_token,
    a_car_is_reserved_paid_rented_returned_and_rated,
    overlapping_reservations_are_refused_and_a_cancel_frees_the_days,
    racing_overlapping_reservations_book_the_car_once,
    with_payment_down_pay_is_refused_and_works_once_it_is_back,
    a_canceled_payment_cancels_the_rental_and_the_reservation,
    a_car_is_deleted_only_when_nothing_is_live,
    a_reservation_racing_the_deletion_ends_canceled,
    bad_input_gets_the_contracts_error_and_changes_nothing,
);
