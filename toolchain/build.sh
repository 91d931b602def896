#!/usr/bin/env bash
# Builds the offline Pulumi toolchain from Go modules into a cache outside git, and reuses it next time.
#
#   pulumi                       the CLI and engine      (github.com/pulumi/pulumi/pkg/v3, toolchain/cli)
#   pulumi-language-nodejs       our Node.js language host (toolchain/langhost, see its main.go for why)
#   pulumi-resource-kubernetes   the Kubernetes provider (provider/v4 module, toolchain/kubernetes)
#   pulumi-resource-pulumi-nodejs the dynamic-provider shim shipped in npm @pulumi/pulumi
#
# Versions come from package.json (npm pins) and toolchain/*/go.mod (Go pins); the script refuses to build when
# they disagree, because the engine looks plugins up by exact version.
#
# Output: $GRAY_RELEASE_TOOLCHAIN (default ~/.cache/gray-release/toolchain)/<key>/{bin,pulumi-home}, where <key>
# hashes every input, so a changed pin or wrapper rebuilds and an unchanged one costs seconds.
#
# Safe to run concurrently (e.g. two shells sourcing scripts/env.sh at once): a flock on $GRAY_RELEASE_TOOLCHAIN/.lock
# serialises the whole build, and every file is written under a temporary name and renamed into place, so a reader
# never sees a half-written binary.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_root=${GRAY_RELEASE_TOOLCHAIN:-$HOME/.cache/gray-release/toolchain}

say() { printf '[toolchain] %s\n' "$*" >&2; }
die() { printf '[toolchain] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$cache_root"
command -v flock >/dev/null || die "flock is missing (Debian package util-linux)"
exec 9>"$cache_root/.lock"
if ! flock -n 9; then
  say "another toolchain build is running; waiting for its lock ($cache_root/.lock)"
  flock 9
fi

# The official Go install location, for shells whose PATH does not include it (e.g. CI runners).
command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH="$PATH:/usr/local/go/bin"; }
command -v go >/dev/null || die "the Go toolchain is missing: install Go ≥ 1.26.6 (https://go.dev/dl) and retry"
command -v node >/dev/null || die "node is missing: install Node.js ≥ 20"

npm_pin() { node -e "const p=require('$repo/package.json');const v=(p.dependencies||{})['$1']||(p.devDependencies||{})['$1'];if(!v)process.exit(1);console.log(v)"; }
go_pin() { awk -v m="$2" '$1==m {print $2; exit}' "$repo/toolchain/$1/go.mod"; }

pulumi_version=$(npm_pin @pulumi/pulumi) || die "package.json does not pin @pulumi/pulumi"
k8s_version=$(npm_pin @pulumi/kubernetes) || die "package.json does not pin @pulumi/kubernetes"
cli_pkg=$(go_pin cli github.com/pulumi/pulumi/pkg/v3)
cli_sdk=$(go_pin cli github.com/pulumi/pulumi/sdk/v3)
lh_sdk=$(go_pin langhost github.com/pulumi/pulumi/sdk/v3)
k8s_provider=$(go_pin kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4)
[ "$cli_pkg" = "v$pulumi_version" ] && [ "$cli_sdk" = "v$pulumi_version" ] && [ "$lh_sdk" = "v$pulumi_version" ] ||
  die "version mismatch: npm @pulumi/pulumi is $pulumi_version but toolchain/cli pins pkg $cli_pkg, sdk $cli_sdk and toolchain/langhost pins sdk $lh_sdk"
[ -n "$k8s_provider" ] || die "toolchain/kubernetes/go.mod does not require the provider module"

key=$( { echo "$pulumi_version $k8s_version $k8s_provider $(go env GOVERSION)";
         cd "$repo/toolchain" && find cli langhost kubernetes -name '*.go' -o -name 'go.mod' -o -name 'go.sum' | sort |
           xargs sha256sum; } | sha256sum | cut -c1-16)
out="$cache_root/$key"
bin="$out/bin"          # on PATH: the CLI, the language host, the dynamic-provider shim
providers="$out/providers"  # NOT on PATH: the engine would otherwise warn that it uses a provider from PATH
mkdir -p "$bin" "$providers"

export GOFLAGS=-mod=mod
export PULUMI_HOME="$out/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

build() { # dest name dir ldflags target
  local dest=$1 name=$2 dir=$3 ldflags=$4 target=$5 start=$SECONDS
  if [ -x "$dest/$name" ]; then say "$name: cached"; return; fi
  say "$name: building from Go modules in toolchain/$dir (a cold build takes minutes)..."
  ( cd "$repo/toolchain/$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$dest/.$name.tmp.$$" "$target" ) ||
    die "$name could not be built (see the go output above): check that the Go module proxy serves the versions pinned in toolchain/$dir/go.mod"
  mv -f "$dest/.$name.tmp.$$" "$dest/$name"
  say "$name: built in $((SECONDS - start)) s"
}

build "$bin" pulumi cli "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version" \
  github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
build "$bin" pulumi-language-nodejs langhost "-X main.version=$pulumi_version" .

if [ ! -x "$providers/pulumi-resource-kubernetes" ]; then
  # The provider's schema files are inputs of its go:embed; copy them out of the module, never into git.
  moddir=$(cd "$repo/toolchain/kubernetes" && go mod download -json "github.com/pulumi/pulumi-kubernetes/provider/v4@$k8s_provider" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}console.log(j.Dir)})') ||
    die "the Kubernetes provider module $k8s_provider could not be downloaded"
  for f in schema.json terraform-mapping.json; do
    install -m 0644 "$moddir/cmd/pulumi-resource-kubernetes/$f" "$repo/toolchain/kubernetes/.$f.tmp.$$"
    mv -f "$repo/toolchain/kubernetes/.$f.tmp.$$" "$repo/toolchain/kubernetes/$f"
  done
fi
build "$providers" pulumi-resource-kubernetes kubernetes "-X main.version=$k8s_version" .

shim="$repo/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
if [ -f "$shim" ]; then
  if ! cmp -s "$shim" "$bin/pulumi-resource-pulumi-nodejs"; then
    install -m 0755 "$shim" "$bin/.pulumi-resource-pulumi-nodejs.tmp.$$"
    mv -f "$bin/.pulumi-resource-pulumi-nodejs.tmp.$$" "$bin/pulumi-resource-pulumi-nodejs"
  fi
else
  say "note: run npm ci first to get the dynamic-provider shim (pulumi-resource-pulumi-nodejs); skipping it"
fi

if ! "$bin/pulumi" plugin ls --json 2>/dev/null | grep -q "\"version\": \"$k8s_version\""; then
  say "registering the Kubernetes provider as plugin kubernetes $k8s_version"
  "$bin/pulumi" plugin install resource kubernetes "$k8s_version" --file "$providers/pulumi-resource-kubernetes" >&2 ||
    die "pulumi plugin install of the Kubernetes provider failed"
fi

ln -sfn "$out" "$cache_root/.current.tmp.$$" && mv -Tf "$cache_root/.current.tmp.$$" "$cache_root/current"
say "ready: $bin (pulumi $("$bin/pulumi" version), kubernetes provider $k8s_version from provider/v4 $k8s_provider)"
echo "$out"
