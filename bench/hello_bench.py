#!/usr/bin/env python3
"""hello_bench: submits N hello tasks through the HTTP API to a local stack
with K workers and prints end-to-end throughput (POST to the `end` event
consumed by the notifier) and p50/p99 latency.

Usage: bench/hello_bench.py [-n 10000] [-k 2] [-c 16] [--rate R] [--capacity N]
         [--client edge-load|python] [--bin build/bin]
Submissions go through build/bin/edge-load (C, epoll, keep-alive; --rate
is its open-loop -r), or with --client python through Python threads.
Unpaced, the run measures throughput and the latency includes queueing;
with --rate below the throughput it measures latency of an unsaturated stack.
--capacity sets EDGE_WORKER_CAPACITY for the workers (default: the harness's).
Latency per task = notifier consumption time - task creation time, both
taken on this machine (the notifier logs it as age_ms for each event).
Also prints Redis's cost per task: commands (INFO commandstats, script
commands included) and server CPU microseconds (INFO cpu), before/after,
the client's CPU (edge-load's own getrusage, or this process's CPU time for
the Python client) and each process's CPU seconds during the run
(/proc/<pid>/stat utime + stime, from before the first POST until the last
`end` event is consumed)."""
import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, HERE)
from benchlib import cpu_seconds, redis_cost  # noqa: E402


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


