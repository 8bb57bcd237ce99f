//! Benchmark: commands carried through a system's whole saga on the local
//! runner (durable storage, release build), from a separate process over HTTP.
//!
//! `cargo build --release -p local -p acceptance && target/release/saga-bench [seconds] [clients] [system]`
//!
//! Closed loop: `clients` threads each post the system's front command back
//! to back for `seconds` (the throughput the runner can take). With
//! `SAGA_RATE=<sagas/s>` the clients share that rate instead, each sending
//! on its own schedule (the latency at a given load, with no queue built by
//! the bench itself). One command in 16 is traced: a tracer polls its
//! resource until it shows the saga's outcome, which gives the command →
//! outcome latency. Throughput counts a command once its saga is done: every
//! command resolved and every queue drained. Peak RSS is the runner's `VmHWM`.
//!
//! | system | command | outcome polled |
//! |---|---|---|
//! | `bookreservation` (default) | `POST /reservations` | `Reserved` / `Failed` (stock, then reservation) |
//! | `bookrental` | `POST /reservations` | `Delivering` / `Rejected` (product, delivery, then reservation) |
//! | `gamereward` | `POST /missions` | `rewardId` set (reward, then mission); then every wallet entry is exchanged, each a synchronous call to gift through the circuit breaker, timed on its own |
//! | `rentcar` | `POST /reservations` (one day of the client's own car, the next free day each time), then `POST /reservations/{id}/pay` (synchronous call to payment) | rental `Rented` (payment's `PaymentApproved` → rental) |
//! | `productorder` | `POST /orders` (synchronous call to pay, then the order's commit) | `Prepared` / `Rejected` (product, delivery, then order) |

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acceptance::{Backend, Runner, RunnerOptions, token};
use serde_json::json;

const BOOKS: usize = 20;

/// What the bench drives, per system.
#[derive(Clone, Copy, PartialEq)]
enum System {
    BookReservation,
    BookRental,
    GameReward,
    RentCar,
    ProductOrder,
}

