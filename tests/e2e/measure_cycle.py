#!/usr/bin/env python3
"""Measures, on a private real engine, the exporter's collection cycle time (its own metric
evonic_sandbox_exporter_collect_duration_seconds) and its RSS at N Evonic-style sandboxes.

  python3 tests/e2e/measure_cycle.py --binary build/exporter/evonic-sandbox-exporter \
      --source-dir . --sizes 1,10,50

Sandboxes: --memory=512m --cpus=1 --pids-limit=256 --network none --tmpfs /tmp, idle (sleep).
For each N it runs a fresh exporter at a 5 s interval and reports the median and maximum of 5
cycles, and the RSS after them. Prints a Markdown table."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Exporter, Processes, wait_until  # noqa: E402

DOCKER = "/usr/bin/docker"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--sizes", default="1,10,50")
    parser.add_argument("--cycles", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = tempfile.mkdtemp(prefix="evonic-m-", dir="/tmp")
    engine = os.path.join(args.source_dir, "tests", "tools", "private_engine.sh")
    subprocess.run(["bash", engine, "start", work], check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, DOCKER_HOST=f"unix://{work}/docker.sock")
    procs = Processes()
    rows = []
    try:
        running = 0
        for n in sizes:
            while running < n:
                name = f"evonic-bench-{running:08x}"
                subprocess.run([DOCKER, "run", "-d", "--name", name, "--label", "evonic.managed=1",
                                "--memory=512m", "--cpus=1", "--pids-limit=256",
                                "--network", "none", "--tmpfs", "/tmp", "evonic-sandbox:test",
                                "sleep", "infinity"], env=env, check=True,
                               stdout=subprocess.DEVNULL)
                running += 1
            exporter = Exporter(procs, args.binary, [f"--docker.host=unix://{work}/docker.sock",
                                                     "--collect.interval=5s"], work)
            durations = []
            last = 0.0
            while len(durations) < args.cycles:
                m = wait_until("a new cycle", lambda: (lambda p: p if (p.get(
                    "evonic_sandbox_exporter_last_collect_timestamp_seconds") or 0) > last
                    else None)(exporter.metrics()), timeout=60)
                last = m.get("evonic_sandbox_exporter_last_collect_timestamp_seconds")
                if m.get("evonic_sandbox_pool_containers") == n:
                    durations.append(m.get("evonic_sandbox_exporter_collect_duration_seconds"))
            rss = exporter.metrics().get("process_resident_memory_bytes")
            rows.append((n, statistics.median(durations), max(durations), rss))
            procs.stop(exporter.proc)
    finally:
        procs.stop_all()
        subprocess.run(["bash", engine, "stop", work], stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    print("| sandboxes | cycle median (s) | cycle max (s) | exporter RSS (MiB) |")
    print("|---:|---:|---:|---:|")
    for n, med, mx, rss in rows:
        print(f"| {n} | {med:.3f} | {mx:.3f} | {rss / 1048576:.1f} |")


if __name__ == "__main__":
    main()
