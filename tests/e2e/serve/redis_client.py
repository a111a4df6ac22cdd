"""HTTP clients for tests/e2e/t_serve_redis.sh: loopback only, bounded in count and time.

  redis_client.py freeport                      prints a free loopback port
  redis_client.py race PORTS CLIENTS EACH N IDS CLIENTS threads spread over the ports
                                                (comma-separated) each POST EACH requests
                                                charging N; admitted ids go to IDS
  redis_client.py settle PORTS IDS COUNT [AT]   settles the first COUNT ids at 0 tokens
                                                (each at the replica that admitted it or
                                                another: the reservation is in Redis); AT
                                                "owner" or "other" picks the replica that
                                                admitted it (the first half of a decision
                                                id names its process) or one that did not
  redis_client.py probe PORT COUNT N [TEAM]     COUNT requests charging N, one at a time:
                                                prints each status and the slowest time
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import conn, post, race  # noqa: E402  (the one HTTP client of the serve tests)


def cmd_freeport():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def boot_of(port):
    """The process half of a port's decision ids (a request charging nothing)."""
    _, _, r = post(conn(port), "/v1/decide", json.dumps({"team": "whoami", "tokens": 0}).encode())
    return r.getheader("X-Aigw-Decision-Id").split("-")[0]


def cmd_settle(ports, ids_path, count, at=None):
    ports = [int(p) for p in ports.split(",")]
    ids = [l.strip() for l in open(ids_path) if l.strip()][:count]
    boots = {boot_of(p): p for p in ports} if at else {}
    returned = bad = 0
    for i, d in enumerate(ids):
        port = ports[(i + 1) % len(ports)]
        if at == "owner":
            port = boots[d.split("-")[0]]
        elif at == "other":
            port = [p for b, p in boots.items() if b != d.split("-")[0]][i % (len(ports) - 1)]
        c = conn(port)
        status, body, _ = post(c, "/v1/settle", json.dumps({"decision_id": d, "usage": {"tokens": 0}}).encode())
        if status != 200:
            bad += 1
            print("settle %s: %d %s" % (d, status, body[:200]), file=sys.stderr)
            continue
        for s in json.loads(body)["settled"]:
            returned += s["reserved"] - s["used"]
    print("settled %d failed %d returned %d" % (len(ids) - bad, bad, returned))


def cmd_probe(port, count, charge, team="probe"):
    statuses, slowest = [], 0.0
    c = conn(port)
    body = json.dumps({"team": team, "tokens": charge}).encode()
    for _ in range(count):
        t0 = time.time()
        try:
            status, _, _ = post(c, "/v1/decide", body)
        except Exception as e:
            status = "error:%s" % type(e).__name__
            c = conn(port)
        slowest = max(slowest, time.time() - t0)
        statuses.append(str(status))
    print("%s slowest_ms %d" % (" ".join(sorted(set(statuses))), int(slowest * 1000)))


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "freeport":
        cmd_freeport()
    elif a[0] == "race":
        race([int(p) for p in a[1].split(",")], int(a[2]), int(a[3]), int(a[4]), a[5])
    elif a[0] == "settle":
        cmd_settle(a[1], a[2], int(a[3]), *a[4:5])
    elif a[0] == "probe":
        cmd_probe(int(a[1]), int(a[2]), int(a[3]), *a[4:5])
    else:
        sys.exit(__doc__)
