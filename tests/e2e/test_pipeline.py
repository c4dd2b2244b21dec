"""End to end: a hello task through gateway -> broker -> worker -> notifier,
with workers, brokers and notifiers killed along the way."""
import concurrent.futures
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Resp, Stack, poll  # noqa: E402


class StackTest(unittest.TestCase):
    workers = 1
    env = None

    def setUp(self):
        self.stack = Stack(workers=self.workers, env=self.env)

    def tearDown(self):
        codes = self.stack.close()
        for name, code in codes.items():
            self.assertEqual(code, 0, "%s did not exit 0 on SIGTERM" % name)

    def notifier_saw(self, task, events):
        """True when the notifier logged every event of events for task."""
        out = "".join(v for k, v in self.stack.logs().items() if k.startswith("notifier"))
        return all(re.search(r"event hello/%s task=%s " % (e, task), out) for e in events)


class HelloLifecycle(StackTest):
    def test_hello_goes_queued_running_succeeded_and_events_reach_notifier(self):
        name = self.stack.hello("lifecycle", sleepMs=300)
        seen = set()

        def finished():
            t = self.stack.task(name)
            seen.add(t["state"])
            return t if t["state"] == "succeeded" else None
        task = poll(finished, 20, what="hello to succeed")
        self.assertIn("running", seen)
        self.assertEqual(task["type"], "hello")
        self.assertEqual(task["attempts"], 1)
        self.assertEqual(task["result"]["reply"], "Hello, lifecycle")
        self.assertTrue(task["created"] <= task["started"] <= task["finished"])
        events = [e["event"] for e in self.stack.redis.events(name)]
        self.assertEqual(events, ["submit", "begin", "end"])
        poll(lambda: self.notifier_saw(name, ["submit", "begin", "end"]), 10,
             what="notifier to log the three events")
        info = self.stack.redis("XPENDING", "e:events", "notifiers")
        poll(lambda: self.stack.redis("XPENDING", "e:events", "notifiers")[0] == 0, 10,
             what="no pending events")
        del info

    def test_failing_hello_ends_failed_with_error_event(self):
        name = self.stack.hello("boom", fail=True)
        task = self.stack.wait_state(name, ("failed",))
        self.assertEqual(task["message"], "hello task asked to fail")
        self.assertEqual([e["event"] for e in self.stack.redis.events(name)],
                         ["submit", "begin", "error"])
        poll(lambda: self.notifier_saw(name, ["submit", "begin", "error"]), 10,
             what="notifier to log submit/begin/error")
        counts = self.stack.redis.hgetall("e:notifier:counts")
        self.assertGreaterEqual(int(counts.get("hello.error", 0)), 1)

    def test_unknown_task_is_404_json(self):
        status, _, doc = self.stack.http("GET", "/adm/v1/tasks/hello_nope_0", admin=True)
        self.assertEqual(status, 404)
        self.assertEqual(doc["error"]["status"], 404)


class WorkerCrash(StackTest):
    env = {"EDGE_LEASE_MS": "1000"}

    def test_kill9_worker_mid_task_then_new_worker_finishes_it_once(self):
        name = self.stack.hello("crash", sleepMs=4000)
        running = self.stack.wait_state(name, ("running",), 15)
        self.assertEqual(running["worker"], "worker1")
        self.stack.procs["worker1"].kill9()
        del self.stack.procs["worker1"]
        self.stack.start_worker()          # worker2
        task = self.stack.wait_state(name, ("succeeded",), 30)
        self.assertEqual(task["attempts"], 2)
        self.assertEqual(task["result"]["worker"], "worker2")
        events = [e["event"] for e in self.stack.redis.events(name)]
        self.assertEqual(events.count("end"), 1)
        self.assertEqual(events.count("begin"), 2)


class BrokerRestart(StackTest):
    workers = 2

    def test_broker_killed_and_restarted_while_submitting(self):
        names = [self.stack.hello("before%d" % i) for i in range(10)]
        self.stack.procs["broker"].kill9()
        names += [self.stack.hello("during%d" % i) for i in range(10)]
        self.stack.start("broker")
        names += [self.stack.hello("after%d" % i) for i in range(10)]
        for name in names:
            task = self.stack.wait_state(name, ("succeeded",), 40)
            self.assertEqual(task["attempts"], 1)


