#!/usr/bin/env python3
"""End to end, events: a private real engine (tests/tools/private_engine.sh), the fuller sandbox image
with bash and python3 (tests/tools/full_image.sh, cached under /var/cache/evonic-tests), the real exporter,
and the test's own `docker events` recording as the reference for every count.

A sandbox with --memory=24m --memory-swap=24m runs Evonic-style tool calls (`docker exec -i <c> bash -s`,
one of them `exit 3`), the engine is restarted in the middle, a second sandbox runs more bash calls, one
`python3 -` and an exec the kernel OOM-kills (the container lives on), then `docker rm -f` removes its
series before the next collection. Then sandboxes of the busybox image end each way (exit 0, exit 3,
the main process OOM-killed, rm -f, an exec OOM-killed then rm -f, stop) and each is counted under its
reason in evonic_sandbox_endings_total.

By hand: test_events_real_engine.py --binary BUILD/exporter/evonic-sandbox-exporter --source-dir REPO"""
import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Exporter, Processes, run_docker, wait_until  # noqa: E402
from test_events import TOOLS, expectations  # noqa: E402

ARGS = None
DOCKER = "/usr/bin/docker"


def read(path):
    with open(path) as f:
        return f.read()


class RealEngineEventsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="evonic-ev-", dir="/tmp")
        tools = os.path.join(ARGS.source_dir, "tests", "tools")
        cls.engine_script = os.path.join(tools, "private_engine.sh")
        cls.start_engine()
        cls.env = dict(os.environ, DOCKER_HOST=f"unix://{cls.dir}/docker.sock")
        out = subprocess.run(["bash", os.path.join(tools, "full_image.sh"), "import"], env=cls.env,
                             capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            raise RuntimeError("cannot make the fuller image:\n" + out.stderr)
        cls.procs = Processes()

    @classmethod
    def start_engine(cls):
        out = subprocess.run(["bash", cls.engine_script, "start", cls.dir], capture_output=True, text=True,
                             timeout=300)
        if out.returncode != 0:
            raise RuntimeError("cannot start the private engine:\n" + out.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()
        subprocess.run(["bash", cls.engine_script, "stop", cls.dir], timeout=300)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def docker(self, *args, stdin=None, check=True):
        return run_docker(self.env, *args, stdin=stdin, check=check)

    def record_events(self, path, since=None):
        """The test's own reference: `docker events` for sandbox containers, as JSON lines."""
        f = open(path, "w")
        self.procs.files.append(f)
        args = [DOCKER, "events", "--format", "{{json .}}", "--filter", "type=container",
                "--filter", "label=evonic.managed=1"] + (["--since", since] if since else [])
        return self.procs.start(args, env=self.env, stdout=f, stderr=subprocess.DEVNULL)

    def restart_engine(self):
        with open(os.path.join(self.dir, "docker.pid")) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGTERM)
        wait_until("the engine stopped", lambda: not os.path.exists(f"/proc/{pid}"), timeout=60)
        self.start_engine()

    def sandbox(self, name, *command, image="evonic-sandbox:full", memory="24m", options=()):
        self.docker("run", "-d", "--name", name, "--label", "evonic.managed=1", "--label", "evonic.pid=1",
                    "--label", f"evonic.created_at={int(time.time())}", f"--memory={memory}",
                    f"--memory-swap={memory}", "--cpus=1", "--pids-limit=256", "--network", "none", *options,
                    image, *(command or ("sleep", "infinity")))

    def test_tool_calls_oom_restart_and_removal(self):
        suffix = secrets.token_hex(4)
        agent = f"e2e-events-{suffix[:4]}"
        first, second = f"evonic-{agent}-{suffix}", f"evonic-{agent}-{secrets.token_hex(4)}"
        rec1, rec2 = os.path.join(self.dir, "events-1.jsonl"), os.path.join(self.dir, "events-2.jsonl")
        recorder = self.record_events(rec1)
        time.sleep(0.3)  # `docker events` subscribes asynchronously; nothing happens before this anyway
        exporter = Exporter(self.procs, ARGS.binary, [f"--docker.host=unix://{self.dir}/docker.sock",
                                                      "--collect.interval=30s"], self.dir)
        wait_until("events followed", lambda: exporter.metrics().get("evonic_sandbox_exporter_events_up") == 1)

        # 1. A sandbox appears within a second of its start (no collection is due for 30 s).
        t0 = time.monotonic()
        self.sandbox(first)
        started = time.monotonic()
        wait_until("the sandbox on /metrics", lambda: exporter.metrics().get(
            "evonic_sandbox_start_time_seconds", session_id=first[len("evonic-"):]) is not None, timeout=5)
        self.assertLess(time.monotonic() - started, 1.0 + 0.2, "start -> series took more than a second")
        del t0
        for script in ("echo one", "ls / > /dev/null"):
            self.docker("exec", "-i", first, "bash", "-s", stdin=script + "\n")

        # 2. The engine restarts in the middle (the first sandbox is stopped with it).
        wait_until("recorded before the restart", lambda: read(rec1).count('"Action":"exec_die"') == 2)
        restart_at = time.time()
        self.restart_engine()
        recorder.wait(timeout=30)  # the client's stream ends with the engine
        self.record_events(rec2, since=f"{restart_at:.3f}")
        wait_until("events followed again", lambda: (
            exporter.metrics().get("evonic_sandbox_exporter_events_up") == 1 and
            exporter.metrics().get("evonic_sandbox_exporter_events_reconnects_total", ) >= 1), timeout=60)

        # 3. A second sandbox: bash calls (one exits 3), one python3 -, an exec the kernel OOM-kills.
        self.sandbox(second)
        for script in ("echo two", "exit 3"):
            r = self.docker("exec", "-i", second, "bash", "-s", stdin=script + "\n", check=False)
            self.assertEqual(r.returncode, 3 if script == "exit 3" else 0)
        self.docker("exec", "-i", second, "python3", "-", stdin="print(sum(range(10)))\n")
        oom = self.docker("exec", second, "sh", "-c", "head -c 200m /dev/zero | tail", check=False)
        self.assertNotEqual(oom.returncode, 0)
        self.assertEqual(self.docker("inspect", "-f", "{{.State.Running}}", second).stdout.strip(), "true",
                         "the OOM kill took the container down")

        # 4. rm -f: the series go before the next collection.
        session2 = second[len("evonic-"):]
        page = wait_until("the second sandbox's resource series", lambda: (
            lambda m: m if m.get("evonic_sandbox_memory_working_set_bytes", session_id=session2) is not None else None)(
            exporter.metrics()), timeout=30)
        last_collect = page.get("evonic_sandbox_exporter_last_collect_timestamp_seconds")
        self.docker("rm", "-f", second)
        gone = wait_until("the removed sandbox's series gone", lambda: (
            lambda m: m if m.get("evonic_sandbox_info", session_id=session2) is None else None)(
            exporter.metrics()), timeout=5)
        self.assertEqual(gone.get("evonic_sandbox_exporter_last_collect_timestamp_seconds"), last_collect,
                         "a collection ran in between: the removal was not event-driven")
        self.assertIsNone(gone.get("evonic_sandbox_memory_working_set_bytes", session_id=session2))

        # 5. Every count equals what the test's own recording shows, across the restart.
        wait_until("recorded the destroy", lambda: '"Action":"destroy"' in read(rec2))

        def recorded():
            events = []
            for path in (rec1, rec2):
                with open(path) as f:
                    events += [json.loads(line) for line in f if line.strip()]
            unique = {(e["timeNano"], e["id"], e["Action"], e["Actor"]["Attributes"].get("execID")): e
                      for e in events}  # rec2 replays from just before the restart
            return sorted(unique.values(), key=lambda e: e["timeNano"])
        want = expectations(recorded())[agent]
        self.assertEqual(want["oom"] > 0, True, "the recording shows no oom event")
        self.assertEqual(want["runs"]["bash"], 4)  # (the scenario, not an expectation of the exporter)

        def matches():
            m = exporter.metrics()
            got = {"created": m.get("evonic_sandbox_created_total", agent_id=agent),
                   "destroyed": m.get("evonic_sandbox_destroyed_total", agent_id=agent),
                   "oom": m.get("evonic_sandbox_oom_kills_total", agent_id=agent),
                   "runs": {t: m.get("evonic_sandbox_tool_executions_total", agent_id=agent, tool=t) for t in TOOLS},
                   "failures": {t: m.get("evonic_sandbox_tool_failures_total", agent_id=agent, tool=t)
                                for t in TOOLS}}
            matches.last = got
            return m if got == want else None
        try:
            page = wait_until("the exporter's counts equal the recording's", matches, timeout=15)
        except AssertionError:
            self.fail(f"exporter {matches.last} != recording {want}")
        # The OOM-killed exec counts as other, failed.
        self.assertGreaterEqual(page.get("evonic_sandbox_tool_failures_total", agent_id=agent, tool="other"), 1)
        # The first sandbox (stopped by the restart, never removed) is still tracked; the second is freed.
        self.assertLessEqual(page.get("evonic_sandbox_exporter_events_tracked_objects"), 1)

    def test_each_ending_is_counted_under_its_reason(self):
        # Each sandbox of its own agent, ended one way (tests/fixtures/events/README.md has the events
        # each sends); busybox image, --rm as Evonic runs them.
        suffix = secrets.token_hex(4)
        want = {"clean": "clean", "error": "error", "oom": "oom", "rm-f": "removed", "exec-oom-rm": "removed",
                "stop": "removed"}
        name = {how: f"evonic-e2e-end-{how}-{suffix}-{secrets.token_hex(4)}" for how in want}
        agent = {how: name[how][len("evonic-"):].rsplit("-", 1)[0] for how in want}
        exporter = Exporter(self.procs, ARGS.binary, [f"--docker.host=unix://{self.dir}/docker.sock",
                                                      "--collect.interval=30s"], self.dir)
        wait_until("events followed", lambda: exporter.metrics().get("evonic_sandbox_exporter_events_up") == 1)

        def sandbox(how, *command, memory="512m"):
            self.sandbox(name[how], *command, image="evonic-sandbox:test", memory=memory, options=("--rm",))
        sandbox("clean", "sh", "-c", "sleep 0.5; exit 0")
        sandbox("error", "sh", "-c", "sleep 0.5; exit 3")
        sandbox("oom", "sh", "-c", "sleep 0.5; exec tail /dev/zero", memory="16m")  # the main process
        sandbox("rm-f")
        self.docker("rm", "-f", name["rm-f"])  # how Evonic removes a sandbox (idle timeout, LRU eviction)
        sandbox("exec-oom-rm", memory="16m")
        self.assertNotEqual(self.docker("exec", name["exec-oom-rm"], "tail", "/dev/zero", check=False).returncode, 0)
        self.docker("rm", "-f", name["exec-oom-rm"])
        sandbox("stop")
        self.docker("stop", "-t", "1", name["stop"])
        reasons = ("removed", "oom", "error", "clean")

        def counted():
            m = exporter.metrics()
            counted.last = {how: {r: m.get("evonic_sandbox_endings_total", agent_id=agent[how], reason=r)
                                  for r in reasons} for how in want}
            return counted.last == {how: {r: int(r == want[how]) for r in reasons} for how in want}
        try:
            wait_until("every ending counted under its reason", counted, timeout=30)
        except AssertionError:
            self.fail(f"exporter counted {counted.last}")
        self.assertGreaterEqual(exporter.metrics().get("evonic_sandbox_oom_kills_total", agent_id=agent["exec-oom-rm"]), 1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)
