"""A webhook receiver for end-to-end tests: records every request and
answers as told (standard library only, one thread per connection).

As a module:
    rx = Receiver()                      # port 0: a free loopback port
    rx.control(fail=[500, 500], retryAfter=2)
    url = rx.url("/hooks/build")         # give this to a subscription
    reqs = rx.wait_for(3, timeout=20)    # polls with a deadline
    rx.close()

As a process:
    python3 receiver.py --port 18090     # prints "receiver listening on <port>"

HTTP control API (on the same port):
    POST /_control  {"fail": [500, 500, 500], "retryAfter": 2, "status410": false,
                     "slackOk": true, "slackError": "channel_not_found",
                     "delayMs": 0, "reset": false}
        fail       statuses answered to the next requests, one consumed per request
        retryAfter Retry-After header (seconds, or an HTTP date string) sent with
                   every non-2xx answer while set (null clears it)
        status410  answer 410 Gone once "fail" is used up (until set false)
        slackOk    false: answer 200 {"ok": false, "error": slackError} (Slack style)
        delayMs    wait this long before answering (a slow receiver)
        reset      forget the requests received so far
      Keys not given keep their value. Answers 200 with the new settings.
    GET /_received  the JSON list of requests: {"method", "path", "headers"
                    (names lower case), "body" (text), "at" (unix seconds, float),
                    "status" (what was answered)}
    DELETE /_received  forget them
    Any other request is recorded and answered per the settings: by default
    200 with {"ok": true}.
"""
import argparse
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _State:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.settings = {"fail": [], "retryAfter": None, "status410": False,
                         "slackOk": True, "slackError": "channel_not_found",
                         "delayMs": 0}

    def apply(self, doc):
        with self.lock:
            if doc.get("reset"):
                self.requests = []
            for key in ("fail", "retryAfter", "status410", "slackOk",
                        "slackError", "delayMs"):
                if key in doc:
                    value = doc[key]
                    self.settings[key] = list(value) if key == "fail" else value
            return dict(self.settings, fail=list(self.settings["fail"]))

    def answer(self):
        """(status, headers, body, delay seconds) for the next request."""
        with self.lock:
            s = self.settings
            if s["fail"]:
                status = int(s["fail"].pop(0))
            elif s["status410"]:
                status = 410
            else:
                status = 200
            headers = {"content-type": "application/json"}
            if status >= 300 and s["retryAfter"] is not None:
                headers["retry-after"] = str(s["retryAfter"])
            if status < 300 and not s["slackOk"]:
                body = {"ok": False, "error": s["slackError"]}
            elif status < 300:
                body = {"ok": True}
            else:
                body = {"ok": False, "error": "status %d" % status}
            return status, headers, json.dumps(body).encode(), s["delayMs"] / 1000.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "edge-test-receiver"

    def log_message(self, fmt, *args):  # quiet: tests read /_received
        pass

    def _body(self):
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, body, headers=None):
        self.send_response(status)
        for name, value in (headers or {"content-type": "application/json"}).items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _control(self, raw):
        state = self.server.state
        if self.command == "POST" and self.path == "/_control":
            try:
                doc = json.loads(raw or b"{}")
                if not isinstance(doc, dict):
                    raise ValueError("expected an object")
            except ValueError as e:
                self._send(400, json.dumps({"error": str(e)}).encode())
                return
            self._send(200, json.dumps(state.apply(doc)).encode())
        elif self.command == "GET" and self.path == "/_received":
            with state.lock:
                body = json.dumps(state.requests).encode()
            self._send(200, body)
        elif self.command == "DELETE" and self.path == "/_received":
            state.apply({"reset": True})
            self._send(204, b"")
        else:
            self._send(404, b'{"error":"unknown control path"}')

    def _handle(self):
        raw = self._body()
        if self.path.startswith("/_"):
            self._control(raw)
            return
        state = self.server.state
        status, headers, body, delay = state.answer()
        record = {"method": self.command, "path": self.path,
                  "headers": {k.lower(): v for k, v in self.headers.items()},
                  "body": raw.decode("utf-8", "replace"), "at": time.time(),
                  "status": status}
        with state.lock:
            state.requests.append(record)
        if delay > 0:
            time.sleep(delay)  # a slow receiver, by request
        try:
            self._send(status, body, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): it is recorded anyway

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class Receiver:
    """A receiver on host:port (port 0 picks a free one) serving in a thread."""

    def __init__(self, port=0, host="127.0.0.1"):
        self.server = ThreadingHTTPServer((host, port), _Handler)
        self.server.daemon_threads = True
        self.server.state = _State()
        self.host = host
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       name="receiver", daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def control(self, **settings):
        """Same keys as POST /_control. Returns the settings now in force."""
        return self.server.state.apply(settings)

    def received(self):
        with self.server.state.lock:
            return [dict(r) for r in self.server.state.requests]

    def count(self):
        """How many requests arrived (cheap: no copy)."""
        with self.server.state.lock:
            return len(self.server.state.requests)

    def reset(self):
        self.server.state.apply({"reset": True})

    def wait_for(self, count, timeout=20.0, path=None):
        """Poll until count requests (to path, if given) arrived; return them."""
        deadline = time.monotonic() + timeout
        while True:
            got = [r for r in self.received() if path is None or r["path"] == path]
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError("receiver: %d of %d requests after %.1fs"
                                     % (len(got), count, timeout))
            time.sleep(0.02)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    rx = Receiver(args.port, args.host)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("receiver listening on %d" % rx.port, flush=True)
    while not stop.wait(0.5):
        pass
    rx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
