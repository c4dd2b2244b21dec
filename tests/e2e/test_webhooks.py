"""End to end: webhook and Slack delivery from the notifier, checked by a
real HTTP receiver on loopback that verifies both signatures on its own."""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Stack, poll, token_headers  # noqa: E402
from receiver import Receiver  # noqa: E402
from contract import ContractError, check_webhook_body  # noqa: E402

EXCEPTION = {"httpDownloadFailed": {"url", "httpStatus", "exitCode", "sizeBytes"},
             "fileReadFailed": {"filename", "typeExpected", "typeDetected"}}


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_body(test, body):
    """The documented Webhook Request Body: the document's own schema
    (docs/openapi.yaml, WebhookRequestBody), then the documented
    sub-fields of exception and error."""
    check_webhook_body(body)
    for kind, fields in body.get("exception", {}).items():
        test.assertIn(kind, EXCEPTION)
        test.assertTrue(set(fields) <= EXCEPTION[kind])
    if "error" in body:
        dep = body["error"]["deployment"]
        test.assertTrue(set(dep) <= {"failedDeployments", "succeededDeployments"})


def check_signatures(test, request, secret, sub_name):
    """Both signatures, computed here from the secret alone."""
    key = base64.b64decode(secret[len("whsec_"):])
    raw = request["body"].encode()
    h = request["headers"]
    msg_id, stamp = h["webhook-id"], h["webhook-timestamp"]
    mac = hmac.new(key, b"%s.%s.%s" % (msg_id.encode(), stamp.encode(), raw),
                   hashlib.sha256).digest()
    test.assertIn("v1," + base64.b64encode(mac).decode(), h["webhook-signature"].split())
    header64, claims64, sig64 = h["x-rockit-subscriptions"].split(".")
    test.assertEqual(json.loads(b64url_decode(header64))["alg"], "HS256")
    expected = hmac.new(key, ("%s.%s" % (header64, claims64)).encode(), hashlib.sha256).digest()
    test.assertTrue(hmac.compare_digest(b64url_decode(sig64), expected))
    claims = json.loads(b64url_decode(claims64))
    test.assertEqual(claims["iss"], "rockit-edge")
    test.assertEqual(claims["sub"], sub_name)
    test.assertEqual(claims["jti"], msg_id)
    test.assertEqual(claims["bodySha256"], hashlib.sha256(raw).hexdigest())
    test.assertEqual(claims["exp"] - claims["iat"], 300)
    test.assertEqual(h["content-type"], "application/json")
    test.assertLessEqual(abs(int(stamp) - time.time()), 60)


