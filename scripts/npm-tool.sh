#!/usr/bin/env bash
# Installs a test-only tool from the npm registry into <repo>/.cache/<name>
# (never globally), once: later calls return at once. A lock keeps two tests
# from installing into the same folder at the same time.
#
#   scripts/npm-tool.sh <name> <package@version> <file the install creates>
#
# <file> is relative to .cache/<name>/node_modules and tells whether the
# tool is there. Exit codes: 0 ok, 2 usage, 3 npm/node missing, 4 install failed.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 <name> <package@version> <file>" >&2
  exit 2
fi
name="$1" package="$2" file="$3"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$repo/.cache/$name"
[ -f "$prefix/node_modules/$file" ] && exit 0
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "npm-tool.sh: npm/node not installed (scripts/setup.sh installs them)" >&2
  exit 3
fi
mkdir -p "$prefix"
exec 9>"$prefix/.install.lock"
flock 9
if [ ! -f "$prefix/node_modules/$file" ]; then
  echo "npm-tool.sh: installing $package into $prefix" >&2
  if ! npm install --prefix "$prefix" --no-audit --no-fund --silent "$package" >&2; then
    echo "npm-tool.sh: npm install $package failed" >&2
    exit 4
  fi
fi