def python_submit(stack, args):
    """Submit with Python threads; returns (task names, errors, seconds
    until the last answer, client CPU seconds, {})."""
    names, errors, threads = [], [], []
    per = [args.n // args.c + (1 if i < args.n % args.c else 0) for i in range(args.c)]
    cpu0, t0 = time.process_time(), time.monotonic()
    for count in per:
        interval = args.c / args.rate if args.rate else 0.0
        t = threading.Thread(target=submitter,
                             args=(stack.http_port, stack.token, count, names, errors,
                                   interval))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    return names, errors, time.monotonic() - t0, time.process_time() - cpu0, {}


def edge_load(argv, timeout=None):
    """Run build/bin/edge-load; returns its figures {key: number}. Raises
    when it fails (exit code and stderr in the message)."""
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError("edge-load exited %d: %s" % (out.returncode, out.stderr.strip()))
    figures = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition(" ")
        figures[key] = float(value)
    return figures


def edge_load_submit(stack, args):
    """Submit with edge-load (keep-alive, C, -c connections, open loop at
    --rate); returns (task names, errors, seconds until the last answer,
    client CPU seconds, edge-load's figures)."""
    fd, names_path = tempfile.mkstemp(prefix="hello-bench-names-")
    os.close(fd)
    try:
        body = json.dumps({"message": "bench", "maintenance": False})
        argv = [os.path.join(os.environ["EDGE_BIN_DIR"], "edge-load"),
                "-c", str(args.c), "-n", str(args.n), "-m", "POST", "-B", body,
                "-H", "content-type: application/json",
                "-H", "x-rockit-admin-token: " + stack.token,
                "--expect", "202", "--names", names_path]
        if args.rate:
            argv += ["-r", "%g" % args.rate]
        figures = edge_load(argv + ["http://127.0.0.1:%d/adm/v1/hello" % stack.http_port])
        with open(names_path) as f:
            names = f.read().split()
    finally:
        os.unlink(names_path)
    errors = []     # one label per failed submission: status_NNN or failed_*
    for key, count in figures.items():
        if (key.startswith("status_") and key != "status_202") or key.startswith("failed_"):
            errors += [key] * int(count)
    return names, errors, figures["elapsed_s"], figures["client_cpu_s"], figures


def stack_cpu(stack):
    """{process name: CPU seconds so far} for the stack's processes and
    redis-server."""
    pids = {name: proc.popen.pid for name, proc in stack.procs.items()}
    pids["redis"] = stack.redis_proc.popen.pid
    return {name: cpu_seconds(pid, None) for name, pid in pids.items()}


def print_cpu(before, after, client_cpu, client, tasks):
    """Client and server CPU during the run, in seconds and per task."""
    print("  client CPU      %.2f s, %.1f us/task (%s)"
          % (client_cpu, client_cpu * 1e6 / tasks, client))
    used = {k: after[k] - before[k] for k in before
            if before[k] is not None and after.get(k) is not None}
    workers = sum(v for k, v in used.items() if k.startswith("worker"))
    parts = [(k, used[k]) for k in ("gateway", "broker") if k in used]
    parts += [("workers", workers), ] + [(k, used[k]) for k in ("notifier", "redis")
                                         if k in used]
    total = sum(v for _, v in parts)
    print("  server CPU      " + ", ".join("%s %.2f s" % kv for kv in parts)
          + " (total %.2f s, %.0f us/task)" % (total, total * 1e6 / tasks))


def print_cost(before, after, tasks):
    """Redis commands and CPU per task between two redis_cost readings
    (the INFO calls themselves are left out)."""
    (c0, u0, cpu0), (c1, u1, cpu1) = before, after
    delta = {k: v - c0.get(k, 0) for k, v in c1.items() if k != "info"}
    delta = {k: v for k, v in delta.items() if v > 0}
    total = sum(delta.values())
    print("  redis per task  %.1f commands (%.2f script calls: EVALSHA + EVAL, pipelined ones included),"
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
    ap.add_argument("--capacity", type=int, default=None,
                    help="EDGE_WORKER_CAPACITY of each worker (default: the harness's)")
    ap.add_argument("--client", choices=("edge-load", "python"), default="edge-load",
                    help="the submitting client (default edge-load)")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"))
    args = ap.parse_args()
    if args.n < 1 or args.k < 1 or args.c < 1 or args.rate < 0 or \
            (args.capacity is not None and args.capacity < 1):
        ap.error("-n, -k, -c and --capacity must be positive, --rate not negative")
    os.environ["EDGE_BIN_DIR"] = os.path.abspath(args.bin)
    from harness import Stack, poll
    env = {"EDGE_LEASE_MS": "30000", "EDGE_REAPER_RESEND_MS": "10000"}
    if args.capacity is not None:
        env["EDGE_WORKER_CAPACITY"] = str(args.capacity)
    stack = Stack(workers=args.k, env=env)
    try:
        poll(lambda: len(stack.http("GET", "/srv/v1/versions")[2]["workers"]) == args.k,
             20, what="workers registered")
        cost_before = redis_cost(stack.redis)
        cpu_before = stack_cpu(stack)
        submit = edge_load_submit if args.client == "edge-load" else python_submit
        t0 = time.monotonic()
        names, errors, submit_s, client_cpu, figures = submit(stack, args)
        r = stack.redis
        poll(lambda: int(r.hgetall("e:notifier:counts").get("hello.end", 0)) >= len(names),
             600, interval=0.05, what="all end events consumed")
        t_done = time.monotonic()
        cpu_after = stack_cpu(stack)
        cost_after = redis_cost(r)
        ages = [int(m) for m in re.findall(r"event hello/end .* age_ms=(\d+)",
                                           stack.procs["notifier"].output())]
        print("hello_bench: N=%d tasks, K=%d workers, C=%d HTTP %s, rate %s, capacity %s"
              % (args.n, args.k, args.c,
                 "connections (edge-load)" if args.client == "edge-load"
                 else "clients (Python)",
                 "%g/s" % args.rate if args.rate else "unpaced",
                 args.capacity if args.capacity is not None else "default"))
        print("  accepted        %d (errors %d)" % (len(names), len(errors)))
        print("  submit rate     %.0f tasks/s (HTTP 202 answers)" % (len(names) / submit_s))
        if figures:
            print("  submit latency  p50 %.2f ms, p99 %.2f ms, max %.2f ms (HTTP answer, from"
                  " the %s)" % (figures["p50_ms"], figures["p99_ms"], figures["max_ms"],
                               "scheduled send" if args.rate else "send"))
        print("  end-to-end      %.0f tasks/s (first POST to last `end` consumed, %.2f s)"
              % (len(names) / (t_done - t0), t_done - t0))
        print("  latency p50     %d ms (task created -> `end` consumed by the notifier)"
              % percentile(ages, 50))
        print("  latency p99     %d ms" % percentile(ages, 99))
        print("  latency max     %d ms over %d samples" % (max(ages) if ages else -1, len(ages)))
        print_cost(cost_before, cost_after, max(1, len(names)))
        print_cpu(cpu_before, cpu_after, client_cpu, args.client, max(1, len(names)))
    finally:
        stack.close()


if __name__ == "__main__":
    main()
