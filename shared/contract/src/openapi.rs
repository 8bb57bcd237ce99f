//! The OpenAPI 3.1 document of a system: the board gives each route, who
//! may call it and the call it makes; the context's `routes::API` gives
//! what it takes and answers (`framework::api`), with schemas generated
//! from the very types the handlers read and write.

use std::collections::BTreeSet;

use board::{Board, Who};
use framework::api::{Answer, Api, SchemaFn};
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::crate_of;

/// The refusals every route may share, by status: name in
/// `components.responses`, and what it means.
const REFUSALS: &[(u16, &str, &str)] = &[
    (
        400,
        "BadRequest",
        "The request is malformed or a field is invalid (`malformed_json`, `invalid_field` naming it).",
    ),
    (401, "Unauthorized", "No valid bearer token (`unauthorized`)."),
    (403, "Forbidden", "The caller may not do this: staff only, or the item is someone else's (`forbidden`)."),
    (404, "NotFound", "No such item (`not_found`)."),
    (409, "Conflict", "Refused in the item's present state (`invalid_state` and the route's own codes)."),
    (413, "PayloadTooLarge", "The body is over 16 KiB (`payload_too_large`); nothing was read."),
    (
        503,
        "Unavailable",
        "A context this route calls is unavailable (`unavailable`); nothing changed. Retry after `Retry-After` seconds.",
    ),
];

fn camel(name: &str) -> String {
    let pascal = board::pascal(name);
    let mut chars = pascal.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn components_responses(error: &Value) -> Map<String, Value> {
    REFUSALS
        .iter()
        .map(|(status, name, description)| {
            let mut response = json!({"description": description, "content": json_content(error.clone())});
            if *status == 503 {
                response["headers"] = json!({"Retry-After": {
                    "description": "Seconds until the call may succeed (the circuit's remaining open time).",
                    "required": true,
                    "schema": {"type": "integer", "minimum": 1},
                }});
            }
            ((*name).to_owned(), response)
        })
        .collect()
}

/// The path parameters of `/reservations/{reservationId}/cancel`.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/').filter_map(|part| part.strip_prefix('{')?.strip_suffix('}')).collect()
}

struct Generators {
    requests: SchemaGenerator,
    responses: SchemaGenerator,
}

impl Generators {
    fn request(&mut self, schema: SchemaFn) -> Value {
        schema(&mut self.requests).to_value()
    }

    fn response(&mut self, schema: SchemaFn) -> Value {
        schema(&mut self.responses).to_value()
    }
}

