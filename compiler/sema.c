/* Resolve and check declarations: packages and imports, the input schema, levels,
 * scopes, sets, hierarchy, guardrails, exemptions, routes and budgets. Expressions are
 * checked and compiled by cg.c as each declaration is processed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "comp.h"
#include "hash.h"
#include "lex.h"
#include "msgtpl.h"

#define TEXT(n) (c->d->files[(n)->file]->text + (n)->name_off)

/* ---- symbols ---- */

static uint32_t sym_hash(const char *pkg, uint32_t pl, const char *s, uint32_t n) {
  return aigw_hash_str(s, n) ^ (pl ? aigw_hash_str(pkg, pl) * 31u : 0);
}

static Sym *sym_find(Comp *c, const char *pkg, uint32_t pl, const char *s, uint32_t n, int kind_mask) {
  if (!c->symcap) return NULL;
  for (Sym *y = c->symtab[sym_hash(pkg, pl, s, n) & (c->symcap - 1)]; y; y = y->next)
    if ((kind_mask >> y->kind & 1) && y->len == n && !memcmp(y->name, s, n) &&
        y->pkglen == pl && !memcmp(y->pkg, pkg, pl))
      return y;
  return NULL;
}

static void sym_grow(Comp *c) {
  uint32_t cap = c->symcap ? c->symcap * 2 : 256;
  Sym **t = xcalloc(cap, sizeof *t);
  for (uint32_t i = 0; i < c->symcap; i++)
    for (Sym *y = c->symtab[i], *nx; y; y = nx) {
      nx = y->next;
      uint32_t h = sym_hash(y->pkg, y->pkglen, y->name, y->len) & (cap - 1);
      y->next = t[h]; t[h] = y;
    }
  xfree(c->symtab);
  c->symtab = t; c->symcap = cap;
}

/* Guardrails and exemptions live in one global namespace (pkg ""): decisions and
 * exemptions name them without a package. */
static int global_kind(SymKind k) { return k == SYM_GUARDRAIL || k == SYM_EXEMPTION; }

static Sym *sym_add(Comp *c, SymKind k, const AstFile *f, const char *pkg, uint32_t pl, Node *decl) {
  const char *s = c->d->files[decl->file]->text + decl->name_off;
  uint32_t n = decl->name_len;
  if (global_kind(k)) pl = 0;
  int mask = global_kind(k) ? (1 << k) : ~((1 << SYM_GUARDRAIL) | (1 << SYM_EXEMPTION));
  Sym *old = sym_find(c, pkg, pl, s, n, mask);
  if (old) {
    uint32_t line, col;
    diag_linecol(c->d, old->decl->file, old->decl->off, &line, &col);
    comp_error(c, decl, "duplicate %s '%.*s'", k == SYM_GUARDRAIL ? "guardrail" : k == SYM_EXEMPTION ? "exemption id" : "name",
               (int)n, s);
    diag_help(c->d, "first declared at %s:%u:%u", c->d->files[old->decl->file]->name, line, col);
    return NULL;
  }
  if (c->nsyms * 2 >= c->symcap) sym_grow(c);
  Sym *y = ARENA_NEW(&c->arena, Sym);
  y->kind = k; y->pkg = pkg; y->pkglen = pl; y->name = s; y->len = n; y->decl = decl; y->file = f;
  uint32_t h = sym_hash(pkg, pl, s, n) & (c->symcap - 1);
  y->next = c->symtab[h]; c->symtab[h] = y;
  c->nsyms++;
  return y;
}

static void file_pkg(const AstFile *f, const char **pkg, uint32_t *pl) {
  *pkg = ""; *pl = 0;
  for (Node *d = f->decls; d; d = d->next)
    if (d->kind == N_POLICY) { *pkg = f->text + d->a->off; *pl = d->a->len; return; }
}

Sym *sema_lookup_global(Comp *c, SymKind k, const char *name, uint32_t len) {
  return sym_find(c, "", 0, name, len, 1 << k);
}

Sym *sema_lookup(Comp *c, const AstFile *f, const char *name, uint32_t len, int kind_mask) {
  const char *pkg; uint32_t pl;
  file_pkg(f, &pkg, &pl);
  Sym *y = sym_find(c, pkg, pl, name, len, kind_mask);
  if (y) return y;
  for (Node *d = f->decls; d; d = d->next) {
    if (d->kind != N_IMPORT) continue;
    Sym *z = sym_find(c, f->text + d->a->off, d->a->len, name, len, kind_mask);
    if (z && y && z != y) {
      comp_error(c, d, "'%.*s' is declared in more than one imported package", (int)len, name);
      return y;
    }
    if (z) y = z;
  }
  return y;
}

void sema_suggest(Comp *c, const char *name, uint32_t len, int kind_mask) {
  const char *best = NULL; int bd = 3; uint32_t bl = 0;
  for (uint32_t i = 0; i < c->symcap; i++)
    for (Sym *y = c->symtab[i]; y; y = y->next) {
      if (!(kind_mask >> y->kind & 1)) continue;
      int d = edit_distance(name, len, y->name, y->len, 2);
      if (d < bd) { bd = d; best = y->name; bl = y->len; }
    }
  if (best) diag_help(c->d, "did you mean '%.*s'?", (int)bl, best);
}

/* ---- declarations ---- */

static Ty type_of(Comp *c, const AstFile *f, Node *t) {
  static const struct { const char *name; uint8_t t; } base[] = {
    {"string", T_STR}, {"int", T_INT}, {"bool", T_BOOL}, {"time", T_TIME},
    {"duration", T_DUR}, {"scope", T_SCOPE}, {"list", T_LIST}, {"map", T_MAP},
  };
  const char *s = TEXT(t);
  uint32_t n = t->name_len;
  Ty ty = {T_NONE, T_NONE, 0};
  for (int i = 0; i < 8; i++)
    if (strlen(base[i].name) == n && !memcmp(base[i].name, s, n)) ty.t = base[i].t;
  if (ty.t == T_NONE) {
    Sym *y = sema_lookup(c, f, s, n, 1 << SYM_LEVELS);
    if (!y) {
      comp_error(c, t, "unknown type '%.*s'", (int)n, s);
      const char *best = NULL;
      for (int i = 0; i < 8; i++) if (edit_distance(s, n, base[i].name, strlen(base[i].name), 2) <= 2) best = base[i].name;
      if (best) diag_help(c->d, "did you mean '%s'?", best);
      else diag_help(c->d, "types are string, int, bool, time, duration, scope, list<T>, map<T>, or a levels name");
      return ty;
    }
    ty.t = T_LEVEL; ty.levels = (uint16_t)y->index;
  }
  if ((ty.t == T_LIST || ty.t == T_MAP) != (t->a != NULL)) {
    comp_error(c, t, ty.t == T_LIST || ty.t == T_MAP ? "'%.*s' needs an element type, like %.*s<string>" : "'%.*s' takes no element type",
               (int)n, s, (int)n, s);
    ty.t = T_NONE;
    return ty;
  }
  if (t->a) {
    Ty e = type_of(c, f, t->a);
    if (e.t == T_LIST || e.t == T_MAP || e.t == T_NONE || e.t == T_BOOL) {
      if (e.t != T_NONE) comp_error(c, t->a, "lists and maps hold strings, ints, scopes, times or levels");
      ty.t = T_NONE;
      return ty;
    }
    if (ty.t == T_MAP && e.t == T_SCOPE) e.t = T_STR;
    ty.elem = e.t; ty.levels = e.levels;
  }
  return ty;
}

static void do_levels(Comp *c, Node *d, Sym *y) {
  BLevels L = {comp_str(c, TEXT(d), d->name_len), c->u32s.n, 0, 0};
  /* past a limit the declaration stays, empty, so that names referring to it resolve */
  int over = c->levels.n >= LIMIT_LEVELS || ast_count(d->a) > LIMIT_LEVEL_NAMES;
  if (c->levels.n >= LIMIT_LEVELS) comp_error(c, d, "too many levels declarations (limit is %d)", LIMIT_LEVELS);
  else if (over) comp_error(c, d, "too many levels in one declaration (limit is %d)", LIMIT_LEVEL_NAMES);
  for (Node *n = over ? NULL : d->a; n; n = n->next) {
    for (Node *m = d->a; m != n; m = m->next)
      if (m->name_len == n->name_len && !memcmp(TEXT(m), TEXT(n), n->name_len))
        comp_error(c, n, "level '%.*s' appears twice", (int)n->name_len, TEXT(n));
    uint32_t sid = comp_str(c, TEXT(n), n->name_len);
    VEC_PUSH(c->u32s, sid);
    L.count++;
  }
  y->index = c->levels.n;
  VEC_PUSH(c->levels, L);
}

