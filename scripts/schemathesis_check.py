#!/usr/bin/env python3
"""Schemathesis against the running local runner, every system.

Starts the runner (in memory, on a free port), mints a staff token and a
customer token with `local token`, and runs `schemathesis run --checks all`
on each system's OpenAPI document as the runner serves it: the examples,
coverage, fuzzing and stateful phases, a bounded number of cases per
operation. Any failure fails the check. Usage:

    scripts/schemathesis_check.py [--max-examples N] [SYSTEM ...]
"""

import argparse
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUNNER = ROOT / "target" / "debug" / "local"
SYSTEMS = ["bookreservation", "bookrental", "gamereward", "rentcar", "productorder"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token(data_dir, sub, *groups):
    args = [str(RUNNER), "token", "--sub", sub, "--data-dir", data_dir]
    for group in groups:
        args += ["--group", group]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("systems", nargs="*", default=SYSTEMS)
    args = parser.parse_args()
    schemathesis = pathlib.Path(sys.executable).parent / "schemathesis"
    failed = []
    with tempfile.TemporaryDirectory() as data_dir:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        runner = subprocess.Popen(
            [str(RUNNER), "--listen", f"127.0.0.1:{port}", "--in-memory", "--data-dir", data_dir],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            tokens = {"staff": token(data_dir, "st-staff", "staff"), "customer": token(data_dir, "st-alice")}
            for system in args.systems:
                for who, bearer in tokens.items():
                    started = time.monotonic()
                    run = subprocess.run(
                        [str(schemathesis), "--config-file", str(ROOT / "scripts" / "schemathesis.toml"), "run",
                         f"{base}/{system}/openapi.json", "--url", f"{base}/{system}",
                         "-H", f"Authorization: Bearer {bearer}", "--checks", "all",
                         "--max-examples", str(args.max_examples), "--seed", "184",
                         "--no-color"],
                        cwd=ROOT, capture_output=True, text=True,
                        env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
                    )
                    summary = [l for l in run.stdout.splitlines() if "generated" in l or " in " in l and "=" in l]
                    status = "ok  " if run.returncode == 0 else "FAIL"
                    print(f"{status} {system} as {who}: {' '.join(s.strip() for s in summary[-2:])} "
                          f"({time.monotonic() - started:.1f} s)", flush=True)
                    if run.returncode != 0:
                        print(run.stdout[-6000:])
                        failed.append(f"{system} as {who}")
        finally:
            runner.terminate()
            runner.wait()
    if failed:
        print("schemathesis failed:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