impl System {
    fn name(self) -> &'static str {
        match self {
            Self::BookReservation => "bookreservation",
            Self::BookRental => "bookrental",
            Self::GameReward => "gamereward",
            Self::RentCar => "rentcar",
            Self::ProductOrder => "productorder",
        }
    }

    /// Stock for the stories; returns the ids clients pick from.
    fn setup(self, client: &acceptance::Client) -> Vec<String> {
        let staff = token("bob", &["staff"]);
        match self {
            Self::BookReservation => {
                let ids: Vec<String> = (0..BOOKS).map(|b| format!("book-{b}")).collect();
                for (b, id) in ids.iter().enumerate() {
                    let body = json!({"bookId": id, "title": format!("Book {b}"), "quantity": 1_000_000});
                    let reply = client.post_json("/stocks", Some(&staff), &body);
                    assert_eq!(reply.status, 200, "{reply:?}");
                }
                ids
            }
            Self::BookRental => (0..BOOKS)
                .map(|b| {
                    let body = json!({"title": format!("Book {b}"), "stock": 1_000_000});
                    let reply = client.post_json("/products", Some(&staff), &body);
                    assert_eq!(reply.status, 201, "{reply:?}");
                    reply.body["productId"].as_str().unwrap().to_owned()
                })
                .collect(),
            Self::GameReward => vec![String::new()],
            // One car per client, so that clients never contend for a day.
            Self::RentCar => (0..BOOKS)
                .map(|c| {
                    let car_no = format!("car-{c}");
                    let body = json!({"carNo": car_no, "model": "Avante", "dailyRate": 10_000});
                    let reply = client.post_json("/cars", Some(&staff), &body);
                    assert_eq!(reply.status, 201, "{reply:?}");
                    car_no
                })
                .collect(),
            Self::ProductOrder => (0..BOOKS)
                .map(|p| {
                    let item_cd = format!("ITEM-{p:03}");
                    let body =
                        json!({"itemCd": item_cd, "name": format!("Mug {p}"), "price": 1_000, "quantity": 1_000_000});
                    let reply = client.post_json("/products", Some(&staff), &body);
                    assert_eq!(reply.status, 201, "{reply:?}");
                    item_cd
                })
                .collect(),
        }
    }

    /// The front command, the `n`th of its client; returns the id of what it
    /// made, or `None` if refused.
    fn command(self, client: &acceptance::Client, token: &str, target: &str, n: usize) -> Option<String> {
        let (path, body, field) = match self {
            Self::BookReservation => ("/reservations", json!({"bookId": target}), "reservationId"),
            Self::BookRental => ("/reservations", json!({"productId": target}), "reservationId"),
            Self::GameReward => ("/missions", json!({"name": "Daily Quest"}), "missionId"),
            Self::RentCar => {
                let day = day_after_2027_01_01(n);
                ("/reservations", json!({"carNo": target, "rentalDate": day, "returnDate": day}), "reservationId")
            }
            Self::ProductOrder => {
                ("/orders", json!({"itemCd": target, "quantity": 1, "address": "Seoul, Jongno-gu 1"}), "orderId")
            }
        };
        let reply = client.post_json(path, Some(token), &body);
        if !(200..300).contains(&reply.status) {
            return None;
        }
        let id = reply.body[field].as_str().map(str::to_owned)?;
        if self == Self::RentCar {
            let paid = client.post_json(&format!("/reservations/{id}/pay"), Some(token), &json!({}));
            if paid.status != 200 {
                return None;
            }
        }
        Some(id)
    }

    /// What the tracer polls for `id`: the resource that shows the saga's
    /// outcome.
    fn outcome(self, client: &acceptance::Client, token: &str, id: &str) -> serde_json::Value {
        static STAFF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        match self {
            Self::BookReservation | Self::BookRental => client.get(&format!("/reservations/{id}"), Some(token)).body,
            Self::GameReward => client.get(&format!("/missions/{id}"), Some(token)).body,
            Self::RentCar => {
                let staff = STAFF.get_or_init(|| acceptance::token("bob", &["staff"]));
                client.get(&format!("/rentals?reservationId={id}"), Some(staff)).body
            }
            Self::ProductOrder => client.get(&format!("/orders/{id}"), Some(token)).body,
        }
    }

    /// Whether the saga of `id` shows its outcome.
    fn resolved(self, client: &acceptance::Client, token: &str, id: &str) -> bool {
        let outcome = self.outcome(client, token, id);
        let status = &outcome["status"];
        match self {
            Self::BookReservation => status == "Reserved" || status == "Failed",
            Self::BookRental => status == "Delivering" || status == "Rejected",
            Self::GameReward => outcome["rewardId"].is_string(),
            Self::RentCar => status == "Rented",
            Self::ProductOrder => status == "Prepared" || status == "Rejected",
        }
    }
}

