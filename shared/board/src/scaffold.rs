//! `cargo board new-context <system> <context>`: a new bounded context that
//! builds and passes its tests at once: its board entry (a new board when
//! the system has none), its crate in the one layout (aggregate with a
//! first given/when/then test, a typed command and query with a test of
//! their own, their routes), then the generated files as
//! `cargo board generate` writes them.

use std::path::{Path, PathBuf};

use crate::{Board, pascal};

/// What to create.
pub struct NewContext<'a> {
    pub system: &'a str,
    pub context: &'a str,
    /// The seed and title of a new system (its board does not exist yet).
    pub seed: Option<&'a str>,
    pub title: Option<&'a str>,
}

/// The names a context's code uses, from its kebab-case name.
struct Names {
    system: String,
    context: String,
    /// `payment-card` → `PaymentCard`: the aggregate and its events.
    aggregate: String,
    /// `payment_card`: the aggregate's module and the id field's stem.
    module: String,
    /// `paymentCardId`: the path parameter and the JSON field.
    id_param: String,
    /// `payment-cards`: the collection in routes.
    plural: String,
    krate: String,
}

impl Names {
    fn of(system: &str, context: &str) -> Self {
        let aggregate = pascal(context);
        let module = context.replace('-', "_");
        let mut id_param = aggregate.clone();
        id_param[..1].make_ascii_lowercase();
        id_param.push_str("Id");
        Self {
            system: system.to_owned(),
            context: context.to_owned(),
            aggregate,
            module,
            id_param,
            plural: format!("{context}s"),
            krate: format!("{system}-{context}"),
        }
    }

    fn fill(&self, template: &str) -> String {
        template
            .replace("{system}", &self.system)
            .replace("{context}", &self.context)
            .replace("{Aggregate}", &self.aggregate)
            .replace("{module}", &self.module)
            .replace("{idParam}", &self.id_param)
            .replace("{plural}", &self.plural)
            .replace("{crate}", &self.krate)
            .replace("{crate_}", &self.krate.replace('-', "_"))
    }
}

/// Creates the context; returns the files written, or why it cannot.
pub fn new_context(repo: &Path, request: &NewContext<'_>) -> Result<Vec<PathBuf>, String> {
    let names = Names::of(request.system, request.context);
    let system_dir = repo.join("functions").join(request.system);
    let board_path = system_dir.join("board.yaml");
    let crate_dir = system_dir.join(request.context);
    if crate_dir.exists() {
        return Err(format!("{} exists already", crate_dir.display()));
    }
    let board_text = match std::fs::read_to_string(&board_path) {
        Ok(text) => text,
        Err(_) => {
            let (Some(seed), Some(title)) = (request.seed, request.title) else {
                return Err(format!("{} has no board yet: give --seed and --title to start one", request.system));
            };
            names.fill(NEW_BOARD).replace("{seed}", seed).replace("{title}", title)
        }
    };
    let mut board_text = board_text;
    if !board_text.ends_with('\n') {
        board_text.push('\n');
    }
    board_text.push_str(&names.fill(BOARD_ENTRY));
    let board: Board = serde_yaml_ng::from_str(&board_text).map_err(|e| format!("the board would not read: {e}"))?;
    let problems = board.problems();
    if !problems.is_empty() {
        return Err(format!("the board would not hold:\n  - {}", problems.join("\n  - ")));
    }
    let files = [
        ("Cargo.toml", CARGO_TOML),
        ("src/main.rs", MAIN_RS),
        ("src/lib.rs", LIB_RS),
        ("src/aggregate.rs", AGGREGATE_RS),
        ("src/commands.rs", COMMANDS_RS),
        ("src/queries.rs", QUERIES_RS),
        ("src/routes.rs", ROUTES_RS),
    ];
    std::fs::create_dir_all(crate_dir.join("src")).map_err(|e| e.to_string())?;
    let mut written = vec![board_path.clone()];
    std::fs::write(&board_path, board_text).map_err(|e| e.to_string())?;
    for (path, template) in files {
        let path = if path == "src/aggregate.rs" { format!("src/{}.rs", names.module) } else { path.to_owned() };
        let target = crate_dir.join(path);
        std::fs::write(&target, names.fill(template)).map_err(|e| e.to_string())?;
        written.push(target);
    }
    Ok(written)
}

