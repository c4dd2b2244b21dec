#!/usr/bin/env bash
# Runs s3rver (an S3-compatible test server from the npm registry) on
# 127.0.0.1:<port> with its data in <dir> and <bucket> created at start.
# Installs it first into <repo>/.cache/s3rver when missing (test-only,
# scripts/npm-tool.sh). s3rver checks only the access key id, not the
# SigV4 signature itself (wrong-credential tests use a wrong key id); its only
# credentials are access key "S3RVER" and secret "S3RVER".
#
#   scripts/s3rver.sh install                 install only, then exit
#   scripts/s3rver.sh <port> <dir> <bucket>   install if needed, then run
#                                             in the foreground (exec)
# Exit codes: 0 ok, 2 usage, 3 npm/node missing, 4 install failed.
set -euo pipefail
version="3.7.1"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$repo/.cache/s3rver/node_modules/s3rver/bin/s3rver.js"

install_s3rver() {
  "$repo/scripts/npm-tool.sh" s3rver "s3rver@$version" s3rver/bin/s3rver.js
}

if [ "${1:-}" = "install" ]; then
  install_s3rver
  exit 0
fi
if [ $# -ne 3 ]; then
  echo "usage: $0 install | $0 <port> <dir> <bucket>" >&2
  exit 2
fi
port="$1" dir="$2" bucket="$3"
install_s3rver
mkdir -p "$dir"
# s3rver encrypts ListObjectsV2 continuation tokens with DES, which the
# OpenSSL 3 inside Node >= 17 only offers through its legacy provider.
exec node --openssl-legacy-provider "$bin" --address 127.0.0.1 --port "$port" --directory "$dir" \
  --configure-bucket "$bucket" --silent
