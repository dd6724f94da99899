#!/usr/bin/env bash
# Install what NovaCart needs and is missing: a .venv from requirements, Redis, the client's build.
# Safe to run again: each step checks first. Run from the repository root (make setup does).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_updated=""
apt_install() {
  if ! command -v apt-get >/dev/null; then return 1; fi
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq || return 1; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PYTHON" -m venv .venv || { apt_install python3-venv && "$PYTHON" -m venv .venv; }
fi
stamp=.venv/.requirements.sha
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# The server's catalogs: .po in git, .mo compiled here (again whenever a .po is newer than its .mo).
for po in novacart/translations/*/LC_MESSAGES/messages.po; do
  [ -f "$po" ] || continue
  if [ ! -f "${po%.po}.mo" ] || [ "$po" -nt "${po%.po}.mo" ]; then
    say "compiling ${po%/LC_MESSAGES/*}"
    .venv/bin/pybabel compile -i "$po" -o "${po%.po}.mo" >/dev/null
  fi
done

if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null; then
  say "installing redis-server"
  if ! apt_install redis-server; then
    echo "Redis is missing. Install it with: sudo apt-get install redis-server   (or set REDIS_URL)" >&2
    exit 1
  fi
  # Debian starts a system Redis on 6379; NovaCart runs its own on a private port, so leave that one be.
fi

# The browser tests drive Debian's Chromium (a test tool's own browser download fails on closed networks).
if [ "${SKIP_BROWSER:-0}" != 1 ] && ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
  say "installing chromium (for the browser tests; SKIP_BROWSER=1 skips them instead)"
  if ! apt_install chromium; then
    echo "Chromium is missing and could not be installed: sudo apt-get install chromium   (or SKIP_BROWSER=1)" >&2
    exit 1
  fi
fi

if [ "${WITH_NGINX:-0}" = 1 ] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  say "installing nginx"
  if ! apt_install nginx; then
    echo "nginx is missing. Install it with: sudo apt-get install nginx" >&2
    exit 1
  fi
  # NovaCart runs its own nginx from a private directory (make run-cluster, tests); the system one is yours.
fi

if [ -f client/package.json ] && [ "${SKIP_CLIENT:-0}" != 1 ]; then
  NODE_BIN=$(scripts/node.sh --bin-dir)
  export PATH="$NODE_BIN:$PATH"
  client_stamp=client/node_modules/.lock.sha
  lock_sha=$(sha256sum client/package-lock.json 2>/dev/null | cut -d' ' -f1)
  if [ ! -d client/node_modules ] || [ "$(cat "$client_stamp" 2>/dev/null)" != "$lock_sha" ]; then
    say "installing the client's npm packages"
    (cd client && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sha" > "$client_stamp"
  fi
  src_sha=$(find client/src client/index.html client/vite.config.* client/vite-plugin-*.js client/package.json -type f 2>/dev/null | sort | xargs cat | sha256sum | cut -d' ' -f1)
  if [ ! -f client/dist/index.html ] || [ "$(cat client/dist/.src.sha 2>/dev/null)" != "$src_sha" ]; then
    say "building the client"
    (cd client && npm run build --silent)
    echo "$src_sha" > client/dist/.src.sha
  fi
fi
say "set-up complete"