class Webhooks(unittest.TestCase):
    env = {"EDGE_URL_ALLOW": "127.0.0.0/8",
           "EDGE_WEBHOOK_RETRY_SCHEDULE": "200ms,400ms,600ms",
           "EDGE_SLACK_TOKEN": "xoxb-test-token",
           "EDGE_NOTIFIER_CLAIM_IDLE_MS": "1000"}

    def setUp(self):
        self.rx = Receiver()
        env = dict(self.env, EDGE_SLACK_API_URL=self.rx.url("/slack"))
        self.stack = Stack(workers=1, env=env)
        doc = self.stack.create_org("acme")
        _, token = self.stack.auth_token("acme", doc["adminUsername"], doc["password"])
        self.auth = token_headers(token)

    def tearDown(self):
        codes = self.stack.close()
        self.rx.close()
        for name, code in codes.items():
            self.assertEqual(code, 0, "%s did not exit 0" % name)

    def subscribe(self, name, events=("submit", "begin", "end", "error"), **target):
        body = {"name": name, "types": ["hello"], "events": list(events)}
        body.update(target or {"url": self.rx.url("/hooks/" + name)})
        status, _, doc = self.stack.http("POST", "/be/v1/subscriptions", body, headers=self.auth)
        self.assertEqual(status, 201, doc)
        return doc

    def details(self, name):
        status, _, doc = self.stack.http("GET", "/be/v1/subscriptions/" + name,
                                         headers=self.auth)
        self.assertEqual(status, 200, doc)
        return doc

    def hooks(self, path):
        return [r for r in self.rx.received() if r["path"] == path]

    def test_every_event_arrives_with_the_documented_body_and_signatures(self):
        sub = self.subscribe("all")
        ok = self.stack.hello("fine", orgName="acme")
        bad = self.stack.hello("boom", orgName="acme", fail=True)
        reqs = poll(lambda: len(self.hooks("/hooks/all")) >= 6 and self.hooks("/hooks/all"),
                    20, what="six deliveries")
        seen = {}
        for r in reqs:
            self.assertEqual(r["method"], "POST")
            body = json.loads(r["body"])
            check_body(self, body)
            check_signatures(self, r, sub["secret"], "all")
            self.assertEqual(body["orgName"], "acme")
            # a hello task has no app (null, present) and no build fields
            self.assertIn("appName", body)
            self.assertIsNone(body["appName"])
            self.assertFalse({"buildName", "dxfName", "buildChanged"} & set(body), body)
            seen.setdefault(body["taskName"], []).append(body["event"])
        self.assertEqual(seen[ok], ["submit", "begin", "end"])
        self.assertEqual(seen[bad], ["submit", "begin", "error"])

    def test_the_body_check_refuses_what_the_document_does_not_say(self):
        good = {"type": "dltar", "event": "submit", "orgName": "acme", "appName": "a1",
                "buildName": "b1", "dxfName": None, "buildChanged": True,
                "taskName": "dltar_20260101000000_0123456789",
                "timestamp": "2026-01-01T00:00:00.000Z"}
        check_webhook_body(good)
        bad = [dict(good, extra=1), dict(good, type="other"), dict(good, buildChanged="yes"),
               {k: v for k, v in good.items() if k != "appName"},
               {k: v for k, v in good.items() if k != "dxfName"},
               dict(good, type="hello")]          # hello carries no build fields
        for body in bad:
            with self.subTest(body=body):
                with self.assertRaises(ContractError):
                    check_webhook_body(body)

    def test_three_failures_then_success_and_attempts_are_visible(self):
        self.subscribe("flaky", events=["end"])
        self.rx.control(fail=[500, 500, 500])
        self.stack.hello("retry me", orgName="acme")
        reqs = self.rx.wait_for(4, timeout=20, path="/hooks/flaky")
        self.assertEqual([r["status"] for r in reqs], [500, 500, 500, 200])
        self.assertEqual(len({r["headers"]["webhook-id"] for r in reqs}), 1)
        attempts = poll(lambda: len(self.details("flaky")["deliveries"]) == 4
                        and self.details("flaky")["deliveries"], 10, what="4 attempts recorded")
        outcomes = [a["outcome"] for a in reversed(attempts)]       # newest first
        self.assertEqual(outcomes, ["retry", "retry", "retry", "succeeded"])
        self.assertEqual([a["statusCode"] for a in reversed(attempts)], [500, 500, 500, 200])

    def test_retry_after_is_honoured(self):
        self.subscribe("slowdown", events=["end"])
        self.rx.control(fail=[503], retryAfter=2)
        self.stack.hello("wait", orgName="acme")
        first, second = self.rx.wait_for(2, timeout=20, path="/hooks/slowdown")[:2]
        self.assertEqual(first["status"], 503)
        # the schedule alone would retry after 200 ms
        self.assertGreaterEqual(second["at"] - first["at"], 1.9)

    def test_410_disables_the_subscription(self):
        self.subscribe("gone", events=["end"])
        self.rx.control(status410=True)
        self.stack.hello("first", orgName="acme")
        poll(lambda: self.details("gone")["state"] == "disabled", 20, what="disabled")
        self.assertIn("410", self.details("gone")["disabledReason"])
        before = len(self.hooks("/hooks/gone"))
        counts = self.stack.redis.hgetall("e:notifier:counts")
        ends = int(counts.get("hello.end", 0))
        later = self.stack.hello("second", orgName="acme")
        self.stack.wait_state(later)
        poll(lambda: int(self.stack.redis.hgetall("e:notifier:counts").get("hello.end", 0)) > ends,
             10, what="the later end event consumed")
        self.assertEqual(len(self.hooks("/hooks/gone")), before, "sent to a disabled subscription")

    def test_final_failure_is_kept_and_redeliver_resends_it(self):
        self.subscribe("later", events=["end"])
        self.rx.control(fail=[500, 500, 500, 500])
        self.stack.hello("redo", orgName="acme")
        poll(lambda: self.details("later")["failedDeliveries"] == 1, 20, what="delivery failed")
        self.assertEqual(len(self.hooks("/hooks/later")), 4)
        status, _, doc = self.stack.http("POST", "/be/v1/subscriptions/later/redeliver",
                                         headers=self.auth)
        self.assertEqual((status, doc), (200, {"redelivered": 1}))
        reqs = self.rx.wait_for(5, timeout=20, path="/hooks/later")
        self.assertEqual(reqs[-1]["status"], 200)
        self.assertEqual(reqs[-1]["headers"]["webhook-id"], reqs[0]["headers"]["webhook-id"])
        poll(lambda: self.details("later")["failedDeliveries"] == 0, 10, what="failed set emptied")

    def test_slack_message_is_posted(self):
        self.subscribe("chat", events=["end"], slackChannel="#builds")
        name = self.stack.hello("slack", orgName="acme")
        req = poll(lambda: self.hooks("/slack/chat.postMessage"), 20, what="slack post")[0]
        self.assertEqual(req["headers"]["authorization"], "Bearer xoxb-test-token")
        msg = json.loads(req["body"])
        self.assertEqual(msg["channel"], "#builds")
        self.assertIn(name, msg["text"])
        self.assertIn("end", msg["text"])

    def test_kill9_notifier_during_a_burst_loses_nothing_and_keeps_order(self):
        subs = {n: self.subscribe(n) for n in ("one", "two")}
        names = [self.stack.hello("burst%d" % i, orgName="acme") for i in range(60)]
        poll(lambda: len(self.rx.received()) >= 50, 30, what="deliveries under way")
        self.stack.procs["notifier"].kill9()
        del self.stack.procs["notifier"]
        names += [self.stack.hello("burst%d" % i, orgName="acme") for i in range(60, 167)]
        self.stack.start("notifier", "notifier2")
        for name in names:
            self.stack.wait_state(name)
        events = [e for e in self.stack.redis.events() if e.get("taskName") in set(names)]
        self.assertGreaterEqual(len(events), 500)
        wanted = {"%s-%s" % (e["id"], s) for e in events for s in subs}

        def arrived():
            got = {r["headers"].get("webhook-id") for r in self.rx.received()}
            return wanted <= got
        poll(arrived, 60, interval=0.2, what="every (event, subscription) pair")
        for sub in subs:
            first = {}
            for r in self.hooks("/hooks/" + sub):
                body = json.loads(r["body"])
                first.setdefault(body["taskName"], [])
                if body["event"] not in first[body["taskName"]]:
                    first[body["taskName"]].append(body["event"])
            for task in names:
                self.assertEqual(first[task], ["submit", "begin", "end"], (sub, task))


