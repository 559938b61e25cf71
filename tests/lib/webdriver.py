"""A small W3C WebDriver client for Debian's chromedriver (no selenium here): starts
/usr/bin/chromedriver on 127.0.0.1, opens one headless Chromium session and speaks the protocol
over urllib. Chrome DevTools commands go through chromedriver's /goog/cdp/execute."""
import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

from harness import wait_until

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebDriverError(Exception):
    pass


class Browser:
    """One headless Chromium session. Every call has a timeout; close() ends both processes."""

    def __init__(self, procs, log_path, width=1280, height=900):
        self.log_file = open(log_path, "w")
        procs.files.append(self.log_file)
        # chromedriver also binds the port on IPv6 and exits when that one is taken (seen once
        # in CI: "IPv6 port not available. Exiting..."): another free port then.
        for attempt in range(5):
            self.port = free_port()
            self.driver = procs.start([CHROMEDRIVER, f"--port={self.port}",
                                       "--allowed-ips=127.0.0.1"],
                                      stdout=self.log_file, stderr=subprocess.STDOUT)
            self.base = f"http://127.0.0.1:{self.port}"
            if wait_until("chromedriver", self._ready_or_gone, timeout=20) == "ready":
                break
            self.log_file.write(f"chromedriver exited on port {self.port}; another port\n")
        else:
            raise AssertionError(f"chromedriver exited five times; see {log_path}")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-component-update",
                "--disable-default-apps", "--metrics-recording-only=false"]},
            "goog:loggingPrefs": {"browser": "ALL"},
            "timeouts": {"pageLoad": 20000, "script": 10000}}}}
        self.session = self._call("POST", "/session", caps, timeout=60)["sessionId"]

    def _ready_or_gone(self):
        if self.driver.poll() is not None:
            return "gone"
        return "ready" if self._call("GET", "/status")["ready"] else None

    def _call(self, method, path, body=None, timeout=30):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise WebDriverError(f"{method} {path}: {e.code} {e.read()[:500]!r}") from None

    def call(self, method, path, body=None, timeout=30):
        return self._call(method, f"/session/{self.session}{path}", body, timeout)

    def cdp(self, cmd, params=None):
        """A Chrome DevTools Protocol command on the current tab."""
        return self.call("POST", "/goog/cdp/execute", {"cmd": cmd, "params": params or {}})

    def basic_auth(self, user, password):
        """Every request of the tab carries these credentials (as a browser does after the
        prompt)."""
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.cdp("Network.enable")
        self.cdp("Network.setExtraHTTPHeaders", {"headers": {"Authorization": f"Basic {token}"}})

    def get(self, url):
        self.call("POST", "/url", {"url": url})

    def url(self):
        return self.call("GET", "/url")

    def run(self, script, *args):
        """Runs `script` (a function body; `arguments` are args) in the page; returns its value."""
        return self.call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def keys(self, *keys):
        """Presses and releases each key (WebDriver key codes, e.g. "\\ue004" = Tab)."""
        actions = []
        for k in keys:
            actions += [{"type": "keyDown", "value": k}, {"type": "keyUp", "value": k}]
        self.call("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard",
                                                    "actions": actions}]})

    def viewport(self, width, height, mobile=False):
        self.cdp("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def screenshot(self, path, width):
        """The whole page at `width` CSS pixels, as PNG."""
        # The content's height, not the window's: no empty band below a short page.
        height = int(self.run("return Math.ceil(document.body.getBoundingClientRect().bottom)"
                              " + 12"))
        shot = self.cdp("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": min(height, 6000), "scale": 1}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return path

    def console(self):
        """The browser's log entries since the last call: [{level, message, source?}]."""
        return self.call("POST", "/se/log", {"type": "browser"})

    def close(self):
        try:
            self.call("DELETE", "", timeout=20)
        except Exception:  # the session may already be gone; the processes are stopped anyway
            pass


def available():
    return os.access(CHROMEDRIVER, os.X_OK) and os.access(CHROMIUM, os.X_OK)
