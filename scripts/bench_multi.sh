#!/usr/bin/env bash
# `make bench-multi`: two app servers (gunicorn on 127.0.0.1:8201 and :8202) behind a local
# nginx (127.0.0.1:8200) against one PostgreSQL, all started here in a temporary directory and
# stopped in a trap; asserts that an attempt started through one server finishes through the
# other (bench/load/multi.py).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DIR=$(mktemp -d)
chmod 755 "$DIR"
PGPORT="${QUIZAPP_BENCH_PGPORT:-54349}"
A=8201; B=8202; PROXY=8200
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  as_pg "$PGBIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
mkdir "$DIR/pg" && [ "$(id -u)" = 0 ] && chown postgres: "$DIR/pg"
as_pg "$PGBIN/initdb" -D "$DIR/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg/server.log" -w -t 30 \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $DIR/pg" start >/dev/null
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres quizapp

# Everything both servers share comes from the environment: the database, the secret (the
# session cookie is signed with it), the signing keys and rendered certificates (here one
# directory; in production shared storage), the cache and rate-limit stores.
export QUIZAPP_ENV=production
export QUIZAPP_SECRET_KEY="multi-secret-$(printf 'k%.0s' {1..40})"
export QUIZAPP_PII_HASH_KEY="multi-pii-$(printf 'p%.0s' {1..40})"
export QUIZAPP_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/quizapp"
export QUIZAPP_INSTANCE_PATH="$DIR/shared"
export QUIZAPP_BASE_URL="http://127.0.0.1:$PROXY"
export QUIZAPP_RATELIMIT_ENABLED=0
export QUIZAPP_TRUSTED_PROXIES=1  # nginx below
.venv/bin/python bench/load/multi.py prepare "$DIR/fixture.json" >/dev/null

for port in $A $B; do
  HOST=127.0.0.1 PORT=$port .venv/bin/gunicorn -c gunicorn.conf.py wsgi:app \
    >"$DIR/app-$port.log" 2>&1 &
  PIDS+=($!)
done

cat >"$DIR/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log $DIR/nginx-access.log;
  client_body_temp_path $DIR/nginx-body;
  proxy_temp_path $DIR/nginx-proxy;
  fastcgi_temp_path $DIR/nginx-fastcgi;
  uwsgi_temp_path $DIR/nginx-uwsgi;
  scgi_temp_path $DIR/nginx-scgi;
  upstream quizapp {
    server 127.0.0.1:$A;
    server 127.0.0.1:$B;
    keepalive 16;
  }
  proxy_cache_path $DIR/nginx-cache levels=1:2 keys_zone=quizapp_public:10m max_size=64m
                   inactive=10m use_temp_path=off;
  server {
    listen 127.0.0.1:$PROXY;
    include $DIR/quizapp-locations.conf;  # the shipped deploy/ configuration
  }
}
CONF
# The locations and proxy settings a deployment uses (deploy/), with its placeholders filled.
for f in quizapp-locations.conf quizapp-proxy.conf; do
  sed -e "s#@STATIC_ROOT@#$PWD/quizapp/static#g" -e "s#@DEPLOY_DIR@#$DIR#g" "deploy/$f" >"$DIR/$f"
done
nginx -p "$DIR" -c "$DIR/nginx.conf" &
PIDS+=($!)

for port in $A $B $PROXY; do
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
done
.venv/bin/python bench/load/multi.py check "$DIR/fixture.json" $A $B $PROXY \
  "$DIR/app-$A.log" "$DIR/app-$B.log"

# The pages crowds read without logging in, from one app server alone and through nginx with
# the shipped configuration (its micro-cache): requests per second and latency by wrk.
CODE=$(.venv/bin/python -c "import json,sys; print(json.load(open(sys.argv[1]))['codes'][0])" "$DIR/fixture.json")
RANKING=$(.venv/bin/python -c "import json,sys; f=json.load(open(sys.argv[1])); print(f'/c/{f[\"slug\"]}/rounds/{f[\"graded_round\"]}/ranking')" "$DIR/fixture.json")
OUT=bench/results/multi-public.txt
{
  echo "# make bench-multi: public pages, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, wrk -t2 -c64 -d10s"
  for path in "/v/$CODE" "$RANKING"; do
    for port in $A $PROXY; do
      label=$([ "$port" = "$PROXY" ] && echo "through nginx" || echo "app server alone")
      echo "## $path — $label"
      wrk -t2 -c64 -d10s --latency "http://127.0.0.1:$port$path" | grep -E "Requests/sec|Latency|99%|Non-2xx"
    done
  done
} | tee "$OUT"
