#!/usr/bin/env python3
"""Synthetic game builds and play sessions (issue #6), Python stdlib only.

A *build* is an uncompressed tar of many files in a plausible but
load-order-unrelated order (sorted by path, as real games ship: bin/...,
data/levels/..., data/shared/..., ui/...), with a hidden *truth*: the boot
set, the menu set, levels each with their own files, the shared asset pools
they draw on, files streamed while a level is played, optional movies, and
files never loaded (other languages, DLC, tools). Each file has a read
pattern (whole file in 64 KiB..1 MiB reads, or a few ranges of a pak).
Contents are seeded pseudo-random: mostly incompressible, some text-like
(compressible), a few duplicated files, so FastCDC chunks look real.

*Traces* are play sessions that follow the truth with noise: random level
choice (weights), skipped optional content, timing jitter, a machine speed
factor 0.5..2x and a session length (stop after some levels). One JSON per
session: {"appName"?, "buildName"?, "accesses": [[tMs, path, offset,
length], ...]}, times non-decreasing; or msgpack; or the pipeline's .tr.

The module also holds what benches and tests need around it: a tiny msgpack
encoder/decoder, and preload figures from a DxF manifest (design.md §8):
preload = max over accesses (stream end of the chunk - B*t), at least 0.

CLI:
  gamegen.py build  --out DIR --seed S [--size 200MiB] [--files 2000]
  gamegen.py traces --truth DIR/truth.json --n 100 --seed S --out TDIR
                    [--app NAME] [--build-name NAME] [--format json|msgpack|tr]
                    [--dxf NAME --build-id N]   (tr only)
"""
import argparse
import bisect
import hashlib
import io
import json
import math
import os
import random
import struct
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sizes import parse_size  # noqa: E402,F401 (bench scripts use gamegen.parse_size)

MTIME = 1700000000
KIB, MIB = 1 << 10, 1 << 20
LANGS = ("de", "en", "es", "fr", "it", "ja", "pt")


# -- msgpack (the subset the traces use) ---------------------------------------
def msgpack_dumps(obj):
    """Encode None, bool, int, float, str, bytes, list/tuple and dict."""
    out = bytearray()
    _mp_put(out, obj)
    return bytes(out)


def _mp_put(out, obj):
    if obj is None:
        out.append(0xC0)
    elif obj is True or obj is False:
        out.append(0xC3 if obj else 0xC2)
    elif isinstance(obj, int):
        _mp_int(out, obj)
    elif isinstance(obj, float):
        out += b"\xcb" + struct.pack(">d", obj)
    elif isinstance(obj, str):
        data = obj.encode("utf-8")
        _mp_len(out, len(data), 0xA0, 31, 0xD9, 0xDA, 0xDB)
        out += data
    elif isinstance(obj, (bytes, bytearray)):
        _mp_len(out, len(obj), None, 0, 0xC4, 0xC5, 0xC6)
        out += obj
    elif isinstance(obj, (list, tuple)):
        _mp_len(out, len(obj), 0x90, 15, None, 0xDC, 0xDD)
        for item in obj:
            _mp_put(out, item)
    elif isinstance(obj, dict):
        _mp_len(out, len(obj), 0x80, 15, None, 0xDE, 0xDF)
        for key, value in obj.items():
            _mp_put(out, key)
            _mp_put(out, value)
    else:
        raise TypeError("msgpack: cannot encode %r" % type(obj))


def _mp_len(out, n, fix, fixmax, t8, t16, t32):
    if fix is not None and n <= fixmax:
        out.append(fix | n)
    elif t8 is not None and n < 1 << 8:
        out += bytes((t8, n))
    elif n < 1 << 16:
        out += bytes((t16,)) + struct.pack(">H", n)
    else:
        out += bytes((t32,)) + struct.pack(">I", n)


