#!/usr/bin/env python3
"""Static checks of what operators deploy: the alert rules (promtool check + promtool test), their
runbooks (docs/runbooks/, one per alert, linked by runbook_url), the Prometheus configs, the
Grafana dashboards (Grafana's JSON schema and this project's panel rules; the ratio panels'
thresholds against the alert rules, the links between overview and drill-down, the OOM and
lifecycle annotations), that every metric a dashboard (panels and annotations) or rule uses is in
the exporter's metric table, the compose file
(docker-compose config, mounts cross-checked against the repository, the socket proxy and the
exporter hardened), the socket proxy's HAProxy config (haproxy -c, its allow-list against the
exporter's requests and the refused ones), the Dockerfile's inputs and the systemd unit
(systemd-analyze verify).
Takes a few seconds.

By hand: test_deploy_files.py --dump-table BUILD/tests/integration/dump_metric_table \
           --binary BUILD/exporter/evonic-sandbox-exporter --source-dir REPO"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import jsonschema
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from promql_names import metric_names, served, variable_query_names  # noqa: E402
import socket_proxy_cases as cases  # noqa: E402

ARGS = None


def src(*parts):
    return os.path.join(ARGS.source_dir, *parts)


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kwargs)


def dashboards():
    out = {}
    for path in sorted(glob.glob(src("dashboards", "*.json"))):
        with open(path) as f:
            out[os.path.basename(path)] = json.load(f)
    return out


def panels(dashboard):
    for p in dashboard.get("panels", []):
        yield p
        yield from p.get("panels", [])  # rows


def queries(dashboard):
    """(where, expr) of every panel query and every annotation query of a dashboard."""
    for p in panels(dashboard):
        for t in p.get("targets", []):
            yield p.get("title"), t["expr"]
    for a in dashboard.get("annotations", {}).get("list", []):
        if "expr" in a:
            yield "annotation " + a["name"], a["expr"]


def rules():
    with open(src("deploy", "prometheus", "rules.yml")) as f:
        doc = yaml.safe_load(f)
    return [r for g in doc["groups"] for r in g["rules"]]


THRESHOLD_METRIC = "evonic_sandbox_alert_threshold_ratio"
RATIO_ALERTS = {"EvonicSandboxCpuNearLimit", "EvonicSandboxMemoryNearLimit",
                "EvonicSandboxPidsNearLimit", "EvonicSandboxPoolNearCapacity",
                "EvonicSandboxCpuThrottled"}


def built_in_threshold():
    """The per-agent threshold an agent has unless --thresholds.file says otherwise."""
    with open(src("model", "alert_thresholds.h")) as f:
        m = re.search(r"kBuiltInDefault\s*=\s*([0-9.]+)", f.read())
    assert m, "kBuiltInDefault not found in model/alert_thresholds.h"
    return float(m.group(1))


def ratio_rules():
    """The rules that compare a ratio with a threshold, by the metrics of the ratio:
    {frozenset(metric names): (alert, threshold, per_agent)}. A per-agent rule (joined with
    evonic_sandbox_alert_threshold_ratio) has the built-in default as its threshold."""
    out = {}
    for r in rules():
        expr = " ".join(r["expr"].split())
        if "/" not in expr:
            continue
        per_agent = THRESHOLD_METRIC in expr
        if per_agent:
            value = built_in_threshold()
        else:
            m = re.search(r"(?:>=|>)\s*([0-9.]+)$", expr)
            assert m, r["alert"] + ": no literal threshold at the end of " + expr
            value = float(m.group(1))
        out[frozenset(metric_names(expr) - {THRESHOLD_METRIC})] = (r["alert"], value, per_agent)
    return out


def metric_table():
    out = run([ARGS.dump_table])
    assert out.returncode == 0, out.stderr
    table = {}
    for line in out.stdout.splitlines():
        name, kind, scope = line.split()[:3]
        table[name] = (kind, scope)
    return table


class RulesTest(unittest.TestCase):
    def test_promtool_check_rules(self):
        out = run(["promtool", "check", "rules", src("deploy", "prometheus", "rules.yml")])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_promtool_unit_tests_fire_and_stay_quiet(self):
        test_file = src("tests", "deploy", "rules_test.yml")
        out = run(["promtool", "test", "rules", test_file])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        # Every alert has a case that fires and one that does not.
        with open(test_file) as f:
            cases = [c for t in yaml.safe_load(f)["tests"] for c in t["alert_rule_test"]]
        for rule in rules():
            mine = [c for c in cases if c["alertname"] == rule["alert"]]
            self.assertTrue(any(c["exp_alerts"] for c in mine), f"{rule['alert']}: no firing case")
            self.assertTrue(any(not c["exp_alerts"] for c in mine),
                            f"{rule['alert']}: no quiet case")

    def test_every_alert_is_named_and_explained(self):
        table = metric_table()
        expected = {"EvonicSandboxCpuNearLimit", "EvonicSandboxMemoryNearLimit",
                    "EvonicSandboxOomKilled", "EvonicSandboxPidsNearLimit",
                    "EvonicSandboxPoolNearCapacity", "EvonicSandboxCpuThrottled",
                    "EvonicSandboxEngineUnreachable", "EvonicSandboxCollectionStale",
                    "EvonicSandboxExporterDown"}
        self.assertEqual({r["alert"] for r in rules()}, expected)
        for r in rules():
            a = r.get("annotations", {})
            self.assertTrue(a.get("summary") and a.get("description"), r["alert"])
            text = a["summary"] + a["description"]
            names = metric_names(r["expr"])
            per_session = any(table.get(n, ("", ""))[1] == "sandbox" for n in names)
            per_agent = per_session or "agent_id" in r["expr"] or any(
                n in ("evonic_sandbox_oom_kills_total",) for n in names)
            if per_agent:
                self.assertIn("$labels.agent_id", text, r["alert"])
            if per_session:
                self.assertIn("$labels.session_id", text, r["alert"])

    def test_cpu_and_memory_rules_join_the_per_agent_thresholds(self):
        by_name = {r["alert"]: r for r in rules()}
        for alert, resource in (("EvonicSandboxCpuNearLimit", "cpu"),
                                ("EvonicSandboxMemoryNearLimit", "memory")):
            expr = " ".join(by_name[alert]["expr"].split())
            self.assertRegex(expr, r"on\((instance, )?agent_id\) group_left "
                                   r"evonic_sandbox_alert_threshold_ratio\{resource=\"" + resource)


RUNBOOK_SECTIONS = ("## What it means", "## Why it matters", "## Find the session and tool",
                    "## What to change", "## When to silence")


def github_anchor(heading):
    """The anchor GitHub (and most Markdown renderers) gives a heading."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


