# Sourced by the project's scripts: puts the Pulumi toolchain on PATH and keeps every run offline and local.
#
# By default the toolchain is the one toolchain/build.sh compiles from Go modules (cached outside git).
# With GRAY_RELEASE_SYSTEM_PULUMI=1 the `pulumi` already on PATH (installed the usual way) is used instead.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "${GRAY_RELEASE_SYSTEM_PULUMI:-0}" != "1" ]; then
  toolchain_dir=$(bash "$repo/toolchain/build.sh") || { echo "toolchain build failed" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$toolchain_dir/bin:$PATH"
  export PULUMI_HOME="$toolchain_dir/pulumi-home"
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
fi

export PULUMI_SKIP_UPDATE_CHECK=true
# The local file backend lives inside the project (ignored by git); point PULUMI_BACKEND_URL elsewhere to share it.
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$repo/.pulumi-state}
mkdir -p "${PULUMI_BACKEND_URL#file://}"
# The documented dev passphrase of the local backend. It protects nothing real: set your own for shared state.
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-gray-release-dev}
