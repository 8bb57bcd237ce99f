//! The load-and-invariants checker: drives systems with concurrent clients
//! (and the races that matter) on a durable runner with faults on, kills the
//! runner with `kill -9` while its sagas are in flight and starts it again,
//! waits for quiescence, then checks the contract's invariants from the
//! outside. `target/<profile>/check` prints its report; `tests/check.rs`
//! runs a short profile on both backends.
//!
//! The runner is killed between two waves of commands: every command sent
//! has its answer, and what the runner had not finished (queued deliveries,
//! outbox items not yet relayed, batches half handled) must be finished by
//! the runner that comes back.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Backend, Client, Reply, Runner, RunnerOptions, eventually, token};

mod bookrental;
mod bookreservation;
mod gamereward;
mod productorder;
mod rentcar;

pub use bookrental::BookRental;
pub use bookreservation::BookReservation;
pub use gamereward::GameReward;
pub use productorder::ProductOrder;
pub use rentcar::RentCar;

/// What to run.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub backend: Backend,
    /// Seconds of load in each wave (two waves, the kill between them).
    pub seconds: u64,
    /// Client threads per system.
    pub clients: usize,
    pub faults: Option<&'static str>,
    /// Kills (`kill -9` and a restart on the same data) between waves.
    pub restarts: usize,
    pub systems: Vec<&'static str>,
    /// How long the runner may take to settle after the last wave.
    pub quiescence: Duration,
    /// A pause after each step of a client (zero: back to back).
    pub pace: Duration,
}

/// Commands by endpoint: how they were answered.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Answers {
    pub sent: u64,
    #[serde(rename = "2xx")]
    pub ok: u64,
    #[serde(rename = "4xx")]
    pub refused: u64,
    /// `503 unavailable` (a synchronous callee down or faulted): the
    /// contract's answer, retried by clients.
    pub unavailable: u64,
    /// Any other 5xx: a defect.
    pub unexpected: u64,
    /// The refusals by status and error code (`409 invalid_state`).
    pub refusals: BTreeMap<String, u64>,
}

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub backend: String,
    pub seconds_per_wave: u64,
    pub clients_per_system: usize,
    pub faults: Option<String>,
    pub restarts: usize,
    pub systems: Vec<String>,
    pub commands: BTreeMap<String, Answers>,
    /// Faults injected, summed over every runner's lifetime.
    pub injected: BTreeMap<String, u64>,
    /// From the last command to every queue empty (first seen), and to
    /// every saga's outcome shown as well.
    pub queues_quiet_ms: Option<u128>,
    pub quiescence_ms: Option<u128>,
    pub violations: Vec<String>,
}

impl Report {
    pub fn unexpected_5xx(&self) -> u64 {
        self.commands.values().map(|a| a.unexpected).sum()
    }

    /// No violation and no unexpected 5xx.
    pub fn passed(&self) -> bool {
        self.violations.is_empty() && self.unexpected_5xx() == 0 && self.quiescence_ms.is_some()
    }

    pub fn human(&self) -> String {
        let mut out = format!(
            "{} · {} s × 2 waves · {} clients per system · faults {} · {} restart(s)\n",
            self.backend,
            self.seconds_per_wave,
            self.clients_per_system,
            self.faults.as_deref().unwrap_or("off"),
            self.restarts
        );
        out += "commands (sent / 2xx / 4xx / 503 / other 5xx):\n";
        for (endpoint, a) in &self.commands {
            out += &format!(
                "  {endpoint:<48} {:>6} {:>6} {:>6} {:>6} {:>6}\n",
                a.sent, a.ok, a.refused, a.unavailable, a.unexpected
            );
        }
        for (endpoint, a) in self.commands.iter().filter(|(_, a)| !a.refusals.is_empty()) {
            out += &format!("  refusals of {endpoint}: {:?}\n", a.refusals);
        }
        out += &format!("faults injected: {:?}\n", self.injected);
        match self.quiescence_ms {
            Some(ms) => {
                out += &format!(
                    "queues empty {} ms and every outcome shown {ms} ms after the last command\n",
                    self.queues_quiet_ms.unwrap_or_default()
                )
            }
            None => out += "never quiet\n",
        }
        if self.violations.is_empty() {
            out += "no violation\n";
        } else {
            out += &format!("{} violation(s):\n", self.violations.len());
            for v in &self.violations {
                out += &format!("  {v}\n");
            }
        }
        out
    }
}

