#!/usr/bin/env python3
"""The history (--history.path) end to end: the real binary against the fake engine replaying
recorded answers. Points survive a restart and kills during writes; a full disk is said once,
counted and survived; an unusable file is moved aside; a folder that cannot be written stops
startup with the path named; the endpoints need credentials like the live ones.

The full-disk and read-only cases mount small tmpfs folders and need root (CI runs as root).

By hand: test_history.py --binary B --source-dir REPO [-k name]"""
import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (Exporter, Processes, get_json, start_fake_engine, temp_dir,  # noqa: E402
                     wait_until, write_web_config)

ARGS = None
USER, PASSWORD = "ui", "history please"


class HistoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = temp_dir("evonic-history-")
        cls.procs = Processes()
        cls.socket = os.path.join(cls.dir, "docker.sock")
        start_fake_engine(cls.procs, cls.socket, ARGS.source_dir)
        cls.web_config = write_web_config(os.path.join(cls.dir, "web.yml"), {USER: PASSWORD})

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.case_dir = os.path.join(self.dir, self._testMethodName)
        os.makedirs(self.case_dir)
        self.mounts = []

    def tearDown(self):
        for mount in reversed(self.mounts):
            subprocess.run(["umount", "-l", mount], check=False)

    def start(self, path, *extra):
        return Exporter(self.procs, ARGS.binary,
                        [f"--docker.host=unix://{self.socket}", "--collect.interval=200ms",
                         f"--web.config.file={self.web_config}", f"--history.path={path}",
                         "--history.interval=200ms", *extra], self.case_dir,
                        auth=(USER, PASSWORD))

    @staticmethod
    def get(exporter, path, auth=(USER, PASSWORD)):
        status, body, _ = get_json(exporter.base + path, auth)
        return status, body

    def points(self, exporter):
        status, body = self.get(exporter, "/api/sandbox/stats/history?since=0")
        self.assertEqual(status, 200, body)
        return body["points"]

    def stop(self, exporter, sig=signal.SIGTERM):
        exporter.proc.send_signal(sig)
        exporter.proc.wait(timeout=20)

    def mount_tmpfs(self, path, options):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root (CI runs as root)")
        os.makedirs(path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path], check=True)
        self.mounts.append(path)

    def test_points_survive_a_restart_and_need_credentials(self):
        path = os.path.join(self.case_dir, "history.db")
        e = self.start(path)
        before = wait_until("three writes", lambda: (lambda p: p if len(
            {x["time"] for x in p}) >= 3 else None)(self.points(e)), timeout=30)
        sandbox = before[0]
        for key in ("time", "timestamp", "session_id", "agent_id", "container_id", "cpu_percent",
                    "memory", "network", "block_io", "pids", "tools", "oom_kills"):
            self.assertIn(key, sandbox)
        self.assertNotIn("external_user_id", sandbox)
        self.assertEqual(self.get(e, "/api/sandbox/stats/history?since=0", auth=None)[0], 401)
        self.assertEqual(self.get(e, "/api/sandbox/stats/history?since=soon")[0], 400)
        agent = sandbox["agent_id"]
        status, body = self.get(e, f"/api/agents/{agent}/sandbox/stats/history?since=0")
        self.assertEqual(status, 200, body)
        self.assertTrue(body["points"])
        self.assertTrue(all(p["agent_id"] == agent for p in body["points"]))
        self.assertEqual(self.get(e, "/api/agents/nobody/sandbox/stats/history?since=0")[0], 404)
        # Gzipped when asked for, as the live answers (and Vary says it depends on that).
        gz = e.curl("/api/sandbox/stats/history?since=0", "-D", "-", "-o", "/dev/null",
                    "-H", "Accept-Encoding: gzip").lower()
        self.assertIn("content-encoding: gzip", gz)
        self.assertIn("vary: accept-encoding", gz)
        plain = e.curl("/api/sandbox/stats/history?since=0", "-D", "-", "-o", "/dev/null").lower()
        self.assertNotIn("content-encoding", plain)
        self.assertIn("vary: accept-encoding", plain)
        metrics = e.curl("/metrics")
        self.assertIn("evonic_sandbox_exporter_history_writes_total", metrics)
        self.stop(e)
        written = os.path.getsize(path)
        self.assertGreater(written, 0)
        again = self.start(path, "--history.interval=1h")  # no write of its own before we ask
        after = self.points(again)
        self.assertGreaterEqual(len(after), len(before))
        self.assertEqual(after[:len(before)], before)
        self.assertNotIn("unusable", again.log())

    def test_kill_9_during_writes_loses_at_most_the_last_write(self):
        path = os.path.join(self.case_dir, "history.db")
        rng = random.Random(7)
        seen = 0
        for attempt in range(5):
            e = self.start(path, "--history.interval=50ms")
            count = len(self.points(e))
            self.assertGreaterEqual(count, seen, f"attempt {attempt}: points were lost")
            self.assertNotIn("unusable", e.log())
            wait_until("a write", lambda: len(self.points(e)) > count, timeout=20)
            seen = len(self.points(e))  # committed: these must survive the kill
            time.sleep(rng.uniform(0.05, 0.3))  # the kill lands anywhere between two writes
            self.stop(e, signal.SIGKILL)
        final = self.start(path, "--history.interval=1h")
        self.assertGreaterEqual(len(self.points(final)), seen)

    def test_full_disk_is_said_once_counted_and_survived(self):
        folder = os.path.join(self.case_dir, "small")
        self.mount_tmpfs(folder, "size=1m")
        path = os.path.join(folder, "history.db")
        e = self.start(path, "--history.interval=50ms")
        wait_until("a first write", lambda: self.points(e), timeout=20)
        filler = os.path.join(folder, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:  # takes every byte left
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError:
            pass
        finally:
            os.close(fd)

        def errors():
            m = e.metrics()
            return m.get("evonic_sandbox_exporter_history_write_errors_total")
        # The WAL grows into the full disk within a few writes.
        wait_until("a failed write", lambda: (errors() or 0) >= 3, timeout=60)
        self.assertEqual(e.log().count("history write failed"), 1)
        self.assertEqual(self.get(e, "/api/sandbox/stats")[0], 200)
        self.assertEqual(self.get(e, "/api/sandbox/stats/history?since=0")[0], 200)
        os.remove(filler)
        writes = e.metrics().get("evonic_sandbox_exporter_history_writes_total")
        wait_until("writes again", lambda: e.metrics().get(
            "evonic_sandbox_exporter_history_writes_total") > writes, timeout=30)
        self.assertEqual(e.log().count("history writes work again"), 1)
        self.assertIsNone(e.proc.poll())

    def test_an_unusable_file_is_moved_aside_and_never_served(self):
        path = os.path.join(self.case_dir, "history.db")
        with open(path, "wb") as f:
            f.write(b"this is somebody's notes, not a database\n" * 100)
        e = self.start(path, "--history.interval=1h")
        self.assertEqual(self.points(e), [])
        aside = [n for n in os.listdir(self.case_dir) if n.startswith("history.db.unusable-")]
        self.assertEqual(len(aside), 1, os.listdir(self.case_dir))
        with open(os.path.join(self.case_dir, aside[0]), "rb") as f:
            self.assertTrue(f.read().startswith(b"this is somebody's notes"))
        self.assertEqual(e.log().count("history file unusable"), 1)

    def test_a_folder_that_cannot_be_written_stops_startup_naming_the_path(self):
        folder = os.path.join(self.case_dir, "readonly")
        self.mount_tmpfs(folder, "ro,size=1m")
        path = os.path.join(folder, "history.db")
        proc = subprocess.run([ARGS.binary, "--web.listen-address=127.0.0.1:0",
                               f"--docker.host=unix://{self.socket}", f"--history.path={path}"],
                              capture_output=True, text=True, timeout=20)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn(path, proc.stdout + proc.stderr)
        self.assertIn("cannot keep the history", proc.stdout + proc.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)
