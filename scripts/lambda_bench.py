#!/usr/bin/env python3
"""Memory and warm duration of each context's Lambda binary, by function
type: an HTTP function (a command where the context has one), a policy or
view taking a batch of 10 SQS messages, and the relay taking a batch of 10
outbox stream records. Each runs in its own process under the Lambda
Runtime API emulated by the cold-start harness (`lambda_coldstart.py`, kept
outside this repository: pass its path), against moto's server (DynamoDB,
SNS and SQS on the wire), provisioned by the local runner's `--aws`.

    scripts/lambda_bench.py --harness PATH/lambda_coldstart.py \\
        [--system bookreservation ...] [--warm 200] [--binaries DIR]

It builds the context binaries with the profile `scripts/sam-build` ships
(opt-level z, fat LTO, abort on panic) for this machine's architecture into
`target/lambda-bench/` (or takes them from `--binaries`), then prints one
Markdown row per binary and function: peak RSS (VmHWM) after the warm
invocations, warm p50 and p99, and how many items the invocations added to
the context's table (a command refused every time would add none: the
figure shows that its work was done). Before a binary's HTTP function is
measured, each of its queue functions takes its own sample once, so that
the views a command reads have their rows (a reservation needs its book).

The harness hands the same event to every warm invocation. An HTTP command
then does its work each time (a new reservation, more stock). A policy's
batch is the same ten events each time: after the first, each message is a
redelivery (a load, then the inbox or the aggregate absorbs it), the same
round trips as a first delivery less its write. The relay republishes the
same ten events each time and deletes their outbox items again.

Each binary gets a moto of its own, provisioned afresh: moto's own cost
grows with what it holds. Even so, a thousand commands in a row took one
moto server to 3 GB and 250 ms a request (p99 1.8 s), which measured moto,
not the function; hence 200 warm invocations by default.
"""

import argparse
import contextlib
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import uuid

import yaml

from sam_local_check import free_port, wait_for

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The profile `scripts/sam-build` ships, from the file it reads.
SIZE_PROFILE = dict(
    line.split("=", 1)
    for line in (ROOT / "scripts" / "lambda-profile.env").read_text().splitlines()
    if line and not line.startswith("#")
)
PREFIX = "lambdabench"
ACCOUNT = "123456789012"
REGION = "us-east-1"
BATCH = 10


def stack(system):
    template = yaml.safe_load((ROOT / "stacks" / f"{system}.yaml").read_text())
    template["System"] = system
    return template


def functions_of(template):
    for logical, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function" and "BuildProperties" in resource.get("Metadata", {}):
            yield logical, resource


