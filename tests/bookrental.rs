//! bookrental (seed 000), end to end over HTTP through the local runner:
//! products and stock, reservations, delivery, MyPage; the cancel's
//! synchronous call to delivery through the circuit breaker; races between
//! a cancel and the delivery; duplicates; and the bad-input matrix.

use std::time::Duration;

use acceptance::*;
use serde_json::{Value, json};

const SYSTEM: &str = "bookrental";

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

    /// Registers a book and waits until reservations know it.
    fn product(&self, title: &str, stock: u64) -> String {
        let reply = self.client.post_json("/products", Some(&self.staff), &json!({"title": title, "stock": stock}));
        assert_eq!(reply.status, 201, "{reply:?}");
        let id = reply.body["productId"].as_str().expect("an id").to_owned();
        assert_eq!(reply.body, json!({"productId": id, "title": title, "stock": stock}));
        // The reservation context learns of it by StockIncreased.
        self.wait_settled();
        id
    }

    fn stock(&self, product_id: &str) -> Option<u64> {
        let reply = self.client.get(&format!("/products/{product_id}"), Some(&self.alice));
        (reply.status == 200).then(|| reply.body["stock"].as_u64()).flatten()
    }

    fn wait_stock(&self, product_id: &str, stock: u64) {
        let shown = eventually(self.converge, || (self.stock(product_id) == Some(stock)).then_some(()));
        assert!(shown.is_some(), "stock of {product_id} stayed {:?} instead of {stock}", self.stock(product_id));
    }

    /// Reserves, polling while the reservation side has not yet heard of a
    /// just-registered product (`404`), as a client would.
    fn reserve(&self, token: &str, product_id: &str) -> String {
        let post = || self.client.post_json("/reservations", Some(token), &json!({"productId": product_id}));
        let reply = eventually(self.converge, || Some(post()).filter(|r| r.status != 404)).unwrap_or_else(post);
        assert_eq!(reply.status, 201, "{reply:?}");
        let id = reply.body["reservationId"].as_str().expect("an id").to_owned();
        assert_eq!(reply.body, json!({"reservationId": id, "productId": product_id, "status": "Reserved"}));
        id
    }

    fn status(&self, token: &str, id: &str) -> String {
        self.get(token, &format!("/reservations/{id}"))["status"].as_str().unwrap_or_default().to_owned()
    }

    fn wait_status(&self, token: &str, id: &str, wanted: &str) {
        let reached = eventually(self.converge, || (self.status(token, id) == wanted).then_some(()));
        assert!(reached.is_some(), "reservation {id} stayed {} instead of {wanted}", self.status(token, id));
    }

    fn delivery(&self, reservation_id: &str) -> Option<Value> {
        let reply = self.client.get(&format!("/deliveries?reservationId={reservation_id}"), Some(&self.staff));
        (reply.status == 200).then_some(reply.body)
    }

    fn wait_delivery(&self, reservation_id: &str, wanted: &str) -> Value {
        eventually(self.converge, || self.delivery(reservation_id).filter(|d| d["status"] == wanted)).unwrap_or_else(
            || panic!("delivery of {reservation_id} never {wanted}: {:?}", self.delivery(reservation_id)),
        )
    }

    fn cancel(&self, token: &str, id: &str) -> Reply {
        self.client.post(&format!("/reservations/{id}/cancel"), Some(token), "")
    }

    fn row(&self, token: &str, reservation_id: &str) -> Option<Value> {
        let rows = self.get(token, "/mypage");
        rows.as_array()?.iter().find(|r| r["reservationId"] == reservation_id).cloned()
    }

    fn wait_row(&self, token: &str, reservation_id: &str, want: &Value) -> Value {
        eventually(self.converge, || self.row(token, reservation_id).filter(|r| r == want))
            .unwrap_or_else(|| panic!("mypage never showed {want}: {:?}", self.row(token, reservation_id)))
    }

    /// Waits until the row shows `field` = `value`.
    fn wait_row_field(&self, token: &str, reservation_id: &str, field: &str, value: impl Into<Value>) {
        let value = value.into();
        let shown = eventually(self.converge, || self.row(token, reservation_id).filter(|r| r[field] == value));
        assert!(shown.is_some(), "mypage never showed {field}={value}: {:?}", self.row(token, reservation_id));
    }

    fn context(&self, context: &str, action: &str) {
        let reply = self.client.runner_post(&format!("/_local/bookrental/contexts/{context}/{action}"), "");
        assert_eq!(reply.status, 200, "{reply:?}");
    }

    fn delivery_calls(&self, mode: &str) {
        let body = json!({"mode": mode}).to_string();
        let reply = self.client.runner_post("/_local/bookrental/contexts/delivery/calls", &body);
        assert_eq!(reply.status, 200, "{reply:?}");
    }

    fn delivery_calls_received(&self) -> u64 {
        self.client.runner_get("/_local/bookrental/contexts/delivery/calls").body["received"].as_u64().unwrap_or(0)
    }
}