/// Removes a context: its board entry (the whole board and its samples when
/// it was the last context), its crate and its samples. Run as one command,
/// because cargo cannot load the workspace while the generated list of
/// contexts names a crate that is gone: the caller regenerates before the
/// crate is deleted.
pub fn remove_context_entry(repo: &Path, system: &str, context: &str) -> Result<Option<String>, String> {
    let board_path = repo.join("functions").join(system).join("board.yaml");
    let text = std::fs::read_to_string(&board_path).map_err(|e| format!("{}: {e}", board_path.display()))?;
    let header = format!("  {context}:");
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| *l == header).ok_or_else(|| format!("{system} has no context {context}"))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.starts_with("  ") && !l.starts_with("   ") && !l.trim_start().starts_with('#'))
        .map_or(lines.len(), |i| start + 1 + i);
    // Blank lines and comments just above the entry go with it.
    let mut from = start;
    while from > 0 && (lines[from - 1].trim().is_empty() || lines[from - 1].starts_with("  #")) {
        from -= 1;
    }
    let kept: Vec<&str> = lines[..from].iter().chain(&lines[end..]).copied().collect();
    let remaining = kept.join("\n") + "\n";
    let board: Board = serde_yaml_ng::from_str(&remaining).map_err(|e| format!("the board would not read: {e}"))?;
    if board.contexts.is_empty() {
        std::fs::remove_file(&board_path).map_err(|e| e.to_string())?;
        return Ok(None);
    }
    std::fs::write(&board_path, &remaining).map_err(|e| e.to_string())?;
    Ok(Some(remaining))
}

const NEW_BOARD: &str = "\
# {system} (seed {seed}): {title}.
#
# The system's event-storming board, the one place it is stated.
# `cargo board generate` writes stacks/{system}.yaml from it;
# `cargo test -p board` fails when that stack is stale, and
# `cargo test -p acceptance --test board` when the code has a sticky the
# board has not (or lacks one it has). docs/board.md explains every field.

system: {system}
seed: \"{seed}\"
title: {title}

contexts:
";

