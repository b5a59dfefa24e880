#!/usr/bin/env bash
# The shipped Slurm array script (deploy/sweep.sbatch) on a real Slurm.
#
# Brings up a one-node cluster on localhost from Debian's slurm-wlm and
# munge: munged, slurmctld and slurmd are this script's own processes, with
# their config, state, sockets and logs in a temporary directory, stopped
# on exit whatever happens. Then, with the script submitted unchanged:
#
# 1. the documented flow (an array, then a merge job with
#    --dependency=afterok) gives a file byte-identical to a one-machine
#    `scalesim sweep` of the same sweep file;
# 2. an array task requeued mid-way (scontrol requeue) runs again and
#    writes its whole shard; a task cancelled mid-way (scancel JOB_IDX)
#    leaves the set incomplete: the afterok merge never starts,
#    `scalesim merge` refuses and names the missing shard, and resubmitting
#    that index alone (sbatch --array=IDX) completes it, byte-identical.
#
# Usage: bash tests/cluster/slurm.sh   (root; SCALESIM_BIN to skip the build,
# KEEP=1 to keep the temporary directory)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
started=$SECONDS
sweep=$repo/tests/cluster/sweep.toml
name=cluster-smoke
script=$repo/deploy/sweep.sbatch

say() { echo "slurm: $*"; }
fail() {
    echo "slurm: FAIL: $*" >&2
    exit 1
}

# Waits up to $1 s for the command after it to succeed. A guard against a
# hung cluster, not a timing assertion.
within() {
    local limit=$1
    shift
    local t0=$SECONDS
    until "$@" 2>/dev/null; do
        [ $((SECONDS - t0)) -lt "$limit" ] || return 1
        sleep 0.2
    done
}
finished_all() { [ -z "$(squeue -h 2>/dev/null)" ]; }

# --- Packages -----------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge from Debian"
    # Another apt may hold the lock for a while on a shared machine.
    if ! { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
            --no-install-recommends slurm-wlm munge >/dev/null; }; then
        echo "slurm: SKIP: could not install slurm-wlm and munge with apt-get (no Debian mirror?)"
        exit 0
    fi
fi

