#!/usr/bin/env python3
"""Open-loop load generator: replays a rate trace (`t_seconds,rps`, step
interpolation, as scalesim reads it) against 127.0.0.1 with Poisson arrivals
(non-homogeneous, by thinning: Lewis & Shedler 1979), bounded in count and
time. Each request is a new HTTP/1.0 connection. Writes one CSV row per
request: t_send_s,status,latency_s (status 0 = connection error or timeout).
"""
import argparse
import asyncio
import csv
import random
import time


def read_trace(path, scale, speedup, offset, duration):
    rows = []
    with open(path) as f:
        r = csv.reader(f)
        header = next(r)
        if header[:2] != ["t_seconds", "rps"]:
            raise SystemExit(f"{path}: header must be t_seconds,rps, got {header}")
        for line in r:
            t = (float(line[0]) - offset) / speedup
            if t < duration:
                rows.append((t, float(line[1]) * scale))
    # The rate in force at t = 0 is the last row at or before it.
    before = [x for x in rows if x[0] <= 0]
    after = [x for x in rows if x[0] > 0]
    start = [(0.0, before[-1][1])] if before else [(0.0, 0.0)]
    return start + after


def arrivals(trace, duration, max_requests, seed):
    rng = random.Random(seed)
    peak = max(r for _, r in trace)
    out, t, i = [], 0.0, 0
    while peak > 0 and len(out) < max_requests:
        t += rng.expovariate(peak)
        if t >= duration:
            break
        while i + 1 < len(trace) and trace[i + 1][0] <= t:
            i += 1
        if rng.random() * peak < trace[i][1]:
            out.append(t)
    return out


async def one(port, timeout, t0, at, log):
    await asyncio.sleep(max(0.0, t0 + at - time.monotonic()))
    sent = time.monotonic()
    status = 0
    try:
        async def call():
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /work HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            line = await reader.readline()
            await reader.read()
            writer.close()
            return int(line.split()[1])
        status = await asyncio.wait_for(call(), timeout)
    except (OSError, asyncio.TimeoutError, ValueError, IndexError):
        status = 0
    log.append((sent - t0, status, time.monotonic() - sent))


async def run(args):
    trace = read_trace(args.trace, args.scale, args.speedup, args.offset, args.duration)
    times = arrivals(trace, args.duration, args.max_requests, args.seed)
    log = []
    t0 = time.monotonic()
    await asyncio.gather(*(one(args.port, args.timeout, t0, at, log) for at in times))
    log.sort()
    with open(args.log, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t_send_s", "status", "latency_s"])
        for t, s, lat in log:
            w.writerow([f"{t:.4f}", s, f"{lat:.5f}"])
    ok = sum(1 for _, s, _ in log if s == 200)
    print(f"loadgen: {len(log)} requests in {time.monotonic() - t0:.1f} s, {ok} ok")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--trace", required=True)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--speedup", type=float, default=1.0)
    p.add_argument("--offset", type=float, default=0.0, help="trace seconds to skip")
    p.add_argument("--duration", type=float, required=True, help="seconds to replay (bound)")
    p.add_argument("--max-requests", type=int, default=50000, help="bound on the count")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--log", required=True)
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
