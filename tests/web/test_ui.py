#!/usr/bin/env python3
"""The live page (/ui/) end to end: the real binary with a web config (bcrypt users), Evonic's
database and the fake engine.

UiHttpTest: what any HTTP client sees: credentials as the REST endpoints (401 without), the
Content-Security-Policy and its frame-ancestors flag, content types, ETag revalidation, gzip, 404s.

UiBrowserTest: Debian's Chromium, driven through chromedriver's W3C WebDriver protocol (no
selenium): the pool view finds every sandbox with its agent and the REST answer's own figures,
follows the engine's changes within 6 s, says when the engine goes away and when it is back, keeps
the keyboard focus across refreshes, fits 320 px, draws the agent's last hour from the history or
says how to turn it on, and logs no console errors. It saves screenshots (pool and agent views,
1280 and 320 px wide) in --screenshots.

By hand: test_ui.py --binary B --source-dir REPO [--screenshots DIR] [UiHttpTest|UiBrowserTest]"""
import argparse
import base64
import gzip
import json
import os
import re
import shutil
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from evonic_root import SCENARIO_AGENTS, SCENARIO_SESSIONS, make_evonic_root  # noqa: E402
from harness import (Exporter, Processes, get_json, start_fake_engine, temp_dir,  # noqa: E402
                     unix_request, wait_until, write_web_config)
import webdriver  # noqa: E402

ARGS = None
USER, PASSWORD = "ui", "a page for the pool"
CHANGE_SECONDS = 6  # the page refreshes every 5 s: a change must show within this


def fetch(url, auth=(USER, PASSWORD), headers=None):
    """GET: (status, body bytes, headers with lower-case names)."""
    req = urllib.request.Request(url, headers=headers or {})
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, e.read(), {k.lower(): v for k, v in e.headers.items()}


class Setup:
    """A fake engine, Evonic's database and a web config in one temporary folder."""

    @classmethod
    def setUpClass(cls):
        cls.dir = temp_dir("evonic-ui-")
        cls.procs = Processes()
        try:
            cls.socket = os.path.join(cls.dir, "docker.sock")
            cls.engine = start_fake_engine(cls.procs, cls.socket, ARGS.source_dir)
            cls.root = os.path.join(cls.dir, "evonic")
            make_evonic_root(cls.root, SCENARIO_AGENTS, SCENARIO_SESSIONS,
                             env={"SANDBOX_MAX_CONTAINERS": "7"})
            cls.web_config = write_web_config(os.path.join(cls.dir, "web.yml"), {USER: PASSWORD})
        except BaseException:
            Setup.tearDownClass.__func__(cls)  # skipped by unittest when setUpClass fails
            raise

    @classmethod
    def tearDownClass(cls):
        cls.procs.stop_all()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def exporter(cls, *extra, web_config=None):
        return Exporter(cls.procs, ARGS.binary,
                        [f"--docker.host=unix://{cls.socket}", "--collect.interval=500ms",
                         f"--evonic.root={cls.root}",
                         f"--web.config.file={web_config or cls.web_config}", *extra], cls.dir,
                        auth=(USER, PASSWORD))