def _mp_int(out, n):
    if 0 <= n < 128:
        out.append(n)
    elif -32 <= n < 0:
        out.append(n & 0xFF)
    elif n >= 0:
        for tag, fmt, limit in ((0xCC, ">B", 8), (0xCD, ">H", 16), (0xCE, ">I", 32),
                                (0xCF, ">Q", 64)):
            if n < 1 << limit:
                out += bytes((tag,)) + struct.pack(fmt, n)
                return
        raise OverflowError("msgpack: %d too large" % n)
    else:
        for tag, fmt, limit in ((0xD0, ">b", 7), (0xD1, ">h", 15), (0xD2, ">i", 31),
                                (0xD3, ">q", 63)):
            if n >= -(1 << limit):
                out += bytes((tag,)) + struct.pack(fmt, n)
                return
        raise OverflowError("msgpack: %d too small" % n)


def msgpack_loads(data):
    """Decode one msgpack object (the subset msgpack_dumps writes, plus
    float32); raises ValueError on truncated or trailing bytes."""
    obj, pos = _mp_get(memoryview(bytes(data)), 0)
    if pos != len(data):
        raise ValueError("msgpack: %d trailing bytes" % (len(data) - pos))
    return obj


def _mp_take(buf, pos, n):
    if pos + n > len(buf):
        raise ValueError("msgpack: truncated")
    return bytes(buf[pos:pos + n]), pos + n


_MP_FIXED = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h",
             0xD2: ">i", 0xD3: ">q", 0xCA: ">f", 0xCB: ">d"}
_MP_LEN = {0xD9: (">B", "s"), 0xDA: (">H", "s"), 0xDB: (">I", "s"), 0xC4: (">B", "b"),
           0xC5: (">H", "b"), 0xC6: (">I", "b"), 0xDC: (">H", "a"), 0xDD: (">I", "a"),
           0xDE: (">H", "m"), 0xDF: (">I", "m")}


def _mp_get(buf, pos):
    raw, pos = _mp_take(buf, pos, 1)
    tag = raw[0]
    if tag < 0x80 or tag >= 0xE0:
        return (tag if tag < 0x80 else tag - 256), pos
    if tag in (0xC0, 0xC2, 0xC3):
        return {0xC0: None, 0xC2: False, 0xC3: True}[tag], pos
    if tag in _MP_FIXED:
        fmt = _MP_FIXED[tag]
        raw, pos = _mp_take(buf, pos, struct.calcsize(fmt))
        return struct.unpack(fmt, raw)[0], pos
    if 0xA0 <= tag <= 0xBF:
        kind, n = "s", tag & 0x1F
    elif 0x90 <= tag <= 0x9F:
        kind, n = "a", tag & 0x0F
    elif 0x80 <= tag <= 0x8F:
        kind, n = "m", tag & 0x0F
    elif tag in _MP_LEN:
        fmt, kind = _MP_LEN[tag]
        raw, pos = _mp_take(buf, pos, struct.calcsize(fmt))
        n = struct.unpack(fmt, raw)[0]
    else:
        raise ValueError("msgpack: unsupported tag 0x%02x" % tag)
    if kind in "sb":
        raw, pos = _mp_take(buf, pos, n)
        return (raw.decode("utf-8") if kind == "s" else raw), pos
    if kind == "a":
        items = []
        for _ in range(n):
            item, pos = _mp_get(buf, pos)
            items.append(item)
        return items, pos
    out = {}
    for _ in range(n):
        key, pos = _mp_get(buf, pos)
        out[key], pos = _mp_get(buf, pos)
    return out, pos


