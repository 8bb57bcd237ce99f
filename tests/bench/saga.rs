//! Benchmark: reservation commands carried through the whole bookreservation
//! saga on the local runner (durable storage, release build), from a
//! separate process over HTTP.
//!
//! `cargo build --release -p local -p acceptance && target/release/saga-bench [seconds] [clients]`
//!
//! Closed loop: `clients` threads each post reservations back to back for
//! `seconds`. One command in 16 is traced: a tracer polls its reservation
//! until the view shows the outcome (`Reserved` / `Failed`), which gives the
//! command → outcome latency. Throughput counts a command once its saga is
//! done: every reservation resolved and every queue drained (stock taken,
//! reservation confirmed, notification sent, book list updated). Peak RSS is
//! the runner's `VmHWM`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acceptance::{Backend, Runner, RunnerOptions, token};
use serde_json::json;

const BOOKS: usize = 20;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let clients: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(16);

    let runner = Runner::start(RunnerOptions {
        in_memory: false,
        visibility_timeout_ms: None,
        ..RunnerOptions::on(Backend::Embedded)
    });
    let client = runner.client("bookreservation");
    let staff = token("bob", &["staff"]);
    for b in 0..BOOKS {
        let reply = client.post_json(
            "/stocks",
            Some(&staff),
            &json!({"bookId": format!("book-{b}"), "title": format!("Book {b}"), "quantity": 1_000_000}),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    let listed = acceptance::eventually(Duration::from_secs(10), || {
        let books = client.get("/books", Some(&staff)).body;
        (books.as_array().map_or(0, Vec::len) == BOOKS).then_some(())
    });
    assert!(listed.is_some(), "books never listed");

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let ids: Arc<Mutex<Vec<(String, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let traced: Arc<Mutex<Vec<(String, String, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::new(Mutex::new(Vec::new()));

    let runner_cpu_before = cpu_seconds(runner.pid);
    let own_cpu_before = cpu_seconds(std::process::id());
    let started = Instant::now();
    let mut workers = Vec::new();
    for c in 0..clients {
        let (stop, sent, refused, ids, traced) =
            (stop.clone(), sent.clone(), refused.clone(), ids.clone(), traced.clone());
        let client = runner.client("bookreservation");
        workers.push(std::thread::spawn(move || {
            let customer = format!("customer-{c}");
            let token = token(&customer, &[]);
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let book = format!("book-{}", (c + n) % BOOKS);
                n += 1;
                let at = Instant::now();
                let reply = client.post_json("/reservations", Some(&token), &json!({"bookId": book}));
                if reply.status != 202 {
                    refused.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let id = reply.body["reservationId"].as_str().unwrap_or_default().to_owned();
                let count = sent.fetch_add(1, Ordering::Relaxed);
                if count % 16 == 0 {
                    traced.lock().unwrap().push((id.clone(), token.clone(), at));
                }
                ids.lock().unwrap().push((id, token.clone()));
            }
        }));
    }
    let tracer = {
        let (stop, traced, latencies) = (stop.clone(), traced.clone(), latencies.clone());
        let client = runner.client("bookreservation");
        std::thread::spawn(move || {
            let mut open: Vec<(String, String, Instant)> = Vec::new();
            loop {
                open.extend(traced.lock().unwrap().drain(..));
                if open.is_empty() && stop.load(Ordering::Relaxed) {
                    break;
                }
                open.retain(|(id, token, at)| {
                    let status = client.get(&format!("/reservations/{id}"), Some(token)).body["status"].clone();
                    if status == "Reserved" || status == "Failed" {
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
    let runner_cpu = cpu_seconds(runner.pid) - runner_cpu_before;
    let own_cpu = cpu_seconds(std::process::id()) - own_cpu_before;
    let rss_kb = std::fs::read_to_string(format!("/proc/{}/status", runner.pid))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0);

    // Then, outside the timing: every reservation shows its outcome.
    let ids = ids.lock().unwrap().clone();
    let unresolved = ids
        .iter()
        .filter(|(id, token)| {
            let status = client.get(&format!("/reservations/{id}"), Some(token)).body["status"].clone();
            !(status == "Reserved" || status == "Failed")
        })
        .count();

    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    let pct = |p: f64| {
        latencies.get(((latencies.len() as f64 - 1.0) * p).round() as usize).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let total = ids.len() as f64;
    let report = json!({
        "seconds": seconds,
        "clients": clients,
        "commands": ids.len(),
        "refused": refused.load(Ordering::Relaxed),
        "unresolved": unresolved,
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
    });
    println!("{report}");
}

/// User + system CPU time of a process, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: f64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum();
    ticks / 100.0
}
