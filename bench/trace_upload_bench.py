#!/usr/bin/env python3
"""trace_upload_bench (issue 12, goal 4): trace uploads per second to
POST /client/v1/traces from 64 concurrent launchers, and the gateway's peak
RSS while it takes them.

Setup: a local stack (one worker), a generated game build (bench/gamegen.py,
--size, --files) served over local HTTP and imported as build b1 of app
"game" (POST /be/v1/builds: dltar, mkraw, deploy to an fs deployment), and
a machine user whose role holds trainings U: its API key is the launcher's
credential (x-rockit-orgname, x-rockit-username, x-rockit-api-key), as in
tests/e2e/test_traces.py.

The trace: play sessions of that build (gamegen.make_session) laid end to
end, one second apart so times never decrease, cut at --accesses (10,000)
accesses, as msgpack (Content-Type: application/msgpack, about 490 KB).
One upload is checked (201) before the run.

Run: build/bin/edge-load -c 64 -d SECONDS posts that body in a closed loop
(each launcher uploads again as soon as it has its answer; --rate paces
them instead). While it runs, the gateway's VmRSS is sampled every 100 ms;
after it, its VmHWM (the peak since it started, setup included: the RSS
before the run is printed too). Also printed: each status, the client's
CPU next to the gateway's and Redis's during the run. With more launchers
than gateway threads (civetweb holds a thread per keep-alive connection;
EDGE_GATEWAY_THREADS, 16 by default) the other connections wait for a
thread, and their latency shows it (--threads sets EDGE_GATEWAY_THREADS).

Realism: the gateway neither de-duplicates traces nor limits uploads per
client, user or build: every upload gets a new traceId, a .tr file in the
depot and a record in Redis, so sending the same body again costs what
another session of the same length would (decode, validation against the
cached manifest, encode, write, index); real launchers' bodies differ only
in content. Automatic processing is off (autoProcessEvery 0, the default),
so no mkraw task runs during the run. The body limit
(EDGE_TRACE_MAX_BYTES) and the large-body gate (EDGE_TRACE_PARALLEL decodes
of bodies over 1 MiB at once) are the gateway's defaults: a 10,000-access
trace is under 1 MiB and does not go through the gate (--accesses 25000
does). Every upload stores a .tr file (about 150 KB) in the stack's
temporary depot: a long run writes gigabytes; the stack removes them.

Usage: bench/trace_upload_bench.py [-d 10] [-c 64] [--rate R]
         [--accesses 10000] [--size 16MiB] [--files 300] [--threads N]
         [--bin build/bin]
"""
import argparse
import os
import shutil
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import gamegen  # noqa: E402
from hello_bench import edge_load, proc_cpu  # noqa: E402

ORG, APP, BUILD = "bench", "game", "b1"


def status_kib(pid, field):
    """A /proc/<pid>/status field in KiB (VmRSS, VmHWM), None if unreadable."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every interval seconds until stopped."""

    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples = []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            kib = status_kib(self.pid, "VmRSS")
            if kib is not None:
                self.samples.append(kib)
            self.done.wait(self.interval)     # the sampling period, not a sync

    def stop(self):
        self.done.set()
        self.join(5)
        return max(self.samples) if self.samples else None


def trace_accesses(truth, count):
    """count accesses: sessions laid end to end, 1 s apart."""
    accesses, i = [], 0
    while len(accesses) < count:
        session = gamegen.make_session(truth, "upload-%d" % i)
        i += 1
        shift = accesses[-1][0] + 1000 - session[0][0] if accesses else 0
        accesses += [[t + shift, path, off, length] for t, path, off, length in session]
    return accesses[:count]


def setup(stack, files, game_dir, args):
    """Import the build, make the launcher; returns (its API-key headers,
    the org administrator's auth-token headers)."""
    from harness import key_headers, token_headers

    def call(method, path, body, headers, status=201):
        st, _, doc = stack.http(method, path, body, headers=headers)
        if st != status:
            raise RuntimeError("%s %s: %d %s" % (method, path, st, doc))
        return doc

    doc = stack.create_org(ORG)
    _, token = stack.auth_token(ORG, doc["adminUsername"], doc["password"])
    auth = token_headers(token)
    origin = os.path.join(game_dir, "origin")
    os.makedirs(origin)
    call("POST", "/be/v1/deployments", {"name": "origin", "kind": "fs", "fs": {"path": origin}},
         auth)
    call("POST", "/be/v1/apps", {"name": APP, "label": "Game", "deployments": ["origin"]}, auth)
    url = files.add("/game.tar", filename=os.path.join(game_dir, "build.tar"))
    doc = call("POST", "/be/v1/builds", {"appName": APP, "buildName": BUILD, "url": url},
               auth, 202)
    tasks = stack.wait_group(doc["group"], auth, 300)
    states = {t: tasks[t]["state"] for t in tasks}
    if set(states.values()) != {"succeeded"}:
        raise RuntimeError("build import failed: %s" % states)
    call("POST", "/be/v1/roles", {"name": "launcher_role", "permissions": {"trainings": 4}},
         auth)
    doc = call("POST", "/be/v1/users", {"username": "launcher_bot", "label": "launcher",
                                        "roles": ["launcher_role"], "machine": True}, auth)
    return key_headers(ORG, "launcher_bot", doc["apiKey"]), auth