class RunbookTest(unittest.TestCase):
    """Every alert's runbook_url names docs/runbooks/<alert>.md, which exists, quotes the rule,
    has the sections operators look for, and uses only metrics the exporter serves and PromQL
    that parses (each line of a ```promql block is one query, except a block that quotes the
    rule's expression)."""

    def runbook(self, name):
        with open(src("docs", "runbooks", name)) as f:
            return f.read()

    def test_every_rule_links_its_runbook_and_the_file_exists(self):
        for r in rules():
            url = r.get("annotations", {}).get("runbook_url")
            self.assertEqual(url, f"docs/runbooks/{r['alert']}.md",
                             f"{r['alert']}: runbook_url missing or not docs/runbooks/<alert>.md")
            self.assertTrue(os.path.isfile(src(url)), f"{r['alert']}: {url} does not exist")
        # promtool compares annotations exactly; say plainly which case forgot the link.
        with open(src("tests", "deploy", "rules_test.yml")) as f:
            cases = [c for t in yaml.safe_load(f)["tests"] for c in t["alert_rule_test"]]
        for c in cases:
            for a in c["exp_alerts"]:
                self.assertEqual(a["exp_annotations"].get("runbook_url"),
                                 f"docs/runbooks/{c['alertname']}.md", c["alertname"])

    def test_one_runbook_per_alert_and_the_index_lists_them(self):
        alerts = {r["alert"] for r in rules()}
        pages = {os.path.basename(p)[:-3] for p in glob.glob(src("docs", "runbooks", "*.md"))}
        self.assertEqual(pages - {"README"}, alerts)
        index = self.runbook("README.md")
        for alert in alerts:
            self.assertIn(f"]({alert}.md)", index, f"docs/runbooks/README.md lacks {alert}")

    def test_each_runbook_names_its_alert_quotes_the_rule_and_has_the_sections(self):
        for r in rules():
            text = self.runbook(f"{r['alert']}.md")
            where = f"docs/runbooks/{r['alert']}.md"
            self.assertTrue(text.startswith(f"# {r['alert']}\n"), where + ": title")
            self.assertIn(" ".join(r["expr"].split()), " ".join(text.split()),
                          where + ": does not quote the rule's expr as it is in rules.yml")
            if "for" in r:
                self.assertIn(f"`for: {r['for']}`", text, where)
            else:
                self.assertIn("no `for:`", text, where)
            self.assertIn(f"`{r['labels']['severity']}`", text.split("\n## ")[0], where)
            headings = re.findall(r"(?m)^## .*$", text)
            self.assertEqual(headings, list(RUNBOOK_SECTIONS), where)
        index = self.runbook("README.md")
        for setting in ("SANDBOX_MEMORY_LIMIT", "SANDBOX_CPU_LIMIT", "SANDBOX_MAX_CONTAINERS",
                        "SANDBOX_IDLE_TIMEOUT", "--pids-limit=256", "--thresholds.file",
                        "/api/agents/AGENT/sandbox/stats", "/ui/agents/AGENT"):
            self.assertIn(setting, index)

    def test_metrics_used_are_served_and_queries_parse(self):
        table = metric_table()
        exprs = {" ".join(r["expr"].split()) for r in rules()}
        queries, missing = [], {}
        for path in sorted(glob.glob(src("docs", "runbooks", "*.md"))):
            name = os.path.basename(path)
            text = self.runbook(name)
            used = set(re.findall(r"\b(?:evonic|process)_[a-z0-9_]*[a-z0-9]\b", text))
            for block in re.findall(r"```promql\n(.*?)```", text, re.S):
                used |= metric_names(block)
                if " ".join(block.split()) in exprs:
                    continue
                queries += [(name, q.strip()) for q in block.splitlines() if q.strip()]
            for n in used:
                if not served(n, table):
                    missing.setdefault(n, []).append(name)
        self.assertEqual(missing, {}, "runbooks use metrics the exporter does not serve")
        self.assertGreater(len(queries), 20)  # the blocks were found
        # promtool parses them as recording rules.
        doc = {"groups": [{"name": "runbook-queries", "rules": [
            {"record": f"runbook:{name[:-3]}:query{i}", "expr": q}
            for i, (name, q) in enumerate(queries)]}]}
        d = tempfile.mkdtemp(prefix="runbook-queries-")
        try:
            path = os.path.join(d, "queries.yml")
            with open(path, "w") as f:
                yaml.safe_dump(doc, f)
            out = run(["promtool", "check", "rules", path])
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_relative_links_resolve(self):
        for path in sorted(glob.glob(src("docs", "runbooks", "*.md"))):
            text = self.runbook(os.path.basename(path))
            for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]*))?\)", text):
                if re.match(r"[a-z]+:", target):
                    continue
                full = os.path.normpath(os.path.join(os.path.dirname(path), target or
                                                     os.path.basename(path)))
                self.assertTrue(os.path.exists(full), f"{path}: {target}")
                if anchor and full.endswith(".md"):
                    with open(full) as f:
                        anchors = {github_anchor(h) for h in re.findall(r"(?m)^#+ (.*)$", f.read())}
                    self.assertIn(anchor, anchors, f"{path}: {target}#{anchor}")


