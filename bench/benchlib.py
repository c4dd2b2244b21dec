"""benchlib: what several bench/ drivers read the same way: a process's CPU
seconds, Redis's own accounting, and a wrk run."""
import os
import re
import subprocess


def cpu_seconds(pid, missing=0.0):
    """User + system CPU seconds of a process and its threads so far
    (/proc/<pid>/stat); missing without a pid or when it cannot be read."""
    if not pid:
        return missing
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # after the command: utime and stime are fields 14 and 15
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return missing


def redis_cost(r):
    """Calls and usec per command (INFO commandstats; the commands a script
    runs count too) and the server's CPU seconds (INFO cpu, user + sys)."""
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


def wrk(url, headers, threads, connections, duration):
    """One wrk run: requests/s, p50 and p99 (as wrk prints them), non-2xx/3xx
    answers and socket errors."""
    argv = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % duration, "--latency"]
    for k, v in headers.items():
        argv += ["-H", "%s: %s" % (k, v)]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    # the Latency Distribution lines ("    50%    1.70ms"), not the
    # "+/- Stdev" column of the thread stats that may end in 50.00%
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "bad": int(bad.group(1)) if bad else 0,
            "errors": errors.group(1) if errors else ""}


def bench_org(stack):
    """Org "bench" with its administrator and a machine user "bench_bot"
    (Administrators): (admin username, its password, an auth token of it,
    the bot's record with its apiKey)."""
    from harness import token_headers
    doc = stack.create_org("bench")
    admin, password = doc["adminUsername"], doc["password"]
    _, token = stack.auth_token("bench", admin, password)
    status, _, bot = stack.http("POST", "/be/v1/users",
                                {"username": "bench_bot", "label": "bench",
                                 "roles": ["Administrators"], "machine": True},
                                headers=token_headers(token))
    assert status == 201, (status, bot)
    return admin, password, token, bot
