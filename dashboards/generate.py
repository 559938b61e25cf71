#!/usr/bin/env python3
"""Writes the Grafana dashboards of this folder (pool-overview.json, agent-drilldown.json) from the
panel lists below: one place for the layout rules every panel follows (a title, a description and a
unit; the datasource variable; rates over $__rate_interval; counters only inside rate/increase).

Run after editing:  python3 dashboards/generate.py        (tests check the JSON is up to date:
                    python3 dashboards/generate.py --check)"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}
RI = "$__rate_interval"
POOL_UID = "evonic-sandbox-pool"
AGENT_UID = "evonic-sandbox-agent"

# The thresholds of deploy/prometheus/rules.yml, drawn on the ratio panels that show what each rule
# compares (test_deploy_files.py checks every ratio panel's steps against the rules). The CPU and
# memory rules compare against evonic_sandbox_alert_threshold_ratio, per agent: the panels draw
# the built-in default (model/alert_thresholds.h), which --thresholds.file may change per agent.
AGENT_DEFAULT = 0.9     # EvonicSandboxCpuNearLimit, EvonicSandboxMemoryNearLimit (the default)
PIDS = 0.9              # EvonicSandboxPidsNearLimit
POOL = 0.9              # EvonicSandboxPoolNearCapacity
THROTTLED = 0.25        # EvonicSandboxCpuThrottled (severity info)
WARNING, INFO = "red", "orange"  # the colour of a threshold step, by the rule's severity


def thresholds(steps=(), base="green"):
    """Explicit steps, so that no panel keeps Grafana's default (red at 80)."""
    return {"mode": "absolute",
            "steps": [{"value": None, "color": base}] +
                     [{"value": v, "color": c} for v, c in steps]}


def link(title, url, tooltip, include_vars=False, keep_time=False):
    """A dashboard link or a data link. Grafana's data links have no includeVars/keepTime (the
    schema's DashboardLink type asks for the keys): their URL carries variables and time range."""
    return {"title": title, "type": "link", "url": url, "icon": "dashboard", "tooltip": tooltip,
            "tags": [], "asDropdown": False, "targetBlank": False, "includeVars": include_vars,
            "keepTime": keep_time}


def to_drilldown(agent, session=None):
    """A data link from a per-agent series (or table row) to the agent's drill-down, carrying the
    agent (and session), the datasource and engine variables and the time range."""
    url = (f"/d/{AGENT_UID}/?var-agent_id={agent}" +
           (f"&var-session_id={session}" if session else "") +
           "&${datasource:queryparam}&${instance:queryparam}&${__url_time_range}")
    return link("Agent drill-down", url, "This agent's sessions, tools and OOM kills")


AGENT_LINK = to_drilldown("${__field.labels.agent_id}")
SESSION_LINK = to_drilldown("${__field.labels.agent_id}", "${__field.labels.session_id}")
ROW_LINK = to_drilldown("${__data.fields.agent_id}")  # tables: the row's agent_id column


def panel(kind, title, description, unit, targets, w=12, h=8, steps=(), base="green", links=(),
          **options):
    """One panel; targets are (expr, legend) pairs. Grid positions are filled in by layout().
    Every panel has explicit thresholds (`steps` above the `base` colour); a 0-1 ratio
    (percentunit) is drawn from 0 to 1; a time series draws its threshold steps as dashed lines,
    a stat or bar gauge takes its colour from them."""
    defaults = {"unit": unit, "thresholds": thresholds(steps, base)}
    if unit == "percentunit":
        defaults.update({"min": 0, "max": 1})
    if steps and kind == "timeseries":
        defaults["custom"] = {"thresholdsStyle": {"mode": "dashed"}}
    if kind in ("stat", "bargauge"):
        defaults["color"] = {"mode": "thresholds"}
    if links:
        defaults["links"] = list(links)
    p = {
        "type": kind, "title": title, "description": description, "datasource": DS,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options or {},
        # Tables read instant results as rows; bar gauges read instant series (one bar each,
        # named by the legend, with labels for their data links).
        "targets": [{"datasource": DS, "expr": e, "legendFormat": l, "refId": chr(65 + i),
                     **({"instant": True, "format": "table"} if kind == "table" else
                        {"instant": True, "format": "time_series"} if kind == "bargauge" else {})}
                    for i, (e, l) in enumerate(targets)],
        "gridPos": {"w": w, "h": h, "x": 0, "y": 0},
    }
    return p


