//! productorder: orders of a few items with less stock than is asked for,
//! paid through synchronous calls (faulted by `calls=`), and double cancels.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Driver, Log, all_pages, pick, staff, twins};
use crate::{Client, Scope, eventually, quiet};

pub struct ProductOrder {
    pub items: usize,
    pub units: u64,
}

const SETTLED_ORDER: [&str; 3] = ["Prepared", "Rejected", "Canceled"];

impl ProductOrder {
    fn rows(client: &Client, owner: &str) -> Vec<Value> {
        all_pages(client, "/customercenter", owner)
    }
}

impl Driver for ProductOrder {
    fn system(&self) -> &'static str {
        "productorder"
    }

    fn setup(&self, client: &Client, log: &Log) {
        let staff = staff();
        for i in 0..self.items {
            let body = json!({"itemCd": format!("CHECK-{i}"), "name": format!("Item {i}"), "price": 1000, "quantity": self.units});
            let reply = client.post_json("/products", Some(&staff), &body);
            log.answered("POST /products", &reply);
        }
        // The order side hears of the items by event.
        let known = eventually(Duration::from_secs(30), || quiet(client, Scope::All).then_some(()));
        assert!(known.is_some(), "the order side never heard of the checker's items");
    }

    fn step(&self, client: &Client, customer: &str, c: usize, n: usize, log: &Log) {
        if n == 0 {
            log.made("customer", "", customer);
        }
        if pick(c, n, 10) < 3 {
            let mine: Vec<String> = log.mine("order", customer);
            if let Some(id) = mine.get(pick(c, n, mine.len())) {
                let (a, b) =
                    twins(client, log, "POST /orders/{id}/cancel", &format!("/orders/{id}/cancel"), customer, "");
                if a.status == 200 && b.status == 200 {
                    log.violation(format!("order {id}: two racing cancels both succeeded"));
                }
                return;
            }
        }
        let item = format!("CHECK-{}", pick(c, n, self.items));
        let body = json!({"itemCd": item, "quantity": 1, "address": "Seoul, Jongno-gu 1"});
        let reply = client.post_json("/orders", Some(customer), &body);
        log.answered("POST /orders", &reply);
        if let Some(id) = reply.body["orderId"].as_str().filter(|_| reply.status == 201) {
            log.made("order", id, customer);
        }
    }

    fn settled(&self, client: &Client, log: &Log) -> bool {
        log.owners("customer").iter().all(|owner| {
            Self::rows(client, owner).iter().all(|r| {
                let delivery_done = r["deliveryStatus"].is_null() || r["deliveryStatus"] == "Canceled";
                match r["orderStatus"].as_str() {
                    Some("Prepared") => r["paymentStatus"] == "Approved" && r["deliveryStatus"] == "Prepared",
                    Some("Rejected" | "Canceled") => r["paymentStatus"] == "Canceled" && delivery_done,
                    _ => false,
                }
            })
        })
    }

    fn check(&self, client: &Client, log: &Log) -> Vec<String> {
        let mut violations = Vec::new();
        let mut prepared: HashMap<String, u64> = HashMap::new();
        let mut visible: HashMap<String, Value> = HashMap::new();
        for owner in log.owners("customer") {
            for r in Self::rows(client, &owner) {
                let id = r["orderId"].as_str().unwrap_or_default().to_owned();
                let status = r["orderStatus"].as_str().unwrap_or_default();
                if !SETTLED_ORDER.contains(&status) {
                    violations.push(format!("order {id} ended {status:?}: {r}"));
                }
                let paid = r["paymentStatus"] == "Approved";
                if paid != (status == "Prepared") {
                    violations.push(format!("order {id} is {status} with its payment {}", r["paymentStatus"]));
                }
                if status == "Prepared" {
                    *prepared.entry(r["itemCd"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
                } else if r["deliveryStatus"] == "Prepared" {
                    violations.push(format!("order {id} is {status} and its parcel still Prepared"));
                }
                visible.insert(id, r);
            }
            let mut seen: HashMap<(String, String), usize> = HashMap::new();
            for n in all_pages(client, "/notifications", &owner) {
                let key = (
                    n["orderId"].as_str().unwrap_or_default().to_owned(),
                    n["kind"].as_str().unwrap_or_default().to_owned(),
                );
                *seen.entry(key).or_default() += 1;
            }
            for ((id, kind), count) in seen {
                if count > 1 {
                    violations.push(format!("order {id}: {count} notices of {kind}"));
                }
            }
        }
        for (id, _) in log.made_of("order") {
            if !visible.contains_key(&id) {
                violations.push(format!("order {id} was answered 201 but its customer center never shows it"));
            }
        }
        let staff = staff();
        for i in 0..self.items {
            let item = format!("CHECK-{i}");
            let quantity = client.get(&format!("/products/{item}"), Some(&staff)).body["quantity"].as_u64();
            let taken = prepared.get(&item).copied().unwrap_or(0);
            if quantity != self.units.checked_sub(taken) {
                violations.push(format!(
                    "item {item}: quantity {quantity:?}, but received {} − taken by prepared orders {taken}",
                    self.units
                ));
            }
        }
        violations
    }
}
