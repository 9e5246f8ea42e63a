#!/usr/bin/env bash
# Install everything quizapp needs on a fresh Debian machine: system packages (when root),
# the virtual environment with pinned Python packages, and (for tests) the browser tools.
# Usage: scripts/bootstrap.sh run|test|bench (bench: also wrk, nginx, PostgreSQL and py-spy)
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-run}"

RUN_PKGS=(libharfbuzz-subset0 fonts-dejavu-core)
TEST_PKGS=(chromium poppler-utils zbar-tools postgresql)
BENCH_PKGS=(wrk nginx-light postgresql)

missing=()
want=("${RUN_PKGS[@]}")
[ "$MODE" = test ] && want+=("${TEST_PKGS[@]}")
[ "$MODE" = bench ] && want+=("${BENCH_PKGS[@]}")
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "!! missing Debian packages: ${missing[*]}"
    echo "!! install them with: sudo apt-get install ${missing[*]}"
    [ "$MODE" != run ] && exit 1
  fi
fi

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.lock-$(sha256sum requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> installing Python packages from requirements.lock"
  if ! command -v uv >/dev/null; then
    .venv/bin/python -m pip install -q uv
    UV=.venv/bin/uv
  else
    UV=uv
  fi
  "$UV" pip install -q -p .venv/bin/python -r requirements.lock
  "$UV" pip install -q -p .venv/bin/python --no-deps -e .
  rm -f .venv/.lock-* && touch "$stamp"
fi

if [ "$MODE" = test ] && [ ! -f node_modules/axe-core/axe.min.js ]; then
  echo "==> installing axe-core (npm)"
  npm ci --no-audit --no-fund --silent
fi

.venv/bin/pybabel compile -d quizapp/translations 2>&1 | grep -v "^compiling" || true

# The profiler of `make bench PROFILE=…`, in its own environment (never in the app's).
if [ "$MODE" = bench ] && [ ! -x .venv-bench/bin/py-spy ]; then
  echo "==> installing py-spy in .venv-bench"
  "$PY" -m venv .venv-bench
  .venv-bench/bin/python -m pip install -q "py-spy==0.4.1"
fi