class PrometheusConfigTest(unittest.TestCase):
    def test_promtool_check_config(self):
        for name in ("prometheus.yml", "prometheus-many-hosts.yml"):
            out = run(["promtool", "check", "config", src("deploy", "prometheus", name)])
            self.assertEqual(out.returncode, 0, name + ": " + out.stdout + out.stderr)

    def test_many_hosts_targets_are_valid_file_sd(self):
        files = glob.glob(src("deploy", "prometheus", "targets", "*.yml"))
        self.assertTrue(files)
        for path in files:
            with open(path) as f:
                groups = yaml.safe_load(f)
            for g in groups:
                self.assertTrue(g["targets"])
                for t in g["targets"]:
                    self.assertRegex(t, r"^[a-z0-9.-]+:[0-9]+$")


class DashboardTest(unittest.TestCase):
    def test_generated_json_is_up_to_date(self):
        out = run([sys.executable, src("dashboards", "generate.py"), "--check"])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_each_dashboard_validates_against_grafanas_schema(self):
        with open(ARGS.schema) as f:
            schema = json.load(f)
        validator = jsonschema.Draft7Validator(schema)
        self.assertEqual(set(dashboards()), {"pool-overview.json", "agent-drilldown.json"})
        for name, d in dashboards().items():
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(d)]
            self.assertEqual(errors, [], name)

    def test_stable_uid_no_id_and_the_variables(self):
        uids = set()
        for name, d in dashboards().items():
            self.assertNotIn("id", d, name)
            self.assertRegex(d.get("uid", ""), r"^[a-z0-9-]{8,40}$", name)
            uids.add(d["uid"])
            variables = [v["name"] for v in d["templating"]["list"]]
            self.assertEqual(variables[0], "datasource", name)
        self.assertEqual(len(uids), len(dashboards()))
        drill = dashboards()["agent-drilldown.json"]
        self.assertEqual([v["name"] for v in drill["templating"]["list"]],
                         ["datasource", "instance", "agent_id", "session_id"])
        pool = dashboards()["pool-overview.json"]
        self.assertEqual([v["name"] for v in pool["templating"]["list"]], ["datasource", "instance"])

    def test_every_panel_has_title_description_unit_and_honest_queries(self):
        table = metric_table()
        for name, d in dashboards().items():
            for p in panels(d):
                if p["type"] == "row":
                    continue
                where = f"{name}: {p.get('title')!r}"
                self.assertTrue(p.get("title"), where)
                self.assertTrue(p.get("description"), where)
                self.assertTrue(p.get("fieldConfig", {}).get("defaults", {}).get("unit"), where)
                self.assertEqual(p["datasource"], {"type": "prometheus", "uid": "${datasource}"})
                self.assertTrue(p.get("targets"), where)
            for where, expr in queries(d):  # panels' and annotations' queries
                where = f"{name}: {where!r}: {expr}"
                # Rates over $__rate_interval (or the dashboard's range), never a literal.
                for rng in re.findall(r"\b(?:rate|irate|increase)\([^\[]*\[([^\]]*)\]", expr):
                    self.assertIn(rng, ("$__rate_interval", "$__range"), where)
                # Counters only inside rate() or increase().
                for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
                    n = m.group(0)
                    if table.get(n, ("",))[0] != "counter" and not n.endswith("_bucket"):
                        continue
                    self.assertRegex(expr[: m.start()], r"(rate|increase)\($", where)

    def test_every_metric_used_is_in_the_metric_table(self):
        table = metric_table()
        used = {}
        for name, d in dashboards().items():
            for where, expr in queries(d):
                for n in metric_names(expr):
                    used.setdefault(n, set()).add(f"{name}: {where}")
            for v in d["templating"]["list"]:
                if v["type"] == "query":
                    for n in variable_query_names(v["query"]):
                        used.setdefault(n, set()).add(f"{name}: variable {v['name']}")
        for r in rules():
            for n in metric_names(r["expr"]):
                used.setdefault(n, set()).add(f"rules.yml: {r['alert']}")
        self.assertIn("evonic_sandbox_cpu_usage_seconds_total", used)  # the lexer works
        missing = {n: sorted(w) for n, w in used.items() if not served(n, table)}
        self.assertEqual(missing, {}, "metrics used but not in the exporter's metric table")