static void do_input(Comp *c, const AstFile *f, Node *d) {
  c->meta.scope_field = c->meta.ancestors_field = NONE32;
  for (Node *fl = d->a; fl; fl = fl->next) {
    const char *s = c->d->files[fl->file]->text + fl->name_off;
    for (uint32_t i = 0; i < c->field_decl.n; i++) {
      Node *o = c->field_decl.v[i];
      if (o->name_len == fl->name_len && !memcmp(c->d->files[o->file]->text + o->name_off, s, fl->name_len))
        comp_error(c, fl, "field '%.*s' is declared twice", (int)fl->name_len, s);
    }
    Ty t = type_of(c, f, fl->a);
    BField bf = {comp_str(c, s, fl->name_len), t.t, t.elem, t.levels, FIELD_ROLE_NONE, 0};
    if (t.t == T_LIST || t.t == T_MAP) {
      /* the input reader refuses more items than this, and the worst-case cost counts on it */
      const Node *mx = fl->a->b;
      bf.max_items = LIMIT_ITEMS_DEFAULT;
      if (mx && (mx->ival < 1 || mx->ival > LIMIT_ITEMS))
        comp_error(c, mx, "max %lld is out of range (limit is 1 to %d items)", (long long)mx->ival, LIMIT_ITEMS);
      else if (mx) bf.max_items = (uint32_t)mx->ival;
    }
    uint32_t idx = c->fields.n;
    if (t.t == T_SCOPE) {
      if (c->meta.scope_field != NONE32) comp_error(c, fl, "only one field may have type scope (the request's scope)");
      else { c->meta.scope_field = idx; bf.role = FIELD_ROLE_SCOPE; }
    } else if (t.t == T_LIST && t.elem == T_SCOPE) {
      if (c->meta.ancestors_field != NONE32) comp_error(c, fl, "only one field may have type list<scope> (the scope's ancestors)");
      else { c->meta.ancestors_field = idx; bf.role = FIELD_ROLE_ANCESTORS; }
    } else if (t.t == T_STR) {
      static const char *roles[] = {"provider", "model", "region"};
      for (int r = 0; r < 3; r++)
        if (strlen(roles[r]) == fl->name_len && !memcmp(roles[r], s, fl->name_len)) bf.role = FIELD_ROLE_PROVIDER + (uint32_t)r;
    }
    if (c->fields.n >= LIMIT_FIELDS) { comp_error(c, fl, "too many input fields (limit is %d)", LIMIT_FIELDS); return; }
    VEC_PUSH(c->fields, bf);
    VEC_PUSH(c->field_decl, fl);
  }
}

/* Props: which items a declaration takes, which are required, which may repeat. */
typedef struct PropRule { int tk; const char *name; int required; } PropRule;

static Node *prop(Comp *c, Node *d, int tk, int *seen_dup) {
  Node *found = NULL;
  for (Node *p = d->a; p; p = p->next)
    if (p->kind == N_PROP && p->op == tk) {
      if (found && seen_dup) { comp_error(c, p, "'%s' is given twice", lex_token_name(tk)); *seen_dup = 1; }
      if (!found) found = p;
    }
  return found;
}

static void check_props(Comp *c, Node *d, const char *what, const PropRule *rules, int nrules) {
  for (Node *p = d->a; p; p = p->next) {
    int ok = 0;
    for (int i = 0; i < nrules; i++) if (rules[i].tk == p->op) ok = 1;
    if (!ok) {
      comp_error(c, p, "'%s' is not allowed in %s", lex_token_name(p->op), what);
      Buf b = {0};
      for (int i = 0; i < nrules; i++) buf_printf(&b, "%s%s", i ? ", " : "", rules[i].name);
      diag_help(c->d, "%s takes: %s", what, b.p);
      buf_free(&b);
    }
  }
  for (int i = 0; i < nrules; i++) {
    int dup = 0;
    if (rules[i].required && !prop(c, d, rules[i].tk, &dup))
      comp_error(c, d, "%s '%.*s' has no '%s'", what, (int)d->name_len, TEXT(d), rules[i].name);
    else if (rules[i].tk != TK_EXPECT) prop(c, d, rules[i].tk, &dup);
  }
}

static int name_is(Comp *c, Node *n, const char *s) {
  return n && n->name_len == strlen(s) && !memcmp(TEXT(n), s, n->name_len);
}

static uint32_t scope_ref(Comp *c, const AstFile *f, Node *r) {
  if (r->kind == N_STR) {
    uint32_t len; const char *s = comp_strlit(c, r, &len);
    return scope_node(c, r, s, len);
  }
  Sym *y = sema_lookup(c, f, TEXT(r), r->name_len, 1 << SYM_SCOPE);
  if (!y) {
    comp_error(c, r, "unknown scope '%.*s'", (int)r->name_len, TEXT(r));
    sema_suggest(c, TEXT(r), r->name_len, 1 << SYM_SCOPE);
    return NONE32;
  }
  return y->index;
}

/* The `hierarchy` edge that declares child in parent, where scope.c finds a cycle:
 * resolved as sema_run resolved it, so it is found (or NULL, which is never expected). */
Node *sema_hierarchy_edge(Comp *c, uint32_t child, uint32_t parent) {
  for (int i = 0; i < c->nfiles; i++)
    for (Node *d = c->files[i]->decls; d; d = d->next)
      if (d->kind == N_HIERARCHY)
        for (Node *e = d->a; e; e = e->next)
          if (scope_ref(c, c->files[i], e->a) == child && scope_ref(c, c->files[i], e->b) == parent) return e;
  return NULL;
}

static const char *severities[] = {"low", "medium", "high", "critical"};

/* A program that folded to a constant bool: 0 or 1, else -1. Lint reads these facts
 * (a guardrail that can never fire, an exemption or budget that can never apply, a
 * route rule that always or never matches). */
static int const_program(Comp *c, uint32_t prog) {
  const BProgram *P = &c->programs.v[prog];
  if (P->len != 2 || INSN_OP(c->code.v[P->start]) != OP_LDB) return -1;
  return INSN_ARG(c->code.v[P->start]) != 0;
}

/* Where a declaration is, for the bundle's metadata (lint and explain point there). */
static void decl_loc(Comp *c, const Node *d, uint32_t *file, uint32_t *line, uint32_t *col) {
  diag_linecol(c->d, d->file, d->off, line, col);
  *file = comp_strz(c, c->d->files[d->file]->name);
}

/* A dotted field path written inside braces, `{request.model}` in a message or a
 * target: NAME/MEMBER nodes over its text at source offset off, or NULL if it is not
 * one. The text must be the source's own bytes: names are read back through offsets. */
static Node *path_node(Comp *c, int file, uint32_t off, uint32_t n) {
  const char *raw = c->d->files[file]->text + off;
  Node *e = NULL;
  /* TABLE[PATH]: a table looked up with a field's value */
  const char *lb = memchr(raw, '[', n);
  if (lb && n >= 2 && raw[n - 1] == ']') {
    uint32_t tn = (uint32_t)(lb - raw);
    Node *key = tn ? path_node(c, file, off + tn + 1, n - tn - 2) : NULL;
    if (!key || memchr(raw, '.', tn)) return NULL;
    Node *t = ast_node(&c->arena, N_NAME, file, off, tn);
    Node *x = ast_node(&c->arena, N_INDEX, file, off, n);
    x->a = t; x->b = key;
    return x;
  }
  for (uint32_t k = 0; k <= n;) {
    uint32_t s0 = k;
    while (k < n && raw[k] != '.') k++;
    if (k == s0) return NULL;
    Node *nm = ast_node(&c->arena, e ? N_MEMBER : N_NAME, file, off + s0, k - s0);
    if (e) { nm->a = e; nm->off = e->off; nm->len = off + k - e->off; nm->name_off = off + s0; nm->name_len = k - s0; }
    e = nm;
    k++;
  }
  return e;
}

