"""Metric names in PromQL expressions and Grafana variable queries, for checking that dashboards
and rules only use metrics the exporter serves. A small lexer, not a parser: it drops string
literals, label matchers, range and grouping clauses, function names and keywords, and keeps the
identifiers that remain (metric names)."""
import re

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
            "bool", "offset", "inf", "nan"}
# Names Prometheus itself provides rather than the exporter.
PROMETHEUS_OWN = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def metric_names(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)          # string literals
    e = re.sub(r"\{[^}]*\}", " ", e)                          # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                         # ranges, subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", " ", e)    # Grafana variables
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        token, rest = m.group(0), e[m.end():]
        if rest.lstrip().startswith("("):
            continue  # a function or aggregation
        if token.lower() in KEYWORDS or re.fullmatch(r"[0-9a-fA-FxX]+", token):
            continue
        if m.start() > 0 and (e[m.start() - 1].isdigit() or e[m.start() - 1] == "."):
            continue  # a unit of a number such as 5m
        names.add(token)
    return names


def variable_query_names(query):
    """label_values(metric{...}, label) -> {metric}; metrics(...) and plain queries as PromQL."""
    m = re.match(r"\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$", query)
    if m:
        return metric_names(m.group(1))
    m = re.match(r"\s*query_result\((.*)\)\s*$", query)
    return metric_names(m.group(1)) if m else set()


def served(name, table):
    """True when `name` is in the metric table (a histogram's _bucket/_sum/_count included) or is
    one of Prometheus' own series."""
    if name in PROMETHEUS_OWN or name in table:
        return True
    return any(name.endswith(s) and name[: -len(s)] in table for s in HISTOGRAM_SUFFIXES)