class DashboardThresholdsLinksAnnotationsTest(unittest.TestCase):
    """What the dashboards mark: the alert rules' thresholds on the ratio panels, the links between
    overview and drill-down, and the OOM and lifecycle annotations."""
    DS = {"type": "prometheus", "uid": "${datasource}"}

    def test_every_panel_sets_its_thresholds(self):
        # Without explicit steps Grafana colours red from 80, whatever the unit.
        for name, d in dashboards().items():
            for p in panels(d):
                if p["type"] == "row":
                    continue
                where = f"{name}: {p['title']!r}"
                th = p["fieldConfig"]["defaults"].get("thresholds")
                self.assertTrue(th, where + ": Grafana's default thresholds (red at 80)")
                self.assertEqual(th["mode"], "absolute", where)
                self.assertIsNone(th["steps"][0]["value"], where + ": the base step")
                values = [s["value"] for s in th["steps"][1:]]
                self.assertEqual(values, sorted(values), where)
                self.assertNotIn(80, values, where)

    def test_ratio_panels_draw_the_alert_rules_thresholds(self):
        by_metrics = ratio_rules()
        self.assertEqual({a for a, _, _ in by_metrics.values()}, RATIO_ALERTS)  # the parser works
        drawn = set()
        for name, d in dashboards().items():
            for p in panels(d):
                defaults = p.get("fieldConfig", {}).get("defaults", {})
                where = f"{name}: {p.get('title')!r}"
                if p["type"] == "bargauge":
                    self.assertEqual(defaults.get("unit"), "percentunit", where)
                if defaults.get("unit") != "percentunit":
                    continue
                # A 0-1 ratio (a share of a limit, of periods, or a threshold) drawn from 0 to 1.
                self.assertEqual((defaults.get("min"), defaults.get("max")), (0, 1), where)
                above = [s["value"] for s in defaults["thresholds"]["steps"][1:]]
                names = set().union(*(metric_names(t["expr"]) for t in p["targets"]))
                rule = by_metrics.get(frozenset(names - {THRESHOLD_METRIC}))
                if rule is None:
                    self.assertEqual(above, [], where + ": a threshold no alert rule has")
                    continue
                alert, value, per_agent = rule
                self.assertEqual(above, [value], f"{where}: the threshold of {alert}")
                drawn.add(alert)
                if p["type"] == "timeseries":  # otherwise a time series does not draw the steps
                    style = defaults.get("custom", {}).get("thresholdsStyle", {}).get("mode")
                    self.assertIn(style, ("line", "dashed", "line+area", "dashed+area"), where)
                else:
                    self.assertEqual(defaults.get("color", {}).get("mode"), "thresholds", where)
                if per_agent:  # the line is the default; an agent may have its own
                    self.assertIn("default", p["description"], where)
                    self.assertIn(f"{value:.0%}".replace("%", " %"), p["description"], where)
        self.assertEqual(drawn, RATIO_ALERTS, "alert rules whose threshold no panel draws")

    def assert_link_to(self, link, target, where, dashboard_link):
        self.assertEqual(link["type"], "link", where)
        m = re.fullmatch(r"/d/([a-z0-9-]+)/?(?:\?(.*))?", link["url"])
        self.assertTrue(m, where + ": " + link["url"])
        self.assertEqual(m.group(1), target["uid"], where)
        if dashboard_link:
            # Grafana appends the current variables and time range to a dashboard link.
            self.assertIs(link["includeVars"], True, where)
            self.assertIs(link["keepTime"], True, where)
        return (m.group(2) or "").split("&")

    def test_overview_links_to_the_drilldown_and_back(self):
        ds = dashboards()
        pool, drill = ds["pool-overview.json"], ds["agent-drilldown.json"]
        names = {d["uid"]: [v["name"] for v in d["templating"]["list"]] for d in ds.values()}
        # Dashboard links both ways, with variables and time range.
        for source, target in ((pool, drill), (drill, pool)):
            links = [l for l in source["links"] if target["uid"] in l.get("url", "")]
            self.assertEqual(len(links), 1, source["title"] + " -> " + target["title"])
            self.assertEqual(self.assert_link_to(links[0], target, source["title"], True), [""])
        # Every per-agent panel of the overview opens the agent's drill-down (a data link: its URL
        # carries the agent, the session where the series has one, datasource, engines, time).
        linked = []
        for p in panels(pool):
            legends = " ".join(t.get("legendFormat", "") for t in p.get("targets", []))
            exprs = " ".join(t["expr"] for t in p.get("targets", []))
            if "{{agent_id}}" not in legends and not re.search(r"by \([^)]*agent_id", exprs):
                continue
            where = f"overview: {p['title']!r}"
            links = p["fieldConfig"]["defaults"].get("links", [])
            self.assertEqual(len(links), 1, where + ": no link to the drill-down")
            params = self.assert_link_to(links[0], drill, where, False)
            carried = dict(x.split("=", 1) for x in params if x.startswith("var-"))
            formatted = {x for x in params if x.startswith("${")}
            agent = ("${__field.labels.agent_id}" if "{{agent_id}}" in legends
                     else "${__data.fields.agent_id}")  # a table row
            self.assertEqual(carried.get("var-agent_id"), agent, where)
            if "{{session_id}}" in legends:
                self.assertEqual(carried.get("var-session_id"), "${__field.labels.session_id}",
                                 where)
            self.assertEqual(formatted, {"${datasource:queryparam}", "${instance:queryparam}",
                                         "${__url_time_range}"}, where)
            for var in list(carried) + [f[2:-len(":queryparam}")] for f in formatted
                                        if f.endswith(":queryparam}")]:
                self.assertIn(var.replace("var-", ""), names[drill["uid"]], where)
            for f in formatted:
                if f.endswith(":queryparam}"):
                    self.assertIn(f[2:-len(":queryparam}")], names[pool["uid"]], where)
            linked.append(p["title"])
        self.assertGreaterEqual(set(linked), {"CPU by agent", "Memory by agent",
                                              "Top sessions by CPU, share of limit",
                                              "OOM kills by agent", "Firing sandbox alerts"})

    def test_oom_and_lifecycle_annotations(self):
        table = metric_table()
        wanted = {"OOM kills": "evonic_sandbox_oom_kills_total",
                  "Sandboxes created": "evonic_sandbox_created_total",
                  "Sandboxes destroyed": "evonic_sandbox_destroyed_total"}
        for name, d in dashboards().items():
            anns = {a["name"]: a for a in d["annotations"]["list"] if not a.get("builtIn")}
            self.assertEqual(set(anns), set(wanted), name)
            self.assertEqual(len({a["iconColor"] for a in anns.values()}), len(wanted), name)
            for title, counter in wanted.items():
                a, where = anns[title], f"{name}: annotation {title!r}"
                self.assertEqual(table[counter][0], "counter", counter)
                self.assertEqual(a["datasource"], self.DS, where)
                self.assertIs(a["enable"], True, where)
                self.assertIs(a.get("hide", False), False, where)
                self.assertTrue(a["iconColor"], where)
                # An increase of the exporter's counter, only where there was one.
                self.assertEqual(metric_names(a["expr"]), {counter}, where)
                self.assertRegex(a["expr"], r"^increase\(" + counter +
                                 r"\{[^}]*\}\[\$__rate_interval\]\) > 0$", where)
                self.assertIn('instance=~"$instance"', a["expr"], where)
                if "agent_id" in names_of(d):
                    self.assertIn('agent_id="$agent_id"', a["expr"], where)
                self.assertIn("{{agent_id}}", a["titleFormat"], where)
                for label in ("{{agent_id}}", "{{instance}}"):
                    self.assertIn(label, a["textFormat"], where)


