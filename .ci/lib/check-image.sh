#!/usr/bin/env bash
# Checks the local build image the way aws-cdk-lib runs bundling containers
# (core/lib/bundling.js, DockerImage.run via AssetBundlingBindMount):
#   <CDK_DOCKER> run --rm [--network N] --platform linux/amd64 -u <uid>:<gid>
#     -v <src>:/asset-input:delegated -v <out>:/asset-output:delegated
#     --env K=V ... -w /asset-input <image> <command...>
# and that npm reaches the registry from inside (default network), and how
# node and npm fail with --network none.
#
#   bash .ci/lib/check-image.sh [--recipe]   # --recipe: also build the vectordb 0.4.2 x86_64 layer in it
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
mkdir -p "$work/in" "$work/out" "$work/layer"
echo 'cdk' >"$work/in/input.txt"
user="$(id -u):$(id -g)"
cdk_run=(run --rm --platform linux/amd64 -u "$user"
  -v "$work/in:/asset-input:delegated" -v "$work/out:/asset-output:delegated"
  --env HOME=/tmp --env npm_config_cache=/tmp/.npm --env npm_config_update_notifier=false
  -w /asset-input)

# 1. Tools, in aws-cdk-lib's shape: node, npm >= 10.4, strip; input read, output written.
t=$(date +%s.%N)
tools=$(podman "${cdk_run[@]}" "$BUILD_IMAGE" node -e '
  const cp = require("child_process"), fs = require("fs");
  const npm = cp.execFileSync("npm", ["--version"], { encoding: "utf-8" }).trim();
  const strip = cp.execFileSync("strip", ["--version"], { encoding: "utf-8" }).split("\n")[0];
  const [maj, min] = npm.split(".").map(Number);
  if (maj < 10 || (maj === 10 && min < 4)) throw new Error(`npm ${npm} < 10.4`);
  fs.writeFileSync("/asset-output/out.txt", fs.readFileSync("input.txt", "utf-8").trim() + " ok");
  console.log(`node ${process.version} ${process.arch}, npm ${npm}, ${strip}, cwd ${process.cwd()}`);')
[ "$(cat "$work/out/out.txt")" = "cdk ok" ] || { echo "check-image.sh: the container did not write /asset-output" >&2; exit 1; }
echo "check-image.sh: run as aws-cdk-lib does ($(since "$t") s): $tools"

# 2. The network: npm reaches the host's registry from inside.
t=$(date +%s.%N)
if ! ping=$(podman "${cdk_run[@]}" "$BUILD_IMAGE" npm ping 2>&1); then
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
  t=$(date +%s.%N)
  podman run --rm --platform linux/amd64 -u "$user" \
    -v "$REPO_DIR/layer-assets:/asset-input:delegated" -v "$work/layer:/asset-output:delegated" \
    --env HOME=/tmp --env npm_config_cache=/tmp/.npm --env npm_config_update_notifier=false \
    -w /asset-input "$BUILD_IMAGE" \
    node /asset-input/build-layer.js --sdk vectordb --version 0.4.2 --architecture x86_64 --out /asset-output >"$work/recipe.log" 2>&1 \
    || { tail -n 20 "$work/recipe.log" >&2; echo "check-image.sh: the layer recipe failed in the container" >&2; exit 1; }
  echo "check-image.sh: layer recipe vectordb 0.4.2 x86_64 in the container: $(du -sm "$work/layer/nodejs" | cut -f1) MB in $(since "$t") s"
fi
echo "check-image.sh: $BUILD_IMAGE ok ($(since "$started") s)"
