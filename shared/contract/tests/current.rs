//! The committed contract (docs/contract/) is exactly what the boards and
//! the types generate: change an event or a board, run `cargo contract
//! generate`, and the contract's diff is reviewed with the code's.

#[test]
fn the_committed_contract_is_what_the_code_generates() {
    let repo = board::repo_root();
    let boards = board::boards(&repo).unwrap_or_else(|e| panic!("{e}"));
    let stale = contract::stale(&repo, &boards).unwrap_or_else(|e| panic!("{e}"));
    assert!(stale.is_empty(), "stale, run `cargo contract generate`: {stale:#?}");
}

#[test]
fn every_event_schema_is_a_valid_json_schema_with_its_own_id() {
    let boards = board::boards(&board::repo_root()).unwrap_or_else(|e| panic!("{e}"));
    let mut ids = std::collections::BTreeSet::new();
    let mut published = 0;
    for board in &boards {
        published += board.contexts.values().map(|c| c.published().len()).sum::<usize>();
        for (file, schema) in contract::event_schemas(board).unwrap_or_else(|e| panic!("{e}")) {
            if let Err(error) = jsonschema::meta::validate(&schema) {
                panic!("{}/{file} is not a valid JSON Schema: {error}", board.system);
            }
            assert!(ids.insert(schema["$id"].as_str().unwrap().to_owned()), "{}/{file}: a repeated $id", board.system);
        }
    }
    assert_eq!(ids.len(), published, "one schema per event a board publishes");
}
