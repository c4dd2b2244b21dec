"""The API description itself: docs/openapi.yaml passes Redocly's
recommended rules with no error and no warning (scripts/redocly.sh, the npm
package @redocly/cli installed into .cache/), every schema in it is a valid
JSON Schema 2020-12 schema, every response documents x-request-id, and every
JSON request body is closed (additionalProperties: false, as the server
refuses unknown fields: test_contract.py proves that side)."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from contract import DOC_PATH, Contract  # noqa: E402

REPO = os.path.join(os.path.dirname(__file__), "..", "..")


def closed(c, schema):
    """True when the object schema refuses members it does not list."""
    schema = c.resolve(schema)
    if "oneOf" in schema or "anyOf" in schema:
        return all(closed(c, s) for s in schema.get("oneOf", []) + schema.get("anyOf", []))
    return schema.get("additionalProperties") is False or \
        schema.get("unevaluatedProperties") is False


class Document(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Contract()

    def test_redocly_lint_recommended_has_no_error_and_no_warning(self):
        res = subprocess.run([os.path.join(REPO, "scripts", "redocly.sh"), "lint",
                              "--config", os.path.join(REPO, "redocly.yaml"),
                              "--format=json", DOC_PATH],
                             capture_output=True, text=True, timeout=300, cwd=REPO)
        if res.returncode in (3, 4) and not res.stdout.strip():
            self.fail("redocly could not be installed: %s" % res.stderr[-2000:])
        report = json.loads(res.stdout)
        problems = ["%s %s: %s" % (p["severity"], p["ruleId"], p["message"])
                    for p in report["problems"]]
        self.assertEqual(report["totals"]["errors"], 0, "\n".join(problems))
        self.assertEqual(report["totals"]["warnings"], 0, "\n".join(problems))
        self.assertEqual(res.returncode, 0, res.stderr[-2000:])

    def test_every_schema_is_valid_json_schema_2020_12(self):
        for name, schema in self.c.components["schemas"].items():
            with self.subTest(schema=name):
                self.c.validator({"$ref": "#/components/schemas/" + name})

    def test_every_response_documents_x_request_id(self):
        for method, template, op_id, codes in self.c.operations():
            op = self.c.match(method, template.replace("{", "").replace("}", ""))[1]
            for code in codes:
                with self.subTest(op=op_id, status=code):
                    response = self.c.resolve(op["responses"][code])
                    self.assertIn("x-request-id", response.get("headers", {}))

    def test_every_json_request_body_is_closed(self):
        for _, template, method, op in self.c.ops:
            body = self.c.resolve(op.get("requestBody") or {})
            for media, content in (body.get("content") or {}).items():
                if "json" in media or "msgpack" in media:
                    with self.subTest(op=op["operationId"], media=media):
                        self.assertTrue(closed(self.c, content["schema"]))

    def test_the_license_is_named(self):
        self.assertEqual(self.c.doc["info"]["license"]["identifier"], "Apache-2.0")
        with open(os.path.join(REPO, "LICENSE")) as f:
            self.assertIn("Apache License", f.read(200))


if __name__ == "__main__":
    unittest.main(verbosity=2)