# -- sizes ----------------------------------------------------------------------
# -- the hidden structure ------------------------------------------------------
class _Files:
    """Accumulates file specs: path -> {path, weight, kind, pattern}."""

    def __init__(self, rng):
        self.rng = rng
        self.specs = {}

    def add(self, path, weight, kind="random", pattern="whole"):
        self.specs[path] = {"path": path, "weight": weight, "kind": kind,
                            "pattern": pattern}
        return path

    def many(self, prefix, n, exts, sigma=1.0, text_share=0.15, partial_share=0.3):
        paths = []
        for i in range(n):
            ext = self.rng.choice(exts)
            kind = "text" if ext in ("lua", "json", "txt", "cfg", "shader") or \
                self.rng.random() < text_share * 0.3 else "random"
            pattern = "partial" if ext == "pak" or (ext not in ("lua", "json", "txt", "cfg")
                                                    and self.rng.random() < partial_share) \
                else "whole"
            weight = self.rng.lognormvariate(0, sigma)
            paths.append(self.add("%s%04d_%s.%s" % (prefix, i, _word(self.rng), ext),
                                  weight, kind, pattern))
        return paths


_SYLL = ("ka", "ro", "mi", "ten", "sul", "ar", "vo", "qi", "lex", "dra", "no", "pe")


def _word(rng):
    return "".join(rng.choice(_SYLL) for _ in range(rng.randint(2, 3)))


def _split(n, shares, minimum=1):
    """Split n items into len(shares) counts proportional to shares."""
    counts = [max(minimum, int(n * s)) for s in shares]
    counts[-1] = max(minimum, n - sum(counts[:-1]))
    return counts


