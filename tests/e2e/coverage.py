"""The end-to-end suites' coverage of docs/openapi.yaml, from what
contract.py recorded in EDGE_CONTRACT_DIR while they ran.

    coverage.py reset                 empty the folder (before the suites run)
    coverage.py report [SUITE ...]    print operations exercised / documented
                                      and status codes seen / documented;
                                      when every SUITE named recorded its
                                      responses (a full run), exit 1 if an
                                      operation was never exercised

Every response the suites received was checked against the document; this
only counts which of the document's operations and codes they reached."""
import glob
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from contract import Contract  # noqa: E402


def main(argv):
    out_dir = os.environ.get("EDGE_CONTRACT_DIR")
    if len(argv) < 2 or argv[1] not in ("reset", "report") or not out_dir:
        print("usage: EDGE_CONTRACT_DIR=dir coverage.py reset | report [SUITE ...]",
              file=sys.stderr)
        return 2
    if argv[1] == "reset":
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)
        print("contract: coverage records reset in %s" % out_dir)
        return 0
    seen = {}
    files = glob.glob(os.path.join(out_dir, "seen-*.json"))
    for path in files:
        with open(path) as f:
            for op_id, codes in json.load(f).items():
                seen.setdefault(op_id, set()).update(codes)
    suites = seen.pop("(suite)", set())
    expected = set(argv[2:])
    ops = Contract().operations()
    documented = {op_id: set(codes) for _, _, op_id, codes in ops}
    exercised = [op_id for op_id in documented if op_id in seen]
    codes_documented = sum(len(c) for c in documented.values())
    codes_seen = sum(len(documented[op] & seen[op]) for op in exercised)
    missing = sorted((m, t, op_id) for m, t, op_id, _ in ops if op_id not in seen)
    print("contract: %d response-record files" % len(files))
    for op_id in sorted(documented):
        got = sorted(documented[op_id] & seen.get(op_id, set()))
        print("  %-24s %s / %s" % (op_id, ",".join(got) or "-",
                                  ",".join(sorted(documented[op_id]))))
    for name in ("(unknown path)", "(method not allowed)"):
        if name in seen:
            print("  %-24s %s" % (name, ",".join(sorted(seen[name]))))
    webhooks = sorted(Contract().doc.get("webhooks", {}))
    hooks_seen = [w for w in webhooks if "taskEventWebhook" in seen]
    print("contract coverage: operations exercised %d/%d, status codes seen %d/%d, "
          "webhook bodies checked %d/%d"
          % (len(exercised), len(documented), codes_seen, codes_documented,
             len(hooks_seen), len(webhooks)))
    for m, t, op_id in missing:
        print("contract: operation never exercised: %s %s (%s)" % (m, t, op_id))
    absent = sorted(expected - suites)
    if absent:
        print("contract: a partial run (suites not run: %s): coverage not enforced"
              % ", ".join(absent))
        return 0
    return 1 if missing or not files else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
