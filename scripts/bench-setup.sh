#!/usr/bin/env bash
# Installs what the benchmarks compare against, only when missing; not a
# dependency of rockit-edge, so scripts/setup.sh does not install it.
#   nginx-light  bench/api_bench.py's peer: a static file at nginx's rate
# The package's own nginx service must not start (it would take port 80):
# a policy-rc.d that refuses service starts is put in place for the install
# when the machine has none, and removed afterwards.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  echo "bench-setup: nginx present"
  exit 0
fi
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
policy=/usr/sbin/policy-rc.d
made_policy=0
cleanup() {
  if [ "$made_policy" = 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod 755 "$policy"
  made_policy=1
fi
echo "bench-setup: installing nginx-light"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nginx-light
echo "bench-setup: nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*nginx\///')"
