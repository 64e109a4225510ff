#!/usr/bin/env bash
# The CI files under deploy/ parse as YAML, and the GitHub composite
# action is consistent: every ${{ inputs.X }} it uses is declared, every
# step says its shell, the example workflow uses only declared inputs and
# fetches the whole history.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
python3 -c 'import yaml' 2>/dev/null || { echo "python3-yaml missing: skipped"; exit 0; }
python3 - "$src/deploy" <<'PY'
import re, sys, yaml
d = sys.argv[1]
def load(p):
    with open(f"{d}/{p}") as f:
        text = f.read()
    return text, yaml.safe_load(text)

text, act = load("github-action/action.yml")
assert act["runs"]["using"] == "composite", act["runs"]
inputs = set(act["inputs"])
for want in ("bench", "count", "profiles", "server-url", "token", "memgate-bin"):
    assert want in inputs, want
used = set(re.findall(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}", text))
assert used, "no inputs used"
assert used <= inputs, used - inputs
steps = act["runs"]["steps"]
for s in steps:
    if "run" in s:
        assert s.get("shell"), f"step {s.get('name')} has no shell"
ids = {s["id"] for s in steps if "id" in s}
for ref in re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs", text):
    assert ref in ids, ref
assert "GITHUB_STEP_SUMMARY" in text and "compare --pr" in text

text, wf = load("github-action/example-workflow.yml")
on = wf.get("on", wf.get(True))   # YAML 1.1 reads a bare `on` as true
assert "pull_request" in on and on["push"]["branches"] == ["main"], on
used_with = {}
for job in wf["jobs"].values():
    for s in job["steps"]:
        if s.get("uses", "").startswith("actions/checkout"):
            assert s["with"]["fetch-depth"] == 0, s
        if "memgate" in s.get("uses", ""):
            used_with = s.get("with", {})
assert used_with and set(used_with) <= inputs, set(used_with) - inputs

text, gl = load("gitlab-ci.yml")
assert gl["memgate"]["variables"]["GIT_DEPTH"] == "0"
assert any("memgate collect" in l for l in gl["memgate"]["script"])

text, dc = load("docker-compose.yml")
svc = dc["services"]["memgate-server"]
assert svc["volumes"], svc
print("ci files: ok")
PY
