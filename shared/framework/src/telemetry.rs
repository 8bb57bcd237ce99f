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

/// Counts a fault: something a new version of the function got wrong that
/// Lambda's own `Errors` metric does not see (an HTTP 500 returned as a
/// response, a poison message reported as a batch item failure, a failed
/// relay publish). On Lambda it is a CloudWatch metric in the Embedded Metric
/// Format (`EventStorming` / `Faults`, by `FunctionName` and `Version`), which
/// the template's canary alarms watch; elsewhere (the local runner, tests)
/// there is no such metric, only the error log line the caller writes.
pub fn fault(kind: &'static str) {
    let (Ok(function), Ok(version)) =
        (std::env::var("AWS_LAMBDA_FUNCTION_NAME"), std::env::var("AWS_LAMBDA_FUNCTION_VERSION"))
    else {
        return;
    };
    println!("{}", fault_record(&function, &version, kind, crate::now_millis()));
}

fn fault_record(function: &str, version: &str, kind: &str, timestamp_ms: u64) -> serde_json::Value {
    serde_json::json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": "EventStorming",
                "Dimensions": [["FunctionName", "Version"]],
                "Metrics": [{"Name": "Faults", "Unit": "Count"}],
            }],
        },
        "FunctionName": function,
        "Version": version,
        "Faults": 1,
        "fault": kind,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_fault_is_an_embedded_metric_format_record() {
        let record = super::fault_record("exchange", "7", "http_500", 1_795_341_600_000);
        let directive = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "EventStorming");
        assert_eq!(directive["Metrics"][0]["Name"], "Faults");
        // Every dimension and metric named in the directive is a member of the record.
        for name in ["FunctionName", "Version", "Faults"] {
            assert!(record.get(name).is_some(), "{name}");
        }
        assert_eq!(record["Version"], "7");
    }
}
