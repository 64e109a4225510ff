#!/usr/bin/env python3
"""Check run documents against schema/run.schema.json (JSON Schema 2020-12).

usage: validate_run_schema.py SCHEMA PATH...

Each PATH is a run document, or a directory whose valid-*.json files are
run documents (the fuzz seeds written by memgate). The schema itself is
first checked against the 2020-12 meta-schema. Then every document must
validate, and a few mutations of each (wrong format, version 2, a unit with
a space, a short sha, iterations 1.5, a missing member, an oversized
string) must not: a schema that accepts everything would otherwise pass.

Exit status: 0 all good, 1 a check failed, 77 python3 lacks the jsonschema
module (ctest reports the test as skipped).
"""
import copy
import json
import os
import sys

try:
    from jsonschema import Draft202012Validator
except ImportError:
    print("validate_run_schema: python3 has no jsonschema module, skipping",
          file=sys.stderr)
    sys.exit(77)


def documents(paths):
    for path in paths:
        if os.path.isdir(path):
            for name in sorted(os.listdir(path)):
                if name.startswith("valid-") and name.endswith(".json"):
                    yield os.path.join(path, name)
        else:
            yield path


def mutations(doc):
    """(what, mutated document) pairs that the schema must refuse."""
    def mutate(what, change):
        d = copy.deepcopy(doc)
        change(d)
        return what, d

    out = [
        mutate("format", lambda d: d.update(format="other-run")),
        mutate("version", lambda d: d.update(version=2)),
        mutate("missing commit.sha", lambda d: d["commit"].pop("sha")),
        mutate("short sha", lambda d: d["commit"].update(sha="abc123")),
        mutate("status", lambda d: d.update(status="maybe")),
        mutate("negative wall_ns", lambda d: d.update(wall_ns=-1)),
        mutate("int beyond 2^53", lambda d: d.update(started_at=2**53)),
        mutate("project too long",
               lambda d: d.update(project="x" * 65537)),
        mutate("dirty as string", lambda d: d.update(dirty="yes")),
    ]
    benches = [b for b in doc["benchmarks"] if b["samples"]]
    if benches:
        i = doc["benchmarks"].index(benches[0])

        def sample(d):
            return d["benchmarks"][i]["samples"][0]

        out += [
            mutate("unit with a space",
                   lambda d: sample(d).update(unit="allocs op")),
            mutate("iterations 1.5",
                   lambda d: sample(d).update(iterations=1.5)),
            mutate("value as string",
                   lambda d: sample(d).update(value="12")),
        ]
    if doc["profiles"]:
        out += [
            mutate("bad base64", lambda d: d["profiles"][0].update(
                data_base64="QQ=A")),
            mutate("sha256 upper case", lambda d: d["profiles"][0].update(
                sha256=d["profiles"][0]["sha256"].upper())),
        ]
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    failed = checked = 0
    for path in documents(argv[2:]):
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
        checked += 1
        errors = list(validator.iter_errors(doc))
        for e in errors:
            print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}",
                  file=sys.stderr)
            failed += 1
        if errors:
            continue
        for what, bad in mutations(doc):
            if validator.is_valid(bad):
                print(f"{path}: schema accepts a mutation: {what}",
                      file=sys.stderr)
                failed += 1
    if checked == 0:
        print("validate_run_schema: no documents given", file=sys.stderr)
        return 1
    print(f"validate_run_schema: {checked} documents, {failed} problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
