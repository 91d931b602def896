#!/usr/bin/env bash
# Every benchmark, each printing its figures: canary analysis and gate quality, policy-pack overhead on
# `pulumi preview`, how the program scales with the number of services, one canary step against the local
# control plane vs render mode, a no-change `pulumi up` (and a rejected bad key) before and after issue #15, and
# how fast the release driver rolls a canary back.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund
source scripts/env.sh
for bench in progression slo-rules-cost policy-pack stack-scale cluster-step update-time rollback-latency; do
  echo "=== bench/$bench.ts"
  npx ts-node --transpile-only "bench/$bench.ts"
done
