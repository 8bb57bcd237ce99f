//! The code implements exactly its boards: every sticky on a board has its
//! function in its context's crate, of the right kind, and no crate has a
//! function the board lacks; each policy and view reads exactly the events
//! the board subscribes it to; every event a board names is one its
//! aggregate's event enum can raise. (The boards' own consistency, e.g.
//! that a policy reacts only to events its producer publishes, is checked
//! where they are read: `board::Board::problems`.)

use std::collections::BTreeSet;
use std::sync::Arc;

use board::{Board, Kind};
use framework::{Deps, Function};

fn boards() -> Vec<Board> {
    board::boards(&acceptance::repo_root()).unwrap_or_else(|e| panic!("{e}"))
}

fn crate_of(system: &str, context: &str) -> &'static functions::Context {
    functions::CONTEXTS.iter().find(|c| c.system == system && c.name == context).unwrap_or_else(|| {
        panic!("{system}.{context} is on the board but not in functions/lib.rs: run `cargo board generate`")
    })
}

fn kind_of(function: &Function) -> &'static str {
    match function {
        Function::Http(_) => "an HTTP function",
        Function::Queue { .. } => "a queue consumer",
        Function::Internal(_) => "an internal function",
    }
}

fn expected_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Command | Kind::Query => "an HTTP function",
        Kind::Policy | Kind::View => "a queue consumer",
        Kind::Internal => "an internal function",
    }
}

