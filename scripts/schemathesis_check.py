#!/usr/bin/env python3
"""Schemathesis against the running local runner, every system.

Starts the runner (in memory, on a free port, `--check-events`), mints a
staff token and a customer token with `local token`, and for each system
and token runs:

1. first, while nothing else has happened, schemathesis's fuzzing phase
   in negative mode (every request breaks the schema somewhere), after
   which the runner must have published no event: a command that got
   through would have committed one;
2. then `schemathesis run --checks all` on the system's OpenAPI document as
   the runner serves it: the examples, coverage, fuzzing and stateful
   phases, a bounded number of cases per operation.

Any failure fails the check. Usage:

    scripts/schemathesis_check.py [--max-examples N] [SYSTEM ...]
"""

import argparse
import json
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


def events_published(base):
    """How many events the runner's relays have published (`--check-events`)."""
    with urllib.request.urlopen(f"{base}/_local/contract", timeout=5) as answer:
        report = json.load(answer)
    if report["violations"]:
        raise AssertionError(f"events broke their schemas: {report['violations'][:3]}")
    return report["checked"]


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
            [str(RUNNER), "--listen", f"127.0.0.1:{port}", "--in-memory", "--data-dir", data_dir, "--check-events"],
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
            env = {**os.environ, "SCHEMATHESIS_TELEMETRY": "false"}
            runs = [(mode, system, who) for mode in ["negative", "all"] for system in args.systems for who in tokens]
            for mode, system, who in runs:
                command = [str(schemathesis), "--config-file", str(ROOT / "scripts" / "schemathesis.toml"), "run",
                           f"{base}/{system}/openapi.json", "--url", f"{base}/{system}",
                           "-H", f"Authorization: Bearer {tokens[who]}", "--checks", "all", "--seed", "184",
                           "--no-color", "--mode", mode]
                if mode == "negative":
                    # Fuzzing alone: the other phases send the schema's
                    # examples and follow links with valid requests too.
                    command += ["--phases", "fuzzing", "--max-examples", str(2 * args.max_examples)]
                else:
                    command += ["--max-examples", str(args.max_examples)]
                started = time.monotonic()
                before = events_published(base)
                run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
                published = events_published(base) - before
                summary = [l.strip() for l in run.stdout.splitlines() if " generated, " in l]
                problems = [] if run.returncode == 0 else ["schemathesis failed"]
                if mode == "negative" and published:
                    problems.append(f"{published} events published while every request was invalid")
                status = "ok  " if not problems else "FAIL"
                print(f"{status} {system} as {who}, {mode} data: {' '.join(summary)}; "
                      f"{published} events published ({time.monotonic() - started:.1f} s)", flush=True)
                if problems:
                    print(run.stdout[-6000:])
                    failed.append(f"{system} as {who} ({mode}: {', '.join(problems)})")
        finally:
            runner.terminate()
            runner.wait()
    if failed:
        print("schemathesis failed:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
