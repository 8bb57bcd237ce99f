//! The page at `/`: every system's board as lanes of stickies, lit as the
//! runner executes them (from `GET /_local/activity`). Plain HTML, CSS and
//! JavaScript in one file compiled into the runner: no build step, no
//! package registry. Served with the control API, so only on loopback.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::gateway::{error_response, refusal};
use crate::runner::Shared;

const PAGE: &str = include_str!("../web/index.html");

pub(crate) async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// `GET /_local/boards`: the board of every system served, by name, as
/// JSON (`functions/<system>/board.yaml` beside the template, read when
/// asked), with `contextOrder`: the contexts in the board's order.
pub(crate) async fn boards(State(shared): State<Arc<Shared>>) -> Response {
    let mut boards = Map::new();
    for system in &shared.systems {
        let path = shared.root.join("functions").join(&system.name).join("board.yaml");
        let board = std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&text).map_err(|e| e.to_string()))
            .and_then(|yaml| {
                // JSON objects here keep no order: the contexts' is given apart.
                let order: Vec<Value> = yaml
                    .get("contexts")
                    .and_then(|c| c.as_mapping())
                    .map(|c| c.keys().filter_map(|k| k.as_str()).map(|k| Value::String(k.to_owned())).collect())
                    .unwrap_or_default();
                let mut board: Value = serde_json::to_value(yaml).map_err(|e| e.to_string())?;
                board["contextOrder"] = Value::Array(order);
                Ok(board)
            });
        match board {
            Ok(board) => {
                boards.insert(system.name.clone(), board);
            }
            Err(e) => {
                let message = format!("The board of {} cannot be read ({}): {e}.", system.name, path.display());
                return error_response(StatusCode::NOT_FOUND, "not_found", &message);
            }
        }
    }
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(Value::Object(boards))).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    sub: String,
    #[serde(default)]
    staff: bool,
}

/// `POST /_local/token {"sub": "alice", "staff": false}` → `{"token"}`: the
/// page signs in as anyone, as `local token` does on the command line (a
/// developer's runner, on loopback only). Valid for a day.
pub(crate) async fn token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let sign_in: SignIn = match framework::http::json_object(&body) {
        Ok(sign_in) => sign_in,
        Err(refused) => return refusal(refused),
    };
    let sub = match framework::http::text_field("sub", &sign_in.sub, 64) {
        Ok(sub) => sub,
        Err(refused) => return refusal(refused),
    };
    let groups = if sign_in.staff { vec![framework::http::STAFF_GROUP.to_owned()] } else { Vec::new() };
    axum::Json(json!({"token": shared.authorizer.mint(&sub, &groups, 24 * 3600), "sub": sub, "staff": sign_in.staff}))
        .into_response()
}
