#!/usr/bin/env bash
# The test command: type-check, then every mocha suite (unit tests on Pulumi's mock runtime, promtool rule
# tests, real Prometheus, the real Pulumi engine through the Automation API, and a local Kubernetes control plane).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund
# Debian's prometheus package gives promtool and prometheus; installed here when missing (as root, or with sudo).
# prometheus-alertmanager gives amtool and Alertmanager (the serve-webhook tests check docs/examples/alertmanager.yml).
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null || ! command -v amtool >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq prometheus prometheus-alertmanager >/dev/null; } || {
    echo "promtool or amtool is missing and could not be installed: install Debian's prometheus and prometheus-alertmanager packages" >&2; exit 1; }
fi
source scripts/env.sh
# The local Kubernetes control plane of the cluster tests (test/support/cluster.ts), built from Go modules and
# cached like the Pulumi toolchain; set GRAY_RELEASE_CLUSTER_DIR to use an already built one.
if [ -z "${GRAY_RELEASE_CLUSTER_DIR:-}" ]; then
  GRAY_RELEASE_CLUSTER_DIR=$(bash toolchain/cluster/build.sh) || {
    echo "the local Kubernetes control plane could not be built (toolchain/cluster/build.sh, see above)" >&2; exit 1; }
fi
export GRAY_RELEASE_CLUSTER_DIR
# The real consumers' validators (istioctl validate/analyze, an ocb-built OpenTelemetry Collector, Thanos) the
# validators-* suites run on every generated artifact (test/support/validators.ts), built from Go modules and cached
# the same way; set GRAY_RELEASE_VALIDATORS_DIR to use an already built set.
if [ -z "${GRAY_RELEASE_VALIDATORS_DIR:-}" ]; then
  GRAY_RELEASE_VALIDATORS_DIR=$(bash toolchain/validators/build.sh) || {
    echo "the validators could not be built (toolchain/validators/build.sh, see above)" >&2; exit 1; }
fi
export GRAY_RELEASE_VALIDATORS_DIR
npx tsc --noEmit -p tsconfig.json
npx mocha --config .mocharc.json "$@"
