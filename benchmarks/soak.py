#!/usr/bin/env python3
"""Soak test of the exporter (issue G): a long run on a private real Docker engine with Evonic-style
sandboxes that come and go, the exporter following the engine's event stream, /metrics scraped
every 5 s, both REST endpoints polled every second, and the engine restarted now and then. It
reports whether the exporter's RSS, open fds and threads stay flat, what every endpoint answered,
how long /metrics took to show the sandboxes again after each engine restart, and every warn or
error line the exporter logged. Not run in CI.

  sudo python3 benchmarks/soak.py --binary build-release/exporter/evonic-sandbox-exporter \\
      [--seconds 3600] [--sandboxes 50] [--churn-every 20] [--engine-restart-every 900] \\
      [--out /tmp/soak.json]

Short check (about 4 minutes with set-up and clean-up):
  sudo python3 benchmarks/soak.py --binary build-release/exporter/evonic-sandbox-exporter \\
      --seconds 150 --sandboxes 10 --churn-every 10 --engine-restart-every 60

Needs root, docker.io and busybox-static (see /work/shared/docker-engine-here.md). The engine is
tests/tools/private_engine.sh's (own socket, data root and containerd under a mktemp folder in
/tmp; no bridge, no iptables), the sandboxes run with --network none, and every request goes to
127.0.0.1. Sandboxes are made as Evonic makes them (evonic-<agent>-<8 hex>, evonic.managed=1,
512m, 1 CPU, 256 pids, --rm), spread over four agents; every third one has --restart
unless-stopped instead of --rm so that an engine restart brings some back and not others, and
one in 25 runs a loop that uses a little CPU. Every --churn-every seconds one sandbox is removed
(docker rm -f), a new session takes its place, and one Evonic-style tool call (docker exec -i ...
sh -s) runs in another. After an engine restart the missing sandboxes are made again under their
session ids, so the count stays at --sandboxes. The exporter runs with its default collection
interval, --evonic.root (a made-up Evonic folder with those agents and sessions), a web config with
one bcrypt user, --log.format=logfmt and --web.listen-address=127.0.0.1:0 (a free port, read back
from its log by tests/lib/harness.py's Exporter).

At the end it prints a summary and writes it as JSON to --out; the exporter's and the engine's
logs are kept beside it (<out without .json>.exporter.log and .dockerd.log). Exit status: 0, or 1
if the exporter died during the run (2 if the run could not be set up or the script itself
failed). Ctrl-C ends the run early, still with a summary; everything it made (containers, engine,
temporary folder) is removed in any case."""
import argparse
import base64
import concurrent.futures
import datetime
import hashlib
import http.client
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402 (libxcrypt bcrypt; deprecated in 3.11, still there)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from evonic_root import make_evonic_root  # noqa: E402
from harness import Exporter, Exposition, Processes, proc_status  # noqa: E402

DOCKER = "/usr/bin/docker"  # the client that matches the engine (docker.io)
ENGINE_SCRIPT = os.path.join(REPO, "tests", "tools", "private_engine.sh")
IMAGE = "evonic-sandbox:test"  # imported by private_engine.sh from busybox
AGENTS = [("soak-admin", "Soak Admin", True), ("soak-data-analyst", "Soak Data Analyst", True),
          ("soak-ops", "Soak Operations", True), ("soak-research", "Soak Research", True)]
BUSY_EVERY = 25  # slots 0, 25, ...: about 15 % of a core
RESTART_POLICY_EVERY = 3  # slots 1, 4, 7, ...: --restart unless-stopped instead of --rm
BUSY_LOOP = "while :; do i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done; sleep 1; done"
SCRAPE_EVERY, POLL_EVERY, SAMPLE_EVERY = 5.0, 1.0, 30.0
COLLECT_INTERVAL = 5.0  # the exporter's default --collect.interval, which the soak keeps
FD_READS = 11  # per sample, spread over one collection interval
RECOVERY_TIMEOUT = 120.0  # after the engine answers again
RECOVERY_POLL = 0.25
NEAR_RESTART_SLACK = 15.0  # a log line this long after a recovery still counts as near it
NEAR_CHURN = (-5.0, 30.0)  # a line naming a removed sandbox within this window of its removal
USER, PASSWORD = "soak", "soak-" + os.urandom(6).hex()
ENDPOINT_METRICS, ENDPOINT_RECOVERY = "/metrics", "/metrics (start-up and recovery polls)"
ENDPOINT_POOL, ENDPOINT_AGENT = "/api/sandbox/stats", "/api/agents/<agent>/sandbox/stats"
COUNTERS = ["docker_up", "events_up", "events_reconnects_total", "events_lost_total",
            "events_dropped_total", "events_malformed_total", "events_repairs_total",
            "events_tracked_objects", "collect_errors_total", "collect_overruns_total",
            "unmatched_containers", "sessions_not_in_evonic_db", "evonic_db_up",
            "auth_failures_total"]


