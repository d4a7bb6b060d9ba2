#!/usr/bin/env bash
# The main job: prepare the checkout (scripts/setup.sh), then run Rectify.
# Exits non-zero if either part fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
trap 'rc=$?; if [ "$rc" -ne 0 ]; then echo "main: FAILED (exit $rc)" >&2; fi' EXIT

bash scripts/setup.sh

# ============================== MAIN JOB ======================================
# Everything `scripts/main.sh` does beyond setup lives in this block. It runs
# under `set -e`: the first failing command stops the job with its exit code.
main_job() {
    echo "main: validating definitions"
    .venv/bin/rectify validate definitions/*.yaml
}
# ============================ END MAIN JOB ====================================

main_job
echo "main: done"
