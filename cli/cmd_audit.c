/* aigwc audit: the exemption portfolio at one `now` (docs/audit.md), or, with --azure,
 * its drift from a live Azure scope (docs/azure.md). The judging and the writing are in
 * audit/; this file reads the command line. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "aigw.h"
#include "audit.h"
#include "audit_azure.h"
#include "bundle_io.h"
#include "cli.h"

const char cmd_audit_summary[] = "review the exemption portfolio, or its drift from Azure";
const char cmd_audit_usage[] =
  "usage: aigwc audit (-b BUNDLE.aigwb | PATH...) [options]\n\n"
  "Judges every exemption at one time: active, expiring (within the window),\n"
  "expired or not yet started, with days left, age, lifetime, owner, scope,\n"
  "category, controls, ticket and renewal chain; then sums the portfolio up\n"
  "(docs/audit.md).\n"
  "  --now TIME         2026-11-22 (start of that UTC day), an RFC 3339 timestamp,\n"
  "                     or Unix seconds; default: the clock\n"
  "  --within DURATION  the expiring window: 15d (default), 2w, 36h, 90m, 45s\n"
  "  --format FORMAT    table (default; fits 80 columns), markdown, csv or json\n"
  "  --group-by KEY     owner, guardrail, scope, category or age\n"
  "  --fail-if WHAT     exit 1 when an exemption is expired, expiring, never\n"
  "                     expires, or has a broad scope; repeat, or use commas\n\n"
  "Drift from a live Azure scope (docs/azure.md):\n"
  "  --azure SCOPE      read the exemptions at SCOPE through the ARM REST API, with\n"
  "                     the token in " AUDIT_ARM_TOKEN_ENV ", and report what differs\n"
  "  --map FILE         which guardrail each policy assignment is\n"
  "  --endpoint URL     the ARM endpoint (default $" AUDIT_ARM_ENDPOINT_ENV ",\n"
  "                     else " AUDIT_ARM_DEFAULT_ENDPOINT ")\n"
  "  --timeout SECONDS  for the whole read (default 120)\n"
  "  --retries N        per request, on 429, 5xx and network errors (default 4)\n\n"
  "Colour only on a terminal, and never when NO_COLOR is set.\n\n"
  "exit codes: 0 done; 1 a --fail-if condition holds, or (with --azure) drift;\n"
  "            2 usage or input error, or an incomplete Azure read\n";

/* A duration as the language writes one: digits and one unit of s, m, h, d, w. */
static int parse_duration(const char *s, int64_t *out) {
  static const struct { char unit; int64_t secs; } u[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
  int64_t v = 0;
  const char *p = s;
  if (*p < '0' || *p > '9') return -1;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > (INT64_MAX - 9) / 10) return -1;
    v = v * 10 + (*p - '0');
  }
  if (!p[0] || p[1]) return -1;
  for (size_t i = 0; i < 5; i++)
    if (*p == u[i].unit) {
      if (v > INT64_MAX / u[i].secs) return -1;
      *out = v * u[i].secs;
      return 0;
    }
  return -1;
}

static int pick(const char *v, const char *const *names, int n) {
  for (int i = 0; i < n; i++) if (!strcmp(v, names[i])) return i;
  return -1;
}

static const char *const formats[] = {"table", "json", "csv", "markdown"};
enum { F_TABLE, F_JSON, F_CSV, F_MARKDOWN };

static int use_color(void) {
  const char *nc = getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && !(nc && *nc);
}

/* Prints the report in format (or nothing when format is -1) and says which --fail-if
 * conditions hold. Returns an exit code. */
static int report(const aigw_bundle *b, int64_t now, int64_t within, int format, int by, unsigned fail_mask) {
  Audit a;
  audit_build(&a, b, now, within, (AuditGroupBy)by);
  Buf out = {0};
  switch (format) {
  case -1: break;
  case F_JSON: audit_write_json(&a, &out); break;
  case F_CSV: audit_write_csv(&a, &out); break;
  case F_MARKDOWN: audit_write_markdown(&a, &out); break;
  default: audit_write_table(&a, &out, use_color()); break;
  }
  fwrite(out.p ? out.p : "", 1, out.n, stdout);
  fflush(stdout);
  buf_free(&out);
  unsigned hold = audit_fails(&a, fail_mask);
  for (int bit = 0; bit < AUDIT_NFAILS; bit++)
    if (hold >> bit & 1) {
      size_t n = audit_fail_count(&a, bit);
      fprintf(stderr, "aigwc audit: --fail-if %s: %zu exemption%s %s\n", audit_fail_name[bit], n, n == 1 ? "" : "s",
              bit == AUDIT_FAIL_BIT_EXPIRED ? (n == 1 ? "has expired" : "have expired")
              : bit == AUDIT_FAIL_BIT_EXPIRING ? (n == 1 ? "expires within the window" : "expire within the window")
              : bit == AUDIT_FAIL_BIT_NEVER ? (n == 1 ? "never expires" : "never expire")
              : (n == 1 ? "has a broad scope" : "have broad scopes"));
    }
  audit_free(&a);
  return hold ? EXIT_FINDINGS : EXIT_OK;
}

