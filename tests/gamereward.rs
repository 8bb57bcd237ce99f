//! gamereward (seed 002), end to end over HTTP through the local runner:
//! mission → reward → wallet → gift, the exchange through the circuit
//! breaker with gift down or slow, duplicates, and the bad-input matrix.

use std::time::Duration;

use acceptance::*;
use serde_json::{Value, json};

const SYSTEM: &str = "gamereward";

struct World {
    /// Kept alive for the test; dropped, it stops the runner.
    _runner: Runner,
    converge: Duration,
    client: Client,
    alice: String,
    carol: String,
}

/// One mission's saga as alice sees it.
struct Saga {
    mission_id: String,
    reward_id: String,
    wallet_id: String,
}

impl World {
    fn new(backend: Backend) -> Self {
        Self::with(RunnerOptions::on(backend).with_parameters(FAST_CIRCUIT))
    }

    fn with(options: RunnerOptions) -> Self {
        let converge = options.backend.converge();
        let runner = Runner::start(options.serving(SYSTEM));
        let client = runner.client(SYSTEM);
        Self { client, _runner: runner, converge, alice: token("alice", &[]), carol: token("carol", &[]) }
    }

    fn achieve(&self, token: &str, name: &str) -> String {
        let reply = self.client.post_json("/missions", Some(token), &json!({"name": name}));
        assert_eq!(reply.status, 201, "{reply:?}");
        let id = reply.body["missionId"].as_str().expect("an id").to_owned();
        assert_eq!(reply.body, json!({"missionId": id, "name": name, "status": "Achieved", "rewardId": null}));
        id
    }

    fn get(&self, token: &str, path: &str) -> Value {
        let reply = self.client.get(path, Some(token));
        assert_eq!(reply.status, 200, "GET {path}: {reply:?}");
        reply.body
    }

    fn wallets(&self, token: &str) -> Vec<Value> {
        self.get(token, "/wallets").as_array().cloned().unwrap_or_default()
    }

    fn mypage(&self, token: &str) -> Vec<Value> {
        self.get(token, "/mypage").as_array().cloned().unwrap_or_default()
    }

    fn row(&self, token: &str, mission_id: &str) -> Option<Value> {
        self.mypage(token).into_iter().find(|r| r["missionId"] == mission_id)
    }

    /// Waits until the row of `mission_id` has `field` = `value`.
    fn wait_row(&self, token: &str, mission_id: &str, field: &str, value: &str) -> Value {
        eventually(self.converge, || self.row(token, mission_id).filter(|r| r[field] == value))
            .unwrap_or_else(|| panic!("mypage never showed {field}={value}: {:?}", self.row(token, mission_id)))
    }

    /// Achieves a mission and waits for its reward and wallet entry.
    fn rewarded(&self, token: &str, name: &str) -> Saga {
        let mission_id = self.achieve(token, name);
        let mission = eventually(self.converge, || {
            Some(self.get(token, &format!("/missions/{mission_id}"))).filter(|m| m["rewardId"].is_string())
        })
        .expect("the mission learns its reward");
        let reward_id = mission["rewardId"].as_str().unwrap().to_owned();
        let entry = eventually(self.converge, || self.wallets(token).into_iter().find(|w| w["rewardId"] == reward_id))
            .expect("a wallet entry for the reward");
        assert_eq!(entry["status"], "Issued");
        self.wait_row(token, &mission_id, "walletStatus", "Issued");
        Saga { mission_id, reward_id, wallet_id: entry["walletId"].as_str().unwrap().to_owned() }
    }

    fn exchange(&self, token: &str, wallet_id: &str) -> Reply {
        self.client.post_json(
            &format!("/wallets/{wallet_id}/exchange"),
            Some(token),
            &json!({"giftName": "Coffee Coupon"}),
        )
    }

