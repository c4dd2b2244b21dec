#!/usr/bin/env python3
"""pipeline_bench: end-to-end time of a build import on a local stack,
POST /be/v1/builds -> dltar -> mkraw -> deploy, with each step's duration,
the worker's peak RSS, the image size, and the patch size for a second build
that changes 5% of the files.

Generates two tars of seeded pseudo-random files (--size, default 2 GiB, in
files of 1..32 MiB; build B rewrites --change of the files), serves them
from a local HTTP server, starts redis + broker + gateway + one worker +
notifier (tests/e2e/harness.py) with an fs deployment, imports A then B and
prints the figures. The end-to-end time is from the POST to the deploy
task's `finished` time (task records, millisecond stamps); the wall time
seen by polling is printed next to it.

With --depot s3 the internal depot is an S3 bucket on a local s3rver
(no shared disk); --depot both imports the same tars with the fs depot,
then with the S3 depot, and prints both (the comparison of one run).

Usage: bench/pipeline_bench.py [--size 256MiB] [--change 0.05] [--bin build/bin]
                               [--depot fs|s3|both] [--dir TMP] [--keep]
"""
import argparse
import datetime
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, HERE)
from sizes import parse_size  # noqa: E402


class _Random:
    """A file-like reader of size seeded pseudo-random bytes (1 MiB at a time)."""

    def __init__(self, seed, size):
        self.rng, self.left = random.Random(seed), size

    def read(self, n=-1):
        n = self.left if n < 0 else min(n, self.left)
        n = min(n, 1 << 20)
        self.left -= n
        return self.rng.randbytes(n)


