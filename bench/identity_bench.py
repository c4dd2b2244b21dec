#!/usr/bin/env python3
"""identity_bench: authenticated reads against a local stack, next to raw
Redis, plus the latency of a login (argon2id, deliberately slow).

Usage: bench/identity_bench.py [--duration 10] [--threads 2] [--connections 64]
                               [--logins 20] [--bin build/bin]
Runs wrk (GET /be/v1/users/{username}, once with an auth token and once with
an API key) and `redis-benchmark -t get -n 200000 -q` on the stack's own Redis,
and prints requests per second and their ratio. The gateway gets as many
request threads as wrk has connections (EDGE_GATEWAY_THREADS). The same
GET next to nginx: bench/api_bench.py."""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402


def wrk(url, headers, args):
    r = benchlib.wrk(url, headers, args.threads, args.connections, args.duration)
    return r["rps"], r["p50"], r["p99"], r["bad"]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--logins", type=int, default=20)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"))
    args = ap.parse_args()
    os.environ["EDGE_BIN_DIR"] = os.path.abspath(args.bin)
    from harness import Stack, key_headers, token_headers
    # civetweb serves one keep-alive connection per thread: as many threads
    # as wrk's connections, or most of them would wait unserved
    stack = Stack(workers=1, env={"EDGE_AUTH_TOKEN_TTL_S": "3600",
                                  "EDGE_LOG_LEVEL": "warn",
                                  "EDGE_GATEWAY_THREADS": str(args.connections)})
    try:
        admin, password, token, bot = benchlib.bench_org(stack)
        url = "http://127.0.0.1:%d/be/v1/users/%s" % (stack.http_port, admin)
        print("identity_bench: wrk -t%d -c%d -d%ds GET /be/v1/users/{username}"
              % (args.threads, args.connections, args.duration))
        t_rps, t50, t99, t_bad = wrk(url, token_headers(token), args)
        print("  auth token      %8.0f req/s  p50 %s  p99 %s  non-2xx %d" % (t_rps, t50, t99, t_bad))
        k_rps, k50, k99, k_bad = wrk(url, key_headers("bench", "bench_bot", bot["apiKey"]), args)
        print("  API key         %8.0f req/s  p50 %s  p99 %s  non-2xx %d" % (k_rps, k50, k99, k_bad))
        out = subprocess.run(["redis-benchmark", "-p", str(stack.redis_port), "-t", "get",
                              "-n", "200000", "-q"], capture_output=True, text=True,
                             check=True).stdout
        r_rps = float(re.search(r"GET: ([\d.]+) requests per second", out).group(1))
        print("  redis GET       %8.0f req/s  (redis-benchmark -t get -n 200000 -q)" % r_rps)
        print("  ratio           token %.2f, API key %.2f of raw Redis GET"
              % (t_rps / r_rps, k_rps / r_rps))
        times = []
        for _ in range(args.logins):
            t0 = time.monotonic()
            status, _, _ = stack.login("bench", admin, password)
            times.append((time.monotonic() - t0) * 1000)
            assert status == 200, status
        print("  login (argon2id) p50 %.0f ms  p99 %.0f ms over %d logins"
              % (percentile(times, 50), percentile(times, 99), len(times)))
    finally:
        stack.close()


if __name__ == "__main__":
    main()
