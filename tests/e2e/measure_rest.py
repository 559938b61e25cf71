#!/usr/bin/env python3
"""Latency of the REST endpoints at N Evonic-style sandboxes on a private real engine, next to
the seed's way measured in the same run on the same sandboxes (`docker stats --no-stream
--format '{{json .}}' <id>` once per container, one after another).

  python3 tests/e2e/measure_rest.py --binary build/exporter/evonic-sandbox-exporter \
      --source-dir . --sandboxes 10 --requests 1000

Each endpoint is asked `--requests` times over one kept-alive connection with credentials (the
successful bcrypt check is cached, as for any real client); median and p99 are client-side wall
times. The seed's way is run 3 times; its median is reported."""
import argparse
import base64
import crypt  # noqa: deprecated in 3.11, present
import http.client
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from evonic_root import make_evonic_root  # noqa: E402
from harness import Exporter, Processes, wait_until  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)
DOCKER = "/usr/bin/docker"


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--sandboxes", type=int, default=10)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="evonic-r-", dir="/tmp")
    engine = os.path.join(args.source_dir, "tests", "tools", "private_engine.sh")
    subprocess.run(["bash", engine, "start", work], check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, DOCKER_HOST=f"unix://{work}/docker.sock")
    procs = Processes()
    try:
        agents = [f"agent{i % 3}" for i in range(args.sandboxes)]
        sessions = [(f"{agents[i]}-{i:08x}", agents[i], f"user{i}@example.com")
                    for i in range(args.sandboxes)]
        ids = []
        for i, (session, _, _) in enumerate(sessions):
            out = subprocess.run([DOCKER, "run", "-d", "--name", f"evonic-{session}",
                                  "--label", "evonic.managed=1", "--memory=512m", "--cpus=1",
                                  "--pids-limit=256", "--network", "none", "--tmpfs", "/tmp",
                                  "evonic-sandbox:test", "sleep", "infinity"],
                                 env=env, check=True, capture_output=True, text=True)
            ids.append(out.stdout.strip())
            if i % 3 == 0:  # some busy
                subprocess.run([DOCKER, "exec", "-d", f"evonic-{session}", "sh", "-c",
                                "while :; do :; done"], env=env, check=True)
        root = os.path.join(work, "evonic")
        make_evonic_root(root, [(a, a, True) for a in sorted(set(agents))], sessions)
        password = secrets.token_hex(8)
        web = os.path.join(work, "web.yml")
        with open(web, "w") as f:
            hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
            f.write(f"basic_auth_users:\n  ui: '{hashed}'\n")
        exporter = Exporter(procs, args.binary, [f"--docker.host=unix://{work}/docker.sock",
                                                 f"--evonic.root={root}",
                                                 f"--web.config.file={web}"], work,
                            auth=("ui", password))
        wait_until("all sandboxes sampled", lambda: len(
            [c for c in exporter.json("/api/sandbox/stats")["containers"]
             if c["measured"]]) == args.sandboxes, timeout=60)
        token = base64.b64encode(f"ui:{password}".encode()).decode()
        results = []
        for label, path in (("GET /api/agents/agent0/sandbox/stats",
                             "/api/agents/agent0/sandbox/stats"),
                            ("GET /api/sandbox/stats", "/api/sandbox/stats")):
            conn = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=10)
            times = []
            for _ in range(args.requests):
                t = time.perf_counter()
                conn.request("GET", path, headers={"Authorization": f"Basic {token}"})
                r = conn.getresponse()
                r.read()
                times.append(time.perf_counter() - t)
                assert r.status == 200, r.status
            conn.close()
            results.append((label, statistics.median(times), percentile(times, 99)))
        seed = []
        for _ in range(3):
            t = time.perf_counter()
            for cid in ids:
                subprocess.run([DOCKER, "stats", "--no-stream", "--format", "{{json .}}", cid],
                               env=env, check=True, capture_output=True)
            seed.append(time.perf_counter() - t)
    finally:
        procs.stop_all()
        subprocess.run(["bash", engine, "stop", work], stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)
    seed_median = statistics.median(seed)
    print(f"sandboxes: {args.sandboxes}, requests per endpoint: {args.requests}")
    print("| how | median | p99 | vs seed's way (median) |")
    print("|---|---:|---:|---:|")
    for label, med, p99 in results:
        print(f"| {label} | {med * 1000:.3f} ms | {p99 * 1000:.3f} ms | "
              f"{seed_median / med:,.0f}x faster |")
    print(f"| seed's way: docker stats --no-stream per container, serially (3 runs: "
          f"{', '.join(f'{s:.2f} s' for s in seed)}) | {seed_median:.2f} s | {max(seed):.2f} s | 1x |")


if __name__ == "__main__":
    main()
