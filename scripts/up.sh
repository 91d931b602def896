#!/usr/bin/env bash
# The main job: a real `pulumi up` of an environment (default dev) on the local file backend. When the environment
# has a platform stack (stacks/Pulumi.platform-<env>.yaml), that one is brought up first: the services stack reads
# its outputs. Without a kubeconfig in the stack config the Kubernetes provider renders YAML to rendered/<stack>/
# instead of talking to a cluster. Extra arguments go to `pulumi up` (e.g. --policy-pack policies).
set -euo pipefail
env=${1:-dev}
shift || true
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -d node_modules/@pulumi/pulumi ] || npm ci --no-audit --no-fund
source scripts/env.sh
for stack in "platform-$env" "$env"; do
  [ -f "stacks/Pulumi.$stack.yaml" ] || continue
  echo "=== pulumi up: stack $stack"
  pulumi stack select --create "$stack" --non-interactive >/dev/null
  pulumi up --yes --non-interactive --stack "$stack" "$@"
done
