#!/usr/bin/env python3
"""Exporter CPU per collection cycle, two binaries side by side (A/B) on one private engine.

Both exporters watch the same N sandboxes at the same time, so the engine, the sandboxes and
whatever else runs on the machine weigh on both alike. CPU is read from the scheduler's own
nanosecond counters (/proc/<pid>/task/*/schedstat) as well as from /proc/<pid>/stat, whose
10 ms ticks cannot tell a few milliseconds per cycle apart over a short window (4 cycles of
10 s: one tick is 2.5 ms per cycle). Prints one line per round and the medians.

  python3 benchmarks/ab_cycle_cpu.py --a OLD_BINARY --b NEW_BINARY --source-dir . \
      --sandboxes 100 --rounds 5 --cycles 6
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from macro_bench import Bench, cpu_seconds  # noqa: E402
from harness import Exporter, wait_until  # noqa: E402


def sched_ns(pid):
    """Run time of every live thread of `pid`, in ns (threads here live as long as the process)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def faults_and_switches(pid):
    """(minor faults, voluntary + involuntary context switches) of the whole process."""
    with open(f"/proc/{pid}/stat") as f:
        minflt = int(f.read().rsplit(")", 1)[1].split()[7])
    switches = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        switches += int(line.split()[1])
        except OSError:
            pass
    return minflt, switches


def reading(pid):
    return (sched_ns(pid), cpu_seconds(pid)) + faults_and_switches(pid)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True, help="binary A (e.g. the baseline)")
    parser.add_argument("--b", required=True, help="binary B (e.g. the change)")
    parser.add_argument("--b-args", default="",
                        help="extra flags for B, e.g. --collector.stats-source=engine to compare "
                             "the engine source with a binary from before it had another")
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--sandboxes", type=int, default=100)
    parser.add_argument("--interval", default="10s")
    parser.add_argument("--cycles", type=int, default=6, help="cycles per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    interval = float(args.interval.rstrip("s"))
    # Bench supplies the engine, the sandboxes and the exporter's arguments (macro_bench.py).
    bench = Bench(argparse.Namespace(binary=None, interval=args.interval,
                                     source_dir=args.source_dir))
    try:
        subprocess.run(["bash", bench.engine, "start", bench.work], check=True,
                       stdout=subprocess.DEVNULL)
        bench.grow_to(args.sandboxes)
        exporters = {}
        for label, binary, extra in (("A", args.a, []), ("B", args.b, args.b_args.split())):
            bench.args.binary = binary
            exporters[label], _ = bench.exporter(f"{args.sandboxes}-{label}", extra)
        for label, ex in exporters.items():
            wait_until(f"{label}'s first full cycle", lambda ex=ex: ex.metrics().get(
                "evonic_sandbox_pool_containers") == args.sandboxes, timeout=120)
        results = {"A": [], "B": []}
        for r in range(args.rounds):
            before = {k: reading(e.proc.pid) for k, e in exporters.items()}
            t0 = time.monotonic()
            time.sleep(args.cycles * interval)
            cycles = (time.monotonic() - t0) / interval
            line = [f"round {r + 1}:"]
            for k, e in exporters.items():
                after = reading(e.proc.pid)
                ns, ticks, flt, sw = (after[i] - before[k][i] for i in range(4))
                results[k].append((ns / 1e6 / cycles, ticks * 1e3 / cycles, flt / cycles,
                                   sw / cycles))
                line.append(f"{k} {results[k][-1][0]:.2f} ms (ticks {results[k][-1][1]:.1f}),"
                            f" {results[k][-1][2]:.0f} faults, {results[k][-1][3]:.0f} switches")
            print(" ".join(line), flush=True)
        print(f"per cycle at {args.sandboxes} sandboxes, {args.rounds} rounds of {args.cycles} "
              f"cycles at {args.interval}, medians (min-max):")
        for k in results:
            cols = list(zip(*results[k]))
            print(f"  {k}: CPU {statistics.median(cols[0]):.2f} ms ({min(cols[0]):.2f}-"
                  f"{max(cols[0]):.2f}), minor faults {statistics.median(cols[2]):.0f}, "
                  f"context switches {statistics.median(cols[3]):.0f}")
    finally:
        bench.close()


if __name__ == "__main__":
    main()