/* The quantifiers in e that bind the name s[0..n): how many, the first, and whether one
 * of them sits inside another quantifier. */
static void find_quant(Comp *c, Node *e, const char *s, uint32_t n, int inside, int *count, Node **first, int *nested) {
  for (; e; e = e->next) {
    if (e->kind == N_QUANT && e->name_len == n && !memcmp(TEXT(e), s, n)) {
      if (!(*count)++) *first = e;
      *nested |= inside;
    }
    find_quant(c, e->a, s, n, inside || e->kind == N_QUANT, count, first, nested);
    find_quant(c, e->b, s, n, inside || e->kind == N_QUANT, count, first, nested);
  }
}

/* Split "model {request.model} is …" into a template with {} holes and one program per
 * hole. Braces escaped as \{ \} in the source are literal and become {{ }}. A hole that
 * names a quantifier's variable in the condition shows the element that decided it. */
static void do_message(Comp *c, Node *str, BGuardrail *g, Node *cond) {
  const char *raw = c->d->files[str->file]->text + str->name_off + 1;
  uint32_t n = str->name_len - 2;
  Buf t = {0};
  uint32_t args[LIMIT_MSG_ARGS]; uint32_t nargs = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (raw[i] == '\\' && i + 1 < n) {
      uint32_t el = raw[i + 1] == 'u' ? 6 : 2;
      if (i + el > n) el = n - i;
      char tmp[8], one[2];
      size_t k = lex_unescape(raw + i, el, tmp);
      for (size_t j = 0; j < k; j++) buf_puts(&t, tpl_literal(tmp[j], one));
      i += el - 1;
      continue;
    }
    char one[2];
    if (raw[i] != '{') { buf_puts(&t, tpl_literal(raw[i], one)); continue; }
    uint32_t j = i + 1;
    while (j < n && raw[j] != '}') j++;
    uint32_t hoff = str->name_off + 1 + i + 1;
    if (j >= n) {
      diag_report(c->d, DIAG_ERR, str->file, hoff - 1, 1, "unclosed '{' in message");
      diag_help(c->d, "write \\{ for a literal brace");
      break;
    }
    Node *e = path_node(c, str->file, hoff, j - i - 1);
    if (!e) diag_report(c->d, DIAG_ERR, str->file, hoff, j - i - 1 ? j - i - 1 : 1, "a message hole holds a field, like {request.model}");
    else if (nargs == LIMIT_MSG_ARGS) diag_report(c->d, DIAG_ERR, str->file, hoff, j - i - 1, "too many holes in one message (limit is %d)", LIMIT_MSG_ARGS);
    else {
      Ty got;
      int nq = 0, nested = 0;
      Node *q = NULL;
      if (e->kind == N_NAME) find_quant(c, cond, TEXT(e), e->name_len, 0, &nq, &q, &nested);
      uint32_t p;
      if (nq > 1 || nested) {
        diag_report(c->d, DIAG_ERR, str->file, hoff, j - i - 1, nq > 1 ? "'%.*s' names more than one quantifier's variable"
                    : "'%.*s' is the variable of a quantifier inside another; a message shows an outermost one's",
                    (int)e->name_len, TEXT(e));
        p = NONE32;
      } else p = nq ? cg_witness(c, q, &got) : cg_program(c, e, (Ty){T_NONE, 0, 0}, &got);
      if (p != NONE32 && (got.t == T_LIST || got.t == T_MAP)) {
        diag_report(c->d, DIAG_ERR, str->file, hoff, j - i - 1, "a list or map cannot be shown in a message");
        p = NONE32;
      }
      if (p != NONE32) args[nargs++] = p;
      buf_puts(&t, TPL_HOLE_TEXT);
    }
    i = j;
  }
  g->message = comp_str(c, t.p ? t.p : "", t.n);
  g->args_first = comp_u32s(c, args, nargs);
  g->args_count = nargs;
  buf_free(&t);
}

/* The input field a MEMBER node reads, or NONE32. */
static uint32_t field_of(Comp *c, const Node *e) {
  if (!e || e->kind != N_MEMBER || !e->a || e->a->kind != N_NAME || !c->input) return NONE32;
  if (e->a->name_len != c->input->len || memcmp(TEXT(e->a), c->input->name, c->input->len)) return NONE32;
  for (uint32_t i = 0; i < c->fields.n; i++)
    if (c->strl.v[c->fields.v[i].name] == e->name_len && !memcmp(c->strp.v[c->fields.v[i].name], TEXT(e), e->name_len))
      return i;
  return NONE32;
}

/* Guardrail indexing (bundle.h, BGuard): the leftmost conjunct of the condition, when
 * it is `field == "text"` on a string field no route rewrites, or `scope under S`.
 * Only the leftmost: `and` evaluates it first, so when it is false nothing after it
 * can run, let alone fail. */
static void guard(Comp *c, const Node *cond, uint32_t g, BGuardrail *G) {
  while (cond->kind == N_BINARY && cond->op == TK_AND) cond = cond->a;
  if (cond->kind != N_BINARY) return;
  BGuard k = {NONE32, NOSTR, g, NONE32};
  if (cond->op == TK_EQ) {
    const Node *fld = cond->a, *lit = cond->b;
    if (field_of(c, fld) == NONE32) { fld = cond->b; lit = cond->a; }
    uint32_t slot = field_of(c, fld);
    if (slot == NONE32 || lit->kind != N_STR) return;
    const BField *F = &c->fields.v[slot];
    if (F->type != T_STR || F->role != FIELD_ROLE_NONE) return;
    uint32_t len;
    const char *s = comp_strlit(c, lit, &len);
    k.slot = slot; k.sid = comp_str(c, s, len);
  } else if (cond->op == TK_UNDER && field_of(c, cond->a) == c->meta.scope_field && c->meta.scope_field != NONE32) {
    uint32_t len;
    if (cond->b->kind == N_STR) {
      const char *s = comp_strlit(c, cond->b, &len);
      k.node = scope_node(c, cond->b, s, len);
    } else {
      Sym *y = sema_lookup(c, c->cur, TEXT(cond->b), cond->b->name_len, 1 << SYM_SCOPE);
      k.node = y ? y->index : NONE32;
    }
    if (k.node == NONE32) return;
    k.slot = c->meta.scope_field;
    VEC_PUSH(c->node_gr[k.node], g);   /* a matched node activates it, like a scoped one */
  } else return;
  G->flags |= GR_GUARDED;
  VEC_PUSH(c->guards, k);
}

