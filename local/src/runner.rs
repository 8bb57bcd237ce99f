//! Starts the runner: reads the template, wires every system onto the
//! adapters, starts the relays, sweeps and consumers, and serves the HTTP
//! routes and the control API. Each job has its module:
//!
//! | job | module |
//! |---|---|
//! | what the template says | [`crate::template`] |
//! | tables and queues (embedded; `--aws` in [`crate::aws`]) | `provision` |
//! | functions built from their context crates, onto their triggers | `wiring` |
//! | HTTP routes through the JWT check, as API Gateway | `gateway` |
//! | outbox → topic, and the sweep | `relays` |
//! | queue → policy, batch by batch | `consumers` |
//! | synchronous calls between contexts | `calls` |
//! | the fault switches, and `/_local` | `control`, `control_api` |
//! | the published contract's documents | `contract` |
//! | the live board's feed | `activity` |

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::MethodRouter;

use crate::auth::Authorizer;
use crate::backend::Queues;
use crate::consumers::{Consumer, consume};
use crate::control::Control;
use crate::relays::{Outbox, SWEEP_EVERY, relay, sweep_every};
use crate::template;
use crate::wiring::{Wiring, wire_system};

#[derive(Debug, Clone)]
pub struct Config {
    pub template: PathBuf,
    pub data_dir: PathBuf,
    pub in_memory: bool,
    pub bind: SocketAddr,
    /// Overrides every queue's visibility timeout (how long a failed
    /// message waits before it is retried).
    pub visibility_timeout: Option<Duration>,
    pub backend: Backend,
    /// Batches of one queue handled at once, as Lambda scales an SQS event
    /// source out over concurrent invocations.
    pub pollers_per_queue: usize,
    /// Stack parameter overrides (`CircuitOpenSeconds=2`), as
    /// `sam deploy --parameter-overrides` would pass them.
    pub parameters: HashMap<String, String>,
    /// Only these systems (empty: all of the template).
    pub systems: Vec<String>,
    /// Faults to inject from the start (`--faults`).
    pub faults: crate::faults::FaultPlan,
    /// Validate every event the relays publish against its published
    /// schema (`--check-events`; a runner built with `check-events`).
    pub check_events: bool,
}

