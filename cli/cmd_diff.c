/* aigwc diff: the change impact of a policy change. Every recorded input is decided by
 * both versions, through libaigw as a gateway would, and every difference is counted
 * by kind with the first examples of each: a reviewer sees what a change does to real
 * traffic before it is merged. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aigw.h"
#include "bundle_io.h"
#include "cli.h"

const char cmd_diff_summary[] = "replay inputs through two policy versions, show what changes";
const char cmd_diff_usage[] =
  "usage: aigwc diff OLD NEW --inputs FILE.jsonl [--now TIME] [--fail-on KIND,...]\n"
  "                  [--examples N] [--format text|json]\n\n"
  "OLD and NEW are each a bundle (.aigwb) or policy PATHs (a .aigw file or a directory).\n"
  "Each input line is a request object or a decision-log line (an object whose \"input\"\n"
  "member is the request); both versions decide it at --now, and every difference is\n"
  "counted by kind, with the first N examples of each (--examples, default 5, 0: all):\n"
  "  allow-to-deny, deny-to-allow     the decision flips\n"
  "  violation-gained, violation-lost a guardrail now denies, or no longer does\n"
  "  warning-gained, warning-lost     the same for warnings\n"
  "  error-gained, error-lost         the same for evaluation errors\n"
  "  waiver-gained, waiver-lost       an exemption now waives a finding, or no longer does\n"
  "  route-changed, budget-changed    another route, targets or budgets\n"
  "  input-rejected                   one version refuses the input (a schema change)\n"
  "  --now TIME       the evaluation time; default: the clock\n"
  "  --fail-on KINDS  exit 1 when a change of one of these kinds happened (comma-separated,\n"
  "                   repeatable; 'decision' is both flips, 'any' every kind)\n\n"
  "exit codes: 0 no change of a --fail-on kind, 1 such a change, 2 usage or input error\n";

#define DIFF_KINDS(X) \
  X(ALLOW_TO_DENY, "allow-to-deny") X(DENY_TO_ALLOW, "deny-to-allow") \
  X(VIOLATION_GAINED, "violation-gained") X(VIOLATION_LOST, "violation-lost") \
  X(WARNING_GAINED, "warning-gained") X(WARNING_LOST, "warning-lost") \
  X(ERROR_GAINED, "error-gained") X(ERROR_LOST, "error-lost") \
  X(WAIVER_GAINED, "waiver-gained") X(WAIVER_LOST, "waiver-lost") \
  X(ROUTE_CHANGED, "route-changed") X(BUDGET_CHANGED, "budget-changed") \
  X(INPUT_REJECTED, "input-rejected")
enum {
#define X(id, s) K_##id,
  DIFF_KINDS(X)
#undef X
  K__COUNT
};
static const char *const kind_name[] = {
#define X(id, s) s,
  DIFF_KINDS(X)
#undef X
};

typedef struct Example { unsigned line; char *what; } Example;
typedef struct Kind { unsigned count; Example *ex; unsigned nex; } Kind;

typedef struct Diff {
  aigw_ctx *c[2];
  const char *name;
  int64_t now;
  unsigned examples;        /* 0: all */
  int input_field;          /* the schema has a field called "input": no log lines */
  unsigned inputs, changed, skipped;
  Kind k[K__COUNT];
} Diff;

/* One decision, flattened for comparison: each list is "a\nb\n", in decision order. */
typedef struct Flat { int deny; Buf list[4]; Buf route, budgets; } Flat;

static void flat_free(Flat *f) {
  for (int i = 0; i < 4; i++) buf_free(&f->list[i]);
  buf_free(&f->route); buf_free(&f->budgets);
}

