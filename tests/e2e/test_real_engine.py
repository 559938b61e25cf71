#!/usr/bin/env python3
"""End to end on a real Docker engine that this test starts itself (a private dockerd beside any
other, tests/tools/private_engine.sh): Evonic-style sandboxes, the real exporter binary, and
`docker stats --no-stream` as the reference the exporter's values must agree with.

By hand: test_real_engine.py --binary BUILD/exporter/evonic-sandbox-exporter --source-dir REPO"""
import argparse
import calendar
import crypt  # noqa: deprecated in 3.11, present; a bcrypt hash for the web config
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from evonic_root import make_evonic_root  # noqa: E402
from harness import Exporter, Processes, run_docker, wait_until  # noqa: E402

ARGS = None
UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "kB": 1000, "MB": 1000 ** 2,
         "GB": 1000 ** 3}


def parse_size(text):
    m = re.match(r"^([0-9.]+)\s*([A-Za-z]+)$", text.strip())
    return float(m.group(1)) * UNITS[m.group(2)]


class RealEngineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="evonic-e2e-", dir="/tmp")
        cls.engine_script = os.path.join(ARGS.source_dir, "tests", "tools", "private_engine.sh")
        out = subprocess.run(["bash", cls.engine_script, "start", cls.dir], capture_output=True,
                             text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError("cannot start the private engine:\n" + out.stderr)
        cls.env = dict(os.environ, DOCKER_HOST=f"unix://{cls.dir}/docker.sock")
        cls.procs = Processes()
        suffix = secrets.token_hex(4)
        # Evonic's naming: evonic-<session_id>, session_id = <agent_id>-<8 hex>.
        cls.mem_agent, cls.busy_agent = "e2e-memory", "e2e-busy"
        cls.mem_session = f"{cls.mem_agent}-{suffix}"
        cls.busy_session = f"{cls.busy_agent}-{suffix}"
        cls.mem_name, cls.busy_name = f"evonic-{cls.mem_session}", f"evonic-{cls.busy_session}"
        for name in (cls.mem_name, cls.busy_name):
            cls.docker("run", "-d", "--name", name, "--label", "evonic.managed=1",
                       "--label", "evonic.pid=1", "--label", f"evonic.created_at={int(time.time())}",
                       "--memory=512m", "--cpus=1", "--pids-limit=256", "--network", "none",
                       "--tmpfs", "/tmp:rw,exec,size=3000m", "evonic-sandbox:test",
                       "sleep", "infinity")
        # tmpfs pages count as used memory: 64 MiB in /tmp.
        cls.docker("exec", cls.mem_name, "dd", "if=/dev/zero", "of=/tmp/blob", "bs=1M", "count=64")
        cls.docker("exec", "-d", cls.busy_name, "sh", "-c", "while :; do :; done")
        cls.exporter = Exporter(cls.procs, ARGS.binary,
                                [f"--docker.host=unix://{cls.dir}/docker.sock",
                                 "--collect.interval=1s"], cls.dir)
        # A second exporter as Evonic would run it: its database and credentials for the REST API.
        cls.users = {cls.mem_session: "mem-user@example.com", cls.busy_session: "+15550001111"}
        root = os.path.join(cls.dir, "evonic")
        make_evonic_root(root, [(cls.mem_agent, "Memory Agent", True),
                                (cls.busy_agent, "Busy Agent", True)],
                         [(cls.mem_session, cls.mem_agent, cls.users[cls.mem_session]),
                          (cls.busy_session, cls.busy_agent, cls.users[cls.busy_session])],
                         env={"SANDBOX_MAX_CONTAINERS": "4"})
        password = secrets.token_hex(8)
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
        web = os.path.join(cls.dir, "web.yml")
        with open(web, "w") as f:
            f.write(f"basic_auth_users:\n  ui: '{hashed}'\n")
        cls.rest = Exporter(cls.procs, ARGS.binary,
                            [f"--docker.host=unix://{cls.dir}/docker.sock", "--collect.interval=1s",
                             f"--evonic.root={root}", f"--web.config.file={web}"], cls.dir,
                            auth=("ui", password))
        # The first two read cgroupfs (auto, on this machine), this one the engine's stats API:
        # test_5 compares both sources with what the engine says.
        cls.on_engine = Exporter(cls.procs, ARGS.binary,
                                 [f"--docker.host=unix://{cls.dir}/docker.sock",
                                  "--collect.interval=1s", "--collector.stats-source=engine"],
                                 cls.dir)

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()
        subprocess.run(["bash", cls.engine_script, "stop", cls.dir], timeout=300)
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def docker(cls, *args):
        return run_docker(cls.env, *args).stdout

    def docker_stats(self, name):
        line = self.docker("stats", "--no-stream", "--format", "{{json .}}", name)
        return json.loads(line)

    def page_with_both(self):
        def ready():
            m = self.exporter.metrics()
            ok = (m.get("evonic_sandbox_cpu_utilization_ratio", session_id=self.busy_session)
                  is not None and
                  m.get("evonic_sandbox_memory_working_set_bytes", session_id=self.mem_session)
                  is not None)
            return m if ok else None
        return wait_until("both sandboxes on /metrics", ready, timeout=60)

    def test_1_labels_limits_and_lint(self):
        page = self.page_with_both()
        self.assertEqual(page.get("evonic_sandbox_exporter_docker_up"), 1)
        for name, agent, session in ((self.mem_name, self.mem_agent, self.mem_session),
                                     (self.busy_name, self.busy_agent, self.busy_session)):
            cid = self.docker("inspect", "--format", "{{.Id}}", name).strip()
            info = [l for n, l, _, _ in page.series("evonic_sandbox_info")
                    if l["container_name"] == name]
            self.assertEqual(len(info), 1, name)
            self.assertEqual(info[0], {"agent_id": agent, "session_id": session,
                                       "container_id": cid[:12], "container_name": name,
                                       "image": "evonic-sandbox:test"})
            self.assertEqual(page.get("evonic_sandbox_memory_limit_bytes", session_id=session),
                             512 * 1024 * 1024)
            self.assertEqual(page.get("evonic_sandbox_cpu_limit_cores", session_id=session), 1)
            self.assertEqual(page.get("evonic_sandbox_pids_limit", session_id=session), 256)
            self.assertGreaterEqual(page.get("evonic_sandbox_pids", session_id=session), 1)
            # --network none: counters are zero, not absent.
            self.assertEqual(page.get("evonic_sandbox_network_receive_bytes_total",
                                      session_id=session), 0)
            # Block I/O is not accounted on these machines: only presence is asserted.
            self.assertIsNotNone(page.get("evonic_sandbox_block_read_bytes_total",
                                          session_id=session))
            self.assertIsNotNone(page.get("evonic_sandbox_block_write_bytes_total",
                                          session_id=session))
            # StartedAt is RFC 3339 in UTC with nanoseconds, e.g. 2026-11-26T12:49:43.903134633Z
            started = self.docker("inspect", "--format", "{{.State.StartedAt}}", name).strip()
            whole = calendar.timegm(time.strptime(started[:19], "%Y-%m-%dT%H:%M:%S"))
            fraction = float("0." + started[20:].rstrip("Z")) if started[19] == "." else 0.0
            self.assertAlmostEqual(page.get("evonic_sandbox_start_time_seconds",
                                            session_id=session), whole + fraction, delta=0.001)
            for _, labels, _, _ in page.samples:
                if labels.get("session_id") == session:
                    self.assertIn(set(labels), ({"agent_id", "session_id"}, set(info[0])))
        lint = subprocess.run(["promtool", "check", "metrics"], input=page.text,
                              capture_output=True, text=True)
        self.assertEqual((lint.returncode, lint.stdout + lint.stderr), (0, ""))

    def test_2_memory_agrees_with_docker_stats(self):
        self.page_with_both()
        reference = parse_size(self.docker_stats(self.mem_name)["MemUsage"].split("/")[0])
        ours = self.exporter.metrics().get("evonic_sandbox_memory_working_set_bytes",
                                           session_id=self.mem_session)
        print(f"memory: exporter {ours:.0f} B, docker stats {reference:.0f} B")
        self.assertGreater(ours, 64 * 1024 * 1024)
        self.assertLess(abs(ours - reference) / reference, 0.05)

    def test_2b_rest_answers_match_the_sandboxes(self):
        self.page_with_both()

        def both_sampled():
            pool = self.rest.json("/api/sandbox/stats")
            ok = len(pool["containers"]) == 2 and all(c["measured"] for c in pool["containers"])
            return pool if ok else None
        pool = wait_until("both sandboxes in the pool answer", both_sampled, timeout=60)
        self.assertEqual(pool["pool_size"], 2)
        self.assertEqual(pool["max_containers"], 4)
        ids = {n: self.docker("inspect", "--format", "{{.Id}}", n).strip()[:12]
               for n in (self.mem_name, self.busy_name)}
        by_session = {c["session_id"]: c for c in pool["containers"]}
        self.assertEqual(set(by_session), {self.mem_session, self.busy_session})
        for agent, session, name in ((self.mem_agent, self.mem_session, self.mem_name),
                                     (self.busy_agent, self.busy_session, self.busy_name)):
            answer = self.rest.json(f"/api/agents/{agent}/sandbox/stats")
            self.assertEqual(answer["active_containers"], 1)
            c = answer["containers"][0]
            self.assertEqual(c["session_id"], session)
            self.assertEqual(c["external_user_id"], self.users[session])
            self.assertEqual(c["container_id"], ids[name])
            self.assertEqual(c["container_name"], name)
            self.assertEqual(c["memory"]["limit"], "512MiB")
            self.assertEqual(set(c), set(by_session[session]))
        mem = by_session[self.mem_session]["memory"]
        self.assertGreater(mem["used_bytes"], 64 * 1024 * 1024)
        self.assertGreaterEqual(by_session[self.busy_session]["cpu_percent"], 80)
        # Without credentials: refused.
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                              self.rest.base + "/api/sandbox/stats"], capture_output=True,
                             text=True)
        self.assertEqual(out.stdout, "401")

    def test_3_busy_cpu_agrees_with_docker_stats(self):
        self.page_with_both()
        reference = float(self.docker_stats(self.busy_name)["CPUPerc"].rstrip("%")) / 100
        ours = self.exporter.metrics().get("evonic_sandbox_cpu_utilization_ratio",
                                           session_id=self.busy_session)
        print(f"cpu: exporter {ours:.3f}, docker stats {reference:.3f}")
        self.assertGreaterEqual(ours, 0.8)
        self.assertLess(abs(ours - reference), 0.1)
        idle = self.exporter.metrics().get("evonic_sandbox_cpu_utilization_ratio",
                                           session_id=self.mem_session)
        self.assertLess(idle, 0.1)

    def test_3b_a_new_sandbox_has_its_cpu_from_its_first_sample(self):
        """No null where the contract has a number, and CPU % from a sandbox's first sample: the
        engine is asked once with its previous sample (issue J.2)."""
        self.page_with_both()
        session = f"e2e-new-{secrets.token_hex(4)}"
        name = f"evonic-{session}"
        self.docker("run", "-d", "--name", name, "--label", "evonic.managed=1",
                    "--memory=512m", "--cpus=1", "--pids-limit=256", "--network", "none",
                    "evonic-sandbox:test", "sh", "-c", "while :; do :; done")
        try:
            seen = []  # every REST entry of the new sandbox, in order
            first_page = []  # the first /metrics page with a sample of it

            def both_seen():
                # Both exporters polled in turn: each one's first cycle with the sandbox is seen.
                if not first_page:
                    m = self.exporter.metrics()
                    if m.get("evonic_sandbox_cpu_usage_seconds_total", session_id=session) is not None:
                        first_page.append(m)
                if not seen or not seen[-1]["measured"]:
                    pool = self.rest.json("/api/sandbox/stats")
                    entry = next((c for c in pool["containers"] if c["session_id"] == session),
                                 None)
                    if entry is not None:
                        seen.append(entry)
                return first_page and seen and seen[-1]["measured"]
            wait_until("the new sandbox measured on /metrics and in the REST answer", both_seen,
                       timeout=60, interval=0.02)
            for c in seen:
                self.assertIsInstance(c["cpu_percent"], (int, float), c)
                self.assertRegex(c["pids"], r"^[0-9]+$", c)
                self.assertIsInstance(c["memory"]["used_bytes"], (int, float), c)
            print(f"new sandbox: {len(seen)} REST answers until measured, then cpu "
                  f"{seen[-1]['cpu_percent']} %")
            self.assertGreater(seen[-1]["cpu_percent"], 0,
                               "a busy loop's CPU % in its first measured answer")
            self.assertIsNotNone(first_page[0].get("evonic_sandbox_cpu_utilization_ratio",
                                                   session_id=session),
                                 "the first sample on /metrics already has the CPU ratio")
        finally:
            self.docker("rm", "-f", name)

    def test_4_series_gone_after_rm(self):
        self.page_with_both()
        self.docker("rm", "-f", self.busy_name)
        page = wait_until("the removed sandbox's series to go", lambda: (
            lambda m: m if all(l.get("session_id") != self.busy_session
                               for _, l, _, _ in m.samples) else None)(self.exporter.metrics()),
            timeout=30)
        self.assertIsNotNone(page.get("evonic_sandbox_info", session_id=self.mem_session))
        self.assertEqual(page.get("evonic_sandbox_pool_containers"), 1)

    def engine_memory(self, name):
        """memory_stats of the engine's own one-shot answer for `name` (a GET, as the exporter)."""
        path = f"/containers/{name}/stats?stream=false&one-shot=true"
        out = subprocess.run(["curl", "-sSf", "--unix-socket", f"{self.dir}/docker.sock",
                              "http://localhost" + path],
                             capture_output=True, text=True, timeout=30, check=True)
        return json.loads(out.stdout)["memory_stats"]

    def test_5_memory_breakdown_agrees_with_the_engine(self):
        # A sandbox filled to its 32 MiB limit with reclaimable file cache (a file on its disk):
        # the kernel reclaims at the limit and kills nothing. (Its v1 failcnt stays 0 on this
        # machine's kernel, even through an OOM kill: limit hits are compared, not provoked.)
        session = f"e2e-cache-{secrets.token_hex(4)}"
        name = f"evonic-{session}"
        created = f"evonic.created_at={int(time.time())}"
        self.docker("run", "-d", "--name", name, "--label", "evonic.managed=1",
                    "--label", "evonic.pid=1", "--label", created, "--memory=32m",
                    "--memory-swap=32m", "--network", "none",
                    "evonic-sandbox:test", "sleep", "infinity")
        self.docker("exec", name, "dd", "if=/dev/zero", "of=/blob", "bs=1M", "count=64")
        mib = 1024 * 1024

        def with_cache(exporter):
            def ready():
                m = exporter.metrics()
                cache = m.get("evonic_sandbox_memory_cache_bytes", session_id=session)
                return m if (cache or 0) > 16 * mib else None
            return ready
        pages = {source: wait_until(f"the cache sandbox's cache from the {source} source",
                                    with_cache(exporter), timeout=60)
                 for source, exporter in (("cgroupfs", self.exporter),
                                          ("engine", self.on_engine))}
        self.assertEqual(pages["cgroupfs"].get("evonic_sandbox_exporter_stats_source",
                                               source="cgroupfs"), 1)
        self.assertEqual(pages["engine"].get("evonic_sandbox_exporter_stats_source",
                                             source="engine"), 1)
        for sandbox, sess in ((name, session), (self.mem_name, self.mem_session)):
            before = self.engine_memory(sandbox)
            now = {src: {m: e.metrics().get(f"evonic_sandbox_memory_{m}", session_id=sess)
                         for m in ("usage_bytes", "working_set_bytes", "rss_bytes", "cache_bytes",
                                   "swap_bytes", "limit_hits_total")}
                   for src, e in (("cgroupfs", self.exporter), ("engine", self.on_engine))}
            after = self.engine_memory(sandbox)
            st = after["stats"]
            print(f"{sandbox}: engine usage {after['usage']} rss {st['total_rss']} "
                  f"cache {st['total_cache']} failcnt {after.get('failcnt', 0)}; exporter {now}")
            for src, ours in now.items():
                with self.subTest(sandbox=sandbox, source=src):
                    # Idle sandboxes: gauges within 1 MiB of the engine's, the counter between
                    # the engine's two answers around our reading.
                    self.assertAlmostEqual(ours["usage_bytes"], after["usage"], delta=mib)
                    self.assertAlmostEqual(ours["working_set_bytes"],
                                           after["usage"] - st["total_inactive_file"], delta=mib)
                    self.assertAlmostEqual(ours["rss_bytes"], st["total_rss"], delta=mib)
                    self.assertAlmostEqual(ours["cache_bytes"], st["total_cache"], delta=mib)
                    self.assertLessEqual(before.get("failcnt", 0), ours["limit_hits_total"])
                    self.assertLessEqual(ours["limit_hits_total"], after.get("failcnt", 0))
            # Docker 20.10 sends no swap: absent from the engine source, never 0; memory.stat
            # has total_swap here (swap accounting is on).
            self.assertIsNone(now["engine"]["swap_bytes"])
            self.assertIsNotNone(now["cgroupfs"]["swap_bytes"])
        # Telling cache from a leak: the full sandbox is cache, not its processes, and no kill.
        page = pages["cgroupfs"]
        cache = page.get("evonic_sandbox_memory_cache_bytes", session_id=session)
        self.assertGreater(cache, 16 * mib)
        self.assertLess(page.get("evonic_sandbox_memory_rss_bytes", session_id=session), cache / 10)
        self.assertEqual(page.get("evonic_sandbox_oom_kills_total", agent_id="e2e-cache"), 0)
        self.docker("rm", "-f", name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)
