"""End to end, issue #6 (traces): a generated game (bench/gamegen.py) is
imported through the stack; a machine user (role: trainings U) uploads 12
play-session traces to POST /client/v1/traces (JSON and msgpack); the
trigger builds a new image laid out in load order (buildChanged true, new
dxfName on the app and the fs origin, training figures before/after); the
preload of 5 held-out sessions, computed here from the published manifests,
is far below the tar's file order; a second trigger with nothing new changes
nothing. Bad traces (unknown path, range outside a file, decreasing times,
malformed JSON/msgpack, unknown build, another org's app, no permission)
are refused and store nothing."""
import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
import gamegen  # noqa: E402
from harness import (BIN, FileServer, Stack, edge_fetch, is_sanitized,  # noqa: E402
                     key_headers, normalize, poll, read_tree, token_headers)
from receiver import Receiver  # noqa: E402
from contract import check_webhook_body  # noqa: E402

ORG, OTHER, APP = "acme", "zeta", "game"
SIZE = "12MiB" if is_sanitized() else "24MiB"
FILES = 300
N_TRAIN, N_HELD = 12, 5
TIMEOUT = 240 if is_sanitized() else 90
MBIT = 100
TRACE_ID = r"^tr_[0-9a-f]{20}$"


class Traces(unittest.TestCase):
    """One stack: org acme with the app game (build b1 imported), org zeta
    with the app zgame; machine users with and without trainings U."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="edge-traces-")
        cls.files = FileServer()
        cls.rx = Receiver()
        cls.stack = None
        try:
            cls._setup()
        except BaseException:
            cls._close()
            raise

    @classmethod
    def _setup(cls):
        game = os.path.join(cls.tmp, "game")
        cls.truth = gamegen.write_build(game, "e2e-6", gamegen.parse_size(SIZE), FILES)
        cls.sizes = {f["path"]: f["size"] for f in cls.truth["files"]}
        cls.train = [gamegen.make_session(cls.truth, "train-%d" % i) for i in range(N_TRAIN)]
        cls.held = [gamegen.make_session(cls.truth, "held-%d" % i) for i in range(N_HELD)]
        url = cls.files.add("/game.tar", filename=os.path.join(game, "build.tar"))
        cls.stack = Stack(workers=1, env={"EDGE_URL_ALLOW": "127.0.0.0/8",
                                          "EDGE_AUTH_TOKEN_TTL_S": "3600"})
        cls.redis = cls.stack.redis
        cls.auth = {}
        for org in (ORG, OTHER):
            doc = cls.stack.create_org(org)
            _, token = cls.stack.auth_token(org, doc["adminUsername"], doc["password"])
            cls.auth[org] = token_headers(token)
        cls.origin = os.path.join(cls.tmp, "origin")
        os.makedirs(cls.origin)
        cls.call("POST", "/be/v1/deployments",
                 {"name": "origin", "kind": "fs", "fs": {"path": cls.origin}})
        cls.call("POST", "/be/v1/apps", {"name": APP, "label": "Game", "deployments": ["origin"]})
        cls.call("POST", "/be/v1/apps", {"name": "zgame", "label": "Z"}, org=OTHER)
        cls.call("POST", "/be/v1/subscriptions",
                 {"name": "mk", "url": cls.rx.url("/hooks/mk"), "types": ["mkraw"],
                  "events": ["end"]})
        doc = cls.call("POST", "/be/v1/builds", {"appName": APP, "buildName": "b1", "url": url},
                       status=202)
        tasks = cls.stack.wait_group(doc["group"], cls.auth[ORG], TIMEOUT)
        states = {t: tasks[t]["state"] for t in tasks}
        assert states == {"dltar": "succeeded", "mkraw": "succeeded",
                          "deploy": "succeeded"}, tasks
        cls.dxf1 = tasks["mkraw"]["result"]["dxfName"]
        cls.key = cls.machine(ORG, "launcher", {"trainings": 6})
        cls.reader = cls.machine(ORG, "reader", {"trainings": 2, "apps": 15})
        cls.zkey = cls.machine(OTHER, "zlauncher", {"trainings": 6})

    @classmethod
    def call(cls, method, path, body=None, org=ORG, status=201):
        st, _, doc = cls.stack.http(method, path, body, headers=cls.auth[org])
        assert st == status, (method, path, st, doc)
        return doc

    @classmethod
    def machine(cls, org, name, permissions):
        """A role with permissions and a machine user holding it; returns its
        API-key headers."""
        cls.call("POST", "/be/v1/roles", {"name": name + "_role", "permissions": permissions},
                 org=org)
        doc = cls.call("POST", "/be/v1/users", {"username": name + "_bot", "label": name,
                                                "roles": [name + "_role"], "machine": True},
                       org=org)
        return key_headers(org, name + "_bot", doc["apiKey"])

    @classmethod
    def _close(cls):
        codes = cls.stack.close() if cls.stack else {}
        cls.rx.close()
        cls.files.close()
        if not os.environ.get("EDGE_E2E_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)
        return codes

    @classmethod
    def tearDownClass(cls):
        codes = cls._close()
        assert all(c == 0 for c in codes.values()), codes

    # -- helpers -----------------------------------------------------------------
    def be(self, method, path, body=None, org=ORG):
        return self.stack.http(method, path, body, headers=self.auth[org])

    def ok(self, res, status):
        st, _, doc = res
        self.assertEqual(st, status, doc)
        return doc

    def upload(self, doc=None, headers=None, fmt="json", raw=None):
        """POST /client/v1/traces with doc as JSON or msgpack (or raw bytes)."""
        h = dict(self.key if headers is None else headers)
        if raw is None:
            raw = gamegen.msgpack_dumps(doc) if fmt == "msgpack" else json.dumps(doc).encode()
        h["content-type"] = "application/msgpack" if fmt == "msgpack" else "application/json"
        return self.stack.http("POST", "/client/v1/traces", headers=h, raw=raw)

    def trace_doc(self, accesses, **names):
        doc = {"appName": APP}
        doc.update(names or {"buildName": "b1"})
        doc["accesses"] = accesses
        return doc

    def count(self, org=ORG, app=APP):
        return int(self.redis("ZCARD", "e:{%s}:app:%s:traces" % (org, app)))

    def depot_traces(self):
        root = os.path.join(self.stack.dir, "store", "traces")
        return sorted(os.path.relpath(os.path.join(b, n), root)
                      for b, _, names in os.walk(root) for n in names)

    def refused(self, res, status, code=None, field=None):
        """The upload failed with status (and code/field); nothing stored."""
        st, _, doc = res
        self.assertEqual(st, status, doc)
        self.assertEqual(doc["error"]["status"], status, doc)
        if code:
            self.assertEqual(doc["error"]["code"], code, doc)
        if field:
            self.assertEqual(doc["error"].get("field"), field, doc)
        self.assertEqual((self.count(), self.depot_traces()), self.stored, "a refusal stored")
        self.assertEqual(self.redis.scan("e:{%s}:app:*:trace:*" % ORG), self.trace_keys)
        return doc

    def trigger(self):
        """POST /be/v1/trigger {appName}; waits for the mkraw task's end;
        returns its record."""
        doc = self.ok(self.be("POST", "/be/v1/trigger", {"appName": APP}), 202)
        name = doc["taskName"]

        def final():
            t = self.ok(self.be("GET", "/be/v1/tasks/" + name), 200)
            return t if t["state"] in ("succeeded", "failed", "expired") else None
        task = poll(final, TIMEOUT, interval=0.05, what="trace processing %s" % name)
        self.assertEqual((task["type"], task["state"]), ("mkraw", "succeeded"), task)
        return task

    def end_event(self, name):
        ends = [e for e in self.redis.events(name) if e["event"] == "end"]
        self.assertEqual(len(ends), 1, self.redis.events(name))
        return ends[0]

    def webhook(self, name):
        def got():
            for r in self.rx.received():
                body = json.loads(r["body"])
                if body.get("taskName") == name and body.get("event") == "end":
                    return body
            return None
        body = poll(got, 20, what="the end webhook of %s" % name)
        check_webhook_body(body)
        return body

    def image(self, dxf):
        path = os.path.join(self.origin, "dxf", ORG, APP, "0001", dxf, "manifest.json")
        self.assertTrue(os.path.isfile(path), path)
        return gamegen.Image.load(path)

    def training(self):
        return self.ok(self.be("GET", "/be/v1/trainings/" + APP), 200)

    # -- 1. refusals (before any trace is stored) ---------------------------------
    def test_1_bad_traces_are_refused_and_store_nothing(self):
        self.stored = (self.count(), self.depot_traces())
        self.trace_keys = self.redis.scan("e:{%s}:app:*:trace:*" % ORG)
        self.assertEqual(self.stored, (0, []))
        st, _, doc = self.be("POST", "/be/v1/trigger", {"appName": APP})
        self.assertEqual((st, doc["error"]["code"]), (409, "not_enough_traces"), doc)
        good = [list(a) for a in self.train[0]]
        path, size = "bin/game.elf", self.sizes["bin/game.elf"]

        def with_access(i, access):
            acc = [list(a) for a in good]
            acc[i] = access
            return acc
        t5 = good[5][0]
        bad = {   # what: (accesses, index of the first bad access)
            "unknown path": (with_access(5, [t5, "bin/nope.elf", 0, 10]), 5),
            "directory path": (with_access(5, [t5, "bin", 0, 10]), 5),
            "range past the end": (with_access(5, [t5, path, size - 10, 11]), 5),
            "offset at the end": (with_access(5, [t5, path, size, 1]), 5),
            "zero length": (with_access(5, [t5, path, 0, 0]), 5),
            "negative offset": (with_access(5, [t5, path, -1, 10]), 5),
            "negative time": ([[-1, path, 0, 10]], 0),
            "short access": (with_access(5, [t5, path, 0]), 5),
            "string time": (with_access(5, [str(t5), path, 0, 10]), 5),
            "decreasing time": ([[1000, path, 0, 10], [999, path, 10, 10]], 1),
            "time before the previous": ([[0, path, 0, 10], [500, path, 10, 10],
                                          [499, path, 20, 10]], 2),
        }
        for what, (accesses, index) in bad.items():
            for fmt in ("json", "msgpack"):
                with self.subTest(what=what, fmt=fmt):
                    doc = self.refused(self.upload(self.trace_doc(accesses), fmt=fmt), 400)
                    self.assertIn(doc["error"]["code"], ("invalid_access", "invalid_field"),
                                  doc)
                    self.assertTrue(re.match(r"^accesses\[%d\]" % index,
                                             doc["error"].get("field", "")), doc)
        for what in ("unknown path", "range past the end", "offset at the end",
                     "decreasing time", "time before the previous"):
            accesses, index = bad[what]
            doc = self.refused(self.upload(self.trace_doc(accesses)), 400, "invalid_access",
                               "accesses[%d]" % index)
        self.assertIn("accesses", doc["error"]["message"] + doc["error"]["field"])
        # malformed bodies and fields
        self.refused(self.upload(raw=b'{"appName": "game", "accesses": [[0, '), 400,
                     "malformed_json")
        self.refused(self.upload(raw=b"\x83\xa7appName\xa4game\xa9buildName", fmt="msgpack"),
                     400, "malformed_msgpack")
        self.refused(self.upload(raw=b"\x93\x01\x02\x03", fmt="msgpack"), 400)
        self.refused(self.upload(raw=gamegen.msgpack_dumps(self.trace_doc(good)) + b"\x00",
                                 fmt="msgpack"), 400, "malformed_msgpack")
        self.refused(self.upload({"appName": APP, "accesses": good}), 400, "missing_field")
        self.refused(self.upload({"appName": APP, "buildName": "b1"}), 400, "missing_field",
                     "accesses")
        self.refused(self.upload(dict(self.trace_doc(good), player="p1")), 400,
                     "unknown_field", "player")
        # unknown build or image, other org's app, unknown app
        self.refused(self.upload(self.trace_doc(good, buildName="b9")), 404)
        self.refused(self.upload(self.trace_doc(good, dxfName="dxf_0000000000000000")), 404)
        self.refused(self.upload(dict(self.trace_doc(good), appName="zgame")), 404)
        self.refused(self.upload(dict(self.trace_doc(good), appName="nope_app")), 404)
        self.refused(self.upload(self.trace_doc(good), headers=self.zkey), 404)
        # no permission, no credentials
        self.refused(self.upload(self.trace_doc(good), headers=self.reader), 403)
        self.refused(self.upload(self.trace_doc(good), headers={}), 401)
        self.assertEqual(self.count(OTHER, "zgame"), 0)

    def test_1_training_settings_need_trainings_update(self):
        body = {"appName": APP, "nTracesReliable": 10, "percentile": 90}
        st, _, doc = self.stack.http("PATCH", "/be/v1/trainings", body, headers=self.reader)
        self.assertEqual(st, 403, doc)
        st, _, doc = self.stack.http("PATCH", "/be/v1/trainings", dict(body, appName="zgame"),
                                     headers=self.key)
        self.assertEqual(st, 404, doc)
        st, _, doc = self.stack.http("PATCH", "/be/v1/trainings", body, headers=self.key)
        self.assertEqual(st, 200, doc)
        self.assertEqual((doc["appName"], doc["nTracesReliable"], doc["percentile"]),
                         (APP, 10, 90), doc)
        st, _, got = self.stack.http("GET", "/be/v1/trainings/" + APP, headers=self.reader)
        self.assertEqual(st, 200, got)
        self.assertEqual(got["nTracesReliable"], 10)

    # -- 2. uploads, trigger, reorder --------------------------------------------------
    def test_2_traces_reorder_the_image_and_cut_the_preload(self):
        ids = self.upload_training()
        self.check_stored(ids)
        before_app = self.ok(self.be("GET", "/be/v1/apps/" + APP), 200)
        self.assertEqual(before_app["dxfName"], self.dxf1)
        doc = self.training()
        self.assertEqual((doc["appName"], doc["traces"], doc["tracesCurrentBuild"],
                          doc["nTracesReliable"], doc["bandwidthBps"], doc["percentile"]),
                         (APP, N_TRAIN, N_TRAIN, 10, 100000000, 90), doc)
        self.assertEqual(self.ok(self.be("GET", "/be/v1/trainings/" + APP, org=OTHER), 404)
                         ["error"]["code"], "not_found")

        task = self.trigger()
        result = task["result"]
        self.assertIs(result["buildChanged"], True, result)
        dxf2 = result["dxfName"]
        self.assertNotEqual(dxf2, self.dxf1)
        self.assertEqual(task["dxfName"], dxf2)
        end = self.end_event(task["name"])
        self.assertEqual((end.get("buildChanged"), end.get("dxfName")), ("true", dxf2), end)
        hook = self.webhook(task["name"])
        self.assertEqual((hook["type"], hook["buildChanged"], hook["appName"], hook["dxfName"]),
                         ("mkraw", True, APP, dxf2), hook)
        self.assertIn("group", task)
        tasks = self.stack.wait_group(task["group"], self.auth[ORG], TIMEOUT)
        self.assertEqual(tasks["deploy"]["state"], "succeeded", tasks["deploy"])
        self.assertEqual(tasks["deploy"]["dxfName"], dxf2)

        app = self.ok(self.be("GET", "/be/v1/apps/" + APP), 200)
        self.assertEqual((app["dxfName"], app["iCurBuild"], app["locked"]), (dxf2, 1, False))
        self.assertEqual([(b["buildId"], b["buildName"], b["dxfName"]) for b in app["builds"]],
                         [(1, "b1", dxf2)])
        old, new = self.image(self.dxf1), self.image(dxf2)   # the old one stays 24 h
        self.check_same_content(old, new)
        self.check_gc_scheduled(self.dxf1)
        self.check_figures(task)
        self.check_held_out_preload(old, new)
        self.check_fetch(dxf2)

        # nothing new: no new image
        again = self.trigger()
        self.assertIs(again["result"]["buildChanged"], False, again["result"])
        self.assertEqual(self.end_event(again["name"]).get("buildChanged"), "false")
        self.assertIs(self.webhook(again["name"])["buildChanged"], False)
        group = self.stack.group_tasks(again["group"], self.auth[ORG])
        self.assertEqual([t["type"] for t in group], ["mkraw"], group)
        app = self.ok(self.be("GET", "/be/v1/apps/" + APP), 200)
        self.assertEqual(app["dxfName"], dxf2)
        self.assertEqual(self.count(), N_TRAIN)
        # launchers still on the previous image keep sending traces: accepted
        self.assertEqual(app["builds"][0].get("formerDxfNames"), [self.dxf1], app)
        doc = self.ok(self.upload(self.trace_doc(self.train[0], dxfName=self.dxf1)), 201)
        self.assertEqual(doc["traces"], N_TRAIN + 1, doc)
        self.assertEqual(self.ok(self.upload(self.trace_doc(self.train[0],
                                                            dxfName="dxf_0000000000000000")),
                                 404)["error"]["code"], "not_found")

    def upload_training(self):
        ids = []
        for i, accesses in enumerate(self.train):
            if i == 3:      # msgpack, naming the image instead of the build
                res = self.upload(self.trace_doc(accesses, dxfName=self.dxf1), fmt="msgpack")
            elif i == 7:
                res = self.upload(self.trace_doc(accesses), fmt="msgpack")
            else:
                res = self.upload(self.trace_doc(accesses))
            doc = self.ok(res, 201)
            self.assertRegex(doc["traceId"], TRACE_ID)
            self.assertEqual(doc["traces"], i + 1, doc)
            ids.append(doc["traceId"])
            if i + 1 == 9:     # one short of nTracesReliable (10)
                st, _, err = self.be("POST", "/be/v1/trigger", {"appName": APP})
                self.assertEqual((st, err["error"]["code"]), (409, "not_enough_traces"), err)
                self.assertIn("9", err["error"]["message"])
                self.assertIn("10", err["error"]["message"])
        self.assertEqual(len(set(ids)), N_TRAIN)
        return ids

    def check_stored(self, ids):
        """.tr files in the depot and the trace records match the uploads."""
        self.assertEqual(self.count(), N_TRAIN)
        self.assertEqual(self.depot_traces(),
                         sorted("%s/%s/0001/%s.tr" % (ORG, APP, i) for i in ids))
        for trace_id, accesses in zip(ids, self.train):
            path = os.path.join(self.stack.dir, "store", "traces", ORG, APP, "0001",
                                trace_id + ".tr")
            with open(path, "rb") as f:
                tr = gamegen.msgpack_loads(f.read())
            self.assertEqual((tr["v"], tr["traceId"], tr["dxfName"], tr["buildId"]),
                             (1, trace_id, self.dxf1, 1))
            self.assertEqual([[t, tr["files"][i], o, n] for t, i, o, n in tr["accesses"]],
                             [list(a) for a in accesses])
            rec = self.redis.hgetall("e:{%s}:app:%s:trace:%s" % (ORG, APP, trace_id))
            self.assertEqual((rec.get("traceId"), rec.get("buildId"), rec.get("dxfName")),
                             (trace_id, "1", self.dxf1), rec)
            self.assertEqual(int(rec["accesses"]), len(accesses))
            self.assertEqual(int(rec["durationMs"]), accesses[-1][0] - accesses[0][0])

    def check_same_content(self, old, new):
        """The new image holds the same files and chunks, in another order,
        and its segments really are laid out in its load order."""
        def files(img):
            return [(f["path"], f.get("size")) for f in img.manifest["files"]]
        self.assertEqual(sorted(files(old)), sorted(files(new)))
        self.assertEqual(sorted(c["sha256"] for c in old.manifest["chunks"]),
                         sorted(c["sha256"] for c in new.manifest["chunks"]))
        chunks = new.manifest["chunks"]
        self.assertEqual(sorted(new.load_order), list(range(len(chunks))))
        places = [(chunks[c]["segment"], chunks[c]["offset"]) for c in new.load_order]
        self.assertEqual(places, sorted(places))
        self.assertNotEqual(self.stream_paths(old), self.stream_paths(new))

    @staticmethod
    def stream_paths(img):
        """The first file each chunk of the stream belongs to, in stream order."""
        owner = {}
        for f in img.manifest["files"]:
            for ch, _, _ in f.get("chunks", ()):
                owner.setdefault(ch, f["path"])
        return [owner[c] for c in img.load_order]

    def check_gc_scheduled(self, dxf):
        prefix = "dxf/%s/%s/0001/%s/" % (ORG, APP, dxf)
        flat = self.redis("ZRANGE", "e:gc:due", 0, -1, "WITHSCORES") or []
        due = [(json.loads(m), float(s)) for m, s in zip(flat[0::2], flat[1::2])]
        hits = [(m, s) for m, s in due if prefix in m.get("prefixes", [])]
        self.assertEqual(len(hits), 1, due)
        self.assertGreater(hits[0][1], time.time() * 1000 + 3600 * 1000)

    def check_figures(self, task):
        doc = self.training()
        for field in ("nTracesReliable", "bandwidthBps", "percentile", "improvementThreshold"):
            self.assertIn(field, doc, doc)
        before, after = doc["before"], doc["after"]
        for fig in (before, after):
            self.assertTrue({"preloadBytes", "preloadShare", "quality",
                             "expectedTimeToPlayMs"} <= set(fig), fig)
        self.assertLess(after["preloadBytes"], 0.5 * before["preloadBytes"], doc)
        # the judge's guard: the expected time to play must not grow
        self.assertLess(after["expectedTimeToPlayMs"], before["expectedTimeToPlayMs"], doc)
        self.assertEqual(int(doc["tracesUsed"]), N_TRAIN, doc)
        self.assertEqual((doc["dxfName"], doc["preloadBytes"]),
                         (task["result"]["dxfName"], after["preloadBytes"]), doc)
        self.assertEqual(doc["lastTaskName"], task["name"], doc)
        self.assertEqual(task["result"]["before"], before)
        self.assertEqual(task["result"]["after"], after)

    def check_held_out_preload(self, old, new):
        """p90 preload of the held-out sessions at 100 Mbit/s: the new
        image's order against the tar's file order (the first image)."""
        rate = gamegen.bytes_per_ms(MBIT)
        self.assertEqual(old.load_order, old.file_order)   # the first image: tar order
        old_ends, new_ends = old.ends(old.load_order), new.ends(new.load_order)
        file_p = [gamegen.preload_bytes(old.first_times(a), old_ends, rate) for a in self.held]
        ours_p = [gamegen.preload_bytes(new.first_times(a), new_ends, rate) for a in self.held]
        file90, ours90 = gamegen.percentile(file_p, 90), gamegen.percentile(ours_p, 90)
        msg = "held-out preload at %d Mbit/s: file order %s, ours %s" % (MBIT, file_p, ours_p)
        self.assertGreater(file90, 0, msg)
        self.assertLess(ours90, 0.5 * file90, msg)
        self.assertLess(sum(ours_p), 0.5 * sum(file_p), msg)

    def check_fetch(self, dxf):
        """The reordered image still rebuilds the game byte for byte."""
        if not os.path.exists(os.path.join(BIN, "edge-fetch")):
            return
        src = os.path.join(self.origin, "dxf", ORG, APP, "0001", dxf)
        out = os.path.join(self.tmp, "fetched")
        res = edge_fetch(src, out)
        self.assertEqual(res.returncode, 0, res.stderr)
        got = normalize(read_tree(out))
        self.assertEqual(sorted(got), sorted(self.sizes))
        for f in self.truth["files"]:
            self.assertEqual(got[f["path"]], gamegen.file_bytes(f), f["path"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
