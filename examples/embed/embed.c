/* embed — evaluate an aigwc policy bundle from C, through libaigw alone.
 *
 * This is what a gateway does in its hot path, minus the network: open a compiled
 * bundle once, give each thread its own evaluation context, and for every request
 * fill the context's input, evaluate at a given time and read the decision.
 *
 *   embed BUNDLE.aigwb [--now TIME] < requests.jsonl
 *       One JSON object per input line, one decision (JSON) per output line: the same
 *       bytes `aigwc eval -b BUNDLE.aigwb -i requests.jsonl --now TIME` prints.
 *
 *   embed BUNDLE.aigwb [--now TIME] [--summary] FIELD-OPTIONS...
 *       One request built field by field, as a host that already has the request's
 *       attributes in variables would (no JSON on the way in):
 *         --set NAME=TEXT        aigw_input_string: strings, scopes, levels, times…
 *         --int NAME=N           aigw_input_int: int fields
 *         --list NAME=TEXT       aigw_input_list_add: appends to a list field
 *         --map NAME.KEY=TEXT    aigw_input_map_set: one key of a map field
 *       Prints the decision JSON; --summary also prints it in words, read through
 *       the accessors (aigw_result, aigw_get, aigw_message, aigw_route_target, …).
 *
 * TIME is Unix seconds, a date (2026-11-22: the start of that UTC day, as aigwc
 * reads it) or an RFC 3339 timestamp (2026-11-22T08:30:00Z, or with +01:00); without
 * --now the clock is used. In a gateway `now` is the clock; tests and CI pass it so
 * that decisions are reproducible.
 *
 * Exit codes, as aigwc eval: 0 every decision is allow, 1 some decision is deny,
 * 2 usage or input error.
 *
 * Build: see the Makefile and README.md next to this file. Only <aigw.h> is used. */
#define _POSIX_C_SOURCE 200809L
#include <aigw.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
  "usage: embed BUNDLE.aigwb [--now TIME] < requests.jsonl\n"
  "       embed BUNDLE.aigwb [--now TIME] [--summary] (--set NAME=TEXT | --int NAME=N |\n"
  "                          --list NAME=TEXT | --map NAME.KEY=TEXT)...\n"
  "TIME: Unix seconds, YYYY-MM-DD (start of that UTC day) or an RFC 3339 timestamp\n";

/* ---- --now ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil):
 * timegm() is not standard C, and the conversion is short. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* Unix seconds, YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM). */
static int parse_now(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long secs = strtoll(s, &end, 10);
  if (*s && !*end && !errno && !strchr(s + 1, '-')) { *out = secs; return 0; }
  size_t n = strlen(s);
  if (n < 10 || s[4] != '-' || s[7] != '-') return -1;
  int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = 0, mi = 0, se = 0;
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) return -1;
  const char *p = s + 10;
  int64_t off = 0;
  if (*p) {                                      /* a timestamp: THH:MM:SS and a zone */
    if ((*p != 'T' && *p != 't') || n < 19 || p[3] != ':' || p[6] != ':') return -1;
    h = digits(p + 1, 2); mi = digits(p + 4, 2); se = digits(p + 7, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60) return -1;
    p += 9;
    if (*p == '.') { p++; while (*p >= '0' && *p <= '9') p++; }   /* fractions are dropped */
    if (*p == 'Z' || *p == 'z') p++;
    else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
      int oh = digits(p + 1, 2), om = digits(p + 4, 2);
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return -1;
      off = (*p == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
      p += 6;
    } else return -1;
    if (*p) return -1;
  }
  *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
  return 0;
}

/* ---- mode 1: JSON Lines ---- */

/* A line that is not a valid input still gets its line of output, so that output line
 * N always answers input line N: {"decision":"deny","line":N,"error":"why"}. */
