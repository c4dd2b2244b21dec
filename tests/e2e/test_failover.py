"""End to end: the stack on Redis Sentinel (a master, a replica, three
sentinels; every process has EDGE_REDIS_URL=redis-sentinel://...). An
accepted write is on the replica before its answer leaves the gateway; a
replica that stops acknowledging turns answers to writes into 503
not_replicated (and nothing is promised that could be lost); a SIGKILLed
master is replaced by the sentinels, every process follows, and nothing
accepted before the failover is lost. Prints the longest 503 window."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Resp, Stack, free_port, poll  # noqa: E402


class Failover(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(workers=1, sentinel=True,
                          env={"EDGE_REDIS_TIMEOUT_MS": "500",
                               "EDGE_REDIS_REPLICA_WAIT_MS": "500"})

    @classmethod
    def tearDownClass(cls):
        codes = cls.stack.close()
        assert all(c == 0 for c in codes.values()), codes

    def hello(self, **extra):
        body = {"message": "failover", "maintenance": False}
        body.update(extra)
        return self.stack.http("POST", "/adm/v1/hello", body, admin=True)

    def test_1_an_accepted_task_is_on_the_replica_before_the_answer(self):
        replica = Resp(self.stack.replica_port)
        for _ in range(20):
            status, _, doc = self.hello()
            self.assertEqual(status, 202, doc)
            # no poll: the record must be there when the 202 arrives
            self.assertEqual(replica("HGET", "e:task:" + doc["taskName"], "type"), "hello")
        replica.close()

    def test_2_a_silent_replica_makes_writes_503_not_replicated(self):
        replica = self.stack.replica_proc.popen
        replica.send_signal(signal.SIGSTOP)
        try:
            status, headers, doc = self.hello()
            self.assertEqual(status, 503, doc)
            self.assertEqual(doc["error"]["code"], "not_replicated", doc)
            self.assertEqual(headers.get("retry-after"), "1")
            # reads do not wait
            self.assertEqual(self.stack.http("GET", "/readyz")[0], 200)
        finally:
            replica.send_signal(signal.SIGCONT)
        status, _, doc = poll(lambda: (lambda r: r if r[0] == 202 else None)(self.hello()),
                              20, what="a 202 once the replica answers again")
        self.assertEqual(status, 202, doc)

    def test_0_no_reachable_sentinel_is_503_and_a_log_line_never_a_crash(self):
        s, port = self.stack, free_port()
        url = "redis-sentinel://127.0.0.1:%d,127.0.0.1:%d/%s/0" % (free_port(), free_port(),
                                                                   s.MASTER)
        proc = s.start("gateway", "lonely", {"EDGE_REDIS_URL": url,
                                             "EDGE_HTTP_LISTEN": "127.0.0.1:%d" % port})

        def answers():
            self.assertTrue(proc.alive(), proc.output()[-2000:])
            try:
                return s.http("GET", "/readyz", port=port)
            except OSError:
                return None
        status, _, doc = poll(answers, 20, what="the gateway's /readyz")
        self.assertEqual(status, 503, doc)
        self.assertEqual(doc["redis"], "unavailable")
        status, _, doc = s.http("POST", "/adm/v1/ping", admin=True, port=port)
        self.assertEqual(status, 503, doc)
        lines = [line for line in proc.output().splitlines()
                 if "cannot connect to master " + s.MASTER in line]
        self.assertTrue(lines and all("sentinel 127.0.0.1:" in line for line in lines), lines)
        self.assertEqual(proc.stop(), 0)
        del s.procs["lonely"]

    def test_3_a_killed_master_is_replaced_and_nothing_accepted_is_lost(self):
        s = self.stack
        before = [self.hello()[2]["taskName"] for _ in range(5)]
        for name in before:
            s.wait_state(name, timeout=30)
        self.assertEqual(s.master_port(), s.redis_port)
        s.redis_proc.kill9()
        killed = time.monotonic()
        window = {"first_503": None, "last_503": None}

        def accepted():
            try:
                status, _, doc = self.hello()
            except OSError:
                status, doc = None, None
            now = time.monotonic()
            if status == 202:
                return doc["taskName"]
            self.assertIn(status, (503, None), doc)
            window["first_503"] = window["first_503"] or now
            window["last_503"] = now
            return None
        after = poll(accepted, 60, interval=0.05, what="a 202 after the failover")
        recovered = time.monotonic() - killed
        self.assertEqual(s.master_port(), s.replica_port)
        # every task accepted before the kill is still there, and the worker
        # (following the failover too) runs the new one
        for name in before:
            self.assertEqual(s.task(name)["state"], "succeeded")
        s.wait_state(after, timeout=60)
        print("failover: writes answered again %.2f s after SIGKILL of the master; "
              "503 window %.2f s" % (recovered, (window["last_503"] - window["first_503"])
                                     if window["first_503"] else 0.0))


if __name__ == "__main__":
    unittest.main(verbosity=2)
