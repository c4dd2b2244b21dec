"""End to end: the cluster, with faults. Redis master + replica + three
sentinels, s3rver (the depot bucket and an S3 origin), one broker, two
gateways, three workers and two notifiers, every process in a directory of
its own (working directory and EDGE_DATA_DIR: no directory in common; the
depot is S3). A mixed load runs for a bounded time through both gateways:
imports of small generated builds (downloads and client uploads, the PUT
sent to either gateway), trace uploads and trace processing, hello tasks,
webhooks to a local receiver; meanwhile a worker, a gateway, a notifier,
the broker and the Redis master (a real Sentinel failover) are killed with
SIGKILL at random moments and started again.

At the end: every task reached exactly one terminal state with exactly one
terminal event; the subscription received every event at least once, in
order per task; every published build rebuilds byte for byte with
edge-fetch from the S3 origin; nothing is left under staging names in the
bucket; per worker, Prometheus' tasks succeeded equal the tasks Redis says
it succeeded. Prints the counts (EDGE_CLUSTER_SECONDS sets the load's
length, 40 s by default)."""
import http.client
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from contract import check_webhook_body  # noqa: E402
from harness import (FileServer, Resp, S3rver, Stack, edge_fetch, free_port,  # noqa: E402
                     normalize, poll, random_files, read_tree, write_tar)
from receiver import Receiver  # noqa: E402
from test_metrics import Prometheus  # noqa: E402

ORG, APP = "acme", "game"
SECONDS = float(os.environ.get("EDGE_CLUSTER_SECONDS", "40"))
TERMINAL = ("succeeded", "failed", "expired")


class Cluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = S3rver(bucket="edge")
        cls.files = FileServer()
        cls.rx = Receiver()
        cls.tmp = tempfile.mkdtemp(prefix="edge-cluster-")
        cls.stack = None
        cls.prom = None
        try:
            cls._start()
        except BaseException:
            cls._close()
            raise

    @classmethod
    def _start(cls):
        env = {"EDGE_STORE": "s3://edge/depot",
               "EDGE_STORE_S3_ENDPOINT": cls.s3.endpoint,
               "EDGE_STORE_S3_ACCESS_KEY_ID": S3rver.ACCESS_KEY,
               "EDGE_STORE_S3_SECRET_ACCESS_KEY": S3rver.SECRET_KEY,
               "EDGE_URL_ALLOW": "127.0.0.0/8",
               "EDGE_LEASE_MS": "3000",
               "EDGE_REDIS_TIMEOUT_MS": "500",
               "EDGE_REDIS_REPLICA_WAIT_MS": "500",
               "EDGE_UPLOAD_EXPIRY_MS": "15000",
               "EDGE_WEBHOOK_RETRY_SCHEDULE": "1s,1s,2s,2s,5s,5s,10s",
               "EDGE_NOTIFIER_CLAIM_IDLE_MS": "1000"}
        # down after 2 s: a Redis starved of CPU (the sanitizer build on 2
        # cores) is not taken for a dead one
        s = cls.stack = Stack(workers=3, sentinel=True, metrics=True, private_dirs=True,
                              env=env, sentinel_down_ms=2000)
        cls.http2 = free_port()
        # gateway1 shares 8 Redis connections among its request threads
        # (group commit, the default); gateway2 has one per thread: both
        # kinds keep the guarantees through every fault
        s.start("gateway", "gateway2", {"EDGE_HTTP_LISTEN": "127.0.0.1:%d" % cls.http2,
                                        "EDGE_GATEWAY_REDIS_SHARED": "0"})
        s.start("notifier", "notifier2")
        cls.ports = [s.http_port, cls.http2]
        poll(lambda: cls.ready(cls.http2), 20, what="gateway2 ready")
        cls.be = s.org_admin_headers(ORG)
        dep = cls.s3.deployment("origin", prefix="cdn")
        assert cls.call("POST", "/be/v1/deployments", dep)[0] == 201
        assert cls.call("POST", "/be/v1/apps", {"name": APP, "label": "Game",
                                                "deployments": ["origin"]})[0] == 201
        assert cls.call("PATCH", "/be/v1/trainings",
                        {"appName": APP, "nTracesReliable": 2})[0] == 200
        status, _, doc = cls.call("POST", "/be/v1/subscriptions",
                                  {"name": "all", "url": cls.rx.url("/hooks/all"),
                                   "types": ["dltar", "mkraw", "deploy", "hello"],
                                   "events": ["submit", "begin", "end", "error"]})
        assert status == 201, doc
        targets = {name: "127.0.0.1:%d" % port for name, port in s.metrics_ports.items()}
        cls.prom = Prometheus(targets)

    @classmethod
    def _close(cls):
        for closing in (cls.prom, cls.stack, cls.files, cls.rx, cls.s3):
            if closing:
                try:
                    closing.close()
                except Exception:  # noqa: BLE001 (tear down everything)
                    pass

    @classmethod
    def tearDownClass(cls):
        cls._close()

    @classmethod
    def ready(cls, port):
        try:
            return cls.stack.http("GET", "/readyz", port=port)[0] == 200
        except OSError:
            return False

    @classmethod
    def call(cls, method, path, body=None, port=None, admin=False, headers=None):
        """One API call through a gateway (the first one by default)."""
        h = dict(cls.be if not admin and getattr(cls, "be", None) else {})
        h.update(headers or {})
        return cls.stack.http(method, path, body, headers=h, admin=admin, port=port)

    # -- load ------------------------------------------------------------------
    def attempt(self, *args, **kw):
        """A call that may meet a fault: (status, doc), or (None, None)."""
        try:
            status, _, doc = self.call(*args, **kw)
            return status, doc
        except OSError:
            return None, None

    def hello_loop(self, stop, out):
        """Hello tasks through both gateways; records what was accepted and
        the longest run of refused answers (the 503 window of a fault)."""
        rng = random.Random(1)
        refused_since = None
        while not stop.is_set():
            status, doc = self.attempt("POST", "/adm/v1/hello",
                                       {"message": "load", "maintenance": False,
                                        "orgName": ORG, "fail": rng.random() < 0.1},
                                       port=rng.choice(self.ports), admin=True)
            now = time.monotonic()
            if status == 202:
                out["hello"] += 1
                out["accepted"].append(doc["taskName"])
                if refused_since is not None:
                    out["window"] = max(out["window"], now - refused_since)
                refused_since = None
            else:
                out["refused"] += 1
                refused_since = refused_since or now
            time.sleep(0.05)

    def upload(self, doc):
        """PUT the tar of an upload import, to any gateway, until it is
        taken (a killed gateway's PUT is sent again), then commit."""
        url = urllib.parse.urlsplit(doc["uploadUrl"])
        path = os.path.join(self.tmp, doc["_name"] + ".tar")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            port = random.choice(self.ports)
            try:
                with open(path, "rb") as f:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request("PUT", url.path, body=f,
                                 headers={"content-length": str(os.path.getsize(path))})
                    status = conn.getresponse().status
                    conn.close()
            except OSError:
                status = None
            if status in (200, 201, 409):   # 409: taken, or in progress elsewhere
                break
            time.sleep(0.5)
        while time.monotonic() < deadline:
            status, _ = self.attempt("POST", "/be/v1/commit",
                                     {"appName": APP, "buildName": doc["_name"]},
                                     port=random.choice(self.ports))
            if status in (202, 409):
                return
            time.sleep(0.5)

    def import_loop(self, stop, out, builds):
        i = 0
        while not stop.is_set():
            i += 1
            name = "b%d" % i
            files = random_files(100 + i, 6, max_size=96 << 10)
            path = os.path.join(self.tmp, name + ".tar")
            write_tar(path, files)
            builds[name] = normalize(files)
            body = {"appName": APP, "buildName": name}
            if i % 2:
                body["url"] = self.files.add("/" + name + ".tar", filename=path)
            status, doc = self.attempt("POST", "/be/v1/builds", body,
                                       port=self.ports[i % 2])
            if status == 202:
                out["imports"] += 1
                out["accepted"].append(doc["taskName"])
                if "uploadUrl" in doc:
                    doc["_name"] = name
                    self.upload(doc)
            else:
                del builds[name]
            stop.wait(2.5)

    def trace_loop(self, stop, out):
        rng = random.Random(2)
        while not stop.wait(4):
            status, app = self.attempt("GET", "/be/v1/apps/" + APP)
            if status != 200 or not app.get("dxfName"):
                continue
            st, manifest = self.s3.get("cdn/dxf/%s/%s/%04d/%s/manifest.json"
                                       % (ORG, APP, app["iCurBuild"], app["dxfName"]))
            if st != 200:
                continue
            entries = [f for f in json.loads(manifest)["files"] if f.get("size")]
            for _ in range(2):
                accesses, t = [], 0
                for f in rng.sample(entries, min(4, len(entries))):
                    t += rng.randint(1, 50)
                    accesses.append([t, f["path"], 0, min(f["size"], 4096)])
                st, _ = self.attempt("POST", "/client/v1/traces",
                                     {"appName": APP, "dxfName": app["dxfName"],
                                      "accesses": accesses},
                                     port=rng.choice(self.ports))
                out["traces" if st == 201 else "refused"] += 1
            st, _ = self.attempt("POST", "/be/v1/trigger", {"appName": APP})
            out["processing" if st == 202 else "refused"] += 1

    def faults(self, stop, kills):
        """Kill each kind once at a random moment of the load, restart it.
        The load goes on until every kind was killed (stop only ends the
        plan early when another thread failed)."""
        s, rng = self.stack, random.Random(3)
        plan = ["worker", "gateway", "notifier", "broker", "redis"]
        rng.shuffle(plan)
        spacing = max(1.0, (SECONDS - 4) / len(plan))
        for kind in plan:
            if stop.wait(rng.uniform(0.5, spacing)):
                return
            if kind == "redis":
                master = s.master_port()
                proc = s.redis_proc if master == s.redis_port else s.replica_proc
                proc.kill9()
                poll(lambda: s.master_port() not in (None, master), 60, interval=0.1,
                     what="a failover")
                new = s.master_port()
                poll(lambda: self.sentinels_agree(new), 30, interval=0.1,
                     what="every sentinel to know the new master")
                kills["failovers"] += 1
                # the old master comes back as a replica of the new one (it has
                # no persistence here: come back as an empty master, it could
                # be taken for the master again before the sentinels demote it)
                restarted = s._redis_server("redis-again", master, "--replicaof",
                                            "127.0.0.1", str(new))
                if master == s.redis_port:
                    s.redis_proc = restarted
                else:
                    s.replica_proc = restarted
            else:
                name = {"worker": "worker2", "gateway": "gateway2",
                        "notifier": "notifier2", "broker": "broker"}[kind]
                s.procs[name].kill9()
                env = {"EDGE_HTTP_LISTEN": "127.0.0.1:%d" % self.http2,
                       "EDGE_GATEWAY_REDIS_SHARED": "0"} if kind == "gateway" else {}
                if kind == "worker":     # a new identity: its own counters
                    env["EDGE_WORKER_ID"] = "worker2b"
                s.start(kind, name, env)
            kills[kind] += 1

    def sentinels_agree(self, port):
        """Every sentinel names port as the master."""
        for sentinel in self.stack.sentinel_ports:
            try:
                r = Resp(sentinel)
                answer = r("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.stack.MASTER)
                r.close()
            except (OSError, RuntimeError):
                return False
            if not answer or int(answer[1]) != port:
                return False
        return True

    # -- the test -----------------------------------------------------------------
    def test_mixed_load_with_faults(self):
        s = self.stack
        out = dict.fromkeys(("hello", "imports", "traces", "processing", "refused",
                             "window"), 0)
        out["accepted"] = []
        kills = dict.fromkeys(("worker", "gateway", "notifier", "broker", "redis",
                               "failovers"), 0)
        builds, errors = {}, []
        stop = threading.Event()

        def guarded(fn, *args):
            try:
                fn(*args)
            except BaseException as e:  # noqa: BLE001 (reported below)
                errors.append("%s: %r" % (fn.__name__, e))
                stop.set()
        threads = [threading.Thread(target=guarded, args=(fn,) + args, daemon=True)
                   for fn, args in ((self.hello_loop, (stop, out)),
                                    (self.import_loop, (stop, out, builds)),
                                    (self.trace_loop, (stop, out)),
                                    (self.faults, (stop, kills)))]
        for t in threads:
            t.start()
        stop.wait(SECONDS)       # the load's length (not a synchronisation)
        threads[-1].join(180)    # and every fault happened under load
        stop.set()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertTrue(all(kills.values()), kills)
        poll(lambda: all(self.ready(p) for p in self.ports), 60, what="both gateways ready")

        redis = Resp(s.master_port())
        names = [k[len("e:task:"):] for k in redis.scan("e:task:*")]

        def settled():
            return all(redis("HGET", "e:task:" + n, "state") in TERMINAL for n in names)
        poll(settled, 180, interval=0.5, what="every task to reach a terminal state")
        events = {}
        for e in redis.events():
            events.setdefault(e["taskName"], []).append(e["event"])
        states = {n: redis("HGET", "e:task:" + n, "state") for n in names}
        lost = [n for n in out["accepted"] if n not in states]
        self.assertEqual(lost, [], "accepted tasks missing from Redis")
        doubled = []
        for n in names:
            ends = [e for e in events.get(n, []) if e in ("end", "error")]
            if len(ends) != 1:
                doubled.append((n, states[n], events.get(n)))
            elif (ends[0] == "end") != (states[n] == "succeeded"):
                doubled.append((n, states[n], events.get(n)))
        self.assertEqual(doubled, [], "tasks without exactly one terminal event")

        # webhooks: every event at least once, in order per task (a task
        # that ran again has its begin twice: the first of each counts)
        def first_of_each(seq):
            return [e for i, e in enumerate(seq) if e not in seq[:i]]
        want = {n: first_of_each(ev) for n, ev in events.items()}
        missing = {}

        def delivered():
            got = {}
            for r in self.rx.received():
                if r["status"] == 200:
                    body = json.loads(r["body"])
                    got.setdefault(body["taskName"], []).append(body["event"])
            got = {n: first_of_each(ev) for n, ev in got.items()}
            missing.clear()
            missing.update({n: (ev, got.get(n)) for n, ev in want.items() if got.get(n) != ev})
            return got if not missing else None
        try:
            got = poll(delivered, 120, interval=0.5, what="every event delivered")
        except AssertionError as e:
            raise AssertionError("%s: %d tasks differ, e.g. %r" % (
                e, len(missing), sorted(missing.items())[:5]))
        self.assertEqual(set(got), set(events))
        for r in self.rx.received()[:50]:
            check_webhook_body(json.loads(r["body"]))

        # every published build rebuilds byte for byte from the S3 origin
        status, _, app = s.http("GET", "/be/v1/apps/" + APP, headers=self.be)
        self.assertEqual(status, 200, app)
        published = app["builds"]
        self.assertTrue(published, "no build was published")
        for b in published:
            out_dir = os.path.join(self.tmp, "fetch-%d" % b["buildId"])
            res = edge_fetch(self.s3.url("cdn/dxf/%s/%s/%04d/%s"
                                         % (ORG, APP, b["buildId"], b["dxfName"])), out_dir)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertEqual(normalize(read_tree(out_dir)), builds[b["buildName"]])

        # nothing under staging names in the bucket
        keys = [k for k in self.s3_keys() if k.startswith("depot/")]
        self.assertEqual([k for k in keys if "/.tmp-" in k or "/.old-" in k], [])

        # Prometheus' succeeded tasks per live worker = Redis' count
        owners = {}
        for n in names:
            if states[n] == "succeeded":
                owner = redis("HGET", "e:task:" + n, "owner")
                owners[owner] = owners.get(owner, 0) + 1
        live = [n for n in s.procs if n.startswith("worker") and s.procs[n].alive()]
        for name in live:
            wid = "worker2b" if name == "worker2" and kills["worker"] else name
            self.prom.wait_value(
                'sum(edge_worker_tasks_succeeded_total{job="%s"})' % name,
                lambda v, want=owners.get(wid, 0): v and int(list(v.values())[0]) == want,
                timeout=20, what="%s succeeded tasks = %d" % (wid, owners.get(wid, 0)))
        redis.close()
        accepted = out.pop("accepted")
        print("cluster: %d tasks (%s), %d accepted by the API; load %s; kills %s; "
              "%d builds published and rebuilt; %d webhook deliveries; tasks lost %d, "
              "results doubled %d, events lost 0; longest refused window %.2f s"
              % (len(names), {st: list(states.values()).count(st) for st in TERMINAL},
                 len(accepted), out, kills, len(published), len(self.rx.received()),
                 len(lost), len(doubled), out["window"]))

    def test_z_depot_faults(self):
        """A depot bucket that does not exist stops a gateway and a worker
        at start with one clear line and exit 2; a depot that fails during
        a client's PUT answers 503 depot_unavailable (runs last: it stops
        s3rver)."""
        s = self.stack
        for kind in ("gateway", "worker"):
            env = {"EDGE_STORE": "s3://no-such-bucket/depot",
                   "EDGE_HTTP_LISTEN": "127.0.0.1:%d" % free_port()}
            proc = s.start(kind, "bad-" + kind, env)
            code = proc.popen.wait(30)
            out = proc.output()
            self.assertEqual(code, 2, out[-2000:])
            lines = [line for line in out.splitlines() if " E " in line]
            self.assertEqual(len(lines), 1, out[-2000:])
            self.assertIn("NoSuchBucket", lines[0])
            self.assertNotIn(S3rver.SECRET_KEY + "\n", out)
            del s.procs["bad-" + kind]
        status, _, doc = s.http("POST", "/be/v1/builds", {"appName": APP, "buildName": "late"},
                                headers=self.be)
        self.assertEqual(status, 202, doc)
        self.s3.popen.kill()
        self.s3.popen.wait(10)
        url = urllib.parse.urlsplit(doc["uploadUrl"])
        status, headers, doc = s.http("PUT", url.path, raw=b"x" * (1 << 20),
                                      headers={"content-type": "application/x-tar"})
        self.assertEqual(status, 503, doc)
        self.assertEqual(doc["error"]["code"], "depot_unavailable")
        self.assertIn("retry-after", headers)

    def s3_keys(self):
        """Every key in the bucket (ListObjectsV2, anonymous, paged)."""
        keys, token = [], None
        while True:
            q = "/edge?list-type=2" + ("&continuation-token=" + urllib.parse.quote(token)
                                       if token else "")
            conn = http.client.HTTPConnection("127.0.0.1", self.s3.port, timeout=30)
            conn.request("GET", q)
            body = conn.getresponse().read().decode()
            conn.close()
            keys += re.findall(r"<Key>([^<]*)</Key>", body)
            m = re.search(r"<NextContinuationToken>([^<]*)<", body)
            if not m:
                return keys
            token = m.group(1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
