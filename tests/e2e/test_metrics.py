"""End to end: every process serves Prometheus metrics. The stack runs hello
tasks (some failing), a webhook subscription to a local receiver that fails
twice, and a small build import; then promtool checks every endpoint's text,
and a real Prometheus server scraping all four processes must show the
numbers that Redis, the API and the receiver show."""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BIN, FileServer, Stack, free_port, poll, random_files, stop_helper,  # noqa: E402
                     token_headers, write_tar)
from receiver import Receiver  # noqa: E402

ORG = "metrics"
N_OK, N_FAIL = 4, 3


def samples(text):
    """{(name, frozenset of label pairs): value} of an exposition text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        name, _, labels = head.partition("{")
        pairs = []
        for item in labels.rstrip("}").split('",') if labels else []:
            key, _, val = item.partition('="')
            pairs.append((key, val.rstrip('"')))
        out[(name, frozenset(pairs))] = float(value)
    return out


def value(text, name, **labels):
    return samples(text).get((name, frozenset(labels.items())))


def tree_bytes(root):
    return sum(os.path.getsize(os.path.join(base, f))
               for base, _, names in os.walk(root) for f in names)


class Prometheus:
    """prometheus on a free loopback port, scraping targets every second,
    with its storage in a temporary directory."""

    def __init__(self, targets):
        self.dir = tempfile.mkdtemp(prefix="edge-prometheus-")
        self.port = free_port()
        config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                             "evaluation_interval": "1s"},
                  "scrape_configs": [{"job_name": job,
                                      "static_configs": [{"targets": [target]}]}
                                     for job, target in sorted(targets.items())]}
        path = os.path.join(self.dir, "prometheus.yml")
        with open(path, "w") as f:
            json.dump(config, f)       # JSON is YAML
        self.log = open(os.path.join(self.dir, "prometheus.log"), "ab")
        self.popen = subprocess.Popen(
            ["prometheus", "--config.file=" + path,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT)
        try:
            poll(self._ready, 30, interval=0.1, what="prometheus ready")
        except BaseException:
            self.close()
            raise

    def _get(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def _ready(self):
        if self.popen.poll() is not None:
            with open(os.path.join(self.dir, "prometheus.log"), "rb") as f:
                raise AssertionError("prometheus exited: %s" % f.read()[-2000:])
        try:
            return self._get("/-/ready")[0] == 200
        except OSError:
            return False

    def query(self, expr):
        """{frozenset of labels without __name__: float} of an instant query."""
        status, body = self._get("/api/v1/query?query=" + urllib.parse.quote(expr))
        doc = json.loads(body)
        assert status == 200 and doc["status"] == "success", (status, doc)
        return {frozenset((k, v) for k, v in r["metric"].items() if k != "__name__"):
                float(r["value"][1]) for r in doc["data"]["result"]}

    def wait_value(self, expr, check, timeout=30, what=None):
        """Poll expr until check(values) holds; returns the values."""
        seen = {}

        def ok():
            seen["last"] = self.query(expr)
            return check(seen["last"])
        try:
            poll(ok, timeout, interval=0.25, what=what or expr)
        except AssertionError as e:
            raise AssertionError("%s (last seen: %r)" % (e, seen.get("last")))
        return seen["last"]

    def close(self):
        stop_helper(self.popen, self.log, self.dir)


def one(values):
    """The single value of a query answer, or None."""
    return next(iter(values.values())) if len(values) == 1 else None


class Metrics(unittest.TestCase):
    def setUp(self):
        for tool in ("promtool", "prometheus"):
            if not shutil.which(tool):
                self.skipTest("%s is not installed (scripts/setup.sh installs it)" % tool)
        self.tmp = tempfile.mkdtemp(prefix="edge-metrics-")
        self.rx = Receiver()
        self.files = FileServer()
        self.prom = None
        self.stack = Stack(workers=1, metrics=True, env={
            "EDGE_URL_ALLOW": "127.0.0.0/8",
            "EDGE_WEBHOOK_RETRY_SCHEDULE": "200ms,400ms,600ms"})
        doc = self.stack.create_org(ORG)
        _, token = self.stack.auth_token(ORG, doc["adminUsername"], doc["password"])
        self.auth = token_headers(token)

    def tearDown(self):
        if self.prom:
            self.prom.close()
        codes = self.stack.close()
        self.rx.close()
        self.files.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        for name, code in codes.items():
            self.assertEqual(code, 0, "%s did not exit 0" % name)

    def be(self, method, path, body=None, status=None):
        st, _, doc = self.stack.http(method, path, body, headers=self.auth)
        if status:
            self.assertEqual(st, status, doc)
        return doc

    def import_build(self):
        """A small build downloaded, built and published to an fs origin.
        Returns (tar size, depot image dir, origin dir)."""
        origin = os.path.join(self.tmp, "origin")
        os.makedirs(origin)
        self.be("POST", "/be/v1/deployments",
                {"name": "cdn", "kind": "fs", "fs": {"path": origin}}, 201)
        self.be("POST", "/be/v1/apps", {"name": "game", "label": "Game",
                                        "deployments": ["cdn"]}, 201)
        tar = os.path.join(self.tmp, "b1.tar")
        size = write_tar(tar, random_files(5, 10))
        doc = self.be("POST", "/be/v1/builds", {"appName": "game", "buildName": "b1",
                                                "url": self.files.add("/b1.tar", filename=tar),
                                                "size": size}, 202)
        tasks = self.stack.wait_group(doc["group"], self.auth, 60)
        self.assertEqual({t: tasks[t]["state"] for t in tasks},
                         {"dltar": "succeeded", "mkraw": "succeeded", "deploy": "succeeded"})
        return size, os.path.join(self.stack.dir, "store", "dxf", ORG), origin

    def test_every_process_is_observable(self):
        # Work: hello tasks (some fail), deliveries (two attempts fail), a build
        self.be("POST", "/be/v1/subscriptions",
                {"name": "hooks", "types": ["hello"], "events": ["end", "error"],
                 "url": self.rx.url("/hooks")}, 201)
        self.rx.control(fail=[500, 500])
        names = [self.stack.hello("ok%d" % i, orgName=ORG) for i in range(N_OK)]
        names += [self.stack.hello("bad%d" % i, orgName=ORG, fail=True) for i in range(N_FAIL)]
        tar_size, depot, origin = self.import_build()
        states = [self.stack.wait_state(n, ("succeeded", "failed"))["state"] for n in names]
        succeeded, failed = states.count("succeeded"), states.count("failed")
        self.assertEqual((succeeded, failed), (N_OK, N_FAIL))

        def answered(status):
            return len([r for r in self.rx.received()
                        if r["path"] == "/hooks" and r["status"] == status])
        poll(lambda: answered(200) == len(names), 30, what="one delivery per hello task")

        # (1) every endpoint's text is valid exposition format
        texts = {}
        for name in ("gateway", "broker", "worker1", "notifier"):
            status, ctype, text = self.stack.metrics_text(name)
            self.assertEqual(status, 200, name)
            self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), (name, ctype))
            check = subprocess.run(["promtool", "check", "metrics"], input=text,
                                   capture_output=True, text=True, timeout=30)
            self.assertEqual(check.returncode, 0, "%s: %s%s\n%s" % (
                name, check.stdout, check.stderr, text))
            texts[name] = text
            self.assertEqual(value(text, "edge_build_info", version="0.1.0"), 1, name)
        for name in ("broker", "worker1", "notifier"):
            self.assertIsNotNone(value(texts[name], "edge_redis_reconnects_total"), name)

        # The worker's bytes are the real byte counts of what it wrote
        worker = texts["worker1"]
        self.assertEqual(value(worker, "edge_worker_bytes_downloaded_total"), tar_size)
        self.assertEqual(value(worker, "edge_worker_bytes_built_total"), tree_bytes(depot))
        self.assertEqual(value(worker, "edge_worker_bytes_published_total"),
                         tree_bytes(origin))
        self.assertGreater(tree_bytes(origin), 0)
        self.assertEqual(value(worker, "edge_worker_slots_running")
                         + value(worker, "edge_worker_slots_free"), 1)
        self.assertEqual(value(worker, "edge_worker_task_duration_seconds_count",
                               type="hello"), len(names))
        notifier = texts["notifier"]
        self.assertEqual(value(notifier, "edge_notifier_delivery_latency_seconds_count"),
                         answered(200))

        # (2) a real Prometheus scraping every process sees the same numbers
        self.prom = Prometheus({
            "gateway": "127.0.0.1:%d" % self.stack.http_port,
            "broker": "127.0.0.1:%d" % self.stack.metrics_ports["broker"],
            "worker": "127.0.0.1:%d" % self.stack.metrics_ports["worker1"],
            "notifier": "127.0.0.1:%d" % self.stack.metrics_ports["notifier"]})
        self.prom.wait_value("up", lambda v: len(v) == 4 and all(x == 1 for x in v.values()),
                             what="all four targets up")
        self.prom.wait_value('edge_worker_tasks_succeeded_total{type="hello"}',
                             lambda v: one(v) == succeeded)
        self.prom.wait_value('edge_worker_tasks_failed_total{type="hello"}',
                             lambda v: one(v) == failed)
        self.prom.wait_value('edge_worker_tasks_started_total{type="hello"}',
                             lambda v: one(v) == len(names))
        tasks = len(names) + 3             # the hello tasks, dltar, mkraw, deploy
        self.prom.wait_value("edge_broker_jobs_dispatched_total",
                             lambda v: one(v) is not None and one(v) >= tasks)
        self.prom.wait_value("edge_broker_workers", lambda v: one(v) == 1)
        self.prom.wait_value("edge_broker_jobs_queued", lambda v: one(v) == 0)

        # (3) deliveries by outcome match what the receiver answered
        self.prom.wait_value("sum by (outcome) (edge_notifier_deliveries_total)",
                             lambda v: v.get(frozenset({("outcome", "succeeded")})) == answered(200)
                             and v.get(frozenset({("outcome", "retry")})) == answered(500) == 2
                             and v.get(frozenset({("outcome", "failed")})) == 0)
        events = len(self.stack.redis.events())
        self.prom.wait_value("edge_notifier_events_consumed_total", lambda v: one(v) == events)
        self.prom.wait_value("edge_notifier_consumer_lag", lambda v: one(v) == 0)
        self.prom.wait_value("edge_notifier_retries_pending", lambda v: one(v) == 0)
        self.prom.wait_value('edge_http_requests_total{route="adm_hello",status="202"}',
                             lambda v: one(v) == len(names))

    def test_a_bad_listen_address_stops_the_process_with_exit_2(self):
        for kind in ("broker", "worker", "notifier"):
            env = dict(self.stack.env, EDGE_METRICS_LISTEN="127.0.0.1:metrics")
            out = subprocess.run([os.path.join(BIN, "edge-" + kind)], env=env,
                                 capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 2, (kind, out.stdout))
            errors = [l for l in out.stdout.splitlines() if " E " in l]
            self.assertEqual(len(errors), 1, (kind, out.stdout))
            self.assertIn("EDGE_METRICS_LISTEN", errors[0])


if __name__ == "__main__":
    unittest.main()
