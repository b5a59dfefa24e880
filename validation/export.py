#!/usr/bin/env python3
"""Exports one experiment from Prometheus through its HTTP API
(GET /api/v1/query_range, https://prometheus.io/docs/prometheus/latest/querying/api/)
into DIR: one JSON file per query, the response body exactly as returned,
plus import.toml naming each file's role for `scalesim import prometheus`."""
import argparse
import json
import os
import urllib.parse
import urllib.request

W = "5s"  # rate() window: five 1 s scrapes
QUERIES = [
    # (file, role, query)
    ("offered", "offered_rps", f"sum by (instance) (rate(app_requests_total[{W}]))"),
    ("throughput", "throughput_rps", f'sum by (instance) (rate(app_requests_total{{code="200"}}[{W}]))'),
    ("errors", "errors_rps", f'sum by (instance) (rate(app_requests_total{{code="503"}}[{W}]))'),
    ("cpu", "cpu_cores", f"rate(process_cpu_seconds_total[{W}])"),
    ("ready", "replicas_ready", "app_ready"),
    ("pods", "pods_up", "up"),
    ("buckets", "latency_buckets", f"sum by (le) (rate(app_request_duration_seconds_bucket[{W}]))"),
    ("p50", "latency_p50", f"histogram_quantile(0.5, sum by (le) (rate(app_request_duration_seconds_bucket[{W}])))"),
    ("p95", "latency_p95", f"histogram_quantile(0.95, sum by (le) (rate(app_request_duration_seconds_bucket[{W}])))"),
    ("p99", "latency_p99", f"histogram_quantile(0.99, sum by (le) (rate(app_request_duration_seconds_bucket[{W}])))"),
    ("in_flight", "in_flight", "sum(app_in_flight)"),
    ("busy", "busy_workers", "sum(app_busy_workers)"),
    ("requests_counter", "offered_counter", "sum(app_requests_total)"),
    ("demand", None, f"sum(rate(app_cpu_demand_seconds_total[{W}]))"),
]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prometheus", required=True, help="http://127.0.0.1:PORT")
    p.add_argument("--start", type=float, required=True)
    p.add_argument("--end", type=float, required=True)
    p.add_argument("--step", default="1s")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    assert a.prometheus.startswith("http://127.0.0.1:"), "only a local Prometheus"
    os.makedirs(a.out, exist_ok=True)
    roles = []
    for name, role, query in QUERIES:
        qs = urllib.parse.urlencode({"query": query, "start": f"{a.start:.3f}", "end": f"{a.end:.3f}", "step": a.step})
        with urllib.request.urlopen(f"{a.prometheus}/api/v1/query_range?{qs}", timeout=30) as r:
            body = r.read()
        doc = json.loads(body)
        if doc.get("status") != "success":
            raise SystemExit(f"query {name} failed: {doc}")
        with open(os.path.join(a.out, f"{name}.json"), "wb") as f:
            f.write(body)
        if role and role != "offered_counter":
            roles.append((name, role, query))
    with open(os.path.join(a.out, "import.toml"), "w") as f:
        f.write("# Which Prometheus export plays which role (scalesim import prometheus).\n")
        f.write(f"# Exported with query_range, step {a.step}; the query of each file is beside it.\n")
        f.write(f'step = "{a.step}"\nwindow = "{W}"\n')
        f.write('pod_label = "instance"   # what names a pod in these series (app metrics carry no pod label here)\n')
        f.write('cpu_request = "1"        # the CPU request the HPA divides by: the service\'s one pinned core\n\n')
        for name, role, query in roles:
            f.write(f"[[series]]\nfile = \"{name}.json\"\nrole = \"{role}\"\n")
            f.write(f"query = {json.dumps(query)}\n\n")


if __name__ == "__main__":
    main()