static void flatten(aigw_ctx *c, Flat *f) {
  memset(f, 0, sizeof *f);
  f->deny = aigw_result(c) == AIGW_DENY;
  for (int l = 0; l < 4; l++)
    for (size_t i = 0; i < aigw_count(c, (aigw_list)l); i++) {
      aigw_finding fi;
      if (aigw_get(c, (aigw_list)l, i, &fi) != AIGW_OK) continue;
      if (l == AIGW_WAIVED) buf_printf(&f->list[l], "%s by %s\n", fi.guardrail, fi.exemption ? fi.exemption : "?");
      else buf_printf(&f->list[l], "%s\n", fi.guardrail);
    }
  const char *r = aigw_route(c);
  if (r) {
    buf_printf(&f->route, "%s (", r);
    for (size_t i = 0; i < aigw_route_count(c); i++) {
      aigw_target t;
      if (aigw_route_target(c, i, &t) == AIGW_OK)
        buf_printf(&f->route, "%s%s:%s%s%s", i ? ", " : "", t.provider, t.model, t.region ? "@" : "", t.region ? t.region : "");
    }
    buf_putc(&f->route, ')');
  } else buf_puts(&f->route, "none");
  for (size_t i = 0; i < aigw_budget_count(c); i++) {
    aigw_budget b;
    if (aigw_budget_get(c, i, &b) == AIGW_OK) buf_printf(&f->budgets, "%s%s[%.*s]", i ? ", " : "", b.budget, (int)b.key_len, b.key);
  }
  if (!f->budgets.n) buf_puts(&f->budgets, "none");
  buf_putc(&f->route, 0); f->route.n--;
  buf_putc(&f->budgets, 0); f->budgets.n--;
}

/* The lines of a that b lacks, as "x, y"; 0 when there are none. */
static int missing(const Buf *a, const Buf *b, Buf *out) {
  out->n = 0;
  const char *p = a->p, *end = a->p + a->n;
  while (p && p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = (size_t)(nl - p) + 1;
    int found = 0;
    for (const char *q = b->p, *qe = b->p + b->n; q && q < qe && !found;) {
      const char *ql = memchr(q, '\n', (size_t)(qe - q));
      found = (size_t)(ql - q) + 1 == n && !memcmp(p, q, n);
      q = ql + 1;
    }
    if (!found) buf_printf(out, "%s%.*s", out->n ? ", " : "", (int)n - 1, p);
    p = nl + 1;
  }
  buf_putc(out, 0);
  out->n--;
  return out->n > 0;
}

static void note(Diff *d, int kind, unsigned line, const char *what) {
  Kind *k = &d->k[kind];
  k->count++;
  if (d->examples && k->nex >= d->examples) return;
  k->ex = xrealloc(k->ex, sizeof *k->ex * (k->nex + 1));
  k->ex[k->nex].line = line;
  k->ex[k->nex++].what = xstrndup(what, strlen(what));
}

static const char *const list_word[] = {"violation", "waiver", "warning", "error"};
static const int gained_kind[] = {K_VIOLATION_GAINED, K_WAIVER_GAINED, K_WARNING_GAINED, K_ERROR_GAINED};
static const int lost_kind[] = {K_VIOLATION_LOST, K_WAIVER_LOST, K_WARNING_LOST, K_ERROR_LOST};

static void compare(Diff *d, unsigned line, Flat *o, Flat *n) {
  Buf s = {0}, w = {0};
  int any = 0;
  if (o->deny != n->deny) {
    buf_printf(&w, "%s -> %s", o->deny ? "deny" : "allow", n->deny ? "deny" : "allow");
    if (missing(&n->list[AIGW_VIOLATIONS], &o->list[AIGW_VIOLATIONS], &s)) buf_printf(&w, " (new violations: %s)", s.p);
    if (missing(&o->list[AIGW_VIOLATIONS], &n->list[AIGW_VIOLATIONS], &s)) buf_printf(&w, " (no longer: %s)", s.p);
    buf_putc(&w, 0);
    note(d, o->deny ? K_DENY_TO_ALLOW : K_ALLOW_TO_DENY, line, w.p);
    any = 1;
  }
  for (int l = 0; l < 4; l++) {
    if (missing(&n->list[l], &o->list[l], &s)) {
      w.n = 0; buf_printf(&w, "%s gained: %s", list_word[l], s.p); buf_putc(&w, 0);
      note(d, gained_kind[l], line, w.p);
      any = 1;
    }
    if (missing(&o->list[l], &n->list[l], &s)) {
      w.n = 0; buf_printf(&w, "%s lost: %s", list_word[l], s.p); buf_putc(&w, 0);
      note(d, lost_kind[l], line, w.p);
      any = 1;
    }
  }
  if (strcmp(o->route.p, n->route.p)) {
    w.n = 0; buf_printf(&w, "route: %s -> %s", o->route.p, n->route.p); buf_putc(&w, 0);
    note(d, K_ROUTE_CHANGED, line, w.p);
    any = 1;
  }
  if (strcmp(o->budgets.p, n->budgets.p)) {
    w.n = 0; buf_printf(&w, "budgets: %s -> %s", o->budgets.p, n->budgets.p); buf_putc(&w, 0);
    note(d, K_BUDGET_CHANGED, line, w.p);
    any = 1;
  }
  d->changed += any;
  buf_free(&s); buf_free(&w);
}

