#!/usr/bin/env bash
# Builds a local Kubernetes control plane for the integration tests from Go modules, into a cache outside git, and
# reuses it next time. No container runtime, no release downloads: only the ordinary `go` client and the module proxy.
#
#   etcd                     go.etcd.io/etcd/server/v3 (toolchain/cluster/etcd: a main calling etcdmain.Main)
#   kube-apiserver           k8s.io/kubernetes/cmd/kube-apiserver          } the `tool` packages of
#   kube-controller-manager  k8s.io/kubernetes/cmd/kube-controller-manager } toolchain/cluster/go.mod
#   kube-scheduler           k8s.io/kubernetes/cmd/kube-scheduler          }
#   kwok                     sigs.k8s.io/kwok/cmd/kwok (fake kubelets: nodes and pods without containers)
#
# Versions: toolchain/cluster/go.mod (Kubernetes v1.36.1, the release kwok v0.8.0 is built against, with every staging
# module pinned to v0.36.1; etcd v3.6.8, the etcd Kubernetes v1.36.1 itself requires).
#
# Also extracted from the Go module sources (never into git), into crds/:
#   Istio                  istio.io/istio $ISTIO_VERSION            manifests/charts/base/files/crd-all.gen.yaml
#                          (the proxy serves istio.io/istio at pseudo-versions only: no tags, no @master query)
#   prometheus-operator    github.com/prometheus-operator/prometheus-operator $PROM_OPERATOR_VERSION
#                          example/prometheus-operator-crd/*.yaml (v0.85.0 is the only version the proxy lists)
#   OpenTelemetry Operator github.com/open-telemetry/opentelemetry-operator $OTEL_OPERATOR_VERSION
#                          config/crd/bases/opentelemetry.io_opentelemetrycollectors.yaml (the proxy refuses the
#                          module's version list and v0.145.0; it serves v0.144.0, which the checksum database does
#                          not know (404), and v0.143.0 and earlier tags, verified, when asked by name)
# and kwok's upstream Stage files (kustomize/stage of the kwok module) into stages/.
#
# Output (stdout, the only line printed there): $GRAY_RELEASE_TOOLCHAIN (default ~/.cache/gray-release/toolchain)
# /cluster/<key>/ with bin/, crds/ (the upstream YAML), crds.json (the same CRDs as one JSON array), stages/ and
# versions.json; <key> hashes every input. Logs go to stderr.
#
# Safe to run concurrently: one flock on cluster/.lock serialises builders; binaries and directories are produced
# under temporary names and renamed into place, and <key>/.complete is written last.
#
# Cold build, measured (2 cores shared with a concurrent toolchain/build.sh and other test runs, load 6-10; empty Go
# build cache; the modules downloaded beforehand by `go mod tidy`, 24 s): etcd 84 s, kube-apiserver 659 s,
# kube-controller-manager 162 s, kube-scheduler 9 s and kwok 33 s (most of their packages were already compiled for
# the two before), CRDs + stages 4 s (istio.io/istio's zip is 12 MB); total 951 s (15 min 51 s). With a warm Go
# build cache (e.g. after editing this directory) a rebuild links everything again in ~1-2 min; an unchanged
# toolchain costs well under a second.
set -euo pipefail

ISTIO_VERSION=v0.0.0-20260827124520-eed52ebb66ad       # istio.io/istio@latest on the proxy (master, 2026-08-27)
PROM_OPERATOR_VERSION=v0.85.0
OTEL_OPERATOR_VERSION=v0.143.0

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
src="$repo/toolchain/cluster"
cache_root=${GRAY_RELEASE_TOOLCHAIN:-$HOME/.cache/gray-release/toolchain}

say() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH="$PATH:/usr/local/go/bin"; }
command -v go >/dev/null || die "the Go toolchain is missing: install Go ≥ 1.26 (https://go.dev/dl) and retry"
command -v flock >/dev/null || die "flock is missing (Debian package util-linux)"
command -v node >/dev/null || die "node is missing: install Node.js ≥ 20"

