#!/usr/bin/env bash
# Runs the fast tier and one real layer build + synth + local invoke (the
# example's end to end test) against the newest aws-cdk-lib the npm registry
# serves (or the version given), while the lock file keeps the oldest one the
# package accepts (its peer minimum). Nothing tracked changes: aws-cdk-lib and
# constructs are installed into .tmp/cdk-<version>/, and jest is pointed at them
# by test/support/jest-cdk.config.js (moduleNameMapper), node children by
# test/support/cdk-redirect.js (NODE_OPTIONS=--require).
#
#   bash .ci/lib/cdk-latest.sh                # npm view aws-cdk-lib version
#   bash .ci/lib/cdk-latest.sh 2.278.0
# Env: CDK_VECTORDB_LAYER_CDK_TIERS=fast|e2e|all (default all).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
started=$(date +%s.%N)
version=${1:-$(npm view aws-cdk-lib version)}
case "$version" in [0-9]*.[0-9]*.[0-9]*) ;; *) echo "cdk-latest.sh: not an aws-cdk-lib version: $version" >&2; exit 2 ;; esac
dir="$REPO_DIR/.tmp/cdk-$version"
modules="$dir/node_modules"
installed() { node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' "$modules/aws-cdk-lib/package.json" "$version" 2>/dev/null; }
if ! installed; then
  t=$(date +%s.%N)
  mkdir -p "$dir"
  echo '{ "private": true, "description": "aws-cdk-lib for .ci/lib/cdk-latest.sh" }' >"$dir/package.json"
  # constructs: the newest 10.x, the major aws-cdk-lib 2 peers on.
  npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --no-package-lock --loglevel=error \
    "aws-cdk-lib@$version" "constructs@^10" >/dev/null
  installed || { echo "cdk-latest.sh: aws-cdk-lib $version is not in $modules" >&2; exit 1; }
  echo "cdk-latest.sh: aws-cdk-lib $version, constructs $(node -p 'require(process.argv[1]).version' "$modules/constructs/package.json") into $dir in $(since "$t") s"
fi
cd "$REPO_DIR"
[ -f lib/index.js ] || { echo "cdk-latest.sh: no lib/ (npx projen compile first)" >&2; exit 1; }
export CDK_VECTORDB_LAYER_CDK_DIR="$modules"
export NODE_OPTIONS="--require $REPO_DIR/test/support/cdk-redirect.js${NODE_OPTIONS:+ $NODE_OPTIONS}"
jest=(node node_modules/.bin/jest --config test/support/jest-cdk.config.js --ci --coverage=false)
tiers=${CDK_VECTORDB_LAYER_CDK_TIERS:-all}
if [ "$tiers" != e2e ]; then
  t=$(date +%s.%N)
  echo "== aws-cdk-lib $version: the fast tier"
  "${jest[@]}" --testPathIgnorePatterns /node_modules/ /test/integ/ /test/full/ /.tmp/
  echo "cdk-latest.sh: fast tier on aws-cdk-lib $version in $(since "$t") s"
fi
if [ "$tiers" != fast ]; then
  t=$(date +%s.%N)
  echo "== aws-cdk-lib $version: one real layer build + synth + local invoke"
  CDK_VECTORDB_LAYER_CACHE=off "${jest[@]}" test/integ/example.e2e.test.ts
  echo "cdk-latest.sh: end to end on aws-cdk-lib $version in $(since "$t") s"
fi
echo "cdk-latest.sh: done in $(since "$started") s"
