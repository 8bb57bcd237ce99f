//! The event-storming board of a system: `functions/<system>/board.yaml`.
//!
//! A board is the one place a system is stated: its bounded contexts and, in
//! each, the aggregates (yellow) with the events they publish (orange), the
//! commands (blue) and queries with their route and who may call them, the
//! policies (lilac) and views (green) with the events they react to, and the
//! internal functions other contexts call synchronously. The deployable
//! stacks and the list of contexts the runner serves are generated from the
//! boards ([`generate`]); a test checks the code against them.

pub mod generate;
pub mod samples;
pub mod scaffold;

use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

/// One system's board.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// The system's name: its folder under `functions/`, its URL prefix on
    /// the local runner, its stack's file name.
    pub system: String,
    /// The seed it restates (`"001"`).
    pub seed: String,
    pub title: String,
    /// Bounded contexts, in the order the stack lists them.
    pub contexts: IndexMap<String, Context>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// One sentence: what the context is for.
    pub about: String,
    #[serde(default)]
    pub aggregates: IndexMap<String, Aggregate>,
    #[serde(default)]
    pub commands: IndexMap<String, Command>,
    #[serde(default)]
    pub queries: IndexMap<String, Query>,
    #[serde(default)]
    pub policies: IndexMap<String, Policy>,
    #[serde(default)]
    pub views: IndexMap<String, View>,
    /// Functions with no route and no queue, which other contexts' commands
    /// call synchronously (through a circuit breaker).
    #[serde(default)]
    pub internal: IndexMap<String, Internal>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregate {
    /// The events it publishes to the system's topic: the context's
    /// published language.
    #[serde(default)]
    pub events: Vec<String>,
    /// Events it keeps in its own history without publishing them (what it
    /// learned from others, e.g. `DeliveryFollowed`).
    #[serde(default)]
    pub recorded: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Command {
    pub route: Route,
    pub who: Who,
    /// The events it may publish.
    #[serde(default)]
    pub emits: Vec<String>,
    /// The internal function it calls before it decides (`context.function`).
    #[serde(default)]
    pub calls: Option<Call>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    pub route: Route,
    pub who: Who,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The events it reacts to, by the context that publishes them.
    pub on: IndexMap<String, Vec<String>>,
    #[serde(default)]
    pub emits: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    /// The events that feed it, by the context that publishes them.
    pub on: IndexMap<String, Vec<String>>,
    /// The commands and queries of this context that read it.
    #[serde(default, rename = "read-by")]
    pub read_by: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Internal {
    #[serde(default)]
    pub emits: Vec<String>,
}

/// Who may call a route. Every route needs a valid token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Who {
    /// Any signed-in user.
    User,
    /// A signed-in user acting for themselves (the item is theirs by the token).
    Customer,
    /// The user who owns the addressed item; anyone else gets `403`.
    Owner,
    /// Users in the `staff` group; anyone else gets `403`.
    Staff,
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::User => "user",
            Self::Customer => "customer",
            Self::Owner => "owner",
            Self::Staff => "staff",
        })
    }
}

/// `POST /reservations/{reservationId}/cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Route {
    pub method: String,
    pub path: String,
}

impl TryFrom<String> for Route {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let (method, path) = text.split_once(' ').ok_or_else(|| format!("route `{text}` is not `METHOD /path`"))?;
        if !matches!(method, "GET" | "POST" | "PUT" | "PATCH" | "DELETE") {
            return Err(format!("route `{text}`: unknown method `{method}`"));
        }
        if !path.starts_with('/') || path.contains(' ') {
            return Err(format!("route `{text}`: the path must start with `/`"));
        }
        Ok(Self { method: method.to_owned(), path: path.to_owned() })
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// `delivery.cancel-delivery`: an internal function of another context.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Call {
    pub context: String,
    pub function: String,
}

