#!/usr/bin/env python3
"""The socket proxy as compose ships it (deploy/socket-proxy/haproxy.cfg, Debian's HAProxy) in
front of a private real engine (tests/tools/private_engine.sh) with one Evonic-style sandbox,
listening on 127.0.0.1:
  - the real exporter, pointed at the proxy only, shows the sandbox with its values, reads the
    cgroupfs stats source's /info and stats checks through it, and follows the event stream (an
    exec in the sandbox is counted);
  - each request the exporter sends answers 200 through the proxy, versioned and not;
  - archive, export, logs, exec, every POST/PUT/DELETE/HEAD, other endpoints, unknown paths and
    path tricks (dot segments, doubled or percent-encoded slashes, ids of 63 or 65 characters,
    uppercase ids, names, absolute-form targets), a protocol upgrade on an allowed path and a
    second request pipelined behind an allowed one are refused (403 or 400) without reaching the
    engine (HAProxy logs them <NOSRV>), and the sandbox still runs afterwards;
  - the event stream outlives the ordinary server timeout (checked on a copy of the config with
    that timeout at 2 s: the stream stays open 6 s, then an event still arrives on it).
About 20 seconds.

By hand: test_socket_proxy.py --binary BUILD/exporter/evonic-sandbox-exporter --source-dir REPO"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from harness import Exporter, Processes, run_docker, wait_until  # noqa: E402
import socket_proxy_cases as cases  # noqa: E402

ARGS = None
SANDBOX = "evonic-proxy-0000beef"
AGENT = "proxy"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_request(port, method, target, headers=(), body=b"", timeout=10):
    """Sends the request line exactly as given (no client normalises it) and returns the status
    code of the answer, reading no further than its headers."""
    head = f"{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    for h in headers:
        head += h + "\r\n"
    if body or method in ("POST", "PUT", "PATCH"):
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.encode() + b"\r\n" + body)
        return read_status(s)


def read_status(s):
    data = b""
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise AssertionError(f"connection closed before a status line: {data!r}")
        data += chunk
    return int(data.split(b" ", 2)[1])


def read_until(s, pattern, deadline):
    """Reads from s until `pattern` is in what was read; fails at the deadline or on EOF."""
    data = b""
    while pattern not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {pattern!r} before the deadline; read {data[-500:]!r}")
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            raise AssertionError(f"the proxy closed the stream; read {data[-500:]!r}")
        data += chunk
    return data


class HAProxy:
    """HAProxy with a config file, on 127.0.0.1, in front of the engine's socket."""

    def __init__(self, procs, config, engine_sock, workdir, name):
        self.log_path = os.path.join(workdir, f"haproxy-{name}.log")
        log = open(self.log_path, "w")
        procs.files.append(log)
        # A port picked free may be taken before HAProxy binds it: try a few.
        for _ in range(5):
            self.port = free_port()
            env = dict(os.environ, EVONIC_PROXY_BIND=f"127.0.0.1:{self.port}",
                       EVONIC_PROXY_ENGINE=f"unix@{engine_sock}")
            # -db: foreground, logs (`log stdout`) to the file.
            self.proc = procs.start(["haproxy", "-db", "-f", config], env=env, stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                wait_until("HAProxy answering /_ping", self._ready, timeout=15, interval=0.1)
                return
            except AssertionError:
                if self.proc.poll() is None:
                    raise
                procs.stop(self.proc)
        raise AssertionError("HAProxy did not start:\n" + self.log())

    def _ready(self):
        if self.proc.poll() is not None:
            return False
        return raw_request(self.port, "GET", "/_ping") == 200

    def log(self):
        with open(self.log_path) as f:
            return f.read()


class SocketProxyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Short: unix socket paths are limited and the engine's live below this folder.
        cls.dir = tempfile.mkdtemp(prefix="evonic-px-", dir="/tmp")
        cls.engine = os.path.join(cls.dir, "e")
        cls.procs = Processes()
        cls.config = os.path.join(ARGS.source_dir, "deploy", "socket-proxy", "haproxy.cfg")
        try:
            out = subprocess.run(["bash", os.path.join(ARGS.source_dir, "tests", "tools",
                                                       "private_engine.sh"), "start", cls.engine],
                                 capture_output=True, text=True, timeout=300)
            if out.returncode != 0:
                raise RuntimeError("cannot start the private engine:\n" + out.stderr)
            cls.sock = os.path.join(cls.engine, "docker.sock")
            cls.env = dict(os.environ, DOCKER_HOST=f"unix://{cls.sock}")
            cls.cid = cls.docker("run", "-d", "--name", SANDBOX, "--label", "evonic.managed=1",
                                 "--memory=64m", "--pids-limit=32", "--network", "none",
                                 "evonic-sandbox:test", "sleep", "infinity").strip()
            cls.proxy = HAProxy(cls.procs, cls.config, cls.sock, cls.dir, "shipped")
            cls.exporter = Exporter(cls.procs, ARGS.binary,
                                    [f"--docker.host=tcp://127.0.0.1:{cls.proxy.port}",
                                     "--collect.interval=1s"], cls.dir)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()
        subprocess.run(["bash", os.path.join(ARGS.source_dir, "tests", "tools",
                                             "private_engine.sh"), "stop", cls.engine],
                       timeout=300)
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def docker(cls, *args, check=True):
        """The engine directly, as Evonic reaches it (not through the proxy)."""
        return run_docker(cls.env, *args, check=check).stdout

    def assert_sandbox_runs(self):
        state = self.docker("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", SANDBOX).split()
        self.assertEqual(state[0], "true", "the sandbox stopped")

    def test_1_the_exporter_works_through_the_proxy(self):
        e = self.exporter

        def page():
            m = e.metrics()
            ok = (m.get("evonic_sandbox_exporter_docker_up") == 1 and
                  m.get("evonic_sandbox_pids_limit", agent_id=AGENT) == 32 and
                  (m.get("evonic_sandbox_pids", agent_id=AGENT) or 0) >= 1 and
                  (m.get("evonic_sandbox_memory_working_set_bytes", agent_id=AGENT) or 0) > 0 and
                  # cgroupfs chosen (/info passed), one of its checks against the engine's stats
                  # answer done (stats passed).
                  m.get("evonic_sandbox_exporter_stats_source", source="cgroupfs") == 1 and
                  (m.get("evonic_sandbox_exporter_stats_source_checks_total",
                         result="agreed") or 0) >= 1 and
                  m.get("evonic_sandbox_exporter_events_up") == 1 and
                  "following the engine's event stream" in e.log())
            return m if ok else None
        m = wait_until("the sandbox, /info, a stats check and the event stream through the proxy",
                       page, timeout=60, interval=0.5)
        self.assertEqual(m.get("evonic_sandbox_memory_limit_bytes", agent_id=AGENT), 64 << 20)
        self.assertEqual(m.get("evonic_sandbox_info", agent_id=AGENT,
                               session_id="proxy-0000beef", container_id=self.cid[:12]), 1)
        self.assertEqual(m.get("evonic_sandbox_exporter_collect_errors_total"), 0)

        # An exec in the sandbox reaches the exporter over the proxied event stream.
        self.docker("exec", SANDBOX, "sh", "-c", "exit 3", check=False)
        wait_until("the exec counted from the event stream", lambda: (
            e.metrics().get("evonic_sandbox_tool_failures_total", agent_id=AGENT,
                            tool="other") == 1), timeout=20, interval=0.2)
        m = e.metrics()
        self.assertEqual(m.get("evonic_sandbox_exporter_events_reconnects_total"), 0)
        self.assertNotIn("level=error", e.log())
        self.assertNotIn("<NOSRV>", self.proxy.log(), "the proxy refused one of the exporter's")

    def test_2_the_exporters_requests_answer_200(self):
        for method, target in cases.allowed(self.cid, since=f"{int(time.time())}.000000000"):
            with self.subTest(target=target):
                self.assertEqual(raw_request(self.proxy.port, method, target), 200)

    def test_3_everything_else_is_refused_before_the_engine(self):
        port = self.proxy.port
        refused = [(m, t, why, ()) for m, t, why in cases.refused(self.cid, SANDBOX)]
        refused += [
            # The engine's hijacked streams start with an upgrade: never, even on an allowed path.
            ("GET", f"/containers/{self.cid}/json", "an upgrade on an allowed path",
             ("Connection: Upgrade", "Upgrade: tcp")),
            ("GET", "/_ping", "a WebSocket upgrade on an allowed path",
             ("Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Version: 13",
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")),
        ]
        before = self.proxy.log().count("<NOSRV>")
        for method, target, why, headers in refused:
            with self.subTest(method=method, target=target, why=why):
                body = b'{"Cmd":["cat","/etc/passwd"],"AttachStdout":true}' \
                    if method in ("POST", "PUT", "PATCH") else b""
                status = raw_request(port, method, target, headers, body)
                self.assertIn(status, (400, 403))

        # A request pipelined behind an allowed one is checked on its own.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: localhost\r\n\r\n"
                      b"GET /containers/" + self.cid.encode() + b"/archive?path=/ HTTP/1.1\r\n"
                      b"Host: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        statuses = [int(x) for x in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]
        self.assertEqual(statuses, [200, 403], data[:600])

        # HAProxy logs each request when it ends: every refused one with no server.
        wanted = before + len(refused) + 1
        wait_until(f"{wanted} <NOSRV> lines in HAProxy's log",
                   lambda: self.proxy.log().count("<NOSRV>") >= wanted, timeout=10)
        self.assertEqual(self.proxy.log().count("<NOSRV>"), wanted, self.proxy.log()[-3000:])
        self.assert_sandbox_runs()
        # Nothing reached the sandbox: no exec, kill or stop was seen by the exporter either.
        m = self.exporter.metrics()
        self.assertEqual(m.get("evonic_sandbox_pids_limit", agent_id=AGENT), 32)
        self.assertEqual(m.get("evonic_sandbox_tool_executions_total", agent_id=AGENT,
                               tool="other"), 1)

    def test_4_the_event_stream_outlives_the_ordinary_server_timeout(self):
        # The shipped config with its ordinary client and server timeouts at 2 s; the events
        # backend keeps its own.
        with open(self.config) as f:
            text = f.read()
        short = re.sub(r"(?m)^(\s+timeout (?:client|server)) 60s$", r"\1 2s", text)
        self.assertEqual(len(re.findall(r"(?m)^\s+timeout (?:client|server) 2s$", short)), 2)
        path = os.path.join(self.dir, "haproxy-short.cfg")
        with open(path, "w") as f:
            f.write(short)
        proxy = HAProxy(self.procs, path, self.sock, self.dir, "short")
        try:
            target = [t for _, t in cases.allowed(self.cid, f"{int(time.time())}.000000000")
                      if t.startswith(cases.API + "/events?")][0]
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
                s.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
                read_until(s, b"\r\n\r\n", time.monotonic() + 10)
                # Three times the ordinary timeout of silence: the stream must stay open.
                quiet_until = time.monotonic() + 6
                while time.monotonic() < quiet_until:
                    s.settimeout(max(0.01, quiet_until - time.monotonic()))
                    try:
                        chunk = s.recv(65536)
                    except socket.timeout:
                        continue
                    self.assertTrue(chunk, "the proxy closed a quiet event stream")
                self.docker("exec", SANDBOX, "true")
                read_until(s, b'"exec_die', time.monotonic() + 10)
        finally:
            self.procs.stop(proxy.proc)
        self.assert_sandbox_runs()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--source-dir", required=True)
    ARGS, rest = p.parse_known_args()
    ARGS.source_dir = os.path.realpath(ARGS.source_dir)
    ARGS.binary = os.path.realpath(ARGS.binary)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