def names_of(dashboard):
    return [v["name"] for v in dashboard["templating"]["list"]]


class ComposeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = run(["docker-compose", "-f", src("deploy", "docker-compose.yml"), "config"],
                  env=dict(os.environ, DOCKER_GID="999"))
        if out.returncode != 0:
            raise AssertionError("docker-compose config: " + out.stderr)
        cls.config = yaml.safe_load(out.stdout)

    def test_services(self):
        self.assertEqual(set(self.config["services"]),
                         {"socket-proxy", "exporter", "prometheus", "alertmanager", "grafana"})

    def test_bind_mounts_exist_in_the_repository(self):
        repo = os.path.realpath(ARGS.source_dir)
        for name, svc in self.config["services"].items():
            for v in svc.get("volumes", []):
                source = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
                if not source.startswith("/"):
                    continue  # a named volume
                if source == "/var/run/docker.sock":
                    self.assertEqual(name, "socket-proxy", "only the proxy sees the socket")
                    self.assertTrue(v.endswith(":ro"), v)
                    continue
                if source in ("/sys/fs/cgroup", "/proc"):
                    # The host's trees for the cgroupfs stats source: the exporter's, read-only.
                    self.assertEqual(name, "exporter", v)
                    self.assertTrue(v.endswith(":ro"), v)
                    continue
                self.assertTrue(os.path.realpath(source).startswith(repo + os.sep), v)
                self.assertTrue(os.path.exists(source), f"{name}: {source} is not in the repo")
        build = self.config["services"]["exporter"]["build"]
        self.assertTrue(os.path.isfile(os.path.join(build["context"], build["dockerfile"])))

    def test_mounted_configs_are_the_checked_ones(self):
        prom = self.config["services"]["prometheus"]["volumes"]
        self.assertIn(src("deploy", "prometheus", "rules.yml") + ":/etc/prometheus/rules.yml:ro",
                      prom)
        grafana = " ".join(self.config["services"]["grafana"]["volumes"])
        self.assertIn(src("dashboards") + ":/var/lib/grafana/dashboards/evonic", grafana)
        with open(src("deploy", "grafana", "provisioning", "dashboards", "evonic.yml")) as f:
            provider = yaml.safe_load(f)["providers"][0]
        self.assertEqual(provider["options"]["path"], "/var/lib/grafana/dashboards/evonic")
        with open(src("deploy", "grafana", "provisioning", "datasources", "prometheus.yml")) as f:
            ds = yaml.safe_load(f)["datasources"][0]
        for d in dashboards().values():
            self.assertEqual(d["templating"]["list"][0]["current"]["value"], ds["uid"])

    def test_socket_proxy_is_the_shipped_haproxy_config_hardened(self):
        svc = self.config["services"]["socket-proxy"]
        self.assertTrue(svc["image"].startswith("haproxy:2.6"), svc["image"])  # what CI checks
        self.assertIn(src("deploy", "socket-proxy", "haproxy.cfg") +
                      ":/usr/local/etc/haproxy/haproxy.cfg:ro", svc["volumes"])
        self.assertIn("/var/run/docker.sock:/var/run/docker.sock:ro", svc["volumes"])
        self.assertEqual(svc["group_add"], ["999"])  # DOCKER_GID, the socket's group
        self.assertNotIn("environment", svc)  # the config's defaults: :2375, the mounted socket
        self.assertNotIn("ports", svc)
        self.assertEqual(set(svc["networks"]), {"engine"})
        self.assertTrue(self.config["networks"]["engine"].get("internal"))
        self.assert_hardened(svc)
        self.assertIn("--docker.host=tcp://socket-proxy:2375",
                      self.config["services"]["exporter"]["command"])

    def test_socket_group_must_be_given(self):
        env = {k: v for k, v in os.environ.items() if k != "DOCKER_GID"}
        out = run(["docker-compose", "-f", src("deploy", "docker-compose.yml"), "config"], env=env)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("stat -c %g /var/run/docker.sock", out.stderr)

    def test_exporter_is_hardened_and_writes_only_its_history(self):
        svc = self.config["services"]["exporter"]
        self.assert_hardened(svc)
        self.assertNotIn("privileged", svc)
        writable = [v for v in svc["volumes"] if not v.endswith(":ro")]
        self.assertEqual(writable, ["exporter-history:/var/lib/evonic-sandbox-exporter:rw"])
        self.assertIn("--history.path=/var/lib/evonic-sandbox-exporter/history.db",
                      svc["command"])

    def assert_hardened(self, svc):
        self.assertIs(svc.get("read_only"), True)
        self.assertEqual(svc.get("cap_drop"), ["ALL"])
        self.assertNotIn("cap_add", svc)
        self.assertIn("no-new-privileges:true", svc.get("security_opt", []))

    def test_exporter_reads_the_host_trees_it_mounts(self):
        svc = self.config["services"]["exporter"]
        mounts = {v.split(":")[1]: v for v in svc["volumes"] if isinstance(v, str)}
        self.assertIn("--path.cgroupfs=/host/sys/fs/cgroup", svc["command"])
        self.assertIn("--path.procfs=/host/proc", svc["command"])
        self.assertIn("/host/sys/fs/cgroup", mounts)
        self.assertIn("/host/proc", mounts)
        self.assertNotIn("privileged", svc)

    def test_dockerfile_inputs_are_in_the_build_context(self):
        with open(src("deploy", "Dockerfile")) as f:
            text = f.read()
        with open(src(".dockerignore")) as f:
            ignored = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        for source in re.findall(r"^COPY (?!--from)(\S+) ", text, re.M):
            if source == ".":
                continue
            self.assertTrue(os.path.exists(src(source)), source)
            self.assertFalse(any(source.startswith(i.rstrip("*")) for i in ignored), source)
        self.assertRegex(text, r"(?m)^USER 10001")
        self.assertIn("--group-add", text)
        self.assertEqual(len(re.findall(r"(?m)^FROM debian:bookworm", text)), 2)
        self.assertRegex(text, r"(?m)^FROM debian:bookworm-slim$")  # the runtime stage
        self.assertRegex(text, r"(?m)^ARG EVONIC_REVISION")
        self.assertIn('-DEVONIC_REVISION="${EVONIC_REVISION}"', text)
        self.assertRegex(text, r"(?m)^HEALTHCHECK .*\n.*/healthz")


