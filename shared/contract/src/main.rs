//! `cargo contract`: the published contract's command (an alias of
//! `cargo run -p contract --`).
//!
//! - `cargo contract generate`: writes docs/contract/<system>/ from the
//!   boards and the event types.
//! - `cargo contract check`: says which committed files are stale, and fails.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo contract", about = "Generate the published contract (AsyncAPI, JSON Schemas), or check it.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write docs/contract/<system>/ from the boards and the types.
    Generate,
    /// Fail if a committed contract file differs from what the code generates.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let repo = board::repo_root();
    let run = || -> Result<Vec<String>, String> {
        let boards = board::boards(&repo).map_err(|e| e.to_string())?;
        match cli.command {
            Command::Check => contract::stale(&repo, &boards),
            Command::Generate => {
                // Generated whole before anything is removed: a failure leaves the committed files.
                let documents = contract::documents(&boards)?;
                for system in &boards {
                    let events = repo.join("docs/contract").join(&system.system).join("events");
                    // Events no board publishes any more go with their files.
                    let _ = std::fs::remove_dir_all(&events);
                }
                for (path, text) in documents {
                    let target = repo.join(&path);
                    std::fs::create_dir_all(target.parent().expect("a file in a folder")).map_err(|e| e.to_string())?;
                    std::fs::write(&target, text).map_err(|e| format!("{path}: {e}"))?;
                    println!("wrote {path}");
                }
                Ok(Vec::new())
            }
        }
    };
    match run() {
        Ok(stale) if stale.is_empty() => ExitCode::SUCCESS,
        Ok(stale) => {
            eprintln!("stale, run `cargo contract generate`:");
            for path in stale {
                eprintln!("  {path}");
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
