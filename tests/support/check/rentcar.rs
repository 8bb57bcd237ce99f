//! rentcar: customers booking a few cars over overlapping dates, paying
//! through the synchronous payment call (faulted by `calls=`), canceling a
//! payment before its rental exists (a cancel overtaking the saga), double
//! cancels, and returns followed by two ratings at once.
//!
//! A payment canceled while its car is out races the car's return: when the
//! return lands first, the rental stays `Returned` and the reservation ends
//! `Canceled` (`payment_canceled`), the payment refunded; the checker
//! accepts that end, and no other with a canceled payment.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::{Driver, Log, all_pages, pick, staff, twins};
use crate::Client;

pub struct RentCar {
    pub cars: usize,
    /// The days of March 2027 rentals start on (fewer: more overlaps).
    pub days: usize,
}

const DAILY_RATE: u64 = 10_000;

/// The days of March 2027 a reservation holds its car: one per night from
/// its rental date, at least one (as the reservation context counts them).
fn days_held(r: &Value) -> Vec<u32> {
    let day = |field: &str| r[field].as_str().and_then(|d| d.rsplit('-').next()?.parse::<u32>().ok()).unwrap_or(0);
    let (from, to) = (day("rentalDate"), day("returnDate"));
    (from..from + to.saturating_sub(from).max(1)).collect()
}

impl RentCar {
    fn car(&self, i: usize) -> String {
        format!("CHK-{i}")
    }

    fn rental(client: &Client, reservation: &str) -> Option<Value> {
        let staff = staff();
        let reply = client.get(&format!("/rentals?reservationId={reservation}"), Some(&staff));
        (reply.status == 200).then_some(reply.body)
    }

    fn reserve(&self, client: &Client, customer: &str, c: usize, n: usize, log: &Log) {
        let from = 1 + pick(c, n + 1, self.days.clamp(1, 24));
        let to = from + 1 + pick(c, n + 2, 3);
        let body = json!({
            "carNo": self.car(pick(c, n, self.cars)),
            "rentalDate": format!("2027-03-{from:02}"),
            "returnDate": format!("2027-03-{to:02}"),
        });
        let reply = client.post_json("/reservations", Some(customer), &body);
        log.answered("POST /reservations", &reply);
        if let Some(id) = reply.body["reservationId"].as_str().filter(|_| reply.status == 201) {
            log.made("reservation", id, customer);
        }
    }

    fn pay(client: &Client, customer: &str, id: &str, log: &Log) -> Option<String> {
        let reply = client.post(&format!("/reservations/{id}/pay"), Some(customer), "");
        log.answered("POST /reservations/{id}/pay", &reply);
        reply.body["paymentId"].as_str().filter(|_| reply.status == 200).map(str::to_owned)
    }

    /// Returns the car of a rented reservation, then rates it twice at once.
    fn return_and_rate(client: &Client, customer: &str, id: &str, stars: u64, log: &Log) {
        let staff = staff();
        let Some(rental) = Self::rental(client, id) else { return };
        let rental_id = rental["rentalId"].as_str().unwrap_or_default();
        if rental["status"] == "Rented" {
            let returned = client.post(&format!("/rentals/{rental_id}/return"), Some(&staff), "");
            log.answered("POST /rentals/{id}/return", &returned);
            if returned.status != 200 {
                return;
            }
        } else if rental["status"] != "Returned" {
            return;
        }
        let body = json!({"rentalId": rental_id, "stars": stars}).to_string();
        let (a, b) = twins(client, log, "POST /ratings", "/ratings", customer, &body);
        if a.status == 201 && b.status == 201 {
            log.violation(format!("rental {rental_id}: rated twice at once, both answered 201"));
        }
        if a.status == 201 || b.status == 201 {
            log.made("rating", &format!("{id} {} {stars}", rental["carNo"].as_str().unwrap_or_default()), customer);
        }
    }
}

