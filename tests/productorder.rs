//! productorder (seed 004), end to end over HTTP through the local runner:
//! products, orders paid through the circuit breaker, the saga (stock,
//! delivery, notices, the customer center) and its compensation (out of
//! stock → refund → rejected; cancel → refund + restock + delivery
//! canceled), a cancel that overtakes the saga, races, and bad input.

use std::time::Duration;

use acceptance::*;
use serde_json::{Value, json};

const SYSTEM: &str = "productorder";

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

    fn product(&self, item_cd: &str, price: u64, quantity: u64) {
        let body = json!({"itemCd": item_cd, "name": "Mug", "price": price, "quantity": quantity});
        let reply = self.client.post_json("/products", Some(&self.staff), &body);
        assert_eq!(reply.status, 201, "{reply:?}");
        assert_eq!(reply.body, body);
    }

    fn quantity(&self, item_cd: &str) -> u64 {
        self.get(&self.alice, &format!("/products/{item_cd}"))["quantity"].as_u64().expect("a quantity")
    }

    fn wait_quantity(&self, item_cd: &str, wanted: u64) {
        let reached = eventually(self.converge, || (self.quantity(item_cd) == wanted).then_some(()));
        assert!(reached.is_some(), "{item_cd} stayed at {} instead of {wanted}", self.quantity(item_cd));
    }

    fn order(&self, token: &str, item_cd: &str, quantity: u64) -> Reply {
        let body = json!({"itemCd": item_cd, "quantity": quantity, "address": "Seoul, Jongno-gu 1"});
        self.client.post_json("/orders", Some(token), &body)
    }

    /// Orders, polling while the order side has not yet heard of a
    /// just-added item (`404`), as a client would.
    fn ordered(&self, token: &str, item_cd: &str, quantity: u64) -> String {
        let reply =
            eventually(self.converge, || Some(self.order(token, item_cd, quantity)).filter(|r| r.status != 404))
                .unwrap_or_else(|| self.order(token, item_cd, quantity));
        assert_eq!(reply.status, 201, "{reply:?}");
        assert_eq!(reply.body["status"], "Ordered");
        reply.body["orderId"].as_str().expect("an id").to_owned()
    }

    fn status(&self, token: &str, id: &str) -> String {
        self.get(token, &format!("/orders/{id}"))["status"].as_str().unwrap_or_default().to_owned()
    }

    fn wait_status(&self, token: &str, id: &str, wanted: &str) {
        let reached = eventually(self.converge, || (self.status(token, id) == wanted).then_some(()));
        assert!(reached.is_some(), "order {id} stayed {} instead of {wanted}", self.status(token, id));
    }

    fn cancel(&self, token: &str, id: &str) -> Reply {
        self.client.post(&format!("/orders/{id}/cancel"), Some(token), "")
    }

    fn delivery(&self, order_id: &str) -> Option<Value> {
        let reply = self.client.get(&format!("/deliveries?orderId={order_id}"), Some(&self.staff));
        (reply.status == 200).then_some(reply.body)
    }

    fn wait_delivery(&self, order_id: &str, wanted: &str) -> Value {
        eventually(self.converge, || self.delivery(order_id).filter(|d| d["status"] == wanted))
            .unwrap_or_else(|| panic!("delivery of {order_id} never {wanted}: {:?}", self.delivery(order_id)))
    }

    fn row(&self, token: &str, order_id: &str) -> Option<Value> {
        self.get(token, "/customercenter").as_array()?.iter().find(|r| r["orderId"] == order_id).cloned()
    }

    fn wait_row(&self, token: &str, order_id: &str, field: &str, value: &str) -> Value {
        self.wait_row_all(token, order_id, &[(field, value)])
    }

    /// Waits until the row shows every `(field, value)`: its inputs come
    /// from several contexts, each in its own time.
    fn wait_row_all(&self, token: &str, order_id: &str, wanted: &[(&str, &str)]) -> Value {
        eventually(self.converge, || self.row(token, order_id).filter(|r| wanted.iter().all(|(f, v)| r[*f] == *v)))
            .unwrap_or_else(|| panic!("the customer center never showed {wanted:?}: {:?}", self.row(token, order_id)))
    }

    fn notices(&self, token: &str, order_id: &str) -> Vec<String> {
        let all = self.get(token, "/notifications");
        all.as_array()
            .into_iter()
            .flatten()
            .filter(|n| n["orderId"] == order_id)
            .filter_map(|n| n["kind"].as_str().map(str::to_owned))
            .collect()
    }

    fn wait_notices(&self, token: &str, order_id: &str, wanted: &[&str]) {
        let reached = eventually(self.converge, || (self.notices(token, order_id).len() >= wanted.len()).then_some(()));
        assert!(reached.is_some(), "notices of {order_id}: {:?}, wanted {wanted:?}", self.notices(token, order_id));
        std::thread::sleep(Duration::from_millis(200));
        let mut got = self.notices(token, order_id);
        got.sort();
        let mut wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
        wanted.sort();
        assert_eq!(got, wanted, "one notice per notifying event, never two");
    }

    fn context(&self, context: &str, action: &str) {
        let reply = self.client.runner_post(&format!("/_local/productorder/contexts/{context}/{action}"), "");
        assert_eq!(reply.status, 200, "{reply:?}");
    }

    fn pay_calls(&self, mode: &str) {
        let reply =
            self.client.runner_post("/_local/productorder/contexts/pay/calls", &json!({"mode": mode}).to_string());
        assert_eq!(reply.status, 200, "{reply:?}");
    }
}

