//! bookreservation: reservations of a few books with fewer copies than are
//! asked for (sell-outs), and double cancels racing each other.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Driver, Log, all_pages, pick, staff, twins};
use crate::{Client, eventually};

pub struct BookReservation {
    pub books: usize,
    pub copies: u64,
}

impl Driver for BookReservation {
    fn system(&self) -> &'static str {
        "bookreservation"
    }

    fn setup(&self, client: &Client, log: &Log) {
        let staff = staff();
        for b in 0..self.books {
            let body = json!({"bookId": format!("check-{b}"), "title": format!("Book {b}"), "quantity": self.copies});
            let reply = client.post_json("/stocks", Some(&staff), &body);
            log.answered("POST /stocks", &reply);
        }
        let listed = eventually(Duration::from_secs(30), || {
            (client.get("/books", Some(&staff)).body.as_array()?.len() >= self.books).then_some(())
        });
        assert!(listed.is_some(), "the book list never showed the checker's books");
    }

    fn step(&self, client: &Client, customer: &str, c: usize, n: usize, log: &Log) {
        if pick(c, n, 10) < 3 {
            // Cancel one of this client's reservations, twice at once.
            let mine: Vec<String> = log.mine("reservation", customer);
            if let Some(id) = mine.get(pick(c, n, mine.len())) {
                let (a, b) = twins(
                    client,
                    log,
                    "POST /reservations/{id}/cancel",
                    &format!("/reservations/{id}/cancel"),
                    customer,
                    "",
                );
                if a.status == 200 && b.status == 200 {
                    log.violation(format!("reservation {id}: two racing cancels both succeeded"));
                }
                return;
            }
        }
        let book = format!("check-{}", pick(c, n, self.books));
        let reply = client.post_json("/reservations", Some(customer), &json!({"bookId": book}));
        log.answered("POST /reservations", &reply);
        if let Some(id) = reply.body["reservationId"].as_str().filter(|_| reply.status == 202) {
            log.made("reservation", id, customer);
        }
    }

    /// Settled when every reservation shows its outcome and its customer
    /// was told of it (the notice is the last effect of a saga).
    fn settled(&self, client: &Client, log: &Log) -> bool {
        log.owners("reservation").iter().all(|owner| {
            let told = told(client, owner);
            all_pages(client, "/reservations", owner).iter().all(|r| {
                let id = r["reservationId"].as_str().unwrap_or_default().to_owned();
                notice_of(r["status"].as_str().unwrap_or_default())
                    .is_some_and(|kind| told.contains_key(&(id, kind.to_owned())))
            })
        })
    }

    fn check(&self, client: &Client, log: &Log) -> Vec<String> {
        let staff = staff();
        let mut violations = Vec::new();
        let mut reserved: HashMap<String, u64> = HashMap::new();
        let mut by_owner: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut listed: HashMap<String, Value> = HashMap::new();
        for owner in log.owners("reservation") {
            for r in all_pages(client, "/reservations", &owner) {
                listed.insert(r["reservationId"].as_str().unwrap_or_default().to_owned(), r);
            }
        }
        for (id, owner) in log.made_of("reservation") {
            let Some(r) = listed.get(&id) else {
                violations.push(format!("reservation {id} was answered 202 but its owner's list never shows it"));
                continue;
            };
            let status = r["status"].as_str().unwrap_or_default().to_owned();
            if notice_of(&status).is_none() {
                violations.push(format!("reservation {id} ended {status:?}"));
            }
            if status == "Reserved" {
                *reserved.entry(r["bookId"].as_str().unwrap_or_default().to_owned()).or_default() += 1;
            }
            by_owner.entry(owner).or_default().push((id, status));
        }
        let books = all_pages(client, "/books", &staff);
        for b in 0..self.books {
            let book = format!("check-{b}");
            let stock = client.get(&format!("/stocks/{book}"), Some(&staff)).body["quantity"].as_u64();
            let expected = self.copies - reserved.get(&book).copied().unwrap_or(0);
            if stock != Some(expected) {
                violations.push(format!(
                    "book {book}: stock {stock:?}, but received {} − reserved {} = {expected}",
                    self.copies,
                    reserved.get(&book).copied().unwrap_or(0)
                ));
            }
            let listed = books.iter().find(|l| l["bookId"] == book.as_str()).and_then(|l| l["available"].as_u64());
            if listed != stock {
                violations.push(format!("book {book}: the book list shows {listed:?}, the stock {stock:?}"));
            }
        }
        for (owner, reservations) in by_owner {
            let seen = told(client, &owner);
            for ((id, kind), count) in &seen {
                if *count > 1 {
                    violations.push(format!("reservation {id}: {count} notifications of {kind}"));
                }
            }
            for (id, status) in reservations {
                let Some(kind) = notice_of(&status) else { continue };
                if !seen.contains_key(&(id.clone(), kind.to_owned())) {
                    violations.push(format!("reservation {id} is {status}, but its customer was never told ({kind})"));
                }
            }
        }
        violations
    }
}

/// The notice a reservation's outcome sends; `None` while it has none.
fn notice_of(status: &str) -> Option<&'static str> {
    match status {
        "Reserved" => Some("Reserved"),
        "Failed" => Some("ReservationFailed"),
        "Canceled" => Some("ReservationCanceled"),
        _ => None,
    }
}

/// How many notices of each `(reservation, kind)` a customer was sent.
fn told(client: &Client, owner: &str) -> HashMap<(String, String), usize> {
    let mut seen = HashMap::new();
    for n in all_pages(client, "/notifications", owner) {
        let key = (
            n["reservationId"].as_str().unwrap_or_default().to_owned(),
            n["kind"].as_str().unwrap_or_default().to_owned(),
        );
        *seen.entry(key).or_default() += 1;
    }
    seen
}
