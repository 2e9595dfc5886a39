#!/usr/bin/env bash
# Install Sentinella with its development tools into .venv, then run every check CI runs:
# lint, format, types and the whole test suite: the fast tests first, then those marked slow
# (end-to-end worlds, fuzzing, fault injection) in their own step.
#   Usage: bash scripts/test.sh [pytest args, given to both steps]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'

echo "== ruff"
.venv/bin/ruff check src tests benchmarks examples
.venv/bin/ruff format --check src tests benchmarks examples
echo "== mypy"
.venv/bin/mypy
# A step that selects no test (status 5, e.g. a file with only fast tests) is not a failure.
pytest_step() {
    local status=0
    .venv/bin/python -m pytest -q "$@" || status=$?
    if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then
        exit "$status"
    fi
}
echo "== pytest (fast)"
pytest_step -m "not slow and not spark" "$@"
echo "== pytest (slow)"
pytest_step -m "slow and not spark" "$@"