fn health_answers_without_a_token(backend: Backend) {
    let w = World::new(backend);
    let reply = w.client.get("/health", None);
    assert_eq!((reply.status, reply.body), (200, json!({"status": "ok"})));
}

fn a_reservation_takes_a_copy_and_is_delivered(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("The Little Prince", 2);
    assert!(w.get(&w.alice, "/products").as_array().unwrap().iter().any(|p| p["productId"] == product));
    let id = w.reserve(&w.alice, &product);
    w.wait_stock(&product, 1);
    let delivery = w.wait_delivery(&id, "Started");
    w.wait_status(&w.alice, &id, "Delivering");
    let delivery_id = delivery["deliveryId"].as_str().unwrap();
    let done = w.client.post(&format!("/deliveries/{delivery_id}/complete"), Some(&w.staff), "");
    assert_eq!(
        (done.status, &done.body),
        (200, &json!({"deliveryId": delivery_id, "reservationId": id, "productId": product, "status": "Delivered"}))
    );
    w.wait_status(&w.alice, &id, "Delivered");
    w.wait_row(
        &w.alice,
        &id,
        &json!({"reservationId": id, "productId": product, "title": "The Little Prince",
                "reservationStatus": "Delivered", "deliveryStatus": "Delivered", "stock": 1}),
    );
    assert_eq!(w.get(&w.carol, "/mypage"), json!([]), "carol sees none of alice's reservations");
}

fn staff_receive_more_copies(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("Demian", 1);
    let reply = w.client.post_json(&format!("/products/{product}/stock"), Some(&w.staff), &json!({"quantity": 2}));
    assert_eq!((reply.status, &reply.body), (200, &json!({"productId": product, "title": "Demian", "stock": 3})));
    assert_eq!(w.stock(&product), Some(3));
}

fn with_no_copy_left_the_reservation_is_rejected(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("Demian", 1);
    let first = w.reserve(&w.alice, &product);
    w.wait_status(&w.alice, &first, "Delivering");
    let second = w.reserve(&w.carol, &product);
    w.wait_status(&w.carol, &second, "Rejected");
    assert_eq!(w.stock(&product), Some(0), "never negative");
    assert!(w.delivery(&second).is_none(), "a rejected reservation has no delivery");
    w.wait_row(
        &w.carol,
        &second,
        &json!({"reservationId": second, "productId": product, "title": "Demian",
                "reservationStatus": "Rejected", "deliveryStatus": null, "stock": 0}),
    );
}

fn a_cancel_cancels_the_delivery_and_gives_the_copy_back(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("The Little Prince", 2);
    let id = w.reserve(&w.alice, &product);
    w.wait_status(&w.alice, &id, "Delivering");
    w.wait_stock(&product, 1);
    let canceled = w.cancel(&w.alice, &id);
    assert_eq!(
        (canceled.status, &canceled.body),
        (200, &json!({"reservationId": id, "productId": product, "status": "Canceled"}))
    );
    assert_eq!(w.delivery(&id).expect("the delivery")["status"], "Canceled", "canceled before the 200");
    w.wait_stock(&product, 2);
    let again = w.cancel(&w.alice, &id);
    assert_eq!((again.status, again.code()), (409, "invalid_state"));
    w.wait_row(
        &w.alice,
        &id,
        &json!({"reservationId": id, "productId": product, "title": "The Little Prince",
                "reservationStatus": "Canceled", "deliveryStatus": "Canceled", "stock": 2}),
    );
}

fn a_delivered_reservation_cannot_be_canceled(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("Demian", 1);
    let id = w.reserve(&w.alice, &product);
    let delivery = w.wait_delivery(&id, "Started");
    let done = w.client.post(
        &format!("/deliveries/{}/complete", delivery["deliveryId"].as_str().unwrap()),
        Some(&w.staff),
        "",
    );
    assert_eq!(done.status, 200);
    // Refused by delivery even before the reservation has heard of it.
    let refused = w.cancel(&w.alice, &id);
    assert_eq!((refused.status, refused.code()), (409, "invalid_state"), "{refused:?}");
    w.wait_status(&w.alice, &id, "Delivered");
    assert_eq!(w.stock(&product), Some(0), "a delivered copy does not come back");
}