#[test]
fn every_sticky_has_its_function_and_no_function_is_off_the_board() {
    let mut problems = Vec::new();
    for board in boards() {
        for (context_name, context) in &board.contexts {
            let code = crate_of(&board.system, context_name);
            let at = format!("{}.{context_name}", board.system);
            let on_board: BTreeSet<&str> = context.functions().iter().map(|f| f.name).collect();
            for sticky in code.functions {
                if !on_board.contains(sticky.name) {
                    problems.push(format!("{at}: the crate has `{}`, which is not on the board", sticky.name));
                }
            }
            for function in context.functions() {
                let table: Arc<dyn framework::Table> = Arc::new(embedded::SqliteTable::open(None).unwrap());
                match framework::function(code.functions, function.name, Deps::new(table)) {
                    None => problems.push(format!(
                        "{at}: {} `{}` is on the board, but the crate has no function of that name",
                        function.kind, function.name
                    )),
                    Some(built) if kind_of(&built) != expected_kind(function.kind) => problems.push(format!(
                        "{at}: `{}` is a {} on the board, so it must be {}, but it is {}",
                        function.name,
                        function.kind,
                        expected_kind(function.kind),
                        kind_of(&built)
                    )),
                    Some(Function::Queue { reads, .. }) => {
                        let subscribed: BTreeSet<&str> = function.consumes().into_iter().collect();
                        let read: BTreeSet<&str> = reads.iter().copied().collect();
                        for event in subscribed.difference(&read) {
                            problems.push(format!(
                                "{at}: `{}` is subscribed to `{event}`, which its inbound enum does not read \
                                 (it would be acknowledged and ignored)",
                                function.name
                            ));
                        }
                        for event in read.difference(&subscribed) {
                            problems.push(format!(
                                "{at}: `{}` reads `{event}`, but the board does not subscribe it to that",
                                function.name
                            ));
                        }
                    }
                    Some(_) => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "the code and the boards disagree:\n  {}", problems.join("\n  "));
}

#[test]
fn every_event_on_a_board_is_one_its_aggregates_raise() {
    let mut problems = Vec::new();
    for board in boards() {
        for (context_name, context) in &board.contexts {
            let code = crate_of(&board.system, context_name);
            let at = format!("{}.{context_name}", board.system);
            let in_code: BTreeSet<&str> = code.aggregates.iter().map(|a| a.name).collect();
            let on_board: BTreeSet<&str> = context.aggregates.keys().map(String::as_str).collect();
            if in_code != on_board {
                problems.push(format!("{at}: aggregates {on_board:?} on the board, {in_code:?} in the crate"));
                continue;
            }
            let mut raised = BTreeSet::new();
            let mut named = BTreeSet::new();
            for aggregate in code.aggregates {
                let sticky = &context.aggregates[aggregate.name];
                let recorded_in_code: BTreeSet<&str> = aggregate.recorded.iter().copied().collect();
                let recorded_on_board: BTreeSet<&str> = sticky.recorded.iter().map(String::as_str).collect();
                if recorded_in_code != recorded_on_board {
                    problems.push(format!(
                        "{at}: the board has {} record {recorded_on_board:?}, its RECORDED says {recorded_in_code:?}",
                        aggregate.name
                    ));
                }
                for event in sticky.events.iter().chain(&sticky.recorded) {
                    if !aggregate.events.contains(&event.as_str()) {
                        problems.push(format!(
                            "{at}: the board has {} raise `{event}`, which is not a variant of its event enum",
                            aggregate.name
                        ));
                    }
                    named.insert(event.as_str());
                }
                raised.extend(aggregate.events.iter().copied());
            }
            for event in raised.difference(&named) {
                problems.push(format!(
                    "{at}: the crate's aggregates raise `{event}`, which the board neither publishes nor records"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "the code and the boards disagree:\n  {}", problems.join("\n  "));
}

/// Each route's `who` is what its handler enforces, checked through the
/// running handler with its sample request under other callers: no token →
/// `401`; a staff route refuses a customer (`403`) and lets staff through;
/// a user or customer route lets any signed-in customer through. (An owner
/// route's stranger meets an item that exists only in each system's stories:
/// their authorization matrices check it.)
#[tokio::test]
async fn every_route_enforces_the_role_its_board_declares() {
    use board::Who;
    use lambda_http::request::LambdaRequest;

    let mut problems = Vec::new();
    for board in boards() {
        for (context_name, context) in &board.contexts {
            let code = crate_of(&board.system, context_name);
            for function in context.functions() {
                let (Some(route), Some(who)) = (function.route, function.who) else { continue };
                let path =
                    acceptance::repo_root().join("events").join(&board.system).join(format!("{}.json", function.name));
                let sample: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
                )
                .unwrap();
                let as_caller = |claims: Option<serde_json::Value>| {
                    let mut request = sample.clone();
                    match claims {
                        Some(claims) => request["requestContext"]["authorizer"]["jwt"]["claims"] = claims,
                        None => {
                            request["requestContext"].as_object_mut().unwrap().remove("authorizer");
                        }
                    }
                    serde_json::from_value::<LambdaRequest>(request).expect("an API Gateway request")
                };
                let status = |request: LambdaRequest| async {
                    let table: Arc<dyn framework::Table> = Arc::new(embedded::SqliteTable::open(None).unwrap());
                    let Some(Function::Http(run)) =
                        framework::function(code.functions, function.name, Deps::new(table))
                    else {
                        panic!("{} is not an HTTP function", function.name)
                    };
                    run(request.into()).await.status().as_u16()
                };
                let customer = serde_json::json!({"sub": "mallory"});
                let staff = serde_json::json!({"sub": "bob", "cognito:groups": "[staff]"});
                let at = format!("{}.{context_name}.{} ({route}, {who})", board.system, function.name);
                let anonymous = status(as_caller(None)).await;
                if anonymous != 401 {
                    problems.push(format!("{at}: {anonymous} without a token, not 401"));
                }
                let as_customer = status(as_caller(Some(customer))).await;
                match who {
                    Who::Staff if as_customer != 403 => {
                        problems.push(format!("{at}: a customer got {as_customer}, not 403"))
                    }
                    Who::User | Who::Customer if matches!(as_customer, 401 | 403) => {
                        problems.push(format!("{at}: a customer got {as_customer}"))
                    }
                    _ => {}
                }
                if who == Who::Staff {
                    let as_staff = status(as_caller(Some(staff))).await;
                    if matches!(as_staff, 401 | 403) {
                        problems.push(format!("{at}: staff got {as_staff}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "routes disagree with their boards' who:\n  {}", problems.join("\n  "));
}