class OwnSessionProcesses(Processes):
    """harness.Processes whose children are out of the terminal's process group: Ctrl-C stops
    this script, which then stops the exporter itself (so a Ctrl-C is not taken for a death)."""

    def start(self, argv, **kwargs):
        return super().start(argv, start_new_session=True, **kwargs)


# ---------------------------------------------------------------- engine and sandboxes

class Engine:
    """The private dockerd of tests/tools/private_engine.sh, in `work`."""

    def __init__(self, work):
        self.work = work
        self.sock = os.path.join(work, "docker.sock")
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.sock}")

    def start(self):
        out = subprocess.run(["bash", ENGINE_SCRIPT, "start", self.work], capture_output=True,
                             text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError("cannot start the private engine:\n" + out.stderr)

    def terminate(self, timeout=60.0):
        """SIGTERM to dockerd and wait for it to exit (SIGKILL after `timeout`); True if killed."""
        try:
            with open(os.path.join(self.work, "docker.pid")) as f:
                pid = int(f.read().strip())
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            return False  # not running: nothing to stop
        if wait_gone(pid, timeout):
            return False
        os.kill(pid, signal.SIGKILL)
        wait_gone(pid, 10.0)
        return True

    def stop(self):
        subprocess.run(["bash", ENGINE_SCRIPT, "stop", self.work], stdout=subprocess.DEVNULL,
                       timeout=300)

    def save_log(self):
        """Appends dockerd.log (which each start empties) to dockerd-all.log; that file's path."""
        every = os.path.join(self.work, "dockerd-all.log")
        try:
            with open(os.path.join(self.work, "dockerd.log"), "rb") as f, open(every, "ab") as out:
                shutil.copyfileobj(f, out)
        except OSError:
            pass
        return every

    def docker(self, *args, stdin=None, timeout=60):
        try:
            return subprocess.run([DOCKER, *args], env=self.env, input=stdin, capture_output=True,
                                  text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(args, -1, "", f"timed out after {timeout}s")


def wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.1)
    return not os.path.exists(f"/proc/{pid}")


class Slot:
    """One place in the pool: a fixed agent and kind; its session changes with churn."""

    def __init__(self, index):
        self.agent = AGENTS[index % len(AGENTS)][0]
        self.busy = index % BUSY_EVERY == 0
        self.keeps = index % RESTART_POLICY_EVERY == 1  # --restart unless-stopped
        self.session = self.user = self.name = self.container_id = None


class Pool:
    """The sandboxes, made and removed the way Evonic does, and Evonic's database of them."""

    def __init__(self, engine, root, n):
        self.engine, self.root = engine, root
        self.slots = [Slot(i) for i in range(n)]
        self.users = 0
        self.churns = self.tool_calls = self.created = self.removed = 0
        self.removals = []  # (container name, wall time) of churned sandboxes
        self.failures = []  # (wall time, what, stderr)
        self.lock = threading.Lock()

    def new_session(self, slot):
        """Evonic's session id: <agent>-<first 8 hex of SHA-1 of the sorted [user, agent]>."""
        self.users += 1
        slot.user = f"soak-user-{self.users}@example.com"
        digest = hashlib.sha1(json.dumps(sorted([slot.user, slot.agent])).encode()).hexdigest()
        slot.session = f"{slot.agent}-{digest[:8]}"
        slot.name = f"evonic-{slot.session}"
        slot.container_id = None

    def record_sessions(self, slots, env=None):
        make_evonic_root(self.root, AGENTS, [(s.session, s.agent, s.user) for s in slots], env=env)

    def fail(self, what, out):
        with self.lock:
            self.failures.append((time.time(), what, out.stderr.strip()[-300:]))

    def create(self, slot):
        keep = ["--restart", "unless-stopped"] if slot.keeps else ["--rm"]
        out = self.engine.docker(
            "run", "-d", "--name", slot.name, "--label", "evonic.managed=1",
            "--label", f"evonic.pid={os.getpid()}",
            "--label", f"evonic.created_at={int(time.time())}",
            "--memory=512m", "--cpus=1", "--pids-limit=256", "--network", "none",
            "--tmpfs", "/tmp:rw,exec,size=3000m", "--tmpfs", "/root:rw,size=16m", *keep,
            IMAGE, "sleep", "infinity")
        if out.returncode != 0:
            self.fail(f"docker run {slot.name}", out)
            return
        slot.container_id = out.stdout.strip()[:12]
        with self.lock:
            self.created += 1
        if slot.busy:
            self.start_busy(slot)

    def start_busy(self, slot):
        out = self.engine.docker("exec", "-d", slot.name, "sh", "-c", BUSY_LOOP)
        if out.returncode != 0:
            self.fail(f"docker exec -d {slot.name}", out)

    def create_all(self, slots):
        with concurrent.futures.ThreadPoolExecutor(4) as workers:
            list(workers.map(self.create, slots))

    def fill(self):
        for slot in self.slots:
            self.new_session(slot)
        capacity = str(min(100, len(self.slots)))  # Evonic allows 1..100
        self.record_sessions(self.slots, env={"SANDBOX_MAX_CONTAINERS": capacity})
        self.create_all(self.slots)

    def churn(self):
        """Removes the next sandbox in turn; a new session of the same agent takes its place."""
        slot = self.slots[self.churns % len(self.slots)]
        self.churns += 1
        out = self.engine.docker("rm", "-f", slot.name)
        if out.returncode != 0:
            self.fail(f"docker rm -f {slot.name}", out)
        else:
            self.removed += 1
            self.removals.append((slot.name, time.time()))
        self.new_session(slot)
        self.record_sessions([slot])
        self.create(slot)

    def tool_call(self):
        """One Evonic-style tool call (`docker exec -i <c> ... -s`); every fifth one fails."""
        slot = self.slots[(self.churns * 7 + 3) % len(self.slots)]
        self.tool_calls += 1
        script = "exit 3\n" if self.tool_calls % 5 == 0 else "echo tool; ls / >/dev/null\n"
        out = self.engine.docker("exec", "-i", slot.name, "sh", "-s", stdin=script)
        if out.returncode not in (0, 3):
            self.fail(f"docker exec -i {slot.name}", out)

    def reconcile(self):
        """After an engine restart: (sandboxes running again, sandboxes made again)."""
        out = self.engine.docker("ps", "-a", "--filter", "label=evonic.managed=1",
                                 "--format", "{{.Names}}\t{{.State}}")
        states = dict(line.split("\t", 1) for line in out.stdout.splitlines() if "\t" in line)
        back = [s for s in self.slots if states.get(s.name) == "running"]
        missing = [s for s in self.slots if s not in back]
        for slot in missing:
            if slot.name in states:  # stopped, not removed: as Evonic would, start afresh
                self.engine.docker("rm", "-f", slot.name)
            slot.container_id = None
        for slot in back:
            if slot.busy:
                self.start_busy(slot)
        self.create_all(missing)
        return len(back), len(missing)

    def expected(self):
        return {(s.session, s.container_id) for s in self.slots if s.container_id}


# ---------------------------------------------------------------- HTTP traffic

class Client:
    """GET with Basic credentials from 127.0.0.1, one connection per request."""

    def __init__(self, port):
        self.port = port
        self.header = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def get(self, path):
        """(status code or error name, seconds, body)."""
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request("GET", path, headers={"Authorization": self.header})
            r = conn.getresponse()
            return r.status, time.monotonic() - t0, r.read()
        except (OSError, http.client.HTTPException) as e:
            return type(e).__name__, time.monotonic() - t0, b""
        finally:
            conn.close()


class Traffic:
    """Status codes and latencies (with the time of each request) per endpoint, and every
    answer but a usable 200 with its time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.codes, self.latency, self.bad = {}, {}, []

    def record(self, endpoint, code, seconds):
        with self.lock:
            counts = self.codes.setdefault(endpoint, {})
            counts[str(code)] = counts.get(str(code), 0) + 1
            self.latency.setdefault(endpoint, []).append((seconds, time.time() - seconds))
            if code != 200:
                self.bad.append((time.time(), endpoint, str(code)))


def fetch(client, traffic, endpoint, path, parse):
    """GET path, record it under endpoint; the parsed body of a 200, else None."""
    code, seconds, body = client.get(path)
    parsed = None
    if code == 200:
        try:
            parsed = parse(body.decode())
        except ValueError:
            code = "200-unparsable"
    traffic.record(endpoint, code, seconds)
    return parsed


def repeat(every, stop, deadline, action):
    """Runs action() every `every` seconds until stop is set or the deadline passes."""
    next_at = time.monotonic()
    while not stop.is_set() and time.monotonic() < deadline:
        action()
        next_at = max(next_at + every, time.monotonic())
        stop.wait(max(0.0, min(next_at, deadline) - time.monotonic()))


# ---------------------------------------------------------------- the run

class Soak:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="evonic-soak-", dir="/tmp")
        self.engine = Engine(self.work)
        self.pool = Pool(self.engine, os.path.join(self.work, "evonic"), args.sandboxes)
        self.procs = OwnSessionProcesses()
        self.traffic = Traffic()
        self.stop = threading.Event()
        self.threads, self.samples, self.restarts = [], [], []
        self.exporter = self.client = None
        self.t0 = self.t0_wall = None
        self.died_at = None
        self.versions = {}
        self.interrupted = self.ended_early = False

    # -- set-up
    def setup(self):
        self.engine.start()
        self.pool.fill()
        self.exporter = Exporter(self.procs, self.args.binary, [
            f"--docker.host=unix://{self.engine.sock}", f"--web.config.file={self.web_config()}",
            f"--evonic.root={self.pool.root}", "--log.format=logfmt"], self.work)
        self.client = Client(self.exporter.port)
        deadline = time.monotonic() + 120
        while not self.all_shown(self.scrape_once(ENDPOINT_RECOVERY)):
            if time.monotonic() > deadline:
                log("warning: /metrics did not show every sandbox within 120 s; starting anyway")
                break
            time.sleep(0.5)
        log(f"engine up, {len(self.pool.expected())} sandboxes, exporter pid "
            f"{self.exporter.proc.pid} on 127.0.0.1:{self.exporter.port}")

    def web_config(self):
        hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** 10))
        path = os.path.join(self.work, "web.yml")
        with open(path, "w") as f:
            f.write(f"basic_auth_users:\n  {USER}: '{hashed}'\n")
        return path

    # -- what the threads do
    def scrape_once(self, endpoint=ENDPOINT_METRICS):
        return fetch(self.client, self.traffic, endpoint, "/metrics", Exposition)

    def poll_rest(self):
        fetch(self.client, self.traffic, ENDPOINT_POOL, "/api/sandbox/stats", json.loads)
        agent = AGENTS[int(time.monotonic()) % len(AGENTS)][0]
        fetch(self.client, self.traffic, ENDPOINT_AGENT, f"/api/agents/{agent}/sandbox/stats",
              json.loads)

    def sample(self, pause=None):
        """RSS and threads, and the open fds read over one collection interval: the fewest (the
        baseline) and the most (the collection's engine connections come and go within it)."""
        pause = pause or self.stop.wait  # returns at once when the run ends
        pid = self.exporter.proc.pid
        t = round(self.now_s(), 1)
        try:
            fds = []
            for _ in range(FD_READS):
                fds.append(len(os.listdir(f"/proc/{pid}/fd")))
                pause(COLLECT_INTERVAL / (FD_READS - 1))
            s = {"t": t, "rss_kib": proc_status(pid, "VmRSS"), "fds": min(fds),
                 "fds_peak": max(fds), "threads": proc_status(pid, "Threads")}
        except OSError:
            return  # the process is gone; the main loop notices
        self.samples.append(s)
        codes = {e: sum(c.values()) for e, c in self.traffic.codes.items()}
        log(f"[{s['t']:7.0f}s] rss {s['rss_kib'] / 1024:.1f} MiB, fds {s['fds']} (peak "
            f"{s['fds_peak']}), threads {s['threads']}; requests {codes}")

    def start_threads(self, deadline):
        for every, action in ((SCRAPE_EVERY, self.scrape_once), (POLL_EVERY, self.poll_rest),
                              (SAMPLE_EVERY, self.sample)):
            t = threading.Thread(target=repeat, args=(every, self.stop, deadline, action),
                                 daemon=True)
            t.start()
            self.threads.append(t)

    # -- the main loop: churn and engine restarts, bounded by --seconds
    def now_s(self):
        return time.monotonic() - self.t0

    def run(self):
        a = self.args
        self.t0, self.t0_wall = time.monotonic(), time.time()
        end = self.t0 + a.seconds
        never = float("inf")
        next_churn = self.t0 + a.churn_every if a.churn_every > 0 else never
        next_restart = self.t0 + a.engine_restart_every if a.engine_restart_every > 0 else never
        self.start_threads(end + RECOVERY_TIMEOUT + 300)
        while time.monotonic() < end:
            if self.exporter.proc.poll() is not None:
                self.died_at = self.now_s()
                log(f"the exporter died (exit {self.exporter.proc.returncode}) at "
                    f"{self.died_at:.0f}s")
                return
            now = time.monotonic()
            if now >= next_restart:
                if not self.restart_engine():
                    self.ended_early = True
                    return
                next_restart = max(next_restart + a.engine_restart_every, time.monotonic())
                next_churn = max(next_churn, time.monotonic())
            elif now >= next_churn:
                self.pool.churn()
                self.pool.tool_call()
                next_churn = max(next_churn + a.churn_every, time.monotonic())
            else:
                time.sleep(max(0.0, min(1.0, next_churn - now, next_restart - now, end - now)))

    def restart_engine(self):
        r = {"at_s": round(self.now_s(), 1), "stop_at": time.time()}
        self.restarts.append(r)  # filled in as it goes: an interrupted restart still counts
        log(f"[{r['at_s']:7.0f}s] engine restart")
        r["sigkill"] = self.engine.terminate()
        r["stop_s"] = time.time() - r["stop_at"]
        self.engine.save_log()
        for attempt in range(3):
            try:
                self.engine.start()
                break
            except RuntimeError as e:
                r.setdefault("start_errors", []).append(str(e)[-500:])
        else:
            log("the engine did not start again; ending the run")
            return False
        r["up_at"] = time.time()
        r["start_s"] = r["up_at"] - r["stop_at"] - r["stop_s"]
        made = self.reconcile_in_background(r)
        r.update(self.wait_recovered(r["up_at"], made))
        made.wait(RECOVERY_TIMEOUT)
        if r["recovered_at"] is not None:
            r["recovery_from_stop_s"] = r["recovered_at"] - r["stop_at"]
        log(f"          recovered in {fmt_s(r['recovery_s'])} after the engine answered "
            f"(came back {r.get('came_back')}, made again {r.get('recreated')})")
        return True

    def reconcile_in_background(self, r):
        """Makes the missing sandboxes again while wait_recovered polls; set when done."""
        done = threading.Event()

        def work():
            try:
                r["came_back"], r["recreated"] = self.pool.reconcile()
                r["recreate_s"] = time.time() - r["up_at"]
            finally:
                done.set()
        threading.Thread(target=work, daemon=True).start()
        return done

    def all_shown(self, page):
        return page is not None and self.conditions(page, True)[3]

    def conditions(self, page, made):
        """docker_up, events_up, every current sandbox listed (by session and container id),
        and every one with a resource sample; the last two only once every sandbox is `made`."""
        if not made:
            return (page.get("evonic_sandbox_exporter_docker_up") == 1,
                    page.get("evonic_sandbox_exporter_events_up") == 1, False, False)
        expected = self.pool.expected()
        listed = {(l.get("session_id"), l.get("container_id"))
                  for _, l, _, _ in page.series("evonic_sandbox_info")}
        sampled = {l.get("session_id")
                   for _, l, _, _ in page.series("evonic_sandbox_memory_working_set_bytes")}
        return (page.get("evonic_sandbox_exporter_docker_up") == 1,
                page.get("evonic_sandbox_exporter_events_up") == 1,
                listed == expected,
                listed == expected and {s for s, _ in expected} <= sampled)

    def wait_recovered(self, up_at, made):
        """Seconds after the engine answered until each condition first held, and all at once
        (polled from the moment the engine answers, while the sandboxes are made again)."""
        names = ("docker_up_s", "events_up_s", "listed_s", "sampled_s")
        firsts = {}
        page = None
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        while time.monotonic() < deadline and self.exporter.proc.poll() is None:
            page = self.scrape_once(ENDPOINT_RECOVERY) or page
            if page is not None:
                held = self.conditions(page, made.is_set())
                for name, ok in zip(names, held):
                    if ok and name not in firsts:
                        firsts[name] = round(time.time() - up_at, 2)
                if all(held):
                    return {"recovery_s": round(time.time() - up_at, 2), "first_s": firsts,
                            "recovered_at": time.time()}
            time.sleep(RECOVERY_POLL)
        return {"recovery_s": None, "first_s": firsts, "recovered_at": None,
                "not_recovered": self.diagnose(page)}

    def diagnose(self, page):
        """What /metrics lacked when a recovery timed out, and the engine's view of it."""
        if page is None:
            return "no /metrics page"
        expected = self.pool.expected()
        listed = {(l.get("session_id"), l.get("container_id"))
                  for _, l, _, _ in page.series("evonic_sandbox_info")}
        sampled = {l.get("session_id")
                   for _, l, _, _ in page.series("evonic_sandbox_memory_working_set_bytes")}
        unsampled = sorted(s for s, _ in expected if s not in sampled)
        engine = {}
        for session in unsampled:
            out = self.engine.docker("inspect", "--format", "{{.Id}} {{.State.Status}} "
                                     "{{.State.StartedAt}} {{.RestartCount}}", f"evonic-{session}")
            engine[session] = (out.stdout or out.stderr).strip()
        return {"not_listed": sorted(expected - listed),
                "listed_not_expected": sorted(listed - expected),
                "not_sampled": unsampled, "engine_says": engine,
                "series_of_not_sampled": sorted({n for n, l, _, _ in page.samples
                                                 if l.get("session_id") in unsampled}),
                "pool_containers": page.get("evonic_sandbox_pool_containers"),
                "events_repairs_total": page.get("evonic_sandbox_exporter_events_repairs_total"),
                "last_collect_age_s": round(time.time() - (page.get(
                    "evonic_sandbox_exporter_last_collect_timestamp_seconds") or 0), 1)}

    # -- the end
    def finish(self):
        """Stops the traffic and the exporter; the summary (None if the run never started)."""
        self.stop.set()
        for t in self.threads:
            t.join(20)
        if self.exporter is None or self.t0 is None:
            return None  # the run never started
        final = self.scrape_once(ENDPOINT_RECOVERY) if self.exporter.proc.poll() is None else None
        self.sample(pause=time.sleep)  # a whole interval, though the run has ended
        alive = self.exporter.proc.poll() is None
        exit_code = self.procs.stop(self.exporter.proc)
        kept = keep_log(self.exporter.log_path, self.args.out, "exporter")
        keep_log(self.engine.save_log(), self.args.out, "dockerd")
        return summarize(self, final, alive, exit_code, kept)

    def cleanup(self):
        self.procs.stop_all()
        try:
            self.engine.stop()
        finally:
            shutil.rmtree(self.work, ignore_errors=True)


def keep_log(path, out, what):
    """A copy of the log at `path` beside --out (the temporary folder goes at the end)."""
    kept = f"{os.path.splitext(out)[0]}.{what}.log"
    try:
        shutil.copyfile(path, kept)
        return kept
    except OSError:
        return None


# ---------------------------------------------------------------- the summary

def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def resource_summary(samples, key, warmup_at):
    after = [s for s in samples if s["t"] >= warmup_at] or samples[-1:]
    if not after:
        return None
    values = [s[key] for s in after]
    out = {"warmup_t": after[0]["t"], "warmup": values[0], "min": min(values), "max": max(values),
           "last": values[-1], "drift": values[-1] - values[0], "slope_per_hour": None}
    if len(after) >= 3 and after[-1]["t"] > after[0]["t"]:
        slope = statistics.linear_regression([s["t"] for s in after], values).slope
        out["slope_per_hour"] = round(slope * 3600, 1)
    return out


def request_summary(traffic, windows, t0_wall):
    out = {}
    for endpoint, codes in sorted(traffic.codes.items()):
        timed = traffic.latency[endpoint]
        lat = [s for s, _ in timed]
        bad = [t for t, e, _ in traffic.bad if e == endpoint]
        near = sum(1 for t in bad if in_windows(t, windows))
        slowest = [{"seconds": round(s, 4), "at_s": round(at - t0_wall, 1),
                    "near_restart": in_windows(at, windows)}
                   for s, at in sorted(timed, reverse=True)[:3]]
        out[endpoint] = {"codes": codes, "count": len(lat),
                         "latency_s": {"p50": percentile(lat, 0.5), "p99": percentile(lat, 0.99),
                                       "max": max(lat)},
                         "slowest": slowest,
                         "not_200": {"near_restart": near, "other": len(bad) - near}}
    return out


def restart_windows(restarts):
    """(from, to) wall times: SIGTERM to the engine until a little after /metrics recovered."""
    windows = []
    for r in restarts:
        end = r.get("recovered_at") or (r.get("up_at") or r["stop_at"]) + RECOVERY_TIMEOUT
        windows.append((r["stop_at"] - 1.0, end + NEAR_RESTART_SLACK))
    return windows


def in_windows(t, windows):
    return any(a <= t <= b for a, b in windows)


LOGFMT_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_.]*)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_logfmt(line):
    fields = {}
    for key, value in LOGFMT_PAIR.findall(line):
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        fields[key] = value
    return fields