bin=${SCALESIM_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin=$repo/target/release/scalesim
fi
bin=$(realpath "$bin")
# The jobs find scalesim on the PATH that sbatch exports, as on a cluster
# where it is installed.
tmp=$(mktemp -d /tmp/scalesim-slurm.XXXXXX)
mkdir -p "$tmp/bin"
ln -s "$bin" "$tmp/bin/scalesim"
export PATH=$tmp/bin:$PATH

# --- Cluster ------------------------------------------------------------
pids=()
cleanup() {
    local rc=$?
    # No job outlives the cluster: cancel what is left, then stop the daemons.
    if [ "${#pids[@]}" -eq 3 ]; then
        scancel --quiet --user=root 2>/dev/null || true
        within 30 finished_all || true
    fi
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[i]}" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ "$rc" -ne 0 ]; then
        for log in "$tmp"/log/*; do
            [ -f "$log" ] && {
                echo "--- tail of $log"
                tail -n 20 "$log"
            }
        done >&2
    fi
    if [ "${KEEP:-}" = 1 ] || [ "$rc" -ne 0 ]; then
        echo "slurm: kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp"/{munge,ctld,spool,log,run}
chmod 755 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
munged --foreground --force --socket="$tmp/munge/munge.sock" --key-file="$tmp/munge/munge.key" \
    --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" \
    --seed-file="$tmp/munge/munged.seed" >"$tmp/log/munged.log" 2>&1 &
pids+=($!)

# Two free ports on loopback, so the cluster never meets another one.
read -r ctld_port d_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')

export SLURM_CONF=$tmp/slurm.conf
# A minimal single-node cluster, root's own, with no cgroups and no
# accounting (slurm.conf(5)): linuxproc finds a job's processes by parent
# pid, task/none binds nothing.
cat >"$SLURM_CONF" <<EOF
ClusterName=scalesim-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# A requeued job waits for its old credential to expire (default 120 s).
AuthInfo=socket=$tmp/munge/munge.sock,cred_expire=5
StateSaveLocation=$tmp/ctld
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
KillWait=5
MailProg=/bin/true
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

for _ in $(seq 100); do [ -S "$tmp/munge/munge.sock" ] && break; sleep 0.1; done
[ -S "$tmp/munge/munge.sock" ] || fail "munged did not start"
slurmctld -D -i -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)

node_idle() { [ "$(sinfo -h -n localhost -o %T)" = idle ]; }
within 60 node_idle || fail "the node did not come up idle: $(sinfo 2>&1)"
say "cluster up: $(sinfo -h -o '%P %D %c CPUs %T') (Slurm $(sinfo -V | cut -d' ' -f2))"

# --- Helpers ------------------------------------------------------------
# The state of job or array task $1 (PENDING, RUNNING, COMPLETED, ...).
state() { scontrol -o show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
finished() { [ -z "$(squeue -h -j "$1" 2>/dev/null)" ]; }
# Fails unless every task of job $1 (a whole array) completed with exit 0.
completed() {
    local out
    out=$(scontrol -o show job "$1")
    if grep -v 'JobState=COMPLETED .*ExitCode=0:0' <<<"$out" | grep -q .; then
        grep -o 'JobId=[^ ]* .*JobState=[^ ]*\|ExitCode=[^ ]*\|StdOut=[^ ]*' <<<"$out" >&2
        tail -n 5 ./*.out >&2 || true
        fail "job $1 did not complete"
    fi
}
# A directory to submit from, as a repository root: the inputs, no results.
site() {
    local dir=$tmp/$1
    mkdir -p "$dir"
    for d in scenarios models sweeps tests; do ln -s "$repo/$d" "$dir/$d"; done
    echo "$dir"
}
# The merge command of the script's header, for this sweep.
merge_cmd="scalesim merge results/$name.shard-*-of-4.csv --out results/$name.csv"
# Compares the merged files in the current directory with one machine's.
identical() {
    cmp "$tmp/one/$name.csv" "results/$name.csv" || fail "the merged runs differ from the one-machine sweep"
    cmp "$tmp/one/$name.points.csv" "results/$name.points.csv" || fail "the merged aggregate differs"
}

# --- The reference: one machine -----------------------------------------
say "one machine: scalesim sweep tests/cluster/sweep.toml"
scalesim sweep "$sweep" --quiet --out "$tmp/one/" >/dev/null

# --- 1. The documented flow ---------------------------------------------
cd "$(site flow)"
jid=$(sbatch --parsable "$script" tests/cluster/sweep.toml)
mid=$(sbatch --parsable --dependency="afterok:$jid" --wrap "$merge_cmd")
say "array $jid, merge $mid after afterok:$jid"
within 600 finished "$jid" || fail "array $jid did not finish"
completed "$jid"
within 600 finished "$mid" || fail "merge job $mid did not finish"
completed "$mid"
identical
say "ok: 4 array tasks and the afterok merge give the one-machine file, byte for byte"

# --- 2. A task cancelled mid-way, then resubmitted ----------------------
cd "$(site cancel)"
jid=$(sbatch --parsable "$script" tests/cluster/sweep.toml)
mid=$(sbatch --parsable --dependency="afterok:$jid" --wrap "$merge_cmd")
say "array $jid, merge $mid; requeueing task 1 and cancelling task 2 mid-way"
# Whether task $1 runs its sweep: it prints its plan line before its first run.
sweeping() { [ "$(state "${jid}_$1")" = RUNNING ] && grep -q "shard $1/4" "scalesim-sweep-${jid}_$1.out"; }
# A requeue (what Slurm does on a node failure or preemption) stops the
# task and runs it again with the same index: the shard must come out whole.
within 600 sweeping 1 || fail "task ${jid}_1 never started its sweep"
scontrol requeue "${jid}_1"
within 600 sweeping 2 || fail "task ${jid}_2 never started its sweep"
scancel "${jid}_2"
within 600 finished "$jid" || fail "array $jid did not finish"
[ "$(state "${jid}_2")" = CANCELLED ] || fail "task ${jid}_2 ended $(state "${jid}_2") before scancel reached it"
for i in 0 1 3; do [ "$(state "${jid}_$i")" = COMPLETED ] || fail "task ${jid}_$i: $(state "${jid}_$i")"; done
scontrol -o show job "${jid}_1" | grep -q 'Restarts=1 ' || fail "task ${jid}_1 was not requeued"
left=$(shopt -s nullglob && echo results/.*-2-of-4* results/*-2-of-4*)
say "task 2 cancelled mid-way; it left: ${left:-nothing}"
# afterok is never satisfied by a cancelled task: the merge job waits for
# ever (Slurm does not cancel it unless kill_invalid_depend is set).
reason() { [ "$(squeue -h -j "$mid" -o %r)" = DependencyNeverSatisfied ]; }
within 60 reason || fail "merge $mid: $(squeue -h -j "$mid" -o '%T %r')"
scancel "$mid"
# shellcheck disable=SC2086 # the glob is the documented command's
if refusal=$(scalesim merge results/$name.shard-*-of-4.csv --out "results/$name.csv" 2>&1); then
    fail "merge accepted an incomplete set: $refusal"
fi
grep -Eq "shard 2/4 of sweep '$name' is missing|shard 2/4 should hold" <<<"$refusal" ||
    fail "merge's refusal does not name shard 2/4: $refusal"
[ ! -e "results/$name.csv" ] || fail "a refused merge wrote results/$name.csv"
say "merge refused: $(head -n 1 <<<"$refusal")"
jid=$(sbatch --parsable --array=2 "$script" tests/cluster/sweep.toml)
mid=$(sbatch --parsable --dependency="afterok:$jid" --wrap "$merge_cmd")
say "resubmitted index 2 alone as $jid, merge $mid"
within 600 finished "$mid" || fail "merge job $mid did not finish"
completed "$jid"
completed "$mid"
identical
say "ok: after resubmitting index 2, the merge gives the one-machine file, byte for byte"

say "passed in $((SECONDS - started)) s"
