#!/usr/bin/env python3
"""webhook_bench: webhook deliveries per second to one local receiver, and
the latency from an `end` event being written to the receiver having it.

Usage: bench/webhook_bench.py [-n 2000] [--subs 1 10] [--rate R]
                               [--mode burst|backlog] [--bin build/bin]
                               [--receiver sink|python] [--notifier-log info]
The receiver is webhook-sink (C, civetweb; built with the project) by
default, or tests/e2e/receiver.py (Python) with --receiver python.
For each subscription count S: N hello tasks of one org, S subscriptions to
their `end` events, all pointing at one receiver on loopback.
burst (default): the tasks run while the notifier delivers; deliveries/s =
N*S / (first `end` event written .. last delivery received), so the task
pipeline may be the limit. backlog: every task ends first, then the
notifier starts; deliveries/s = N*S / (notifier start .. last delivery
received): the notifier alone (ingest and deliveries).
Latency per delivery = arrival at the receiver - the event's timestamp
(same clock). In one burst the latency includes queueing; with --rate below
the throughput it is the latency of an unsaturated pipeline.
Also printed: CPU seconds of the notifier and the receiver (/proc/<pid>/stat)
and Redis's cost per delivery (INFO commandstats and INFO cpu before/after;
in burst mode it includes the task pipeline's). The notifier logs at info
(one line per delivery) as in production."""
import argparse
import calendar
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, HERE)
from benchlib import cpu_seconds, redis_cost  # noqa: E402


def event_time(text):
    """RFC 3339 with milliseconds ("...T09:12:08.123Z") to unix seconds."""
    base, frac = text.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + int(frac) / 1000.0


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]


class Sink:
    """webhook-sink in its own process; same url() as the Python Receiver."""

    def __init__(self, binary):
        from harness import free_port, poll
        import subprocess
        import urllib.request
        self.port = free_port()
        self.proc = subprocess.Popen([binary, str(self.port)], stdout=subprocess.DEVNULL)
        self._get = lambda: json.loads(urllib.request.urlopen(
            "http://127.0.0.1:%d/stats" % self.port, timeout=5).read())

        def up():
            try:
                return self._get() is not None
            except OSError:
                return False
        poll(up, 10, what="webhook-sink")

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def count(self):
        return self._get()["count"]

    def stats(self):
        return self._get()

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)


def python_stats(rx):
    got = rx.received()
    written = [event_time(json.loads(r["body"])["timestamp"]) for r in got]
    lat = [(r["at"] - w) * 1000 for r, w in zip(got, written)]
    return {"count": len(got), "p50Ms": percentile(lat, 50), "p90Ms": percentile(lat, 90),
            "p99Ms": percentile(lat, 99), "maxMs": max(lat),
            "firstMs": min(written) * 1000, "lastMs": max(r["at"] for r in got) * 1000}


def cost_line(before, after, count):
    """Redis commands (all, and script calls), CPU us per delivery, and the
    command time of the script calls (which includes the commands they run)
    and of the plain commands."""
    (c0, u0, cpu0), (c1, u1, cpu1) = before, after
    delta = {k: v - c0.get(k, 0) for k, v in c1.items() if k != "info"}
    total = sum(v for v in delta.values() if v > 0)
    scripts = delta.get("evalsha", 0) + delta.get("eval", 0)
    top = sorted(((k, v) for k, v in delta.items() if v > 0), key=lambda kv: -kv[1])[:6]
    spent = {k: v - u0.get(k, 0) for k, v in u1.items() if k != "info"}
    script_us = spent.get("evalsha", 0) + spent.get("eval", 0)
    plain = [(k, v) for k, v in spent.items()
             if v > 0 and k not in ("evalsha", "eval") and c1.get(k, 0) > c0.get(k, 0)]
    return ("redis per delivery %.1f commands (%.2f script calls), %.0f us CPU, "
            "%.0f us in scripts; top calls %s; plain commands' us: %s"
            % (total / count, scripts / count, (cpu1 - cpu0) * 1e6 / count,
               script_us / count,
               ", ".join("%s %.2f" % (k, v / count) for k, v in top),
               ", ".join("%s %.1f" % (k, v / count)
                         for k, v in sorted(plain, key=lambda kv: -kv[1])[:3])))