fn health_answers_without_a_token(backend: Backend) {
    let w = World::new(backend);
    let reply = w.client.get("/health", None);
    assert_eq!((reply.status, reply.body), (200, json!({"status": "ok"})));
}

/// The seed's story: an item, an order paid at once, stock taken, the
/// parcel prepared, shipped and delivered; notices and the customer center.
fn an_order_is_paid_prepared_shipped_and_delivered(backend: Backend) {
    let w = World::new(backend);
    w.product("ITEM-001", 12_000, 5);
    let reply = eventually(w.converge, || Some(w.order(&w.alice, "ITEM-001", 2)).filter(|r| r.status != 404))
        .expect("the order side hears of the item");
    assert_eq!(reply.status, 201, "{reply:?}");
    let id = reply.body["orderId"].as_str().unwrap().to_owned();
    let payment_id = reply.body["paymentId"].as_str().expect("a payment").to_owned();
    assert_eq!(
        reply.body,
        json!({"orderId": id, "itemCd": "ITEM-001", "quantity": 2, "status": "Ordered", "paymentId": payment_id})
    );
    w.wait_status(&w.alice, &id, "Prepared");
    assert_eq!(w.quantity("ITEM-001"), 3, "two taken");
    let delivery = w.wait_delivery(&id, "Prepared");
    let delivery_id = delivery["deliveryId"].as_str().unwrap().to_owned();
    assert_eq!(delivery, json!({"deliveryId": delivery_id, "orderId": id, "status": "Prepared"}));
    let started = w.client.post(&format!("/deliveries/{delivery_id}/start"), Some(&w.staff), "");
    assert_eq!((started.status, started.body["status"].as_str()), (200, Some("Started")), "{started:?}");
    w.wait_status(&w.alice, &id, "Shipping");
    let late = w.cancel(&w.alice, &id);
    assert_eq!((late.status, late.code()), (409, "invalid_state"), "shipping: too late to cancel: {late:?}");
    let completed = w.client.post(&format!("/deliveries/{delivery_id}/complete"), Some(&w.staff), "");
    assert_eq!(completed.status, 200, "{completed:?}");
    w.wait_status(&w.alice, &id, "Delivered");
    let order = w.get(&w.alice, &format!("/orders/{id}"));
    assert_eq!(
        order,
        json!({"orderId": id, "itemCd": "ITEM-001", "quantity": 2, "address": "Seoul, Jongno-gu 1", "status": "Delivered", "paymentId": payment_id})
    );
    let row = w.wait_row_all(
        &w.alice,
        &id,
        &[("deliveryStatus", "Completed"), ("orderStatus", "Delivered"), ("paymentStatus", "Approved")],
    );
    assert_eq!(
        row,
        json!({"orderId": id, "itemCd": "ITEM-001", "quantity": 2, "orderStatus": "Delivered", "paymentStatus": "Approved", "deliveryStatus": "Completed"})
    );
    w.wait_notices(&w.alice, &id, &["Ordered", "DeliveryStarted", "DeliveryCompleted"]);
    assert!(w.get(&w.carol, "/customercenter").as_array().unwrap().is_empty(), "carol sees none of alice's orders");
}

