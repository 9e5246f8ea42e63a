#!/usr/bin/env bash
# A database benchmark (bench/indicators.py, bench/round_reads.py) on SQLite, or with
# `postgres` as the second argument on a real PostgreSQL started here on 127.0.0.1 (stopped in
# a trap, as scripts/test.sh does). The PostgreSQL cluster lives in $QUIZAPP_BENCH_PGDIR
# (default instance/bench/pg-<script name>) and is kept between runs, so that the generated
# data are reused like the SQLite file beside it; delete the folder to start over.
# Usage: scripts/bench-db.sh SCRIPT [sqlite|postgres] [options of SCRIPT]
set -euo pipefail
cd "$(dirname "$0")/.."
SCRIPT="$1"
shift
NAME=$(basename "$SCRIPT" .py)
DB="${1:-sqlite}"
[ $# -gt 0 ] && shift
case "$DB" in
  sqlite) exec .venv/bin/python "$SCRIPT" "$@" ;;
  postgres|postgresql) ;;
  *) echo "usage: $0 SCRIPT [sqlite|postgres] [options of SCRIPT]" >&2; exit 2 ;;
esac

PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDIR="${QUIZAPP_BENCH_PGDIR:-$PWD/instance/bench/pg-$NAME}"
PGPORT="${QUIZAPP_BENCH_PGPORT:-54361}"  # not the load benchmark's 54339
if (exec 3<>"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null; then
  echo "port $PGPORT is in use: set QUIZAPP_BENCH_PGPORT to a free one" >&2
  exit 1
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$PGDIR"
chmod 755 "$PGDIR" "$(dirname "$PGDIR")"
[ "$(id -u)" = 0 ] && chown postgres: "$PGDIR"
if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
  as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
fi
stop_pg() { as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true; }
trap stop_pg EXIT
# Durability off (a throw-away benchmark database); memory settings of a small dedicated
# server (2 cores, a few GB): shared_buffers 512MB, work_mem 32MB.
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=512MB -c work_mem=32MB -c max_wal_size=4GB" start >/dev/null
QUIZAPP_BENCH_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/quizapp_bench_$NAME" \
  .venv/bin/python "$SCRIPT" "$@"
