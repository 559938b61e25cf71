#!/usr/bin/env python3
"""A fake Docker engine that replays recorded answers on a unix socket, for integration tests.

Usage: fake_engine.py --socket PATH --scenario DIR [--log FILE] [--chunked]

Prints READY on stdout once it listens. Python 3 standard library only. See README.md next to this file
for the scenario layout, the routes and the control API (/_fake/...).
"""
import argparse
import collections
import copy
import datetime
import json
import os
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

TARGETS = ("version", "list", "inspect", "stats", "all")
KINDS = ("404", "500", "garbage", "truncated", "stall", "none")
GARBAGE = b"<html><body>502 Bad Gateway</body></html>\x00\xff not JSON {"
VERSION_RE = re.compile(r"^/v(\d+)\.(\d+)(/.*)$")


def compact(doc):
    """The engine's encoding (Go encoding/json): compact, final newline."""
    return (json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def vkey(v):
    """'1.41' -> (1, 41) for comparisons."""
    major, _, minor = str(v).partition(".")
    return (int(major), int(minor or 0))


class Container:
    def __init__(self, cid, name, entry, inspect, stats):
        self.id = cid
        self.name = name  # without the leading /
        self.entry = entry  # list entry (dict)
        self.inspect = inspect  # raw bytes
        self.stats = stats  # raw bytes


class Scenario:
    """The recorded answers, read once."""

    def __init__(self, folder):
        def read(*p):
            with open(os.path.join(folder, *p), "rb") as f:
                return f.read()

        self.version_raw = read("version.json")
        self.version = json.loads(self.version_raw)
        self.list_raw = read("containers.json")
        listing = json.loads(self.list_raw)
        self.containers = []
        for entry in listing:
            cid = entry["Id"]
            name = entry["Names"][0].lstrip("/")
            inspect = self._find(folder, "inspect", name, cid)
            stats = self._find(folder, "stats", name, cid)
            self.containers.append(Container(cid, name, entry, inspect, stats))
        # Wording of the engine's "too old" / "too new" errors (recorded; fall back to 20.10's).
        self.too_old = "client version {v} is too old. Minimum supported API version is {min}, " \
                       "please upgrade your client to a newer version"
        self.too_new = "client version {v} is too new. Maximum supported API version is {max}"
        try:
            text = read("error-400-version-too-old.json").decode().strip()
            m = re.match(r"^client version (\S+) is too old\. Minimum supported API version is (\S+), (.*)$",
                         text)
            if m:
                self.too_old = "client version {v} is too old. Minimum supported API version is {min}, " + \
                    m.group(3).replace("{", "{{").replace("}", "}}")
        except OSError:
            pass

    @staticmethod
    def _find(folder, sub, name, cid):
        for key in (name, cid, cid[:12]):
            p = os.path.join(folder, sub, key + ".json")
            if os.path.exists(p):
                with open(p, "rb") as f:
                    return f.read()
        return None


REPLAY = 256  # the engine keeps the last 256 events for `since` replays (moby daemon/events)
SUBSCRIBER_QUEUE = 1 << 20  # a subscriber further behind than this is dropped, as the engine does


class Subscriber:
    def __init__(self):
        self.queue = collections.deque()
        self.cut = None  # bytes to send before hanging up mid-line, or None
        self.dropped = False


class EventLog:
    """The engine's event side: a 256-event replay buffer and live subscribers. Guarded by cond."""

    def __init__(self):
        self.cond = threading.Condition()
        self.buffer = collections.deque(maxlen=REPLAY)  # (time_nano, raw line, doc)
        self.subscribers = set()
        self.refuse = False
        self.emitted = 0
        self.connections = 0
        self.generators_running = 0
        self.live = {}  # container id -> Container made live by emitted create/start events
        self.last_nano = 0

    def next_nano(self, wanted=None):
        """Strictly increasing engine times (the real engine's clock, in ns)."""
        t = wanted if wanted is not None else time.time_ns()
        self.last_nano = max(self.last_nano + 1, t)
        return self.last_nano

    def emit(self, docs, track_live=None):
        with self.cond:
            for doc in docs:
                raw = compact(doc)
                self.buffer.append((doc.get("timeNano", 0), raw, doc))
                self.emitted += 1
                for sub in self.subscribers:
                    if len(sub.queue) >= SUBSCRIBER_QUEUE:
                        sub.dropped = True
                    else:
                        sub.queue.append((raw, doc))
                if track_live is not None:
                    track_live(doc)
            self.cond.notify_all()


class State:
    """What the tests changed through /_fake/. Guarded by lock."""

    def __init__(self, scenario):
        self.lock = threading.Lock()
        self.scenario = scenario
        self.requests = []
        self.reset()

    def reset(self):
        self.events = getattr(self, "events", None) or EventLog()
        self.faults = {}  # (target, container id or None) -> {"kind", "seconds"}
        self.api_version = None
        self.min_api_version = None
        self.removed = set()  # container ids
        self.honour_one_shot = False  # POST /_fake/one-shot
        self.release = threading.Event()  # set on reset: stalled requests go on


class FakeEngine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512  # socketserver's default 5 refuses bursts of unix-socket connects at once

    def __init__(self, path, scenario, log, chunked=False):
        self.state = State(scenario)
        self.logfile = log
        self.chunked = chunked
        self.log_lock = threading.Lock()
        super().__init__(path, Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Docker/20.10.24+dfsg1"
    sys_version = "(linux)"

    # --- plumbing -------------------------------------------------------------------------------------
    def address_string(self):
        return "unix"

    def log_message(self, fmt, *args):  # quiet on stderr; --log gets one line per answer
        pass

    def version_string(self):
        return f"{self.server_version} {self.sys_version}"

    def _log(self, status, note=""):
        if not self.server.logfile:
            return
        line = "%s %s %s %s%s\n" % (datetime.datetime.now().isoformat(timespec="milliseconds"), self.command,
                                   self.path, status, (" " + note) if note else "")
        with self.server.log_lock:
            with open(self.server.logfile, "a", encoding="utf-8") as f:
                f.write(line)

    def _send(self, status, body, ctype="application/json", note="", chunkable=False):
        st = self.server.state
        # Like the engine (Go net/http): with --chunked, bodies over 2048 bytes go chunked.
        chunked = chunkable and self.server.chunked and len(body) > 2048
        try:
            self.send_response(status)
            api = st.api_version or st.scenario.version.get("ApiVersion", "1.41")
            self.send_header("Api-Version", api)
            self.send_header("Content-Type", ctype)
            self.send_header("Docker-Experimental", "false")
            self.send_header("Ostype", "linux")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                if chunked:
                    for i in range(0, len(body), 2048):
                        part = body[i:i + 2048]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            note = (note + " client-gone").strip()
        self.close_connection = True
        self._log(status, note)

    def _error(self, status, message, note=""):
        self._send(status, compact({"message": message}), note=note)

    # --- requests -------------------------------------------------------------------------------------
    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self):
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        if path.startswith("/_fake/"):
            return self._control(path)
        st = self.server.state
        with st.lock:
            st.requests.append({"method": self.command, "path": self.path})
        try:
            self._engine(path)
        except Exception as e:  # a bug here must not kill the thread silently
            self._error(500, f"fake engine: {type(e).__name__}: {e}", note="exception")

    def _engine(self, path):
        st = self.server.state
        sc = st.scenario
        version = None
        m = VERSION_RE.match(path)
        if m:
            version = f"{m.group(1)}.{m.group(2)}"
            path = m.group(3)

        # Route first, so that faults and errors can depend on the route.
        target, container_ref, body_fn = None, None, None
        if path == "/_ping" and self.command in ("GET", "HEAD"):
            target = "ping"
        elif path == "/version" and self.command == "GET":
            target = "version"
        elif path == "/containers/json" and self.command == "GET":
            target = "list"
        elif path == "/events" and self.command == "GET":
            return self._events()
        else:
            cm = re.match(r"^/containers/([^/]+)/(json|stats)$", path)
            if cm and self.command == "GET":
                container_ref = urllib.parse.unquote(cm.group(1))
                target = "inspect" if cm.group(2) == "json" else "stats"
        if target is None:
            return self._error(404, "page not found")

        with st.lock:
            api = st.api_version or sc.version.get("ApiVersion", "1.41")
            min_api = st.min_api_version or sc.version.get("MinAPIVersion", "1.12")
        if version is not None and target != "ping":
            if vkey(version) < vkey(min_api):
                msg = sc.too_old.format(v=version, min=min_api)
                # Like the engine: versions below 1.24 get the old plain-text error format.
                if vkey(version) < (1, 24):
                    return self._send(400, (msg + "\n").encode(), ctype="text/plain; charset=utf-8")
                return self._error(400, msg)
            if vkey(version) > vkey(api):
                return self._error(400, sc.too_new.format(v=version, max=api))

        container = None
        if container_ref is not None:
            container, err = self._resolve(container_ref)
            if err:
                return self._error(*err)

        fault = self._fault_for(target, container)
        if fault and fault["kind"] == "stall":
            released = st.release.wait(fault["seconds"])
            note = "stalled, released" if released else "stalled %gs" % fault["seconds"]
            fault = None
        else:
            note = ""
        if fault:
            kind = fault["kind"]
            note = "fault " + kind
            if kind == "404":
                if container is not None:
                    return self._error(404, f"No such container: {container_ref}", note=note)
                return self._error(404, "page not found", note=note)
            if kind == "500":
                return self._error(500, "fake engine: injected server error", note=note)
            if kind == "garbage":
                return self._send(200, GARBAGE, note=note)

        if target == "ping":
            body, ctype = b"OK", "text/plain; charset=utf-8"
        elif target == "version":
            body, ctype = self._version_body(), "application/json"
        elif target == "list":
            body, ctype = self._list_body(), "application/json"
        elif target == "inspect":
            body, ctype = container.inspect, "application/json"
        else:
            body, ctype = container.stats, "application/json"
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            with st.lock:
                honour = st.honour_one_shot
            if honour and body is not None and query.get("one-shot") in (["true"], ["1"]):
                body = one_shot_form(body)
        if body is None:
            return self._error(500, f"fake engine: scenario has no {target} answer for {container.name}")
        if fault and fault["kind"] == "truncated":
            return self._send(200, body[: max(1, len(body) // 2)], ctype=ctype, note=note)
        self._send(200, body, ctype=ctype, note=note, chunkable=True)

    def _resolve(self, ref):
        """Like the engine: full id, then exact name, then unique id prefix. -> (container, error)"""
        st = self.server.state
        with st.lock:
            live = [c for c in st.scenario.containers if c.id not in st.removed]
        with st.events.cond:
            live += list(st.events.live.values())
        name = ref.lstrip("/")
        for c in live:
            if c.id == ref:
                return c, None
        for c in live:
            if c.name == name:
                return c, None
        hits = [c for c in live if ref and c.id.startswith(ref.lower())] if re.fullmatch(r"[0-9a-fA-F]+", ref) \
            else []
        if len(hits) == 1:
            return hits[0], None
        if len(hits) > 1:
            return None, (400, f"Multiple IDs found with provided prefix: {ref}")
        return None, (404, f"No such container: {ref}")

    def _fault_for(self, target, container):
        st = self.server.state
        cid = container.id if container is not None else None
        with st.lock:
            # Most specific first: this route and container, this route, all routes and container, all.
            for key in ((target, cid), (target, None), ("all", cid), ("all", None)):
                f = st.faults.get(key)
                if f:
                    return dict(f)
        return None

    def _version_body(self):
        st = self.server.state
        with st.lock:
            api, min_api = st.api_version, st.min_api_version
        if api is None and min_api is None:
            return st.scenario.version_raw
        doc = copy.deepcopy(st.scenario.version)
        places = [doc] + [c.get("Details", {}) for c in doc.get("Components", []) if c.get("Name") == "Engine"]
        for d in places:
            if api is not None:
                d["ApiVersion"] = api
            if min_api is not None:
                d["MinAPIVersion"] = min_api
        return compact(doc)

    def _list_body(self):
        st = self.server.state
        with st.events.cond:
            extra = [c.entry for c in st.events.live.values()]
        with st.lock:
            if not st.removed and not extra:
                return st.scenario.list_raw
            return compact([c.entry for c in st.scenario.containers if c.id not in st.removed] + extra)

    # --- events ---------------------------------------------------------------------------------------
    def _events(self):
        """GET /events: the replay of buffered events at or after `since` (inclusive, as the engine), then
        live events, as chunked JSON lines; no keep-alive, nothing while quiet."""
        st = self.server.state
        log = st.events
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        with log.cond:
            if log.refuse:
                refused = True
            else:
                refused = False
                log.connections += 1
        if refused:
            return self._error(500, "fake engine: event stream refused", note="events refused")
        since = parse_since(query.get("since", [""])[0])
        try:
            filters = json.loads(query.get("filters", ["{}"])[0] or "{}")
        except ValueError:
            return self._error(400, "invalid filters")
        sub = Subscriber()
        with log.cond:
            replay = [(raw, doc) for (t, raw, doc) in log.buffer if since is None or t >= since]
            log.subscribers.add(sub)
        try:
            self.send_response(200)
            self.send_header("Api-Version", st.scenario.version.get("ApiVersion", "1.41"))
            self.send_header("Content-Type", "application/json")
            self.send_header("Docker-Experimental", "false")
            self.send_header("Ostype", "linux")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
            self._log(200, "events stream, %d replayed" % len(replay))
            for raw, doc in replay:
                if matches(doc, filters):
                    self._chunk(raw)
            self.wfile.flush()
            while True:
                with log.cond:
                    log.cond.wait_for(lambda: sub.queue or sub.cut is not None or sub.dropped,
                                      timeout=0.5)
                    batch = list(sub.queue)
                    sub.queue.clear()
                    cut, dropped = sub.cut, sub.dropped
                for raw, doc in batch:
                    if matches(doc, filters):
                        self._chunk(raw)
                self.wfile.flush()
                if cut is not None:
                    if cut:
                        self._chunk(cut)  # half a line, then the connection drops
                        self.wfile.flush()
                    break
                if dropped:
                    break  # a slow subscriber: the engine just drops it
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            with log.cond:
                log.subscribers.discard(sub)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _track_live(self, doc):
        """Containers made live by emitted events appear in the list, inspect and stats (answers made from
        the scenario's first container), until their destroy. Called under the event log's lock."""
        st = self.server.state
        action, cid = doc.get("Action", ""), doc.get("id", "")
        if doc.get("Type") != "container" or not cid:
            return
        if action == "destroy":
            st.events.live.pop(cid, None)
            return
        if action not in ("start", "create") or cid in st.events.live:
            return
        attrs = dict(doc.get("Actor", {}).get("Attributes", {}))
        name = attrs.pop("name", cid[:12])
        image = attrs.pop("image", "evonic-sandbox:test")
        template = st.scenario.containers[0]
        entry = copy.deepcopy(template.entry)
        entry.update({"Id": cid, "Names": ["/" + name], "Image": image, "Labels": attrs})
        inspect = json.loads(template.inspect)
        inspect.update({"Id": cid, "Name": "/" + name})
        inspect.setdefault("Config", {})["Labels"] = attrs
        started = datetime.datetime.fromtimestamp(doc.get("timeNano", 0) / 1e9, datetime.timezone.utc)
        inspect.setdefault("State", {})["StartedAt"] = started.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        stats = json.loads(template.stats) if template.stats else {}
        stats.update({"id": cid, "name": "/" + name})
        st.events.live[cid] = Container(cid, name, entry, compact(inspect), compact(stats))

    def _events_control(self, path, req):
        st = self.server.state
        log = st.events
        if path == "/_fake/events/emit":
            docs = []
            if req.get("file"):
                with open(req["file"], "rb") as f:
                    for line in f:
                        if line.strip():
                            docs.append(json.loads(line))
            docs += list(req.get("events", []))
            if req.get("retime", True):
                with log.cond:
                    docs = retime(docs, log)
            log.emit(docs, self._track_live if req.get("track_live", True) else None)
            return self._send(200, compact({"ok": True, "count": len(docs),
                                            "events": [{"id": d.get("id"), "Action": d.get("Action"),
                                                        "timeNano": d.get("timeNano")} for d in docs]}))
        if path == "/_fake/events/cut":
            with log.cond:
                last = log.buffer[-1][1] if log.buffer else b'{"status":"exec_die","id":"'
                for sub in log.subscribers:
                    sub.cut = last[: max(1, len(last) // 2)] if req.get("mid_line", True) else b""
                n = len(log.subscribers)
                log.cond.notify_all()
            return self._send(200, compact({"ok": True, "cut": n}))
        if path == "/_fake/events/refuse":
            with log.cond:
                log.refuse = bool(req.get("on", True))
            return self._send(200, compact({"ok": True}))
        if path == "/_fake/events/synthetic":
            n, execs = int(req.get("sandboxes", 1000)), int(req.get("execs", 2))
            agents = int(req.get("agents", 4))
            threading.Thread(target=self._synthetic, args=(n, execs, agents), daemon=True).start()
            return self._send(200, compact({"ok": True}))
        return self._error(404, "page not found")

    def _synthetic(self, n, execs, agents):
        """Short-lived sandboxes, as many as asked, each with `execs` tool calls (bash, python3, sh in
        turn; every third fails), an oom now and then, and an exec whose start failed (no exec_die)."""
        log = self.server.state.events
        with log.cond:
            log.generators_running += 1
        commands = ["bash -s", "python3 -", "sh -c true"]
        try:
            for i in range(n):
                agent = "synth-%d" % (i % agents)
                cid = "%064x" % (0x5e000000000 + i)
                attrs = {"evonic.managed": "1", "image": "evonic-sandbox:test",
                         "name": "evonic-%s-%08x" % (agent, i)}

                def ev(action, extra=None):
                    a = dict(attrs)
                    a.update(extra or {})
                    with log.cond:
                        t = log.next_nano()
                    return {"status": action, "id": cid, "from": "evonic-sandbox:test", "Type": "container",
                            "Action": action, "Actor": {"ID": cid, "Attributes": a}, "scope": "local",
                            "time": t // 1000000000, "timeNano": t}
                docs = [ev("create"), ev("start")]
                for k in range(execs):
                    eid = "%064x" % (i * 1000 + k)
                    cmd = commands[k % len(commands)]
                    docs += [ev("exec_create: " + cmd, {"execID": eid}),
                             ev("exec_start: " + cmd, {"execID": eid}),
                             ev("exec_die", {"execID": eid, "exitCode": "1" if k % 3 == 2 else "0"})]
                docs.append(ev("exec_create: bash -s", {"execID": "%064x" % (i * 1000 + 999)}))
                if i % 10 == 0:
                    docs.append(ev("oom"))
                docs += [ev("kill", {"signal": "9"}), ev("die", {"exitCode": "137"}), ev("destroy")]
                log.emit(docs)
                if i % 200 == 199:
                    time.sleep(0.001)  # let readers breathe; the engine's own pace is far slower
        finally:
            with log.cond:
                log.generators_running -= 1

    # --- control API ----------------------------------------------------------------------------------
    def _control(self, path):
        st = self.server.state
        if self.command == "GET" and path == "/_fake/requests":
            with st.lock:
                return self._send(200, compact(st.requests))
        if self.command == "GET" and path == "/_fake/state":
            with st.lock:
                doc = {"faults": [{"target": t, "container": c, **f} for (t, c), f in st.faults.items()],
                       "api_version": st.api_version, "min_api_version": st.min_api_version,
                       "removed": sorted(st.removed),
                       "containers": [{"id": c.id, "name": c.name} for c in st.scenario.containers
                                      if c.id not in st.removed]}
            return self._send(200, compact(doc))
        if self.command == "GET" and path == "/_fake/events/state":
            log = st.events
            with log.cond:
                doc = {"subscribers": len(log.subscribers), "emitted": log.emitted,
                       "connections": log.connections, "generators_running": log.generators_running,
                       "live": sorted(log.live), "refuse": log.refuse}
            return self._send(200, compact(doc))
        if self.command != "POST":
            return self._error(404, "page not found")
        try:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            req = json.loads(raw) if raw.strip() else {}
            if not isinstance(req, dict):
                raise ValueError("the body must be a JSON object")
        except ValueError as e:
            return self._error(400, f"bad control request: {e}")

        if path.startswith("/_fake/events/"):
            return self._events_control(path, req)
        if path == "/_fake/requests/clear":
            with st.lock:
                st.requests.clear()
            return self._send(200, compact({"ok": True}))
        if path == "/_fake/reset":
            with st.lock:
                st.release.set()
                st.reset()
            return self._send(200, compact({"ok": True}))
        if path == "/_fake/fault":
            target = req.get("target")
            kind = str(req.get("kind", ""))
            if target not in TARGETS or kind not in KINDS:
                return self._error(400, f"target must be one of {TARGETS}, kind one of {KINDS}")
            try:
                seconds = float(req.get("seconds", 3600))
            except (TypeError, ValueError):
                return self._error(400, "seconds must be a number")
            cid = None
            if req.get("container"):
                c, err = self._resolve(str(req["container"]))
                if err:
                    return self._error(*err)
                cid = c.id
            with st.lock:
                if kind == "none":
                    st.faults.pop((target, cid), None)
                else:
                    st.faults[(target, cid)] = {"kind": kind, "seconds": seconds}
            return self._send(200, compact({"ok": True, "target": target, "container": cid, "kind": kind}))
        if path == "/_fake/api":
            api, min_api = req.get("api_version"), req.get("min_api_version")
            try:
                for v in (api, min_api):
                    if v is not None:
                        vkey(v)
            except ValueError:
                return self._error(400, "versions must look like 1.44")
            with st.lock:
                if api is not None:
                    st.api_version = str(api)
                if min_api is not None:
                    st.min_api_version = str(min_api)
            return self._send(200, compact({"ok": True}))
        if path == "/_fake/one-shot":
            with st.lock:
                st.honour_one_shot = bool(req.get("honour", True))
            return self._send(200, compact({"ok": True, "honour": st.honour_one_shot}))
        if path == "/_fake/remove":
            c, err = self._resolve(str(req.get("container", "")))
            if err:
                return self._error(*err)
            with st.lock:
                st.removed.add(c.id)
            return self._send(200, compact({"ok": True, "removed": c.id}))
        return self._error(404, "page not found")


def one_shot_form(body):
    """A recorded two-sample stats answer as the engine sends it with one-shot=true: no previous
    sample (precpu_stats zeros without system_cpu_usage and online_cpus, preread Go's zero time),
    as recorded in tests/fixtures/engine-docker20.10/stats-oneshot/."""
    doc = json.loads(body)
    doc["preread"] = "0001-01-01T00:00:00Z"
    doc["precpu_stats"] = {
        "cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
        "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}}
    return compact(doc)


def parse_since(text):
    """The engine's `since`: "<seconds>[.<fraction>]" -> ns (None when absent or unusable)."""
    m = re.fullmatch(r"(\d+)(?:\.(\d{1,9}))?", text or "")
    if not m:
        return None
    return int(m.group(1)) * 1000000000 + int((m.group(2) or "0").ljust(9, "0"))


def matches(doc, filters):
    """The engine's filters for the keys the exporter uses: type and label (key or key=value)."""
    types = filters.get("type") or []
    if types and doc.get("Type") not in types:
        return False
    attrs = doc.get("Actor", {}).get("Attributes", {})
    for f in filters.get("label") or []:
        key, eq, value = f.partition("=")
        if key not in attrs or (eq and attrs[key] != value):
            return False
    return True


def retime(docs, log):
    """Recorded events moved to now, keeping their spacing (the exporter follows from its start time)."""
    if not docs:
        return docs
    base = min(d.get("timeNano", 0) for d in docs)
    now = time.time_ns()
    out = []
    for d in docs:
        d = copy.deepcopy(d)
        t = log.next_nano(now + (d.get("timeNano", base) - base))
        d["timeNano"], d["time"] = t, t // 1000000000
        out.append(d)
    return out


def main():
    ap = argparse.ArgumentParser(description="A fake Docker engine replaying recorded answers.")
    ap.add_argument("--socket", required=True, help="unix socket path to listen on (a stale one is removed)")
    ap.add_argument("--scenario", required=True, help="folder with version.json, containers.json, inspect/, stats/")
    ap.add_argument("--log", help="append one line per answered request to this file")
    ap.add_argument("--chunked", action="store_true",
                    help="send 200 bodies over 2048 bytes with Transfer-Encoding: chunked, as the real engine "
                         "does (default: Content-Length on every answer)")
    a = ap.parse_args()

    scenario = Scenario(a.scenario)
    if os.path.exists(a.socket) or os.path.islink(a.socket):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(a.socket)
            sys.exit(f"{a.socket}: something is listening there already")
        except OSError:
            os.unlink(a.socket)
        finally:
            probe.close()
    server = FakeEngine(a.socket, scenario, a.log, a.chunked)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("READY", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.state.release.set()
        server.server_close()
        try:
            os.unlink(a.socket)
        except OSError:
            pass


if __name__ == "__main__":
    main()
