#!/usr/bin/env python3
"""The REST shim end to end: the real binary with a web config (bcrypt users), Evonic's database
(made here with Evonic's schema) and the fake engine replaying recorded answers. Answers are
compared with golden JSON files (tests/integration/golden/rest/, `collected_at` left out);
UPDATE_GOLDEN=1 rewrites them.

By hand: test_rest_api.py --binary B --source-dir REPO [-k name]"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from evonic_root import SCENARIO_AGENTS, SCENARIO_SESSIONS, make_evonic_root  # noqa: E402
from harness import (Exporter, Processes, get_json, start_fake_engine, temp_dir,  # noqa: E402
                     unix_request, wait_until, write_web_config)

warnings.filterwarnings("ignore", category=DeprecationWarning)
ARGS = None
USER, PASSWORD = "ui", "correct horse battery staple"

AGENTS, SESSIONS = SCENARIO_AGENTS, SCENARIO_SESSIONS
PERSONAL = [s[2] for s in SESSIONS]


class RestApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = temp_dir("evonic-rest-")
        cls.procs = Processes()
        cls.socket = os.path.join(cls.dir, "docker.sock")
        start_fake_engine(cls.procs, cls.socket, ARGS.source_dir)
        cls.root = os.path.join(cls.dir, "evonic")
        make_evonic_root(cls.root, AGENTS, SESSIONS, env={"SANDBOX_MAX_CONTAINERS": "7"})
        cls.web_config = write_web_config(os.path.join(cls.dir, "web.yml"), {USER: PASSWORD})
        cls.exporter = Exporter(cls.procs, ARGS.binary,
                                [f"--docker.host=unix://{cls.socket}", "--collect.interval=500ms",
                                 f"--evonic.root={cls.root}",
                                 f"--web.config.file={cls.web_config}"], cls.dir)
        wait_until("a first collection", lambda: cls.get("/api/sandbox/stats")[0] == 200,
                   timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def get(cls, path, auth=(USER, PASSWORD)):
        return get_json(cls.exporter.base + path, auth)

    def golden(self, name, body):
        body = dict(body)
        self.assertIsInstance(body.pop("collected_at", None), str)
        path = os.path.join(ARGS.source_dir, "tests", "integration", "golden", "rest",
                            name + ".json")
        if os.environ.get("UPDATE_GOLDEN") == "1":
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                json.dump(body, f, indent=2, sort_keys=False)
                f.write("\n")
        with open(path) as f:
            self.assertEqual(body, json.load(f), f"{name} differs from its golden file")

    def test_agents_and_pool_match_their_golden_answers(self):
        for agent in ("admin", "data-analyst", "netuser"):
            status, body, headers = self.get(f"/api/agents/{agent}/sandbox/stats")
            self.assertEqual(status, 200, body)
            self.assertEqual(headers["Content-Type"], "application/json")
            self.golden(f"agent-{agent}", body)
        status, body, _ = self.get("/api/sandbox/stats")
        self.assertEqual(status, 200)
        self.golden("pool", body)
        self.assertEqual(body["max_containers"], 7)  # Evonic's .env
        self.assertEqual(body["pool_size"], 5)

    def test_contract_keys_and_types(self):
        _, body, _ = self.get("/api/agents/admin/sandbox/stats")
        for key, kind in (("agent_id", str), ("agent_name", str), ("sandbox_enabled", bool),
                          ("active_containers", int), ("containers", list)):
            self.assertIsInstance(body[key], kind, key)
        c = body["containers"][0]
        for key, kind in (("session_id", str), ("external_user_id", str), ("container_id", str),
                          ("container_name", str), ("cpu_percent", (int, float)),
                          ("memory", dict), ("network", dict), ("block_io", dict), ("pids", str)):
            self.assertIsInstance(c[key], kind, key)
        self.assertEqual(len(c["container_id"]), 12)
        self.assertEqual(c["session_id"], "admin-6f07b262")
        self.assertEqual(c["external_user_id"], "alice@example.com")
        self.assertEqual(set(c["memory"]) >= {"used", "limit", "percent"}, True)
        self.assertRegex(c["memory"]["percent"], r"^\d+\.\d\d%$")
        _, pool, _ = self.get("/api/sandbox/stats")
        for key, kind in (("pool_size", int), ("max_containers", (int, float)),
                          ("containers", list), ("aggregate", dict)):
            self.assertIsInstance(pool[key], kind, key)
        self.assertIsInstance(pool["aggregate"]["total_cpu_percent"], (int, float))
        self.assertIsInstance(pool["aggregate"]["active_containers"], int)
        self.assertEqual(set(pool["containers"][0]["memory"]), set(c["memory"]))

    def test_agent_errors(self):
        status, body, _ = self.get("/api/agents/ops/sandbox/stats")
        self.assertEqual((status, body["status"]), (400, 400))
        self.assertIn("disabled", body["error"])
        status, body, _ = self.get("/api/agents/nobody/sandbox/stats")
        self.assertEqual((status, body["status"]), (404, 404))
        status, body, _ = self.get("/api/agents/idle/sandbox/stats")
        self.assertEqual(status, 200)
        self.assertEqual((body["active_containers"], body["containers"]), (0, []))
        self.golden("agent-idle", body)
        status, body, _ = self.get("/api/nothing/here")
        self.assertEqual((status, body["status"]), (404, 404))

    def test_credentials_are_always_required(self):
        status, body, headers = self.get("/api/sandbox/stats", auth=None)
        self.assertEqual((status, body["status"]), (401, 401))
        self.assertIn("Basic", headers.get("WWW-Authenticate", ""))
        status, _, _ = self.get("/api/sandbox/stats", auth=(USER, "wrong"))
        self.assertEqual(status, 401)
        # With users configured, /metrics is protected too.
        status, _, _ = self.get_raw("/metrics")
        self.assertEqual(status, 401)

    def get_raw(self, path):
        try:
            with urllib.request.urlopen(self.exporter.base + path, timeout=10) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def test_personal_data_never_in_metrics_or_logs(self):
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        req = urllib.request.Request(self.exporter.base + "/metrics",
                                     headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            page = r.read().decode()
        self.get("/api/sandbox/stats")
        log = self.exporter.log()
        for value in PERSONAL:
            self.assertNotIn(value, page)
            self.assertNotIn(value, log)
        self.assertIn('evonic_sandbox_exporter_evonic_db_up 1', page)
        # The database is the authority: the labelled sandbox's agent comes from its session row.
        self.assertIn('evonic_sandbox_info{agent_id="ops",session_id="ops-12345678"', page)


class FirstSampleTest(unittest.TestCase):
    """No null where the contract has a number (issue J.2): the fake engine answers one-shot
    requests as the real one does (no previous sample), so CPU % in the first answer exists only
    if the exporter asked for a sandbox's first sample with the engine's previous one."""

    def setUp(self):
        self.dir = temp_dir("evonic-first-")
        self.procs = Processes()
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.addCleanup(self.procs.stop_all)
        self.socket = os.path.join(self.dir, "docker.sock")
        start_fake_engine(self.procs, self.socket, ARGS.source_dir)
        self.fake("/_fake/one-shot", {"honour": True})
        self.web_config = write_web_config(os.path.join(self.dir, "web.yml"), {USER: PASSWORD})

    def fake(self, path, body):
        status, answer = unix_request(self.socket, "POST", path, body)
        self.assertEqual(status, 200, answer)

    def start_exporter(self):
        self.exporter = Exporter(self.procs, ARGS.binary,
                                 [f"--docker.host=unix://{self.socket}", "--collect.interval=1s",
                                  f"--web.config.file={self.web_config}"], self.dir)

    def first_pool(self):
        def pool():
            status, body, _ = get_json(self.exporter.base + "/api/sandbox/stats",
                                       (USER, PASSWORD))
            return body if status == 200 and body["containers"] else None
        return wait_until("a first pool answer with sandboxes", pool, timeout=30, interval=0.02)

    def recorded_cpu_percent(self, name):
        """docker stats' CPU % of the recorded two-sample answer."""
        with open(os.path.join(ARGS.source_dir, "tests", "fixtures", "fake-scenario", "stats",
                               name + ".json")) as f:
            d = json.load(f)
        cpu, pre = d["cpu_stats"], d["precpu_stats"]
        delta = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
        system = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
        return round(delta / system * cpu["online_cpus"] * 100, 2)

    def test_cpu_percent_from_the_first_answer(self):
        self.start_exporter()
        pool = self.first_pool()
        by_name = {c["container_name"]: c for c in pool["containers"]}
        busy = by_name["evonic-data-analyst-e0d4d663"]
        self.assertEqual(busy["measured"], True, busy)
        self.assertAlmostEqual(busy["cpu_percent"],
                               self.recorded_cpu_percent("evonic-data-analyst-e0d4d663"), places=2)
        for c in pool["containers"]:
            self.assertIsInstance(c["cpu_percent"], (int, float), c)
        # Each sandbox's first stats request asked for the previous sample (no one-shot); the
        # next ones are one-shot.
        def stats_paths():
            _, raw = unix_request(self.socket, "GET", "/_fake/requests")
            return [r["path"] for r in json.loads(raw) if "/stats" in r["path"]]
        wait_until("a second cycle", lambda: sum("one-shot=true" in p for p in stats_paths())
                   >= len(pool["containers"]), timeout=30)
        paths = stats_paths()
        for c in pool["containers"]:
            mine = [p for p in paths if f"/containers/{c['container_id']}" in p]
            self.assertTrue(mine, c["container_id"])
            self.assertNotIn("one-shot", mine[0], mine)
            self.assertIn("one-shot=true", mine[-1], mine)

    def test_a_sandbox_without_a_sample_has_the_contract_types(self):
        # One sandbox whose stats fail: it is listed, with docker stats' zeros and measured false.
        self.fake("/_fake/fault", {"target": "stats", "container": "evonic-admin-6f07b262",
                                   "kind": "500"})
        self.start_exporter()
        pool = self.first_pool()
        c = next(c for c in pool["containers"] if c["container_name"] == "evonic-admin-6f07b262")
        self.assertEqual(c["measured"], False, c)
        self.assertEqual((c["cpu_percent"], c["pids"], c["pids_current"]), (0, "0", 0), c)
        self.assertEqual((c["memory"]["used"], c["memory"]["percent"], c["memory"]["used_bytes"]),
                         ("0B", "0.00%", 0), c)
        self.assertEqual((c["network"]["input"], c["block_io"]["read"]), ("0B", "0B"), c)
        status, body, _ = get_json(self.exporter.base + "/api/agents/admin/sandbox/stats",
                                   (USER, PASSWORD))
        self.assertEqual(status, 200)
        self.assertEqual(body["containers"][0]["measured"], False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)
