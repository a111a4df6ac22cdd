/* The report every output format reads: rules, findings in a fixed order, the files
 * checked, counts. */
#include <stdlib.h>
#include <string.h>
#include "lint.h"

const char *const lint_level_name[3] = {"note", "warning", "error"};

static const char *const format_names[] = {
#define X(n) #n,
  LINT_FORMATS(X)
#undef X
};
const char lint_format_names[] =
#define X(n) "|" #n
  LINT_FORMATS(X)
#undef X
  ;

int lint_format_parse(const char *name) {
  for (int i = 0; i < LINT_FMT__COUNT; i++) if (!strcmp(name, format_names[i])) return i;
  return -1;
}

void lint_write(const LintReport *r, LintFormat f, FILE *out) {
  static void (*const writers[])(const LintReport *, FILE *) = {
#define X(n) lint_write_##n,
    LINT_FORMATS(X)
#undef X
  };
  writers[f](r, out);
}

static char *dup(const char *s) { return s ? xstrndup(s, strlen(s)) : NULL; }

void lint_report_init(LintReport *r, int64_t now) {
  memset(r, 0, sizeof *r);
  r->now = now;
  r->fail_on = LINT_ERROR;
}

void lint_report_free(LintReport *r) {
  for (uint32_t i = 0; i < r->nrules; i++) {
    LintRule *R = &r->rules[i];
    xfree(R->id); xfree(R->severity); xfree(R->summary); xfree(R->help); xfree(R->rationale); xfree(R->file);
  }
  for (uint32_t i = 0; i < r->n; i++) {
    LintFinding *f = &r->v[i];
    xfree(f->message); xfree(f->help); xfree(f->file); xfree(f->kind); xfree(f->id);
    xfree(f->supp); xfree(f->supp_owner); xfree(f->supp_expires); xfree(f->supp_reason);
  }
  for (uint32_t i = 0; i < r->nfiles; i++) xfree(r->files[i]);
  xfree(r->rules); xfree(r->v); xfree(r->files);
  memset(r, 0, sizeof *r);
}

uint32_t lint_rule(LintReport *r, const char *id, LintLevel lv, const char *summary, const char *help) {
  for (uint32_t i = 0; i < r->nrules; i++) if (!strcmp(r->rules[i].id, id)) return i;
  if (r->nrules == r->rcap) { r->rcap = r->rcap ? r->rcap * 2 : 32; r->rules = xrealloc(r->rules, sizeof *r->rules * r->rcap); }
  LintRule *R = &r->rules[r->nrules];
  memset(R, 0, sizeof *R);
  R->id = dup(id); R->level = lv; R->summary = dup(summary); R->help = dup(help);
  return r->nrules++;
}

LintFinding *lint_add(LintReport *r, uint32_t rule, LintLevel lv, const char *msg, const char *help) {
  if (r->n == r->cap) { r->cap = r->cap ? r->cap * 2 : 64; r->v = xrealloc(r->v, sizeof *r->v * r->cap); }
  LintFinding *f = &r->v[r->n++];
  memset(f, 0, sizeof *f);
  f->rule = rule; f->level = lv;
  f->message = dup(msg); f->help = dup(help);
  f->len = 1;
  f->supp_days_left = INT64_MAX;
  return f;
}

void lint_add_file(LintReport *r, const char *name) {
  for (uint32_t i = r->nfiles; i-- > 0;) if (!strcmp(r->files[i], name)) return;
  if (r->nfiles == r->fcap) { r->fcap = r->fcap ? r->fcap * 2 : 16; r->files = xrealloc(r->files, sizeof *r->files * r->fcap); }
  r->files[r->nfiles++] = dup(name);
}

