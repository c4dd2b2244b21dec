"""End to end: the server and docs/openapi.yaml agree on what every
operation refuses, probed operation by operation from the document itself:
- every closed JSON (or msgpack) request body (additionalProperties: false;
  test_openapi_doc.py requires that of all of them) refuses an unknown
  member with 400 unknown_field naming it, for a caller with every right;
- every operation with a security requirement answers 401 without
  credentials;
- every JSON request body over the configured limit is 413, and one of
  another content type is 415.
The answers themselves go through the same response check as every other
suite's (contract.py): each status must be documented for its operation."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from contract import contract  # noqa: E402
from harness import Stack  # noqa: E402

PROBE = "zzUnknownMember"
MAX_BODY = 64 << 10          # EDGE_GATEWAY_MAX_BODY of this stack
TRACE_MAX = 128 << 10        # EDGE_TRACE_MAX_BYTES of this stack


def msgpack_probe():
    """{PROBE: 1} in msgpack (fixmap of one fixstr key and a fixint)."""
    key = PROBE.encode()
    return b"\x81" + bytes([0xa0 | len(key)]) + key + b"\x01"


class UnknownMembers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(workers=0, notifier=False,
                          env={"EDGE_OPERATOR_ORG": "probeorg",
                               "EDGE_GATEWAY_MAX_BODY": str(MAX_BODY),
                               "EDGE_TRACE_MAX_BYTES": str(TRACE_MAX)})
        try:
            cls.be = cls.stack.org_admin_headers("probeorg")
        except BaseException:
            cls.stack.close()
            raise

    @classmethod
    def tearDownClass(cls):
        codes = cls.stack.close()
        assert all(c == 0 for c in codes.values()), codes

    def operations(self):
        """(method, concrete path, operation, JSON-ish media types of its
        request body) of every documented operation."""
        c = contract()
        for _, template, method, op in c.ops:
            body = c.resolve(op.get("requestBody") or {})
            media = [m for m in (body.get("content") or {}) if "json" in m or "msgpack" in m]
            yield method, template.replace("{", "probe_").replace("}", ""), op, media

    def test_every_secured_operation_is_401_without_credentials(self):
        probed = 0
        for method, path, op, media in self.operations():
            if not op.get("security"):
                continue
            with self.subTest(op=op["operationId"]):
                body = {} if media else None
                status, _, doc = self.stack.http(method, path, body)
                self.assertEqual(status, 401, doc)
                probed += 1
        self.assertGreaterEqual(probed, 45)

    def test_every_json_body_over_the_limit_is_413(self):
        probed = 0
        for method, path, op, media in self.operations():
            if "application/json" not in media:
                continue
            limit = TRACE_MAX if path == "/client/v1/traces" else MAX_BODY
            with self.subTest(op=op["operationId"]):
                raw = b'{"x":"' + b"a" * limit + b'"}'
                status, _, doc = self.stack.http(method, path, raw=raw,
                                                 headers={"content-type": "application/json"},
                                                 admin=path.startswith("/adm/"))
                self.assertEqual(status, 413, doc)
                self.assertEqual(doc["error"]["code"], "payload_too_large", doc)
                probed += 1
        self.assertGreaterEqual(probed, 20)

    def test_every_json_body_of_another_type_is_415(self):
        probed = 0
        for method, path, op, media in self.operations():
            if "application/json" not in media:
                continue
            admin = path.startswith("/adm/")
            headers = {} if admin else dict(self.be)
            headers["content-type"] = "text/plain"
            with self.subTest(op=op["operationId"]):
                status, _, doc = self.stack.http(method, path, raw=b"{}", headers=headers,
                                                 admin=admin)
                self.assertEqual(status, 415, doc)
                probed += 1
        self.assertGreaterEqual(probed, 20)

    def test_every_closed_request_body_refuses_an_unknown_member(self):
        c = contract()
        probed = 0
        for _, template, method, op in c.ops:
            body = c.resolve(op.get("requestBody") or {})
            for media in (body.get("content") or {}):
                if "json" not in media and "msgpack" not in media:
                    continue
                path = template.replace("{", "probe_").replace("}", "")
                with self.subTest(op=op["operationId"], media=media):
                    admin = path.startswith("/adm/")
                    headers = {} if admin else dict(self.be)
                    if "msgpack" in media:
                        headers["content-type"] = media
                        status, _, doc = self.stack.http(method, path, raw=msgpack_probe(),
                                                         headers=headers, admin=admin)
                    else:
                        status, _, doc = self.stack.http(method, path, {PROBE: 1},
                                                         headers=headers, admin=admin)
                    self.assertEqual(status, 400, doc)
                    self.assertEqual(doc["error"]["code"], "unknown_field", doc)
                    self.assertEqual(doc["error"].get("field"), PROBE, doc)
                    probed += 1
        self.assertGreaterEqual(probed, 20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
