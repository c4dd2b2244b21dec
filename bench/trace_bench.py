#!/usr/bin/env python3
"""Trace bench (issue #6): how much of a build must be downloaded before a
game may start (the preload, design.md §8), for held-out play sessions, when
the image is laid out in (a) the tar's file order, (b) an order fitted on
training traces, (c) the oracle order that knows each held-out trace.

Steps: bench/gamegen.py makes a build (--size, --files) and --traces
sessions; build/bin/mkraw-bench builds the real DxF image (FastCDC chunks,
dedup, zstd), so preloads count stored chunk bytes of the real manifest.
The last --held-out sessions are never trained on.

Tables printed:
  1. preload share (p90 over held-out traces) for file order / ours / oracle
     at each bandwidth, with 12 and 100 training traces;
  2. preload share vs the number of training traces (1, 3, 10, 30, 100).
"Ours" is computed by the Python reference fit (gamegen.Image.fit_order,
written from worker/wk_profile.h's description) and, when build/bin/trace-fit
exists, by that C tool (the worker's own fit, wk_profile) on the same
training and held-out .tr files.

Usage: bench/trace_bench.py [--build DIR] [--size 200MiB] [--files 2000]
         [--traces 150] [--held-out 50] [--bandwidths 25,100,1000]
         [--seed 1] [--dir TMP] [--keep] [--verbose]
"""
import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gamegen  # noqa: E402

TRAIN_SIZES = (1, 3, 10, 30, 100)
TABLE_TRAIN = (12, 100)


def evaluate(image, train, held, mbits, percentile=90):
    """{mbit: (file, ours, oracle)} preload shares (p90 over held-out)."""
    ours_order = image.ends(image.fit_order(train)) if train else None
    file_ends = image.ends(image.file_order)
    oracle_ends = [image.ends(image.oracle_order(first)) for first in held]
    out = {}
    for mbit in mbits:
        rate = gamegen.bytes_per_ms(mbit)

        def share(values):
            return gamegen.percentile(values, percentile) / image.total
        out[mbit] = (share([gamegen.preload_bytes(f, file_ends, rate) for f in held]),
                     share([gamegen.preload_bytes(f, ours_order, rate) for f in held])
                     if ours_order else float("nan"),
                     share([gamegen.preload_bytes(f, e, rate)
                            for f, e in zip(held, oracle_ends)]))
    return out


def run_trace_fit(tool, manifest, tr_dir, work, n, pool, mbits):
    """trace-fit on the first n training traces and the held-out ones
    (sessions pool.. of tr_dir); returns ({mbit: (file, fitted, oracle)}
    p90 shares, raw output) or (None, error text)."""
    names = sorted(os.listdir(tr_dir))
    sub = os.path.join(work, "fit_%d" % n)
    os.makedirs(sub)
    for i, name in enumerate(names[:n]):
        os.symlink(os.path.join(tr_dir, name), os.path.join(sub, "a_%04d.tr" % i))
    for i, name in enumerate(names[pool:]):
        os.symlink(os.path.join(tr_dir, name), os.path.join(sub, "b_%04d.tr" % i))
    argv = [tool, "--manifest", manifest, "--traces", sub, "--train", str(n),
            "--bandwidths", ",".join(str(m) for m in mbits)]
    res = subprocess.run(argv, capture_output=True, text=True)
    if res.returncode != 0:
        return None, "trace-fit failed (%d): %s" % (res.returncode, res.stderr.strip())
    p90 = {}
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) == 6 and parts[1] in ("file", "fitted", "oracle"):
            try:
                p90[(round(float(parts[0])), parts[1])] = float(parts[3])
            except ValueError:
                continue
    table = {m: tuple(p90.get((m, o), float("nan")) for o in ("file", "fitted", "oracle"))
             for m in mbits}
    return table, res.stdout.rstrip()


