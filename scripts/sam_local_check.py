#!/usr/bin/env python3
"""`sam build` and `sam local invoke`, as SAM users run them, checked.

For each system, a representative set of functions: at least one command
(an API Gateway sample), one policy (an SQS batch), one relay (a DynamoDB
stream batch) and, where the system has one, one internal function (the
callee of a synchronous call). Each is built by `sam build` from the
system's stack (`--config-env local`: x86_64, the base image that
./scripts/lambda-image builds), run by `sam local invoke` in Docker under
the runtime interface emulator SAM CLI brings, fed its sample of events/,
and checked for its answer and for its effect in the context's table or on
the subscribed queues.

The AWS side is a moto server of this script's own, listening on the Docker
bridge's address (docker0), which both the host and the function
containers reach (SAM's `--docker-network host` does not give a container
the host's loopback). The local runner (`target/debug/local --aws`, built
by `cargo build -p local --features aws`) provisions each system's tables,
topic and queues there, with every context stopped, so that only the
functions SAM runs touch them.

    scripts/sam_local_check.py [--release] [SYSTEM... | start-api]
    scripts/sam_local_check.py [--release] --serve SYSTEM [--port 3001]

`--serve` starts moto, the runner and `sam local start-api` for SYSTEM and
keeps them until Ctrl-C, printing the address and two tokens, so that the
system's stories can be tried by curl through SAM.

Debug builds by default (`SAM_BUILD_MODE=debug`: the wiring is what is
checked, and a debug build of the subset takes about a minute once its
dependencies are built); --release builds with the size profile of a
deployment (./scripts/sam-build), several minutes more.
"""

import json
import itertools
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import yaml

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
RUNNER = str(ROOT / "target" / "debug" / "local")
IMAGE = "lambda-provided:al2023-x86_64"
REGION = "us-east-1"
STACKS = itertools.count()
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "SAM_CLI_TELEMETRY": "0",
}


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(url, what, seconds=60, log=None):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    said = f"; it said:\n{Path(log).read_text()[-3000:]}" if log and Path(log).exists() else ""
    raise SystemExit(f"{what} never answered {url}{said}")


def bridge_address():
    """The host's address on Docker's default bridge (docker0)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "docker0"], capture_output=True, text=True).stdout
    for word in out.split():
        if "/" in word and word[0].isdigit():
            return word.split("/")[0]
    raise SystemExit("no docker0 bridge: is the Docker engine running?")


class Moto:
    """A moto server the function containers reach."""

    def __init__(self):
        host = bridge_address()
        port = free_port(host)
        self.process = subprocess.Popen(
            [str(VENV / "python"), str(ROOT / "scripts" / "moto_server.py"), "-H", host, "-p", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.endpoint = f"http://{host}:{port}"
        wait_for(f"{self.endpoint}/moto-api/", "moto's server", 30)
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        self.dynamodb = session.client("dynamodb", endpoint_url=self.endpoint)

    def sts(self):
        """SAM asks STS for the account id before it invokes: moto answers at
        once, where AWS's endpoint, unreachable offline, costs 6 s."""
        return {"AWS_ENDPOINT_URL_STS": self.endpoint}

    def close(self):
        self.process.kill()
        self.process.wait()


