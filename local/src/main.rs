use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use local::auth::Authorizer;
use local::runner::{self, Config};

/// mimalloc instead of glibc's allocator: every request and every message
/// allocates (JSON bodies, SQLite rows, futures), and two threads free what
/// a third allocated. Figures in docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs every system of template.yaml locally (no Docker, no AWS account).
#[derive(Parser)]
#[command(name = "local", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Root SAM template.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Where tables, queues and the token key live.
    #[arg(long, default_value = ".local-data")]
    data_dir: PathBuf,
    /// Keep tables and queues in memory (lost at exit).
    #[arg(long)]
    in_memory: bool,
    /// Wait before a failed message is retried, in milliseconds (default:
    /// each queue's VisibilityTimeout from the template).
    #[arg(long)]
    visibility_timeout_ms: Option<u64>,
    /// Use DynamoDB, SNS and SQS at AWS_ENDPOINT_URL (moto's server, or an
    /// account) instead of the embedded store; missing resources are created.
    /// Needs the runner built with `--features aws`.
    #[arg(long)]
    aws: bool,
    /// Batches of one queue handled at once (Lambda scales SQS consumers
    /// out the same way); default 4 embedded, 1 with `--aws` (moto's server
    /// is single-process and long polls are cheap there).
    #[arg(long)]
    pollers_per_queue: Option<usize>,
    /// Name prefix of the resources `--aws` creates.
    #[arg(long, default_value = "local")]
    aws_prefix: String,
    /// A stack parameter, `Name=Value` (as `sam deploy --parameter-overrides`),
    /// e.g. `CircuitOpenSeconds=2`; repeatable.
    #[arg(long = "parameter", value_parser = parse_parameter)]
    parameters: Vec<(String, String)>,
    /// Serve only this system (repeatable); default: every system of the template.
    #[arg(long = "system")]
    systems: Vec<String>,
    /// Misbehave as AWS may: `dup=0.2,fail=0.1,delay=0..200,reorder,publish=0.1,calls=0.05,seed=7`
    /// (see docs/local-runner.md); also `POST /_local/faults` while running.
    #[arg(long, value_parser = |s: &str| local::faults::FaultPlan::parse(s).map_err(|e| e.to_string()))]
    faults: Option<local::faults::FaultPlan>,
    /// Validate every event the relays publish against its published JSON
    /// Schema (docs/contract/), and keep each violation for
    /// `GET /_local/contract`. Needs the runner built with `--features check-events`.
    #[arg(long)]
    check_events: bool,
}

fn parse_parameter(text: &str) -> Result<(String, String), String> {
    let (name, value) = text.split_once('=').ok_or("expected Name=Value")?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

#[derive(Subcommand)]
enum Command {
    /// Serve every system (the default).
    Serve,
    /// Print a bearer token the runner accepts.
    Token {
        #[arg(long)]
        sub: String,
        /// Group membership (`cognito:groups`), e.g. `staff`; repeatable.
        #[arg(long)]
        group: Vec<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
        #[arg(long, default_value = ".local-data")]
        data_dir: PathBuf,
    },
}

// Storage calls block briefly (SQLite under a mutex); more workers than
// cores keep the CPU busy while one waits for a lock.
#[tokio::main(worker_threads = 8)]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Token { sub, group, ttl, data_dir } => match Authorizer::from_data_dir(&data_dir) {
            Ok(authorizer) => {
                println!("{}", authorizer.mint(&sub, &group, ttl));
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot read or create the token key in {}: {e}", data_dir.display());
                std::process::ExitCode::FAILURE
            }
        },
        Command::Serve => serve(cli.serve).await,
    }
}

async fn serve(args: ServeArgs) -> std::process::ExitCode {
    framework::telemetry::init();
    let authorizer = match Authorizer::from_data_dir(&args.data_dir) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cannot read or create the token key in {}: {e}", args.data_dir.display());
            return std::process::ExitCode::FAILURE;
        }
    };
    let config = Config {
        template: args.template,
        data_dir: args.data_dir,
        in_memory: args.in_memory,
        bind: args.listen,
        visibility_timeout: args.visibility_timeout_ms.map(Duration::from_millis),
        pollers_per_queue: args.pollers_per_queue.unwrap_or(if args.aws { 1 } else { 4 }),
        parameters: args.parameters.into_iter().collect(),
        systems: args.systems,
        faults: args.faults.unwrap_or_default(),
        check_events: args.check_events,
        backend: match backend(args.aws, args.aws_prefix).await {
            Some(backend) => backend,
            None => {
                eprintln!("this runner was built without AWS: `cargo run --release -p local --features aws -- --aws`");
                return std::process::ExitCode::from(2);
            }
        },
    };
    match runner::start(config, authorizer).await {
        Ok(running) => {
            // The first line on stdout is the address: scripts and tests read it.
            println!("listening on http://{}", running.addr);
            tokio::select! {
                _ = running.server => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot start: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The storage `--aws` asks for; `None` when this build has no AWS adapters
/// (the default build leaves the AWS SDK out, so a first run compiles less).
#[cfg(feature = "aws")]
async fn backend(aws: bool, prefix: String) -> Option<runner::Backend> {
    Some(if aws {
        runner::Backend::Aws { config: Box::new(aws_config::load_from_env().await), prefix }
    } else {
        runner::Backend::Embedded
    })
}

#[cfg(not(feature = "aws"))]
async fn backend(aws: bool, _prefix: String) -> Option<runner::Backend> {
    (!aws).then_some(runner::Backend::Embedded)
}