def plan(total, change, seed=1):
    """(sizes, seeds of A, seeds of B, changed indexes)."""
    rng = random.Random(seed)
    hi = max(1 << 20, min(32 << 20, total // 16))
    sizes, done = [], 0
    while done < total:
        size = min(rng.randint(min(1 << 20, hi), hi), total - done)
        sizes.append(size)
        done += size
    seeds_a = list(range(len(sizes)))
    changed = set(rng.sample(range(len(sizes)), max(1, round(len(sizes) * change))))
    seeds_b = [s + 100000 if i in changed else s for i, s in enumerate(seeds_a)]
    return sizes, seeds_a, seeds_b, changed


def write_tar(path, sizes, seeds):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for i, (size, seed) in enumerate(zip(sizes, seeds)):
            info = tarfile.TarInfo("./game/data/file%05d.bin" % i)
            info.size, info.mtime, info.mode = size, 1700000000, 0o644
            tar.addfile(info, fileobj=_Random(seed, size))
    return os.path.getsize(path)


def stamp(text):
    """RFC 3339 UTC with milliseconds -> epoch seconds."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


class Bench:
    def __init__(self, stack, files, auth, work):
        self.stack, self.files, self.auth, self.work = stack, files, auth, work

    def call(self, method, path, body=None, expect=(200,)):
        status, _, doc = self.stack.http(method, path, body, headers=self.auth)
        if status not in expect:
            raise SystemExit("%s %s: %d %s" % (method, path, status, doc))
        return doc

    def run(self, build, tar, size):
        from harness import peak_rss_kib
        url = self.files.add("/" + os.path.basename(tar), filename=tar)
        if build == "build_a":       # the local server's own speed, for reference
            t = time.monotonic()
            subprocess.run(["curl", "-sSf", "-o", "/dev/null", url], check=True)
            print("local HTTP server alone (curl to /dev/null): %.1f MB/s"
                  % (size / 1e6 / (time.monotonic() - t)))
        posted = time.time()
        doc = self.call("POST", "/be/v1/builds", {"appName": "bench", "buildName": build,
                                                  "url": url, "size": size}, (202,))
        tasks = self.stack.wait_group(doc["group"], self.auth, timeout=7200)
        seen = time.time()
        bad = [t for t in tasks.values() if t["state"] != "succeeded"]
        if bad or "deploy" not in tasks:
            raise SystemExit("import %s failed: %s" % (build, [
                (t["type"], t["state"], t.get("message"), t.get("exception"), t.get("error"))
                for t in tasks.values()]))
        rss = peak_rss_kib(self.stack.pid("worker1"))
        return posted, seen, tasks, rss


def report(name, tar_bytes, posted, seen, tasks, rss):
    dl, mk, dp = tasks["dltar"], tasks["mkraw"], tasks["deploy"]
    end = stamp(dp["finished"])
    total = end - posted
    print("build %s: tar %.1f MiB" % (name, tar_bytes / 1048576.0))
    print("  end to end (POST -> deploy end): %8.2f s  (%.1f MB/s; wall seen by polling %.2f s)"
          % (total, tar_bytes / 1e6 / total, seen - posted))
    prev = posted
    for t in (dl, mk, dp):
        start, fin = stamp(t["started"]), stamp(t["finished"])
        print("  %-6s queued %6.3f s  ran %8.2f s  (%.1f MB/s of tar)"
              % (t["type"], start - prev, fin - start, tar_bytes / 1e6 / max(fin - start, 1e-6)))
        prev = fin
    res = mk["result"]
    print("  image: %d bytes (%.1f%% of tar), %s chunks, dxfName %s"
          % (res["sizeBytes"], 100.0 * res["sizeBytes"] / tar_bytes, res.get("chunks", "?"),
             res["dxfName"]))
    print("  worker peak RSS (VmHWM): %s KiB" % rss)
    return dict(res, endToEnd=total)


def run_depot(depot, files, work, tar_a, tar_b, bytes_a, bytes_b, nchanged, nfiles):
    """Import A then B on a fresh stack whose depot is depot ("fs" or
    "s3"); prints the figures, returns A's end-to-end seconds."""
    from harness import S3rver, Stack, token_headers
    env = {"EDGE_URL_ALLOW": "127.0.0.0/8", "EDGE_LOG_LEVEL": "warn",
           "EDGE_AUTH_TOKEN_TTL_S": "86400", "EDGE_LEASE_MS": "15000"}
    s3 = stack = None
    try:
        if depot == "s3":
            s3 = S3rver(bucket="depot")
            env.update({"EDGE_STORE": "s3://depot/edge", "EDGE_STORE_S3_ENDPOINT": s3.endpoint,
                        "EDGE_STORE_S3_ACCESS_KEY_ID": S3rver.ACCESS_KEY,
                        "EDGE_STORE_S3_SECRET_ACCESS_KEY": S3rver.SECRET_KEY})
        stack = Stack(workers=1, env=env)
        doc = stack.create_org("bench")
        _, token = stack.auth_token("bench", doc["adminUsername"], doc["password"])
        bench = Bench(stack, files, token_headers(token), work)
        origin = os.path.join(work, "origin-" + depot)
        os.makedirs(origin)
        bench.call("POST", "/be/v1/deployments",
                   {"name": "bench_fs", "kind": "fs", "fs": {"path": origin}}, (201,))
        bench.call("POST", "/be/v1/apps", {"name": "bench", "label": "bench",
                                           "deployments": ["bench_fs"]}, (201,))
        res_a = report("A", bytes_a, *bench.run("build_a", tar_a, bytes_a))
        res_b = report("B", bytes_b, *bench.run("build_b", tar_b, bytes_b))
        app = bench.call("GET", "/be/v1/apps/bench")
        for p in app["patches"]:
            print("patch %d -> %d: %d bytes (%.2f%% of image B %d bytes; %.1f%% of files changed)"
                  % (p["fromBuildId"], p["toBuildId"], p["sizeBytes"],
                     100.0 * p["sizeBytes"] / res_b["sizeBytes"], res_b["sizeBytes"],
                     100.0 * nchanged / nfiles))
        return res_a["endToEnd"]
    finally:
        if stack:
            stack.close()
        if s3:
            s3.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=parse_size, default=2 << 30)
    ap.add_argument("--change", type=float, default=0.05, help="share of files changed in B")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"))
    ap.add_argument("--dir", default=None, help="scratch directory (tars, stack, origin)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--depot", choices=("fs", "s3", "both"), default="fs",
                    help="the internal depot: a directory, an S3 bucket (s3rver), or both")
    args = ap.parse_args()
    os.environ["EDGE_BIN_DIR"] = os.path.abspath(args.bin)
    work = tempfile.mkdtemp(prefix="pipeline_bench_", dir=args.dir)
    tempfile.tempdir = work                     # the stack's store and data go there too
    from harness import FileServer
    files = None
    try:
        sizes, seeds_a, seeds_b, changed = plan(args.size, args.change)
        tar_a, tar_b = os.path.join(work, "a.tar"), os.path.join(work, "b.tar")
        t = time.monotonic()
        bytes_a, bytes_b = write_tar(tar_a, sizes, seeds_a), write_tar(tar_b, sizes, seeds_b)
        print("generated 2 tars of %.1f MiB (%d files, %d changed in B) in %.1f s"
              % (bytes_a / 1048576.0, len(sizes), len(changed), time.monotonic() - t))
        t = time.monotonic()
        subprocess.run(["sha256sum", tar_a], check=True, stdout=subprocess.DEVNULL)
        sha = bytes_a / 1e6 / (time.monotonic() - t)
        print("sha256sum of tar A: %.1f MB/s (reference)" % sha)

        files = FileServer()
        totals = {}
        for depot in (("fs", "s3") if args.depot == "both" else (args.depot,)):
            print("-- %s depot" % depot)
            totals[depot] = run_depot(depot, files, work, tar_a, tar_b, bytes_a, bytes_b,
                                      len(changed), len(sizes))
        if len(totals) == 2:
            print("end to end of A: fs depot %.2f s, S3 depot %.2f s (%.2fx)"
                  % (totals["fs"], totals["s3"], totals["s3"] / totals["fs"]))
    finally:
        if files:
            files.close()
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