def log_time(ts):
    try:
        return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def near_churn(fields, t, removals):
    name = fields.get("container")
    return t is not None and any(n == name and NEAR_CHURN[0] <= t - at <= NEAR_CHURN[1]
                                 for n, at in removals)


def log_groups(path, windows, removals):
    """Every warn and error line grouped by (level, msg): counts, first and last time, how many
    fell near an engine restart or named a sandbox just removed by churn, and the first line."""
    groups, lines = {}, 0
    with open(path, errors="replace") as f:
        for line in f:
            lines += 1
            fields = parse_logfmt(line.strip())
            if fields.get("level") not in ("warn", "error"):
                continue
            t = log_time(fields.get("ts"))
            g = groups.setdefault((fields["level"], fields.get("msg", "")), {
                "level": fields["level"], "msg": fields.get("msg", ""), "count": 0,
                "first": fields.get("ts"), "last": None, "near_restart": 0, "near_churn": 0,
                "other": 0, "example": line.strip()[:400]})
            g["count"] += 1
            g["last"] = fields.get("ts")
            if t is not None and in_windows(t, windows):
                g["near_restart"] += 1
            elif near_churn(fields, t, removals):
                g["near_churn"] += 1
            else:
                g["other"] += 1
    return lines, sorted(groups.values(), key=lambda g: (-g["other"], -g["count"]))


