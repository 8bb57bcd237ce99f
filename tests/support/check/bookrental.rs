//! bookrental: reservations of a few titles with fewer copies than are asked
//! for (the shortage path), double cancels racing each other, and cancels
//! racing the librarian's completion of the delivery.
//!
//! Two cancels sent at once may both answer 200: the synchronous cancel of
//! the delivery is idempotent, so the twin hears that the delivery is
//! canceled and the reservation follows once. A cancel sent after the first
//! one answered gets 409. The stock arithmetic proves the copy came back
//! once.

use std::collections::HashMap;

use serde_json::json;

use super::{Driver, Log, all_pages, pick, staff, twins};
use crate::Client;

pub struct BookRental {
    pub titles: usize,
    pub copies: u64,
}

/// Where a reservation may rest once events stop.
const SETTLED: [&str; 4] = ["Rejected", "Canceled", "Delivering", "Delivered"];

impl Driver for BookRental {
    fn system(&self) -> &'static str {
        "bookrental"
    }

    fn setup(&self, client: &Client, log: &Log) {
        let staff = staff();
        for t in 0..self.titles {
            let reply = client.post_json(
                "/products",
                Some(&staff),
                &json!({"title": format!("Title {t}"), "stock": self.copies}),
            );
            log.answered("POST /products", &reply);
            let id = reply.body["productId"].as_str().expect("a product id").to_owned();
            log.made("product", &id, &staff);
        }
    }

    fn step(&self, client: &Client, customer: &str, c: usize, n: usize, log: &Log) {
        let choice = pick(c, n, 10);
        let mine = log.mine("reservation", customer);
        if choice < 2
            && let Some(id) = mine.get(pick(c, n, mine.len()))
        {
            let (a, b) = twins(
                client,
                log,
                "POST /reservations/{id}/cancel",
                &format!("/reservations/{id}/cancel"),
                customer,
                "",
            );
            // Twins: the delivery is canceled once and both may hear so
            // (the cancel is idempotent); what counts is the effect, once,
            // which the stock arithmetic checks.
            if [&a, &b].iter().any(|r| r.status == 200 && r.body["status"] != "Canceled") {
                log.violation(format!("reservation {id}: a cancel answered 200 but {} / {}", a.body, b.body));
            }
            return;
        }
        if choice < 4
            && let Some(id) = mine.get(pick(c, n, mine.len()))
        {
            // The librarian completes the delivery while its customer cancels.
            // The delivery starts at the end of the reservation's saga: on a
            // loaded machine (moto beside the embedded run) that can take
            // seconds, so wait a while for it rather than race nothing.
            let staff = staff();
            let found = crate::eventually(std::time::Duration::from_secs(3), || {
                let delivery = client.get(&format!("/deliveries?reservationId={id}"), Some(&staff));
                delivery.body["deliveryId"].as_str().filter(|_| delivery.status == 200).map(str::to_owned)
            });
            let Some(delivery_id) = found else {
                return;
            };
            let (cancel, complete) = std::thread::scope(|scope| {
                let cancel = scope.spawn(|| client.post(&format!("/reservations/{id}/cancel"), Some(customer), ""));
                let complete = client.post(&format!("/deliveries/{delivery_id}/complete"), Some(&staff), "");
                (cancel.join().expect("a request"), complete)
            });
            log.answered("POST /reservations/{id}/cancel", &cancel);
            log.answered("POST /deliveries/{id}/complete", &complete);
            if cancel.status == 200 && complete.status == 200 {
                log.violation(format!("reservation {id}: canceled and its delivery completed, both answered 200"));
            }
            return;
        }
        let products = log.made_of("product");
        let (product, _) = &products[pick(c, n, products.len())];
        let reply = client.post_json("/reservations", Some(customer), &json!({"productId": product}));
        log.answered("POST /reservations", &reply);
        if let Some(id) = reply.body["reservationId"].as_str().filter(|_| reply.status == 201) {
            log.made("reservation", id, customer);
        }
    }

    fn settled(&self, client: &Client, log: &Log) -> bool {
        log.made_of("reservation").iter().all(|(id, owner)| {
            let status = client.get(&format!("/reservations/{id}"), Some(owner)).body["status"].clone();
            SETTLED.iter().any(|s| status == *s)
        })
    }

    fn check(&self, client: &Client, log: &Log) -> Vec<String> {
        let staff = staff();
        let mut violations = Vec::new();
        let mut holding: HashMap<String, u64> = HashMap::new();
        let mut by_owner: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for (id, owner) in log.made_of("reservation") {
            let r = client.get(&format!("/reservations/{id}"), Some(&owner)).body;
            let status = r["status"].as_str().unwrap_or_default().to_owned();
            if !SETTLED.contains(&status.as_str()) {
                violations.push(format!("reservation {id} ended {status:?}"));
            }
            // A copy is taken from stock while the book is out for delivery.
            if status == "Delivering" || status == "Delivered" {
                *holding.entry(r["productId"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
            }
            let delivery = client.get(&format!("/deliveries?reservationId={id}"), Some(&staff));
            let delivery_status = delivery.body["status"].as_str().filter(|_| delivery.status == 200);
            let expected: &[Option<&str>] = match status.as_str() {
                "Delivering" => &[Some("Started")],
                "Delivered" => &[Some("Delivered")],
                "Canceled" => &[None, Some("Canceled")],
                // A cancel that lost the race to the shortage: its delivery
                // cancel stands (the delivery never starts), nothing taken.
                "Rejected" => &[None, Some("Canceled")],
                _ => &[None],
            };
            if !expected.contains(&delivery_status) {
                violations.push(format!("reservation {id} is {status}, its delivery {delivery_status:?}"));
            }
            by_owner.entry(owner).or_default().push((id, status));
        }
        for (product, _) in log.made_of("product") {
            let stock = client.get(&format!("/products/{product}"), Some(&staff)).body["stock"].as_u64();
            let held = holding.get(&product).copied().unwrap_or(0);
            if stock != self.copies.checked_sub(held) {
                violations.push(format!(
                    "product {product}: stock {stock:?}, but received {} − out for delivery {held}",
                    self.copies
                ));
            }
        }
        for (owner, reservations) in by_owner {
            let rows = all_pages(client, "/mypage", &owner);
            for (id, status) in reservations {
                let shown: Vec<_> = rows.iter().filter(|r| r["reservationId"] == id.as_str()).collect();
                match shown.as_slice() {
                    [row] if row["reservationStatus"] == status.as_str() => {}
                    [row] => violations.push(format!("reservation {id} is {status}, MyPage shows {row}")),
                    rows => violations.push(format!("reservation {id}: {} MyPage rows", rows.len())),
                }
            }
        }
        violations
    }
}
