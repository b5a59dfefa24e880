"""The shipped Kubernetes Jobs (deploy/sweep-job.yaml, deploy/merge-job.yaml).

No cluster runs here, so this checks what can be checked without one:

1. both files validate against the batch/v1 (and v1) OpenAPI schemas that
   kubernetes-validate bundles, strictly (no unknown fields), for the oldest
   and newest Kubernetes it knows, and a misspelt copy is refused;
2. docs/sweeps.md shows the files verbatim;
3. the Job agrees with itself: Indexed, SCALESIM_SHARDS = completions = the
   merge's "-of-N", --jobs = the CPU limit;
4. every pod's command runs locally as the pod would (its env plus
   JOB_COMPLETION_INDEX, which Kubernetes sets in Indexed Jobs), the merge
   Job's command joins the shards, and the result is byte-identical to a
   one-machine sweep.

Usage: python kubernetes.py SCALESIM_BINARY (run by tests/cluster/kubernetes.sh)
"""

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SWEEP_JOB = REPO / "deploy/sweep-job.yaml"
MERGE_JOB = REPO / "deploy/merge-job.yaml"
# The oldest and newest schemas kubernetes-validate 1.37 bundles;
# completionMode: Indexed is GA since 1.24.
VERSIONS = ["1.25.0", "1.37.0"]


def fail(message):
    sys.exit(f"kubernetes: FAIL: {message}")


def validate(path, version):
    """kubernetes-validate's verdict on `path`: (passed, its output)."""
    tool = Path(sys.executable).with_name("kubernetes-validate")
    cmd = [str(tool), "--strict", "--quiet", "-k", version, str(path)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def check_schemas(tmp):
    for path in (SWEEP_JOB, MERGE_JOB):
        for version in VERSIONS:
            ok, out = validate(path, version)
            if not ok:
                fail(f"{path.relative_to(REPO)} against Kubernetes {version}: {out}")
    # The validator can fail: a misspelt field is refused.
    bad = tmp / "misspelt.yaml"
    bad.write_text(SWEEP_JOB.read_text().replace("completionMode:", "completionMod:"))
    ok, out = validate(bad, VERSIONS[-1])
    if ok or "'completionMod' was unexpected" not in out:
        fail(f"a misspelt field passed validation: {out}")
    print(f"kubernetes: ok: both Jobs are valid batch/v1 for Kubernetes {' and '.join(VERSIONS)} (strict)")


def check_docs():
    doc = (REPO / "docs/sweeps.md").read_text()
    for path in (SWEEP_JOB, MERGE_JOB, REPO / "deploy/sweep.sbatch"):
        lang = "bash" if path.suffix == ".sbatch" else "yaml"
        if f"```{lang}\n{path.read_text()}```" not in doc:
            fail(f"docs/sweeps.md does not show {path.relative_to(REPO)} verbatim")
    print("kubernetes: ok: docs/sweeps.md shows deploy/ verbatim")


def one(docs, kind):
    found = [d for d in docs if d and d.get("kind") == kind]
    if len(found) != 1:
        fail(f"expected one {kind}, found {len(found)}")
    return found[0]


def check_consistency():
    job = one(yaml.safe_load_all(SWEEP_JOB.read_text()), "Job")
    merge = one(yaml.safe_load_all(MERGE_JOB.read_text()), "Job")
    spec = job["spec"]
    (pod,) = spec["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in pod.get("env", [])}
    merge_args = " ".join(merge["spec"]["template"]["spec"]["containers"][0]["args"])
    jobs = pod["command"][pod["command"].index("--jobs") + 1]
    checks = [
        (spec.get("completionMode") == "Indexed", "the sweep Job is not Indexed"),
        (env.get("SCALESIM_SHARDS") == str(spec["completions"]), "SCALESIM_SHARDS is not completions"),
        (f"-of-{spec['completions']}.csv" in merge_args, "the merge's file pattern is not -of-<completions>"),
        (jobs == str(pod["resources"]["limits"]["cpu"]), "--jobs is not the CPU limit"),
    ]
    for ok, message in checks:
        if not ok:
            fail(message)
    return job, merge


def run_locally(binary, job, merge, tmp):
    """Runs every pod's command, then the merge's, with /results in `tmp`."""
    spec = job["spec"]
    (pod,) = spec["template"]["spec"]["containers"]
    (merger,) = merge["spec"]["template"]["spec"]["containers"]
    mount = pod["volumeMounts"][0]["mountPath"]
    results = tmp / "results"
    results.mkdir()
    bindir = tmp / "bin"
    bindir.mkdir()
    (bindir / "scalesim").symlink_to(binary)
    base = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    local = lambda args: [a.replace(mount, str(results)) for a in args]  # noqa: E731
    # The image's workingDir holds a copy of the repository's inputs.
    for index in range(spec["completions"]):
        env = dict(base, JOB_COMPLETION_INDEX=str(index))
        env.update({e["name"]: e["value"] for e in pod.get("env", [])})
        cmd = local(pod["command"] + pod.get("args", []))
        r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"pod {index}: {' '.join(cmd)}: {r.stderr}")
    cmd = local(merger["command"] + merger.get("args", []))
    r = subprocess.run(cmd, cwd=REPO, env=base, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"merge: {r.stderr}")
    sweep = next(a for a in pod["command"] if a.endswith(".toml"))
    one_machine = tmp / "one"
    subprocess.run([binary, "sweep", sweep, "--quiet", "--out", f"{one_machine}/"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    # The sweep's record is its CSVs; the one-machine sweep also writes a
    # report.html view of them, which `merge` leaves to `scalesim report`.
    for produced in sorted(one_machine.glob("*.csv")):
        if not filecmp.cmp(produced, results / produced.name, shallow=False):
            fail(f"the merged {produced.name} differs from the one-machine sweep")
    print(f"kubernetes: ok: {spec['completions']} pods' commands and the merge Job's give the one-machine "
          f"{sweep} outputs, byte for byte")


def main():
    binary = Path(sys.argv[1]).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="scalesim-k8s."))
    try:
        check_schemas(tmp)
        check_docs()
        job, merge = check_consistency()
        run_locally(binary, job, merge, tmp)
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
