"""End to end: an organization's tasks (list, filters, details, acknowledge,
expire, retry through the trigger) and its subscriptions (create, list,
details, delete, redeliver), with tenant isolation."""
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import Stack, poll, token_headers  # noqa: E402


class OrgStack(unittest.TestCase):
    """One stack and two orgs (acme, zeta) shared by the tests of a class."""
    env = None

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(workers=1, env=cls.env)
        cls.auth = {}
        for org in ("acme", "zeta"):
            doc = cls.stack.create_org(org)
            _, token = cls.stack.auth_token(org, doc["adminUsername"], doc["password"])
            cls.auth[org] = token_headers(token)

    @classmethod
    def tearDownClass(cls):
        codes = cls.stack.close()
        assert all(c == 0 for c in codes.values()), codes

    def be(self, org, method, path, body=None, raw=None):
        headers = dict(self.auth[org])
        if raw is not None:
            headers["content-type"] = "application/json"
        return self.stack.http(method, path, body, headers=headers, raw=raw)

    def org_hello(self, org, message, **extra):
        return self.stack.hello(message, orgName=org, **extra)


class Tasks(OrgStack):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.stack
        # listco holds exactly these three tasks; other tests add to acme
        doc = s.create_org("listco")
        _, token = s.auth_token("listco", doc["adminUsername"], doc["password"])
        cls.auth["listco"] = token_headers(token)
        cls.ok = [s.hello("one", orgName="listco"), s.hello("two", orgName="listco")]
        cls.failed = s.hello("three", orgName="listco", fail=True)
        cls.other = s.hello("zeta", orgName="zeta")
        for name in cls.ok + [cls.other]:
            s.wait_state(name)
        s.wait_state(cls.failed, ("failed",))

    def list(self, org, query=""):
        status, _, doc = self.be(org, "GET", "/be/v1/tasks" + query)
        self.assertEqual(status, 200, doc)
        return doc

    def test_list_shows_only_the_orgs_tasks_newest_first(self):
        doc = self.list("listco")
        names = [t["name"] for t in doc["items"]]
        self.assertEqual(doc["total"], 3)
        self.assertEqual(set(names), set(self.ok + [self.failed]))
        self.assertNotIn(self.other, names)
        created = [t["created"] for t in doc["items"]]
        self.assertEqual(created, sorted(created, reverse=True))
        self.assertEqual((doc["offset"], doc["limit"]), (0, 10))
        oldest = self.list("listco", "?order[]=created")["items"]
        self.assertEqual([t["created"] for t in oldest], sorted(created))

    def test_filters_pagination_and_projection(self):
        self.assertEqual(self.list("listco", "?state=failed")["total"], 1)
        self.assertEqual(self.list("listco", "?state=failed")["items"][0]["name"], self.failed)
        self.assertEqual(self.list("listco", "?type=hello")["total"], 3)
        self.assertEqual(self.list("listco", "?type=dltar")["total"], 0)
        self.assertEqual(self.list("listco", "?appName=game")["total"], 0)
        page = self.list("listco", "?limit=2")
        self.assertEqual((page["total"], len(page["items"])), (3, 2))
        rest = self.list("listco", "?offset=2&limit=2")
        self.assertEqual(len(rest["items"]), 1)
        seen = {t["name"] for t in page["items"] + rest["items"]}
        self.assertEqual(len(seen), 3)
        slim = self.list("listco", "?fields[]=name&fields[]=state")["items"]
        self.assertTrue(all(set(t) == {"name", "state"} for t in slim), slim)
        first = self.list("listco", "?order[]=created")["items"][0]["created"]
        after = urllib.parse.quote(first)
        self.assertEqual(self.list("listco", "?createdAfter=" + after)["total"], 2)
        self.assertEqual(self.list("listco", "?createdBefore=2000-01-01T00:00:00Z")["total"], 0)

    def test_bad_list_parameters_are_400_naming_them(self):
        for query, field in (("?createdAfter=yesterday", "createdAfter"),
                             ("?limit=0", "limit"), ("?limit=1001", "limit"),
                             ("?offset=-1", "offset"), ("?colour=red", "colour"),
                             ("?fields[]=secret", "fields[]")):
            status, _, doc = self.be("listco", "GET", "/be/v1/tasks" + query)
            self.assertEqual(status, 400, query)
            self.assertEqual(doc["error"]["field"], field, (query, doc))

    def test_details_and_isolation(self):
        status, _, doc = self.be("listco", "GET", "/be/v1/tasks/" + self.failed)
        self.assertEqual(status, 200)
        self.assertEqual(doc["state"], "failed")
        self.assertEqual(doc["message"], "hello task asked to fail")
        self.assertEqual(doc["orgName"], "listco")
        status, _, doc = self.be("listco", "GET", "/be/v1/tasks/" + self.other)
        self.assertEqual(status, 404)
        status, _, doc = self.be("zeta", "GET", "/be/v1/tasks/" + self.failed)
        self.assertEqual(status, 404)
        status, _, _ = self.be("zeta", "POST", "/be/v1/trigger", {"taskName": self.failed})
        self.assertEqual(status, 404)
        status, _, _ = self.be("zeta", "PATCH", "/be/v1/tasks",
                               {"name": self.failed, "acknowledgeWarnings": True})
        self.assertEqual(status, 404)

    def test_patch_needs_exactly_one_action(self):
        for body in ({"name": self.ok[0]},
                     {"name": self.ok[0], "acknowledgeWarnings": True, "expire": True},
                     {"name": self.ok[0], "acknowledgeWarnings": False},
                     {"name": self.ok[0], "expire": True, "colour": 1}):
            status, _, doc = self.be("listco", "PATCH", "/be/v1/tasks", body)
            self.assertEqual(status, 400, (body, doc))
        status, _, doc = self.be("listco", "PATCH", "/be/v1/tasks",
                                 {"name": self.ok[0], "acknowledgeWarnings": True})
        self.assertEqual(status, 409, doc)
        self.assertIn("no warnings", doc["error"]["message"])
        status, _, doc = self.be("listco", "PATCH", "/be/v1/tasks",
                                 {"name": self.ok[0], "expire": True})
        self.assertEqual(status, 409, doc)

    def test_acknowledged_warnings_stay_visible(self):
        name = self.org_hello("acme", "warned")
        self.stack.wait_state(name)
        warnings = [{"code": "slowOrigin", "message": "origin slow", "acknowledged": False}]
        self.stack.redis("HSET", "e:task:" + name, "warnings", json.dumps(warnings))
        status, _, doc = self.be("acme", "PATCH", "/be/v1/tasks",
                                 {"name": name, "acknowledgeWarnings": True})
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["warnings"][0]["code"], "slowOrigin")
        self.assertTrue(doc["warnings"][0]["acknowledged"])

    def test_an_upload_waiting_for_its_data_expires(self):
        name = self.org_hello("acme", "upload")
        self.stack.wait_state(name)
        # an upload task waiting for the client's PUT (the build issue makes
        # them); only such a task can be expired
        self.stack.redis("HSET", "e:task:" + name, "state", "waiting")
        status, _, doc = self.be("acme", "PATCH", "/be/v1/tasks", {"name": name, "expire": True})
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc["state"], "expired")
        events = [e["event"] for e in self.stack.redis.events(name)]
        self.assertEqual(events[-1], "error")
        status, _, _ = self.be("acme", "PATCH", "/be/v1/tasks", {"name": name, "expire": True})
        self.assertEqual(status, 409)

    def test_retry_of_a_failed_task_runs_it_again(self):
        name = self.org_hello("acme", "flaky", fail=True)
        self.stack.wait_state(name, ("failed",))
        status, _, doc = self.be("acme", "POST", "/be/v1/trigger", {"taskName": name})
        self.assertEqual(status, 202, doc)
        self.assertEqual(doc["taskName"], name)
        # the cause stays: it fails again, on a fresh round of attempts
        task = self.stack.wait_state(name, ("failed",))
        self.assertEqual(task["attempts"], 1)
        events = [e["event"] for e in self.stack.redis.events(name)]
        self.assertEqual(events, ["submit", "begin", "error", "submit", "begin", "error"])
        # the cause fixed (as PATCHing a deployment will): the retry succeeds
        params = json.loads(self.stack.redis("HGET", "e:task:" + name, "params"))
        params["fail"] = False
        self.stack.redis("HSET", "e:task:" + name, "params", json.dumps(params))
        status, _, _ = self.be("acme", "POST", "/be/v1/trigger", {"taskName": name})
        self.assertEqual(status, 202)
        self.stack.wait_state(name, ("succeeded",))

    def test_trigger_refusals(self):
        status, _, doc = self.be("listco", "POST", "/be/v1/trigger", {"taskName": self.ok[0]})
        self.assertEqual(status, 409, doc)
        self.assertIn("not failed", doc["error"]["message"])
        status, _, _ = self.be("listco", "POST", "/be/v1/trigger", {"taskName": "hello_nope"})
        self.assertEqual(status, 404)
        status, _, _ = self.be("listco", "POST", "/be/v1/trigger", {})
        self.assertEqual(status, 400)
        status, _, _ = self.be("listco", "POST", "/be/v1/trigger",
                               {"taskName": self.ok[0], "appName": "game"})
        self.assertEqual(status, 400)
        status, _, doc = self.be("acme", "POST", "/be/v1/trigger", {"appName": "nogame"})
        self.assertEqual(status, 404, doc)
        # an app that exists but has no build yet (so no traces either)
        self.stack.redis("HSET", "e:{acme}:app:game", "name", "game")
        status, _, doc = self.be("acme", "POST", "/be/v1/trigger", {"appName": "game"})
        self.assertEqual(status, 409, doc)
        self.assertEqual(doc["error"]["code"], "no_build")
        # a current build without enough traces
        self.stack.redis("HSET", "e:{acme}:app:game", "iCurBuild", "1",
                         "dxfName", "dxf_0123456789abcdef")
        status, _, doc = self.be("acme", "POST", "/be/v1/trigger", {"appName": "game"})
        self.assertEqual(status, 409, doc)
        self.assertEqual(doc["error"]["code"], "not_enough_traces")
        self.stack.redis("DEL", "e:{acme}:app:game")

    def test_hello_for_an_unknown_org_is_404(self):
        status, _, doc = self.stack.http("POST", "/adm/v1/hello",
                                         {"message": "x", "maintenance": False,
                                          "orgName": "nobody"}, admin=True)
        self.assertEqual(status, 404, doc)