class Stack:
    """One system: its stack, provisioned on moto by the runner, its functions built and invoked by SAM."""

    def __init__(self, system, moto, work, stopped=True):
        self.system, self.moto, self.work = system, moto, work
        # Tables, topic and queues of their own: several stacks share one moto.
        self.prefix = f"sam{os.getpid()}x{next(STACKS)}"
        self.template = ROOT / "stacks" / f"{system}.yaml"
        self.resources = load_template(self.template)["Resources"]
        self.data_dir = tempfile.mkdtemp(dir=work)
        port = free_port("127.0.0.1")
        self.base = f"http://127.0.0.1:{port}"
        log = Path(work) / f"{self.prefix}-runner.log"
        self.runner = subprocess.Popen(
            [RUNNER, "--aws", "--aws-prefix", self.prefix, "--system", system, "--listen", f"127.0.0.1:{port}",
             "--data-dir", self.data_dir, "--template", str(ROOT / "template.yaml")],
            env={**os.environ, **CREDENTIALS, "AWS_ENDPOINT_URL": moto.endpoint},
            stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        wait_for(f"{self.base}/health", f"the runner for {system}", log=log)
        board = yaml.safe_load((ROOT / "functions" / system / "board.yaml").read_text())
        for context in board["contexts"] if stopped else []:
            self.control("POST", f"/_local/{system}/contexts/{context}/stop")

    def control(self, method, path):
        request = urllib.request.Request(f"{self.base}{path}", method=method, data=b"{}" if method == "POST" else None)
        request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def close(self):
        self.runner.kill()
        self.runner.wait()

    # -- sam build, sam local invoke

    def build(self, function=None):
        """`sam build` of one function, or of the whole stack: its built template."""
        build_dir = Path(self.work) / "build" / self.system / (function or "all")
        if not (build_dir / "template.yaml").exists():
            started = time.time()
            run([str(ROOT / "scripts" / "sam-build"), "--config-file", str(ROOT / "samconfig.toml"),
                 "--config-env", "local", "-t", str(self.template), "--build-dir", str(build_dir)]
                + ([function] if function else []), f"sam build {function or self.system}")
            print(f"     built {self.system} {function or 'every function'} in {time.time() - started:.0f} s")
        return build_dir / "template.yaml"

    def functions(self):
        return [name for name, r in self.resources.items() if r["Type"] == "AWS::Serverless::Function"]

    def env_file(self, functions):
        path = Path(self.work) / f"{self.system}-{functions[0] if len(functions) == 1 else 'api'}.env.json"
        path.write_text(json.dumps({function: self.env_vars(function) for function in functions}))
        return path

    def env_vars(self, function):
        """What the deployed stack would set: the context's table, the topic, and moto as the endpoint."""
        variables = {"AWS_ENDPOINT_URL": self.moto.endpoint}
        declared = self.resources[function]["Properties"].get("Environment", {}).get("Variables", {})
        for name, value in declared.items():
            if isinstance(value, dict) and "Ref" in value and value["Ref"].endswith("Table"):
                variables[name] = self.table(value["Ref"])
            elif isinstance(value, dict) and value.get("Ref") == "EventsTopic":
                variables[name] = f"arn:aws:sns:{REGION}:123456789012:{self.prefix}-{self.system}-events"
        return variables

    def invoke(self, function, sample):
        """`sam local invoke FUNCTION -e events/SYSTEM/SAMPLE.json`: the function's answer."""
        template = self.build(function)
        env_file = self.env_file([function])
        result = run([str(VENV / "sam"), "local", "invoke", function, "--config-file", str(ROOT / "samconfig.toml"),
                      "--config-env", "local", "-t", str(template), "-e",
                      str(ROOT / "events" / self.system / f"{sample}.json"), "--env-vars", str(env_file)],
                     f"sam local invoke {function}",
                     self.moto.sts())
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        return json.loads(lines[-1])

    # -- what the functions did

    def table(self, logical_id):
        return f"{self.prefix}-{self.system}-{logical_id}"

    def state(self, logical_id, aggregate, id):
        """The aggregate's state in the context's table, as the commit wrote it."""
        item = self.moto.dynamodb.get_item(TableName=self.table(logical_id),
                                           Key={"pk": {"S": f"{aggregate}#{id}"}, "sk": {"S": "STATE"}})
        return json.loads(item["Item"]["body"]["S"]) if "Item" in item else None

    def waiting(self, function):
        """Messages on the queue of a subscribed function (policy or view)."""
        rows = self.control("GET", "/_local/queues")
        row = next(r for r in rows if r["system"] == self.system and r["function"] == function)
        return row["depth"] + row["inFlight"]


def load_template(path):
    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader, tag, node):
        if isinstance(node, yaml.ScalarNode):
            return {tag.lstrip("!"): loader.construct_scalar(node)}
        if isinstance(node, yaml.SequenceNode):
            return {tag.lstrip("!"): loader.construct_sequence(node)}
        return {tag.lstrip("!"): loader.construct_mapping(node)}

    Loader.add_multi_constructor("!", tagged)
    return yaml.load(Path(path).read_text(), Loader=Loader)