static void do_guardrail(Comp *c, const AstFile *f, Node *d) {
  static const PropRule rules[] = {
    {TK_SEVERITY, "severity", 0}, {TK_DENY, "deny when", 0}, {TK_WARN, "warn when", 0},
    {TK_AUDIT, "audit when", 0}, {TK_MESSAGE, "message", 0}, {TK_SCOPE, "scope", 0},
    {TK_MODE, "mode", 0}, {TK_ONERROR, "on-error", 0},
  };
  check_props(c, d, "guardrail", rules, 8);
  BGuardrail g = {0};
  g.name = comp_str(c, TEXT(d), d->name_len);
  decl_loc(c, d, &g.file, &g.line, &g.col);
  g.cond = NONE32; g.message = NOSTR;
  Node *sev = prop(c, d, TK_SEVERITY, NULL);
  g.severity = comp_strz(c, "medium");
  if (sev) {
    int ok = 0;
    for (int i = 0; i < 4; i++) if (name_is(c, sev->a, severities[i])) { ok = 1; g.severity = comp_strz(c, severities[i]); }
    if (!ok) { comp_error(c, sev->a, "unknown severity '%.*s'", (int)sev->a->name_len, TEXT(sev->a)); diag_help(c->d, "severity is low, medium, high or critical"); }
  }
  Node *cond = NULL; int neff = 0;
  static const int effects[][2] = {{TK_DENY, EFFECT_DENY}, {TK_WARN, EFFECT_WARN}, {TK_AUDIT, EFFECT_AUDIT}};
  for (int i = 0; i < 3; i++) {
    Node *p = prop(c, d, effects[i][0], NULL);
    if (p) { if (!cond) { cond = p; g.effect = (uint32_t)effects[i][1]; } neff++; }
  }
  if (!cond) { comp_error(c, d, "guardrail '%.*s' has no 'deny when', 'warn when' or 'audit when'", (int)d->name_len, TEXT(d)); return; }
  if (neff > 1) comp_error(c, d, "guardrail '%.*s' has more than one effect; give one of deny, warn, audit", (int)d->name_len, TEXT(d));
  Node *mode = prop(c, d, TK_MODE, NULL);
  if (mode) {
    if (name_is(c, mode->a, "dry-run")) g.flags |= GR_DRY_RUN;
    else if (!name_is(c, mode->a, "enforce")) { comp_error(c, mode->a, "unknown mode '%.*s'", (int)mode->a->name_len, TEXT(mode->a)); diag_help(c->d, "mode is enforce or dry-run"); }
  }
  Node *oe = prop(c, d, TK_ONERROR, NULL);
  if (oe) {
    if (name_is(c, oe->a, "allow")) g.flags |= GR_ON_ERROR_ALLOW;
    else if (!name_is(c, oe->a, "deny")) comp_error(c, oe->a, "on-error is deny or allow");
  }
  Node *sc = prop(c, d, TK_SCOPE, NULL);
  uint32_t gi = c->guardrails.n;
  if (sc && c->meta.scope_field == NONE32)
    comp_error(c, sc, "a guardrail restricted to a scope needs an input field of type scope");
  if (sc) {
    uint32_t nodes[LIMIT_SCOPES], nn = 0;
    for (Node *r = sc->a; r; r = r->next) {
      uint32_t node = scope_ref(c, f, r);
      if (node == NONE32) continue;
      if (nn == LIMIT_SCOPES) { comp_error(c, r, "too many scopes on one guardrail (limit is %d)", LIMIT_SCOPES); break; }
      nodes[nn++] = node;
    }
    g.flags |= GR_SCOPED;
    g.scope_first = comp_u32s(c, nodes, nn);
    g.scope_count = nn;
    for (uint32_t i = 0; i < nn; i++) VEC_PUSH(c->node_gr[nodes[i]], gi);
  }
  g.cond = cg_program(c, cond->a, (Ty){T_BOOL, 0, 0}, NULL);
  if (g.cond != NONE32 && const_program(c, g.cond) >= 0) g.flags |= const_program(c, g.cond) ? GR_COND_TRUE : GR_COND_FALSE;
  if (c->cg_reads_target) g.flags |= GR_TARGET_SENSITIVE;
  if (g.cond != NONE32 && !(g.flags & GR_SCOPED)) guard(c, cond->a, gi, &g);
  Node *msg = prop(c, d, TK_MESSAGE, NULL);
  if (msg) do_message(c, msg->a, &g, cond->a);
  VEC_PUSH(c->guardrails, g);
}

static int64_t moment(const Node *n, int end_of_day) {
  if (n->kind == N_NEVER) return INT64_MAX;
  return n->kind == N_DATE && end_of_day ? n->ival + 86400 : n->ival;
}

static void do_exemption(Comp *c, const AstFile *f, Node *d) {
  static const PropRule rules[] = {
    {TK_WAIVES, "waives", 1}, {TK_SCOPE, "scope", 1}, {TK_WHEN, "when", 0}, {TK_OWNER, "owner", 1},
    {TK_CREATED, "created", 0}, {TK_STARTS, "starts", 0}, {TK_EXPIRES, "expires", 1},
    {TK_CATEGORY, "category", 0}, {TK_REASON, "reason", 1}, {TK_CONTROLS, "controls", 0},
    {TK_TICKET, "ticket", 0}, {TK_RENEWS, "renews", 0},
  };
  check_props(c, d, "exemption", rules, 12);
  BExemption x;
  memset(&x, 0, sizeof x);
  x.id = comp_str(c, TEXT(d), d->name_len);
  x.owner = x.reason = x.ticket = x.expires_text = x.scope_text = NOSTR;
  x.node = NONE32; x.when = NONE32;
  x.created = x.starts = INT64_MIN; x.expires = INT64_MAX;
  x.renews = NONE32;
  uint32_t line, col;
  diag_linecol(c->d, d->file, d->off, &line, &col);
  x.file = comp_strz(c, c->d->files[d->file]->name); x.line = line; x.col = col;
  Node *p;
  uint32_t len;
  if ((p = prop(c, d, TK_OWNER, NULL))) {
    const char *s = comp_strlit(c, p->a, &len);
    if (!len) comp_error(c, p->a, "owner is empty");
    x.owner = comp_str(c, s, len);
  }
  if ((p = prop(c, d, TK_REASON, NULL))) {
    const char *s = comp_strlit(c, p->a, &len);
    if (!len) comp_error(c, p->a, "reason is empty");
    x.reason = comp_str(c, s, len);
  }
  if ((p = prop(c, d, TK_TICKET, NULL))) { const char *s = comp_strlit(c, p->a, &len); x.ticket = comp_str(c, s, len); }
  if ((p = prop(c, d, TK_EXPIRES, NULL))) {
    x.expires = moment(p->a, 1);
    x.expires_text = p->a->kind == N_NEVER ? comp_strz(c, "never") : comp_str(c, TEXT(p->a), p->a->name_len);
  }
  if ((p = prop(c, d, TK_CREATED, NULL))) {
    x.created = moment(p->a, 0);
    if (x.created >= x.expires) comp_error(c, p->a, "exemption is created after it expires");
  }
  /* it applies from `starts`, else from `created`: never before either is reached */
  x.starts = x.created;
  if ((p = prop(c, d, TK_STARTS, NULL))) {
    x.starts = moment(p->a, 0);
    if (x.starts >= x.expires) comp_error(c, p->a, "exemption starts after it expires");
    if (x.created != INT64_MIN && x.starts < x.created) comp_error(c, p->a, "exemption starts before it is created");
  }
  x.category = CAT_WAIVER;
  if ((p = prop(c, d, TK_CATEGORY, NULL))) {
    if (name_is(c, p->a, "mitigated")) x.category = CAT_MITIGATED;
    else if (!name_is(c, p->a, "waiver")) { comp_error(c, p->a, "unknown category '%.*s'", (int)p->a->name_len, TEXT(p->a)); diag_help(c->d, "category is waiver or mitigated"); }
  }
  uint32_t ctl[LIMIT_WAIVES], nctl = 0;
  if ((p = prop(c, d, TK_CONTROLS, NULL)))
    for (Node *s = p->a; s; s = s->next) {
      if (nctl == LIMIT_WAIVES) { comp_error(c, s, "too many controls (limit is %d)", LIMIT_WAIVES); break; }
      const char *t = comp_strlit(c, s, &len);
      ctl[nctl++] = comp_str(c, t, len);
    }
  if (x.category == CAT_MITIGATED && !nctl)
    comp_error(c, p ? p : d, "a mitigated exemption must list its compensating controls");
  x.controls_first = comp_u32s(c, ctl, nctl); x.controls_count = nctl;
  if ((p = prop(c, d, TK_SCOPE, NULL))) {
    if (c->meta.scope_field == NONE32)
      comp_error(c, p, "an exemption's scope needs an input field of type scope to match against");
    if (p->a->next) comp_error(c, p->a->next, "an exemption has one scope");
    x.node = scope_ref(c, f, p->a);
    if (p->a->kind == N_STR) { const char *s = comp_strlit(c, p->a, &len); x.scope_text = comp_str(c, s, len); }
    else if (x.node != NONE32) x.scope_text = c->nodes.v[x.node].scope_text;
  }
  uint32_t waives[LIMIT_WAIVES], nw = 0;
  if ((p = prop(c, d, TK_WAIVES, NULL)))
    for (Node *g = p->a; g; g = g->next) {
      Sym *y = sema_lookup_global(c, SYM_GUARDRAIL, TEXT(g), g->name_len);
      if (!y) {
        comp_error(c, g, "exemption waives unknown guardrail '%.*s'", (int)g->name_len, TEXT(g));
        sema_suggest(c, TEXT(g), g->name_len, 1 << SYM_GUARDRAIL);
        continue;
      }
      int dup = 0;
      for (uint32_t i = 0; i < nw; i++) dup |= waives[i] == y->index;
      if (dup) { comp_error(c, g, "exemption waives '%.*s' twice", (int)g->name_len, TEXT(g)); continue; }
      if (nw == LIMIT_WAIVES) { comp_error(c, g, "exemption waives too many guardrails (limit is %d)", LIMIT_WAIVES); break; }
      waives[nw++] = y->index;
    }
  x.waives_first = comp_u32s(c, waives, nw); x.waives_count = nw;
  if ((p = prop(c, d, TK_WHEN, NULL))) {
    x.when = cg_program(c, p->a, (Ty){T_BOOL, 0, 0}, NULL);
    if (x.when != NONE32 && const_program(c, x.when) == 0) x.flags |= EX_WHEN_NEVER;
  }
  if ((p = prop(c, d, TK_RENEWS, NULL))) {
    Sym *y = sema_lookup_global(c, SYM_EXEMPTION, TEXT(p->a), p->a->name_len);
    if (!y) {
      comp_error(c, p->a, "exemption renews unknown exemption '%.*s'", (int)p->a->name_len, TEXT(p->a));
      sema_suggest(c, TEXT(p->a), p->a->name_len, 1 << SYM_EXEMPTION);
    } else if (y->decl == d) comp_error(c, p->a, "an exemption cannot renew itself");
    else x.renews = y->index;
  }
  uint32_t xi = c->exemptions.n;
  if (x.node != NONE32)
    for (uint32_t i = 0; i < nw; i++) {
      BExRef r = {x.node, waives[i], xi, 0};
      VEC_PUSH(c->exindex, r);
    }
  VEC_PUSH(c->exemptions, x);
}