fn a_cancel_that_reaches_delivery_first_wins(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("The Little Prince", 2);
    w.context("delivery", "stop");
    let id = w.reserve(&w.alice, &product);
    w.wait_stock(&product, 1);
    assert!(w.delivery(&id).is_none(), "delivery has not started it");
    // The synchronous side of delivery answers while its consumers are stopped.
    let canceled = w.cancel(&w.alice, &id);
    assert_eq!(canceled.status, 200, "{canceled:?}");
    w.context("delivery", "start");
    w.wait_stock(&product, 2);
    w.wait_settled();
    assert_eq!(w.delivery(&id).expect("a canceled delivery")["status"], "Canceled", "it never started");
    assert_eq!(w.status(&w.alice, &id), "Canceled");
}

fn a_cancel_before_product_takes_the_copy_never_takes_it(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("The Little Prince", 3);
    // A first reservation goes through: the reservation side knows the book.
    let first = w.reserve(&w.carol, &product);
    w.wait_status(&w.carol, &first, "Delivering");
    w.wait_stock(&product, 2);
    // Reservation's relay is held: `Reserved` waits in its outbox while the
    // cancel goes through delivery, whose `DeliveryCanceled` reaches product first.
    w.context("reservation", "stop");
    let id = w.reserve(&w.alice, &product);
    let canceled = w.cancel(&w.alice, &id);
    assert_eq!(canceled.status, 200, "{canceled:?}");
    // `DeliveryCanceled` is out (MyPage heard it), and product has drained its queue.
    w.wait_row_field(&w.alice, &id, "deliveryStatus", "Canceled");
    w.wait_settled();
    assert_eq!(w.stock(&product), Some(2), "nothing taken yet, nothing given back");
    w.context("reservation", "start");
    w.wait_settled();
    assert_eq!(w.stock(&product), Some(2), "the late `Reserved` takes no copy for a canceled reservation");
    assert_eq!(w.delivery(&id).expect("a canceled delivery")["status"], "Canceled");
}

fn with_delivery_down_a_cancel_is_refused_but_reservations_go_on(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("The Little Prince", 3);
    let id = w.reserve(&w.alice, &product);
    w.wait_status(&w.alice, &id, "Delivering");
    w.delivery_calls("down");
    for attempt in 1..=3 {
        let reply = w.cancel(&w.alice, &id);
        assert_eq!((reply.status, reply.code()), (503, "unavailable"), "attempt {attempt}: {reply:?}");
    }
    let refused = w.cancel(&w.alice, &id);
    assert_eq!(refused.status, 503);
    assert_eq!(w.delivery_calls_received(), 3, "the open circuit answered the fourth without calling delivery");
    assert_eq!(w.status(&w.alice, &id), "Delivering", "the reservation is unchanged");
    assert_eq!(w.delivery(&id).expect("its delivery")["status"], "Started");
    // New reservations are still accepted, and delivered, meanwhile.
    let other = w.reserve(&w.carol, &product);
    w.wait_status(&w.carol, &other, "Delivering");

    w.delivery_calls("up");
    let canceled = eventually(Duration::from_secs(10), || {
        let reply = w.cancel(&w.alice, &id);
        (reply.status == 200).then_some(reply)
    })
    .expect("after the open period a probe goes through and the cancel succeeds");
    assert_eq!(canceled.body["status"], "Canceled");
    w.wait_stock(&product, 2);
}

