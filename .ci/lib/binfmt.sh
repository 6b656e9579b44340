#!/usr/bin/env bash
# Lets this x86-64 kernel execute arm64 binaries through qemu-aarch64-static,
# which is what running an arm64 container (`--platform linux/arm64`, the
# Docker bundling of an ARM_64 layer) needs. Machine-wide and kept until reboot:
# mounts binfmt_misc if needed and registers qemu-aarch64 with the F flag (the
# kernel opens the interpreter now, so it also works inside containers).
# Leaves an existing qemu-aarch64 registration alone when it has the F flag.
#
#   bash .ci/lib/binfmt.sh            # register (idempotent)
#   bash .ci/lib/binfmt.sh --remove   # unregister ours
# Needs: apt.sh (qemu-user-static). Root.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
started=$(date +%s.%N)
dir=/proc/sys/fs/binfmt_misc
entry="$dir/qemu-aarch64"

if [ "${1:-}" = "--remove" ]; then
  [ -e "$entry" ] && echo -1 >"$entry"
  echo "binfmt.sh: qemu-aarch64 unregistered"
  exit 0
fi

qemu=$(command -v qemu-aarch64-static || true)
[ -n "$qemu" ] || { echo "binfmt.sh: no qemu-aarch64-static (bash .ci/lib/apt.sh)" >&2; exit 1; }
if [ ! -e "$dir/register" ]; then
  mount -t binfmt_misc binfmt_misc "$dir" || { echo "binfmt.sh: cannot mount binfmt_misc on $dir" >&2; exit 1; }
fi
if [ -e "$entry" ] && ! grep -q '^flags:.*F' "$entry"; then
  echo -1 >"$entry"   # a registration without F does not work inside containers
fi
if [ ! -e "$entry" ]; then
  # ELF64, little-endian, EM_AARCH64 (183): the magic and mask Debian's qemu-user-static uses.
  printf '%s' ":qemu-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:$qemu:F" >"$dir/register"
fi
grep -q '^enabled' "$entry" || { echo "binfmt.sh: qemu-aarch64 is registered but disabled" >&2; exit 1; }
echo "binfmt.sh: arm64 executables run through $(sed -n 's/^interpreter //p' "$entry") ($(sed -n 's/^flags: //p' "$entry")) ($(since "$started") s)"
