/* Test declarations. Checked here, so that a test which cannot mean what it says (no
 * `now`, an `expect` naming a guardrail that does not exist) is a compile error with a
 * location rather than a test that fails, or passes, for the wrong reason; then copied
 * out as a TestList (compile.h), so `aigwc test` runs what the compiler checked and
 * needs no parser of its own. */
#include <string.h>
#include "comp.h"
#include "lex.h"

#define TEXT(n) (c->d->files[(n)->file]->text + (n)->name_off)

static const struct { const char *word; ExpectKind kind; } expect_words[] = {
  {"allow", EXPECT_ALLOW}, {"deny", EXPECT_DENY}, {"violation", EXPECT_VIOLATION},
  {"warning", EXPECT_WARNING}, {"error", EXPECT_ERROR}, {"waived", EXPECT_WAIVED},
  {"route", EXPECT_ROUTE}, {"budget", EXPECT_BUDGET},
};
enum { N_EXPECT_WORDS = sizeof expect_words / sizeof expect_words[0] };

static int expect_kind(Comp *c, const Node *what) {
  for (int i = 0; i < N_EXPECT_WORDS; i++)
    if (strlen(expect_words[i].word) == what->name_len && !memcmp(expect_words[i].word, TEXT(what), what->name_len))
      return (int)expect_words[i].kind;
  return -1;
}

static int text_is(const char *s, uint32_t n, const char *w) { return n == strlen(w) && !memcmp(s, w, n); }

/* Routes and budgets belong to packages, but a decision names them bare, and so does a
 * test: declared in any package of the bundle counts. */
static int declared(Comp *c, SymKind k, const char *s, uint32_t n) {
  for (uint32_t i = 0; i < c->symcap; i++)
    for (Sym *y = c->symtab[i]; y; y = y->next)
      if (y->kind == k && y->len == n && !memcmp(y->name, s, n)) return 1;
  return 0;
}

/* `expect waived g by EX` and `expect waived g, h` both give two names; only the source
 * between them tells which was written: a comma, or `by`. Comments are skipped. */
static int written_by(Comp *c, const Node *g) {
  const char *t = c->d->files[g->file]->text;
  uint32_t i = g->off + g->len, end = g->next->off;
  while (i < end) {
    if (t[i] == '#') { while (i < end && t[i] != '\n') i++; continue; }
    if (t[i] == '/' && t[i + 1] == '*') {
      i += 2;
      while (i < end && !(t[i] == '*' && t[i + 1] == '/')) i++;
      i += 2;
      continue;
    }
    if (t[i] == ',') return 0;
    i++;
  }
  return 1;
}

static void unknown(Comp *c, const Node *at, const char *what, const char *s, uint32_t n, SymKind k) {
  comp_error(c, at, "test expects unknown %s '%.*s'", what, (int)n, s);
  sema_suggest(c, s, n, 1 << k);
}

/* A finding's name: a guardrail, or one of the names the runtime gives findings that
 * are not guardrails: budget:NAME, route:NAME and no-permitted-route. */
static void check_finding(Comp *c, const Node *g) {
  const char *s = TEXT(g);
  uint32_t n = g->name_len;
  if (text_is(s, n, "no-permitted-route")) return;
  if (n > 7 && !memcmp(s, "budget:", 7)) {
    if (!declared(c, SYM_BUDGET, s + 7, n - 7)) unknown(c, g, "budget", s + 7, n - 7, SYM_BUDGET);
    return;
  }
  if (n > 6 && !memcmp(s, "route:", 6)) {
    if (!declared(c, SYM_ROUTE, s + 6, n - 6)) unknown(c, g, "route", s + 6, n - 6, SYM_ROUTE);
    return;
  }
  if (!sema_lookup_global(c, SYM_GUARDRAIL, s, n)) unknown(c, g, "guardrail", s, n, SYM_GUARDRAIL);
}

