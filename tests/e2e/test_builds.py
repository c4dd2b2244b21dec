"""End to end: the build pipeline (issue #5) through the real stack over HTTP.

POST /be/v1/builds -> dltar -> mkraw -> deploy, with builds served by a
local HTTP server and published to an fs origin and an s3rver origin;
edge-fetch rebuilds the builds byte for byte from the origins (and build 2
from build 1 plus the patch). Download and tar failures end with the
documented exception fields and a webhook `error` event; a failed deploy
locks the app until the deployment is fixed and the task retried; a worker
killed with -9 in the middle of a download or of an image build leaves a
task that completes with the same image as an undisturbed run; the client
upload mode (PUT to the upload URL, commit, reuse refused, expiry)."""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from harness import (FileServer, S3rver, Stack, change_files, edge_fetch,  # noqa: E402
                     file_sha256, is_sanitized, normalize, poll, random_files,
                     read_tree, token_headers, write_big_tar, write_tar)
from receiver import Receiver  # noqa: E402
from contract import check_response, check_webhook_body  # noqa: E402

ORG = "acme"
# The tar for the kill -9 during mkraw: big enough that the image build
# lasts a few seconds (~170 MB/s plain, several times slower under ASan).
BIG_MIB = int(os.environ.get("EDGE_E2E_BIG_MIB") or (128 if is_sanitized() else 256))
TIMEOUT = 240 if is_sanitized() else 90   # one import, generous
WEBHOOK_EXCEPTION = {"httpDownloadFailed": {"url", "httpStatus", "exitCode", "sizeBytes"},
                     "fileReadFailed": {"filename", "typeExpected", "typeDetected"}}


