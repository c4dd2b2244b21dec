#!/usr/bin/env bash
# Configures and builds into build/ (or $1), passing any further CMake options.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DEDGE_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
