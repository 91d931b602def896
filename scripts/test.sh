#!/usr/bin/env bash
# The test command: type-check, then every mocha suite (unit tests on Pulumi's mock runtime, promtool rule
# tests, real Prometheus, the real Pulumi engine through the Automation API, and a local Kubernetes control plane).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund
command -v promtool >/dev/null || {
  echo "promtool is missing: install Debian's prometheus package (apt-get install prometheus)" >&2; exit 1; }
source scripts/env.sh
# The local Kubernetes control plane of the cluster tests (test/support/cluster.ts), built from Go modules and
# cached like the Pulumi toolchain; set GRAY_RELEASE_CLUSTER_DIR to use an already built one.
if [ -z "${GRAY_RELEASE_CLUSTER_DIR:-}" ]; then
  GRAY_RELEASE_CLUSTER_DIR=$(bash toolchain/cluster/build.sh) || {
    echo "the local Kubernetes control plane could not be built (toolchain/cluster/build.sh, see above)" >&2; exit 1; }
fi
export GRAY_RELEASE_CLUSTER_DIR
npx tsc --noEmit -p tsconfig.json
npx mocha --config .mocharc.json "$@"