/* The request: the record itself, or its "input" member when it is a decision log line
 * (unless the schema itself has a field called "input"). NULL: the record as it is. */
static char *request_of(const Diff *d, const char *text, size_t len, size_t *out) {
  if (d->input_field) return NULL;
  json_t *j = json_loadb(text, len, 0, NULL);
  json_t *in = json_is_object(j) ? json_object_get(j, "input") : NULL;
  char *r = NULL;
  if (json_is_object(in)) {
    r = json_dumps(in, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (r) *out = strlen(r);
  }
  json_decref(j);
  return r;
}

static int record(void *ud, const char *text, size_t len, unsigned line) {
  Diff *d = ud;
  if (!len) return EXIT_OK;                /* a blank line between records */
  size_t rl = 0;
  char *req = request_of(d, text, len, &rl);
  const char *t = req ? req : text;
  size_t tl = req ? rl : len;
  aigw_status st[2];
  for (int v = 0; v < 2; v++) {
    st[v] = aigw_input_json(d->c[v], t, tl);
    if (st[v] == AIGW_OK) st[v] = aigw_eval(d->c[v], d->now);
  }
  d->inputs++;
  if (st[0] != AIGW_OK || st[1] != AIGW_OK) {
    if (st[0] != AIGW_OK && st[1] != AIGW_OK) {
      fprintf(stderr, "aigwc diff: %s:%u: both versions refuse the input: %s\n", d->name, line, aigw_ctx_error(d->c[1]));
      d->skipped++;
    } else {
      Buf w = {0};
      buf_printf(&w, "%s version refuses it: %s", st[0] != AIGW_OK ? "the old" : "the new",
                 aigw_ctx_error(d->c[st[0] != AIGW_OK ? 0 : 1]));
      buf_putc(&w, 0);
      note(d, K_INPUT_REJECTED, line, w.p);
      d->changed++;
      buf_free(&w);
    }
    free(req);
    return EXIT_OK;
  }
  Flat o, n;
  flatten(d->c[0], &o);
  flatten(d->c[1], &n);
  compare(d, line, &o, &n);
  flat_free(&o); flat_free(&n);
  free(req);
  return EXIT_OK;
}

/* A .aigwb file is a bundle; anything else is compiled. */
static int open_version(const char *path, aigw_bundle **b) {
  size_t n = strlen(path);
  char *p = (char *)path;
  if (n > 6 && !strcmp(path + n - 6, ".aigwb")) return cli_open_bundle(path, 0, NULL, b);
  return cli_open_bundle(NULL, 1, &p, b);
}

static int add_fail_on(const char *list, int *fail) {
  char *copy = xstrndup(list, strlen(list)), *save = NULL;
  int rc = 0;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int hit = 0;
    for (int k = 0; k < K__COUNT; k++)
      if (!strcmp(t, "any") || !strcmp(t, kind_name[k]) ||
          (!strcmp(t, "decision") && (k == K_ALLOW_TO_DENY || k == K_DENY_TO_ALLOW))) fail[k] = hit = 1;
    if (!hit) { rc = cli_usage_error("diff", "unknown change kind '%s' for --fail-on", t); break; }
  }
  xfree(copy);
  return rc;
}

static void write_text(const Diff *d, const char *old, const char *new_) {
  printf("aigwc diff %s %s: %u input%s, %u decided differently", old, new_, d->inputs, d->inputs == 1 ? "" : "s", d->changed);
  if (d->skipped) printf(", %u refused by both", d->skipped);
  printf("\n");
  for (int k = 0; k < K__COUNT; k++) {
    const Kind *x = &d->k[k];
    if (!x->count) continue;
    printf("%-17s %u\n", kind_name[k], x->count);
    for (unsigned i = 0; i < x->nex; i++) printf("  line %u: %s\n", x->ex[i].line, x->ex[i].what);
    if (x->nex < x->count) printf("  … and %u more\n", x->count - x->nex);
  }
}

