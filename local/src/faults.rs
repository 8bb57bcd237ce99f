//! Fault injection: the runner misbehaves the way AWS is allowed to, so that
//! a system's "nothing lost, nothing twice" can be watched under it.
//!
//! | fault | what AWS allows | here |
//! |---|---|---|
//! | `dup` | SQS delivers a message again (a lost delete, a visibility timeout) | a handled message's delete is lost: it comes back after its visibility timeout |
//! | `fail` | a Lambda invocation fails (crash, timeout, throttle) | a policy invocation fails before its handler runs: the whole batch comes back |
//!
//! (`dup` and `fail` strike a message on its first delivery only, so that
//! injection alone never exhausts a queue's `maxReceiveCount`.)
//!
//! | fault | what AWS allows | here |
//! |---|---|---|
//! | `delay=a..b` | SQS and Lambda take their time | each delivery waits `a..b` ms |
//! | `reorder` | a standard queue keeps no order | each batch is handed over shuffled |
//! | `publish` | SNS refuses a publish, maybe after part of a batch | each event a relay publishes fails with this share; the relay retries from it |
//! | `calls` | a Lambda Invoke fails | a synchronous call fails as unreachable |
//! | `stop` | a context's functions are throttled or its event source mappings disabled for a while | each second, with this share, one context's consumers (and relay) stop for 0.5–3 s, then start again |
//!
//! `--faults dup=0.2,fail=0.1,delay=0..200,reorder,publish=0.1,calls=0.05,seed=7`
//! at start, or `POST /_local/faults` with the same as JSON while running;
//! `GET /_local/faults` shows the plan and how many of each were injected.
//!
//! Each place that injects (a queue's poller, a relay, a context's calls)
//! draws from its own generator, seeded from the plan's seed and the place's
//! name: the same seed gives each place the same sequence of decisions. The
//! interleaving of places is the scheduler's, so a whole run repeats only
//! as far as its timing does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use framework::envelope::Envelope;
use framework::relay::{PublishError, Publisher};
use framework::store::BoxFuture;
use serde::{Deserialize, Serialize};

/// What to inject, and how often (each share is a probability, 0 to 1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultPlan {
    #[serde(default)]
    pub dup: f64,
    #[serde(default)]
    pub fail: f64,
    /// `[min, max]` ms before each delivery.
    #[serde(default)]
    pub delay_ms: Option<[u64; 2]>,
    #[serde(default)]
    pub reorder: bool,
    #[serde(default)]
    pub publish: f64,
    #[serde(default)]
    pub calls: f64,
    /// Each second, the chance that one context's consumers stop a while.
    #[serde(default)]
    pub stop: f64,
    #[serde(default)]
    pub seed: u64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PlanError {
    #[error("{0}: a share is a number from 0 to 1")]
    Share(String),
    #[error("delay: a range of milliseconds, min..max")]
    Delay,
    #[error("seed: a whole number")]
    Seed,
    #[error("no fault {0} (dup, fail, delay, reorder, publish, calls, stop, seed)")]
    Unknown(String),
}

impl FaultPlan {
    /// The plan `--faults` states: `dup=0.2,fail=0.1,delay=0..200,reorder,seed=7`.
    pub fn parse(text: &str) -> Result<Self, PlanError> {
        let mut plan = Self::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').map_or((part, None), |(n, v)| (n.trim(), Some(v.trim())));
            let share = || {
                value
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|s| (0.0..=1.0).contains(s))
                    .ok_or_else(|| PlanError::Share(name.to_owned()))
            };
            match name {
                "dup" => plan.dup = share()?,
                "fail" => plan.fail = share()?,
                "publish" => plan.publish = share()?,
                "calls" => plan.calls = share()?,
                "stop" => plan.stop = share()?,
                "reorder" => plan.reorder = true,
                "seed" => plan.seed = value.and_then(|v| v.parse().ok()).ok_or(PlanError::Seed)?,
                "delay" => {
                    let (min, max) = value.and_then(|v| v.split_once("..")).ok_or(PlanError::Delay)?;
                    let min: u64 = min.trim().parse().map_err(|_| PlanError::Delay)?;
                    let max: u64 = max.trim().parse().map_err(|_| PlanError::Delay)?;
                    if min > max {
                        return Err(PlanError::Delay);
                    }
                    plan.delay_ms = Some([min, max]);
                }
                other => return Err(PlanError::Unknown(other.to_owned())),
            }
        }
        plan.check()?;
        Ok(plan)
    }

    /// The shares are probabilities and the delay a range.
    pub fn check(&self) -> Result<(), PlanError> {
        let shares = [
            ("dup", self.dup),
            ("fail", self.fail),
            ("publish", self.publish),
            ("calls", self.calls),
            ("stop", self.stop),
        ];
        for (name, share) in shares {
            if !(0.0..=1.0).contains(&share) {
                return Err(PlanError::Share(name.to_owned()));
            }
        }
        match self.delay_ms {
            Some([min, max]) if min > max => Err(PlanError::Delay),
            _ => Ok(()),
        }
    }

    pub fn is_off(&self) -> bool {
        self.dup == 0.0
            && self.fail == 0.0
            && self.delay_ms.is_none()
            && !self.reorder
            && self.publish == 0.0
            && self.calls == 0.0
            && self.stop == 0.0
    }
}