int cmd_audit(int argc, char **argv) {
  const char *bpath = NULL;
  int npaths = 0, format = F_TABLE, by = AUDIT_BY_NONE;
  char **paths = argv + 1;
  int64_t now = (int64_t)time(NULL), within = 15 * 86400;
  unsigned fail_mask = 0;
  AuditArmOptions arm;
  audit_arm_defaults(&arm);
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(o, "-b") && v) { bpath = v; i++; }
    else if (!strcmp(o, "--now") && v) {
      i++;
      if (cli_parse_now(v, &now) != 0) return cli_usage_error("audit", "bad --now '%s'\n  help: %s", v, cli_now_forms);
    } else if (!strcmp(o, "--within") && v) {
      i++;
      if (parse_duration(v, &within) != 0)
        return cli_usage_error("audit", "bad --within '%s'\n  help: a duration is digits and one unit: 15d, 2w, 36h, 90m, 45s", v);
    } else if (!strcmp(o, "--format") && v) {
      i++;
      if ((format = pick(v, formats, 4)) < 0) return cli_usage_error("audit", "unknown --format '%s' (table, markdown, csv or json)", v);
    } else if (!strcmp(o, "--group-by") && v) {
      i++;
      if ((by = pick(v, audit_group_name, AUDIT_NGROUPINGS)) <= 0)
        return cli_usage_error("audit", "unknown --group-by '%s' (owner, guardrail, scope, category or age)", v);
    } else if (!strcmp(o, "--fail-if") && v) {
      i++;
      char *list = strdup(v), *save = NULL;
      if (!list) return EXIT_USAGE;
      for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        int bit = pick(w, audit_fail_name, AUDIT_NFAILS);
        if (bit < 0) {
          int rc = cli_usage_error("audit", "unknown --fail-if '%s' (expired, expiring, never or broad)", w);
          free(list);
          return rc;
        }
        fail_mask |= 1u << bit;
      }
      free(list);
      if (!fail_mask) return cli_usage_error("audit", "empty --fail-if");
    } else if (!strcmp(o, "--azure") && v) { arm.scope = v; i++; }
    else if (!strcmp(o, "--map") && v) { arm.map = v; i++; }
    else if (!strcmp(o, "--endpoint") && v) { arm.endpoint = v; i++; }
    else if (!strcmp(o, "--timeout") && v) {
      i++;
      char *end;
      double t = strtod(v, &end);
      if (*end || !(t > 0 && t <= 86400)) return cli_usage_error("audit", "bad --timeout '%s' (seconds, above 0, at most 86400)", v);
      arm.timeout_ms = (long)(t * 1000);
    } else if (!strcmp(o, "--retries") && v) {
      i++;
      char *end;
      long r = strtol(v, &end, 10);
      if (*end || r < 0 || r > AUDIT_ARM_MAX_RETRIES)
        return cli_usage_error("audit", "bad --retries '%s' (0 to %d)", v, AUDIT_ARM_MAX_RETRIES);
      arm.retries = (int)r;
    } else if (o[0] == '-' && o[1]) return cli_usage_error("audit", "unknown or incomplete option '%s'", o);
    else paths[npaths++] = argv[i];
  }
  if (!bpath && !npaths) return cli_usage_error("audit", "give -b BUNDLE or policy PATHs");
  if (!arm.scope && (arm.map || arm.endpoint)) return cli_usage_error("audit", "--map and --endpoint go with --azure SCOPE");
  if (arm.scope && by != AUDIT_BY_NONE) return cli_usage_error("audit", "--group-by does not go with --azure (the drift report is not grouped)");
  aigw_bundle *b;
  /* policies that do not compile are an input error here: exit 1 means a finding */
  if (cli_open_bundle(bpath, npaths, paths, &b)) return EXIT_USAGE;
  int rc;
  if (arm.scope) {
    AuditDriftOptions d = {format == F_TABLE ? "table" : formats[format], use_color() && format == F_TABLE, now};
    rc = audit_azure_drift(b, &arm, &d);
    if (rc != EXIT_USAGE && fail_mask && report(b, now, within, -1, AUDIT_BY_NONE, fail_mask)) rc = EXIT_FINDINGS;
  } else rc = report(b, now, within, format, by, fail_mask);
  aigw_bundle_close(b);
  return rc;
}
