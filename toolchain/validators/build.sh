#!/usr/bin/env bash
# Builds the real consumers' validators of everything gray-release generates, from Go modules, into a cache outside
# git, and reuses it next time. No release downloads: only the ordinary `go` client and the module proxy.
#
#   istio-validator  istioctl's own `validate` and `analyze` commands (istio.io/istio/istioctl/pkg/{validate,analyze})
#                    plus `objects`, the same `validate` run per document with a JSON verdict (toolchain/validators/istio)
#   otelcol-gray     an OpenTelemetry Collector with exactly the components our configs use, generated and compiled by
#                    the OpenTelemetry Collector Builder (ocb, go.opentelemetry.io/collector/cmd/builder) from
#                    toolchain/validators/otelcol/manifest.yaml; used for `otelcol-gray validate --config`
#   thanos           github.com/thanos-io/thanos/cmd/thanos (toolchain/validators/thanos, with the replace directives
#                    of Thanos' own go.mod)
#
# Versions: the go.mod files and manifest.yaml of toolchain/validators/*.
#
# Output (stdout, the only line printed there): $GRAY_RELEASE_TOOLCHAIN (default ~/.cache/gray-release/toolchain)
# /validators/<key>/ with bin/ and versions.json; <key> hashes every input. Logs go to stderr. Every `go build` runs
# under `nice -n 19`, one at a time.
#
# Safe to run concurrently: one flock on validators/.lock serialises builders; binaries are produced under temporary
# names and renamed into place, and <key>/.complete is written last.
#
# Cold build, measured (2 cores shared with other test runs, load 6-12; empty Go build cache; each build niced, one at
# a time): istio-validator 1571 s, ocb 29 s, otelcol-gray 1140 s (about 200 s of it ocb's `go get` of the components'
# modules), thanos 875 s (some packages already compiled for the two before): about 60 minutes. With a warm Go build
# cache (e.g. after editing this directory) everything relinks in about a minute; an unchanged set costs well under a
# second.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
src="$repo/toolchain/validators"
cache_root=${GRAY_RELEASE_TOOLCHAIN:-$HOME/.cache/gray-release/toolchain}

say() { printf '[validators] %s\n' "$*" >&2; }
die() { printf '[validators] ERROR: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && export PATH="$PATH:/usr/local/go/bin"; }
command -v go >/dev/null || die "the Go toolchain is missing: install Go ≥ 1.26 (https://go.dev/dl) and retry"
command -v flock >/dev/null || die "flock is missing (Debian package util-linux)"

export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0

go_pin() { awk -v m="$2" '$1==m {print $2; exit} $1=="require" && $2==m {print $3; exit}' "$src/$1/go.mod"; }
istio_version=$(go_pin istio istio.io/istio)
ocb_version=$(go_pin otelcol go.opentelemetry.io/collector/cmd/builder)
thanos_version=$(go_pin thanos github.com/thanos-io/thanos)
[ -n "$istio_version" ] && [ -n "$ocb_version" ] && [ -n "$thanos_version" ] ||
  die "toolchain/validators/{istio,otelcol,thanos}/go.mod must require istio.io/istio, the collector builder and thanos"
otelcol_version=$(awk '$1=="version:" {print $2; exit}' "$src/otelcol/manifest.yaml")

# The key hashes what decides the output (not this script's comments, so editing them rebuilds nothing).
key=$( { echo "$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH) v2";
         cd "$src" && find . -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name 'manifest.yaml' | sort |
           xargs sha256sum; } | sha256sum | cut -c1-16)
root="$cache_root/validators"
out="$root/$key"
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi

mkdir -p "$root"
exec 9>"$root/.lock"
if ! flock -n 9; then
  say "another build of the validators is running; waiting for its lock ($root/.lock)"
  flock 9
fi
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi
mkdir -p "$out/bin"
total_start=$SECONDS

build() { # name module-dir package ldflags
  local name=$1 dir=$2 pkg=$3 ldflags=$4 start=$SECONDS tmp
  if [ -x "$out/bin/$name" ]; then say "$name: cached"; return; fi
  say "$name: building $pkg (a cold build takes minutes)..."
  tmp="$out/bin/.$name.tmp.$$"
  ( cd "$src/$dir" && nice -n 19 go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp" "$pkg" ) || {
    rm -f "$tmp"
    die "$name could not be built (see the go output above): check that the Go module proxy serves the versions pinned in toolchain/validators/$dir"
  }
  mv -f "$tmp" "$out/bin/$name"
  say "$name: built in $((SECONDS - start)) s"
}

build istio-validator istio . ""

# The collector: ocb generates a main and a go.mod from manifest.yaml, `go get`s the components, runs `go mod tidy`
# and `go build` (under our nice, which its children inherit), in a temporary directory.
if [ ! -x "$out/bin/otelcol-gray" ]; then
  build ocb otelcol go.opentelemetry.io/collector/cmd/builder ""
  start=$SECONDS
  tmp="$out/.otelcol-src.tmp.$$"
  rm -rf "$tmp"; trap 'rm -rf "$tmp"' EXIT
  say "otelcol-gray: ocb $ocb_version generating and compiling the collector of otelcol/manifest.yaml (minutes)..."
  mkdir -p "$tmp"
  sed "s|^dist:\$|dist:\n  output_path: $tmp/src|" "$src/otelcol/manifest.yaml" > "$tmp/manifest.yaml"
  # TMPDIR: ocb makes a default output directory in it even when the manifest names one; keep it inside $tmp.
  TMPDIR="$tmp" nice -n 19 "$out/bin/ocb" --config "$tmp/manifest.yaml" >&2 ||
    die "ocb could not build the collector (see its output above): check that the proxy serves every module of toolchain/validators/otelcol/manifest.yaml"
  mv -f "$tmp/src/otelcol-gray" "$out/bin/otelcol-gray"
  rm -rf "$tmp"; trap - EXIT
  say "otelcol-gray: built in $((SECONDS - start)) s"
fi

build thanos thanos github.com/thanos-io/thanos/cmd/thanos \
  "-X github.com/prometheus/common/version.Version=${thanos_version#v} -X github.com/prometheus/common/version.Revision=$thanos_version"

cat > "$out/.versions.json.tmp.$$" <<EOF
{
  "istio": "$istio_version",
  "ocb": "$ocb_version",
  "otelcol": "$otelcol_version",
  "thanos": "$thanos_version"
}
EOF
mv -f "$out/.versions.json.tmp.$$" "$out/versions.json"
touch "$out/.complete"
ln -sfn "$key" "$root/.current.tmp.$$" && mv -Tf "$root/.current.tmp.$$" "$root/current"
if [ $((SECONDS - total_start)) -gt 1 ]; then say "built in $((SECONDS - total_start)) s"; fi
say "ready: $out (istio $istio_version, collector $otelcol_version by ocb $ocb_version, thanos $thanos_version)"
echo "$out"