/// How many of each fault were injected.
#[derive(Debug, Default)]
pub(crate) struct Injected {
    pub(crate) duplicated: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) delayed: AtomicU64,
    pub(crate) reordered: AtomicU64,
    pub(crate) publish_failed: AtomicU64,
    pub(crate) calls_failed: AtomicU64,
    pub(crate) stopped: AtomicU64,
}

impl Injected {
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        serde_json::json!({
            "duplicated": n(&self.duplicated),
            "failed": n(&self.failed),
            "delayed": n(&self.delayed),
            "reordered": n(&self.reordered),
            "publishFailed": n(&self.publish_failed),
            "callsFailed": n(&self.calls_failed),
            "stopped": n(&self.stopped),
        })
    }
}

/// The runner's faults: the plan in force and the counts.
#[derive(Default)]
pub(crate) struct Faults {
    plan: RwLock<FaultPlan>,
    pub(crate) injected: Injected,
}

impl Faults {
    pub(crate) fn plan(&self) -> FaultPlan {
        self.plan.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn set_plan(&self, plan: FaultPlan) {
        *self.plan.write().unwrap_or_else(|p| p.into_inner()) = plan;
    }

    /// The decisions of one place (`queue#0`, `relay:system/context`, …).
    pub(crate) fn dice(self: &Arc<Self>, place: &str) -> Dice {
        Dice { faults: self.clone(), place: place.to_owned(), seed: None, rng: fastrand::Rng::with_seed(0) }
    }
}

/// One place's generator, seeded from the plan's seed and the place's name;
/// reseeded when the plan's seed changes.
pub(crate) struct Dice {
    faults: Arc<Faults>,
    place: String,
    seed: Option<u64>,
    rng: fastrand::Rng,
}

impl Dice {
    /// The plan in force, with this place's generator at its seed.
    pub(crate) fn plan(&mut self) -> FaultPlan {
        let plan = self.faults.plan();
        if self.seed != Some(plan.seed) {
            self.seed = Some(plan.seed);
            self.rng = fastrand::Rng::with_seed(plan.seed ^ fnv1a(&self.place));
        }
        plan
    }

    /// `true` with probability `share`; draws nothing when the share is 0.
    pub(crate) fn roll(&mut self, share: f64) -> bool {
        share > 0.0 && self.rng.f64() < share
    }

    pub(crate) fn delay(&mut self, range: Option<[u64; 2]>) -> Option<Duration> {
        let [min, max] = range?;
        Some(Duration::from_millis(self.rng.u64(min..=max)))
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        self.rng.shuffle(items);
    }

    /// One of `0..n` (`n` > 0).
    pub(crate) fn pick(&mut self, n: usize) -> usize {
        self.rng.usize(0..n)
    }