impl Driver for RentCar {
    fn system(&self) -> &'static str {
        "rentcar"
    }

    fn setup(&self, client: &Client, log: &Log) {
        let staff = staff();
        for i in 0..self.cars {
            let body = json!({"carNo": self.car(i), "model": format!("Model {i}"), "dailyRate": DAILY_RATE});
            let reply = client.post_json("/cars", Some(&staff), &body);
            log.answered("POST /cars", &reply);
        }
        let listed = crate::eventually(std::time::Duration::from_secs(30), || {
            (all_pages(client, "/cars", &staff).len() >= self.cars).then_some(())
        });
        assert!(listed.is_some(), "the car catalog never showed the checker's cars");
    }

    fn step(&self, client: &Client, customer: &str, c: usize, n: usize, log: &Log) {
        let choice = pick(c, n, 20);
        let mine = log.mine("reservation", customer);
        let Some(id) = mine.get(pick(c, n + 3, mine.len())).filter(|_| choice >= 8) else {
            return self.reserve(client, customer, c, n, log);
        };
        match choice {
            8..=11 => {
                if let Some(payment) = Self::pay(client, customer, id, log) {
                    log.made("payment", &format!("{id} {payment}"), customer);
                }
            }
            12 => {
                // Pay, then cancel the payment at once: the cancel overtakes
                // the rental that PaymentApproved is about to create.
                if let Some(payment) = Self::pay(client, customer, id, log) {
                    log.made("payment", &format!("{id} {payment}"), customer);
                    let canceled = client.post(&format!("/payments/{payment}/cancel"), Some(customer), "");
                    log.answered("POST /payments/{id}/cancel", &canceled);
                }
            }
            13 | 14 => {
                let path = format!("/reservations/{id}/cancel");
                let (a, b) = twins(client, log, "POST /reservations/{id}/cancel", &path, customer, "");
                if a.status == 200 && b.status == 200 {
                    log.violation(format!("reservation {id}: two racing cancels both succeeded"));
                }
            }
            _ => Self::return_and_rate(client, customer, id, 1 + pick(c, n, 5) as u64, log),
        }
    }

    fn settled(&self, client: &Client, log: &Log) -> bool {
        let made: HashSet<String> = log.made_of("reservation").into_iter().map(|(id, _)| id).collect();
        let mut shown = 0;
        let settled = log.owners("reservation").iter().all(|owner| {
            all_pages(client, "/mypage", owner)
                .iter()
                .filter(|r| made.contains(r["reservationId"].as_str().unwrap_or_default()))
                .all(|r| {
                    shown += 1;
                    let payment = r["paymentStatus"].as_str();
                    let rental = r["rentalStatus"].as_str();
                    match r["reservationStatus"].as_str() {
                        Some("Reserved") => payment.is_none() && rental.is_none(),
                        Some("Paid") => payment == Some("Approved") && matches!(rental, Some("Rented" | "Returned")),
                        Some("Canceled") => payment != Some("Approved") && rental != Some("Rented"),
                        _ => false,
                    }
                })
        });
        settled && shown == made.len()
    }

    fn check(&self, client: &Client, log: &Log) -> Vec<String> {
        let mut violations = Vec::new();
        let staff = staff();
        let ratings: HashMap<String, (String, u64)> = log
            .made_of("rating")
            .into_iter()
            .filter_map(|(r, _)| {
                let mut parts = r.split(' ');
                Some((parts.next()?.to_owned(), (parts.next()?.to_owned(), parts.next()?.parse().ok()?)))
            })
            .collect();
        let mut live: HashMap<String, Vec<(String, Vec<u32>)>> = HashMap::new();
        let mut rented: HashSet<String> = HashSet::new();
        let mut rows: HashMap<String, Value> = HashMap::new();
        for owner in log.owners("reservation") {
            for row in all_pages(client, "/mypage", &owner) {
                rows.insert(row["reservationId"].as_str().unwrap_or_default().to_owned(), row);
            }
        }
        for (id, owner) in log.made_of("reservation") {
            let r = client.get(&format!("/reservations/{id}"), Some(&owner)).body;
            let status = r["status"].as_str().unwrap_or_default();
            let car = r["carNo"].as_str().unwrap_or_default().to_owned();
            let rental = Self::rental(client, &id);
            let rental_status = rental.as_ref().and_then(|r| r["status"].as_str().map(str::to_owned));
            match (status, rental_status.as_deref()) {
                ("Reserved", None)
                | ("Canceled", None | Some("Canceled" | "Returned"))
                | ("Paid", Some("Rented" | "Returned")) => {}
                (status, rental) => {
                    violations.push(format!("reservation {id} ended {status} with its rental {rental:?}"))
                }
            }
            match rows.get(&id) {
                Some(row)
                    if row["reservationStatus"] == status
                        && (row["paymentId"] == r["paymentId"]
                            // A payment approved after its reservation was
                            // canceled (its answer lost): refunded, shown.
                            || (r["paymentId"].is_null() && row["paymentStatus"] == "Canceled"))
                        && row["rentalStatus"] == rental_status.as_deref().map_or(Value::Null, |s| json!(s))
                        && row["stars"] == ratings.get(&id).map_or(Value::Null, |(_, stars)| json!(stars)) => {}
                row => violations.push(format!("reservation {id}: {r} {rental:?}, but MyPage shows {row:?}")),
            }
            if rental_status.as_deref() == Some("Rented") {
                rented.insert(car.clone());
            }
            if status == "Reserved" || rental_status.as_deref() == Some("Rented") {
                live.entry(car).or_default().push((id, days_held(&r)));
            }
        }
        for (car, reservations) in &live {
            for (i, (a, days_a)) in reservations.iter().enumerate() {
                for (b, days_b) in &reservations[i + 1..] {
                    if days_a.iter().any(|d| days_b.contains(d)) {
                        violations
                            .push(format!("car {car}: live reservations {a} {days_a:?} and {b} {days_b:?} overlap"));
                    }
                }
            }
        }
        let catalog = all_pages(client, "/cars", &staff);
        for i in 0..self.cars {
            let car = self.car(i);
            let Some(row) = catalog.iter().find(|c| c["carNo"] == car.as_str()) else {
                violations.push(format!("car {car} is not in the catalog"));
                continue;
            };
            let stars: Vec<u64> = ratings.values().filter(|(c, _)| *c == car).map(|(_, s)| *s).collect();
            let average = (!stars.is_empty())
                .then(|| (stars.iter().sum::<u64>() as f64 * 10.0 / stars.len() as f64).round() / 10.0);
            if row["ratingCount"] != stars.len() || row["rating"].as_f64() != average {
                violations
                    .push(format!("car {car}: catalog {row}, but {} rating(s) averaging {average:?}", stars.len()));
            }
            let status = if rented.contains(&car) {
                "Rented"
            } else if live.contains_key(&car) {
                "Reserved"
            } else {
                "Available"
            };
            if row["status"] != status {
                violations
                    .push(format!("car {car}: the catalog shows {}, its reservations make it {status}", row["status"]));
            }
        }
        violations
    }
}