def run_load(stack, headers, body_path, args):
    """edge-load against the upload endpoint while sampling the gateway's
    RSS; returns (figures, max sampled RSS KiB, CPU seconds used by
    gateway and redis)."""
    gateway = stack.pid("gateway")
    redis = stack.redis_proc.popen.pid
    argv = [os.path.join(os.environ["EDGE_BIN_DIR"], "edge-load"), "-c", str(args.c),
            "-d", "%g" % args.duration, "-m", "POST", "-b", body_path,
            "-H", "content-type: application/msgpack", "--expect", "201"]
    for name, value in headers.items():
        argv += ["-H", "%s: %s" % (name, value)]
    if args.rate:
        argv += ["-r", "%g" % args.rate]
    argv.append("http://127.0.0.1:%d/client/v1/traces" % stack.http_port)
    cpu0 = (proc_cpu(gateway), proc_cpu(redis))
    sampler = RssSampler(gateway)
    sampler.start()
    try:
        figures = edge_load(argv, timeout=args.duration + 120)
    finally:
        rss_max = sampler.stop()
    cpu = (proc_cpu(gateway) - cpu0[0], proc_cpu(redis) - cpu0[1])
    return figures, rss_max, cpu


def report(args, body_len, figures, rss, cpu, stored):
    """Print the figures."""
    rss_before, hwm_before, rss_max, hwm = rss
    statuses = ", ".join("%s %d" % (k[7:], v) for k, v in sorted(figures.items())
                         if k.startswith("status_"))
    failed = ", ".join("%s %d" % (k[7:], v) for k, v in sorted(figures.items())
                       if k.startswith("failed_") and v)
    ok, elapsed = figures["ok"], figures["elapsed_s"]
    print("trace_upload_bench: %d accesses a trace (msgpack, %d bytes), C=%d connections"
          " (edge-load), %s s, rate %s"
          % (args.accesses, body_len, args.c, "%g" % args.duration,
             "%g/s" % args.rate if args.rate else "closed loop"))
    print("  uploads         %d ok of %d (statuses: %s%s), %d traces stored"
          % (ok, figures["requests"], statuses or "none",
             "; failed: " + failed if failed else "", stored))
    print("  upload rate     %.1f uploads/s (201 answers), %.1f MB/s of trace bodies"
          % (figures["ok_rate"], ok * body_len / elapsed / 1e6 if elapsed else 0))
    print("  latency         p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (figures["p50_ms"], figures["p90_ms"], figures["p99_ms"], figures["max_ms"]))
    mib = tuple("%.1f" % (v / 1024.0) if v is not None else "?"
                for v in (hwm, rss_max, rss_before, hwm_before))
    print("  gateway RSS     peak %s MiB (VmHWM after the run), max sampled %s MiB"
          " (VmRSS every 100 ms); before: %s MiB (VmHWM %s MiB)" % mib)
    per = 1e6 / ok if ok else 0
    print("  CPU             client %.2f s (%.0f us/upload), gateway %.2f s (%.0f us/upload),"
          " redis %.2f s" % (figures["client_cpu_s"], figures["client_cpu_s"] * per,
                             cpu[0], cpu[0] * per, cpu[1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-d", "--duration", type=float, default=10, help="seconds of uploads")
    ap.add_argument("-c", type=int, default=64, help="concurrent launchers (connections)")
    ap.add_argument("--rate", type=float, default=0,
                    help="uploads/s in total, open loop (0: closed loop)")
    ap.add_argument("--accesses", type=int, default=10000, help="accesses in a trace")
    ap.add_argument("--size", default="16MiB", help="size of the generated build")
    ap.add_argument("--files", type=int, default=300, help="files in the generated build")
    ap.add_argument("--threads", type=int, default=None,
                    help="EDGE_GATEWAY_THREADS (default: the gateway's)")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"))
    args = ap.parse_args()
    if args.duration <= 0 or args.c < 1 or args.accesses < 1 or args.rate < 0 \
            or args.files < 1 or (args.threads is not None and args.threads < 1):
        ap.error("-d, -c, --accesses, --files and --threads must be positive")
    os.environ["EDGE_BIN_DIR"] = os.path.abspath(args.bin)
    from harness import FileServer, Stack
    tmp = tempfile.mkdtemp(prefix="trace-upload-bench-")
    files, stack = FileServer(), None
    try:
        game_dir = os.path.join(tmp, "game")
        truth = gamegen.write_build(game_dir, "trace-upload", gamegen.parse_size(args.size),
                                    args.files)
        env = {"EDGE_URL_ALLOW": "127.0.0.0/8", "EDGE_AUTH_TOKEN_TTL_S": "3600"}
        if args.threads:
            env["EDGE_GATEWAY_THREADS"] = str(args.threads)
        stack = Stack(workers=1, env=env)
        headers, auth = setup(stack, files, game_dir, args)
        body = gamegen.msgpack_dumps({"appName": APP, "buildName": BUILD,
                                      "accesses": trace_accesses(truth, args.accesses)})
        body_path = os.path.join(tmp, "trace.msgpack")
        with open(body_path, "wb") as f:
            f.write(body)
        st, _, doc = stack.http("POST", "/client/v1/traces", raw=body,
                                headers=dict(headers, **{"content-type": "application/msgpack"}))
        if st != 201:
            raise RuntimeError("a trace upload was refused: %d %s" % (st, doc))
        rss_before = status_kib(stack.pid("gateway"), "VmRSS")
        hwm_before = status_kib(stack.pid("gateway"), "VmHWM")
        figures, rss_max, cpu = run_load(stack, headers, body_path, args)
        hwm = status_kib(stack.pid("gateway"), "VmHWM")
        st, _, doc = stack.http("GET", "/be/v1/trainings/" + APP, headers=auth)
        stored = doc["traces"] if st == 200 else -1
        report(args, len(body), figures, (rss_before, hwm_before, rss_max, hwm), cpu, stored)
    finally:
        if stack:
            stack.close()
        files.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
