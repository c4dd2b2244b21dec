"""End to end, issue 3 (identity): organizations, login/auth/logout, users,
machine users and API keys, roles and permissions, tenant isolation, expiry
and revocation, bad input. Written from docs/architecture.md §6,
over HTTP against the real processes, with Redis inspected to prove what was
(and was not) written."""
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import re
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import (Stack, check_response, free_port, key_headers, poll,  # noqa: E402
                     token_headers)

OPENAPI = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "..", "..", "docs", "openapi.yaml")
MAXIMA = {"apps": 15, "beUsers": 15, "bundles": 15, "consumption": 2,
          "dependencies": 15, "deployments": 15, "keys": 15, "roles": 15,
          "sources": 15, "subscriptions": 15, "tasks": 31, "trainings": 6}
LETTERS = {1: "C", 2: "R", 4: "U", 8: "D", 16: "X"}
RFC3339_MS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"
TOKEN_RE = r"^[A-Za-z0-9_-]{43}=?$"          # 32 random bytes, base64url
BAD_NAMES = ["a", "a" * 51, "a-b", "\u00e9", ""]
PASSWORD = "correct-horse-battery-1"

# The identity routes of issue 3 and the (resource, bit) the contract gives
# them: the document must carry exactly these (and may add more routes).
IDENTITY_ROUTES = {
    ("GET", "/be/v1/users"): ("beUsers", 2),
    ("GET", "/be/v1/users/{username}"): ("beUsers", 2),
    ("POST", "/be/v1/users"): ("beUsers", 1),
    ("PATCH", "/be/v1/users"): ("beUsers", 4),
    ("DELETE", "/be/v1/users/{username}"): ("beUsers", 8),
    ("GET", "/be/v1/roles"): ("roles", 2),
    ("GET", "/be/v1/roles/{roleName}"): ("roles", 2),
    ("POST", "/be/v1/roles"): ("roles", 1),
    ("PATCH", "/be/v1/roles"): ("roles", 4),
    ("DELETE", "/be/v1/roles/{roleName}"): ("roles", 8),
    ("POST", "/be/v1/apikeys"): ("keys", 1),
    ("DELETE", "/be/v1/apikeys"): ("keys", 8),
}
SUCCESS = {"GET": 200, "POST": 201, "PATCH": 200, "DELETE": 204}
UNPERMISSIONED = {("POST", "/be/v1/login"), ("POST", "/be/v1/auth"),
                  ("POST", "/be/v1/logout"), ("POST", "/be/v1/orgs"),
                  ("DELETE", "/be/v1/orgs/{orgName}")}


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def perms(**grants):
    """A full permissions object: every resource, 0 unless granted."""
    out = {r: 0 for r in MAXIMA}
    out.update(grants)
    return out


# -- the route table, from docs/openapi.yaml ----------------------------------
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _parse_permission(value, following):
    """x-rockit-permission value: 'none' -> None; flow or block mapping ->
    (resource, bit). following: the lines after the key (block form)."""
    value = value.strip().strip("'\"")
    if value == "none":
        return None
    fields = {}
    if value.startswith("{") and value.endswith("}"):
        for part in value[1:-1].split(","):
            if ":" in part:
                k, v = part.split(":", 1)
                fields[k.strip().strip("'\"")] = v.strip().strip("'\"")
    elif value == "":
        for line in following:
            m = re.match(r"^ {8}(\w+):\s*(.*?)\s*$", line)
            if not m:
                break
            fields[m.group(1)] = m.group(2).strip("'\"")
    if "resource" not in fields or "bit" not in fields:
        raise ValueError("x-rockit-permission %r: need 'none' or {resource, bit}" % value)
    return fields["resource"], int(fields["bit"])


