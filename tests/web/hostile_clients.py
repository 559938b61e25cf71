#!/usr/bin/env python3
"""Hostile clients against the real exporter while a scraper measures /metrics from another
loopback address (issue G): idle connections that never send a byte (reopened when closed), slowloris connections that
send one byte a second and reconnect when dropped, a wrong-password flood, and smuggling attempts
and malformed requests in a loop. Prints the scraper's latency (p50, p99, max), failures, and the
exporter's RSS, threads and open fds before, at the peak and after; checks that the fds and threads
come back after the attack. With --tls the exporter serves TLS: slowloris clients finish their
handshake before they trickle, and every request (flood, junk, scrapes) goes through TLS; idle
connections stay bare TCP, as an attacker's would.

By hand (figures for BENCHMARKS.md):
  hostile_clients.py --binary build/exporter/evonic-sandbox-exporter --idle 500 --slowloris 150 \\
      --seconds 60 [--arg=--web.max-connections=32]
In CI (tests/web/CMakeLists.txt) it asserts the target: --assert-p99 1.0 --assert-rss-growth-mib 4.
All traffic goes to 127.0.0.1 and 127.0.0.2; every loop is bounded in time."""
import argparse
import resource
import select
import ssl
import subprocess
import base64
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # noqa: E402 (libxcrypt bcrypt; deprecated in 3.11, still there)
import http.client
import os
import shutil
import socket
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Exporter, Processes, proc_status, temp_dir, wait_until  # noqa: E402

