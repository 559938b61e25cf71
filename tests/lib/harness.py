"""Shared helpers of the scripted tests: processes with clean-up, waiting on conditions with a
deadline, HTTP over unix sockets, the fake engine, web configs with bcrypt users, and a small
parser of the Prometheus text format."""
import crypt  # noqa: deprecated in 3.11 but present; bcrypt hashes for web configs
import base64
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings


DOCKER = "/usr/bin/docker"  # the client that matches the engine (docker.io)


def run_docker(env, *args, stdin=None, check=True, timeout=120):
    """`docker ARGS` against the engine that `env`'s DOCKER_HOST names; the finished process.
    Unless `check` is False, a failure raises with docker's own message."""
    out = subprocess.run([DOCKER, *args], env=env, input=stdin, capture_output=True, text=True,
                         timeout=timeout)
    if check and out.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {out.stderr}")
    return out


def wait_until(what, condition, timeout=30.0, interval=0.05):
    """Polls condition() until it returns something truthy; fails with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as e:  # the condition may fail while things start
            last_error = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" +
                         (f" (last error: {last_error!r})" if last_error else ""))


def proc_status(pid, field):
    """A number from /proc/PID/status ("VmRSS" and "VmHWM" in KiB, "Threads"); 0 when absent."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def rss_bytes(pid):
    return proc_status(pid, "VmRSS") * 1024


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.unix_path)
        except OSError:
            s.close()
            raise
        self.sock = s


def unix_request(sock_path, method, path, body=None):
    conn = UnixHTTPConnection(sock_path)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+(\S+))?$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Exposition:
    """A parsed text exposition: samples as (name, labels dict, value, timestamp or None)."""

    def __init__(self, text):
        self.text = text
        self.samples = []
        self.help = {}
        self.type = {}
        for line in text.splitlines():
            if not line:
                continue
            if line.startswith("# HELP "):
                name, _, help_text = line[7:].partition(" ")
                self.help[name] = help_text
                continue
            if line.startswith("# TYPE "):
                name, _, kind = line[7:].partition(" ")
                self.type[name] = kind
                continue
            if line.startswith("#"):
                continue
            m = SAMPLE_RE.match(line)
            if not m:
                raise ValueError(f"unparsable line: {line!r}")
            labels = dict(LABEL_RE.findall(m.group(3) or ""))
            self.samples.append((m.group(1), labels, float(m.group(4)), m.group(6)))

    def names(self):
        return {s[0] for s in self.samples}

    def get(self, name, **labels):
        """The value of the one sample of `name` whose labels include `labels`, or None."""
        found = [s for s in self.samples
                 if s[0] == name and all(s[1].get(k) == v for k, v in labels.items())]
        if len(found) > 1:
            raise AssertionError(f"{len(found)} samples match {name} {labels}")
        return found[0][2] if found else None

    def series(self, name):
        return [s for s in self.samples if s[0] == name]


class Processes:
    """Starts processes and guarantees they are stopped (SIGTERM, then SIGKILL)."""

    def __init__(self):
        self.procs = []
        self.files = []

    def start(self, argv, **kwargs):
        p = subprocess.Popen(argv, **kwargs)
        self.procs.append(p)
        return p

    def stop(self, p, timeout=10):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p)
        self.procs.clear()
        for f in self.files:
            f.close()
        self.files.clear()


class Exporter:
    """The real exporter binary, listening on 127.0.0.1 on a free port, logging to a file."""

    def __init__(self, procs, binary, args, workdir, auth=None):
        self.auth = auth  # (user, password) for pages that need credentials
        self.log_path = os.path.join(workdir, f"exporter-{time.monotonic_ns()}.log")
        self.log_file = open(self.log_path, "w")
        procs.files.append(self.log_file)
        self.proc = procs.start([binary, "--web.listen-address=127.0.0.1:0"] + list(args),
                                stdout=self.log_file, stderr=subprocess.STDOUT)
        self.port = int(wait_until("the exporter's listening line",
                                   lambda: self._port_from_log(), timeout=20))
        self.base = f"http://127.0.0.1:{self.port}"

    def _port_from_log(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"exporter exited with {self.proc.returncode}: {self.log()}")
        m = re.search(r"msg=\"evonic-sandbox-exporter started\".* port=(\d+)", self.log())
        return m.group(1) if m else None

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def curl(self, path="/metrics", *extra):
        """Fetches with `curl -fsS` as users do; returns the body (text)."""
        creds = ["-u", f"{self.auth[0]}:{self.auth[1]}"] if self.auth else []
        out = subprocess.run(["curl", "-fsS", "--max-time", "10", *creds, *extra,
                              self.base + path], capture_output=True, check=True)
        return out.stdout.decode()

    def metrics(self):
        return Exposition(self.curl("/metrics"))

    def json(self, path):
        return json.loads(self.curl(path))


def start_fake_engine(procs, socket_path, source_dir, scenario="fake-scenario"):
    """The fake engine (tests/fake_engine) replaying tests/fixtures/<scenario> on `socket_path`,
    once it answers; returns its process."""
    proc = procs.start([sys.executable,
                        os.path.join(source_dir, "tests", "fake_engine", "fake_engine.py"),
                        "--socket", socket_path,
                        "--scenario", os.path.join(source_dir, "tests", "fixtures", scenario)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until("the fake engine", lambda: unix_request(socket_path, "GET", "/_ping")[0] == 200)
    return proc


def write_web_config(path, users, cost=10):
    """A web config at `path` with basic_auth_users {user: password}, hashed with bcrypt."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        lines = [f"  {user}: '{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))}'"
                 for user, password in users.items()]
    with open(path, "w") as f:
        f.write("basic_auth_users:\n" + "\n".join(lines) + "\n")
    return path


def get_json(url, auth=None, timeout=10):
    """GET with Basic `auth` (user, password) when given: (status, JSON body or None, headers)."""
    req = urllib.request.Request(url)
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read()), dict(r.headers)
    except urllib.error.HTTPError as e:
        body = e.read()
        return e.code, json.loads(body) if body else None, dict(e.headers)


def temp_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix)