/* One part of a target: a name, or {request.field} compiled to a string program. A
 * part that reads like a field path without braces would silently become a model
 * called "request.model": refused, with the spelling that reuses the field. */
static int target_part(Comp *c, Node *t, const char *s, size_t n, const char *what, uint32_t *sid, uint32_t *prog) {
  *sid = NOSTR; *prog = NONE32;
  if (n >= 2 && s[0] == '{' && s[n - 1] == '}') {
    const char *raw = TEXT(t), *at = NULL;
    for (uint32_t i = 0; i + n <= t->name_len && !at; i++) if (!memcmp(raw + i, s, n)) at = raw + i;
    Node *e = at ? path_node(c, t->file, t->name_off + (uint32_t)(at - raw) + 1, (uint32_t)n - 2) : NULL;
    if (!e) { comp_error(c, t, "a target's %s in braces is a field, like {request.%s}", what, what); return -1; }
    Ty got;
    *prog = cg_program(c, e, (Ty){T_NONE, 0, 0}, &got);
    if (*prog == NONE32) return -1;
    if (got.t != T_STR) { comp_error(c, t, "a target's %s must be a string field", what); *prog = NONE32; return -1; }
    *sid = comp_str(c, s, n);
    return 0;
  }
  const char *dot = memchr(s, '.', n);
  if (c->input && dot && (size_t)(dot - s) == c->input->len && !memcmp(s, c->input->name, c->input->len)) {
    comp_error(c, t, "this target's %s is the text '%.*s', not the field", what, (int)n, s);
    diag_help(c->d, "to reuse the request's value, write it in braces: {%.*s}", (int)n, s);
    return -1;
  }
  *sid = comp_str(c, s, n);
  return 0;
}

static uint32_t do_target(Comp *c, Node *t) {
  uint32_t len;
  const char *s = t->flags ? comp_strlit(c, t, &len) : TEXT(t);
  if (!t->flags) len = t->name_len;
  /* provider:model@region; the model may hold ':' when written as a string */
  const char *colon = memchr(s, ':', len);
  const char *at = NULL;
  for (uint32_t i = len; i-- > 0;) if (s[i] == '@') { at = s + i; break; }
  if (!colon || colon == s || (at && at < colon) || colon + 1 == (at ? at : s + len) || (at && at + 1 == s + len)) {
    comp_error(c, t, "a target is provider:model or provider:model@region");
    return NONE32;
  }
  const char *mend = at ? at : s + len;
  BTarget bt = {comp_str(c, s, (size_t)(colon - s)), NOSTR, NOSTR, comp_str(c, s, len), {NONE32, NONE32, NONE32}, 0};
  if (target_part(c, t, colon + 1, (size_t)(mend - colon - 1), "model", &bt.model, &bt.prog[1]) ||
      (at && target_part(c, t, at + 1, (size_t)(s + len - at - 1), "region", &bt.region, &bt.prog[2])))
    return NONE32;
  VEC_PUSH(c->targets, bt);
  return c->targets.n - 1;
}

static void do_cache(Comp *c, Node *ch, BRule *r);

/* Routes are tried in declaration order, rule by rule, across route declarations.
 * Each rule records what the compiler proved about it (bundle.h, RULE_*): the
 * unreachable-rule warning and lint read those facts, and the runtime never needs
 * them, so the warning cannot claim what the runtime would not do. A rule yields a
 * target always only when it matches always and no guardrail can refuse a target. */
static void do_route(Comp *c, Node *d) {
  uint32_t line, col;
  diag_linecol(c->d, d->file, d->off, &line, &col);
  BRoute r = {comp_str(c, TEXT(d), d->name_len), c->rules.n, 0, comp_strz(c, c->d->files[d->file]->name), line, col, {0, 0}};
  int refusable = 0;
  for (uint32_t i = 0; i < c->guardrails.n; i++) refusable |= bundle_refuses_targets(&c->guardrails.v[i]);
  /* the route's cache hint, for every rule that gives none of its own */
  BRule route_cache = {0};
  route_cache.cache_key = NONE32;
  if (d->b) do_cache(c, d->b, &route_cache);
  for (Node *n = d->a; n; n = n->next) {
    diag_linecol(c->d, n->file, n->off, &line, &col);
    BRule rule = {0, NONE32, c->targets.n, 0, 0, line, col, 0, NONE32, 0, 0};
    Node *own = NULL;
    for (Node *x = n->kind == N_DEFAULT ? n->a : n->a ? n->a->next : NULL; x; x = x->next) if (x->kind == N_CACHE) own = x;
    if (own) do_cache(c, own, &rule);
    else { rule.cache_ttl = route_cache.cache_ttl; rule.cache_key = route_cache.cache_key; }
    if (c->route_yields) {
      rule.flags |= RULE_UNREACHABLE;
      comp_warn(c, n, "unreachable route rule: the rule at line %u always gives a target", c->route_yields);
    }
    if (n->kind == N_RULE) {
      rule.kind = RULE_WHEN;
      rule.prog = cg_program(c, n->a, (Ty){T_BOOL, 0, 0}, NULL);
      int k = rule.prog != NONE32 ? const_program(c, rule.prog) : -1;
      if (k >= 0) rule.flags |= k ? RULE_MATCHES_ALWAYS : RULE_MATCHES_NEVER;
      if (k == 0) comp_warn(c, n, "this route rule never matches");
      for (Node *t = n->b; t; t = t->next) if (do_target(c, t) != NONE32) rule.ntargets++;
    } else if (n->kind == N_DEFAULT) {
      rule.kind = RULE_DEFAULT;
      rule.flags |= RULE_MATCHES_ALWAYS;
      for (Node *t = n->b; t; t = t->next) if (do_target(c, t) != NONE32) rule.ntargets++;
    } else {
      rule.kind = RULE_SPLIT;
      rule.flags |= RULE_MATCHES_ALWAYS;
      Ty got;
      rule.prog = cg_program(c, n->a, (Ty){T_NONE, 0, 0}, &got);
      if (rule.prog != NONE32 && got.t != T_STR && got.t != T_INT && got.t != T_SCOPE) {
        comp_error(c, n->a, "split key must be a string or an int");
        rule.prog = NONE32;
      }
      uint32_t cum[LIMIT_TARGETS], na = 0, total = 0;
      for (Node *a = n->b; a; a = a->next) {
        if (a->ival <= 0) comp_error(c, a, "split weight must be above 0%%");
        total += (uint32_t)a->ival;
        if (na == LIMIT_TARGETS) { comp_error(c, a, "too many split arms (limit is %d)", LIMIT_TARGETS); break; }
        if (do_target(c, a->a) != NONE32) { cum[na++] = total; rule.ntargets++; }
      }
      if (total != 10000) comp_error(c, n, "split weights add up to %u.%02u%%, not 100%%", total / 100, total % 100);
      rule.weights_first = comp_u32s(c, cum, na);
    }
    if (rule.ntargets > LIMIT_TARGETS) comp_error(c, n, "too many targets (limit is %d)", LIMIT_TARGETS);
    if ((rule.flags & RULE_MATCHES_ALWAYS) && !refusable) {
      rule.flags |= RULE_YIELDS_ALWAYS;
      if (!c->route_yields) c->route_yields = line;
    }
    VEC_PUSH(c->rules, rule);
    r.nrules++;
  }
  if (!r.nrules) comp_error(c, d, "route '%.*s' has no rules", (int)d->name_len, TEXT(d));
  VEC_PUSH(c->routes, r);
}

