#!/usr/bin/env bash
# Run a command with COACH_TEST_DATABASE_URL naming a throwaway PostgreSQL server: installed
# with apt-get when missing, started on a free loopback port from a temporary directory (as
# the postgres user when run as root), stopped and removed when the command ends.
#   bash scripts/with-postgres.sh python -m pytest -m "not browser"
set -euo pipefail

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true; }

if [[ ! -x "$(pg_bin)/pg_ctl" ]]; then
    # Only the binaries are wanted: no cluster of the package's own, nothing left running.
    if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
        mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
bin="$(pg_bin)"

# initdb refuses to run as root.
as_pg=()
dir="$(mktemp -d -t coach-pg.XXXXXX)"
if [[ $EUID -eq 0 ]]; then
    as_pg=(runuser -u postgres --)
    chown postgres: "$dir"
fi

cleanup() {
    "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

"${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; exit 1; }
# Durability is worthless for a server that lives as long as one test run. Autovacuum is off:
# its workers run as the superuser, and dropping a test database while one works on it fails
# for the ordinary role the tests use ("must be a member of the role whose process is being
# terminated").
"${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o \
    "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c autovacuum=off" \
    start >/dev/null || { cat "$dir/server.log"; exit 1; }
# An ordinary role that may create databases (one per test), as an application would have.
"${as_pg[@]}" "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE coach LOGIN CREATEDB" -c "CREATE DATABASE coach OWNER coach"

echo "PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port"
COACH_TEST_DATABASE_URL="postgresql://coach@127.0.0.1:$port/coach" "$@"
