#!/usr/bin/env bash
# Run every test: the Python suite (real Redis; SQLite, or PostgreSQL with TEST_DATABASE_URL) and the client's.
# COVERAGE=1 (make coverage) measures both instead, writes htmlcov/ and fails below the branch floors.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
pids=()
# Stop what this run started, and wait until it is gone: a Redis still saving its append-only file answers
# PING, so a second run started at once took it for its own and lost it mid-test.
cleanup() {
  for pid in "${pids[@]}"; do [ "$pid" != 0 ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do { [ "$pid" = 0 ] || ! kill -0 "$pid" 2>/dev/null; } && break; sleep 0.1; done
  done
}
trap cleanup EXIT INT TERM
if [ -z "${TEST_REDIS_URL:-}" ]; then
  redis_port=${NOVACART_TEST_REDIS_PORT:-6391}
  pids+=("$(scripts/redis.sh "$redis_port" "$(mktemp -d)")")
  export TEST_REDIS_URL="redis://127.0.0.1:$redis_port/15"
fi
status=0
coverage=${COVERAGE:-0}
if [ "${SKIP_BROWSER:-0}" = 1 ]; then
  printf '\033[1;33m%s\033[0m\n' "=== SKIP_BROWSER=1: the browser tests are SKIPPED ===" \
    "=== this run does not test the client's or the dashboard's pages in Chromium ==="
fi
if [ $# -eq 0 ] && [ "$coverage" != 1 ]; then
  echo "==> ruff (lint and format)"
  { ruff check . && ruff format --check .; } || status=$?  # a rule nothing runs is no rule
  if [ -f client/package.json ] && [ "${SKIP_CLIENT:-0}" != 1 ]; then
    echo "==> eslint (client)"
    (export PATH="$(scripts/node.sh --bin-dir):$PATH" && cd client && npm run lint --silent) || status=$?
  fi
  scripts/audit.sh || status=$?  # fails on a known vulnerability; says so loudly when it cannot audit
fi
if [ "$coverage" = 1 ]; then
  rm -rf .coverage .coverage.* htmlcov
  # COVERAGE_PROCESS_START starts measuring in pytest itself (coverage's .pth hook); pyproject.toml's
  # `patch = subprocess` passes it on to every process the tests start (web, worker, beat, flask CLI).
  COVERAGE_PROCESS_START="$PWD/pyproject.toml" python -m pytest "$@" || status=$?
  python scripts/coverage_report.py 90 || status=$?  # branches of novacart/, in %
else
  python -m pytest "$@" || status=$?
fi
if [ -f client/package.json ] && [ "${SKIP_CLIENT:-0}" != 1 ] && [ $# -eq 0 ]; then
  export PATH="$(scripts/node.sh --bin-dir):$PATH"
  if [ "$coverage" = 1 ]; then
    (cd client && npm run coverage --silent) || status=$?  # vite.config.js: branches >= 85 %
  else
    (cd client && npm test --silent) || status=$?
  fi
fi
exit $status
