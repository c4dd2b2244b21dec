#!/usr/bin/env bash
# Runs Redocly's CLI (the npm package @redocly/cli, test-only), installed
# into <repo>/.cache/redocly on first use, with the given arguments:
#
#   scripts/redocly.sh lint docs/openapi.yaml
#
# 1.34.x runs on Debian 12's Node.js 18 as well as on newer ones.
# Exit codes: redocly's own, or scripts/npm-tool.sh's (3 npm/node missing,
# 4 install failed).
set -euo pipefail
version="1.34.20"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo/scripts/npm-tool.sh" redocly "@redocly/cli@$version" "@redocly/cli/bin/cli.js"
# No usage reports leave this machine from a test run.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
exec node "$repo/.cache/redocly/node_modules/@redocly/cli/bin/cli.js" "$@"
