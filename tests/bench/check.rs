//! The load-and-invariants checker (see `acceptance::check`):
//!
//! `cargo build --release -p local -p acceptance --bin local --bin check &&
//!  target/release/check [--seconds 30] [--clients 8] [--faults PLAN|off] [--restarts 1] [--pace-ms 0] [--quiet-secs 120] [--aws] [--json] [SYSTEM…]`
//!
//! Prints the report (`--json`: as JSON) and exits non-zero on any
//! violation or unexpected 5xx. `--aws` runs on moto's server at
//! `MOTO_ENDPOINT` (or `AWS_ENDPOINT_URL`).

use std::process::ExitCode;
use std::time::Duration;

use acceptance::Backend;
use acceptance::check::{BookRental, BookReservation, CheckOptions, GameReward, ProductOrder, RentCar, run};

fn main() -> ExitCode {
    let mut options = CheckOptions {
        backend: Backend::Embedded,
        seconds: 30,
        clients: 8,
        faults: Some("dup=0.2,fail=0.1,delay=0..20,reorder,publish=0.1,calls=0.1,stop=0.2,seed=1"),
        restarts: 1,
        systems: Vec::new(),
        quiescence: Duration::from_secs(120),
        pace: Duration::ZERO,
    };
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--seconds" => options.seconds = value().parse().expect("--seconds N"),
            "--clients" => options.clients = value().parse().expect("--clients N"),
            "--restarts" => options.restarts = value().parse().expect("--restarts N"),
            "--quiet-secs" => options.quiescence = Duration::from_secs(value().parse().expect("--quiet-secs N")),
            "--pace-ms" => options.pace = Duration::from_millis(value().parse().expect("--pace-ms N")),
            "--faults" => {
                let plan = value();
                options.faults = (plan != "off").then(|| &*Box::leak(plan.into_boxed_str()));
            }
            "--aws" => options.backend = Backend::Moto,
            "--json" => json = true,
            system if !system.starts_with('-') => options.systems.push(Box::leak(system.to_owned().into_boxed_str())),
            other => panic!("unknown flag {other}"),
        }
    }
    let books = BookReservation { books: 4, copies: 40 };
    let orders = ProductOrder { items: 3, units: 30 };
    let rentals = BookRental { titles: 4, copies: 40 };
    let rewards = GameReward;
    let cars = RentCar { cars: 4, days: 24 };
    let report = run(&options, &[&rentals, &books, &rewards, &cars, &orders]);
    if json {
        println!("{}", serde_json::to_string_pretty(&report).expect("a report serializes"));
    } else {
        print!("{}", report.human());
    }
    if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