/// The log of one system's load: what each endpoint answered, and what the
/// driver keeps to check afterwards.
#[derive(Default)]
pub struct Log {
    answers: Mutex<BTreeMap<String, Answers>>,
    pub created: Mutex<Vec<(String, String, String)>>,
    pub violations: Mutex<Vec<String>>,
}

impl Log {
    /// Counts `reply` under `endpoint` (a route, not a path).
    pub fn answered(&self, endpoint: &str, reply: &Reply) {
        let mut answers = self.answers.lock().unwrap_or_else(|p| p.into_inner());
        let a = answers.entry(endpoint.to_owned()).or_default();
        a.sent += 1;
        match reply.status {
            200..=299 => a.ok += 1,
            400..=499 => {
                a.refused += 1;
                *a.refusals.entry(format!("{} {}", reply.status, reply.code())).or_default() += 1;
            }
            503 if reply.code() == "unavailable" => a.unavailable += 1,
            _ => {
                a.unexpected += 1;
                drop(answers);
                self.violation(format!("{endpoint} answered {} {}", reply.status, reply.body));
            }
        }
    }

    pub fn violation(&self, what: String) {
        self.violations.lock().unwrap_or_else(|p| p.into_inner()).push(what);
    }

    /// Keeps `(kind, id, owner's token)` of something a command made.
    pub fn made(&self, kind: &str, id: &str, owner: &str) {
        self.created.lock().unwrap_or_else(|p| p.into_inner()).push((kind.to_owned(), id.to_owned(), owner.to_owned()));
    }

    /// The ids of `kind` that `customer` (a token) made.
    pub fn mine(&self, kind: &str, customer: &str) -> Vec<String> {
        self.made_of(kind).into_iter().filter(|(_, o)| o == customer).map(|(id, _)| id).collect()
    }

    /// The tokens that made something of `kind`, each once.
    pub fn owners(&self, kind: &str) -> Vec<String> {
        let mut owners: Vec<String> = self.made_of(kind).into_iter().map(|(_, o)| o).collect();
        owners.sort();
        owners.dedup();
        owners
    }

    pub fn made_of(&self, kind: &str) -> Vec<(String, String)> {
        let created = self.created.lock().unwrap_or_else(|p| p.into_inner());
        created.iter().filter(|(k, ..)| k == kind).map(|(_, id, owner)| (id.clone(), owner.clone())).collect()
    }
}

/// One system's part: its set-up, one client's step, and its invariants.
pub trait Driver: Sync {
    fn system(&self) -> &'static str;
    fn setup(&self, client: &Client, log: &Log);
    /// The `n`th step of client `c` (`customer` is its token).
    fn step(&self, client: &Client, customer: &str, c: usize, n: usize, log: &Log);
    /// Whether every saga shows its outcome (quiescence, with the queues).
    fn settled(&self, client: &Client, log: &Log) -> bool;
    /// The invariants, checked once quiet: each violation with its ids.
    fn check(&self, client: &Client, log: &Log) -> Vec<String>;
}

/// The staff member every driver stocks and inspects with.
pub(crate) fn staff() -> String {
    token("bob", &["staff"])
}

/// Every page of a list, by its `Link` headers (a page that fails stops
/// the check: see the assertion).
pub fn all_pages(client: &Client, path: &str, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next = Some(path.to_owned());
    while let Some(path) = next.take() {
        let reply = client.get(&path, Some(token));
        // Lists are reads of a context's own table: nothing excuses a
        // failed page, and a list cut short would hide what it misses.
        assert_eq!(reply.status, 200, "GET {path} answered {}", reply.body);
        items.extend(reply.body.as_array().cloned().unwrap_or_default());
        // The link is relative to the list (`books?limit=…&cursor=…`).
        next = reply.next.map(|link| {
            let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
            format!("{dir}/{link}")
        });
    }
    items
}

/// Every queue of every system empty (a cheap read; each saga's outcome is
/// checked after it, which covers what is still in an outbox).
pub(crate) fn queues_quiet(client: &Client) -> bool {
    let queues = client.runner_get("/_local/queues").body;
    queues.as_array().into_iter().flatten().all(|q| q["depth"] == 0 && q["inFlight"] == 0 && q["deadLetters"] == 0)
}

fn injected(client: &Client, into: &mut BTreeMap<String, u64>) {
    let faults = client.runner_get("/_local/faults").body;
    for (kind, n) in faults["injected"].as_object().into_iter().flatten() {
        *into.entry(kind.clone()).or_default() += n.as_u64().unwrap_or(0);
    }
}

