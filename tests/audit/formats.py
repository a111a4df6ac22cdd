#!/usr/bin/env python3
"""Checks the shape of an audit output, beyond its golden text.

    formats.py table FILE      every line fits 80 columns, no trailing blank
    formats.py csv FILE        RFC 4180: CRLF line ends, every record as wide as the header
    formats.py markdown FILE   every GFM table row has as many cells as its header
    formats.py json FILE       parses, and has the fields docs/audit.md documents

Prints what is wrong; exit 0 when nothing is.
"""
import csv
import io
import json
import sys

EXEMPTION_FIELDS = ["id", "status", "days_left", "age_days", "lifetime_days", "owner", "scope",
                    "scope_depth", "broad", "category", "controls", "ticket", "renews", "renewed_by",
                    "chain_length", "guardrails", "created", "starts", "expires", "expires_at",
                    "reason", "source"]
SUMMARY_FIELDS = ["total", "status", "never_expire", "subscriptions", "owners", "guardrails",
                  "oldest_in_force", "longest_chains", "broad", "owners_expiring"]


def table(text):
    bad = []
    for n, line in enumerate(text.split("\n"), 1):
        if len(line) > 80:
            bad.append(f"line {n}: {len(line)} columns")
        if line != line.rstrip(" "):
            bad.append(f"line {n}: trailing blanks")
    return bad


def csv_check(raw):
    bad = []
    if raw and not raw.endswith(b"\r\n"):
        bad.append("the last record does not end with CRLF")
    quoted = False
    for i, c in enumerate(raw):
        if c == 0x22:
            quoted = not quoted
        elif c == 0x0A and not quoted and (i == 0 or raw[i - 1] != 0x0D):
            bad.append(f"byte {i}: a record ends with LF alone")
            break
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True))
    for n, r in enumerate(rows[1:], 2):
        if len(r) != len(rows[0]):
            bad.append(f"record {n}: {len(r)} fields, the header has {len(rows[0])}")
    return bad


def cells(line):
    line = line.strip()
    count, i = 0, 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        count += line[i] == "|"
        i += 1
    return count - 1


def markdown(text):
    bad, want = [], None
    for n, line in enumerate(text.split("\n"), 1):
        if not line.startswith("|"):
            want = None
            continue
        c = cells(line)
        if want is None:
            want = c
        elif c != want:
            bad.append(f"line {n}: {c} cells, the header has {want}")
    return bad


def json_check(text):
    doc = json.loads(text)
    bad = [f"no field {k}" for k in ["now", "within_seconds", "bundle", "group_by", "summary", "exemptions"] if k not in doc]
    bad += [f"summary has no {k}" for k in SUMMARY_FIELDS if k not in doc.get("summary", {})]
    for e in doc.get("exemptions", []):
        if list(e) != EXEMPTION_FIELDS:
            bad.append(f"exemption {e.get('id')}: fields {list(e)}")
    if doc.get("group_by") and "groups" not in doc:
        bad.append("grouped, without groups")
    return bad


def main(argv):
    kind, path = argv[1], argv[2]
    raw = open(path, "rb").read()
    bad = {"table": lambda: table(raw.decode()), "csv": lambda: csv_check(raw),
           "markdown": lambda: markdown(raw.decode()), "json": lambda: json_check(raw.decode())}[kind]()
    for b in bad:
        print(f"{path}: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