JUNK = [  # each must be refused and must not make the server serve what follows
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 0\r\n\r\n0123456789"
    b"GET /api/sandbox/stats HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd",
    b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GARBAGE\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + os.urandom(64),
]


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu_seconds(pid):
    """User and system CPU time the process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Attack:
    """The hostile clients, each loop bounded by `stop` and by the deadline given."""

    def __init__(self, port, deadline, tls=None):
        self.port, self.deadline, self.tls = port, deadline, tls
        self.stop = threading.Event()
        self.threads = []
        self.held = []
        self.lock = threading.Lock()
        self.flood_codes = []

    def alive(self):
        return not self.stop.is_set() and time.monotonic() < self.deadline

    def connect(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        s.bind(("127.0.0.1", 0))
        s.connect(("127.0.0.1", self.port))
        return s

    def connect_tls(self):
        """connect(), through TLS when the exporter serves it (the handshake done on return)."""
        s = self.connect()
        return self.tls.wrap_socket(s, server_hostname="127.0.0.1") if self.tls else s

    def idle(self, count):
        """`count` connections that never send a byte, each reopened when the server closes it."""
        for _ in range(count):
            try:
                self.held.append(self.connect())
            except OSError:
                pass  # the server or the backlog refused: counted by what the scraper sees

        def run():
            while self.alive():
                poll = select.poll()
                by_fd = {s.fileno(): s for s in self.held}
                for fd in by_fd:
                    poll.register(fd, select.POLLIN)
                for fd, _ in poll.poll(500):  # readable without a request sent: it was closed
                    self.held.remove(by_fd[fd])
                    by_fd[fd].close()
                while len(self.held) < count and self.alive():
                    try:
                        self.held.append(self.connect())
                    except OSError:
                        break
                if not self.held:
                    self.stop.wait(0.5)
        self.start(run)

    def slowloris(self, count):
        def run():
            socks = []
            while self.alive():
                while len(socks) < count and self.alive():
                    try:
                        s = self.connect_tls()
                        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                        socks.append(s)
                    except OSError:
                        break
                for s in list(socks):  # one byte each, about once a second
                    try:
                        s.sendall(b"X")
                    except OSError:
                        socks.remove(s)
                        s.close()
                self.stop.wait(1.0)
            for s in socks:
                s.close()
        self.start(run)

    def flood(self, workers, header):
        def run():
            while self.alive():
                try:
                    c = connection(self.port, self.tls, timeout=10)
                    c.request("GET", "/api/sandbox/stats", headers={"Authorization": header})
                    code = c.getresponse().status
                    c.close()
                except OSError:
                    code = 0
                with self.lock:
                    self.flood_codes.append(code)
        for _ in range(workers):
            self.start(run)

    def junk(self):
        def run():
            i = 0
            while self.alive():
                junk = JUNK[i % len(JUNK)]
                try:
                    # A broken handshake goes bare; the rest inside TLS when it is on.
                    with (self.connect() if junk.startswith(b"\x16") else self.connect_tls()) as s:
                        s.sendall(junk)
                        s.settimeout(2)
                        while s.recv(65536):
                            pass
                except OSError:
                    pass
                i += 1
                self.stop.wait(0.05)
        self.start(run)

    def start(self, target):
        t = threading.Thread(target=target, daemon=True)
        t.start()
        self.threads.append(t)

    def end(self):
        self.stop.set()
        for t in self.threads:
            t.join(15)
        for s in self.held:
            s.close()


def connection(port, tls, **kwargs):
    if tls:
        return http.client.HTTPSConnection("127.0.0.1", port, context=tls, **kwargs)
    return http.client.HTTPConnection("127.0.0.1", port, **kwargs)


def scrape(port, auth_header, tls=None):
    c = connection(port, tls, timeout=15, source_address=("127.0.0.2", 0))
    t0 = time.monotonic()
    try:
        c.request("GET", "/metrics", headers={"Authorization": auth_header})
        r = c.getresponse()
        r.read()
        return time.monotonic() - t0, r.status
    except OSError as e:
        return time.monotonic() - t0, repr(e)
    finally:
        c.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--idle", type=int, default=500)
    p.add_argument("--slowloris", type=int, default=150)
    p.add_argument("--flood", type=int, default=8, help="wrong-password threads")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--arg", action="append", default=[], help="an extra exporter flag")
    p.add_argument("--tls", action="store_true", help="the exporter serves TLS (a fresh certificate)")
    p.add_argument("--assert-p99", type=float, help="fail when the scraper's p99 exceeds this")
    p.add_argument("--assert-rss-growth-mib", type=float,
                   help="fail when the exporter's peak RSS exceeds its RSS before by more than this")
    a = p.parse_args()
    # Hundreds of connections here, as many in the exporter (which inherits the limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))

    workdir = temp_dir("evonic-hostile-")
    procs = Processes()
    try:
        hashed = crypt.crypt("scrape", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** 10))
        web = os.path.join(workdir, "web.yml")
        tls = None
        with open(web, "w") as f:
            f.write(f"basic_auth_users:\n  prometheus: '{hashed}'\n")
            if a.tls:
                cert, key = os.path.join(workdir, "server.crt"), os.path.join(workdir, "server.key")
                subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                                "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                                "-keyout", key, "-out", cert], check=True, capture_output=True)
                f.write(f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
                tls = ssl.create_default_context(cafile=cert)
        good = "Basic " + base64.b64encode(b"prometheus:scrape").decode()
        bad = "Basic " + base64.b64encode(b"prometheus:guess").decode()
        e = Exporter(procs, a.binary, ["--docker.host=unix:///nonexistent",
                                       f"--web.config.file={web}", *a.arg], workdir)
        pid = e.proc.pid
        wait_until("the first scrape", lambda: scrape(e.port, good, tls)[1] == 200)
        cpu_before, attack_start = cpu_seconds(pid), time.monotonic()
        before = {"rss_kib": proc_status(pid, "VmRSS"), "threads": proc_status(pid, "Threads"),
                  "fds": fds(pid)}
        attack = Attack(e.port, time.monotonic() + a.seconds + 30, tls)
        attack.idle(a.idle)
        attack.slowloris(a.slowloris)
        attack.flood(a.flood, bad)
        attack.junk()
        times, failures, peak = [], [], dict(before)
        end = time.monotonic() + a.seconds
        while time.monotonic() < end:
            took, status = scrape(e.port, good, tls)
            # A failed scrape counts with the time it took: a scraper waited that long too.
            times.append(took)
            if status != 200:
                failures.append(status)
            peak["rss_kib"] = max(peak["rss_kib"], proc_status(pid, "VmRSS"))
            peak["threads"] = max(peak["threads"], proc_status(pid, "Threads"))
            peak["fds"] = max(peak["fds"], fds(pid))
            time.sleep(0.2)
        attack.end()
        cpu_used, attack_seconds = cpu_seconds(pid) - cpu_before, time.monotonic() - attack_start
        wait_until("fds and threads back to their number before the attack",
                   lambda: fds(pid) <= before["fds"] + 2 and
                   proc_status(pid, "Threads") <= before["threads"], timeout=30)
        after = {"rss_kib": proc_status(pid, "VmRSS"), "threads": proc_status(pid, "Threads"),
                 "fds": fds(pid)}
        alive = e.proc.poll() is None
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] if times else float("inf")
        print(f"attack{' over TLS' if tls else ''}: {a.idle} idle + {a.slowloris} slowloris from 127.0.0.1, {a.flood} "
              f"wrong-password threads, junk requests; flags {a.arg or 'default'}; {a.seconds:.0f} s")
        print(f"scraper from 127.0.0.2: {len(times) - len(failures)} ok, {len(failures)} failed "
              f"{failures[:3]}; over all tries p50 {statistics.median(times) if times else float('nan'):.3f} s, "
              f"p99 {p99:.3f} s, max {times[-1] if times else float('nan'):.3f} s")
        print(f"flood: {len(attack.flood_codes)} requests, {attack.flood_codes.count(429)} got 429")
        print(f"exporter CPU during the attack: {cpu_used:.1f} s in {attack_seconds:.0f} s "
              f"({cpu_used / attack_seconds:.0%} of one core)")
        for what in ("rss_kib", "threads", "fds"):
            print(f"{what}: before {before[what]}, peak {peak[what]}, after {after[what]}")
        growth_mib = (peak["rss_kib"] - before["rss_kib"]) / 1024
        # ASan's quarantine holds freed memory on purpose: RSS says nothing under it.
        check_rss = a.assert_rss_growth_mib is not None and not os.environ.get("ASAN_OPTIONS")
        if a.assert_rss_growth_mib is not None and not check_rss:
            print("RSS growth not checked under ASan")
        ok = (alive and not failures and (a.assert_p99 is None or p99 <= a.assert_p99) and
              (not check_rss or growth_mib <= a.assert_rss_growth_mib) and
              after["threads"] <= before["threads"])
        if not alive:
            print("the exporter died", file=sys.stderr)
        print("hostile clients:", "target met" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