def build(binaries, target_dir):
    packages = sorted(binaries)
    args = ["cargo", "build", "--release", "--target-dir", str(target_dir), "--bins"]
    for package in packages:
        args += ["-p", package]
    print(f"building {len(packages)} context binaries (size profile) ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    subprocess.run(args, cwd=ROOT, check=True, env={**os.environ, **SIZE_PROFILE})
    print(f"built in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return target_dir / "release"


def resolve(value, template):
    """An environment value of the stack, as the provisioned moto resources name it."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        name = value["Ref"]
        if name in template.get("Parameters", {}):
            return str(template["Parameters"][name].get("Default", ""))
        resource = template["Resources"].get(name, {})
        system = template["System"]
        return {"AWS::DynamoDB::Table": lambda: f"{PREFIX}-{system}-{name}",
                "AWS::SNS::Topic": lambda: f"arn:aws:sns:{REGION}:{ACCOUNT}:{PREFIX}-{system}-{name}"}.get(
            resource.get("Type"), lambda: None)()
    return None


def with_fresh_ids(record, count):
    """`count` copies of a sample record, each with its own ids (every UUID
    in it replaced by a new one, consistently within the copy)."""
    text = json.dumps(record)
    ids = sorted(set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)))
    copies = []
    for _ in range(count):
        copy = text
        for old in ids:
            copy = copy.replace(old, str(uuid.uuid4()))
        copies.append(json.loads(copy))
    return copies


def batch_of(sample_file):
    sample = json.loads(sample_file.read_text())
    records = sample["Records"]
    copies = []
    while len(copies) < BATCH:
        for record in records:
            copies += with_fresh_ids(record, 1)
    for i, record in enumerate(copies[:BATCH]):
        if "messageId" in record:
            record["messageId"] = str(uuid.uuid4())
        if "eventID" in record:
            record["eventID"] = uuid.uuid4().hex
        copies[i] = record
    return {**sample, "Records": copies[:BATCH]}


def pick(system, template):
    """Per context binary: (binary, kind, handler, logical id, event) to measure."""
    events = ROOT / "events" / system
    chosen = {}
    for logical, resource in functions_of(template):
        binary = resource["Metadata"]["BuildProperties"]["Binary"]
        properties = resource["Properties"]
        handler = properties["Handler"]
        sample = events / f"{handler}.json"
        if handler == "relay":
            context = binary.split("-", 1)[1]
            sample = events / f"relay-{context}.json"
        if not sample.exists() or handler == "health":
            continue
        variables = properties.get("Environment", {}).get("Variables", {})
        triggers = [e["Type"] for e in properties.get("Events", {}).values()]
        if handler == "relay":
            kind = "relay batch of 10"
        elif "SQS" in triggers:
            kind = "policy batch of 10"
        elif "HttpApi" in triggers:
            if any(name.endswith("_FUNCTION") for name in variables):
                continue  # its synchronous call needs Lambda, which moto does not run here
            api = properties["Events"]["Api"]["Properties"]
            kind = "command" if api["Method"] != "GET" else "query"
        else:
            continue
        # Of a context's HTTP functions, a command that creates (its sample
        # needs nothing in the table), else another command, else a query.
        rank = 0 if kind != "command" else 2 if "{" not in api["Path"] else 1
        key = (binary, "http" if kind in ("command", "query") else kind)
        if key in chosen and chosen[key][0] >= rank:
            continue
        event = batch_of(sample) if "batch" in kind else json.loads(sample.read_text())
        chosen[key] = (rank, (binary, kind, handler, logical, event, variables))
    return sorted((c for _, c in chosen.values()), key=lambda c: (c[0], c[1]))


def seeds(template, binary):
    """Each queue function of `binary` with its own sample, as it is in events/."""
    for _logical, resource in functions_of(template):
        properties = resource["Properties"]
        triggers = [e["Type"] for e in properties.get("Events", {}).values()]
        sample = ROOT / "events" / template["System"] / f"{properties['Handler']}.json"
        if resource["Metadata"]["BuildProperties"]["Binary"] == binary and "SQS" in triggers and sample.exists():
            variables = properties.get("Environment", {}).get("Variables", {})
            yield properties["Handler"], variables, json.loads(sample.read_text())


def measure(harness, binary_path, handler, variables, template, event, warm, moto):
    env = {"_HANDLER": handler, "AWS_ENDPOINT_URL": moto, "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": REGION, "RUST_LOG": "warn"}
    for name, value in variables.items():
        resolved = resolve(value, template)
        if resolved is not None:
            env[name] = resolved
    with tempfile.TemporaryDirectory() as scratch:
        event_file = pathlib.Path(scratch) / "event.json"
        event_file.write_text(json.dumps(event))
        args = [sys.executable, str(harness), "--bin", str(binary_path), "--event", str(event_file),
                "--cold", "1", "--warm", str(warm), "--quiet"]
        for name, value in env.items():
            args += ["--env", f"{name}={value}"]
        done = subprocess.run(args, capture_output=True, text=True)
        if done.returncode != 0:
            return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:]}
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        return {"summary": summary}


def items(table, moto):
    """Items in a table (a counting scan)."""
    import boto3
    client = boto3.client("dynamodb", endpoint_url=moto, region_name=REGION, aws_access_key_id="bench",
                          aws_secret_access_key="bench")
    count, start = 0, None
    while True:
        page = client.scan(TableName=table, Select="COUNT", **({"ExclusiveStartKey": start} if start else {}))
        count += page["Count"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--harness", required=True, help="path to lambda_coldstart.py")
    parser.add_argument("--system", action="append", help="a system (default: all five)")
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--binaries", help="a folder with the context binaries already built")
    args = parser.parse_args()
    systems = args.system or ["bookreservation", "bookrental", "gamereward", "rentcar", "productorder"]
    templates = {system: stack(system) for system in systems}
    picks = {system: pick(system, template) for system, template in templates.items()}
    needed = {p[0] for chosen in picks.values() for p in chosen}
    binaries = pathlib.Path(args.binaries) if args.binaries else build(needed, ROOT / "target" / "lambda-bench")

    print("| binary | function | warm p50 | warm p99 | peak RSS | items added |")
    print("|---|---|---|---|---|---|")
    for system in systems:
        template = templates[system]
        for binary in sorted({p[0] for p in picks[system]}):
            # A fresh moto for each binary: moto's own cost grows with what
            # it holds (stream records, messages), and would be measured.
            with moto_server() as moto:
                provision(system, moto)
                for handler, variables, sample in seeds(template, binary):
                    measure(args.harness, binaries / binary, handler, variables, template, sample, 1, moto)
                for _, kind, handler, _logical, event, variables in (p for p in picks[system] if p[0] == binary):
                    table = resolve(variables.get("TABLE_NAME"), template)
                    before = items(table, moto)
                    result = measure(args.harness, binaries / binary, handler, variables, template, event, args.warm,
                                     moto)
                    if "error" in result:
                        print(f"| {binary} | {kind} `{handler}` | failed: {result['error']} | | | |", flush=True)
                        continue
                    summary = result["summary"]
                    put = items(table, moto) - before
                    print(f"| {binary} | {kind} `{handler}` | {summary['warm_us_p50'] / 1000:.1f} ms "
                          f"| {summary['warm_us_p99'] / 1000:.1f} ms | {summary['rss_kb_peak'] / 1024:.1f} MB "
                          f"| {put} |", flush=True)


@contextlib.contextmanager
def moto_server():
    port = free_port("127.0.0.1")
    moto = f"http://127.0.0.1:{port}"
    python = ROOT / ".venv" / "bin" / "python"
    server = subprocess.Popen([str(python), "scripts/moto_server.py", "-H", "127.0.0.1", "-p", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"{moto}/moto-api/", "moto's server", 30)
        yield moto
    finally:
        server.terminate()
        server.wait()


def provision(system, moto):
    """Tables, topic and queues of the system on moto, as the runner's `--aws` creates them."""
    runner = ROOT / "target" / "debug" / "local"
    port = free_port("127.0.0.1")
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "AWS_ENDPOINT_URL": moto, "AWS_ACCESS_KEY_ID": "bench",
               "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": REGION}
        process = subprocess.Popen([str(runner), "--listen", f"127.0.0.1:{port}", "--data-dir", data, "--system",
                                    system, "--aws", "--aws-prefix", PREFIX], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(f"http://127.0.0.1:{port}/health", f"the runner provisioning {system} on moto", 60)
            # Stopped so that the bench's stream records and queues are its own.
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":

    sys.exit(main())
