#!/usr/bin/env python3
"""Live: scripts/demo.sh as a newcomer runs it (a private real engine, four loaded Evonic-style
sandboxes, the exporter, Debian's Prometheus with deploy/prometheus/rules.yml and Debian's
Alertmanager, all on 127.0.0.1), then:
  - the PIDs alert reaches Alertmanager (its API and amtool) within two minutes;
  - every panel query of both dashboards (variables substituted, the drill-down for each loaded
    agent) returns data from that Prometheus, every annotation query (OOM kills, sandboxes created
    and destroyed) evaluates as the range query Grafana makes of it, and the panels for what the
    demo provokes (busy CPU, memory near the limit, PIDs near the limit, the OOM kill) show
    non-zero values, the OOM kill also as an annotation on both dashboards;
  - a SIGHUP applies an edited thresholds file, and a broken one keeps the last good values;
  - Ctrl-C (SIGINT) stops everything: ports closed, the engine gone, the demo folder removed.
About 2-3 minutes.

By hand: test_live_stack.py --binary BUILD/exporter/evonic-sandbox-exporter --source-dir REPO"""
import argparse
import base64
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import wait_until  # noqa: E402

ARGS = None
RATE_INTERVAL = "20s"  # Grafana's $__rate_interval for a 5 s scrape interval: 4 x 5 s


def get_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def dashboards():
    out = {}
    for path in sorted(glob.glob(os.path.join(ARGS.source_dir, "dashboards", "*.json"))):
        with open(path) as f:
            out[os.path.basename(path)] = json.load(f)
    return out


def substitute(expr, agent_id=None):
    e = expr.replace("$__rate_interval", RATE_INTERVAL).replace("$__range", "5m")
    e = e.replace('=~"$instance"', '=~".*"').replace('=~"$session_id"', '=~".*"')
    if agent_id is not None:
        e = e.replace("$agent_id", agent_id)
    assert "$" not in e, e
    return e


class LiveStackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="evonic-live-")
        cls.ready = os.path.join(cls.tmp, "ready.env")
        cls.log_path = os.path.join(cls.tmp, "demo.log")
        cls.log = open(cls.log_path, "w")
        env = dict(os.environ, EVONIC_EXPORTER_BIN=os.path.realpath(ARGS.binary),
                   DEMO_SCRAPE_INTERVAL="5s", DEMO_COLLECT_INTERVAL="2s")
        cls.demo = subprocess.Popen(
            ["bash", os.path.join(ARGS.source_dir, "scripts", "demo.sh"), "--ready-file", cls.ready],
            stdout=cls.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            wait_until("the demo's ready file", cls._ready, timeout=300, interval=0.5)
        except AssertionError:
            cls._stop_demo()
            raise
        with open(cls.ready) as f:
            cls.info = dict(line.strip().split("=", 1) for line in f if "=" in line)
        cls.t0 = time.time()
        cls.agents = {k: cls.info[k][len("evonic-"):].rsplit("-", 1)[0]
                      for k in ("BUSY", "MEMORY", "FORKER", "OOM")}

    @classmethod
    def _ready(cls):
        if cls.demo.poll() is not None:
            with open(cls.log_path) as f:
                raise AssertionError(f"demo exited with {cls.demo.returncode}:\n{f.read()}")
        return os.path.exists(cls.ready)

    @classmethod
    def _stop_demo(cls):
        if cls.demo.poll() is None:
            cls.demo.send_signal(signal.SIGINT)
            try:
                cls.demo.wait(120)
            except subprocess.TimeoutExpired:
                cls.demo.terminate()
                cls.demo.wait(60)

    @classmethod
    def tearDownClass(cls):
        cls._stop_demo()
        cls.log.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def prom(self, path, **params):
        url = self.info["PROMETHEUS_URL"] + path + "?" + urllib.parse.urlencode(params)
        answer = get_json(url)
        self.assertEqual(answer["status"], "success", url)
        return answer["data"]

    def test_1_pids_alert_reaches_alertmanager_within_two_minutes(self):
        am = self.info["ALERTMANAGER_URL"]

        def pids_alert():
            for a in get_json(am + "/api/v2/alerts"):
                if (a["labels"].get("alertname") == "EvonicSandboxPidsNearLimit" and
                        a["labels"].get("agent_id") == self.agents["FORKER"]):
                    return a
            return None
        alert = wait_until("EvonicSandboxPidsNearLimit in Alertmanager", pids_alert,
                           timeout=max(5, 120 - (time.time() - self.t0)), interval=2)
        self.assertEqual(alert["labels"]["session_id"], self.info["FORKER"][len("evonic-"):])
        self.assertIn(self.agents["FORKER"], alert["annotations"]["summary"])
        self.assertIn(alert["labels"]["session_id"], alert["annotations"]["description"])
        out = subprocess.run(["amtool", "alert", "query", f"--alertmanager.url={am}",
                              "alertname=EvonicSandboxPidsNearLimit"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(self.agents["FORKER"], out.stdout)

    def test_2_every_panel_query_returns_data(self):
        # Enough samples for rates over $__rate_interval.
        wait_until("40 s of samples", lambda: time.time() - self.t0 > 40, timeout=60, interval=1)
        empty = []
        queries = 0
        for name, d in dashboards().items():
            agents = [None] if "agent_id" not in json.dumps(d["templating"]) else \
                sorted(self.agents.values())
            for agent in agents:
                for p in d["panels"]:
                    for t in p["targets"]:
                        expr = substitute(t["expr"], agent)
                        queries += 1
                        if not self.prom("/api/v1/query", query=expr)["result"]:
                            empty.append(f"{name} [{agent}] {p['title']}: {expr}")
        self.assertGreater(queries, 40)
        self.assertEqual(empty, [], "panel queries without data:\n" + "\n".join(empty))
        # Annotation queries: Grafana runs them as range queries; they must parse and evaluate
        # (whether they mark anything depends on what happened: the OOM kill is test_3's).
        annotations = 0
        for name, d in dashboards().items():
            for agent in self.agents_for(d):
                for a in d["annotations"]["list"]:
                    if "expr" in a:
                        self.annotation_events(a, agent)
                        annotations += 1
        self.assertGreaterEqual(annotations, 6)

    def agents_for(self, dashboard):
        return [None] if "agent_id" not in json.dumps(dashboard["templating"]) else \
            sorted(self.agents.values())

    def annotation_events(self, annotation, agent=None):
        """The series an annotation query returns over the test's run, as Grafana asks for them
        (a range query; self.prom fails unless Prometheus answers success)."""
        return self.prom("/api/v1/query_range", query=substitute(annotation["expr"], agent),
                         start=f"{self.t0 - 5:.3f}", end=f"{time.time():.3f}", step="5")["result"]

    def panel_max(self, dashboard, title, agent=None, label=None, value=None):
        """The largest value over the test's run of a panel's queries (only series whose `label`
        is `value` when given)."""
        panel = [p for p in dashboards()[dashboard]["panels"] if p["title"] == title]
        self.assertEqual(len(panel), 1, title)
        best = None
        for t in panel[0]["targets"]:
            data = self.prom("/api/v1/query_range", query=substitute(t["expr"], agent),
                             start=f"{self.t0 - 5:.3f}", end=f"{time.time():.3f}", step="5")
            for series in data["result"]:
                if label and series["metric"].get(label) != value:
                    continue
                for _, v in series["values"]:
                    if v not in ("NaN", "+Inf", "-Inf"):
                        best = float(v) if best is None else max(best, float(v))
        return best

    def test_3_provoked_panels_are_non_zero(self):
        wait_until("40 s of samples", lambda: time.time() - self.t0 > 40, timeout=60, interval=1)
        a = self.agents
        pool = "pool-overview.json"
        drill = "agent-drilldown.json"
        # A busy loop under a 1-core limit; other work on the machine may take its share, so
        # "clearly busy" rather than "at the limit" (idle sandboxes stay below 0.01).
        self.assertGreater(self.panel_max(pool, "CPU by agent", label="agent_id", value=a["BUSY"]),
                           0.1)
        self.assertGreater(self.panel_max(pool, "Top sessions by memory, share of limit",
                                          label="agent_id", value=a["MEMORY"]), 0.85)
        self.assertGreater(self.panel_max(pool, "Top sessions by processes, share of PIDs limit",
                                          label="agent_id", value=a["FORKER"]), 0.85)
        self.assertGreater(self.panel_max(drill, "CPU per session, share of limit", a["BUSY"],
                                          label="session_id",
                                          value=self.info["BUSY"][len("evonic-"):]), 0.1)
        self.assertGreater(self.panel_max(drill, "Processes per session against the PIDs limit",
                                          a["FORKER"], label="session_id",
                                          value=self.info["FORKER"][len("evonic-"):]), 50)
        # The OOM kill comes 15 s after the start; the counter is per agent.
        oom = wait_until("the OOM kill on the pool overview",
                         lambda: self.panel_max(pool, "OOM kills by agent", label="agent_id",
                                                value=a["OOM"]),
                         timeout=90, interval=5)
        self.assertGreater(oom, 0)
        # ... and is marked by the OOM annotation of both dashboards (the drill-down's for that
        # agent), labelled with the agent its title names.
        for name, d in dashboards().items():
            oom_annotation = [x for x in d["annotations"]["list"] if x["name"] == "OOM kills"]
            self.assertEqual(len(oom_annotation), 1, name)
            agent = a["OOM"] if self.agents_for(d) != [None] else None
            events = wait_until(
                f"the OOM annotation of {name}",
                lambda: [r for r in self.annotation_events(oom_annotation[0], agent)
                         if r["metric"].get("agent_id") == a["OOM"]],
                timeout=30, interval=5)
            self.assertTrue(events[0]["values"], name)
        # The agent's first OOM kill fires the OOM alert (its counter started at 0), which
        # reaches Alertmanager too.
        am = self.info["ALERTMANAGER_URL"]
        wait_until("EvonicSandboxOomKilled in Alertmanager",
                   lambda: any(al["labels"].get("alertname") == "EvonicSandboxOomKilled" and
                               al["labels"].get("agent_id") == a["OOM"]
                               for al in get_json(am + "/api/v2/alerts")),
                   timeout=60, interval=2)

    def test_4_sighup_reloads_thresholds_and_a_broken_file_keeps_the_last(self):
        exporter = self.info["EXPORTER_URL"] + "/metrics"
        series = f'evonic_sandbox_alert_threshold_ratio{{agent_id="{self.agents["BUSY"]}",' \
                 f'resource="cpu"}}'

        def value():
            with urllib.request.urlopen(self.authorized(exporter), timeout=10) as r:
                m = re.search(re.escape(series) + r" (\S+)", r.read().decode())
            return float(m.group(1)) if m else None
        self.assertEqual(value(), 0.9)
        with open(self.info["THRESHOLDS_FILE"], "w") as f:
            f.write(f"agents:\n  {self.agents['BUSY']}:\n    cpu: 0.5\n")
        os.kill(int(self.info["EXPORTER_PID"]), signal.SIGHUP)
        wait_until("the reloaded threshold", lambda: value() == 0.5, timeout=20, interval=0.5)
        with open(self.info["THRESHOLDS_FILE"], "w") as f:
            f.write("agents: [broken\n")
        os.kill(int(self.info["EXPORTER_PID"]), signal.SIGHUP)
        log = os.path.join(self.info["DEMO_DIR"], "exporter.log")
        def read_log():
            with open(log) as f:
                return f.read()
        wait_until("the reload failure in the log",
                   lambda: "thresholds reload failed" in read_log(), timeout=20)
        time.sleep(5)  # two collections later the last good value still holds
        self.assertEqual(value(), 0.5)
        self.assertEqual(read_log().count("thresholds reload failed"), 1)

    def authorized(self, url):
        req = urllib.request.Request(url)
        token = base64.b64encode(
            f"{self.info['EXPORTER_USER']}:{self.info['EXPORTER_PASSWORD']}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
        return req

    def test_5_history_has_the_demo_sandboxes(self):
        # The demo turns history on (a point per sandbox every 10 s) with its printed credentials.
        url = self.info["EXPORTER_URL"] + "/api/sandbox/stats/history?since=0"

        def agents():
            with urllib.request.urlopen(self.authorized(url), timeout=10) as r:
                return {p["agent_id"] for p in json.loads(r.read())["points"]}
        wanted = {self.agents[k] for k in ("BUSY", "MEMORY", "FORKER", "OOM")}
        wait_until("a history point of every demo sandbox", lambda: wanted <= agents(),
                   timeout=60, interval=2)
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        self.assertEqual(refused.exception.code, 401)

    def test_9_ctrl_c_stops_everything(self):
        self.demo.send_signal(signal.SIGINT)
        self.demo.wait(120)
        with open(self.log_path) as f:
            log = f.read()
        self.assertIn("demo: stopped", log)
        for key in ("EXPORTER_URL", "PROMETHEUS_URL", "ALERTMANAGER_URL"):
            port = int(self.info[key].rsplit(":", 1)[1])
            with socket.socket() as s:
                self.assertNotEqual(s.connect_ex(("127.0.0.1", port)), 0, key + " still open")
        self.assertFalse(os.path.exists(self.info["DEMO_DIR"]))
        leftovers = []
        for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                with open(cmdline, "rb") as f:
                    if self.info["DEMO_DIR"].encode() in f.read():
                        leftovers.append(cmdline)
            except OSError:
                pass
        self.assertEqual(leftovers, [], "processes of the demo still running")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--source-dir", required=True)
    ARGS, rest = p.parse_known_args()
    ARGS.source_dir = os.path.realpath(ARGS.source_dir)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