export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0

go_pin() { awk -v m="$1" '$1==m {print $2; exit} $1=="require" && $2==m {print $3; exit}' "$src/go.mod"; }
k8s_version=$(go_pin k8s.io/kubernetes)
etcd_version=$(go_pin go.etcd.io/etcd/server/v3)
kwok_version=$(go_pin sigs.k8s.io/kwok)
[ -n "$k8s_version" ] && [ -n "$etcd_version" ] && [ -n "$kwok_version" ] ||
  die "toolchain/cluster/go.mod must require k8s.io/kubernetes, go.etcd.io/etcd/server/v3 and sigs.k8s.io/kwok"


# Module directory of module@version (downloaded by the go client if needed), from outside any module.
mod_dir() {
  local json
  json=$(cd "$root" && go mod download -json "$1@$2" 2>&1) || true
  printf '%s' "$json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const j=JSON.parse(s);if(j.Error||!j.Dir){console.error(j.Error||"no Dir");process.exit(1)}console.log(j.Dir)}catch(e){console.error(s);process.exit(1)}})'
}

major=${k8s_version#v}; major=${major%%.*}
minor=${k8s_version#v*.}; minor=${minor%%.*}
kv="k8s.io/component-base/version"
k8s_ldflags="-X $kv.gitVersion=$k8s_version -X $kv.gitMajor=$major -X $kv.gitMinor=$minor -X $kv.gitTreeState=clean"
k8s_ldflags+=" -X $kv.gitCommit=0000000000000000000000000000000000000000 -X $kv.buildDate=1970-01-01T00:00:00Z"
k8s_ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$k8s_version -X k8s.io/client-go/pkg/version.gitMajor=$major"
k8s_ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor -X k8s.io/client-go/pkg/version.gitTreeState=clean"
etcd_ldflags="-X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version"

stage_sets="node/fast node/heartbeat-with-lease pod/fast"
# The key hashes what decides the output (not this script's comments, so editing them rebuilds nothing).
key=$( { echo "$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH) $k8s_ldflags $etcd_ldflags";
         echo "$ISTIO_VERSION $PROM_OPERATOR_VERSION $OTEL_OPERATOR_VERSION $stage_sets";
         cd "$src" && find . -name '*.go' -o -name 'go.mod' -o -name 'go.sum' | sort | xargs sha256sum; } |
       sha256sum | cut -c1-16)
root="$cache_root/cluster"
out="$root/$key"
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi

mkdir -p "$root"
exec 9>"$root/.lock"
if ! flock -n 9; then
  say "another build of the cluster toolchain is running; waiting for its lock ($root/.lock)"
  flock 9
fi
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi
mkdir -p "$out/bin"
total_start=$SECONDS

build() { # name package ldflags
  local name=$1 pkg=$2 ldflags=$3 start=$SECONDS tmp
  if [ -x "$out/bin/$name" ]; then say "$name: cached"; return; fi
  say "$name: building $pkg (a cold build takes minutes)..."
  tmp="$out/bin/.$name.tmp.$$"
  ( cd "$src" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg" ) || {
    rm -f "$tmp"
    die "$name could not be built (see the go output above): check that the Go module proxy serves the versions pinned in toolchain/cluster/go.mod"
  }
  mv -f "$tmp" "$out/bin/$name"
  say "$name: built in $((SECONDS - start)) s"
}

build etcd ./etcd "$etcd_ldflags"
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags"
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_ldflags"
build kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler "$k8s_ldflags"
build kwok sigs.k8s.io/kwok/cmd/kwok "-X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${k8s_version#v}"

# CRDs and kwok stages: assembled in a temporary directory, renamed into place.
if [ ! -d "$out/crds" ] || [ ! -d "$out/stages" ] || [ ! -f "$out/crds.json" ]; then
  start=$SECONDS
  tmp="$out/.assets.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/crds" "$tmp/stages"
  trap 'rm -rf "$tmp"' EXIT

  say "CRDs: istio.io/istio@$ISTIO_VERSION (a large module zip)..."
  dir=$(mod_dir istio.io/istio "$ISTIO_VERSION") || die "the proxy did not serve istio.io/istio@$ISTIO_VERSION"
  install -m 0644 "$dir/manifests/charts/base/files/crd-all.gen.yaml" "$tmp/crds/istio-crd-all.gen.yaml"

  say "CRDs: github.com/prometheus-operator/prometheus-operator@$PROM_OPERATOR_VERSION..."
  dir=$(mod_dir github.com/prometheus-operator/prometheus-operator "$PROM_OPERATOR_VERSION") ||
    die "the proxy did not serve prometheus-operator@$PROM_OPERATOR_VERSION"
  for f in "$dir"/example/prometheus-operator-crd/*.yaml; do
    install -m 0644 "$f" "$tmp/crds/prometheus-operator-$(basename "$f")"
  done
  [ -f "$tmp/crds/prometheus-operator-monitoring.coreos.com_prometheusrules.yaml" ] ||
    die "prometheus-operator@$PROM_OPERATOR_VERSION has no monitoring.coreos.com_prometheusrules.yaml"

  say "CRDs: github.com/open-telemetry/opentelemetry-operator@$OTEL_OPERATOR_VERSION..."
  if dir=$(mod_dir github.com/open-telemetry/opentelemetry-operator "$OTEL_OPERATOR_VERSION"); then
    install -m 0644 "$dir/config/crd/bases/opentelemetry.io_opentelemetrycollectors.yaml" \
      "$tmp/crds/opentelemetry-operator-opentelemetry.io_opentelemetrycollectors.yaml"
  else
    say "note: the proxy refused the OpenTelemetry Operator module; its collector CRD is left out"
  fi

  dir=$(cd "$src" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok) && [ -n "$dir" ] || die "sigs.k8s.io/kwok module not found"
  for s in $stage_sets; do
    for f in "$dir/kustomize/stage/$s"/*.yaml; do
      [ "$(basename "$f")" = kustomization.yaml ] || install -m 0644 "$f" "$tmp/stages/$(basename "$f")"
    done
  done
  # The same CRDs as one JSON array (toolchain/cluster/crdjson), which the tests load without a YAML parser.
  ( cd "$src" && go run ./crdjson "$tmp"/crds/*.yaml ) > "$tmp/crds.json" || die "crdjson could not convert the CRDs"
  chmod -R u+w "$tmp"
  rm -rf "$out/crds" "$out/stages"
  mv "$tmp/crds" "$out/crds"; mv "$tmp/stages" "$out/stages"; mv -f "$tmp/crds.json" "$out/crds.json"
  rm -rf "$tmp"; trap - EXIT
  say "CRDs and stages: $(ls "$out/crds" | wc -l) CRD files in $((SECONDS - start)) s"
fi

cat > "$out/.versions.json.tmp.$$" <<EOF
{
  "kubernetes": "$k8s_version",
  "etcd": "$etcd_version",
  "kwok": "$kwok_version",
  "istio": "$ISTIO_VERSION",
  "prometheusOperator": "$PROM_OPERATOR_VERSION",
  "opentelemetryOperator": "$OTEL_OPERATOR_VERSION"
}
EOF
mv -f "$out/.versions.json.tmp.$$" "$out/versions.json"
touch "$out/.complete"
ln -sfn "$key" "$root/.current.tmp.$$" && mv -Tf "$root/.current.tmp.$$" "$root/current"
if [ $((SECONDS - total_start)) -gt 1 ]; then say "built in $((SECONDS - total_start)) s"; fi
say "ready: $out (kubernetes $k8s_version, etcd $etcd_version, kwok $kwok_version)"
echo "$out"
