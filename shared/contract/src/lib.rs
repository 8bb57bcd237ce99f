//! The published contract of every system, generated from its board and
//! its types, never written by hand (docs/contract.md):
//!
//! - a JSON Schema per event (`docs/contract/<system>/events/<Type>.json`):
//!   the envelope, with `type` and `source` fixed and `data` from the
//!   producer's event enum (schemars, as serde writes it);
//! - an AsyncAPI 3.0 document per system (`docs/contract/<system>/asyncapi.json`):
//!   the topic, which context publishes each event, one channel per
//!   subscribing policy or view (its queue and its filter);
//! - an OpenAPI 3.1 document per system (`docs/contract/<system>/openapi.json`):
//!   every route of the board with who may call it, from each context's
//!   `routes::API` (bodies, success, its own refusals; `framework::api`).
//!
//! `cargo contract generate` writes them; a test fails when the committed
//! ones are stale, so a change of the contract shows up in review.

pub mod examples;
mod openapi;

pub use openapi::openapi;

use std::collections::BTreeMap;
use std::path::Path;

use board::{Board, Kind};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};

/// One published event: who raises it, and the schema of its `data`.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    /// The context that raises it (the envelope's `source`).
    pub producer: String,
    /// The schema of `data`, whose `$ref`s point into the definitions it
    /// was generated with.
    pub data: Value,
}

/// A system's published events in board order, and the definitions their
/// schemas refer to (under `definitions_path`).
pub struct Events {
    pub events: Vec<Event>,
    pub definitions: Map<String, Value>,
}

pub(crate) fn crate_of<'a>(system: &str, context: &str) -> Result<&'a functions::Context, String> {
    functions::CONTEXTS
        .iter()
        .find(|c| c.system == system && c.name == context)
        .ok_or_else(|| format!("{system}.{context} is on the board but not in the functions crate"))
}

/// The variants of an adjacently tagged event enum's schema, by `type`:
/// each is `{type: {const: X}, data: {...}}`.
fn variants(schema: &Value) -> Vec<(String, Value)> {
    let branches = schema.get("oneOf").or_else(|| schema.get("anyOf")).and_then(Value::as_array);
    branches
        .into_iter()
        .flatten()
        .filter_map(|branch| {
            let tag = branch.pointer("/properties/type")?;
            let name = tag.get("const").or_else(|| tag.pointer("/enum/0"))?.as_str()?.to_owned();
            let data = branch.pointer("/properties/data").cloned().unwrap_or_else(|| json!({"type": "null"}));
            Some((name, data))
        })
        .collect()
}

/// The events `board` publishes, with their `data` schemas generated under
/// `settings` (as the producer serializes them).
pub fn events(board: &Board, settings: SchemaSettings) -> Result<Events, String> {
    let mut generator: SchemaGenerator = settings.for_serialize().into_generator();
    let mut events = Vec::new();
    for (context_name, context) in &board.contexts {
        let code = crate_of(&board.system, context_name)?;
        for (aggregate_name, aggregate) in &context.aggregates {
            if aggregate.events.is_empty() {
                continue;
            }
            let sticky = code.aggregates.iter().find(|a| a.name == aggregate_name).ok_or_else(|| {
                format!("{}.{context_name}: aggregate {aggregate_name} is not in the crate", board.system)
            })?;
            let schema = (sticky.events_schema)(&mut generator).to_value();
            let variants: BTreeMap<String, Value> = variants(&schema).into_iter().collect();
            for name in &aggregate.events {
                let data = variants.get(name).cloned().ok_or_else(|| {
                    format!("{}.{context_name}: the schema of {aggregate_name}'s events has no `{name}`", board.system)
                })?;
                events.push(Event { name: name.clone(), producer: context_name.clone(), data });
            }
        }
    }
    let definitions = generator.take_definitions(true);
    named_once(&board.system, &definitions)?;
    Ok(Events { events, definitions })
}

