#!/usr/bin/env bash
# The whole test suite: lint, everything on SQLite, the service and web tests again with the
# tests' clock 400 days later, the database tests on a real PostgreSQL started here on loopback
# (stopped in a trap), then the browser tests in headless Chromium. Extra arguments go to every
# pytest run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
PYTEST=(.venv/bin/pytest -p no:cacheprovider -q)
WORKERS="${QUIZAPP_TEST_WORKERS:-2}"
LOG=$(mktemp)
run() { "$@" 2>&1 | tee -a "$LOG"; return "${PIPESTATUS[0]}"; }

echo "==> ruff"
.venv/bin/ruff check quizapp tests bench

echo "==> tests on SQLite"
run "${PYTEST[@]}" -n "$WORKERS" -m "not browser" "$@" tests

# No date is hard-wired: the service and web tests again with the tests' clock (tests/conftest.py)
# set 400 days after today, not at its frozen date.
LATER=$(date -u -d '+400 days' +%Y-%m-%dT03:00:00+00:00)
echo "==> service and web tests on SQLite at $LATER"
QUIZAPP_TEST_NOW="$LATER" run "${PYTEST[@]}" -n "$WORKERS" -m "not browser" "$@" tests/services tests/web

echo "==> tests on PostgreSQL"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDIR=$(mktemp -d)
PGPORT="${QUIZAPP_TEST_PGPORT:-54329}"
chmod 755 "$PGDIR"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$PGDIR"
stop_pg() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
trap stop_pg EXIT
as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 30 \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres quizapp_test
QUIZAPP_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/quizapp_test" \
  run "${PYTEST[@]}" -n "$WORKERS" -m "not browser" "$@" tests/services tests/web tests/db
stop_pg
trap - EXIT

echo "==> browser tests (headless Chromium)"
# A browser test that hangs fails after 3 minutes with every thread's stack (pytest-timeout),
# instead of holding the run.
run "${PYTEST[@]}" -m browser --timeout 180 "$@" tests/browser

# One closing line for the three runs (SQLite, PostgreSQL, Chromium).
passed=$({ grep -oE '[0-9]+ passed' "$LOG" || true; } | awk '{s+=$1} END {print s+0}')
failed=$({ grep -oE '[0-9]+ failed' "$LOG" || true; } | awk '{s+=$1} END {print s+0}')
rm -f "$LOG"
echo "total: $passed passed, $failed failed"