def annotations(selector):
    """OOM kills, sandboxes created and destroyed, from the exporter's per-agent counters (which
    carry no session_id: the drill-down's panels and the REST API name the session)."""
    def one(name, color, counter, title, text):
        return {"name": name, "datasource": DS, "enable": True, "hide": False,
                "iconColor": color,
                "expr": f"increase({counter}{selector}[{RI}]) > 0",
                "titleFormat": title, "textFormat": text, "tagKeys": "agent_id,instance"}
    per_agent = " (counted per agent, not per session)"
    return [
        one("OOM kills", "red", "evonic_sandbox_oom_kills_total", "OOM kill: agent {{agent_id}}",
            "The kernel killed a process for lack of memory in a sandbox of agent {{agent_id}} "
            "on {{instance}}" + per_agent + "."),
        one("Sandboxes created", "green", "evonic_sandbox_created_total",
            "Sandbox created: agent {{agent_id}}",
            "A sandbox of agent {{agent_id}} was created on {{instance}}" + per_agent + "."),
        one("Sandboxes destroyed", "blue", "evonic_sandbox_destroyed_total",
            "Sandbox destroyed: agent {{agent_id}}",
            "A sandbox of agent {{agent_id}} was removed on {{instance}}" + per_agent + "."),
    ]


def layout(panels):
    x = y = row_h = 0
    for i, p in enumerate(panels, start=1):
        g = p["gridPos"]
        if x + g["w"] > 24:
            x, y, row_h = 0, y + row_h, 0
        g["x"], g["y"] = x, y
        x += g["w"]
        row_h = max(row_h, g["h"])
        p["id"] = i  # panel ids are per dashboard; the dashboard itself has none
    return panels


def datasource_var():
    return {"type": "datasource", "name": "datasource", "label": "Prometheus", "query": "prometheus",
            "current": {"text": "Prometheus", "value": "prometheus"}, "hide": 0}


def query_var(name, label, query, multi=False):
    v = {"type": "query", "name": name, "label": label, "datasource": DS, "query": query,
         "definition": query, "refresh": 2, "sort": 1, "hide": 0, "multi": multi,
         "includeAll": multi}
    if multi:
        v["allValue"] = ".*"
        v["current"] = {"text": "All", "value": "$__all"}
    return v


def engine_var():
    return query_var("instance", "Engine",
                     "label_values(evonic_sandbox_exporter_build_info, instance)", multi=True)


def dashboard(uid, title, description, variables, panels, annotation_list, links):
    return {
        "uid": uid, "title": title, "description": description,
        "tags": ["evonic", "sandbox"], "timezone": "browser", "editable": True,
        "graphTooltip": 1, "schemaVersion": 39, "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "annotations": {"list": annotation_list},
        "templating": {"list": variables},
        "links": links,
        "panels": layout(panels),
    }


I = 'instance=~"$instance"'


