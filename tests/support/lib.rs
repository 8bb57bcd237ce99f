//! Test support: the local runner as a separate process (as a user runs it),
//! an HTTP client, tokens, and waiting for eventual consistency.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod check;

pub const SECRET: &str = "acceptance-test-secret";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the repo").to_owned()
}

/// The runner binary next to this test binary (`cargo build -p local`
/// builds it; the README's test command does so first).
fn runner_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // Beside a binary (target/<profile>/x) or above a test (target/<profile>/deps/x).
    let beside = exe.parent().expect("a directory").join("local");
    let binary = if beside.exists() {
        beside
    } else {
        exe.parent().and_then(Path::parent).expect("target/<profile>").join("local")
    };
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build -p local --features aws` before the acceptance tests",
        binary.display()
    );
    binary
}

/// Which adapters the runner stands on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Backend {
    /// SQLite tables and broker (the default of `cargo run -p local`).
    Embedded,
    /// `--aws` against moto's server: DynamoDB (+ Streams), SNS, SQS.
    Moto,
}

impl Backend {
    /// How long a view may take to converge. The contract says a second
    /// locally; moto's streams and SQS long polling are slower, and CI is loaded.
    pub fn converge(self) -> Duration {
        match self {
            Self::Embedded => Duration::from_secs(5),
            Self::Moto => Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RunnerOptions {
    pub backend: Backend,
    /// Embedded only: keep everything in memory.
    pub in_memory: bool,
    pub visibility_timeout_ms: Option<u64>,
    /// The one system to serve (`--system`); the others stay off.
    pub system: Option<&'static str>,
    /// Stack parameter overrides (`--parameter Name=Value`).
    pub parameters: &'static [(&'static str, &'static str)],
    /// Faults to inject (`--faults`).
    pub faults: Option<&'static str>,
    /// `--check-events` (on for every test; a benchmark turns it off to time
    /// the runner as a user runs it).
    pub check_events: bool,
}

impl RunnerOptions {
    pub fn on(backend: Backend) -> Self {
        Self {
            backend,
            in_memory: true,
            visibility_timeout_ms: Some(200),
            system: None,
            parameters: &[],
            faults: None,
            check_events: true,
        }
    }

    /// Only `system` is served: its stories do not pay for the others.
    pub fn serving(mut self, system: &'static str) -> Self {
        self.system = Some(system);
        self
    }

    pub fn with_parameters(mut self, parameters: &'static [(&'static str, &'static str)]) -> Self {
        self.parameters = parameters;
        self
    }

    /// The runner misbehaves as AWS may (`--faults`, docs/local-runner.md).
    pub fn with_faults(mut self, faults: &'static str) -> Self {
        self.faults = Some(faults);
        self
    }
}

/// Each story runs on the embedded adapters and, with `--aws`, on moto.
#[macro_export]
macro_rules! on_both_backends {
    ($($story:ident),* $(,)?) => {
        mod embedded {
            $(#[test] fn $story() { super::$story($crate::Backend::Embedded) })*
        }
        mod moto {
            $(#[test] fn $story() { super::$story($crate::Backend::Moto) })*
        }
    };
}

/// A runner process on a free port; killed when dropped.
pub struct Runner {
    child: Child,
    pub pid: u32,
    pub base: String,
    pub data_dir: PathBuf,
    _data: Option<tempfile::TempDir>,
    options: RunnerOptions,
    /// Name prefix of this runner's resources on moto.
    prefix: String,
}

impl Runner {
    pub fn start(options: RunnerOptions) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let data_dir = data.path().to_owned();
        let prefix = format!("t{}", &framework::new_id()[24..]);
        let mut runner = Self::spawn(&data_dir, options, prefix);
        runner._data = Some(data);
        runner
    }

    fn spawn(data_dir: &Path, options: RunnerOptions, prefix: String) -> Self {
        // The runner writes to stderr only why it could not start (and a
        // panic): kept in a file, to say so if it never listens.
        let stderr_path = data_dir.join("runner.stderr");
        let stderr = std::fs::File::create(&stderr_path).expect("the runner's stderr file");
        let mut command = Command::new(runner_binary());
        command
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--template")
            .arg(repo_root().join("template.yaml"))
            .arg("--data-dir")
            .arg(data_dir)
            .env("LOCAL_JWT_SECRET", SECRET)
            // RUNNER_LOGS=1 shows the runner's warnings; RUNNER_LOGS=info (or any level) that level.
            .env("RUST_LOG", std::env::var("RUNNER_LOGS").ok().filter(|l| l != "1").unwrap_or_else(|| "warn".into()))
            .stdout(Stdio::piped())
            .stderr(stderr);
        match options.backend {
            Backend::Embedded if options.in_memory => {
                command.arg("--in-memory");
            }
            Backend::Embedded => {}
            Backend::Moto => {
                command
                    .args(["--aws", "--aws-prefix", &prefix])
                    .env("AWS_ENDPOINT_URL", aws_adapters::testing::moto_endpoint())
                    .env("AWS_ACCESS_KEY_ID", "testing")
                    .env("AWS_SECRET_ACCESS_KEY", "testing")
                    .env("AWS_REGION", "us-east-1");
            }
        }
        if options.check_events {
            // Every event a relay publishes is held to its published schema
            // (checked when the runner is dropped or killed).
            command.arg("--check-events");
        }
        if let Some(system) = options.system {
            command.arg("--system").arg(system);
        }
        for (name, value) in options.parameters {
            command.arg("--parameter").arg(format!("{name}={value}"));
        }
        if let Some(faults) = options.faults {
            command.arg("--faults").arg(faults);
        }
        if let Some(ms) = options.visibility_timeout_ms {
            command.arg("--visibility-timeout-ms").arg(ms.to_string());
        }
        let mut child = command.spawn().expect("runner starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        let mut lines = BufReader::new(stdout);
        // Log lines (JSON) may come first: relays start before the server
        // listens, and a restarted runner has a backlog to relay.
        while lines.read_line(&mut first).expect("runner prints its address") > 0 && first.starts_with('{') {
            first.clear();
        }
        // Keep reading its log lines (JSON on stdout): a closed pipe would
        // make every later log line fail to write.
        std::thread::spawn(move || {
            let mut line = String::new();
            while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                if std::env::var_os("RUNNER_LOGS").is_some() {
                    eprint!("{line}");
                }
                line.clear();
            }
        });
        let base = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                let said = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                panic!("the runner did not start (its first line: {first:?}); it said: {}", said.trim())
            })
            .to_owned();
        Self { pid: child.id(), child, base, data_dir: data_dir.to_owned(), _data: None, options, prefix }
    }

    /// What broke the contract among the events the relays published
    /// (`--check-events`): `None` when every one kept its schema.
    fn contract_broken(&self) -> Option<String> {
        if !self.options.check_events {
            return None;
        }
        let agent = agent(true);
        let read = || -> Result<Value, String> {
            let mut answer = agent.get(format!("{}/_local/contract", self.base)).call().map_err(|e| e.to_string())?;
            answer.body_mut().read_json().map_err(|e| e.to_string())
        };
        // Events still on their way out are checked as they go: read once
        // the count holds still (a relay hands an event over within a few ms).
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut report = match read() {
            Ok(report) => report,
            Err(e) => return Some(format!("the runner's contract report: {e}")),
        };
        loop {
            std::thread::sleep(Duration::from_millis(150));
            let next = match read() {
                Ok(next) => next,
                Err(e) => return Some(format!("the runner's contract report: {e}")),
            };
            let still = next["checked"] == report["checked"];
            report = next;
            if still || Instant::now() > deadline {
                break;
            }
        }
        let violations = report["violations"].as_array().cloned().unwrap_or_default();
        (!violations.is_empty()).then(|| {
            format!(
                "{} of {} published events broke their schemas (docs/contract/): {violations:#?}",
                violations.len(),
                report["checked"]
            )
        })
    }

    /// `kill -9`, then a new runner on the same data directory.
    pub fn kill_and_restart(mut self) -> Self {
        if let Some(broken) = self.contract_broken() {
            panic!("{broken}");
        }
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
        let options = self.options;
        let mut next = Self::spawn(&self.data_dir, options, self.prefix.clone());
        next._data = self._data.take();
        next
    }

    pub fn client(&self, system: &str) -> Client {
        Client { base: format!("{}/{system}", self.base), root: self.base.clone(), agent: agent(false) }
    }
}

/// An HTTP client whose every step (connect, send, answer, body) gives up
/// after 10 s. Not one overall timeout: with it, ureq resolves each
/// request's host (even `127.0.0.1`) on a thread of its own, to be able to
/// abandon the lookup, so every request started a thread; that was most of
/// the saga bench's own CPU.
fn agent(status_as_error: bool) -> ureq::Agent {
    let step = Some(Duration::from_secs(10));
    ureq::Agent::config_builder()
        .http_status_as_error(status_as_error)
        .timeout_connect(step)
        .timeout_send_request(step)
        .timeout_send_body(step)
        .timeout_recv_response(step)
        .timeout_recv_body(step)
        .build()
        .into()
}

impl Drop for Runner {
    fn drop(&mut self) {
        // Not while a test is failing already: its own message comes first.
        let checked = !std::thread::panicking() && matches!(self.child.try_wait(), Ok(None));
        let broken = if checked { self.contract_broken() } else { None };
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(broken) = broken {
            panic!("{broken}");
        }
    }
}

pub fn token(sub: &str, groups: &[&str]) -> String {
    let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    local::auth::Authorizer::new(SECRET.as_bytes()).mint(sub, &groups, 600)
}

/// A token signed with another key.
pub fn forged_token(sub: &str) -> String {
    local::auth::Authorizer::new(b"not-the-runner-key").mint(sub, &[], 600)
}

/// A token that expired a minute ago.
pub fn expired_token(sub: &str) -> String {
    local::auth::Authorizer::new(SECRET.as_bytes()).mint_at(sub, &[], framework::now_secs() - 120, 60)
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// The `Link: <…>; rel="next"` target of a list page, if any.
    pub next: Option<String>,
}

impl Reply {
    /// The contract's error code, if this is an error.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub struct Client {
    pub base: String,
    root: String,
    agent: ureq::Agent,
}

impl Client {
    /// The system this client speaks to.
    pub fn system(&self) -> &str {
        self.base.strip_prefix(&self.root).unwrap_or_default().trim_start_matches('/')
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        read(request.call())
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &str) -> Reply {
        let mut request = self.agent.post(format!("{}{path}", self.base)).header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        read(request.send(body))
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.agent.delete(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        read(request.call())
    }

    pub fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.post(path, token, &body.to_string())
    }

    /// Follows a stream of server-sent events of the runner's own API: each
    /// `data:` line, parsed, is pushed to the list as it arrives (the
    /// subscription is live when this returns).
    pub fn runner_stream(&self, path: &str) -> std::sync::Arc<std::sync::Mutex<Vec<Value>>> {
        // No overall timeout: the stream lasts as long as the runner.
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let answer = agent.get(format!("{}{path}", self.root)).call().expect("the stream answers");
        assert_eq!(answer.status(), 200);
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = seen.clone();
        let reader = BufReader::new(answer.into_body().into_reader());
        // Ends when the runner goes away with its end of the stream.
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if let Some(data) = line.strip_prefix("data:")
                    && let Ok(step) = serde_json::from_str::<Value>(data.trim())
                {
                    into.lock().unwrap().push(step);
                }
            }
        });
        seen
    }

    /// Calls the runner's own API (`/health`, `/_local/...`).
    pub fn runner_post(&self, path: &str, body: &str) -> Reply {
        read(self.agent.post(format!("{}{path}", self.root)).header("content-type", "application/json").send(body))
    }

    /// A `POST` to the runner's own API with the headers given (no others).
    pub fn runner_post_with(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut request = self.agent.post(format!("{}{path}", self.root));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send(body))
    }

    pub fn runner_get(&self, path: &str) -> Reply {
        read(self.agent.get(format!("{}{path}", self.root)).call())
    }
}

fn read(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = result.expect("the runner answers");
    let status = response.status().as_u16();
    let next = response
        .headers()
        .get("link")
        .and_then(|l| l.to_str().ok())
        .filter(|l| l.ends_with("rel=\"next\""))
        .and_then(|l| Some(l.strip_prefix('<')?.split('>').next()?.to_owned()));
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, body, next }
}

/// One system served by its own runner, and the people who call it: bob
/// (staff), alice and carol (customers). A test's `World` derefs to it.
pub struct Stage {
    /// Kept alive for the test; dropped, it stops the runner.
    _runner: Runner,
    /// How long a saga may take to settle on this backend.
    pub converge: Duration,
    pub client: Client,
    pub staff: String,
    pub alice: String,
    pub carol: String,
}

impl Stage {
    pub fn new(options: RunnerOptions) -> Self {
        let system = options.system.expect("a stage serves one system (RunnerOptions::serving)");
        let converge = options.backend.converge();
        let runner = Runner::start(options);
        Self {
            client: runner.client(system),
            _runner: runner,
            converge,
            staff: token("bob", &["staff"]),
            alice: token("alice", &[]),
            carol: token("carol", &[]),
        }
    }

    /// `GET path` as `token`, which must answer 200; its body.
    pub fn get(&self, token: &str, path: &str) -> Value {
        let reply = self.client.get(path, Some(token));
        assert_eq!(reply.status, 200, "GET {path}: {reply:?}");
        reply.body
    }

    /// Nothing left to do for the running contexts: see [`quiet`].
    pub fn queues_settled(&self) -> bool {
        quiet(&self.client, Scope::Running)
    }

    /// Waits (up to `converge`) until the queues are settled.
    pub fn wait_settled(&self) {
        let settled = eventually(self.converge, || self.queues_settled().then_some(()));
        assert!(
            settled.is_some(),
            "never settled: outboxes {:?}, queues {:?}",
            self.client.runner_get("/_local/outboxes").body,
            self.client.runner_get("/_local/queues").body
        );
    }
}

/// Which contexts [`quiet`] waits for.
#[derive(Clone, Copy, PartialEq)]
pub enum Scope {
    /// Only those running (a test stopped the others on purpose).
    Running,
    /// All of them.
    All,
}

/// Nothing left to do in the client's system: every queue empty with
/// nothing in flight and no dead letters, every outbox relayed, and the queues empty again, all seen twice
/// 50 ms apart. Queues alone are not enough: an event still in its outbox is
/// on no queue yet. An event leaves its outbox only once it is on the
/// queues, so outboxes empty and then queues empty means every event
/// committed before the outboxes were read has been handled; the second
/// round catches what a handler committed meanwhile. The queues come first
/// because they are the cheap read: while a system is busy, the outboxes
/// (a query per shard) are not read at all.
pub fn quiet(client: &Client, scope: Scope) -> bool {
    let running = |row: &Value, flag: &str| scope == Scope::All || row[flag] == true;
    let queues_empty = || {
        let queues = client.runner_get("/_local/queues").body;
        queues.as_array().is_some_and(|rows| {
            rows.iter()
                .filter(|q| q["system"] == client.system() && running(q, "consuming"))
                .all(|q| q["depth"] == 0 && q["inFlight"] == 0 && q["deadLetters"] == 0)
        })
    };
    let relayed = || {
        let outboxes = client.runner_get(&format!("/_local/outboxes?system={}", client.system())).body;
        outboxes
            .as_array()
            .is_some_and(|rows| rows.iter().filter(|o| running(o, "relaying")).all(|o| o["waiting"] == 0))
    };
    let once = || queues_empty() && relayed() && queues_empty();
    once() && {
        std::thread::sleep(Duration::from_millis(50));
        once()
    }
}

/// Circuit settings small enough that a circuit opens and closes within a
/// test, with room for moto, which answers the DynamoDB requests of every
/// test of a run one at a time: a callee's commit there has taken over
/// 400 ms on a loaded machine (the call timeout), and the few requests
/// between a circuit opening and the next attempt over a second (the open
/// period, which the next attempt must fall into).
pub const FAST_CIRCUIT: &[(&str, &str)] =
    &[("CircuitFailureThreshold", "3"), ("CircuitOpenSeconds", "3"), ("CallTimeoutMs", "1200")];

/// Polls `probe` until it yields `Some`, for up to `within`.
pub fn eventually<T>(within: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One row of a bad-input matrix: `(method, path, token, body, status,
/// code, field)`; an empty `code` skips the body check (a `2xx` row).
pub type Case<'a> = (&'a str, String, Option<&'a str>, &'a str, u16, &'a str, Option<&'a str>);

