#!/usr/bin/env bash
# The production layout on this machine: nginx (deploy/nginx/novacart.conf) on CLUSTER_PORT (8111) in front of
# WEB_PROCESSES (2) web processes on the ports after PORT (5001, 5002), two Celery workers, beat and Redis.
# Database: DATABASE_URL (e.g. scripts/postgres.sh's), else SQLite under instance/. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export NOVACART_CONFIG=${NOVACART_CONFIG:-development}
cluster_port=${CLUSTER_PORT:-8111}
web_processes=${WEB_PROCESSES:-2}
base_port=${PORT:-5000}
pids=()
cleanup() { for pid in "${pids[@]}"; do [ "$pid" != 0 ] && kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
if [ -z "${REDIS_URL:-}" ]; then
  redis_port=${NOVACART_REDIS_PORT:-6390}
  pids+=("$(scripts/redis.sh "$redis_port" instance/redis)")
  export REDIS_URL="redis://127.0.0.1:$redis_port/0"
fi
export TRUSTED_PROXIES=1  # nginx's X-Forwarded-For: rate limits per client, not per proxy
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$PWD/instance/prometheus}
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
flask --app wsgi db upgrade
flask --app wsgi seed

dir=$PWD/instance/cluster
mkdir -p "$dir"
ports=$(seq -s, $((base_port + 1)) $((base_port + web_processes)))
nginx_command=$(python -m deploy.cluster nginx --listen "127.0.0.1:$cluster_port" --webs "$ports" --dir "$dir/nginx")
{
  for port in ${ports//,/ }; do
    echo "web$((port - base_port)): env PORT=$port WEB_CONCURRENCY=1 python wsgi.py"
  done
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