def run(n, subs, args):
    """One run: N tasks, subs subscriptions. burst: tasks submitted with the
    notifier running (the task pipeline feeds it); backlog: every task ends
    first with the notifier stopped, then the notifier starts on the
    backlog (the notifier alone: ingest and deliveries)."""
    from harness import Stack, poll, token_headers
    from receiver import Receiver
    rx = Receiver() if args.receiver == "python" else Sink(os.path.join(args.bin, "webhook-sink"))
    # the documented throughput configuration of the workers (README)
    env = {"EDGE_URL_ALLOW": "127.0.0.0/8", "EDGE_LOG_LEVEL": "warn",
           "EDGE_WORKER_CAPACITY": "32"}
    backlog = args.mode == "backlog"
    stack = Stack(workers=2, env=env, notifier=not backlog)
    # the notifier logs one line per delivery (info), as in production
    notifier_env = {"EDGE_LOG_LEVEL": args.notifier_log}
    if not backlog:
        stack.procs["notifier"].stop()
        stack.start("notifier", env=notifier_env)
    try:
        doc = stack.create_org("bench")
        _, token = stack.auth_token("bench", doc["adminUsername"], doc["password"])
        for i in range(subs):
            status, _, body = stack.http("POST", "/be/v1/subscriptions",
                                         {"name": "sub%d" % i, "url": rx.url("/h%d" % i),
                                          "types": ["hello"], "events": ["end"]},
                                         headers=token_headers(token))
            assert status == 201, body
        cost0 = redis_cost(stack.redis)
        if not backlog:
            cpu0 = cpu_seconds(stack.pid("notifier"))
            rx_cpu0 = cpu_seconds(rx.proc.pid) if args.receiver == "sink" else 0
        # edge-load submits (C, keep-alive; open loop at --rate), so the
        # task pipeline is fed faster than the notifier must deliver
        argv = [os.path.join(args.bin, "edge-load"), "-c", "32", "-n", str(n),
                "-m", "POST", "--expect", "202",
                "-H", "content-type: application/json",
                "-H", "x-rockit-admin-token: " + stack.token,
                "-B", json.dumps({"message": "b", "maintenance": False,
                                  "orgName": "bench"})]
        if args.rate:
            argv += ["-r", str(args.rate)]
        out = subprocess.run(argv + ["http://127.0.0.1:%d/adm/v1/hello" % stack.http_port],
                             capture_output=True, text=True, check=True).stdout
        ok = int(re.search(r"^ok (\d+)", out, re.M).group(1))
        assert ok == n, out
        if backlog:
            r = stack.redis
            # submit, begin, end per hello task: end is the last
            poll(lambda: r("XLEN", "e:events") >= 3 * n, 600, interval=0.1,
                 what="every task's events written")
            cost0 = redis_cost(r)
            rx_cpu0 = cpu_seconds(rx.proc.pid) if args.receiver == "sink" else 0
            started_ms = time.time() * 1000
            stack.start("notifier", env=notifier_env)
            cpu0 = 0.0
        poll(lambda: rx.count() >= n * subs, 600, interval=0.05,
             what="all deliveries")
        cost1 = redis_cost(stack.redis)
        cpu1 = cpu_seconds(stack.pid("notifier"))
        rx_cpu1 = cpu_seconds(rx.proc.pid) if args.receiver == "sink" else 0
        st = rx.stats() if args.receiver == "sink" else python_stats(rx)
        if backlog:     # from the notifier's start to the last arrival
            first = started_ms
        else:           # from the first `end` event to the last arrival
            first = min(st.get("firstEventMs") or st["firstMs"], st["firstMs"])
        span = (st["lastMs"] - first) / 1000.0
        count = st["count"]
        print("  %2d subscription(s): %6d deliveries in %.2f s = %6.0f deliveries/s; "
              "latency p50 %.0f ms p90 %.0f ms p99 %.0f ms max %.0f ms%s"
              % (subs, count, span, count / span, st["p50Ms"], st.get("p90Ms", -1),
                 st["p99Ms"], st.get("maxMs", -1),
                 " (includes the backlog's wait)" if backlog else ""))
        print("      CPU: notifier %.2f s (%.0f us/delivery), receiver %.2f s; %s"
              % (cpu1 - cpu0, (cpu1 - cpu0) * 1e6 / count, rx_cpu1 - rx_cpu0,
                 cost_line(cost0, cost1, count)
                 + ("" if backlog else " (includes the task pipeline)")))
    finally:
        stack.close()
        rx.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=2000, help="hello tasks")
    ap.add_argument("--subs", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--rate", type=float, default=0,
                    help="tasks per second (0: one burst, which measures throughput)")
    ap.add_argument("--receiver", choices=["sink", "python"], default="sink")
    ap.add_argument("--mode", choices=["burst", "backlog"], default="burst",
                    help="burst: tasks run while the notifier delivers (end to end); "
                    "backlog: the notifier starts once every task has ended "
                    "(the notifier alone)")
    ap.add_argument("--notifier-log", default="info",
                    help="the notifier's EDGE_LOG_LEVEL (info: one line per delivery)")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"))
    args = ap.parse_args()
    os.environ["EDGE_BIN_DIR"] = os.path.abspath(args.bin)
    print("webhook_bench: N=%d tasks (%s, %s mode), one receiver (%s) on loopback"
          % (args.n, "%g tasks/s" % args.rate if args.rate else "one burst", args.mode,
             "webhook-sink, C" if args.receiver == "sink" else "Python"))
    for subs in args.subs:
        run(args.n, subs, args)


if __name__ == "__main__":
    main()
