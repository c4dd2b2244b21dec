#!/usr/bin/env python3
"""Trace scale bench (issue #6): processing time and peak RSS of the
worker's trace processing (wk_trace + wk_profile, through trace-fit) for
many long traces, e.g. 1,000 traces x 100,000 accesses.

Steps:
  1. bench/gamegen.py makes a build (--size, --files) and build/bin/mkraw-bench
     builds its real DxF image (or --manifest names an existing image's
     manifest.json); only the manifest is kept afterwards;
  2. build/bin/trace-scale-gen writes --traces sessions of --accesses
     accesses each (.tr, the pipeline's format) into a scratch dir, in
     --jobs processes; the bytes on disk and the generation time are
     printed apart from the processing figures;
  3. with --cold, the traces are flushed and dropped from the page cache
     (posix_fadvise DONTNEED), so loading reads the disk;
  4. build/bin/trace-fit runs under /usr/bin/time -v on all traces: the
     first --train train, the rest are held out; with k-fold
     cross-validation of all traces at --cv Mbit/s, as mkraw does.
Prints traces, accesses, load / fit / report / cross-validation time,
total wall time, CPU time, peak RSS and the held-out preload figures.
The traces are deleted afterwards unless --keep.

Usage: bench/trace_scale.py [--build DIR] [--traces 1000] [--accesses 100000]
         [--size 1GiB] [--files 5000] [--manifest FILE] [--train N]
         [--cv 100] [--bandwidths 25,100,1000] [--jobs 2] [--seed 1]
         [--dir TMP] [--cold] [--keep]
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gamegen  # noqa: E402

BYTES_PER_ACCESS = 20    # upper estimate of a msgpack access, for the disk check


def make_image(args, work):
    """Build and image (or the given manifest); returns the manifest path."""
    if args.manifest:
        return os.path.abspath(args.manifest)
    t0 = time.monotonic()
    truth = gamegen.write_build(work, args.seed, gamegen.parse_size(args.size), args.files)
    t1 = time.monotonic()
    tool = os.path.join(args.build, "bin", "mkraw-bench")
    res = subprocess.run([tool, os.path.join(work, "build.tar"), os.path.join(work, "img")],
                         capture_output=True, text=True, check=True)
    fig = dict(line.split() for line in res.stdout.splitlines())
    print("build:    %d files, %d bytes (gamegen %.1f s)"
          % (len(truth["files"]), truth["totalBytes"], t1 - t0))
    print("image:    %s chunks, %s bytes stored (mkraw-bench %s s)"
          % (fig["a_chunks"], fig["a_image_bytes"], fig["a_seconds"]))
    manifest = os.path.join(work, "img", "a", "manifest.json")
    if not args.keep:               # trace-fit needs the manifest only
        os.unlink(os.path.join(work, "build.tar"))
        for name in os.listdir(os.path.dirname(manifest)):
            if name.startswith("seg_"):
                os.unlink(os.path.join(os.path.dirname(manifest), name))
    return manifest


def generate(args, manifest, tr_dir):
    """Run trace-scale-gen in --jobs processes; returns seconds."""
    with open(manifest, "rb") as fp:
        dxf = "dxf_" + hashlib.sha256(fp.read()).hexdigest()[:16]
    tool = os.path.join(args.build, "bin", "trace-scale-gen")
    jobs = max(1, min(args.jobs, args.traces))
    t0 = time.monotonic()
    procs, first = [], 0
    for j in range(jobs):
        n = args.traces // jobs + (1 if j < args.traces % jobs else 0)
        procs.append(subprocess.Popen(
            [tool, "--manifest", manifest, "--out", tr_dir, "--traces", str(n),
             "--first", str(first), "--accesses", str(args.accesses),
             "--seed", str(args.seed), "--dxf", dxf, "--build-id", "1"]))
        first += n
    if any(p.wait() != 0 for p in procs):
        sys.exit("trace-scale-gen failed")
    return time.monotonic() - t0


def disk_usage(tr_dir, cold):
    """(files, bytes, bytes allocated); with cold, evicts them from the cache."""
    n = size = blocks = 0
    for entry in os.scandir(tr_dir):
        st = entry.stat()
        n, size, blocks = n + 1, size + st.st_size, blocks + st.st_blocks * 512
        if cold:
            fd = os.open(entry.path, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return n, size, blocks


def run_fit(args, manifest, tr_dir):
    """trace-fit under /usr/bin/time -v; returns (stdout, {time -v fields})."""
    tool = os.path.join(args.build, "bin", "trace-fit")
    argv = ["/usr/bin/time", "-v", tool, "--manifest", manifest, "--traces", tr_dir,
            "--train", str(args.train), "--bandwidths", args.bandwidths]
    if args.cv > 0:
        argv += ["--cv", str(args.cv)]
    res = subprocess.run(argv, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit("trace-fit failed (%d):\n%s" % (res.returncode, res.stderr))
    skipped = [line for line in res.stderr.splitlines() if line.endswith("(skipped)")]
    if skipped:
        print("WARNING: trace-fit skipped %d traces, e.g. %s" % (len(skipped), skipped[0]))
    usage = {}
    for line in res.stderr.splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key:
            usage[key] = value
    return res.stdout, usage


def wall_seconds(text):
    """'1:02:03.4' or '2:03.45' -> seconds."""
    secs = 0.0
    for part in text.split(":"):
        secs = secs * 60 + float(part)
    return secs


def report(out, usage):
    num = lambda key: int(re.search(r"\b%s (\d+)" % key, out).group(1))  # noqa: E731
    cv = re.search(r"\bcv_ms (\d+)", out)
    print("\ntrace processing (trace-fit, one process):")
    print("  traces            %d (train %d, held out %d)"
          % (num("traces"), num("train"), num("heldout")))
    print("  accesses          %d (first touches %d; %d chunks)"
          % (num("accesses"), num("first_touches"), num("chunks")))
    print("  load time         %.2f s  (read, validate, map to chunks)" % (num("load_ms") / 1e3))
    print("  fit time          %.2f s" % (num("fit_ms") / 1e3))
    print("  report time       %.2f s  (preloads of every trace, 3 orders x bandwidths)"
          % (num("report_ms") / 1e3))
    if cv:
        print("  cross-validation  %.2f s" % (int(cv.group(1)) / 1e3))
    print("  total wall time   %.2f s  (user %s s, sys %s s, CPU %s)"
          % (wall_seconds(usage["Elapsed (wall clock) time (h:mm:ss or m:ss)"]),
             usage["User time (seconds)"], usage["System time (seconds)"],
             usage["Percent of CPU this job got"]))
    print("  peak RSS          %.1f MiB  (profile holds %.1f MiB of touches)"
          % (int(usage["Maximum resident set size (kbytes)"]) / 1024.0,
             num("profile_bytes") / 1048576.0))
    print("  disk reads        %s file system inputs (512-byte blocks)"
          % usage.get("File system inputs", "?"))
    print("\nheld-out preload share of the stream (trace-fit):")
    for line in out.splitlines():
        parts = line.split()
        if (len(parts) == 6 and parts[1] in ("file", "fitted", "oracle", "order")) \
                or parts[:1] == ["cv"]:
            print("  " + line.rstrip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    parser.add_argument("--traces", type=int, default=1000)
    parser.add_argument("--accesses", type=int, default=100000)
    parser.add_argument("--size", default="1GiB")
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--manifest", help="an existing image's manifest.json")
    parser.add_argument("--train", type=int, help="training traces (default 80 %%)")
    parser.add_argument("--cv", type=float, default=100, help="Mbit/s, 0: none")
    parser.add_argument("--bandwidths", default="25,100,1000")
    parser.add_argument("--jobs", type=int, default=2, help="generator processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--cold", action="store_true",
                        help="drop the traces from the page cache before trace-fit")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.train is None:
        args.train = max(1, args.traces * 4 // 5)
    if not 1 <= args.train < args.traces or args.accesses < 1:
        parser.error("need 1 <= --train < --traces and --accesses >= 1")
    work = tempfile.mkdtemp(prefix="trace_scale_", dir=args.dir)
    need = args.traces * args.accesses * BYTES_PER_ACCESS
    if not args.manifest:
        need += 2 * gamegen.parse_size(args.size)
    free = shutil.disk_usage(work).free
    print("scratch:  %s (%.1f GiB free, up to %.1f GiB needed)"
          % (work, free / 2.0 ** 30, need / 2.0 ** 30))
    try:
        if free < need:
            sys.exit("not enough free space in %s" % work)
        manifest = make_image(args, work)
        tr_dir = os.path.join(work, "tr")
        secs = generate(args, manifest, tr_dir)
        n, size, blocks = disk_usage(tr_dir, args.cold)
        print("traces:   %d x %d accesses = %d accesses, %d bytes (%.2f GiB, %.1f bytes"
              " an access; %d bytes allocated) in %.1f s (trace-scale-gen, %d jobs)"
              % (n, args.accesses, n * args.accesses, size, size / 2.0 ** 30,
                 size / float(max(1, n * args.accesses)), blocks, secs, args.jobs))
        if args.cold:
            print("          dropped from the page cache (--cold)")
        out, usage = run_fit(args, manifest, tr_dir)
        report(out, usage)
    finally:
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