class Subscriptions(OrgStack):
    URL = "https://8.8.8.8/hooks/edge"      # public literal: no DNS needed

    def create(self, org, name, **extra):
        body = {"name": name, "url": self.URL, "types": ["hello", "dltar"],
                "events": ["end", "error", "end"]}
        body.update(extra)
        return self.be(org, "POST", "/be/v1/subscriptions", body)

    def test_create_shows_the_secret_once(self):
        status, _, doc = self.create("acme", "ci_hook")
        self.assertEqual(status, 201, doc)
        self.assertTrue(doc["secret"].startswith("whsec_"))
        self.assertEqual(doc["events"], ["end", "error"])      # duplicates folded
        self.assertEqual(doc["state"], "enabled")
        status, _, got = self.be("acme", "GET", "/be/v1/subscriptions/ci_hook")
        self.assertEqual(status, 200)
        self.assertNotIn("secret", got)
        self.assertEqual(got["deliveries"], [])
        self.assertEqual(got["url"], self.URL)
        status, _, listed = self.be("acme", "GET", "/be/v1/subscriptions")
        self.assertTrue(all("secret" not in s for s in listed["items"]))
        status, _, doc = self.create("acme", "ci_hook")
        self.assertEqual(status, 409)

    def test_bad_subscriptions_are_refused_and_nothing_is_stored(self):
        before = self.stack.redis.scan("e:{acme}:sub*")
        cases = [({"url": "http://127.0.0.1:9/x"}, 422, "url"),
                 ({"url": "http://10.1.2.3/x"}, 422, "url"),
                 ({"url": "ftp://8.8.8.8/x"}, 400, "url"),
                 ({"types": ["nope"]}, 400, "types"),
                 ({"types": []}, 400, "types"),
                 ({"events": ["finish"]}, 400, "events"),
                 ({"slackChannel": "#ci"}, 400, None),      # both targets
                 ({"url": None}, 400, "url")]
        for extra, status, field in cases:
            got, _, doc = self.create("acme", "bad_hook", **extra)
            self.assertEqual(got, status, (extra, doc))
            if field:
                self.assertEqual(doc["error"].get("field"), field, (extra, doc))
        got, _, doc = self.be("acme", "POST", "/be/v1/subscriptions",
                              {"name": "x", "url": self.URL, "types": ["hello"], "events": ["end"]})
        self.assertEqual(got, 400)
        self.assertEqual(self.stack.redis.scan("e:{acme}:sub*"), before)

    def test_slack_list_order_delete_and_redeliver(self):
        for name in ("b_slack", "a_slack", "c_slack"):
            body = {"name": name, "slackChannel": "#builds", "types": ["deploy"],
                    "events": ["end"]}
            status, _, doc = self.be("zeta", "POST", "/be/v1/subscriptions", body)
            self.assertEqual(status, 201, doc)
            self.assertEqual(doc["slackChannel"], "#builds")
        status, _, doc = self.be("zeta", "GET", "/be/v1/subscriptions?order[]=-name&limit=2")
        self.assertEqual([s["name"] for s in doc["items"]], ["c_slack", "b_slack"])
        self.assertEqual(doc["total"], 3)
        status, _, doc = self.be("zeta", "POST", "/be/v1/subscriptions/a_slack/redeliver")
        self.assertEqual((status, doc), (200, {"redelivered": 0}))
        status, _, _ = self.be("zeta", "DELETE", "/be/v1/subscriptions/a_slack")
        self.assertEqual(status, 204)
        status, _, _ = self.be("zeta", "GET", "/be/v1/subscriptions/a_slack")
        self.assertEqual(status, 404)
        status, _, _ = self.be("zeta", "DELETE", "/be/v1/subscriptions/a_slack")
        self.assertEqual(status, 404)
        status, _, _ = self.be("zeta", "POST", "/be/v1/subscriptions/a_slack/redeliver")
        self.assertEqual(status, 404)

    def test_another_orgs_subscription_is_404_and_untouched(self):
        status, _, _ = self.create("acme", "private_hook")
        self.assertEqual(status, 201)
        before = self.stack.redis.snapshot("e:{acme}:sub:private_hook*")
        for method, path in (("GET", "/be/v1/subscriptions/private_hook"),
                             ("DELETE", "/be/v1/subscriptions/private_hook"),
                             ("POST", "/be/v1/subscriptions/private_hook/redeliver")):
            status, _, _ = self.be("zeta", method, path)
            self.assertEqual(status, 404, (method, path))
        status, _, doc = self.be("zeta", "GET", "/be/v1/subscriptions?limit=1000")
        self.assertNotIn("private_hook", [s["name"] for s in doc["items"]])
        self.assertEqual(self.stack.redis.snapshot("e:{acme}:sub:private_hook*"), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