def read_permission_table(path=OPENAPI):
    """[(METHOD, path, (resource, bit) | None | 'missing')] for every /be/v1
    operation of the document, with a tiny line-based parser: paths at 2
    spaces, methods at 4, the extension at 6."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    ops, in_paths, cur_path, cur = [], False, None, None
    for n, line in enumerate(lines):
        if re.match(r"^\S", line):
            in_paths = line.rstrip() == "paths:"
            cur_path = cur = None
            continue
        if not in_paths:
            continue
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            cur_path, cur = m.group(1), None
            continue
        m = re.match(r"^    ([a-z]+):\s*$", line)
        if m:
            cur = None
            if cur_path and cur_path.startswith("/be/v1/") and m.group(1) in _METHODS:
                cur = [m.group(1).upper(), cur_path, "missing"]
                ops.append(cur)
            continue
        m = re.match(r"^      x-rockit-permission:(.*)$", line)
        if m and cur is not None:
            cur[2] = _parse_permission(m.group(1), lines[n + 1:])
    return [tuple(op) for op in ops]


# -- base -----------------------------------------------------------------------
class IdentityCase(unittest.TestCase):
    """One Stack per class (tests of a class use their own names)."""
    env = None
    workers = 0
    notifier = False

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(workers=cls.workers, notifier=cls.notifier, env=cls.env)
        cls.redis = cls.stack.redis

    @classmethod
    def tearDownClass(cls):
        codes = cls.stack.close()
        bad = {n: c for n, c in codes.items() if c != 0}
        if bad:
            raise AssertionError("processes did not exit 0 on SIGTERM: %r" % bad)

    # HTTP
    def call(self, method, path, body=None, cred=None, headers=None, raw=None):
        h = dict(cred or {})
        h.update(headers or {})
        if raw is not None:
            h.setdefault("content-type", "application/json")
        return self.stack.http(method, path, body, headers=h, raw=raw)

    def ok(self, res, status):
        st, _, doc = res
        self.assertEqual(st, status, doc)
        return doc

    def assertError(self, res, status, code=None, field=None, message=None):
        st, headers, doc = res
        self.assertEqual(st, status, doc)
        self.assertIsInstance(doc, dict, "error body is JSON: %r" % (doc,))
        err = doc.get("error")
        self.assertIsInstance(err, dict, doc)
        self.assertEqual(err.get("status"), status, doc)
        self.assertTrue(err.get("code"), doc)
        self.assertTrue(err.get("message"), doc)
        if code is not None:
            self.assertEqual(err["code"], code, doc)
        if field is not None:
            self.assertEqual(err.get("field"), field, doc)
        if message is not None:
            self.assertEqual(err["message"], message, doc)
        return err

    def assertForbidden(self, res, resource, bit):
        err = self.assertError(
            res, 403, "forbidden",
            message="permission %s (%d) on '%s' is required" % (LETTERS[bit], bit, resource))
        self.assertEqual(err.get("resource"), resource, err)
        self.assertEqual(err.get("bit"), bit, err)

    # fixtures
    def org(self, name, email="owner@example.com"):
        """New org; returns (create document, admin auth headers)."""
        doc = self.stack.create_org(name, email)
        _, token = self.stack.auth_token(name, doc["adminUsername"], doc["password"])
        return doc, token_headers(token)

    def role(self, cred, name, permissions, label=None):
        body = {"name": name, "permissions": permissions}
        if label is not None:
            body["label"] = label
        return self.ok(self.call("POST", "/be/v1/roles", body, cred), 201)

    def machine(self, org, cred, username, roles, label="a machine"):
        """New machine user; returns (user document, its API-key headers)."""
        doc = self.ok(self.call("POST", "/be/v1/users",
                                {"username": username, "label": label, "roles": roles,
                                 "machine": True}, cred), 201)
        return doc, key_headers(org, username, doc["apiKey"])

    def person(self, cred, username, roles, password=PASSWORD, **extra):
        body = {"username": username, "email": username + "@example.com",
                "firstname": "First", "surname": "Last", "roles": roles,
                "password": password}
        body.update(extra)
        return self.ok(self.call("POST", "/be/v1/users", body, cred), 201)

    def snap(self, org):
        return self.redis.snapshot("e:{%s}:*" % org)

    def assertUnchanged(self, before, org, what):
        after = self.snap(org)
        if after != before:
            added = sorted(set(after) - set(before))
            removed = sorted(set(before) - set(after))
            changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
            self.fail("%s wrote to Redis: added %s removed %s changed %s"
                      % (what, added, removed,
                         {k: (before[k], after[k]) for k in changed}))


# -- 1. the documented flow ----------------------------------------------------------
class DocumentedFlow(IdentityCase):
    def test_admin_creates_org_login_auth_machine_user_calls_with_its_key(self):
        s, r = self.stack, self.redis
        st, _, org = s.http("POST", "/adm/v1/orgs",
                            {"orgName": "flow_org", "email": "ops@example.com"}, admin=True)
        self.assertEqual(st, 201, org)
        self.assertEqual(org["orgName"], "flow_org")
        self.assertEqual(org["email"], "ops@example.com")
        self.assertEqual(org["adminUsername"], "adminPrincipal")
        self.assertEqual(len(org["password"]), 24)
        self.assertRegex(org["created"], RFC3339_MS)
        password = org["password"]

        # what the org creation wrote
        self.assertIsNotNone(r("ZSCORE", "e:orgs", "flow_org"))
        info = r.hgetall("e:{flow_org}:info")
        self.assertEqual(info.get("name"), "flow_org")
        self.assertEqual(info.get("email"), "ops@example.com")
        self.assertEqual(info.get("adminUsername"), "adminPrincipal")
        self.assertRegex(info.get("created", ""), RFC3339_MS)
        self.assertRegex(info.get("updated", ""), RFC3339_MS)
        admins = r.hgetall("e:{flow_org}:role:Administrators")
        self.assertEqual(json.loads(admins["permissions"]), MAXIMA)
        self.assertIsNotNone(r("ZSCORE", "e:{flow_org}:roles", "Administrators"))
        user = r.hgetall("e:{flow_org}:user:adminPrincipal")
        self.assertTrue(user["pwhash"].startswith("$argon2id$"), user)
        self.assertEqual(user["machine"], "0")
        self.assertEqual(json.loads(user["roles"]), ["Administrators"])
        self.assertEqual(user["email"], "ops@example.com")
        self.assertEqual(user["firstname"], "Admin")
        self.assertEqual(user["surname"], "flow_org")
        self.assertIsNotNone(r("ZSCORE", "e:{flow_org}:users", "adminPrincipal"))

        # login: session token and every maximum for the admin
        st, _, login = s.login("flow_org", "adminPrincipal", password)
        self.assertEqual(st, 200, login)
        self.assertEqual(login["permissions"], MAXIMA)
        self.assertEqual(login["expiresIn"], 86400)
        session = login["sessionToken"]
        self.assertRegex(session, TOKEN_RE)
        rec = r.hgetall("e:tok:" + sha256(session))
        self.assertEqual((rec.get("kind"), rec.get("org"), rec.get("username")),
                         ("session", "flow_org", "adminPrincipal"), rec)
        self.assertTrue(0 < r("PTTL", "e:tok:" + sha256(session)) <= 86400 * 1000)
        self.assertEqual(r("SISMEMBER", "e:{flow_org}:user:adminPrincipal:tokens",
                           sha256(session)), 1)
        self.assertEqual(r("SISMEMBER", "e:{flow_org}:tokens", sha256(session)), 1)

        # auth: session -> auth token
        st, _, auth = s.http("POST", "/be/v1/auth",
                             headers={"x-rockit-besession-token": session})
        self.assertEqual(st, 200, auth)
        self.assertEqual(auth["expiresIn"], 300)
        token = auth["authToken"]
        self.assertRegex(token, TOKEN_RE)
        rec = r.hgetall("e:tok:" + sha256(token))
        self.assertEqual((rec.get("kind"), rec.get("org"), rec.get("username"),
                          rec.get("session")),
                         ("auth", "flow_org", "adminPrincipal", sha256(session)), rec)
        self.assertTrue(0 < r("PTTL", "e:tok:" + sha256(token)) <= 300 * 1000)
        tok = token_headers(token)
        bearer = {"Authorization": "Bearer " + token}
        self.ok(self.call("GET", "/be/v1/users", cred={"X-Rockit-BeAuth-Token": token}), 200)
        # an auth token does not mint auth tokens
        self.assertError(self.call("POST", "/be/v1/auth",
                                   headers={"x-rockit-besession-token": token}), 401)
        self.assertError(self.call("POST", "/be/v1/auth"), 401, "unauthorized")
        # a session token is not an auth token
        self.assertError(self.call("GET", "/be/v1/users",
                                   cred=token_headers(session)), 401, "unauthorized")
        self.assertError(self.call("GET", "/be/v1/users",
                                   cred={"Authorization": "Bearer " + session}),
                         401, "unauthorized")

        # a role, then a machine user with it (Bearer alias)
        role = self.ok(self.call("POST", "/be/v1/roles",
                                 {"name": "ci_pipeline", "label": "CI",
                                  "permissions": {"beUsers": 2, "keys": 1}}, tok), 201)
        self.assertEqual(role["name"], "ci_pipeline")
        self.assertEqual(role["label"], "CI")
        self.assertEqual(role["permissions"], perms(beUsers=2, keys=1))
        self.assertRegex(role["created"], RFC3339_MS)
        self.assertRegex(role["updated"], RFC3339_MS)
        bot = self.ok(self.call("POST", "/be/v1/users",
                                {"username": "ci_bot", "label": "CI bot",
                                 "roles": ["ci_pipeline"], "machine": True}, bearer), 201)
        self.assertEqual(bot["username"], "ci_bot")
        self.assertIs(bot["machine"], True)
        self.assertEqual(bot["roles"], ["ci_pipeline"])
        self.assertEqual(bot["label"], "CI bot")
        key_id, api_key = bot["keyId"], bot["apiKey"]
        self.assertTrue(api_key.startswith(key_id + "."), bot)
        secret = api_key[len(key_id) + 1:]
        self.assertTrue(len(secret) >= 16, bot)
        self.assertEqual(bot["keys"], [key_id])
        self.assertNotIn("pwhash", bot)
        self.assertNotIn("password", bot)
        krec = r.hgetall("e:{flow_org}:key:" + key_id)
        self.assertEqual(krec.get("username"), "ci_bot")
        self.assertEqual(krec.get("keyId"), key_id)
        self.assertEqual(krec.get("sha256"), sha256(secret))
        self.assertEqual(r("SISMEMBER", "e:{flow_org}:user:ci_bot:keys", key_id), 1)
        self.assertIsNotNone(r("ZSCORE", "e:{flow_org}:keys", key_id))
        urec = r.hgetall("e:{flow_org}:user:ci_bot")
        self.assertEqual(urec.get("machine"), "1")
        self.assertNotIn("pwhash", urec)

        # the machine user calls with its API key
        kh = key_headers("flow_org", "ci_bot", api_key)
        users = self.ok(self.call("GET", "/be/v1/users", cred=kh), 200)
        names = {u["username"] for u in users["items"]}
        self.assertEqual(names, {"adminPrincipal", "ci_bot"})
        for u in users["items"]:
            self.assertNotIn("pwhash", u)
        got = self.ok(self.call("GET", "/be/v1/users/ci_bot", cred=kh), 200)
        self.assertEqual(got["keys"], [key_id])
        self.assertEqual(got["roles"], ["ci_pipeline"])
        admin = self.ok(self.call("GET", "/be/v1/users/adminPrincipal", cred=kh), 200)
        self.assertIs(admin["machine"], False)
        self.assertEqual(admin["roles"], ["Administrators"])
        self.assertIsNone(admin.get("title"))
        for field in ("username", "email", "firstname", "surname", "title", "label",
                      "roles", "machine", "created", "updated"):
            self.assertIn(field, admin)
        self.assertForbidden(self.call("GET", "/be/v1/roles", cred=kh), "roles", 2)
        newkey = self.ok(self.call("POST", "/be/v1/apikeys", cred=kh), 201)
        self.assertEqual(newkey["username"], "ci_bot")
        self.assertTrue(newkey["apiKey"].startswith(newkey["keyId"] + "."))
        self.assertForbidden(self.call("DELETE", "/be/v1/apikeys",
                                       {"username": "ci_bot", "keyId": key_id}, kh),
                             "keys", 8)
        self.ok(self.call("GET", "/be/v1/users", cred=key_headers(
            "flow_org", "ci_bot", newkey["apiKey"])), 200)

        # no secret is stored or logged in clear
        secrets = [password, session, token, secret,
                   newkey["apiKey"][len(newkey["keyId"]) + 1:]]
        everything = json.dumps(r.snapshot("*"))
        logs = "".join(s.logs().values())
        for value in secrets:
            self.assertNotIn(value, everything, "a secret is stored in clear")
            self.assertNotIn(value, logs, "a secret is logged")

    def test_every_login_failure_answers_the_same_401(self):
        doc, cred = self.org("flow_fail")
        self.machine("flow_fail", cred, "fail_bot", ["Administrators"])
        cases = [("flow_fail", "adminPrincipal", "wrong-password-123"),
                 ("flow_fail", "no_such_user", doc["password"]),
                 ("no_such_org", "adminPrincipal", doc["password"]),
                 ("flow_fail", "fail_bot", doc["password"])]
        messages, fastest = set(), []
        for org, user, password in cases:
            times = []
            for _ in range(2):
                t = time.monotonic()
                res = self.stack.login(org, user, password)
                times.append(time.monotonic() - t)
                err = self.assertError(res, 401, "unauthorized")
                messages.add(err["message"])
            fastest.append(min(times))
        self.assertEqual(len(messages), 1, messages)
        self.assertIn("invalid credentials", messages.pop())
        # names that are not names never reach a Redis key
        for org, user in (("flow_fail", "adminPrincipal:tokens"), ("flow_fail}", "x"),
                          ("flow_fail", "*"), ("*", "adminPrincipal"), ("", ""),
                          ("flow_fail", "a" * 5000)):
            with self.subTest(org=org, user=user[:20]):
                st, _, body = self.stack.login(org, user, doc["password"])
                self.assertIn(st, (400, 401), body)
                self.assertError((st, None, body), st)
        # the password hash is verified in every case (a dummy one for unknown users)
        for (org, user, _), t in zip(cases, fastest):
            self.assertGreater(t, 0.3 * fastest[0], "login %s/%s answers too fast (%.4fs vs "
                               "%.4fs): no argon2 verification?" % (org, user, t, fastest[0]))

    def test_bad_credentials_are_401_and_never_echo_the_secret(self):
        _, cred = self.org("flow_cred")
        bot, kh = self.machine("flow_cred", cred, "cred_bot", ["Administrators"])
        key_id, api_key = bot["keyId"], bot["apiKey"]
        secret = api_key[len(key_id) + 1:]
        self.machine("flow_cred", cred, "cred_other", ["Administrators"])
        wrong_secret = key_id + "." + ("A" * len(secret))
        cases = {
            "nothing": {},
            "org+user only": {"x-rockit-orgname": "flow_cred", "x-rockit-username": "cred_bot"},
            "key only": {"x-rockit-api-key": api_key},
            "unknown token": token_headers("A" * 43),
            "empty token": token_headers(""),
            "unknown bearer": {"Authorization": "Bearer " + "B" * 43},
            "wrong secret": key_headers("flow_cred", "cred_bot", wrong_secret),
            "unknown key id": key_headers("flow_cred", "cred_bot", "nokey." + secret),
            "no dot": key_headers("flow_cred", "cred_bot", secret),
            "key of another user": key_headers("flow_cred", "cred_other", api_key),
            "key in another org": key_headers("flow_fail_x", "cred_bot", api_key),
            "bad org name": key_headers("a-b", "cred_bot", api_key),
            "long token": token_headers("A" * 4000),
            "long key": key_headers("flow_cred", "cred_bot", key_id + "." + "A" * 4000),
            "long username": key_headers("flow_cred", "u" * 300, api_key),
            "bearer without token": {"Authorization": "Bearer "},
            "basic auth": {"Authorization": "Basic YTpi"},
            "user names a set": key_headers("flow_cred", "cred_bot:keys", api_key),
            "glob org": key_headers("flow_*", "cred_bot", api_key),
            "brace org": key_headers("flow_cred}", "cred_bot", api_key),
        }
        for what, headers in cases.items():
            with self.subTest(what):
                err = self.assertError(self.call("GET", "/be/v1/users", cred=headers),
                                       401, "unauthorized")
                self.assertNotIn(secret, json.dumps(err))
        self.assertNotIn(secret, "".join(self.stack.logs().values()))
        self.ok(self.call("GET", "/be/v1/users", cred=kh), 200)

    def test_backend_org_creation_is_forbidden_without_an_operator_org(self):
        _, cred = self.org("flow_op")
        res = self.call("POST", "/be/v1/orgs", {"orgName": "flow_child", "email": "c@example.com"},
                        cred)
        self.assertError(res, 403, "forbidden",
                         message="creating organizations through the backend API is "
                                 "reserved to the operator organization")
        self.assertEqual(self.redis("ZSCORE", "e:orgs", "flow_child"), None)
        self.assertEqual(self.redis.scan("e:{flow_child}:*"), [])


# -- 2. permission matrix, generated from docs/openapi.yaml --------------------------
class PermissionMatrix(IdentityCase):
    ORG = "matrix_org"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            doc = cls.stack.create_org(cls.ORG)
            _, token = cls.stack.auth_token(cls.ORG, "adminPrincipal", doc["password"])
        except BaseException:
            cls.stack.close()
            raise
        cls.admin = token_headers(token)

    def backend_ops(self):
        try:
            return read_permission_table()
        except (OSError, ValueError) as e:
            self.fail("cannot read the route table from %s: %s" % (OPENAPI, e))

    def test_openapi_documents_a_permission_for_every_backend_operation(self):
        ops = self.backend_ops()
        with_perm = [op for op in ops if isinstance(op[2], tuple)]
        self.assertTrue(with_perm, "docs/openapi.yaml lists no /be/v1 operation with "
                                   "x-rockit-permission: {resource, bit}")
        missing = [(m, p) for m, p, perm in ops if perm == "missing"]
        self.assertEqual(missing, [], "/be/v1 operations without x-rockit-permission")
        table = {(m, p): perm for m, p, perm in ops}
        for route, perm in IDENTITY_ROUTES.items():
            self.assertEqual(table.get(route, "absent"), perm, route)
        for route in UNPERMISSIONED:
            self.assertIsNone(table.get(route, "absent"), route)
        for m, p, perm in with_perm:
            resource, bit = perm
            self.assertIn(resource, MAXIMA, (m, p))
            self.assertIn(bit, LETTERS, (m, p))
            self.assertTrue(MAXIMA[resource] & bit, "%s %s: bit %d not in %s's maximum"
                            % (m, p, bit, resource))

    def test_each_documented_bit_is_required_and_every_maximum_is_enough(self):
        ops = [op for op in self.backend_ops() if isinstance(op[2], tuple)]
        self.assertTrue(ops, "no /be/v1 operation with a permission: the matrix is empty")
        org, admin = self.ORG, self.admin
        self.role(admin, "m_full", dict(MAXIMA))
        _, full = self.machine(org, admin, "m_fullbot", ["m_full"])
        for i, (method, path, (resource, bit)) in enumerate(ops):
            with self.subTest(route="%s %s" % (method, path), resource=resource, bit=bit):
                self.check_route(i, method, path, resource, bit, full)

    def check_route(self, i, method, path, resource, bit, full):
        org, admin = self.ORG, self.admin
        lacking = dict(MAXIMA)
        lacking[resource] = MAXIMA[resource] & ~bit
        self.role(admin, "m_lack_%d" % i, lacking)
        _, lack = self.machine(org, admin, "m_lackbot_%d" % i, ["m_lack_%d" % i])
        # targets: a user (with a key), an unused role
        target, _ = self.machine(org, admin, "m_user_%d" % i, ["m_full"])
        self.role(admin, "m_role_%d" % i, {"apps": 2})
        params = {"username": "m_user_%d" % i, "roleName": "m_role_%d" % i, "orgName": org}
        url = re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), "m_absent"), path)
        body = self.body_for(method, path, i, target["keyId"])

        before = self.snap(org)
        self.assertForbidden(self.call(method, url, body, lack), resource, bit)
        self.assertUnchanged(before, org, "a 403 on %s %s" % (method, url))
        st, _, doc = self.call(method, url, body, full)
        self.assertNotIn(st, (401, 403), doc)
        if (method, path) in IDENTITY_ROUTES:
            self.assertEqual(st, SUCCESS[method], doc)

    @staticmethod
    def body_for(method, path, i, key_id):
        bodies = {
            ("POST", "/be/v1/users"): {"username": "m_new_%d" % i, "label": "new",
                                       "roles": ["m_full"], "machine": True},
            # another user than the caller: self-service does not apply
            ("PATCH", "/be/v1/users"): {"username": "m_user_%d" % i, "label": "patched"},
            ("POST", "/be/v1/roles"): {"name": "m_newrole_%d" % i,
                                       "permissions": {"apps": 2}},
            ("PATCH", "/be/v1/roles"): {"name": "m_role_%d" % i, "label": "patched"},
            ("POST", "/be/v1/apikeys"): {"username": "m_user_%d" % i},
            ("DELETE", "/be/v1/apikeys"): {"username": "m_user_%d" % i, "keyId": key_id},
        }
        if (method, path) in bodies:
            return bodies[(method, path)]
        return None if method in ("GET", "DELETE", "HEAD") else {}

    def test_rights_follow_role_changes_at_once(self):
        org, admin = self.ORG, self.admin
        self.role(admin, "live_role", {"beUsers": 2})
        self.role(admin, "live_other", {"roles": 2})
        _, kh = self.machine(org, admin, "live_bot", ["live_role"])
        self.ok(self.call("GET", "/be/v1/users", cred=kh), 200)
        self.ok(self.call("PATCH", "/be/v1/roles", {"name": "live_role",
                                                    "permissions": {"beUsers": 0}}, admin), 200)
        self.assertForbidden(self.call("GET", "/be/v1/users", cred=kh), "beUsers", 2)
        self.ok(self.call("PATCH", "/be/v1/users", {"username": "live_bot",
                                                    "roles": ["live_other"]}, admin), 200)
        self.ok(self.call("GET", "/be/v1/roles", cred=kh), 200)
        self.assertForbidden(self.call("GET", "/be/v1/users", cred=kh), "beUsers", 2)

    def test_rights_are_the_or_of_roles_and_vanished_roles_count_zero(self):
        org, admin = self.ORG, self.admin
        self.role(admin, "or_read_users", {"beUsers": 2})
        self.role(admin, "or_roles", {"roles": 15})
        self.person(admin, "or_person", ["or_read_users", "or_roles"])
        login = self.ok(self.stack.login(org, "or_person", PASSWORD), 200)
        self.assertEqual(login["permissions"], perms(beUsers=2, roles=15))
        auth = self.ok(self.call("POST", "/be/v1/auth", headers={
            "x-rockit-besession-token": login["sessionToken"]}), 200)
        tok = token_headers(auth["authToken"])
        self.ok(self.call("GET", "/be/v1/users", cred=tok), 200)
        self.ok(self.call("GET", "/be/v1/roles", cred=tok), 200)
        self.assertForbidden(self.call("POST", "/be/v1/users",
                                       {"username": "or_x", "label": "x", "roles": ["or_roles"],
                                        "machine": True}, tok), "beUsers", 1)
        self.assertForbidden(self.call("POST", "/be/v1/apikeys", {"username": "or_person"},
                                       tok), "keys", 1)
        # a role that no longer exists (removed behind the API's back) grants nothing
        self.redis("UNLINK", "e:{%s}:role:or_roles" % org)
        self.redis("ZREM", "e:{%s}:roles" % org, "or_roles")
        self.assertForbidden(self.call("GET", "/be/v1/roles", cred=tok), "roles", 2)
        self.ok(self.call("GET", "/be/v1/users", cred=tok), 200)


# -- 3. tenant isolation -----------------------------------------------------------
class Isolation(IdentityCase):
    def setup_org(self, org, alice_password):
        _, admin = self.org(org)
        self.role(admin, "Editors", {"beUsers": 15, "roles": 15, "keys": 15})
        bot, kh = self.machine(org, admin, "bot", ["Editors"])
        self.person(admin, "alice", ["Editors"], password=alice_password)
        return admin, bot, kh

    def test_another_orgs_objects_are_404_and_untouched(self):
        a_admin, a_bot, a_key = self.setup_org("iso_a", "alice-in-org-a-1")
        b_admin, b_bot, b_key = self.setup_org("iso_b", "alice-in-org-b-1")
        self.role(b_admin, "onlyB_role", {"apps": 2})
        onlyb, _ = self.machine("iso_b", b_admin, "onlyB_bot", ["Editors"])
        before_b = self.snap("iso_b")

        for cred_name, cred in (("A admin token", a_admin), ("A bot key", a_key)):
            calls = [
                ("GET", "/be/v1/users/onlyB_bot", None),
                ("GET", "/be/v1/roles/onlyB_role", None),
                ("PATCH", "/be/v1/users", {"username": "onlyB_bot", "label": "taken"}),
                ("PATCH", "/be/v1/roles", {"name": "onlyB_role", "label": "taken"}),
                ("POST", "/be/v1/apikeys", {"username": "onlyB_bot"}),
                ("DELETE", "/be/v1/apikeys", {"username": "onlyB_bot",
                                              "keyId": onlyb["keyId"]}),
                ("DELETE", "/be/v1/apikeys", {"username": "bot", "keyId": b_bot["keyId"]}),
                ("DELETE", "/be/v1/users/onlyB_bot", None),
                ("DELETE", "/be/v1/roles/onlyB_role", None),
                ("DELETE", "/be/v1/orgs/iso_b", None),
            ]
            for method, path, body in calls:
                with self.subTest(cred=cred_name, call="%s %s %s" % (method, path, body)):
                    self.assertError(self.call(method, path, body, cred), 404)
            # B's role is not visible to A: unknown_role, nothing written in A
            before_a = self.snap("iso_a")
            self.assertError(self.call("POST", "/be/v1/users",
                                       {"username": "a_new", "label": "x",
                                        "roles": ["onlyB_role"], "machine": True}, cred),
                             422, "unknown_role", "roles")
            self.assertUnchanged(before_a, "iso_a", "a user with another org's role")
            # lists show A's objects only
            users = self.ok(self.call("GET", "/be/v1/users?limit=1000", cred=cred), 200)
            self.assertEqual({u["username"] for u in users["items"]},
                             {"adminPrincipal", "bot", "alice"})
            roles = self.ok(self.call("GET", "/be/v1/roles?limit=1000", cred=cred), 200)
            self.assertEqual({x["name"] for x in roles["items"]}, {"Administrators", "Editors"})

        # same-named objects: A's calls change A's only
        doc = self.ok(self.call("PATCH", "/be/v1/users", {"username": "alice",
                                                           "title": "A title"}, a_admin), 200)
        self.assertEqual(doc["title"], "A title")
        self.assertEqual(self.redis.hgetall("e:{iso_a}:user:alice").get("title"), "A title")
        self.ok(self.call("PATCH", "/be/v1/roles", {"name": "Editors", "label": "A editors"},
                          a_key), 200)
        extra = self.ok(self.call("POST", "/be/v1/apikeys", {"username": "bot"}, a_key), 201)
        self.ok(self.call("DELETE", "/be/v1/apikeys", {"username": "bot",
                                                        "keyId": extra["keyId"]}, a_key), 204)
        self.ok(self.call("DELETE", "/be/v1/users/alice", cred=a_admin), 204)
        self.assertError(self.call("GET", "/be/v1/users/alice", cred=a_admin), 404)

        # credentials do not cross orgs
        self.assertError(self.call("GET", "/be/v1/users",
                                   cred=key_headers("iso_b", "bot", a_bot["apiKey"])), 401)
        self.assertError(self.call("GET", "/be/v1/users",
                                   cred=key_headers("iso_a", "bot", b_bot["apiKey"])), 401)
        self.assertError(self.stack.login("iso_b", "alice", "alice-in-org-a-1"), 401)

        self.assertUnchanged(before_b, "iso_b", "org A's calls")
        got = self.ok(self.call("GET", "/be/v1/users/alice", cred=b_key), 200)
        self.assertIsNone(got["title"])
        self.ok(self.call("GET", "/be/v1/users", cred=b_admin), 200)

    def test_org_keys_carry_the_org_hash_tag(self):
        pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----\n"
        doc = self.stack.create_org("iso_tag", "tag@example.com", adminUsername="boss",
                                    publicKey=pem)
        self.assertEqual(doc["adminUsername"], "boss")
        info = self.redis.hgetall("e:{iso_tag}:info")
        self.assertEqual((info.get("publicKey"), info.get("adminUsername")), (pem, "boss"))
        self.assertEqual(self.redis("EXISTS", "e:{iso_tag}:user:boss"), 1)
        self.assertEqual(self.redis("EXISTS", "e:{iso_tag}:user:adminPrincipal"), 0)
        self.stack.auth_token("iso_tag", "boss", doc["password"])
        for key in self.redis.scan("*iso_tag*"):
            if key.startswith(("e:rl:", "e:tok:")) or key == "e:orgs":
                continue
            self.assertTrue(key.startswith("e:{iso_tag}:"), key)


# -- 4. expiry and revocation ------------------------------------------------------
class Expiry(IdentityCase):
    env = {"EDGE_AUTH_TOKEN_TTL_S": "1"}

    def test_auth_token_past_its_lifetime_is_401(self):
        doc = self.stack.create_org("exp_org")
        st, _, login = self.stack.login("exp_org", "adminPrincipal", doc["password"])
        self.assertEqual(st, 200, login)
        session = login["sessionToken"]
        auth = self.ok(self.call("POST", "/be/v1/auth",
                                 headers={"x-rockit-besession-token": session}), 200)
        self.assertEqual(auth["expiresIn"], 1)
        tok = token_headers(auth["authToken"])
        self.ok(self.call("GET", "/be/v1/users", cred=tok), 200)
        poll(lambda: self.call("GET", "/be/v1/users", cred=tok)[0] == 401, 10,
             interval=0.1, what="the auth token to expire")
        self.assertError(self.call("GET", "/be/v1/users", cred=tok), 401, "unauthorized")
        self.assertEqual(self.redis("EXISTS", "e:tok:" + sha256(auth["authToken"])), 0)
        # the session lives on and mints a fresh token
        again = self.ok(self.call("POST", "/be/v1/auth",
                                  headers={"x-rockit-besession-token": session}), 200)
        self.ok(self.call("GET", "/be/v1/users", cred=token_headers(again["authToken"])), 200)


class Revocation(IdentityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.doc = cls.stack.create_org("rev_org")
            _, token = cls.stack.auth_token("rev_org", "adminPrincipal", cls.doc["password"])
        except BaseException:
            cls.stack.close()
            raise
        cls.admin = token_headers(token)

    def test_deleted_users_token_and_key_stop_working_at_once(self):
        admin = self.admin
        self.role(admin, "reader", {"beUsers": 2})
        self.person(admin, "victim", ["reader"])
        session, token = self.stack.auth_token("rev_org", "victim", PASSWORD)
        bot, kh = self.machine("rev_org", admin, "vbot", ["reader"])
        tok = token_headers(token)
        self.ok(self.call("GET", "/be/v1/users", cred=tok), 200)
        self.ok(self.call("GET", "/be/v1/users", cred=kh), 200)

        self.ok(self.call("DELETE", "/be/v1/users/victim", cred=admin), 204)
        self.assertError(self.call("GET", "/be/v1/users", cred=tok), 401, "unauthorized")
        self.assertError(self.call("POST", "/be/v1/auth",
                                   headers={"x-rockit-besession-token": session}), 401)
        self.ok(self.call("DELETE", "/be/v1/users/vbot", cred=admin), 204)
        self.assertError(self.call("GET", "/be/v1/users", cred=kh), 401, "unauthorized")
        r = self.redis
        for t in (session, token):
            self.assertEqual(r("EXISTS", "e:tok:" + sha256(t)), 0)
        self.assertEqual(r.scan("e:{rev_org}:user:victim*"), [])
        self.assertEqual(r.scan("e:{rev_org}:user:vbot*"), [])
        self.assertEqual(r("EXISTS", "e:{rev_org}:key:" + bot["keyId"]), 0)
        self.assertIsNone(r("ZSCORE", "e:{rev_org}:keys", bot["keyId"]))
        self.assertIsNone(r("ZSCORE", "e:{rev_org}:users", "victim"))
        self.assertError(self.call("GET", "/be/v1/users/victim", cred=admin), 404)
        # same names again: the old credentials stay dead
        self.machine("rev_org", admin, "victim", ["reader"])
        self.machine("rev_org", admin, "vbot", ["reader"])
        self.assertError(self.call("GET", "/be/v1/users", cred=tok), 401)
        self.assertError(self.call("GET", "/be/v1/users", cred=kh), 401)

    def test_logout_revokes_the_session_and_its_auth_tokens(self):
        password = self.doc["password"]
        st, _, login = self.stack.login("rev_org", "adminPrincipal", password)
        self.assertEqual(st, 200, login)
        session = login["sessionToken"]
        hs = {"x-rockit-besession-token": session}
        t1 = self.ok(self.call("POST", "/be/v1/auth", headers=hs), 200)["authToken"]
        t2 = self.ok(self.call("POST", "/be/v1/auth", headers=hs), 200)["authToken"]
        self.ok(self.call("GET", "/be/v1/users", cred=token_headers(t1)), 200)
        self.ok(self.call("POST", "/be/v1/logout", headers=hs), 204)
        for t in (t1, t2):
            self.assertError(self.call("GET", "/be/v1/users", cred=token_headers(t)), 401)
            self.assertEqual(self.redis("EXISTS", "e:tok:" + sha256(t)), 0)
        self.assertError(self.call("POST", "/be/v1/auth", headers=hs), 401)
        self.assertEqual(self.redis("EXISTS", "e:tok:" + sha256(session)), 0)
        self.assertEqual(self.redis("SISMEMBER", "e:{rev_org}:tokens", sha256(session)), 0)
        # logout with an auth token revokes its session too
        session2, t3 = self.stack.auth_token("rev_org", "adminPrincipal", password)
        t4 = self.ok(self.call("POST", "/be/v1/auth",
                               headers={"x-rockit-besession-token": session2}), 200)["authToken"]
        self.ok(self.call("POST", "/be/v1/logout", headers={"Authorization": "Bearer " + t3}),
                204)
        self.assertError(self.call("POST", "/be/v1/auth",
                                   headers={"x-rockit-besession-token": session2}), 401)
        self.assertError(self.call("GET", "/be/v1/users", cred=token_headers(t4)), 401)
        self.assertError(self.call("POST", "/be/v1/logout", headers=hs), 401)
        # the class's admin token was not touched
        self.ok(self.call("GET", "/be/v1/users", cred=self.admin), 200)

    def test_deleting_an_api_key_revokes_it_at_once(self):
        admin = self.admin
        bot, k1 = self.machine("rev_org", admin, "kbot", ["Administrators"])
        second = self.ok(self.call("POST", "/be/v1/apikeys", {"username": "kbot"}, admin), 201)
        self.assertEqual(second["username"], "kbot")
        k2 = key_headers("rev_org", "kbot", second["apiKey"])
        got = self.ok(self.call("GET", "/be/v1/users/kbot", cred=admin), 200)
        self.assertEqual(sorted(got["keys"]), sorted([bot["keyId"], second["keyId"]]))
        self.ok(self.call("GET", "/be/v1/users", cred=k1), 200)
        self.ok(self.call("DELETE", "/be/v1/apikeys",
                          {"username": "kbot", "keyId": bot["keyId"]}, k2), 204)
        self.assertError(self.call("GET", "/be/v1/users", cred=k1), 401, "unauthorized")
        self.ok(self.call("GET", "/be/v1/users", cred=k2), 200)
        self.assertEqual(self.redis("EXISTS", "e:{rev_org}:key:" + bot["keyId"]), 0)
        self.assertEqual(self.redis("SISMEMBER", "e:{rev_org}:user:kbot:keys", bot["keyId"]), 0)
        self.assertError(self.call("DELETE", "/be/v1/apikeys",
                                   {"username": "kbot", "keyId": bot["keyId"]}, admin), 404)
        self.assertError(self.call("DELETE", "/be/v1/apikeys",
                                   {"username": "kbot", "keyId": "nokey"}, admin), 404)
        self.assertError(self.call("DELETE", "/be/v1/apikeys",
                                   {"username": "adminPrincipal", "keyId": second["keyId"]},
                                   admin), 404)
        got = self.ok(self.call("GET", "/be/v1/users/kbot", cred=admin), 200)
        self.assertEqual(got["keys"], [second["keyId"]])


# -- 5. bad input ---------------------------------------------------------------------
class BadInput(IdentityCase):
    ORG = "bad_org"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            doc = cls.stack.create_org(cls.ORG)
            _, token = cls.stack.auth_token(cls.ORG, "adminPrincipal", doc["password"])
            cred = token_headers(token)
            for body in ({"name": "base", "permissions": {"beUsers": 2}},):
                st, _, d = cls.stack.http("POST", "/be/v1/roles", body, headers=cred)
                assert st == 201, (st, d)
            for body in ({"username": "mbot", "label": "m", "roles": ["base"], "machine": True},
                         {"username": "pers", "email": "p@example.com", "firstname": "P",
                          "surname": "S", "roles": ["base"], "password": PASSWORD}):
                st, _, d = cls.stack.http("POST", "/be/v1/users", body, headers=cred)
                assert st == 201, (st, d)
        except BaseException:
            cls.stack.close()
            raise
        cls.admin = cred

    def refused(self, method, path, body, status, code=None, field=None, message=None,
                raw=None, headers=None):
        """The call fails as said, and writes nothing in the org."""
        before = self.snap(self.ORG)
        res = self.call(method, path, body, self.admin, headers=headers, raw=raw)
        self.assertError(res, status, code, field, message)
        self.assertUnchanged(before, self.ORG, "a refused %s %s" % (method, path))

    def test_bad_names_are_400_naming_the_field(self):
        for name in BAD_NAMES:
            with self.subTest(name=name):
                self.refused("POST", "/be/v1/users", {"username": name, "label": "x",
                                                      "roles": ["base"], "machine": True},
                             400, "invalid_field", "username")
                self.refused("POST", "/be/v1/roles", {"name": name, "permissions": {}},
                             400, "invalid_field", "name")
        raw = '{"username":"\u00e9\u00e9","label":"x","roles":["base"],"machine":true}'
        self.refused("POST", "/be/v1/users", None, 400, "invalid_field", "username",
                     raw=raw.encode("utf-8"))
        # names in paths: not found, like a missing object
        for name in BAD_NAMES[:-1]:
            quoted = urllib.parse.quote(name)
            self.assertError(self.call("GET", "/be/v1/users/" + quoted, cred=self.admin), 404)
            self.assertError(self.call("GET", "/be/v1/roles/" + quoted, cred=self.admin), 404)
            self.assertError(self.call("DELETE", "/be/v1/users/" + quoted, cred=self.admin), 404)
        # the bounds themselves are accepted
        self.role(self.admin, "ab", {})
        self.role(self.admin, "R" * 50, {}, label="L" * 256)

    def test_org_creation_refuses_bad_input_and_writes_nothing(self):
        s = self.stack
        cases = [({"orgName": n, "email": "a@example.com"}, 400, "invalid_field", "orgName")
                 for n in BAD_NAMES]
        cases += [
            ({"orgName": 5, "email": "a@example.com"}, 400, "invalid_field", "orgName"),
            ({"email": "a@example.com"}, 400, "missing_field", "orgName"),
            ({"orgName": "org_x"}, 400, "missing_field", "email"),
            ({"orgName": "org_x", "email": "no-at-sign"}, 400, "invalid_field", "email"),
            ({"orgName": "org_x", "email": "a@b@c"}, 400, "invalid_field", "email"),
            ({"orgName": "org_x", "email": "@"}, 400, "invalid_field", "email"),
            ({"orgName": "org_x", "email": "x" * 102400 + "@example.com"}, 400,
             "invalid_field", "email"),
            ({"orgName": "org_x", "email": "a@example.com", "adminUsername": "a-b"}, 400,
             "invalid_field", "adminUsername"),
            ({"orgName": "org_x", "email": "a@example.com", "publicKey": "k" * 16385}, 400,
             "invalid_field", "publicKey"),
            ({"orgName": "org_x", "email": "a@example.com", "publicKey": 5}, 400,
             "invalid_field", "publicKey"),
            ({"orgName": "org_x", "email": "a@example.com", "bogus": True}, 400,
             "unknown_field", "bogus"),
            ({"orgName": self.ORG, "email": "a@example.com"}, 409, "conflict", None),
        ]
        for body, status, code, field in cases:
            with self.subTest(body=str(body)[:80]):
                before = self.redis.snapshot("*")
                st, _, doc = s.http("POST", "/adm/v1/orgs", body, admin=True)
                self.assertError((st, None, doc), status, code, field)
                self.assertEqual(self.redis.snapshot("*"), before, "a refused org wrote")
        for raw in (b'{"orgName":"org_x","email":"a@example.com"', b'[]', b'"org"',
                    b'{"orgName":"org_\xff","email":"a@example.com"}'):
            with self.subTest(raw=raw[:40]):
                before = self.redis.snapshot("*")
                st, _, doc = s.http("POST", "/adm/v1/orgs", raw=raw, admin=True,
                                    headers={"content-type": "application/json"})
                self.assertError((st, None, doc), 400)
                self.assertEqual(self.redis.snapshot("*"), before)

    def test_user_creation_refuses_bad_input(self):
        m = {"username": "new_m", "label": "L", "roles": ["base"], "machine": True}
        p = {"username": "new_p", "email": "p@example.com", "firstname": "F", "surname": "S",
             "roles": ["base"], "password": "long-enough-pw-1"}

        def with_(base, **kw):
            out = dict(base)
            for k, v in kw.items():
                if v is KeyError:
                    out.pop(k)
                else:
                    out[k] = v
            return out
        cases = [
            (with_(m, username=5), 400, "invalid_field", "username"),
            (with_(m, label=5), 400, "invalid_field", "label"),
            (with_(m, label=""), 400, "invalid_field", "label"),
            (with_(m, label="x" * 257), 400, "invalid_field", "label"),
            (with_(m, roles="base"), 400, "invalid_field", "roles"),
            (with_(m, machine="yes"), 400, "invalid_field", "machine"),
            (with_(m, roles=[]), 400, "invalid_field", "roles"),
            (with_(m, roles=["base"] * 33), 400, "invalid_field", "roles"),
            (with_(m, roles=["nope_role"]), 422, "unknown_role", "roles"),
            (with_(m, bogus=1), 400, "unknown_field", "bogus"),
            (with_(m, username=KeyError), 400, "missing_field", "username"),
            (with_(m, roles=KeyError), 400, "missing_field", "roles"),
            (with_(m, username="mbot"), 409, "conflict", None),
            (with_(m, username="pers"), 409, "conflict", None),
            (with_(m, username="adminPrincipal"), 409, "conflict", None),
            (with_(p, email="x" * 102400 + "@example.com"), 400, "invalid_field", "email"),
            (with_(p, email="a@"), 400, "invalid_field", "email"),
            (with_(p, email="no-at-sign"), 400, "invalid_field", "email"),
            (with_(p, email="a@b@example.com"), 400, "invalid_field", "email"),
            (with_(p, email=["p@example.com"]), 400, "invalid_field", "email"),
            (with_(p, firstname=""), 400, "invalid_field", "firstname"),
            (with_(p, surname="s" * 257), 400, "invalid_field", "surname"),
            (with_(p, title=5), 400, "invalid_field", "title"),
            (with_(p, password="short-pw"), 400, "invalid_field", "password"),
            (with_(p, password="p" * 257), 400, "invalid_field", "password"),
            (with_(p, password=123456789012345), 400, "invalid_field", "password"),
            (with_(p, email=KeyError), 400, "missing_field", "email"),
            (with_(p, firstname=KeyError), 400, "missing_field", "firstname"),
            (with_(p, surname=KeyError), 400, "missing_field", "surname"),
            (with_(p, username="pers"), 409, "conflict", None),
        ]
        pers = self.redis.hgetall("e:{bad_org}:user:pers")
        for body, status, code, field in cases:
            with self.subTest(body=str(body)[:100]):
                self.refused("POST", "/be/v1/users", body, status, code, field)
        self.assertEqual(self.redis.hgetall("e:{bad_org}:user:pers"), pers)

    def test_role_bodies_refuse_bad_input_with_exact_messages(self):
        def bad(res, v, mx, letters):
            return ({"name": "new_r", "permissions": {res: v}}, 400, "invalid_field",
                    "permissions." + res,
                    "permissions.%s must be an integer from 0 to %d made of the bits %s"
                    % (res, mx, letters))
        cases = [
            bad("apps", 16, 15, "CRUD"), bad("apps", -1, 15, "CRUD"),
            bad("apps", "15", 15, "CRUD"), bad("apps", 1.5, 15, "CRUD"),
            bad("apps", True, 15, "CRUD"),
            bad("apps", 2 ** 40, 15, "CRUD"), bad("tasks", 32, 31, "CRUDX"),
            bad("trainings", 1, 6, "RU"), bad("trainings", 8, 6, "RU"),
            bad("consumption", 3, 2, "R"), bad("consumption", 1, 2, "R"),
            ({"name": "new_r", "permissions": {"nope": 1}}, 400, "unknown_field",
             "permissions.nope", None),
            ({"name": "new_r", "permissions": [15]}, 400, "invalid_field", "permissions", None),
            ({"name": 5, "permissions": {}}, 400, "invalid_field", "name", None),
            ({"name": "new_r", "label": 5, "permissions": {}}, 400, "invalid_field", "label",
             None),
            ({"name": "new_r", "label": "l" * 257, "permissions": {}}, 400, "invalid_field",
             "label", None),
            ({"name": "new_r", "bogus": 1, "permissions": {}}, 400, "unknown_field", "bogus",
             None),
            ({"permissions": {}}, 400, "missing_field", "name", None),
            ({"name": "base", "permissions": {}}, 409, "conflict", None, None),
            ({"name": "Administrators", "permissions": {}}, 409, None, None, None),
        ]
        for body, status, code, field, message in cases:
            with self.subTest(body=str(body)[:100]):
                self.refused("POST", "/be/v1/roles", body, status, code, field, message)
        # PATCH: one bad value, nothing of the rest applied
        self.refused("PATCH", "/be/v1/roles", {"name": "base", "label": "changed",
                                               "permissions": {"apps": 2, "tasks": 64}},
                     400, "invalid_field", "permissions.tasks")
        self.refused("PATCH", "/be/v1/roles", {"name": "base", "label": "changed",
                                               "permissions": {"nope": 2}},
                     400, "unknown_field", "permissions.nope")
        self.refused("PATCH", "/be/v1/roles", {"name": "no_role_here", "label": "x"}, 404)
        self.refused("PATCH", "/be/v1/roles", {"label": "x"}, 400, "missing_field", "name")

    def test_patch_and_key_bodies_refuse_bad_input_without_partial_writes(self):
        cases = [
            ("PATCH", "/be/v1/users", {"username": "pers", "title": "T", "email": "bad"},
             400, "invalid_field", "email"),
            ("PATCH", "/be/v1/users", {"username": "pers", "title": 5}, 400,
             "invalid_field", "title"),
            ("PATCH", "/be/v1/users", {"username": "pers", "title": "T", "bogus": 1}, 400,
             "unknown_field", "bogus"),
            ("PATCH", "/be/v1/users", {"username": "pers", "title": "T",
                                       "roles": ["nope_role"]}, 422, "unknown_role", "roles"),
            ("PATCH", "/be/v1/users", {"username": "pers", "roles": []}, 400,
             "invalid_field", "roles"),
            ("PATCH", "/be/v1/users", {"username": "pers", "resetCreds": "short"}, 400,
             "invalid_field", "resetCreds"),
            ("PATCH", "/be/v1/users", {"username": "pers", "firstname": "f" * 257}, 400,
             "invalid_field", "firstname"),
            ("PATCH", "/be/v1/users", {"title": "T"}, 400, "missing_field", "username"),
            ("PATCH", "/be/v1/users", {"username": "pers", "machine": True}, 400,
             "unknown_field", "machine"),
            ("PATCH", "/be/v1/users", {"username": "pers", "email": "e" * 243 + "@example.com"},
             400, "invalid_field", "email"),
            ("PATCH", "/be/v1/users", {"username": "nobody_here", "title": "T"}, 404,
             None, None),
            ("POST", "/be/v1/apikeys", {"username": 5}, 400, "invalid_field", "username"),
            ("POST", "/be/v1/apikeys", {"username": "mbot", "bogus": 1}, 400,
             "unknown_field", "bogus"),
            ("POST", "/be/v1/apikeys", {"username": "pers"}, 422, "not_a_machine_user", None),
            ("POST", "/be/v1/apikeys", {"username": "ghost_user"}, 404, None, None),
            ("DELETE", "/be/v1/apikeys", {"username": "mbot"}, 400, "missing_field", "keyId"),
            ("DELETE", "/be/v1/apikeys", {"username": "mbot", "keyId": 5}, 400,
             "invalid_field", "keyId"),
            ("DELETE", "/be/v1/apikeys", {"username": "mbot", "keyId": "nokey"}, 404,
             None, None),
        ]
        for method, path, body, status, code, field in cases:
            with self.subTest(call="%s %s %s" % (method, path, body)):
                self.refused(method, path, body, status, code, field)

    def test_raw_bodies_malformed_non_utf8_and_oversized(self):
        cases = [
            (b'{"name":"r_raw","permissions":{}', 400, "malformed_json"),
            (b'{"name":"r_raw","label":"\xff\xfe","permissions":{}}', 400, None),
            (b'{"name":"r_raw","label":"\xc3","permissions":{}}', 400, None),
            (b'{"name":"r_raw","label":"\\ud800","permissions":{}}', 400, None),
            (b'{"name":"r_raw","label":"a\\u0000b","permissions":{}}', 400, None),
            (b'[]', 400, None),
            (b'null', 400, None),
            (b'{"name":"r_raw","permissions":{}} trailing', 400, None),
            (b'{"name":"r_raw","name":"r_raw2","permissions":{}}', 400, None),
        ]
        for raw, status, code in cases:
            with self.subTest(raw=raw[:50]):
                self.refused("POST", "/be/v1/roles", None, status, code, raw=raw)
        big = b'{"name":"r_big","label":"' + b"l" * (2 * 1024 * 1024) + b'","permissions":{}}'
        self.refused("POST", "/be/v1/roles", None, 413, raw=big)
        utf8 = b'{"username":"mbot","label":"caf\xc3\xa9 \xe2\x82\xac"}'
        doc = self.ok(self.call("PATCH", "/be/v1/users", None, self.admin, raw=utf8), 200)
        self.assertEqual(doc["label"], "caf\u00e9 \u20ac")
        self.refused("POST", "/be/v1/users", None, 400,
                     raw=b'{"username":"mm_x","label":"\xe9t\xe9","roles":["base"],'
                         b'"machine":true}')

    def test_length_bounds_are_inclusive(self):
        email = "e" * 242 + "@example.com"                      # 254 characters
        doc = self.ok(self.call("PATCH", "/be/v1/users",
                                {"username": "pers", "email": email, "firstname": "f" * 256,
                                 "title": "t" * 256}, self.admin), 200)
        self.assertEqual((doc["email"], doc["firstname"]), (email, "f" * 256))
        doc = self.ok(self.call("POST", "/be/v1/users",
                                {"username": "U" * 50, "label": "l" * 256, "roles": ["base"],
                                 "machine": True}, self.admin), 201)
        self.assertEqual(doc["username"], "U" * 50)
        self.ok(self.call("POST", "/be/v1/users",
                          {"username": "u2", "label": "l", "roles": ["base"] * 32,
                           "machine": True}, self.admin), 201)

    def test_login_bad_input(self):
        cases = [
            ({"orgName": self.ORG, "username": 5, "password": "x"}, 400, "invalid_field",
             "username"),
            ({"orgName": self.ORG, "username": "pers"}, 400, "missing_field", "password"),
            ({"orgName": self.ORG, "username": "pers", "password": PASSWORD, "x": 1}, 400,
             "unknown_field", "x"),
        ]
        for body, status, code, field in cases:
            with self.subTest(body=body):
                self.assertError(self.call("POST", "/be/v1/login", body), status, code, field)
        self.assertError(self.call("POST", "/be/v1/login", raw=b'{"orgName":'), 400,
                         "malformed_json")


class HostileBodies(IdentityCase):
    """Deeply nested JSON (in a body, or in an admin token's header part): a
    400/401, never a crash. A gateway that dies is restarted so that every
    vector is tried; the test then fails naming each one that killed it."""

    def test_deeply_nested_json_is_refused_and_the_gateway_lives(self):
        doc, admin = self.org("deep_org")
        adm = {"x-rockit-admin-token": self.stack.token}
        vectors = []
        for method, path, cred in (("POST", "/be/v1/login", {}),      # anonymous
                                   ("POST", "/be/v1/roles", admin),
                                   ("POST", "/adm/v1/orgs", adm)):
            for depth in (100, 1000, 100000):
                vectors.append(("%s %s, body [x%d" % (method, path, depth), method, path,
                                cred, b"[" * depth + b"]" * depth, 400))
                vectors.append(("%s %s, field [x%d" % (method, path, depth), method, path,
                                cred, b'{"name":"deep","permissions":{"apps":' + b"[" * depth
                                + b"]" * depth + b"}}", 400))
        for depth in (100, 1000, 3000):                         # anonymous too
            part = base64.urlsafe_b64encode(b"[" * depth + b"]" * depth).rstrip(b"=")
            vectors.append(("admin token header part [x%d" % depth, "POST", "/adm/v1/ping",
                            {"x-rockit-admin-token": part.decode() + ".e30.c2ln"}, None, 401))
        killers = []
        for what, method, path, cred, raw, status in vectors:
            try:
                res = self.call(method, path, None, cred, raw=raw)
            except OSError as e:
                res = None
                error = e
            gateway = self.stack.procs["gateway"]
            if res is None or not gateway.alive():
                killers.append("%s (%s)" % (what, "no answer: %r" % error if res is None
                                            else "answered %d, then died" % res[0]))
                poll(lambda: not gateway.alive(), 5, what="the gateway to exit")
                gateway.stop()
                self.stack.start("gateway")
                poll(self.stack.http_ready, 20, what="the gateway restarted")
                continue
            with self.subTest(what):
                self.assertError(res, status)
        if killers:
            self.fail("requests that crashed the gateway:\n  " + "\n  ".join(killers))
        self.ok(self.stack.login("deep_org", "adminPrincipal", doc["password"]), 200)


# -- 6. rules ---------------------------------------------------------------------------
class Races(IdentityCase):
    """Invariants hold under concurrent requests (the checks are atomic)."""

    def parallel(self, calls):
        with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
            futures = [pool.submit(self.call, *c) for c in calls]
            return [f.result()[0] for f in futures]

    def test_concurrent_creates_of_one_name_make_one_object(self):
        _, admin = self.org("race_org")
        for i in range(5):
            codes = self.parallel([("POST", "/be/v1/roles",
                                    {"name": "rr_%d" % i, "permissions": {"apps": 2}}, admin)] * 6)
            self.assertEqual(sorted(codes), [201] + [409] * 5, codes)
            codes = self.parallel([("POST", "/be/v1/users",
                                    {"username": "ru_%d" % i, "label": "x",
                                     "roles": ["Administrators"], "machine": True}, admin)] * 6)
            self.assertEqual(sorted(codes), [201] + [409] * 5, codes)
            self.assertEqual(len(self.redis("SMEMBERS", "e:{race_org}:user:ru_%d:keys" % i)), 1)
        codes = self.parallel([("POST", "/adm/v1/orgs", {"orgName": "race_twin",
                                                         "email": "t@example.com"},
                                {"x-rockit-admin-token": self.stack.token})] * 3)
        self.assertEqual(sorted(codes), [201, 409, 409], codes)

    def admins(self, org):
        out = []
        for key in self.redis.scan("e:{%s}:user:*" % org):
            if key.count(":") != 3:                 # e:{O}:user:U:keys, :tokens
                continue
            rec = self.redis.hgetall(key)
            if "roles" in rec and "Administrators" in json.loads(rec["roles"]):
                out.append(rec["username"])
        return out

    def test_two_administrators_removing_each_other_leave_one(self):
        _, admin = self.org("race_adm")
        self.role(admin, "plain", {"beUsers": 15})
        _, current = self.machine("race_adm", admin, "adm_0", ["Administrators"])
        self.ok(self.call("DELETE", "/be/v1/users/adminPrincipal", cred=current), 204)
        name = "adm_0"
        for i in range(1, 9):
            other_name = "adm_%d" % i
            _, other = self.machine("race_adm", current, other_name, ["Administrators"])
            if i % 2:
                calls = [("DELETE", "/be/v1/users/" + other_name, None, current),
                         ("DELETE", "/be/v1/users/" + name, None, other)]
            else:
                calls = [("PATCH", "/be/v1/users", {"username": other_name, "roles": ["plain"]},
                          current),
                         ("PATCH", "/be/v1/users", {"username": name, "roles": ["plain"]}, other)]
            codes = self.parallel(calls)
            left = self.admins("race_adm")
            self.assertEqual(len(left), 1, "round %d: %r left administrators %r"
                             % (i, codes, left))
            name = left[0]
            current = current if name != other_name else other

    def test_deleting_a_role_while_a_user_gets_it_leaves_no_dangling_role(self):
        _, admin = self.org("race_role")
        for i in range(10):
            self.role(admin, "rd_%d" % i, {"apps": 2})
            codes = self.parallel([
                ("POST", "/be/v1/users", {"username": "rdu_%d" % i, "label": "x",
                                          "roles": ["rd_%d" % i], "machine": True}, admin),
                ("DELETE", "/be/v1/roles/rd_%d" % i, None, admin)])
            role_exists = self.redis("EXISTS", "e:{race_role}:role:rd_%d" % i)
            user_exists = self.redis("EXISTS", "e:{race_role}:user:rdu_%d" % i)
            self.assertTrue(role_exists or not user_exists,
                            "round %d %r: a user holds a deleted role" % (i, codes))
            self.assertIn(sorted(codes), ([201, 409], [204, 422]), codes)


class RateLimits(IdentityCase):
    env = {"EDGE_LOGIN_MAX_FAILURES": "3"}

    def test_failed_logins_are_limited_per_user_and_success_clears_the_counter(self):
        _, admin = self.org("rl_org")
        for u in ("rl_a", "rl_b", "rl_c"):
            self.person(admin, u, ["Administrators"])
        slow = []
        for _ in range(3):
            t = time.monotonic()
            self.assertError(self.stack.login("rl_org", "rl_a", "wrong-password-1"), 401)
            slow.append(time.monotonic() - t)
        fast = []
        for _ in range(2):
            t = time.monotonic()
            st, headers, doc = self.stack.login("rl_org", "rl_a", "wrong-password-1")
            fast.append(time.monotonic() - t)
            self.assertError((st, headers, doc), 429, "rate_limited")
        self.assertLess(min(fast), 0.5 * min(slow), "429 after hashing? %r vs %r" % (fast, slow))
        self.assertIn("retry-after", headers)
        self.assertTrue(1 <= int(headers["retry-after"]) <= 900, headers["retry-after"])
        # checked before the password: even the right one waits
        st, headers, doc = self.stack.login("rl_org", "rl_a", PASSWORD)
        self.assertError((st, headers, doc), 429, "rate_limited")
        self.assertIn("retry-after", headers)
        key = "e:rl:user:{rl_org}:rl_a"
        self.assertEqual(self.redis("EXISTS", key), 1, self.redis.scan("e:rl:*"))
        self.assertTrue(0 < self.redis("TTL", key) <= 900)
        # another user of the same org is not affected
        self.ok(self.stack.login("rl_org", "rl_b", PASSWORD), 200)
        # a success clears the counter
        for _ in range(2):
            self.assertError(self.stack.login("rl_org", "rl_c", "wrong-password-1"), 401)
        self.ok(self.stack.login("rl_org", "rl_c", PASSWORD), 200)
        for _ in range(2):
            self.assertError(self.stack.login("rl_org", "rl_c", "wrong-password-1"), 401)
        self.ok(self.stack.login("rl_org", "rl_c", PASSWORD), 200)


    def test_concurrent_failed_logins_do_not_overrun_the_limit(self):
        _, admin = self.org("rl_race")
        self.person(admin, "rl_d", ["Administrators"])
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(
                lambda _: self.stack.login("rl_race", "rl_d", "wrong-password-1")[0], range(8)))
        self.assertLessEqual(set(codes), {401, 429}, codes)
        self.assertLessEqual(codes.count(401), 3, "%d password checks for a limit of 3: %r"
                             % (codes.count(401), codes))
        self.assertError(self.stack.login("rl_race", "rl_d", PASSWORD), 429, "rate_limited")


class IpRateLimit(IdentityCase):
    env = {"EDGE_LOGIN_MAX_FAILURES_IP": "3", "EDGE_LOGIN_MAX_FAILURES": "100"}

    def test_failed_logins_are_limited_per_client_address(self):
        self.stack.create_org("ip_org")
        for i in range(3):
            self.assertError(self.stack.login("ip_org", "nobody%d" % i, "wrong-password"), 401)
        st, headers, doc = self.stack.login("ip_org", "someone_else", "wrong-password")
        self.assertError((st, headers, doc), 429, "rate_limited")
        self.assertTrue(1 <= int(headers.get("retry-after", "0")) <= 900, headers)
        self.assertEqual(self.redis("EXISTS", "e:rl:ip:127.0.0.1"), 1, self.redis.scan("e:rl:*"))


class Credentials(IdentityCase):
    def test_api_key_headers_on_login_and_auth_are_400(self):
        doc, admin = self.org("cr_org")
        bot, kh = self.machine("cr_org", admin, "cr_bot", ["Administrators"])
        login = {"orgName": "cr_org", "username": "adminPrincipal", "password": doc["password"]}
        for headers in (kh, {"x-rockit-api-key": bot["apiKey"]},
                        {"x-rockit-orgname": "cr_org"}):
            with self.subTest(headers=sorted(headers)):
                self.assertError(self.call("POST", "/be/v1/login", login, headers),
                                 400, "api_key_not_allowed")
                self.assertError(self.call("POST", "/be/v1/auth", cred=headers),
                                 400, "api_key_not_allowed")
        session, _ = self.stack.auth_token("cr_org", "adminPrincipal", doc["password"])
        h = dict(kh)
        h["x-rockit-besession-token"] = session
        self.assertError(self.call("POST", "/be/v1/auth", cred=h), 400, "api_key_not_allowed")

    def test_token_and_api_key_together_are_400(self):
        _, admin = self.org("amb_org")
        bot, kh = self.machine("amb_org", admin, "amb_bot", ["Administrators"])
        token = admin["x-rockit-beauth-token"]
        variants = {"token + triple": dict(kh, **admin),
                    "token + orgname": dict(admin, **{"x-rockit-orgname": "amb_org"}),
                    "token + key": dict(admin, **{"x-rockit-api-key": bot["apiKey"]}),
                    "bearer + triple": dict(kh, Authorization="Bearer " + token)}
        for what, headers in variants.items():
            with self.subTest(what):
                before = self.snap("amb_org")
                self.assertError(self.call("POST", "/be/v1/roles",
                                           {"name": "amb_r", "permissions": {}}, headers),
                                 400, "ambiguous_credentials")
                self.assertUnchanged(before, "amb_org", what)


class Accounts(IdentityCase):
    env = {"EDGE_OPERATOR_ORG": "operator"}

    def test_administrators_role_is_immutable(self):
        _, admin = self.org("imm_org")
        before = self.snap("imm_org")
        self.assertError(self.call("DELETE", "/be/v1/roles/Administrators", cred=admin),
                         409, "immutable_role")
        self.assertError(self.call("PATCH", "/be/v1/roles", {"name": "Administrators",
                                                             "label": "x"}, admin),
                         409, "immutable_role")
        self.assertError(self.call("PATCH", "/be/v1/roles", {"name": "Administrators",
                                                             "permissions": {"apps": 0}},
                                   admin), 409, "immutable_role")
        self.assertUnchanged(before, "imm_org", "changing Administrators")
        got = self.ok(self.call("GET", "/be/v1/roles/Administrators", cred=admin), 200)
        self.assertEqual(got["permissions"], MAXIMA)
        self.assertEqual(got["name"], "Administrators")

    def test_role_in_use_cannot_be_deleted_and_patch_replaces_given_resources(self):
        _, admin = self.org("use_org")
        self.role(admin, "used", {"apps": 15, "tasks": 31})
        self.machine("use_org", admin, "use_bot", ["used"])
        self.assertError(self.call("DELETE", "/be/v1/roles/used", cred=admin), 409,
                         "role_in_use")
        self.assertEqual(self.redis("EXISTS", "e:{use_org}:role:used"), 1)
        doc = self.ok(self.call("PATCH", "/be/v1/roles", {"name": "used",
                                                          "permissions": {"apps": 2}}, admin),
                      200)
        self.assertEqual(doc["permissions"], perms(apps=2, tasks=31))
        self.ok(self.call("DELETE", "/be/v1/users/use_bot", cred=admin), 204)
        self.ok(self.call("DELETE", "/be/v1/roles/used", cred=admin), 204)
        self.assertError(self.call("GET", "/be/v1/roles/used", cred=admin), 404)
        self.assertEqual(self.redis.scan("e:{use_org}:role:used*"), [])
        self.assertIsNone(self.redis("ZSCORE", "e:{use_org}:roles", "used"))
        self.assertError(self.call("DELETE", "/be/v1/roles/used", cred=admin), 404)

    def test_last_administrator_cannot_be_deleted_or_demoted(self):
        _, admin = self.org("last_org")
        self.role(admin, "plain", {"beUsers": 15})
        self.assertError(self.call("DELETE", "/be/v1/users/adminPrincipal", cred=admin),
                         409, "last_administrator")
        self.assertError(self.call("PATCH", "/be/v1/users", {"username": "adminPrincipal",
                                                             "roles": ["plain"]}, admin),
                         409, "last_administrator")
        self.assertEqual(json.loads(self.redis.hgetall(
            "e:{last_org}:user:adminPrincipal")["roles"]), ["Administrators"])
        _, second = self.machine("last_org", admin, "admin_bot", ["Administrators"])
        self.ok(self.call("DELETE", "/be/v1/users/adminPrincipal", cred=second), 204)
        self.assertError(self.call("GET", "/be/v1/users", cred=admin), 401)
        self.assertError(self.call("DELETE", "/be/v1/users/admin_bot", cred=second),
                         409, "last_administrator")
        self.assertError(self.call("PATCH", "/be/v1/users", {"username": "admin_bot",
                                                             "roles": ["plain"]}, second),
                         409, "last_administrator")
        self.ok(self.call("GET", "/be/v1/users/admin_bot", cred=second), 200)

    def test_self_service_patch(self):
        _, admin = self.org("self_org")
        self.role(admin, "viewer", {"beUsers": 2})
        self.person(admin, "selfie", ["viewer"])
        _, token = self.stack.auth_token("self_org", "selfie", PASSWORD)
        me = token_headers(token)
        doc = self.ok(self.call("PATCH", "/be/v1/users",
                                {"username": "selfie", "title": "Dr", "email": "new@example.com",
                                 "firstname": "Self", "surname": "Ie"}, me), 200)
        self.assertEqual((doc["title"], doc["email"], doc["firstname"], doc["surname"]),
                         ("Dr", "new@example.com", "Self", "Ie"))
        doc = self.ok(self.call("PATCH", "/be/v1/users", {"username": "selfie", "title": None},
                                me), 200)
        self.assertIsNone(doc["title"])
        before = self.snap("self_org")
        for body in ({"username": "selfie", "roles": ["Administrators"]},
                     {"username": "selfie", "resetCreds": "a-new-password-1"},
                     {"username": "selfie", "label": "mine"},
                     {"username": "selfie", "title": "x", "roles": ["viewer"]},
                     {"username": "adminPrincipal", "title": "x"}):
            with self.subTest(body=body):
                self.assertForbidden(self.call("PATCH", "/be/v1/users", body, me), "beUsers", 4)
        self.assertError(self.call("PATCH", "/be/v1/users",
                                   {"username": "selfie", "oldPW": "not-my-password",
                                    "newPW": "a-new-password-1"}, me),
                         422, "wrong_password")
        self.assertUnchanged(before, "self_org", "refused self-service")
        self.ok(self.call("PATCH", "/be/v1/users", {"username": "selfie", "oldPW": PASSWORD,
                                                    "newPW": "a-new-password-1"}, me), 200)
        self.ok(self.call("GET", "/be/v1/users", cred=me), 200)      # tokens are kept
        self.assertError(self.stack.login("self_org", "selfie", PASSWORD), 401)
        self.ok(self.stack.login("self_org", "selfie", "a-new-password-1"), 200)
        # an administrator sets a password
        self.ok(self.call("PATCH", "/be/v1/users", {"username": "selfie",
                                                    "resetCreds": "reset-password-1"}, admin),
                200)
        self.ok(self.stack.login("self_org", "selfie", "reset-password-1"), 200)

    def test_person_without_password_gets_one_and_apikeys_are_for_machines(self):
        _, admin = self.org("pw_org")
        doc = self.ok(self.call("POST", "/be/v1/users",
                                {"username": "gen_pw", "email": "g@example.com",
                                 "firstname": "G", "surname": "P",
                                 "roles": ["Administrators"]}, admin), 201)
        self.assertIs(doc["machine"], False)
        self.assertTrue(12 <= len(doc["password"]) <= 256, doc)
        self.assertNotIn("apiKey", doc)
        self.ok(self.stack.login("pw_org", "gen_pw", doc["password"]), 200)
        got = self.ok(self.call("GET", "/be/v1/users/gen_pw", cred=admin), 200)
        self.assertNotIn("password", got)
        self.assertNotIn("pwhash", got)
        self.assertError(self.call("POST", "/be/v1/apikeys", {"username": "gen_pw"}, admin),
                         422, "not_a_machine_user")
        self.assertError(self.call("POST", "/be/v1/apikeys", cred=admin),
                         422, "not_a_machine_user")

    def test_lists_paginate_order_and_project(self):
        _, admin = self.org("list_org")
        names = ["r_%02d" % i for i in range(12)]
        for name in reversed(names):
            self.role(admin, name, {"apps": 2})
        everything = sorted(names + ["Administrators"])
        base = "/be/v1/roles"

        def get(query):
            return self.ok(self.call("GET", base + "?" + query, cred=admin), 200)
        page = self.ok(self.call("GET", base, cred=admin), 200)
        self.assertEqual((page["total"], page["offset"], page["limit"], len(page["items"])),
                         (13, 0, 10, 10))
        self.assertEqual([x["name"] for x in get("order[]=name&limit=1000")["items"]],
                         everything)
        self.assertEqual([x["name"] for x in get("order%5B%5D=name&limit=1000")["items"]],
                         everything)
        self.assertEqual([x["name"] for x in get("order[]=-name&limit=1000")["items"]],
                         everything[::-1])
        page = get("order[]=name&offset=5&limit=3")
        self.assertEqual([x["name"] for x in page["items"]], everything[5:8])
        self.assertEqual((page["total"], page["offset"], page["limit"]), (13, 5, 3))
        self.assertEqual(get("offset=13")["items"], [])
        self.assertEqual(get("offset=500&limit=1000")["total"], 13)
        self.assertEqual(len(get("limit=1")["items"]), 1)
        self.assertEqual(len(get("limit=1000")["items"]), 13)
        created = [x["created"] for x in get("order[]=created&limit=1000")["items"]]
        self.assertEqual(created, sorted(created))
        created = [x["created"] for x in get("order[]=-created&limit=1000")["items"]]
        self.assertEqual(created, sorted(created, reverse=True))
        for item in get("fields[]=name&limit=1000")["items"]:
            self.assertEqual(set(item), {"name"})
        for item in get("fields%5B%5D=name&fields%5B%5D=permissions")["items"]:
            self.assertEqual(set(item), {"name", "permissions"})
        bad = [("limit=0", "limit"), ("limit=1001", "limit"), ("limit=-1", "limit"),
               ("limit=ten", "limit"), ("limit=", "limit"), ("offset=-1", "offset"),
               ("offset=x", "offset"), ("order[]=bogus", "order[]"),
               ("fields[]=bogus", "fields[]"), ("fields[]=pwhash", "fields[]"),
               ("offset=99999999999999999999", "offset"), ("limit=10abc", "limit"),
               ("limit=1e3", "limit")]
        for query, field in bad:
            with self.subTest(query=query):
                self.assertError(self.call("GET", base + "?" + query, cred=admin), 400,
                                 field=field)
        # users sort "name" by username and project by field
        for u in ("u_b", "u_c", "u_a"):
            self.machine("list_org", admin, u, ["Administrators"])
        users = self.ok(self.call("GET", "/be/v1/users?order[]=name&fields[]=username",
                                  cred=admin), 200)
        self.assertEqual([x["username"] for x in users["items"]],
                         sorted(["adminPrincipal", "u_a", "u_b", "u_c"]))
        self.assertTrue(all(set(x) == {"username"} for x in users["items"]))
        self.assertError(self.call("GET", "/be/v1/users?limit=1001", cred=admin), 400,
                         field="limit")

    def test_admin_org_deletion_removes_every_key_and_revokes_tokens(self):
        r = self.redis
        doc_a, a_admin = self.org("del_a")
        _, a_key = self.machine("del_a", a_admin, "a_bot", ["Administrators"])
        self.stack.create_org("del_a_x")                 # a name with del_a as prefix
        _, b_admin = self.org("del_b")
        _, b_key = self.machine("del_b", b_admin, "b_bot", ["Administrators"])
        # a task of org A as edge_task records it
        r("HSET", "e:task:hello_del_a_fake", "name", "hello_del_a_fake", "state", "succeeded")
        r("ZADD", "e:{del_a}:tasks", 1, "hello_del_a_fake")
        a_tokens = ["e:tok:" + t for t in r("SMEMBERS", "e:{del_a}:tokens")]
        self.assertTrue(a_tokens)
        self.assertError(self.stack.http("DELETE", "/adm/v1/orgs/del_a?prune=maybe",
                                         admin=True), 400)
        self.assertTrue(r.scan("e:{del_a}:*"))
        before = r.snapshot("*")
        self.assertEqual(self.stack.http("DELETE", "/adm/v1/orgs/del_a", admin=True)[0], 204)
        after = r.snapshot("*")
        gone = {k for k in before if k.startswith("e:{del_a}:")}
        gone |= set(a_tokens) | {"e:task:hello_del_a_fake"}
        self.assertEqual(sorted(set(before) - set(after)), sorted(gone))
        self.assertEqual(sorted(set(after) - set(before)), [])
        for k in after:
            if k != "e:orgs":
                self.assertEqual(after[k], before[k], "org deletion touched " + k)
        self.assertEqual(dict(after["e:orgs"][1]),
                         {m: s for m, s in before["e:orgs"][1] if m != "del_a"})
        self.assertError(self.call("GET", "/be/v1/users", cred=a_admin), 401)
        self.assertError(self.call("GET", "/be/v1/users", cred=a_key), 401)
        self.assertError(self.stack.login("del_a", "adminPrincipal", doc_a["password"]), 401)
        self.ok(self.call("GET", "/be/v1/users", cred=b_admin), 200)
        self.ok(self.call("GET", "/be/v1/users", cred=b_key), 200)
        self.assertError(self.stack.http("DELETE", "/adm/v1/orgs/del_a", admin=True), 404)
        self.assertError(self.stack.http("DELETE", "/adm/v1/orgs/del_a?prune=true",
                                         admin=True), 404)
        self.assertError(self.stack.http("DELETE", "/adm/v1/orgs/del_b"), 401)
        # the name is free again, and the old credentials stay dead
        self.stack.create_org("del_a")
        self.assertError(self.call("GET", "/be/v1/users", cred=a_admin), 401)
        self.assertError(self.call("GET", "/be/v1/users", cred=a_key), 401)

    def test_backend_org_deletion_is_for_the_orgs_own_administrators(self):
        r = self.redis
        _, admin = self.org("bdel_org")
        self.org("bdel_other")
        self.role(admin, "almost_all", dict(MAXIMA))
        _, nonadmin = self.machine("bdel_org", admin, "bdel_bot", ["almost_all"])
        self.assertError(self.call("DELETE", "/be/v1/orgs/bdel_org", cred=nonadmin), 403,
                         "forbidden")
        self.assertError(self.call("DELETE", "/be/v1/orgs/bdel_other", cred=admin), 404)
        self.assertError(self.call("DELETE", "/be/v1/orgs/no_such_org", cred=admin), 404)
        self.assertTrue(r.scan("e:{bdel_other}:*"))
        self.assertEqual(self.call("DELETE", "/be/v1/orgs/bdel_org", cred=admin)[0], 204)
        self.assertEqual(r.scan("e:{bdel_org}:*"), [])
        self.assertIsNone(r("ZSCORE", "e:orgs", "bdel_org"))
        self.assertError(self.call("GET", "/be/v1/users", cred=admin), 401)
        self.assertError(self.call("GET", "/be/v1/users", cred=nonadmin), 401)
        self.assertIsNotNone(r("ZSCORE", "e:orgs", "bdel_other"))

    def test_backend_org_creation_is_for_operator_administrators(self):
        _, op_admin = self.org("operator")
        self.role(op_admin, "op_all", dict(MAXIMA))
        _, op_nonadmin = self.machine("operator", op_admin, "op_bot", ["op_all"])
        _, other_admin = self.org("not_operator")
        body = {"orgName": "child_org", "email": "child@example.com", "adminUsername": "boss"}
        message = ("creating organizations through the backend API is reserved to the "
                   "operator organization")
        for cred in (other_admin, op_nonadmin):
            self.assertError(self.call("POST", "/be/v1/orgs", body, cred), 403, "forbidden")
        self.assertError(self.call("POST", "/be/v1/orgs", body, other_admin), 403,
                         "forbidden", message=message)
        self.assertIsNone(self.redis("ZSCORE", "e:orgs", "child_org"))
        doc = self.ok(self.call("POST", "/be/v1/orgs", body, op_admin), 201)
        self.assertEqual((doc["orgName"], doc["adminUsername"], doc["email"]),
                         ("child_org", "boss", "child@example.com"))
        self.assertEqual(len(doc["password"]), 24)
        self.ok(self.stack.login("child_org", "boss", doc["password"]), 200)
        self.assertError(self.call("POST", "/be/v1/orgs", body, op_admin), 409, "conflict")

    def test_org_named_tasks_leaves_the_task_queue_alone(self):
        r = self.redis
        task = self.stack.hello("before the tasks org")
        self.assertIsNotNone(r("ZSCORE", "e:tasks:queued", task))
        self.org("tasks")
        self.assertTrue(r.scan("e:{tasks}:*"))

        def others():
            return {k: v for k, v in r.snapshot("*").items()
                    if not k.startswith(("e:{tasks}:", "e:tok:")) and k != "e:orgs"}
        before = others()
        self.assertIn("e:tasks:queued", before)
        self.assertEqual(self.stack.http("DELETE", "/adm/v1/orgs/tasks", admin=True)[0], 204)
        self.assertEqual(others(), before)
        self.assertEqual(r.scan("e:{tasks}:*"), [])
        self.assertIsNone(r("ZSCORE", "e:orgs", "tasks"))
        self.assertIsNotNone(r("ZSCORE", "e:tasks:queued", task))
        self.assertEqual(self.stack.task(task)["state"], "queued")


# -- 11. the principal cache: revocations reach every gateway --------------------------
# The guarantee (docs/architecture.md §6): a change to a credential or its
# rights is enforced by the gateway that made it before it answers, and by
# every other gateway within EDGE_AUTH_CACHE_MS (at most 1 s) of that answer.
GUARANTEE_S = 1.0       # the documented bound, not the configured value
MARGIN_S = 0.1          # clock reads and request parsing
PATH = "/be/v1/users"   # beUsers R


class KeepAlive:
    """One keep-alive connection: civetweb serves it on one thread, so
    every request on it meets the same thread's principal cache."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path, cred):
        try:
            self.conn.request("GET", path, headers=cred)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # idle past civetweb's keep_alive_timeout_ms (a slow machine):
            # a new connection, maybe another thread; never a wrong pass
            self.conn.close()
            self.conn.request("GET", path, headers=cred)
            resp = self.conn.getresponse()
        payload = resp.read()
        headers = {k.lower(): v for k, v in resp.getheaders()}
        check_response("GET", path, resp.status, headers, payload, None, None)
        return resp.status

    def close(self):
        self.conn.close()


class AuthCache(IdentityCase):
    """Two gateways (A: the stack's, B: a second one) on one Redis. A
    credential is used on B (cached there), then revoked or changed through
    A; B must refuse every request sent more than GUARANTEE_S after A's
    answer. Run with EDGE_AUTH_CACHE_MS=5000 in the environment (and the
    maximum in gateway/main.c raised) and these tests fail."""
    ORG = "cache_org"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.port_b = free_port()
            cls.stack.start("gateway", "gateway_b",
                            {"EDGE_HTTP_LISTEN": "127.0.0.1:%d" % cls.port_b})
            poll(lambda: cls._b_ready(), 20, what="gateway B /healthz")
            cls.doc = cls.stack.create_org(cls.ORG)
            _, token = cls.stack.auth_token(cls.ORG, "adminPrincipal", cls.doc["password"])
        except BaseException:
            cls.stack.close()
            raise
        cls.admin = token_headers(token)

    @classmethod
    def _b_ready(cls):
        try:
            return cls.stack.http("GET", "/healthz", port=cls.port_b)[0] == 200
        except OSError:
            return False

    def warm(self, port, path, cred):
        """A keep-alive connection to port on which path answers 200 (so
        the credential is in that connection's thread's cache)."""
        conn = KeepAlive(port)
        self.addCleanup(conn.close)
        for _ in range(3):
            self.assertEqual(conn.get(path, cred), 200)
        return conn

    def assertRefusedWithin(self, targets, change):
        """Run change (a write through gateway A), then poll every target
        (connection, credential, refusal status) until each answers its
        refusal; a request sent more than GUARANTEE_S (+ margin) after A's
        answer must be refused. The targets are polled in turn, every few
        milliseconds: an idle connection would be closed by civetweb
        (keep_alive_timeout_ms) and the next one might meet another thread."""
        change()
        t0 = time.monotonic()
        waiting = list(targets)
        while waiting:
            for target in list(waiting):
                conn, cred, refused = target
                sent = time.monotonic()
                status = conn.get(PATH, cred)
                if status == refused:
                    waiting.remove(target)
                    # and it stays refused (failures are never cached)
                    self.assertEqual(conn.get(PATH, cred), refused)
                    continue
                self.assertEqual(status, 200, "neither the old answer nor the refusal")
                self.assertLess(sent - t0, GUARANTEE_S + MARGIN_S,
                                "still accepted %.3f s after the change" % (sent - t0))
            time.sleep(0.01)            # pacing of the poll, not a synchronisation

    def user_headers(self, username, roles):
        self.person(self.admin, username, roles)
        _, token = self.stack.auth_token(self.ORG, username, PASSWORD)
        return token_headers(token)

    def test_logout_on_a_reaches_b_within_the_bound(self):
        cred = self.user_headers("lo_user", ["Administrators"])
        b = self.warm(self.port_b, PATH, cred)
        self.assertRefusedWithin([(b, cred, 401)], lambda: self.ok(
            self.call("POST", "/be/v1/logout", headers=cred), 204))

    def test_deleted_user_token_and_key_reach_b_within_the_bound(self):
        tok = self.user_headers("del_user", ["Administrators"])
        _, key = self.machine(self.ORG, self.admin, "del_bot", ["Administrators"])
        b_tok = self.warm(self.port_b, PATH, tok)
        self.assertRefusedWithin([(b_tok, tok, 401)], lambda: self.ok(
            self.call("DELETE", "/be/v1/users/del_user", cred=self.admin), 204))
        b_key = self.warm(self.port_b, PATH, key)
        self.assertRefusedWithin([(b_key, key, 401)], lambda: self.ok(
            self.call("DELETE", "/be/v1/users/del_bot", cred=self.admin), 204))

    def test_deleted_api_key_reaches_b_within_the_bound(self):
        bot, key = self.machine(self.ORG, self.admin, "key_bot", ["Administrators"])
        b = self.warm(self.port_b, PATH, key)
        self.assertRefusedWithin([(b, key, 401)], lambda: self.ok(
            self.call("DELETE", "/be/v1/apikeys",
                      {"username": "key_bot", "keyId": bot["keyId"]}, self.admin), 204))

    def test_role_changes_reach_b_within_the_bound(self):
        self.role(self.admin, "cache_reader", {"beUsers": 2})
        self.role(self.admin, "cache_other", {"roles": 2})
        tok = self.user_headers("role_user", ["cache_reader"])
        _, key = self.machine(self.ORG, self.admin, "role_bot", ["cache_reader"])
        # the role's permissions change: 403 for both
        b_tok = self.warm(self.port_b, PATH, tok)
        b_key = self.warm(self.port_b, PATH, key)
        self.assertRefusedWithin([(b_tok, tok, 403), (b_key, key, 403)], lambda: self.ok(
            self.call("PATCH", "/be/v1/roles", {"name": "cache_reader",
                                                "permissions": {"beUsers": 0}},
                      self.admin), 200))
        # restored, then the user's roles change
        self.ok(self.call("PATCH", "/be/v1/roles", {"name": "cache_reader",
                                                    "permissions": {"beUsers": 2}},
                          self.admin), 200)
        b_key = KeepAlive(self.port_b)
        self.addCleanup(b_key.close)
        poll(lambda: b_key.get(PATH, key) == 200, 10, what="the restored role on gateway B")
        self.assertRefusedWithin([(b_key, key, 403)], lambda: self.ok(
            self.call("PATCH", "/be/v1/users", {"username": "role_bot",
                                                "roles": ["cache_other"]}, self.admin),
            200))

    def test_the_gateway_that_made_the_change_refuses_at_once(self):
        port_a = self.stack.http_port
        tok = self.user_headers("now_user", ["Administrators"])
        bot, key = self.machine(self.ORG, self.admin, "now_bot", ["Administrators"])
        self.role(self.admin, "now_reader", {"beUsers": 2})
        rtok = self.user_headers("now_reader_user", ["now_reader"])
        # warmed on their own connections (threads of A); the changes go
        # through other connections, so other threads
        a_tok = self.warm(port_a, PATH, tok)
        self.ok(self.call("POST", "/be/v1/logout", headers=tok), 204)
        self.assertEqual(a_tok.get(PATH, tok), 401)
        a_key = self.warm(port_a, PATH, key)
        self.ok(self.call("DELETE", "/be/v1/apikeys",
                          {"username": "now_bot", "keyId": bot["keyId"]}, self.admin), 204)
        self.assertEqual(a_key.get(PATH, key), 401)
        a_role = self.warm(port_a, PATH, rtok)
        self.ok(self.call("PATCH", "/be/v1/roles", {"name": "now_reader",
                                                    "permissions": {"beUsers": 0}},
                          self.admin), 200)
        self.assertEqual(a_role.get(PATH, rtok), 403)
        self.ok(self.call("PATCH", "/be/v1/users", {"username": "now_reader_user",
                                                    "roles": ["Administrators"]}, self.admin),
                200)
        self.assertEqual(a_role.get(PATH, rtok), 200)
        self.ok(self.call("DELETE", "/be/v1/users/now_reader_user", cred=self.admin), 204)
        self.assertEqual(a_role.get(PATH, rtok), 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