/// Runs the check; the report says what happened.
pub fn run(options: &CheckOptions, drivers: &[&dyn Driver]) -> Report {
    let drivers: Vec<&dyn Driver> = drivers
        .iter()
        .copied()
        .filter(|d| options.systems.is_empty() || options.systems.contains(&d.system()))
        .collect();
    let mut runner_options = RunnerOptions::on(options.backend);
    runner_options.in_memory = false;
    runner_options.faults = options.faults;
    let mut runner = Runner::start(runner_options);
    let logs: Vec<Log> = drivers.iter().map(|_| Log::default()).collect();
    for (driver, log) in drivers.iter().zip(&logs) {
        driver.setup(&runner.client(driver.system()), log);
    }
    let mut injected_total = BTreeMap::new();
    // One token per client for the whole run: the checker groups what a
    // customer made by the token that made it.
    let customers: Vec<Vec<String>> = drivers
        .iter()
        .map(|d| (0..options.clients.max(1)).map(|c| token(&format!("{}-customer-{c}", d.system()), &[])).collect())
        .collect();
    let waves = options.restarts + 1;
    let mut steps = vec![0usize; drivers.len() * options.clients.max(1)];
    for wave in 0..waves {
        let until = Instant::now() + Duration::from_secs(options.seconds);
        std::thread::scope(|scope| {
            let lanes = drivers.iter().zip(&logs).zip(&customers).zip(steps.chunks_mut(options.clients.max(1)));
            for (((driver, log), customers), steps) in lanes {
                for (c, n) in steps.iter_mut().enumerate() {
                    let client = runner.client(driver.system());
                    let customer = &customers[c];
                    scope.spawn(move || {
                        while Instant::now() < until {
                            driver.step(&client, customer, c, *n, log);
                            *n += 1;
                            std::thread::sleep(options.pace);
                        }
                    });
                }
            }
        });
        if wave + 1 < waves {
            injected(&runner.client("_"), &mut injected_total);
            runner = runner.kill_and_restart();
        }
    }
    let last_command = Instant::now();
    // Queues first (one cheap request), then the sagas' outcomes (many).
    let mut queues_quiet_ms = None;
    let quiet = eventually(options.quiescence, || {
        if !queues_quiet(&runner.client("_")) {
            return None;
        }
        queues_quiet_ms.get_or_insert(last_command.elapsed().as_millis());
        drivers.iter().zip(&logs).all(|(d, log)| d.settled(&runner.client(d.system()), log)).then_some(())
    });
    let quiescence_ms = quiet.map(|()| last_command.elapsed().as_millis());
    injected(&runner.client("_"), &mut injected_total);
    let mut violations = Vec::new();
    let mut commands = BTreeMap::new();
    for (driver, log) in drivers.iter().zip(&logs) {
        let client = runner.client(driver.system());
        let seen = log.violations.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect::<Vec<_>>();
        let found = driver.check(&client, log);
        violations.extend(seen.into_iter().chain(found).map(|v| format!("{}: {v}", driver.system())));
        for (endpoint, answers) in log.answers.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            commands.insert(format!("{} {endpoint}", driver.system()), answers.clone());
        }
    }
    if quiet.is_none() {
        violations.push(format!(
            "not quiet {} s after the last command: queues {}",
            options.quiescence.as_secs(),
            runner.client("_").runner_get("/_local/queues").body
        ));
    }
    Report {
        backend: format!("{:?}", options.backend).to_lowercase(),
        seconds_per_wave: options.seconds,
        clients_per_system: options.clients,
        faults: options.faults.map(str::to_owned),
        restarts: options.restarts,
        systems: drivers.iter().map(|d| d.system().to_owned()).collect(),
        commands,
        injected: injected_total,
        queues_quiet_ms,
        quiescence_ms,
        violations,
    }
}

/// A small deterministic choice per client and step (the load's mix).
pub(crate) fn pick(c: usize, n: usize, of: usize) -> usize {
    (c.wrapping_mul(7919) ^ n.wrapping_mul(104_729)).wrapping_mul(2_654_435_761) % of.max(1)
}

/// Sends the same `POST` twice at once (twin requests, as a double click
/// or a client's retry racing its first try) and logs both answers under
/// `endpoint`.
pub(crate) fn twins(client: &Client, log: &Log, endpoint: &str, path: &str, token: &str, body: &str) -> (Reply, Reply) {
    let (a, b) = std::thread::scope(|scope| {
        let first = scope.spawn(|| client.post(path, Some(token), body));
        let second = client.post(path, Some(token), body);
        (first.join().expect("a request"), second)
    });
    log.answered(endpoint, &a);
    log.answered(endpoint, &b);
    (a, b)
}
