//! `cargo board`: the boards' command (an alias of `cargo run -p board --`).
//!
//! - `cargo board generate`: writes the stacks, the root template and the
//!   list of contexts from `functions/*/board.yaml`.
//! - `cargo board check`: says which generated files are stale, and fails.
//! - `cargo board new-context <system> <context>`: a new context that builds
//!   and passes its tests at once, on its board (a new one with `--seed`
//!   and `--title`), with everything generated from it.

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo board", about = "Generate the stacks from the event-storming boards, or check them.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write stacks/<system>.yaml, template.yaml and the functions crate from the boards.
    Generate,
    /// Fail if a generated file differs from what the boards generate.
    Check,
    /// Create a context: its board entry, its crate, then `generate`.
    NewContext {
        /// The system (its folder under functions/).
        system: String,
        /// The context's name, lowercase words joined by `-`.
        context: String,
        /// The seed, when the system has no board yet.
        #[arg(long)]
        seed: Option<String>,
        /// The system's title, when it has no board yet.
        #[arg(long)]
        title: Option<String>,
    },
    /// Remove a context: its board entry, the generated files, its crate and samples.
    RemoveContext { system: String, context: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let repo = board::repo_root();
    if let Command::NewContext { system, context, seed, title } = &cli.command {
        let request = board::scaffold::NewContext { system, context, seed: seed.as_deref(), title: title.as_deref() };
        match board::scaffold::new_context(&repo, &request) {
            Ok(written) => {
                let sources: Vec<_> = written.iter().filter(|p| p.extension().is_some_and(|e| e == "rs")).collect();
                // The templates are written for readers; rustfmt makes them the repository's style.
                let formatted = std::process::Command::new("rustfmt").arg("--edition=2024").args(&sources).status();
                if !formatted.is_ok_and(|s| s.success()) {
                    eprintln!("rustfmt did not run: format the new files with `cargo fmt`");
                }
                for path in written {
                    println!("wrote {}", path.strip_prefix(&repo).unwrap_or(&path).display());
                }
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Command::RemoveContext { system, context } = &cli.command {
        let functions = repo.join("functions").join(system);
        let samples: Vec<String> = board::Board::load(&functions.join("board.yaml"))
            .ok()
            .and_then(|b| b.contexts.get(context).map(|c| c.functions().iter().map(|f| f.name.to_owned()).collect()))
            .unwrap_or_default();
        if let Err(e) = board::scaffold::remove_context_entry(&repo, system, context) {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
        println!("removed {context} from functions/{system}/board.yaml");
        // Generated first: cargo cannot load the workspace while the list of
        // contexts names a crate that is gone.
        let generated = generate(&repo);
        if generated != ExitCode::SUCCESS {
            return generated;
        }
        let removed = std::fs::remove_dir_all(functions.join(context));
        if !functions.join("board.yaml").exists() {
            let _ = std::fs::remove_dir_all(repo.join("events").join(system));
            let _ = std::fs::remove_file(repo.join("stacks").join(format!("{system}.yaml")));
            let _ = std::fs::remove_dir(&functions);
        }
        if let Err(e) = removed {
            eprintln!("cannot remove functions/{system}/{context}: {e}");
            return ExitCode::FAILURE;
        }
        for name in samples.iter().cloned().chain([format!("relay-{context}")]) {
            let _ = std::fs::remove_file(repo.join("events").join(system).join(format!("{name}.json")));
        }
        println!("removed functions/{system}/{context} and its samples");
        return ExitCode::SUCCESS;
    }
    if matches!(cli.command, Command::Generate | Command::NewContext { .. }) {
        return generate(&repo);
    }
    let boards = match board::boards(&repo) {
        Ok(boards) => boards,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let stale = stale(&repo, &board::generate::all(&boards));
    for path in &stale {
        eprintln!("{path} is not what the boards generate: run `cargo board generate`");
    }
    if stale.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Writes what the boards generate, and the samples still missing.
fn generate(repo: &Path) -> ExitCode {
    let boards = match board::boards(repo) {
        Ok(boards) => boards,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    for (path, text) in board::generate::all(&boards) {
        let target = repo.join(&path);
        if std::fs::read_to_string(&target).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        if let Err(e) = std::fs::write(&target, text) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
        println!("wrote {path}");
    }
    for (path, text) in board::samples::all(&boards) {
        let target = repo.join(&path);
        if target.exists() {
            continue;
        }
        let written =
            target.parent().map(std::fs::create_dir_all).transpose().and_then(|_| std::fs::write(&target, text));
        if let Err(e) = written {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
        println!("wrote {path} (a first sample: make it telling)");
    }
    ExitCode::SUCCESS
}
fn stale(repo: &Path, files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(path, text)| std::fs::read_to_string(repo.join(path)).ok().as_deref() != Some(text.as_str()))
        .map(|(path, _)| path.clone())
        .collect()
}
