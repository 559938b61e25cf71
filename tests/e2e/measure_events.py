#!/usr/bin/env python3
"""Measures the events side on a real engine: the exporter's RSS and tracked-object count before and after
N short-lived sandboxes (default 200) with K tool calls each (default 10: bash -s and python3 - in turn,
every fifth exits 1), made the way Evonic makes them, on a private engine this script starts.

Usage (root): measure_events.py --binary BUILD/exporter/evonic-sandbox-exporter --source-dir REPO
                                [--sandboxes 200] [--calls 10] [--parallel 4]
Prints one line per figure and exits non-zero if the counts disagree with what was run."""
import argparse
import concurrent.futures
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Exporter, Processes, rss_bytes, wait_until  # noqa: E402

DOCKER = "/usr/bin/docker"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--sandboxes", type=int, default=200)
    ap.add_argument("--calls", type=int, default=10)
    ap.add_argument("--parallel", type=int, default=4)
    a = ap.parse_args()
    tools = os.path.join(a.source_dir, "tests", "tools")
    d = tempfile.mkdtemp(prefix="evonic-me-", dir="/tmp")
    procs = Processes()
    env = dict(os.environ, DOCKER_HOST=f"unix://{d}/docker.sock")
    try:
        subprocess.run(["bash", os.path.join(tools, "private_engine.sh"), "start", d], check=True,
                       capture_output=True, timeout=300)
        subprocess.run(["bash", os.path.join(tools, "full_image.sh"), "import"], env=env, check=True,
                       capture_output=True, timeout=1800)
        exporter = Exporter(procs, a.binary, [f"--docker.host=unix://{d}/docker.sock", "--collect.interval=5s"], d)
        pid = exporter.proc.pid
        wait_until("events followed", lambda: exporter.metrics().get("evonic_sandbox_exporter_events_up") == 1)
        time.sleep(6)  # one collection cycle, so that "before" includes the stats side at rest
        m0 = exporter.metrics()
        rss0, tracked0 = rss_bytes(pid), m0.get("evonic_sandbox_exporter_events_tracked_objects")
        agent = f"measure-{secrets.token_hex(2)}"
        calls = {"bash": 0, "python": 0, "failed": 0}

        def one(i):
            name = f"evonic-{agent}-{i:08x}"

            def docker(*args, stdin=None):
                return subprocess.run([DOCKER, *args], env=env, input=stdin, capture_output=True, text=True,
                                      timeout=120)
            r = docker("run", "-d", "--rm", "--name", name, "--label", "evonic.managed=1", "--label",
                       "evonic.pid=1", "--label", f"evonic.created_at={int(time.time())}", "--memory=512m",
                       "--cpus=1", "--pids-limit=256", "--network", "none", "evonic-sandbox:full",
                       "sleep", "infinity")
            assert r.returncode == 0, r.stderr
            for k in range(a.calls):
                fail = k % 5 == 4
                if k % 2 == 0:
                    docker("exec", "-i", name, "bash", "-s", stdin="exit 1\n" if fail else "echo hi\n")
                else:
                    docker("exec", "-i", name, "python3", "-", stdin="raise SystemExit(1)\n" if fail else "print(1)\n")
            docker("rm", "-f", name)

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(a.parallel) as pool:
            list(pool.map(one, range(a.sandboxes)))
        took = time.monotonic() - started
        for k in range(a.calls):
            calls["bash" if k % 2 == 0 else "python"] += a.sandboxes
            calls["failed"] += a.sandboxes if k % 5 == 4 else 0

        def settled():
            m = exporter.metrics()
            return m if (m.get("evonic_sandbox_destroyed_total", agent_id=agent) == a.sandboxes and
                         m.get("evonic_sandbox_exporter_events_tracked_objects") == tracked0) else None
        m1 = wait_until("all sandboxes counted and freed", settled, timeout=120)
        time.sleep(6)  # and one more collection cycle at rest
        m1 = exporter.metrics()
        rss1, tracked1 = rss_bytes(pid), m1.get("evonic_sandbox_exporter_events_tracked_objects")
        runs = {t: m1.get("evonic_sandbox_tool_executions_total", agent_id=agent, tool=t) for t in ("bash", "python")}
        failures = sum(m1.get("evonic_sandbox_tool_failures_total", agent_id=agent, tool=t) for t in ("bash", "python"))
        print(f"sandboxes: {a.sandboxes} x {a.calls} tool calls in {took:.0f} s ({a.parallel} in parallel)")
        print(f"exporter RSS: before {rss0 / 2**20:.1f} MiB, after {rss1 / 2**20:.1f} MiB "
              f"(delta {(rss1 - rss0) / 2**20:+.1f} MiB)")
        print(f"tracked objects: before {tracked0:g}, after {tracked1:g}")
        print(f"counted: created {m1.get('evonic_sandbox_created_total', agent_id=agent):g}, destroyed "
              f"{m1.get('evonic_sandbox_destroyed_total', agent_id=agent):g}, bash {runs['bash']:g}, python "
              f"{runs['python']:g}, failures {failures:g}; lost "
              f"{m1.get('evonic_sandbox_exporter_events_lost_total'):g}, repairs "
              f"{m1.get('evonic_sandbox_exporter_events_repairs_total'):g}")
        ok = (runs["bash"] == calls["bash"] and runs["python"] == calls["python"] and failures == calls["failed"]
              and tracked1 == tracked0 and m1.get("evonic_sandbox_exporter_events_repairs_total") == 0)
        print("counts agree with what ran" if ok else f"MISMATCH: ran {calls}")
        return 0 if ok else 1
    finally:
        procs.stop_all()
        subprocess.run(["bash", os.path.join(tools, "private_engine.sh"), "stop", d], timeout=300)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