class Burst(StackTest):
    workers = 3

    def test_thousand_tasks_three_workers_all_succeed_none_twice(self):
        n = 1000
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            names = list(pool.map(lambda i: self.stack.hello("burst%d" % i), range(n)))
        self.assertEqual(len(set(names)), n)
        r = self.stack.redis
        poll(lambda: int(r.hgetall("e:notifier:counts").get("hello.end", 0)) >= n, 120,
             interval=0.2, what="1000 end events consumed by the notifier")
        ends = {}
        for e in r.events():
            if e["event"] == "end":
                ends[e["taskName"]] = ends.get(e["taskName"], 0) + 1
        self.assertEqual(set(ends), set(names))
        self.assertTrue(all(c == 1 for c in ends.values()), "a task ended twice")
        workers = set()
        for name in names:
            rec = r.hgetall("e:task:" + name)
            self.assertEqual(rec["state"], "succeeded")
            self.assertEqual(rec["attempts"], "1")
            workers.add(json.loads(rec["result"])["worker"])
        self.assertEqual(len(workers), 3, "all three workers took work")


class HttpErrors(StackTest):
    def error(self, status, doc, code=None):
        self.assertIn("error", doc)
        self.assertEqual(doc["error"]["status"], status)
        self.assertTrue(doc["error"]["message"])
        if code:
            self.assertEqual(doc["error"]["code"], code)

    def test_missing_and_bad_admin_tokens_are_401(self):
        body = {"message": "x", "maintenance": False}
        status, _, doc = self.stack.http("POST", "/adm/v1/hello", body)
        self.assertEqual(status, 401)
        self.error(401, doc)
        bad = self.stack.token[:-2] + ("AA" if not self.stack.token.endswith("AA") else "BB")
        for token in (bad, "garbage", "a.b.c"):
            status, _, doc = self.stack.http("POST", "/adm/v1/hello", body,
                                             headers={"x-rockit-admin-token": token})
            self.assertEqual(status, 401, token)
            self.error(401, doc)
        status, _, doc = self.stack.http("POST", "/adm/v1/ping")
        self.assertEqual(status, 401)

    def test_malformed_json_is_400_with_error_body(self):
        status, _, doc = self.stack.http("POST", "/adm/v1/hello", raw=b'{"message": "x",',
                                         headers={"content-type": "application/json"},
                                         admin=True)
        self.assertEqual(status, 400)
        self.error(400, doc, "malformed_json")

    def test_wrong_types_unknown_and_missing_fields_name_the_field(self):
        cases = [({"message": 5, "maintenance": False}, "message"),
                 ({"message": "x"}, "maintenance"),
                 ({"message": "x", "maintenance": "no"}, "maintenance"),
                 ({"message": "x", "maintenance": False, "extra": 1}, "extra"),
                 ({"message": "x", "maintenance": False, "sleepMs": -1}, "sleepMs"),
                 ({"message": "", "maintenance": False}, "message"),
                 ({"message": "x" * 5000, "maintenance": False}, "message")]
        for body, field in cases:
            status, _, doc = self.stack.http("POST", "/adm/v1/hello", body, admin=True)
            self.assertEqual(status, 400, body)
            self.error(400, doc)
            self.assertEqual(doc["error"].get("field"), field, body)
        self.assertEqual(self.stack.redis("KEYS", "e:task:*"), [], "nothing stored")

    def test_oversized_body_is_413(self):
        big = b'{"message":"' + b"x" * (2 * 1024 * 1024) + b'","maintenance":false}'
        status, _, doc = self.stack.http("POST", "/adm/v1/hello", raw=big,
                                         headers={"content-type": "application/json"},
                                         admin=True)
        self.assertEqual(status, 413)
        self.error(413, doc)

    def test_unsupported_content_type_is_415(self):
        status, _, doc = self.stack.http("POST", "/adm/v1/hello", raw=b"message=x",
                                         headers={"content-type": "text/plain"}, admin=True)
        self.assertEqual(status, 415)
        self.error(415, doc)

    def test_unknown_route_404_and_wrong_method_405(self):
        status, _, doc = self.stack.http("GET", "/adm/v1/nothing-here", admin=True)
        self.assertEqual(status, 404)
        self.error(404, doc)
        status, headers, doc = self.stack.http("DELETE", "/adm/v1/hello", admin=True)
        self.assertEqual(status, 405)
        self.error(405, doc)
        self.assertIn("POST", headers.get("allow", ""))

    def test_request_id_is_echoed_or_generated(self):
        _, headers, _ = self.stack.http("GET", "/healthz", headers={"x-request-id": "abc-123"})
        self.assertEqual(headers["x-request-id"], "abc-123")
        _, headers, _ = self.stack.http("GET", "/healthz")
        self.assertRegex(headers["x-request-id"], r"^[0-9a-f]{16,}$")