class SocketProxyConfigTest(unittest.TestCase):
    """deploy/socket-proxy/haproxy.cfg without a running HAProxy: it parses, and its rules admit
    exactly the exporter's requests (tests/deploy/socket_proxy_cases.py). test_socket_proxy.py
    runs it in front of a real engine."""

    @classmethod
    def setUpClass(cls):
        cls.path = src("deploy", "socket-proxy", "haproxy.cfg")
        with open(cls.path) as f:
            cls.text = f.read()

    def test_haproxy_accepts_it(self):
        out = run(["haproxy", "-c", "-f", self.path])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertNotIn("WARNING", out.stdout + out.stderr)

    def test_rules_admit_exactly_the_exporters_requests(self):
        acls = dict(re.findall(r"(?m)^\s*acl (allowed_\w+) url_reg (\S+)$", self.text))
        self.assertEqual(set(acls), {"allowed_plain", "allowed_list", "allowed_inspect",
                                     "allowed_stats", "allowed_events"})
        for name, pattern in acls.items():
            self.assertTrue(pattern.startswith("^") and pattern.endswith("$"), name)
        # GET only (HAProxy's predefined METH_GET would also take HEAD), deny by default.
        self.assertRegex(self.text, r"(?m)^\s*acl is_get method GET$")
        rules = re.findall(r"(?m)^\s*http-request (.+)$", self.text)
        self.assertEqual(rules, [
            "deny deny_status 403 if !is_get",
            "deny deny_status 403 if upgrade",
            "deny deny_status 403 unless " + " or ".join(acls),
        ])
        patterns = [re.compile(p) for p in acls.values()]
        cid = "0123456789abcdef" * 4
        for method, target in cases.allowed(cid):
            self.assertTrue(cases.pattern_admits(patterns, method, target), target)
        for method, target, why in cases.refused(cid, "evonic-proxy-0000beef"):
            self.assertFalse(cases.pattern_admits(patterns, method, target), f"{why}: {target}")


