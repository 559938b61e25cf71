#!/usr/bin/env python3
"""The Debian package (deploy/debian/package.cmake) for real:
  - cpack builds it from this build folder (the configuration scripts/package.sh uses in
    build-release/, there in Release with the prefix /usr; the package's paths are the same);
  - dpkg-deb: its control fields (version, Depends from dpkg-shlibdeps, libssl3 among them, and
    passwd),
    its files (binary, unit, default options, man page, README and example, nothing else under
    /usr/lib), conffiles;
  - it is installed with apt into a clean Debian root: the bookworm minbase tree that
    tests/tools/full_image.sh debootstraps once for the image tests, extracted afresh, so apt
    resolves its Depends from Debian's packages (and fails the test if one cannot be met);
  - the installed exporter runs there (chroot, as the user postinst made, with the options the
    installed unit passes) against the fake engine, and is scraped on 127.0.0.1: /metrics and
    /healthz, then one HTTPS request (OpenSSL from libssl3 alone, without libssl-dev);
  - systemd-analyze verify on the installed unit.
Needs root, and Debian's packages for apt in the root. Cost: about a minute once the tree is
cached (the first run debootstraps it in a few minutes).

By hand: test_package.py --build-dir build --version 0.1.0 --source-dir ."""
import argparse
import glob
import gzip
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Exporter, Processes, start_fake_engine, wait_until  # noqa: E402