/// Not enough stock: the payment is refunded and the order rejected.
fn out_of_stock_refunds_and_rejects_the_order(backend: Backend) {
    let w = World::new(backend);
    w.product("ITEM-001", 12_000, 1);
    let id = w.ordered(&w.carol, "ITEM-001", 2);
    w.wait_status(&w.carol, &id, "Rejected");
    w.wait_row_all(&w.carol, &id, &[("paymentStatus", "Canceled"), ("orderStatus", "Rejected")]);
    assert_eq!(w.quantity("ITEM-001"), 1, "nothing taken");
    assert_eq!(w.delivery(&id), None, "no parcel");
    w.wait_notices(&w.carol, &id, &["Ordered", "OrderRejected"]);
}

/// A cancel before shipping: refund, restock and the parcel canceled; a
/// canceled parcel cannot be started.
fn a_cancel_refunds_restocks_and_cancels_the_delivery(backend: Backend) {
    let w = World::new(backend);
    w.product("ITEM-001", 12_000, 5);
    let id = w.ordered(&w.alice, "ITEM-001", 2);
    w.wait_status(&w.alice, &id, "Prepared");
    w.wait_quantity("ITEM-001", 3);
    let stranger = w.cancel(&w.carol, &id);
    assert_eq!(stranger.status, 403, "{stranger:?}");
    let canceled = w.cancel(&w.alice, &id);
    assert_eq!((canceled.status, canceled.body["status"].as_str()), (200, Some("Canceled")), "{canceled:?}");
    w.wait_quantity("ITEM-001", 5);
    let delivery = w.wait_delivery(&id, "Canceled");
    let start =
        w.client.post(&format!("/deliveries/{}/start", delivery["deliveryId"].as_str().unwrap()), Some(&w.staff), "");
    assert_eq!((start.status, start.code()), (409, "invalid_state"), "{start:?}");
    w.wait_row_all(
        &w.alice,
        &id,
        &[("paymentStatus", "Canceled"), ("orderStatus", "Canceled"), ("deliveryStatus", "Canceled")],
    );
    w.wait_notices(&w.alice, &id, &["Ordered", "OrderCanceled"]);
    let again = w.cancel(&w.alice, &id);
    assert_eq!((again.status, again.code()), (409, "invalid_state"));
}

/// Product (and so delivery) hears the cancel before the payment: stock is
/// never taken, no parcel is ever prepared, and the payment is refunded.
fn a_cancel_that_overtakes_the_saga_still_wins(backend: Backend) {
    let w = World::new(backend);
    w.product("ITEM-001", 12_000, 5);
    // A first order (more than the stock: rejected, nothing taken) shows
    // the order side knows the item before product stops.
    let probe = w.ordered(&w.carol, "ITEM-001", 6);
    w.wait_status(&w.carol, &probe, "Rejected");
    w.context("product", "stop");
    let id = w.ordered(&w.alice, "ITEM-001", 2);
    let canceled = w.cancel(&w.alice, &id);
    assert_eq!(canceled.status, 200, "{canceled:?}");
    w.wait_row(&w.alice, &id, "paymentStatus", "Canceled");
    w.context("product", "start");
    std::thread::sleep(Duration::from_millis(500));
    w.wait_settled();
    assert_eq!(w.quantity("ITEM-001"), 5, "nothing taken, nothing given back");
    assert!(w.delivery(&id).is_none_or(|d| d["status"] == "Canceled"), "no parcel starts: {:?}", w.delivery(&id));
    assert_eq!(w.status(&w.alice, &id), "Canceled");
}

