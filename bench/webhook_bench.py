#!/usr/bin/env python3
"""webhook_bench: webhook deliveries per second to one local receiver, and
the latency from an `end` event being written to the receiver having it.

Usage: bench/webhook_bench.py [-n 2000] [--subs 1 10] [--bin build/bin]
For each subscription count S: N hello tasks of one org, S subscriptions to
their `end` events, all pointing at one receiver on loopback. Deliveries/s
= N*S / (first `end` event written .. last delivery received). Latency per
delivery = arrival at the receiver - the event's timestamp (same clock)."""
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


def run(n, subs, args):
    from harness import Stack, poll, token_headers
    from receiver import Receiver
    rx = Receiver()
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
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: stack.hello("b%d" % i, orgName="bench"), range(n)))
        poll(lambda: len(rx.received()) >= n * subs, 600, interval=0.1,
             what="all deliveries")
        got = rx.received()
        written = [event_time(json.loads(r["body"])["timestamp"]) for r in got]
        lat = [(r["at"] - w) * 1000 for r, w in zip(got, written)]
        span = max(r["at"] for r in got) - min(written)
        print("  %2d subscription(s): %6d deliveries in %.2f s = %6.0f deliveries/s; "
              "latency p50 %.0f ms p99 %.0f ms"
              % (subs, len(got), span, len(got) / span, percentile(lat, 50),
                 percentile(lat, 99)))
    finally:
        stack.close()
        rx.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=2000, help="hello tasks")
    ap.add_argument("--subs", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"))
    args = ap.parse_args()
    os.environ["EDGE_BIN_DIR"] = os.path.abspath(args.bin)
    print("webhook_bench: N=%d tasks, one receiver (Python, threaded) on loopback" % args.n)
    for subs in args.subs:
        run(args.n, subs, args)


if __name__ == "__main__":
    main()
