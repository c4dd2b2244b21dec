#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test:
# unit and end-to-end tests, then both again under ASan + UBSan.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
fail=0
scripts/build.sh build || exit 1
ctest --test-dir build --output-on-failure -j2 || fail=1
scripts/build.sh build-asan -DEDGE_ASAN=ON -DEDGE_UBSAN=ON || exit 1
ctest --test-dir build-asan --output-on-failure -j2 || fail=1
summary() {
  python3 - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET, glob
passed = failed = skipped = 0
for d in sys.argv[1:]:
    for f in glob.glob(d + "/Testing/Temporary/LastTest.log"):
        text = open(f, errors="replace").read()
        passed += text.count("Test Passed.")
        failed += text.count("Test Failed.") + text.count("***Timeout") + text.count("***Exception")
        skipped += text.count("Test Skipped")
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
PY
}
# The e2e suites' coverage of docs/openapi.yaml (e2e_contract_coverage
# printed it per operation; this is its total line, for each build).
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
for d in build build-asan; do
  echo "$d: $(EDGE_CONTRACT_DIR=$d/contract $py tests/e2e/coverage.py report | grep 'contract coverage')"
done
summary build build-asan
exit $fail
