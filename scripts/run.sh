#!/usr/bin/env bash
# Run the whole system: Redis (unless REDIS_URL is set), migrations, demo data, then web, worker and beat.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export NOVACART_CONFIG=${NOVACART_CONFIG:-development}
export PORT=${PORT:-5000}
pids=()
cleanup() { for pid in "${pids[@]}"; do [ "$pid" != 0 ] && kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
if [ -z "${REDIS_URL:-}" ]; then
  redis_port=${NOVACART_REDIS_PORT:-6390}
  pids+=("$(scripts/redis.sh "$redis_port" instance/redis)")
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
fi
# web, worker and beat write their Prometheus samples here, so /metrics adds up every process.
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/instance/prometheus}
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
flask --app wsgi db upgrade
flask --app wsgi seed
cat <<MSG

  NovaCart is starting: open http://localhost:$PORT/
  API docs: http://localhost:$PORT/api/docs    health: http://localhost:$PORT/healthz
  Demo logins (password novacart-demo): alice@novacart.test, bob@novacart.test (customers),
  staff@novacart.test (staff), admin@novacart.test (admin). Ctrl-C stops everything.
  E-mails: ${SMTP_URL:-none sent: written as .eml files under $PWD/instance/mail/ (set SMTP_URL to send them)}

MSG
honcho start -f Procfile
