//! For tests against moto's server: its endpoint (from `MOTO_ENDPOINT`, or a
//! server this process starts with `scripts/moto_server.py` from `.venv`,
//! which `./scripts/test` installs) and SDK configuration pointing at it.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

struct Moto {
    endpoint: String,
    _server: Option<Child>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The moto endpoint for this test process.
pub fn moto_endpoint() -> String {
    MOTO.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("MOTO_ENDPOINT") {
            return Moto { endpoint, _server: None };
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let python = root.join(".venv/bin/python");
        assert!(python.exists(), "moto's server is not installed: run ./scripts/test once (it installs .venv)");
        // moto with DynamoDB requests one at a time: plain `moto_server`
        // loses writes when a transaction is canceled (docs/testing.md).
        let launcher = root.join("scripts/moto_server.py");
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        // A static's child is never dropped: a watcher shell stops the
        // server when this test process is gone, so runs leave no servers behind.
        let watch = format!(
            "\"$0\" \"$1\" -H 127.0.0.1 -p {port} & server=$!; while kill -0 {parent} 2>/dev/null; do sleep 1; done; kill $server",
            parent = std::process::id()
        );
        let server = Command::new("sh")
            .arg("-c")
            .arg(watch)
            .arg(python)
            .arg(launcher)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto's server starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto's server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto { endpoint, _server: Some(server) }
    })
    .endpoint
    .clone()
}

/// SDK configuration for moto: its endpoint, a region, dummy credentials.
pub async fn moto_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto_endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}