class UiHttpTest(Setup, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.e = cls.exporter("--web.ui.frame-ancestors='self' https://evonic.example.com")

    def test_credentials_exactly_as_the_rest_endpoints(self):
        for path in ("/ui/", "/ui", "/ui/agents/admin", "/ui/assets/ui.js", "/ui/nothing"):
            status, body, headers = fetch(self.e.base + path, auth=None)
            self.assertEqual(status, 401, path)
            self.assertIn("Basic", headers.get("www-authenticate", ""), path)
            self.assertEqual(fetch(self.e.base + path, auth=(USER, "wrong"))[0], 401, path)
        # No users configured: 401 with the hint, as /api/ answers.
        empty = os.path.join(self.dir, "no-users.yml")
        with open(empty, "w") as f:
            f.write("basic_auth_users: {}\n")
        e = self.exporter(web_config=empty)
        status, body, _ = fetch(e.base + "/ui/", auth=None)
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["status"], 401)
        self.assertEqual(fetch(e.base + "/ui/")[0], 401)
        self.procs.stop(e.proc)

    def test_strict_policy_and_frame_ancestors_from_the_flag(self):
        for path in ("/ui/", "/ui/agents/admin", "/ui/assets/ui.css", "/ui/assets/nope.js"):
            _, _, headers = fetch(self.e.base + path)
            csp = headers.get("content-security-policy", "")
            directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";"))
            self.assertEqual(directives.get("default-src"), "'none'", path)
            self.assertEqual(directives.get("script-src"), "'self'", path)
            self.assertEqual(directives.get("style-src"), "'self'", path)
            self.assertEqual(directives.get("img-src"), "'self' data:", path)
            self.assertEqual(directives.get("connect-src"), "'self'", path)
            self.assertEqual(directives.get("frame-ancestors"), "'self' https://evonic.example.com",
                             path)
            self.assertNotIn("unsafe", csp, path)
            self.assertEqual(headers.get("x-content-type-options"), "nosniff", path)
        e = self.exporter()
        _, _, headers = fetch(e.base + "/ui/")
        self.assertTrue(headers["content-security-policy"].endswith("frame-ancestors 'none'"))
        self.procs.stop(e.proc)

    def test_pages_and_assets_with_their_types(self):
        status, body, headers = fetch(self.e.base + "/ui/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertIn(b'<base href="./">', body)
        self.assertNotIn(b"<script>", body)  # no inline script: the CSP would refuse it
        self.assertNotIn(b"style=", body)
        status, body, _ = fetch(self.e.base + "/ui/agents/data-analyst")
        self.assertEqual(status, 200)
        self.assertIn(b'<base href="../">', body)
        for name, kind in (("ui.js", "text/javascript; charset=utf-8"),
                           ("ui.css", "text/css; charset=utf-8")):
            status, body, headers = fetch(self.e.base + "/ui/assets/" + name)
            self.assertEqual((status, headers["content-type"]), (200, kind), name)
            self.assertGreater(len(body), 500, name)
            # Nothing fetched from elsewhere: no address but the SVG namespace's (a name only).
            rest = body.replace(b"http://www.w3.org/2000/svg", b"")
            self.assertFalse(re.search(rb"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", rest), name)
        status, _, headers = fetch(self.e.base + "/ui", auth=(USER, PASSWORD))
        self.assertEqual((status, headers["location"]), (301, "ui/"))

    def test_unknown_paths_are_404(self):
        for path in ("/ui/assets/nope.js", "/ui/assets/index.html", "/ui/index.html",
                     "/ui/agents/", "/ui/agents/a/b", "/ui/agents/%2e%2e%2fx", "/ui/x"):
            status, _, _ = fetch(self.e.base + path)
            self.assertEqual(status, 404, path)

    def test_revalidation_and_gzip(self):
        status, body, headers = fetch(self.e.base + "/ui/assets/ui.js")
        etag = headers["etag"]
        self.assertIn("no-cache", headers["cache-control"])
        self.assertIn("private", headers["cache-control"])
        status, again, headers = fetch(self.e.base + "/ui/assets/ui.js",
                                       headers={"If-None-Match": etag})
        self.assertEqual((status, again), (304, b""))
        self.assertNotIn("content-length", headers)
        status, zipped, headers = fetch(self.e.base + "/ui/assets/ui.js",
                                        headers={"Accept-Encoding": "gzip"})
        self.assertEqual((status, headers.get("content-encoding")), (200, "gzip"))
        self.assertEqual(gzip.decompress(zipped), body)
        # The two places of the page differ, so do their tags.
        self.assertNotEqual(fetch(self.e.base + "/ui/")[2]["etag"],
                            fetch(self.e.base + "/ui/agents/admin")[2]["etag"])


@unittest.skipUnless(webdriver.available(), "needs Debian's chromium and chromium-driver")
class UiBrowserTest(Setup, unittest.TestCase):
    # The page's sandboxes: [{session, agent (of its section or card), fields}], and the banner.
    PAGE = """
      const cards = [...document.querySelectorAll('[data-session]')];
      const banner = document.getElementById('banner');
      const pool = document.querySelector('[data-field=pool]');
      return {
        sandboxes: cards.map((c) => ({
          session: c.dataset.session,
          agent: (c.closest('section.agent') || c).dataset.agent,
          fields: Object.fromEntries([...c.querySelectorAll('[data-field]')]
                                     .map((e) => [e.dataset.field, e.textContent])),
          charts: c.querySelectorAll('svg polyline').length})),
        pool: pool ? pool.textContent : null,
        banner: banner.hidden ? null : banner.textContent,
        status: document.getElementById('status').textContent,
        note: (document.getElementById('history-note') || {}).textContent || null,
        width: document.documentElement.scrollWidth,
        focus: document.activeElement && document.activeElement.getAttribute('data-focus')};
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.started = time.monotonic()
        try:
            cls.e = cls.exporter(f"--history.path={os.path.join(cls.dir, 'history.db')}",
                                 "--history.interval=500ms")
            os.makedirs(ARGS.screenshots, exist_ok=True)
            cls.browser = webdriver.Browser(cls.procs, os.path.join(cls.dir, "chromedriver.log"))
            cls.browser.basic_auth(USER, PASSWORD)
        except BaseException:
            # unittest skips tearDownClass when setUpClass fails: nothing may be left running.
            Setup.tearDownClass.__func__(cls)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        print(f"\nbrowser test: {time.monotonic() - cls.started:.1f} s; screenshots in "
              f"{ARGS.screenshots}", file=sys.stderr)
        super().tearDownClass()

    def page(self):
        return self.browser.run(self.PAGE)

    def wait_page(self, what, condition, timeout):
        return wait_until(what, lambda: (lambda p: p if condition(p) else None)(self.page()),
                          timeout=timeout, interval=0.1)

    def control(self, path, body=None):
        status, text = unix_request(self.socket, "POST", "/_fake/" + path, body or {})
        self.assertEqual(status, 200, text)

    def rest(self, path):
        status, body, _ = get_json(self.e.base + path, (USER, PASSWORD))
        self.assertEqual(status, 200, body)
        return body

    def console_errors(self, allowed=()):
        """SEVERE entries of the browser's log since the last call, but those `allowed`."""
        return [e for e in self.browser.console()
                if e.get("level") == "SEVERE" and not any(a in e.get("message", "") for a in allowed)]

    def shot(self, name, width):
        self.browser.viewport(width, 900, mobile=width < 500)
        wait_until(f"the layout at {width} px",
                   lambda: self.browser.run("return window.innerWidth") == width, timeout=5)
        p = self.page()
        self.assertLessEqual(p["width"], width, f"{name}: wider than the screen")
        return self.browser.screenshot(os.path.join(ARGS.screenshots, f"{name}-{width}.png"), width)

    def test_1_the_page_follows_the_pool(self):
        b = self.browser
        wait_until("a first collection", lambda: get_json(self.e.base + "/api/sandbox/stats",
                                                          (USER, PASSWORD))[0] == 200, timeout=20)
        b.get(self.e.base + "/ui/")
        rest = self.rest("/api/sandbox/stats")
        want = {(c["session_id"], c["agent_id"]) for c in rest["containers"]}
        self.assertEqual(len(want), 5)
        p = self.wait_page("every sandbox of the scenario", lambda p: {
            (s["session"], s["agent"]) for s in p["sandboxes"]} == want, timeout=10)
        self.assertEqual(p["pool"], "5 of 7 sandboxes")
        self.assertIsNone(p["banner"])
        self.assertRegex(p["status"], r"^Figures of \d\d:\d\d:\d\d \(\d+ s ago\)")
        # The REST answer's own strings, and the hottest (the busy loop) first.
        by_session = {s["session"]: s["fields"] for s in p["sandboxes"]}
        for c in rest["containers"]:
            f = by_session[c["session_id"]]
            m = c["memory"]
            self.assertEqual(f["memory"], f"{m['used']} / {m['limit']} ({m['percent']})")
            self.assertEqual(f["network"], f"{c['network']['input']} in / {c['network']['output']} out")
            self.assertEqual(f["block_io"], f"{c['block_io']['read']} read / {c['block_io']['write']} written")
            self.assertTrue(f["pids"].startswith(c["pids"] + " / "))
            self.assertEqual(f["oom_kills"], str(c["oom_kills"]))
        self.assertEqual(p["sandboxes"][0]["session"], "data-analyst-e0d4d663")
        self.assertTrue(p["sandboxes"][0]["fields"]["cpu"].endswith("% of 1 core"))
        self.assertEqual(self.console_errors(), [])
        self.shot("pool", 1280)
        self.shot("pool", 320)
        b.viewport(1280, 900)

        # The keyboard: Tab reaches the first agent's link, and a refresh keeps it focused.
        b.run("document.activeElement && document.activeElement.blur()")
        first = p["sandboxes"][0]["agent"]
        for _ in range(10):
            b.keys("\ue004")  # Tab
            if self.page()["focus"] == f"agent:{first}":
                break
        status = self.page()["status"]
        self.wait_page("a refresh", lambda p: p["status"][:20] != status[:20], timeout=CHANGE_SECONDS)
        self.assertEqual(self.page()["focus"], f"agent:{first}")

        # The engine's answers change: a sandbox goes, another starts and runs a bash tool.
        wait_until("the event stream", lambda: "evonic_sandbox_exporter_events_up 1" in
                   self.e.curl("/metrics"), timeout=20)
        with open(os.path.join(ARGS.source_dir, "tests", "fixtures", "events",
                               "sandbox-session.jsonl")) as f:
            session = [json.loads(line) for line in f if line.strip()]
        changed = time.monotonic()
        self.control("remove", {"container": "evonic-netuser-0a1b2c3d"})
        self.control("events/emit", {"events": session[:6]})  # create, start, one bash call
        p = self.wait_page("the change on the page", lambda p: (
            p["pool"] == "5 of 7 sandboxes" and
            "netuser-0a1b2c3d" not in {s["session"] for s in p["sandboxes"]} and
            any(s["fields"]["tools"].startswith("bash 1") for s in p["sandboxes"])),
            timeout=CHANGE_SECONDS)
        print(f"\nchange seen after {time.monotonic() - changed:.1f} s", file=sys.stderr)
        new = [s for s in p["sandboxes"] if s["fields"]["tools"].startswith("bash 1")][0]
        self.assertEqual(new["agent"], "recorder")

        # The engine goes away: a banner while the last figures stay; gone when it is back.
        self.procs.stop(self.engine)
        gone = time.monotonic()
        p = self.wait_page("the unreachable banner", lambda p: p["banner"], timeout=CHANGE_SECONDS + 2)
        print(f"banner after {time.monotonic() - gone:.1f} s: {p['banner']}", file=sys.stderr)
        self.assertIn("Stale figures: the Docker engine is unreachable", p["banner"])
        self.assertIn("Showing the figures of", p["banner"])
        self.assertEqual(len(p["sandboxes"]), 5)
        self.shot("pool-unreachable", 1280)
        b.viewport(1280, 900)
        type(self).engine = start_fake_engine(self.procs, self.socket, ARGS.source_dir)
        self.wait_page("the banner gone", lambda p: p["banner"] is None, timeout=CHANGE_SECONDS + 2)
        # A 503 is logged by the browser as a failed resource; nothing else may be.
        self.assertEqual(self.console_errors(allowed=("status of 503",)), [])

    def test_2_the_agent_view_with_and_without_history(self):
        b = self.browser
        wait_until("three history writes", lambda: len({
            p["time"] for p in self.rest("/api/agents/data-analyst/sandbox/stats/history?since=0")
            ["points"]}) >= 3, timeout=20)
        b.get(self.e.base + "/ui/agents/data-analyst")
        p = self.wait_page("the agent's sandbox with its charts",
                           lambda p: p["sandboxes"] and p["sandboxes"][0]["charts"] == 2, timeout=10)
        self.assertEqual([s["session"] for s in p["sandboxes"]], ["data-analyst-e0d4d663"])
        self.assertIn("last hour", p["note"])
        self.assertIn("CPU, since", b.run("return document.querySelector('figcaption').textContent"))
        self.assertEqual(b.run("return document.getElementById('title').textContent"),
                         "Data Analyst (data-analyst)")
        self.assertEqual(self.console_errors(), [])
        self.shot("agent", 1280)
        self.shot("agent", 320)
        b.viewport(1280, 900)
        # Without --history.path: the page says how to turn it on.
        e = self.exporter()
        b.get(e.base + "/ui/agents/admin")
        p = self.wait_page("the history hint", lambda p: p["note"] and "history" in p["note"] and
                           p["sandboxes"], timeout=10)
        self.assertIn("--history.path", p["note"])
        self.assertEqual(p["sandboxes"][0]["charts"], 0)
        self.assertEqual(self.console_errors(allowed=("status of 404",)), [])
        # An agent that does not exist: the REST answer's words.
        b.get(e.base + "/ui/agents/nobody")
        wait_until("the unknown agent", lambda: "does not exist" in b.run(
            "return document.getElementById('main').textContent"), timeout=10)
        self.procs.stop(e.proc)
        self.assertEqual(self.console_errors(allowed=("status of 404",)), [])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--screenshots", default=os.path.join(os.getcwd(), "ui-screenshots"))
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0], "-v"] + rest)
