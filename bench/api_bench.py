#!/usr/bin/env python3
"""api_bench: the authenticated API against nginx serving the same bytes
(issue 12, goal 3), all in one run.

Usage: bench/api_bench.py [--duration 8] [--rounds 3] [--threads 2] [--connections 64]
                          [--low-connections 8] [--access-log]
                          [--auth-cache-ms 1000] [--bin build/bin]
                          [--edge-load PATH]

Starts a stack (harness.Stack: redis-server, broker, gateway, worker) and
an nginx of its own (Debian's nginx-light: scripts/bench-setup.sh installs
it) on a free loopback port, with a temporary configuration: 2 worker
processes, keep-alive on (keepalive_requests as high as wrk needs),
sendfile on, access_log off (--access-log: nginx writes an access log to a
file and the gateway runs at EDGE_LOG_LEVEL=info, its one line per request;
default: both off, the gateway at warn). nginx serves a static file holding
exactly the body bytes of the gateway's GET /be/v1/users/{username}.

Then wrk (same threads, connections and duration for every target) against
nginx, the gateway's /healthz, and GET /be/v1/users/{username} with an auth
token and with an API key; prints req/s, p50, p99, the ratio to nginx, the
CPU seconds of wrk, the server and redis-server over each run, and per
request the Redis commands (those run inside scripts included, from INFO
commandstats) and the scripts (EVALSHA: one round trip each).

Latency at half the peak: wrk cannot pace its requests. When the paced
client edge-load is built (bench/edge_load.c: --bin or --edge-load), it
runs open loop at half the token run's rate and its p99 is printed; until
then a wrk run with --low-connections connections stands in (closed loop:
a lower rate, not exactly half; said so in the output).

Unless --no-baseline, the same two GETs also run against a second gateway
of the stack with EDGE_AUTH_CACHE_MS=0 (every request looks its principal
up in Redis): the cache's effect, in the same run.

Benchmarks print figures; they never assert timings."""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, HERE)
from benchlib import bench_org, cpu_seconds, wrk  # noqa: E402

