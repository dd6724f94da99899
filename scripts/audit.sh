#!/usr/bin/env bash
# Known vulnerabilities in the dependencies: pip-audit on requirements.txt (PyPI's vulnerability data),
# and `npm audit --audit-level=high` in every Node subproject that has a lockfile.
#
# Exit 1 when a known vulnerability is found (npm: high or critical; PyPI publishes no severity, so any
# advisory counts). When an audit service cannot be reached or cannot audit (no network; PyPI not
# listing a pinned version; a registry without npm's audit endpoint) the audit says so in a banner and
# exits 0: an unreachable service is not a vulnerability, and `make test` must still run offline.
# AUDIT_STRICT=1 (e.g. a release check with network) turns "could not audit" into a failure too.
set -uo pipefail
cd "$(dirname "$0")/.."
strict=${AUDIT_STRICT:-0}
found=0
unaudited=()

echo "==> pip-audit (requirements.txt)"
if ! [ -x .venv/bin/pip-audit ]; then
  unaudited+=("python: pip-audit is not installed (pip install -r requirements-dev.txt)")
else
  report=$(mktemp)
  # --no-deps --disable-pip: requirements.txt pins every package, so no resolver (and no temporary venv).
  .venv/bin/pip-audit -r requirements.txt --no-deps --disable-pip --progress-spinner off -f json \
    >"$report" 2>"$report.err"
  summary=$(.venv/bin/python - "$report" <<'PY'
import json, sys
try:
    deps = json.load(open(sys.argv[1])).get("dependencies", [])
except (OSError, ValueError):
    print("error 0 0"); raise SystemExit
vulns = [f"{d['name']} {d['version']}: {v['id']}" for d in deps for v in d.get("vulns", [])]
skipped = [d["name"] for d in deps if d.get("skip_reason")]
for line in vulns:
    print("VULN", line, file=sys.stderr)
print("ok", len(vulns), len(skipped), len(deps))
PY
  )
  read -r state vulns skipped total <<<"$summary"
  if [ "$state" != ok ]; then
    unaudited+=("python: pip-audit failed: $(tail -n 3 "$report.err" | tr '\n' ' ')")
  elif [ "$vulns" -gt 0 ]; then
    echo "!! pip-audit: $vulns known vulnerabilities"; found=1
  elif [ "$skipped" -gt 0 ]; then
    unaudited+=("python: $skipped of $total packages could not be audited (PyPI's vulnerability service did not know their versions or could not be reached)")
  else
    echo "   no known vulnerabilities in $total packages"
  fi
  rm -f "$report" "$report.err"
fi

for lock in client/package-lock.json bench/loadclient/package-lock.json bench/peer/package-lock.json; do
  [ -f "$lock" ] || continue
  dir=$(dirname "$lock")
  echo "==> npm audit --audit-level=high ($dir)"
  if ! command -v npm >/dev/null; then unaudited+=("$dir: npm is not on the PATH"); continue; fi
  out=$(cd "$dir" && npm audit --audit-level=high --json 2>/dev/null)
  verdict=$(printf '%s' "$out" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      let r; try { r = JSON.parse(s); } catch { console.log("unreachable unparsable answer"); return; }
      const v = r.metadata && r.metadata.vulnerabilities;
      if (!v) { console.log("unreachable " + String(r.message || "no audit data").slice(0, 120)); return; }
      console.log(((v.high || 0) + (v.critical || 0)) > 0 ? `vulnerable ${v.high || 0} high, ${v.critical || 0} critical` : "clean");
    });' 2>/dev/null || echo "unreachable node failed")
  case "$verdict" in
    clean) echo "   no high or critical vulnerabilities" ;;
    vulnerable*) echo "!! $dir: ${verdict#vulnerable }"; found=1 ;;
    *) unaudited+=("$dir: npm audit could not run: ${verdict#unreachable }") ;;
  esac
done

if [ ${#unaudited[@]} -gt 0 ]; then
  echo "################################################################################"
  echo "## DEPENDENCY AUDIT INCOMPLETE: these could not be checked for vulnerabilities"
  for line in "${unaudited[@]}"; do echo "##  - $line"; done
  echo "## (not a failure unless AUDIT_STRICT=1; run make audit where the services are reachable)"
  echo "################################################################################"
  [ "$strict" = 1 ] && found=1
fi
exit $found
