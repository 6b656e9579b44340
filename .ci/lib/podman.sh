#!/usr/bin/env bash
# Makes Debian's podman (rootful, daemonless: nothing to start or stop) work on
# this kind of machine and checks it:
#  - writes a containers.conf (runc, not crun; ulimits within this machine's
#    hard limits; cgroupfs; file events) to $PODMAN_CONF
#    (default /etc/containers/cdk-vectordb-layer.conf),
#  - writes the environment later steps need to $CI_ENV_FILE
#    (default <repo>/.tmp/ci/env.sh) and prints it: `. .tmp/ci/env.sh`,
#  - checks `podman info`, and when the build image exists (build-image.sh),
#    runs it: plain, with the network (npm registry from inside), and
#    --network none (how fast npm and node fail without a network).
#
#   bash .ci/lib/podman.sh            # configure + check
#   bash .ci/lib/podman.sh --no-run   # configure + `podman info` only
# Needs: apt.sh (podman runc conmon netavark aardvark-dns iptables). Root.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

started=$(date +%s.%N)
run_checks=1
[ "${1:-}" = "--no-run" ] && run_checks=0

command -v podman >/dev/null || { echo "podman.sh: podman is not installed (bash .ci/lib/apt.sh)" >&2; exit 1; }
command -v runc >/dev/null || { echo "podman.sh: runc is not installed (bash .ci/lib/apt.sh)" >&2; exit 1; }

# Containers may not raise limits above the engine's own hard limits here
# (stock podman asks for nofile=1048576 and crun then fails on setrlimit).
nofile=$(ulimit -Hn); [ "$nofile" = "unlimited" ] && nofile=1048576
nproc=$(ulimit -Hu); { [ "$nproc" = "unlimited" ] || [ "$nproc" -gt 32768 ]; } && nproc=32768

mkdir -p "$(dirname "$PODMAN_CONF")" "$(dirname "$CI_ENV_FILE")"
conf_tmp=$(mktemp "$PODMAN_CONF.XXXXXX")
cat >"$conf_tmp" <<EOF
# Written by cdk-vectordb-layer .ci/lib/podman.sh; used through CONTAINERS_CONF.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
default_sysctls = ["net.ipv4.ping_group_range=0 0"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
chmod 0644 "$conf_tmp"
mv -f "$conf_tmp" "$PODMAN_CONF"
export CONTAINERS_CONF="$PODMAN_CONF"

env_tmp=$(mktemp "$CI_ENV_FILE.XXXXXX")
cat >"$env_tmp" <<EOF
# Written by .ci/lib/podman.sh: source it before the tests.
export CONTAINERS_CONF=$PODMAN_CONF
export CDK_VECTORDB_LAYER_TEST_IMAGE=$BUILD_IMAGE
export CDK_VECTORDB_LAYER_TEST_CACHE=$TEST_CACHE
export CDK_VECTORDB_LAYER_ARM64_SYSROOT=$ARM64_SYSROOT
EOF
mv -f "$env_tmp" "$CI_ENV_FILE"

if ! info=$(podman info --format '{{.Host.OCIRuntime.Name}} {{.Host.CgroupManager}} {{.Store.GraphDriverName}} {{.Host.NetworkBackend}}' 2>&1); then
  echo "podman.sh: podman info failed: $info" >&2
  exit 1
fi
echo "podman.sh: podman $(podman version --format '{{.Client.Version}}'): runtime, cgroups, storage, network = $info"

if [ "$run_checks" = 1 ]; then
  if ! podman image exists "$BUILD_IMAGE"; then
    echo "podman.sh: $BUILD_IMAGE is not built yet: bash .ci/lib/build-image.sh runs the container checks"
  else
    "$CI_LIB_DIR/check-image.sh"
  fi
fi

echo "podman.sh: done in $(since "$started") s; environment for later steps (also in $CI_ENV_FILE):"
grep '^export' "$CI_ENV_FILE"
