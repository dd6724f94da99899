#!/usr/bin/env bash
# Start a private Redis for NovaCart in the foreground-owned background: `scripts/redis.sh PORT DIR`.
# Prints its PID once it answers PING. The caller stops it (kill PID).
set -euo pipefail
port=${1:?port}; dir=${2:?data dir}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if redis-cli -p "$port" ping >/dev/null 2>&1; then
  echo "Redis already answers on port $port; using it" >&2
  echo 0; exit 0
fi
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --save "" \
  --daemonize no --logfile "$dir/redis.log" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if redis-cli -p "$port" ping >/dev/null 2>&1; then echo "$pid"; exit 0; fi
  sleep 0.1
done
echo "Redis did not start on port $port; see $dir/redis.log" >&2
exit 1