class ThresholdsFileTest(unittest.TestCase):
    def test_the_example_loads_and_a_broken_file_stops_startup_naming_it(self):
        d = tempfile.mkdtemp(prefix="thresholds-")
        try:
            bad = os.path.join(d, "bad.yml")
            with open(bad, "w") as f:
                f.write("default:\n  cpu: 90\n")  # a percentage where a ratio belongs
            for path, ok in ((src("deploy", "thresholds.example.yml"), True), (bad, False)):
                # --docker.host to a socket that does not exist: startup must not need an engine.
                argv = [ARGS.binary, "--web.listen-address=127.0.0.1:0",
                        "--docker.host=unix://" + os.path.join(d, "none.sock"),
                        "--thresholds.file=" + path]
                p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
                try:
                    out, _ = p.communicate(timeout=3)
                except subprocess.TimeoutExpired:
                    p.terminate()
                    out, _ = p.communicate(timeout=10)
                if ok:
                    self.assertIn("evonic-sandbox-exporter started", out)
                    self.assertNotIn("invalid thresholds", out)
                else:
                    self.assertEqual(p.returncode, 2, out)
                    self.assertIn("invalid thresholds file", out)
                    self.assertIn(bad + ": default.cpu", out)
                    self.assertNotIn("started", out)
        finally:
            shutil.rmtree(d, ignore_errors=True)


