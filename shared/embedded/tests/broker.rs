//! The embedded broker keeps SNS/SQS semantics with one SQLite file per queue.

use std::path::Path;

use embedded::{Broker, QueueDepth, QueueSpec, Subscription};
use framework::envelope::Envelope;

fn event(event_type: &str, id: &str) -> Envelope {
    Envelope {
        event_id: id.into(),
        event_type: event_type.into(),
        source: "stock".into(),
        occurred_at: "2026-11-22T07:00:00.000Z".into(),
        correlation_id: "c1".into(),
        version: 1,
        data: serde_json::json!({}),
    }
}

/// `reserve` takes `Reserved` raw, with a dead-letter queue after 2
/// receives; `notify` takes everything wrapped in an SNS notification.
fn open(dir: Option<&Path>) -> Broker {
    Broker::open(
        dir,
        "arn:aws:sns:local:000000000000:test-events",
        vec![
            QueueSpec { name: "reserve".into(), dead_letter: Some(("reserve-dlq".into(), 2)) },
            QueueSpec { name: "notify".into(), dead_letter: None },
        ],
        vec![
            Subscription { queue: "reserve".into(), event_types: Some(vec!["Reserved".into()]), raw: true },
            Subscription { queue: "notify".into(), event_types: None, raw: false },
        ],
    )
    .unwrap()
}

fn event_id(body: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    match value.get("Message") {
        Some(wrapped) => {
            let inner: serde_json::Value = serde_json::from_str(wrapped.as_str().unwrap()).unwrap();
            inner["eventId"].as_str().unwrap().to_owned()
        }
        None => value["eventId"].as_str().unwrap().to_owned(),
    }
}

#[test]
fn a_publish_fans_out_by_filter_raw_or_wrapped_in_order() {
    let broker = open(None);
    broker.publish_events(&[event("Reserved", "e1"), event("StockIncreased", "e2"), event("Reserved", "e3")]).unwrap();
    let reserve: Vec<String> =
        broker.receive("reserve", &[], 10, 30_000).unwrap().iter().map(|m| event_id(&m.body)).collect();
    assert_eq!(reserve, ["e1", "e3"]);
    let notify = broker.receive("notify", &[], 10, 30_000).unwrap();
    assert_eq!(notify.iter().map(|m| event_id(&m.body)).collect::<Vec<_>>(), ["e1", "e2", "e3"]);
    let wrapped: serde_json::Value = serde_json::from_str(&notify[1].body).unwrap();
    assert_eq!(wrapped["Type"], "Notification");
    assert_eq!(wrapped["MessageAttributes"]["type"]["Value"], "StockIncreased");
}

#[test]
fn a_received_message_is_hidden_until_its_visibility_ends_and_gone_once_deleted() {
    let broker = open(None);
    broker.publish_events(&[event("Reserved", "e1"), event("Reserved", "e2")]).unwrap();
    let first = broker.receive("reserve", &[], 1, 30_000).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(broker.depth("reserve").unwrap().in_flight, 1);
    let second = broker.receive("reserve", &[], 10, 0).unwrap();
    assert_eq!(second.iter().map(|m| event_id(&m.body)).collect::<Vec<_>>(), ["e2"], "e1 is still hidden");
    // e2's visibility was 0 ms: it is back, received a second time.
    let again = broker.receive("reserve", &[], 10, 30_000).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].receive_count, 2);
    broker.delete("reserve", &[first[0].receipt.clone(), again[0].receipt.clone()]).unwrap();
    let depth = broker.depth("reserve").unwrap();
    assert_eq!((depth.visible, depth.in_flight), (0, 0));
}

#[test]
fn a_receive_first_deletes_what_the_consumer_settled_since_its_last_one() {
    let broker = open(None);
    broker.publish_events(&[event("Reserved", "e1"), event("Reserved", "e2")]).unwrap();
    let first = broker.receive("reserve", &[], 1, 30_000).unwrap();
    let next = broker.receive("reserve", &[first[0].receipt.clone()], 1, 30_000).unwrap();
    assert_eq!(event_id(&next[0].body), "e2");
    let depth = broker.depth("reserve").unwrap();
    assert_eq!((depth.visible, depth.in_flight), (0, 1), "e1 is gone, e2 in flight");
}

#[test]
fn a_late_delete_never_removes_a_newer_message_that_reuses_the_row() {
    let broker = open(None);
    broker.publish_events(&[event("Reserved", "slow")]).unwrap();
    let first = broker.receive("reserve", &[], 10, 0).unwrap();
    let second = broker.receive("reserve", &[], 10, 30_000).unwrap();
    broker.delete("reserve", &[second[0].receipt.clone()]).unwrap();
    broker.publish_events(&[event("Reserved", "next")]).unwrap();
    // The first consumer finishes after its visibility ran out.
    broker.delete("reserve", &[first[0].receipt.clone()]).unwrap();
    let left = broker.receive("reserve", &[], 10, 30_000).unwrap();
    assert_eq!(left.iter().map(|m| event_id(&m.body)).collect::<Vec<_>>(), ["next"]);
}

