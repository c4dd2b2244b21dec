#!/usr/bin/env python3
"""mkraw bench: image build throughput next to sha256sum, peak RSS, image
size, and the patch size for a second build that changes 5% of the files.

Generates two tars of pseudo-random files (--size, default 2 GiB, in files
of 1..32 MiB; build B rewrites 5% of the files), runs sha256sum on tar A,
then build/bin/mkraw-bench (image A, image B, patch A->B) and prints the
figures. Usage: bench/mkraw_bench.py [--build DIR] [--size 2GiB] [--dir TMP]
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sizes import parse_size  # noqa: E402


def write_tar(path, sizes, seeds):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for i, (size, seed) in enumerate(zip(sizes, seeds)):
            data = random.Random(seed).randbytes(size)
            info = tarfile.TarInfo("game/data/file%05d.bin" % i)
            info.size = size
            info.mtime = 1700000000
            tar.addfile(info, fileobj=_Bytes(data))


class _Bytes:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def read(self, n=-1):
        end = len(self.data) if n < 0 else self.pos + n
        chunk = self.data[self.pos:end]
        self.pos += len(chunk)
        return chunk


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default=os.path.join(here, "..", "build"))
    parser.add_argument("--size", type=parse_size, default=2 << 30,
                        help="total bytes of each tar, e.g. 2GiB, 200MiB (default 2GiB)")
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    tool = os.path.join(args.build, "bin", "mkraw-bench")
    work = tempfile.mkdtemp(prefix="mkraw_bench_", dir=args.dir)
    try:
        rng = random.Random(1)
        sizes, total = [], 0
        while total < args.size:
            size = min(rng.randint(1 << 20, 32 << 20), args.size - total)
            sizes.append(size)
            total += size
        seeds_a = list(range(len(sizes)))
        changed = set(rng.sample(range(len(sizes)), max(1, len(sizes) // 20)))
        seeds_b = [s + 100000 if i in changed else s
                   for i, s in enumerate(seeds_a)]
        tar_a, tar_b = os.path.join(work, "a.tar"), os.path.join(work, "b.tar")
        write_tar(tar_a, sizes, seeds_a)
        write_tar(tar_b, sizes, seeds_b)
        start = time.monotonic()
        subprocess.run(["sha256sum", tar_a], check=True,
                       stdout=subprocess.DEVNULL)
        sha_secs = time.monotonic() - start
        out = subprocess.run([tool, tar_a, os.path.join(work, "out"), tar_b],
                             check=True, capture_output=True, text=True)
        figures = dict(line.split() for line in out.stdout.splitlines())
        tar_bytes = os.path.getsize(tar_a)
        sha_mbs = tar_bytes / 1e6 / sha_secs
        print("tar size:            %d bytes (%d files, %d changed in B)"
              % (tar_bytes, len(sizes), len(changed)))
        print("sha256sum:           %.1f MB/s" % sha_mbs)
        print("image build (A):     %s MB/s (ratio to sha256sum %.2f)"
              % (figures["a_mb_per_s"], float(figures["a_mb_per_s"]) / sha_mbs))
        print("peak RSS:            %s KiB" % figures["peak_rss_kib"])
        print("image size (A):      %s bytes, %s chunks, %s segments"
              % (figures["a_image_bytes"], figures["a_chunks"],
                 figures["a_segments"]))
        print("patch A->B size:     %s bytes (%.1f%% of image B)"
              % (figures["patch_bytes"], 100.0 * int(figures["patch_bytes"])
                 / int(figures["b_image_bytes"])))
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
