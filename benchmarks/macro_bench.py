#!/usr/bin/env python3
"""Macro benchmark on a private real Docker engine: for N Evonic-style sandboxes
(--memory=512m --cpus=1 --pids-limit=256 --network none, every fifth one busy) it measures, in one
run, the exporter's collection cycle (wall, its own metric), CPU per cycle of the exporter and of
the engine (dockerd + containerd + shims), the exporter's RSS, /metrics and REST latency with 10
concurrent clients (wrk; p50/p99; plain and gzip) and CPU per request, and the same question
answered the seed's way (`docker stats --no-stream --format '{{json .}}' <id>` per container,
serially) and by `docker stats --no-stream` for all at once. Writes a Markdown report.

  benchmarks/run_macro.sh            (builds Release, installs wrk, runs, writes BENCHMARKS.md)
"""
import argparse
import base64
import crypt  # noqa: deprecated in 3.11, present
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
from evonic_root import make_evonic_root  # noqa: E402
from harness import Exporter, Processes, wait_until  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)
DOCKER = "/usr/bin/docker"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except OSError:
        return 0.0


def engine_pids(work):
    """dockerd and containerd of the private engine, and every containerd shim."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if (work in cmd and ("dockerd" in cmd or "containerd" in cmd)) or \
                "containerd-shim" in cmd:
            pids.append(int(entry))
    return pids


def wrk(url, headers, seconds):
    args = ["wrk", "-t2", "-c10", f"-d{seconds}s", "--latency"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout

    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value = float(m.group(1))
        return value / 1000 if m.group(2) == "us" else value * 1000 if m.group(2) == "s" else value
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return latency("50"), latency("99"), requests, rps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--sizes", default="1,10,50,100,200")
    parser.add_argument("--interval", default="10s")
    parser.add_argument("--wrk-seconds", type=int, default=5)
    parser.add_argument("--out", default="BENCHMARKS.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = tempfile.mkdtemp(prefix="evonic-b-", dir="/tmp")
    engine = os.path.join(args.source_dir, "tests", "tools", "private_engine.sh")
    subprocess.run(["bash", engine, "start", work], check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, DOCKER_HOST=f"unix://{work}/docker.sock")
    procs = Processes()
    tables = []
    try:
        ids, sessions = [], []
        for n in sizes:
            while len(ids) < n:
                i = len(ids)
                session = f"agent{i % 5}-{i:08x}"
                out = subprocess.run(
                    [DOCKER, "run", "-d", "--name", f"evonic-{session}", "--label",
                     "evonic.managed=1", "--memory=512m", "--cpus=1", "--pids-limit=256",
                     "--network", "none", "evonic-sandbox:test", "sleep", "infinity"],
                    env=env, check=True, capture_output=True, text=True)
                ids.append(out.stdout.strip())
                sessions.append((session, f"agent{i % 5}", f"user{i}@example.com"))
                if i % 5 == 0:
                    subprocess.run([DOCKER, "exec", "-d", f"evonic-{session}", "sh", "-c",
                                    "while :; do :; done"], env=env, check=True)
            root = os.path.join(work, f"evonic-{n}")
            make_evonic_root(root, [(f"agent{a}", f"Agent {a}", True) for a in range(5)], sessions)
            password = secrets.token_hex(8)
            web = os.path.join(work, f"web-{n}.yml")
            with open(web, "w") as f:
                f.write("basic_auth_users:\n  bench: '%s'\n" % crypt.crypt(
                    password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))
            auth = "Authorization: Basic " + base64.b64encode(
                f"bench:{password}".encode()).decode()
            exporter = Exporter(procs, args.binary,
                                [f"--docker.host=unix://{work}/docker.sock",
                                 f"--collect.interval={args.interval}", f"--evonic.root={root}",
                                 f"--web.config.file={web}"], work, auth=("bench", password))
            pid = exporter.proc.pid

            def cycle_count(m):
                return m.get("evonic_sandbox_exporter_last_collect_timestamp_seconds") or 0
            first = wait_until("a full cycle", lambda: (lambda m: m if m.get(
                "evonic_sandbox_pool_containers") == n and cycle_count(m) > 0 else None)(
                exporter.metrics()), timeout=120)
            # Idle cycles: CPU of exporter and engine per cycle, cycle wall times.
            durations = []
            t0 = cycle_count(first)
            ex0, en0 = cpu_seconds(pid), sum(cpu_seconds(p) for p in engine_pids(work))
            last = t0
            cycles = 0
            while cycles < 3:
                m = wait_until("next cycle", lambda: (lambda m: m if cycle_count(m) > last
                                                      else None)(exporter.metrics()), timeout=120)
                last = cycle_count(m)
                durations.append(m.get("evonic_sandbox_exporter_collect_duration_seconds"))
                cycles += 1
            ex1, en1 = cpu_seconds(pid), sum(cpu_seconds(p) for p in engine_pids(work))
            elapsed = last - t0
            rss = exporter.metrics().get("process_resident_memory_bytes")
            row = {"n": n, "cycle": statistics.median(durations),
                   "exporter_cpu_cycle": (ex1 - ex0) / cycles,
                   "engine_cpu_cycle": (en1 - en0) / cycles,
                   "exporter_cpu_share": (ex1 - ex0) / elapsed if elapsed else 0, "rss": rss}
            # Requests: wrk, 10 connections.
            for name, path, extra in (("/metrics", "/metrics", []),
                                      ("/metrics gzip", "/metrics", ["Accept-Encoding: gzip"]),
                                      ("REST pool", "/api/sandbox/stats", []),
                                      ("REST agent", "/api/agents/agent1/sandbox/stats", [])):
                c0 = cpu_seconds(pid)
                p50, p99, count, rps = wrk(exporter.base + path, [auth] + extra, args.wrk_seconds)
                row[name] = (p50, p99, rps, (cpu_seconds(pid) - c0) / count * 1000)
            procs.stop(exporter.proc)
            # The seed's way and docker stats, on the same sandboxes in the same run.
            runs = 3 if n <= 10 else 1 if n <= 50 else 0
            seed = []
            for _ in range(runs):
                t = time.perf_counter()
                for cid in ids[:n]:
                    subprocess.run([DOCKER, "stats", "--no-stream", "--format", "{{json .}}", cid],
                                   env=env, check=True, capture_output=True)
                seed.append(time.perf_counter() - t)
            row["seed"] = statistics.median(seed) if seed else None
            t = time.perf_counter()
            subprocess.run([DOCKER, "stats", "--no-stream"], env=env, check=True,
                           capture_output=True)
            row["docker_stats_all"] = time.perf_counter() - t
            tables.append(row)
            print(f"N={n} done", file=sys.stderr)
    finally:
        procs.stop_all()
        subprocess.run(["bash", engine, "stop", work], stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)

    lines = ["# Benchmarks", "",
             f"Machine: {platform.node()}, {os.cpu_count()} cores, "
             f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
             f"{platform.platform()}; engine: Docker 20.10 (private dockerd, cgroup v1).",
             f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Interval {args.interval}.",
             "", "Reproduce: `benchmarks/run_macro.sh` (builds Release, installs wrk, runs "
             f"`benchmarks/macro_bench.py --sizes {args.sizes}`).", ""]
    for r in tables:
        lines += [f"## {r['n']} sandboxes", "", "| figure | value |", "|---|---:|",
                  f"| collection cycle (median wall) | {r['cycle']:.3f} s |",
                  f"| exporter CPU per cycle | {r['exporter_cpu_cycle'] * 1000:.1f} ms |",
                  f"| engine CPU per cycle (dockerd, containerd, shims) | {r['engine_cpu_cycle'] * 1000:.0f} ms |",
                  f"| exporter CPU share of one core at this interval | {r['exporter_cpu_share'] * 100:.2f} % |",
                  f"| exporter RSS | {r['rss'] / 2**20:.1f} MiB |"]
        for name in ("/metrics", "/metrics gzip", "REST pool", "REST agent"):
            p50, p99, rps, cpu_ms = r[name]
            lines.append(f"| {name}: p50 / p99 (10 clients), req/s, CPU per request | "
                         f"{p50:.3f} / {p99:.3f} ms, {rps:,.0f}/s, {cpu_ms:.3f} ms |")
        if r["seed"] is not None:
            lines.append(f"| seed's way (docker stats per container, serially) | {r['seed']:.2f} s |")
            lines.append(f"| ratio seed's way / REST pool p50 | {r['seed'] / (r['REST pool'][0] / 1000):,.0f}x |")
        lines.append(f"| `docker stats --no-stream` (all) | {r['docker_stats_all']:.2f} s |")
        lines.append(f"| ratio docker stats / REST pool p50 | {r['docker_stats_all'] / (r['REST pool'][0] / 1000):,.0f}x |")
        lines.append("")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