    /// Makes gift's synchronous side `up`, `down` or `slow`.
    fn gift_calls(&self, mode: &str, delay_ms: u64) {
        let reply = self.client.runner_post(
            "/_local/gamereward/contexts/gift/calls",
            &json!({"mode": mode, "delayMs": delay_ms}).to_string(),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
    }

    fn gift_calls_received(&self) -> u64 {
        self.client.runner_get("/_local/gamereward/contexts/gift/calls").body["received"].as_u64().unwrap_or(0)
    }

    fn circuit(&self) -> Value {
        let circuits = self.client.runner_get("/_local/circuits").body;
        circuits.as_array().and_then(|c| c.first().cloned()).expect("the exchange circuit is listed")
    }

    fn entry(&self, token: &str, wallet_id: &str) -> Value {
        self.wallets(token).into_iter().find(|w| w["walletId"] == wallet_id).expect("the entry is listed")
    }

    fn assert_unexchanged(&self, saga: &Saga) {
        let entry = self.entry(&self.alice, &saga.wallet_id);
        assert_eq!((entry["status"].as_str(), &entry["giftId"]), (Some("Issued"), &Value::Null), "wallet unchanged");
        assert_eq!(
            self.get(&self.alice, &format!("/rewards/{}", saga.reward_id))["status"],
            "Allocated",
            "reward unchanged"
        );
        let row = self.row(&self.alice, &saga.mission_id).expect("a mypage row");
        assert_eq!((&row["walletStatus"], &row["giftId"]), (&json!("Issued"), &Value::Null), "mypage unchanged");
    }

    fn queues(&self) -> Vec<Value> {
        self.client.runner_get("/_local/queues").body.as_array().cloned().unwrap_or_default()
    }
}

fn health_answers_without_a_token(backend: Backend) {
    let w = World::new(backend);
    let reply = w.client.get("/health", None);
    assert_eq!((reply.status, reply.body), (200, json!({"status": "ok"})));
}

fn an_achieved_mission_earns_a_reward_and_a_wallet_entry(backend: Backend) {
    let w = World::new(backend);
    let saga = w.rewarded(&w.alice, "First Quest");
    let reward = w.get(&w.alice, &format!("/rewards/{}", saga.reward_id));
    assert_eq!(reward, json!({"rewardId": saga.reward_id, "missionId": saga.mission_id, "status": "Allocated"}));
    let row = w.wait_row(&w.alice, &saga.mission_id, "walletStatus", "Issued");
    assert_eq!(
        row,
        json!({
            "missionId": saga.mission_id, "missionStatus": "Achieved",
            "rewardId": saga.reward_id, "rewardStatus": "Allocated",
            "walletId": saga.wallet_id, "walletStatus": "Issued",
            "giftId": null, "giftStatus": null,
        })
    );
    assert!(w.mypage(&w.carol).is_empty(), "carol sees none of alice's missions");
}

fn an_exchange_issues_a_gift_that_its_owner_uses_once(backend: Backend) {
    let w = World::new(backend);
    let saga = w.rewarded(&w.alice, "First Quest");
    let exchanged = w.exchange(&w.alice, &saga.wallet_id);
    assert_eq!(exchanged.status, 200, "{exchanged:?}");
    let gift_id = exchanged.body["giftId"].as_str().expect("a gift id").to_owned();
    assert_eq!(exchanged.body, json!({"walletId": saga.wallet_id, "status": "Exchanged", "giftId": gift_id}));
    assert_eq!(w.exchange(&w.alice, &saga.wallet_id).code(), "invalid_state", "exchanged only once");

    let gift = w.get(&w.alice, &format!("/gifts/{gift_id}"));
    assert_eq!(
        gift,
        json!({"giftId": gift_id, "walletId": saga.wallet_id, "name": "Coffee Coupon", "status": "Issued"})
    );
    let reward = eventually(w.converge, || {
        Some(w.get(&w.alice, &format!("/rewards/{}", saga.reward_id))).filter(|r| r["status"] == "Exchanged")
    });
    assert!(reward.is_some(), "the reward follows RewardExchanged");

    let used = w.client.post(&format!("/gifts/{gift_id}/use"), Some(&w.alice), "");
    assert_eq!((used.status, &used.body["status"]), (200, &json!("Used")), "{used:?}");
    let again = w.client.post(&format!("/gifts/{gift_id}/use"), Some(&w.alice), "");
    assert_eq!((again.status, again.code()), (409, "invalid_state"));
    let row = w.wait_row(&w.alice, &saga.mission_id, "giftStatus", "Used");
    assert_eq!(
        (&row["rewardStatus"], &row["walletStatus"], &row["giftId"]),
        (&json!("Exchanged"), &json!("Exchanged"), &json!(gift_id))
    );
}

fn with_gift_down_exchanges_fail_fast_once_the_circuit_opens_and_succeed_after_recovery(backend: Backend) {
    let w = World::new(backend);
    w.gift_calls("down", 0);
    // Missions, rewards and wallets flow while gift is down.
    let saga = w.rewarded(&w.alice, "First Quest");
    for attempt in 1..=3 {
        let reply = w.exchange(&w.alice, &saga.wallet_id);
        assert_eq!((reply.status, reply.code()), (503, "unavailable"), "attempt {attempt}: {reply:?}");
        assert!(reply.body["error"]["message"].as_str().unwrap().contains("exchange later"));
    }
    assert_eq!(w.gift_calls_received(), 3, "each closed-circuit attempt reached gift");
    assert_eq!(w.circuit()["state"], "open");
    let refused = w.exchange(&w.alice, &saga.wallet_id);
    assert_eq!(refused.status, 503);
    assert_eq!(w.gift_calls_received(), 3, "an open circuit answers without calling gift");
    w.assert_unexchanged(&saga);

    w.gift_calls("up", 0);
    let exchanged = eventually(Duration::from_secs(10), || {
        let reply = w.exchange(&w.alice, &saga.wallet_id);
        (reply.status == 200).then_some(reply)
    })
    .expect("after the open period a probe goes through and the exchange succeeds");
    assert_eq!(exchanged.body["status"], "Exchanged");
    assert_eq!(w.circuit()["state"], "closed");
    w.wait_row(&w.alice, &saga.mission_id, "walletStatus", "Exchanged");
}

/// The synchronous step, then our own commit: an exchange whose call timed
/// out while gift still issued its gift converges by itself (wallet hears
/// `GiftIssued`), with that one gift, never a second.
fn a_slow_gift_times_out_and_the_wallet_converges_to_the_late_gift(backend: Backend) {
    let w = World::new(backend);
    let saga = w.rewarded(&w.alice, "First Quest");
    w.gift_calls("slow", 3000);
    let reply = w.exchange(&w.alice, &saga.wallet_id);
    assert_eq!((reply.status, reply.code()), (503, "unavailable"), "past CallTimeoutMs: {reply:?}");
    w.assert_unexchanged(&saga);
    assert_eq!(w.circuit()["consecutiveFailures"], 1, "a timeout counts against gift");

    // The slow call still issues its gift after the caller gave up; gift's
    // event of it exchanges the entry.
    w.gift_calls("up", 0);
    let converged = eventually(w.converge + Duration::from_millis(3000), || {
        Some(w.entry(&w.alice, &saga.wallet_id)).filter(|e| e["status"] == "Exchanged")
    })
    .expect("the wallet entry converges to Exchanged");
    let gift_id = converged["giftId"].as_str().expect("with the late gift").to_owned();
    let gift = w.get(&w.alice, &format!("/gifts/{gift_id}"));
    assert_eq!((&gift["walletId"], &gift["status"]), (&json!(saga.wallet_id), &json!("Issued")));
    w.wait_row(&w.alice, &saga.mission_id, "giftId", &gift_id);
    let again = w.exchange(&w.alice, &saga.wallet_id);
    assert_eq!((again.status, again.code()), (409, "invalid_state"), "exchanged once: {again:?}");
}

fn missions_are_accepted_while_reward_is_down_and_resolve_when_it_is_back(backend: Backend) {
    let w = World::new(backend);
    let stop = w.client.runner_post("/_local/gamereward/contexts/reward/stop", "");
    assert_eq!(stop.status, 200, "{stop:?}");
    let mission_id = w.achieve(&w.alice, "Night Quest");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(w.get(&w.alice, &format!("/missions/{mission_id}"))["rewardId"], Value::Null, "reward is down");
    let start = w.client.runner_post("/_local/gamereward/contexts/reward/start", "");
    assert_eq!(start.status, 200, "{start:?}");
    w.wait_row(&w.alice, &mission_id, "walletStatus", "Issued");
}

fn a_mission_event_delivered_five_times_earns_one_reward_and_one_entry(backend: Backend) {
    let w = World::new(backend);
    let saga = w.rewarded(&w.alice, "First Quest");
    // The same event four times, and once more under a new id (a relay
    // that published twice): still one reward, one entry, one row.
    let event = |event_id: &str| {
        json!({
            "eventId": event_id, "type": "MissionAchieved", "source": "mission",
            "occurredAt": "2026-11-22T10:00:00.000Z", "correlationId": saga.mission_id, "version": 1,
            "data": {"missionId": saga.mission_id, "name": "First Quest", "customerId": "alice"},
        })
    };
    let repeated = framework::new_id();
    let events =
        json!([event(&repeated), event(&repeated), event(&repeated), event(&repeated), event(&framework::new_id())]);
    let published = w.client.runner_post("/_local/gamereward/events", &events.to_string());
    assert_eq!(published.status, 202, "{published:?}");
    let settled = eventually(w.converge, || {
        w.queues().iter().all(|q| q["depth"] == 0 && q["inFlight"] == 0 && q["deadLetters"] == 0).then_some(())
    });
    assert!(settled.is_some(), "queues drain without dead letters: {:?}", w.queues());
    let entries = w.wallets(&w.alice);
    assert_eq!(entries.len(), 1, "one wallet entry: {entries:?}");
    assert_eq!((&entries[0]["walletId"], &entries[0]["rewardId"]), (&json!(saga.wallet_id), &json!(saga.reward_id)));
    assert_eq!(w.mypage(&w.alice).len(), 1, "one mypage row");
}

/// What alice can see of one saga, to prove bad input changed nothing.
fn snapshot(w: &World, saga: &Saga, gift_id: &str) -> Value {
    json!({
        "mission": w.get(&w.alice, &format!("/missions/{}", saga.mission_id)),
        "reward": w.get(&w.alice, &format!("/rewards/{}", saga.reward_id)),
        "wallets": w.wallets(&w.alice),
        "gift": w.get(&w.alice, &format!("/gifts/{gift_id}")),
        "mypage": w.mypage(&w.alice),
    })
}

fn bad_input_gets_the_contracts_error_and_changes_nothing(backend: Backend) {
    let w = World::new(backend);
    let exchanged = w.rewarded(&w.alice, "First Quest");
    let gift_id = w.exchange(&w.alice, &exchanged.wallet_id).body["giftId"].as_str().unwrap().to_owned();
    let open = w.rewarded(&w.alice, "Second Quest");
    w.wait_row(&w.alice, &exchanged.mission_id, "walletStatus", "Exchanged");
    w.wait_row(&w.alice, &open.mission_id, "walletStatus", "Issued");
    let before = snapshot(&w, &open, &gift_id);

    let (alice, carol) = (w.alice.as_str(), w.carol.as_str());
    let forged = forged_token("alice");
    let expired = expired_token("alice");
    let mission = format!("/missions/{}", open.mission_id);
    let reward = format!("/rewards/{}", open.reward_id);
    let exchange = format!("/wallets/{}/exchange", open.wallet_id);
    let exchange_done = format!("/wallets/{}/exchange", exchanged.wallet_id);
    let gift = format!("/gifts/{gift_id}");
    let use_gift = format!("{gift}/use");
    let long_name = json!({"name": "n".repeat(101)}).to_string();
    let routes = [
        ("POST", "/missions".to_owned(), r#"{"name":"X"}"#),
        ("GET", mission.clone(), ""),
        ("GET", reward.clone(), ""),
        ("GET", "/wallets".to_owned(), ""),
        ("POST", exchange.clone(), r#"{"giftName":"Coffee Coupon"}"#),
        ("GET", gift.clone(), ""),
        ("POST", use_gift.clone(), ""),
        ("GET", "/mypage".to_owned(), ""),
    ];
    let mut cases = unauthorized_cases(&routes, &forged, &expired);
    cases.extend([
        ("POST", "/missions".into(), Some(alice), "{", 400, "malformed_json", None),
        ("POST", "/missions".into(), Some(alice), "", 400, "malformed_json", None),
        ("POST", "/missions".into(), Some(alice), "[1]", 400, "malformed_json", None),
        ("POST", "/missions".into(), Some(alice), "{}", 400, "invalid_field", Some("name")),
        ("POST", "/missions".into(), Some(alice), r#"{"name":7}"#, 400, "invalid_field", Some("name")),
        ("POST", "/missions".into(), Some(alice), r#"{"name":"  "}"#, 400, "invalid_field", Some("name")),
        ("POST", "/missions".into(), Some(alice), &long_name, 400, "invalid_field", Some("name")),
        (
            "POST",
            "/missions".into(),
            Some(alice),
            r#"{"name":"X","customerId":"carol"}"#,
            400,
            "invalid_field",
            Some("customerId"),
        ),
        ("GET", "/missions/nope".into(), Some(alice), "", 404, "not_found", None),
        ("GET", format!("/missions/{}", "m".repeat(3000)), Some(alice), "", 404, "not_found", None),
        ("GET", mission.clone(), Some(carol), "", 403, "forbidden", None),
        ("GET", "/rewards/nope".into(), Some(alice), "", 404, "not_found", None),
        ("GET", reward.clone(), Some(carol), "", 403, "forbidden", None),
        ("POST", exchange.clone(), Some(alice), "{", 400, "malformed_json", None),
        ("POST", exchange.clone(), Some(alice), "{}", 400, "invalid_field", Some("giftName")),
        ("POST", exchange.clone(), Some(alice), r#"{"giftName":1}"#, 400, "invalid_field", Some("giftName")),
        ("POST", exchange.clone(), Some(alice), r#"{"giftName":""}"#, 400, "invalid_field", Some("giftName")),
        (
            "POST",
            exchange.clone(),
            Some(alice),
            r#"{"giftName":"A","walletId":"x"}"#,
            400,
            "invalid_field",
            Some("walletId"),
        ),
        ("POST", exchange.clone(), Some(carol), r#"{"giftName":"Coffee Coupon"}"#, 403, "forbidden", None),
        (
            "POST",
            "/wallets/nope/exchange".into(),
            Some(alice),
            r#"{"giftName":"Coffee Coupon"}"#,
            404,
            "not_found",
            None,
        ),
        ("POST", exchange_done.clone(), Some(alice), r#"{"giftName":"Coffee Coupon"}"#, 409, "invalid_state", None),
        ("GET", "/gifts/nope".into(), Some(alice), "", 404, "not_found", None),
        ("GET", gift.clone(), Some(carol), "", 403, "forbidden", None),
        ("POST", "/gifts/nope/use".into(), Some(alice), "", 404, "not_found", None),
        ("POST", use_gift.clone(), Some(carol), "", 403, "forbidden", None),
        // Gift's internal function has no route: users cannot issue gifts.
        ("POST", "/gifts".into(), Some(alice), r#"{"walletId":"x","giftName":"A"}"#, 404, "not_found", None),
        ("POST", "/issue-gift".into(), Some(alice), r#"{"walletId":"x","giftName":"A"}"#, 404, "not_found", None),
        ("DELETE", mission.clone(), Some(alice), "", 405, "method_not_allowed", None),
    ]);
    check_matrix(&w.client, &cases);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(snapshot(&w, &open, &gift_id), before, "bad input changed state");
    assert_eq!(w.gift_calls_received(), 1, "no refused exchange reached gift");
}

on_both_backends!(
    health_answers_without_a_token,
    an_achieved_mission_earns_a_reward_and_a_wallet_entry,
    an_exchange_issues_a_gift_that_its_owner_uses_once,
    with_gift_down_exchanges_fail_fast_once_the_circuit_opens_and_succeed_after_recovery,
    a_slow_gift_times_out_and_the_wallet_converges_to_the_late_gift,
    missions_are_accepted_while_reward_is_down_and_resolve_when_it_is_back,
    a_mission_event_delivered_five_times_earns_one_reward_and_one_entry,
    bad_input_gets_the_contracts_error_and_changes_nothing,
);