    pub(crate) fn injected(&self) -> &Injected {
        &self.faults.injected
    }
}

/// A stable hash of a place's name (the standard library's is seeded per
/// process).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// A topic whose publishes fail with the plan's `publish` share, event by
/// event: the events before the failed one go out (a partial publish), and
/// the relay tries again from the failed one.
pub(crate) struct FaultyTopic {
    pub(crate) inner: Arc<dyn Publisher>,
    pub(crate) dice: Mutex<Dice>,
}

impl Publisher for FaultyTopic {
    fn publish<'a>(&'a self, events: &'a [Envelope]) -> BoxFuture<'a, Result<(), PublishError>> {
        Box::pin(async move {
            let first_failed = {
                let mut dice = self.dice.lock().unwrap_or_else(|p| p.into_inner());
                let share = dice.plan().publish;
                let failed = (0..events.len()).find(|_| dice.roll(share));
                if failed.is_some() {
                    dice.injected().publish_failed.fetch_add(1, Ordering::Relaxed);
                }
                failed
            };
            let Some(first_failed) = first_failed else {
                return self.inner.publish(events).await;
            };
            if first_failed > 0 {
                self.inner.publish(&events[..first_failed]).await?;
            }
            Err(PublishError { first_failed, reason: "publish failed (injected by --faults)".into() })
        })
    }
}

/// The `stop` fault: once a second, with the plan's `stop` share, one of
/// `contexts` (those with consumers) not already stopped has its consumers
/// and relay stopped for 0.5–3 s, then started again; its messages wait in
/// their queues, its events in its outbox.
pub(crate) async fn stop_now_and_then(control: Arc<crate::control::Control>, contexts: Vec<(String, String)>) {
    if contexts.is_empty() {
        return;
    }
    let mut dice = control.faults.dice("stop");
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let plan = dice.plan();
        if !dice.roll(plan.stop) {
            continue;
        }
        let (system, context) = &contexts[dice.pick(contexts.len())];
        if control.is_stopped(system, context) {
            continue;
        }
        dice.injected().stopped.fetch_add(1, Ordering::Relaxed);
        tracing::info!(%system, %context, "consumers stopped (injected by --faults)");
        control.set_consuming(system, context, false);
        tokio::time::sleep(dice.delay(Some([500, 3000])).unwrap_or_default()).await;
        control.set_consuming(system, context, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_is_read_from_its_flag_and_bad_ones_are_named() {
        let plan =
            FaultPlan::parse("dup=0.2, fail=0.1,delay=5..200,reorder,publish=0.3,calls=0.05,stop=0.1,seed=7").unwrap();
        assert_eq!(
            plan,
            FaultPlan {
                dup: 0.2,
                fail: 0.1,
                delay_ms: Some([5, 200]),
                reorder: true,
                publish: 0.3,
                calls: 0.05,
                stop: 0.1,
                seed: 7
            }
        );
        assert!(FaultPlan::parse("").unwrap().is_off());
        assert_eq!(FaultPlan::parse("dup=1.5"), Err(PlanError::Share("dup".into())));
        assert_eq!(FaultPlan::parse("fail"), Err(PlanError::Share("fail".into())));
        assert_eq!(FaultPlan::parse("delay=9..2"), Err(PlanError::Delay));
        assert_eq!(FaultPlan::parse("seed=x"), Err(PlanError::Seed));
        assert_eq!(FaultPlan::parse("drop=0.1"), Err(PlanError::Unknown("drop".into())));
    }

    fn decisions(faults: &Arc<Faults>, place: &str) -> Vec<bool> {
        let mut dice = faults.dice(place);
        let share = dice.plan().dup;
        (0..64).map(|_| dice.roll(share)).collect()
    }

    #[test]
    fn the_same_seed_gives_a_place_the_same_decisions_and_another_seed_others() {
        let faults = Arc::new(Faults::default());
        faults.set_plan(FaultPlan { dup: 0.5, seed: 7, ..FaultPlan::default() });
        let first = decisions(&faults, "ReserveStockQueue#0");
        assert_eq!(decisions(&faults, "ReserveStockQueue#0"), first);
        assert_ne!(decisions(&faults, "ReserveStockQueue#1"), first, "each place has its own sequence");
        faults.set_plan(FaultPlan { dup: 0.5, seed: 8, ..FaultPlan::default() });
        assert_ne!(decisions(&faults, "ReserveStockQueue#0"), first);
        let hits = first.iter().filter(|d| **d).count();
        assert!((16..=48).contains(&hits), "about half of 64: {hits}");
    }

    #[test]
    fn a_share_of_zero_injects_nothing() {
        let faults = Arc::new(Faults::default());
        assert!(decisions(&faults, "q").iter().all(|d| !d));
    }
}
