#!/usr/bin/env python3
"""Check verdict documents against schema/verdict.schema.json (2020-12).

usage: validate_verdict.py SCHEMA DOCUMENT...

The schema is first checked against the 2020-12 meta-schema. Every
document must validate, and mutations of each (an unknown verdict,
version 2, a negative count, a bad presence, a missing member, a short
sha, an extra member) must not: a schema that accepts everything would
otherwise pass.

Exit status: 0 all good, 1 a check failed, 77 python3 lacks the jsonschema
module (the caller reports a skip).
"""
import copy
import json
import sys

try:
    from jsonschema import Draft202012Validator
except ImportError:
    print("validate_verdict: python3 has no jsonschema module, skipping",
          file=sys.stderr)
    sys.exit(77)


def mutations(doc):
    def m(what, f):
        d = copy.deepcopy(doc)
        f(d)
        return what, d

    yield m("unknown verdict", lambda d: d.__setitem__("verdict", "bad"))
    yield m("version 2", lambda d: d.__setitem__("version", 2))
    yield m("negative count",
            lambda d: d["counts"].__setitem__("pairs", -1))
    yield m("missing notes", lambda d: d.pop("notes"))
    yield m("extra member", lambda d: d.__setitem__("extra", 1))
    yield m("short sha", lambda d: d["base"].__setitem__("sha", "abc"))
    yield m("bad side status",
            lambda d: d["head"].__setitem__("status", "fine"))
    if d_results(doc):
        yield m("bad presence",
                lambda d: d["results"][0].__setitem__("presence", "x"))
        yield m("missing rule", lambda d: d["results"][0].pop("rule"))
        yield m("string median",
                lambda d: d["results"][0].__setitem__(
                    "base", {"n": 1, "median": "1", "low": None,
                             "high": None, "confidence": 0.9}))


def d_results(doc):
    return doc.get("results")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 1
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    v = Draft202012Validator(schema)
    failed = False
    for path in sys.argv[2:]:
        with open(path) as f:
            doc = json.load(f)
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            print("%s: %s at %s" % (path, e.message, list(e.path)),
                  file=sys.stderr)
            failed = True
        for what, bad in mutations(doc):
            if v.is_valid(bad):
                print("%s: mutation accepted: %s" % (path, what),
                      file=sys.stderr)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
