#!/usr/bin/env bash
# The main job: a real `pulumi up` of one stack (default dev) on the local file backend. Without a kubeconfig in
# the stack config the Kubernetes provider renders YAML to rendered/<stack>/ instead of talking to a cluster.
set -euo pipefail
stack=${1:-dev}
shift || true
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund
source scripts/env.sh
pulumi stack select --create "$stack" --non-interactive >/dev/null
pulumi up --yes --non-interactive --skip-preview=false "$@"
