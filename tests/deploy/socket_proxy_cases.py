"""The request lines the socket proxy (deploy/socket-proxy/haproxy.cfg) must let through and those
it must refuse, shared by test_deploy_files.py (the config's patterns, without HAProxy) and
test_socket_proxy.py (HAProxy in front of a real engine)."""
import json
import urllib.parse

API = "/v1.41"  # the private engine's version; the exporter negotiates it


def _q(value):
    # As the exporter encodes (collectors/docker/docker_client.cc UrlEncode): unreserved kept.
    return urllib.parse.quote(json.dumps(value, separators=(",", ":")), safe="-_.~")


LIST_FILTER = _q({"label": ["evonic.managed=1"]})
EVENTS_FILTER = _q({"type": ["container"], "label": ["evonic.managed=1"]})


def allowed(cid, since="1795000000.000000000"):
    """(method, target) of every request the exporter sends, versioned and not."""
    out = []
    for v in (API, ""):
        out += [
            ("GET", f"{v}/_ping"),
            ("GET", f"{v}/version"),
            ("GET", f"{v}/info"),
            ("GET", f"{v}/containers/json?filters={LIST_FILTER}"),
            ("GET", f"{v}/containers/json"),
            ("GET", f"{v}/containers/{cid}/json"),
            ("GET", f"{v}/containers/{cid}/stats?stream=false&one-shot=true"),
            ("GET", f"{v}/containers/{cid}/stats?stream=false"),  # engines before API 1.41
            ("GET", f"{v}/events?since={since}&filters={EVENTS_FILTER}"),
        ]
    return out