fn operation(
    board: &Board,
    context: &str,
    function: &board::Function<'_>,
    api: &Api,
    generators: &mut Generators,
) -> Value {
    let route = function.route.expect("a routed function");
    let who = function.who.expect("a routed function has its role");
    let mut statuses: BTreeSet<u16> = api.refuses.iter().copied().collect();
    statuses.insert(401);
    if matches!(who, Who::Staff | Who::Owner) {
        statuses.insert(403);
    }
    let mut parameters: Vec<Value> = path_params(&route.path)
        .into_iter()
        .map(|name| {
            statuses.insert(404);
            json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}})
        })
        .collect();
    for param in api.query {
        statuses.insert(400);
        parameters.push(json!({
            "name": param.name, "in": "query", "required": true, "description": param.description,
            "schema": {"type": "string", "minLength": 1},
        }));
    }
    let (ok, body, headers) = match api.answer {
        Answer::Ok(schema) => (200, generators.response(schema), Value::Null),
        Answer::Accepted(schema) => (202, generators.response(schema), Value::Null),
        Answer::Created(schema) => (
            201,
            generators.response(schema),
            json!({"Location": {"description": "The new item's URL, relative to the API's base.", "required": true, "schema": {"type": "string"}}}),
        ),
        Answer::Page(schema) => {
            statuses.insert(400);
            parameters.push(json!({
                "name": "limit", "in": "query", "required": false,
                "description": format!("At most this many items (1 to {}).", framework::http::MAX_PAGE),
                "schema": {"type": "integer", "minimum": 1, "maximum": framework::http::MAX_PAGE, "default": framework::http::DEFAULT_PAGE},
            }));
            parameters.push(json!({
                "name": "cursor", "in": "query", "required": false,
                "description": "Where the page starts: the `cursor` of the previous page's `Link`.",
                "schema": {"type": "string"},
            }));
            (
                200,
                json!({"type": "array", "items": generators.response(schema)}),
                json!({"Link": {"description": "`<…>; rel=\"next\"` while more items remain, relative to the list's URL.", "schema": {"type": "string"}}}),
            )
        }
    };
    let mut responses = Map::new();
    let mut success = json!({"description": api.summary, "content": json_content(body)});
    if !headers.is_null() {
        success["headers"] = headers;
    }
    responses.insert(ok.to_string(), success);
    let mut operation = json!({
        "operationId": camel(function.name),
        "summary": api.summary,
        "tags": [context],
        "security": [{"bearer": []}],
        "x-role": who.to_string(),
    });
    let mut description =
        vec![format!("Who: {}.", role(who)), format!("The `{}` function of {context}.", function.name)];
    if !function.emits.is_empty() {
        description.push(format!("Emits {}.", function.emits.join(", ")));
    }
    if let Some(call) = function.calls {
        statuses.insert(503);
        description.push(format!("Calls {call} first, through a circuit breaker."));
    }
    if let Some(request) = api.request {
        statuses.extend([400, 413]);
        operation["requestBody"] = json!({"required": true, "content": json_content(generators.request(request))});
    }
    for status in statuses {
        let name = REFUSALS.iter().find(|(s, ..)| *s == status).map(|(_, name, _)| *name).unwrap_or_else(|| {
            panic!("{}.{context}.{}: no shared response for status {status}", board.system, function.name)
        });
        responses.insert(status.to_string(), json!({"$ref": format!("#/components/responses/{name}")}));
    }
    operation["description"] = json!(description.join(" "));
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    operation["responses"] = Value::Object(responses);
    operation
}

fn role(who: Who) -> &'static str {
    match who {
        Who::User => "any signed-in user",
        Who::Customer => "a signed-in customer, for themselves",
        Who::Owner => "the owner of the item (anyone else: 403)",
        Who::Staff => "staff (the `staff` group; anyone else: 403)",
    }
}

/// The properties of a success answer's object, when it is one.
fn answered_fields(operation: &Value, schemas: &Map<String, Value>) -> Vec<String> {
    let responses = operation["responses"].as_object().into_iter().flatten();
    let Some((_, success)) = responses.into_iter().find(|(status, _)| status.starts_with('2')) else {
        return Vec::new();
    };
    let schema = &success["content"]["application/json"]["schema"];
    let named = schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/"));
    let object = named.and_then(|name| schemas.get(name)).unwrap_or(schema);
    object["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default()
}

/// OpenAPI links from each answer that carries an id to every operation
/// whose path takes it (`reservationId` of `POST /reservations` to
/// `GET /reservations/{reservationId}` and its cancel): what a client does
/// next, and what schemathesis's stateful phase follows (create → read →
/// transition).
fn link(paths: &mut Map<String, Value>, schemas: &Map<String, Value>) {
    let targets: Vec<(String, Vec<String>)> = paths
        .iter()
        .flat_map(|(path, item)| {
            let params: Vec<String> = path_params(path).into_iter().map(str::to_owned).collect();
            item.as_object()
                .into_iter()
                .flatten()
                .map(move |(_, op)| (op["operationId"].as_str().unwrap_or_default().to_owned(), params.clone()))
        })
        .filter(|(_, params)| !params.is_empty())
        .collect();
    for item in paths.values_mut() {
        for operation in item.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
            let fields = answered_fields(operation, schemas);
            let own = operation["operationId"].as_str().unwrap_or_default().to_owned();
            let links: Map<String, Value> = targets
                .iter()
                .filter(|(id, params)| *id != own && params.iter().all(|p| fields.contains(p)))
                .map(|(id, params)| {
                    let parameters: Map<String, Value> =
                        params.iter().map(|p| (p.clone(), json!(format!("$response.body#/{p}")))).collect();
                    (id.clone(), json!({"operationId": id, "parameters": parameters}))
                })
                .collect();
            if links.is_empty() {
                continue;
            }
            let responses = operation["responses"].as_object_mut().expect("responses");
            if let Some((_, success)) = responses.iter_mut().find(|(status, _)| status.starts_with('2')) {
                success["links"] = Value::Object(links);
            }
        }
    }
}

