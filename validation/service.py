#!/usr/bin/env python3
"""A small HTTP service whose CPU demand is known, for checking scalesim
against a real running system (see validation/README.md).

GET /work: the request waits for one of `--workers` worker processes, which
burns CPU until its own process CPU time has advanced by a demand drawn from
a lognormal (mean `--mean-ms`, coefficient of variation `--cv`), then
answers 200. Requests beyond workers + `--queue` are refused with 503. For
`--boot-s` seconds after start the service answers 503 (not ready): the cold
start the calibration should recover.

GET /metrics: Prometheus text exposition format 0.0.4
(https://prometheus.io/docs/instrumenting/exposition_formats/), written by
hand so that nothing but the Python standard library is needed:
app_requests_total{code}, app_request_duration_seconds (histogram),
app_in_flight, app_busy_workers, app_cpu_demand_seconds_total (the drawn
demand actually burned), app_ready, process_cpu_seconds_total (front process
plus workers, from /proc/<pid>/stat, as the official client computes it).
"""
import argparse
import concurrent.futures as cf
import http.server
import math
import os
import random
import signal
import threading
import time

BUCKETS = [0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1,
           0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0]
TICKS = os.sysconf("SC_CLK_TCK")


def burn(demand_s):
    """Spins until this process has used `demand_s` CPU seconds: the demand
    is CPU time, so sharing the core stretches the wall time (processor
    sharing), as scalesim models it."""
    start = time.process_time()
    x = 1.0001
    while time.process_time() - start < demand_s:
        for _ in range(200):
            x = x * 1.0000001 % 7.0
    return os.getpid()


def proc_cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except OSError:
        return 0.0


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.rng = random.Random(args.seed)
        s2 = math.log(1.0 + args.cv ** 2)
        self.mu = math.log(args.mean_ms / 1000.0) - s2 / 2.0
        self.sigma = math.sqrt(s2)
        self.started = time.monotonic()
        self.codes = {"200": 0, "503": 0}
        self.buckets = [0] * (len(BUCKETS) + 1)
        self.lat_sum = 0.0
        self.lat_count = 0
        self.in_flight = 0
        self.busy = 0
        self.demand_total = 0.0
        self.pool = cf.ProcessPoolExecutor(max_workers=args.workers)
        # Start every worker now, so that none is forked under load.
        list(self.pool.map(burn, [0.0] * args.workers))
        self.worker_pids = list(self.pool._processes.keys())

    def ready(self):
        return time.monotonic() - self.started >= self.args.boot_s

    def draw(self):
        with self.lock:
            return self.rng.lognormvariate(self.mu, self.sigma)

    def observe(self, code, seconds):
        with self.lock:
            self.codes[code] += 1
            if code == "200":
                i = 0
                while i < len(BUCKETS) and seconds > BUCKETS[i]:
                    i += 1
                self.buckets[i] += 1
                self.lat_sum += seconds
                self.lat_count += 1

    def exposition(self):
        with self.lock:
            lines = ["# TYPE app_requests_total counter"]
            for code, n in self.codes.items():
                lines.append(f'app_requests_total{{code="{code}"}} {n}')
            lines.append("# TYPE app_request_duration_seconds histogram")
            cum = 0
            for le, n in zip(BUCKETS + ["+Inf"], self.buckets):
                cum += n
                lines.append(f'app_request_duration_seconds_bucket{{le="{le}"}} {cum}')
            lines.append(f"app_request_duration_seconds_sum {self.lat_sum}")
            lines.append(f"app_request_duration_seconds_count {self.lat_count}")
            lines += ["# TYPE app_in_flight gauge", f"app_in_flight {self.in_flight}",
                      "# TYPE app_busy_workers gauge", f"app_busy_workers {self.busy}",
                      "# TYPE app_cpu_demand_seconds_total counter",
                      f"app_cpu_demand_seconds_total {self.demand_total}",
                      "# TYPE app_ready gauge", f"app_ready {1 if self.ready() else 0}"]
        cpu = proc_cpu_seconds(os.getpid()) + sum(proc_cpu_seconds(p) for p in self.worker_pids)
        lines += ["# TYPE process_cpu_seconds_total counter", f"process_cpu_seconds_total {cpu}"]
        return ("\n".join(lines) + "\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def reply(self, code, body, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.server.state
        if self.path == "/metrics":
            return self.reply(200, st.exposition(), "text/plain; version=0.0.4")
        if self.path != "/work":
            return self.reply(404, b"not found\n")
        t0 = time.monotonic()
        with st.lock:
            admit = st.ready() and st.in_flight < st.args.workers + st.args.queue
            if admit:
                st.in_flight += 1
        if not admit:
            st.observe("503", 0.0)
            return self.reply(503, b"busy\n")
        demand = st.draw()
        fut = st.pool.submit(burn, demand)
        fut.add_done_callback(lambda _f: None)
        # busy = requests a worker is running: in flight minus those waiting.
        with st.lock:
            st.busy = min(st.in_flight, st.args.workers)
        fut.result()
        with st.lock:
            st.in_flight -= 1
            st.busy = min(st.in_flight, st.args.workers)
            st.demand_total += demand
        self.reply(200, b"ok\n")
        st.observe("200", time.monotonic() - t0)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--queue", type=int, default=64)
    p.add_argument("--mean-ms", type=float, default=20.0)
    p.add_argument("--cv", type=float, default=0.5)
    p.add_argument("--boot-s", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args)

    def stop(_sig, _frame):
        # Workers are our children: end them with us, or they outlive the run.
        for pid in server.state.worker_pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