ARGS = None
PACKAGE = "evonic-sandbox-exporter"
UNIT = f"lib/systemd/system/{PACKAGE}.service"
DEFAULTS = f"etc/default/{PACKAGE}"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(argv, timeout, what):
    """Runs argv; a failure or a timeout fails the test with `what` and the command's output."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{what}: no answer in {timeout}s ({shlex.join(argv)})")
    if out.returncode != 0:
        raise AssertionError(f"{what} failed ({out.returncode}):\n{out.stdout[-4000:]}"
                             f"\n{out.stderr[-4000:]}")
    return out.stdout


def in_root(root, argv, user=None):
    """argv inside `root` (chroot, with a /proc of its own in a private mount namespace that
    vanishes with the process), as `user` ("uid:gid") when given."""
    chroot = ["chroot"] + ([f"--userspec={user}", f"--groups={user.split(':')[1]}"] if user
                           else []) + [root]
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount -t proc proc "$0/proc" && exec "$@"', root, *chroot, *argv]


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="evonic-deb-", dir="/tmp")
        cls.procs = Processes()
        t = time.monotonic()
        run(["cpack", "-G", "DEB", "-B", os.path.join(cls.dir, "cpack"), "--config",
             os.path.join(ARGS.build_dir, "CPackConfig.cmake")], 600, "cpack")
        debs = glob.glob(os.path.join(cls.dir, "cpack", "*.deb"))
        if len(debs) != 1:
            raise AssertionError(f"cpack made {debs}, not one .deb")
        cls.deb = debs[0]
        log(f"{os.path.basename(cls.deb)} built in {time.monotonic() - t:.0f}s")

        t = time.monotonic()
        tarball = run(["bash", os.path.join(ARGS.source_dir, "tests", "tools", "full_image.sh"),
                       "tarball"], 1800, "the bookworm tree (full_image.sh)").strip()
        cls.root = os.path.join(cls.dir, "root")
        os.makedirs(cls.root)
        run(["tar", "-C", cls.root, "-xf", tarball], 300, "extracting the bookworm tree")
        shutil.copy("/etc/resolv.conf", os.path.join(cls.root, "etc", "resolv.conf"))
        shutil.copy(cls.deb, os.path.join(cls.root, "tmp"))
        run(in_root(cls.root, ["apt-get", "update", "-qq"]), 300, "apt-get update in the root")
        run(in_root(cls.root, ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install",
                               "-y", "-qq", "--no-install-recommends",
                               "/tmp/" + os.path.basename(cls.deb)]),
            600, "apt-get install of the package (its Depends) in a clean bookworm root")
        log(f"installed in a clean bookworm root in {time.monotonic() - t:.0f}s")

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, relative):
        return os.path.join(self.root, relative)

    def test_1_control_fields(self):
        fields = dict(line.split(": ", 1) for line in run(
            ["dpkg-deb", "-f", self.deb, "Package", "Version", "Architecture", "Section",
             "Maintainer", "Depends"], 30, "dpkg-deb -f").splitlines())
        self.assertEqual(fields["Package"], PACKAGE)
        self.assertEqual(fields["Version"], f"{ARGS.version}-1")
        self.assertEqual(fields["Architecture"],
                         run(["dpkg", "--print-architecture"], 30, "dpkg").strip())
        self.assertEqual(fields["Section"], "net")
        depends = {d.split()[0] for d in fields["Depends"].split(", ")}
        # dpkg-shlibdeps' libraries (prometheus-cpp's types are header-only since the exposition
        # text is written by the exporter), and what CivetWeb dlopen()s and postinst runs.
        for lib in ("libc6", "libstdc++6", "libcivetweb1", "libcurl4", "libsqlite3-0",
                    "libyaml-cpp0.7", "libcrypt1", "zlib1g", "libssl3", "passwd"):
            self.assertIn(lib, depends, fields["Depends"])
        self.assertEqual(run(["dpkg-deb", "-I", self.deb, "conffiles"], 30, "conffiles").split(),
                         ["/" + DEFAULTS])

    def test_2_contents(self):
        listing = run(["dpkg-deb", "-c", self.deb], 30, "dpkg-deb -c").splitlines()
        files = {line.split()[5].lstrip(".") for line in listing}
        for path in (f"/usr/bin/{PACKAGE}", "/" + UNIT, "/" + DEFAULTS,
                     f"/usr/share/man/man1/{PACKAGE}.1.gz", f"/usr/share/doc/{PACKAGE}/README.md",
                     f"/usr/share/doc/{PACKAGE}/examples/thresholds.example.yml"):
            self.assertIn(path, files)
        self.assertFalse([f for f in files if f.startswith("/usr/local")], files)
        # The gate terminates TLS with the linked libssl3: no library of the package's own (the
        # OpenSSL 3 shim CivetWeb needed, and its libcrypto.so link, are gone).
        self.assertFalse([f for f in files if f.startswith("/usr/lib/") and not f.endswith("/")],
                         files)
        with gzip.open(self.path(f"usr/share/man/man1/{PACKAGE}.1.gz"), "rt") as f:
            man = f.read()
        self.assertIn(".TH EVONIC-SANDBOX-EXPORTER", man)
        text = man.replace("\\fB", "").replace("\\fR", "").replace("\\-", "-")
        self.assertIn("--collect.interval", text)  # the flags, from --help

    def test_3_installed_service_serves(self):
        with open(self.path("etc/passwd")) as f:
            users = {line.split(":")[0]: line.split(":") for line in f}
        self.assertIn("evonic-exporter", users, "postinst made no user")
        uid, gid = users["evonic-exporter"][2:4]
        # No libssl-dev: TLS must work with the runtime library alone.
        self.assertFalse(glob.glob(self.path("usr/lib/*-linux-gnu/libcrypto.so")))
        # What the unit runs: ExecStart with $ARGS from the installed options file, in the state
        # directory systemd would make for the user.
        with open(self.path(UNIT)) as f:
            unit = f.read().replace("\\\n", " ")
        exec_start = shlex.split(next(line for line in unit.splitlines()
                                      if line.startswith("ExecStart=")).split("=", 1)[1])
        defaults_args = run(["sh", "-c", '. "$0"; printf %s "$ARGS"', self.path(DEFAULTS)], 30,
                            "reading ARGS")
        argv = [a for arg in exec_start
                for a in (shlex.split(defaults_args) if arg == "$ARGS" else [arg])]
        self.assertEqual(argv[0], f"/usr/bin/{PACKAGE}")
        state = self.path(f"var/lib/{PACKAGE}")
        os.makedirs(state, exist_ok=True)
        os.chown(state, int(uid), int(gid))
        socket_path = self.path("run/fake-engine.sock")
        start_fake_engine(self.procs, socket_path, ARGS.source_dir)
        os.chmod(socket_path, 0o666)  # the service's user reaches the engine (the docker group)
        wrapper = os.path.join(self.dir, "installed-exporter")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec " + shlex.join(in_root(self.root, argv, f"{uid}:{gid}")) +
                    ' "$@"\n')
        os.chmod(wrapper, 0o755)
        exporter = Exporter(self.procs, wrapper, ["--docker.host=unix:///run/fake-engine.sock",
                                                  "--collect.interval=1s"], self.dir)
        m = wait_until("the engine up on the installed exporter's /metrics",
                       lambda: (lambda m: m if m.get(
                           "evonic_sandbox_exporter_docker_up") == 1 else None)(
                               exporter.metrics()), timeout=30, interval=0.3)
        self.assertEqual(m.get("evonic_sandbox_exporter_build_info", version=ARGS.version), 1)
        self.assertEqual(exporter.curl("/healthz").strip(), "OK")
        self.assertTrue(os.path.exists(os.path.join(state, "history.db")),
                        "no history file where the unit puts it")

        # One HTTPS request: a certificate and web config readable by the service's user.
        conf = self.path(f"etc/{PACKAGE}")
        os.makedirs(conf, exist_ok=True)
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", os.path.join(conf, "server.key"),
             "-out", os.path.join(conf, "server.crt")], 60, "openssl req")
        with open(os.path.join(conf, "web.yml"), "w") as f:
            f.write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n")
        for name in os.listdir(conf):
            os.chmod(os.path.join(conf, name), 0o644)  # a test key
        tls = Exporter(self.procs, wrapper, ["--docker.host=unix:///run/fake-engine.sock",
                                             f"--web.config.file=/etc/{PACKAGE}/web.yml"],
                       self.dir)
        body = run(["curl", "-fsS", "--max-time", "10", "--cacert",
                    os.path.join(conf, "server.crt"),
                    f"https://127.0.0.1:{tls.port}/metrics"], 30, "an HTTPS scrape:\n" + tls.log())
        self.assertIn("evonic_sandbox_exporter_build_info", body)
        self.assertIsNone(tls.proc.poll(), tls.log())

    def test_4_systemd_analyze_verify(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("no systemd-analyze")
        # verify checks that ExecStart's binary exists: point it at the installed one.
        with open(self.path(UNIT)) as f:
            text = f.read().replace(f"/usr/bin/{PACKAGE}", self.path(f"usr/bin/{PACKAGE}"))
        unit = os.path.join(self.dir, os.path.basename(UNIT))
        with open(unit, "w") as f:
            f.write(text)
        out = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True,
                             timeout=60, cwd=self.dir)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(out.stderr.strip(), "", out.stderr)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--build-dir", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--source-dir", required=True)
    ARGS, rest = p.parse_known_args()
    ARGS.build_dir = os.path.realpath(ARGS.build_dir)
    ARGS.source_dir = os.path.realpath(ARGS.source_dir)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