/// The `401` rows for each route: no token, a forged one, an expired one.
pub fn unauthorized_cases<'a>(
    routes: &'a [(&'a str, String, &'a str)],
    forged: &'a str,
    expired: &'a str,
) -> Vec<Case<'a>> {
    let mut cases = Vec::new();
    for (method, path, body) in routes {
        for token in [None, Some(forged), Some(expired)] {
            cases.push((*method, path.clone(), token, *body, 401, "unauthorized", None));
        }
    }
    cases
}

/// Sends every case and checks its status, the contract's error code and
/// human message, and the field a `400` names.
pub fn check_matrix(client: &Client, cases: &[Case<'_>]) {
    for (method, path, token, body, status, code, field) in cases {
        let reply = match *method {
            "GET" => client.get(path, *token),
            "POST" => client.post(path, *token, body),
            _ => client.delete(path, *token),
        };
        let label = format!("{method} {path} token={} body={body}", token.map_or("none", |_| "some"));
        assert_eq!(reply.status, *status, "{label}: {reply:?}");
        if !code.is_empty() {
            assert_eq!(reply.code(), *code, "{label}: {reply:?}");
            assert!(reply.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{label}: a human message");
        }
        if let Some(field) = field {
            assert_eq!(reply.body["error"]["field"], *field, "{label}: names the field");
        }
    }
}