class BuildCase(unittest.TestCase):
    """One stack per class, org acme with an admin token, a file server."""

    env = {}
    workers = 1
    s3 = False

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="edge-builds-")
        cls.files = FileServer()
        cls.s3rver = None
        cls.stack = None
        try:
            if cls.s3:
                cls.s3rver = S3rver()
            env = {"EDGE_URL_ALLOW": "127.0.0.0/8", "EDGE_AUTH_TOKEN_TTL_S": "3600"}
            env.update(cls.env)
            cls.stack = Stack(workers=cls.workers, env=env)
            cls.redis = cls.stack.redis
            cls.auth = cls.stack.org_admin_headers(ORG)
        except BaseException:
            cls._close()
            raise

    @classmethod
    def _close(cls):
        codes = cls.stack.close() if cls.stack else {}
        if cls.s3rver:
            cls.s3rver.close()
        cls.files.close()
        if not os.environ.get("EDGE_E2E_KEEP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)
        return codes

    @classmethod
    def tearDownClass(cls):
        codes = cls._close()
        assert all(c == 0 for c in codes.values()), codes

    # -- HTTP ------------------------------------------------------------------
    def be(self, method, path, body=None):
        return self.stack.http(method, path, body, headers=self.auth)

    def ok(self, res, status):
        st, _, doc = res
        self.assertEqual(st, status, doc)
        return doc

    def refused(self, res, status, code=None):
        st, _, doc = res
        self.assertEqual(st, status, doc)
        self.assertEqual(doc["error"]["status"], status, doc)
        if code:
            self.assertEqual(doc["error"]["code"], code, doc)
        return doc

    # -- objects ---------------------------------------------------------------
    def fs_deployment(self, name, prefix=""):
        path = os.path.join(self.tmp, "origin_" + name)
        os.makedirs(path, exist_ok=True)
        body = {"name": name, "kind": "fs", "fs": {"path": path}}
        if prefix:
            body["originPrefix"] = prefix
        self.ok(self.be("POST", "/be/v1/deployments", body), 201)
        return os.path.join(path, prefix)

    def create_app(self, name, deployments, **extra):
        body = {"name": name, "label": name, "deployments": list(deployments)}
        body.update(extra)
        return self.ok(self.be("POST", "/be/v1/apps", body), 201)

    def app(self, name):
        return self.ok(self.be("GET", "/be/v1/apps/" + name), 200)

    def serve(self, name, files, compression=""):
        """Write files to a tar, serve it; returns (url, size, tar path)."""
        path = os.path.join(self.tmp, name)
        size = write_tar(path, files, compression)
        return self.files.add("/" + name, filename=path), size, path

    def import_build(self, app, build, url=None, size=None):
        body = {"appName": app, "buildName": build}
        if url is not None:
            body["url"] = url
        if size is not None:
            body["size"] = size
        doc = self.ok(self.be("POST", "/be/v1/builds", body), 202)
        self.assertIsInstance(doc["group"], str)
        self.assertIsInstance(doc["taskName"], str)
        return doc

    def run_import(self, app, build, url=None, size=None, timeout=TIMEOUT):
        """Import and wait for the group's end; returns {type: task}."""
        doc = self.import_build(app, build, url, size)
        return self.stack.wait_group(doc["group"], self.auth, timeout)

    def assertSucceeded(self, tasks):
        states = {t: tasks[t]["state"] for t in tasks}
        self.assertEqual(states, {"dltar": "succeeded", "mkraw": "succeeded",
                                  "deploy": "succeeded"},
                         {t: (tasks[t].get("message"), tasks[t].get("exception"),
                              tasks[t].get("error")) for t in tasks})

    def depot(self, *parts):
        return os.path.join(self.stack.dir, "store", *parts)

    def task_events(self, name):
        return [e["event"] for e in self.redis.events(name)]


def listdir(path):
    """Names in a directory; [] when it does not exist (the store removes
    emptied directories)."""
    return os.listdir(path) if os.path.isdir(path) else []


def tree_bytes(path):
    return sum(len(v) for v in read_tree(path).values())


# ---------------------------------------------------------------------------
class RoundTrip(BuildCase):
    """Two builds to an fs and an s3rver origin, rebuilt by edge-fetch."""

    s3 = True

    def test_two_builds_published_to_fs_and_s3_and_rebuilt_byte_for_byte(self):
        fs_root = self.fs_deployment("o_fs", "cdn/fs")
        self.ok(self.be("POST", "/be/v1/deployments", self.s3rver.deployment("o_s3")), 201)
        self.create_app("game", ["o_fs", "o_s3"])
        build1 = random_files(1, 60)
        build2, changed = change_files(build1, 2, share=0.05)
        url1, size1, _ = self.serve("b1.tar", build1)
        url2, _, _ = self.serve("b2.tar", build2)

        t1 = self.run_import("game", "b1", url1, size1)
        self.assertSucceeded(t1)
        d1 = t1["mkraw"]["result"]["dxfName"]
        self.assertEqual((t1["deploy"]["dxfName"], t1["mkraw"]["result"]["buildId"]), (d1, 1))
        self.assertEqual(len({t["group"] for t in t1.values()}), 1)
        ends = [e for e in self.redis.events(t1["mkraw"]["name"]) if e["event"] == "end"]
        self.assertEqual([e.get("dxfName") for e in ends], [d1])
        app = self.app("game")
        self.assertEqual((app["iCurBuild"], app["dxfName"], app["patches"], app["locked"]),
                         (1, d1, [], False))
        self.assertEqual([(b["buildId"], b["buildName"], b["dxfName"]) for b in app["builds"]],
                         [(1, "b1", d1)])
        # the same build name again is refused while it is in the app's builds
        self.refused(self.be("POST", "/be/v1/builds",
                             {"appName": "game", "buildName": "b1", "url": url1}),
                     409, "build_exists")

        t2 = self.run_import("game", "b2", url2)        # no size: not checked
        self.assertSucceeded(t2)
        d2 = t2["mkraw"]["result"]["dxfName"]
        self.assertNotEqual(d1, d2)
        app = self.app("game")
        self.assertEqual((app["iCurBuild"], app["dxfName"], app["locked"], app["error"]),
                         (2, d2, False, None))
        builds = sorted(app["builds"], key=lambda b: b["buildId"])
        self.assertEqual([(b["buildId"], b["buildName"], b["dxfName"]) for b in builds],
                         [(1, "b1", d1), (2, "b2", d2)])
        self.assertEqual([(p["fromBuildId"], p["toBuildId"]) for p in app["patches"]], [(1, 2)])
        self.assertEqual(app["sizeBytes"], sum(b["sizeBytes"] for b in builds))

        # the documented origin layout on the fs origin, and the same bytes on s3
        img1 = os.path.join(fs_root, "dxf", ORG, "game", "0001", d1)
        img2 = os.path.join(fs_root, "dxf", ORG, "game", "0002", d2)
        pat = os.path.join(fs_root, "pat", ORG, "game", "0002", "0001")
        for d, names in ((img1, ["manifest.json"]), (img2, ["manifest.json"]),
                         (pat, ["manifest.json", "patch.json"])):
            for name in names:
                self.assertTrue(os.path.isfile(os.path.join(d, name)), (d, name))
        self.assertEqual(builds[1]["sizeBytes"], tree_bytes(img2))
        origin = read_tree(fs_root)
        self.assertTrue(origin)
        for key, data in origin.items():
            status, body = self.s3rver.get("edge/cdn/" + key)
            self.assertEqual(status, 200, key)
            self.assertEqual(body, data, key)
        for key in origin:    # the depot keeps the same objects
            self.assertTrue(os.path.isfile(self.depot(key)), key)

        # edge-fetch: build 1 from the fs origin, build 2 from s3 (HTTP),
        # build 2 from build 1's image plus the patch, and from build 1's files
        b1, b2 = normalize(build1), normalize(build2)
        out = os.path.join(self.tmp, "fetch")
        self.fetch(img1, out + "1")
        self.assertEqual(normalize(read_tree(out + "1")), b1)
        self.fetch(self.s3rver.url("edge/cdn/dxf/%s/game/0002/%s" % (ORG, d2)), out + "2")
        self.assertEqual(normalize(read_tree(out + "2")), b2)
        self.fetch(pat, out + "3", old=img1)
        self.assertEqual(normalize(read_tree(out + "3")), b2)

        # the patch carries the changed files only
        patch_bytes, image_bytes = tree_bytes(pat), tree_bytes(img2)
        self.assertLess(patch_bytes, 0.30 * image_bytes,
                        "patch %d bytes vs image %d bytes (%d files changed of %d)"
                        % (patch_bytes, image_bytes, len(changed), len(build2)))
        self.assertGreater(app["patches"][0]["sizeBytes"], 0)
        self.assertLess(app["patches"][0]["sizeBytes"], 0.30 * image_bytes)

        # the patch over HTTP (s3rver answers "Range: bytes=0-0" with the
        # whole object, as any server may) onto build 1's files
        self.fetch(self.s3rver.url("edge/cdn/pat/%s/game/0002/0001" % ORG), out + "4",
                   old=out + "1", old_manifest=os.path.join(img1, "manifest.json"))
        self.assertEqual(normalize(read_tree(out + "4")), b2)

    def fetch(self, source, out, **old):
        res = edge_fetch(source, out, **old)
        self.assertEqual(res.returncode, 0, res.stderr)


# ---------------------------------------------------------------------------
def files_under(root):
    """Relative paths of the files below root ([] when it is gone)."""
    out = []
    for base, _, names in os.walk(root):
        out += [os.path.relpath(os.path.join(base, n), root) for n in names]
    return sorted(out)


class Removal(BuildCase):
    """Deleting a deployment removes the org's images and patches from it;
    deleting an app removes its files from the depot and every origin."""

    def test_deleted_deployment_and_app_lose_their_published_files(self):
        keep_root = self.fs_deployment("rm_keep")
        gone_root = self.fs_deployment("rm_gone")
        self.create_app("rm_app", ["rm_keep", "rm_gone"])
        url, size, _ = self.serve("rm.tar", random_files(7, 12))
        tasks = self.run_import("rm_app", "r1", url, size)
        self.assertSucceeded(tasks)
        dxf = tasks["mkraw"]["result"]["dxfName"]
        image = os.path.join("dxf", ORG, "rm_app", "0001", dxf, "manifest.json")
        for root in (keep_root, gone_root, self.depot()):
            self.assertTrue(os.path.exists(os.path.join(root, image)), root)
        # a deployment in use is refused; once the app no longer names it, it goes
        self.refused(self.be("DELETE", "/be/v1/deployments/rm_gone"), 409,
                     "deployment_in_use")
        self.ok(self.be("PATCH", "/be/v1/apps", {"name": "rm_app",
                                                 "deployments": ["rm_keep"]}), 200)
        self.ok(self.be("DELETE", "/be/v1/deployments/rm_gone"), 204)
        poll(lambda: not files_under(os.path.join(gone_root, "dxf", ORG)), 30,
             what="the deleted deployment's images removed")
        poll(lambda: self.redis("EXISTS", "e:{acme}:deployment:rm_gone:deleting") == 0,
             30, what="the deleted deployment's settings dropped")
        self.assertTrue(os.path.exists(os.path.join(keep_root, image)))
        self.assertTrue(os.path.exists(self.depot(image)))
        self.ok(self.be("POST", "/be/v1/deployments",
                        {"name": "rm_gone", "kind": "fs", "fs": {"path": gone_root}}), 201)
        # the app: its files go from the depot and its origins, then the name is free
        self.ok(self.be("DELETE", "/be/v1/apps/rm_app"), 204)
        for root in (keep_root, self.depot()):
            poll(lambda: not files_under(os.path.join(root, "dxf", ORG, "rm_app"))
                 and not files_under(os.path.join(root, "builds", ORG, "rm_app")), 30,
                 what="the deleted app's files removed from %s" % root)
        poll(lambda: self.be("POST", "/be/v1/apps",
                             {"name": "rm_app", "label": "again"})[0] == 201, 30,
             what="the app name free again")


class ImportFailures(BuildCase):
    """Download and tar failures: documented exceptions and an error webhook."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.rx = Receiver()
            for path, body in (
                    ("/be/v1/deployments", {"name": "f_fs", "kind": "fs",
                                            "fs": {"path": os.path.join(cls.tmp, "origin_f")}}),
                    ("/be/v1/subscriptions", {"name": "errors", "url": cls.rx.url("/hooks/e"),
                                              "types": ["dltar", "mkraw", "deploy"],
                                              "events": ["error"]})):
                status, _, doc = cls.stack.http("POST", path, body, headers=cls.auth)
                assert status == 201, (status, doc)
        except BaseException:
            cls._close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.rx.close()
        super().tearDownClass()

    def failed(self, app, build, url, size=None, step="dltar"):
        """Import that must fail at step; returns that task. Checks the rest
        of the chain never ran, the app is untouched and unlocked, and the
        webhook error event carries the task's exception."""
        self.create_app(app, ["f_fs"])
        tasks = self.run_import(app, build, url, size)
        task = tasks[step]
        self.assertEqual(task["state"], "failed", task)
        later = {"dltar": ["mkraw", "deploy"], "mkraw": ["deploy"]}[step]
        self.assertFalse(set(later) & set(tasks), tasks)
        self.assertEqual(self.task_events(task["name"])[-1], "error")
        doc = self.app(app)
        self.assertEqual((doc["iCurBuild"], doc["builds"], doc["locked"]), (0, [], False))

        def delivered():
            for r in self.rx.received():
                body = json.loads(r["body"])
                if body.get("taskName") == task["name"]:
                    return body
            return None
        body = poll(delivered, 20, what="the error webhook of %s" % task["name"])
        check_webhook_body(body)
        self.assertEqual((body["type"], body["event"], body["orgName"], body["appName"],
                          body["buildName"]), (step, "error", ORG, app, build))
        # the webhook body carries the documented fields of the exception
        documented = {kind: {k: v for k, v in fields.items() if k in WEBHOOK_EXCEPTION[kind]}
                      for kind, fields in task["exception"].items()}
        self.assertEqual(body["exception"], documented)
        return task

    def download(self, task):
        exc = task["exception"]["httpDownloadFailed"]
        self.assertTrue({"url", "httpStatus", "exitCode", "sizeBytes"} <= set(exc), exc)
        return exc

    def test_http_404_then_the_same_build_name_imports_once_served(self):
        url = self.files.add("/missing.tar", status=404)
        task = self.failed("f_404", "b1", url)
        exc = self.download(task)
        self.assertEqual((exc["url"], exc["httpStatus"], exc["exitCode"], exc["sizeBytes"]),
                         (url, 404, 22, 0))
        # a failed import is replaced by a new one with the same build name
        files = random_files(404, 5)
        path = os.path.join(self.tmp, "fixed.tar")
        write_tar(path, files)
        self.files.add("/missing.tar", filename=path)
        self.assertSucceeded(self.run_import("f_404", "b1", url))
        self.assertEqual(self.app("f_404")["iCurBuild"], 1)

    def test_documented_build_name_shapes_import(self):
        """buildName is ^[A-Za-z0-9_.-]{1,100}$, not "." or ".." (docs/openapi.yaml: "v1.0.3")."""
        self.create_app("f_names", ["f_fs"])
        url, size, _ = self.serve("names.tar", random_files(11, 3))
        for name in ("v1.0.3", "x", "rc-2_final"):
            with self.subTest(buildName=name):
                tasks = self.run_import("f_names", name, url, size)
                self.assertSucceeded(tasks)
        self.assertEqual(sorted(b["buildName"] for b in self.app("f_names")["builds"]),
                         sorted(["v1.0.3", "x", "rc-2_final"]))

    def test_connection_refused(self):
        url = "http://127.0.0.1:%d/nothing-listens.tar" % self._closed_port()
        exc = self.download(self.failed("f_refused", "b1", url))
        self.assertEqual((exc["url"], exc["httpStatus"], exc["exitCode"], exc["sizeBytes"]),
                         (url, 0, 7, 0))

    def test_size_mismatch(self):
        url, size, _ = self.serve("sized.tar", random_files(7, 4))
        task = self.failed("f_size", "b1", url, size + 512)
        exc = self.download(task)
        self.assertEqual((exc["url"], exc["httpStatus"], exc["sizeBytes"]), (url, 200, size))
        self.assertEqual((exc["sizeBytesActual"], exc["sizeBytesExpected"]), (size, size + 512))
        self.assertEqual(self.files.requests("/sized.tar")[-1]["status"], 200)

    def test_gzip_file_is_not_a_tar(self):
        url, size, _ = self.serve("build.tar.gz", random_files(8, 4), compression="gz")
        task = self.failed("f_gzip", "b1", url, size, step="mkraw")
        exc = task["exception"]["fileReadFailed"]
        self.assertEqual(exc["typeExpected"], "tar")
        self.assertIn("gz", exc["typeDetected"].lower(), exc)
        self.assertTrue(exc["filename"], exc)

    def test_truncated_tar(self):
        _, size, path = self.serve("whole.tar", random_files(9, 6, min_size=64 << 10))
        with open(path, "rb") as f:
            data = f.read(size * 3 // 5)          # cut inside a file's data
        url = self.files.add("/truncated.tar", data=data)
        task = self.failed("f_trunc", "b1", url, len(data), step="mkraw")
        exc = task["exception"]["fileReadFailed"]
        self.assertEqual(exc["typeExpected"], "tar")
        self.assertTrue(exc["filename"] and "typeDetected" in exc, exc)

    @staticmethod
    def _closed_port():
        import socket
        with socket.socket() as s:           # bound, never listening
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


# ---------------------------------------------------------------------------
class DeployFailures(BuildCase):
    """A failed deploy locks the app; fix the deployment, retry, unlocked."""

    s3 = True

    def locked_then_fixed(self, app, dep, fix):
        self.create_app(app, [dep])
        files = random_files(zlib.crc32(app.encode()), 8)
        url, size, _ = self.serve(app + ".tar", files)
        tasks = self.run_import(app, "b1", url, size)
        deploy = tasks["deploy"]
        self.assertEqual((tasks["dltar"]["state"], tasks["mkraw"]["state"], deploy["state"]),
                         ("succeeded", "succeeded", "failed"), deploy)
        expected_error = {"deployment": {"failedDeployments": [dep],
                                         "succeededDeployments": []}}
        self.assertEqual(deploy["error"], expected_error)
        doc = self.app(app)
        self.assertEqual((doc["locked"], doc["error"], doc["iCurBuild"]),
                         (True, expected_error, 0))
        self.assertEqual(self.ok(self.be("GET", "/be/v1/deployments/" + dep), 200)["status"],
                         "error")
        url2, _, _ = self.serve(app + "2.tar", random_files(5, 3))
        self.refused(self.be("POST", "/be/v1/builds",
                             {"appName": app, "buildName": "b2", "url": url2}), 409)

        self.ok(self.be("PATCH", "/be/v1/deployments", dict(fix, name=dep)), 200)
        self.ok(self.be("POST", "/be/v1/trigger", {"taskName": deploy["name"]}), 202)
        done = self.stack.wait_state(deploy["name"], ("succeeded", "failed"), TIMEOUT)
        self.assertEqual(done["state"], "succeeded", done)
        doc = self.app(app)
        dxf = tasks["mkraw"]["result"]["dxfName"]
        self.assertEqual((doc["locked"], doc["error"], doc["iCurBuild"], doc["dxfName"]),
                         (False, None, 1, dxf))
        status, _ = self.s3rver.get("edge/cdn/dxf/%s/%s/0001/%s/manifest.json" % (ORG, app, dxf))
        self.assertEqual(status, 200)
        self.assertEqual(self.ok(self.be("GET", "/be/v1/deployments/" + dep), 200)["status"],
                         "ok")
        self.assertSucceeded(self.run_import(app, "b2", url2))
        self.assertEqual(self.app(app)["iCurBuild"], 2)

    def test_wrong_access_key_locks_until_patched_and_retried(self):
        body = self.s3rver.deployment("d_badkey", access_key="WRONGKEYID")
        self.ok(self.be("POST", "/be/v1/deployments", body), 201)
        self.locked_then_fixed("dep_badkey", "d_badkey",
                               {"s3": {"accessKeyId": S3rver.ACCESS_KEY}})

    def test_unreachable_endpoint_locks_until_patched_and_retried(self):
        dead = "http://127.0.0.1:%d" % ImportFailures._closed_port()
        body = self.s3rver.deployment("d_dead", endpoint=dead)
        self.ok(self.be("POST", "/be/v1/deployments", body), 201)
        self.locked_then_fixed("dep_dead", "d_dead", {"s3": {"endpoint": self.s3rver.endpoint}})


# ---------------------------------------------------------------------------
class KillNine(BuildCase):
    """kill -9 of the worker mid-download and mid-image build."""

    env = {"EDGE_LEASE_MS": "1000"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.stack.http("POST", "/be/v1/deployments",
                           {"name": "k_fs", "kind": "fs",
                            "fs": {"path": os.path.join(cls.tmp, "origin_k")}},
                           headers=cls.auth)
        except BaseException:
            cls._close()
            raise

    def kill_worker_running(self, task):
        """kill -9 the worker that runs task, start a new one."""
        name = task["worker"]
        self.stack.procs[name].kill9()
        del self.stack.procs[name]
        self.stack.start_worker()

    def image(self, app, tasks):
        """(dxfName, manifest bytes, {segment: sha256}) of app's build 1 in the depot."""
        dxf = tasks["mkraw"]["result"]["dxfName"]
        d = self.depot("dxf", ORG, app, "0001", dxf)
        with open(os.path.join(d, "manifest.json"), "rb") as f:
            manifest = f.read()
        segs = {n: file_sha256(os.path.join(d, n)) for n in sorted(os.listdir(d))
                if n != "manifest.json"}
        return dxf, manifest, segs

    def running(self, group, kind):
        def find():
            for t in self.stack.group_tasks(group, self.auth):
                if t["type"] == kind:
                    self.assertNotIn(t["state"], ("succeeded", "failed"),
                                     "%s ended before the kill: use a bigger tar" % kind)
                    if t["state"] == "running":
                        return t
            return None
        return poll(find, TIMEOUT, interval=0.02, what="%s running" % kind)

    def test_kill9_mid_download_resumes_and_gives_the_same_image(self):
        files = random_files(31, 48, min_size=256 << 10, max_size=768 << 10)
        url, size, path = self.serve("slow.tar", files)
        self.files.set("/slow.tar", rate=4 << 20)          # ~6 s at 4 MiB/s
        for app in ("k_dl", "k_dl_ref"):
            self.create_app(app, ["k_fs"])
        doc = self.import_build("k_dl", "b1", url, size)
        task = self.running(doc["group"], "dltar")
        poll(lambda: self.files.sent("/slow.tar") >= size // 4, TIMEOUT,
             what="a quarter of the tar sent")
        self.kill_worker_running(self.stack.task(task["name"]))
        self.files.set("/slow.tar", rate=None)
        tasks = self.stack.wait_group(doc["group"], self.auth, TIMEOUT)
        self.assertSucceeded(tasks)
        self.assertEqual(tasks["dltar"]["attempts"], 2)
        self.assertEqual(self.task_events(tasks["dltar"]["name"]).count("end"), 1)
        resumed = [r for r in self.files.requests("/slow.tar") if r["status"] == 206]
        self.assertTrue(resumed and resumed[0]["start"] > 0,
                        "the second attempt did not resume: %s" % self.files.requests())
        leftovers = listdir(os.path.join(self.stack.dir, "data", "dltar"))
        self.assertEqual([n for n in leftovers if tasks["dltar"]["name"] in n], [])

        ref = self.run_import("k_dl_ref", "b1", url, size)
        self.assertSucceeded(ref)
        self.assertEqual(self.image("k_dl", tasks), self.image("k_dl_ref", ref))
        out = os.path.join(self.tmp, "k_dl_out")
        res = edge_fetch(self.depot("dxf", ORG, "k_dl", "0001",
                                    tasks["mkraw"]["result"]["dxfName"]), out)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(normalize(read_tree(out)), normalize(files))

    def test_kill9_mid_image_build_gives_the_same_image(self):
        path = os.path.join(self.tmp, "big.tar")
        size = write_big_tar(path, BIG_MIB << 20, seed=77)
        url = self.files.add("/big.tar", filename=path)
        for app in ("k_mk", "k_mk_ref"):
            self.create_app(app, ["k_fs"])
        doc = self.import_build("k_mk", "b1", url, size)
        task = self.running(doc["group"], "mkraw")
        begun = time.monotonic()
        poll(lambda: time.monotonic() - begun > 0.3, 5, what="0.3 s into the image build")
        self.kill_worker_running(self.stack.task(task["name"]))
        tasks = self.stack.wait_group(doc["group"], self.auth, TIMEOUT)
        self.assertSucceeded(tasks)
        self.assertEqual(tasks["mkraw"]["attempts"], 2,
                         "the kill did not land during mkraw: use a bigger tar")
        self.assertEqual(self.task_events(tasks["mkraw"]["name"]).count("end"), 1)
        self.assertEqual(tasks["mkraw"]["result"]["buildId"], 1)
        self.assertEqual(self.app("k_mk")["iCurBuild"], 1)
        leftovers = [n for n in os.listdir(self.depot("dxf", ORG, "k_mk", "0001"))
                     if n != tasks["mkraw"]["result"]["dxfName"]]
        self.assertEqual(leftovers, [], "staging directories left in the depot")

        ref = self.run_import("k_mk_ref", "b1", url, size)
        self.assertSucceeded(ref)
        self.assertEqual(self.image("k_mk", tasks), self.image("k_mk_ref", ref))


# ---------------------------------------------------------------------------
def curl_put(url, path):
    """A real curl upload (-T); returns the HTTP status. The answer is
    checked against the document like every other response."""
    with tempfile.TemporaryDirectory(prefix="edge-curl-") as tmp:
        head, body = os.path.join(tmp, "head"), os.path.join(tmp, "body")
        res = subprocess.run(["curl", "-sS", "-D", head, "-o", body, "-w", "%{http_code}",
                              "-T", path, url], capture_output=True, text=True, timeout=120)
        status = int(res.stdout.strip() or 0)
        if status:
            with open(head, "rb") as f:
                # the last header block (curl also dumps a 100 Continue)
                block = f.read().decode("latin-1").strip().split("\r\n\r\n")[-1]
            headers = dict(line.split(":", 1) for line in block.split("\r\n")[1:] if ":" in line)
            headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
            with open(body, "rb") as f:
                check_response("PUT", urllib.parse.urlsplit(url).path, status, headers, f.read())
        return status


class UploadCase(BuildCase):
    def upload_url(self, doc):
        url = doc["uploadUrl"]
        self.assertIsInstance(url, str)
        if url.startswith("/"):
            url = "http://127.0.0.1:%d%s" % (self.stack.http_port, url)
        self.assertTrue(url.startswith("http://127.0.0.1:%d/" % self.stack.http_port), url)
        return url

    def commit(self, app, build, doc):
        return self.be("POST", "/be/v1/commit", {"appName": app, "buildName": build})


class Upload(UploadCase):
    def test_put_then_commit_runs_the_pipeline_and_the_url_is_single_use(self):
        self.fs_deployment("u_fs")
        self.create_app("u_app", ["u_fs"])
        files = random_files(41, 24)                # a few MB: more than the body limit
        path = os.path.join(self.tmp, "upload.tar")
        size = write_tar(path, files)
        self.assertGreater(size, 1 << 20)
        doc = self.import_build("u_app", "b1", size=size)
        url = self.upload_url(doc)
        self.assertEqual(self.stack.task(doc["taskName"])["state"], "waiting")
        self.assertEqual(curl_put(url, path) // 100, 2)
        self.assertEqual(curl_put(url, path), 409)              # used
        self.assertEqual(self.stack.task(doc["taskName"])["state"], "waiting")
        st, _, body = self.commit("u_app", "b1", doc)
        self.assertIn(st, (200, 202), body)
        tasks = self.stack.wait_group(doc["group"], self.auth, TIMEOUT)
        self.assertSucceeded(tasks)
        self.assertEqual(tasks["dltar"]["name"], doc["taskName"])
        # submit when created waiting, submit again when committed (queued)
        self.assertEqual(self.task_events(doc["taskName"]), ["submit", "submit", "begin", "end"])
        params = json.loads(self.redis("HGET", "e:task:" + doc["taskName"], "params"))
        self.assertIs(params.get("upload"), True, params)
        self.assertEqual(curl_put(url, path), 409)              # committed
        app = self.app("u_app")
        self.assertEqual((app["iCurBuild"], app["builds"][0]["buildName"]), (1, "b1"))
        out = os.path.join(self.tmp, "u_out")
        res = edge_fetch(self.depot("dxf", ORG, "u_app", "0001", app["dxfName"]), out)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(normalize(read_tree(out)), normalize(files))

    def test_unknown_upload_token_is_401(self):
        self.create_app("u_unknown", [])
        doc = self.import_build("u_unknown", "b1")
        url = self.upload_url(doc)
        base, _, token = url.rpartition("/")
        forged = base + "/" + ("A" if token[:1] != "A" else "B") + token[1:]
        path = os.path.join(self.tmp, "tiny.tar")
        write_tar(path, random_files(3, 1))
        self.assertEqual(curl_put(forged, path), 401)
        self.assertEqual(self.stack.task(doc["taskName"])["state"], "waiting")


class UploadExpiry(UploadCase):
    env = {"EDGE_UPLOAD_EXPIRY_MS": "1500"}

    def test_never_committed_upload_expires_and_its_bytes_are_deleted(self):
        self.create_app("x_app", [])
        files = random_files(51, 6)
        path = os.path.join(self.tmp, "x.tar")
        write_tar(path, files)
        doc = self.import_build("x_app", "b1")
        url = self.upload_url(doc)
        self.assertEqual(curl_put(url, path) // 100, 2)
        stored = self.depot("builds", ORG, "x_app")
        self.assertTrue(listdir(stored), "the uploaded tar is not in the depot")
        task = self.stack.wait_state(doc["taskName"], ("expired",), 30)
        self.assertEqual(task["message"], "upload expired, never committed")
        self.assertEqual(self.task_events(doc["taskName"])[-1], "error")
        poll(lambda: not listdir(stored), 10, what="the uploaded bytes deleted")
        uploads = [self.redis.hgetall(k) for k in self.redis.scan("e:upload:*")]
        mine = [u for u in uploads if u.get("task") == doc["taskName"]]
        self.assertEqual([u["state"] for u in mine], ["expired"])
        # the expired URL answers 410, commit is refused
        self.assertEqual(curl_put(url, path), 410)
        st, _, body = self.commit("x_app", "b1", doc)
        self.assertIn(st, (404, 409, 410), body)
        # an expired import does not hold its build name
        self.import_build("x_app", "b1")

    def test_expired_url_is_410(self):
        """Past uploadExpires the URL is 410, whether the sweep ran or not."""
        self.create_app("x_late", [])
        doc = self.import_build("x_late", "b1")
        url = self.upload_url(doc)
        expires = datetime.datetime.strptime(doc["uploadExpires"], "%Y-%m-%dT%H:%M:%S.%fZ")
        expires = expires.replace(tzinfo=datetime.timezone.utc).timestamp()
        self.assertLess(expires - time.time(), 5, doc)       # EDGE_UPLOAD_EXPIRY_MS
        poll(lambda: time.time() > expires + 0.05, 10, what="uploadExpires to pass")
        path = os.path.join(self.tmp, "late.tar")
        write_tar(path, random_files(52, 2))
        self.assertEqual(curl_put(url, path), 410)
        self.assertIn(self.stack.task(doc["taskName"])["state"], ("waiting", "expired"))
        self.assertEqual(listdir(self.depot("builds", ORG, "x_late")), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
