#!/usr/bin/env bash
# Installs the Debian packages the tests and the packaging need, skipping every
# package that is already installed. Idempotent; quiet; prints what it did and
# how long it took. Needs root (CI runs as root) when something is missing.
#
#   bash .ci/lib/apt.sh            # the default set below
#   bash .ci/lib/apt.sh zip unzip  # only these
set -euo pipefail

started=$(date +%s.%N)
# Container engine (podman + runc: stock crun fails here, see shared/FACTS.md;
# netavark + iptables give containers a bridge network with the host's DNS),
# arm64 emulation and strip, Python packaging, zip tools.
default_packages=(
  podman runc conmon netavark aardvark-dns iptables
  qemu-user-static binutils-aarch64-linux-gnu
  python3-build python3-wheel python3-setuptools twine
  zip unzip util-linux
)
if [ $# -gt 0 ]; then packages=("$@"); else packages=("${default_packages[@]}"); fi
seconds() { awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "apt.sh: all ${#packages[@]} packages present ($(seconds) s)"
  exit 0
fi

if [ "$(id -u)" != "0" ]; then
  echo "apt.sh: missing ${missing[*]} and not root: install them with apt-get" >&2
  exit 1
fi

# One apt-get at a time for the .ci/lib scripts that run at once (.ci/run starts
# ric.sh beside setup.sh): a second `apt-get update` fails on the lists lock.
exec 9>/var/lock/cdk-vectordb-layer-apt.lock
flock 9
export DEBIAN_FRONTEND=noninteractive
# Other apt users on the same machine: wait for the lock instead of failing.
apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -o APT::Install-Recommends=false -o Dpkg::Use-Pty=0 -q)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! apt-get "${apt_opts[@]}" update >"$log" 2>&1; then
  cat "$log" >&2; echo "apt.sh: apt-get update failed" >&2; exit 1
fi
if ! apt-get "${apt_opts[@]}" install -y "${missing[@]}" >"$log" 2>&1; then
  tail -n 30 "$log" >&2; echo "apt.sh: apt-get install ${missing[*]} failed" >&2; exit 1
fi
# Downloaded .debs are not needed again in this run.
apt-get clean >/dev/null 2>&1 || true
echo "apt.sh: installed ${missing[*]} in $(seconds) s"
