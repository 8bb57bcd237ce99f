//! The committed stacks, root template and list of contexts are exactly what
//! the boards generate: edit a board, run `cargo board generate`, commit both.

#[test]
fn the_committed_files_are_what_the_boards_generate() {
    let repo = board::repo_root();
    let boards = board::boards(&repo).unwrap_or_else(|e| panic!("{e}"));
    assert!(boards.len() >= 3, "the boards of functions/*/board.yaml");
    let mut stale = Vec::new();
    for (path, expected) in board::generate::all(&boards) {
        let committed = std::fs::read_to_string(repo.join(&path)).unwrap_or_default();
        if committed != expected {
            let line = committed
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .map_or_else(|| committed.lines().count().min(expected.lines().count()) + 1, |index| index + 1);
            stale.push(format!("{path} (first difference at line {line})"));
        }
    }
    assert!(stale.is_empty(), "stale, run `cargo board generate`: {stale:#?}");
}