def refused(cid, name):
    """(method, target, why): everything here must be refused before it reaches the engine."""
    up = cid.upper()
    return [
        # The hole in tecnativa's CONTAINERS=1: every sandbox's files and output.
        ("GET", f"/containers/{cid}/archive?path=/", "files of a sandbox"),
        ("GET", f"{API}/containers/{cid}/archive?path=/workspace", "files of a sandbox"),
        ("HEAD", f"/containers/{cid}/archive?path=/", "stat of a sandbox's file"),
        ("GET", f"/containers/{cid}/export", "a sandbox's whole filesystem"),
        ("GET", f"{API}/containers/{cid}/export", "a sandbox's whole filesystem"),
        ("GET", f"/containers/{cid}/logs?stdout=1&stderr=1", "a sandbox's output"),
        ("GET", f"{API}/containers/{cid}/logs?stdout=1", "a sandbox's output"),
        ("GET", f"/containers/{cid}/attach/ws?stream=1&stdout=1", "attach over a WebSocket"),
        ("GET", f"/containers/{cid}/top", "a sandbox's processes"),
        ("GET", f"/containers/{cid}/changes", "a sandbox's changed files"),
        ("GET", f"/containers/{cid}/stats", "a stream the exporter does not use"),
        ("GET", f"{API}/exec/x/json", "exec instances"),
        # Other GET endpoints.
        ("GET", "/images/json", "images"),
        ("GET", f"{API}/images/json", "images"),
        ("GET", "/volumes", "volumes"),
        ("GET", "/networks", "networks"),
        ("GET", "/system/df", "disk usage"),
        ("GET", "/plugins", "plugins"),
        ("GET", "/swarm", "swarm"),
        ("GET", "/secrets", "secrets"),
        ("GET", "/configs", "configs"),
        ("GET", "/services", "services"),
        ("GET", "/distribution/busybox/json", "registry look-ups"),
        ("GET", "/info?x", "a query the exporter does not send"),
        ("GET", "/version?x=1", "a query the exporter does not send"),
        ("GET", f"/containers/json?filters={LIST_FILTER}&all=1&size=1", "extra query parameters"),
        ("GET", f"/containers/{cid}/json?size=1", "extra query parameters"),
        ("GET", f"/containers/{cid}/stats?stream=false&one-shot=true&stream=true",
         "a repeated parameter"),
        ("GET", f"/containers/{cid}/stats?stream=false;stream=true", "a ';' separator"),
        ("GET", f"/events?since=1&filters={EVENTS_FILTER}&until=2", "extra query parameters"),
        ("GET", "/events", "the event stream without the exporter's parameters"),
        # Anything but GET, on any path, the allowed ones included.
        ("POST", f"/containers/{cid}/exec", "exec"),
        ("POST", f"{API}/containers/{cid}/exec", "exec"),
        ("POST", "/exec/x/start", "exec"),
        ("POST", "/containers/create", "a new container"),
        ("POST", f"{API}/containers/create?name=x", "a new container"),
        ("POST", f"/containers/{cid}/kill", "killing a sandbox"),
        ("POST", f"/containers/{cid}/stop", "stopping a sandbox"),
        ("POST", f"/containers/{cid}/pause", "pausing a sandbox"),
        ("POST", f"/containers/{cid}/attach?stream=1&stdin=1", "attach"),
        ("DELETE", f"/containers/{cid}?force=1", "removing a sandbox"),
        ("DELETE", f"{API}/containers/{cid}?force=true", "removing a sandbox"),
        ("PUT", f"/containers/{cid}/archive?path=/tmp", "writing into a sandbox"),
        ("POST", "/images/create?fromImage=busybox", "pulling"),
        ("POST", "/build", "building"),
        ("POST", "/session", "a hijacked session"),
        ("POST", "/containers/json", "POST on an allowed path"),
        ("POST", f"/containers/{cid}/json", "POST on an allowed path"),
        ("HEAD", "/_ping", "HEAD on an allowed path"),
        ("HEAD", f"/containers/{cid}/json", "HEAD on an allowed path"),
        ("OPTIONS", "/containers/json", "OPTIONS"),
        ("PATCH", f"/containers/{cid}/json", "PATCH"),
        # Unknown paths.
        ("GET", "/", "unknown"),
        ("GET", "/foo", "unknown"),
        ("GET", "/containers", "unknown"),
        ("GET", "/containers/", "unknown"),
        ("GET", f"{API}/", "unknown"),
        ("GET", "/v2.0/containers/json", "not an API version"),
        ("GET", "/V1.41/containers/json", "not an API version"),
        ("GET", "/v1.41.0/containers/json", "not an API version"),
        # Path tricks that a looser pattern (or the engine's path cleaning) would turn into the
        # archive, export or logs of a sandbox.
        ("GET", f"/containers/json/../{cid}/archive?path=/", "dot segments"),
        ("GET", f"/containers/{cid}/json/../archive?path=/", "dot segments"),
        ("GET", f"/containers/{cid}/./archive?path=/", "dot segments"),
        ("GET", f"//containers/{cid}/archive?path=/", "a doubled slash"),
        ("GET", f"//containers/{cid}/json", "a doubled slash"),
        ("GET", f"/containers//{cid}/json", "a doubled slash"),
        ("GET", f"/containers/{cid}//json", "a doubled slash"),
        ("GET", f"/containers/{cid}%2Farchive?path=/", "a percent-encoded slash"),
        ("GET", f"/containers/{cid}%2farchive?path=/", "a percent-encoded slash"),
        ("GET", f"/containers/{cid}/json%2F..%2Farchive?path=/", "percent-encoded dot segments"),
        ("GET", f"/containers/{cid}/%6Aso%6E", "a percent-encoded allowed word"),
        ("GET", f"/containers/{cid}/json/", "a trailing slash"),
        ("GET", f"/containers/{cid[:63]}/json", "a 63-character id"),
        ("GET", f"/containers/{cid}0/json", "a 65-character id"),
        ("GET", f"/containers/{up}/json", "an uppercase id"),
        ("GET", f"/containers/{cid[:12]}/json", "a short id"),
        ("GET", f"/containers/{name}/json", "a name"),
        ("GET", f"/containers/{name}/archive?path=/", "a name"),
        ("GET", f"http://localhost/containers/{cid}/archive?path=/", "an absolute-form target"),
        ("GET", f"http://localhost{API}/containers/{cid}/json", "an absolute-form target"),
    ]


def pattern_admits(patterns, method, target):
    """What the config's rules decide for a request without headers of note: GET and one pattern
    matching the whole target."""
    return method == "GET" and any(p.search(target) for p in patterns)