class SystemdUnitTest(unittest.TestCase):
    def test_systemd_analyze_verify(self):
        unit = src("deploy", "systemd", "evonic-sandbox-exporter.service")
        with open(unit) as f:
            text = f.read()
        for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "SupplementaryGroups=docker",
                     "ExecReload=/bin/kill -HUP $MAINPID", "StateDirectory=evonic-sandbox-exporter",
                     "--history.path=/var/lib/evonic-sandbox-exporter/history.db",
                     "Documentation=file:/usr/share/doc/evonic-sandbox-exporter/README.md"):
            self.assertIn(line, text)
        d = tempfile.mkdtemp(prefix="unit-")
        try:
            # verify checks that ExecStart's binary exists: point it at the one just built.
            path = os.path.join(d, os.path.basename(unit))
            with open(path, "w") as f:
                f.write(text.replace("/usr/bin/evonic-sandbox-exporter",
                                     os.path.realpath(ARGS.binary)))
            out = run(["systemd-analyze", "verify", path], cwd=d)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertEqual(out.stderr.strip(), "", out.stderr)
            sec = run(["systemd-analyze", "security", "--offline=yes", path])
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", sec.stdout)
            self.assertTrue(m, sec.stdout + sec.stderr)
            self.assertLessEqual(float(m.group(1)), 2.0, sec.stdout)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--dump-table", required=True)
    p.add_argument("--binary", required=True)
    p.add_argument("--source-dir", required=True)
    p.add_argument("--schema", default=None)
    ARGS, rest = p.parse_known_args()
    ARGS.source_dir = os.path.realpath(ARGS.source_dir)
    if ARGS.schema is None:
        # A copy of Grafana's schema (grafana-foundation-sdk, Apache-2.0) kept in the repository.
        ARGS.schema = os.path.join(ARGS.source_dir, "tests", "fixtures", "grafana",
                                   "dashboard.jsonschema.json")
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