static void write_json(const Diff *d) {
  json_t *root = json_object(), *kinds = json_object();
  json_object_set_new(root, "inputs", json_integer(d->inputs));
  json_object_set_new(root, "changed", json_integer(d->changed));
  json_object_set_new(root, "refused_by_both", json_integer(d->skipped));
  for (int k = 0; k < K__COUNT; k++) {
    json_t *o = json_object(), *ex = json_array();
    json_object_set_new(o, "count", json_integer(d->k[k].count));
    for (unsigned i = 0; i < d->k[k].nex; i++) {
      json_t *e = json_object();
      json_object_set_new(e, "line", json_integer(d->k[k].ex[i].line));
      json_object_set_new(e, "change", json_string(d->k[k].ex[i].what));
      json_array_append_new(ex, e);
    }
    json_object_set_new(o, "examples", ex);
    json_object_set_new(kinds, kind_name[k], o);
  }
  json_object_set_new(root, "kinds", kinds);
  json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', stdout);
  json_decref(root);
}

int cmd_diff(int argc, char **argv) {
  const char *ver[2] = {NULL, NULL}, *inputs = NULL, *format = "text";
  int fail[K__COUNT] = {0}, nv = 0;
  Diff d;
  memset(&d, 0, sizeof d);
  d.now = (int64_t)time(NULL);
  d.examples = 5;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--inputs") && v) inputs = argv[++i];
    else if (!strcmp(a, "--now") && v) {
      if (cli_parse_now(v, &d.now) != 0) return cli_usage_error("diff", "bad --now '%s'\n  help: %s", v, cli_now_forms);
      i++;
    } else if (!strcmp(a, "--fail-on") && v) { if (add_fail_on(argv[++i], fail)) return EXIT_USAGE; }
    else if (!strcmp(a, "--examples") && v) {
      char *end;
      long n = strtol(v, &end, 10);
      if (*end || n < 0 || n > 1000000) return cli_usage_error("diff", "--examples takes a count, not '%s'", v);
      d.examples = (unsigned)n;
      i++;
    } else if (!strcmp(a, "--format") && v) {
      format = argv[++i];
      if (strcmp(format, "text") && strcmp(format, "json")) return cli_usage_error("diff", "--format is text or json");
    } else if (a[0] == '-' && a[1]) return cli_usage_error("diff", "unknown or incomplete option '%s'", a);
    else if (nv < 2) ver[nv++] = a;
    else return cli_usage_error("diff", "more than two versions: '%s'", a);
  }
  if (nv != 2) return cli_usage_error("diff", "give the OLD and the NEW version");
  if (!inputs) return cli_usage_error("diff", "give the recorded inputs: --inputs FILE.jsonl");
  aigw_bundle *b[2] = {NULL, NULL};
  int rc = open_version(ver[0], &b[0]);
  if (!rc) rc = open_version(ver[1], &b[1]);
  FILE *in = NULL;
  if (!rc && !(in = strcmp(inputs, "-") ? fopen(inputs, "rb") : stdin)) {
    fprintf(stderr, "aigwc diff: cannot read %s\n", inputs);
    rc = EXIT_USAGE;
  }
  if (!rc && (aigw_ctx_new(b[0], &d.c[0]) != AIGW_OK || aigw_ctx_new(b[1], &d.c[1]) != AIGW_OK)) {
    fputs("aigwc diff: out of memory\n", stderr);
    rc = EXIT_USAGE;
  }
  if (!rc) {
    d.name = strcmp(inputs, "-") ? inputs : "stdin";
    d.input_field = aigw_field(b[0], "input") >= 0 || aigw_field(b[1], "input") >= 0;
    rc = cli_each_input(in, d.name, record, &d);
    if (!rc) {
      if (!strcmp(format, "json")) write_json(&d); else write_text(&d, ver[0], ver[1]);
      for (int k = 0; k < K__COUNT; k++) if (fail[k] && d.k[k].count) rc = EXIT_FINDINGS;
    }
  }
  if (in && in != stdin) fclose(in);
  for (int k = 0; k < K__COUNT; k++) {
    for (unsigned i = 0; i < d.k[k].nex; i++) xfree(d.k[k].ex[i].what);
    xfree(d.k[k].ex);
  }
  aigw_ctx_free(d.c[0]); aigw_ctx_free(d.c[1]);
  aigw_bundle_close(b[0]); aigw_bundle_close(b[1]);
  return rc;
}
