#!/usr/bin/env bash
# Start Debian's PostgreSQL (installing it as root if missing) and create a role and database for tests.
# Prints the URL to put in TEST_DATABASE_URL or DATABASE_URL. Usage: scripts/postgres.sh [dbname]
set -euo pipefail
db=${1:-novacart_test}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "==> installing PostgreSQL" >&2
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h 2>/dev/null | grep -q "^$version "; then
  as_root pg_createcluster "$version" main >&2
fi
as_root pg_ctlcluster "$version" main start >&2 2>/dev/null || true  # stdout is only for the URL
for _ in $(seq 1 50); do
  as_root su postgres -c "pg_isready -q" && break
  sleep 0.2
done
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
as_root su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='novacart'\"" | grep -q 1 \
  || as_root su postgres -c "psql -p $port -qc \"CREATE ROLE novacart LOGIN SUPERUSER PASSWORD 'novacart'\"" >&2
as_root su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 \
  || as_root su postgres -c "createdb -p $port -O novacart $db" >&2
echo "postgresql://novacart:novacart@127.0.0.1:$port/$db"