/// `2027-01-01` plus `n` days, as `YYYY-MM-DD`.
fn day_after_2027_01_01(n: usize) -> String {
    const JAN_1_2027: u64 = 1_798_761_600;
    let at = std::time::UNIX_EPOCH + Duration::from_secs(JAN_1_2027 + n as u64 * 86_400);
    humantime::format_rfc3339(at).to_string()[..10].to_owned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let clients: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(16);
    let system = match args.get(3).map(String::as_str).unwrap_or("bookreservation") {
        "bookreservation" => System::BookReservation,
        "bookrental" => System::BookRental,
        "gamereward" => System::GameReward,
        "rentcar" => System::RentCar,
        "productorder" => System::ProductOrder,
        other => panic!("no system {other}: bookreservation, bookrental, gamereward, rentcar or productorder"),
    };

    let rate: Option<f64> = std::env::var("SAGA_RATE")
        .ok()
        .map(|r| r.parse().ok().filter(|rate: &f64| *rate > 0.0).expect("SAGA_RATE: sagas per second, above 0"));
    // `SAGA_AWS=1`: on moto's server, counting every AWS request per saga.
    let aws = std::env::var_os("SAGA_AWS").is_some();
    let runner = Runner::start(RunnerOptions {
        in_memory: std::env::var_os("SAGA_IN_MEMORY").is_some(),
        visibility_timeout_ms: None,
        // Timed as a user runs it: `--check-events` is the tests' own check.
        check_events: false,
        ..RunnerOptions::on(if aws { Backend::Moto } else { Backend::Embedded }).serving(system.name())
    });
    let client = runner.client(system.name());
    let targets = Arc::new(system.setup(&client));
    // Let every view hear of the stock before the clock starts.
    let settled = acceptance::eventually(Duration::from_secs(10), || {
        let queues = client.runner_get("/_local/queues").body;
        queues.as_array()?.iter().all(|q| q["depth"] == 0 && q["inFlight"] == 0).then_some(())
    });
    assert!(settled.is_some(), "setup never settled");
    std::thread::sleep(Duration::from_millis(500));

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let ids: Arc<Mutex<Vec<(String, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let traced: Arc<Mutex<Vec<(String, String, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::new()));

    let requests_before = client.runner_get("/_local/aws-requests").body;
    let runner_cpu_before = cpu_seconds(runner.pid);
    let own_cpu_before = cpu_seconds(std::process::id());
    let started = Instant::now();
    let mut workers = Vec::new();
    for c in 0..clients {
        let (stop, sent, refused, ids, traced, targets) =
            (stop.clone(), sent.clone(), refused.clone(), ids.clone(), traced.clone(), targets.clone());
        let client = runner.client(system.name());
        workers.push(std::thread::spawn(move || {
            let customer = format!("customer-{c}");
            let token = token(&customer, &[]);
            let mut n = 0usize;
            // Paced: this client's share of the rate, its sends offset
            // from the other clients'.
            let every = rate.map(|rate| Duration::from_secs_f64(clients as f64 / rate));
            while !stop.load(Ordering::Relaxed) {
                // Paced, a command is timed from when it was due: a runner
                // that falls behind is not flattered by the sends it delayed.
                let due = every.map(|every| started + every.mul_f64(n as f64 + c as f64 / clients as f64));
                if let Some(due) = due {
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                let target = match system {
                    System::RentCar => &targets[c % targets.len()],
                    _ => &targets[(c + n) % targets.len()],
                };
                n += 1;
                let at = due.unwrap_or_else(Instant::now);
                let Some(id) = system.command(&client, &token, target, n) else {
                    refused.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let count = sent.fetch_add(1, Ordering::Relaxed);
                // On moto the tracer's reads would count as the saga's.
                if count % 16 == 0 && !aws {
                    traced.lock().unwrap().push((id.clone(), token.clone(), at));
                }
                ids.lock().unwrap().push((id, token.clone()));
            }
        }));
    }
    let tracer = {
        let (stop, traced, latencies) = (stop.clone(), traced.clone(), latencies.clone());
        let client = runner.client(system.name());
        std::thread::spawn(move || {
            let mut open: Vec<(String, String, Instant)> = Vec::new();
            loop {
                open.extend(traced.lock().unwrap().drain(..));
                if open.is_empty() && stop.load(Ordering::Relaxed) {
                    break;
                }
                open.retain(|(id, token, at)| {
                    if system.resolved(&client, token, id) {
                        latencies.lock().unwrap().push(at.elapsed());
                        false
                    } else {
                        true
                    }
                });
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let sending = started.elapsed();
    tracer.join().unwrap();

    // The sagas are done when every queue is empty after the last command
    // (stock taken, reservation decided, notification sent, list updated).
    let drained = acceptance::eventually(Duration::from_secs(120), || {
        let queues = client.runner_get("/_local/queues").body;
        queues.as_array()?.iter().all(|q| q["depth"] == 0 && q["inFlight"] == 0).then_some(())
    });
    let done = started.elapsed();
    let requests_after = client.runner_get("/_local/aws-requests").body;
    let runner_cpu = cpu_seconds(runner.pid) - runner_cpu_before;
    let own_cpu = cpu_seconds(std::process::id()) - own_cpu_before;
    let rss_kb = std::fs::read_to_string(format!("/proc/{}/status", runner.pid))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0);

    // Then, outside the timing: every command shows its outcome.
    let ids = ids.lock().unwrap().clone();
    let unresolved: Vec<&(String, String)> =
        ids.iter().filter(|(id, token)| !system.resolved(&client, token, id)).collect();
    let exchanges = (system == System::GameReward).then(|| exchange_all(&runner, clients));

    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    let pct = |p: f64| {
        latencies.get(((latencies.len() as f64 - 1.0) * p).round() as usize).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let total = ids.len() as f64;
    let report = json!({
        "system": system.name(),
        "exchanges": exchanges,
        "seconds": seconds,
        "clients": clients,
        "paced_per_s": rate,
        "commands": ids.len(),
        "refused": refused.load(Ordering::Relaxed),
        "unresolved": unresolved.len(),
        "unresolved_first": unresolved.first().map(|(id, token)| system.outcome(&client, token, id)),
        "queues_drained": drained.is_some(),
        "accepted_per_s": total / sending.as_secs_f64(),
        "sagas_per_s": total / done.as_secs_f64(),
        "traced": latencies.len(),
        "outcome_ms_p50": pct(0.50),
        "outcome_ms_p99": pct(0.99),
        "outcome_ms_max": pct(1.0),
        "runner_peak_rss_mb": rss_kb as f64 / 1024.0,
        "runner_cpu_s": runner_cpu,
        "load_generator_cpu_s": own_cpu,
        "wall_s": done.as_secs_f64(),
        "aws_requests_per_saga": per_saga(&requests_before, &requests_after, total),
    });
    println!("{report}");
}

/// gamereward: every client exchanges each of its wallet entries, each one
/// a synchronous call to gift through the circuit breaker, then the wallet's
/// commit; returns their rate and latency.
fn exchange_all(runner: &Runner, clients: usize) -> serde_json::Value {
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let client = runner.client("gamereward");
            std::thread::spawn(move || {
                let token = token(&format!("customer-{c}"), &[]);
                let entries = client.get("/wallets", Some(&token)).body;
                let mut latencies = Vec::new();
                let mut failed = 0u64;
                for entry in entries.as_array().into_iter().flatten() {
                    let path = format!("/wallets/{}/exchange", entry["walletId"].as_str().unwrap_or_default());
                    let at = Instant::now();
                    let reply = client.post_json(&path, Some(&token), &json!({"giftName": "Coffee Coupon"}));
                    if reply.status == 200 {
                        latencies.push(at.elapsed());
                    } else {
                        failed += 1;
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failed = 0;
    for worker in workers {
        let (mine, f) = worker.join().unwrap();
        latencies.extend(mine);
        failed += f;
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        latencies.get(((latencies.len() as f64 - 1.0) * p).round() as usize).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    json!({
        "exchanged": latencies.len(),
        "failed": failed,
        "per_s": latencies.len() as f64 / elapsed.as_secs_f64(),
        "ms_p50": pct(0.50),
        "ms_p99": pct(0.99),
    })
}

/// User + system CPU time of a process, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum();
    ticks / 100.0
}

/// AWS requests by service and operation between two counts, per saga.
fn per_saga(before: &serde_json::Value, after: &serde_json::Value, sagas: f64) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (service, operations) in after.as_object().into_iter().flatten() {
        let mut per = serde_json::Map::new();
        for (operation, n) in operations.as_object().into_iter().flatten() {
            // The bench's own watching (queue depths), not the saga's.
            if operation == "GetQueueAttributes" {
                continue;
            }
            let was = before[service][operation].as_u64().unwrap_or(0);
            let added = n.as_u64().unwrap_or(0).saturating_sub(was);
            if added > 0 {
                per.insert(operation.clone(), json!((added as f64 / sagas.max(1.0) * 100.0).round() / 100.0));
            }
        }
        if !per.is_empty() {
            out.insert(service.clone(), serde_json::Value::Object(per));
        }
    }
    serde_json::Value::Object(out)
}
