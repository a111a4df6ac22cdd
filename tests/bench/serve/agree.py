"""Decision agreement for the serve benchmark: every request through aigwc serve's
/v1/decide and /v1/authz/nginx and (when given a port) Cerbos's check API; allow/deny
must agree everywhere. Also checks /v1/decide against `aigwc eval` output when given.

  agree.py DIR SERVE_PORT [CERBOS_PORT|-] [EVAL_OUTPUT]"""
import http.client
import json
import sys

d, sport = sys.argv[1], int(sys.argv[2])
cport = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "-" else None
evals = open(sys.argv[4]).read().splitlines() if len(sys.argv) > 4 else None
s = http.client.HTTPConnection("127.0.0.1", sport, timeout=10)
c = http.client.HTTPConnection("127.0.0.1", cport, timeout=10) if cport else None
reqs = open(d + "/requests.jsonl").read().splitlines()
hdrs = open(d + "/headers.txt").read().splitlines()
cerb = open(d + "/cerbos.jsonl").read().splitlines()
bad = 0
allow = 0
for i, line in enumerate(reqs):
    s.request("POST", "/v1/decide", body=line, headers={"Content-Type": "application/json"})
    r = s.getresponse()
    body = r.read().decode()
    dec = json.loads(body)["decision"]
    allow += dec == "allow"
    if evals is not None and body.rstrip("\n") != evals[i]:
        bad += 1
        print("request %d: /v1/decide differs from aigwc eval" % (i + 1))
    h = dict(p.split(": ", 1) for p in hdrs[i].split("\t"))
    s.request("GET", "/v1/authz/nginx", headers=h)
    r = s.getresponse()
    r.read()
    if (r.status == 200) != (dec == "allow") or r.status not in (200, 403):
        bad += 1
        print("request %d: nginx endpoint %d, decide %s" % (i + 1, r.status, dec))
    if c:
        c.request("POST", "/api/check/resources", body=cerb[i], headers={"Content-Type": "application/json"})
        r = c.getresponse()
        res = json.loads(r.read())
        eff = res["results"][0]["actions"]["call"]
        if (eff == "EFFECT_ALLOW") != (dec == "allow"):
            bad += 1
            print("request %d: cerbos %s, aigw %s: %s" % (i + 1, eff, dec, line))
print("agreement: %d requests, %d allowed, %d disagreements%s" % (len(reqs), allow, bad, " (with Cerbos)" if c else ""))
sys.exit(1 if bad else 0)