def run(command, what, env=None):
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **CREDENTIALS, **(env or {})}, capture_output=True,
                            text=True, timeout=900)
    if result.returncode != 0:
        raise SystemExit(f"{what} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result


def expect(condition, what, detail):
    if not condition:
        raise SystemExit(f"FAIL {what}: {detail}")
    print(f"ok   {what}")


NO_FAILURES = "no batch item failure"


def outcome(answer):
    """What an invoke answered: a command's HTTP status, the status an
    internal function answers (`{"status": ..., "body": ...}`), or whether a
    batch (policy, relay) left failures."""
    if "statusCode" in answer:
        return answer["statusCode"]
    if "status" in answer:
        return answer["status"]
    return NO_FAILURES if answer == {"batchItemFailures": []} else answer


def step(stack, function, sample, answers, where, field, value, what):
    """Invokes FUNCTION with its sample: it answers `answers`, and after it
    the aggregate at `where` (table, type, id) has `field` equal to `value`."""
    answer = stack.invoke(function, sample)
    state = stack.state(*where) or {}
    expect(outcome(answer) == answers and state.get(field) == value, f"{stack.system} {function} {what}",
           (answer, state))


def relayed(stack, relay, sample, subscriber):
    """A relay publishes a stream batch's outbox inserts; the topic fans them out to the subscriber's queue."""
    before = stack.waiting(subscriber)
    answer = stack.invoke(relay, sample)
    after = stack.waiting(subscriber)
    expect(outcome(answer) == NO_FAILURES and after > before,
           f"{stack.system} {relay} (relay): published, {subscriber}'s queue {before} -> {after}", answer)


def bookreservation(stack):
    stock = ("StockTable", "Stock", "isbn-9788966260959")
    step(stack, "ReceiveStockFunction", "receive-stock", 200, stock, "available", 3,
         "(command): 200, three copies in the stock table")
    for delivery in ["first", "again, the same batch"]:
        step(stack, "ReserveStockFunction", "reserve-stock", NO_FAILURES, stock, "available", 2,
             f"(policy, {delivery}): one copy taken, once")
    relayed(stack, "StockRelayFunction", "relay-stock", "BookListViewFunction")


def bookrental(stack):
    delivery = ("DeliveryTable", "Delivery", "bdafa054-7772-5461-ba60-49bbd8d17a52")
    step(stack, "StartDeliveryFunction", "start-delivery", NO_FAILURES, delivery, "status", "Started",
         "(policy): the delivery started")
    step(stack, "CancelDeliveryFunction", "cancel-delivery", 200, delivery, "status", "Canceled",
         "(internal): 200, the delivery canceled")
    step(stack, "CompleteDeliveryFunction", "complete-delivery", 409, delivery, "status", "Canceled",
         "(command): 409 for a canceled delivery, unchanged")
    relayed(stack, "DeliveryRelayFunction", "relay-delivery", "FollowDeliveryFunction")


def gamereward(stack):
    gift = ("GiftTable", "Gift", "4f2906c3-0f55-5051-8840-aaff65123e66")
    step(stack, "IssueGiftFunction", "issue-gift", 200, gift, "status", "Issued", "(internal): 200, the gift issued")
    step(stack, "UseGiftFunction", "use-gift", 200, gift, "status", "Used", "(command): 200, the gift used")
    relayed(stack, "GiftRelayFunction", "relay-gift", "FollowGiftFunction")
    reward = ("RewardTable", "Reward", "1de5c853-a8f7-509a-974c-55b3523bcf30")
    step(stack, "AllocateRewardFunction", "allocate-reward", NO_FAILURES, reward, "status", "Allocated",
         "(policy): the mission's reward allocated")


def rentcar(stack):
    payment = ("PaymentTable", "Payment", "2d81d815-b3ac-5564-88cd-4e534a212606")
    step(stack, "ApprovePaymentFunction", "approve-payment", 200, payment, "status", "Approved",
         "(internal): 200, the payment approved")
    relayed(stack, "PaymentRelayFunction", "relay-payment", "FollowPaymentFunction")
    step(stack, "CancelPaymentFunction", "cancel-payment", 200, payment, "status", "Canceled",
         "(command): 200, the payment canceled")
    step(stack, "RefundCanceledReservationFunction", "refund-canceled-reservation", NO_FAILURES, payment, "status",
         "Canceled", "(policy): nothing to refund twice")


def productorder(stack):
    step(stack, "AddProductFunction", "add-product", 201, ("ProductTable", "Product", "ITEM-001"), "quantity", 10,
         "(command): 201, ten in the product table")
    # The payment's id is derived from the order's (the sample's), so a
    # retried approval finds the same payment.
    payment = ("PayTable", "Payment", "2d81d815-b3ac-5564-88cd-4e534a212606")
    step(stack, "ApprovePayFunction", "approve-pay", 200, payment, "status", "Approved",
         "(internal): 200, the order's amount charged")
    step(stack, "RefundFunction", "refund", NO_FAILURES, payment, "status", "Canceled",
         "(policy): the canceled order refunded")
    relayed(stack, "PayRelayFunction", "relay-pay", "FollowPayFunction")


def call(base, method, path, token=None, body=None):
    """An HTTP request: status, headers and JSON body."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", method=method, data=data)
    if data is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def eventually(what, probe, seconds=60):
    """Polls `probe` until it returns a true value (the asynchronous half of a saga)."""
    deadline = time.time() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.time() > deadline:
            raise SystemExit(f"FAIL {what}: still not after {seconds} s")
        time.sleep(0.5)


class Api:
    """`sam local start-api` serving a system's routes on moto.

    SAM serves the HTTP half (the commands and queries, each in its Lambda
    container); the local runner on the same moto carries the events (its
    relays, policies and views), as Lambda's stream and queue triggers would
    on AWS."""

    def __init__(self, system, moto, work, port=None):
        self.stack = Stack(system, moto, work, stopped=False)
        self.process = None
        try:
            resources = self.stack.resources
            functions = [f for f in self.stack.functions() if "HttpApi" in str(resources[f]["Properties"].get("Events"))]
            template = self.stack.build()
            port = port or free_port("127.0.0.1")
            log = Path(work) / f"{self.stack.prefix}-start-api.log"
            self.process = subprocess.Popen(
                [str(VENV / "sam"), "local", "start-api", "--config-file", str(ROOT / "samconfig.toml"),
                 "--config-env", "local", "-t", str(template), "--env-vars", str(self.stack.env_file(functions)),
                 "--port", str(port)],
                cwd=ROOT, env={**os.environ, **CREDENTIALS, **moto.sts()},
                stdout=subprocess.DEVNULL, stderr=open(log, "w"))
            self.base = f"http://127.0.0.1:{port}"
            wait_for(f"{self.base}/health", "sam local start-api", 120, log)
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.process:
            self.process.terminate()
            self.process.wait()
        self.stack.close()


def start_api(moto, work):
    """bookreservation's story by HTTP through `sam local start-api`."""
    api = Api("bookreservation", moto, work)
    base, stack = api.base, api.stack
    try:
        staff, alice, bob = (token(stack, "bob", "staff"), token(stack, "alice"), token(stack, "bob"))
        book = "isbn-9788966260959"

        status, body = call(base, "POST", "/stocks", None, {"bookId": book, "title": "Clean Code", "quantity": 2})
        expect(status == 401, "start-api POST /stocks without a token: 401", (status, body))
        status, body = call(base, "POST", "/stocks", alice, {"bookId": book, "title": "Clean Code", "quantity": 2})
        expect(status == 403, "start-api POST /stocks as a customer: 403", (status, body))
        status, body = call(base, "POST", "/stocks", staff, {"bookId": book, "title": "Clean Code", "quantity": 2})
        expect(status == 200 and body["quantity"] == 2, "start-api POST /stocks as staff: two copies", (status, body))
        eventually("the book list shows two copies",
                   lambda: call(base, "GET", "/books", alice)[1] == [{"bookId": book, "title": "Clean Code",
                                                                       "available": 2}])
        print("ok   start-api GET /books: the view followed, two available")
        status, body = call(base, "POST", "/reservations", alice, {"bookId": book})
        expect(status == 202 and body["status"] == "Requested", "start-api POST /reservations: 202 Requested",
               (status, body))
        reservation = body["reservationId"]
        eventually("the reservation is Reserved",
                   lambda: call(base, "GET", f"/reservations/{reservation}", alice)[1].get("status") == "Reserved")
        print("ok   start-api GET /reservations/{id}: Reserved, the stock decided it")
        status, body = call(base, "GET", f"/reservations/{reservation}", bob)
        expect(status == 403, "start-api GET /reservations/{id} as another customer: 403", (status, body))
        status, body = call(base, "POST", f"/reservations/{reservation}/cancel", alice)
        expect(status == 200 and body["status"] == "Canceled", "start-api POST /reservations/{id}/cancel: Canceled",
               (status, body))
        eventually("the copy back in the list",
                   lambda: call(base, "GET", "/books", alice)[1][0]["available"] == 2)
        notes = eventually("two notifications", lambda: len(call(base, "GET", "/notifications", alice)[1]) == 2
                           and call(base, "GET", "/notifications", alice)[1])
        expect(len(notes) == 2, "start-api GET /books and /notifications: the copy back, Reserved and Canceled "
               "notified", notes)
    finally:
        api.close()


def interrupted(*_):
    raise KeyboardInterrupt


def serve(system, port):
    """`--serve SYSTEM`: start-api (and what it needs) until Ctrl-C or SIGTERM, for curl."""
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    moto = Moto()
    work = tempfile.mkdtemp(prefix="sam-local-")
    api = None
    try:
        api = Api(system, moto, work, port)
        print(f"sam local start-api serves {system} at {api.base}")
        print(f"(moto at {moto.endpoint}; the local runner carrying the events at {api.stack.base})")
        print(f"STAFF={token(api.stack, 'bob', 'staff')}")
        print(f"ALICE={token(api.stack, 'alice')}")
        print("Ctrl-C stops them all.", flush=True)
        api.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if api:
            api.close()
        moto.close()
        shutil.rmtree(work, ignore_errors=True)


def token(stack, sub, *groups):
    args = [RUNNER, "token", "--sub", sub, "--data-dir", stack.data_dir]
    for group in groups:
        args += ["--group", group]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()


CHECKS = {
    "bookreservation": bookreservation,
    "bookrental": bookrental,
    "gamereward": gamereward,
    "rentcar": rentcar,
    "productorder": productorder,
}


def main():
    args = sys.argv[1:]
    if "--release" in args:
        args.remove("--release")
    else:
        os.environ["SAM_BUILD_MODE"] = "debug"
    if platform.machine() != "x86_64":
        # samconfig.toml's local environment names x86_64 functions and image.
        raise SystemExit(f"these checks run x86_64 functions; this machine is {platform.machine()}")
    if not shutil.which("docker"):
        raise SystemExit("sam local needs a Docker engine")
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode != 0:
        run([str(ROOT / "scripts" / "lambda-image")], "scripts/lambda-image")
    if args[:1] == ["--serve"]:
        port = int(args[3]) if args[2:3] == ["--port"] else None
        return serve(args[1], port)
    systems = args or [*CHECKS, "start-api"]
    moto = Moto()
    work = tempfile.mkdtemp(prefix="sam-local-")
    try:
        for system in systems:
            if system == "start-api":
                start_api(moto, work)
                continue
            stack = Stack(system, moto, work)
            try:
                CHECKS[system](stack)
            finally:
                stack.close()
    finally:
        moto.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
