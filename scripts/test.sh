#!/usr/bin/env bash
# Run the whole suite on a fresh machine, needing nothing preinstalled but Python 3.11+:
# a virtual environment of its own (.venv-test, without the system's site packages) holding the
# exact versions of requirements/test.lock, then the suite on SQLite and again on PostgreSQL.
# Both passes always run; the script fails if either does (or runs no test).
#   bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-test
lock=requirements/test.lock

# Reused while the lock (and the Python building it) is unchanged, rebuilt from scratch otherwise;
# `pip check` catches a lock that no longer satisfies pyproject.toml.
python="${PYTHON:-python3}"
want="$({ cat "$lock"; "$python" -VV; } | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$venv/.lock-sha256" 2>/dev/null)" != "$want" ]]; then
    echo "Creating $venv from $lock"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock"
    echo "$want" >"$venv/.lock-sha256"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    --no-build-isolation -e .
"$venv/bin/python" -m pip check >/dev/null || {
    "$venv/bin/python" -m pip check || true
    echo "requirements/test.lock does not satisfy pyproject.toml: run bash scripts/lock.sh" >&2
    exit 1
}
export VIRTUAL_ENV="$PWD/$venv" PATH="$PWD/$venv/bin:$PATH"

# The browser tests drive Debian's Chromium (never `playwright install`); a CJK font keeps
# Chinese from rendering as boxes in screenshots. Installed only when missing.
command -v chromium >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null
}

failed=()
run_pass() {
    local name="$1" status=0
    shift
    echo "=== $name pass: ${*@Q}"
    "$@" || status=$?
    case "$status" in
        0) echo "=== $name pass: passed" ;;
        5) echo "=== $name pass: FAILED, no test ran" >&2 ;;
        *) echo "=== $name pass: FAILED (exit $status)" >&2 ;;
    esac
    [[ "$status" == 0 ]] || failed+=("$name")
}

# Two workers match the two cores CI has.
run_pass SQLite python -m pytest -n 2 "$@"

# The same suite against a real PostgreSQL server (a throwaway one, installed if missing); the
# browser and install tests run once, above. COACH_TEST_SKIP_POSTGRES=1 skips this pass.
if [[ "${COACH_TEST_SKIP_POSTGRES:-}" != 1 ]]; then
    run_pass PostgreSQL bash scripts/with-postgres.sh \
        python -m pytest -n 2 -m "not browser and not install" "$@"
else
    echo "=== PostgreSQL pass: skipped (COACH_TEST_SKIP_POSTGRES=1)"
fi

if ((${#failed[@]})); then
    echo "=== failed: ${failed[*]}" >&2
    exit 1
fi
