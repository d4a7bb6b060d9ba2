#!/usr/bin/env bash
# Prepare this checkout for running Rectify: system packages and the .venv.
#
#   scripts/setup.sh                  graphviz, CJK fonts, Pango, .venv with '.[dev]'
#   scripts/setup.sh --with-postgres  also the PostgreSQL server, Chromium (and its driver) and
#                                     poppler-utils
#                                     (for the tests)
#   scripts/setup.sh --reinstall      run 'pip install' even if .venv looks up to date
#
# Idempotent and quiet: one line per step, and close to instant when everything
# is already there. System packages are installed with apt-get only when they are
# missing and only as root (or with password-less sudo); otherwise the exact
# command to run is printed. Environment: PYTHON (interpreter for the venv, default
# python3), RECTIFY_WITH_POSTGRES=1 (same as --with-postgres).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
VENV="$ROOT/.venv"
STAMP="$VENV/.rectify-setup"

with_postgres=${RECTIFY_WITH_POSTGRES:-0}
reinstall=0
for arg in "$@"; do
    case "$arg" in
        --with-postgres) with_postgres=1 ;;
        --reinstall) reinstall=1 ;;
        -h|--help) sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "setup: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

say() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

LOG=$(mktemp "${TMPDIR:-/tmp}/rectify-setup.XXXXXX")
trap 'rm -f "$LOG"' EXIT
# Show the captured output of a failed step (pip and apt are run quietly).
show_log() { echo "---- last lines of output ----" >&2; tail -n 40 "$LOG" >&2; echo "----" >&2; }

# --- 1. Python >= 3.11 ---------------------------------------------------------
py_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }
PY=""
if [ -n "${PYTHON:-}" ]; then
    py_ok "$PYTHON" || die "PYTHON=$PYTHON is not a Python >= 3.11."
    PY=$PYTHON
else
    for cand in python3 python3.13 python3.12 python3.11; do
        if command -v "$cand" >/dev/null 2>&1 && py_ok "$cand"; then PY=$(command -v "$cand"); break; fi
    done
fi
if [ -z "$PY" ]; then
    found=$(python3 --version 2>/dev/null || echo "no python3 in PATH")
    die "Rectify needs Python >= 3.11 (found: $found).
  Fix: sudo apt-get install -y python3 python3-venv   (Debian 12 ships 3.11)
  or point PYTHON at one: PYTHON=/path/to/python3.11 $0"
fi
PY_VERSION=$("$PY" -c 'import platform; print(platform.python_version())')
say "python $PY_VERSION ok ($PY)"

# --- 2. System packages --------------------------------------------------------
pg_bindir() {  # prints the directory holding initdb and pg_ctl, if any
    local d
    if d=$(command -v initdb 2>/dev/null) && d=$(readlink -f "$d") && [ -x "$(dirname "$d")/pg_ctl" ]; then
        dirname "$d"; return 0
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    return 1
}

required=()   # missing and needed
optional=()   # missing, asked for, but the rest works without them (PostgreSQL, Chromium)

if command -v dot >/dev/null 2>&1; then say "graphviz ok"; else required+=(graphviz); fi
if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; then
    say "CJK fonts ok"
else
    required+=(fonts-noto-cjk)
    command -v fc-list >/dev/null 2>&1 || required+=(fontconfig)
fi
# WeasyPrint (the PDF notices) draws text with Pango.
if ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then
    say "pango ok"
else
    required+=(libpango-1.0-0 libpangoft2-1.0-0)
fi
# A venv needs ensurepip; Debian's own python3 has it only with python3-venv.
if [ ! -x "$VENV/bin/python" ] && ! "$PY" -c 'import ensurepip' >/dev/null 2>&1; then
    case "$PY" in
        /usr/bin/*) required+=(python3-venv) ;;
        *) die "$PY cannot create virtual environments (no ensurepip module)." ;;
    esac
fi
if [ "$with_postgres" = 1 ]; then
    if dir=$(pg_bindir); then say "postgresql ok ($dir)"; else optional+=(postgresql); fi
    # The dashboard's browser test renders the page in headless Chromium.
    if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
        || command -v google-chrome >/dev/null 2>&1; then
        say "chromium ok"
    else
        optional+=(chromium)
    fi
    # The web door's browser test drives Chromium through Selenium and its driver.
    if command -v chromedriver >/dev/null 2>&1; then say "chromium-driver ok"; else optional+=(chromium-driver); fi
    # The notices' tests read the PDFs back and render them (pdftotext, pdftoppm).
    if command -v pdftoppm >/dev/null 2>&1; then say "poppler-utils ok"; else optional+=(poppler-utils); fi
fi

missing=("${required[@]}" "${optional[@]}")
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then sudo=(sudo -n); fi
    fi
    if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" -ne 0 ] && [ ${#sudo[@]} -eq 0 ]; }; then
        msg="missing system packages: ${missing[*]}.
  Install them with: sudo apt-get install -y ${missing[*]}"
        if [ ${#required[@]} -gt 0 ]; then die "$msg"; fi
        echo "setup: WARNING: $msg
  (tests that need them will be skipped, or fail under CI=true)" >&2
    else
        say "installing with apt-get: ${missing[*]} ..."
        start=$SECONDS
        apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300)
        if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
            "${apt[@]}" update >>"$LOG" 2>&1 || { show_log; die "apt-get update failed."; }
        fi
        if ! "${apt[@]}" install --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1; then
            # Stale package lists are the usual cause: refresh once and retry.
            "${apt[@]}" update >>"$LOG" 2>&1 || true
            "${apt[@]}" install --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 \
                || { show_log; die "apt-get install ${missing[*]} failed."; }
        fi
        say "installed ${missing[*]} ($((SECONDS - start))s)"
    fi
fi

# --- 3. Virtual environment and Python dependencies ----------------------------
# The venv is reused while it runs; 'pip install' is skipped while pyproject.toml,
# the interpreter and the checkout's location are those of the last good install.
if [ -x "$VENV/bin/python" ] && ! py_ok "$VENV/bin/python"; then
    say "existing .venv is broken or too old: recreating it"
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    rm -rf "$VENV"
    "$PY" -m venv "$VENV" >"$LOG" 2>&1 || { show_log; die "could not create .venv with $PY."; }
    say "created .venv"
fi
want=$("$VENV/bin/python" - "$ROOT" <<'EOF'
import hashlib, pathlib, platform, sys
root = pathlib.Path(sys.argv[1])
h = hashlib.sha256((root / "pyproject.toml").read_bytes())
h.update(f"\0{root}\0{platform.python_version()}\0[dev]".encode())
print(h.hexdigest())
EOF
)
if [ "$reinstall" = 0 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/rectify" ]; then
    say ".venv ok (dependencies up to date)"
else
    start=$SECONDS
    rm -f "$STAMP"
    if ! PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
        "$VENV/bin/python" -m pip install -q -e "$ROOT[dev]" >"$LOG" 2>&1; then
        show_log
        die "pip install -e '.[dev]' failed."
    fi
    echo "$want" >"$STAMP"
    say ".venv: installed -e '.[dev]' ($((SECONDS - start))s)"
fi
