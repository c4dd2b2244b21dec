#!/usr/bin/env bash
# Installs the Debian 12 packages rockit-edge needs (architecture §11), only those
# that are missing. Safe to run again.
set -euo pipefail
packages=(
  build-essential cmake pkg-config git curl ca-certificates python3
  python3-yaml python3-jsonschema
  libczmq-dev libzmq3-dev libmsgpack-dev libhiredis-dev libcivetweb-dev
  libcmocka-dev libjansson-dev libcurl4-openssl-dev libarchive-dev libssl-dev
  libsodium-dev libzstd-dev
  redis-server redis-tools ruby-foreman
  wrk prometheus lua-check
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  # policy-rc.d keeps the packaged redis-server service from being started:
  # the project starts its own Redis on the ports it chooses.
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# npm (test-only: the S3-compatible s3rver, installed by scripts/s3rver.sh).
# Machines that already have Node.js from elsewhere keep it.
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing nodejs npm"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq nodejs npm
fi
echo "setup: all packages present"
