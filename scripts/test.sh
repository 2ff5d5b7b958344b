#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run the whole suite on
# SQLite and again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet --disable-pip-version-check -e ".[test]"

# The browser tests drive Debian's Chromium (never `playwright install`); a CJK font keeps
# Chinese from rendering as boxes in screenshots. Installed only when missing.
command -v chromium >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null
}

# Two workers match the two cores CI has.
python -m pytest -n 2 "$@"

# The same suite against a real PostgreSQL server (a throwaway one, installed if missing);
# the browser tests run once, above. COACH_TEST_SKIP_POSTGRES=1 skips this pass.
if [[ "${COACH_TEST_SKIP_POSTGRES:-}" != 1 ]]; then
    bash scripts/with-postgres.sh python -m pytest -n 2 -m "not browser" "$@"
fi
