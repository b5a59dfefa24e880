#!/usr/bin/env bash
# Records the validation experiments from scratch: a real HTTP service with a
# known CPU demand, a real open-loop load generator, a real Prometheus
# scraping it, all on 127.0.0.1; the Prometheus exports land in
# validation/data/<experiment>/ (see validation/README.md).
#
#   bash validation/run.sh                 # all experiments: levels burst trace
#   bash validation/run.sh burst           # one
#   MEAN_MS=10 bash validation/run.sh      # another service configuration
#
# Pinning: the service (all its processes) on CPU 0 at nice -10, Prometheus
# and the load generator on CPU 1 (taskset), so that the service's one core
# is contended only by what else the machine runs (recorded in the README).
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=validation
EXPERIMENTS=("${@:-levels burst trace}")
[ $# -eq 0 ] && EXPERIMENTS=(levels burst trace)
MEAN_MS=${MEAN_MS:-20} CV=${CV:-0.5} WORKERS=${WORKERS:-4} QUEUE=${QUEUE:-64} BOOT_S=${BOOT_S:-5}
SEED=${SEED:-1} NICE=${NICE:--10}
SVC_CPU=${SVC_CPU:-0} AUX_CPU=${AUX_CPU:-1}

need() { command -v "$1" >/dev/null 2>&1; }
if ! need prometheus || ! need python3 || ! need curl || ! need taskset; then
  echo "installing prometheus, python3, curl, util-linux (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus python3 curl util-linux >/dev/null
fi
if [ "$(nproc)" -lt 2 ]; then SVC_CPU=0 AUX_CPU=0; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PROM_PORT=$(free_port) SVC_PORT=$(free_port)
WORK=$(mktemp -d /tmp/scalesim-validation.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: app
    static_configs:
      - targets: ["127.0.0.1:$SVC_PORT"]
        labels: { pod: "app-0" }
YML
taskset -c "$AUX_CPU" prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
PROM="http://127.0.0.1:$PROM_PORT"
for _ in $(seq 60); do curl -sf "$PROM/-/ready" >/dev/null && break; sleep 0.5; done
curl -sf "$PROM/-/ready" >/dev/null || { cat "$WORK/prometheus.log"; exit 1; }

start_service() {
  taskset -c "$SVC_CPU" nice -n "$NICE" python3 "$HERE/service.py" --port "$SVC_PORT" --workers "$WORKERS" \
    --queue "$QUEUE" --mean-ms "$MEAN_MS" --cv "$CV" --boot-s "$1" --seed "$SEED" &
  SVC=$!; PIDS+=($SVC)
  for _ in $(seq 50); do curl -sf "127.0.0.1:$SVC_PORT/metrics" >/dev/null && break; sleep 0.1; done
}
# Scale the load to this machine: what the service completes per second when
# overloaded for 12 s (its share of a core, less the front's overhead).
NOMINAL=$(python3 -c "print(1000.0/$MEAN_MS)")
printf 't_seconds,rps\n0,%s\n' "$(python3 -c "print(1.5*$NOMINAL)")" > "$WORK/probe.csv"
start_service 0
taskset -c "$AUX_CPU" python3 "$HERE/loadgen.py" --port "$SVC_PORT" --trace "$WORK/probe.csv" --duration 12 \
  --seed "$SEED" --log "$WORK/probe-log.csv" >/dev/null
kill "$SVC"; wait "$SVC" 2>/dev/null || true
# Let the rate() window (5 s) pass, so no series of the next run reaches back
# into this process's life.
sleep 7
CAP=$(python3 - "$WORK/probe-log.csv" <<'PY'
import csv, sys
done = [float(r["t_send_s"]) + float(r["latency_s"]) for r in csv.DictReader(open(sys.argv[1])) if r["status"] == "200"]
print(f"{sum(1 for t in done if 4 <= t < 12) / 8.0:.2f}")
PY
)
echo "capacity probe: $CAP requests/s (nominal one core: $NOMINAL)"
# Writes the experiment's rate trace (t_seconds,rps) and returns how long it runs.
make_trace() {
  local exp=$1 out=$2
  python3 - "$exp" "$out" "$CAP" <<'PY'
import csv, sys
exp, out, cap = sys.argv[1], sys.argv[2], float(sys.argv[3])
if exp == "levels":   # utilization steps up to near saturation, 35 s each
    rows = [(35 * i, rho * cap) for i, rho in enumerate([0.15, 0.3, 0.45, 0.6, 0.75, 0.85])]
    end = 35 * 6
elif exp == "burst":  # a 15 s burst at 1.4x capacity over a 0.35 base
    rows = [(0, 0.35 * cap), (40, 1.4 * cap), (55, 0.35 * cap)]
    end = 100
elif exp == "trace":  # World Cup 98 semi-final kick-off ramp, 60 min in 120 s, peak at 0.9x capacity
    src = "scenarios/traces/worldcup98/wc98_week_19980702_1min.csv"
    off = 5 * 86400 + 20 * 3600 + 30 * 60
    seg = [(float(t) - off, float(r)) for t, r in list(csv.reader(open(src)))[1:] if off <= float(t) < off + 3600]
    scale = 0.9 * cap / max(r for _, r in seg)
    rows = [(t / 30.0, r * scale) for t, r in seg]
    end = 120
else:
    sys.exit(f"unknown experiment '{exp}' (levels, burst, trace)")
with open(out, "w") as f:
    f.write("t_seconds,rps\n")
    for t, r in rows:
        f.write(f"{t:g},{r:.3f}\n")
print(end)
PY
}

for EXP in "${EXPERIMENTS[@]}"; do
  DIR="$HERE/data/$EXP"
  rm -rf "$DIR"; mkdir -p "$DIR"
  DURATION=$(make_trace "$EXP" "$DIR/offered_trace.csv")
  LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
  START=$(date +%s.%N)
  start_service "$BOOT_S"
  LG_START=$(date +%s.%N)
  taskset -c "$AUX_CPU" python3 "$HERE/loadgen.py" --port "$SVC_PORT" --trace "$DIR/offered_trace.csv" \
    --duration "$DURATION" --seed "$SEED" --log "$DIR/loadgen.csv"
  sleep 3
  kill "$SVC"; wait "$SVC" 2>/dev/null || true
  END=$(date +%s.%N)
  LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
  sleep 7   # past the rate() window: the next run's series start clean
  python3 "$HERE/export.py" --prometheus "$PROM" --start "$START" --end "$END" --step 1s --out "$DIR"
  cat > "$DIR/truth.toml" <<TOML
# The service's configuration: the truth calibration is checked against.
mean_ms = $MEAN_MS          # mean CPU demand per request (lognormal), ms
cv = $CV                    # its coefficient of variation
workers = $WORKERS          # worker processes
queue = $QUEUE              # requests admitted beyond the workers; more get 503
boot_s = $BOOT_S            # 503 (not ready) for this long after start
cores = 1                   # pinned to one CPU (taskset -c $SVC_CPU)
loadgen_start_unix = $LG_START
TOML
  cat > "$DIR/README.md" <<MD
# Experiment \`$EXP\`

Recorded by \`bash validation/run.sh $EXP\` on $(date -u +"%Y-%m-%d %H:%M UTC").

- Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(uname -sr).
- Load average (1, 5, 15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER.
  The machine was shared with other jobs; the service's core is contended by them
  (the service runs at nice $NICE to keep their share small).
- Service: \`validation/service.py\` (Python $(python3 -c 'import platform; print(platform.python_version())')),
  $WORKERS worker processes pinned to CPU $SVC_CPU, lognormal CPU demand mean $MEAN_MS ms, cv $CV,
  accept queue $QUEUE, not ready for $BOOT_S s after start (\`truth.toml\`).
- Capacity probe (12 s at 1.5x nominal): $CAP requests/s completed (nominal for one core: $NOMINAL);
  the trace's rates are fractions of the probed capacity.
- Load: \`validation/loadgen.py\` on CPU $AUX_CPU, Poisson arrivals following \`offered_trace.csv\`
  for $DURATION s (one row per request in \`loadgen.csv\`).
- Prometheus: $(prometheus --version 2>&1 | head -1), scrape interval 1 s, on 127.0.0.1;
  exported with \`query_range\` at step 1 s from $START to $END (unix s), one JSON file per query;
  \`import.toml\` names each file's role and query.
MD
  echo "recorded $EXP into $DIR (load average $LOAD_AFTER)"
done
