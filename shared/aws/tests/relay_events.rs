//! The relay Lambda on the sample stream events of `events/`: what it
//! publishes, and what it hands back for retry when publishing fails.

use std::sync::Mutex;

use aws_lambda_events::event::dynamodb::Event;
use framework::envelope::Envelope;
use framework::relay::{PublishError, Publisher};
use framework::store::BoxFuture;

#[derive(Default)]
struct Recording {
    published: Mutex<Vec<String>>,
    fail_from: Option<usize>,
}

impl Publisher for Recording {
    fn publish<'a>(&'a self, events: &'a [Envelope]) -> BoxFuture<'a, Result<(), PublishError>> {
        let upto = self.fail_from.unwrap_or(events.len()).min(events.len());
        self.published.lock().unwrap().extend(events[..upto].iter().map(|e| e.event_type.clone()));
        let result = match self.fail_from {
            Some(at) if at < events.len() => Err(PublishError { first_failed: at, reason: "topic down".into() }),
            _ => Ok(()),
        };
        Box::pin(std::future::ready(result))
    }
}

/// The relayed table (the samples' outbox items are not in it: deleting
/// them after publishing is a no-op here).
fn outbox() -> std::sync::Arc<dyn framework::store::Table> {
    std::sync::Arc::new(embedded::SqliteTable::open(None).unwrap())
}

fn sample(name: &str) -> Event {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).expect("a DynamoDB stream event")
}

#[tokio::test]
async fn the_relay_publishes_every_outbox_record_in_order() {
    for (file, expected) in [
        ("bookreservation/relay-reservation.json", vec!["ReservationRequested", "ReservationRequested"]),
        ("bookreservation/relay-stock.json", vec!["StockReceived", "StockReserved"]),
        ("bookrental/relay-reservation.json", vec!["Reserved"]),
        ("bookrental/relay-product.json", vec!["StockIncreased"]),
        ("bookrental/relay-delivery.json", vec!["DeliveryStarted"]),
        ("gamereward/relay-mission.json", vec!["MissionAchieved"]),
        ("gamereward/relay-reward.json", vec!["RewardAllocated"]),
        ("gamereward/relay-wallet.json", vec!["RewardIssued"]),
        ("gamereward/relay-gift.json", vec!["GiftIssued"]),
        ("rentcar/relay-car.json", vec!["CarRegistered"]),
        ("rentcar/relay-reservation.json", vec!["CarReserved"]),
        ("rentcar/relay-payment.json", vec!["PaymentApproved"]),
        ("rentcar/relay-rental.json", vec!["CarRented"]),
        ("rentcar/relay-rating.json", vec!["CarRated"]),
        ("productorder/relay-order.json", vec!["Ordered"]),
        ("productorder/relay-pay.json", vec!["PayApproved"]),
        ("productorder/relay-product.json", vec!["DeliveryPrepared"]),
        ("productorder/relay-delivery.json", vec!["DeliveryStarted"]),
    ] {
        let publisher = Recording::default();
        let response = aws_adapters::relay::handle(sample(file), &publisher, &*outbox()).await;
        assert!(response.batch_item_failures.is_empty(), "{file}");
        assert_eq!(*publisher.published.lock().unwrap(), expected, "{file}");
    }
}

#[tokio::test]
async fn a_failed_publish_hands_back_the_first_unpublished_record() {
    let event = sample("bookreservation/relay-stock.json");
    let second = event.records[1].change.sequence_number.clone();
    let publisher = Recording { fail_from: Some(1), ..Default::default() };
    let response = aws_adapters::relay::handle(event, &publisher, &*outbox()).await;
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, vec![second], "Lambda retries from the record that did not go out");
}