def total(page, name):
    """The sum over every series of `name` (None if it has none)."""
    values = [v for _, _, v, _ in page.series(name)]
    return sum(values) if values else None


def exporter_counters(page):
    if page is None:
        return None
    out = {c: total(page, f"evonic_sandbox_exporter_{c}") for c in COUNTERS}
    for name in ("created_total", "destroyed_total", "oom_kills_total",
                 "tool_executions_total", "tool_failures_total", "pool_containers"):
        out[f"sandbox_{name}"] = total(page, f"evonic_sandbox_{name}")
    return out


def summarize(soak, final, alive, exit_code, kept_log):
    a = soak.args
    duration = soak.now_s() if soak.t0 is not None else 0.0
    warmup_at = min(120.0, 0.1 * a.seconds)
    windows = restart_windows(soak.restarts)
    lines, groups = log_groups(soak.exporter.log_path, windows, soak.pool.removals)
    restarts = [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()
                 if k not in ("stop_at", "up_at", "recovered_at")} for r in soak.restarts]
    return {
        "config": {"binary": os.path.abspath(a.binary), "seconds": a.seconds,
                   "sandboxes": a.sandboxes, "churn_every": a.churn_every,
                   "engine_restart_every": a.engine_restart_every,
                   "scrape_every": SCRAPE_EVERY, "rest_poll_every": POLL_EVERY,
                   "sample_every": SAMPLE_EVERY, "warmup_at_s": warmup_at},
        "versions": soak.versions,
        "started_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(soak.t0_wall or 0)),
        "duration_s": round(duration, 1),
        "interrupted": soak.interrupted, "ended_early": soak.ended_early,
        "exporter": {"alive_at_end": alive, "exit_code": exit_code,
                     "died_at_s": None if soak.died_at is None else round(soak.died_at, 1),
                     "log": kept_log},
        "resources": {k: resource_summary(soak.samples, k, warmup_at)
                      for k in ("rss_kib", "fds", "fds_peak", "threads")},
        "requests": request_summary(soak.traffic, windows, soak.t0_wall),
        "engine_restarts": restarts,
        "sandboxes": {"churns": soak.pool.churns, "tool_calls": soak.pool.tool_calls,
                      "containers_created": soak.pool.created,
                      "containers_removed_by_churn": soak.pool.removed,
                      "docker_failures": len(soak.pool.failures),
                      "docker_failure_examples": [
                          {"t": round(t - (soak.t0_wall or t), 1), "what": w, "err": e}
                          for t, w, e in soak.pool.failures[:20]]},
        "exporter_counters_at_end": exporter_counters(final),
        "log": {"lines": lines, "warn_error_groups": groups},
        "samples": soak.samples,
    }


