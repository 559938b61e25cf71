#!/usr/bin/env python3
"""Macro benchmark on a private real Docker engine. For each N (default 1, 10, 50, 100, 200)
Evonic-style sandboxes (--memory=512m --cpus=1 --pids-limit=256 --network none; every tenth one
busy) it measures, in one run:
  - the exporter's collection cycle (wall, its own metric), CPU per cycle of the exporter and of
    the engine (dockerd + containerd + every containerd-shim), the exporter's share of one core,
    and its RSS (steady, and peak after the request load);
  - /metrics and both REST endpoints with 10 concurrent clients, plain and gzip: req/s and
    exporter CPU per request under wrk (one thread), p50/p99/p99.9 from benchmarks/http_latency
    (wrk's own percentiles are printed beside them: see http_latency.cc for why);
  - the same answers the seed's way (`docker stats --no-stream --format '{{json .}}' <id>` per
    container, serially; median of 3 at N <= 10, one run at 50, not beyond) and by
    `docker stats --no-stream` for all at once (every N).
Writes BENCHMARKS.md: a table per N, cost per sandbox across N, the targets met or missed, the
microbenchmarks (when given their JSON), the machine, and the command that reproduces it.

  benchmarks/run_macro.sh            (builds Release, installs wrk, runs, writes BENCHMARKS.md)
"""
import argparse
import base64
import crypt  # noqa: deprecated in 3.11, present
import json
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
from harness import Exporter, Processes, proc_status, wait_until  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)
DOCKER = "/usr/bin/docker"
TICKS = os.sysconf("SC_CLK_TCK")
AGENTS = 5
# A busy sandbox: a shell loop that computes for a few milliseconds, then sleeps 0.2 s (about a
# tenth of a core each; the report states the sandboxes' measured total). Full-core loops in every
# tenth sandbox would ask 20 cores of a 2-core machine at N=200 and measure the scheduler, not
# the exporter.
BUSY_LOOP = "while :; do i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; sleep 0.2; done"
SEED_FORMAT = "{{json .}}"


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except OSError:
        return 0.0


