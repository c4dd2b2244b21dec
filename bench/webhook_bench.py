#!/usr/bin/env python3
"""webhook_bench: webhook deliveries per second to one local receiver, and
the latency from an `end` event being written to the receiver having it.

Usage: bench/webhook_bench.py [-n 2000] [--subs 1 10] [--bin build/bin]
                               [--receiver sink|python]
The receiver is webhook-sink (C, civetweb; built with the project) by
default, or tests/e2e/receiver.py (Python) with --receiver python.
For each subscription count S: N hello tasks of one org, S subscriptions to
their `end` events, all pointing at one receiver on loopback. Deliveries/s
= N*S / (first `end` event written .. last delivery received). Latency per
delivery = arrival at the receiver - the event's timestamp (same clock).
In one burst the latency includes queueing; with --rate below the
throughput it is the latency of an unsaturated pipeline."""
import argparse
import calendar
import concurrent.futures
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))


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
    return {"count": len(got), "p50Ms": percentile(lat, 50), "p99Ms": percentile(lat, 99),
            "firstMs": min(written) * 1000, "lastMs": max(r["at"] for r in got) * 1000}


def run(n, subs, args):
    from harness import Stack, poll, token_headers
    from receiver import Receiver
    rx = Receiver() if args.receiver == "python" else Sink(os.path.join(args.bin, "webhook-sink"))
    stack = Stack(workers=2, env={"EDGE_URL_ALLOW": "127.0.0.0/8", "EDGE_LOG_LEVEL": "warn"})
    try:
        doc = stack.create_org("bench")
        _, token = stack.auth_token("bench", doc["adminUsername"], doc["password"])
        for i in range(subs):
            status, _, body = stack.http("POST", "/be/v1/subscriptions",
                                         {"name": "sub%d" % i, "url": rx.url("/h%d" % i),
                                          "types": ["hello"], "events": ["end"]},
                                         headers=token_headers(token))
            assert status == 201, body
        start = time.monotonic()

        def submit(i):
            if args.rate:      # open loop: task i goes out at start + i/rate
                delay = start + i / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)       # pacing the load, not synchronisation
            stack.hello("b%d" % i, orgName="bench")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(submit, range(n)))
        poll(lambda: rx.count() >= n * subs, 600, interval=0.1,
             what="all deliveries")
        st = rx.stats() if args.receiver == "sink" else python_stats(rx)
        # from the first delivery's arrival to the last one's
        span = (st["lastMs"] - st["firstMs"]) / 1000.0
        print("  %2d subscription(s): %6d deliveries in %.2f s = %6.0f deliveries/s; "
              "latency p50 %.0f ms p99 %.0f ms"
              % (subs, st["count"], span, st["count"] / span, st["p50Ms"], st["p99Ms"]))
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
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"))
    args = ap.parse_args()
    os.environ["EDGE_BIN_DIR"] = os.path.abspath(args.bin)
    print("webhook_bench: N=%d tasks (%s), one receiver (%s) on loopback"
          % (args.n, "%g tasks/s" % args.rate if args.rate else "one burst",
             "webhook-sink, C" if args.receiver == "sink" else "Python"))
    for subs in args.subs:
        run(args.n, subs, args)


if __name__ == "__main__":
    main()