impl TryFrom<String> for Call {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let (context, function) =
            text.split_once('.').ok_or_else(|| format!("call `{text}` is not `context.function`"))?;
        Ok(Self { context: context.to_owned(), function: function.to_owned() })
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.context, self.function)
    }
}

/// What kind of sticky a function is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Command,
    Query,
    Policy,
    View,
    Internal,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Command => "command",
            Self::Query => "query",
            Self::Policy => "policy",
            Self::View => "view",
            Self::Internal => "internal function",
        })
    }
}

/// One function (one Lambda) of a context, whatever its kind.
#[derive(Debug, Clone, Copy)]
pub struct Function<'a> {
    pub name: &'a str,
    pub kind: Kind,
    pub route: Option<&'a Route>,
    pub who: Option<Who>,
    /// Policies and views: the events they consume, by producer.
    pub on: Option<&'a IndexMap<String, Vec<String>>>,
    pub emits: &'a [String],
    pub calls: Option<&'a Call>,
}

impl Function<'_> {
    /// Writes its context's table (commands, policies, views, internal functions).
    pub fn writes(&self) -> bool {
        self.kind != Kind::Query
    }

    /// The event types it consumes, in board order.
    pub fn consumes(&self) -> Vec<&str> {
        self.on.into_iter().flat_map(|on| on.values().flatten().map(String::as_str)).collect()
    }
}

impl Context {
    /// Its functions in board order: commands, queries, policies, views, internal.
    pub fn functions(&self) -> Vec<Function<'_>> {
        let none =
            Function { name: "", kind: Kind::Command, route: None, who: None, on: None, emits: &[], calls: None };
        let commands = self.commands.iter().map(|(name, c)| Function {
            name,
            route: Some(&c.route),
            who: Some(c.who),
            emits: &c.emits,
            calls: c.calls.as_ref(),
            ..none
        });
        let queries = self.queries.iter().map(|(name, q)| Function {
            name,
            kind: Kind::Query,
            route: Some(&q.route),
            who: Some(q.who),
            ..none
        });
        let policies = self.policies.iter().map(|(name, p)| Function {
            name,
            kind: Kind::Policy,
            on: Some(&p.on),
            emits: &p.emits,
            ..none
        });
        let views = self.views.iter().map(|(name, v)| Function { name, kind: Kind::View, on: Some(&v.on), ..none });
        let internal =
            self.internal.iter().map(|(name, i)| Function { name, kind: Kind::Internal, emits: &i.emits, ..none });
        commands.chain(queries).chain(policies).chain(views).chain(internal).collect()
    }

    /// The events it publishes (its aggregates' published events).
    pub fn published(&self) -> Vec<&str> {
        self.aggregates.values().flat_map(|a| a.events.iter().map(String::as_str)).collect()
    }

    /// Whether it publishes anything: then its table has a stream and a relay.
    pub fn publishes(&self) -> bool {
        self.aggregates.values().any(|a| !a.events.is_empty())
    }
}