def machine_busy():
    """(busy, total) jiffies of all CPUs."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


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


def cycle_durations(exporter, seconds, poll):
    """Each collection cycle's wall time that `exporter`'s /metrics shows over `seconds`, read
    every `poll` seconds (a scrape costs ~0.1 ms, invisible in these figures)."""
    t0 = time.monotonic()
    durations, seen = [], set()
    while time.monotonic() - t0 < seconds:
        m = exporter.metrics()
        ts = m.get("evonic_sandbox_exporter_last_collect_timestamp_seconds")
        if ts not in seen:
            seen.add(ts)
            durations.append(m.get("evonic_sandbox_exporter_collect_duration_seconds"))
        time.sleep(poll)
    return durations


def wrk(url, headers, seconds):
    """p50 and p99 in ms, requests, requests/s: 10 connections on one wrk thread."""
    args = ["wrk", "-t1", "-c10", f"-d{seconds}s", "--latency"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors on {url}:\n{out}")

    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value = float(m.group(1))
        return value / 1000 if m.group(2) == "us" else value * 1000 if m.group(2) == "s" else value
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return latency("50"), latency("99"), requests, rps


def timed_runs(runs, argvs, env):
    """Median wall time of `runs` runs of the commands in `argvs`, one after the other."""
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        for argv in argvs:
            subprocess.run(argv, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times) if times else None


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="evonic-b-", dir="/tmp")
        self.engine = os.path.join(args.source_dir, "tests", "tools", "private_engine.sh")
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.work}/docker.sock")
        self.procs = Processes()
        self.ids, self.sessions, self.busy = [], [], 0

    def docker(self, *argv, capture=True):
        return subprocess.run([DOCKER, *argv], env=self.env, check=True, capture_output=capture,
                              text=True).stdout

    def grow_to(self, n):
        while len(self.ids) < n:
            i = len(self.ids)
            session = f"agent{i % AGENTS}-{i:08x}"
            self.ids.append(self.docker(
                "run", "-d", "--name", f"evonic-{session}", "--label", "evonic.managed=1",
                "--memory=512m", "--cpus=1", "--pids-limit=256", "--network", "none",
                "evonic-sandbox:test", "sleep", "infinity").strip())
            self.sessions.append((session, f"agent{i % AGENTS}", f"user{i}@example.com"))
            if i % 10 == 0:
                self.docker("exec", "-d", f"evonic-{session}", "sh", "-c", BUSY_LOOP)
                self.busy += 1

    def exporter(self, n, extra_args=()):
        root = os.path.join(self.work, f"evonic-{n}")
        make_evonic_root(root, [(f"agent{a}", f"Agent {a}", True) for a in range(AGENTS)],
                         self.sessions)
        password = secrets.token_hex(8)
        web = os.path.join(self.work, f"web-{n}.yml")
        with open(web, "w") as f:
            f.write("basic_auth_users:\n  bench: '%s'\n" % crypt.crypt(
                password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10)))
        auth = "Authorization: Basic " + base64.b64encode(f"bench:{password}".encode()).decode()
        exporter = Exporter(self.procs, self.args.binary,
                            [f"--docker.host=unix://{self.work}/docker.sock",
                             f"--collect.interval={self.args.interval}", f"--evonic.root={root}",
                             f"--web.config.file={web}", *extra_args], self.work,
                            auth=("bench", password))
        return exporter, auth

    def measure(self, n):
        self.grow_to(n)
        exporter, auth = self.exporter(n)
        pid = exporter.proc.pid
        interval = float(self.args.interval.rstrip("s"))

        def last_collect(m):
            return m.get("evonic_sandbox_exporter_last_collect_timestamp_seconds") or 0
        wait_until("a full cycle", lambda: (lambda m: m if m.get(
            "evonic_sandbox_pool_containers") == n and last_collect(m) > 0 else None)(
            exporter.metrics()), timeout=120)
        # A quiet window of `cycles` intervals: CPU of exporter, engine and machine, and each
        # cycle's wall time.
        engine = engine_pids(self.work)
        ex0, en0, mb0 = cpu_seconds(pid), sum(cpu_seconds(p) for p in engine), machine_busy()
        t0 = time.monotonic()
        durations = cycle_durations(exporter, self.args.cycles * interval, 1.0)
        window = time.monotonic() - t0
        ex1, en1, mb1 = cpu_seconds(pid), sum(cpu_seconds(p) for p in engine), machine_busy()
        cycles = window / interval
        m = exporter.metrics()
        sandbox_cpu = sum(v for name, _, v, _ in m.samples
                          if name == "evonic_sandbox_cpu_utilization_ratio")
        row = {"n": n, "busy": self.busy, "cycle": statistics.median(durations[1:] or durations),
               "cycle_max": max(durations[1:] or durations),
               "exporter_cpu_cycle": (ex1 - ex0) / cycles,
               "engine_cpu_cycle": (en1 - en0) / cycles,
               "exporter_cpu_share": (ex1 - ex0) / window,
               "machine_busy": (mb1[0] - mb0[0]) / (mb1[1] - mb0[1]) * os.cpu_count(),
               "sandbox_cpu": sandbox_cpu,
               "rss": proc_status(pid, "VmRSS") * 1024,
               "series": sum(1 for s in m.samples if s[0].startswith("evonic_sandbox_")
                             and not s[0].startswith("evonic_sandbox_exporter_"))}
        # Requests: 10 concurrent clients. wrk gives throughput (and so exporter CPU per
        # request); the latency probe gives the percentiles (see benchmarks/http_latency.cc).
        for name, path, extra in (
                ("/metrics", "/metrics", []),
                ("/metrics gzip", "/metrics", ["Accept-Encoding: gzip"]),
                ("REST pool", "/api/sandbox/stats", []),
                ("REST pool gzip", "/api/sandbox/stats", ["Accept-Encoding: gzip"]),
                ("REST agent", "/api/agents/agent0/sandbox/stats", []),
                ("REST agent gzip", "/api/agents/agent0/sandbox/stats",
                 ["Accept-Encoding: gzip"])):
            c0 = cpu_seconds(pid)
            wrk_p50, wrk_p99, count, rps = wrk(exporter.base + path, [auth] + extra,
                                               self.args.wrk_seconds)
            cpu_ms = (cpu_seconds(pid) - c0) / count * 1000
            probe = json.loads(subprocess.run(
                [self.args.latency_probe, str(exporter.port), path, str(self.args.wrk_seconds),
                 "10", auth] + extra, capture_output=True, text=True, check=True).stdout)
            if probe["errors"]:
                raise RuntimeError(f"{probe['errors']} failed requests on {path}")
            row[name] = {"p50": probe["p50"], "p99": probe["p99"], "p999": probe["p999"],
                         "max": probe["max"], "rps": rps, "cpu_ms": cpu_ms,
                         "wrk_p50": wrk_p50, "wrk_p99": wrk_p99}
        row["rss_peak"] = proc_status(pid, "VmHWM") * 1024
        row["rss_after"] = proc_status(pid, "VmRSS") * 1024
        row["threads"] = proc_status(pid, "Threads")
        self.procs.stop(exporter.proc)
        # The seed's way and docker stats, on the same sandboxes in the same run.
        runs = 3 if n <= 10 else 1 if n <= 50 else 0
        per_container = [[DOCKER, "stats", "--no-stream", "--format", SEED_FORMAT, cid]
                         for cid in self.ids[:n]]
        row["seed_pool"] = timed_runs(runs, per_container, self.env)
        agent0 = [argv for i, argv in enumerate(per_container) if i % AGENTS == 0]
        row["seed_agent"] = timed_runs(runs, agent0, self.env)
        row["seed_agent_containers"] = len(agent0)
        row["docker_stats_all"] = timed_runs(1, [[DOCKER, "stats", "--no-stream"]], self.env)
        print(f"N={n} done: cycle {row['cycle']:.3f} s, RSS {row['rss'] / 2**20:.1f} MiB",
              file=sys.stderr)
        return row

    def close(self):
        self.procs.stop_all()
        subprocess.run(["bash", self.engine, "stop", self.work], stdout=subprocess.DEVNULL)
        shutil.rmtree(self.work, ignore_errors=True)


def machine_line():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    engine = subprocess.run(["dockerd", "--version"], capture_output=True, text=True).stdout.strip()
    cgroup = "v2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "v1"
    return (f"{os.cpu_count()} cores ({model}), {mem:.0f} GiB, Linux {platform.release()}; "
            f"{engine} (a private dockerd, cgroup {cgroup})")


def ms(v):
    return f"{v:.3f} ms"


def report(args, rows, micro, machine, date):
    by_n = {r["n"]: r for r in rows}
    lines = ["# Benchmarks", "",
             "What the exporter costs and how fast it answers, measured on the real Docker engine "
             "against the seed's way (`docker stats` once per container, serially) and "
             "`docker stats --no-stream` for all containers.", "",
             f"- Machine: {machine}.",
             f"- Run: {date}, collection interval "
             f"{args.interval}; per endpoint {args.wrk_seconds} s of wrk (10 connections, one thread) "
             f"for req/s and CPU per request, then {args.wrk_seconds} s of "
             "`benchmarks/http_latency` (10 connections on 10 threads) for the percentiles.",
             "- Sandboxes: `--memory=512m --cpus=1 --pids-limit=256 --network none`, five agents; "
             "every tenth sandbox runs a duty-cycled shell loop (its measured CPU is in each "
             "table).",
             f"- Reproduce: `sudo benchmarks/run_macro.sh --sizes {args.sizes}` (builds Release, "
             "installs wrk, starts its own engine, writes this file).", ""]
    lines += targets(rows, by_n)
    base = rows[0]
    lines += ["## Cost per sandbox", "",
              f"Each added sandbox, measured against the smallest run (N={base['n']}): "
              "(figure at N - figure at the smallest N) / (N - smallest N).", "",
              "| N | exporter CPU per cycle | per added sandbox | engine CPU per cycle | "
              "per added sandbox | exporter RSS | per added sandbox | series |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        m = marginal(r, base)
        lines.append(
            f"| {r['n']} | {r['exporter_cpu_cycle'] * 1000:.1f} ms | "
            f"{'-' if m is None else f'{m[0] * 1000:.2f} ms'} | "
            f"{r['engine_cpu_cycle'] * 1000:.0f} ms | "
            f"{'-' if m is None else f'{m[1] * 1000:.1f} ms'} | {r['rss'] / 2**20:.1f} MiB | "
            f"{'-' if m is None else f'{m[2] / 1024:.1f} KiB'} | {r['series']} |")
    lines.append("")
    for r in rows:
        lines += [f"## {r['n']} sandbox{'es' if r['n'] != 1 else ''}", "",
                  "| figure | value |", "|---|---:|",
                  f"| busy sandboxes; sandboxes' CPU (exporter's sum) | {r['busy']}; "
                  f"{r['sandbox_cpu']:.2f} cores |",
                  f"| machine CPU busy during the quiet window (of {os.cpu_count()} cores) | "
                  f"{r['machine_busy']:.2f} cores |",
                  f"| collection cycle, median (max) wall | {r['cycle']:.3f} s "
                  f"({r['cycle_max']:.3f} s) |",
                  f"| exporter CPU per cycle | {r['exporter_cpu_cycle'] * 1000:.1f} ms |",
                  f"| exporter CPU, share of one core at this interval | "
                  f"{r['exporter_cpu_share'] * 100:.2f} % |",
                  f"| engine CPU per cycle (dockerd, containerd, shims) | "
                  f"{r['engine_cpu_cycle'] * 1000:.0f} ms |",
                  f"| exporter RSS: steady / after the requests / peak | "
                  f"{r['rss'] / 2**20:.1f} / {r['rss_after'] / 2**20:.1f} / "
                  f"{r['rss_peak'] / 2**20:.1f} MiB |"]
        for name in ("/metrics", "/metrics gzip", "REST pool", "REST pool gzip", "REST agent",
                     "REST agent gzip"):
            q = r[name]
            lines.append(f"| {name}: p50 / p99 / p99.9 (max) with 10 clients; req/s and exporter "
                         f"CPU per request under wrk; wrk's own p50 / p99 "
                         f"| {ms(q['p50'])} / {ms(q['p99'])} / {ms(q['p999'])} "
                         f"({ms(q['max'])}); {q['rps']:,.0f}/s, {ms(q['cpu_ms'])}; "
                         f"{ms(q['wrk_p50'])} / {ms(q['wrk_p99'])} |")
        if r["seed_pool"] is not None:
            runs = "median of 3" if r["n"] <= 10 else "one run"
            lines += [
                f"| seed's way, pool ({r['n']} calls, {runs}) | {r['seed_pool']:.2f} s |",
                f"| seed's way, agent0 ({r['seed_agent_containers']} calls) | "
                f"{r['seed_agent']:.2f} s |",
                f"| **pool: seed's way / REST p50 (p99)** | "
                f"**{r['seed_pool'] / (r['REST pool']['p50'] / 1000):,.0f}x** "
                f"({r['seed_pool'] / (r['REST pool']['p99'] / 1000):,.0f}x) |",
                f"| **agent: seed's way / REST p50 (p99)** | "
                f"**{r['seed_agent'] / (r['REST agent']['p50'] / 1000):,.0f}x** "
                f"({r['seed_agent'] / (r['REST agent']['p99'] / 1000):,.0f}x) |"]
        lines += [f"| `docker stats --no-stream` (all) | {r['docker_stats_all']:.2f} s |",
                  f"| docker stats / REST pool p50 (p99) | "
                  f"{r['docker_stats_all'] / (r['REST pool']['p50'] / 1000):,.0f}x "
                  f"({r['docker_stats_all'] / (r['REST pool']['p99'] / 1000):,.0f}x) |", ""]
    lines += [
        "## Reading the figures", "",
        "- Latency percentiles come from `benchmarks/http_latency` (every request timed, 10 "
        "threads with a keep-alive connection each). wrk's own percentiles are printed beside "
        "them: on 13-250 KB answers wrk sometimes reports a p99 of hundreds of milliseconds "
        "that its own counts rule out (mean latency x requests exceeds connections x duration), "
        "while the probe over the same server and seconds sees a handful of requests above "
        "100 ms in 100,000 (the max column: loopback TCP loss probes show in `nstat` then).",
        "- Exporter CPU per request is the exporter's CPU time during the wrk run divided by "
        "wrk's request count; it includes Basic auth (a cached check) and the kernel's share of "
        "the socket work.",
        "- RSS includes about 12.7 MiB of shared libraries' file pages (libcurl alone with its "
        "OpenSSL, GnuTLS and Kerberos dependencies maps 8 MiB once initialised); 'after the "
        "requests' is read right after the load, before the next publication returns free heap "
        "pages to the kernel (`collectors/pipeline/memory_returner.h`).",
        "- `docker stats --no-stream` takes about 2 s per call on this engine, for one "
        "container or all of them; the seed's way makes one call per container, serially, "
        "so it grows as 2 s x N.", ""]
    if micro:
        lines += ["## Microbenchmarks", "",
                  "Google Benchmark, Release build (`benchmarks/micro_benchmarks.cc`).", "",
                  "| benchmark | time per iteration | CPU per iteration |", "|---|---:|---:|"]
        for b in micro["benchmarks"]:
            lines.append(f"| {b['name']} | {b['real_time']:,.1f} {b['time_unit']} | "
                         f"{b['cpu_time']:,.1f} {b['time_unit']} |")
        lines.append("")
    return lines


def marginal(r, base):
    """Exporter CPU, engine CPU and RSS per sandbox added since `base`, or None for base."""
    if r["n"] == base["n"]:
        return None
    d = r["n"] - base["n"]
    return ((r["exporter_cpu_cycle"] - base["exporter_cpu_cycle"]) / d,
            (r["engine_cpu_cycle"] - base["engine_cpu_cycle"]) / d, (r["rss"] - base["rss"]) / d)


def targets(rows, by_n):
    """The issue's targets, each with the figure measured here and met or missed."""
    out = ["## Targets", "", "| target | measured | |", "|---|---|---|"]

    def add(target, measured, ok):
        out.append(f"| {target} | {measured} | {'met' if ok else '**missed**'} |")
    if 100 in by_n:
        r = by_n[100]
        p99 = max(r["REST pool"]["p99"], r["REST agent"]["p99"])
        add("REST p99 <= 2 ms at 100 sandboxes (10 clients)",
            f"pool {ms(r['REST pool']['p99'])}, agent {ms(r['REST agent']['p99'])}", p99 <= 2)
        cpu = max(r["/metrics"]["cpu_ms"], r["/metrics gzip"]["cpu_ms"])
        add("/metrics at 100: <= 0.2 ms exporter CPU per scrape",
            f"plain {ms(r['/metrics']['cpu_ms'])}, gzip {ms(r['/metrics gzip']['cpu_ms'])}",
            cpu <= 0.2)
        p99 = max(r["/metrics"]["p99"], r["/metrics gzip"]["p99"])
        add("/metrics at 100: p99 <= 5 ms with 10 concurrent scrapers",
            f"plain {ms(r['/metrics']['p99'])}, gzip {ms(r['/metrics gzip']['p99'])}", p99 <= 5)
        add("/metrics at 100: >= 5,000 gzip scrapes/s", f"{r['/metrics gzip']['rps']:,.0f}/s",
            r["/metrics gzip"]["rps"] >= 5000)
        add("collection cycle at 100 <= 1.5 s wall", f"median {r['cycle']:.3f} s, max "
            f"{r['cycle_max']:.3f} s", r["cycle_max"] <= 1.5)
        add("exporter RSS <= 20 MiB at 100", f"steady {r['rss'] / 2**20:.1f} MiB, peak "
            f"{r['rss_peak'] / 2**20:.1f} MiB", r["rss_peak"] <= 20 * 2**20)
        add("exporter CPU <= 1 % of one core at 100 (collection only)",
            f"{r['exporter_cpu_share'] * 100:.2f} % at {r['n']} sandboxes",
            r["exporter_cpu_share"] <= 0.01)
    if 10 in by_n and by_n[10]["seed_pool"]:
        r = by_n[10]
        ratio = r["seed_pool"] / (r["REST pool"]["p50"] / 1000)
        ratio99 = r["seed_pool"] / (r["REST pool"]["p99"] / 1000)
        add(">= 1,000x faster than the seed's way at 10 (pool, by p50; by p99)",
            f"{ratio:,.0f}x; {ratio99:,.0f}x", ratio >= 1000 and ratio99 >= 1000)
    flat = [r for r in rows if r["n"] >= 10 and r["n"] != rows[0]["n"]]
    if len(flat) >= 2:
        per = [marginal(r, rows[0])[0] for r in flat]
        growth = max(per) / min(per) if min(per) > 0 else float("inf")
        add("cost per sandbox flat from 10 to 200 (exporter CPU per cycle per added sandbox)",
            ", ".join(f"{r['n']}: {p * 1000:.2f} ms" for r, p in zip(flat, per)) +
            f" (max/min {growth:.1f})", growth <= 2)
    out.append("")
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--source-dir")
    parser.add_argument("--sizes", default="1,10,50,100,200")
    parser.add_argument("--interval", default="10s")
    parser.add_argument("--cycles", type=int, default=4, help="quiet window, in intervals")
    parser.add_argument("--wrk-seconds", type=int, default=5)
    parser.add_argument("--micro-json", help="Google Benchmark JSON output to include")
    parser.add_argument("--latency-probe",
                        help="the http_latency binary (benchmarks/http_latency.cc)")
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--rows-json", help="also write the measured figures here (JSON)")
    parser.add_argument("--report-from", help="write the report from a --rows-json file only")
    args = parser.parse_args()
    if args.report_from:
        with open(args.report_from) as f:
            saved = json.load(f)
        for key, value in saved["args"].items():
            setattr(args, key, value)
        write_report(args, saved["rows"], saved["machine"], saved["date"])
        return
    if not (args.binary and args.source_dir and args.latency_probe):
        parser.error("--binary, --source-dir and --latency-probe are needed to measure")
    sizes = [int(s) for s in args.sizes.split(",")]
    bench = Bench(args)
    rows = []
    try:
        subprocess.run(["bash", bench.engine, "start", bench.work], check=True,
                       stdout=subprocess.DEVNULL)
        for n in sizes:
            rows.append(bench.measure(n))
    finally:
        bench.close()
    saved = {"rows": rows, "machine": machine_line(),
             "date": time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
             "args": {"sizes": args.sizes, "interval": args.interval,
                      "wrk_seconds": args.wrk_seconds, "micro": None}}
    if args.micro_json:
        with open(args.micro_json) as f:
            saved["args"]["micro"] = json.load(f)
    if args.rows_json:
        with open(args.rows_json, "w") as f:
            json.dump(saved, f, indent=1)
    write_report(args, rows, saved["machine"], saved["date"], saved["args"]["micro"])


# What follows this line in BENCHMARKS.md is written by hand (other measurements, each with the
# command that made it) and kept when the report is written again.
KEPT_MARKER = "<!-- Written by hand below this line; benchmarks/macro_bench.py keeps it. -->"


def write_report(args, rows, machine, date, micro=None):
    micro = micro or getattr(args, "micro", None)
    text = "\n".join(report(args, rows, micro, machine, date)) + "\n"
    kept = ""
    if os.path.exists(args.out):
        with open(args.out) as f:
            old = f.read()
        if KEPT_MARKER in old:
            kept = "\n" + KEPT_MARKER + old.split(KEPT_MARKER, 1)[1]
    with open(args.out, "w") as f:
        f.write(text + kept)
    print(text)


if __name__ == "__main__":
    main()