static void put_error(int lineno, const char *why) {
  printf("{\"decision\":\"deny\",\"line\":%d,\"error\":\"", lineno);
  for (const unsigned char *p = (const unsigned char *)why; *p; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  printf("\"}\n");
}

/* One decision per line. The context is reused for every line: after the first
 * decisions it has grown its buffers to their high-water mark, and evaluating
 * allocates nothing more. A blank line between records answers with an error (it
 * has a line of output like any other); blank lines at the end are not records. */
static int run_jsonl(aigw_ctx *ctx, int64_t now) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int lineno = 0, errors = 0, any_deny = 0, blanks = 0;
  while ((n = getline(&line, &cap, stdin)) != -1) {
    lineno++;
    size_t len = (size_t)n;
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    size_t k = 0;
    while (k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r')) k++;
    if (k == len) { blanks++; continue; }
    for (; blanks; blanks--) {
      fprintf(stderr, "embed: stdin:%d: empty line\n", lineno - blanks);
      put_error(lineno - blanks, "empty line");
      errors++;
    }

    /* aigw_input_json resets the input, then sets every field the object names;
     * keys the schema does not declare are ignored, null leaves a field unset. */
    const char *json = NULL;
    size_t jl = 0;
    if (aigw_input_json(ctx, line, len) != AIGW_OK || aigw_eval(ctx, now) != AIGW_OK ||
        !(json = aigw_decision_json(ctx, &jl))) {     /* valid until the next eval */
      fprintf(stderr, "embed: stdin:%d: %s\n", lineno, aigw_ctx_error(ctx));
      put_error(lineno, aigw_ctx_error(ctx));
      errors++;
      continue;
    }
    fwrite(json, 1, jl, stdout);
    putchar('\n');
    any_deny |= aigw_result(ctx) == AIGW_DENY;
  }
  free(line);
  return errors ? 2 : any_deny ? 1 : 0;
}

/* ---- mode 2: field by field ---- */

/* Looks up a field id by name. A real host does this once, when it opens the bundle,
 * and keeps the ids: they are stable for the bundle's lifetime. */
static int field_id(const aigw_bundle *b, const char *name, size_t len) {
  char buf[256];
  if (len >= sizeof buf) return -1;
  memcpy(buf, name, len);
  buf[len] = 0;
  return aigw_field(b, buf);
}

static int set_field(const aigw_bundle *b, aigw_ctx *ctx, const char *opt, const char *arg) {
  const char *eq = strchr(arg, '=');
  if (!eq) { fprintf(stderr, "embed: %s %s: expected NAME=VALUE\n", opt, arg); return -1; }
  const char *name = arg, *val = eq + 1;
  size_t nlen = (size_t)(eq - arg);
  const char *key = NULL;
  size_t klen = 0;
  if (!strcmp(opt, "--map")) {                   /* NAME.KEY=TEXT; the key may hold dots */
    const char *dot = memchr(arg, '.', nlen);
    if (!dot) { fprintf(stderr, "embed: --map %s: expected NAME.KEY=TEXT\n", arg); return -1; }
    key = dot + 1; klen = (size_t)(eq - key);
    nlen = (size_t)(dot - arg);
  }
  int f = field_id(b, name, nlen);
  if (f < 0) { fprintf(stderr, "embed: %s: the bundle's input has no field '%.*s'\n", opt, (int)nlen, name); return -1; }

  aigw_status st;
  if (!strcmp(opt, "--set")) {
    /* text, converted to the field's type: a scope is normalized, a level must be one
     * of the levels' names, a time is RFC 3339, an int is decimal */
    st = aigw_input_string(ctx, f, val, strlen(val));
  } else if (!strcmp(opt, "--int")) {
    char *end;
    errno = 0;
    long long v = strtoll(val, &end, 10);
    if (!*val || *end || errno) { fprintf(stderr, "embed: --int %s: not an integer\n", arg); return -1; }
    st = aigw_input_int(ctx, f, (int64_t)v);
  } else if (!strcmp(opt, "--list")) {
    st = aigw_input_list_add(ctx, f, val, strlen(val));
  } else {
    st = aigw_input_map_set(ctx, f, key, klen, val, strlen(val));
  }
  if (st != AIGW_OK) {
    fprintf(stderr, "embed: %s %s: %s (%s)\n", opt, arg, aigw_ctx_error(ctx), aigw_status_name(st));
    return -1;
  }
  return 0;
}

/* The decision in words, through the accessors rather than the JSON. */
static void summary(aigw_ctx *ctx) {
  static const char *const lists[] = {"violation", "waived", "warning", "error"};
  fprintf(stderr, "decision: %s\n", aigw_result(ctx) == AIGW_DENY ? "deny" : "allow");
  for (int l = AIGW_VIOLATIONS; l <= AIGW_ERRORS; l++)
    for (size_t i = 0; i < aigw_count(ctx, (aigw_list)l); i++) {
      aigw_finding f;
      if (aigw_get(ctx, (aigw_list)l, i, &f) != AIGW_OK) continue;
      fprintf(stderr, "  %-9s %s", lists[l], f.guardrail);
      if (l == AIGW_WAIVED)
        fprintf(stderr, " by %s (%s, expires %s)", f.exemption, f.owner, f.expires);
      else if (l != AIGW_ERRORS)
        fprintf(stderr, " [%s %s%s]", f.severity, f.effect, f.dry_run ? ", dry-run" : "");
      const char *msg = aigw_message(ctx, (aigw_list)l, i);
      fprintf(stderr, "%s%s  (%s)\n", msg ? ": " : "", msg ? msg : "", f.source);
    }
  const char *route = aigw_route(ctx);
  if (route) {
    fprintf(stderr, "  route     %s:", route);
    for (size_t i = 0; i < aigw_route_count(ctx); i++) {
      aigw_target t;
      if (aigw_route_target(ctx, i, &t) == AIGW_OK)
        fprintf(stderr, " %s:%s%s%s", t.provider, t.model, t.region ? "@" : "", t.region ? t.region : "");
    }
    fputc('\n', stderr);
  }
  for (size_t i = 0; i < aigw_budget_count(ctx); i++) {
    aigw_budget bg;
    if (aigw_budget_get(ctx, i, &bg) != AIGW_OK) continue;
    fprintf(stderr, "  budget    %s[%.*s]: %" PRId64 " %s per %s", bg.budget, (int)bg.key_len, bg.key,
            bg.limit, bg.unit, bg.period);
    if (bg.warn_bp >= 0 && bg.warn_bp % 100 == 0) fprintf(stderr, ", warn at %d%%", bg.warn_bp / 100);
    else if (bg.warn_bp >= 0) fprintf(stderr, ", warn at %d.%02d%%", bg.warn_bp / 100, bg.warn_bp % 100);
    fputc('\n', stderr);
  }
}

static int run_fields(const aigw_bundle *b, aigw_ctx *ctx, int64_t now, int nopts, char **opts, int verbose) {
  aigw_input_reset(ctx);                         /* every field unset */
  for (int i = 0; i < nopts; i += 2)
    if (set_field(b, ctx, opts[i], opts[i + 1]) != 0) return 2;
  if (aigw_eval(ctx, now) != AIGW_OK) { fprintf(stderr, "embed: %s\n", aigw_ctx_error(ctx)); return 2; }
  size_t jl;
  const char *json = aigw_decision_json(ctx, &jl);
  if (!json) { fprintf(stderr, "embed: %s\n", aigw_ctx_error(ctx)); return 2; }
  fwrite(json, 1, jl, stdout);
  putchar('\n');
  if (verbose) summary(ctx);
  return aigw_result(ctx) == AIGW_DENY ? 1 : 0;
}

/* ---- main ---- */

static int embed(int argc, char **argv, char **opts) {
  const char *path = NULL;
  int64_t now = (int64_t)time(NULL);
  int verbose = 0, nopts = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--now") && i + 1 < argc) {
      if (parse_now(argv[++i], &now) != 0) { fprintf(stderr, "embed: bad --now '%s'\n%s", argv[i], usage); return 2; }
    } else if (!strcmp(a, "--summary")) verbose = 1;
    else if ((!strcmp(a, "--set") || !strcmp(a, "--int") || !strcmp(a, "--list") || !strcmp(a, "--map")) && i + 1 < argc) {
      opts[nopts++] = argv[i];
      opts[nopts++] = argv[++i];
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { fputs(usage, stdout); return 0; }
    else if (a[0] == '-' || path) { fprintf(stderr, "embed: unexpected '%s'\n%s", a, usage); return 2; }
    else path = a;
  }
  if (!path) { fputs(usage, stderr); return 2; }

  /* 1. Open the bundle: read, verified (every offset, index and jump target), then
   *    immutable. One per process, shared by all threads. NULL config: defaults
   *    (malloc, a step limit of 1,000,000 instructions per decision). */
  aigw_bundle *bundle;
  char err[256];
  aigw_status st = aigw_bundle_open_file(path, NULL, &bundle, err, sizeof err);
  if (st != AIGW_OK) {
    fprintf(stderr, "embed: %s: %s (%s)\n", path, err, aigw_status_name(st));
    return 2;
  }

  /* 2. A context per thread: it holds one request's input and one decision. */
  aigw_ctx *ctx;
  if (aigw_ctx_new(bundle, &ctx) != AIGW_OK) {
    fprintf(stderr, "embed: out of memory\n");
    aigw_bundle_close(bundle);
    return 2;
  }

  /* 3. Requests in, decisions out. */
  int rc = nopts ? run_fields(bundle, ctx, now, nopts, opts, verbose) : run_jsonl(ctx, now);

  /* 4. Contexts first, then the bundle they point into. */
  aigw_ctx_free(ctx);
  aigw_bundle_close(bundle);
  if (fflush(stdout) != 0) return 2;
  return rc;
}

int main(int argc, char **argv) {
  char **opts = calloc((size_t)argc, sizeof *opts);   /* (option, argument) pairs */
  if (!opts) return 2;
  int rc = embed(argc, argv, opts);
  free(opts);
  return rc;
}
