"""What the test command's Python checks share: the local runner (the
debug build of `cargo build --workspace`) on a free loopback port with
throwaway storage, its tokens, JSON calls to it, and waiting for a
condition."""

import contextlib
import json
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "debug" / "local"


def eventually(probe, what, within=10.0):
    """The first truthy value of `probe`, polled for `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never: {what}")


class Runner:
    """A running local runner: `with Runner.start("--system", "x") as runner:`."""

    def __init__(self, base, data_dir, process):
        self.base = base
        self.data_dir = data_dir
        self.process = process

    @classmethod
    @contextlib.contextmanager
    def start(cls, *args):
        with tempfile.TemporaryDirectory() as data_dir:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            log = open(pathlib.Path(data_dir) / "runner.log", "w+")
            process = subprocess.Popen(
                [str(BINARY), "--listen", f"127.0.0.1:{port}", "--in-memory", "--data-dir", data_dir, *args],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
            runner = cls(f"http://127.0.0.1:{port}", data_dir, process)
            runner.log = log
            try:
                eventually(runner.answers, "the runner answers /health")
                yield runner
            finally:
                process.terminate()
                process.wait()
                log.close()

    def answers(self):
        if self.process.poll() is not None:
            self.log.seek(0)
            said = self.log.read()[-2000:]
            raise AssertionError(f"the runner exited with {self.process.returncode}: {said}")
        return self.call("GET", "/health")[0] == 200

    def events_published(self):
        """How many events the relays have published (`--check-events`), read
        once the count holds still: events still on their way out count."""
        def read():
            status, report = self.call("GET", "/_local/contract")
            assert status == 200, (status, report)
            if report["violations"]:
                raise AssertionError(f"events broke their schemas: {report['violations'][:3]}")
            return report["checked"]
        count = read()
        while True:
            time.sleep(0.15)
            again = read()
            if again == count:
                return count
            count = again

    def token(self, sub, *groups):
        """A bearer token the runner accepts (`local token`)."""
        args = [str(BINARY), "token", "--sub", sub, "--data-dir", self.data_dir]
        for group in groups:
            args += ["--group", group]
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()

    def call(self, method, path, token=None, body=None):
        """`(status, JSON body)`; `(0, None)` while nothing listens."""
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("content-type", "application/json")
        if token:
            request.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")
        except urllib.error.URLError:
            return 0, None