static void check_expect(Comp *c, const Node *p) {
  const Node *what = p->a, *b = p->b;
  int k = expect_kind(c, what);
  if (k < 0) {
    comp_error(c, what, "unknown expectation '%.*s'", (int)what->name_len, TEXT(what));
    const char *best = NULL;
    for (int i = 0; i < N_EXPECT_WORDS; i++)
      if (edit_distance(TEXT(what), what->name_len, expect_words[i].word, strlen(expect_words[i].word), 2) <= 2)
        best = expect_words[i].word;
    if (best) diag_help(c->d, "did you mean '%s'?", best);
    else diag_help(c->d, "expect takes allow, deny, violation, warning, error, waived, route or budget");
    return;
  }
  switch ((ExpectKind)k) {
  case EXPECT_ALLOW: case EXPECT_DENY:
    return;
  case EXPECT_VIOLATION: case EXPECT_WARNING: case EXPECT_ERROR: case EXPECT_WAIVED:
    if (b && b->next && !b->next->next && written_by(c, b)) {
      check_finding(c, b);
      if (k != EXPECT_WAIVED) {
        comp_error(c, b->next, "only 'expect waived' names an exemption with 'by'");
        return;
      }
      if (!sema_lookup_global(c, SYM_EXEMPTION, TEXT(b->next), b->next->name_len))
        unknown(c, b->next, "exemption", TEXT(b->next), b->next->name_len, SYM_EXEMPTION);
      return;
    }
    for (const Node *g = b; g; g = g->next) check_finding(c, g);
    return;
  case EXPECT_ROUTE:
    if (!text_is(TEXT(b), b->name_len, "none") && !declared(c, SYM_ROUTE, TEXT(b), b->name_len))
      unknown(c, b, "route", TEXT(b), b->name_len, SYM_ROUTE);
    else if (text_is(TEXT(b), b->name_len, "none") && b->next)
      comp_error(c, b->next, "'expect route none' takes no targets");
    return;
  case EXPECT_BUDGET:
    if (!declared(c, SYM_BUDGET, TEXT(b), b->name_len)) unknown(c, b, "budget", TEXT(b), b->name_len, SYM_BUDGET);
    return;
  }
}

void tests_check(Comp *c) {
  for (uint32_t i = 0; i < c->tests.n; i++) {
    Node *t = c->tests.v[i];
    const Node *now = NULL, *input = NULL;
    for (Node *p = t->a; p; p = p->next) {
      if (p->op == TK_NOW || p->op == TK_INPUT) {
        const Node **seen = p->op == TK_NOW ? &now : &input;
        if (*seen) comp_error(c, p, "'%s' is given twice", lex_token_name(p->op));
        else *seen = p;
      } else if (p->op == TK_EXPECT) check_expect(c, p);
      else {
        comp_error(c, p, "'%s' is not allowed in test", lex_token_name(p->op));
        diag_help(c->d, "test takes: now, input, expect");
      }
    }
    /* there is no default time: a test that ran at the wall clock would pass today and
     * fail the day an exemption expires */
    if (!now) {
      comp_error(c, t, "test has no 'now'; tests must be reproducible");
      diag_help(c->d, "give the time it runs at, like 'now 2026-01-01' or 'now 2026-01-01T09:30:00Z'");
    }
  }
}

/* A test input's keys are the schema's fields: a misspelled key would silently leave the
 * field unset (the runtime ignores keys it does not know), and the test would check
 * something other than what it says. Called once the schema is known. */
/* "$budgets": {NAME: used, …}: the usage a test supplies for `budget(NAME).used`, as
 * aigw_input_json takes it; every NAME a declared budget, every usage an int. */
static void check_usage(Comp *c, const Node *k) {
  if (!k->a || k->a->kind != N_RECORD) {
    diag_report(c->d, DIAG_ERR, k->file, k->name_off, k->name_len, "$budgets is a record of budgets' usage: {team-tokens: 1_700_000}");
    return;
  }
  for (const Node *u = k->a->a; u; u = u->next) {
    uint32_t n;
    const char *s = u->flags ? comp_strlit(c, u, &n) : TEXT(u);
    if (!u->flags) n = u->name_len;
    int found = 0;
    for (uint32_t b = 0; b < c->budgets.n && !found; b++)
      found = c->strl.v[c->budgets.v[b].name] == n && !memcmp(c->strp.v[c->budgets.v[b].name], s, n);
    if (!found) diag_report(c->d, DIAG_ERR, u->file, u->name_off, u->name_len, "no budget '%.*s'", (int)n, s);
    else if (!u->a || u->a->kind != N_INT) diag_report(c->d, DIAG_ERR, u->file, u->off, u->len, "a budget's usage is an int");
  }
}

void tests_check_inputs(Comp *c) {
  if (!c->input) return;
  for (uint32_t i = 0; i < c->tests.n; i++)
    for (Node *p = c->tests.v[i]->a; p; p = p->next) {
      if (p->op != TK_INPUT || !p->a || p->a->kind != N_RECORD) continue;
      for (Node *k = p->a->a; k; k = k->next) {
        uint32_t n;
        const char *s = k->flags ? comp_strlit(c, k, &n) : TEXT(k);
        if (!k->flags) n = k->name_len;
        int found = 0;
        for (uint32_t f = 0; f < c->fields.n && !found; f++)
          found = c->strl.v[c->fields.v[f].name] == n && !memcmp(c->strp.v[c->fields.v[f].name], s, n);
        if (found) continue;
        if (n == 8 && !memcmp(s, "$budgets", 8)) { check_usage(c, k); continue; }
        diag_report(c->d, DIAG_ERR, k->file, k->name_off, k->name_len, "input '%.*s' has no field '%.*s'",
                    (int)c->input->len, c->input->name, (int)n, s);
        const char *best = NULL;
        int bd = 3;
        for (uint32_t f = 0; f < c->fields.n; f++) {
          const char *fn = c->strp.v[c->fields.v[f].name];
          int d = edit_distance(s, n, fn, strlen(fn), 2);
          if (d < bd) { bd = d; best = fn; }
        }
        if (best) diag_help(c->d, "did you mean '%s'?", best);
      }
    }
}

