"""A stand-in for a model API: answers every POST with which upstream it is and the
routing headers nginx passed on. Usage: python3 stub_upstream.py PORT NAME"""
import http.server
import json
import sys


class Stub(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        body = json.dumps({
            "upstream": sys.argv[2],
            "path": self.path,
            "model": self.headers.get("X-Aigw-Model"),
            "region": self.headers.get("X-Aigw-Region"),
            "decision_id": self.headers.get("X-Aigw-Decision-Id"),
        }).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Stub).serve_forever()
