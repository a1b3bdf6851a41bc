#!/usr/bin/env python3
"""Checks the workspace's dependency rules (ARCHITECTURE.md) over `cargo metadata`.

Normal (non-dev) dependencies only: tests may use anything. Exits non-zero and names every
violation, so a crate that reaches across a seam fails CI instead of review.
"""

import json
import subprocess
import sys

# Which workspace crates each crate may depend on. A crate missing here is an error: new crates
# must state their place in the layering.
ALLOWED = {
    "riffle-types": set(),
    "riffle-auth": set(),
    "riffle-proto": {"riffle-types"},
    "riffle-log": {"riffle-types"},
    # ADR 0004: the DynamoDB model owns its wire shapes and its files; it reuses proto's wording.
    "riffle-dynamo": {"riffle-types", "riffle-proto"},
    "riffle-server": {"riffle-types", "riffle-auth", "riffle-proto", "riffle-log", "riffle-dynamo"},
    # Client side: any Kinesis endpoint through the SDK, never the server or its storage.
    "riffle-producer": {"riffle-types", "riffle-proto"},
    "riffle-consumer": {"riffle-types", "riffle-proto"},
    "riffle-agent": {"riffle-types", "riffle-proto", "riffle-producer"},
    "riffle-bench": {"riffle-types", "riffle-proto"},
    "riffle-testkit": {"riffle-types", "riffle-server"},
    "riffle-cli": None,  # the binary: anything
}
# Only the binary (and tests) may use anyhow; libraries return typed errors.
ANYHOW_OK = {"riffle-cli", "riffle-testkit"}
# The workspace denies unsafe code; these files alone may allow it, each for a reason it states.
UNSAFE_OK = {"crates/riffle-cli/src/alloc.rs"}


def main() -> int:
    meta = json.loads(subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--locked"]))
    members = {p["name"] for p in meta["packages"]}
    problems = []
    for p in meta["packages"]:
        name = p["name"]
        if name not in ALLOWED:
            problems.append(f"{name}: not in scripts/check-layering.py's ALLOWED table")
            continue
        normal = [d for d in p["dependencies"] if d.get("kind") is None]
        allowed = ALLOWED[name]
        for d in normal:
            if d["name"] in members and allowed is not None and d["name"] not in allowed:
                problems.append(f"{name} depends on {d['name']}, which the layering forbids")
            if d["name"] == "anyhow" and name not in ANYHOW_OK:
                problems.append(f"{name} depends on anyhow: libraries return typed errors (thiserror)")
    for path in sorted(unsafe_allowed()):
        if path not in UNSAFE_OK:
            problems.append(f"{path} allows unsafe code; the workspace denies it (see UNSAFE_OK)")
    for line in problems:
        print(f"layering: {line}", file=sys.stderr)
    if not problems:
        print(f"layering: {len(members)} crates follow the dependency rules")
    return 1 if problems else 0


def unsafe_allowed() -> set:
    """Files under crates/ and fuzz/ that lift the workspace's ban on unsafe code."""
    out = subprocess.run(["git", "grep", "-l", "-E", r"allow\((.*, *)?unsafe_code", "--", "crates", "fuzz"],
                         capture_output=True, text=True, check=False)
    return {line for line in out.stdout.splitlines() if line}


if __name__ == "__main__":
    sys.exit(main())