/// Two types of one name in a system's documents get `Status` and
/// `Status2` from schemars, a name that says nothing and changes with the
/// order of generation: refused, so each gets a name of its own.
pub(crate) fn named_once(system: &str, definitions: &Map<String, Value>) -> Result<(), String> {
    let numbered: Vec<&String> =
        definitions.keys().filter(|name| name.ends_with(|c: char| c.is_ascii_digit())).collect();
    if numbered.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{system}: several types share a schema name ({numbered:?}): give each its own with \
         `#[schemars(rename = \"...\")]`"
    ))
}

/// The schema id of an event (docs/contract.md): `XV2` gets its own, and
/// `X`'s never changes meaning.
pub fn schema_id(system: &str, event: &Event) -> String {
    format!("urn:event-storming:{system}:{}:{}", event.producer, event.name)
}

/// The envelope of `event`, every field the contract fixes.
fn envelope(event: &Event) -> Value {
    json!({
        "type": "object",
        "required": ["eventId", "type", "source", "occurredAt", "correlationId", "version", "data"],
        "properties": {
            "eventId": {"type": "string", "minLength": 1, "description": "Unique per event; consumers drop a repeated one."},
            "type": {"const": event.name},
            "source": {"const": event.producer, "description": "The bounded context that raised the event."},
            "occurredAt": {"type": "string", "format": "date-time", "description": "RFC 3339, UTC, millisecond precision."},
            "correlationId": {"type": "string", "minLength": 1, "description": "Ties the events of one saga together."},
            "version": {"type": "integer", "minimum": 1, "description": "The aggregate's version after this event (not a schema version)."},
            "data": event.data,
        },
    })
}

/// Standalone JSON Schemas (draft 2020-12), one per event, by file name.
pub fn event_schemas(board: &Board) -> Result<Vec<(String, Value)>, String> {
    let Events { events, definitions } = events(board, SchemaSettings::draft2020_12())?;
    Ok(events
        .iter()
        .map(|event| {
            let mut schema = envelope(event);
            let object = schema.as_object_mut().expect("an object");
            let mut head = Map::new();
            head.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
            head.insert("$id".into(), json!(schema_id(&board.system, event)));
            head.insert("title".into(), json!(format!("{} (from {})", event.name, event.producer)));
            head.append(object);
            if !definitions.is_empty() {
                head.insert("$defs".into(), Value::Object(definitions.clone()));
            }
            (format!("{}.json", event.name), Value::Object(head))
        })
        .collect())
}

