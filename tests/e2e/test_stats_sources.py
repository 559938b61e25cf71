#!/usr/bin/env python3
"""Both stats sources against each other and against `docker stats`, on real engines: cgroup v1
on this machine (a private engine) and, with --cgroup-v2, cgroup v2 in the emulated guest
(../shared/tools/cgroup-v2-engine.sh, given with --v2-tool). tests/e2e/stats_sources_observe.sh
takes the readings; this file judges them:
  - each exporter reports the source it was told to use, with no collection errors;
  - the cgroupfs exporter's checks against the engine agreed at least once and never disagreed;
  - memory used: equal to the engine source within 1 % (idle and memory-holding sandboxes);
  - CPU of the busy sandbox: within 0.05 cores of the engine source (median over the rounds),
    and within 0.1 cores of docker stats;
  - PIDs and the limits equal; docker stats' memory within 1 % plus its rounding.
With --record-fixtures DIR, the v2 engine's answers and cgroup files are copied there.

  test_stats_sources.py --binary B --source-dir REPO [--cgroup-v2 --v2-tool T]"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import Exposition  # noqa: E402

ARGS = None
SANDBOXES = ("srcidle", "srcbusy", "srcmem")
UNITS = {"B": 1, "KiB": 1024, "MiB": 1024 ** 2, "GiB": 1024 ** 3, "kB": 1000, "MB": 1000 ** 2,
         "GB": 1000 ** 3}
# The exporter's runtime libraries, for the guest (Debian bookworm names).
GUEST_PACKAGES = ("libcivetweb1,libcurl4,libprometheus-cpp-core1.0,libsqlite3-0,libyaml-cpp0.7,"
                  "libssl3,curl")


def parse_size(text):
    m = re.match(r"^([0-9.]+)\s*([A-Za-z]+)$", text.strip())
    return float(m.group(1)) * UNITS[m.group(2)]


def observe_v1(out):
    engine = os.path.join(ARGS.source_dir, "tests", "tools", "private_engine.sh")
    work = tempfile.mkdtemp(prefix="evonic-src-", dir="/tmp")
    try:
        subprocess.run(["bash", engine, "start", work], check=True, capture_output=True,
                       timeout=300)
        env = dict(os.environ, DOCKER_HOST=f"unix://{work}/docker.sock")
        subprocess.run(["sh", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                           "stats_sources_observe.sh"),
                        out, ARGS.binary, "evonic-sandbox:test", str(ARGS.rounds)],
                       env=env, check=True, timeout=600)
    finally:
        subprocess.run(["bash", engine, "stop", work], capture_output=True, timeout=300)
        shutil.rmtree(work, ignore_errors=True)


def observe_v2(out):
    share = tempfile.mkdtemp(prefix="evonic-v2-", dir="/tmp")
    try:
        shutil.copy(ARGS.binary, os.path.join(share, "exporter"))
        shutil.copy(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "stats_sources_observe.sh"), os.path.join(share, "observe.sh"))
        with open(os.path.join(share, "run.sh"), "w") as f:
            # The sandbox image from the guest's static busybox, as on the host.
            f.write("set -e\nb=/tmp/img; mkdir -p $b/bin $b/tmp $b/proc $b/sys $b/dev $b/etc\n"
                    "cp /bin/busybox $b/bin/busybox\n"
                    "for a in sh sleep dd cat; do ln -s busybox $b/bin/$a; done\n"
                    "tar -C $b -cf /tmp/img.tar . && docker import --change 'ENV PATH=/bin' "
                    "/tmp/img.tar evonic-sandbox:test >/dev/null\n"
                    f"sh /share/observe.sh /share/out /share/exporter evonic-sandbox:test "
                    f"{ARGS.rounds}\n")
        env = dict(os.environ, V2_PACKAGES=GUEST_PACKAGES, V2_TIMEOUT="1200")
        run = subprocess.run(["bash", ARGS.v2_tool, share], env=env, capture_output=True,
                             text=True, timeout=1800)
        log = ""
        for name in ("guest.log", "console.log"):
            p = os.path.join(share, name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    log += f"---- {name} ----\n" + f.read()[-4000:]
        if run.returncode != 0:
            raise AssertionError(f"the cgroup v2 guest failed ({run.returncode}): "
                                 f"{run.stderr[-2000:]}\n{log}")
        shutil.copytree(os.path.join(share, "out"), out, dirs_exist_ok=True)
    finally:
        shutil.rmtree(share, ignore_errors=True)


class StatsSourcesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(prefix="evonic-src-out-", dir="/tmp")
        (observe_v2 if ARGS.cgroup_v2 else observe_v1)(cls.out)
        cls.rounds = []
        for r in range(1, ARGS.rounds + 1):
            pages = {}
            for source in ("cgroupfs", "engine"):
                with open(os.path.join(cls.out, f"{source}-{r}.prom")) as f:
                    pages[source] = Exposition(f.read())
            with open(os.path.join(cls.out, f"docker-{r}.jsonl")) as f:
                pages["docker"] = {json.loads(line)["Name"].split("-")[1]: json.loads(line)
                                   for line in f if line.strip()}
            cls.rounds.append(pages)
        if ARGS.record_fixtures:
            shutil.copytree(os.path.join(cls.out, "recorded"), ARGS.record_fixtures,
                            dirs_exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def value(self, page, name, agent):
        v = page.get(name, agent_id=agent)
        self.assertIsNotNone(v, f"{name} of {agent}")
        return v

    def test_each_exporter_uses_its_source_without_errors(self):
        last = self.rounds[-1]
        for source in ("cgroupfs", "engine"):
            page = last[source]
            self.assertEqual(page.get("evonic_sandbox_exporter_stats_source", source=source), 1)
            self.assertEqual(page.get("evonic_sandbox_exporter_collect_errors_total"), 0,
                             f"{source} exporter had errors")

    def test_checks_against_the_engine_agree(self):
        page = self.rounds[-1]["cgroupfs"]
        agreed = page.get("evonic_sandbox_exporter_stats_source_checks_total", result="agreed")
        disagreed = page.get("evonic_sandbox_exporter_stats_source_checks_total",
                             result="disagreed")
        print(f"checks: {agreed:.0f} agreed, {disagreed:.0f} disagreed")
        self.assertGreaterEqual(agreed, 1)
        self.assertEqual(disagreed, 0)

    def test_memory_equal_within_one_percent(self):
        for agent in ("srcidle", "srcmem"):
            for pages in self.rounds:
                cg = self.value(pages["cgroupfs"], "evonic_sandbox_memory_working_set_bytes", agent)
                en = self.value(pages["engine"], "evonic_sandbox_memory_working_set_bytes", agent)
                self.assertLessEqual(abs(cg - en), 0.01 * en, f"{agent}: cgroupfs {cg}, engine {en}")
            ds = parse_size(pages["docker"][agent]["MemUsage"].split("/")[0])
            # docker stats rounds to 3 significant digits.
            self.assertLessEqual(abs(cg - ds), 0.01 * ds + 0.005 * ds, f"{agent}: docker {ds}")
        print(f"memory of srcmem: cgroupfs {cg:.0f} B, engine {en:.0f} B, docker stats {ds:.0f} B")

    def test_busy_cpu_within_five_hundredths_of_a_core(self):
        cg = statistics.median(self.value(p["cgroupfs"], "evonic_sandbox_cpu_utilization_ratio",
                                          "srcbusy") for p in self.rounds)
        en = statistics.median(self.value(p["engine"], "evonic_sandbox_cpu_utilization_ratio",
                                          "srcbusy") for p in self.rounds)
        ds = statistics.median(float(p["docker"]["srcbusy"]["CPUPerc"].rstrip("%")) / 100
                               for p in self.rounds)
        print(f"busy CPU (cores): cgroupfs {cg:.3f}, engine {en:.3f}, docker stats {ds:.3f}")
        self.assertGreater(en, 0.05, "the busy loop did not run")
        self.assertLessEqual(abs(cg - en), 0.05)
        self.assertLessEqual(abs(cg - ds), 0.1)

    def test_pids_and_limits_equal(self):
        pages = self.rounds[-1]
        for agent in SANDBOXES:
            for name in ("evonic_sandbox_memory_limit_bytes", "evonic_sandbox_pids_limit"):
                self.assertEqual(self.value(pages["cgroupfs"], name, agent),
                                 self.value(pages["engine"], name, agent), f"{name} of {agent}")
        self.assertEqual(self.value(pages["cgroupfs"], "evonic_sandbox_pids", "srcidle"),
                         self.value(pages["engine"], "evonic_sandbox_pids", "srcidle"))
        self.assertEqual(self.value(pages["cgroupfs"], "evonic_sandbox_pids", "srcidle"),
                         float(pages["docker"]["srcidle"]["PIDs"]))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cgroup-v2", action="store_true", help="in the emulated v2 guest")
    parser.add_argument("--v2-tool", help="cgroup-v2-engine.sh")
    parser.add_argument("--record-fixtures", help="copy the engine's answers and files here")
    ARGS, rest = parser.parse_known_args()
    if ARGS.cgroup_v2 and not ARGS.v2_tool:
        parser.error("--cgroup-v2 needs --v2-tool")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
