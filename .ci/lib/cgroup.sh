#!/usr/bin/env bash
# A parent for the tests' memory cgroups (test/support/platforms.ts
# memoryCgroup(): the 128 MB limit of the compressed binary), checked to bite:
# a node process touching 200 MB in a 128 MB cgroup made under it must be
# killed by the kernel. Writes CDK_VECTORDB_LAYER_TEST_CGROUP to the env file.
#   cgroup v1 (a memory hierarchy at /sys/fs/cgroup/memory): that folder, as is.
#   cgroup v2: /sys/fs/cgroup/cdk-vectordb-layer-tests with the memory controller
#     enabled for its children; where the root holds processes (a container's
#     cgroup namespace), they are moved into /sys/fs/cgroup/init first, as
#     docker-in-docker does, since the kernel enables no controller for the
#     children of a cgroup that holds processes.
# Needs root. Fails, naming what is missing, where no memory cgroup can be made.
#
#   bash .ci/lib/cgroup.sh
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
started=$(date +%s.%N)
fail() { echo "cgroup.sh: $*" >&2; exit 1; }
has_word() { tr ' ' '\n' <"$1" | grep -qx "$2"; }

[ "$(id -u)" = 0 ] || fail "memory cgroups are made as root; run as root"
root=/sys/fs/cgroup
if [ -f "$root/memory/memory.limit_in_bytes" ]; then
  parent="$root/memory"
  kind=v1
elif [ -f "$root/cgroup.controllers" ]; then
  kind=v2
  has_word "$root/cgroup.controllers" memory || fail "cgroup v2 at $root has no memory controller (cgroup.controllers: $(cat "$root/cgroup.controllers"))"
  if ! has_word "$root/cgroup.subtree_control" memory; then
    if ! echo +memory >"$root/cgroup.subtree_control" 2>/dev/null; then
      mkdir -p "$root/init"
      while read -r pid; do echo "$pid" >"$root/init/cgroup.procs" 2>/dev/null || true; done <"$root/cgroup.procs"
      echo +memory >"$root/cgroup.subtree_control" || fail "cannot enable the memory controller in $root/cgroup.subtree_control"
      echo "cgroup.sh: moved the processes of $root into $root/init to enable its memory controller"
    fi
  fi
  parent="$root/cdk-vectordb-layer-tests"
  mkdir -p "$parent"
  has_word "$parent/cgroup.subtree_control" memory || echo +memory >"$parent/cgroup.subtree_control"
else
  fail "no cgroup memory controller: neither $root/memory/memory.limit_in_bytes (v1) nor $root/cgroup.controllers (v2)"
fi

# The limit bites: 200 MB touched in a 128 MB cgroup is killed, 16 MB is not.
probe="$parent/ci-probe-$$"
mkdir "$probe"
trap 'rmdir "$probe" 2>/dev/null || true' EXIT
if [ "$kind" = v1 ]; then
  echo $((128 * 1024 * 1024)) >"$probe/memory.limit_in_bytes"
  [ ! -f "$probe/memory.memsw.limit_in_bytes" ] || echo $((128 * 1024 * 1024)) >"$probe/memory.memsw.limit_in_bytes"
else
  echo $((128 * 1024 * 1024)) >"$probe/memory.max"
  [ ! -f "$probe/memory.swap.max" ] || echo 0 >"$probe/memory.swap.max"
fi
touch_mb() {
  # shellcheck disable=SC2016
  sh -c 'echo $$ >"$1/cgroup.procs" && exec node -e "const k = []; for (let i = 0; i < $2; i++) k.push(Buffer.alloc(1 << 20, 1)); process.stdout.write(String(k.length))"' sh "$probe" "$1"
}
over=$(touch_mb 200 2>/dev/null) && fail "a process touching 200 MB in a 128 MB cgroup ($probe) was not killed (it printed $over): the limit does not bite"
[ "$(touch_mb 16)" = 16 ] || fail "a process touching 16 MB in a 128 MB cgroup ($probe) did not finish"

mkdir -p "$(dirname "$CI_ENV_FILE")"
touch "$CI_ENV_FILE"
grep -v '^export CDK_VECTORDB_LAYER_TEST_CGROUP=' "$CI_ENV_FILE" >"$CI_ENV_FILE.tmp" || true
echo "export CDK_VECTORDB_LAYER_TEST_CGROUP=$parent" >>"$CI_ENV_FILE.tmp"
mv -f "$CI_ENV_FILE.tmp" "$CI_ENV_FILE"
echo "cgroup.sh: memory cgroups ($kind) under $parent: 200 MB killed, 16 MB ran in 128 MB; CDK_VECTORDB_LAYER_TEST_CGROUP in $CI_ENV_FILE ($(since "$started") s)"
