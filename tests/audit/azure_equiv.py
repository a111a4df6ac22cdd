#!/usr/bin/env python3
"""Are two sets of Azure policy exemptions equivalent, in what aigwc keeps of them?

    azure_equiv.py MAP.json ORIGINAL.json... -- EXPORTED.json

The oracle of the import/export round trip (docs/azure.md, "Equivalence"), written
independently of the C code: every exemption (by name, ignoring case) must have the
same scope and policy assignment (resource ids ignoring case and doubled slashes), the
same policy definition references (a set; none means every reference the mapping
names), category, expiry instant, reason (displayName and description joined by a
blank line), owner and ticket (from metadata, keys ignoring case), and controls.
Prints each difference; exit 0 when there is none, 1 otherwise.
"""
import datetime
import json
import sys

OWNER_KEYS = ["owner", "owneremail", "owner_email", "contact", "requestedby"]
TICKET_KEYS = ["ticket", "ticketid", "ticketurl", "workitem", "changerequest"]
NO_OWNER, NO_REASON, NO_CONTROLS = "unknown", "no display name or description in Azure", "not recorded in Azure"
SUFFIX = "/providers/microsoft.authorization/policyexemptions/"


def canon(rid):
    return "/" + "/".join(s for s in rid.lower().split("/") if s)


def documents(path):
    text = open(path, encoding="utf-8").read()
    dec, pos = json.JSONDecoder(), 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            return
        doc, pos = dec.raw_decode(text, pos)
        yield doc


def items(paths):
    for p in paths:
        for doc in documents(p):
            if isinstance(doc, list):
                yield from doc
            elif "value" in doc:
                yield from doc["value"]
            else:
                yield doc


def when(s):
    if s is None:
        return None
    s = s.replace("Z", "+00:00").replace("z", "+00:00")
    if "." in s:  # fractions are dropped, as RFC 3339 times are read
        head, tail = s.split(".", 1)
        zone = tail[next((i for i, c in enumerate(tail) if not c.isdigit()), len(tail)):]
        s = head + zone
    t = datetime.datetime.fromisoformat(s)
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp())


def meta(md, keys):
    for k, v in (md or {}).items():
        if k.lower() in keys and isinstance(v, str) and v:
            return v
    return None


def reason(p):
    d, s = p.get("displayName") or None, p.get("description") or None
    if d and s:
        if d.endswith("\u2026") and s.startswith(d[:-1]):
            d = None
        elif d == s:
            s = None
    text = "\n\n".join(x for x in (d, s) if x)
    return text or NO_REASON


def normal(item, mapping):
    p = item.get("properties") if isinstance(item.get("properties"), dict) else item
    rid = canon(item["id"])
    at = rid.rindex(SUFFIX)
    assignment = canon(p["policyAssignmentId"])
    refs = {r.lower() for r in (p.get("policyDefinitionReferenceIds") or [])}
    if not refs and assignment in mapping:
        refs = mapping[assignment]
    md = p.get("metadata") or {}
    controls = md.get("controls") if isinstance(md, dict) else None
    if isinstance(controls, str):
        controls = [controls]
    return rid[at + len(SUFFIX):], {
        "scope": rid[:at] or "/",
        "assignment": assignment,
        "references": sorted(refs),
        "category": p["exemptionCategory"].lower(),
        "expires": when(p.get("expiresOn")),
        "reason": reason(p),
        "owner": meta(md, OWNER_KEYS) or NO_OWNER,
        "ticket": meta(md, TICKET_KEYS),
        "controls": [c for c in (controls or []) if c and c != NO_CONTROLS],
    }


def main(argv):
    if "--" not in argv or len(argv) < 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    cut = argv.index("--")
    mapping = {}
    for a in json.load(open(argv[1]))["assignments"]:
        mapping[canon(a["id"])] = {r.lower() for r in a.get("references", {})}
    left = dict(normal(i, mapping) for i in items(argv[2:cut]))
    right = dict(normal(i, mapping) for i in items(argv[cut + 1:]))
    bad = 0
    for name in sorted(set(left) | set(right)):
        if name not in right:
            print(f"{name}: missing from the export")
        elif name not in left:
            print(f"{name}: only in the export")
        else:
            for k, v in left[name].items():
                if right[name][k] != v:
                    print(f"{name}: {k}: {v!r} became {right[name][k]!r}")
                    bad += 1
            continue
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
