#!/usr/bin/env bash
# `make bench [DB=postgres]`: the load benchmark of issue 9 on loopback only. With
# DB=postgres it starts a throwaway PostgreSQL on 127.0.0.1 (as scripts/test.sh does) and
# stops it in a trap. Extra arguments go to bench/load/run.py (e.g. --quick, --profile NAME).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
DB="${DB:-sqlite}"
ARGS=("$@")
[ -n "${PROFILE:-}" ] && ARGS+=(--profile "$PROFILE")

if [ "$DB" = postgres ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGDIR=$(mktemp -d)
  PGPORT="${QUIZAPP_BENCH_PGPORT:-54339}"
  chmod 755 "$PGDIR"
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ "$(id -u)" = 0 ] && chown postgres: "$PGDIR"
  stop_pg() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
  trap stop_pg EXIT
  as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  # Durable as SQLite's WAL + synchronous=NORMAL is: fsync on, commits not waited for
  # (synchronous_commit=off loses at most the last ~0.6 s on a crash, never corrupts).
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 30 \
    -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDIR -c synchronous_commit=off \
        -c shared_buffers=1GB -c max_connections=100 -c max_wal_size=4GB" start >/dev/null
  "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres quizapp_bench
  export BENCH_PGDATA="$PGDIR/data"
  .venv/bin/python bench/load/run.py --label postgres \
    --db "postgresql+psycopg://postgres@127.0.0.1:$PGPORT/quizapp_bench" "${ARGS[@]}"
else
  .venv/bin/python bench/load/run.py --label sqlite "${ARGS[@]}"
fi
