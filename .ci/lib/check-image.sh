#!/usr/bin/env bash
# Checks the local build image the way aws-cdk-lib runs bundling containers
# (core/lib/bundling.js, DockerImage.run via AssetBundlingBindMount):
#   <CDK_DOCKER> run --rm [--network N] --platform linux/amd64 -u <uid>:<gid>
#     -v <src>:/asset-input:delegated -v <out>:/asset-output:delegated
#     --env K=V ... -w /asset-input <image> <command...>
# and that npm reaches the registry from inside (default network), and how
# node and npm fail with --network none.
#
#   bash .ci/lib/check-image.sh [--recipe]   # --recipe: also build the vectordb 0.4.2 layer in each platform's image
# Called by build-image.sh and podman.sh.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
load_ci_env
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PODMAN_CONF}"
started=$(date +%s.%N)

podman image exists "$BUILD_IMAGE" || { echo "check-image.sh: no image $BUILD_IMAGE (bash .ci/lib/build-image.sh)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cdk-vectordb-layer-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in" "$work/out"
echo 'cdk' >"$work/in/input.txt"
user="$(id -u):$(id -g)"
platforms=()
for platform in amd64 arm64; do podman image exists "$BUILD_IMAGE-$platform" && platforms+=("$platform"); done
[ ${#platforms[@]} -gt 0 ] || platforms=(amd64)   # an image built some other way: one architecture
cdk_run() {
  podman run --rm --platform "linux/$1" -u "$user" \
    -v "$work/in:/asset-input:delegated" -v "$work/out:/asset-output:delegated" \
    --env HOME=/tmp --env npm_config_cache=/tmp/.npm --env npm_config_update_notifier=false \
    -w /asset-input "$BUILD_IMAGE" "${@:2}"
}

# 1. Tools, in aws-cdk-lib's shape, per platform: node of that architecture,
#    npm >= 10.4, strip; the input is read and the output written.
for platform in "${platforms[@]}"; do
  t=$(date +%s.%N)
  rm -f "$work/out/out.txt"
  # shellcheck disable=SC2016
  tools=$(cdk_run "$platform" node -e '
    const cp = require("child_process"), fs = require("fs");
    const npm = cp.execFileSync("npm", ["--version"], { encoding: "utf-8" }).trim();
    const strip = cp.execFileSync("strip", ["--version"], { encoding: "utf-8" }).split("\n")[0];
    const [maj, min] = npm.split(".").map(Number);
    if (maj < 10 || (maj === 10 && min < 4)) throw new Error(`npm ${npm} < 10.4`);
    if (process.arch !== process.argv[1].replace("amd64", "x64")) throw new Error(`node is ${process.arch}, not ${process.argv[1]}`);
    fs.writeFileSync("/asset-output/out.txt", fs.readFileSync("input.txt", "utf-8").trim() + " ok");
    console.log(`node ${process.version} ${process.arch}, npm ${npm}, ${strip}, cwd ${process.cwd()}`);' "$platform") \
    || { [ "$platform" = arm64 ] && echo "check-image.sh: arm64 containers need bash .ci/lib/binfmt.sh" >&2; exit 1; }
  [ "$(cat "$work/out/out.txt")" = "cdk ok" ] || { echo "check-image.sh: the $platform container did not write /asset-output" >&2; exit 1; }
  echo "check-image.sh: linux/$platform, run as aws-cdk-lib does ($(since "$t") s): $tools"
done

# 2. The network: npm reaches the host's registry from inside.
t=$(date +%s.%N)
if ! ping=$(cdk_run amd64 npm ping 2>&1); then
  echo "check-image.sh: npm ping from inside the container failed:" >&2; echo "$ping" | tail -n 5 >&2; exit 1
fi
echo "check-image.sh: npm ping from inside: ok ($(since "$t") s)"

# 3. --network none: how name lookups and connections fail (no packet leaves).
t=$(date +%s.%N)
registry_host=$(node -p 'new URL(process.argv[1]).hostname' "$(npm config get registry)")
registry_ip=$(getent ahostsv4 "$registry_host" | awk 'NR==1 { print $1 }')
none=$(podman run --rm --network none "$BUILD_IMAGE" node -e '
  const dns = require("dns"), net = require("net");
  const [host, ip] = process.argv.slice(1);
  const t0 = Date.now();
  dns.lookup(host, (e) => {
    const dnsSaid = e ? `${e.code} after ${Date.now() - t0} ms` : "resolved";
    const t1 = Date.now();
    const s = net.connect(443, ip || "127.0.0.2");
    s.setTimeout(5000, () => { console.log(`dns ${dnsSaid}; tcp timeout`); s.destroy(); });
    s.on("connect", () => { console.log(`dns ${dnsSaid}; tcp connected`); s.destroy(); });
    s.on("error", (e2) => console.log(`dns ${dnsSaid}; tcp ${e2.code} after ${Date.now() - t1} ms`));
  });' "$registry_host" "$registry_ip")
echo "check-image.sh: --network none: $none ($(since "$t") s)"

# 4. Optional: the layer recipe itself, as VectorDbLayer's Docker bundling runs it.
if [ "${1:-}" = "--recipe" ]; then
  for platform in "${platforms[@]}"; do
    t=$(date +%s.%N)
    arch=$([ "$platform" = amd64 ] && echo x86_64 || echo arm64)
    mkdir -p "$work/layer-$platform"
    podman run --rm --platform "linux/$platform" -u "$user" \
      -v "$REPO_DIR/layer-assets:/asset-input:delegated" -v "$work/layer-$platform:/asset-output:delegated" \
      --env HOME=/tmp --env npm_config_cache=/tmp/.npm --env npm_config_update_notifier=false \
      -w /asset-input "$BUILD_IMAGE" \
      node /asset-input/build-layer.js --sdk vectordb --version 0.4.2 --architecture "$arch" --out /asset-output >"$work/recipe.log" 2>&1 \
      || { tail -n 20 "$work/recipe.log" >&2; echo "check-image.sh: the layer recipe failed in the $platform container" >&2; exit 1; }
    echo "check-image.sh: layer recipe vectordb 0.4.2 $arch in the linux/$platform container: $(du -sm "$work/layer-$platform/nodejs" | cut -f1) MB in $(since "$t") s; $(grep -E '^\[vectordb-layer\] .*(downloaded|stripped|checked)' "$work/recipe.log" | sed 's/^\[vectordb-layer\] [^:]*: //' | tr '\n' ';')"
  done
fi
echo "check-image.sh: $BUILD_IMAGE ok ($(since "$started") s)"
