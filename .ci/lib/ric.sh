#!/usr/bin/env bash
# aws-lambda-ric, the AWS Lambda runtime interface client the local invoker
# runs, built where its tests run rather than by `npm ci` (it is no
# devDependency: its install scripts compile curl and aws-lambda-cpp, minutes
# of a 2-core machine, and need a C toolchain a user's set-up does not name):
#   <cache>/aws-lambda-ric/v4  4.x (Node.js 22 and later); linked as the
#                              repository's node_modules/aws-lambda-ric when
#                              none is there, where the invoker finds it
#   <cache>/aws-lambda-ric/v3  3.x (Node.js 16-20): the project folder the
#                              3.x test runs the invoker in
# Each is an npm project holding one exact version, built once (its native
# client checked), then reused. The toolchain comes from apt.sh (root).
#
#   bash .ci/lib/ric.sh [--no-link]
# --no-link builds only (.ci/run builds beside npm ci, which would remove the link).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
started=$(date +%s.%N)

# 3.x runs on Node.js 16-20, 4.x on 22 and later (and 20, which the invoker's tests use).
v4=4.0.2
v3=3.3.0

bash "$CI_LIB_DIR/apt.sh" cmake make g++ autoconf automake libtool python3

# build_ric MAJOR VERSION NATIVE: <cache>/aws-lambda-ric/v<MAJOR> with aws-lambda-ric@VERSION and its NATIVE file.
build_ric() {
  local major=$1 version=$2 native=$3
  local dest="$TEST_CACHE/aws-lambda-ric/v$major"
  local pkg="$dest/node_modules/aws-lambda-ric"
  if [ -f "$pkg/$native" ] && grep -q "\"version\": \"$version\"" "$pkg/package.json" 2>/dev/null; then
    echo "ric.sh: aws-lambda-ric $version already built in $dest"
    return 0
  fi
  mkdir -p "$TEST_CACHE/aws-lambda-ric"
  local t tmp
  t=$(date +%s.%N)
  tmp=$(mktemp -d "$TEST_CACHE/aws-lambda-ric/.tmp-v$major-XXXXXX")
  echo '{ "name": "aws-lambda-ric-'"$major"'", "private": true }' >"$tmp/package.json"
  if ! (cd "$tmp" && npm install --no-audit --no-fund --save-exact "aws-lambda-ric@$version") >"$tmp.log" 2>&1; then
    tail -n 40 "$tmp.log" >&2
    echo "ric.sh: npm install aws-lambda-ric@$version failed (log: $tmp.log)" >&2
    return 1
  fi
  if [ ! -f "$tmp/node_modules/aws-lambda-ric/$native" ]; then
    tail -n 40 "$tmp.log" >&2
    echo "ric.sh: aws-lambda-ric@$version installed without its native client $native (were its install scripts run?)" >&2
    return 1
  fi
  rm -rf "$dest"
  mv -T "$tmp" "$dest"
  rm -f "$tmp.log"
  echo "ric.sh: aws-lambda-ric $version built in $dest ($(since "$t") s)"
}

# Both at once: each build is mostly one core.
build_ric 4 "$v4" rapid-client.node &
p4=$!
build_ric 3 "$v3" dist/rapid-client.node &
p3=$!
failed=0
wait "$p4" || failed=1
wait "$p3" || failed=1
[ "$failed" = 0 ] || exit 1

if [ "${1:-}" = --no-link ]; then
  echo "ric.sh: done in $(since "$started") s (not linked)"
  exit 0
fi

# Where the invoker looks (from this package): node_modules/aws-lambda-ric. A
# developer's own install there is left alone.
link="$REPO_DIR/node_modules/aws-lambda-ric"
if [ -d "$REPO_DIR/node_modules" ] && [ ! -e "$link" ]; then
  ln -sfn "$TEST_CACHE/aws-lambda-ric/v4/node_modules/aws-lambda-ric" "$link"
  echo "ric.sh: linked $link -> $(readlink "$link")"
elif [ -L "$link" ]; then
  echo "ric.sh: $link links to $(readlink "$link")"
else
  echo "ric.sh: $link is a developer's own install: left alone"
fi
echo "ric.sh: done in $(since "$started") s"