/* ---- export ---- */

static char *unquote(Arena *a, const char *s, uint32_t n) {
  char *out = arena_alloc(a, n + 1);
  size_t k = lex_unescape(s + 1, n - 2, out);
  out[k] = 0;
  return out;
}

/* A test input record as JSON, the form aigw_input_json takes. */
static void to_json(Comp *c, Buf *j, const Node *v) {
  switch (v->kind) {
  case N_STR: {
    uint32_t n;
    const char *s = comp_strlit(c, v, &n);
    buf_json_str(j, s, n);
    break;
  }
  case N_INT: case N_DATE: case N_TIME: case N_DUR: buf_printf(j, "%lld", (long long)v->ival); break;
  case N_BOOL: buf_puts(j, v->ival ? "true" : "false"); break;
  case N_NAME: buf_json_str(j, TEXT(v), v->name_len); break;
  case N_LIST:
    buf_putc(j, '[');
    for (const Node *x = v->a; x; x = x->next) { to_json(c, j, x); if (x->next) buf_putc(j, ','); }
    buf_putc(j, ']');
    break;
  case N_RECORD:
    buf_putc(j, '{');
    for (const Node *p = v->a; p; p = p->next) {
      if (p->flags) {   /* "quoted": key */
        uint32_t n;
        const char *s = comp_strlit(c, p, &n);
        buf_json_str(j, s, n);
      } else buf_json_str(j, TEXT(p), p->name_len);
      buf_putc(j, ':');
      to_json(c, j, p->a);
      if (p->next) buf_putc(j, ',');
    }
    buf_putc(j, '}');
    break;
  default: buf_puts(j, "null");
  }
}

static const char *name_of(Comp *c, Arena *a, const Node *n) {
  if (n->kind == N_STR || (n->kind == N_TARGET && n->flags)) return unquote(a, TEXT(n), n->name_len);
  return arena_strndup(a, TEXT(n), n->name_len);
}

static void export_expect(Comp *c, Arena *a, const Node *p, TestExpect *e) {
  uint32_t col;
  diag_linecol(c->d, p->file, p->off, &e->line, &col);
  e->kind = (ExpectKind)expect_kind(c, p->a);
  const Node *first = p->b;
  if (e->kind == EXPECT_ROUTE) {
    if (!text_is(TEXT(first), first->name_len, "none")) e->route = name_of(c, a, first);
    first = first->next;
  } else if (e->kind == EXPECT_WAIVED && first && first->next && !first->next->next && written_by(c, first)) {
    e->by = name_of(c, a, first->next);
    e->nnames = 1;
    e->names = arena_alloc(a, sizeof *e->names);
    e->names[0] = name_of(c, a, first);
    return;
  }
  for (const Node *n = first; n; n = n->next) e->nnames++;
  e->names = arena_alloc(a, sizeof *e->names * (e->nnames ? e->nnames : 1));
  uint32_t i = 0;
  for (const Node *n = first; n; n = n->next) e->names[i++] = name_of(c, a, n);
}

void tests_export(Comp *c, TestList *out) {
  Arena *a = &out->arena;
  out->v = arena_zalloc(a, sizeof *out->v * (c->tests.n ? c->tests.n : 1));
  for (uint32_t i = 0; i < c->tests.n; i++) {
    const Node *t = c->tests.v[i];
    TestCase *tc = &out->v[out->n++];
    uint32_t col;
    tc->name = unquote(a, TEXT(t), t->name_len);
    tc->file = arena_strndup(a, c->d->files[t->file]->name, strlen(c->d->files[t->file]->name));
    diag_linecol(c->d, t->file, t->off, &tc->line, &col);
    Buf in = {0};
    for (const Node *p = t->a; p; p = p->next) {
      if (p->op == TK_NOW) tc->now = p->a->ival;
      if (p->op == TK_INPUT) to_json(c, &in, p->a);
      if (p->op == TK_EXPECT) tc->nexpects++;
    }
    if (!in.n) buf_puts(&in, "{}");
    tc->input = arena_strndup(a, in.p, in.n);
    tc->input_len = in.n;
    buf_free(&in);
    tc->expects = arena_zalloc(a, sizeof *tc->expects * (tc->nexpects ? tc->nexpects : 1));
    uint32_t k = 0;
    for (const Node *p = t->a; p; p = p->next)
      if (p->op == TK_EXPECT) export_expect(c, a, p, &tc->expects[k++]);
  }
}

void compile_tests_free(TestList *tests) {
  arena_free(&tests->arena);
  memset(tests, 0, sizeof *tests);
}
