//! `cargo board`: the boards' command (an alias of `cargo run -p board --`).
//!
//! - `cargo board generate`: writes the stacks, the root template and the
//!   list of contexts from `functions/*/board.yaml`.
//! - `cargo board check`: says which generated files are stale, and fails.

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let repo = board::repo_root();
    let boards = match board::boards(&repo) {
        Ok(boards) => boards,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let files = board::generate::all(&boards);
    match cli.command {
        Command::Generate => {
            for (path, text) in files {
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
            ExitCode::SUCCESS
        }
        Command::Check => {
            let stale = stale(&repo, &files);
            for path in &stale {
                eprintln!("{path} is not what the boards generate: run `cargo board generate`");
            }
            if stale.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
    }
}

fn stale(repo: &Path, files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(path, text)| std::fs::read_to_string(repo.join(path)).ok().as_deref() != Some(text.as_str()))
        .map(|(path, _)| path.clone())
        .collect()
}
