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
    local out=out db=out/wgbw-2015.db
    echo "main: validating definitions"
    .venv/bin/rectify validate definitions/*.yaml
    mkdir -p "$out"
    # confidential values (reporters) are encrypted with a key kept outside the database
    if [ -z "${RECTIFY_KEY_FILE:-}" ]; then
        export RECTIFY_KEY_FILE="$out/rectify.key"
        [ -f "$RECTIFY_KEY_FILE" ] || .venv/bin/rectify db keygen "$RECTIFY_KEY_FILE"
    fi
    echo "main: replaying seed 001's campaign (July-December 2015) into $db"
    .venv/bin/python examples/wgbw-2015/replay.py --db "$db"
    echo "main: final status"
    .venv/bin/rectify campaign status wgbw-2015 --db "$db" --as-of 2015-12-31
    if .venv/bin/rectify diagram --help >/dev/null 2>&1; then
        for kind in stages items rectifications escalation units; do
            .venv/bin/rectify diagram wgbw-2015 --kind "$kind" --db "$db" --as-of 2015-12-31 \
                -o "$out/wgbw-2015-$kind.svg" >/dev/null
        done
        .venv/bin/rectify diagram wgbw-2015 --kind stages --db "$db" --as-of 2015-09-30 \
            -o "$out/wgbw-2015-stages-september.png" >/dev/null
        .venv/bin/rectify diagram wgbw-2015 --kind items --db "$db" --as-of 2015-12-31 \
            -o "$out/wgbw-2015-items.png" >/dev/null
        echo "main: diagrams written to $out/ (wgbw-2015-*.svg, *.png)"
    fi
    if .venv/bin/rectify ledger --help >/dev/null 2>&1; then
        .venv/bin/rectify ledger wgbw-2015 --db "$db" --as-of 2015-12-31 -o "$out/wgbw-2015-ledger.xlsx"
        .venv/bin/rectify report wgbw-2015 --month 2015-09 --db "$db" -o "$out/wgbw-2015-2015-09.html"
        .venv/bin/rectify board wgbw-2015 --db "$db" -o "$out/wgbw-2015-board.html"
        echo "main: ledger, September report and public board written to $out/"
    fi
    echo "main: the event logs' hash chains, and the state tables against a replay of the log"
    .venv/bin/rectify audit snapshots --all --db "$db"
    .venv/bin/rectify audit verify --all --db "$db"
    .venv/bin/rectify audit head wgbw-2015 --db "$db"
    echo "main: replaying seed 003's county (September 2015-January 2016) into $out/datong-2015.db"
    .venv/bin/python examples/datong-2015/replay.py --db "$out/datong-2015.db" --out "$out/datong-2015"
    echo "main: replaying seed 004's inspection plan (2020) into $out/minqin-2020.db"
    .venv/bin/python examples/minqin-2020/replay.py --db "$out/minqin-2020.db" --out "$out/minqin-2020"
}
# ============================ END MAIN JOB ====================================

main_job
echo "main: done"