impl Board {
    /// Reads and checks a board file.
    pub fn load(path: &Path) -> Result<Self, BoardError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| BoardError::new(path, vec![format!("cannot read: {e}")]))?;
        let board: Board = serde_yaml_ng::from_str(&text).map_err(|e| BoardError::new(path, vec![e.to_string()]))?;
        let problems = board.problems();
        if !problems.is_empty() {
            return Err(BoardError::new(path, problems));
        }
        let folder = path.parent().and_then(Path::file_name).and_then(|n| n.to_str());
        if folder != Some(board.system.as_str()) {
            return Err(BoardError::new(path, vec![format!("system `{}` must sit in functions/{0}/", board.system)]));
        }
        Ok(board)
    }

    /// Every function with its context, in board order.
    pub fn functions(&self) -> Vec<(&str, Function<'_>)> {
        self.contexts.iter().flat_map(|(name, c)| c.functions().into_iter().map(move |f| (name.as_str(), f))).collect()
    }

    /// The context that publishes `event`.
    pub fn producer_of(&self, event: &str) -> Option<&str> {
        self.contexts.iter().find(|(_, c)| c.published().contains(&event)).map(|(name, _)| name.as_str())
    }

    /// What is inconsistent within the board, each problem one sentence.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !is_kebab(&self.system) {
            problems.push(format!("system `{}`: names are lowercase words joined by `-`", self.system));
        }
        let mut functions = std::collections::BTreeMap::new();
        let mut routes = std::collections::BTreeMap::new();
        let mut events = std::collections::BTreeMap::new();
        for (context_name, context) in &self.contexts {
            if !is_kebab(context_name) {
                problems.push(format!("context `{context_name}`: names are lowercase words joined by `-`"));
            }
            for (aggregate, a) in &context.aggregates {
                for event in a.events.iter().chain(&a.recorded) {
                    if let Some(other) = events.insert(event.as_str(), context_name.as_str()) {
                        problems.push(format!(
                            "event `{event}` of {context_name}.{aggregate} is also {other}'s: \
                             subscriptions filter on the type alone, so event names are unique in a system"
                        ));
                    }
                }
            }
            let published = context.published();
            for function in context.functions() {
                let at = format!("{context_name}.{}", function.name);
                if !is_kebab(function.name) {
                    problems.push(format!("{at}: names are lowercase words joined by `-`"));
                }
                if ["relay", "health"].contains(&function.name) {
                    problems.push(format!("{at}: `{}` is the framework's own function", function.name));
                }
                if let Some(other) = functions.insert(function.name, context_name.as_str()) {
                    problems.push(format!(
                        "{at}: {other} has a function of that name too (a function is one Lambda, named once per system)"
                    ));
                }
                if let Some(route) = function.route
                    && let Some(other) = routes.insert(route.to_string(), at.clone())
                {
                    problems.push(format!("{at}: route `{route}` is {other}'s already"));
                }
                for event in function.emits {
                    if !published.contains(&event.as_str()) {
                        problems
                            .push(format!("{at} emits `{event}`, which none of {context_name}'s aggregates publishes"));
                    }
                }
                for (producer, types) in function.on.into_iter().flatten() {
                    let Some(source) = self.contexts.get(producer) else {
                        problems.push(format!("{at} reacts to `{producer}`, which is not a context of this system"));
                        continue;
                    };
                    if types.is_empty() {
                        problems.push(format!("{at} reacts to {producer} but names none of its events"));
                    }
                    for event in types {
                        if !source.published().contains(&event.as_str()) {
                            problems.push(format!("{at} reacts to `{event}`, which {producer} does not publish"));
                        }
                    }
                }
                if let Some(call) = function.calls {
                    match self.contexts.get(&call.context) {
                        Some(_) if call.context == *context_name => {
                            problems.push(format!("{at} calls its own context; call the code, not a Lambda"));
                        }
                        Some(callee) if callee.internal.contains_key(&call.function) => {}
                        _ => problems.push(format!("{at} calls `{call}`, which is not an internal function")),
                    }
                }
            }
            for (view, v) in &context.views {
                for reader in &v.read_by {
                    if !context.commands.contains_key(reader) && !context.queries.contains_key(reader) {
                        problems.push(format!(
                            "{context_name}.{view} is read by `{reader}`, which is not a command or query of {context_name}"
                        ));
                    }
                }
            }
            for internal in context.internal.keys() {
                let called = self.functions().iter().any(|(caller, f)| {
                    *caller != context_name
                        && f.calls.is_some_and(|c| c.context == *context_name && c.function == *internal)
                });
                if !called {
                    problems.push(format!("{context_name}.{internal} is internal, but no command calls it"));
                }
            }
        }
        problems
    }
}

/// `kebab-case`: lowercase ASCII words joined by single dashes.
fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && name.starts_with(|c: char| c.is_ascii_lowercase())
}

