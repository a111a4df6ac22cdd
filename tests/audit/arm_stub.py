#!/usr/bin/env python3
"""A stub of the ARM policy-exemptions listing, on loopback, for `aigwc audit --azure`.

    arm_stub.py PORT_FILE LOG_FILE PAGE.json...

Listens on 127.0.0.1 on a free port, writes the port to PORT_FILE, and answers
GET /SCENARIO/<scope>/providers/Microsoft.Authorization/policyExemptions?api-version=...
with the given pages (page N's nextLink leads to page N+1 on this server). It checks
the bearer token (STUB_TOKEN, default "stub-token") and the pinned api-version, and
logs each request line (never the token) to LOG_FILE. The scenario is the first path
segment:

  paging       every page, in order
  throttle     429 with Retry-After: 1 on the first request, then as paging
  flaky        503 without Retry-After on the first request, then as paging
  unauthorized 401 with an ARM error body
  slow         answers after 5 seconds
  malformed    a page that is not JSON
  later-error  500 on page 3, every time
  foreign-next page 1's nextLink leads to another host

It exits by itself after LIFETIME seconds (default 120), so a test that dies cannot
leave it behind.
"""
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_VERSION = "2022-07-01-preview"
TOKEN = os.environ.get("STUB_TOKEN", "stub-token")
LIFETIME = float(os.environ.get("LIFETIME", "120"))
PAGES = []
SEEN = {}
LOCK = threading.Lock()
LOG = None


def arm_error(code, message):
    return json.dumps({"error": {"code": code, "message": message}}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # the log file instead of stderr
        pass

    def send(self, status, body, headers=()):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout case): nothing to answer

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        scenario = url.path.split("/")[1] if url.path.count("/") > 1 else ""
        auth = self.headers.get("Authorization", "")
        with LOCK:
            LOG.write(f"GET {self.path} auth={'ok' if auth == 'Bearer ' + TOKEN else 'bad'}\n")
            LOG.flush()
            SEEN[scenario] = SEEN.get(scenario, 0) + 1
            first = SEEN[scenario] == 1
        if auth != "Bearer " + TOKEN or scenario == "unauthorized":
            return self.send(401, arm_error("InvalidAuthenticationToken", "The access token is invalid."))
        if query.get("api-version") != [API_VERSION]:
            return self.send(400, arm_error("InvalidApiVersionParameter", "unsupported api-version"))
        if not url.path.endswith("/providers/Microsoft.Authorization/policyExemptions"):
            return self.send(404, arm_error("NotFound", "no such listing"))
        page = int(query.get("$skiptoken", ["1"])[0])
        if scenario == "throttle" and first:
            return self.send(429, arm_error("TooManyRequests", "slow down"), [("Retry-After", "1")])
        if scenario == "flaky" and first:
            return self.send(503, arm_error("ServiceUnavailable", "try again"))
        if scenario == "slow":
            time.sleep(5)
        if scenario == "malformed" and page == 2:
            return self.send(200, b'{"value": [{"id": "/subscriptions/x", ')
        if scenario == "later-error" and page == 3:
            return self.send(500, arm_error("InternalServerError", "the listing failed"))
        doc = json.loads(json.dumps(PAGES[page - 1]))
        if page < len(PAGES):
            q = urllib.parse.urlencode({"api-version": API_VERSION, "$skiptoken": str(page + 1)})
            host = "evil.example:8080" if scenario == "foreign-next" else f"127.0.0.1:{self.server.server_port}"
            doc["nextLink"] = f"http://{host}{url.path}?{q}"
        else:
            doc["nextLink"] = None
        self.send(200, json.dumps(doc).encode())


def main(argv):
    global LOG
    if len(argv) < 4:
        print("usage: arm_stub.py PORT_FILE LOG_FILE PAGE.json...", file=sys.stderr)
        return 2
    for p in argv[3:]:
        with open(p, encoding="utf-8") as f:
            PAGES.append(json.load(f))
    LOG = open(argv[2], "a", encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Timer(LIFETIME, lambda: os._exit(0)).start()
    tmp = argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_port))
    os.rename(tmp, argv[1])
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
