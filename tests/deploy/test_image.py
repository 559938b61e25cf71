#!/usr/bin/env python3
"""deploy/Dockerfile for real: on a private engine (tests/tools/private_engine.sh), with a
bookworm base imported locally as debian:bookworm (tests/tools/bookworm_base.sh: debootstrap once,
cached), `docker build --network host` the image, then run it as users do - the engine's socket
mounted read-only, --group-add of the socket's group, --network none - and
  - scrape it (from the host, inside the container's network namespace with nsenter: the
    container has no network, so nothing leaves the machine): the engine is up and a sandbox shows;
  - check it runs as the non-root user, that the exporter is the Debian package installed, and
    that the runtime stage has no compiler;
  - serve one TLS request from it with a web config (the gate's TLS, OpenSSL 3 from libssl3).
Cost: the first run debootstraps (a few minutes, then cached); the image build itself is
apt-get of the build packages, scripts/package.sh's Release build and cpack, then apt-get of the
package's Depends in the runtime stage: about 5-8 minutes on 2 cores.

By hand: test_image.py --source-dir REPO"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Exposition, run_docker, wait_until  # noqa: E402

ARGS = None
DOCKER = "/usr/bin/docker"
IMAGE = "evonic-sandbox-exporter:test"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="evonic-img-", dir="/tmp")
        cls.engine = os.path.join(cls.dir, "e")
        cls.tools = os.path.join(ARGS.source_dir, "tests", "tools")
        t = time.monotonic()
        out = subprocess.run(["bash", os.path.join(cls.tools, "private_engine.sh"), "start",
                              cls.engine], capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError("cannot start the private engine:\n" + out.stderr)
        cls.sock = os.path.join(cls.engine, "docker.sock")
        cls.env = dict(os.environ, DOCKER_HOST=f"unix://{cls.sock}")
        log(f"engine up in {time.monotonic() - t:.0f}s")
        t = time.monotonic()
        out = subprocess.run(["bash", os.path.join(cls.tools, "bookworm_base.sh")], env=cls.env,
                             capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            raise RuntimeError("no debian:bookworm base:\n" + out.stderr)
        log(f"debian:bookworm imported in {time.monotonic() - t:.0f}s")
        t = time.monotonic()
        # The revision build_info must report (the build context has no .git).
        cls.revision = subprocess.run(["git", "-C", ARGS.source_dir, "rev-parse", "--short=12",
                                       "HEAD"], capture_output=True, text=True).stdout.strip() \
            or "test-revision"
        build_log = os.path.join(cls.dir, "build.log")
        with open(build_log, "w") as f:
            rc = subprocess.run([DOCKER, "build", "--network", "host", "-f",
                                 os.path.join(ARGS.source_dir, "deploy", "Dockerfile"),
                                 "--build-arg", f"EVONIC_REVISION={cls.revision}",
                                 "-t", IMAGE, ARGS.source_dir], env=cls.env, stdout=f,
                                stderr=subprocess.STDOUT, timeout=2400).returncode
        if rc != 0:
            with open(build_log) as f:
                raise RuntimeError("docker build failed:\n" + f.read()[-6000:])
        log(f"image built in {time.monotonic() - t:.0f}s")
        cls.sandbox = "evonic-image-test-0123abcd"
        cls.docker("run", "-d", "--name", cls.sandbox, "--label", "evonic.managed=1",
                   "--memory=64m", "--cpus=0.5", "--pids-limit=32", "--network", "none",
                   "evonic-sandbox:test", "sleep", "infinity")
        cls.gid = str(os.stat(cls.sock).st_gid)

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["bash", os.path.join(cls.tools, "private_engine.sh"), "stop", cls.engine],
                       timeout=300)
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def docker(cls, *args, check=True):
        return run_docker(cls.env, *args, check=check).stdout

    def run_exporter(self, name, *extra_args, volumes=(), docker_args=()):
        args = ["run", "-d", "--name", name, "--network", "none", "--group-add", self.gid,
                "-v", f"{self.sock}:/var/run/docker.sock:ro", *docker_args]
        for v in volumes:
            args += ["-v", v]
        self.docker(*args, IMAGE, "--web.listen-address=127.0.0.1:9717",
                    "--collect.interval=1s",
                    "--thresholds.file=/etc/evonic-sandbox-exporter/thresholds.yml", *extra_args)
        pid = self.docker("inspect", "-f", "{{.State.Pid}}", name).strip()
        self.assertNotEqual(pid, "0", self.docker("logs", name, check=False))
        return pid

    def curl_in(self, pid, *args):
        """curl from the host inside the container's network namespace (its own 127.0.0.1)."""
        out = subprocess.run(["nsenter", "-t", pid, "-n", "curl", "-sS", "--max-time", "10",
                              *args], capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise AssertionError(out.stderr)
        return out.stdout

    def test_1_scrape_on_the_real_engine_as_non_root(self):
        pid = self.run_exporter("exporter-plain")

        def page():
            m = Exposition(self.curl_in(pid, "-f", "http://127.0.0.1:9717/metrics"))
            ok = (m.get("evonic_sandbox_exporter_docker_up") == 1 and
                  m.get("evonic_sandbox_pids_limit", agent_id="image-test") == 32)
            return m if ok else None
        m = wait_until("the sandbox on the container's /metrics", page, timeout=60, interval=0.5)
        self.assertEqual(m.get("evonic_sandbox_exporter_build_info", revision=self.revision), 1,
                         "build_info does not carry the revision given as a build argument")
        self.assertEqual(m.get("evonic_sandbox_memory_limit_bytes", agent_id="image-test"),
                         64 * 1024 * 1024)
        self.assertEqual(m.get("evonic_sandbox_alert_threshold_ratio", agent_id="image-test",
                               resource="cpu"), 0.9)
        with open(f"/proc/{pid}/status") as f:
            uid_line = [l for l in f if l.startswith("Uid:")][0]
        self.assertEqual(uid_line.split()[1:], ["10001"] * 4)
        self.assertEqual(self.docker("inspect", "-f", "{{.Config.User}}", IMAGE).strip(),
                         "10001:10001")
        # The image is the Debian package installed (scripts/package.sh in the build stage).
        out = self.docker("run", "--rm", "--network", "none", "--entrypoint", "dpkg-query", IMAGE,
                          "-W", "-f", "${Status} ${Version}", "evonic-sandbox-exporter")
        self.assertRegex(out.strip(), r"^install ok installed \S+-\d+$")
        # Multi-stage: no tool chain in the runtime image.
        out = self.docker("run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", IMAGE,
                          "-c", "command -v g++ cmake c++ || echo none")
        self.assertEqual(out.strip(), "none")
        # The history's folder: a fresh named volume there is writable by the exporter's user,
        # as the compose file mounts it (--history.path=/var/lib/evonic-sandbox-exporter/...).
        volume = "evonic-image-test-history"
        try:
            out = self.docker("run", "--rm", "--network", "none", "-v",
                              f"{volume}:/var/lib/evonic-sandbox-exporter", "--entrypoint",
                              "/bin/sh", IMAGE, "-c",
                              "touch /var/lib/evonic-sandbox-exporter/history.db && echo written")
            self.assertEqual(out.strip(), "written")
        finally:
            self.docker("volume", "rm", "-f", volume)
        size = self.docker("image", "inspect", "-f", "{{.Size}}", IMAGE).strip()
        log(f"image size {int(size) / 1e6:.0f} MB")

    def test_1b_healthcheck_reports_healthy(self):
        # The image's own HEALTHCHECK command, run every second here instead of every 30 s.
        self.assertIn("/healthz", self.docker("inspect", "-f", "{{json .Config.Healthcheck}}",
                                             IMAGE))
        self.run_exporter("exporter-health", docker_args=("--health-interval=1s",))
        wait_until("the health check to pass", lambda: self.docker(
            "inspect", "-f", "{{.State.Health.Status}}", "exporter-health").strip() == "healthy",
            timeout=60, interval=0.5)
        self.assertEqual(self.docker("image", "inspect", "-f", "{{.Os}}", "debian:bookworm-slim")
                         .strip(), "linux")

    def test_2_one_tls_request(self):
        tls = os.path.join(self.dir, "tls")
        os.makedirs(tls)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", os.path.join(tls, "server.key"),
                        "-out", os.path.join(tls, "server.crt")],
                       check=True, capture_output=True, timeout=60)
        with open(os.path.join(tls, "web.yml"), "w") as f:
            f.write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n")
        for name in os.listdir(tls):
            os.chmod(os.path.join(tls, name), 0o644)  # readable by the image's user (a test key)
        os.chmod(tls, 0o755)
        pid = self.run_exporter("exporter-tls", "--web.config.file=/tls/web.yml",
                                volumes=[f"{tls}:/tls:ro"])
        body = wait_until(
            "an HTTPS answer",
            lambda: self.curl_in(pid, "-f", "--cacert", os.path.join(tls, "server.crt"),
                                 "https://127.0.0.1:9717/metrics"),
            timeout=30, interval=0.5)
        self.assertIn("evonic_sandbox_exporter_build_info", body)
        time.sleep(1)
        state = self.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                            "exporter-tls").strip()
        self.assertEqual(state, "running 0", self.docker("logs", "exporter-tls", check=False))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--source-dir", required=True)
    ARGS, rest = p.parse_known_args()
    ARGS.source_dir = os.path.realpath(ARGS.source_dir)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