/* `per minute`, `per 10s`, `per 5 minutes`, `per month`: the window's length in seconds
 * and alignment (bundle.h, BUDGET_ALIGN_*), and its text for the decision. Fixed windows
 * begin at multiples of their length since the Unix epoch, weeks on Mondays, months on
 * the first of the month (UTC). 0 after an error. */
static int budget_window(Comp *c, Node *w, BBudget *b) {
  static const struct { const char *one, *many; int64_t secs; uint32_t align; } units[] = {
    {"second", "seconds", 1, BUDGET_ALIGN_EPOCH}, {"minute", "minutes", 60, BUDGET_ALIGN_EPOCH},
    {"hour", "hours", 3600, BUDGET_ALIGN_EPOCH}, {"day", "days", 86400, BUDGET_ALIGN_EPOCH},
    {"week", "weeks", 604800, BUDGET_ALIGN_WEEK}, {"month", "months", 0, BUDGET_ALIGN_MONTH},
  };
  int64_t count = 1;
  Node *u = w;
  if (w->kind == N_DUR) {
    if (w->ival <= 0) { comp_error(c, w, "a budget's window is longer than 0s"); return 0; }
    b->window = w->ival;
    b->period = comp_str(c, TEXT(w), w->name_len);
    return 1;
  }
  if (w->kind == N_INT) { count = w->ival; u = w->a; }
  for (int i = 0; i < 6; i++) {
    if (!name_is(c, u, units[i].one) && !(w->kind == N_INT && name_is(c, u, units[i].many))) continue;
    if (count < 1) { comp_error(c, w, "a budget's window is at least 1 %s", units[i].one); return 0; }
    if (units[i].align == BUDGET_ALIGN_MONTH && count != 1) {
      comp_error(c, w, "months have no fixed length: a window is one calendar month");
      diag_help(c->d, "write per month, or a fixed length such as per 90d");
      return 0;
    }
    if (count > INT64_MAX / (units[i].secs ? units[i].secs : 1)) { comp_error(c, w, "window too long"); return 0; }
    b->window = count * units[i].secs;
    b->flags |= units[i].align;
    if (w->kind == N_INT) {
      char text[64];
      snprintf(text, sizeof text, "%lld %s", (long long)count, count == 1 ? units[i].one : units[i].many);
      b->period = comp_strz(c, text);
    } else b->period = comp_strz(c, units[i].one);
    return 1;
  }
  comp_error(c, u, "unknown period '%.*s'", (int)u->name_len, TEXT(u));
  diag_help(c->d, "a window is minute, hour, day, week or month, a count of them (5 minutes), or a duration (10s, 12h)");
  return 0;
}

/* A response cache hint (`cache 1h by request.prompt_hash`): its TTL and key program. */
static void do_cache(Comp *c, Node *ch, BRule *r) {
  if (ch->b->ival <= 0) { comp_error(c, ch->b, "a cache hint's time to live is longer than 0s"); return; }
  Ty got;
  uint32_t p = cg_program(c, ch->a, (Ty){T_NONE, 0, 0}, &got);
  if (p == NONE32) return;
  if (got.t != T_STR && got.t != T_INT && got.t != T_SCOPE) { comp_error(c, ch->a, "a cache key is a string or an int"); return; }
  r->cache_ttl = ch->b->ival;
  r->cache_key = p;
}

static void do_budget(Comp *c, Node *d) {
  static const PropRule rules[] = {{TK_KEY, "key", 1}, {TK_LIMIT, "limit", 1}, {TK_WARN, "warn at", 0},
                                   {TK_WHEN, "when", 0}, {TK_CHARGE, "charge", 0}, {TK_WINDOW, "window", 0}};
  check_props(c, d, "budget", rules, 6);
  BBudget b = {comp_str(c, TEXT(d), d->name_len), NOSTR, NOSTR, NONE32, NONE32, -1, 0, 0, 0, 0, NONE32, NONE32, 0, 0};
  decl_loc(c, d, &b.file, &b.line, &b.col);
  Node *p;
  if ((p = prop(c, d, TK_KEY, NULL))) {
    Ty got;
    b.key = cg_program(c, p->a, (Ty){T_NONE, 0, 0}, &got);
    if (b.key != NONE32 && got.t != T_STR && got.t != T_INT && got.t != T_SCOPE) { comp_error(c, p->a, "budget key must be a string or an int"); b.key = NONE32; }
  }
  if ((p = prop(c, d, TK_LIMIT, NULL))) {
    Node *lim = p->a;
    b.unit = comp_str(c, TEXT(p->b), p->b->name_len);
    /* counting requests is a rate limit: each request counts one, nothing is settled */
    if (name_is(c, p->b, "requests") || name_is(c, p->b, "request")) b.flags |= BUDGET_RATE;
    if (lim->kind == N_INT) b.limit = lim->ival;
    else {
      /* a limit per key: an int expression such as a table lookup, evaluated per request */
      b.limit_prog = cg_program(c, lim, (Ty){T_INT, 0, 0}, NULL);
      if (lim->kind == N_INDEX && lim->a->kind == N_NAME) {
        Sym *t = sema_lookup(c, c->cur, TEXT(lim->a), lim->a->name_len, 1 << SYM_TABLE);
        if (t && t->index < c->tables.n && (c->tables.v[t->index].flags & TABLE_HAS_DEFAULT)) b.limit = c->tables.v[t->index].dflt;
      }
    }
    budget_window(c, lim->next, &b);
  }
  if ((p = prop(c, d, TK_WINDOW, NULL))) {
    if (name_is(c, p->a, "sliding")) b.flags |= BUDGET_SLIDING;
    else if (!name_is(c, p->a, "fixed")) { comp_error(c, p->a, "unknown window '%.*s'", (int)p->a->name_len, TEXT(p->a)); diag_help(c->d, "window is fixed or sliding"); }
    if ((b.flags & BUDGET_SLIDING) && (b.flags & BUDGET_ALIGN_MASK) == BUDGET_ALIGN_MONTH) {
      comp_error(c, p->a, "a sliding window needs a fixed length, and a month has none");
      diag_help(c->d, "write per 30d");
    }
  }
  if ((p = prop(c, d, TK_WARN, NULL))) {
    if (p->a->kind != N_PCT) comp_error(c, p, "a budget warns 'at P%%'");
    else if (p->a->ival > 10000) comp_error(c, p->a, "warn threshold above 100%%");
    else b.warn_bp = (int32_t)p->a->ival;
  }
  if ((p = prop(c, d, TK_WHEN, NULL))) {
    b.when = cg_program(c, p->a, (Ty){T_BOOL, 0, 0}, NULL);
    if (b.when != NONE32 && const_program(c, b.when) == 0) b.flags |= BUDGET_WHEN_NEVER;
  }
  /* the amount a request reserves, settled later by the host (docs/language.md §5.10) */
  if ((p = prop(c, d, TK_CHARGE, NULL))) {
    if (b.flags & BUDGET_RATE) {
      comp_error(c, p, "a budget of requests is a rate limit: each request counts 1");
      diag_help(c->d, "drop 'charge', or count another unit (tokens)");
    } else b.charge = cg_program(c, p->a, (Ty){T_INT, 0, 0}, NULL);
  }
  VEC_PUSH(c->budgets, b);
}

