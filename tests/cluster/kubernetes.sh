#!/usr/bin/env bash
# The shipped Kubernetes Jobs, without a cluster: schema validation and a
# local run of their commands (tests/cluster/kubernetes.py says what).
# Usage: bash tests/cluster/kubernetes.sh   (SCALESIM_BIN to skip the build)
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS
venv=target/cluster/venv
if [ ! -x "$venv/bin/kubernetes-validate" ]; then
    # The validator bundles the Kubernetes OpenAPI schemas, so it needs no
    # cluster and no download at run time.
    if ! { python3 -m venv "$venv" && "$venv/bin/pip" install --quiet kubernetes-validate==1.37.0; }; then
        echo "kubernetes: SKIP: could not install kubernetes-validate from PyPI"
        exit 0
    fi
fi
bin=${SCALESIM_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin=target/release/scalesim
fi
"$venv/bin/python" tests/cluster/kubernetes.py "$bin"
echo "kubernetes: passed in $((SECONDS - started)) s"