/// `cancel-reservation` → `CancelReservation`: the stem of its logical ids.
pub fn pascal(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

#[derive(Debug)]
pub struct BoardError {
    pub path: PathBuf,
    pub problems: Vec<String>,
}

impl BoardError {
    fn new(path: &Path, problems: Vec<String>) -> Self {
        Self { path: path.to_owned(), problems }
    }
}

impl fmt::Display for BoardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.path.display())?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for BoardError {}

/// Every board of the repository (`functions/*/board.yaml`), ordered by seed.
pub fn boards(repo: &Path) -> Result<Vec<Board>, BoardError> {
    let functions = repo.join("functions");
    let entries =
        std::fs::read_dir(&functions).map_err(|e| BoardError::new(&functions, vec![format!("cannot list: {e}")]))?;
    let mut boards = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path().join("board.yaml");
        if path.is_file() {
            boards.push(Board::load(&path)?);
        }
    }
    boards.sort_by(|a, b| (a.seed.as_str(), a.system.as_str()).cmp(&(b.seed.as_str(), b.system.as_str())));
    Ok(boards)
}

/// The repository this crate sits in.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(text: &str) -> Board {
        serde_yaml_ng::from_str(text).expect("parses")
    }

    const TWO_CONTEXTS: &str = r#"
system: shop
seed: "900"
title: A shop
contexts:
  order:
    about: Orders.
    aggregates:
      Order: {events: [Ordered]}
    commands:
      place-order: {route: POST /orders, who: customer, emits: [Ordered], calls: pay.approve}
  pay:
    about: Payments.
    aggregates:
      Payment: {events: [Paid]}
    policies:
      charge: {on: {order: [Ordered]}, emits: [Paid]}
    internal:
      approve: {emits: [Paid]}
"#;

    #[test]
    fn a_consistent_board_has_no_problems() {
        assert_eq!(board(TWO_CONTEXTS).problems(), Vec::<String>::new());
    }

    #[test]
    fn a_policy_on_an_event_its_producer_does_not_publish_is_named() {
        let text = TWO_CONTEXTS.replace("on: {order: [Ordered]}", "on: {order: [Shipped]}");
        assert_eq!(board(&text).problems(), vec!["pay.charge reacts to `Shipped`, which order does not publish"]);
    }

    #[test]
    fn emitting_an_event_no_aggregate_publishes_is_named() {
        let text = TWO_CONTEXTS.replace("emits: [Ordered], calls", "emits: [Ordered, Lost], calls");
        assert_eq!(
            board(&text).problems(),
            vec!["order.place-order emits `Lost`, which none of order's aggregates publishes"]
        );
    }

    #[test]
    fn a_call_must_name_an_internal_function_and_an_internal_function_a_caller() {
        let text = TWO_CONTEXTS.replace("calls: pay.approve", "calls: pay.charge");
        let problems = board(&text).problems();
        assert!(problems.contains(&"order.place-order calls `pay.charge`, which is not an internal function".into()));
        assert!(problems.contains(&"pay.approve is internal, but no command calls it".into()));
    }

    #[test]
    fn an_event_name_is_unique_in_its_system() {
        let text = TWO_CONTEXTS.replace("Payment: {events: [Paid]}", "Payment: {events: [Paid, Ordered]}");
        assert!(
            board(&text).problems().iter().any(|p| p.starts_with("event `Ordered` of pay.Payment is also order's"))
        );
    }

    #[test]
    fn unknown_fields_and_bad_routes_do_not_parse() {
        let typo = TWO_CONTEXTS.replace("emits: [Paid]}\n    internal", "emit: [Paid]}\n    internal");
        assert!(serde_yaml_ng::from_str::<Board>(&typo).is_err());
        let route = TWO_CONTEXTS.replace("POST /orders", "POST orders");
        assert!(serde_yaml_ng::from_str::<Board>(&route).is_err());
    }

    #[test]
    fn names_become_logical_ids() {
        assert_eq!(pascal("cancel-reservation"), "CancelReservation");
        assert_eq!(pascal("mypage"), "Mypage");
    }
}