#[test]
fn past_max_receive_count_a_message_goes_to_its_dead_letter_queue_and_redrive_brings_it_back() {
    let broker = open(None);
    broker.publish_events(&[event("Reserved", "poison")]).unwrap();
    for receive in 1..=2 {
        let got = broker.receive("reserve", &[], 10, 0).unwrap();
        assert_eq!(got.len(), 1, "receive {receive}");
    }
    assert!(broker.receive("reserve", &[], 10, 0).unwrap().is_empty(), "the third receive moves it instead");
    assert_eq!(broker.depth("reserve-dlq").unwrap().visible, 1);
    assert_eq!(broker.depth("reserve").unwrap(), Default::default());

    assert_eq!(broker.redrive("reserve").unwrap(), 1);
    assert_eq!(broker.depth("reserve-dlq").unwrap(), Default::default());
    let back = broker.receive("reserve", &[], 10, 30_000).unwrap();
    assert_eq!((event_id(&back[0].body), back[0].receive_count), ("poison".to_owned(), 1));
}

#[test]
fn each_queue_has_its_own_file_and_messages_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let broker = open(Some(dir.path()));
        broker.publish_events(&[event("Reserved", "e1")]).unwrap();
    }
    for queue in ["reserve", "reserve-dlq", "notify"] {
        assert!(dir.path().join(format!("{queue}.db")).exists(), "{queue}.db");
    }
    let reopened = open(Some(dir.path()));
    assert_eq!(reopened.depth("reserve").unwrap().visible, 1);
    assert_eq!(reopened.depth("notify").unwrap().visible, 1);
}

#[test]
fn receives_deletes_and_receive_counts_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let kept = {
        let broker = open(Some(dir.path()));
        broker.publish_events(&[event("Reserved", "done"), event("Reserved", "kept")]).unwrap();
        let first = broker.receive("reserve", &[], 1, 60_000).unwrap();
        assert_eq!(event_id(&first[0].body), "done");
        // `done` settled with the next receive, which hides `kept`.
        let second = broker.receive("reserve", &[first[0].receipt.clone()], 10, 60_000).unwrap();
        assert_eq!(second.iter().map(|m| event_id(&m.body)).collect::<Vec<_>>(), ["kept"]);
        second[0].clone()
    };
    let reopened = open(Some(dir.path()));
    assert_eq!(reopened.depth("reserve").unwrap(), QueueDepth { visible: 0, in_flight: 1 }, "done gone, kept hidden");
    // A receipt handed out before the reopening still deletes its message.
    reopened.delete("reserve", &[kept.receipt]).unwrap();
    assert_eq!(reopened.depth("reserve").unwrap(), QueueDepth::default());

    // Received twice (its limit) before a reopening: the next receive
    // moves it to the dead-letter queue.
    reopened.publish_events(&[event("Reserved", "poison")]).unwrap();
    for _ in 0..2 {
        assert_eq!(reopened.receive("reserve", &[], 10, 0).unwrap().len(), 1);
    }
    drop(reopened);
    let again = open(Some(dir.path()));
    assert!(again.receive("reserve", &[], 10, 0).unwrap().is_empty());
    assert_eq!(again.depth("reserve-dlq").unwrap().visible, 1);
}

#[test]
fn messages_of_an_earlier_single_file_broker_move_into_the_queue_files() {
    let dir = tempfile::tempdir().unwrap();
    let legacy = dir.path().join("broker.db");
    {
        let conn = rusqlite::Connection::open(&legacy).unwrap();
        conn.execute_batch(
            "CREATE TABLE messages (
                receipt INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, message_id TEXT NOT NULL,
                body TEXT NOT NULL, event_type TEXT, receive_count INTEGER NOT NULL DEFAULT 0,
                visible_at INTEGER NOT NULL, sent_at INTEGER NOT NULL);
             INSERT INTO messages (queue, message_id, body, event_type, receive_count, visible_at, sent_at)
             VALUES ('reserve', 'm1', '{\"eventId\":\"old1\"}', 'Reserved', 1, 0, 5),
                    ('reserve', 'm2', '{\"eventId\":\"old2\"}', 'Reserved', 0, 0, 6),
                    ('reserve-dlq', 'm3', '{\"eventId\":\"dead\"}', 'Reserved', 0, 0, 7);",
        )
        .unwrap();
    }
    let broker = open(Some(&dir.path().join("broker")));
    assert_eq!(broker.import(&legacy).unwrap(), 3);
    assert!(!legacy.exists(), "the old file is removed once emptied");
    let moved = broker.receive("reserve", &[], 10, 30_000).unwrap();
    assert_eq!(moved.iter().map(|m| event_id(&m.body)).collect::<Vec<_>>(), ["old1", "old2"]);
    assert_eq!((moved[0].receive_count, moved[0].sent_at_ms), (2, 5), "receive counts and send times are kept");
    assert_eq!(broker.depth("reserve-dlq").unwrap().visible, 1);
    assert_eq!(broker.import(&legacy).unwrap(), 0, "nothing to import twice");
}
