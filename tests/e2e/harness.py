"""End-to-end harness: starts redis-server and the rockit-edge processes on
free loopback ports with environment variables, talks HTTP and RESP to them,
and polls with deadlines (never sleeps to synchronise)."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

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
    def __init__(self, name, argv, env, logdir):
        self.name = name
        self.log_path = os.path.join(logdir, name + ".log")
        self.log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(argv, env=env, stdout=self.log,
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
    """redis-server + broker + gateway + workers + notifier on free ports."""

    START_ATTEMPTS = 3

    def __init__(self, workers=1, notifier=True, env=None):
        # A port from free_port() can be taken by another test process before
        # ours binds it; a process that exits while the stack starts means
        # that (or a real fault): start again on fresh ports, a few times.
        for attempt in range(1, self.START_ATTEMPTS + 1):
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
        self.worker_seq = 0
        self.redis_proc = None
        self.redis = None

    def _start_all(self, workers, notifier):
        self.start_redis()
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

    def start(self, kind, name=None, env=None):
        name = name or kind
        e = dict(self.env)
        e.update(env or {})
        self.procs[name] = Proc(name, [os.path.join(BIN, "edge-" + kind)], e, self.dir)
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
        if self.redis_proc:
            self.redis_proc.stop()
        if os.environ.get("EDGE_E2E_KEEP"):
            print("logs kept in", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return codes

    def logs(self):
        return {n: p.output() for n, p in self.procs.items()}

    # -- HTTP --------------------------------------------------------------
    def http(self, method, path, body=None, headers=None, raw=None, admin=False):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
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
            parsed = json.loads(payload) if payload and "json" in ctype else payload
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed
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