NGINX_CONF = """worker_processes 2;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    {access_log}
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 10000000;
    client_body_temp_path {dir}/tmp;
    proxy_temp_path {dir}/tmp;
    fastcgi_temp_path {dir}/tmp;
    uwsgi_temp_path {dir}/tmp;
    scgi_temp_path {dir}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        location / {{ default_type application/json; }}
    }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def children_cpu():
    usage = os.times()
    return usage.children_user + usage.children_system


class Nginx:
    """nginx on a free loopback port serving files/<name> = body."""

    def __init__(self, files, access_log):
        self.binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(self.binary):
            raise SystemExit("api_bench: nginx is missing: run scripts/bench-setup.sh")
        self.dir = tempfile.mkdtemp(prefix="edge-nginx-")
        os.chmod(self.dir, 0o755)       # nginx's workers run as nobody
        os.makedirs(os.path.join(self.dir, "www"))
        os.makedirs(os.path.join(self.dir, "tmp"))
        for name, body in files.items():
            path = os.path.join(self.dir, "www", name)
            with open(path, "wb") as f:
                f.write(body)
            os.chmod(path, 0o644)
        os.chmod(os.path.join(self.dir, "www"), 0o755)
        self.port = free_port()
        log = ("access_log %s/access.log;" % self.dir) if access_log else "access_log off;"
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=self.dir, port=self.port, access_log=log))
        self.proc = subprocess.Popen([self.binary, "-p", self.dir, "-c", conf,
                                      "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                if get(self.port, "/")[0] in (200, 403, 404):
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("api_bench: nginx did not start: %s"
                                 % self.proc.stderr.read().decode(errors="replace"))
            time.sleep(0.05)

    def cpu(self):
        """CPU seconds of the master and its workers."""
        total = cpu_seconds(self.proc.pid)
        try:
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                                 capture_output=True, text=True).stdout
            total += sum(cpu_seconds(int(p)) for p in out.split())
        except OSError:
            pass
        return total

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)      # graceful: workers too
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def edge_load(binary, url, headers, connections, duration, rate):
    """The paced client (bench/edge_load.c): its key value lines."""
    argv = [binary, "-c", str(connections), "-d", str(duration), "-r", str(int(rate))]
    for k, v in headers.items():
        argv += ["-H", "%s: %s" % (k, v)]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    return dict(line.split(None, 1) for line in out.splitlines() if " " in line)


def redis_counts(stack):
    """(commands processed, those inside scripts included; round trips:
    the calls of every command but the ones scripts make, estimated as
    the EVALSHA/EVAL calls plus the plain commands)."""
    info = stack.redis("INFO", "commandstats")
    calls = {m.group(1): int(m.group(2))
             for m in re.finditer(r"cmdstat_(\w+):calls=(\d+)", info)}
    total = sum(calls.values())
    scripts = calls.get("evalsha", 0) + calls.get("eval", 0)
    return total, scripts


def measure(name, stack, server_cpu, run):
    """Run one wrk measurement with CPU and Redis accounting."""
    c0, s0, r0 = children_cpu(), server_cpu(), cpu_seconds(stack.redis_proc.popen.pid)
    k0, e0 = redis_counts(stack)
    result = run()
    result["client_cpu"] = children_cpu() - c0
    result["server_cpu"] = server_cpu() - s0
    result["redis_cpu"] = cpu_seconds(stack.redis_proc.popen.pid) - r0
    k1, e1 = redis_counts(stack)
    requests = max(1.0, result["rps"] * result["duration"])
    result["redis_cmds"] = (k1 - k0 - 1) / requests    # less our INFO
    result["redis_scripts"] = (e1 - e0) / requests
    result["name"] = name
    return result


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2.0


def line(r, nginx_rps):
    ratio = "%.2fx" % (r["rps"] / nginx_rps) if nginx_rps else "-"
    extra = ""
    if r["bad"]:
        extra += "  non-2xx %d" % r["bad"]
    if r["errors"]:
        extra += "  socket errors: %s" % r["errors"]
    print("  %-20s %7.0f req/s  p50 %8s  p99 %8s  %5s  cpu s: wrk %4.1f server %4.1f "
          "redis %4.1f  redis/req: %.2f cmds %.2f scripts%s"
          % (r["name"], r["rps"], r["p50"], r["p99"], ratio, r["client_cpu"],
             r["server_cpu"], r["redis_cpu"], r["redis_cmds"], r["redis_scripts"], extra))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3,
                    help="every target this many times, interleaved; medians reported")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--low-connections", type=int, default=8)
    ap.add_argument("--access-log", action="store_true")
    ap.add_argument("--gateway-threads", type=int, default=0,
                    help="EDGE_GATEWAY_THREADS (default: --connections; civetweb "
                    "serves one keep-alive connection per thread)")
    ap.add_argument("--auth-cache-ms", default="1000",
                    help="EDGE_AUTH_CACHE_MS of the gateway (0: no principal cache)")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the runs on a second gateway with EDGE_AUTH_CACHE_MS=0")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "bin"))
    ap.add_argument("--edge-load", default=None,
                    help="the paced client (default: edge-load in --bin when built)")
    args = ap.parse_args()
    os.environ["EDGE_BIN_DIR"] = os.path.abspath(args.bin)
    from harness import Stack, key_headers, token_headers
    level = "info" if args.access_log else "warn"
    threads = args.gateway_threads or max(args.connections, args.low_connections)
    stack = Stack(workers=1, env={"EDGE_AUTH_TOKEN_TTL_S": "3600", "EDGE_LOG_LEVEL": level,
                                  "EDGE_AUTH_CACHE_MS": args.auth_cache_ms,
                                  "EDGE_GATEWAY_THREADS": str(threads)})
    nginx = None
    try:
        admin, _, token, bot = bench_org(stack)
        path = "/be/v1/users/%s" % admin
        status, body = get(stack.http_port, path, token_headers(token))
        assert status == 200, (status, body)
        nginx = Nginx({"user.json": body}, args.access_log)
        status, static = get(nginx.port, "/user.json")
        assert status == 200 and static == body, (status, static, body)
        gw = "http://127.0.0.1:%d" % stack.http_port
        gw_pid = stack.procs["gateway"].popen.pid
        d, t, c = args.duration, args.threads, args.connections
        print("api_bench: wrk -t%d -c%d -d%ds, body %d bytes, EDGE_AUTH_CACHE_MS=%s, "
              "EDGE_GATEWAY_THREADS=%d, access logs %s"
              % (t, c, d, len(body), args.auth_cache_ms, threads,
                                  "on (gateway info, nginx to a file)" if args.access_log
                                  else "off (gateway warn, nginx access_log off)"))
        creds = {"token": token_headers(token),
                 "API key": key_headers("bench", "bench_bot", bot["apiKey"])}
        runs = [("nginx static file", nginx.cpu, "http://127.0.0.1:%d/user.json" % nginx.port, {}),
                ("gateway /healthz", lambda: cpu_seconds(gw_pid), gw + "/healthz", {})]
        runs += [("GET user, " + k, lambda: cpu_seconds(gw_pid), gw + path, h)
                 for k, h in creds.items()]
        if not args.no_baseline:
            # the same requests on a gateway without the principal cache
            port = free_port()
            stack.start("gateway", "gateway_nocache",
                        {"EDGE_HTTP_LISTEN": "127.0.0.1:%d" % port, "EDGE_AUTH_CACHE_MS": "0"})
            deadline = time.monotonic() + 20
            while True:
                try:
                    if get(port, "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("api_bench: the second gateway did not start")
                time.sleep(0.05)
            nc_pid = stack.procs["gateway_nocache"].popen.pid
            nc = "http://127.0.0.1:%d" % port
            runs += [("no cache, " + k, lambda: cpu_seconds(nc_pid), nc + path, h)
                     for k, h in creds.items()]
        # Rounds: every target once per round, interleaved, so that a slow
        # moment of the VM hits nginx and the gateway alike; the summary
        # takes medians over the rounds.
        rounds = []
        for i in range(args.rounds):
            if args.rounds > 1:
                print("  round %d of %d" % (i + 1, args.rounds))
            results = []
            for name, server_cpu, url, headers in runs:
                def run(url=url, headers=headers):
                    r = wrk(url, headers, t, c, d)
                    r["duration"] = d
                    return r
                results.append(measure(name, stack, server_cpu, run))
            nginx_rps = results[0]["rps"]
            for r in results:
                line(r, nginx_rps)
            rounds.append(results)
        print("  (ratio: to nginx's rate in the same round; goal 3 asks >= 0.50x for GET user;"
              " 'no cache': a second gateway with EDGE_AUTH_CACHE_MS=0)")
        if args.rounds > 1:
            print("  median of %d rounds:" % args.rounds)
            for j, r in enumerate(rounds[0]):
                rates = [rd[j]["rps"] for rd in rounds]
                ratios = [rd[j]["rps"] / rd[0]["rps"] for rd in rounds if rd[0]["rps"]]
                print("  %-20s %7.0f req/s  %.2fx  (rounds: %s)"
                      % (r["name"], median(rates), median(ratios),
                         " ".join("%.2f" % x for x in ratios)))
        results = [dict(r, rps=median([rd[j]["rps"] for rd in rounds]))
                   for j, r in enumerate(rounds[0])]
        half_rate(args, stack, gw + path, creds, results)
    finally:
        if nginx:
            nginx.close()
        stack.close()


def half_rate(args, stack, url, creds, results):
    """p99 at half the peak: edge-load paced when built, else wrk at fewer
    connections."""
    binary = args.edge_load or os.path.join(os.path.abspath(args.bin), "edge-load")
    peaks = {r["name"]: r["rps"] for r in results}
    if os.access(binary, os.X_OK):
        for k, h in creds.items():
            rate = peaks["GET user, " + k] / 2
            out = edge_load(binary, url, h, args.connections, args.duration, rate)
            print("  half peak, %-10s %8.0f req/s paced (edge-load -c%d -r%d)  p50 %s ms  "
                  "p99 %s ms  client cpu %s s"
                  % (k, float(out.get("ok_rate", 0)), args.connections, rate,
                     out.get("p50_ms", "?"), out.get("p99_ms", "?"),
                     out.get("client_cpu_s", "?")))
        return
    # TODO(issue 12): edge-load (bench/edge_load.c, being written on another
    # branch) paces the requests; until it is built here, fewer connections
    # in closed loop stand in for "half the peak".
    for k, h in creds.items():
        r = wrk(url, h, args.threads, args.low_connections, args.duration)
        print("  low load, %-10s %8.0f req/s (wrk -c%d, closed loop: NOT paced at half "
              "the peak)  p50 %s  p99 %s"
              % (k, r["rps"], args.low_connections, r["p50"], r["p99"]))


if __name__ == "__main__":
    main()
