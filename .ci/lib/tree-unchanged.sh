#!/usr/bin/env bash
# Fails when a checkout differs from its commit: a tracked file changed or
# deleted, or a file neither tracked nor ignored appeared. .ci/run runs it
# right after `npx projen build`, which rewrites files the repository keeps
# (API.md, package.json and projen's other files, .github/workflows,
# layer-assets/types, tsconfig.json) and lints with `eslint --fix`: a build
# that changes any of them, or leaves a new file, means the commit is not
# what the build makes. Ignored files (lib/, dist/, .tmp/, test-reports/,
# node_modules/) do not count.
#
#   bash .ci/lib/tree-unchanged.sh [DIR]   # DIR: the checkout, default this repository
set -euo pipefail
dir=$(cd "${1:-$(dirname "$0")/../..}" && pwd -P)
# The checkout may belong to another user than the one running CI (root in a
# runner's workspace): trust it for this command only.
g() { git -c safe.directory="$dir" -C "$dir" "$@"; }
g rev-parse --verify --quiet HEAD >/dev/null || { echo "tree-unchanged.sh: $dir is not a git checkout with a commit" >&2; exit 2; }
changed=$(g status --porcelain --untracked-files=all)
if [ -z "$changed" ]; then
  echo "tree-unchanged.sh: the checkout is as committed ($(g rev-parse --short=12 HEAD))"
  exit 0
fi
{
  echo "tree-unchanged.sh: the checkout differs from its commit in $(printf '%s\n' "$changed" | wc -l) file(s) ($dir at $(g rev-parse --short=12 HEAD)):"
  printf '%s\n' "$changed" | sed 's/^/  /'
  echo "Fix: run \`npx projen build\` locally and commit what it changed (generated files as the build writes them, eslint --fix's edits), or add what it leaves behind to .gitignore through .projenrc.ts."
  echo "The changes to tracked files (first 200 lines):"
  g --no-pager diff --stat
  g --no-pager diff | head -n 200 || true
} >&2
exit 1