/// Pay down: 503 + Retry-After and no order; the circuit opens; back up, an
/// order goes through.
fn with_pay_down_no_order_is_placed_and_orders_resume_once_it_is_back(backend: Backend) {
    let w = World::new(backend);
    w.product("ITEM-001", 12_000, 5);
    w.ordered(&w.alice, "ITEM-001", 1);
    w.pay_calls("down");
    for attempt in 1..=4 {
        let reply = w.order(&w.carol, "ITEM-001", 1);
        assert_eq!((reply.status, reply.code()), (503, "unavailable"), "attempt {attempt}: {reply:?}");
        assert!(reply.body["error"]["message"].as_str().unwrap().contains("order again later"));
    }
    let received = w.client.runner_get("/_local/productorder/contexts/pay/calls").body["received"].as_u64();
    assert_eq!(received, Some(4), "one earlier order + 3: the open circuit answered the fourth");
    std::thread::sleep(Duration::from_millis(300));
    assert!(w.get(&w.carol, "/customercenter").as_array().unwrap().is_empty(), "no order exists");
    w.pay_calls("up");
    let placed =
        eventually(Duration::from_secs(10), || Some(w.order(&w.carol, "ITEM-001", 1)).filter(|r| r.status == 201));
    assert!(placed.is_some(), "an order goes through once the circuit lets a probe by");
}

/// Customers racing for the last items: each unit is sold once.
fn racing_orders_never_sell_more_than_the_stock(backend: Backend) {
    let w = World::new(backend);
    w.product("ITEM-001", 12_000, 3);
    w.ordered(&w.alice, "ITEM-001", 1);
    let tokens: Vec<String> = (0..5).map(|i| token(&format!("racer{i}"), &[])).collect();
    let ids: Vec<(String, String)> = std::thread::scope(|scope| {
        let racers: Vec<_> = tokens.iter().map(|t| scope.spawn(|| (t.clone(), w.ordered(t, "ITEM-001", 1)))).collect();
        racers.into_iter().map(|r| r.join().expect("a racer")).collect()
    });
    let outcomes: Vec<String> = ids
        .iter()
        .map(|(t, id)| {
            eventually(w.converge, || Some(w.status(t, id)).filter(|s| s == "Prepared" || s == "Rejected"))
                .expect("every order settles")
        })
        .collect();
    assert_eq!(outcomes.iter().filter(|s| *s == "Prepared").count(), 2, "{outcomes:?}");
    assert_eq!(w.quantity("ITEM-001"), 0);
}

/// An `Ordered` delivered three times (as SQS may) notifies once; the
/// customer center keeps one row.
fn a_repeated_event_notifies_once(backend: Backend) {
    let w = World::new(backend);
    w.product("ITEM-001", 12_000, 5);
    let id = w.ordered(&w.alice, "ITEM-001", 1);
    w.wait_notices(&w.alice, &id, &["Ordered"]);
    let event = json!({
        "eventId": "repeated-ordered", "type": "Ordered", "source": "order",
        "occurredAt": "2026-11-22T10:00:00.000Z", "correlationId": id, "version": 2,
        "data": {"orderId": id, "itemCd": "ITEM-001", "quantity": 1, "address": "Seoul", "customerId": "alice", "paymentId": "p", "amount": 12000},
    });
    for _ in 0..3 {
        let reply = w.client.runner_post("/_local/productorder/events", &event.to_string());
        assert_eq!(reply.status, 202, "{reply:?}");
    }
    w.wait_settled();
    assert_eq!(
        w.notices(&w.alice, &id).iter().filter(|k| *k == "Ordered").count(),
        2,
        "the original and one for the new id"
    );
    assert_eq!(w.get(&w.alice, "/customercenter").as_array().unwrap().len(), 1);
}

