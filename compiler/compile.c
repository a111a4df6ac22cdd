#include <stdarg.h>
#include <string.h>
#include "comp.h"
#include "hash.h"
#include "lex.h"
#include "parse.h"

void comp_init(Comp *c, DiagSink *d, const CompileOpts *o) {
  memset(c, 0, sizeof *c);
  c->d = d; c->opts = o;
  arena_init(&c->arena);
}

void comp_free(Comp *c) {
  for (uint32_t i = 0; i < c->node_cap; i++) {
    VEC_FREE(c->node_gr[i]); VEC_FREE(c->node_anc[i]); VEC_FREE(c->node_wild[i]);
  }
  xfree(c->node_gr); xfree(c->node_anc); xfree(c->node_wild);
  xfree(c->trie.k); xfree(c->trie.v);
  xfree(c->symtab); xfree(c->strmap.slots);
  VEC_FREE(c->strp); VEC_FREE(c->strl); VEC_FREE(c->ints); VEC_FREE(c->sets); VEC_FREE(c->set_elem);
  VEC_FREE(c->members); VEC_FREE(c->fields); VEC_FREE(c->field_decl); VEC_FREE(c->levels);
  VEC_FREE(c->u32s); VEC_FREE(c->nodes); VEC_FREE(c->edges); VEC_FREE(c->code); VEC_FREE(c->programs);
  VEC_FREE(c->guardrails); VEC_FREE(c->exemptions); VEC_FREE(c->exindex);
  VEC_FREE(c->routes); VEC_FREE(c->rules); VEC_FREE(c->targets); VEC_FREE(c->budgets);
  VEC_FREE(c->srcmap); VEC_FREE(c->tests); VEC_FREE(c->guards);
  VEC_FREE(c->tables); VEC_FREE(c->table_ty); VEC_FREE(c->prog_cost); VEC_FREE(c->code_x);
  xfree(c->files);
  arena_free(&c->arena);
}

static void report(Comp *c, DiagLevel lv, const Node *n, const char *fmt, va_list ap) {
  Buf b = {0};
  buf_vprintf(&b, fmt, ap);
  if (n) diag_report(c->d, lv, n->file, n->off, n->len ? n->len : 1, "%s", b.p);
  else diag_report(c->d, lv, -1, 0, 0, "%s", b.p);
  buf_free(&b);
}
void comp_error(Comp *c, const Node *n, const char *fmt, ...) {
  va_list ap; va_start(ap, fmt); report(c, DIAG_ERR, n, fmt, ap); va_end(ap);
}
void comp_warn(Comp *c, const Node *n, const char *fmt, ...) {
  va_list ap; va_start(ap, fmt);
  report(c, c->opts && c->opts->warn_as_error ? DIAG_ERR : DIAG_WARN, n, fmt, ap);
  va_end(ap);
}

/* Interning: open addressing over ids + 1, keyed by the bundle's own string hash so the
 * table the compiler builds and the one the runtime probes agree by construction. */
uint32_t comp_str(Comp *c, const char *s, size_t n) {
  StrMap *m = &c->strmap;
  if (m->n * 2 >= m->cap) {
    uint32_t cap = m->cap ? m->cap * 2 : 1024;
    uint32_t *slots = xcalloc(cap, sizeof *slots);
    for (uint32_t i = 0; i < m->cap; i++) {
      uint32_t id = m->slots[i];
      if (!id) continue;
      uint32_t h = aigw_hash_str(c->strp.v[id - 1], c->strl.v[id - 1]) & (cap - 1);
      while (slots[h]) h = (h + 1) & (cap - 1);
      slots[h] = id;
    }
    xfree(m->slots);
    m->slots = slots; m->cap = cap;
  }
  uint32_t h = aigw_hash_str(s, n) & (m->cap - 1);
  for (;;) {
    uint32_t id = m->slots[h];
    if (!id) break;
    if (c->strl.v[id - 1] == n && !memcmp(c->strp.v[id - 1], s, n)) return id - 1;
    h = (h + 1) & (m->cap - 1);
  }
  char *copy = arena_strndup(&c->arena, s, n);
  VEC_PUSH(c->strp, copy);
  VEC_PUSH(c->strl, (uint32_t)n);
  m->slots[h] = c->strp.n;
  m->n++;
  return c->strp.n - 1;
}
uint32_t comp_strz(Comp *c, const char *s) { return comp_str(c, s, strlen(s)); }

const char *comp_strlit(Comp *c, const Node *n, uint32_t *len) {
  const char *text = c->d->files[n->file]->text + n->name_off;
  uint32_t tl = n->name_len;
  if (tl >= 2 && text[0] == '"') { text++; tl -= 2; }
  char *out = arena_alloc(&c->arena, tl + 1);
  size_t ol = lex_unescape(text, tl, out);
  out[ol] = 0;
  *len = (uint32_t)ol;
  return out;
}

uint32_t comp_u32s(Comp *c, const uint32_t *v, uint32_t n) {
  uint32_t first = c->u32s.n;
  for (uint32_t i = 0; i < n; i++) VEC_PUSH(c->u32s, v[i]);
  return first;
}

int compile_bundle(DiagSink *d, const CompileOpts *o, Buf *out) {
  return compile_bundle_tests(d, o, out, NULL);
}

int compile_bundle_tests(DiagSink *d, const CompileOpts *o, Buf *out, TestList *tests) {
  if (tests) { memset(tests, 0, sizeof *tests); arena_init(&tests->arena); }
  Comp c;
  CompileOpts defaults = {0, 0};
  comp_init(&c, d, o ? o : &defaults);
  int nsrc = d->nfiles;
  c.files = xcalloc((size_t)(nsrc ? nsrc : 1), sizeof *c.files);
  for (int i = 0; i < nsrc; i++) c.files[c.nfiles++] = parse_file(d, i, &c.arena, 0);
  /* syntax errors stop here: checking a half-parsed file only produces noise */
  int rc = -1;
  if (!d->errors && sema_run(&c) == 0 && !d->errors) {
    emit_bundle(&c, out);
    rc = 0;
    /* The VM enforces a step limit anyway; the compiler says when a policy could reach
     * it, and refuses one whose worst case is absurd. */
    /* the cost is the policy's as a whole: reported at its first declaration */
    const Node *at = c.nfiles ? c.files[0]->decls : NULL;
    if (c.cost > LIMIT_COST) {
      comp_error(&c, at, "worst-case cost is %llu instructions per decision (limit is %d)",
                 (unsigned long long)c.cost, LIMIT_COST);
      rc = -1;
    } else if (c.cost > DEFAULT_STEP_LIMIT)
      comp_warn(&c, at, "worst-case cost is %llu instructions per decision, above the default "
                "step limit of %d: hosts should raise aigw_config.step_limit",
                (unsigned long long)c.cost, DEFAULT_STEP_LIMIT);
    if (rc == 0 && tests) tests_export(&c, tests);
  }
  comp_free(&c);
  return rc;
}