const BOARD_ENTRY: &str = "
  {context}:
    about: What the {context} context is for, in one sentence.
    aggregates:
      {Aggregate}:
        events: [{Aggregate}Registered]
    commands:
      register-{context}:
        route: POST /{plural}
        who: customer
        emits: [{Aggregate}Registered]
    queries:
      get-{context}: {route: \"GET /{plural}/{{idParam}}\", who: owner}
";

const CARGO_TOML: &str = "\
[package]
name = \"{crate}\"
description = \"{system}: the {context} bounded context.\"
version = \"0.1.0\"
edition.workspace = true
rust-version.workspace = true
license.workspace = true
publish.workspace = true

[lib]
path = \"src/lib.rs\"

[[bin]]
name = \"{crate}\"
path = \"src/main.rs\"
required-features = [\"lambda\"]

[features]
# The Lambda binary (the AWS adapters); the local runner links the library alone.
default = [\"lambda\"]
lambda = [\"dep:aws-adapters\", \"dep:lambda_runtime\"]

[dependencies]
framework.workspace = true
serde.workspace = true
serde_json.workspace = true
schemars.workspace = true
strum.workspace = true
thiserror.workspace = true
tracing.workspace = true
lambda_http.workspace = true
aws-adapters = { workspace = true, optional = true }
lambda_runtime = { workspace = true, optional = true }
tokio.workspace = true

[dev-dependencies]
tokio.workspace = true
embedded.workspace = true
";

const MAIN_RS: &str = "\
//! The Lambda binary of this context; `Handler` (`_HANDLER`) picks the function.

fn main() -> Result<(), lambda_runtime::Error> {
    aws_adapters::main({crate_}::FUNCTIONS)
}
";

const LIB_RS: &str = "\
//! {system} · **{context}** context. Its board is `functions/{system}/board.yaml`.
//!
//! | sticky | here |
//! |---|---|
//! | aggregate `{Aggregate}` and its events | [`{module}`] |
//! | command `register-{context}` | [`commands`] |
//! | query `get-{context}` | [`queries`] |
//! | their routes | [`routes`] |

pub mod commands;
pub mod queries;
pub mod routes;
pub mod {module};

use framework::aggregate::{AggregateSticky, sticky};
use framework::{Function, Functions, Sticky};

/// The `source` of this context's events.
pub const SOURCE: &str = \"{context}\";

/// The context's aggregates (yellow stickies) with their events.
pub const AGGREGATES: &[AggregateSticky] = &[sticky::<{module}::{Aggregate}>()];

/// Each function of the context, by its Lambda `Handler` name.
pub const FUNCTIONS: Functions = &[
    Sticky { name: \"register-{context}\", make: |name, deps| Function::http(name, deps.table, routes::register) },
    Sticky { name: \"get-{context}\", make: |name, deps| Function::http(name, deps.table, routes::get) },
];
";

const AGGREGATE_RS: &str = "\
//! The {Aggregate} aggregate (yellow sticky): pure, no I/O.

use framework::Aggregate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::Display, schemars::JsonSchema)]
#[schemars(rename = \"{Aggregate}Status\")]
pub enum Status {
    Registered,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = \"camelCase\")]
pub struct {Aggregate} {
    pub id: String,
    pub customer_id: String,
    /// `None` before it is registered.
    pub status: Option<Status>,
}

#[derive(Debug, Clone)]
pub enum Command {
    Register { id: String, customer_id: String },
}

/// The {context} context's published language (its schemas: `cargo contract generate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::VariantNames, schemars::JsonSchema)]
#[serde(tag = \"type\", content = \"data\", rename_all_fields = \"camelCase\")]
pub enum {Aggregate}Event {
    {Aggregate}Registered { id: String, customer_id: String },
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum {Aggregate}Error {
    #[error(\"it is registered already\")]
    AlreadyRegistered,
}

impl Aggregate for {Aggregate} {
    const TYPE: &'static str = \"{Aggregate}\";
    type Command = Command;
    type Event = {Aggregate}Event;
    type Error = {Aggregate}Error;

    fn handle(&self, command: Command) -> Result<Vec<{Aggregate}Event>, {Aggregate}Error> {
        match (command, self.status) {
            (Command::Register { id, customer_id }, None) => Ok(vec![{Aggregate}Event::{Aggregate}Registered { id, customer_id }]),
            (Command::Register { .. }, Some(_)) => Err({Aggregate}Error::AlreadyRegistered),
        }
    }

    fn apply(&mut self, event: &{Aggregate}Event) {
        match event {
            {Aggregate}Event::{Aggregate}Registered { id, customer_id } => {
                *self = Self { id: id.clone(), customer_id: customer_id.clone(), status: Some(Status::Registered) }
            }
        }
    }

    fn owner(&self) -> Option<&str> {
        Some(&self.customer_id)
    }
}

#[cfg(test)]
mod tests {
    use framework::aggregate::given;

    use super::*;

    fn register() -> Command {
        Command::Register { id: \"x1\".into(), customer_id: \"alice\".into() }
    }

    #[test]
    fn registering_raises_registered() {
        let state = given::<{Aggregate}>([])
            .when(register())
            .then_expect(vec![{Aggregate}Event::{Aggregate}Registered { id: \"x1\".into(), customer_id: \"alice\".into() }]);
        assert_eq!(state.status, Some(Status::Registered));
    }

    #[test]
    fn registering_twice_is_refused() {
        let registered = {Aggregate}Event::{Aggregate}Registered { id: \"x1\".into(), customer_id: \"alice\".into() };
        assert_eq!(given::<{Aggregate}>([registered]).when(register()).then_refuse(), {Aggregate}Error::AlreadyRegistered);
    }
}
";

const COMMANDS_RS: &str = "\
//! Blue stickies of the {context} context as typed commands: what a route
//! (or a test) hands in, what the context decides. Nothing of HTTP here.

use framework::Origin;
use framework::commit::execute;
use framework::http::Caller;
use framework::refusal::Refused;
use framework::store::Table;

use crate::SOURCE;
use crate::{module}::{Command, {Aggregate}, {Aggregate}Error};

pub type Outcome<T> = Result<T, Refused<{Aggregate}Error>>;

/// `register-{context}`: a new {Aggregate}, the caller's.
pub async fn register(table: &dyn Table, caller: &Caller) -> Outcome<{Aggregate}> {
    let id = framework::new_id();
    let origin = Origin { source: SOURCE, correlation_id: id.clone() };
    let done = execute::<{Aggregate}, _>(table, &id, &origin, None, |_| Command::Register {
        id: id.clone(),
        customer_id: caller.sub.clone(),
    })
    .await?;
    Ok(done.aggregate.state)
}

#[cfg(test)]
mod tests {
    use embedded::SqliteTable;

    use super::*;
    use crate::queries;

    fn customer(sub: &str) -> Caller {
        Caller { sub: sub.into(), groups: vec![] }
    }

    #[tokio::test]
    async fn what_a_customer_registers_only_they_can_read() {
        let table = SqliteTable::open(None).unwrap();
        let registered = register(&table, &customer(\"alice\")).await.unwrap();
        assert_eq!(queries::get(&table, &customer(\"alice\"), &registered.id).await, Ok(registered.clone()));
        assert_eq!(
            queries::get(&table, &customer(\"carol\"), &registered.id).await,
            Err(Refused::NotOwner { what: \"{Aggregate}\" })
        );
    }
}
";

const QUERIES_RS: &str = "\
//! The {context} context's queries, typed.

use framework::http::Caller;
use framework::refusal::owned;
use framework::store::Table;

use crate::commands::Outcome;
use crate::{module}::{Aggregate};

/// `get-{context}`: the owner's.
pub async fn get(table: &dyn Table, caller: &Caller, id: &str) -> Outcome<{Aggregate}> {
    Ok(owned::<{Aggregate}>(table, id, caller).await?.state)
}
";

const ROUTES_RS: &str = "\
//! The routes of the {context} context: each turns its request into a typed
//! command or query, and the outcome into the contract's JSON. The
//! context's own refusals become the contract's errors here, in one place.

use std::sync::Arc;

use framework::api::Api;
use framework::http::{self, ApiError, Caller};
use framework::store::Table;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use crate::{module}::{Status, {Aggregate}, {Aggregate}Error};
use crate::{commands, queries};

type Reply = Result<Response<Body>, ApiError>;

impl From<{Aggregate}Error> for ApiError {
    fn from(e: {Aggregate}Error) -> Self {
        match e {
            {Aggregate}Error::AlreadyRegistered => ApiError::conflict(\"invalid_state\", \"It is registered already.\"),
        }
    }
}

/// A {Aggregate} as the contract shows it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = \"camelCase\")]
#[schemars(rename = \"{Aggregate}\")]
struct View<'a> {
    {module}_id: &'a str,
    status: Option<Status>,
}

impl<'a> From<&'a {Aggregate}> for View<'a> {
    fn from(x: &'a {Aggregate}) -> Self {
        Self { {module}_id: &x.id, status: x.status }
    }
}

/// The routes as the published contract states them (`cargo contract generate`).
pub const API: &[Api] = &[
    Api::created::<View>(\"register-{context}\", \"Register a {Aggregate}\").refuses(&[409]),
    Api::ok::<View>(\"get-{context}\", \"One of one's {Aggregate}s\"),
];

/// `POST /{plural}` → 201 with `Location`.
pub async fn register(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let registered = commands::register(&*table, &caller).await?;
    http::created(&format!(\"/{plural}/{}\", registered.id), &View::from(&registered))
}

/// `GET /{plural}/{{idParam}}`, owner only.
pub async fn get(table: Arc<dyn Table>, request: Request) -> Reply {
    let caller = Caller::of(&request)?;
    let id = http::path_param(&request, \"{idParam}\")?;
    http::ok(&View::from(&queries::get(&*table, &caller, &id).await?))
}
";