/* ---- sets and tables ----
 * A set is built when first needed, so set algebra may name a set declared later; the
 * index of one not built yet is SET_PENDING, of one being built SET_BUSY (a cycle). */
enum { SET_PENDING = NONE32, SET_BUSY = NONE32 - 1 };

static int same_ty(Ty a, Ty b) {
  int strs = (a.t == T_STR || a.t == T_SCOPE) && (b.t == T_STR || b.t == T_SCOPE);
  return strs || (a.t == b.t && (a.t != T_LEVEL || a.levels == b.levels));
}

static uint32_t empty_set(Comp *c, Ty elem) {
  BSet set = {elem.t == T_STR || elem.t == T_SCOPE ? T_STR : T_INT, c->members.n, 0, 0};
  if (elem.t == T_LEVEL) set.reserved = elem.levels;
  return cg_add_set(c, set, elem);
}

static void build_set(Comp *c, Sym *y);

/* The set a set expression denotes (a name, a member list, + - & of those), built now. */
static uint32_t set_of(Comp *c, Node *x, Ty *elem) {
  *elem = (Ty){T_NONE, 0, 0};
  if (x->kind == N_NAME) {
    Sym *y = sema_lookup(c, c->cur, TEXT(x), x->name_len, 1 << SYM_SET);
    if (!y) {
      comp_error(c, x, "unknown set '%.*s'", (int)x->name_len, TEXT(x));
      sema_suggest(c, TEXT(x), x->name_len, 1 << SYM_SET);
      return NONE32;
    }
    build_set(c, y);
    if (y->index >= c->sets.n || c->set_elem.v[y->index].t == T_NONE) return NONE32;   /* reported */
    *elem = c->set_elem.v[y->index];
    return y->index;
  }
  if (x->kind == N_LIST) {
    int ok;
    uint32_t r = cg_make_set(c, x->a, (Ty){T_NONE, 0, 0}, &ok);
    if (!ok) return NONE32;
    *elem = c->set_elem.v[r];
    return r;
  }
  Ty le, re;
  uint32_t l = set_of(c, x->a, &le), r = set_of(c, x->b, &re);
  if (l == NONE32 || r == NONE32) return NONE32;
  if (!same_ty(le, re)) {
    char b1[32], b2[32];
    comp_error(c, x, "cannot combine a set of %s with a set of %s", ty_name(le, b1, 32), ty_name(re, b2, 32));
    return NONE32;
  }
  /* a merge of two sorted runs, into a new run at the end of the members */
  BSet L = c->sets.v[l], R = c->sets.v[r];
  uint32_t first = c->members.n, i = 0, j = 0;
  while (i < L.count || j < R.count) {
    int64_t a = i < L.count ? c->members.v[L.first + i] : INT64_MAX, b = j < R.count ? c->members.v[R.first + j] : INT64_MAX;
    int take_l = i < L.count && (j >= R.count || a < b), take_r = j < R.count && (i >= L.count || b < a);
    int both = !take_l && !take_r;
    int64_t v = take_r ? b : a;
    int keep = x->op == TK_PLUS || (x->op == TK_AMP && both) || (x->op == TK_MINUS && take_l);
    if (keep) VEC_PUSH(c->members, v);
    if (take_l || both) i++;
    if (take_r || both) j++;
  }
  BSet set = {L.type, first, c->members.n - first, L.reserved};
  *elem = le;
  return cg_add_set(c, set, le);
}

static void build_set(Comp *c, Sym *y) {
  if (y->index == SET_BUSY) { comp_error(c, y->decl, "set '%.*s' is defined in terms of itself", (int)y->len, y->name); return; }
  if (y->index != SET_PENDING) return;
  y->index = SET_BUSY;
  const AstFile *cur = c->cur;
  c->cur = y->file;
  Node *d = y->decl;
  uint32_t r;
  Ty elem = {T_NONE, 0, 0};
  if (d->a) {
    int ok;
    r = cg_make_set(c, d->a, elem, &ok);
  } else {
    r = set_of(c, d->b, &elem);
    if (r != NONE32 && !c->sets.v[r].count) comp_warn(c, d, "set '%.*s' is empty", (int)y->len, y->name);
  }
  c->cur = cur;
  y->index = r != NONE32 ? r : empty_set(c, elem);
}

/* A table's value: its type and, for a string, its string id. */
static int table_value(Comp *c, Node *v, Ty *ty, int64_t *out) {
  uint32_t len;
  switch (v->kind) {
  case N_INT: *ty = (Ty){T_INT, 0, 0}; *out = v->ival; return 0;
  case N_DATE: case N_TIME: *ty = (Ty){T_TIME, 0, 0}; *out = v->ival; return 0;
  case N_DUR: *ty = (Ty){T_DUR, 0, 0}; *out = v->ival; return 0;
  case N_BOOL: *ty = (Ty){T_BOOL, 0, 0}; *out = v->ival; return 0;
  case N_STR: { const char *s = comp_strlit(c, v, &len); *ty = (Ty){T_STR, 0, 0}; *out = comp_str(c, s, len); return 0; }
  case N_NAME:
    /* a level, named by a value that one levels declaration has */
    for (uint32_t lv = 0; lv < c->levels.n; lv++)
      for (uint32_t k = 0; k < c->levels.v[lv].count; k++) {
        uint32_t sid = c->u32s.v[c->levels.v[lv].first + k];
        if (c->strl.v[sid] == v->name_len && !memcmp(c->strp.v[sid], TEXT(v), v->name_len)) {
          if (ty->t == T_LEVEL && ty->levels != lv) continue;
          *ty = (Ty){T_LEVEL, 0, (uint16_t)lv}; *out = k; return 0;
        }
      }
    comp_error(c, v, "'%.*s' is not a level", (int)v->name_len, TEXT(v));
    return -1;
  default:
    comp_error(c, v, "a table's values are strings, ints, bools, times, durations or levels");
    return -1;
  }
}

typedef struct TEntry { int64_t key, value; Node *at; } TEntry;
static int cmp_entry(const void *a, const void *b) {
  const TEntry *x = a, *y = b;
  return x->key < y->key ? -1 : x->key > y->key;
}

/* table NAME = { key: value, … } [default value]: its keys become a set, so a lookup is
 * the binary search a set has; the values follow them in key order (bundle.h). */
static void do_table(Comp *c, Sym *y, Node *d) {
  uint32_t n = (uint32_t)ast_count(d->a), ne = 0;
  TEntry *es = xcalloc(n ? n : 1, sizeof *es);
  Ty kty = {T_NONE, 0, 0}, vty = {T_NONE, 0, 0};
  int ok = 1;
  for (Node *e = d->a; e; e = e->next) {
    Node *k = e->a;
    Ty kt = {k->kind == N_STR ? T_STR : k->kind == N_INT ? T_INT : T_NONE, 0, 0};
    if (kt.t == T_NONE) { comp_error(c, k, "a table's keys are strings or ints"); ok = 0; continue; }
    if (kty.t != T_NONE && kt.t != kty.t) { comp_error(c, k, "a table's keys are all strings or all ints"); ok = 0; continue; }
    kty = kt;
    int64_t key = k->ival, v;
    if (kt.t == T_STR) { uint32_t len; const char *s = comp_strlit(c, k, &len); key = comp_str(c, s, len); }
    Ty vt = vty;
    if (table_value(c, e->b, &vt, &v)) { ok = 0; continue; }
    if (vty.t != T_NONE && (vt.t != vty.t || vt.levels != vty.levels)) {
      char b1[32], b2[32];
      comp_error(c, e->b, "a value of type %s in a table of %s values", ty_name(vt, b1, 32), ty_name(vty, b2, 32));
      ok = 0; continue;
    }
    vty = vt;
    es[ne++] = (TEntry){key, v, k};
  }
  qsort(es, ne, sizeof *es, cmp_entry);
  for (uint32_t i = 1; i < ne; i++)
    if (es[i].key == es[i - 1].key) { comp_error(c, es[i].at, "this key is in the table twice"); ok = 0; }
  BTable t = {comp_str(c, TEXT(d), d->name_len), 0, c->ints.n, vty.t, 0, vty.levels, 0};
  if (d->b) {
    Ty dt = vty;
    if (table_value(c, d->b, &dt, &t.dflt)) ok = 0;
    else if (dt.t != vty.t || dt.levels != vty.levels) { comp_error(c, d->b, "the default is not of the table's value type"); ok = 0; }
    t.flags |= TABLE_HAS_DEFAULT;
  }
  BSet keys = {kty.t == T_STR ? T_STR : T_INT, c->members.n, ok ? ne : 0, 0};
  for (uint32_t i = 0; ok && i < ne; i++) { VEC_PUSH(c->members, es[i].key); VEC_PUSH(c->ints, es[i].value); }
  t.keys = cg_add_set(c, keys, kty);
  y->index = c->tables.n;
  VEC_PUSH(c->tables, t);
  VEC_PUSH(c->table_ty, vty);
  xfree(es);
}

