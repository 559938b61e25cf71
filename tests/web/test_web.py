#!/usr/bin/env python3
"""Integration tests of the web config with the real exporter binary: Basic auth (no credentials,
wrong password, unknown user through the dummy hash, right user), a wrong-password flood while
/metrics keeps answering, SIGHUP reloads, TLS with a self-signed certificate and curl, broken
configs stopping startup, hostile requests over raw sockets, and idle connections below and beyond
--web.max-connections.

No Docker engine is needed (--docker.host points nowhere). Run by ctest; by hand:
test_web.py --binary build/exporter/evonic-sandbox-exporter [-k name]."""
import argparse
import base64
import http.client
import json
import os
import re
import signal
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import unittest
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Exporter, Processes, temp_dir, wait_until  # noqa: E402

ARGS = None
NO_ENGINE = "--docker.host=unix:///nonexistent"


def bcrypt_hash(password, cost=4):
    """A $2b$ hash made by libxcrypt through Python's crypt module (deprecated, still in 3.11),
    or by htpasswd when the module is gone."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** cost))
    except ImportError:
        out = subprocess.run(["htpasswd", "-nbBC", str(cost), "u", password],
                             capture_output=True, check=True, text=True).stdout
        return out.strip().split(":", 1)[1]


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def get(port, path, auth=None, timeout=5, method="GET"):
    """(status, headers dict with lower-cased names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Authorization": auth} if auth else {}
        conn.request(method, path, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def connect(port, timeout, tls=None):
    """A connection to the exporter; through TLS when `tls` (an ssl.SSLContext) is given."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return tls.wrap_socket(s, server_hostname="127.0.0.1") if tls else s


def raw(port, data, timeout=5, tls=None):
    """Sends bytes as given; returns the status code of the answer (0: closed without one)."""
    with connect(port, timeout, tls) as s:
        s.sendall(data)
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, socket.timeout, ssl.SSLError):
            pass
    if not answer.startswith(b"HTTP/"):
        return 0
    return int(answer.split(b" ", 2)[1])


def statuses(port, data, timeout=3, tls=None):
    """Sends bytes as given and reads until the server closes: (status codes of every answer,
    whether the server closed the connection itself)."""
    answer, closed = b"", False
    with connect(port, timeout, tls) as s:
        s.sendall(data)
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                answer += chunk
        except (ConnectionResetError, socket.timeout, ssl.SSLError):
            pass
    return [int(code) for code in re.findall(rb"HTTP/1\.[01] (\d{3}) ", answer)], closed


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

HOSTILE_REQUESTS = [  # (request, the status it is answered)
    (b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405),
    (b"DELETE /api/sandbox/stats HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"OPTIONS /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 413),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 411),  # CivetWeb
    # CivetWeb removes ".." segments itself; nothing here decodes a second time.
    (b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    (b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    (b"GET /%252e%252e/metrics HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    # Under /api/ credentials come first (no users here): 401 before any path check.
    (b"GET /api/sandbox/stats/..%2f..%2fetc HTTP/1.1\r\nHost: x\r\n\r\n", 401),
    # Request heads over max_request_size (8 KiB): CivetWeb answers 400 itself.
    (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", 400),
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n", 505),
    # CivetWeb decodes %00 and the path ends there: this is /metrics (see README).
    (b"GET /metrics%00/x HTTP/1.1\r\nHost: x\r\n\r\n", 200),
    # Issue G.8: CivetWeb closed these without any answer; the gate answers `*` and
    # passes absolute-form on in origin-form (RFC 9112 3.2.2: servers must accept it).
    (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET http://127.0.0.1/metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200),
    (b"GET HTTP://example.invalid:1?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", 200),  # the landing page
    (b"GET http://127.0.0.1/nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404),
]

KEPT_ALIVE = [  # (requests sent at once on one connection, the statuses of the answers)
    (HEALTHZ + b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", [200, 405]),
    (HEALTHZ + b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", [200, 400]),
    (HEALTHZ + b"GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: x\r\n\r\n" + HEALTHZ, [200, 200, 200]),
    (HEALTHZ + b"HEAD HTTP://example.invalid:1/nothing HTTP/1.1\r\nHost: x\r\n\r\n" + HEALTHZ,
     [200, 404, 200]),
]

REFUSALS = [  # (a request refused, its status): HEALTHZ sent after it must not be served
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 413),
    (b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 0\r\n\r\n"
     b"0123456789", 400),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", 400),
    (b"POST /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"DELETE /api/sandbox/stats HTTP/1.1\r\nHost: x\r\n\r\n", 405),
]


class WebTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir("evonic-web-")
        self.procs = Processes()

    def tearDown(self):
        self.procs.stop_all()
        shutil.rmtree(self.dir, ignore_errors=True)  # TLS keys included (issue J.10)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, config_text=None, *extra):
        args = [NO_ENGINE, "--log.level=debug", *extra]
        if config_text is not None:
            args.append("--web.config.file=" + self.write("web.yml", config_text))
        return Exporter(self.procs, ARGS.binary, args, self.dir)

    def run_to_exit(self, config_text, *extra):
        """Starts the binary expecting it to refuse; returns (exit code, output)."""
        path = self.write("broken.yml", config_text)
        p = subprocess.run([ARGS.binary, "--web.listen-address=127.0.0.1:0", NO_ENGINE,
                            "--web.config.file=" + path, *extra],
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr, path

    # --- authentication -------------------------------------------------------------------

    def test_basic_auth_outcomes(self):
        e = self.start(f"basic_auth_users:\n  prometheus: '{bcrypt_hash('scrape')}'\n")
        status, headers, body = get(e.port, "/metrics")
        self.assertEqual(status, 401)
        self.assertIn("Basic", headers["www-authenticate"])
        self.assertEqual(json.loads(body)["status"], 401)
        self.assertEqual(get(e.port, "/metrics", basic("prometheus", "wrong"))[0], 401)
        self.assertEqual(get(e.port, "/metrics", basic("intruder", "scrape"))[0], 401)
        # The unknown name was run through bcrypt against the dummy hash (not refused early):
        wait_until("the unknown-user log line", lambda: 'reason=unknown_user user=intruder '
                   'bcrypt=dummy_hash' in e.log(), timeout=5)
        self.assertIn("reason=wrong_password user=prometheus bcrypt=user_hash", e.log())
        status, _, body = get(e.port, "/metrics", basic("prometheus", "scrape"))
        self.assertEqual(status, 200)
        self.assertIn(b"evonic_sandbox_exporter_build_info", body)
        self.assertEqual(get(e.port, "/healthz")[0], 200)  # public
        # The REST API takes the same users.
        self.assertEqual(get(e.port, "/api/sandbox/stats")[0], 401)
        self.assertNotIn(get(e.port, "/api/sandbox/stats", basic("prometheus", "scrape"))[0],
                         (401, 429))
        self.assertNotIn("scrape", e.log())  # never a password in the log

    def test_rest_without_users_says_how_to_configure_them(self):
        e = self.start()
        self.assertEqual(get(e.port, "/metrics")[0], 200)
        status, headers, body = get(e.port, "/api/sandbox/stats")
        self.assertEqual(status, 401)
        self.assertEqual(headers["content-type"], "application/json")
        error = json.loads(body)
        self.assertEqual(error["status"], 401)
        self.assertIn("basic_auth_users", error["error"])
        self.assertIn("--web.config.file", error["error"])
        get(e.port, "/api/sandbox/stats")
        self.assertEqual(e.log().count("no basic_auth_users configured"), 1)  # said once

    def test_wrong_password_flood_keeps_metrics_answering(self):
        e = self.start(f"basic_auth_users:\n  prometheus: '{bcrypt_hash('scrape', 11)}'\n")
        self.assertEqual(get(e.port, "/metrics", basic("prometheus", "scrape"), 10)[0], 200)
        stop = threading.Event()
        codes = []

        def flood(i):
            while not stop.is_set():
                user = "prometheus" if i % 2 else f"guess{i}"
                try:
                    codes.append(get(e.port, "/metrics", basic(user, "wrong"), 10)[0])
                except OSError:
                    codes.append(0)

        threads = [threading.Thread(target=flood, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            for _ in range(10):
                t0 = time.monotonic()
                out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                      "--max-time", "5", "-u", "prometheus:scrape",
                                      e.base + "/metrics"], capture_output=True, text=True)
                took = time.monotonic() - t0
                self.assertEqual(out.stdout, "200", out.stderr)
                self.assertLess(took, 1.0)
                time.sleep(0.1)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertIn(429, codes)  # the bcrypt cap refused at once instead of queueing
        self.assertNotIn(0, codes)

    def test_flood_from_one_address_leaves_other_addresses_their_checks(self):
        # Issue G.3: 16 clients sending wrong passwords from one address made 9 of 9 valid,
        # uncached users get 429. Now one address has at most one bcrypt check running and, after
        # 10 failures in 10 s, none at all: another address's uncached credential is checked.
        users = {f"user{i}": f"pw{i}" for i in range(8)}
        config = "basic_auth_users:\n" + "".join(
            f"  {u}: '{bcrypt_hash(p, 10)}'\n" for u, p in users.items())
        e = self.start(config)
        stop = threading.Event()
        codes = []

        def flood(i):
            while not stop.is_set():
                try:
                    codes.append(get(e.port, "/api/sandbox/stats", basic(f"user{i % 8}", "wrong"), 10)[0])
                except OSError:
                    codes.append(0)

        threads = [threading.Thread(target=flood, args=(i,)) for i in range(16)]
        flood_started = time.monotonic()
        for t in threads:
            t.start()
        took = []
        try:
            wait_until("the flood throttled", lambda: 429 in codes)
            for user, password in users.items():  # each uncached: a bcrypt check of its own
                conn = http.client.HTTPConnection("127.0.0.1", e.port, timeout=10,
                                                  source_address=("127.0.0.2", 0))
                t0 = time.monotonic()
                conn.request("GET", "/metrics", headers={"Authorization": basic(user, password)})
                status = conn.getresponse().status
                took.append(time.monotonic() - t0)
                conn.close()
                self.assertEqual(status, 200, user)
        finally:
            stop.set()
            for t in threads:
                t.join()
        print(f"\nvalid uncached checks from 127.0.0.2 during the flood: max {max(took):.3f} s, "
              f"{len(codes)} flood requests, {codes.count(429)} answered 429", file=sys.stderr)
        flood_seconds = time.monotonic() - flood_started
        self.assertLess(max(took), 1.0)
        self.assertNotIn(0, codes)

        def counted():  # the page is rendered at each collection: wait for one after the flood
            page = get(e.port, "/metrics", basic("user0", "pw0"))[2].decode()
            rejected = sum(int(n) for n in re.findall(
                r'auth_overload_rejections_total\{cause="address_(?:busy|throttled)"\} (\d+)', page))
            wrong = re.search(r'auth_failures_total\{reason="wrong_password"\} (\d+)', page)
            return (rejected, int(wrong.group(1))) if rejected and wrong else None
        rejected, wrong = wait_until("the flood counted on /metrics", counted, timeout=15)
        self.assertGreater(rejected, 0)
        # The flood's own bcrypt work is bounded: one check at a time from its address, and at most
        # 10 failures per 10 s window.
        self.assertLessEqual(wrong, 10 * (2 + int(flood_seconds) // 10))

    def test_sighup_reload(self):
        e = self.start(f"basic_auth_users:\n  alice: '{bcrypt_hash('a')}'\n")
        self.assertEqual(get(e.port, "/metrics", basic("alice", "a"))[0], 200)
        self.write("web.yml", f"basic_auth_users:\n  bob: '{bcrypt_hash('b')}'\n"
                   "http_server_config:\n  headers:\n    X-Frame-Options: deny\n")
        e.proc.send_signal(signal.SIGHUP)
        wait_until("bob accepted", lambda: get(e.port, "/metrics", basic("bob", "b"))[0] == 200)
        self.assertEqual(get(e.port, "/metrics", basic("alice", "a"))[0], 401)
        self.assertEqual(get(e.port, "/healthz")[2], b"OK\n")
        self.assertEqual(get(e.port, "/healthz")[1].get("x-frame-options"), "deny")
        # A broken file keeps the previous config and says so.
        self.write("web.yml", "basic_auth_users:\n  bob: not-a-hash\n")
        e.proc.send_signal(signal.SIGHUP)
        wait_until("the reload failure", lambda: "web config reload failed" in e.log())
        self.assertIn("web.yml: basic_auth_users.bob: not a bcrypt hash", e.log())
        self.assertEqual(get(e.port, "/metrics", basic("bob", "b"))[0], 200)
        self.assertIsNone(e.proc.poll())
        self.assertEqual(self.procs.stop(e.proc), 0)

    def test_endless_files_are_refused_and_sighup_survives_them(self):
        # Issue G.6: --thresholds.file=/dev/zero exhausted memory and aborted (std::bad_alloc); a
        # file replaced by /dev/zero and SIGHUP killed a running exporter.
        p = subprocess.run([ARGS.binary, NO_ENGINE, "--web.listen-address=127.0.0.1:0",
                            "--thresholds.file=/dev/zero"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("/dev/zero: larger than 1 MiB", p.stdout + p.stderr)
        thresholds = self.write("thresholds.yml", "default:\n  cpu: 0.8\n")
        e = self.start(f"basic_auth_users:\n  alice: '{bcrypt_hash('a')}'\n",
                       "--thresholds.file=" + thresholds)
        for path in (thresholds, os.path.join(self.dir, "web.yml")):
            os.remove(path)
            os.symlink("/dev/zero", path)
        e.proc.send_signal(signal.SIGHUP)
        wait_until("both reloads refused", lambda: "thresholds reload failed" in e.log() and
                   "web config reload failed" in e.log())
        self.assertEqual(e.log().count("larger than 1 MiB"), 2, e.log())
        self.assertIsNone(e.proc.poll())
        self.assertEqual(get(e.port, "/metrics", basic("alice", "a"))[0], 200)  # the old config
        self.assertEqual(self.procs.stop(e.proc), 0)

    def test_broken_configs_stop_startup(self):
        cases = [
            ("basic_auth_user:\n  a: b\n", "unknown key 'basic_auth_user'"),
            ("basic_auth_users:\n  a: plain\n", "basic_auth_users.a: not a bcrypt hash"),
            ("http_server_config:\n  headers:\n    Server: x\n", "header 'Server' can not be"),
            ("tls_server_config:\n  cert_file: missing.pem\n  key_file: missing.key\n",
             "missing.pem"),
            ("tls_server_config: [\n", "not valid YAML"),
        ]
        for text, problem in cases:
            code, output, path = self.run_to_exit(text)
            self.assertNotEqual(code, 0, output)
            self.assertIn(path, output)
            self.assertIn(problem, output)
        p = subprocess.run([ARGS.binary, NO_ENGINE, "--web.config.file=/nonexistent/web.yml"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent/web.yml: cannot open", p.stdout + p.stderr)

    # --- TLS ------------------------------------------------------------------------------

    def make_cert(self, name="server"):
        cert, key = os.path.join(self.dir, name + ".crt"), os.path.join(self.dir, name + ".key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        return cert, key

    def curl_tls(self, port, path="/metrics", *extra):
        return subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                               "--max-time", "5", "--cacert", os.path.join(self.dir, "server.crt"),
                               *extra, f"https://127.0.0.1:{port}{path}"],
                              capture_output=True, text=True)

    def test_tls_with_a_real_client(self):
        self.make_cert()
        # Relative paths: relative to the config file's folder.
        e = self.start("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                       f"basic_auth_users:\n  prometheus: '{bcrypt_hash('scrape')}'\n")
        for _ in range(3):
            out = self.curl_tls(e.port, "/metrics", "-u", "prometheus:scrape")
            self.assertEqual(out.stdout, "200", out.stderr)
        self.assertEqual(self.curl_tls(e.port, "/metrics").stdout, "401")
        # Python's own TLS stack, checking the certificate too.
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "server.crt"))
        conn = http.client.HTTPSConnection("127.0.0.1", e.port, context=ctx, timeout=5)
        conn.request("GET", "/healthz")
        self.assertEqual(conn.getresponse().read(), b"OK\n")
        conn.close()
        # Plain HTTP on the TLS port: a 400 that says so, in plain text (as Go's servers answer);
        # bytes that are neither TLS nor HTTP: closed.
        plain = subprocess.run(["curl", "-sS", "--max-time", "5", "-w", "%{http_code}",
                                f"http://127.0.0.1:{e.port}/metrics"], capture_output=True, text=True)
        self.assertEqual(plain.stdout, "Client sent an HTTP request to an HTTPS server.\n400",
                         plain.stderr)
        self.assertEqual(raw(e.port, b"\x00\x01\x02 not a request\r\n\r\n"), 0)
        self.assertEqual(raw(e.port, b"\x16\x03\x01\x00\x05garbage"), 0)  # a broken handshake
        self.assertIsNone(e.proc.poll(), "the exporter died: " + e.log())
        self.assertEqual(self.procs.stop(e.proc), 0)  # clean exit, no crash

    def test_tls13_minimum(self):
        self.make_cert()
        e = self.start("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                       "  min_version: TLS13\n")
        self.assertEqual(self.curl_tls(e.port, "/healthz", "--tlsv1.3").stdout, "200")
        self.assertNotEqual(self.curl_tls(e.port, "/healthz", "--tls-max", "1.2").returncode, 0)
        self.assertEqual(self.procs.stop(e.proc), 0)

    def test_tls_key_not_matching_the_certificate(self):
        self.make_cert("other")
        self.make_cert()
        code, output, _ = self.run_to_exit(
            f"tls_server_config:\n  cert_file: {self.dir}/server.crt\n"
            f"  key_file: {self.dir}/other.key\n")
        self.assertNotEqual(code, 0)
        self.assertIn("does not match cert_file", output)

    def test_sighup_cannot_switch_tls(self):
        e = self.start("")
        self.make_cert()
        self.write("web.yml", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n")
        e.proc.send_signal(signal.SIGHUP)
        wait_until("the TLS warning", lambda: "TLS cannot be switched on or off" in e.log())
        self.assertEqual(get(e.port, "/healthz")[0], 200)  # still plain HTTP

    def start_tls(self, *extra):
        """An exporter serving TLS with a fresh certificate, and a client context trusting it."""
        self.make_cert()
        e = self.start("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n",
                       *extra)
        return e, ssl.create_default_context(cafile=os.path.join(self.dir, "server.crt"))

    def test_tls_requests_are_answered_as_plain_ones(self):
        # Issue G.8 over TLS: CivetWeb terminated TLS itself, so the gate could not look into the
        # requests; `*` and absolute-form targets were closed without an answer, first or later.
        # The gate now terminates TLS and follows every request as it does plain HTTP.
        e, tls = self.start_tls()
        for request, expected in HOSTILE_REQUESTS:
            with self.subTest(request=request[:60]):
                self.assertEqual(raw(e.port, request, tls=tls), expected)
        for request, expected in KEPT_ALIVE:
            with self.subTest(request=request[40:90]):
                self.assertEqual(statuses(e.port, request, tls=tls)[0], expected)
        for request, expected in REFUSALS:
            with self.subTest(request=request[:70]):
                self.assertEqual(statuses(e.port, request + HEALTHZ, tls=tls), ([expected], True))
        self.assertEqual(statuses(e.port, HEALTHZ + HEALTHZ, timeout=1, tls=tls)[0], [200, 200])
        self.assertIsNone(e.proc.poll(), e.log())
        self.assertEqual(self.procs.stop(e.proc), 0)

    def test_tls_clients_trickling_a_request_take_no_worker(self):
        # Before, a TLS connection was handed to a worker at its first byte (the gate could not
        # see inside, CivetWeb made the handshake): 40 connections that finished their handshake
        # and then trickled a request held 24 of the 32 workers until CivetWeb's 5 s request
        # timeout, and the next ones from the same address (handshakes, scrapes) waited for them.
        # Now they wait in the gate like plain ones, and every handshake and scrape is prompt.
        e, tls = self.start_tls()
        held = []
        try:
            for _ in range(40):
                t0 = time.monotonic()
                s = connect(e.port, 10, tls)  # returns once the handshake is done
                held.append(s)
                self.assertLess(time.monotonic() - t0, 1.0)
                s.sendall(b"GET /metrics HTTP/1.1\r\nHo")
            for _ in range(5):
                t0 = time.monotonic()
                self.assertEqual(raw(e.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", tls=tls),
                                 200)
                self.assertLess(time.monotonic() - t0, 1.0)
        finally:
            for s in held:
                s.close()
        self.assertIsNone(e.proc.poll(), e.log())

    def test_sighup_reads_a_renewed_certificate(self):
        # The gate holds the TLS context: a reload reads the files again, even at the same paths,
        # and new connections get the renewed certificate; one that does not load changes nothing.
        e, _ = self.start_tls()
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE  # the certificate is compared below, not verified

        def served():
            with connect(e.port, 5, insecure) as s:
                return s.getpeercert(binary_form=True)

        def on_disk():
            with open(os.path.join(self.dir, "server.crt")) as f:
                return ssl.PEM_cert_to_DER_cert(f.read())
        first = on_disk()
        self.assertEqual(served(), first)
        self.make_cert()  # renewed at the same paths
        renewed = on_disk()
        self.assertNotEqual(renewed, first)
        e.proc.send_signal(signal.SIGHUP)
        wait_until("the renewed certificate served", lambda: served() == renewed)
        self.assertIn("TLS certificate and key read again", e.log())
        # A key that does not match: the reload fails and says why; the renewed one stays.
        with open(os.path.join(self.dir, "server.key"), "w") as f:
            f.write("not a key\n")
        e.proc.send_signal(signal.SIGHUP)
        wait_until("the failed reload", lambda: "web config reload failed" in e.log())
        self.assertIn("server.key", e.log().split("web config reload failed", 1)[1].splitlines()[0])
        self.assertEqual(served(), renewed)
        self.assertIsNone(e.proc.poll(), e.log())

    # --- strict input and load ------------------------------------------------------------

    def test_hostile_requests(self):
        e = self.start()
        for request, expected in HOSTILE_REQUESTS:
            with self.subTest(request=request[:60]):
                self.assertEqual(raw(e.port, request), expected)
        self.assertEqual(raw(e.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 200)
        self.assertIsNone(e.proc.poll())

    def test_later_requests_on_a_kept_alive_connection_get_answers_too(self):
        # Issue G.8: the gate answered `*` and rewrote absolute-form only in a connection's first
        # request; on a kept-alive connection CivetWeb closed later ones without any answer.
        e = self.start()
        get = HEALTHZ
        for request, expected in KEPT_ALIVE:
            with self.subTest(request=request[40:90]):
                codes, _ = statuses(e.port, request)
                self.assertEqual(codes, expected)
        # One request at a time, the later one a byte at a time: held until its line is whole.
        with socket.create_connection(("127.0.0.1", e.port), timeout=5) as s:
            def read_until(marker, answer=b""):
                while marker not in answer:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
                return answer
            s.sendall(get)
            first = read_until(b"\r\n\r\nOK\n")  # /healthz's whole answer
            self.assertTrue(first.startswith(b"HTTP/1.1 200"), first)
            for byte in b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n":
                s.sendall(bytes([byte]))
            answer = read_until(b"\r\n\r\n", first.split(b"\r\n\r\nOK\n", 1)[1])
            self.assertTrue(answer.startswith(b"HTTP/1.1 405"), answer)
            self.assertIn(b"Allow: GET, HEAD", answer)
        self.assertIsNone(e.proc.poll())

    def test_cors_preflight_is_a_405_like_any_other_method(self):
        # Issue J.7: CivetWeb answered a preflight itself (200, any origin, authorization allowed),
        # against the README's "only GET and HEAD".
        e = self.start()
        with socket.create_connection(("127.0.0.1", e.port), timeout=5) as s:
            s.sendall(b"OPTIONS /api/sandbox/stats HTTP/1.1\r\nHost: x\r\nOrigin: http://ui.invalid\r\n"
                      b"Access-Control-Request-Method: GET\r\n"
                      b"Access-Control-Request-Headers: authorization\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        head = answer.split(b"\r\n\r\n", 1)[0].decode().lower()
        self.assertTrue(head.startswith("http/1.1 405"), head)
        self.assertIn("allow: get, head", head)
        self.assertNotIn("access-control-", head)
        # Answers to allowed requests carry no CORS headers either.
        out = subprocess.run(["curl", "-sS", "-D", "-", "-o", "/dev/null", "-H", "Origin: http://ui.invalid",
                              e.base + "/metrics"], capture_output=True, text=True)
        self.assertIn("200", out.stdout.splitlines()[0])
        self.assertNotIn("access-control-", out.stdout.lower())

    def test_refusals_close_the_connection(self):
        # Issue G.4: a request pipelined after a refused one was served ([413, 200], [400, 200]),
        # and two Content-Length headers were read two ways (CivetWeb framed on the first, the
        # refusal looked at the last): the setup for request smuggling behind a proxy.
        e = self.start()
        for request, expected in REFUSALS:
            with self.subTest(request=request[:70]):
                self.assertEqual(statuses(e.port, request + HEALTHZ), ([expected], True))
        # Kept alive otherwise: two pipelined GETs are both answered.
        self.assertEqual(statuses(e.port, HEALTHZ + HEALTHZ, timeout=1)[0], [200, 200])
        self.assertIsNone(e.proc.poll())

    def test_agent_ids_as_the_server_hands_them_over(self):
        # What the README says of agent ids in REST paths (issue G.8): CivetWeb decodes the path and
        # removes dot segments first; what is left of an id is checked once.
        e = self.start(f"basic_auth_users:\n  u: '{bcrypt_hash('p')}'\n")
        auth = basic("u", "p")
        cases = [
            ("/api/agents/a..b/sandbox/stats", 400),
            ("/api/agents/a%5cb/sandbox/stats", 400),
            ("/api/agents/a%2fb/sandbox/stats", 400),
            ("/api/agents/a%25b/sandbox/stats", 400),
            ("/api/agents/a%01b/sandbox/stats", 400),
            ("/api/agents/" + "a" * 129 + "/sandbox/stats", 400),
            # A dot segment is removed: this is the pool's path (503: no engine in this test).
            ("/api/agents/../sandbox/stats", 503),
            ("/api/agents/%2e%2e/sandbox/stats", 503),
            # %00 ends the path: /api/agents/a, no such API path.
            ("/api/agents/a%00b/sandbox/stats", 404),
        ]
        for path, expected in cases:
            with self.subTest(path=path[:60]):
                status, _, body = get(e.port, path, auth)
                self.assertEqual(status, expected, body)
        status, _, body = get(e.port, "/api/agents/a%5cb/sandbox/stats", auth)
        message = json.loads(body)["error"]
        self.assertIn("invalid agent id", message)
        self.assertIn(" '\\' ", message)  # one backslash once decoded (issue J.8)

    def hold_idle_connections(self, e, count):
        """`count` connections that never finish a request: half silent, half trickling."""
        held = []
        for i in range(count):
            s = socket.create_connection(("127.0.0.1", e.port), timeout=5)
            if i % 2:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHo")  # trickling: never finishes
            held.append(s)
        time.sleep(0.3)  # lets the server accept them all before the scrapes below
        return held

    def scrape_times(self, e, scrapes, max_time):
        took = []
        for _ in range(scrapes):
            t0 = time.monotonic()
            out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                  "--max-time", str(max_time), e.base + "/metrics"],
                                 capture_output=True, text=True)
            took.append(time.monotonic() - t0)
            self.assertEqual(out.stdout, "200", out.stderr)
        return took

    def idle_connections_do_not_block_scrapes(self, count, *extra):
        e = self.start(None, *extra)
        held = self.hold_idle_connections(e, count)
        try:
            for took in self.scrape_times(e, 5, 5):
                self.assertLess(took, 1.0)
        finally:
            for s in held:
                s.close()
        self.assertIsNone(e.proc.poll())

    def test_idle_connections_below_the_limit_do_not_block_scrapes(self):
        # --web.max-connections defaults to 32 workers.
        self.idle_connections_do_not_block_scrapes(24)

    def test_hundred_idle_connections_with_a_raised_limit(self):
        self.idle_connections_do_not_block_scrapes(100, "--web.max-connections=128")

    def test_connections_beyond_the_limit_wait_and_are_served(self):
        # 40 connections that never finish hold all 32 workers: a scrape waits in the queue
        # until the stuck ones reach the 5 s request timeout, then it is served (not refused).
        e = self.start(None)
        held = self.hold_idle_connections(e, 40)
        try:
            took = self.scrape_times(e, 1, 20)[0]
            self.assertLess(took, 12.0)
        finally:
            for s in held:
                s.close()
        self.assertIsNone(e.proc.poll())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
