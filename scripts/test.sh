#!/usr/bin/env bash
# The test command: type-check, then every mocha suite (unit tests on Pulumi's mock runtime, promtool rule
# tests, real Prometheus, and the real Pulumi engine through the Automation API).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund
command -v promtool >/dev/null || {
  echo "promtool is missing: install Debian's prometheus package (apt-get install prometheus)" >&2; exit 1; }
source scripts/env.sh
npx tsc --noEmit -p tsconfig.json
npx mocha --config .mocharc.json "$@"