fn deliveries_complete_while_reservation_is_down(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("Demian", 1);
    let id = w.reserve(&w.alice, &product);
    let delivery = w.wait_delivery(&id, "Started");
    w.wait_status(&w.alice, &id, "Delivering");
    w.context("reservation", "stop");
    let done = w.client.post(
        &format!("/deliveries/{}/complete", delivery["deliveryId"].as_str().unwrap()),
        Some(&w.staff),
        "",
    );
    assert_eq!(done.status, 200, "{done:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(w.status(&w.alice, &id), "Delivering", "reservation has not heard yet");
    w.context("reservation", "start");
    w.wait_status(&w.alice, &id, "Delivered");
}

fn a_reservation_delivered_five_times_takes_one_copy(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("Demian", 3);
    let id = w.reserve(&w.alice, &product);
    w.wait_delivery(&id, "Started");
    let event = |event_id: &str| {
        json!({
            "eventId": event_id, "type": "Reserved", "source": "reservation",
            "occurredAt": "2026-11-22T10:00:00.000Z", "correlationId": id, "version": 1,
            "data": {"reservationId": id, "productId": product, "customerId": "alice"},
        })
    };
    let repeated = framework::new_id();
    let events =
        json!([event(&repeated), event(&repeated), event(&repeated), event(&repeated), event(&framework::new_id())]);
    let published = w.client.runner_post("/_local/bookrental/events", &events.to_string());
    assert_eq!(published.status, 202, "{published:?}");
    w.wait_settled();
    assert_eq!(w.stock(&product), Some(2), "one copy taken");
    assert_eq!(w.delivery(&id).expect("one delivery")["status"], "Started");
}

/// What can be seen of the stories, to prove bad input changed nothing.
fn snapshot(w: &World, product: &str, reservations: &[&str]) -> Value {
    json!({
        "product": w.get(&w.alice, &format!("/products/{product}")),
        "products": w.get(&w.alice, "/products"),
        "reservations": reservations.iter().map(|id| w.get(&w.alice, &format!("/reservations/{id}"))).collect::<Vec<_>>(),
        "deliveries": reservations.iter().map(|id| w.delivery(id)).collect::<Vec<_>>(),
        "mypage": w.get(&w.alice, "/mypage"),
    })
}

fn bad_input_gets_the_contracts_error_and_changes_nothing(backend: Backend) {
    let w = World::new(backend);
    let product = w.product("The Little Prince", 3);
    let open = w.reserve(&w.alice, &product);
    let delivered = w.reserve(&w.alice, &product);
    let delivery = w.wait_delivery(&delivered, "Started");
    let delivery_id = delivery["deliveryId"].as_str().unwrap().to_owned();
    assert_eq!(w.client.post(&format!("/deliveries/{delivery_id}/complete"), Some(&w.staff), "").status, 200);
    w.wait_status(&w.alice, &delivered, "Delivered");
    w.wait_status(&w.alice, &open, "Delivering");
    w.wait_row_field(&w.alice, &delivered, "deliveryStatus", "Delivered");
    w.wait_row_field(&w.alice, &open, "deliveryStatus", "Started");
    w.wait_row_field(&w.alice, &open, "stock", 1);
    w.wait_settled();
    let before = snapshot(&w, &product, &[&open, &delivered]);
    let calls_before = w.delivery_calls_received();

    let (staff, alice, carol) = (w.staff.as_str(), w.alice.as_str(), w.carol.as_str());
    let forged = forged_token("bob");
    let expired = expired_token("alice");
    let product_path = format!("/products/{product}");
    let stock_path = format!("{product_path}/stock");
    let reservation = format!("/reservations/{open}");
    let cancel = format!("{reservation}/cancel");
    let cancel_delivered = format!("/reservations/{delivered}/cancel");
    let complete = format!("/deliveries/{delivery_id}/complete");
    let find = format!("/deliveries?reservationId={open}");
    let routes = [
        ("POST", "/products".to_owned(), r#"{"title":"X","stock":1}"#),
        ("POST", stock_path.clone(), r#"{"quantity":1}"#),
        ("GET", "/products".to_owned(), ""),
        ("GET", product_path.clone(), ""),
        ("POST", "/reservations".to_owned(), r#"{"productId":"p"}"#),
        ("GET", reservation.clone(), ""),
        ("POST", cancel.clone(), ""),
        ("POST", complete.clone(), ""),
        ("GET", find.clone(), ""),
        ("GET", "/mypage".to_owned(), ""),
    ];
    let mut cases = unauthorized_cases(&routes, &forged, &expired);
    cases.extend([
        ("POST", "/products".into(), Some(alice), r#"{"title":"X","stock":1}"#, 403, "forbidden", None),
        ("POST", "/products".into(), Some(staff), "{", 400, "malformed_json", None),
        ("POST", "/products".into(), Some(staff), "", 400, "malformed_json", None),
        ("POST", "/products".into(), Some(staff), r#"{"stock":1}"#, 400, "invalid_field", Some("title")),
        ("POST", "/products".into(), Some(staff), r#"{"title":"X"}"#, 400, "invalid_field", Some("stock")),
        ("POST", "/products".into(), Some(staff), r#"{"title":"X","stock":"3"}"#, 400, "invalid_field", Some("stock")),
        ("POST", "/products".into(), Some(staff), r#"{"title":"X","stock":-1}"#, 400, "invalid_field", Some("stock")),
        ("POST", "/products".into(), Some(staff), r#"{"title":" ","stock":1}"#, 400, "invalid_field", Some("title")),
        (
            "POST",
            "/products".into(),
            Some(staff),
            r#"{"title":"X","stock":1,"id":"p"}"#,
            400,
            "invalid_field",
            Some("id"),
        ),
        ("POST", stock_path.clone(), Some(alice), r#"{"quantity":1}"#, 403, "forbidden", None),
        ("POST", stock_path.clone(), Some(staff), r#"{"quantity":0}"#, 400, "invalid_field", Some("quantity")),
        ("POST", stock_path.clone(), Some(staff), r#"{"quantity":1.5}"#, 400, "invalid_field", Some("quantity")),
        ("POST", stock_path.clone(), Some(staff), "{}", 400, "invalid_field", Some("quantity")),
        ("POST", "/products/nope/stock".into(), Some(staff), r#"{"quantity":1}"#, 404, "not_found", None),
        ("GET", "/products/nope".into(), Some(alice), "", 404, "not_found", None),
        ("GET", format!("/products/{}", "p".repeat(3000)), Some(alice), "", 404, "not_found", None),
        ("POST", "/reservations".into(), Some(alice), "{", 400, "malformed_json", None),
        ("POST", "/reservations".into(), Some(alice), "{}", 400, "invalid_field", Some("productId")),
        ("POST", "/reservations".into(), Some(alice), r#"{"productId":5}"#, 400, "invalid_field", Some("productId")),
        ("POST", "/reservations".into(), Some(alice), r#"{"productId":""}"#, 400, "invalid_field", Some("productId")),
        (
            "POST",
            "/reservations".into(),
            Some(alice),
            r#"{"productId":"p","customerId":"carol"}"#,
            400,
            "invalid_field",
            Some("customerId"),
        ),
        ("POST", "/reservations".into(), Some(alice), r#"{"productId":"nope"}"#, 404, "not_found", None),
        ("GET", "/reservations/nope".into(), Some(alice), "", 404, "not_found", None),
        ("GET", reservation.clone(), Some(carol), "", 403, "forbidden", None),
        ("POST", "/reservations/nope/cancel".into(), Some(alice), "", 404, "not_found", None),
        ("POST", cancel.clone(), Some(carol), "", 403, "forbidden", None),
        ("POST", cancel_delivered.clone(), Some(alice), "", 409, "invalid_state", None),
        ("POST", complete.clone(), Some(alice), "", 403, "forbidden", None),
        ("POST", "/deliveries/nope/complete".into(), Some(staff), "", 404, "not_found", None),
        ("GET", find.clone(), Some(alice), "", 403, "forbidden", None),
        ("GET", "/deliveries".into(), Some(staff), "", 400, "invalid_field", Some("reservationId")),
        ("GET", "/deliveries?reservationId=nope".into(), Some(staff), "", 404, "not_found", None),
        // Delivery's cancel is internal: no route reaches it.
        ("POST", "/deliveries/nope/cancel".into(), Some(staff), "", 404, "not_found", None),
        ("DELETE", reservation.clone(), Some(alice), "", 405, "method_not_allowed", None),
    ]);
    check_matrix(&w.client, &cases);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(snapshot(&w, &product, &[&open, &delivered]), before, "bad input changed state");
    assert_eq!(w.delivery_calls_received(), calls_before, "no refused cancel reached delivery");
}

on_both_backends!(
    health_answers_without_a_token,
    a_reservation_takes_a_copy_and_is_delivered,
    staff_receive_more_copies,
    with_no_copy_left_the_reservation_is_rejected,
    a_cancel_cancels_the_delivery_and_gives_the_copy_back,
    a_delivered_reservation_cannot_be_canceled,
    a_cancel_that_reaches_delivery_first_wins,
    a_cancel_before_product_takes_the_copy_never_takes_it,
    with_delivery_down_a_cancel_is_refused_but_reservations_go_on,
    deliveries_complete_while_reservation_is_down,
    a_reservation_delivered_five_times_takes_one_copy,
    bad_input_gets_the_contracts_error_and_changes_nothing,
);
