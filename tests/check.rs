//! The load-and-invariants checker's short profile (`acceptance::check`):
//! all five systems under load with their races (sell-outs, double cancels,
//! cancels racing deliveries, racing exchanges, overlapping car bookings,
//! payments canceled before their rental exists), every fault on, the
//! runner killed once while its sagas are in flight; every invariant holds
//! and no 5xx but the contract's 503.

use acceptance::check::{BookRental, BookReservation, CheckOptions, GameReward, ProductOrder, RentCar, run};
use acceptance::*;

fn the_short_profile_holds_every_invariant_through_faults_and_a_kill(backend: Backend) {
    let options = CheckOptions {
        backend,
        // On moto every DynamoDB request of the run waits its turn, so a
        // wave there needs longer to reach the races it must show (a
        // delivery to complete while its reservation is canceled).
        seconds: match backend {
            Backend::Embedded => 3,
            Backend::Moto => 6,
        },
        clients: 3,
        faults: Some("dup=0.2,fail=0.1,delay=0..10,reorder,publish=0.1,calls=0.1,stop=1,seed=5"),
        restarts: 1,
        systems: Vec::new(),
        quiescence: backend.converge() * 6,
        pace: std::time::Duration::from_millis(20),
    };
    let books = BookReservation { books: 2, copies: 6 };
    let orders = ProductOrder { items: 2, units: 5 };
    let rentals = BookRental { titles: 2, copies: 6 };
    let cars = RentCar { cars: 1, days: 4 };
    let report = run(&options, &[&rentals, &books, &GameReward, &cars, &orders]);
    assert!(report.passed(), "{}", report.human());
    // The profile proves something only if it did what it says.
    let sent = |endpoint: &str| report.commands.get(endpoint).map_or(0, |a| a.sent);
    assert!(sent("bookreservation POST /reservations") > 6, "no sell-out: {}", report.human());
    assert!(sent("productorder POST /orders") > 5, "no sell-out: {}", report.human());
    assert!(sent("bookreservation POST /reservations/{id}/cancel") > 0, "no double cancel: {}", report.human());
    assert!(sent("bookrental POST /deliveries/{id}/complete") > 0, "no cancel racing a delivery: {}", report.human());
    assert!(sent("gamereward POST /wallets/{id}/exchange") > 0, "no racing exchange: {}", report.human());
    let overlaps = report.commands.get("rentcar POST /reservations").and_then(|a| a.refusals.get("409 overlap"));
    assert!(overlaps.is_some_and(|n| *n > 0), "no overlapping booking: {}", report.human());
    for kind in ["duplicated", "failed", "reordered", "publishFailed", "callsFailed", "stopped"] {
        assert!(report.injected.get(kind).is_some_and(|n| *n > 0), "no {kind} fault: {}", report.human());
    }
}

on_both_backends!(the_short_profile_holds_every_invariant_through_faults_and_a_kill);
