"""HTTP clients for tests/e2e/t_serve.sh: loopback only, every run bounded in count and time.

  client.py lines PORT INPUT OUT        POST each line of INPUT to /v1/decide; bodies to OUT
  client.py budget PORT CLIENTS EACH N  CLIENTS threads each POST EACH requests charging N
  client.py load PORT SECONDS THREADS   keep-alive /v1/decide for SECONDS; prints failures
  client.py hostile PORT                garbage, oversize, invalid JSON, slow and many clients
  client.py etag-server PORT FILE LOG   serves FILE at /bundle with an ETag (until killed)
  client.py inflight PORT               half a request, a pause (the test sends SIGTERM),
                                        the rest: prints the status it gets
"""
import hashlib
import http.client
import http.server
import json
import os
import socket
import sys
import threading
import time

BODY = b'{"model":"gpt-4o","team":"load","data_class":"internal","max_tokens":0}'


def conn(port, timeout=10):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)


def post(c, path, body, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request("POST", path, body=body, headers=h)
    r = c.getresponse()
    return r.status, r.read(), r


def cmd_lines(port, inp, out):
    c = conn(port)
    with open(inp, "rb") as f, open(out, "wb") as o, open(out + ".status", "w") as st:
        for line in f:
            line = line.rstrip(b"\r\n")
            if not line.strip():
                o.write(b"SKIP\n")
                st.write("skip\n")
                continue
            status, body, _ = post(c, "/v1/decide", line)
            o.write(body)
            st.write("%d\n" % status)


def race(ports, clients, each, charge, ids_path=None):
    """CLIENTS threads spread over PORTS, started together, each POSTing EACH requests
    charging N; prints the counts, and writes the admitted decision ids to ids_path."""
    results, ids = [], []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def run(i):
        port = ports[i % len(ports)]
        c = conn(port)
        body = json.dumps({"team": "shared", "tokens": charge, "client": i}).encode()
        start.wait()
        mine, got = [], []
        for _ in range(each):
            try:
                status, _, r = post(c, "/v1/decide", body)
                if status == 200:
                    got.append(r.getheader("X-Aigw-Decision-Id"))
            except Exception as e:  # a refused connection counts as a failure
                status = "error:%s" % type(e).__name__
                c = conn(port)
            mine.append(status)
        with lock:
            results.extend(mine)
            ids.extend(got)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if ids_path:
        with open(ids_path, "w") as f:
            f.write("\n".join(ids) + "\n")
    ok = sum(1 for s in results if s == 200)
    over = sum(1 for s in results if s == 429)
    print("requests %d admitted %d over %d other %d" % (len(results), ok, over, len(results) - ok - over))


def cmd_load(port, seconds, threads):
    stop = time.time() + seconds
    counts = {"ok": 0, "fail": 0}
    lock = threading.Lock()
    bodies = set()

    def run():
        c = conn(port)
        ok = fail = 0
        while time.time() < stop:
            try:
                status, body, _ = post(c, "/v1/decide", BODY)
                if status == 200:
                    ok += 1
                    bodies.add(json.loads(body)["bundle"])
                else:
                    fail += 1
                    print("status %d: %s" % (status, body[:200]), file=sys.stderr)
            except Exception as e:
                fail += 1
                print("error %r" % e, file=sys.stderr)
                c = conn(port)
        with lock:
            counts["ok"] += ok
            counts["fail"] += fail

    ts = [threading.Thread(target=run) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("requests %d failures %d bundles %d" % (counts["ok"] + counts["fail"], counts["fail"], len(bodies)))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def healthy(port):
    c = conn(port, timeout=5)
    t0 = time.time()
    status, body, _ = post(c, "/v1/decide", BODY)
    return status == 200 and b'"decision"' in body, time.time() - t0


def raw(port, data, read=True, timeout=3):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b""
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def status_of(resp):
    parts = resp.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def cmd_hostile(port, pid):
    report = []
    fails = []
    rss0 = rss_kb(pid)

    # 1. garbage bytes, 300 connections
    import random
    rnd = random.Random(7)
    for i in range(300):
        junk = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 2048)))
        try:
            raw(port, junk, read=(i % 10 == 0), timeout=2)
        except OSError:
            pass
    report.append("garbage: 300 connections")

    # 2. an oversize body with Content-Length: refused before it is read
    big = 10 << 20
    r = raw(port, b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % big + b"{" * 65536)
    if status_of(r) != 413:
        fails.append("oversize body (Content-Length): status %d" % status_of(r))
    # … and chunked, where the length is known only as it arrives
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    sent = 0
    try:
        while sent < (4 << 20):
            s.sendall(b"10000\r\n" + b"a" * 0x10000 + b"\r\n")
            sent += 0x10000
        s.sendall(b"0\r\n\r\n")
        r = s.recv(4096)
        if status_of(r) not in (413, 0):
            fails.append("oversize chunked body: status %d" % status_of(r))
    except OSError:
        pass  # closed by the server: as intended
    s.close()
    report.append("oversize bodies: 10 MiB declared, 4 MiB chunked")

    # 3. oversize headers
    r = raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * (200 << 10) + b"\r\n\r\n")
    if status_of(r) not in (0, 413, 431, 400):
        fails.append("oversize header: status %d" % status_of(r))
    r = raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"\r\n")
    if status_of(r) not in (0, 413, 431, 400):
        fails.append("many headers: status %d" % status_of(r))
    report.append("oversize headers: one of 200 KiB, 5000 small ones")

    # 4. invalid JSON and wrong shapes
    c = conn(port)
    for body in [b"{", b"[1,2]", b"null", b'{"model": 1}', b"\xff\xfe", b'{"a":' * 5000, b'"x"', b""]:
        try:
            status, _, _ = post(c, "/v1/decide", body)
        except Exception as e:
            fails.append("invalid JSON %r: %r" % (body[:20], e))
            c = conn(port)
            continue
        if status != 400:
            fails.append("invalid JSON %r: status %d, want 400" % (body[:20], status))
    report.append("invalid JSON: 8 bodies, each 400")

    # 5. slow clients: 200 connections trickling their headers, while a normal client is served
    slow = []
    for i in range(200):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\n")
            slow.append(s)
        except OSError:
            break
    worst = 0.0
    for _ in range(6):
        for s in slow:
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                pass
        ok, dt = healthy(port)
        worst = max(worst, dt)
        if not ok:
            fails.append("a normal request failed while slow clients held connections")
        time.sleep(0.25)
    for s in slow:
        s.close()
    if worst > 0.5:
        fails.append("a normal request took %.3fs beside slow clients" % worst)
    report.append("slow clients: %d trickling headers; a normal request took at most %.1f ms" % (len(slow), worst * 1000))

    # 6. thousands of connections at once, some sending a request
    many = []
    for i in range(3000):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            if i % 3 == 0:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            many.append(s)
        except OSError:
            break
    rss_peak = rss_kb(pid)
    ok, dt = healthy(port)
    if not ok:
        fails.append("not serving with %d connections open" % len(many))
    for s in many:
        s.close()
    report.append("connections: %d open at once; a request beside them took %.1f ms" % (len(many), dt * 1000))
    time.sleep(0.5)
    ok, _ = healthy(port)
    if not ok:
        fails.append("not serving after the hostile traffic")
    rss1 = rss_kb(pid)
    report.append("RSS: %d KiB before, %d KiB with %d connections, %d KiB after" % (rss0, rss_peak, len(many), rss1))
    for line in report:
        print("hostile: " + line)
    for f in fails:
        print("FAIL hostile: " + f)
    print("rss_kb %d %d %d" % (rss0, rss_peak, rss1))