def pool_overview():
    sel = "{" + I + "}"
    panels = [
        panel("timeseries", "Live sandboxes against max_containers",
              "Sandbox containers alive on each engine, and Evonic's SANDBOX_MAX_CONTAINERS. "
              "Capacity planning: how close the pool runs to its ceiling over time.", "short",
              [(f"sum by (instance) (evonic_sandbox_pool_containers{sel})", "live {{instance}}"),
               (f"max by (instance) (evonic_sandbox_pool_max_containers{sel})",
                "max_containers {{instance}}")]),
        panel("stat", "Pool usage",
              "Live sandboxes as a share of max_containers, all selected engines together. Red "
              "from 90 %, where the pool alert fires (after 10 minutes, per engine).",
              "percentunit",
              [(f"sum(evonic_sandbox_pool_containers{sel}) / "
                f"sum(evonic_sandbox_pool_max_containers{sel})", "pool")], w=6,
              steps=[(POOL, WARNING)]),
        panel("stat", "Engine and exporter health",
              "1 = healthy. Scrape up (Prometheus reaches the exporter), engine up (the exporter "
              "reaches Docker) and event stream up, per engine; red when 0 (down).",
              "bool_yes_no",
              [(f'up{{job="evonic-sandbox-exporter",{I}}}', "scrape {{instance}}"),
               (f"evonic_sandbox_exporter_docker_up{sel}", "engine {{instance}}"),
               (f"evonic_sandbox_exporter_events_up{sel}", "events {{instance}}")], w=6,
              base="red", steps=[(1, "green")]),
        panel("timeseries", "CPU by agent",
              "CPU cores used by all sandboxes of each agent. Which agent is the bottleneck?",
              "short",
              [(f"sum by (agent_id) (rate(evonic_sandbox_cpu_usage_seconds_total{sel}[{RI}]))",
                "{{agent_id}}")], links=[AGENT_LINK]),
        panel("timeseries", "Memory by agent",
              "Memory used by all sandboxes of each agent (as docker stats counts it).", "bytes",
              [(f"sum by (agent_id) (evonic_sandbox_memory_working_set_bytes{sel})", "{{agent_id}}")],
              links=[AGENT_LINK]),
        panel("bargauge", "Top sessions by CPU, share of limit",
              "The ten sessions using the largest share of their CPU limit now. A session near "
              "100 % for minutes is a runaway loop. Red from 90 %, the default of the CPU alert's "
              "per-agent threshold (an agent's own is on its drill-down). A bar opens the "
              "session's drill-down.", "percentunit",
              [(f"topk(10, rate(evonic_sandbox_cpu_usage_seconds_total{sel}[{RI}]) / "
                f"evonic_sandbox_cpu_limit_cores{sel})", "{{agent_id}} / {{session_id}}")],
              steps=[(AGENT_DEFAULT, WARNING)], links=[SESSION_LINK], orientation="horizontal"),
        panel("bargauge", "Top sessions by memory, share of limit",
              "The ten sessions closest to their memory limit now; past the limit the kernel "
              "OOM-kills. Red from 90 %, the default of the memory alert's per-agent threshold "
              "(an agent's own is on its drill-down). A bar opens the session's drill-down.",
              "percentunit",
              [(f"topk(10, evonic_sandbox_memory_working_set_bytes{sel} / "
                f"evonic_sandbox_memory_limit_bytes{sel})", "{{agent_id}} / {{session_id}}")],
              steps=[(AGENT_DEFAULT, WARNING)], links=[SESSION_LINK], orientation="horizontal"),
        panel("bargauge", "Top sessions by processes, share of PIDs limit",
              "The ten sessions closest to their --pids-limit: a fork bomb or leaked background "
              "jobs show here first. Red from 90 %, where the PIDs alert fires. A bar opens the "
              "session's drill-down.", "percentunit",
              [(f"topk(10, evonic_sandbox_pids{sel} / evonic_sandbox_pids_limit{sel})",
                "{{agent_id}} / {{session_id}}")],
              steps=[(PIDS, WARNING)], links=[SESSION_LINK], orientation="horizontal"),
        panel("timeseries", "OOM kills by agent",
              "Processes the kernel killed for lack of memory in each agent's sandboxes, per "
              "rate interval.", "short",
              [(f"sum by (agent_id) (increase(evonic_sandbox_oom_kills_total{sel}[{RI}]))",
                "{{agent_id}}")], links=[AGENT_LINK]),
        panel("timeseries", "Sandbox endings by agent and reason",
              "Why sandboxes stopped running, per rate interval: removed (Evonic's idle timeout "
              "or LRU eviction, or anyone's docker rm -f, stop or kill), oom (the kernel's OOM "
              "kill ended it), error (it exited non-zero by itself), clean (it exited 0).",
              "short",
              [(f"sum by (agent_id, reason) "
                f"(increase(evonic_sandbox_endings_total{sel}[{RI}]))",
                "{{agent_id}} {{reason}}")], w=24, links=[AGENT_LINK]),
        panel("timeseries", "Tool runs by agent",
              "Tool calls (docker exec) started per second by each agent, by tool (bash, python, "
              "other).", "ops",
              [(f"sum by (agent_id, tool) "
                f"(rate(evonic_sandbox_tool_executions_total{sel}[{RI}]))",
                "{{agent_id}} {{tool}}")], links=[AGENT_LINK]),
        panel("timeseries", "Sandboxes created and destroyed",
              "Sandbox churn per second on the selected engines: sessions starting and ending.",
              "ops",
              [(f"sum(rate(evonic_sandbox_created_total{sel}[{RI}]))", "created"),
               (f"sum(rate(evonic_sandbox_destroyed_total{sel}[{RI}]))", "destroyed")]),
        panel("timeseries", "Collection: duration, interval and age",
              "How long a collection cycle takes against the configured interval, and how old the "
              "served figures are. Age above three intervals fires the stale alert.", "s",
              [(f"evonic_sandbox_exporter_collect_duration_seconds{sel}", "duration {{instance}}"),
               (f"evonic_sandbox_exporter_collect_interval_seconds{sel}", "interval {{instance}}"),
               (f"time() - evonic_sandbox_exporter_last_collect_timestamp_seconds{sel}",
                "age {{instance}}")]),
        panel("timeseries", "Engine errors and event stream reconnects",
              "Engine requests that failed, and reconnects of the event stream, per second.",
              "ops",
              [(f"sum by (instance) (rate(evonic_sandbox_exporter_collect_errors_total{sel}[{RI}]))",
                "request errors {{instance}}"),
               (f"sum by (instance) "
                f"(rate(evonic_sandbox_exporter_events_reconnects_total{sel}[{RI}]))",
                "reconnects {{instance}}")]),
        panel("table", "Firing sandbox alerts",
              "Alerts of deploy/prometheus/rules.yml firing now, by alert and agent. A row "
              "opens its agent's drill-down.", "short",
              [('count by (alertname, agent_id, session_id) '
                '(ALERTS{alertstate="firing",alertname=~"EvonicSandbox.*"})', "{{alertname}}")],
              w=24, links=[ROW_LINK]),
    ]
    return dashboard(
        POOL_UID, "Evonic sandboxes: pool overview",
        "Capacity, CPU and memory by agent, the sessions nearest their limits, OOM kills, how "
        "sandboxes ended, tool runs and the health of engine and exporter.",
        [datasource_var(), engine_var()],
        panels, annotations(sel),
        [link("Agent drill-down", f"/d/{AGENT_UID}/",
              "One agent's sessions (same datasource, engines and time range)",
              include_vars=True, keep_time=True)])


