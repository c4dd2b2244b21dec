#!/usr/bin/env bash
# The run command: installs what is missing, builds, and starts Redis plus
# one of each process (Procfile, foreman) on loopback. Prints the API address
# and a ready-made admin token. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh build
mkdir -p var
if [ ! -f var/admin_secret ]; then
  head -c 32 /dev/urandom | base64 > var/admin_secret
  chmod 600 var/admin_secret
fi
export EDGE_ADMIN_SECRET=${EDGE_ADMIN_SECRET:-$(cat var/admin_secret)}
export EDGE_REDIS_PORT=${EDGE_REDIS_PORT:-6379}
export EDGE_REDIS_URL=${EDGE_REDIS_URL:-redis://127.0.0.1:$EDGE_REDIS_PORT/0}
export EDGE_HTTP_LISTEN=${EDGE_HTTP_LISTEN:-127.0.0.1:8080}
export EDGE_STORE=${EDGE_STORE:-file://$PWD/var/store}
export EDGE_DATA_DIR=${EDGE_DATA_DIR:-$PWD/var/data}
export EDGE_BIN=${EDGE_BIN:-$PWD/build/bin}
export EDGE_VAR=$PWD/var
token=$(build/bin/edge-admin-token "${USER:-admin}")
cat <<MSG
rockit-edge is starting:
  API        http://$EDGE_HTTP_LISTEN   (GET /healthz, /readyz, /metrics, /openapi.yaml)
  Redis      $EDGE_REDIS_URL (data in var/)
  admin token (x-rockit-admin-token):
    $token
  try:  curl -s -X POST http://$EDGE_HTTP_LISTEN/adm/v1/hello \\
          -H "x-rockit-admin-token: $token" -H 'content-type: application/json' \\
          -d '{"message":"world","maintenance":false}'
MSG
# foreman gives the first Procfile entry (the gateway) PORT = the base port.
exec foreman start -f Procfile -d . -p "${EDGE_HTTP_LISTEN##*:}" "$@"