/// The OpenAPI 3.1 document of a system.
pub fn openapi(board: &Board) -> Result<Value, String> {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas/".into();
    let mut generators = Generators {
        requests: settings.clone().for_deserialize().into_generator(),
        responses: settings.for_serialize().into_generator(),
    };
    let error = generators.response(|g| g.subschema_for::<framework::api::Error>());
    let mut paths: Map<String, Value> = Map::new();
    for (context_name, context) in &board.contexts {
        let code = crate_of(&board.system, context_name)?;
        let routed: Vec<_> = context.functions().into_iter().filter(|f| f.route.is_some()).collect();
        for api in code.api {
            if !routed.iter().any(|f| f.name == api.name) {
                return Err(format!(
                    "{}.{context_name}: routes::API states `{}`, which has no route on the board",
                    board.system, api.name
                ));
            }
        }
        for function in &routed {
            let api = code.api.iter().find(|a| a.name == function.name).ok_or_else(|| {
                format!(
                    "{}.{context_name}: `{}` has a route on the board but no entry in routes::API",
                    board.system, function.name
                )
            })?;
            let route = function.route.expect("routed");
            let item = paths.entry(route.path.clone()).or_insert_with(|| json!({}));
            item[route.method.to_lowercase()] = operation(board, context_name, function, api, &mut generators);
        }
    }
    let mut schemas = generators.requests.take_definitions(true);
    for (name, schema) in generators.responses.take_definitions(true) {
        match schemas.get(&name) {
            Some(other) if *other != schema => {
                return Err(format!(
                    "{}: two different schemas are named {name}: rename one (`#[schemars(rename)]`)",
                    board.system
                ));
            }
            _ => {
                schemas.insert(name, schema);
            }
        }
    }
    crate::named_once(&board.system, &schemas)?;
    link(&mut paths, &schemas);
    debug_assert_eq!(error, json!({"$ref": "#/components/schemas/Error"}));
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{}: {}", board.system, board.title),
            "version": "1.0",
            "description": format!(
                "The HTTP API of {} (seed {}), generated from functions/{}/board.yaml and each context's routes \
                 (`cargo contract generate`). Every route needs a bearer token (a JWT; for the local runner, \
                 `cargo run --release -p local -- token --sub alice [--group staff]`); errors are `{{\"error\": {{\"code\", \"message\", \"field\"?}}}}`. How it may \
                 change: docs/contract.md.",
                board.system, board.seed, board.system
            ),
        },
        "servers": [
            {"url": format!("http://127.0.0.1:3000/{}", board.system), "description": "The local runner (`cargo run --release -p local`)."},
            {
                "url": "https://{apiId}.execute-api.{region}.amazonaws.com",
                "description": "The system's HTTP API on AWS (the stack's output `ApiUrl`).",
                "variables": {"apiId": {"default": "api-id"}, "region": {"default": "us-east-1"}},
            },
        ],
        "tags": board.contexts.iter().map(|(name, c)| json!({"name": name, "description": c.about})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": components_responses(&error),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }))
}