void lint_add_diags(LintReport *r, DiagSink *d) {
  for (int i = 0; i < d->nfiles; i++) lint_add_file(r, d->files[i]->name);
  for (int i = 0; i < d->n; i++) {
    const Diag *g = &d->items[i];
    if (g->level == DIAG_NOTE) continue;
    int err = g->level == DIAG_ERR;
    uint32_t rule = err ? lint_rule(r, LINT_RULE_COMPILE_ERROR, LINT_ERROR, "the policy does not compile", "fix the error; the bundle is not built until every error is fixed")
                        : lint_rule(r, LINT_RULE_COMPILE_WARNING, LINT_WARNING, "the compiler warns about the policy", NULL);
    LintFinding *f = lint_add(r, rule, err ? LINT_ERROR : LINT_WARNING, g->msg, g->help);
    if (g->file >= 0) {
      f->file = dup(d->files[g->file]->name);
      diag_linecol(d, g->file, g->off, &f->line, &f->col);
      uint32_t el, ec;
      diag_linecol(d, g->file, g->off + g->len, &el, &ec);
      f->len = el == f->line && ec > f->col ? ec - f->col : 1;
      f->kind = dup("source");
      char at[32];
      snprintf(at, sizeof at, "%u:%u", f->line, f->col);
      f->id = dup(at);     /* a compile error has no declaration to name; its place must do */
    }
  }
}

static int cmp_str(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

static int by_place(const void *x, const void *y) {
  const LintFinding *a = x, *b = y;
  int c = (a->file == NULL) - (b->file == NULL);
  if (c) return c;
  if ((c = cmp_str(a->file, b->file))) return c;
  if (a->line != b->line) return a->line < b->line ? -1 : 1;
  if (a->col != b->col) return a->col < b->col ? -1 : 1;
  if (a->rule != b->rule) return a->rule < b->rule ? -1 : 1;
  return cmp_str(a->message, b->message);
}

/* FNV-1a 64 of rule, kind and id: the same finding on the same declaration keeps its
 * fingerprint when lines move around it. Guardrail and exemption ids are unique across
 * a bundle; route and budget names only within a package, so their file counts too. */
static void fingerprint(const LintReport *r, LintFinding *f) {
  uint64_t h = 0xcbf29ce484222325ull;
  int global = f->kind && (!strcmp(f->kind, "exemption") || !strcmp(f->kind, "guardrail"));
  const char *parts[4] = {r->rules[f->rule].id, f->kind ? f->kind : "", f->id ? f->id : f->message,
                          global || !f->file ? "" : f->file};
  for (int p = 0; p < 4; p++) {
    for (const char *s = parts[p]; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    h = (h ^ 0xff) * 0x100000001b3ull;
  }
  snprintf(f->fingerprint, sizeof f->fingerprint, "%016llx:1", (unsigned long long)h);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void lint_finish(LintReport *r) {
  if (r->nfiles) qsort(r->files, r->nfiles, sizeof *r->files, by_name);
  if (r->n) qsort(r->v, r->n, sizeof *r->v, by_place);
  /* a compiler warning where a lint rule reports (an unreachable route rule) is the same
   * fact twice: keep the lint finding, which has an id to suppress */
  uint32_t w = 0;
  for (uint32_t i = 0; i < r->n; i++) {
    LintFinding *f = &r->v[i];
    int dup_of_lint = 0;
    if (!strcmp(r->rules[f->rule].id, LINT_RULE_COMPILE_WARNING) && f->file)
      for (uint32_t j = 0; j < r->n && !dup_of_lint; j++) {
        const LintFinding *g = &r->v[j];
        dup_of_lint = j != i && g->file && g->line == f->line && g->col == f->col && !strcmp(g->file, f->file) &&
                      strncmp(r->rules[g->rule].id, "compile-", 8);
      }
    if (dup_of_lint) {
      xfree(f->message); xfree(f->help); xfree(f->file); xfree(f->kind); xfree(f->id);
      continue;
    }
    r->v[w++] = *f;
  }
  r->n = w;
  memset(r->count, 0, sizeof r->count);
  r->suppressed = 0;
  for (uint32_t i = 0; i < r->n; i++) {
    LintFinding *f = &r->v[i];
    fingerprint(r, f);
    if (f->supp && !f->supp_expired) r->suppressed++;
    else r->count[f->level]++;
  }
}
