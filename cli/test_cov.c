/* Test coverage: a test exercises a guardrail when it fired, was waived or could not be
 * evaluated in that test's decision; an exemption when it waived; a route rule when it
 * gave the route; a budget when it was charged. Declarations come from the bundle's
 * metadata view, so the report names each where it is written. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "test_cov.h"
#include "util.h"

enum { K_GUARDRAIL, K_EXEMPTION, K_RULE, K_BUDGET, K__COUNT };
static const char *const kind_name[] = {"guardrail", "exemption", "route rule", "budget"};
static const char *const kind_key[] = {"guardrails", "exemptions", "route_rules", "budgets"};

typedef struct Decl { int kind; char *name, *file; uint32_t line; int hit; } Decl;
typedef struct Test { char *name, *file, *why; uint32_t line; int passed; } Test;
typedef struct Set {
  char *label;
  int compiled;
  Decl *d; size_t nd;
  Test *t; size_t nt;
} Set;

struct Tcov {
  TcovFormat fmt;
  int coverage;
  Set *s; size_t ns;
};

static char *dup(const char *s) { return xstrndup(s ? s : "", s ? strlen(s) : 0); }

Tcov *tcov_new(TcovFormat f, int coverage) {
  Tcov *t = xcalloc(1, sizeof *t);
  t->fmt = f; t->coverage = coverage;
  return t;
}

void tcov_free(Tcov *t) {
  if (!t) return;
  for (size_t i = 0; i < t->ns; i++) {
    Set *s = &t->s[i];
    for (size_t k = 0; k < s->nd; k++) { xfree(s->d[k].name); xfree(s->d[k].file); }
    for (size_t k = 0; k < s->nt; k++) { xfree(s->t[k].name); xfree(s->t[k].file); xfree(s->t[k].why); }
    xfree(s->label); xfree(s->d); xfree(s->t);
  }
  xfree(t->s);
  xfree(t);
}

static void add(Set *s, int kind, const char *name, const aigw_loc *loc) {
  s->d = xrealloc(s->d, sizeof *s->d * (s->nd + 1));
  s->d[s->nd++] = (Decl){kind, dup(name), dup(loc->file), loc->line, 0};
}

void tcov_set(Tcov *t, const char *label, const aigw_bundle *b) {
  t->s = xrealloc(t->s, sizeof *t->s * (t->ns + 1));
  Set *s = &t->s[t->ns++];
  memset(s, 0, sizeof *s);
  s->label = dup(label);
  s->compiled = b != NULL;
  if (!b) return;
  for (size_t i = 0; i < aigw_meta_count(b, AIGW_META_GUARDRAILS); i++) {
    aigw_guardrail_info g;
    if (aigw_meta_guardrail(b, i, &g) == AIGW_OK) add(s, K_GUARDRAIL, g.name, &g.loc);
  }
  for (size_t i = 0; i < aigw_meta_count(b, AIGW_META_EXEMPTIONS); i++) {
    aigw_exemption_info x;
    if (aigw_meta_exemption(b, i, &x) == AIGW_OK) add(s, K_EXEMPTION, x.id, &x.loc);
  }
  for (size_t r = 0; r < aigw_meta_count(b, AIGW_META_ROUTES); r++) {
    aigw_route_info ri;
    if (aigw_meta_route(b, r, &ri) != AIGW_OK) continue;
    for (size_t k = 0; k < ri.nrules; k++) {
      aigw_rule_meta rm;
      char name[300];
      snprintf(name, sizeof name, "%s/%zu", ri.name, k + 1);
      if (aigw_meta_rule(b, r, k, &rm) == AIGW_OK) add(s, K_RULE, name, &rm.loc);
    }
  }
  for (size_t i = 0; i < aigw_meta_count(b, AIGW_META_BUDGETS); i++) {
    aigw_budget_info bi;
    if (aigw_meta_budget(b, i, &bi) == AIGW_OK) add(s, K_BUDGET, bi.name, &bi.loc);
  }
}

static void hit(Set *s, int kind, const char *name) {
  for (size_t k = 0; name && k < s->nd; k++)
    if (s->d[k].kind == kind && !strcmp(s->d[k].name, name)) { s->d[k].hit = 1; return; }
}

void tcov_test(Tcov *t, const char *name, const char *file, uint32_t line, int passed, const char *why, aigw_ctx *c) {
  if (!t->ns) return;
  Set *s = &t->s[t->ns - 1];
  s->t = xrealloc(s->t, sizeof *s->t * (s->nt + 1));
  s->t[s->nt++] = (Test){dup(name), dup(file), why ? dup(why) : NULL, line, passed};
  if (!c) return;
  for (int l = 0; l < 4; l++)
    for (size_t i = 0; i < aigw_count(c, (aigw_list)l); i++) {
      aigw_finding f;
      if (aigw_get(c, (aigw_list)l, i, &f) != AIGW_OK) continue;
      hit(s, K_GUARDRAIL, f.guardrail);
      if (l == AIGW_WAIVED) hit(s, K_EXEMPTION, f.exemption);
    }
  aigw_rule_info ri;
  if (aigw_route(c) && aigw_route_rule(c, &ri) == AIGW_OK) {
    char rn[300];
    snprintf(rn, sizeof rn, "%s/%zu", ri.route, ri.index + 1);
    hit(s, K_RULE, rn);
  }
  for (size_t i = 0; i < aigw_budget_count(c); i++) {
    aigw_budget b;
    if (aigw_budget_get(c, i, &b) == AIGW_OK) hit(s, K_BUDGET, b.budget);
  }
}

static void counts(const Set *s, size_t total[K__COUNT], size_t hits[K__COUNT]) {
  for (int k = 0; k < K__COUNT; k++) total[k] = hits[k] = 0;
  for (size_t i = 0; i < s->nd; i++) { total[s->d[i].kind]++; hits[s->d[i].kind] += s->d[i].hit; }
}

static int percent_bp(size_t hit_n, size_t all) { return all ? (int)(hit_n * 10000 / all) : 10000; }

void tcov_set_done(Tcov *t, FILE *out) {
  if (t->fmt != TCOV_TEXT || !t->coverage || !t->ns || !t->s[t->ns - 1].compiled) return;
  const Set *s = &t->s[t->ns - 1];
  size_t total[K__COUNT], hits[K__COUNT], a = 0, h = 0;
  counts(s, total, hits);
  fprintf(out, "coverage:");
  for (int k = 0; k < K__COUNT; k++) {
    fprintf(out, "%s %zu of %zu %s%s", k ? "," : "", hits[k], total[k], kind_name[k], total[k] == 1 ? "" : "s");
    a += total[k]; h += hits[k];
  }
  int tenths = (percent_bp(h, a) + 5) / 10;
  fprintf(out, " (%d.%d%%)\n", tenths / 10, tenths % 10);
  for (size_t i = 0; i < s->nd; i++)
    if (!s->d[i].hit) fprintf(out, "  not exercised: %s %s (%s:%u)\n", kind_name[s->d[i].kind], s->d[i].name, s->d[i].file, s->d[i].line);
}

static void xml(Buf *o, const char *s) {
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '&') buf_puts(o, "&amp;");
    else if (c == '<') buf_puts(o, "&lt;");
    else if (c == '>') buf_puts(o, "&gt;");
    else if (c == '"') buf_puts(o, "&quot;");
    else buf_putc(o, c < 0x20 && c != '\n' && c != '\t' ? '?' : (char)c);
  }
}

static void write_junit(const Tcov *t, FILE *out) {
  Buf o = {0};
  buf_puts(&o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"aigwc test\">\n");
  for (size_t i = 0; i < t->ns; i++) {
    const Set *s = &t->s[i];
    size_t fail = 0;
    for (size_t k = 0; k < s->nt; k++) fail += !s->t[k].passed;
    buf_puts(&o, "  <testsuite name=\"");
    xml(&o, s->label);
    buf_printf(&o, "\" tests=\"%zu\" failures=\"%zu\">\n", s->nt + !s->compiled, fail + !s->compiled);
    if (!s->compiled) buf_puts(&o, "    <testcase name=\"compile\"><failure message=\"does not compile\"/></testcase>\n");
    for (size_t k = 0; k < s->nt; k++) {
      buf_puts(&o, "    <testcase name=\"");
      xml(&o, s->t[k].name);
      buf_puts(&o, "\" classname=\"");
      xml(&o, s->t[k].file);
      buf_printf(&o, ":%u\"", s->t[k].line);
      if (s->t[k].passed) { buf_puts(&o, "/>\n"); continue; }
      buf_puts(&o, "><failure message=\"");
      xml(&o, s->t[k].why);
      buf_puts(&o, "\"/></testcase>\n");
    }
    buf_puts(&o, "  </testsuite>\n");
    if (!t->coverage || !s->compiled) continue;
    size_t missed = 0;
    for (size_t k = 0; k < s->nd; k++) missed += !s->d[k].hit;
    buf_puts(&o, "  <testsuite name=\"");
    xml(&o, s->label);
    buf_printf(&o, " coverage\" tests=\"%zu\" failures=\"0\" skipped=\"%zu\">\n", s->nd, missed);
    for (size_t k = 0; k < s->nd; k++) {
      buf_printf(&o, "    <testcase name=\"%s ", kind_name[s->d[k].kind]);
      xml(&o, s->d[k].name);
      buf_puts(&o, "\" classname=\"");
      xml(&o, s->d[k].file);
      buf_printf(&o, ":%u\"%s\n", s->d[k].line, s->d[k].hit ? "/>" : "><skipped message=\"not exercised by any test\"/></testcase>");
    }
    buf_puts(&o, "  </testsuite>\n");
  }
  buf_puts(&o, "</testsuites>\n");
  fwrite(o.p, 1, o.n, out);
  buf_free(&o);
}

static void write_json(const Tcov *t, int pass, int fail, int bp, size_t h, size_t a, FILE *out) {
  json_t *root = json_object(), *sets = json_array();
  for (size_t i = 0; i < t->ns; i++) {
    const Set *s = &t->s[i];
    json_t *o = json_object(), *tests = json_array();
    json_object_set_new(o, "set", json_string(s->label));
    json_object_set_new(o, "compiled", json_boolean(s->compiled));
    for (size_t k = 0; k < s->nt; k++) {
      json_t *x = json_object();
      json_object_set_new(x, "name", json_string(s->t[k].name));
      json_object_set_new(x, "file", json_string(s->t[k].file));
      json_object_set_new(x, "line", json_integer(s->t[k].line));
      json_object_set_new(x, "passed", json_boolean(s->t[k].passed));
      json_object_set_new(x, "why", s->t[k].why ? json_string(s->t[k].why) : json_null());
      json_array_append_new(tests, x);
    }
    json_object_set_new(o, "tests", tests);
    if (t->coverage && s->compiled) {
      json_t *cov = json_object();
      for (int kd = 0; kd < K__COUNT; kd++) {
        json_t *c = json_object(), *missed = json_array();
        size_t n = 0, hn = 0;
        for (size_t k = 0; k < s->nd; k++) {
          if (s->d[k].kind != kd) continue;
          n++; hn += s->d[k].hit;
          if (s->d[k].hit) continue;
          json_t *m = json_object();
          json_object_set_new(m, "name", json_string(s->d[k].name));
          json_object_set_new(m, "file", json_string(s->d[k].file));
          json_object_set_new(m, "line", json_integer(s->d[k].line));
          json_array_append_new(missed, m);
        }
        json_object_set_new(c, "total", json_integer((json_int_t)n));
        json_object_set_new(c, "exercised", json_integer((json_int_t)hn));
        json_object_set_new(c, "missed", missed);
        json_object_set_new(cov, kind_key[kd], c);
      }
      json_object_set_new(o, "coverage", cov);
    }
    json_array_append_new(sets, o);
  }
  json_object_set_new(root, "sets", sets);
  json_object_set_new(root, "passed", json_integer(pass));
  json_object_set_new(root, "failed", json_integer(fail));
  if (t->coverage) {
    json_t *c = json_object();
    json_object_set_new(c, "exercised", json_integer((json_int_t)h));
    json_object_set_new(c, "total", json_integer((json_int_t)a));
    json_object_set_new(c, "percent", json_real(bp / 100.0));
    json_object_set_new(root, "coverage", c);
  }
  json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', out);
  json_decref(root);
}

int tcov_finish(Tcov *t, int pass, int fail, FILE *out) {
  size_t a = 0, h = 0;
  for (size_t i = 0; i < t->ns; i++)
    for (size_t k = 0; k < t->s[i].nd; k++) { a++; h += t->s[i].d[k].hit; }
  int bp = percent_bp(h, a);
  if (t->fmt == TCOV_JSON) write_json(t, pass, fail, bp, h, a, out);
  else if (t->fmt == TCOV_JUNIT) write_junit(t, out);
  else if (t->coverage) fprintf(out, "coverage: %zu of %zu declarations exercised (%d.%d%%)\n", h, a, (bp + 5) / 100, (bp + 5) / 10 % 10);
  return bp;
}