class UrlGuard(unittest.TestCase):
    def test_loopback_and_private_targets_are_refused_unless_allowed(self):
        rx = Receiver()
        refusing = Stack(workers=0, notifier=False)
        try:
            doc = refusing.create_org("acme")
            _, token = refusing.auth_token("acme", doc["adminUsername"], doc["password"])
            for url in (rx.url("/x"), "http://10.0.0.8/x", "http://169.254.169.254/latest",
                        "http://[::1]:9/x", "http://localhost:9/x"):
                status, _, doc = refusing.http(
                    "POST", "/be/v1/subscriptions",
                    {"name": "hook", "url": url, "types": ["hello"], "events": ["end"]},
                    headers=token_headers(token))
                self.assertEqual(status, 422, (url, doc))
                self.assertEqual(doc["error"]["code"], "url_refused")
        finally:
            refusing.close()
        allowing = Stack(workers=0, notifier=False, env={"EDGE_URL_ALLOW": "127.0.0.0/8"})
        try:
            doc = allowing.create_org("acme")
            _, token = allowing.auth_token("acme", doc["adminUsername"], doc["password"])
            status, _, doc = allowing.http(
                "POST", "/be/v1/subscriptions",
                {"name": "hook", "url": rx.url("/x"), "types": ["hello"], "events": ["end"]},
                headers=token_headers(token))
            self.assertEqual(status, 201, doc)
        finally:
            allowing.close()
            rx.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
