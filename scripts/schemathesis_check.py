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
import os
import pathlib
import subprocess
import sys
import time

from local_runner import ROOT, Runner

SYSTEMS = ["bookreservation", "bookrental", "gamereward", "rentcar", "productorder"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("systems", nargs="*", default=SYSTEMS)
    args = parser.parse_args()
    schemathesis = pathlib.Path(sys.executable).parent / "schemathesis"
    failed = []
    with Runner.start("--check-events") as runner:
        tokens = {"staff": runner.token("st-staff", "staff"), "customer": runner.token("st-alice")}
        env = {**os.environ, "SCHEMATHESIS_TELEMETRY": "false"}
        runs = [(mode, system, who) for mode in ["negative", "all"] for system in args.systems for who in tokens]
        for mode, system, who in runs:
            command = [str(schemathesis), "--config-file", str(ROOT / "scripts" / "schemathesis.toml"), "run",
                       f"{runner.base}/{system}/openapi.json", "--url", f"{runner.base}/{system}",
                       "-H", f"Authorization: Bearer {tokens[who]}", "--checks", "all", "--seed", "184",
                       "--no-color", "--mode", mode]
            if mode == "negative":
                # Fuzzing alone: the other phases send the schema's
                # examples and follow links with valid requests too.
                command += ["--phases", "fuzzing", "--max-examples", str(2 * args.max_examples)]
            else:
                command += ["--max-examples", str(args.max_examples)]
            started = time.monotonic()
            before = runner.events_published()
            run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
            published = runner.events_published() - before
            summary = [line.strip() for line in run.stdout.splitlines() if " generated, " in line]
            problems = [] if run.returncode == 0 else ["schemathesis failed"]
            if mode == "negative" and published:
                problems.append(f"{published} events published while every request was invalid")
            status = "ok  " if not problems else "FAIL"
            print(f"{status} {system} as {who}, {mode} data: {' '.join(summary)}; "
                  f"{published} events published ({time.monotonic() - started:.1f} s)", flush=True)
            if problems:
                print(run.stdout[-6000:])
                failed.append(f"{system} as {who} ({mode}: {', '.join(problems)})")
    if failed:
        print("schemathesis failed:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