class EtagHandler(http.server.BaseHTTPRequestHandler):
    path_file = None
    log = None

    def do_GET(self):
        try:
            data = open(self.path_file, "rb").read()
        except OSError:
            self.send_response(404)
            self.end_headers()
            return
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            code = 304
        else:
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            code = 200
        with open(self.log, "a") as f:
            f.write("%d %s\n" % (code, self.headers.get("If-None-Match") or "-"))

    def log_message(self, *a):
        pass


def cmd_etag_server(port, path, log):
    EtagHandler.path_file = path
    EtagHandler.log = log
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), EtagHandler)
    with open(log + ".port", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    srv.serve_forever()


def cmd_inflight(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY[:20])
    print("started", flush=True)
    time.sleep(1.0)
    s.sendall(BODY[20:])
    r = b""
    while b"\r\n\r\n" not in r:
        chunk = s.recv(4096)
        if not chunk:
            break
        r += chunk
    print("status %d" % status_of(r), flush=True)


def main():
    a = sys.argv[1:]
    if a[0] == "lines":
        cmd_lines(int(a[1]), a[2], a[3])
    elif a[0] == "budget":
        race([int(a[1])], int(a[2]), int(a[3]), int(a[4]))
    elif a[0] == "load":
        cmd_load(int(a[1]), float(a[2]), int(a[3]))
    elif a[0] == "hostile":
        cmd_hostile(int(a[1]), int(a[2]))
    elif a[0] == "inflight":
        cmd_inflight(int(a[1]))
    elif a[0] == "etag-server":
        cmd_etag_server(int(a[1]), a[2], a[3])
    else:
        sys.exit("unknown command " + a[0])


if __name__ == "__main__":
    main()