def make_truth(seed, size, nfiles):
    """The hidden structure (a dict, saved as truth.json) for a build of
    about size bytes in about nfiles files."""
    rng = random.Random("truth-%s" % seed)
    fl = _Files(rng)
    n_levels = max(3, min(24, nfiles // 110))
    n_pools = max(2, min(12, n_levels // 2 + 1))
    (n_boot, n_menu, n_loc, n_shared, n_level, n_stream, n_unused) = _split(
        max(nfiles - n_levels - 1, 40), (0.03, 0.05, 0.07, 0.2, 0.35, 0.15, 0.15))
    boot = [fl.add("bin/game.elf", 6.0), fl.add("bin/engine.so", 8.0)]
    boot += fl.many("bin/lib", max(1, n_boot // 3), ("so",), 0.8, 0, 0)
    boot += fl.many("data/config/", max(1, n_boot - n_boot // 3), ("json", "cfg"), 0.5)
    menu = fl.many("ui/menus/", max(1, n_menu // 2), ("pak", "tex"), 1.0)
    menu += fl.many("ui/fonts/", max(1, n_menu - n_menu // 2), ("ttf",), 0.5, 0, 0)
    loc = {}
    per_lang = max(1, n_loc // len(LANGS))
    for lang in LANGS:
        loc[lang] = fl.many("data/loc/%s/" % lang, per_lang, ("txt", "ogg"), 0.8)
    boot += loc["en"]                    # one language is played; the others never
    pools = []
    for p in range(n_pools):
        name = "pool_%s" % _word(rng)
        paths = fl.many("data/shared/%s/" % name, max(1, n_shared // n_pools),
                        ("tex", "mesh", "ogg", "pak"), 1.2)
        pools.append({"name": name, "files": paths})
    levels = []
    for lv in range(n_levels):
        name = "l%02d_%s" % (lv + 1, _word(rng))
        own = fl.many("data/levels/%s/" % name, max(2, n_level // n_levels),
                      ("pak", "tex", "mesh", "lua", "nav"), 1.1)
        stream = fl.many("data/levels/%s/stream/" % name, max(1, n_stream // n_levels),
                         ("tex", "ogg", "mesh"), 1.0)
        movie = fl.add("data/movies/%s.bik" % name, 3.0, "random", "whole")
        used = rng.sample(range(n_pools), min(n_pools, rng.randint(2, 4)))
        shared = []
        for p in sorted(used):
            files = pools[p]["files"]
            shared += sorted(rng.sample(files, max(1, int(len(files) * rng.uniform(0.4, 0.9)))))
        levels.append({"name": name, "weight": round(1.0 / (lv + 1), 4),
                       "own": own, "stream": stream, "movie": movie, "shared": shared})
    intro = fl.add("data/movies/intro.bik", 4.0)
    unused = [p for lang in LANGS if lang != "en" for p in loc[lang]]
    unused += fl.many("tools/editor/", max(1, n_unused // 3), ("so", "pak"), 1.0)
    unused += fl.many("data/dlc/", max(1, n_unused - n_unused // 3 - 2), ("pak", "tex"), 1.2)
    unused += [fl.add("docs/EULA.txt", 0.2, "text"), fl.add("docs/credits.txt", 0.1, "text")]
    files = _assign_sizes(rng, fl.specs, size)
    _add_duplicates(rng, files)
    reads = {f["path"]: _read_pattern(rng, f) for f in files}
    steps = lambda paths: [_step(rng, p, reads[p]) for p in paths]  # noqa: E731
    return {
        "version": 1, "seed": seed, "totalBytes": sum(f["size"] for f in files),
        "files": files,
        "boot": steps(boot), "menu": steps(menu), "intro": _step(rng, intro, reads[intro]),
        "levels": [{"name": lv["name"], "weight": lv["weight"],
                    "load": steps(lv["shared"] + lv["own"]), "stream": steps(lv["stream"]),
                    "movie": _step(rng, lv["movie"], reads[lv["movie"]]),
                    "sharedFiles": lv["shared"]} for lv in levels],
        "pools": pools, "unused": unused,
    }


def _assign_sizes(rng, specs, size):
    """Sizes proportional to weights, summing to about size, >= 1 KiB."""
    total_w = sum(s["weight"] for s in specs.values())
    files = []
    for path in sorted(specs):
        spec = specs[path]
        n = max(KIB, int(size * spec["weight"] / total_w))
        n = min(n, 96 * MIB)
        files.append({"path": path, "size": n, "kind": spec["kind"],
                      "pattern": spec["pattern"], "contentSeed": rng.getrandbits(48)})
    return files


def _add_duplicates(rng, files):
    """About 2% of the random files copy another file's bytes (dedup)."""
    pool = [f for f in files if f["kind"] == "random" and f["size"] >= 64 * KIB]
    for f in rng.sample(pool, len(pool) // 50):
        src = rng.choice(pool)
        if src is not f and src.get("kind") == "random":
            f.update(size=src["size"], contentSeed=src["contentSeed"], duplicateOf=src["path"])


def _read_pattern(rng, f):
    """Ranges [[offset, length], ...] one load of the file reads, in order."""
    size = f["size"]
    if f["pattern"] == "whole" or size <= 256 * KIB:
        return _sequential(rng, 0, size)
    # a pak: header, index at the end, then a few members
    ranges = [[0, min(size, rng.choice((4, 16, 64)) * KIB)]]
    tail = min(size // 8, 64 * KIB)
    ranges.append([size - tail, tail])
    cut = sorted(rng.sample(range(1, 64), 12))
    spans = [(size * a // 64, size * b // 64) for a, b in zip([0] + cut, cut + [64])]
    for lo, hi in sorted(rng.sample(spans, rng.randint(2, 7))):
        ranges += _sequential(rng, lo, hi - lo)
    return ranges


def _sequential(rng, start, length):
    out, pos, end = [], start, start + length
    while pos < end:
        n = min(end - pos, rng.choice((64, 128, 256, 512, 1024)) * KIB)
        out.append([pos, n])
        pos += n
    return out


def _step(rng, path, ranges):
    """One file load: its reads, the CPU time per read and the work after
    the file (parsing, shader compiles...) at speed 1."""
    return {"path": path, "reads": ranges, "cpuMs": round(rng.uniform(0.5, 6.0), 2),
            "pauseMs": round(rng.uniform(0, 120), 1)}


# -- the tar ---------------------------------------------------------------------
def file_bytes(f):
    """A file's contents (deterministic from its contentSeed and kind)."""
    rng = random.Random(f["contentSeed"])
    data = rng.randbytes(f["size"])
    if f["kind"] == "text":
        # 16 letters: about half as large after compression
        data = data.translate(bytes(b"etaoinshrdlu \n{}"[i % 16] for i in range(256)))
    return data


def write_build(out_dir, seed, size, nfiles):
    """Write out_dir/build.tar and out_dir/truth.json; returns the truth."""
    os.makedirs(out_dir, exist_ok=True)
    truth = make_truth(seed, size, nfiles)
    tmp = os.path.join(out_dir, "build.tar.tmp")
    with tarfile.open(tmp, "w", format=tarfile.GNU_FORMAT) as tar:
        dirs = set()
        for f in truth["files"]:                 # sorted by path: load-order-unrelated
            parts = f["path"].split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
                    tar.addfile(info)
            info = tarfile.TarInfo(f["path"])
            info.size, info.mode, info.mtime = f["size"], 0o644, MTIME
            tar.addfile(info, io.BytesIO(file_bytes(f)))
    os.replace(tmp, os.path.join(out_dir, "build.tar"))
    with open(os.path.join(out_dir, "truth.json"), "w") as fp:
        json.dump(truth, fp, indent=1)
    return truth


# -- sessions --------------------------------------------------------------------
class _Clock:
    """Session time: reads cost CPU (scaled by machine speed) and I/O."""

    def __init__(self, rng, speed):
        self.rng, self.speed, self.t = rng, speed, 0.0
        self.accesses = []

    def read(self, path, off, length, cpu_ms):
        self.accesses.append([int(self.t), path, off, length])
        io_ms = length / (400.0 * KIB)           # ~400 MB/s local storage
        self.t += (cpu_ms + io_ms) / self.speed * self.rng.lognormvariate(0, 0.3)

    def work(self, ms):
        self.t += ms / self.speed * self.rng.lognormvariate(0, 0.3)

    def wait(self, ms):
        self.t += ms


def _load(clk, rng, step, keep=1.0, stop_share=1.0):
    """Read one file's ranges (a share of them when stop_share < 1)."""
    reads = step["reads"]
    n = max(1, int(math.ceil(len(reads) * stop_share)))
    for off, length in reads[:n]:
        if keep >= 1.0 or rng.random() < keep:
            clk.read(step["path"], off, length, step["cpuMs"])
    clk.work(step.get("pauseMs", 0))


def _jittered(rng, steps):
    """Steps in truth order with a few neighbours swapped (order noise)."""
    out = list(steps)
    for i in range(len(out) - 1):
        if rng.random() < 0.15:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def make_session(truth, seed):
    """One play session: a list of [tMs, path, offset, length]."""
    rng = random.Random("session-%s-%s" % (truth["seed"], seed))
    clk = _Clock(rng, math.exp(rng.uniform(math.log(0.5), math.log(2.0))))
    for step in _jittered(rng, truth["boot"]):
        _load(clk, rng, step)
    if rng.random() < 0.5:                        # intro watched (partly) or skipped
        _load(clk, rng, truth["intro"], stop_share=rng.uniform(0.1, 1.0))
    for step in _jittered(rng, truth["menu"]):
        _load(clk, rng, step)
    levels = truth["levels"]
    weights = [lv["weight"] for lv in levels]
    n_play = min(len(levels), 1 + int(rng.expovariate(1 / 1.5)))
    seen, loaded = set(), set()
    for _ in range(n_play):
        clk.wait(rng.uniform(1500, 15000))        # the player in the menu
        lv = rng.choices(levels, weights)[0]
        if lv["name"] in seen and rng.random() < 0.7:
            lv = rng.choices(levels, weights)[0]
        seen.add(lv["name"])
        if rng.random() < 0.4:
            _load(clk, rng, lv["movie"], stop_share=rng.uniform(0.05, 1.0))
        for step in _jittered(rng, lv["load"]):
            if step["path"] not in loaded:
                _load(clk, rng, step, keep=0.97)
                loaded.add(step["path"])
        _play(clk, rng, lv)
    return clk.accesses


def _play(clk, rng, lv):
    """Stream the level's optional files at random times while playing."""
    play_ms = rng.uniform(20000, 240000)
    start = clk.t
    due = sorted((rng.uniform(0, play_ms), i) for i, _ in enumerate(lv["stream"])
                 if rng.random() < 0.75)
    for at, i in due:
        if start + at > clk.t:
            clk.wait(start + at - clk.t)
        _load(clk, rng, lv["stream"][i])
    if start + play_ms > clk.t:
        clk.wait(start + play_ms - clk.t)


def trace_doc(accesses, app=None, build=None):
    doc = {}
    if app:
        doc["appName"] = app
    if build:
        doc["buildName"] = build
    doc["accesses"] = accesses
    return doc


def tr_doc(accesses, dxf_name, build_id, trace_id):
    """The pipeline's .tr map for a session (fileIndex into "files")."""
    files, index, out = [], {}, []
    for t, path, off, length in accesses:
        if path not in index:
            index[path] = len(files)
            files.append(path)
        out.append([t, index[path], off, length])
    return {"v": 1, "traceId": trace_id, "dxfName": dxf_name, "buildId": build_id,
            "files": files, "accesses": out}


def write_traces(truth, n, seed, out_dir, fmt="json", app=None, build=None,
                 dxf_name="", build_id=0, first=0):
    """Write sessions first..first+n-1 to out_dir; returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for i in range(first, first + n):
        acc = make_session(truth, "%s-%d" % (seed, i))
        if fmt == "tr":
            trace_id = "tr_" + hashlib.sha256(b"%s-%d" % (str(seed).encode(), i)).hexdigest()[:20]
            data, ext = msgpack_dumps(tr_doc(acc, dxf_name, build_id, trace_id)), "tr"
        elif fmt == "msgpack":
            data, ext = msgpack_dumps(trace_doc(acc, app, build)), "msgpack"
        else:
            data, ext = json.dumps(trace_doc(acc, app, build)).encode(), "json"
        path = os.path.join(out_dir, "session_%04d.%s" % (i, ext))
        with open(path, "wb") as fp:
            fp.write(data)
        paths.append(path)
    return paths


# -- preload from a DxF manifest ------------------------------------------------
class Image:
    """A manifest's chunk layout, for preload figures (design.md §8)."""

    def __init__(self, manifest):
        self.manifest = manifest
        self.sizes = [c["storedSize"] for c in manifest["chunks"]]
        self.total = sum(self.sizes)
        self.file_refs = {}                       # path -> (offsets, [(off, len, chunk)])
        for f in manifest["files"]:
            if f.get("type") == "file":
                refs = [(off, ln, ch) for ch, off, ln in f["chunks"]]
                self.file_refs[f["path"]] = ([r[0] for r in refs], refs)
        self.file_order = self._file_order()
        self.load_order = list(manifest["loadOrder"])

    @classmethod
    def load(cls, path):
        with open(path) as fp:
            return cls(json.load(fp))

    def _file_order(self):
        """Chunks in the order files first reference them (tar order)."""
        seen, order = set(), []
        for f in self.manifest["files"]:
            for ch, _, _ in f.get("chunks", ()):
                if ch not in seen:
                    seen.add(ch)
                    order.append(ch)
        return order

    def ends(self, order):
        """chunk -> end offset in the stream laid out in order."""
        out, pos = [0] * len(self.sizes), 0
        for ch in order:
            pos += self.sizes[ch]
            out[ch] = pos
        return out

    def first_times(self, accesses):
        """chunk -> first access time (ms) of a trace's accesses."""
        first = {}
        for t, path, off, length in accesses:
            offsets, refs = self.file_refs[path]
            i = max(0, bisect.bisect_right(offsets, off) - 1)
            while i < len(refs) and refs[i][0] < off + length:
                ch = refs[i][2]
                if ch not in first or t < first[ch]:
                    first[ch] = t
                i += 1
        return first

    def oracle_order(self, first):
        traced = sorted(first, key=lambda ch: (first[ch], ch))
        seen = set(traced)
        return traced + [ch for ch in self.file_order if ch not in seen]

    def fit_order(self, firsts, percentile=90, min_traces=2, min_share=0.01):
        """A reference load order, as worker/wk_profile.h describes its fit
        (written from that description): a chunk touched by m of n traces
        is reliable when m >= S = max(min_traces, ceil(min_share*n)); its
        key is its r-th earliest first access, r = clamp(ceil(q*m),
        min_traces, m), q = 1 - percentile/100. Reliable chunks first by
        key, then the others by earliest access (ties: more traces, then
        chunk index), then untraced chunks in file order."""
        times = {}
        for first in firsts:
            for ch, t in first.items():
                times.setdefault(ch, []).append(t)
        need = max(min_traces, math.ceil(min_share * len(firsts)))
        q = 1.0 - percentile / 100.0
        reliable, rest = [], []
        for ch, ts in times.items():
            ts.sort()
            m = len(ts)
            if m >= need:
                r = min(m, max(min_traces, math.ceil(q * m)))
                reliable.append((ts[r - 1], -m, ch))
            else:
                rest.append((ts[0], -m, ch))
        traced = [ch for _, _, ch in sorted(reliable) + sorted(rest)]
        return traced + [ch for ch in self.file_order if ch not in times]


def preload_bytes(first, ends, bytes_per_ms):
    """max over accessed chunks (stream end - B*t), at least 0."""
    best = 0.0
    for ch, t in first.items():
        best = max(best, ends[ch] - bytes_per_ms * t)
    return int(math.ceil(best))


def percentile(values, p):
    """The p-th percentile (nearest rank) of values."""
    vals = sorted(values)
    if not vals:
        return 0
    return vals[max(0, min(len(vals) - 1, int(math.ceil(p / 100.0 * len(vals))) - 1))]


def bytes_per_ms(mbit):
    return mbit * 1e6 / 8 / 1000


# -- CLI -----------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="write DIR/build.tar and DIR/truth.json")
    b.add_argument("--out", required=True)
    b.add_argument("--seed", default="1")
    b.add_argument("--size", default="200MiB")
    b.add_argument("--files", type=int, default=2000)
    t = sub.add_parser("traces", help="write one trace per simulated session")
    t.add_argument("--truth", required=True)
    t.add_argument("--n", type=int, default=100)
    t.add_argument("--seed", default="1")
    t.add_argument("--out", required=True)
    t.add_argument("--first", type=int, default=0, help="index of the first session")
    t.add_argument("--app")
    t.add_argument("--build-name")
    t.add_argument("--format", choices=("json", "msgpack", "tr"), default="json")
    t.add_argument("--dxf", default="", help=".tr: dxfName")
    t.add_argument("--build-id", type=int, default=0, help=".tr: buildId")
    args = parser.parse_args(argv)
    if args.cmd == "build":
        truth = write_build(args.out, args.seed, parse_size(args.size), args.files)
        print("%s/build.tar: %d files, %d bytes, %d levels"
              % (args.out, len(truth["files"]), truth["totalBytes"], len(truth["levels"])))
        return 0
    with open(args.truth) as fp:
        truth = json.load(fp)
    paths = write_traces(truth, args.n, args.seed, args.out, args.format, args.app,
                         args.build_name, args.dxf, args.build_id, args.first)
    print("%d traces in %s" % (len(paths), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
