#!/usr/bin/env python3
"""Integration tests of the events side: the real exporter binary follows the fake engine's GET /events,
which replays event streams recorded from the engine here (tests/fixtures/events/) and breaks on demand:
a stream cut in the middle of a JSON line, the duplicates a `since` replay sends after a reconnect, a gap
larger than the engine's 256-event replay buffer, unknown actions and malformed lines, a long quiet spell.
Expectations are computed from the recording itself, not written as literals.

Run by ctest; by hand: test_events.py --binary B --source-dir REPO [-k name]. The memory test is
test_memory_flat (--memory-sandboxes N, default 100000)."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from evonic_root import make_evonic_root  # noqa: E402
from harness import (Exporter, Processes, rss_bytes, start_fake_engine, temp_dir, unix_request,  # noqa: E402
                     wait_until)

ARGS = None
TOOLS = ("bash", "python", "other")


def tool_of(command):
    program = command.strip().split(" ")[0].rsplit("/", 1)[-1] if command.strip() else ""
    return "bash" if program == "bash" else "python" if program in ("python3", "python") else "other"


def expectations(lines):
    """What an exporter must count from a list of event dicts: per agent name rule (evonic-<agent>-<8 hex>)."""
    execs, out = {}, {}
    for e in lines:
        name = e["Actor"]["Attributes"].get("name", "")
        agent = name[len("evonic-"):].rsplit("-", 1)[0]
        a = out.setdefault(agent, {"created": 0, "destroyed": 0, "oom": 0,
                                   "runs": dict.fromkeys(TOOLS, 0), "failures": dict.fromkeys(TOOLS, 0)})
        action = e["Action"]
        exec_id = e["Actor"]["Attributes"].get("execID")
        if action == "create":
            a["created"] += 1
        elif action == "destroy":
            a["destroyed"] += 1
        elif action == "oom":
            a["oom"] += 1
        elif action.startswith("exec_create:") or action.startswith("exec_start:"):
            execs.setdefault(exec_id, tool_of(action.split(":", 1)[1]))
        elif action == "exec_die" and exec_id in execs:
            tool = execs.pop(exec_id)
            a["runs"][tool] += 1
            if e["Actor"]["Attributes"].get("exitCode", "0") != "0":
                a["failures"][tool] += 1
    return out


REASONS = ("removed", "oom", "error", "clean")


def endings(page, agent):
    """evonic_sandbox_endings_total of one agent, by reason."""
    return {r: page.get("evonic_sandbox_endings_total", agent_id=agent, reason=r) for r in REASONS}


class EventsTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir("evonic-ev-")
        self.procs = Processes()
        self.socket = os.path.join(self.dir, "docker.sock")
        self.fake = start_fake_engine(self.procs, self.socket, ARGS.source_dir)
        self.recording = os.path.join(ARGS.source_dir, "tests", "fixtures", "events", "sandbox-session.jsonl")
        with open(self.recording) as f:
            self.session = [json.loads(line) for line in f if line.strip()]

    def tearDown(self):
        self.procs.stop_all()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- helpers -------------------------------------------------------------------------------
    def control(self, path, body=None):
        status, text = unix_request(self.socket, "POST", "/_fake/" + path, body or {})
        self.assertEqual(status, 200, text)
        return json.loads(text)

    def fake_state(self):
        status, text = unix_request(self.socket, "GET", "/_fake/events/state")
        self.assertEqual(status, 200, text)
        return json.loads(text)

    def start_exporter(self, interval="1s", extra=()):
        exporter = Exporter(self.procs, ARGS.binary,
                            [f"--docker.host=unix://{self.socket}", f"--collect.interval={interval}",
                             "--docker.timeout=2s", *extra], self.dir)
        wait_until("the event stream", lambda: exporter.metrics().get("evonic_sandbox_exporter_events_up") == 1)
        return exporter

    def emit(self, events):
        return self.control("events/emit", {"events": events})

    def assert_counts(self, page, expected):
        for agent, want in expected.items():
            self.assertEqual(page.get("evonic_sandbox_created_total", agent_id=agent), want["created"], agent)
            self.assertEqual(page.get("evonic_sandbox_destroyed_total", agent_id=agent), want["destroyed"], agent)
            self.assertEqual(page.get("evonic_sandbox_oom_kills_total", agent_id=agent), want["oom"], agent)
            for tool in TOOLS:
                self.assertEqual(page.get("evonic_sandbox_tool_executions_total", agent_id=agent, tool=tool),
                                 want["runs"][tool], (agent, tool))
                self.assertEqual(page.get("evonic_sandbox_tool_failures_total", agent_id=agent, tool=tool),
                                 want["failures"][tool], (agent, tool))
                self.assertEqual(page.get("evonic_sandbox_tool_duration_seconds_count", agent_id=agent,
                                          tool=tool), want["runs"][tool], (agent, tool))

    def wait_counted(self, exporter, expected, what):
        agent, want = next(iter(expected.items()))
        total = sum(want["runs"].values())

        def done():
            m = exporter.metrics()
            ran = sum(m.get("evonic_sandbox_tool_executions_total", agent_id=agent, tool=t) or 0 for t in TOOLS)
            return m if (ran >= total and
                         m.get("evonic_sandbox_destroyed_total", agent_id=agent) == want["destroyed"] and
                         m.get("evonic_sandbox_exporter_events_tracked_objects") == 5) else None
        return wait_until(what, done, timeout=30)

    # --- tests ---------------------------------------------------------------------------------
    def test_recorded_session_is_counted_once(self):
        exporter = self.start_exporter()
        self.emit(self.session)
        expected = expectations(self.session)
        page = self.wait_counted(exporter, expected, "the recorded session counted")
        self.assert_counts(page, expected)
        self.assertEqual(page.get("evonic_sandbox_exporter_events_lost_total"), 0)
        self.assertEqual(page.get("evonic_sandbox_exporter_events_reconnects_total"), 0)
        self.assertEqual(page.get("evonic_sandbox_exporter_events_malformed_total"), 0)
        self.assertEqual(page.get("evonic_sandbox_exporter_events_repairs_total"), 0)
        # Durations are exec_start -> exec_die of the recording, within its own span.
        span = (self.session[-1]["timeNano"] - self.session[0]["timeNano"]) / 1e9
        total = sum(page.get("evonic_sandbox_tool_duration_seconds_sum", agent_id="recorder", tool=t) for t in TOOLS)
        self.assertGreater(total, 0)
        self.assertLess(total, span)
        self.assertNotIn("recorder", {l.get("agent_id") for _, l, _, _ in page.series("evonic_sandbox_info")})

    def test_database_agent_counts_events_from_the_first_second(self):
        # Evonic's database says session recorder-0a1b2c3d belongs to agent db-owner, while the name
        # rule reads agent "recorder" from evonic-recorder-0a1b2c3d. The session's tool calls and its
        # OOM kills all happen within 1.4 s of its create event, before any stats cycle lists it
        # (the fake engine never does): the one identity decision must already be the database's.
        root = os.path.join(self.dir, "evonic")
        make_evonic_root(root, [("db-owner", "DB Owner", True)],
                         [("recorder-0a1b2c3d", "db-owner", "erin@example.com")])
        exporter = self.start_exporter(interval="1h", extra=[f"--evonic.root={root}"])
        self.emit(self.session)
        by_name_rule = expectations(self.session)["recorder"]
        page = self.wait_counted(exporter, {"db-owner": by_name_rule}, "the session counted")
        self.assert_counts(page, {"db-owner": by_name_rule})
        self.assertGreater(by_name_rule["oom"], 0)
        self.assertGreater(sum(by_name_rule["runs"].values()), 0)
        for name in ("evonic_sandbox_oom_kills_total", "evonic_sandbox_created_total",
                     "evonic_sandbox_tool_executions_total"):
            self.assertFalse(any(labels.get("agent_id") == "recorder" and value != 0
                                 for _, labels, value, _ in page.series(name)), name)

    def test_cut_mid_line_then_the_replayed_duplicates_are_dropped(self):
        exporter = self.start_exporter()
        first, rest = self.session[:12], self.session[12:]
        sent = self.emit(first)["events"]
        wait_until("the first part processed",
                   lambda: exporter.metrics().get("evonic_sandbox_tool_executions_total", agent_id="recorder",
                                                  tool="bash") == 3)
        # The connection drops in the middle of a JSON line; the exporter reconnects with since=<last
        # event time>, and the engine (inclusive since) sends that event again.
        self.assertEqual(self.control("events/cut", {"mid_line": True})["cut"], 1)
        wait_until("the reconnect", lambda: self.fake_state()["connections"] >= 2 and
                   exporter.metrics().get("evonic_sandbox_exporter_events_up") == 1)
        self.emit(rest)
        expected = expectations(self.session)
        page = self.wait_counted(exporter, expected, "the whole session counted")
        self.assert_counts(page, expected)
        self.assertEqual(page.get("evonic_sandbox_exporter_events_reconnects_total"), 1)
        self.assertEqual(page.get("evonic_sandbox_exporter_events_lost_total"), 0)
        self.assertEqual(page.get("evonic_sandbox_exporter_events_malformed_total"), 0)  # half line dropped
        self.assertEqual(page.get("evonic_sandbox_exporter_events_repairs_total"), 0)
        # The reconnect asked for the last event's time.
        last = sent[-1]["timeNano"]
        self.assertTrue(any(f"since={last // 10**9}.{last % 10**9:09d}" in r["path"] for r in self.requests()),
                        "the reconnect did not resume from the last event time")
        # The die the replay sent again is one ending.
        self.assertEqual(endings(page, "recorder"), {"removed": 1, "oom": 0, "error": 0, "clean": 0})

    def requests(self):
        status, text = unix_request(self.socket, "GET", "/_fake/requests")
        return json.loads(text)

    def test_gap_larger_than_the_replay_buffer_is_counted_and_repaired(self):
        exporter = self.start_exporter()
        self.emit(self.session[:6])  # a sandbox starts, a bash call runs
        ran = expectations(self.session[:6])["recorder"]["runs"]["bash"]
        wait_until("the first events processed", lambda: exporter.metrics().get(
            "evonic_sandbox_tool_executions_total", agent_id="recorder", tool="bash") == ran)
        self.control("events/refuse", {"on": True})
        self.control("events/cut", {"mid_line": False})
        wait_until("the stream down", lambda: exporter.metrics().get("evonic_sandbox_exporter_events_up") == 0)
        # While it is away: the rest of the session and 11 more sessions (> 256 events) happen.
        away = self.emit(self.session[6:])["events"]
        for _ in range(11):
            away += self.emit(self.session)["events"]
        self.control("events/refuse", {"on": False})

        def settled():
            m = exporter.metrics()
            return m if (m.get("evonic_sandbox_exporter_events_up") == 1 and
                         m.get("evonic_sandbox_exporter_events_lost_total") == 1 and
                         m.get("evonic_sandbox_exporter_events_tracked_objects") == 5) else None
        page = wait_until("the gap counted and the state repaired", settled, timeout=40)
        self.assertNotIn("recorder", {l.get("agent_id") for _, l, _, _ in page.series("evonic_sandbox_info")})
        # Endings are counted from what the replay still holds (the engine's last 256 events, each
        # session's kill, die and destroy among them), the older ones not at all.
        replayed_dies = sum(1 for e in away[-256:] if e["Action"] == "die")
        self.assertLess(replayed_dies, 12)
        self.assertEqual(endings(page, "recorder"), {"removed": replayed_dies, "oom": 0, "error": 0, "clean": 0})

    def test_every_recorded_ending_is_counted_under_its_reason(self):
        # tests/fixtures/events/README.md: how the engine here ended each of these sandboxes.
        want = {"ends-clean": "clean", "ends-error": "error", "ends-oom": "oom", "ends-rm-f": "removed",
                "ends-exec-oom-rm": "removed", "ends-stop": "removed", "ends-stop-trap": "removed",
                "ends-kill": "removed", "ends-exit-then-rm": "error", "ends-never-ran": None}
        exporter = self.start_exporter()
        self.control("events/emit", {"file": os.path.join(os.path.dirname(self.recording), "sandbox-endings.jsonl")})
        page = wait_until("every sandbox destroyed", lambda: (lambda m: m if all(
            m.get("evonic_sandbox_destroyed_total", agent_id=a) == 1 for a in want) else None)(exporter.metrics()))
        for agent, reason in want.items():
            self.assertEqual(endings(page, agent), {r: int(r == reason) for r in REASONS}, agent)

    def test_unknown_actions_and_malformed_lines(self):
        exporter = self.start_exporter()
        odd = []
        for action in ("rename", "health_status: healthy", "pause", "update", "exec_detach"):
            e = json.loads(json.dumps(self.session[1]))
            e["Action"] = e["status"] = action
            odd.append(e)
        broken = json.loads(json.dumps(self.session[1]))
        del broken["id"]
        del broken["Actor"]["ID"]
        odd.append(broken)
        self.emit(odd)
        self.emit(self.session)
        expected = expectations(self.session)
        page = self.wait_counted(exporter, expected, "the session after odd events")
        self.assert_counts(page, expected)
        self.assertEqual(page.get("evonic_sandbox_exporter_events_malformed_total"), 1)
        self.assertEqual(exporter.log().count("unusable line in the engine's event stream"), 1)

    def test_quiet_stream_is_not_broken(self):
        exporter = self.start_exporter()
        quiet_until = time.monotonic() + 15
        while time.monotonic() < quiet_until:  # the property under test is "nothing happens"
            m = exporter.metrics()
            self.assertEqual(m.get("evonic_sandbox_exporter_events_up"), 1)
            self.assertEqual(m.get("evonic_sandbox_exporter_events_reconnects_total"), 0)
            time.sleep(0.5)
        self.assertEqual(self.fake_state()["connections"], 1)
        # and it still hears what happens after the silence
        self.emit(self.session)
        self.wait_counted(exporter, expectations(self.session), "the session after a quiet spell")

    def test_start_shows_at_once_and_destroy_removes_before_the_next_collection(self):
        exporter = self.start_exporter(interval="60s")  # no collection will come to help
        start = [e for e in self.session if e["Action"] in ("create", "start")]
        t0 = time.monotonic()
        self.emit(start)

        def shown():
            m = exporter.metrics()
            return m if any(l.get("agent_id") == "recorder" for _, l, _, _ in m.series("evonic_sandbox_info")) else None
        page = wait_until("the started sandbox on /metrics", shown, timeout=5)
        self.assertLess(time.monotonic() - t0, 1.5)
        self.assertIsNotNone(page.get("evonic_sandbox_start_time_seconds", agent_id="recorder"))
        t1 = time.monotonic()
        self.emit([e for e in self.session if e["Action"] == "destroy"])
        wait_until("the destroyed sandbox gone", lambda: shown() is None, timeout=5)
        self.assertLess(time.monotonic() - t1, 1.5)

    def test_memory_flat(self):
        exporter = self.start_exporter()
        pid = exporter.proc.pid
        n = ARGS.memory_sandboxes
        agents = 4

        def run(count):
            before = self.fake_state()["emitted"]
            self.control("events/synthetic", {"sandboxes": count, "execs": 2, "agents": agents})

            def done():
                m = exporter.metrics()
                created = sum(m.get("evonic_sandbox_destroyed_total", agent_id=f"synth-{i}") or 0
                              for i in range(agents))
                return m if (self.fake_state()["generators_running"] == 0 and created >= target[0] and
                             m.get("evonic_sandbox_exporter_events_tracked_objects") == 5) else None
            target[0] += count
            page = wait_until(f"{count} synthetic sandboxes processed", done, timeout=900, interval=0.5)
            return page, self.fake_state()["emitted"] - before
        target = [0]
        warm, _ = run(2000)  # allocator and maps at their working size
        rss_before = rss_bytes(pid)
        tracked_before = warm.get("evonic_sandbox_exporter_events_tracked_objects")
        page, emitted = run(n)
        rss_after = rss_bytes(pid)
        tracked_after = page.get("evonic_sandbox_exporter_events_tracked_objects")
        print(f"\n{n} sandboxes, {emitted} events: tracked {tracked_before} -> {tracked_after}, "
              f"RSS {rss_before / 2**20:.1f} -> {rss_after / 2**20:.1f} MiB", file=sys.stderr)
        self.assertEqual(tracked_after, tracked_before)
        self.assertEqual(page.get("evonic_sandbox_exporter_events_dropped_total"), 0)
        self.assertEqual(page.get("evonic_sandbox_exporter_events_lost_total"), 0)
        synth_created = sum(page.get("evonic_sandbox_created_total", agent_id=f"synth-{i}") for i in range(agents))
        self.assertEqual(synth_created, n + 2000)
        # Every synthetic sandbox ends with kill, die 137, destroy (as rm -f): one removal each.
        synth_removed = sum(page.get("evonic_sandbox_endings_total", agent_id=f"synth-{i}", reason="removed")
                            for i in range(agents))
        self.assertEqual(synth_removed, n + 2000)
        if not os.environ.get("ASAN_OPTIONS"):  # ASan's quarantine holds freed memory on purpose
            self.assertLess(rss_after - rss_before, 4 * 2**20, "RSS grew by more than 4 MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--memory-sandboxes", type=int, default=100000)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)
