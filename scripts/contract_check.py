#!/usr/bin/env python3
"""The published contract as its readers' tools see it (docs/contract/).

Each system's OpenAPI document is validated as OpenAPI 3.1
(openapi-spec-validator) and its AsyncAPI document as AsyncAPI 3.0 (the
pydantic-asyncapi models), and every `$ref` in it must resolve inside the
document; an operation's messages must be messages of its own channel.
Each event's JSON Schema must be valid under its draft (2020-12), with the
`$id` docs/contract.md gives it. The consumer contract tests and the check
that these files are what the code generates are Rust tests (`shared/contract`).
"""

import json
import pathlib
import sys

import jsonschema
from openapi_spec_validator import validate as validate_openapi
from pydantic_asyncapi import AsyncAPI

ROOT = pathlib.Path(__file__).resolve().parent.parent / "docs" / "contract"


def refs(node, path="#"):
    """Every `$ref` in a document, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield path, value
            else:
                yield from refs(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from refs(value, f"{path}/{index}")


def resolve(document, ref):
    node = document
    for part in ref.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def check_asyncapi(path):
    problems = []
    document = json.loads(path.read_text())
    try:
        AsyncAPI.model_validate(document)
    except Exception as error:  # pydantic's ValidationError, with every field at fault
        problems.append(f"not AsyncAPI 3.0: {error}")
    for where, ref in refs(document):
        if not ref.startswith("#/") or resolve(document, ref) is None:
            problems.append(f"{where}: $ref {ref} resolves to nothing")
    for name, operation in document.get("operations", {}).items():
        channel = operation["channel"]["$ref"]
        for message in operation.get("messages", []):
            if not message["$ref"].startswith(channel + "/messages/"):
                problems.append(f"operation {name}: {message['$ref']} is not a message of {channel}")
    return problems, len(document.get("components", {}).get("messages", {}))


def check_schema(system, path):
    schema = json.loads(path.read_text())
    problems = [f"not a valid JSON Schema: {e.message}" for e in jsonschema.Draft202012Validator(
        jsonschema.Draft202012Validator.META_SCHEMA).iter_errors(schema)]
    source = schema["properties"]["source"]["const"]
    wanted = f"urn:event-storming:{system}:{source}:{path.stem}"
    if schema.get("$id") != wanted:
        problems.append(f"$id {schema.get('$id')}, not {wanted}")
    return problems


def main():
    failures = 0
    systems = sorted(p for p in ROOT.iterdir() if p.is_dir())
    if not systems:
        print(f"no contract under {ROOT}: run `cargo contract generate`")
        return 1
    for system in systems:
        problems, messages = check_asyncapi(system / "asyncapi.json")
        openapi = json.loads((system / "openapi.json").read_text())
        try:
            validate_openapi(openapi)
        except Exception as error:  # the validator's own error, naming the place
            problems.append(f"openapi.json: not OpenAPI 3.1: {error}")
        operations = sum(len(item) for item in openapi.get("paths", {}).values())
        schemas = sorted((system / "events").glob("*.json"))
        for schema in schemas:
            problems += [f"events/{schema.name}: {p}" for p in check_schema(system.name, schema)]
        if len(schemas) != messages:
            problems.append(f"{len(schemas)} event schemas for {messages} AsyncAPI messages")
        status = "ok  " if not problems else "FAIL"
        print(f"{status} {system.name}: OpenAPI 3.1 with {operations} operations, "
              f"AsyncAPI 3.0 with {messages} messages, {len(schemas)} event schemas")
        for problem in problems:
            print(f"     {problem}")
        failures += bool(problems)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
