#!/usr/bin/env python3
"""Builds the fake engine's scenario (tests/fixtures/fake-scenario/) from the recorded engine answers.

Usage: make_fake_scenario.py [--recorded DIR] [--shared DIR] [--out DIR]
  --recorded  answers recorded by record_engine_answers.sh (default tests/fixtures/engine-docker20.10)
  --shared    the shared stats fixtures (default tests/fixtures/docker-api)
  --out       the scenario folder to (re)write (default tests/fixtures/fake-scenario)

The four recorded sandboxes are copied byte for byte (all running; hand-made-box with its running answer).
A fifth, evonic-netuser-0a1b2c3d, gets the shared stats answer cgroup-v1-with-network-stats.json unchanged
and list/inspect entries derived from evonic-admin-6f07b262 (see the README written next to them).
Recorded bodies are compact JSON that Python re-serialises identically (checked here), so edited
documents keep the engine's exact format.
"""
import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
RECORDED = ["evonic-data-analyst-e0d4d663", "evonic-admin-6f07b262", "hand-made-box", "evonic-labelled"]
DERIVED_FROM = "evonic-admin-6f07b262"
NETUSER = "evonic-netuser-0a1b2c3d"
NETUSER_STATS = "cgroup-v1-with-network-stats.json"


def compact(doc):
    """The engine's encoding: Go's encoding/json, compact, a final newline."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"


def load_exact(path):
    raw = open(path, encoding="utf-8").read()
    doc = json.loads(raw)
    if compact(doc) != raw:
        sys.exit(f"{path}: does not re-serialise byte for byte; refusing to edit it")
    return doc


def derive(doc, old_id, new_id, new_name):
    """A copy of a list or inspect document with another id and name, on the bridge network."""
    text = json.dumps(doc)
    text = text.replace(old_id, new_id).replace(old_id[:12], new_id[:12])
    out = json.loads(text)
    if "Names" in out:  # list entry
        out["Names"] = ["/" + new_name]
    if "Name" in out:  # inspect
        out["Name"] = "/" + new_name
    out["HostConfig"]["NetworkMode"] = "bridge"
    nets = out["NetworkSettings"]["Networks"]
    out["NetworkSettings"]["Networks"] = {("bridge" if k == "none" else k): v for k, v in nets.items()}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recorded", default=os.path.join(TESTS, "fixtures", "engine-docker20.10"))
    ap.add_argument("--shared", default=os.path.join(TESTS, "fixtures", "docker-api"))
    ap.add_argument("--out", default=os.path.join(TESTS, "fixtures", "fake-scenario"))
    a = ap.parse_args()

    rec = lambda *p: os.path.join(a.recorded, *p)  # noqa: E731
    out = lambda *p: os.path.join(a.out, *p)  # noqa: E731
    for sub in ("inspect", "stats"):
        shutil.rmtree(out(sub), ignore_errors=True)
        os.makedirs(out(sub))

    for f in ("version.json", "error-400-version-too-old.json", "error-400-version-too-new.json"):
        shutil.copyfile(rec(f), out(f))
    for n in RECORDED:
        shutil.copyfile(rec("inspect", n + ".json"), out("inspect", n + ".json"))
        shutil.copyfile(rec("stats", n + ".json"), out("stats", n + ".json"))

    netstats_path = os.path.join(a.shared, NETUSER_STATS)
    shutil.copyfile(netstats_path, out("stats", NETUSER + ".json"))
    net_id = json.load(open(netstats_path))["id"]

    base_inspect = load_exact(rec("inspect", DERIVED_FROM + ".json"))
    base_id = base_inspect["Id"]
    with open(out("inspect", NETUSER + ".json"), "w", encoding="utf-8") as f:
        f.write(compact(derive(base_inspect, base_id, net_id, NETUSER)))

    listing = load_exact(rec("containers.json"))
    base_entry = next(e for e in listing if e["Id"] == base_id)
    listing.insert(0, derive(base_entry, base_id, net_id, NETUSER))
    with open(out("containers.json"), "w", encoding="utf-8") as f:
        f.write(compact(listing))

    ids = {e["Names"][0].lstrip("/"): e["Id"] for e in listing}
    engine = open(rec("engine.txt")).read().strip()
    rows = "\n".join(
        f"| `{name}` | `{ids[name]}` | {'derived (see below)' if name == NETUSER else 'recorded'} |"
        for name in [NETUSER] + RECORDED)
    readme = f"""# Scenario of the fake Docker engine