def fmt_s(v):
    return "-" if v is None else f"{v:.2f} s"


def fmt_resource(name, r, unit=""):
    if r is None:
        return f"  {name}: no samples"
    slope = "" if r["slope_per_hour"] is None else f", slope {r['slope_per_hour']:+}{unit}/h"
    return (f"  {name}: after warm-up ({r['warmup_t']:.0f}s) {r['warmup']}{unit}, min {r['min']}"
            f"{unit}, max {r['max']}{unit}, last {r['last']}{unit}, drift {r['drift']:+}{unit}"
            f"{slope}")


def print_summary(s):
    p = print
    p("\n==== soak summary ====")
    c = s["config"]
    p(f"{s['duration_s']:.0f} s of {c['seconds']} s at {c['sandboxes']} sandboxes, churn every "
      f"{c['churn_every']} s, engine restart every {c['engine_restart_every']} s"
      + (" (interrupted)" if s["interrupted"] else "")
      + (" (ended early)" if s["ended_early"] else ""))
    p(f"versions: {s['versions']}")
    e = s["exporter"]
    p(f"exporter: {'alive' if e['alive_at_end'] else 'DIED at %s s' % e['died_at_s']} "
      f"(exit code {e['exit_code']}), log kept at {e['log']}")
    p("resources (min/max from warm-up on):")
    r = s["resources"]
    p(fmt_resource("RSS", r["rss_kib"], " KiB"))
    p(fmt_resource("fds (fewest in 5 s)", r["fds"]))
    p(fmt_resource("fds (most in 5 s)", r["fds_peak"]))
    p(fmt_resource("threads", r["threads"]))
    p("requests:")
    for endpoint, q in s["requests"].items():
        lat = q["latency_s"]
        p(f"  {endpoint}: {q['count']} requests, codes {q['codes']}, not-200 near a restart "
          f"{q['not_200']['near_restart']}, elsewhere {q['not_200']['other']}; latency p50 "
          f"{lat['p50'] * 1000:.1f} ms, p99 {lat['p99'] * 1000:.1f} ms, "
          f"max {lat['max'] * 1000:.1f} ms")
        p("      slowest: " + ", ".join(
            f"{x['seconds'] * 1000:.1f} ms at {x['at_s']:.0f}s"
            + (" (near a restart)" if x["near_restart"] else "") for x in q["slowest"]))
    p("engine restarts (times after the engine answered again):")
    for r in s["engine_restarts"]:
        killed = " (SIGKILL)" if r.get("sigkill") else ""
        p(f"  at {r['at_s']:.0f}s: stop {fmt_s(r.get('stop_s'))}{killed}, start "
          f"{fmt_s(r.get('start_s'))}, came back {r.get('came_back')}, made again "
          f"{r.get('recreated')} in {fmt_s(r.get('recreate_s'))}; recovered "
          f"{fmt_s(r.get('recovery_s'))} ({fmt_s(r.get('recovery_from_stop_s'))} after the "
          f"SIGTERM), first held {r.get('first_s')}"
          + (f" START ERRORS {r['start_errors']}" if r.get("start_errors") else ""))
        if r.get("not_recovered"):
            p(f"      not recovered: {r['not_recovered']}")
    sb = s["sandboxes"]
    p(f"sandboxes: {sb['churns']} churns, {sb['tool_calls']} tool calls, "
      f"{sb['containers_created']} containers made, "
      f"{sb['containers_removed_by_churn']} removed by churn, "
      f"{sb['docker_failures']} docker failures")
    for f in sb["docker_failure_examples"][:5]:
        p(f"  at {f['t']}s {f['what']}: {f['err']}")
    p(f"exporter counters at the end: {s['exporter_counters_at_end']}")
    p(f"exporter log: {s['log']['lines']} lines; warn/error by msg "
      "(near_restart / near_churn / other):")
    for g in s["log"]["warn_error_groups"]:
        p(f"  {g['level']:5} x{g['count']:<4} ({g['near_restart']}/{g['near_churn']}/{g['other']}) "
          f"{g['msg']!r}, first {g['first']}, last {g['last']}")
        if g["other"]:
            p(f"        e.g. {g['example']}")
    if not s["log"]["warn_error_groups"]:
        p("  none")