fn bad_input_gets_the_contracts_error_and_changes_nothing(backend: Backend) {
    let w = World::new(backend);
    w.product("ITEM-001", 12_000, 5);
    let id = w.ordered(&w.alice, "ITEM-001", 1);
    w.wait_status(&w.alice, &id, "Prepared");
    w.wait_settled();
    let snapshot =
        || (w.get(&w.alice, &format!("/orders/{id}")), w.quantity("ITEM-001"), w.get(&w.alice, "/customercenter"));
    let before = snapshot();
    let forged = forged_token("alice");
    let expired = expired_token("alice");
    let routes = [
        ("POST", "/products".to_owned(), r#"{"itemCd":"X","name":"X","price":1,"quantity":1}"#),
        ("POST", "/products/ITEM-001/stock".to_owned(), r#"{"quantity":1}"#),
        ("GET", "/products".to_owned(), ""),
        ("GET", "/products/ITEM-001".to_owned(), ""),
        ("POST", "/orders".to_owned(), r#"{"itemCd":"ITEM-001","quantity":1,"address":"Seoul"}"#),
        ("GET", format!("/orders/{id}"), ""),
        ("POST", format!("/orders/{id}/cancel"), ""),
        ("GET", "/deliveries?orderId=x".to_owned(), ""),
        ("POST", "/deliveries/x/start".to_owned(), ""),
        ("POST", "/deliveries/x/complete".to_owned(), ""),
        ("GET", "/notifications".to_owned(), ""),
        ("GET", "/customercenter".to_owned(), ""),
    ];
    let mut cases = unauthorized_cases(&routes, &forged, &expired);
    let alice = Some(w.alice.as_str());
    let carol = Some(w.carol.as_str());
    let staff = Some(w.staff.as_str());
    cases.extend([
        (
            "POST",
            "/products".to_owned(),
            alice,
            r#"{"itemCd":"X","name":"X","price":1,"quantity":1}"#,
            403,
            "forbidden",
            None,
        ),
        (
            "POST",
            "/products".to_owned(),
            staff,
            r#"{"itemCd":"ITEM-001","name":"X","price":1,"quantity":1}"#,
            409,
            "already_added",
            None,
        ),
        (
            "POST",
            "/products".to_owned(),
            staff,
            r#"{"itemCd":"X","name":"X","price":0,"quantity":1}"#,
            400,
            "invalid_field",
            Some("price"),
        ),
        (
            "POST",
            "/products/ITEM-001/stock".to_owned(),
            staff,
            r#"{"quantity":0}"#,
            400,
            "invalid_field",
            Some("quantity"),
        ),
        ("POST", "/products/NOPE/stock".to_owned(), staff, r#"{"quantity":1}"#, 404, "not_found", None),
        ("GET", "/products/NOPE".to_owned(), alice, "", 404, "not_found", None),
        ("POST", "/orders".to_owned(), alice, "{", 400, "malformed_json", None),
        (
            "POST",
            "/orders".to_owned(),
            alice,
            r#"{"itemCd":"ITEM-001","quantity":0,"address":"Seoul"}"#,
            400,
            "invalid_field",
            Some("quantity"),
        ),
        (
            "POST",
            "/orders".to_owned(),
            alice,
            r#"{"itemCd":"ITEM-001","quantity":1,"address":"  "}"#,
            400,
            "invalid_field",
            Some("address"),
        ),
        (
            "POST",
            "/orders".to_owned(),
            alice,
            r#"{"itemCd":"ITEM-001","quantity":1}"#,
            400,
            "invalid_field",
            Some("address"),
        ),
        (
            "POST",
            "/orders".to_owned(),
            alice,
            r#"{"itemCd":"ITEM-001","quantity":1,"address":"Seoul","customerId":"eve"}"#,
            400,
            "invalid_field",
            None,
        ),
        (
            "POST",
            "/orders".to_owned(),
            alice,
            r#"{"itemCd":"NOPE","quantity":1,"address":"Seoul"}"#,
            404,
            "not_found",
            None,
        ),
        ("GET", format!("/orders/{id}"), carol, "", 403, "forbidden", None),
        ("GET", "/orders/nothing".to_owned(), alice, "", 404, "not_found", None),
        ("POST", format!("/orders/{id}/cancel"), carol, "", 403, "forbidden", None),
        ("GET", "/deliveries".to_owned(), staff, "", 400, "invalid_field", Some("orderId")),
        ("GET", "/deliveries?orderId=x".to_owned(), alice, "", 403, "forbidden", None),
        ("GET", "/deliveries?orderId=x".to_owned(), staff, "", 404, "not_found", None),
        ("POST", "/deliveries/x/start".to_owned(), alice, "", 403, "forbidden", None),
        ("POST", "/deliveries/x/start".to_owned(), staff, "", 404, "not_found", None),
    ]);
    check_matrix(&w.client, &cases);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(snapshot(), before, "bad input changed state");
}

on_both_backends!(
    health_answers_without_a_token,
    an_order_is_paid_prepared_shipped_and_delivered,
    out_of_stock_refunds_and_rejects_the_order,
    a_cancel_refunds_restocks_and_cancels_the_delivery,
    a_cancel_that_overtakes_the_saga_still_wins,
    with_pay_down_no_order_is_placed_and_orders_resume_once_it_is_back,
    racing_orders_never_sell_more_than_the_stock,
    a_repeated_event_notifies_once,
    bad_input_gets_the_contracts_error_and_changes_nothing,
);
