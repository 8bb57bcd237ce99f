//! bookreservation (seed 001), end to end over HTTP through the local
//! runner: the seed's stories, its faults, and the bad-input matrix.

use acceptance::*;
use serde_json::{Value, json};

const SYSTEM: &str = "bookreservation";

struct World {
    runner: Runner,
    converge: std::time::Duration,
    client: Client,
    staff: String,
    alice: String,
    carol: String,
}

impl World {
    fn new(backend: Backend) -> Self {
        Self::with(RunnerOptions::on(backend))
    }

    fn with(options: RunnerOptions) -> Self {
        let converge = options.backend.converge();
        let runner = Runner::start(options.serving(SYSTEM));
        let client = runner.client(SYSTEM);
        Self {
            client,
            runner,
            converge,
            staff: token("bob", &["staff"]),
            alice: token("alice", &[]),
            carol: token("carol", &[]),
        }
    }

    fn receive(&self, book_id: &str, title: &str, quantity: u64) -> Reply {
        let reply = self.client.post_json(
            "/stocks",
            Some(&self.staff),
            &json!({"bookId": book_id, "title": title, "quantity": quantity}),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        reply
    }

    fn book(&self, book_id: &str) -> Option<Value> {
        let books = self.client.get("/books", Some(&self.alice));
        assert_eq!(books.status, 200, "{books:?}");
        books.body.as_array()?.iter().find(|b| b["bookId"] == book_id).cloned()
    }

    /// Waits until the book list shows `available` copies.
    fn wait_available(&self, book_id: &str, available: u64) {
        let shown = eventually(self.converge, || self.book(book_id).filter(|b| b["available"] == available));
        assert!(shown.is_some(), "book {book_id} never showed {available} available: {:?}", self.book(book_id));
    }

    fn reserve(&self, token: &str, book_id: &str) -> String {
        let reply = self.client.post_json("/reservations", Some(token), &json!({"bookId": book_id}));
        assert_eq!(reply.status, 202, "{reply:?}");
        assert_eq!(reply.body["status"], "Requested");
        reply.body["reservationId"].as_str().expect("an id").to_owned()
    }

    fn status(&self, token: &str, id: &str) -> String {
        let reply = self.client.get(&format!("/reservations/{id}"), Some(token));
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body["status"].as_str().unwrap_or_default().to_owned()
    }

    fn wait_status(&self, token: &str, id: &str, wanted: &str) {
        let reached = eventually(self.converge, || (self.status(token, id) == wanted).then_some(()));
        assert!(reached.is_some(), "reservation {id} stayed {} instead of {wanted}", self.status(token, id));
    }

    fn stock(&self, book_id: &str) -> Value {
        let reply = self.client.get(&format!("/stocks/{book_id}"), Some(&self.staff));
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body
    }

    fn notifications(&self, token: &str) -> Vec<Value> {
        let reply = self.client.get("/notifications", Some(token));
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body.as_array().cloned().unwrap_or_default()
    }

    fn queues(&self) -> Vec<Value> {
        self.client.runner_get("/_local/queues").body.as_array().cloned().unwrap_or_default()
    }

    /// What `GET /_local/outboxes` says of one of the system's contexts.
    fn outbox(&self, context: &str) -> Value {
        let rows = self.client.runner_get("/_local/outboxes").body;
        let row =
            rows.as_array().into_iter().flatten().find(|o| o["system"] == "bookreservation" && o["context"] == context);
        row.map_or(Value::Null, |o| json!({"waiting": o["waiting"], "relaying": o["relaying"]}))
    }

    fn queue(&self, function: &str) -> Value {
        self.queues()
            .into_iter()
            .find(|q| q["function"] == function)
            .unwrap_or_else(|| panic!("no queue for {function}"))
    }
}

fn health_answers_without_a_token(backend: Backend) {
    let w = World::new(backend);
    let reply = w.client.get("/health", None);
    assert_eq!((reply.status, reply.body), (200, json!({"status": "ok"})));
}

/// The published contract is served as committed, to anyone (like a public
/// API's documents): the OpenAPI and AsyncAPI documents and each event's
/// JSON Schema.
fn the_runner_serves_the_published_contract_without_a_token(backend: Backend) {
    let w = World::new(backend);
    let committed = |file: &str| -> Value {
        let path = repo_root().join("docs/contract/bookreservation").join(file);
        serde_json::from_str(&std::fs::read_to_string(&path).expect("committed")).expect("JSON")
    };
    let openapi = w.client.get("/openapi.json", None);
    assert_eq!((openapi.status, &openapi.body), (200, &committed("openapi.json")));
    assert_eq!(openapi.body["paths"]["/reservations"]["post"]["operationId"], "requestReservation");
    let asyncapi = w.client.get("/asyncapi.json", None);
    assert_eq!((asyncapi.status, &asyncapi.body), (200, &committed("asyncapi.json")));
    assert_eq!(asyncapi.body["asyncapi"], "3.0.0");
    let reserved = w.client.get("/schemas/Reserved.json", None);
    assert_eq!((reserved.status, &reserved.body), (200, &committed("events/Reserved.json")));
    assert_eq!(reserved.body["$id"], "urn:event-storming:bookreservation:reservation:Reserved");
    for missing in ["/schemas/Nothing.json", "/schemas/..%2Fasyncapi.json", "/schemas/Reserved"] {
        let reply = w.client.get(missing, None);
        assert_eq!((reply.status, reply.code()), (404, "not_found"), "{missing}: {reply:?}");
    }
}

/// The live board's feed (`GET /_local/activity`, server-sent events) shows
/// a saga step by step: every event before each consumer's handling of it,
/// and every sticky of bookreservation's story; the page and the boards it
/// draws are served beside it.
fn the_live_board_streams_a_saga_step_by_step(backend: Backend) {
    let w = World::new(backend);
    let page = w.client.runner_get("/");
    assert_eq!(page.status, 200, "{page:?}");
    let boards = w.client.runner_get("/_local/boards");
    assert_eq!(
        boards.body["bookreservation"]["contexts"]["stock"]["policies"]["reserve-stock"]["on"]["reservation"],
        json!(["ReservationRequested"])
    );
    let steps = w.client.runner_stream("/_local/activity?system=bookreservation");

    w.receive("isbn-1", "Clean Code", 1);
    w.wait_available("isbn-1", 1);
    let id = w.reserve(&w.alice, "isbn-1");
    w.wait_status(&w.alice, &id, "Reserved");
    eventually(std::time::Duration::from_secs(10), || (w.notifications(&w.alice).len() == 1).then_some(()))
        .expect("the customer is notified");
    let expected = [
        ("event", "ReservationRequested"),
        ("consumer", "reserve-stock"),
        ("event", "StockReserved"),
        ("consumer", "confirm-reservation"),
        ("consumer", "book-list-view"),
        ("event", "Reserved"),
        ("consumer", "notify-customer"),
    ];
    let shown = |saga: &[Value]| -> Vec<(String, String)> {
        saga.iter().map(|s| (s["kind"].as_str().unwrap().to_owned(), s["name"].as_str().unwrap().to_owned())).collect()
    };
    let has_every_step = |saga: &[Value]| {
        let shown = shown(saga);
        expected.iter().all(|(kind, name)| shown.contains(&((*kind).to_owned(), (*name).to_owned())))
    };
    // A consumer's step is fed once its batch is settled, which can be after
    // the event it published has been handled further on: the saga is
    // waited for whole, not only until its last branches show.
    let saga: Vec<Value> = eventually(std::time::Duration::from_secs(10), || {
        let saga: Vec<Value> =
            steps.lock().unwrap().iter().filter(|s| s["correlationId"] == id.as_str()).cloned().collect();
        has_every_step(&saga).then_some(saga)
    })
    .unwrap_or_else(|| {
        let saga: Vec<Value> =
            steps.lock().unwrap().iter().filter(|s| s["correlationId"] == id.as_str()).cloned().collect();
        panic!("the saga's steps never all reached the feed: {expected:?}, seen {:?}", shown(&saga))
    });
    let shown = shown(&saga);
    for (index, step) in saga.iter().enumerate().filter(|(_, s)| s["kind"] == "consumer") {
        assert_eq!(step["outcome"], "handled", "{step}");
        let published = saga[..index].iter().any(|s| s["kind"] == "event" && s["eventId"] == step["eventId"]);
        assert!(
            published,
            "{} took {} before the feed showed it published: {shown:?}",
            step["name"], step["eventType"]
        );
    }
    assert!(
        saga.iter().any(|s| s["kind"] == "http" && s["name"] == "request-reservation" && s["outcome"] == "202"),
        "the command's answer is on the feed, in the saga its commit started: {shown:?}"
    );
    // Each step is stamped when it began: the command before everything of
    // its saga, and each policy before the event its own commit raised.
    let at = |kind: &str, name: &str| -> String {
        let step = saga.iter().find(|s| s["kind"] == kind && s["name"] == name).expect(name);
        step["at"].as_str().expect("at").to_owned()
    };
    let command = at("http", "request-reservation");
    assert!(saga.iter().all(|s| s["at"].as_str().unwrap() >= command.as_str()), "the command first: {saga:?}");
    for (policy, raised) in [("reserve-stock", "StockReserved"), ("confirm-reservation", "Reserved")] {
        assert!(at("consumer", policy) <= at("event", raised), "{policy} took its event before {raised}: {saga:?}");
    }
    let all = steps.lock().unwrap().clone();
    let receipt = all.iter().find(|s| s["kind"] == "http" && s["name"] == "receive-stock").expect("receive-stock");
    assert_eq!(receipt["correlationId"], "isbn-1", "the stock's events are correlated by the book: {receipt}");
    let read = all.iter().find(|s| s["kind"] == "http" && s["name"] == "get-reservation").expect("get-reservation");
    assert!(read["correlationId"].is_null(), "a query commits nothing and joins no saga: {read}");
}

/// The page signs in through the runner: `POST /_local/token` mints a token
/// for anyone (staff when asked), which the routes then take as theirs;
/// a bad request is the contract's 400 and mints nothing.
fn the_page_signs_in_with_a_token_the_runner_mints(backend: Backend) {
    let w = World::new(backend);
    let minted = w.client.runner_post("/_local/token", r#"{"sub": "page-staff", "staff": true}"#);
    assert_eq!((minted.status, &minted.body["sub"], &minted.body["staff"]), (200, &json!("page-staff"), &json!(true)));
    let staff = minted.body["token"].as_str().expect("a token").to_owned();
    let received =
        w.client.post_json("/stocks", Some(&staff), &json!({"bookId": "b-1", "title": "Dune", "quantity": 1}));
    assert_eq!(received.status, 200, "a staff token: {received:?}");
    let customer = w.client.runner_post("/_local/token", r#"{"sub": "page-alice"}"#);
    let customer = customer.body["token"].as_str().expect("a token").to_owned();
    let refused =
        w.client.post_json("/stocks", Some(&customer), &json!({"bookId": "b-1", "title": "Dune", "quantity": 1}));
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
    // The field at fault is named, as a route's refusal names it.
    for (bad, code, field) in [
        (r#"{"sub": ""}"#, "invalid_field", json!("sub")),
        (r#"{"sub": "   "}"#, "invalid_field", json!("sub")),
        (r#"{"staff": true}"#, "invalid_field", json!("sub")),
        (r#"{"sub": 7}"#, "invalid_field", json!("sub")),
        (r#"{"sub": "a", "staff": "yes"}"#, "invalid_field", json!("staff")),
        (r#"{"sub": "a", "groups": ["staff"]}"#, "invalid_field", json!("groups")),
        ("[]", "malformed_json", Value::Null),
        (r#"{"sub": "a""#, "malformed_json", Value::Null),
    ] {
        let reply = w.client.runner_post("/_local/token", bad);
        assert_eq!(
            (reply.status, reply.code(), &reply.body["error"]["field"]),
            (400, code, &field),
            "{bad}: {reply:?}"
        );
        assert!(reply.body["token"].is_null(), "{bad}: no token");
    }
}

fn received_stock_lets_a_reservation_through_and_takes_one_copy(backend: Backend) {
    let w = World::new(backend);
    let received = w.receive("isbn-1", "Clean Code", 2);
    assert_eq!(received.body, json!({"bookId": "isbn-1", "title": "Clean Code", "quantity": 2}));
    w.wait_available("isbn-1", 2);
    let id = w.reserve(&w.alice, "isbn-1");
    w.wait_status(&w.alice, &id, "Reserved");
    assert_eq!(w.stock("isbn-1")["quantity"], 1);
    w.wait_available("isbn-1", 1);
}

/// `--aws` counts every AWS request it sends, by service and operation, with
/// the items of each transaction and the events of each batch publish (what
/// the cost per saga in docs/benchmarks.md is made of); the embedded store
/// sends none.
fn aws_requests_are_counted_by_operation(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 1);
    w.wait_available("isbn-1", 1);
    let before = w.client.runner_get("/_local/aws-requests").body;
    let id = w.reserve(&w.alice, "isbn-1");
    w.wait_status(&w.alice, &id, "Reserved");
    let counts = w.client.runner_get("/_local/aws-requests").body;
    if backend == Backend::Embedded {
        assert_eq!(counts, json!({}));
        return;
    }
    let added = |service: &str, operation: &str| {
        counts[service][operation].as_u64().unwrap_or(0) - before[service][operation].as_u64().unwrap_or(0)
    };
    // Reserve, take the copy, confirm: three commits, each with its outbox
    // (and the two policies' inbox records); at least the two events of the
    // saga so far published.
    assert!(added("DynamoDB", "TransactWriteItems") >= 3, "{counts}");
    // A commit writes its state with its outbox or inbox: more items than
    // transactions.
    assert!(added("DynamoDB", "TransactWriteItems.items") > added("DynamoDB", "TransactWriteItems"), "{counts}");
    assert!(added("SNS", "PublishBatch.items") >= 2, "{counts}");
    assert!(added("SQS", "ReceiveMessage") >= 1, "{counts}");
}

fn receiving_more_copies_adds_to_the_same_book(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 2);
    let again = w.receive("isbn-1", "Clean Code", 3);
    assert_eq!(again.body["quantity"], 5);
    w.wait_available("isbn-1", 5);
}

fn with_no_copy_left_the_reservation_fails(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 1);
    w.wait_available("isbn-1", 1);
    let first = w.reserve(&w.alice, "isbn-1");
    w.wait_status(&w.alice, &first, "Reserved");
    let second = w.reserve(&w.carol, "isbn-1");
    w.wait_status(&w.carol, &second, "Failed");
    assert_eq!(w.stock("isbn-1")["quantity"], 0, "stock never goes negative");
}

fn canceling_a_reservation_restores_the_copy_and_the_list_follows(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 1);
    w.wait_available("isbn-1", 1);
    let id = w.reserve(&w.alice, "isbn-1");
    w.wait_status(&w.alice, &id, "Reserved");
    w.wait_available("isbn-1", 0);
    let canceled = w.client.post(&format!("/reservations/{id}/cancel"), Some(&w.alice), "");
    assert_eq!((canceled.status, canceled.body["status"].as_str()), (200, Some("Canceled")), "{canceled:?}");
    w.wait_available("isbn-1", 1);
    assert_eq!(w.stock("isbn-1")["quantity"], 1);
}

/// Customers race for fewer copies than they ask for, then every reservation
/// that got one is canceled twice at once: stock stays exact, each cancel
/// happens once, and each outcome is notified once. (On plain moto this
/// failed: canceled transactions erased other writes; docs/testing.md.)
fn racing_reservations_and_double_cancels_keep_the_stock_exact(backend: Backend) {
    const COPIES: u64 = 8;
    const CUSTOMERS: usize = 4;
    const EACH: usize = 8;
    let world = World::new(backend);
    let w = &world;
    w.receive("isbn-race", "Racing", COPIES);
    w.wait_available("isbn-race", COPIES);
    let tokens: Vec<String> = (0..CUSTOMERS).map(|i| token(&format!("racer{i}"), &[])).collect();
    let placed: Vec<(&str, String)> = std::thread::scope(|scope| {
        let racers: Vec<_> = tokens
            .iter()
            .map(|t| scope.spawn(|| (0..EACH).map(|_| (t.as_str(), w.reserve(t, "isbn-race"))).collect::<Vec<_>>()))
            .collect();
        racers.into_iter().flat_map(|r| r.join().expect("a racer")).collect()
    });
    let settled = |t: &str, id: &str| {
        eventually(w.converge, || Some(w.status(t, id)).filter(|s| s == "Reserved" || s == "Failed"))
            .unwrap_or_else(|| panic!("reservation {id} never resolved: {}", w.status(t, id)))
    };
    let reserved: Vec<&(&str, String)> = placed.iter().filter(|(t, id)| settled(t, id) == "Reserved").collect();
    assert_eq!(reserved.len() as u64, COPIES, "every copy taken once, no more");
    assert_eq!(w.stock("isbn-race")["quantity"], 0);

    let cancels: Vec<(u16, u16)> = std::thread::scope(|scope| {
        let pairs: Vec<_> = reserved
            .iter()
            .map(|(t, id)| {
                let path = format!("/reservations/{id}/cancel");
                let first = scope.spawn({
                    let path = path.clone();
                    move || w.client.post(&path, Some(t), "").status
                });
                let second = scope.spawn(move || w.client.post(&path, Some(t), "").status);
                (first, second)
            })
            .collect();
        pairs.into_iter().map(|(a, b)| (a.join().expect("a cancel"), b.join().expect("a cancel"))).collect()
    });
    for (a, b) in &cancels {
        let mut outcome = [*a, *b];
        outcome.sort();
        assert_eq!(outcome, [200, 409], "one of two racing cancels wins, the other is refused");
    }
    let restored = eventually(w.converge, || w.book("isbn-race").filter(|b| b["available"] == COPIES));
    assert!(
        restored.is_some(),
        "every canceled copy back once: the list shows {:?}, stock holds {}, queues {:?}",
        w.book("isbn-race"),
        w.stock("isbn-race"),
        w.queues()
    );
    assert_eq!(w.stock("isbn-race")["quantity"], COPIES);

    let expected = (CUSTOMERS * EACH) as u64 + COPIES;
    let count = || tokens.iter().map(|t| w.notifications(t).len() as u64).sum::<u64>();
    let notified = eventually(w.converge, || Some(count()).filter(|n| *n >= expected));
    assert_eq!(notified, Some(expected), "one notification per Reserved, Failed and Canceled");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(count(), expected, "and never a second one");
}

fn one_notification_per_reserved_failed_and_canceled(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 1);
    w.wait_available("isbn-1", 1);
    let reserved = w.reserve(&w.alice, "isbn-1");
    w.wait_status(&w.alice, &reserved, "Reserved");
    let failed = w.reserve(&w.alice, "isbn-1");
    w.wait_status(&w.alice, &failed, "Failed");
    assert_eq!(w.client.post(&format!("/reservations/{reserved}/cancel"), Some(&w.alice), "").status, 200);
    let all = eventually(w.converge, || {
        let n = w.notifications(&w.alice);
        (n.len() >= 3).then_some(n)
    })
    .expect("three notifications");
    let kinds: Vec<(&str, &str)> =
        all.iter().map(|n| (n["kind"].as_str().unwrap(), n["reservationId"].as_str().unwrap())).collect();
    assert_eq!(
        kinds,
        vec![
            ("Reserved", reserved.as_str()),
            ("ReservationFailed", failed.as_str()),
            ("ReservationCanceled", reserved.as_str())
        ]
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(w.notifications(&w.alice).len(), 3, "no notification twice");
    assert!(w.notifications(&w.carol).is_empty(), "notifications are private");
}

fn a_customer_lists_only_their_own_reservations_newest_first(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 5);
    w.wait_available("isbn-1", 5);
    let first = w.reserve(&w.alice, "isbn-1");
    let second = w.reserve(&w.alice, "isbn-1");
    w.reserve(&w.carol, "isbn-1");
    let mine = w.client.get("/reservations", Some(&w.alice));
    let ids: Vec<&str> = mine.body.as_array().unwrap().iter().map(|r| r["reservationId"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![second.as_str(), first.as_str()]);
}

fn reservations_are_accepted_while_stock_is_down_and_resolve_when_it_is_back(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 2);
    w.wait_available("isbn-1", 2);
    let stopped = w.client.runner_post("/_local/bookreservation/contexts/stock/stop", "");
    assert_eq!(stopped.status, 200, "{stopped:?}");
    let ids: Vec<String> = (0..3).map(|_| w.reserve(&w.alice, "isbn-1")).collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    for id in &ids {
        assert_eq!(w.status(&w.alice, id), "Requested", "nothing resolves while stock is down");
    }
    let waiting = eventually(w.converge, || {
        let q = w.queue("ReserveStockFunction");
        (q["depth"] == 3).then_some(q)
    });
    assert!(waiting.is_some(), "the requests wait in stock's queue: {:?}", w.queue("ReserveStockFunction"));
    assert_eq!(w.client.runner_post("/_local/bookreservation/contexts/stock/start", "").status, 200);
    let outcomes: Vec<String> = ids
        .iter()
        .map(|id| {
            eventually(w.converge, || Some(w.status(&w.alice, id)).filter(|s| s != "Requested")).expect("resolved")
        })
        .collect();
    let mut sorted = outcomes.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["Failed", "Reserved", "Reserved"]);
    assert_eq!(w.stock("isbn-1")["quantity"], 0);
}

fn events_a_broken_relay_never_published_are_swept_and_delivered_once(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 3);
    w.wait_available("isbn-1", 3);
    // Reservation's relay is down: its events stay in its outbox.
    let stopped = w.client.runner_post("/_local/bookreservation/contexts/reservation/stop", "");
    assert_eq!(stopped.status, 200, "{stopped:?}");
    let ids: Vec<String> = (0..2).map(|_| w.reserve(&w.alice, "isbn-1")).collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(w.stock("isbn-1")["quantity"], 3, "stock has heard nothing");
    assert_eq!(w.outbox("reservation"), json!({"waiting": 2, "relaying": false}), "both wait in the outbox");
    // The sweeper (the relay's schedule on AWS) publishes what is still there.
    // A bad body is refused as the contract refuses one, and sweeps nothing.
    for (bad, code, field) in
        [(r#"{"olderThanMs":"soon"}"#, "invalid_field", Some("olderThanMs")), ("not json", "malformed_json", None)]
    {
        let refused = w.client.runner_post("/_local/bookreservation/contexts/reservation/sweep", bad);
        let seen = (refused.status, refused.code(), refused.body["error"]["field"].as_str());
        assert_eq!(seen, (400, code, field), "{bad}: {refused:?}");
    }
    assert_eq!(w.outbox("reservation")["waiting"], 2, "a refused sweep took nothing");
    let swept = w.client.runner_post("/_local/bookreservation/contexts/reservation/sweep", r#"{"olderThanMs":0}"#);
    assert_eq!((swept.status, &swept.body["swept"]), (200, &json!(2)), "{swept:?}");
    let taken = eventually(w.converge, || (w.stock("isbn-1")["quantity"] == 1).then_some(()));
    assert!(taken.is_some(), "stock took the swept reservations' copies: {:?}", w.stock("isbn-1"));
    let again = w.client.runner_post("/_local/bookreservation/contexts/reservation/sweep", r#"{"olderThanMs":0}"#);
    assert_eq!(again.body["swept"], 0, "swept items are gone from the outbox");
    assert_eq!(w.outbox("reservation")["waiting"], 0);
    // The relay comes back. On DynamoDB its stream still has the swept events
    // and publishes them again (absorbed); the embedded store keeps an outbox
    // in the stream alone, so the sweep took them out of it.
    assert_eq!(w.client.runner_post("/_local/bookreservation/contexts/reservation/start", "").status, 200);
    for id in &ids {
        w.wait_status(&w.alice, id, "Reserved");
    }
    let settled = eventually(w.converge, || {
        w.queues().iter().all(|q| q["depth"] == 0 && q["inFlight"] == 0 && q["deadLetters"] == 0).then_some(())
    });
    assert!(settled.is_some(), "{:?}", w.queues());
    assert_eq!(w.stock("isbn-1")["quantity"], 1, "each copy taken once");
}

fn envelope(event_id: &str, event_type: &str, source: &str, correlation: &str, version: u64, data: Value) -> Value {
    json!({
        "eventId": event_id, "type": event_type, "source": source, "occurredAt": "2026-11-22T10:00:00.000Z",
        "correlationId": correlation, "version": version, "data": data,
    })
}

fn the_same_event_delivered_four_times_has_one_effect(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 1);
    w.wait_available("isbn-1", 1);
    let id = w.reserve(&w.alice, "isbn-1");
    w.wait_status(&w.alice, &id, "Reserved");
    w.wait_available("isbn-1", 0);
    let notified = eventually(w.converge, || (w.notifications(&w.alice).len() == 1).then_some(()));
    assert!(notified.is_some(), "the Reserved notification");

    // One ReservationCanceled, delivered four times (twice in a batch,
    // twice published): SNS and SQS promise at-least-once, no more.
    let steps = w.client.runner_stream("/_local/activity?system=bookreservation");
    let data = json!({"reservationId": id, "bookId": "isbn-1", "title": "Clean Code", "customerId": "alice"});
    let canceled = envelope("0192f0c4-dup0-7000-8000-000000000001", "ReservationCanceled", "reservation", &id, 3, data);
    for _ in 0..2 {
        let published =
            w.client.runner_post("/_local/bookreservation/events", &json!([canceled, canceled]).to_string());
        assert_eq!(published.status, 202, "{published:?}");
    }
    let drained =
        eventually(w.converge, || w.queues().iter().all(|q| q["depth"] == 0 && q["inFlight"] == 0).then_some(()));
    assert!(drained.is_some(), "{:?}", w.queues());
    w.wait_available("isbn-1", 1);
    assert_eq!(w.stock("isbn-1")["quantity"], 1, "one copy back, not four");
    let kinds: Vec<String> = w.notifications(&w.alice).iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, vec!["Reserved", "ReservationCanceled"], "one notification for the four deliveries");
    // The live board tells which deliveries the inbox absorbed.
    let notified: Vec<Value> = eventually(w.converge, || {
        let notified: Vec<Value> = steps
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s["name"] == "notify-customer" && s["eventId"] == canceled["eventId"])
            .cloned()
            .collect();
        (notified.len() == 4).then_some(notified)
    })
    .expect("four deliveries to notify-customer on the feed");
    assert!(notified.iter().all(|s| s["outcome"] == "handled" && s["correlationId"] == id.as_str()), "{notified:?}");
    let absorbed = notified.iter().filter(|s| s["absorbed"] == true).count();
    assert_eq!(absorbed, 3, "the first delivery notified, the inbox absorbed the other three: {notified:?}");
}

fn a_poison_event_goes_to_the_dead_letter_queue_without_blocking_the_batch(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 1);
    w.wait_available("isbn-1", 1);
    // Missing customerId: notify-customer can never handle it.
    let poison =
        envelope("poison-1", "Reserved", "reservation", "r-x", 2, json!({"reservationId": "r-x", "title": "T"}));
    let good = envelope(
        "good-1",
        "Reserved",
        "reservation",
        "r-y",
        2,
        json!({"reservationId": "r-y", "bookId": "isbn-1", "title": "T", "customerId": "alice"}),
    );
    let steps = w.client.runner_stream("/_local/activity?system=bookreservation");
    let published = w.client.runner_post("/_local/bookreservation/events", &json!([poison, good]).to_string());
    assert_eq!(published.status, 202);
    let dead = eventually(w.converge, || {
        let q = w.queue("NotifyCustomerFunction");
        (q["deadLetters"] == 1 && q["depth"] == 0 && q["inFlight"] == 0).then_some(q)
    });
    assert!(dead.is_some(), "after maxReceiveCount the poison is parked: {:?}", w.queue("NotifyCustomerFunction"));
    let attempts: Vec<u64> = steps
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "notify-customer" && s["eventId"] == "poison-1")
        .map(|s| {
            assert_eq!((&s["outcome"], &s["absorbed"]), (&json!("failed"), &Value::Null), "{s}");
            s["attempt"].as_u64().expect("a delivery count")
        })
        .collect();
    assert!(
        attempts.len() >= 2 && attempts.windows(2).all(|w| w[1] == w[0] + 1),
        "the feed counts the retries: {attempts:?}"
    );
    assert_eq!(w.notifications(&w.alice).len(), 1, "the good event of the same batch went through");

    let redriven = w.client.runner_post("/_local/bookreservation/queues/NotifyCustomerQueue/redrive", "");
    assert_eq!((redriven.status, redriven.body["moved"].as_u64()), (200, Some(1)), "{redriven:?}");
    let back = eventually(w.converge, || (w.queue("NotifyCustomerFunction")["deadLetters"] == 1).then_some(()));
    assert!(back.is_some(), "redriven, retried, and parked again");
}

fn an_acknowledged_reservation_survives_kill_9_and_resolves_after_restart(backend: Backend) {
    let w = World::with(RunnerOptions { in_memory: false, ..RunnerOptions::on(backend) });
    w.receive("isbn-1", "Clean Code", 10);
    w.wait_available("isbn-1", 10);
    // Ten requests wait in stock's queue (stock is stopped) ...
    assert_eq!(w.client.runner_post("/_local/bookreservation/contexts/stock/stop", "").status, 200);
    let mut ids: Vec<String> = (0..10).map(|_| w.reserve(&w.alice, "isbn-1")).collect();
    let queued = eventually(w.converge, || (w.queue("ReserveStockFunction")["depth"] == 10).then_some(()));
    assert!(queued.is_some(), "{:?}", w.queue("ReserveStockFunction"));
    // ... and ten only in the reservation table's outbox: the reservation
    // context's relay is stopped, so they are acknowledged but not published.
    assert_eq!(w.client.runner_post("/_local/bookreservation/contexts/reservation/stop", "").status, 200);
    ids.extend((0..10).map(|_| w.reserve(&w.alice, "isbn-1")));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(w.queue("ReserveStockFunction")["depth"], 10, "the last ten are not published yet");
    // kill -9; the holds are not durable, so the new runner runs everything.
    let runner = w.runner.kill_and_restart();
    let client = runner.client(SYSTEM);
    let status = |id: &str| client.get(&format!("/reservations/{id}"), Some(&w.alice)).body["status"].clone();
    for id in &ids {
        let resolved = eventually(w.converge, || Some(status(id)).filter(|s| s == "Reserved" || s == "Failed"));
        assert!(resolved.is_some(), "reservation {id} was lost: {:?}", status(id));
    }
    let reserved = ids.iter().filter(|id| status(id) == "Reserved").count();
    assert_eq!(reserved, 10, "exactly the copies on hand were reserved");
    let stock = client.get("/stocks/isbn-1", Some(&w.staff)).body;
    assert_eq!(stock["quantity"], 0);
    let notified = eventually(w.converge, || {
        let n = client.get("/notifications", Some(&w.alice)).body.as_array().map_or(0, Vec::len);
        (n == 20).then_some(n)
    });
    let shown = client.get("/notifications", Some(&w.alice)).body;
    assert!(notified.is_some(), "one notification per outcome, none lost, none twice: {shown}");
}

/// Everything a bad request could have touched.
fn snapshot(w: &World, reservations: &[&str]) -> Value {
    json!({
        "books": w.client.get("/books", Some(&w.alice)).body,
        "stock": w.stock("isbn-1"),
        "alice": w.client.get("/reservations", Some(&w.alice)).body,
        "carol": w.client.get("/reservations", Some(&w.carol)).body,
        "aliceNotes": w.notifications(&w.alice).len(),
        "carolNotes": w.notifications(&w.carol).len(),
        "statuses": reservations.iter().map(|id| w.status(&w.alice, id)).collect::<Vec<_>>(),
    })
}

fn bad_input_gets_the_contracts_error_and_changes_nothing(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 2);
    w.wait_available("isbn-1", 2);
    let reserved = w.reserve(&w.alice, "isbn-1");
    w.wait_status(&w.alice, &reserved, "Reserved");
    let canceled = w.reserve(&w.alice, "isbn-1");
    w.wait_status(&w.alice, &canceled, "Reserved");
    assert_eq!(w.client.post(&format!("/reservations/{canceled}/cancel"), Some(&w.alice), "").status, 200);
    w.wait_available("isbn-1", 1);
    eventually(w.converge, || (w.notifications(&w.alice).len() == 3).then_some(())).expect("notified");
    let before = snapshot(&w, &[&reserved, &canceled]);

    let (staff, alice, carol) = (w.staff.as_str(), w.alice.as_str(), w.carol.as_str());
    let forged = forged_token("alice");
    let expired = expired_token("alice");
    let get_mine = format!("/reservations/{reserved}");
    let cancel_mine = format!("/reservations/{reserved}/cancel");
    let cancel_canceled = format!("/reservations/{canceled}/cancel");
    let endpoints: Vec<(&str, String, &str)> = vec![
        ("POST", "/stocks".into(), r#"{"bookId":"isbn-1","title":"Clean Code","quantity":1}"#),
        ("GET", "/stocks/isbn-1".into(), ""),
        ("GET", "/books".into(), ""),
        ("POST", "/reservations".into(), r#"{"bookId":"isbn-1"}"#),
        ("GET", "/reservations".into(), ""),
        ("GET", get_mine.clone(), ""),
        ("POST", cancel_mine.clone(), ""),
        ("GET", "/notifications".into(), ""),
    ];
    let mut cases = unauthorized_cases(&endpoints, &forged, &expired);
    let stocks = "/stocks".to_string();
    let long_book = format!(r#"{{"bookId":"{}"}}"#, "b".repeat(3000));
    let reservations = "/reservations".to_string();
    cases.extend([
        (
            "POST",
            stocks.clone(),
            Some(alice),
            r#"{"bookId":"isbn-1","title":"Clean Code","quantity":1}"#,
            403,
            "forbidden",
            None,
        ),
        ("POST", stocks.clone(), Some(staff), r#"{"bookId":"isbn-1","#, 400, "malformed_json", None),
        ("POST", stocks.clone(), Some(staff), "[1,2]", 400, "malformed_json", None),
        (
            "POST",
            stocks.clone(),
            Some(staff),
            r#"{"bookId":"isbn-1","quantity":1}"#,
            400,
            "invalid_field",
            Some("title"),
        ),
        (
            "POST",
            stocks.clone(),
            Some(staff),
            r#"{"bookId":"isbn-1","title":"Clean Code","quantity":"3"}"#,
            400,
            "invalid_field",
            Some("quantity"),
        ),
        (
            "POST",
            stocks.clone(),
            Some(staff),
            r#"{"bookId":"isbn-1","title":"Clean Code","quantity":0}"#,
            400,
            "invalid_field",
            Some("quantity"),
        ),
        (
            "POST",
            stocks.clone(),
            Some(staff),
            r#"{"bookId":"isbn-1","title":"Clean Code","quantity":-2}"#,
            400,
            "invalid_field",
            Some("quantity"),
        ),
        (
            "POST",
            stocks.clone(),
            Some(staff),
            r#"{"bookId":"","title":"Clean Code","quantity":1}"#,
            400,
            "invalid_field",
            Some("bookId"),
        ),
        (
            "POST",
            stocks.clone(),
            Some(staff),
            r#"{"bookId":"a b","title":"Clean Code","quantity":1}"#,
            400,
            "invalid_field",
            Some("bookId"),
        ),
        (
            "POST",
            stocks.clone(),
            Some(staff),
            r#"{"bookId":"isbn-1","title":" ","quantity":1}"#,
            400,
            "invalid_field",
            Some("title"),
        ),
        (
            "POST",
            stocks.clone(),
            Some(staff),
            r#"{"bookId":"isbn-1","title":"Emma","quantity":1}"#,
            409,
            "title_mismatch",
            None,
        ),
        ("GET", "/stocks/isbn-1".into(), Some(alice), "", 403, "forbidden", None),
        ("GET", "/stocks/isbn-404".into(), Some(staff), "", 404, "not_found", None),
        ("POST", reservations.clone(), Some(alice), "{", 400, "malformed_json", None),
        ("POST", reservations.clone(), Some(alice), "", 400, "malformed_json", None),
        ("POST", reservations.clone(), Some(alice), "{}", 400, "invalid_field", Some("bookId")),
        ("POST", reservations.clone(), Some(alice), r#"{"bookId":7}"#, 400, "invalid_field", Some("bookId")),
        ("POST", reservations.clone(), Some(alice), r#"{"bookId":""}"#, 400, "invalid_field", Some("bookId")),
        (
            "POST",
            reservations.clone(),
            Some(alice),
            r#"{"bookId":"isbn-1","customerId":"carol"}"#,
            400,
            "invalid_field",
            Some("customerId"),
        ),
        ("POST", reservations.clone(), Some(alice), r#"{"bookId":"isbn-404"}"#, 404, "not_found", None),
        ("GET", "/reservations/nope".into(), Some(alice), "", 404, "not_found", None),
        ("GET", format!("/reservations/{}", "r".repeat(3000)), Some(alice), "", 404, "not_found", None),
        ("GET", format!("/stocks/{}", "b".repeat(3000)), Some(staff), "", 404, "not_found", None),
        ("POST", reservations.clone(), Some(alice), &long_book, 400, "invalid_field", Some("bookId")),
        ("GET", get_mine.clone(), Some(carol), "", 403, "forbidden", None),
        ("POST", "/reservations/nope/cancel".into(), Some(alice), "", 404, "not_found", None),
        ("POST", cancel_mine.clone(), Some(carol), "", 403, "forbidden", None),
        ("POST", cancel_canceled.clone(), Some(alice), "", 409, "invalid_state", None),
        ("DELETE", get_mine.clone(), Some(alice), "", 405, "method_not_allowed", None),
    ]);
    check_matrix(&w.client, &cases);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(snapshot(&w, &[&reserved, &canceled]), before, "bad input changed state");
}

/// Requests refused before a function runs (no token, no route, a method
/// the route has not) still have their bodies read, so the connection
/// serves the client's next request. The body is sent a moment after the
/// headers, as a busy client's second segment arrives: a runner that
/// answered at once and dropped the connection of an unread body made a
/// pooled client's next request fail (`Peer disconnected`, once in a CI run
/// of the bad-input matrix).
fn requests_refused_before_a_function_runs_leave_the_connection_usable(backend: Backend) {
    use std::io::{BufRead, BufReader, Read, Write};
    let w = World::new(backend);
    let base = w.client.base.strip_prefix("http://").expect("an http base");
    let (host, prefix) = base.split_once('/').expect("host/system");
    let mut stream = std::net::TcpStream::connect(host).expect("the runner listens");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let body = r#"{"bookId":"isbn-1"}"#;
    let bearer = format!("Bearer {}", w.alice);
    let requests = [
        ("POST", "reservations", None, 401),
        ("POST", "nowhere", Some(bearer.as_str()), 404),
        ("POST", "books", Some(bearer.as_str()), 405),
        ("GET", "books", Some(bearer.as_str()), 200),
    ];
    for (method, path, authorization, status) in requests {
        let authorization = authorization.map_or(String::new(), |a| format!("authorization: {a}\r\n"));
        let head = format!(
            "{method} /{prefix}/{path} HTTP/1.1\r\nhost: {host}\r\n{authorization}content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        stream.write_all(body.as_bytes()).unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap_or_else(|e| panic!("{method} /{path}: no answer on the connection: {e}"));
        assert!(line.starts_with(&format!("HTTP/1.1 {status}")), "{method} /{path}: {line:?}");
        let mut length = 0;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            if header == "\r\n" || header.is_empty() {
                break;
            }
            if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
        }
        let mut answer = vec![0; length];
        reader.read_exact(&mut answer).unwrap();
    }
}

/// A body over 16 KiB is refused before it is parsed (`413`), on every route,
/// and changes nothing.
fn a_body_over_16_kib_is_refused_and_changes_nothing(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 1);
    let padding = " ".repeat(16 * 1024);
    let oversized = format!(r#"{{"bookId":"isbn-1"{padding}}}"#);
    let reply = w.client.post("/reservations", Some(&w.alice), &oversized);
    assert_eq!((reply.status, reply.code()), (413, "payload_too_large"), "{reply:?}");
    let fits = format!(r#"{{"bookId":"isbn-none"{}}}"#, &padding[..16 * 1024 - 22]);
    let reply = w.client.post("/reservations", Some(&w.alice), &fits);
    assert_eq!((reply.status, reply.code()), (404, "not_found"), "16 KiB is read: {reply:?}");
    let staff = w.client.post(
        "/stocks",
        Some(&w.staff),
        &format!(r#"{{"bookId":"isbn-1","title":"x","quantity":5{padding}}}"#),
    );
    assert_eq!(staff.status, 413);
    assert_eq!(w.stock("isbn-1")["quantity"], 1, "the refused receipt changed nothing");
}

/// What a web page in the developer's browser could send to the control API
/// is refused: a form's content type, and a host name that is not this
/// machine (DNS rebinding). The switch stays as it was.
fn the_control_api_refuses_what_a_browser_page_could_send(backend: Backend) {
    let w = World::new(backend);
    let stop = "/_local/bookreservation/contexts/stock/stop";
    let form = w.client.runner_post_with(stop, &[("content-type", "text/plain")], "");
    assert_eq!((form.status, form.code()), (415, "unsupported_media_type"), "{form:?}");
    let rebound =
        w.client.runner_post_with(stop, &[("content-type", "application/json"), ("host", "evil.example:3000")], "");
    assert_eq!(rebound.status, 403, "{rebound:?}");
    assert!(w.queue("ReserveStockFunction")["consuming"] == true, "still consuming");
    let json = w.client.runner_post(stop, "");
    assert_eq!(json.status, 200, "{json:?}");
    assert!(w.queue("ReserveStockFunction")["consuming"] == false);
}

/// The outbox counts take one optional `system`: a malformed query gets the
/// contract's 400, an unknown system no rows.
fn the_outbox_counts_refuse_a_malformed_query(backend: Backend) {
    let w = World::new(backend);
    let twice = w.client.runner_get("/_local/outboxes?system=a&system=b");
    assert_eq!((twice.status, twice.code()), (400, "invalid_field"), "{twice:?}");
    let unknown = w.client.runner_get("/_local/outboxes?system=nope");
    assert_eq!((unknown.status, &unknown.body), (200, &json!([])), "{unknown:?}");
}

/// A list answers pages of `limit` items, linking the next one while there
/// are more: read page by page, it holds every item once, in its order.
fn a_list_is_read_page_by_page_through_its_links(backend: Backend) {
    let w = World::new(backend);
    w.receive("isbn-1", "Clean Code", 9);
    w.wait_available("isbn-1", 9);
    let mut made: Vec<String> = (0..5).map(|_| w.reserve(&w.alice, "isbn-1")).collect();
    made.reverse();
    let list = |path: &str| {
        let reply = w.client.get(path, Some(&w.alice));
        assert_eq!(reply.status, 200, "{path}: {reply:?}");
        reply
    };
    let mut seen = Vec::new();
    let mut path = "/reservations?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let reply = list(&path);
        let items = reply.body.as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|r| r["reservationId"].as_str().unwrap().to_owned()));
        pages += 1;
        match reply.next {
            // Relative to the list's own URL: `reservations?limit=2&cursor=…`.
            Some(next) => path = format!("/{next}"),
            None => break,
        }
    }
    assert_eq!((seen, pages), (made.clone(), 3), "newest first, each once");
    assert_eq!(list("/reservations").body.as_array().unwrap().len(), 5, "100 by default");
    assert!(list("/reservations?limit=5").next.is_none(), "a full last page links nothing");
    for bad in ["limit=0", "limit=1001", "limit=ten", "cursor=garbage"] {
        let reply = w.client.get(&format!("/reservations?{bad}"), Some(&w.alice));
        assert_eq!((reply.status, reply.code()), (400, "invalid_field"), "{bad}: {reply:?}");
    }
    w.receive("isbn-2", "Refactoring", 1);
    w.wait_available("isbn-2", 1);
    let books = list("/books?limit=1");
    let foreign = books.next.expect("two books: a next page").split("cursor=").nth(1).unwrap().to_owned();
    let reply = w.client.get(&format!("/reservations?cursor={foreign}"), Some(&w.alice));
    assert_eq!((reply.status, reply.body["error"]["field"].as_str()), (400, Some("cursor")), "another list's cursor");
}

on_both_backends!(
    aws_requests_are_counted_by_operation,
    requests_refused_before_a_function_runs_leave_the_connection_usable,
    health_answers_without_a_token,
    the_runner_serves_the_published_contract_without_a_token,
    the_live_board_streams_a_saga_step_by_step,
    the_page_signs_in_with_a_token_the_runner_mints,
    received_stock_lets_a_reservation_through_and_takes_one_copy,
    receiving_more_copies_adds_to_the_same_book,
    with_no_copy_left_the_reservation_fails,
    canceling_a_reservation_restores_the_copy_and_the_list_follows,
    racing_reservations_and_double_cancels_keep_the_stock_exact,
    one_notification_per_reserved_failed_and_canceled,
    a_customer_lists_only_their_own_reservations_newest_first,
    reservations_are_accepted_while_stock_is_down_and_resolve_when_it_is_back,
    the_same_event_delivered_four_times_has_one_effect,
    a_poison_event_goes_to_the_dead_letter_queue_without_blocking_the_batch,
    bad_input_gets_the_contracts_error_and_changes_nothing,
    an_acknowledged_reservation_survives_kill_9_and_resolves_after_restart,
    events_a_broken_relay_never_published_are_swept_and_delivered_once,
    a_body_over_16_kib_is_refused_and_changes_nothing,
    the_control_api_refuses_what_a_browser_page_could_send,
    the_outbox_counts_refuse_a_malformed_query,
    a_list_is_read_page_by_page_through_its_links,
);
