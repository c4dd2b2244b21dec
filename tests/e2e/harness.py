"""End-to-end harness: starts redis-server and the rockit-edge processes on
free loopback ports with environment variables, talks HTTP and RESP to them,
and polls with deadlines (never sleeps to synchronise)."""
import hashlib
import http.client
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import unittest
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from contract import check_response  # noqa: F401 (suites check raw responses too)

BIN = os.environ.get("EDGE_BIN_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin"))
SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtMTIzNDU2Nzg="   # test-only secret


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(fn, timeout=20.0, interval=0.02, what="condition"):
    """Call fn until it returns a truthy value; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


class Resp:
    """A minimal RESP2 client: enough for tests to inspect Redis."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode("utf-8", "replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("bad RESP reply %r" % line)

    def __call__(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self._reply()

    def hgetall(self, key):
        flat = self("HGETALL", key) or []
        return dict(zip(flat[0::2], flat[1::2]))

    def scan(self, pattern):
        """Every key matching pattern (SCAN MATCH), sorted."""
        keys, cursor = set(), "0"
        while True:
            cursor, batch = self("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
            keys.update(batch)
            if cursor == "0":
                return sorted(keys)

    def dump(self, key):
        """A key's type and value as plain data (None when absent)."""
        kind = self("TYPE", key)
        if kind == "hash":
            return kind, self.hgetall(key)
        if kind == "zset":
            flat = self("ZRANGE", key, 0, -1, "WITHSCORES")
            return kind, list(zip(flat[0::2], flat[1::2]))
        if kind == "set":
            return kind, sorted(self("SMEMBERS", key))
        if kind == "string":
            return kind, self("GET", key)
        if kind == "list":
            return kind, self("LRANGE", key, 0, -1)
        if kind == "stream":
            return kind, self("XRANGE", key, "-", "+")
        return None

    def snapshot(self, pattern):
        """{key: (type, value)} of every key matching pattern."""
        out = {}
        for key in self.scan(pattern):
            value = self.dump(key)
            if value is not None:
                out[key] = value
        return out

    def events(self, task=None):
        """Entries of e:events as dicts (with 'id'), optionally for one task."""
        out = []
        for entry_id, flat in self("XRANGE", "e:events", "-", "+") or []:
            fields = dict(zip(flat[0::2], flat[1::2]))
            fields["id"] = entry_id
            if task is None or fields.get("taskName") == task:
                out.append(fields)
        return out


def token_headers(token):
    """Backend auth-token header."""
    return {"x-rockit-beauth-token": token}


def key_headers(org, username, api_key):
    """The three backend API-key headers."""
    return {"x-rockit-orgname": org, "x-rockit-username": username,
            "x-rockit-api-key": api_key}


class Proc:
    def __init__(self, name, argv, env, logdir, cwd=None):
        self.name = name
        self.log_path = os.path.join(logdir, name + ".log")
        self.log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(argv, env=env, stdout=self.log, cwd=cwd,
                                      stderr=subprocess.STDOUT)

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.popen.poll() is None

    def kill9(self):
        self.popen.kill()
        self.popen.wait(10)
        self.log.close()

    def stop(self, timeout=10.0):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
                self.log.close()
                return None
        self.log.close()
        return self.popen.returncode


class StartFailed(Exception):
    """A process of the stack exited while it started (e.g. a port was taken)."""


class Stack:
    """redis-server + broker + gateway + workers + notifier on free ports.
    metrics=True: broker, workers and notifier serve /metrics on free ports
    too (EDGE_METRICS_LISTEN; metrics_ports[name], metrics_text(name))."""

    START_ATTEMPTS = 3
    METRICS_KINDS = ("broker", "worker", "notifier")

    def __init__(self, workers=1, notifier=True, env=None, sentinel=False, metrics=False,
                 private_dirs=False, sentinel_down_ms=1000):
        self.sentinel_down_ms = sentinel_down_ms
        self.has_metrics = metrics
        # private_dirs: every process runs in a directory of its own (its
        # working directory, with its EDGE_DATA_DIR inside), shared with none
        self.private_dirs = private_dirs
        # A port from free_port() can be taken by another test process before
        # ours binds it; a process that exits while the stack starts means
        # that (or a real fault): start again on fresh ports, a few times.
        for attempt in range(1, self.START_ATTEMPTS + 1):
            self.sentinel = sentinel
            self._configure(env)
            try:
                self._start_all(workers, notifier)
                return
            except StartFailed:
                self.close()
                if attempt == self.START_ATTEMPTS:
                    raise
            except BaseException:
                self.close()            # never leave processes behind
                raise

    def _configure(self, env):
        self.dir = tempfile.mkdtemp(prefix="edge-e2e-")
        self.redis_port = free_port()
        self.http_port = free_port()
        self.env = dict(os.environ)
        self.env.update({
            "EDGE_REDIS_URL": "redis://127.0.0.1:%d/0" % self.redis_port,
            "EDGE_HTTP_LISTEN": "127.0.0.1:%d" % self.http_port,
            "EDGE_BROKER_FRONTEND": "tcp://127.0.0.1:%d" % free_port(),
            "EDGE_BROKER_BACKEND": "tcp://127.0.0.1:%d" % free_port(),
            "EDGE_ADMIN_SECRET": SECRET,
            "EDGE_STORE": "file://%s/store" % self.dir,
            "EDGE_DATA_DIR": "%s/data" % self.dir,
            "EDGE_HEARTBEAT_MS": "200",
            "EDGE_LEASE_MS": "3000",
            "EDGE_REAPER_INTERVAL_MS": "200",
            "EDGE_REAPER_RESEND_MS": "1000",
            "EDGE_NOTIFIER_CLAIM_IDLE_MS": "1000",
            "EDGE_LOG_LEVEL": "info",
        })
        self.env.pop("PORT", None)
        self.env.update(env or {})
        self.procs = {}
        self.metrics_ports = {}
        self.worker_seq = 0
        self.redis_proc = None
        self.redis = None
        self.replica_proc = None
        self.sentinel_procs = []
        if self.sentinel:
            # master (redis_port) + one replica + three sentinels; every
            # process finds the master through the sentinels
            self.replica_port = free_port()
            self.sentinel_ports = [free_port() for _ in range(3)]
            self.env["EDGE_REDIS_URL"] = "redis-sentinel://%s/%s/0" % (
                ",".join("127.0.0.1:%d" % p for p in self.sentinel_ports), self.MASTER)

    MASTER = "edgemaster"

    def _start_all(self, workers, notifier):
        self.start_redis()
        if self.sentinel:
            self.start_sentinels(self.sentinel_down_ms)
        self.redis = Resp(self.redis_port)
        self.start("broker")
        self.start("gateway")
        for _ in range(workers):
            self.start_worker()
        if notifier:
            self.start("notifier")
        poll(self._ready, 20, what="gateway /readyz (Redis and broker)")
        self.token = self.admin_token("e2e-admin")

    def _check_alive(self):
        for name, proc in [("redis", self.redis_proc)] + list(self.procs.items()):
            if proc and not proc.alive():
                raise StartFailed("%s exited while the stack started:\n%s"
                                  % (name, proc.output()[-2000:]))

    def _ready(self):
        self._check_alive()
        try:
            return self.http("GET", "/readyz")[0] == 200
        except OSError:
            return False

    # -- processes ---------------------------------------------------------
    def start_redis(self):
        self.redis_proc = Proc("redis", [
            "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", self.dir], self.env, self.dir)

        def up():
            if not self.redis_proc.alive():
                raise StartFailed("redis-server exited:\n%s" % self.redis_proc.output()[-2000:])
            try:
                r = Resp(self.redis_port)
                ok = r("PING") == "PONG"
                r.close()
                return ok
            except OSError:
                return False
        poll(up, 20, what="redis-server")

    def _redis_server(self, name, port, *extra):
        proc = Proc(name, ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no", "--dir", self.dir,
                           "--dbfilename", name + ".rdb",
                           "--repl-diskless-sync-delay", "0"] + list(extra),
                    self.env, self.dir)

        def up():
            if not proc.alive():
                raise StartFailed("%s exited:\n%s" % (name, proc.output()[-2000:]))
            try:
                r = Resp(port)
                ok = r("PING") == "PONG"
                r.close()
                return ok
            except OSError:
                return False
        poll(up, 20, what=name)
        return proc

    def start_sentinels(self, down_ms=1000):
        """A replica of the master and three sentinels (quorum 2) watching it;
        returns once the master lists the replica online and every sentinel
        knows the replica and the two other sentinels."""
        self.replica_proc = self._redis_server("replica", self.replica_port,
                                               "--replicaof", "127.0.0.1", str(self.redis_port))
        for i, port in enumerate(self.sentinel_ports):
            conf = os.path.join(self.dir, "sentinel%d.conf" % i)
            with open(conf, "w") as f:
                f.write("port %d\nbind 127.0.0.1\ndir %s\n"
                        "sentinel monitor %s 127.0.0.1 %d 2\n"
                        "sentinel down-after-milliseconds %s %d\n"
                        "sentinel failover-timeout %s %d\n"
                        % (port, self.dir, self.MASTER, self.redis_port,
                           self.MASTER, down_ms, self.MASTER, down_ms * 4))
            self.sentinel_procs.append(Proc("sentinel%d" % i, ["redis-server", conf, "--sentinel"],
                                            self.env, self.dir))

        def settled():
            for proc in self.sentinel_procs:
                if not proc.alive():
                    raise StartFailed("a sentinel exited:\n%s" % proc.output()[-2000:])
            try:
                master = Resp(self.redis_port)
                role = master("ROLE")
                master.close()
                if len(role[2]) < 1:
                    return False
                for port in self.sentinel_ports:
                    r = Resp(port)
                    flat = r("SENTINEL", "MASTER", self.MASTER)
                    r.close()
                    info = dict(zip(flat[0::2], flat[1::2]))
                    if int(info["num-slaves"]) < 1 or int(info["num-other-sentinels"]) < 2:
                        return False
                return True
            except (OSError, RuntimeError):
                return False
        poll(settled, 30, interval=0.1, what="replica and sentinels")

    def master_port(self):
        """The master's port as the first answering sentinel says."""
        for port in self.sentinel_ports:
            try:
                r = Resp(port)
                host, master = r("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.MASTER)
                r.close()
                return int(master)
            except (OSError, RuntimeError, TypeError, ValueError):
                continue
        return None

    def start(self, kind, name=None, env=None):
        name = name or kind
        e = dict(self.env)
        if self.has_metrics and kind in self.METRICS_KINDS:
            # a restarted process keeps its port (scrapers find it again)
            self.metrics_ports.setdefault(name, free_port())
            e["EDGE_METRICS_LISTEN"] = "127.0.0.1:%d" % self.metrics_ports[name]
        cwd = None
        if self.private_dirs:
            cwd = os.path.join(self.dir, "proc-" + name)
            os.makedirs(cwd, exist_ok=True)
            e["EDGE_DATA_DIR"] = os.path.join(cwd, "data")
        e.update(env or {})
        self.procs[name] = Proc(name, [os.path.join(BIN, "edge-" + kind)], e, self.dir, cwd)
        return self.procs[name]

    def start_worker(self, env=None):
        self.worker_seq += 1
        name = "worker%d" % self.worker_seq
        e = {"EDGE_WORKER_ID": name}
        e.update(env or {})
        return self.start("worker", name, e)

    def http_ready(self):
        try:
            status, _, _ = self.http("GET", "/healthz")
            return status == 200
        except OSError:
            return False

    def admin_token(self, username):
        out = subprocess.run([os.path.join(BIN, "edge-admin-token"), username],
                             env=self.env, capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def close(self):
        """Stop everything; returns {name: exit code} of our processes."""
        codes = {}
        for name, proc in list(self.procs.items()):
            codes[name] = proc.stop()
        if getattr(self, "redis", None):
            try:
                self.redis.close()
            except OSError:
                pass
        for proc in self.sentinel_procs + [self.replica_proc, self.redis_proc]:
            if proc:
                proc.stop()
        if os.environ.get("EDGE_E2E_KEEP"):
            print("logs kept in", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return codes

    def logs(self):
        return {n: p.output() for n, p in self.procs.items()}

    def metrics_text(self, name):
        """GET /metrics of a process ("gateway" or a name in metrics_ports)
        with plain http.client (not part of the API document); returns
        (status, content type, text)."""
        port = self.http_port if name == "gateway" else self.metrics_ports[name]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/metrics")
            resp = conn.getresponse()
            return (resp.status, resp.getheader("content-type", ""),
                    resp.read().decode("utf-8"))
        finally:
            conn.close()

    # -- HTTP --------------------------------------------------------------
    def http(self, method, path, body=None, headers=None, raw=None, admin=False, port=None):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.http_port, timeout=30)
        h = dict(headers or {})
        if admin:
            h["x-rockit-admin-token"] = self.token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("content-type", "application/json")
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            payload = resp.read()
            ctype = resp.getheader("content-type", "")
            headers = {k.lower(): v for k, v in resp.getheaders()}
            check_response(method, path, resp.status, headers, payload, data,
                           {k.lower(): v for k, v in h.items()}.get("content-type"))
            parsed = json.loads(payload) if payload and "json" in ctype else payload
            return resp.status, headers, parsed
        finally:
            conn.close()

    # -- identity (issue 3) ------------------------------------------------
    def create_org(self, name, email="owner@example.com", **extra):
        """POST /adm/v1/orgs; returns the 201 document (holds the password)."""
        body = {"orgName": name, "email": email}
        body.update(extra)
        status, _, doc = self.http("POST", "/adm/v1/orgs", body, admin=True)
        assert status == 201, (status, doc)
        return doc

    def login(self, org, username, password):
        """POST /be/v1/login; returns (status, headers, doc)."""
        return self.http("POST", "/be/v1/login",
                         {"orgName": org, "username": username, "password": password})

    def auth_token(self, org, username, password):
        """login then auth; returns (sessionToken, authToken)."""
        status, _, doc = self.login(org, username, password)
        assert status == 200, (status, doc)
        session = doc["sessionToken"]
        status, _, doc = self.http("POST", "/be/v1/auth",
                                   headers={"x-rockit-besession-token": session})
        assert status == 200, (status, doc)
        return session, doc["authToken"]

    def org_admin_headers(self, org):
        """Create org; the auth-token header of its first administrator."""
        doc = self.create_org(org)
        _, token = self.auth_token(org, doc["adminUsername"], doc["password"])
        return token_headers(token)

    def hello(self, message="hi", **extra):
        body = {"message": message, "maintenance": False}
        body.update(extra)
        status, _, doc = self.http("POST", "/adm/v1/hello", body, admin=True)
        assert status == 202, (status, doc)
        return doc["taskName"]

    def task(self, name):
        status, _, doc = self.http("GET", "/adm/v1/tasks/" + name, admin=True)
        assert status == 200, (status, doc)
        return doc

    def wait_state(self, name, states=("succeeded",), timeout=30):
        def done():
            t = self.task(name)
            return t if t["state"] in states else None
        return poll(done, timeout, what="task %s to reach %s" % (name, states))

    # -- build pipeline (issue 5) -------------------------------------------
    def group_tasks(self, group, headers):
        """GET /be/v1/tasks?group=...: the group's task records, oldest first."""
        status, _, doc = self.http("GET", "/be/v1/tasks?group=%s&limit=100&order[]=created"
                                   % group, headers=headers)
        assert status == 200, (status, doc)
        return doc["items"]

    def wait_group(self, group, headers, timeout=60, last="deploy"):
        """Poll the group until it is final: a task failed or expired, or a
        task of type last succeeded. Returns {type: full task record} (the
        newest task of each type, read with GET /be/v1/tasks/{name})."""
        def final():
            items = self.group_tasks(group, headers)
            if any(t["state"] in ("failed", "expired") for t in items) or \
                    any(t["type"] == last and t["state"] == "succeeded" for t in items):
                return items
            return None
        items = poll(final, timeout, interval=0.05,
                     what="task group %s to end (a failure or %s succeeded)" % (group, last))
        out = {}
        for t in items:
            status, _, doc = self.http("GET", "/be/v1/tasks/" + t["name"], headers=headers)
            assert status == 200, (status, doc)
            out[doc["type"]] = doc
        return out

    def pid(self, name):
        return self.procs[name].popen.pid


def peak_rss_kib(pid):
    """VmHWM of a live process in KiB (None when unreadable)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def is_sanitized(binary="edge-worker"):
    """True when the stack's binaries were built with ASan (slower: tests
    scale their data down)."""
    try:
        with open(os.path.join(BIN, binary), "rb") as f:
            return b"AddressSanitizer" in f.read()
    except OSError:
        return False


# -- build data -----------------------------------------------------------------
def random_files(seed, count, min_size=1, max_size=256 << 10, prefix="./game/"):
    """{tar path: bytes}: count files of seeded pseudo-random (incompressible)
    content and sizes, spread over a few directories."""
    rng = random.Random(seed)
    files = {}
    for i in range(count):
        size = rng.randint(min_size, max_size)
        files["%sdir%d/file%04d.bin" % (prefix, i % 4, i)] = rng.randbytes(size)
    return files


def change_files(files, seed, share=0.05, add=1, remove=1):
    """A copy of files with share of them rewritten, add new ones and remove
    some (a next build that shares most of its content). Returns (files,
    names changed)."""
    rng = random.Random(seed)
    out = dict(files)
    names = sorted(files)
    changed = rng.sample(names, max(1, int(len(names) * share)))
    for name in changed:
        out[name] = rng.randbytes(len(files[name]) or 1)
    for name in rng.sample([n for n in names if n not in changed], remove):
        del out[name]
        changed.append(name)
    for i in range(add):
        name = "./game/added/new%d.bin" % i
        out[name] = rng.randbytes(rng.randint(1, 128 << 10))
        changed.append(name)
    return out, changed


def write_tar(path, files, compression=""):
    """Write files ({name: bytes, or a callable returning bytes}) to a PAX
    tar, names sorted, fixed mtime (the same files give the same bytes).
    compression: "" or "gz"."""
    mode = "w:" + compression if compression else "w"
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name]
            data = data() if callable(data) else data
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return os.path.getsize(path)


def write_big_tar(path, total_bytes, seed, file_bytes=16 << 20):
    """A tar of about total_bytes of seeded incompressible files of
    file_bytes each, written file by file (bounded memory)."""
    rng = random.Random(seed)
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        done, i = 0, 0
        while done < total_bytes:
            size = min(file_bytes, total_bytes - done)
            info = tarfile.TarInfo("./big/part%04d.bin" % i)
            info.size, info.mtime, info.mode = size, 1700000000, 0o644
            tar.addfile(info, io.BytesIO(rng.randbytes(size)))
            done += size
            i += 1
    return os.path.getsize(path)


def read_tree(root):
    """{relative path: bytes} of every regular file under root."""
    out = {}
    for base, _, names in os.walk(root):
        for name in names:
            full = os.path.join(base, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, root)] = f.read()
    return out


def normalize(files):
    """{normalized path: bytes}: './game/x' and 'game/x' compare equal."""
    return {os.path.normpath(k): v for k, v in files.items()}


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def edge_fetch(source, out_dir, old=None, old_manifest=None, timeout=300):
    """Run build/bin/edge-fetch; returns the CompletedProcess (text)."""
    argv = [os.path.join(BIN, "edge-fetch")]
    if old:
        argv += ["--old", old]
    if old_manifest:
        argv += ["--old-manifest", old_manifest]
    return subprocess.run(argv + [source, out_dir], capture_output=True, text=True,
                          timeout=timeout)


# -- a local HTTP file server -------------------------------------------------------
class _FileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "edge-test-files"

    def log_message(self, fmt, *args):
        pass

    def _record(self, status, start=None):
        fs = self.server.files
        with fs.lock:
            fs.log.append({"method": self.command, "path": self.path, "status": status,
                           "range": self.headers.get("range"),
                           "ifRange": self.headers.get("if-range"), "start": start,
                           "at": time.time()})

    def _error(self, status):
        self._record(status)
        body = b"status %d\n" % status
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _range(self, size):
        """(start, end) of a satisfiable single 'bytes=a-b' range, or None
        for the whole file; raises ValueError when unsatisfiable."""
        value = self.headers.get("range")
        if_range = self.headers.get("if-range")
        entry = self.server.files.entry(self.path)
        if not value or (if_range and if_range not in (entry["etag"], entry["lastModified"])):
            return None
        unit, _, spec = value.partition("=")
        first, _, last = spec.partition("-")
        if unit.strip() != "bytes" or "," in spec or not first.strip().isdigit():
            return None
        start = int(first)
        end = int(last) if last.strip().isdigit() else size - 1
        if start >= size or end < start:
            raise ValueError("unsatisfiable")
        return start, min(end, size - 1)

    def do_GET(self):
        fs = self.server.files
        entry = fs.entry(self.path)
        if entry is None:
            self._error(404)
            return
        if entry["status"]:
            self._error(entry["status"])
            return
        size = entry["size"]
        try:
            rng = self._range(size)
        except ValueError:
            self._record(416)
            self.send_response(416)
            self.send_header("content-range", "bytes */%d" % size)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        start, end = rng if rng else (0, size - 1)
        status = 206 if rng else 200
        self._record(status, start)
        self.send_response(status)
        self.send_header("content-type", "application/x-tar")
        self.send_header("content-length", str(end - start + 1))
        self.send_header("accept-ranges", "bytes")
        self.send_header("etag", entry["etag"])
        self.send_header("last-modified", entry["lastModified"])
        if rng:
            self.send_header("content-range", "bytes %d-%d/%d" % (start, end, size))
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            self._stream(entry, start, end + 1)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client died or gave up (kill -9 tests)

    do_HEAD = do_GET

    def _stream(self, entry, pos, stop):
        fs = self.server.files
        began, sent = time.monotonic(), 0
        src = open(entry["file"], "rb") if entry["file"] else None
        try:
            while pos < stop:
                rate = fs.entry(self.path)["rate"]
                n = min(64 << 10 if rate else 1 << 20, stop - pos)
                if rate:   # throttled: hold the average at rate bytes/s
                    n = min(n, max(1024, rate // 20))
                    ahead = (sent + n) / float(rate) - (time.monotonic() - began)
                    if ahead > 0:
                        time.sleep(ahead)
                else:
                    began, sent = time.monotonic(), 0
                if src:
                    if src.tell() != pos:
                        src.seek(pos)
                    block = src.read(n)
                else:
                    block = entry["data"][pos:pos + n]
                self.wfile.write(block)
                pos += len(block)
                sent += len(block)
                with fs.lock:
                    entry["sent"] += len(block)
        finally:
            if src:
                src.close()


class FileServer:
    """Serves files over HTTP on a free loopback port, from a thread: GET and
    HEAD with single Range requests (If-Range by ETag or Last-Modified),
    Accept-Ranges, ETag. Per path: an answer status instead of the file
    (e.g. 404), and a rate in bytes/s (a slow server, changeable while a
    download runs). Records every request (method, path, status, range)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries = {}
        self.log = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _FileHandler)
        self.server.daemon_threads = True
        self.server.files = self
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       name="fileserver", daemon=True)
        self.thread.start()

    def add(self, path, data=None, filename=None, rate=None, status=None):
        """Serve data (bytes) or the file filename at path; returns its URL."""
        if filename:
            size = os.path.getsize(filename)
            tag = "%s-%d" % (os.path.basename(filename), size)
        else:
            size = len(data or b"")
            tag = hashlib.sha256(data or b"").hexdigest()[:16]
        with self.lock:
            self.entries[path] = {"data": data, "file": filename, "size": size,
                                  "etag": '"%s"' % tag, "status": status, "rate": rate,
                                  "lastModified": formatdate(1700000000, usegmt=True),
                                  "sent": 0}
        return self.url(path)

    def set(self, path, **changes):
        """Change rate or status of a served path."""
        with self.lock:
            self.entries[path].update(changes)

    def entry(self, path):
        with self.lock:
            return self.entries.get(path.split("?")[0])

    def sent(self, path):
        with self.lock:
            return self.entries[path]["sent"]

    def requests(self, path=None):
        with self.lock:
            return [dict(r) for r in self.log if path is None or r["path"] == path]

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# -- s3rver -----------------------------------------------------------------------
class S3rver:
    """scripts/s3rver.sh on a free loopback port with one bucket (credentials
    S3RVER/S3RVER; it checks the access key id only). Raises
    unittest.SkipTest when npm/node are missing or the install fails."""

    SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "s3rver.sh")
    ACCESS_KEY = SECRET_KEY = "S3RVER"

    def __init__(self, bucket="origin", attempts=3):
        for attempt in range(1, attempts + 1):
            self.port = free_port()
            self.bucket = bucket
            self.dir = tempfile.mkdtemp(prefix="edge-s3rver-")
            self.log = open(os.path.join(self.dir, "s3rver.log"), "ab")
            self.popen = subprocess.Popen([self.SCRIPT, str(self.port),
                                           os.path.join(self.dir, "data"), bucket],
                                          stdout=self.log, stderr=subprocess.STDOUT)
            try:
                poll(self._up, 60, interval=0.05, what="s3rver on port %d" % self.port)
                return
            except _S3rverExited as e:
                self.close()
                if e.code in (3, 4):
                    raise unittest.SkipTest("s3rver unavailable (exit %d)" % e.code)
                if attempt == attempts:
                    raise AssertionError("s3rver exited %d" % e.code)

    def _up(self):
        code = self.popen.poll()
        if code is not None:
            raise _S3rverExited(code)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/" + self.bucket)
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def url(self, key):
        return "%s/%s/%s" % (self.endpoint, self.bucket, key)

    def get(self, key):
        """(status, bytes) of an anonymous GET of key."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", "/%s/%s" % (self.bucket, key))
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def deployment(self, name, access_key=None, endpoint=None, prefix="edge/cdn"):
        """A POST /be/v1/deployments body for this server."""
        return {"name": name, "kind": "s3", "originPrefix": prefix,
                "s3": {"endpoint": endpoint or self.endpoint, "region": "us-east-1",
                       "bucket": self.bucket, "accessKeyId": access_key or self.ACCESS_KEY,
                       "secretAccessKey": self.SECRET_KEY}}

    def close(self):
        stop_helper(self.popen, self.log, self.dir)


def stop_helper(popen, log, directory):
    """Stop a helper server of the tests (SIGTERM, then SIGKILL after 10 s),
    close its log and remove its directory (kept with EDGE_E2E_KEEP)."""
    if popen.poll() is None:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(10)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(10)
    log.close()
    if not os.environ.get("EDGE_E2E_KEEP"):
        shutil.rmtree(directory, ignore_errors=True)


class _S3rverExited(Exception):
    def __init__(self, code):
        super().__init__("s3rver exited %d" % code)
        self.code = code
