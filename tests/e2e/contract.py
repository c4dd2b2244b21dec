"""The API contract as the tests hold the server to it: every response the
end-to-end suites receive is checked against docs/openapi.yaml (status
documented for the operation, body valid against the operation's response
schema with a real JSON Schema 2020-12 validator, required headers present
and valid), and every check is recorded so that the suites' coverage of the
document can be printed at the end of the run (tests/e2e/coverage.py).

Uses Debian's python3-yaml and python3-jsonschema; no second copy of any
schema lives here: everything is read from the document."""
import atexit
import json
import os
import re
import sys
import threading

import jsonschema
import yaml

DOC_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
DIALECT = "https://json-schema.org/draft/2020-12/schema"


class ContractError(AssertionError):
    """A response the document does not describe."""


def _header_value(schema, text):
    """A header's text as the JSON value its schema types it as."""
    if schema.get("type") in ("integer", "number", "boolean"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _media(ctype):
    return (ctype or "").split(";")[0].strip().lower()


class Contract:
    """docs/openapi.yaml, indexed for checking responses."""

    def __init__(self, path=DOC_PATH):
        with open(path) as f:
            self.doc = yaml.safe_load(f)
        self.components = self.doc.get("components", {})
        self.ops = []            # (regex, template, method, operation)
        for template, item in self.doc.get("paths", {}).items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            for method in METHODS:
                if method in item:
                    self.ops.append((re.compile(pattern), template, method.upper(),
                                     item[method]))
        self._validators = {}
        self._lock = threading.Lock()

    # -- the document ----------------------------------------------------------
    def resolve(self, node):
        """node with a local $ref followed (recursively)."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError("non-local $ref %s" % ref)
            target = self.doc
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
            if seen > 32:
                raise ValueError("$ref loop at %s" % ref)
        return node

    def operations(self):
        """[(method, template, operationId, [documented status codes])]."""
        return [(m, t, op["operationId"], sorted(op.get("responses", {})))
                for _, t, m, op in self.ops]

    def webhook_schema(self, name="taskEvent"):
        """The request body schema of a documented webhook (a $ref node)."""
        post = self.doc["webhooks"][name]["post"]
        return post["requestBody"]["content"]["application/json"]["schema"]

    def validator(self, schema, projected=False):
        """A 2020-12 validator for schema (a node of this document); local
        $refs resolve against the document's components. projected: the
        answer to a `fields[]` request, a projection of the schema (members
        may be left out, `required` is not enforced; types still are)."""
        key = (json.dumps(schema, sort_keys=True), projected)
        with self._lock:
            v = self._validators.get(key)
            if v is None:
                root = {"$schema": DIALECT, "components": self.components,
                        "allOf": [schema]}
                jsonschema.Draft202012Validator.check_schema(root)
                cls = _Projected if projected else jsonschema.Draft202012Validator
                v = cls(root, format_checker=jsonschema.FormatChecker())
                self._validators[key] = v
            return v

    def first_error(self, schema, instance, projected=False):
        """The first schema error of instance as text, or None."""
        errors = sorted(self.validator(schema, projected).iter_errors(instance),
                        key=lambda e: (len(list(e.absolute_path)), str(e.message)))
        if not errors:
            return None
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        return "at %s: %s" % (where, e.message)

    # -- responses -------------------------------------------------------------
    def match(self, method, path):
        """(template, operation) for the request, ("", None) when the path is
        documented with other methods only, (None, None) when unknown."""
        path = path.split("?", 1)[0]
        known = False
        for regex, template, m, op in self.ops:
            if regex.match(path):
                if m == method:
                    return template, op
                known = True
        return ("", None) if known else (None, None)

    def check(self, method, path, status, headers, body, request=None, request_type=None):
        """Raise ContractError unless the response is what the document
        says. headers: {lowercase name: value}; body: bytes. When the
        request's JSON body (request, bytes) was accepted (2xx), it must be
        valid against the operation's request schema too: a server that
        takes what the document refuses has drifted as much as one that
        answers what it does not describe. Returns the operationId checked
        (or a pseudo-name for 404/405 of the router)."""
        headers = {k.lower(): v for k, v in headers.items()}
        where = "%s %s -> %d" % (method, path.split("?", 1)[0], status)
        rid = headers.get("x-request-id")
        if not rid or not re.match(r"^[A-Za-z0-9._:-]{1,128}$", rid):
            raise ContractError("%s: x-request-id missing or invalid (%r)" % (where, rid))
        template, op = self.match(method, path)
        if op is None:
            # The router's own answers: unknown path 404, known path with
            # another method 405 (+ Allow); both with the Error body.
            expected = 404 if template is None else 405
            if status != expected:
                raise ContractError("%s: undocumented operation answered %d (expected the "
                                    "router's %d)" % (where, status, expected))
            if expected == 405 and not headers.get("allow"):
                raise ContractError("%s: 405 without Allow" % where)
            self._check_error_body(where, status, headers, body)
            name = "(unknown path)" if expected == 404 else "(method not allowed)"
            _record(name, status)
            return name
        op_id = op["operationId"]
        where = "%s (%s)" % (where, op_id)
        responses = op.get("responses", {})
        key = str(status)
        if key not in responses:
            key = "%dXX" % (status // 100)
            if key not in responses:
                key = "default"
        if key not in responses:
            raise ContractError("%s: status %d is not documented for this operation "
                                "(documented: %s)" % (where, status,
                                                      ", ".join(sorted(responses))))
        if status < 300 and request and _media(request_type).endswith("json"):
            self._check_request(where, op, request, request_type)
        response = self.resolve(responses[key])
        for name, header in (response.get("headers") or {}).items():
            header = self.resolve(header)
            value = headers.get(name.lower())
            if value is None:
                if header.get("required"):
                    raise ContractError("%s: required header %s missing" % (where, name))
                continue
            if "schema" in header:
                err = self.first_error(header["schema"], _header_value(header["schema"], value))
                if err:
                    raise ContractError("%s: header %s: %s" % (where, name, err))
        content = response.get("content") or {}
        if not content:
            if body:
                raise ContractError("%s: the document describes no body, got %d bytes"
                                    % (where, len(body)))
            _record(op_id, status)
            return op_id
        ctype = headers.get("content-type", "")
        media = {_media(k): v for k, v in content.items()}
        if _media(ctype) not in media:
            raise ContractError("%s: content-type %r is not documented (%s)"
                                % (where, ctype, ", ".join(content)))
        schema = (media[_media(ctype)] or {}).get("schema")
        if schema is not None and _media(ctype).endswith("json"):
            try:
                instance = json.loads(body)
            except ValueError as e:
                raise ContractError("%s: body is not JSON: %s" % (where, e))
            projected = status < 300 and bool(re.search(r"[?&]fields(\[\]|%5B%5D)=",
                                                        path, re.I))
            err = self.first_error(schema, instance, projected)
            if err:
                raise ContractError("%s: body does not match the schema %s" % (where, err))
        _record(op_id, status)
        return op_id

    def _check_request(self, where, op, request, request_type):
        content = (self.resolve(op.get("requestBody") or {}).get("content") or {})
        media = {_media(k): v for k, v in content.items()}
        if _media(request_type) not in media:
            raise ContractError("%s: accepted a %r body the document does not describe"
                                % (where, request_type))
        schema = (media[_media(request_type)] or {}).get("schema")
        if schema is None:
            return
        try:
            instance = json.loads(request)
        except ValueError:
            raise ContractError("%s: accepted a body that is not JSON" % where)
        err = self.first_error(schema, instance)
        if err:
            raise ContractError("%s: accepted a request body the schema refuses %s"
                                % (where, err))

    def _check_error_body(self, where, status, headers, body):
        if _media(headers.get("content-type")) != "application/json":
            raise ContractError("%s: error without a JSON body" % where)
        try:
            instance = json.loads(body)
        except ValueError as e:
            raise ContractError("%s: body is not JSON: %s" % (where, e))
        err = self.first_error({"$ref": "#/components/schemas/Error"}, instance)
        if err:
            raise ContractError("%s: body does not match Error %s" % (where, err))
        if instance["error"]["status"] != status:
            raise ContractError("%s: error.status %r differs" % (where, instance["error"]["status"]))


_Projected = jsonschema.validators.extend(jsonschema.Draft202012Validator,
                                         {"required": lambda *args: iter(())})


# -- coverage records ------------------------------------------------------------
_seen = {}
_seen_lock = threading.Lock()
_contract = None


def _record(op_id, status):
    with _seen_lock:
        _seen.setdefault(op_id, set()).add(str(status))


def _flush():
    out_dir = os.environ.get("EDGE_CONTRACT_DIR")
    if not out_dir:
        return
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "seen-%d.json" % os.getpid())
    with _seen_lock:
        data = {k: sorted(v) for k, v in _seen.items()}
    # which suite recorded them (the report enforces full coverage only
    # when every suite ran)
    data["(suite)"] = [os.path.splitext(os.path.basename(sys.argv[0]))[0]]
    with open(path + ".tmp", "w") as f:
        json.dump(data, f)
    os.replace(path + ".tmp", path)


atexit.register(_flush)


def contract():
    """The shared Contract of this process."""
    global _contract
    if _contract is None:
        _contract = Contract()
    return _contract


def check_webhook_body(body):
    """Check a delivered webhook body (parsed JSON) against the document's
    WebhookRequestBody; raise ContractError with the first schema error."""
    c = contract()
    err = c.first_error(c.webhook_schema(), body)
    if err:
        raise ContractError("webhook body does not match WebhookRequestBody %s: %s"
                            % (err, json.dumps(body)))
    _record("taskEventWebhook", 200)


def check_response(method, path, status, headers, body, request=None, request_type=None):
    """Check one response (and the request body it accepted) against the
    document (see Contract.check)."""
    return contract().check(method, path, status, headers, body, request, request_type)
