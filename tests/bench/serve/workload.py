"""The serve benchmark's workload: requests for examples/nginx/gateway.aigw, the same
requests as nginx auth_request headers, and as Cerbos check requests (cerbos/).

  workload.py OUTDIR [N]   writes requests.jsonl, headers.txt, cerbos.jsonl (N requests)

A fixed seed: every run decides the same requests. About a third are denied (a model
outside the catalog, max_tokens over 16000, or max_tokens missing)."""
import json
import os
import random
import sys

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rnd = random.Random(20261122)
models = ["gpt-4o", "gpt-4o-mini", "gpt-4o", "gpt-4o-mini", "llama-3", "mistral-large"]
classes = ["public", "internal", "internal", "confidential", "secret"]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "requests.jsonl"), "w") as rq, \
     open(os.path.join(out, "headers.txt"), "w") as hd, \
     open(os.path.join(out, "cerbos.jsonl"), "w") as cb:
    for i in range(n):
        r = {"model": rnd.choice(models), "team": "team-%02d" % rnd.randrange(50),
             "data_class": rnd.choice(classes), "provider": "any"}
        if rnd.random() < 0.95:
            r["max_tokens"] = rnd.choice([100, 500, 1000, 4000, 8000, 16000, 20000])
        rq.write(json.dumps(r, separators=(",", ":")) + "\n")
        h = ["X-Model: " + r["model"], "X-Team: " + r["team"], "X-Data-Class: " + r["data_class"]]
        if "max_tokens" in r:
            h.append("X-Max-Tokens: %d" % r["max_tokens"])
        hd.write("\t".join(h) + "\n")
        attr = {k: v for k, v in r.items() if k != "team"}
        cb.write(json.dumps({
            "requestId": str(i),
            "principal": {"id": r["team"], "roles": ["team"]},
            "resources": [{"actions": ["call"], "resource": {"kind": "ai_request", "id": str(i), "attr": attr}}],
        }, separators=(",", ":")) + "\n")
