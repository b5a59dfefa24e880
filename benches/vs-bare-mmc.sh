#!/usr/bin/env bash
# scalesim against the bare heap loop (../shared/reference/bare-mmc) on the
# same M/M/10 (λ = 800/s, mean service 10 ms), as whole processes, CPU time
# (user + sys), five alternating pairs, medians. Five million customers
# (6,250 s) each: `time` counts in hundredths of a second, and at a million
# the bare loop's 0.07 s left the ratio ±15% of rounding.
# scalesim writes its outputs; the bare loop writes nothing.
#   bash benches/vs-bare-mmc.sh [path/to/bare-mmc]
set -euo pipefail
cd "$(dirname "$0")/.."
bare_dir=${1:-../shared/reference/bare-mmc}
cargo build --release -q
cargo build --release -q --manifest-path "$bare_dir/Cargo.toml"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cpu() { /usr/bin/time -f "%U %S" -o "$out/t" "$@" >/dev/null 2>&1; awk '{print $1 + $2}' "$out/t"; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for _ in 1 2 3 4 5; do
  cpu target/release/scalesim run scenarios/mmc.toml --set fleet.cores=10 --set fleet.workers=10 \
    --set 'traffic.shape={kind="constant",rps=800}' --set 'duration="6250s"' --out "$out/run" --force -q >>"$out/s"
  cpu "$bare_dir/target/release/bare-mmc" 10 8 1 5000000 1 >>"$out/b"
done
s=$(median <"$out/s") b=$(median <"$out/b")
awk -v s="$s" -v b="$b" 'BEGIN {
  printf "scalesim %.2f s (%.2fM customers/CPU-s), bare loop %.2f s (%.2fM/CPU-s): scalesim at %.0f%% of the bare loop\n",
    s, 5.002 / s, b, 5.0 / b, 100 * b / s }'
