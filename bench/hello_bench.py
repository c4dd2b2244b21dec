#!/usr/bin/env python3
"""hello_bench: submits N hello tasks through the HTTP API to a local stack
with K workers and prints end-to-end throughput (POST to the `end` event
consumed by the notifier) and p50/p99 latency.

Usage: bench/hello_bench.py [-n 10000] [-k 2] [-c 16] [--rate R] [--bin build/bin]
Unpaced, the run measures throughput and the latency includes queueing;
with --rate below the throughput it measures latency of an unsaturated stack.
Latency per task = notifier consumption time - task creation time, both
taken on this machine (the notifier logs it as age_ms for each event).
Also prints Redis's cost per task: commands (INFO commandstats, script
commands included) and server CPU microseconds (INFO cpu), before/after."""
import argparse
import http.client
import json
import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


def submitter(port, token, count, names, errors, interval=0.0):
    """Submit count tasks; with interval > 0, one every interval seconds
    (open loop: the schedule does not wait for slow answers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.monotonic()
    body = json.dumps({"message": "bench", "maintenance": False})
    headers = {"content-type": "application/json", "x-rockit-admin-token": token}
    for i in range(count):
        if interval:
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)     # pacing the load, not synchronisation
        conn.request("POST", "/adm/v1/hello", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 202:
            errors.append(resp.status)
            continue
        names.append(json.loads(data)["taskName"])


def redis_cost(r):
    """Redis's own accounting: calls per command (INFO commandstats; the
    commands a script runs count too) and the server's CPU seconds (INFO
    cpu, user + sys)."""
    calls, usec = {}, {}
    for line in r("INFO", "commandstats").splitlines():
        m = re.match(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+)", line)
        if m:
            calls[m.group(1)] = int(m.group(2))
            usec[m.group(1)] = int(m.group(3))
    cpu = 0.0
    for line in r("INFO", "cpu").splitlines():
        m = re.match(r"used_cpu_(user|sys):([0-9.]+)", line)
        if m:
            cpu += float(m.group(2))
    return calls, usec, cpu


def print_cost(before, after, tasks):
    """Redis commands and CPU per task between two redis_cost readings
    (the INFO calls themselves are left out)."""
    (c0, u0, cpu0), (c1, u1, cpu1) = before, after
    delta = {k: v - c0.get(k, 0) for k, v in c1.items() if k != "info"}
    delta = {k: v for k, v in delta.items() if v > 0}
    total = sum(delta.values())
    print("  redis per task  %.1f commands (%.2f EVALSHA/EVAL round trips with a script),"
          " %.0f us CPU" % (total / tasks,
                            (delta.get("evalsha", 0) + delta.get("eval", 0)) / tasks,
                            (cpu1 - cpu0) * 1e6 / tasks))
    top = sorted(delta.items(), key=lambda kv: -kv[1])[:10]
    print("  redis commands  " + ", ".join("%s %.2f" % (k, v / tasks) for k, v in top))
    # usec of a script command includes the commands it ran (counted again
    # under their own names): top-level time is evalsha + the plain ones
    spent = {k: v - u0.get(k, 0) for k, v in u1.items() if k != "info"}
    top = sorted(((k, v) for k, v in spent.items() if v > 0), key=lambda kv: -kv[1])[:8]
    print("  redis us/task   " + ", ".join("%s %.1f" % (k, v / tasks) for k, v in top)
          + " (command time; a script's includes the commands it runs)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10000, help="tasks")
    ap.add_argument("-k", type=int, default=2, help="workers")
    ap.add_argument("-c", type=int, default=16, help="concurrent HTTP clients")
    ap.add_argument("--rate", type=float, default=0,
                    help="submit at this many tasks/s in total (0: as fast as possible)")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"))
    args = ap.parse_args()
    os.environ["EDGE_BIN_DIR"] = os.path.abspath(args.bin)
    from harness import Stack, poll
    stack = Stack(workers=args.k, env={"EDGE_LEASE_MS": "30000",
                                       "EDGE_REAPER_RESEND_MS": "10000"})
    try:
        poll(lambda: len(stack.http("GET", "/srv/v1/versions")[2]["workers"]) == args.k,
             20, what="workers registered")
        names, errors, threads = [], [], []
        cost_before = redis_cost(stack.redis)
        per = [args.n // args.c + (1 if i < args.n % args.c else 0) for i in range(args.c)]
        t0 = time.monotonic()
        for count in per:
            interval = args.c / args.rate if args.rate else 0.0
            t = threading.Thread(target=submitter,
                                 args=(stack.http_port, stack.token, count, names, errors,
                                       interval))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        t_submitted = time.monotonic()
        r = stack.redis
        poll(lambda: int(r.hgetall("e:notifier:counts").get("hello.end", 0)) >= len(names),
             600, interval=0.05, what="all end events consumed")
        t_done = time.monotonic()
        cost_after = redis_cost(r)
        ages = [int(m) for m in re.findall(r"event hello/end .* age_ms=(\d+)",
                                           stack.procs["notifier"].output())]
        print("hello_bench: N=%d tasks, K=%d workers, C=%d HTTP clients, rate %s"
              % (args.n, args.k, args.c, "%g/s" % args.rate if args.rate else "unpaced"))
        print("  accepted        %d (errors %d)" % (len(names), len(errors)))
        print("  submit rate     %.0f tasks/s (HTTP 202 answers)" % (len(names) / (t_submitted - t0)))
        print("  end-to-end      %.0f tasks/s (first POST to last `end` consumed, %.2f s)"
              % (len(names) / (t_done - t0), t_done - t0))
        print("  latency p50     %d ms (task created -> `end` consumed by the notifier)"
              % percentile(ages, 50))
        print("  latency p99     %d ms" % percentile(ages, 99))
        print("  latency max     %d ms over %d samples" % (max(ages) if ages else -1, len(ages)))
        print_cost(cost_before, cost_after, max(1, len(names)))
    finally:
        stack.close()


if __name__ == "__main__":
    main()
