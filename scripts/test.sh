#!/usr/bin/env bash
# Lint and test: scripts/setup.sh --with-postgres, ruff, mypy, then pytest.
# Arguments go to pytest, e.g.  scripts/test.sh tests/test_postgres_fixture.py -k select
# The PostgreSQL fixtures (tests/conftest.py) start a throwaway server from the
# installed binaries, or use the server in RECTIFY_TEST_PG when that is set.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --with-postgres

# Tell the fixture where the PostgreSQL server binaries are (unless told already).
if [ -z "${RECTIFY_PG_BINDIR:-}" ] && [ -z "${RECTIFY_TEST_PG:-}" ] && ! command -v initdb >/dev/null 2>&1; then
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then export RECTIFY_PG_BINDIR="$d"; break; fi
    done
fi

lint_dirs=()
for d in engine campaigns tests benchmarks; do
    [ -d "$d" ] && lint_dirs+=("$d")
done
if .venv/bin/ruff check -q "${lint_dirs[@]}"; then
    echo "ruff: ok (${lint_dirs[*]})"
else
    echo "ruff: FAILED (fix the findings above; 'ruff check --fix' handles many)" >&2
    exit 1
fi

# Types: mypy --strict over engine and campaigns, as set in pyproject.toml [tool.mypy].
if .venv/bin/mypy --no-error-summary; then
    echo "mypy: ok (engine campaigns)"
else
    echo "mypy: FAILED (fix the types reported above; see docs/development.md#types)" >&2
    exit 1
fi

exec .venv/bin/python -m pytest -q "$@"
