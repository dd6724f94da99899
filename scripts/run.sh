#!/usr/bin/env bash
# Run the whole system: Redis (unless REDIS_URL is set), migrations, demo data, then web, worker and beat.
# `scripts/run.sh --cluster` (make run-cluster): the production layout instead: nginx (deploy/nginx/novacart.conf)
# on CLUSTER_PORT (8111) in front of WEB_PROCESSES (2) web processes on the ports after PORT, two workers, beat.
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
if [ "${1:-}" = --cluster ]; then
  export TRUSTED_PROXIES=1  # nginx's X-Forwarded-For: rate limits per client, not per proxy
  cluster_port=${CLUSTER_PORT:-8111}
  dir=$PWD/instance/cluster
  mkdir -p "$dir"
  ports=$(seq -s, $((PORT + 1)) $((PORT + ${WEB_PROCESSES:-2})))
  nginx_command=$(python -m deploy.cluster nginx --listen "127.0.0.1:$cluster_port" --webs "$ports" --dir "$dir/nginx")
  {
    for port in ${ports//,/ }; do echo "web$((port - PORT)): env PORT=$port WEB_CONCURRENCY=1 python wsgi.py"; done
    for n in 1 2; do
      echo "worker$n: celery -A celery_worker.celery worker --loglevel INFO --pool threads --concurrency \${CELERY_CONCURRENCY:-8} --hostname worker$n@%h"
    done
    echo "beat: celery -A celery_worker.celery beat --loglevel INFO --schedule instance/celerybeat-schedule"
    echo "nginx: $nginx_command"
  } > "$dir/Procfile"
  cat <<MSG

  NovaCart's production layout is starting: open http://localhost:$cluster_port/
  nginx :$cluster_port → web processes on :${ports//,/, :} (sticky for long-polling, least-connections otherwise),
  2 workers, beat, Redis ($REDIS_URL). Processes: $dir/Procfile. Ctrl-C stops everything.
  Demo logins (password novacart-demo): alice@novacart.test (customer), staff@novacart.test, admin@novacart.test.

MSG
  honcho start -f "$dir/Procfile" -d "$PWD"
  exit
fi
cat <<MSG

  NovaCart is starting: open http://localhost:$PORT/
  API docs: http://localhost:$PORT/api/docs    health: http://localhost:$PORT/healthz
  Demo logins (password novacart-demo): alice@novacart.test, bob@novacart.test (customers),
  staff@novacart.test (staff), admin@novacart.test (admin). Ctrl-C stops everything.
  E-mails: ${SMTP_URL:-none sent: written as .eml files under $PWD/instance/mail/ (set SMTP_URL to send them)}

MSG
honcho start -f Procfile
