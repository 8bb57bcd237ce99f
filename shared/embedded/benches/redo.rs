//! What a table on disk costs: commits one at a time (no group to share a
//! record with), the stalls of folding the log into snapshots, the files'
//! sizes, the time to open the table again (load the snapshot, replay the
//! log), and the process's peak memory. Figures in docs/benchmarks.md.
//!
//! `cargo bench -p embedded --bench redo [-- ITEMS]` (200,000 by default);
//! prints one JSON line.

use std::time::{Duration, Instant};

use embedded::{SqliteTable, StreamCapture};
use framework::store::{Condition, Item, Key, Query, Table, WriteOp};

/// The process's peak resident set, from `/proc/self/status` (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches(" kB").parse().ok()?;
    Some(kb / 1024.0)
}

fn mb(path: &std::path::Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / (1024.0 * 1024.0))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A view row about the size of rentcar's MyPage rows (about 800 bytes).
fn row(n: usize) -> Item {
    let body = serde_json::json!({
        "reservationId": format!("0193a5c2-{n:08}-7000-8000-000000000000"),
        "customerId": format!("customer-{}", n % 1000),
        "carNo": format!("{}가{:04}", 10 + n % 80, n % 10_000),
        "pickupDate": "2027-03-01", "returnDate": "2027-03-02",
        "status": "Paid", "amount": 10_000,
        "payment": {"paymentId": format!("p-{n:08}"), "status": "Approved", "approvedAt": "2026-12-07T18:00:00.000Z"},
        "rental": {"rentalId": format!("r-{n:08}"), "status": "Rented", "rentedAt": "2026-12-07T18:00:00.100Z"},
        "note": "x".repeat(400),
    });
    let mut item = Item::new(Key::new(format!("Reservation#{n:08}"), "VIEW"), 1, body);
    item.index = Some(Key::new(format!("Customer#customer-{}", n % 1000), format!("{n:08}")));
    item
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let items: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("t.db");
    let table = SqliteTable::open_with(Some(&path), StreamCapture::Off).expect("opens");

    let mut latencies = Vec::with_capacity(items);
    let started = Instant::now();
    for n in 0..items {
        let put = WriteOp::Put { item: row(n), condition: Condition::NotExists };
        let commit = Instant::now();
        table.transact(vec![put]).await.expect("commits");
        latencies.push(commit.elapsed());
    }
    let writing = started.elapsed();
    let (snapshot_mb, log_mb) = (mb(&path), mb(&path.with_extension("redo")));
    drop(table);

    let opening = Instant::now();
    let reopened = SqliteTable::open_with(Some(&path), StreamCapture::Off).expect("opens again");
    let reopen = opening.elapsed();
    let last = reopened.get(&row(items - 1).key).await.expect("reads");
    assert!(last.is_some(), "the last commit is there after reopening");
    let page = reopened.query(&Query::index("Customer#customer-7").limit(1000)).await.expect("queries");
    assert_eq!(page.len(), (0..items).filter(|n| n % 1000 == 7).count().min(1000), "every row replayed");

    latencies.sort();
    let at = |q: f64| ms(latencies[((latencies.len() - 1) as f64 * q) as usize]);
    let stalls: Vec<f64> = latencies.iter().filter(|l| **l > Duration::from_millis(10)).map(|l| ms(*l)).collect();
    let report = serde_json::json!({
        "items": items,
        "commits_per_s": (items as f64 / writing.as_secs_f64()).round(),
        "commit_ms_p50": at(0.5),
        "commit_ms_p99": at(0.99),
        "commit_ms_max": at(1.0),
        "commits_over_10ms": stalls.len(),
        "snapshot_mb": snapshot_mb,
        "log_mb": log_mb,
        "reopen_ms": ms(reopen),
        "peak_rss_mb": peak_rss_mb(),
    });
    println!("{report}");
}