def print_tables(label, results, mbits):
    """results: {n: {mbit: (file, ours, oracle)}}."""
    print("\npreload share (p90 of held-out traces): file order / %s / oracle" % label)
    print("%-10s" % "train" + "".join("%26s" % ("%d Mbit/s" % m) for m in mbits))
    for n in TABLE_TRAIN:
        if n in results:
            print("%-10d" % n + "".join("%8.3f /%7.3f /%7.3f " % results[n][m] for m in mbits))
    print("\npreload share with %s vs number of training traces" % label)
    print("%-10s" % "train" + "".join("%12s" % ("%d Mbit/s" % m) for m in mbits))
    for n in TRAIN_SIZES:
        if n in results:
            print("%-10d" % n + "".join("%12.3f" % results[n][m][1] for m in mbits))


def prepare(args, work):
    """Build, traces (json and .tr) and the image; returns (image, firsts)."""
    t0 = time.monotonic()
    truth = gamegen.write_build(work, args.seed, gamegen.parse_size(args.size), args.files)
    print("build: %d files, %d bytes, %d levels (%.1fs)"
          % (len(truth["files"]), truth["totalBytes"], len(truth["levels"]),
             time.monotonic() - t0))
    tool = os.path.join(args.build, "bin", "mkraw-bench")
    res = subprocess.run([tool, os.path.join(work, "build.tar"), os.path.join(work, "img")],
                         capture_output=True, text=True, check=True)
    figures = dict(line.split() for line in res.stdout.splitlines())
    manifest = os.path.join(work, "img", "a", "manifest.json")
    with open(manifest, "rb") as fp:
        dxf = "dxf_" + hashlib.sha256(fp.read()).hexdigest()[:16]
    print("image: %s chunks, %s bytes stored of %s raw (%s, %ss)"
          % (figures["a_chunks"], figures["a_image_bytes"], figures["a_raw_bytes"], dxf,
             figures["a_seconds"]))
    n = args.traces
    gamegen.write_traces(truth, n, args.seed, os.path.join(work, "traces"))
    gamegen.write_traces(truth, n, args.seed, os.path.join(work, "tr"), "tr",
                         dxf_name=dxf, build_id=1)
    image = gamegen.Image.load(manifest)
    firsts = []
    for path in sorted(glob.glob(os.path.join(work, "traces", "*.json"))):
        with open(path) as fp:
            firsts.append(image.first_times(json.load(fp)["accesses"]))
    return image, firsts, manifest


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    parser.add_argument("--size", default="200MiB")
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--traces", type=int, default=150)
    parser.add_argument("--held-out", type=int, default=50)
    parser.add_argument("--bandwidths", default="25,100,1000")
    parser.add_argument("--seed", default="1")
    parser.add_argument("--dir", default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print trace-fit's output")
    args = parser.parse_args()
    mbits = [int(x) for x in args.bandwidths.split(",")]
    pool = args.traces - args.held_out
    if pool < 1 or args.held_out < 1:
        parser.error("need --traces > --held-out >= 1")
    work = tempfile.mkdtemp(prefix="trace_bench_", dir=args.dir)
    try:
        image, firsts, manifest = prepare(args, work)
        held = firsts[pool:]
        sizes = [n for n in sorted(set(TABLE_TRAIN + TRAIN_SIZES)) if n <= pool]
        print("traces: %d, training pool %d, held out %d; stored image %d bytes"
              % (len(firsts), pool, len(held), image.total))
        print_tables("ours (Python reference fit)",
                     {n: evaluate(image, firsts[:n], held, mbits) for n in sizes}, mbits)
        fit = os.path.join(args.build, "bin", "trace-fit")
        if not os.path.exists(fit):
            print("\n(%s not built: the C fit is not measured)" % fit)
            return
        results, raw = {}, []
        for n in sizes:
            table, out = run_trace_fit(fit, manifest, os.path.join(work, "tr"), work, n,
                                       pool, mbits)
            raw.append("trace-fit --train %d:\n%s" % (n, out))
            if table:
                results[n] = table
        print_tables("ours (C trace-fit, the worker's fit)", results, mbits)
        if args.verbose or len(results) < len(sizes):
            print("\n" + "\n".join(raw))
    finally:
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