def agent_drilldown():
    a = I + ',agent_id="$agent_id"'
    s = "{" + a + ',session_id=~"$session_id"}'
    ag = "{" + a + "}"
    panels = [
        panel("stat", "Live sandboxes of the agent",
              "Sandbox containers of this agent alive now.", "short",
              [(f"count(evonic_sandbox_info{ag})", "sandboxes")], w=6),
        panel("stat", "Alert thresholds of the agent",
              "The CPU and memory thresholds the alerts use for this agent (--thresholds.file, "
              "default 0.9), as a share of each sandbox's limit.", "percentunit",
              [(f"max by (resource) (evonic_sandbox_alert_threshold_ratio{ag})", "{{resource}}")],
              w=6, base="blue"),
        panel("timeseries", "Sandbox age", "How long each session's sandbox has been running.",
              "s", [(f"time() - evonic_sandbox_start_time_seconds{s}", "{{session_id}}")]),
        panel("timeseries", "CPU per session, share of limit",
              "CPU used by each session as a share of its CPU limit, and this agent's alert "
              "threshold (the series named threshold). The dashed line at 90 % is the default "
              "threshold, which --thresholds.file may change per agent.", "percentunit",
              [(f"rate(evonic_sandbox_cpu_usage_seconds_total{s}[{RI}]) / "
                f"evonic_sandbox_cpu_limit_cores{s}", "{{session_id}}"),
               (f'max(evonic_sandbox_alert_threshold_ratio{{{a},resource="cpu"}})', "threshold")],
              steps=[(AGENT_DEFAULT, WARNING)]),
        panel("timeseries", "Memory per session, share of limit",
              "Memory used by each session as a share of its memory limit, and this agent's "
              "alert threshold (the series named threshold). The dashed line at 90 % is the "
              "default threshold, which --thresholds.file may change per agent.", "percentunit",
              [(f"evonic_sandbox_memory_working_set_bytes{s} / evonic_sandbox_memory_limit_bytes{s}",
                "{{session_id}}"),
               (f'max(evonic_sandbox_alert_threshold_ratio{{{a},resource="memory"}})',
                "threshold")],
              steps=[(AGENT_DEFAULT, WARNING)]),
        panel("timeseries", "CPU per session", "CPU cores used by each session.", "short",
              [(f"rate(evonic_sandbox_cpu_usage_seconds_total{s}[{RI}])", "{{session_id}}")]),
        panel("timeseries", "Memory per session",
              "Memory used by each session as docker stats counts it (the working set: usage "
              "minus inactive file cache), and its limit.", "bytes",
              [(f"evonic_sandbox_memory_working_set_bytes{s}", "{{session_id}}"),
               (f"evonic_sandbox_memory_limit_bytes{s}", "limit {{session_id}}")]),
        panel("timeseries", "Memory breakdown per session",
              "What each session's memory is: RSS (the processes' own memory, which only grows "
              "with a leak), cache (file cache, tmpfs files included) and swap (absent without "
              "swap accounting, and with the engine stats source on Docker 20.10).", "bytes",
              [(f"evonic_sandbox_memory_rss_bytes{s}", "rss {{session_id}}"),
               (f"evonic_sandbox_memory_cache_bytes{s}", "cache {{session_id}}"),
               (f"evonic_sandbox_memory_swap_bytes{s}", "swap {{session_id}}")]),
        panel("timeseries", "Memory limit hits per session",
              "Times per second each session's memory reached its limit and the kernel had to "
              "reclaim (cgroup v1 failcnt, v2 memory.events max; absent on v2 with the engine "
              "stats source). Hits with flat RSS are cache being reclaimed; hits with RSS near "
              "the limit come before OOM kills.", "ops",
              [(f"rate(evonic_sandbox_memory_limit_hits_total{s}[{RI}])", "{{session_id}}")]),
        panel("timeseries", "Network per session",
              "Bytes per second received (positive) and sent by each session, all interfaces. "
              "Zero with SANDBOX_NETWORK=none.", "Bps",
              [(f"rate(evonic_sandbox_network_receive_bytes_total{s}[{RI}])",
                "received {{session_id}}"),
               (f"rate(evonic_sandbox_network_transmit_bytes_total{s}[{RI}])",
                "sent {{session_id}}")]),
        panel("timeseries", "CPU throttling per session",
              "Share of CPU scheduling periods in which each session was throttled by its CPU "
              "limit; above 25 % (the dashed line) for 10 minutes fires an alert.",
              "percentunit",
              [(f"rate(evonic_sandbox_cpu_throttled_periods_total{s}[{RI}]) / "
                f"rate(evonic_sandbox_cpu_periods_total{s}[{RI}])", "{{session_id}}")],
              steps=[(THROTTLED, INFO)]),
        panel("timeseries", "Processes per session against the PIDs limit",
              "Processes and threads in each session, and its --pids-limit.", "short",
              [(f"evonic_sandbox_pids{s}", "{{session_id}}"),
               (f"evonic_sandbox_pids_limit{s}", "limit {{session_id}}")]),
        panel("timeseries", "Tool runs of the agent",
              "Tool calls started per second by this agent, by tool. Per agent by design; "
              "per-session tool figures are in the REST API.", "ops",
              [(f"sum by (tool) (rate(evonic_sandbox_tool_executions_total{ag}[{RI}]))",
                "{{tool}}")], w=8),
        panel("timeseries", "Tool failures of the agent",
              "Tool calls per second that ended with a non-zero exit code, by tool.", "ops",
              [(f"sum by (tool) (rate(evonic_sandbox_tool_failures_total{ag}[{RI}]))",
                "{{tool}}")], w=8),
        panel("timeseries", "Tool duration of the agent (p50, p95)",
              "How long the agent's tool calls take, by tool: median and 95th percentile.", "s",
              [(f"histogram_quantile(0.5, sum by (tool, le) "
                f"(rate(evonic_sandbox_tool_duration_seconds_bucket{ag}[{RI}])))", "p50 {{tool}}"),
               (f"histogram_quantile(0.95, sum by (tool, le) "
                f"(rate(evonic_sandbox_tool_duration_seconds_bucket{ag}[{RI}])))",
                "p95 {{tool}}")], w=8),
        panel("timeseries", "OOM kills of the agent",
              "Processes the kernel killed for lack of memory in this agent's sandboxes, per "
              "rate interval.", "short",
              [(f"sum(increase(evonic_sandbox_oom_kills_total{ag}[{RI}]))", "OOM kills")]),
        panel("timeseries", "Sandbox endings of the agent",
              "Why this agent's sandboxes stopped running, per rate interval: removed (Evonic's "
              "idle timeout or LRU eviction, or anyone's docker rm -f, stop or kill), oom (the "
              "kernel's OOM kill ended it), error (it exited non-zero by itself), clean (it "
              "exited 0). Per agent by design: endings carry no session.", "short",
              [(f"sum by (reason) (increase(evonic_sandbox_endings_total{ag}[{RI}]))",
                "{{reason}}")]),
    ]
    return dashboard(
        AGENT_UID, "Evonic sandboxes: agent drill-down",
        "One agent's sessions: CPU, memory, network, throttling and processes per session; the "
        "agent's tool runs, failures, durations, OOM kills and how its sandboxes ended.",
        [datasource_var(), engine_var(),
         query_var("agent_id", "Agent", "label_values(evonic_sandbox_info{" + I + "}, agent_id)"),
         query_var("session_id", "Session",
                   "label_values(evonic_sandbox_info{" + a + "}, session_id)", multi=True)],
        panels, annotations(ag),
        [link("Pool overview", f"/d/{POOL_UID}/",
              "All agents and engines (same datasource, engines and time range)",
              include_vars=True, keep_time=True)])


DASHBOARDS = {"pool-overview.json": pool_overview, "agent-drilldown.json": agent_drilldown}


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name, make in DASHBOARDS.items():
        text = json.dumps(make(), indent=2) + "\n"
        path = os.path.join(HERE, name)
        if check:
            if not os.path.exists(path) or open(path).read() != text:
                stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        print("out of date (run python3 dashboards/generate.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
