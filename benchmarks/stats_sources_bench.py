#!/usr/bin/env python3
"""The two stats sources compared in one run (issue I), on a private real engine: for each N
(default 10, 50, 100, 200 Evonic-style sandboxes, every tenth busy, as macro_bench.py makes them)
the exporter runs with --collector.stats-source=engine, then =cgroupfs, each for a window of
cycles, and the engine alone (no exporter) for the same window. Per cycle it reports:
  - cycle wall time (the exporter's evonic_sandbox_exporter_collect_duration_seconds, median);
  - exporter CPU (scheduler nanoseconds of all its threads);
  - engine CPU (dockerd, containerd and every shim) minus what the engine burns with no exporter
    in the same time (its housekeeping and the shims' own);
  - their sum per sandbox-sample.
Then, at the largest N, a 1 s interval with the cgroupfs source: exporter + engine (net) CPU as a
share of one core. Prints a Markdown table.

  python3 benchmarks/stats_sources_bench.py --binary B --source-dir . [--sizes 10,50,100,200]

--binary given more than once runs each binary in turn on the same sandboxes (an A/B comparison
under the same conditions); --one-second-only skips the per-size table (the largest N is still
grown) and runs only the 1 s case.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from macro_bench import Bench, cpu_seconds, cycle_durations, engine_pids  # noqa: E402
from ab_cycle_cpu import sched_ns  # noqa: E402
from harness import Exporter, wait_until  # noqa: E402


def engine_cpu(work):
    return sum(cpu_seconds(p) for p in engine_pids(work))


def idle_engine(bench, seconds):
    """Engine CPU per second with no exporter running."""
    e0, t0 = engine_cpu(bench.work), time.monotonic()
    time.sleep(seconds)
    return (engine_cpu(bench.work) - e0) / (time.monotonic() - t0)


def run(bench, binary, n, source, interval, cycles, idle_per_second):
    args = [f"--docker.host=unix://{bench.work}/docker.sock", f"--collect.interval={interval:g}s",
            f"--collector.stats-source={source}"]
    exporter = Exporter(bench.procs, binary, args, bench.work)
    pid = exporter.proc.pid

    def full():
        m = exporter.metrics()
        return m if (m.get("evonic_sandbox_pool_containers") == n and
                     m.get("evonic_sandbox_exporter_last_collect_timestamp_seconds")) else None
    wait_until("a full cycle", full, timeout=180)
    m = exporter.metrics()
    assert m.get("evonic_sandbox_exporter_stats_source", source=source) == 1, source
    x0, e0, t0 = sched_ns(pid), engine_cpu(bench.work), time.monotonic()
    durations = cycle_durations(exporter, cycles * interval, min(1.0, interval / 2))
    window = time.monotonic() - t0
    x1, e1 = sched_ns(pid), engine_cpu(bench.work)
    errors = exporter.metrics().get("evonic_sandbox_exporter_collect_errors_total")
    bench.procs.stop(exporter.proc)
    n_cycles = window / interval
    exporter_cycle = (x1 - x0) / 1e9 / n_cycles
    engine_cycle = max(0.0, (e1 - e0) - idle_per_second * window) / n_cycles
    return {"binary": binary, "n": n, "source": source, "interval": interval,
            "wall": statistics.median(durations[1:] or durations),
            "exporter": exporter_cycle, "engine": engine_cycle,
            "engine_raw": (e1 - e0) / n_cycles, "errors": errors,
            "share": (exporter_cycle + engine_cycle) / interval}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, action="append")
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--sizes", default="10,50,100,200")
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--one-second-only", action="store_true")
    parser.add_argument("--one-second-cycles", type=int, default=30,
                        help="cycles of the 1 s case (and seconds of each idle measurement)")
    args = parser.parse_args()
    bench = Bench(argparse.Namespace(binary=args.binary[0], interval=f"{args.interval:g}s",
                                     source_dir=args.source_dir))
    rows, one_second = [], []
    try:
        subprocess.run(["bash", bench.engine, "start", bench.work], check=True,
                       stdout=subprocess.DEVNULL)
        sizes = [int(s) for s in args.sizes.split(",")]
        for n in sizes[-1:] if args.one_second_only else sizes:
            bench.grow_to(n)
            if args.one_second_only:
                break
            idle = idle_engine(bench, args.cycles * args.interval)
            for binary, source in [(b, s) for s in ("engine", "cgroupfs") for b in args.binary]:
                rows.append(run(bench, binary, n, source, args.interval, args.cycles, idle))
                r = rows[-1]
                print(f"{binary} N={n} {source}: wall {r['wall'] * 1e3:.1f} ms, exporter "
                      f"{r['exporter'] * 1e3:.1f} ms, engine {r['engine'] * 1e3:.1f} ms "
                      f"(raw {r['engine_raw'] * 1e3:.1f}, idle {idle * 1e3:.1f} ms/s)",
                      file=sys.stderr, flush=True)
        n = sizes[-1]
        # The engine's idle CPU (containerd and shims, some 40 ms/s at 200 sandboxes) drifts:
        # it is measured before and after each run, and the run's net is against their mean.
        idle_before = idle_engine(bench, args.one_second_cycles)
        for binary in args.binary:
            r = run(bench, binary, n, "cgroupfs", 1.0, args.one_second_cycles, idle_before)
            idle_after = idle_engine(bench, args.one_second_cycles)
            idle = (idle_before + idle_after) / 2
            r["engine"] = max(0.0, r["engine_raw"] - idle)
            r["share"] = r["exporter"] + r["engine"]
            r["idle"] = (idle_before, idle_after)
            one_second.append(r)
            idle_before = idle_after
    finally:
        bench.close()
    several = len(args.binary) > 1
    first = "| binary " if several else ""
    print(first + "| N | source | cycle wall | exporter CPU / cycle | engine CPU / cycle (net) | "
          "sum per sandbox-sample | errors |")
    print(("|---" if several else "") + "|---|---|---|---|---|---|---|")
    for r in rows:
        first = f"| {r['binary']} " if several else ""
        print(first + f"| {r['n']} | {r['source']} | {r['wall'] * 1e3:.1f} ms | "
              f"{r['exporter'] * 1e3:.1f} ms | {r['engine'] * 1e3:.1f} ms | "
              f"{(r['exporter'] + r['engine']) / r['n'] * 1e3:.3f} ms | {r['errors']:.0f} |")
    for r in one_second:
        first = f"\n{r['binary']}: at" if several else "\nAt"
        print(first + f" {r['n']} sandboxes, cgroupfs, 1 s interval, "
              f"{args.one_second_cycles} cycles: exporter "
              f"{r['exporter'] * 1e3:.1f} ms + engine {r['engine'] * 1e3:.1f} ms (net) per cycle = "
              f"{r['share'] * 100:.2f} % of one core (cycle wall {r['wall'] * 1e3:.1f} ms; engine "
              f"{r['engine_raw'] * 1e3:.1f} ms/s raw, idle {r['idle'][0] * 1e3:.1f} before and "
              f"{r['idle'][1] * 1e3:.1f} after)")

if __name__ == "__main__":
    main()