#[derive(Debug, Clone)]
pub enum Backend {
    /// SQLite tables and broker (in `data_dir`, or in memory).
    Embedded,
    /// DynamoDB, SNS and SQS at the SDK's endpoint; resources named
    /// `<prefix>-<system>-<LogicalId>` (the `aws` feature).
    #[cfg(feature = "aws")]
    Aws { config: Box<aws_config::SdkConfig>, prefix: String },
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    #[error("{0}")]
    Wiring(String),
    #[error("storage: {0}")]
    Storage(String),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

pub(crate) struct SystemRuntime {
    pub(crate) name: String,
    pub(crate) queues: Arc<dyn Queues>,
}

pub(crate) struct Shared {
    /// The folder of the template: the boards and the contract beside it.
    pub(crate) root: PathBuf,
    /// Mints the page's sign-in tokens (`POST /_local/token`).
    pub(crate) authorizer: Authorizer,
    /// The live board's feed (`GET /_local/activity`).
    pub(crate) activity: Arc<crate::activity::Feed>,
    /// `--check-events`: what the relays published, held to the contract.
    #[cfg(feature = "check-events")]
    pub(crate) events_checked: Option<Arc<crate::contract::check::Checker>>,
    pub(crate) systems: Vec<SystemRuntime>,
    pub(crate) consumers: Vec<Arc<Consumer>>,
    /// Every function's context, by system: what `/_local` may address.
    pub(crate) contexts: HashSet<(String, String)>,
    pub(crate) control: Arc<Control>,
    pub(crate) circuits: framework::call::Circuits,
    pub(crate) outboxes: Vec<Outbox>,
}

pub struct Running {
    pub addr: SocketAddr,
    pub server: tokio::task::JoinHandle<()>,
}

pub async fn start(config: Config, authorizer: Authorizer) -> Result<Running, StartError> {
    let mut systems = template::load_with(&config.template, &config.parameters)?;
    if !config.systems.is_empty() {
        if let Some(unknown) = config.systems.iter().find(|name| !systems.iter().any(|s| &&s.name == name)) {
            return Err(StartError::Wiring(format!("no system {unknown} in the template")));
        }
        systems.retain(|s| config.systems.contains(&s.name));
    }
    let mut runtimes = Vec::new();
    let mut consumers = Vec::new();
    let mut routes: BTreeMap<String, MethodRouter<()>> = BTreeMap::new();
    let mut relays = Vec::new();
    let control = Arc::new(Control::default());
    control.faults.set_plan(config.faults.clone());
    let circuits = framework::call::Circuits::default();
    let activity = Arc::new(crate::activity::Feed::default());
    let wiring = Wiring {
        config: &config,
        authorizer: &authorizer,
        control: &control,
        circuits: &circuits,
        activity: &activity,
    };
    for system in &systems {
        let (runtime, system_consumers, system_relays) = wire_system(system, &wiring, &mut routes).await?;
        runtimes.push(runtime);
        consumers.extend(system_consumers);
        relays.extend(system_relays);
    }
    let contexts =
        systems.iter().flat_map(|s| s.functions.iter().map(|f| (s.name.clone(), f.context.clone()))).collect();
    let (streams, mut outboxes): (Vec<_>, Vec<_>) = relays.into_iter().unzip();
    let root = config.template.parent().map(PathBuf::from).unwrap_or_default();
    let names: Vec<String> = systems.iter().map(|s| s.name.clone()).collect();
    #[cfg(feature = "check-events")]
    let events_checked = match config.check_events {
        true => Some(Arc::new(crate::contract::check::Checker::load(&root, &names).map_err(StartError::Wiring)?)),
        false => None,
    };
    #[cfg(not(feature = "check-events"))]
    if config.check_events {
        return Err(StartError::Wiring(
            "this runner was built without `check-events`: `cargo run -p local --features check-events`".into(),
        ));
    }
    // Every way out of an outbox (the relay, the sweep) is watched by the
    // feed and, with `--check-events`, held to the contract.
    for outbox in &mut outboxes {
        let inner = outbox.topic.clone();
        #[cfg(feature = "check-events")]
        let inner = match &events_checked {
            Some(checker) => Arc::new(crate::contract::check::CheckedTopic {
                inner,
                checker: checker.clone(),
                system: outbox.system.clone(),
            }),
            None => inner,
        };
        outbox.topic =
            Arc::new(crate::activity::WatchedTopic { inner, feed: activity.clone(), system: outbox.system.clone() });
    }
    let shared = Arc::new(Shared {
        root: root.clone(),
        authorizer: authorizer.clone(),
        activity,
        #[cfg(feature = "check-events")]
        events_checked,
        systems: runtimes,
        consumers,
        contexts,
        control,
        circuits,
        outboxes,
    });
    for (stream, outbox) in streams.into_iter().zip(&shared.outboxes) {
        let owner = (outbox.system.clone(), outbox.context.clone());
        let dice = shared.control.faults.dice(&format!("relay:{}/{}", outbox.system, outbox.context));
        let inner = outbox.topic.clone();
        let topic = Arc::new(crate::faults::FaultyTopic { inner, dice: Mutex::new(dice) });
        tokio::spawn(relay(owner, stream, topic, shared.clone()));
    }
    tokio::spawn(sweep_every(SWEEP_EVERY, shared.clone()));
    let mut consuming: Vec<(String, String)> =
        shared.consumers.iter().map(|c| (c.system.clone(), c.context.clone())).collect();
    consuming.sort();
    consuming.dedup();
    tokio::spawn(crate::faults::stop_now_and_then(shared.control.clone(), consuming));
    for consumer in &shared.consumers {
        let queues = shared
            .systems
            .iter()
            .find(|s| s.name == consumer.system)
            .map(|s| s.queues.clone())
            .expect("consumer of a known system");
        for poller in 0..config.pollers_per_queue.max(1) {
            let dice = shared.control.faults.dice(&format!("{}/{}#{poller}", consumer.system, consumer.queue));
            tokio::spawn(consume(consumer.clone(), queues.clone(), shared.clone(), dice));
        }
    }
    let app = crate::gateway::router(routes)
        .merge(crate::contract::router(&root, &names))
        .merge(crate::control_api::router(shared.clone(), config.bind))
        .fallback(crate::gateway::unknown_route);
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running { addr, server })
}