class Operations(StackTest):
    def test_ping_readyz_metrics_openapi_versions(self):
        status, _, doc = self.stack.http("POST", "/adm/v1/ping", admin=True)
        self.assertEqual(status, 200)
        self.assertTrue(doc["pong"])
        poll(lambda: self.stack.http("GET", "/readyz")[0] == 200, 10, what="readyz")
        poll(lambda: len(self.stack.http("GET", "/srv/v1/versions")[2]["workers"]) == 1,
             10, what="versions to list the worker")
        status, _, doc = self.stack.http("GET", "/srv/v1/versions")
        self.assertEqual(doc["workers"][0]["id"], "worker1")
        self.assertEqual(doc["edge"], doc["components"]["gateway"])
        self.assertEqual(doc["components"]["broker"], doc["edge"])
        self.stack.hello("metrics")

        # a request is counted once its answer is sent: poll for it
        def counted():
            status, _, text = self.stack.http("GET", "/metrics")
            self.assertEqual(status, 200)
            text = text.decode()
            return text if re.search(r'edge_http_requests_total\{[^}]*status="202"[^}]*\} 1',
                                     text) else None
        text = poll(counted, 10, what="the 202 counted in /metrics")
        self.assertIn("edge_http_request_duration_seconds_bucket", text)
        status, headers, text = self.stack.http("GET", "/openapi.yaml")
        self.assertEqual(status, 200)
        self.assertIn(b"openapi: 3.1", text)
        self.assertIn(b"/adm/v1/hello:", text)

    def test_readyz_is_503_when_broker_is_down(self):
        self.stack.procs["broker"].kill9()
        del self.stack.procs["broker"]
        status, _, doc = self.stack.http("GET", "/readyz")
        self.assertEqual(status, 503)
        self.assertEqual(doc["error"]["status"], 503)

    def test_redis_restart_is_survived(self):
        first = self.stack.hello("before")
        self.stack.wait_state(first)
        self.stack.redis.close()
        self.stack.redis_proc.kill9()
        status, _, _ = self.stack.http("POST", "/adm/v1/ping", admin=True)
        self.assertEqual(status, 503)
        self.stack.start_redis()
        self.stack.redis = Resp(self.stack.redis_port)
        # every process reconnects on its own: a new task goes all the way
        name = poll(lambda: self.try_hello(), 20, what="hello accepted after redis restart")
        self.stack.wait_state(name, ("succeeded",), 30)

    def try_hello(self):
        status, _, doc = self.stack.http("POST", "/adm/v1/hello",
                                         {"message": "after", "maintenance": True}, admin=True)
        return doc["taskName"] if status == 202 else None


class NotifierRecovery(StackTest):
    def test_entries_left_pending_by_a_dead_notifier_are_claimed(self):
        r = self.stack.redis
        self.stack.procs["notifier"].stop()
        del self.stack.procs["notifier"]
        names = [self.stack.hello("orphan%d" % i) for i in range(5)]
        for name in names:
            self.stack.wait_state(name)
        # a notifier that read the entries and died before acknowledging them
        r("XGROUP", "CREATECONSUMER", "e:events", "notifiers", "ghost")
        taken = r("XREADGROUP", "GROUP", "notifiers", "ghost", "COUNT", "1000",
                  "STREAMS", "e:events", ">")
        self.assertTrue(taken and taken[0][1], "ghost took entries")
        self.assertGreaterEqual(r("XPENDING", "e:events", "notifiers")[0], 15)
        self.stack.start("notifier", "notifier2")
        poll(lambda: r("XPENDING", "e:events", "notifiers")[0] == 0, 20,
             what="pending entries claimed and acknowledged")
        counts = r.hgetall("e:notifier:counts")
        self.assertGreaterEqual(int(counts["hello.end"]), 5)
        for name in names:
            self.assertTrue(self.notifier_saw(name, ["submit", "begin", "end"]))


class Config(unittest.TestCase):
    def test_bad_configuration_exits_2_with_one_clear_line_each(self):
        import subprocess
        from harness import BIN
        cases = [("broker", {"EDGE_HEARTBEAT_MS": "soon"}, "EDGE_HEARTBEAT_MS"),
                 ("gateway", {"EDGE_REDIS_URL": "http://x", "EDGE_ADMIN_SECRET": "c2VjcmV0LXNlY3JldC1zZWNyZXQ="},
                  "EDGE_REDIS_URL"),
                 ("gateway", {}, "EDGE_ADMIN_SECRET"),
                 ("worker", {"EDGE_WORKER_CAPACITY": "0"}, "EDGE_WORKER_CAPACITY"),
                 ("notifier", {"EDGE_LOG_LEVEL": "loud"}, "EDGE_LOG_LEVEL")]
        for kind, env, var in cases:
            e = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
            e.update(env)
            out = subprocess.run([os.path.join(BIN, "edge-" + kind)], env=e,
                                 capture_output=True, text=True, timeout=10)
            self.assertEqual(out.returncode, 2, (kind, out.stdout, out.stderr))
            lines = [l for l in (out.stdout + out.stderr).splitlines() if var in l]
            self.assertEqual(len(lines), 1, (kind, out.stdout))
            self.assertNotIn("c2VjcmV0", out.stdout, "secret echoed")


if __name__ == "__main__":
    unittest.main(verbosity=2)