def log(text):
    print(text, file=sys.stderr, flush=True)


def versions(engine, binary):
    out = {}
    v = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    out["exporter"] = (v.stdout or v.stderr).strip()
    d = engine.docker("version", "--format", "{{.Server.Version}}")
    out["engine"] = d.stdout.strip() or d.stderr.strip()
    return out


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True, help="the exporter binary")
    p.add_argument("--seconds", type=float, default=3600)
    p.add_argument("--sandboxes", type=int, default=50)
    p.add_argument("--churn-every", type=float, default=20, help="seconds; 0 = no churn")
    p.add_argument("--engine-restart-every", type=float, default=900, help="seconds; 0 = never")
    p.add_argument("--out", default="/tmp/soak.json")
    a = p.parse_args()
    if a.sandboxes < 1 or a.seconds <= 0:
        p.error("--sandboxes and --seconds must be positive")
    return a


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, interrupt)
    soak = Soak(args)
    summary, failed = None, False
    try:
        soak.setup()
        soak.versions = versions(soak.engine, args.binary)
        soak.run()
    except KeyboardInterrupt:
        soak.interrupted = True
        log("interrupted: stopping and cleaning up (Ctrl-C is ignored from now on)")
    except Exception:  # report, then still summarize and clean up
        traceback.print_exc()
        failed = True
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            summary = soak.finish()
        except Exception:
            traceback.print_exc()
            failed = True
        finally:
            soak.cleanup()
    if summary is not None:
        with open(args.out, "w") as f:
            json.dump(summary, f, indent=1)
        print_summary(summary)
        print(f"written to {args.out}")
    if soak.died_at is not None:
        return 1
    return 2 if failed or summary is None else 0


if __name__ == "__main__":
    sys.exit(main())
