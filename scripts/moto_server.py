"""moto's server, made to keep what real DynamoDB keeps.

moto's TransactWriteItems deep-copies every table it touches, then checks
and applies the operations one by one, and when a condition fails it puts
the copies back. Three things go wrong that real DynamoDB never does:

1. every write another request made to those tables in between is lost;
2. deep-copying a table while another thread writes to it fails now and then
   ("dictionary changed size during iteration", a 500 with an HTML body);
3. the operations applied before the failed condition have already written
   their stream records into the table's stream shard, which open shard
   iterators still read after the copy is put back: a reader sees records of
   a transaction that never happened, and the next real record takes the
   same sequence number, so a reader that resumes after it skips it.

So: DynamoDB and DynamoDB Streams requests are served one at a time (1, 2),
and a transaction's conditions are all checked before moto applies anything
(3): a transaction that would be canceled is refused without a write, as
DynamoDB does. SNS and SQS requests still run concurrently (SQS long polls
must not hold the others up).

Usage: .venv/bin/python scripts/moto_server.py [-H HOST] [-p PORT]
(docs/testing.md says more.)
"""

import argparse
import os
import threading

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

SERIALISED_TARGETS = ("DynamoDB_20120810.", "DynamoDBStreams_20120810.")


def conditions_checked_first(transact_write_items):
    """TransactWriteItems that refuses a transaction whose conditions do not
    all hold before writing anything: DynamoDB evaluates every condition
    against the state before the transaction (its items are distinct)."""

    def checked(self, transact_items):
        errors = []
        keys = set()
        for entry in transact_items:
            if len(entry) != 1:
                return transact_write_items(self, transact_items)
            op_type, op = next(iter(entry.items()))
            table_name = op.get("TableName")
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"} or table_name not in self.tables:
                return transact_write_items(self, transact_items)  # moto's own errors
            table = self.tables[table_name]
            if op_type == "Put":
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            identity = (table_name, str(sorted(key.items())))
            if identity in keys:
                return transact_write_items(self, transact_items)  # moto's validation error
            keys.add(identity)
            condition = op.get("ConditionExpression")
            current = self.get_item(table_name, key)
            if condition is not None and not get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            ).expr(current):
                item = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    item = current.to_json()["Attributes"]
                errors.append(("ConditionalCheckFailed", "The conditional request failed", item))
            else:
                errors.append((None, None, None))
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        return transact_write_items(self, transact_items)

    return checked


class OneDynamoDBRequestAtATime:
    """WSGI middleware: DynamoDB (and Streams) requests take one lock."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(SERIALISED_TARGETS):
            return self.app(environ, start_response)
        with self.lock:
            # The body is produced inside the lock too: moto may build it lazily.
            return list(self.app(environ, start_response))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    # moto builds some URLs from it, as its own launcher sets it.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    DynamoDBBackend.transact_write_items = conditions_checked_first(DynamoDBBackend.transact_write_items)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        OneDynamoDBRequestAtATime(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