Made by `tests/tools/make_fake_scenario.py` from the answers in `../engine-docker20.10/` (recorded by
`tests/tools/record_engine_answers.sh` from a real engine) and `../docker-api/{NETUSER_STATS}`.
Served by `tests/fake_engine/fake_engine.py --scenario tests/fixtures/fake-scenario`. Do not edit by hand:
re-run the script (after re-recording, the ids change).

| file | what |
|---|---|
| `version.json` | `GET /version`, as recorded |
| `containers.json` | `GET /v1.41/containers/json?filters={{"label":["evonic.managed=1"]}}` as recorded, plus the derived first entry |
| `inspect/NAME.json` | `GET /v1.41/containers/ID/json` |
| `stats/NAME.json` | `GET /v1.41/containers/ID/stats?stream=false` (two samples: `precpu_stats` filled) |
| `error-400-version-too-old.json`, `error-400-version-too-new.json` | the engine's answers for `/v1.11/version` (plain text: versions below 1.24 get the old error format) and `/v1.99/version` (JSON); the fake uses their wording |

## Containers (all running)

| name | id | source |
|---|---|---|
{rows}

Recording: {engine.splitlines()[0]}; {engine.splitlines()[2]}.

- `evonic-data-analyst-e0d4d663`: 512m, 1 CPU (`NanoCpus`), 256 pids, `/tmp` tmpfs; a busy loop (~100% CPU).
- `evonic-admin-6f07b262`: same limits; a 64 MiB file in its `/tmp` tmpfs (memory `cache` 64 MiB, counted
  as `inactive_anon`, not `inactive_file`).
- `hand-made-box`: no limits (`memory_stats.limit` is the host's RAM, `pids_stats` has no `limit`); its
  running answer (its stopped answer is `../engine-docker20.10/stats-stopped.json`).
- `evonic-labelled`: 256m, `CpuQuota` 50000 / `CpuPeriod` 100000, 64 pids, labels `evonic.agent_id=ops`,
  `evonic.session_id=ops-12345678`.

## The derived fifth sandbox `{NETUSER}`

The engine here runs containers with `--network none` only, so a sandbox with network counters is made up:
- `stats/{NETUSER}.json` is `../docker-api/{NETUSER_STATS}` byte for byte (OpenTelemetry Collector contrib
  test data, Apache-2.0; pretty-printed, with `networks.eth0` and capitalised blkio ops). Its `id` is the
  real `{net_id}`; its `name` stays `/loving_torvalds`: names must be taken from the list, not from stats.
- `inspect/{NETUSER}.json` and the first entry of `containers.json` are copies of `{DERIVED_FROM}`'s with:
  its id replaced by `{net_id}` everywhere (also inside paths, and the 12-character short id as
  `Config.Hostname`); `Name`/`Names` = `/{NETUSER}`; `HostConfig.NetworkMode` = `"bridge"`; the key `none`
  of `NetworkSettings.Networks` renamed `bridge` (its contents, e.g. `NetworkID` and the empty
  `IPAddress`, unchanged). Labels, limits (512m, 1 CPU, 256 pids), state and times are the admin's.
"""
    with open(out("README.md"), "w", encoding="utf-8") as f:
        f.write(readme)
    for name in [NETUSER] + RECORDED:
        print(f"{name} {ids[name]}")


if __name__ == "__main__":
    main()