/* `renews` links form chains; a cycle would make "the renewal chain" endless. Each
 * exemption renews at most one, so one walk per chain finds every cycle in linear time. */
static void renewal_cycles(Comp *c) {
  uint32_t n = c->exemptions.n;
  uint8_t *state = xcalloc(n ? n : 1, 1);   /* 0 unseen, 1 on the current walk, 2 done */
  for (uint32_t s = 0; s < n; s++) {
    uint32_t x = s;
    while (x != NONE32 && !state[x]) { state[x] = 1; x = c->exemptions.v[x].renews; }
    if (x != NONE32 && state[x] == 1) {
      const BExemption *E = &c->exemptions.v[x];
      Sym *y = sema_lookup_global(c, SYM_EXEMPTION, c->strp.v[E->id], c->strl.v[E->id]);
      comp_error(c, y ? y->decl : NULL, "exemption '%s' is part of a renewal cycle", c->strp.v[E->id]);
    }
    for (x = s; x != NONE32 && state[x] == 1; x = c->exemptions.v[x].renews) state[x] = 2;
  }
  xfree(state);
}

int sema_run(Comp *c) {
  /* 1. packages and symbols */
  for (int i = 0; i < c->nfiles; i++) {
    const AstFile *f = c->files[i];
    const char *pkg; uint32_t pl;
    file_pkg(f, &pkg, &pl);
    int npol = 0;
    for (Node *d = f->decls; d; d = d->next) {
      if (d->kind == N_POLICY && npol++) comp_error(c, d, "a file has one 'policy' declaration");
      if (d->kind == N_POLICY && d != f->decls) comp_error(c, d, "'policy' must come first in a file");
    }
    if (!npol && f->decls) {
      diag_report(c->d, DIAG_ERR, f->file, f->decls->off, 1, "file does not start with 'policy NAME'");
      continue;
    }
    for (Node *d = f->decls; d; d = d->next) {
      static const struct { int kind; SymKind sk; } map[] = {
        {N_INPUT, SYM_INPUT}, {N_LEVELS, SYM_LEVELS}, {N_SCOPE, SYM_SCOPE}, {N_SET, SYM_SET},
        {N_GUARDRAIL, SYM_GUARDRAIL}, {N_EXEMPTION, SYM_EXEMPTION}, {N_ROUTE, SYM_ROUTE}, {N_BUDGET, SYM_BUDGET},
        {N_TABLE, SYM_TABLE},
      };
      for (int k = 0; k < 9; k++)
        if (map[k].kind == d->kind) {
          Sym *y = sym_add(c, map[k].sk, f, pkg, pl, d);
          if (y) d->sema = y;
        }
      if (d->kind == N_INPUT) {
        if (c->input) {
          const Node *first = c->input->decl;
          uint32_t line, col;
          diag_linecol(c->d, first->file, first->off, &line, &col);
          diag_report(c->d, DIAG_ERR, d->file, d->name_off, d->name_len ? d->name_len : 1,
                      "more than one input schema; the policies of a bundle share one");
          diag_help(c->d, "the first is '%.*s' at %s:%u:%u", (int)c->input->len, c->input->name,
                    c->d->files[first->file]->name, line, col);
        } else if (d->sema) c->input = d->sema;
      }
      if (d->kind == N_TEST) VEC_PUSH(c->tests, d);
      if (d->kind == N_IMPORT) {
        int found = 0;
        for (int j = 0; j < c->nfiles && !found; j++) {
          const char *p2; uint32_t l2;
          file_pkg(c->files[j], &p2, &l2);
          found = l2 == d->a->len && !memcmp(p2, f->text + d->a->off, l2);
        }
        if (!found) comp_error(c, d->a, "no package '%.*s' among the compiled files", (int)d->a->len, f->text + d->a->off);
      }
    }
  }
  /* guardrail indices follow declaration order, so exemptions may waive later ones */
  uint32_t gi = 0;
  for (int i = 0; i < c->nfiles; i++)
    for (Node *d = c->files[i]->decls; d; d = d->next)
      if (d->kind == N_GUARDRAIL && d->sema) ((Sym *)d->sema)->index = gi++;
  /* exemptions are numbered in the order do_exemption meets them, so `renews` may name
   * any of them */
  uint32_t ei = 0;
  for (int i = 0; i < c->nfiles; i++)
    for (Node *d = c->files[i]->decls; d; d = d->next)
      if (d->kind == N_EXEMPTION) { if (d->sema) ((Sym *)d->sema)->index = ei; ei++; }
  /* budgets too, so that a route's `budget(NAME).used` can name any of them */
  uint32_t bi = 0;
  for (int i = 0; i < c->nfiles; i++)
    for (Node *d = c->files[i]->decls; d; d = d->next)
      if (d->kind == N_BUDGET && d->sema) ((Sym *)d->sema)->index = bi++;
  /* sets are built on first use (set algebra may name one declared later) */
  for (int i = 0; i < c->nfiles; i++)
    for (Node *d = c->files[i]->decls; d; d = d->next)
      if ((d->kind == N_SET || d->kind == N_TABLE) && d->sema) ((Sym *)d->sema)->index = SET_PENDING;
  tests_check(c);   /* every name is declared now: what tests expect can be checked */

  /* 2. types, then the schema, scopes and sets */
  scope_node(c, NULL, "/", 1);   /* node 0: the root */
  for (int pass = 0; pass < 4; pass++)
    for (int i = 0; i < c->nfiles; i++) {
      const AstFile *f = c->files[i];
      c->cur = f;
      for (Node *d = f->decls; d; d = d->next) {
        Sym *y = d->sema;
        if (pass == 0 && d->kind == N_LEVELS && y) do_levels(c, d, y);
        if (pass == 1 && d->kind == N_INPUT && y && y == c->input) do_input(c, f, d);
        if (pass == 2 && d->kind == N_SCOPE && y) {
          uint32_t len; const char *s = comp_strlit(c, d->a, &len);
          y->index = scope_node(c, d->a, s, len);
        }
        if (pass == 3 && d->kind == N_SET && y) build_set(c, y);
        if (pass == 3 && d->kind == N_TABLE && y) do_table(c, y, d);
        if (pass == 3 && d->kind == N_HIERARCHY)
          for (Node *e = d->a; e; e = e->next) {
            uint32_t child = scope_ref(c, f, e->a), parent = scope_ref(c, f, e->b);
            if (child != NONE32 && parent != NONE32) VEC_PUSH(c->node_anc[child], parent);
          }
      }
    }
  if (!c->input) c->meta.scope_field = c->meta.ancestors_field = NONE32;
  if (c->d->errors) return -1;
  /* 3. guardrails, exemptions, routes, budgets */
  for (int kind = 0; kind < 4; kind++)
    for (int i = 0; i < c->nfiles; i++) {
      const AstFile *f = c->files[i];
      c->cur = f;
      for (Node *d = f->decls; d; d = d->next) {
        if (kind == 0 && d->kind == N_GUARDRAIL) do_guardrail(c, f, d);
        if (kind == 1 && d->kind == N_EXEMPTION) do_exemption(c, f, d);
        if (kind == 2 && d->kind == N_ROUTE && d->sema) do_route(c, d);
        if (kind == 3 && d->kind == N_BUDGET && d->sema) do_budget(c, d);
      }
    }
  renewal_cycles(c);
  tests_check_inputs(c);
  if (scope_close_hierarchy(c) != 0) return -1;
  return c->d->errors ? -1 : 0;
}
