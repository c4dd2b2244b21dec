"""End to end: deployments (s3 and fs: create, list with filters, details,
patch, delete refused while an app uses it; secrets write-only) and apps
(create, list, details, patch, delete), their validation (Redis unchanged on
every refusal) and tenant isolation."""
import http.client
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import Stack, check_response, token_headers  # noqa: E402

MASK = "********"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def s3_body(name, **extra):
    s3 = {"endpoint": "http://127.0.0.1:9", "region": "us-east-1",
          "bucket": "origin-bucket", "accessKeyId": "AKIAEXAMPLE",
          "secretAccessKey": SECRET}
    s3.update(extra)
    return {"name": name, "kind": "s3", "originPrefix": "edge/cdn", "s3": s3}


def fs_body(name, path="/srv/origin"):
    return {"name": name, "kind": "fs", "fs": {"path": path}}


class Case(unittest.TestCase):
    """One stack, orgs acme and zeta (loopback allowed for s3 endpoints)."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(workers=0, notifier=False,
                          env={"EDGE_URL_ALLOW": "127.0.0.0/8"})
        cls.redis = cls.stack.redis
        cls.auth = {}
        try:
            for org in ("acme", "zeta"):
                cls.auth[org] = cls.stack.org_admin_headers(org)
        except BaseException:
            cls.stack.close()
            raise

    @classmethod
    def tearDownClass(cls):
        codes = cls.stack.close()
        assert all(c == 0 for c in codes.values()), codes

    def be(self, method, path, body=None, org="acme"):
        return self.stack.http(method, path, body, headers=self.auth[org])

    def ok(self, res, status):
        st, _, doc = res
        self.assertEqual(st, status, doc)
        return doc

    def snap(self, org="acme"):
        return self.redis.snapshot("e:{%s}:*" % org)

    def refused(self, method, path, body, status, code, field=None, org="acme"):
        """The request fails with status/code/field and writes nothing."""
        before = self.snap(org)
        st, _, doc = self.be(method, path, body, org)
        self.assertEqual(st, status, doc)
        self.assertEqual(doc["error"]["code"], code, doc)
        self.assertEqual(doc["error"]["status"], status, doc)
        if field is not None:
            self.assertEqual(doc["error"].get("field"), field, doc)
        self.assertEqual(self.snap(org), before, "%s %s wrote to Redis" % (method, path))
        return doc


class Deployments(Case):
    def test_fs_create_get_list_and_delete(self):
        res = self.be("POST", "/be/v1/deployments", fs_body("dep_fs", "/srv/edge/origin"))
        doc = self.ok(res, 201)
        self.assertEqual(res[1]["location"], "/be/v1/deployments/dep_fs")
        self.assertEqual(doc["kind"], "fs")
        self.assertEqual(doc["fs"], {"path": "/srv/edge/origin"})
        self.assertIsNone(doc["s3"])
        self.assertEqual((doc["originPrefix"], doc["status"], doc["message"]), ("", "new", None))
        self.assertEqual(doc["created"], doc["updated"])
        self.assertTrue(doc["created"].endswith("Z"))
        self.assertEqual(self.ok(self.be("GET", "/be/v1/deployments/dep_fs"), 200), doc)
        names = [d["name"] for d in self.ok(self.be("GET", "/be/v1/deployments?limit=1000"),
                                            200)["items"]]
        self.assertIn("dep_fs", names)
        self.assertEqual(self.redis("ZSCORE", "e:{acme}:deployments", "dep_fs") is not None, True)
        self.ok(self.be("DELETE", "/be/v1/deployments/dep_fs"), 204)
        self.refused("GET", "/be/v1/deployments/dep_fs", None, 404, "not_found")
        self.refused("DELETE", "/be/v1/deployments/dep_fs", None, 404, "not_found")
        # the settings wait for the sweep of the org's files on that origin
        # (no worker runs in this stack), and hold the name until then
        self.assertEqual(self.redis.scan("e:{acme}:deployment:dep_fs*"),
                         ["e:{acme}:deployment:dep_fs:deleting"])
        self.assertIsNone(self.redis("ZSCORE", "e:{acme}:deployments", "dep_fs"))
        due = [m for m in self.redis("ZRANGE", "e:gc:due", "0", "-1")
               if '"deployment":"dep_fs"' in m]
        self.assertEqual(len(due), 1)
        self.assertEqual(json.loads(due[0]), {"org": "acme", "deployment": "dep_fs",
                                              "prefixes": ["dxf/acme/", "pat/acme/"]})
        self.refused("POST", "/be/v1/deployments", fs_body("dep_fs"), 409,
                     "deployment_deleting", "name")
        # what the sweep does when it is done (wk_gc, unit-tested)
        self.redis("ZREM", "e:gc:due", due[0])
        self.redis("DEL", "e:{acme}:deployment:dep_fs:deleting")
        self.ok(self.be("POST", "/be/v1/deployments", fs_body("dep_fs")), 201)
        self.ok(self.be("DELETE", "/be/v1/deployments/dep_fs"), 204)

    def test_s3_secret_is_stored_but_never_returned(self):
        doc = self.ok(self.be("POST", "/be/v1/deployments", s3_body("dep_s3")), 201)
        self.assertEqual(doc["s3"], {"endpoint": "http://127.0.0.1:9", "region": "us-east-1",
                                     "bucket": "origin-bucket", "accessKeyId": "AKIAEXAMPLE",
                                     "secretAccessKey": MASK})
        self.assertIsNone(doc["fs"])
        self.assertEqual(doc["originPrefix"], "edge/cdn")
        got = self.ok(self.be("GET", "/be/v1/deployments/dep_s3"), 200)
        listed = self.ok(self.be("GET", "/be/v1/deployments?name=dep_s3"), 200)["items"]
        for text in (repr(doc), repr(got), repr(listed)):
            self.assertNotIn(SECRET, text)
        self.assertEqual(got["s3"]["secretAccessKey"], MASK)
        self.assertEqual(self.redis("HGET", "e:{acme}:deployment:dep_s3", "secretAccessKey"),
                         SECRET)
        self.assertNotIn(SECRET, self.stack.logs()["gateway"])

    def test_names_with_brackets_are_deployment_names(self):
        doc = self.ok(self.be("POST", "/be/v1/deployments", fs_body("cdn[1]")), 201)
        self.assertEqual(doc["name"], "cdn[1]")
        self.assertEqual(self.ok(self.be("GET", "/be/v1/deployments/cdn%5B1%5D"), 200)["name"],
                         "cdn[1]")
        app = self.ok(self.be("POST", "/be/v1/apps", {"name": "bracket_app", "label": "B",
                                                      "deployments": ["cdn[1]"]}), 201)
        self.assertEqual(app["deployments"], ["cdn[1]"])
        self.ok(self.be("DELETE", "/be/v1/apps/bracket_app"), 204)
        self.ok(self.be("DELETE", "/be/v1/deployments/cdn%5B1%5D"), 204)
        # apps and other path parameters keep the plain pattern
        self.refused("GET", "/be/v1/apps/a%5B1%5D", None, 404, "not_found")
        self.refused("POST", "/be/v1/apps", {"name": "a[1]", "label": "x"}, 400,
                     "invalid_field", "name")

    def test_create_validation_writes_nothing(self):
        p = "/be/v1/deployments"
        cases = [
            ({"name": "x", "kind": "fs", "fs": {"path": "/a"}}, "invalid_field", "name"),
            ({"name": "a-b", "kind": "fs", "fs": {"path": "/a"}}, "invalid_field", "name"),
            ({"name": "v_kind", "kind": "akamai"}, "invalid_field", "kind"),
            ({"name": "v_nokind", "fs": {"path": "/a"}}, "missing_field", "kind"),
            ({"name": "v_nofs", "kind": "fs"}, "missing_field", "fs.path"),
            (fs_body("v_rel", "srv/origin"), "invalid_field", "fs.path"),
            (fs_body("v_dots", "/srv/../etc"), "invalid_field", "fs.path"),
            (fs_body("v_dots2", "/srv/.."), "invalid_field", "fs.path"),
            ({"name": "v_s3fs", "kind": "fs", "fs": {"path": "/a"}, "s3": {}},
             "invalid_field", "s3"),
            ({"name": "v_extra", "kind": "fs", "fs": {"path": "/a", "x": 1}},
             "unknown_field", "fs.x"),
            ({"name": "v_top", "kind": "fs", "fs": {"path": "/a"}, "zone": 1},
             "unknown_field", "zone"),
            ({"name": "v_type", "kind": "fs", "fs": {"path": 5}}, "invalid_field", "fs.path"),
            (dict(fs_body("v_pref"), originPrefix="../up"), "invalid_field", "originPrefix"),
            (dict(fs_body("v_pref2"), originPrefix="/abs"), "invalid_field", "originPrefix"),
            (s3_body("v_path", endpoint="http://127.0.0.1:9/origin-bucket"),
             "invalid_field", "s3.endpoint"),
            (s3_body("v_vhost", endpoint="http://origin-bucket.s3.example.com"),
             "invalid_field", "s3.endpoint"),
            (s3_body("v_creds", endpoint="http://u:p@127.0.0.1:9"), "invalid_field", "s3.endpoint"),
            (s3_body("v_ftp", endpoint="ftp://127.0.0.1:21"), "invalid_field", "s3.endpoint"),
            (s3_body("v_bucket", bucket="Bad_Bucket"), "invalid_field", "s3.bucket"),
            (s3_body("v_mask", secretAccessKey=MASK), "invalid_field", "s3.secretAccessKey"),
        ]
        for body, code, field in cases:
            with self.subTest(body=body):
                self.refused("POST", p, body, 400, code, field)
        body = s3_body("v_nosecret")
        del body["s3"]["secretAccessKey"]
        self.refused("POST", p, body, 400, "missing_field", "s3.secretAccessKey")
        for endpoint in ("http://10.1.2.3:9000", "http://169.254.169.254", "https://[::1]:9000"):
            with self.subTest(endpoint=endpoint):
                self.refused("POST", p, s3_body("v_guard", endpoint=endpoint), 422,
                             "url_refused", "s3.endpoint")

    def test_s3_endpoint_as_the_vendor_documents_it(self):
        """A bare host[:port] (meaning https) or an http(s) URL; the value
        is stored and returned as sent; the URL guard judges the address."""
        for name, endpoint in (("ep_bare", "127.0.0.1:9000"), ("ep_slash", "127.0.0.2:9000/"),
                               ("ep_https", "https://127.0.0.1:9443"),
                               ("ep_http", "http://127.0.0.1:9000")):
            with self.subTest(endpoint=endpoint):
                doc = self.ok(self.be("POST", "/be/v1/deployments",
                                      s3_body(name, endpoint=endpoint)), 201)
                self.assertEqual(doc["s3"]["endpoint"], endpoint)
                got = self.ok(self.be("GET", "/be/v1/deployments/" + name), 200)
                self.assertEqual(got["s3"]["endpoint"], endpoint)
                self.assertEqual(self.redis("HGET", "e:{acme}:deployment:" + name, "endpoint"),
                                 endpoint)
        self.ok(self.be("PATCH", "/be/v1/deployments",
                        {"name": "ep_http", "s3": {"endpoint": "127.0.0.3"}}), 200)
        for endpoint in ("10.1.2.3:9000", "169.254.169.254"):
            with self.subTest(endpoint=endpoint):
                self.refused("POST", "/be/v1/deployments", s3_body("ep_guard", endpoint=endpoint),
                             422, "url_refused", "s3.endpoint")
        for endpoint in ("127.0.0.1:9000/origin-bucket", "u:p@127.0.0.1:9000", "",
                         "origin-bucket.s3.example.com", "127.0.0.1:9000?x=1"):
            with self.subTest(endpoint=endpoint):
                self.refused("POST", "/be/v1/deployments", s3_body("ep_bad", endpoint=endpoint),
                             400, "invalid_field", "s3.endpoint")

    def test_duplicate_is_409(self):
        self.ok(self.be("POST", "/be/v1/deployments", fs_body("dep_dup")), 201)
        self.refused("POST", "/be/v1/deployments", s3_body("dep_dup"), 409, "conflict", "name")

    def test_list_filters_order_and_projection(self):
        for name in ("flt_alpha", "flt_beta", "flt_gamma"):
            self.ok(self.be("POST", "/be/v1/deployments", fs_body(name)), 201)
        self.redis("HSET", "e:{acme}:deployment:flt_beta", "status", "error",
                   "message", "publish failed: 403")
        doc = self.ok(self.be("GET", "/be/v1/deployments?name=FLT_&order[]=-name"), 200)
        self.assertEqual([d["name"] for d in doc["items"]], ["flt_gamma", "flt_beta", "flt_alpha"])
        self.assertEqual(doc["total"], 3)
        doc = self.ok(self.be("GET", "/be/v1/deployments?name=flt&error=true"), 200)
        self.assertEqual([(d["name"], d["status"], d["message"]) for d in doc["items"]],
                         [("flt_beta", "error", "publish failed: 403")])
        doc = self.ok(self.be("GET", "/be/v1/deployments?name=flt&error=false&limit=1&offset=1"
                              "&fields[]=name&fields[]=status"), 200)
        self.assertEqual((doc["total"], doc["offset"], doc["limit"]), (2, 1, 1))
        self.assertEqual(doc["items"], [{"name": "flt_gamma", "status": "new"}])
        got = self.ok(self.be("GET", "/be/v1/deployments/flt_beta?fields[]=status"), 200)
        self.assertEqual(got, {"status": "error"})
        self.refused("GET", "/be/v1/deployments?error=maybe", None, 400, "invalid_field", "error")
        self.refused("GET", "/be/v1/deployments?color=red", None, 400, "unknown_field")
        self.refused("GET", "/be/v1/deployments?fields[]=secret", None, 400, "invalid_field")

    def test_patch_changes_given_fields_only(self):
        self.ok(self.be("POST", "/be/v1/deployments", s3_body("dep_patch")), 201)
        key = "e:{acme}:deployment:dep_patch"
        doc = self.ok(self.be("PATCH", "/be/v1/deployments",
                              {"name": "dep_patch", "s3": {"secretAccessKey": "new-secret"}}), 200)
        self.assertEqual(doc["s3"]["secretAccessKey"], MASK)
        self.assertEqual(doc["s3"]["accessKeyId"], "AKIAEXAMPLE")
        self.assertEqual(doc["originPrefix"], "edge/cdn")
        self.assertEqual(self.redis("HGET", key, "secretAccessKey"), "new-secret")
        # the mask sent back keeps the stored secret; null clears originPrefix
        doc = self.ok(self.be("PATCH", "/be/v1/deployments",
                              {"name": "dep_patch", "originPrefix": None,
                               "s3": {"secretAccessKey": MASK, "region": "eu-west-1"}}), 200)
        self.assertEqual((doc["originPrefix"], doc["s3"]["region"]), ("", "eu-west-1"))
        self.assertEqual(self.redis("HGET", key, "secretAccessKey"), "new-secret")
        self.assertGreaterEqual(doc["updated"], doc["created"])
        # refusals leave the record alone
        self.refused("PATCH", "/be/v1/deployments",
                     {"name": "dep_patch", "s3": {"endpoint": "http://10.0.0.7"}},
                     422, "url_refused", "s3.endpoint")
        self.refused("PATCH", "/be/v1/deployments", {"name": "dep_patch", "fs": {"path": "/x"}},
                     400, "invalid_field", "fs")
        self.refused("PATCH", "/be/v1/deployments", {"name": "dep_patch", "kind": "fs"},
                     400, "missing_field", "fs.path")
        self.refused("PATCH", "/be/v1/deployments", {"name": "dep_patch", "s3": {"region": None}},
                     400, "invalid_field", "s3.region")
        self.refused("PATCH", "/be/v1/deployments", {"name": "dep_nope", "originPrefix": "x"},
                     404, "not_found")
        self.refused("PATCH", "/be/v1/deployments", {"originPrefix": "x"}, 400, "missing_field",
                     "name")
        # a kind change drops the other kind's settings
        doc = self.ok(self.be("PATCH", "/be/v1/deployments",
                              {"name": "dep_patch", "kind": "fs", "fs": {"path": "/srv/o"}}), 200)
        self.assertEqual((doc["kind"], doc["fs"], doc["s3"]), ("fs", {"path": "/srv/o"}, None))
        stored = self.redis.hgetall(key)
        self.assertNotIn("secretAccessKey", stored)
        self.assertNotIn("endpoint", stored)

    def test_delete_refused_while_an_app_uses_it(self):
        self.ok(self.be("POST", "/be/v1/deployments", fs_body("dep_used")), 201)
        self.ok(self.be("POST", "/be/v1/deployments", fs_body("dep_other")), 201)
        self.ok(self.be("POST", "/be/v1/apps", {"name": "user_app", "label": "U",
                                                "deployments": ["dep_used"]}), 201)
        doc = self.refused("DELETE", "/be/v1/deployments/dep_used", None, 409,
                           "deployment_in_use")
        self.assertIn("user_app", doc["error"]["message"])
        # re-registering moves the app; then the old deployment can go
        self.ok(self.be("PATCH", "/be/v1/apps", {"name": "user_app",
                                                 "deployments": ["dep_other"]}), 200)
        self.ok(self.be("DELETE", "/be/v1/deployments/dep_used"), 204)
        self.refused("DELETE", "/be/v1/deployments/dep_other", None, 409, "deployment_in_use")
        self.ok(self.be("DELETE", "/be/v1/apps/user_app"), 204)
        self.ok(self.be("DELETE", "/be/v1/deployments/dep_other"), 204)


class Apps(Case):
    def test_create_has_the_documented_shape(self):
        self.ok(self.be("POST", "/be/v1/deployments", fs_body("app_dep")), 201)
        res = self.be("POST", "/be/v1/apps", {"name": "shape_app", "label": "Shape",
                                              "deployments": ["app_dep", "app_dep"]})
        doc = self.ok(res, 201)
        self.assertEqual(res[1]["location"], "/be/v1/apps/shape_app")
        expected = {"name": "shape_app", "label": "Shape", "maxBuilds": 5,
                    "deployments": ["app_dep"], "iCurBuild": 0, "dxfName": None,
                    "builds": [], "patches": [], "processing": False, "exporting": False,
                    "locked": False, "error": None, "sizeBytes": 0}
        self.assertEqual({k: doc[k] for k in expected}, expected)
        self.assertEqual(set(doc), set(expected) | {"created", "updated"})
        self.assertEqual(self.ok(self.be("GET", "/be/v1/apps/shape_app"), 200), doc)
        self.assertEqual(self.redis("SMEMBERS", "e:{acme}:deployment:app_dep:apps"), ["shape_app"])
        # the trigger sees the app (same key): 409 no traces, not 404
        st, _, err = self.be("POST", "/be/v1/trigger", {"appName": "shape_app"})
        self.assertNotEqual(st, 404, err)

    def test_a_deleted_name_is_free_only_once_its_files_are_swept(self):
        self.ok(self.be("POST", "/be/v1/apps", {"name": "gone_app", "label": "x"}), 201)
        self.ok(self.be("DELETE", "/be/v1/apps/gone_app"), 204)
        due = self.redis("ZRANGE", "e:gc:due", "0", "-1")
        entry = [m for m in due if '"app":"gone_app"' in m]
        self.assertEqual(len(entry), 1, due)
        self.assertEqual(self.redis("GET", "e:{acme}:app:gone_app:deleting"), entry[0])
        # no worker runs in this stack, so the sweep has not happened yet
        self.refused("POST", "/be/v1/apps", {"name": "gone_app", "label": "y"},
                     409, "app_deleting", "name")
        # what the sweep does when the entry is done (wk_gc, unit-tested)
        self.redis("ZREM", "e:gc:due", entry[0])
        self.redis("DEL", "e:{acme}:app:gone_app:deleting")
        self.ok(self.be("POST", "/be/v1/apps", {"name": "gone_app", "label": "y"}), 201)
        self.ok(self.be("DELETE", "/be/v1/apps/gone_app"), 204)

    def test_delete_expires_the_pending_uploads(self):
        self.ok(self.be("POST", "/be/v1/apps", {"name": "up_app", "label": "U"}), 201)
        doc = self.ok(self.be("POST", "/be/v1/builds", {"appName": "up_app",
                                                        "buildName": "b1"}), 202)
        task, task_key = doc["taskName"], "e:task:" + doc["taskName"]
        # a download import (no worker runs here: it stays queued) is not touched
        dl = self.ok(self.be("POST", "/be/v1/builds", {"appName": "up_app", "buildName": "b2",
                                                       "url": "http://127.0.0.1:9/b2.tar"}),
                     202)["taskName"]
        dl_state = self.redis("HGET", "e:task:" + dl, "state")
        self.assertNotEqual(dl_state, "waiting")
        upload_key = self.redis("HGET", task_key, "uploadKey")
        self.assertEqual(self.redis("HGET", task_key, "state"), "waiting")
        self.assertEqual(self.redis("HGET", upload_key, "state"), "open")
        self.assertIsNotNone(self.redis("ZSCORE", "e:uploads:due", task))
        self.ok(self.be("DELETE", "/be/v1/apps/up_app"), 204)

        url = urllib.parse.urlsplit(doc["uploadUrl"])
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            conn.request("PUT", url.path, body=b"x" * 1024,
                         headers={"content-type": "application/x-tar"})
            resp = conn.getresponse()
            status, body = resp.status, resp.read()
            check_response("PUT", url.path, status, dict(resp.getheaders()), body)
        finally:
            conn.close()
        self.assertEqual(status, 410, body)
        self.assertEqual(json.loads(body)["error"]["code"], "upload_expired")
        # the task record outlives the app (org-checked, not app-checked)
        rec = self.ok(self.be("GET", "/be/v1/tasks/" + task), 200)
        self.assertEqual((rec["state"], rec["message"]), ("expired", "app deleted"))
        self.assertTrue(rec["finished"].endswith("Z"), rec)
        self.assertEqual(self.redis("HGET", upload_key, "state"), "expired")
        self.assertIsNone(self.redis("ZSCORE", "e:uploads:due", task))
        events = self.redis.events(task)
        self.assertEqual([e["event"] for e in events], ["submit", "error"])
        self.assertEqual((events[-1]["message"], events[-1]["appName"],
                          events[-1]["buildName"], events[-1]["orgName"]),
                         ("app deleted", "up_app", "b1", "acme"))
        self.assertEqual(self.redis("HGET", "e:task:" + dl, "state"), dl_state)
        self.assertEqual([e["event"] for e in self.redis.events(dl)
                          if e["event"] == "error"], [])
        # nothing was written under the app's builds/ prefix after the delete
        self.assertFalse(os.path.exists(os.path.join(self.stack.dir, "store", "builds",
                                                     "acme", "up_app")))

    def test_create_validation_writes_nothing(self):
        p = "/be/v1/apps"
        cases = [
            ({"name": "v_app", "label": "x", "maxBuilds": 0}, 400, "invalid_field", "maxBuilds"),
            ({"name": "v_app", "label": "x", "maxBuilds": 101}, 400, "invalid_field", "maxBuilds"),
            ({"name": "v_app", "label": "x", "maxBuilds": "5"}, 400, "invalid_field", "maxBuilds"),
            ({"name": "v_app"}, 400, "missing_field", "label"),
            ({"name": "v_app", "label": ""}, 400, "invalid_field", "label"),
            ({"name": "v_app", "label": "x", "deployments": "d1"}, 400, "invalid_field",
             "deployments"),
            ({"name": "v_app", "label": "x", "deployments": ["a b"]}, 400, "invalid_field",
             "deployments"),
            ({"name": "v_app", "label": "x", "owner": "me"}, 400, "unknown_field", "owner"),
            ({"name": "v_app", "label": "x", "deployments": ["no_such_dep"]}, 422,
             "unknown_deployment", "deployments"),
        ]
        for body, status, code, field in cases:
            with self.subTest(body=body):
                self.refused("POST", p, body, status, code, field)
        self.ok(self.be("POST", p, {"name": "dup_app", "label": "x", "maxBuilds": 100}), 201)
        self.refused("POST", p, {"name": "dup_app", "label": "y"}, 409, "conflict", "name")

    def test_list_pagination_and_fields(self):
        for i in range(3):
            self.ok(self.be("POST", "/be/v1/apps", {"name": "lst_%d" % i, "label": "L%d" % i,
                                                    "maxBuilds": i + 1}), 201)
        doc = self.ok(self.be("GET", "/be/v1/apps?limit=1000&fields[]=name&fields[]=maxBuilds"),
                      200)
        mine = [a for a in doc["items"] if a["name"].startswith("lst_")]
        self.assertEqual(mine, [{"name": "lst_%d" % i, "maxBuilds": i + 1} for i in range(3)])
        page = self.ok(self.be("GET", "/be/v1/apps?offset=1&limit=1&fields[]=name"), 200)
        self.assertEqual((page["offset"], page["limit"], len(page["items"])), (1, 1, 1))
        self.assertEqual(page["total"], doc["total"])
        fields = "name,label,iCurBuild,maxBuilds,processing,exporting,sizeBytes,created,updated"
        one = self.ok(self.be("GET", "/be/v1/apps/lst_0?fields[]=" + fields), 200)
        self.assertEqual(set(one), set(fields.split(",")))
        self.refused("GET", "/be/v1/apps?fields[]=secret", None, 400, "invalid_field")
        self.refused("GET", "/be/v1/apps?limit=0", None, 400, "invalid_field", "limit")
        self.refused("GET", "/be/v1/apps/nope_app", None, 404, "not_found")

    def test_patch_changes_fields_and_clears_the_lock(self):
        self.ok(self.be("POST", "/be/v1/deployments", fs_body("pd_one")), 201)
        self.ok(self.be("POST", "/be/v1/deployments", fs_body("pd_two")), 201)
        self.ok(self.be("POST", "/be/v1/apps", {"name": "patch_app", "label": "P",
                                                "deployments": ["pd_one"]}), 201)
        key = "e:{acme}:app:patch_app"
        self.redis("HSET", key, "locked", "1", "error",
                   '{"deployment":{"failedDeployments":["pd_one"],"succeededDeployments":[]}}')
        locked = self.ok(self.be("GET", "/be/v1/apps/patch_app"), 200)
        self.assertTrue(locked["locked"])
        self.assertEqual(locked["error"]["deployment"]["failedDeployments"], ["pd_one"])
        self.refused("PATCH", "/be/v1/apps", {"name": "patch_app", "deployments": ["pd_gone"]},
                     422, "unknown_deployment", "deployments")
        self.refused("PATCH", "/be/v1/apps", {"name": "patch_app", "maxBuilds": 0}, 400,
                     "invalid_field", "maxBuilds")
        self.refused("PATCH", "/be/v1/apps", {"name": "patch_app", "label": None}, 400,
                     "invalid_field", "label")
        self.refused("PATCH", "/be/v1/apps", {"name": "nope_app"}, 404, "not_found")
        doc = self.ok(self.be("PATCH", "/be/v1/apps", {"name": "patch_app", "label": "Renamed",
                                                       "maxBuilds": 9,
                                                       "deployments": ["pd_two"]}), 200)
        self.assertEqual((doc["label"], doc["maxBuilds"], doc["deployments"]),
                         ("Renamed", 9, ["pd_two"]))
        self.assertEqual((doc["locked"], doc["error"]), (False, None))
        self.assertEqual(self.redis("SMEMBERS", "e:{acme}:deployment:pd_one:apps"), [])
        self.assertEqual(self.redis("SMEMBERS", "e:{acme}:deployment:pd_two:apps"), ["patch_app"])
        doc = self.ok(self.be("PATCH", "/be/v1/apps", {"name": "patch_app",
                                                       "deployments": None}), 200)
        self.assertEqual((doc["deployments"], doc["label"]), ([], "Renamed"))
        self.assertEqual(self.redis("SMEMBERS", "e:{acme}:deployment:pd_two:apps"), [])
        # delete deregisters and removes the record
        self.ok(self.be("PATCH", "/be/v1/apps", {"name": "patch_app",
                                                 "deployments": ["pd_one"]}), 200)
        self.ok(self.be("DELETE", "/be/v1/apps/patch_app"), 204)
        self.assertEqual(self.redis("SMEMBERS", "e:{acme}:deployment:pd_one:apps"), [])
        # only the marker that holds the name until the files are swept
        self.assertEqual(self.redis.scan("e:{acme}:app:patch_app*"),
                         ["e:{acme}:app:patch_app:deleting"])
        self.assertIsNone(self.redis("ZSCORE", "e:{acme}:apps", "patch_app"))
        self.refused("DELETE", "/be/v1/apps/patch_app", None, 404, "not_found")


class Isolation(Case):
    def test_other_orgs_objects_are_not_found(self):
        self.ok(self.be("POST", "/be/v1/deployments", s3_body("iso_dep")), 201)
        self.ok(self.be("POST", "/be/v1/apps", {"name": "iso_app", "label": "I",
                                                "deployments": ["iso_dep"]}), 201)
        z = "zeta"
        self.refused("GET", "/be/v1/deployments/iso_dep", None, 404, "not_found", org=z)
        self.refused("GET", "/be/v1/apps/iso_app", None, 404, "not_found", org=z)
        self.refused("PATCH", "/be/v1/deployments", {"name": "iso_dep", "originPrefix": "x"},
                     404, "not_found", org=z)
        self.refused("PATCH", "/be/v1/apps", {"name": "iso_app", "label": "x"}, 404,
                     "not_found", org=z)
        self.refused("POST", "/be/v1/apps", {"name": "z_app", "label": "z",
                                             "deployments": ["iso_dep"]},
                     422, "unknown_deployment", org=z)
        before = self.snap("acme")
        self.refused("DELETE", "/be/v1/deployments/iso_dep", None, 404, "not_found", org=z)
        self.refused("DELETE", "/be/v1/apps/iso_app", None, 404, "not_found", org=z)
        self.assertEqual(self.snap("acme"), before)
        for path in ("/be/v1/deployments", "/be/v1/apps"):
            doc = self.ok(self.be("GET", path, org=z), 200)
            self.assertEqual((doc["total"], doc["items"]), (0, []))
        # zeta may use the same names for its own objects
        self.ok(self.be("POST", "/be/v1/deployments", fs_body("iso_dep"), org=z), 201)
        self.ok(self.be("POST", "/be/v1/apps", {"name": "iso_app", "label": "Z",
                                                "deployments": ["iso_dep"]}, org=z), 201)
        self.assertEqual(self.ok(self.be("GET", "/be/v1/deployments/iso_dep"), 200)["kind"], "s3")


if __name__ == "__main__":
    unittest.main(verbosity=2)