/// The AsyncAPI 3.0 document of a system.
pub fn asyncapi(board: &Board) -> Result<Value, String> {
    let mut settings = SchemaSettings::draft07();
    settings.definitions_path = "/components/schemas/".into();
    let Events { events, definitions } = events(board, settings)?;
    let mut schemas = definitions;
    let mut messages = Map::new();
    for event in &events {
        let name = format!("{}Envelope", event.name);
        schemas.insert(name.clone(), envelope(event));
        messages.insert(
            event.name.clone(),
            json!({
                "name": event.name,
                "title": event.name,
                "summary": format!("Raised by {}.", event.producer),
                "contentType": "application/json",
                "correlationId": {"location": "$message.payload#/correlationId"},
                "headers": {
                    "type": "object",
                    "description": "SNS message attributes; the subscriptions filter on `type`.",
                    "properties": {"type": {"const": event.name}},
                },
                "payload": {"$ref": format!("#/components/schemas/{name}")},
                "x-schema-id": schema_id(&board.system, event),
                "x-producer": event.producer,
            }),
        );
    }
    let message_ref = |name: &str| json!({"$ref": format!("#/components/messages/{name}")});
    let mut channels = Map::new();
    let mut operations = Map::new();
    let topic_messages: Map<String, Value> = events.iter().map(|e| (e.name.clone(), message_ref(&e.name))).collect();
    channels.insert(
        "events".into(),
        json!({
            "address": null,
            "title": format!("{}'s topic", board.system),
            "description": "The one SNS topic of the system (CloudFormation names it; the stack's output \
                            `EventsTopicArn`): every context's relay publishes its outbox here.",
            "x-cloudformation-resource": "EventsTopic",
            "messages": topic_messages,
        }),
    );
    for (context_name, context) in &board.contexts {
        let published: Vec<&Event> = events.iter().filter(|e| &e.producer == context_name).collect();
        if !published.is_empty() {
            operations.insert(
                format!("{context_name}_publish"),
                json!({
                    "action": "send",
                    "channel": {"$ref": "#/channels/events"},
                    "summary": format!("{context_name}'s relay publishes its outbox."),
                    "messages": published.iter().map(|e| json!({"$ref": format!("#/channels/events/messages/{}", e.name)})).collect::<Vec<_>>(),
                }),
            );
        }
        for function in context.functions() {
            if !matches!(function.kind, Kind::Policy | Kind::View) {
                continue;
            }
            let consumed = function.consumes();
            let id = format!("{context_name}_{}", function.name);
            let queue_messages: Map<String, Value> =
                consumed.iter().map(|name| ((*name).to_owned(), message_ref(name))).collect();
            channels.insert(
                id.clone(),
                json!({
                    "address": null,
                    "title": format!("{}'s queue", function.name),
                    "description": format!(
                        "The SQS queue of {} `{}`, subscribed to the topic with the filter policy `{{\"type\": {}}}`; \
                         a message that fails five times goes to its dead-letter queue.",
                        function.kind, function.name, json!(consumed)
                    ),
                    "messages": queue_messages,
                    "x-filter-policy": {"type": consumed},
                    "x-cloudformation-resource": format!("{}Queue", board::pascal(function.name)),
                    "x-producers": function.on.map(|on| on.keys().cloned().collect::<Vec<_>>()).unwrap_or_default(),
                }),
            );
            operations.insert(
                id.clone(),
                json!({
                    "action": "receive",
                    "channel": {"$ref": format!("#/channels/{id}")},
                    "summary": format!("{} `{}` of {context_name}", function.kind, function.name),
                    "messages": consumed.iter().map(|name| json!({"$ref": format!("#/channels/{id}/messages/{name}")})).collect::<Vec<_>>(),
                }),
            );
        }
    }
    Ok(json!({
        "asyncapi": "3.0.0",
        "id": format!("urn:event-storming:{}", board.system),
        "info": {
            "title": format!("{}: {}", board.system, board.title),
            "version": "1.0",
            "description": format!(
                "The events of {} (seed {}), generated from functions/{}/board.yaml and the event types. \
                 How they may change: docs/contract.md.",
                board.system, board.seed, board.system
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }))
}

/// Every contract file of every board, by path under the repository, as
/// they are committed.
pub fn documents(boards: &[Board]) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    for board in boards {
        let dir = format!("docs/contract/{}", board.system);
        files.push((format!("{dir}/asyncapi.json"), pretty(&asyncapi(board)?)));
        files.push((format!("{dir}/openapi.json"), pretty(&openapi(board)?)));
        for (name, schema) in event_schemas(board)? {
            files.push((format!("{dir}/events/{name}"), pretty(&schema)));
        }
    }
    Ok(files)
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("JSON values serialize");
    text.push('\n');
    text
}

/// The committed files that differ from what the code generates, or that no
/// board generates any more (under `docs/contract/<system>/`).
pub fn stale(repo: &Path, boards: &[Board]) -> Result<Vec<String>, String> {
    let expected = documents(boards)?;
    let mut stale: Vec<String> = expected
        .iter()
        .filter(|(path, text)| std::fs::read_to_string(repo.join(path)).ok().as_deref() != Some(text.as_str()))
        .map(|(path, _)| path.clone())
        .collect();
    for board in boards {
        let dir = repo.join("docs/contract").join(&board.system).join("events");
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = format!("docs/contract/{}/events/{}", board.system, entry.file_name().to_string_lossy());
            if !expected.iter().any(|(p, _)| *p == path) {
                stale.push(format!("{path} (no longer generated)"));
            }
        }
    }
    Ok(stale)
}
