//! Structured JSON logs. Every line carries the fields of the spans it is in,
//! so the correlation id set at the edge (HTTP request or consumed event)
//! shows on every line written while handling it.

use tracing_subscriber::filter::LevelFilter;

/// Installs the JSON subscriber once. `RUST_LOG` sets the level (`error`,
/// `warn`, `info`, `debug`, `trace`; default `info`): a plain level, which
/// keeps the regex engine of a directive filter (~145 KB) out of every Lambda.
pub fn init() {
    let level =
        std::env::var("RUST_LOG").ok().and_then(|l| l.trim().parse::<LevelFilter>().ok()).unwrap_or(LevelFilter::INFO);
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .without_time()
        .try_init();
}
