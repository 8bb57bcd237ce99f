//! Consumer contract tests. For every subscription on every board, the
//! consumer's inbound enum (a tolerant reader that never sees the producer's
//! crate) reads every event its producer may send by the producer's
//! published schema: examples generated from that schema, not picked by
//! hand. A producer that drops or retypes a field some consumer reads fails
//! here, with both contexts named.

use std::collections::BTreeMap;
use std::sync::Arc;

use board::{Board, Function as Sticky, Kind};
use contract::examples::examples;
use framework::{Deps, Envelope, Function};
use serde_json::Value;

/// Examples per event and subscription: the smallest, the largest, and
/// random ones from a fixed seed.
const EXAMPLES: usize = 24;
const SEED: u64 = 0x5eed_0184;

fn boards() -> Vec<Board> {
    board::boards(&board::repo_root()).unwrap_or_else(|e| panic!("{e}"))
}

/// The schemas of a board's events, by type.
fn schemas(board: &Board) -> BTreeMap<String, Value> {
    let schemas = contract::event_schemas(board).unwrap_or_else(|e| panic!("{e}"));
    schemas.into_iter().map(|(file, schema)| (file.trim_end_matches(".json").to_owned(), schema)).collect()
}

/// What is wrong with one consumer's reading of its producers' schemas.
fn problems(board: &Board, schemas: &BTreeMap<String, Value>, context: &str, consumer: &Sticky) -> Vec<String> {
    let code = functions::CONTEXTS.iter().find(|c| c.system == board.system && c.name == context).expect("generated");
    let table: Arc<dyn framework::Table> = Arc::new(embedded::SqliteTable::open(None).unwrap());
    let Some(Function::Queue { opens, .. }) = framework::function(code.functions, consumer.name, Deps::new(table))
    else {
        panic!("{}.{context}.{} is not a queue consumer", board.system, consumer.name);
    };
    let mut problems = Vec::new();
    for (producer, events) in consumer.on.into_iter().flatten() {
        for event in events {
            let schema = &schemas[event];
            let validator = jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("{event}'s schema: {e}"));
            for example in examples(schema, EXAMPLES, SEED) {
                // The generator's own honesty: it makes what the schema allows.
                if let Some(error) = validator.iter_errors(&example).next() {
                    panic!("the example of {event} is not valid under its schema ({error}): {example}");
                }
                let envelope: Envelope = serde_json::from_value(example.clone()).expect("an envelope");
                let refusal = match opens(&envelope) {
                    Ok(true) => continue,
                    Ok(false) => "ignores it as an event it does not read".to_owned(),
                    Err(error) => error.to_string(),
                };
                problems.push(format!(
                    "{}: {context}.{} (consumer) cannot read {producer}'s {event} (producer) as its schema allows: \
                     {refusal}\n  example data: {}",
                    board.system, consumer.name, example["data"]
                ));
                break;
            }
        }
    }
    problems
}

fn consumers(board: &Board) -> Vec<(&str, Sticky<'_>)> {
    board.functions().into_iter().filter(|(_, f)| matches!(f.kind, Kind::Policy | Kind::View)).collect()
}

#[test]
fn every_consumer_reads_every_event_its_producers_may_send() {
    let mut problems_found = Vec::new();
    let mut subscriptions = 0;
    for board in boards() {
        let schemas = schemas(&board);
        for (context, consumer) in consumers(&board) {
            subscriptions += consumer.consumes().len();
            problems_found.extend(problems(&board, &schemas, context, &consumer));
        }
    }
    assert!(subscriptions >= 40, "every board's subscriptions are checked, found {subscriptions}");
    assert!(problems_found.is_empty(), "{}", problems_found.join("\n"));
}

/// The check above can fail: the producer's schema without a field the
/// consumer reads (bookreservation's `Reserved` without `customerId`, which
/// customer's `notify-customer` needs to know whom to tell) is refused, and
/// the message names both contexts.
#[test]
fn a_producer_that_drops_a_field_a_consumer_reads_fails_naming_both_contexts() {
    let board = boards().into_iter().find(|b| b.system == "bookreservation").expect("the bookreservation board");
    let mut schemas = schemas(&board);
    let data = schemas.get_mut("Reserved").unwrap().pointer_mut("/properties/data").unwrap();
    data["properties"].as_object_mut().unwrap().remove("customerId").expect("Reserved has customerId");
    data["required"].as_array_mut().unwrap().retain(|field| field != "customerId");

    let (context, consumer) =
        consumers(&board).into_iter().find(|(_, f)| f.name == "notify-customer").expect("notify-customer");
    let problems = problems(&board, &schemas, context, &consumer);

    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].contains("customer.notify-customer (consumer)"), "{}", problems[0]);
    assert!(problems[0].contains("reservation's Reserved (producer)"), "{}", problems[0]);
    assert!(problems[0].contains("customerId"), "{}", problems[0]);
}
