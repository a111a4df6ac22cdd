/* Type checking and code generation for expressions, in one pass.
 *
 * Each expression compiles to stack code; when both operands of an operator turn out
 * constant, the code emitted for them is rewound and replaced by the folded constant.
 * Folding reuses the runtime's own arithmetic and refuses what could fault at run time
 * (division by zero, overflow): those are left to the VM, which fails closed. */
#include <stdlib.h>
#include <string.h>
#include "arith.h"
#include "comp.h"
#include "lex.h"
#include "timefmt.h"

enum { CV_VALUE, CV_RECORD, CV_SCOPE, CV_SET, CV_LEVELS, CV_TABLE, CV_ERR };

typedef struct CV {
  int kind;
  Ty ty;
  int is_const;             /* CV_VALUE whose value is known: k (ints, bools, times) or sid */
  int64_t k; uint32_t sid;
  int slot;                 /* bare field load, or -1 */
  uint32_t index;           /* CV_SCOPE node, CV_SET set, CV_LEVELS levels, CV_TABLE table */
} CV;

static const Ty TY_NONE = {T_NONE, 0, 0}, TY_BOOL = {T_BOOL, 0, 0}, TY_INT = {T_INT, 0, 0},
                TY_STR = {T_STR, 0, 0}, TY_TIME = {T_TIME, 0, 0}, TY_DUR = {T_DUR, 0, 0};



#define ERR(n, ...) do { if (!c->quiet) comp_error(c, (n), __VA_ARGS__); } while (0)

const char *ty_name(Ty t, char *buf, size_t n) {
  static const char *names[] = {
#define X(id, s) s,
    VM_TYPES(X)
#undef X
  };
  if (t.t == T_LIST || t.t == T_MAP)
    snprintf(buf, n, "%s<%s>", names[t.t], t.elem < T__COUNT ? names[t.elem] : "?");
  else snprintf(buf, n, "%s", t.t < T__COUNT ? names[t.t] : "?");
  return buf;
}

static int ty_eq(Ty a, Ty b) {
  return a.t == b.t && a.elem == b.elem && (a.t != T_LEVEL || a.levels == b.levels);
}
static int is_num(Ty t) { return t.t == T_INT || t.t == T_TIME || t.t == T_DUR || t.t == T_LEVEL || t.t == T_BOOL; }
static int is_strlike(Ty t) { return t.t == T_STR || t.t == T_SCOPE; }

static void emit(Comp *c, int op, uint32_t arg) {
  const OpInfo *oi = &vm_opinfo[op];
  VEC_PUSH(c->code, INSN(op, arg));
  /* code_x runs beside code (a rewind shortens code, so it is cut to match here) */
  c->code_x.n = c->code.n - 1;
  VEC_PUSH(c->code_x, 0);
  c->cg_depth += oi->pushes - oi->pops;
  if (c->cg_depth > c->cg_max) c->cg_max = c->cg_depth;
}

/* A lookup in list or map field slot (INLIST, HASKEY, INDEX): the VM charges one step
 * per 64 items (vm.c), which the worst-case cost counts at the field's `max`. */
static void emit_lookup(Comp *c, int op, int slot) {
  emit(c, op, 0);
  if (slot >= 0) c->code_x.v[c->code.n - 1] = c->fields.v[slot].max_items / 64;
}

/* The left operand, whose code starts at lstart, compared by op with constant arg (a
 * string id or a set). When that operand is one LDF, the load and the compare fuse into
 * fop, whose second word is arg (opcodes.h): the same steps, one dispatch fewer. */
static void emit_against(Comp *c, uint32_t lstart, int op, int fop, uint32_t arg) {
  if (c->code.n != lstart + 1 || INSN_OP(c->code.v[lstart]) != OP_LDF) { emit(c, op, arg); return; }
  c->code.v[lstart] = INSN(fop, INSN_ARG(c->code.v[lstart]));   /* pushes as the LDF did */
  VEC_PUSH(c->code, arg);
  c->code_x.n = c->code.n - 1;
  VEC_PUSH(c->code_x, 0);
}

static uint32_t int_const(Comp *c, int64_t v) {
  for (uint32_t i = c->ints.n; i-- > 0 && i + 64 >= c->ints.n;)   /* reuse recent ones */
    if (c->ints.v[i] == v) return i;
  VEC_PUSH(c->ints, v);
  return c->ints.n - 1;
}

static CV value(Ty t) { CV v = {CV_VALUE, t, 0, 0, NOSTR, -1, 0}; return v; }
static CV err_cv(void) { CV v = {CV_ERR, {T_NONE, 0, 0}, 0, 0, NOSTR, -1, 0}; return v; }

/* Emit a constant of type t. */
static CV emit_const(Comp *c, Ty t, int64_t k, uint32_t sid) {
  CV v = value(t);
  v.is_const = 1; v.k = k; v.sid = sid;
  if (t.t == T_STR || t.t == T_SCOPE) emit(c, OP_LDS, sid);
  else if (t.t == T_BOOL) emit(c, OP_LDB, k != 0);
  else {
    emit(c, OP_LDI, int_const(c, k));
    if (t.t != T_INT) emit(c, OP_CAST, t.t);
  }
  return v;
}

typedef struct Mark { uint32_t code; int depth; } Mark;
static Mark mark(Comp *c) { Mark m = {c->code.n, c->cg_depth}; return m; }
static void rewind_to(Comp *c, Mark m) { c->code.n = m.code; c->cg_depth = m.depth; }

static CV cg(Comp *c, Node *e, Ty hint);

/* Type of e without keeping its code or its diagnostics. */
static Ty peek(Comp *c, Node *e) {
  Mark m = mark(c);
  int q = c->quiet, max = c->cg_max, rt = c->cg_reads_target;
  c->quiet = 1;
  CV v = cg(c, e, TY_NONE);
  c->quiet = q;
  rewind_to(c, m);
  c->cg_max = max; c->cg_reads_target = rt;
  return v.kind == CV_VALUE ? v.ty : TY_NONE;
}

static void suggest_field(Comp *c, const char *name, uint32_t len) {
  if (c->quiet) return;
  const char *best = NULL; int bd = 3;
  for (uint32_t i = 0; i < c->fields.n; i++) {
    const char *f = c->strp.v[c->fields.v[i].name];
    int d = edit_distance(name, len, f, strlen(f), 2);
    if (d < bd) { bd = d; best = f; }
  }
  if (best) diag_help(c->d, "did you mean '%s'?", best);
}

static int find_level(Comp *c, uint16_t lv, const char *s, uint32_t n) {
  const BLevels *L = &c->levels.v[lv];
  for (uint32_t i = 0; i < L->count; i++) {
    uint32_t sid = c->u32s.v[L->first + i];
    if (c->strl.v[sid] == n && !memcmp(c->strp.v[sid], s, n)) return (int)i;
  }
  return -1;
}

/* ---- hints: what was probably meant, when an expression does not check ---- */

static const char *levels_name(Comp *c, uint16_t lv) { return c->strp.v[c->levels.v[lv].name]; }
static const char *level_name(Comp *c, uint16_t lv, uint32_t k) { return c->strp.v[c->u32s.v[c->levels.v[lv].first + k]]; }

/* The level of lv nearest to s[0..n), for "did you mean", or NULL. */
static const char *nearest_level(Comp *c, uint16_t lv, const char *s, uint32_t n) {
  const char *best = NULL; int bd = 3;
  for (uint32_t k = 0; k < c->levels.v[lv].count; k++) {
    const char *l = level_name(c, lv, k);
    int d = edit_distance(s, n, l, strlen(l), 2);
    if (d < bd) { bd = d; best = l; }
  }
  return best;
}

/* Could s[0..n) be an operand of '-': now, a number or duration, or a name in scope? */
static int operand_like(Comp *c, const char *s, uint32_t n) {
  if (!n) return 0;
  if ((s[0] >= '0' && s[0] <= '9') || (n == 3 && !memcmp(s, "now", 3))) return 1;
  if (sema_lookup(c, c->cur, s, n, 1 << SYM_INPUT | 1 << SYM_SCOPE | 1 << SYM_SET | 1 << SYM_LEVELS)) return 1;
  for (uint32_t lv = 0; lv < c->levels.n; lv++) if (find_level(c, (uint16_t)lv, s, n) >= 0) return 1;
  return 0;
}

static int is_field(Comp *c, const char *s, uint32_t n) {
  for (uint32_t i = 0; i < c->fields.n; i++)
    if (c->strl.v[c->fields.v[i].name] == n && !memcmp(c->strp.v[c->fields.v[i].name], s, n)) return 1;
  return 0;
}

/* A '-' between name characters continues the name (§3.3), so `now-request.created` is
 * the name `now-request` and `request.x-1` the field `x-1`. When the text either side of
 * a '-' in the name at name_off reads as operands (for a member, the left one as a
 * field), the help shows the subtraction with spaces, from start (where the expression
 * begins) through the rest of a dotted path after the name. */
static int minus_help(Comp *c, int file, uint32_t start, uint32_t name_off, uint32_t name_len, int member) {
  if (c->quiet) return 0;
  const Source *src = c->d->files[file];
  const char *s = src->text + name_off;
  for (uint32_t i = 1; i + 1 < name_len; i++) {
    if (s[i] != '-') continue;
    uint32_t j = i + 1;
    while (j < name_len && s[j] != '-') j++;
    if (!(member ? is_field(c, s, i) : operand_like(c, s, i)) || !operand_like(c, s + i + 1, j - i - 1)) continue;
    uint32_t end = name_off + name_len;
    while (end < src->len && end - start < 80) {
      char ch = src->text[end];
      if (!(ch == '.' || ch == '_' || ch == '-' || (ch >= '0' && ch <= '9') || ((ch | 32) >= 'a' && (ch | 32) <= 'z'))) break;
      end++;
    }
    diag_help(c->d, "subtraction needs spaces around '-': %.*s - %.*s", (int)(name_off + i - start),
              src->text + start, (int)(end - name_off - i - 1), s + i + 1);
    return 1;
  }
  return 0;
}

/* A literal in the wrong form where a level or a time was wanted: "confidential",
 * "2026-12-31", 2026/12/31. Writes the help line into h; 0 when lit is no such slip. */
static int literal_help(Comp *c, const Node *lit, Ty want, Buf *h) {
  if (c->quiet) return 0;
  char iso[11];
  if (want.t == T_TIME && lit->kind == N_BINARY && lit->op == TK_SLASH &&
      lex_slashed_date(c->d->files[lit->file]->text + lit->off, lit->len, iso) == lit->len) {
    buf_printf(h, "a date is written with '-': %s", iso);
    return 1;
  }
  if (lit->kind != N_STR || (want.t != T_LEVEL && want.t != T_TIME)) return 0;
  uint32_t n;
  const char *s = comp_strlit(c, lit, &n);
  int64_t t;
  if (want.t == T_TIME) {
    if (rt_parse_date(s, n, &t) == 0) buf_printf(h, "a date is written without quotes: %.*s", (int)n, s);
    else if (rt_parse_time(s, n, 0, &t) == 0) buf_printf(h, "a timestamp is written without quotes: %.*s", (int)n, s);
    return h->n > 0;
  }
  const BLevels *L = &c->levels.v[want.levels];
  int k = find_level(c, want.levels, s, n);
  if (k >= 0) { buf_printf(h, "write %s without quotes", level_name(c, want.levels, (uint32_t)k)); return 1; }
  const char *best = nearest_level(c, want.levels, s, n);
  if (best) { buf_printf(h, "did you mean %s? levels are written without quotes", best); return 1; }
  buf_printf(h, "levels are written without quotes; the levels of %s are", levels_name(c, want.levels));
  for (uint32_t i = 0; i < L->count && i < 8; i++) buf_printf(h, "%s %s", i ? "," : "", level_name(c, want.levels, i));
  if (L->count > 8) buf_puts(h, ", …");
  return 1;
}

/* A type as the user wrote it: a levels type by its name. */
static const char *ty_label(Comp *c, Ty t, char *buf, size_t n) {
  if (t.t == T_LEVEL && t.levels < c->levels.n) { snprintf(buf, n, "%s", levels_name(c, t.levels)); return buf; }
  return ty_name(t, buf, n);
}

/* Of a binary operation whose operand types do not fit: the side that is a literal
 * slip (with its help in h), or the whole operation. */
static Node *slip_side(Comp *c, Node *e, Ty lt, Ty rt, Buf *h) {
  if (literal_help(c, e->b, lt, h)) return e->b;
  if (literal_help(c, e->a, rt, h)) return e->a;
  return e;
}

/* A name used as a value that names something else: say what, and what to write. */
static void not_a_value(Comp *c, const Node *at, int kind, uint32_t index) {
  if (c->quiet || kind == CV_ERR || kind == CV_VALUE) return;
  if (at->kind != N_NAME) { comp_error(c, at, "this is not a value here"); return; }
  const char *s = c->d->files[at->file]->text + at->name_off;
  int n = (int)at->name_len;
  switch (kind) {
  case CV_SET:
    comp_error(c, at, "'%.*s' is a set, not a value", n, s);
    diag_help(c->d, "a set is used on the right of 'in' (x in %.*s) and in len(%.*s)", n, s, n, s);
    break;
  case CV_RECORD:
    comp_error(c, at, "'%.*s' is the input, not a value", n, s);
    if (c->fields.n) diag_help(c->d, "read one of its fields, like %.*s.%s", n, s, c->strp.v[c->fields.v[0].name]);
    break;
  case CV_SCOPE:
    comp_error(c, at, "'%.*s' is a scope, not a value", n, s);
    if (c->meta.scope_field != NONE32 && c->input)
      diag_help(c->d, "test the request's scope with 'under': %.*s.%s under %.*s", (int)c->input->len, c->input->name,
                c->strp.v[c->fields.v[c->meta.scope_field].name], n, s);
    break;
  case CV_LEVELS:
    comp_error(c, at, "'%.*s' is a levels type, not a value", n, s);
    if (c->levels.v[index].count) diag_help(c->d, "name one of its levels, like %.*s.%s", n, s, level_name(c, (uint16_t)index, 0));
    break;
  case CV_TABLE:
    comp_error(c, at, "'%.*s' is a table, not a value", n, s);
    diag_help(c->d, "look a key up in it: %.*s[request.model]", n, s);
    break;
  }
}

/* `required_tags in request.tags`: 'in' looks up one value, and a set is not one. */
static CV in_left_not_value(Comp *c, Node *e, CV l) {
  if (l.kind != CV_SET) { not_a_value(c, e->a, l.kind, l.index); return err_cv(); }
  if (c->quiet) return err_cv();
  uint32_t set = l.index;
  const char *text = c->d->files[e->file]->text;
  comp_error(c, e->a, "'%.*s' is a set, not a value", (int)e->a->name_len, text + e->a->name_off);
  const BSet *S = &c->sets.v[set];
  Buf h = {0};
  buf_puts(&h, "'in' looks up one value; to check every member of a set, test each one");
  int plain = S->type == T_STR && S->count && e->b->len <= 40 && !memchr(text + e->b->off, '\n', e->b->len);
  for (uint32_t i = 0; plain && i < S->count; i++) {
    uint32_t sid = (uint32_t)c->members.v[S->first + i];
    for (uint32_t k = 0; k < c->strl.v[sid]; k++) {
      unsigned char ch = (unsigned char)c->strp.v[sid][k];
      plain &= ch >= 0x20 && ch != 0x7f && ch != '"' && ch != '\\';
    }
  }
  for (uint32_t i = 0; plain && i < S->count && i < 2; i++) {
    uint32_t sid = (uint32_t)c->members.v[S->first + i];
    buf_printf(&h, "%s\"%s\" %s %.*s", i ? " and " : ": ", c->strp.v[sid], e->op == TK_NOTIN ? "not in" : "in",
               (int)e->b->len, text + e->b->off);
  }
  if (plain && S->count > 2) buf_puts(&h, " and …");
  diag_help(c->d, "%s", h.p);
  buf_free(&h);
  return err_cv();
}

/* The names an expression may use, besides quantifier variables and level values. */
#define VALUE_NAMES (1 << SYM_INPUT | 1 << SYM_SCOPE | 1 << SYM_SET | 1 << SYM_LEVELS | 1 << SYM_TABLE)

/* A quantifier's variable: a copy of the element its loop keeps on the stack, retyped
 * when it came from a set of times, durations or levels (which holds numbers). */
static CV cg_bound(Comp *c, const Bind *b) {
  emit(c, OP_PICK, (uint32_t)(c->cg_depth - b->pos));
  if (b->vmt != b->ty.t) emit(c, OP_CAST, b->ty.t);
  return value(b->ty);
}

static const Bind *bound(Comp *c, const char *s, uint32_t n) {
  for (int i = c->nbinds; i-- > 0;)
    if (c->binds[i].len == n && !memcmp(c->binds[i].name, s, n)) return &c->binds[i];
  return NULL;
}

static CV cg_name(Comp *c, Node *e, Ty hint) {
  const char *s = c->d->files[e->file]->text + e->name_off;
  uint32_t n = e->name_len;
  const Bind *bv = bound(c, s, n);
  if (bv) return cg_bound(c, bv);
  if (hint.t == T_LEVEL) {
    int k = find_level(c, hint.levels, s, n);
    if (k >= 0) return emit_const(c, hint, k, NOSTR);
  }
  Sym *sym = sema_lookup(c, c->cur, s, n, VALUE_NAMES);
  if (!sym) {
    /* a bare level name is fine when exactly one levels declaration has it */
    int found = -1, lvfound = -1;
    for (uint32_t i = 0; i < c->levels.n; i++) {
      int k = find_level(c, (uint16_t)i, s, n);
      if (k >= 0) { if (found >= 0) { found = -2; break; } found = k; lvfound = (int)i; }
    }
    if (found >= 0) { Ty t = {T_LEVEL, 0, (uint16_t)lvfound}; return emit_const(c, t, found, NOSTR); }
    if (found == -2) { ERR(e, "level '%.*s' is ambiguous; qualify it as LEVELS.%.*s", (int)n, s, (int)n, s); return err_cv(); }
    /* the other side is a level, so this name was meant as one of its levels */
    if (hint.t == T_LEVEL) ERR(e, "'%.*s' is not a level of '%s'", (int)n, s, levels_name(c, hint.levels));
    else ERR(e, "unknown name '%.*s'", (int)n, s);
    if (!c->quiet && !minus_help(c, e->file, e->off, e->name_off, n, 0)) {
      const char *lv = hint.t == T_LEVEL ? nearest_level(c, hint.levels, s, n) : NULL;
      if (lv) diag_help(c->d, "did you mean '%s'?", lv);
      else sema_suggest(c, s, n, VALUE_NAMES);
    }
    return err_cv();
  }
  CV v = err_cv();
  switch (sym->kind) {
  case SYM_INPUT: v.kind = CV_RECORD; break;
  case SYM_SCOPE: v.kind = CV_SCOPE; v.index = sym->index; break;
  case SYM_SET: v.kind = CV_SET; v.index = sym->index; v.ty.t = (uint8_t)c->sets.v[sym->index].type; break;
  case SYM_LEVELS: v.kind = CV_LEVELS; v.index = sym->index; break;
  case SYM_TABLE: v.kind = CV_TABLE; v.index = sym->index; break;
  default: break;
  }
  return v;
}

static int is_budget_call(Comp *c, const Node *n) {
  return n->kind == N_CALL && n->name_len == 6 && !memcmp(c->d->files[n->file]->text + n->name_off, "budget", 6);
}

/* budget(NAME): the budget's symbol, or NULL after an error. */
static Sym *budget_ref(Comp *c, Node *call) {
  Node *a = call->a;
  if (!a || a->next || a->kind != N_NAME) { ERR(call, "budget() takes a budget's name"); return NULL; }
  const char *nm = c->d->files[a->file]->text + a->name_off;
  Sym *y = sema_lookup(c, c->cur, nm, a->name_len, 1 << SYM_BUDGET);
  if (!y) {
    ERR(a, "unknown budget '%.*s'", (int)a->name_len, nm);
    if (!c->quiet) sema_suggest(c, nm, a->name_len, 1 << SYM_BUDGET);
  }
  return y;
}

/* budget(B).limit: the budget's limit for this request, a constant or its expression
 * (a table lookup per key), compiled here as in the budget. */
static CV cg_budget_limit(Comp *c, Sym *y) {
  Node *lim = NULL;
  for (Node *p = y->decl->a; p; p = p->next) if (p->kind == N_PROP && p->op == TK_LIMIT) lim = p->a;
  if (!lim) { ERR(y->decl, "budget '%.*s' has no limit", (int)y->len, y->name); return err_cv(); }
  const AstFile *cur = c->cur;
  c->cur = y->file;                  /* the limit's names are the budget's file's */
  CV v = cg(c, lim, TY_INT);
  c->cur = cur;
  if (v.kind == CV_VALUE && v.ty.t != T_INT) { ERR(lim, "a budget's limit is an int"); return err_cv(); }
  return v;
}

static CV cg_budget_member(Comp *c, Node *e) {
  const char *s = c->d->files[e->file]->text + e->name_off;
  Sym *y = budget_ref(c, e->a);
  if (!y) return err_cv();
  if (e->name_len == 4 && !memcmp(s, "used", 4)) { emit(c, OP_BUSED, y->index); return value(TY_INT); }
  if (e->name_len == 5 && !memcmp(s, "limit", 5)) return cg_budget_limit(c, y);
  ERR(e, "a budget has .used and .limit, not .%.*s", (int)e->name_len, s);
  return err_cv();
}

/* budget(B).used >= 80%: the usage against the given share of the limit, in whole
 * numbers: used * 10000 >= 8000 * limit (an overflow is an evaluation error). */
static int is_budget_used(Comp *c, const Node *n) {
  return n->kind == N_MEMBER && is_budget_call(c, n->a) && n->name_len == 4 &&
         !memcmp(c->d->files[n->file]->text + n->name_off, "used", 4);
}

static CV cg_used_share(Comp *c, Node *e, int op) {
  int pct_left = e->a->kind == N_PCT;
  Node *used = pct_left ? e->b : e->a, *pct = pct_left ? e->a : e->b;
  if (!is_budget_used(c, used)) { ERR(pct, "a percentage compares only with a budget's usage: budget(NAME).used >= 80%%"); return err_cv(); }
  Sym *y = budget_ref(c, used->a);
  if (!y) return err_cv();
  for (int side = 0; side < 2; side++) {
    if ((side == 0) != pct_left) {
      emit(c, OP_BUSED, y->index);
      emit(c, OP_LDI, int_const(c, 10000));
    } else {
      CV l = cg_budget_limit(c, y);
      if (l.kind != CV_VALUE) return err_cv();
      emit(c, OP_LDI, int_const(c, pct->ival));
    }
    emit(c, OP_MUL, 0);
  }
  emit(c, op, 0);
  return value(TY_BOOL);
}

static CV cg_member(Comp *c, Node *e) {
  Node *base = e->a;
  const char *s = c->d->files[e->file]->text + e->name_off;
  uint32_t n = e->name_len;
  if (is_budget_call(c, base)) return cg_budget_member(c, e);
  if (base->kind != N_NAME) {
    ERR(e, "only input fields and levels have members");
    /* `request.created-request.expires_at` reads the field `created-request` */
    if (base->kind == N_MEMBER && base->a->kind == N_NAME) minus_help(c, e->file, e->off, base->name_off, base->name_len, 1);
    return err_cv();
  }
  Mark m = mark(c);
  CV b = cg_name(c, base, TY_NONE);
  rewind_to(c, m);
  if (b.kind == CV_ERR) return b;
  if (b.kind == CV_LEVELS) {
    int k = find_level(c, (uint16_t)b.index, s, n);
    if (k < 0) {
      ERR(e, "'%.*s' is not a level of '%.*s'", (int)n, s, (int)base->name_len, c->d->files[e->file]->text + base->name_off);
      const char *lv = nearest_level(c, (uint16_t)b.index, s, n);
      if (lv && !c->quiet) diag_help(c->d, "did you mean '%s'?", lv);
      return err_cv();
    }
    Ty t = {T_LEVEL, 0, (uint16_t)b.index};
    return emit_const(c, t, k, NOSTR);
  }
  if (b.kind != CV_RECORD) { ERR(e, "only input fields and levels have members"); return err_cv(); }
  for (uint32_t i = 0; i < c->fields.n; i++) {
    const BField *f = &c->fields.v[i];
    if (c->strl.v[f->name] == n && !memcmp(c->strp.v[f->name], s, n)) {
      emit(c, OP_LDF, i);
      if (f->role == FIELD_ROLE_PROVIDER || f->role == FIELD_ROLE_MODEL || f->role == FIELD_ROLE_REGION)
        c->cg_reads_target = 1;
      CV v = value((Ty){f->type, f->elem, f->levels});
      v.slot = (int)i;
      return v;
    }
  }
  ERR(e, "input '%.*s' has no field '%.*s'", c->input ? (int)c->input->len : 1, c->input ? c->input->name : "?", (int)n, s);
  if (!c->quiet) {
    /* the span of the member name only, so the caret points at the misspelling */
    if (c->d->n) { c->d->items[c->d->n - 1].off = e->name_off; c->d->items[c->d->n - 1].len = n; }
    if (!minus_help(c, e->file, e->off, e->name_off, n, 1)) suggest_field(c, s, n);
  }
  return err_cv();
}

/* Anonymous set from a list literal of constants, for `x in ["a", "b"]`. */
static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}
uint32_t cg_make_set(Comp *c, Node *list, Ty elem, int *ok) {
  uint32_t first = c->members.n;
  *ok = 1;
  for (Node *x = list; x; x = x->next) {
    Mark m = mark(c);
    CV v = cg(c, x, elem);
    rewind_to(c, m);
    if (v.kind != CV_VALUE || !v.is_const) {
      if (v.kind != CV_ERR) ERR(x, "set and list literal members must be constants");
      *ok = 0; continue;
    }
    if (elem.t != T_NONE && !(ty_eq(v.ty, elem) || (is_strlike(v.ty) && is_strlike(elem)))) {
      char b1[32], b2[32];
      Buf h = {0};
      ERR(x, "member of type %s in a set of %s", ty_name(v.ty, b1, 32), ty_name(elem, b2, 32));
      if (literal_help(c, x, elem, &h)) diag_help(c->d, "%s", h.p);
      buf_free(&h);
      *ok = 0; continue;
    }
    if (elem.t == T_NONE) elem = v.ty;
    VEC_PUSH(c->members, is_strlike(v.ty) ? (int64_t)v.sid : v.k);
  }
  uint32_t n = c->members.n - first;
  if (n) qsort(c->members.v + first, n, sizeof(int64_t), cmp_i64);
  uint32_t w = 0;   /* dedupe */
  for (uint32_t i = 0; i < n; i++)
    if (!w || c->members.v[first + i] != c->members.v[first + w - 1]) c->members.v[first + w++] = c->members.v[first + i];
  c->members.n = first + w;
  BSet set = {is_strlike(elem) ? T_STR : T_INT, first, w, 0};
  if (elem.t == T_LEVEL) set.reserved = elem.levels;
  return cg_add_set(c, set, elem);
}

uint32_t cg_add_set(Comp *c, BSet set, Ty elem) {
  VEC_PUSH(c->sets, set);
  while (c->set_elem.n < c->sets.n - 1) VEC_PUSH(c->set_elem, TY_NONE);
  VEC_PUSH(c->set_elem, elem);
  return c->sets.n - 1;
}

static CV cg_in(Comp *c, Node *e, int negate) {
  Node *rhs = e->b;
  CV r;
  if (rhs->kind == N_LIST) {
    /* a literal list is a set built at compile time */
    uint32_t lstart = c->code.n;
    CV l = cg(c, e->a, TY_NONE);
    if (l.kind != CV_VALUE) return in_left_not_value(c, e, l);
    int ok;
    uint32_t set = cg_make_set(c, rhs->a, l.ty, &ok);
    if (!ok) return err_cv();
    if (!is_strlike(l.ty) && !is_num(l.ty)) { ERR(e->a, "'in' needs a string or a number on the left"); return err_cv(); }
    emit_against(c, lstart, OP_INSET, OP_FINSET, set);
  } else {
    Mark m = mark(c);
    r = cg(c, rhs, TY_NONE);
    rewind_to(c, m);
    if (r.kind == CV_ERR) return err_cv();
    if (r.kind == CV_TABLE) {   /* a key of the table */
      r.kind = CV_SET;
      r.index = c->tables.v[r.index].keys;
    }
    if (r.kind == CV_SET) {
      const BSet *s = &c->sets.v[r.index];
      Ty elem = r.index < c->set_elem.n ? c->set_elem.v[r.index] : TY_NONE;   /* T_NONE: empty */
      uint32_t lstart = c->code.n;
      CV l = cg(c, e->a, elem);
      if (l.kind != CV_VALUE) return in_left_not_value(c, e, l);
      /* members and the looked-up value have one type: a time is not found among ints */
      if ((s->type == T_STR) != is_strlike(l.ty) || (s->type == T_INT && !is_num(l.ty)) ||
          (elem.t != T_NONE && !ty_eq(l.ty, elem) && !(is_strlike(l.ty) && is_strlike(elem)))) {
        char b[32], b2[32];
        if (elem.t != T_NONE) ERR(e, "cannot look up a %s in a set of %ss", ty_name(l.ty, b, 32), ty_name(elem, b2, 32));
        else ERR(e, "cannot look up a %s in a set of %s", ty_name(l.ty, b, 32), s->type == T_STR ? "strings" : "numbers");
        return err_cv();
      }
      emit_against(c, lstart, OP_INSET, OP_FINSET, r.index);
    } else if (r.kind == CV_VALUE && (r.ty.t == T_LIST || r.ty.t == T_MAP)) {
      Ty want = {r.ty.t == T_MAP ? T_STR : r.ty.elem, 0, r.ty.levels};
      CV l = cg(c, e->a, want);
      if (l.kind != CV_VALUE) return in_left_not_value(c, e, l);
      cg(c, rhs, TY_NONE);
      if (r.ty.t == T_MAP) {
        if (!is_strlike(l.ty)) { ERR(e->a, "map keys are strings"); return err_cv(); }
        emit_lookup(c, OP_HASKEY, r.slot);
      } else {
        if (!(ty_eq(l.ty, want) || (is_strlike(l.ty) && is_strlike(want)))) {
          char b1[32], b2[32];
          ERR(e, "cannot look up a %s in a %s", ty_name(l.ty, b1, 32), ty_name(r.ty, b2, 32));
          return err_cv();
        }
        emit_lookup(c, OP_INLIST, r.slot);
      }
    } else {
      ERR(rhs, "the right side of 'in' must be a set, a list or a map");
      return err_cv();
    }
  }
  if (negate) emit(c, OP_NOT, 0);
  return value(TY_BOOL);
}

/* The opcode of an arithmetic or comparison token: the VM runs it, and folding runs the
 * VM's own definition of it (runtime/arith.h). */
static int op_of(int tk) {
  switch (tk) {
  case TK_PLUS: return OP_ADD; case TK_MINUS: return OP_SUB; case TK_STAR: return OP_MUL;
  case TK_SLASH: return OP_DIV; case TK_EQ: return OP_EQ; case TK_NE: return OP_NE;
  case TK_LT: return OP_LT; case TK_LE: return OP_LE; case TK_GT: return OP_GT; default: return OP_GE;
  }
}

static CV cg_binary(Comp *c, Node *e, Ty hint) {
  int op = e->op;
  char b1[32], b2[32];
  (void)hint;
  if (op == TK_IN) return cg_in(c, e, 0);
  if (op == TK_NOTIN) return cg_in(c, e, 1);
  if (op == TK_AND || op == TK_OR) {
    Mark m = mark(c);
    CV l = cg(c, e->a, TY_BOOL);
    if (l.kind == CV_VALUE && l.ty.t != T_BOOL) { ERR(e->a, "'%s' needs bool operands, not %s", op == TK_AND ? "and" : "or", ty_name(l.ty, b1, 32)); return err_cv(); }
    if (l.kind != CV_VALUE && l.kind != CV_ERR) { not_a_value(c, e->a, l.kind, l.index); l = err_cv(); }
    /* constant left side: `false and x` is false, `true and x` is x. The right side is
     * checked either way: a folded-away operand must still be a correct expression. */
    if (l.kind == CV_VALUE && l.is_const) {
      rewind_to(c, m);
      CV r = cg(c, e->b, TY_BOOL);
      if ((op == TK_AND) != (l.k != 0)) {
        rewind_to(c, m);
        if (r.kind == CV_ERR) return r;
        if (r.kind != CV_VALUE) { not_a_value(c, e->b, r.kind, r.index); return err_cv(); }
        if (r.ty.t != T_BOOL) { ERR(e->b, "'%s' needs bool operands", op == TK_AND ? "and" : "or"); return err_cv(); }
        return emit_const(c, TY_BOOL, l.k, NOSTR);
      }
      if (r.kind == CV_VALUE && r.ty.t != T_BOOL) { ERR(e->b, "'%s' needs bool operands", op == TK_AND ? "and" : "or"); return err_cv(); }
      if (r.kind != CV_VALUE) { not_a_value(c, e->b, r.kind, r.index); return err_cv(); }
      return r;
    }
    if (c->cg_open_jumps >= LIMIT_OPEN_JUMPS) {
      ERR(e, "too many nested 'and' and 'or' (limit is %d)", LIMIT_OPEN_JUMPS);
      return err_cv();
    }
    uint32_t jpc = c->code.n;
    emit(c, op == TK_AND ? OP_JFK : OP_JTK, 0);
    c->cg_depth--;              /* falling through drops a: b starts where a was */
    c->cg_open_jumps++;
    CV r = cg(c, e->b, TY_BOOL);
    c->cg_open_jumps--;
    if (r.kind != CV_VALUE && r.kind != CV_ERR) { not_a_value(c, e->b, r.kind, r.index); r = err_cv(); }
    if (l.kind == CV_ERR || r.kind == CV_ERR) return err_cv();
    if (r.ty.t != T_BOOL) { ERR(e->b, "'%s' needs bool operands, not %s", op == TK_AND ? "and" : "or", ty_name(r.ty, b1, 32)); return err_cv(); }
    c->code.v[jpc] = INSN(op == TK_AND ? OP_JFK : OP_JTK, c->code.n - jpc - 1);
    c->cg_depth = m.depth + 1;
    return value(TY_BOOL);
  }
  if (op == TK_UNDER) {
    CV l = cg(c, e->a, TY_NONE);
    if (l.kind == CV_ERR) return l;
    if (l.kind != CV_VALUE || l.ty.t != T_SCOPE || l.slot < 0 || (uint32_t)l.slot != c->meta.scope_field) {
      ERR(e->a, "the left side of 'under' must be the input's scope field");
      return err_cv();
    }
    Node *r = e->b;
    uint32_t node;
    if (r->kind == N_STR) {
      uint32_t len; const char *s = comp_strlit(c, r, &len);
      node = scope_node(c, r, s, len);
    } else {
      Mark m = mark(c);
      CV rv = cg(c, r, TY_NONE);
      rewind_to(c, m);
      if (rv.kind == CV_ERR) return rv;
      if (rv.kind != CV_SCOPE) { ERR(r, "the right side of 'under' must be a scope name or a scope string"); return err_cv(); }
      node = rv.index;
    }
    emit(c, OP_UNDER, node);
    return value(TY_BOOL);
  }
  if ((e->a->kind == N_PCT || e->b->kind == N_PCT) &&
      (op == TK_EQ || op == TK_NE || op == TK_LT || op == TK_LE || op == TK_GT || op == TK_GE))
    return cg_used_share(c, e, op_of(op));
  /* comparisons and arithmetic: give a bare name on one side the other side's type */
  Ty lh = TY_NONE, rh = TY_NONE;
  if (e->a->kind == N_NAME) lh = peek(c, e->b);
  Mark m = mark(c);
  CV l = cg(c, e->a, lh);
  if (l.kind == CV_VALUE) rh = l.ty;
  CV r = cg(c, e->b, rh);
  if (l.kind == CV_ERR || r.kind == CV_ERR) return err_cv();
  if (l.kind != CV_VALUE || r.kind != CV_VALUE) {
    if (l.kind != CV_VALUE) not_a_value(c, e->a, l.kind, l.index);
    else not_a_value(c, e->b, r.kind, r.index);
    return err_cv();
  }
  const char *opname = lex_token_name(op);
  Buf h = {0};
  switch (op) {
  case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE: {
    int ord = op != TK_EQ && op != TK_NE;
    if (is_strlike(l.ty) && is_strlike(r.ty) && !ord) {
      if (l.is_const && r.is_const) { rewind_to(c, m); return emit_const(c, TY_BOOL, (l.sid == r.sid) == (op == TK_EQ), NOSTR); }
      if (r.is_const && c->code.n && INSN_OP(c->code.v[c->code.n - 1]) == OP_LDS) {
        /* against a constant: compared by its id, without loading it */
        uint32_t k = INSN_ARG(c->code.v[--c->code.n]);
        c->cg_depth--;
        emit_against(c, m.code, op == TK_EQ ? OP_SEQK : OP_SNEK, op == TK_EQ ? OP_FSEQK : OP_FSNEK, k);
      } else emit(c, op == TK_EQ ? OP_SEQ : OP_SNE, 0);
      return value(TY_BOOL);
    }
    if (!ty_eq(l.ty, r.ty) || !is_num(l.ty) || (ord && l.ty.t == T_BOOL)) {
      ERR(slip_side(c, e, l.ty, r.ty, &h), "cannot compare %s with %s using %s", ty_label(c, l.ty, b1, 32), ty_label(c, r.ty, b2, 32), opname);
      if (h.n) diag_help(c->d, "%s", h.p);
      buf_free(&h);
      return err_cv();
    }
    int64_t v;
    if (l.is_const && r.is_const && vm_arith(op_of(op), l.k, r.k, &v) == VM_OK) {
      rewind_to(c, m);
      return emit_const(c, TY_BOOL, v, NOSTR);
    }
    emit(c, op_of(op), 0);
    return value(TY_BOOL);
  }
  case TK_PLUS: case TK_MINUS: case TK_STAR: case TK_SLASH: {
    Ty out = TY_NONE;
    int lt = l.ty.t, rt = r.ty.t;
    if (lt == T_INT && rt == T_INT) out = TY_INT;
    else if (op == TK_PLUS && ((lt == T_TIME && rt == T_DUR) || (lt == T_DUR && rt == T_TIME))) out = TY_TIME;
    else if (op == TK_MINUS && lt == T_TIME && rt == T_DUR) out = TY_TIME;
    else if (op == TK_MINUS && lt == T_TIME && rt == T_TIME) out = TY_DUR;
    else if ((op == TK_PLUS || op == TK_MINUS) && lt == T_DUR && rt == T_DUR) out = TY_DUR;
    if (out.t == T_NONE) {
      ERR(slip_side(c, e, l.ty, r.ty, &h), "cannot apply %s to %s and %s", opname, ty_label(c, l.ty, b1, 32), ty_label(c, r.ty, b2, 32));
      if (h.n) diag_help(c->d, "%s", h.p);
      buf_free(&h);
      return err_cv();
    }
    if (l.is_const && r.is_const) {
      int64_t v;
      if (vm_arith(op_of(op), l.k, r.k, &v) == VM_OK) { rewind_to(c, m); return emit_const(c, out, v, NOSTR); }
      if (!c->quiet) comp_warn(c, e, "this expression always fails at run time (%s)", op == TK_SLASH ? "division by zero or overflow" : "integer overflow");
    }
    emit(c, op_of(op), 0);
    if (out.t != T_INT) emit(c, OP_CAST, out.t);
    return value(out);
  }
  }
  ERR(e, "unsupported operator %s", opname);
  return err_cv();
}

/* time(s): a string holding a date or an RFC 3339 time, read by the one parser of
 * times (timefmt.h); one that is neither is an evaluation error. A constant folds. */
static CV cg_totime(Comp *c, Node *e, int nargs) {
  if (nargs != 1) { ERR(e, "time takes 1 argument"); return err_cv(); }
  Mark m = mark(c);
  CV v = cg(c, e->a, TY_STR);
  if (v.kind == CV_ERR) return v;
  if (v.kind != CV_VALUE) { not_a_value(c, e->a, v.kind, v.index); return err_cv(); }
  if (!is_strlike(v.ty)) { char b[32]; ERR(e->a, "time() reads a string, not %s", ty_name(v.ty, b, 32)); return err_cv(); }
  int64_t t;
  if (v.is_const && (rt_parse_time(c->strp.v[v.sid], c->strl.v[v.sid], 1, &t) == 0 ||
                     rt_parse_date(c->strp.v[v.sid], c->strl.v[v.sid], &t) == 0)) {
    rewind_to(c, m);
    return emit_const(c, TY_TIME, t, NOSTR);
  }
  if (v.is_const && !c->quiet) comp_warn(c, e, "this expression always fails at run time (not a date or a time)");
  emit(c, OP_TOTIME, 0);
  return value(TY_TIME);
}

static CV cg_call(Comp *c, Node *e) {
  const char *s = c->d->files[e->file]->text + e->name_off;   /* off moves when the call is parenthesized */
  uint32_t n = e->name_len;
  int nargs = ast_count(e->a);
  static const struct { const char *name; int nargs, op; } fns[] = {
    {"starts_with", 2, OP_STARTS}, {"ends_with", 2, OP_ENDS}, {"contains", 2, OP_CONTAINS},
    {"matches", 2, OP_GLOB}, {"len", 1, OP_LEN}, {"has", 1, OP_HAS},
  };
  int which = -1;
  for (int i = 0; i < 6; i++) if (strlen(fns[i].name) == n && !memcmp(fns[i].name, s, n)) which = i;
  if (n == 4 && !memcmp(s, "time", 4)) return cg_totime(c, e, nargs);
  if (n == 6 && !memcmp(s, "budget", 6)) {
    ERR(e, "budget(NAME) is read through a member: budget(NAME).used or budget(NAME).limit");
    return err_cv();
  }
  if (which < 0) {
    ERR(e, "unknown function '%.*s'", (int)n, s);
    if (!c->quiet) {
      for (int i = 0; i < 6; i++)
        if (edit_distance(s, n, fns[i].name, strlen(fns[i].name), 2) <= 2) { diag_help(c->d, "did you mean '%s'?", fns[i].name); break; }
    }
    return err_cv();
  }
  if (nargs != fns[which].nargs) { ERR(e, "%s takes %d argument%s", fns[which].name, fns[which].nargs, fns[which].nargs > 1 ? "s" : ""); return err_cv(); }
  if (fns[which].op == OP_HAS) {
    Node *a = e->a;
    if (a->kind == N_INDEX) {   /* has(m["k"]) is "k" in m */
      Node tmp = *a;
      tmp.kind = N_BINARY; tmp.op = TK_IN; tmp.a = a->b; tmp.b = a->a;
      return cg_in(c, &tmp, 0);
    }
    Mark m = mark(c);
    CV v = cg(c, a, TY_NONE);
    rewind_to(c, m);
    if (v.kind == CV_ERR) return v;
    if (v.slot < 0) { ERR(a, "has() takes an input field, like has(request.team)"); return err_cv(); }
    emit(c, OP_HAS, (uint32_t)v.slot);
    return value(TY_BOOL);
  }
  if (fns[which].op == OP_LEN) {
    Mark m = mark(c);
    CV v = cg(c, e->a, TY_NONE);
    /* a set is constant, and so is its size (members counted once) */
    if (v.kind == CV_SET) { rewind_to(c, m); return emit_const(c, TY_INT, c->sets.v[v.index].count, NOSTR); }
    if (v.kind == CV_TABLE) {
      rewind_to(c, m);
      return emit_const(c, TY_INT, c->sets.v[c->tables.v[v.index].keys].count, NOSTR);
    }
    if (v.kind != CV_VALUE) { not_a_value(c, e->a, v.kind, v.index); return err_cv(); }
    if (!is_strlike(v.ty) && v.ty.t != T_LIST && v.ty.t != T_MAP) { char b[32]; ERR(e->a, "len() of a %s", ty_name(v.ty, b, 32)); return err_cv(); }
    emit(c, OP_LEN, 0);
    return value(TY_INT);
  }
  CV a = cg(c, e->a, TY_STR), b = cg(c, e->a->next, TY_STR);
  if (a.kind == CV_ERR || b.kind == CV_ERR) return err_cv();
  if (a.kind != CV_VALUE || !is_strlike(a.ty) || b.kind != CV_VALUE || !is_strlike(b.ty)) {
    ERR(e, "%s takes two strings", fns[which].name);
    return err_cv();
  }
  emit(c, fns[which].op, 0);
  return value(TY_BOOL);
}

/* t[k]: the value of key k in table t; a constant key folds (and one the table does
 * not hold, with no default, is an error here rather than at every evaluation). */
static CV cg_table_get(Comp *c, Node *e, uint32_t ti) {
  const BTable *T = &c->tables.v[ti];
  const BSet *K = &c->sets.v[T->keys];
  Ty vt = c->table_ty.v[ti], kt = K->type == T_STR ? TY_STR : TY_INT;
  Mark m = mark(c);
  CV k = cg(c, e->b, kt);
  if (k.kind == CV_ERR) return k;
  if (k.kind != CV_VALUE) { not_a_value(c, e->b, k.kind, k.index); return err_cv(); }
  if (K->type == T_STR ? !is_strlike(k.ty) : k.ty.t != T_INT) {
    char b1[32];
    ERR(e->b, "the keys of table '%s' are %s, not %s", c->strp.v[T->name], K->type == T_STR ? "strings" : "ints",
        ty_name(k.ty, b1, 32));
    return err_cv();
  }
  if (k.is_const) {
    int64_t key = K->type == T_STR ? (int64_t)k.sid : k.k, v = 0;
    int found = 0;
    for (uint32_t i = 0; i < K->count && !found; i++)
      if (c->members.v[K->first + i] == key) { v = c->ints.v[T->values + i]; found = 1; }
    if (!found && (T->flags & TABLE_HAS_DEFAULT)) { v = T->dflt; found = 1; }
    if (!found) { ERR(e->b, "table '%s' has no such key, and no default", c->strp.v[T->name]); return err_cv(); }
    rewind_to(c, m);
    return emit_const(c, vt, vt.t == T_STR ? 0 : v, vt.t == T_STR ? (uint32_t)v : NOSTR);
  }
  emit(c, OP_TGET, ti);
  return value(vt);
}

/* ---- quantifiers ----
 * `all t in C: body` compiles to one loop (opcodes.h): C, QALL (or QANY, QFALSE, QTRUE)
 * over it, the body reading t as a copy of the element the loop keeps, QNEXT. The
 * loop's most items (a set's size, a list or map field's `max`) is noted beside the
 * opening instruction for the worst-case cost. */
static CV cg_loop(Comp *c, Node *e, int op, Ty *elem) {
  const char *vn = c->d->files[e->file]->text + e->name_off;
  uint32_t vl = e->name_len;
  if (c->nbinds >= LIMIT_LOOPS) { ERR(e, "quantifiers nested too deeply (limit is %d)", LIMIT_LOOPS); return err_cv(); }
  if (bound(c, vn, vl) || sema_lookup(c, c->cur, vn, vl, VALUE_NAMES)) {
    ERR(e, "'%.*s' already names something here; give the quantifier's variable another name", (int)vl, vn);
    return err_cv();
  }
  if (c->cg_open_jumps >= LIMIT_OPEN_JUMPS) {
    ERR(e, "too many nested 'and', 'or' and quantifiers (limit is %d)", LIMIT_OPEN_JUMPS);
    return err_cv();
  }
  Node *coll = e->a;
  uint32_t n = 0, set = NONE32;
  uint8_t vmt = T_NONE;
  if (coll->kind == N_LIST) {      /* a literal list is a set built at compile time */
    if (!coll->a) { ERR(coll, "a quantifier over an empty list decides nothing"); return err_cv(); }
    int ok;
    set = cg_make_set(c, coll->a, TY_NONE, &ok);
    if (!ok) return err_cv();
  } else {
    Mark m = mark(c);
    CV v = cg(c, coll, TY_NONE);
    if (v.kind == CV_ERR) return v;
    if (v.kind == CV_SET) set = v.index;
    else if (v.kind == CV_TABLE) set = c->tables.v[v.index].keys;
    else if (v.kind == CV_VALUE && (v.ty.t == T_LIST || v.ty.t == T_MAP) && v.slot >= 0) {
      n = c->fields.v[v.slot].max_items;
      *elem = v.ty.t == T_MAP ? TY_STR : (Ty){v.ty.elem, 0, v.ty.levels};
      vmt = elem->t;
    } else {
      rewind_to(c, m);
      ERR(coll, "a quantifier ranges over a set, a table's keys, a list field or a map field's keys");
      return err_cv();
    }
    if (set != NONE32) rewind_to(c, m);
  }
  if (set != NONE32) {
    emit(c, OP_LDSET, set);
    n = c->sets.v[set].count;
    *elem = set < c->set_elem.n && c->set_elem.v[set].t != T_NONE ? c->set_elem.v[set]
            : (Ty){(uint8_t)c->sets.v[set].type, 0, 0};
    vmt = (uint8_t)c->sets.v[set].type;
  }
  uint32_t qpc = c->code.n;
  emit(c, op, 0);
  c->code_x.v[qpc] = n;
  c->binds[c->nbinds++] = (Bind){vn, vl, c->cg_depth, *elem, vmt};
  c->cg_open_jumps++;
  CV b = cg(c, e->b, TY_BOOL);
  c->cg_open_jumps--;
  c->nbinds--;
  if (b.kind == CV_ERR) return b;
  if (b.kind != CV_VALUE) { not_a_value(c, e->b, b.kind, b.index); return err_cv(); }
  if (b.ty.t != T_BOOL) { char b1[32]; ERR(e->b, "a quantifier's body is a bool, not %s", ty_name(b.ty, b1, 32)); return err_cv(); }
  uint32_t npc = c->code.n;
  emit(c, OP_QNEXT, npc - qpc - 1);
  c->code.v[qpc] = INSN(op, npc - qpc);
  if (op == OP_QFALSE || op == OP_QTRUE) {     /* the loop leaves the element */
    if (vmt != elem->t) emit(c, OP_CAST, elem->t);
    return value(*elem);
  }
  return value(TY_BOOL);
}

static CV cg(Comp *c, Node *e, Ty hint) {
  switch (e->kind) {
  case N_NAME: return cg_name(c, e, hint);
  case N_MEMBER: return cg_member(c, e);
  case N_BINARY: return cg_binary(c, e, hint);
  case N_CALL: return cg_call(c, e);
  case N_NOW: emit(c, OP_LDNOW, 0); return value(TY_TIME);
  case N_INT: return emit_const(c, TY_INT, e->ival, NOSTR);
  case N_DATE: case N_TIME: return emit_const(c, TY_TIME, e->ival, NOSTR);
  case N_DUR: return emit_const(c, TY_DUR, e->ival, NOSTR);
  case N_BOOL: return emit_const(c, TY_BOOL, e->ival, NOSTR);
  case N_STR: {
    uint32_t len; const char *s = comp_strlit(c, e, &len);
    return emit_const(c, TY_STR, 0, comp_str(c, s, len));
  }
  case N_PCT: ERR(e, "a percentage is not a value in an expression"); return err_cv();
  case N_LIST: ERR(e, "a list literal can only follow 'in'"); return err_cv();
  case N_UNARY: {
    Mark m = mark(c);
    CV v = cg(c, e->a, e->op == TK_NOT ? TY_BOOL : TY_NONE);
    if (v.kind != CV_VALUE) { not_a_value(c, e->a, v.kind, v.index); return err_cv(); }
    char b[32];
    if (e->op == TK_NOT) {
      if (v.ty.t != T_BOOL) { ERR(e, "'not' needs a bool, not %s", ty_name(v.ty, b, 32)); return err_cv(); }
      if (v.is_const) { rewind_to(c, m); return emit_const(c, TY_BOOL, !v.k, NOSTR); }
      emit(c, OP_NOT, 0);
      return value(TY_BOOL);
    }
    if (v.ty.t != T_INT && v.ty.t != T_DUR) { ERR(e, "cannot negate a %s", ty_name(v.ty, b, 32)); return err_cv(); }
    int64_t neg;
    if (v.is_const && vm_arith(OP_NEG, v.k, 0, &neg) == VM_OK) { rewind_to(c, m); return emit_const(c, v.ty, neg, NOSTR); }
    emit(c, OP_NEG, 0);
    if (v.ty.t != T_INT) emit(c, OP_CAST, v.ty.t);
    return value(v.ty);
  }
  case N_INDEX: {
    CV m = cg(c, e->a, TY_NONE);
    if (m.kind == CV_ERR) return m;
    if (m.kind == CV_TABLE) return cg_table_get(c, e, m.index);
    if (m.kind != CV_VALUE || m.ty.t != T_MAP) { ERR(e->a, "only maps and tables can be indexed"); return err_cv(); }
    CV k = cg(c, e->b, TY_STR);
    if (k.kind == CV_ERR) return k;
    if (k.kind != CV_VALUE || !is_strlike(k.ty)) { ERR(e->b, "map keys are strings"); return err_cv(); }
    emit_lookup(c, OP_INDEX, m.slot);
    return value((Ty){m.ty.elem, 0, m.ty.levels});
  }
  case N_QUANT: {
    Ty elem;
    CV v = cg_loop(c, e, e->op == TK_ALL ? OP_QALL : OP_QANY, &elem);
    if (v.kind == CV_VALUE && e->op == TK_NONE) emit(c, OP_NOT, 0);
    return v;
  }
  default:
    ERR(e, "not an expression");
    return err_cv();
  }
}

/* ---- programs and their worst-case cost ---- */

enum { COST_CAP = 1ull << 62 };
static uint64_t cost_add(uint64_t a, uint64_t b) { return a + b > COST_CAP ? COST_CAP : a + b; }
static uint64_t cost_mul(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_mul_overflow(a, b, &r) || r > COST_CAP ? COST_CAP : r;
}

/* The steps code [from, to) can cost beyond one pass over it (the VM charges a program
 * its length when it starts, vm.c): each loop goes round once per item after the first,
 * charged its body's length, at its most items (code_x beside the opening), and every
 * round pays again for the lookups inside; a lookup costs its field's max / 64. */
static uint64_t extra_cost(const Comp *c, uint32_t from, uint32_t to) {
  uint64_t w = 0;
  for (uint32_t pc = from; pc < to; pc += insn_words(c->code.v[pc])) {
    uint32_t op = INSN_OP(c->code.v[pc]);
    if (op == OP_QALL || op == OP_QANY || op == OP_QFALSE || op == OP_QTRUE) {
      uint32_t q = pc + INSN_ARG(c->code.v[pc]);   /* its QNEXT */
      uint64_t n = c->code_x.v[pc], inner = extra_cost(c, pc + 1, q);
      if (n) w = cost_add(w, cost_add(cost_mul(n - 1, q - pc), cost_mul(n, inner)));
      pc = q;
    } else w = cost_add(w, c->code_x.v[pc]);
  }
  return w;
}

/* Ends the program whose code starts at start and whose value has type ty: RET, the
 * record, its source location and its worst-case cost. */
static uint32_t finish_program(Comp *c, Node *e, uint32_t start, Ty ty, Ty *got) {
  uint32_t line, col;
  diag_linecol(c->d, e->file, e->off, &line, &col);
  emit(c, OP_RET, 0);
  BProgram p = {start, c->code.n - start, ty.t, (uint8_t)c->cg_max, ty.t == T_LEVEL ? ty.levels : 0, line, 0};
  p.file = comp_strz(c, c->d->files[e->file]->name);
  if (c->cg_max > LIMIT_STACK) comp_error(c, e, "expression needs too deep a stack (limit is %d)", LIMIT_STACK);
  VEC_PUSH(c->programs, p);
  while (c->prog_cost.n < c->programs.n - 1) VEC_PUSH(c->prog_cost, 0);
  VEC_PUSH(c->prog_cost, cost_add(p.len, extra_cost(c, start, c->code.n)));
  BSrcLoc loc = {start, p.file, line, 0};
  VEC_PUSH(c->srcmap, loc);
  if (got) *got = ty;
  return c->programs.n - 1;
}

uint32_t cg_program(Comp *c, Node *e, Ty want, Ty *got) {
  uint32_t start = c->code.n;
  c->cg_depth = 0; c->cg_max = 0; c->cg_reads_target = 0;
  int errors = c->d->errors;
  CV v = cg(c, e, want);
  if (v.kind != CV_VALUE) {
    not_a_value(c, e, v.kind, v.index);
    /* a failed expression must have said where: a gap here would otherwise surface
     * as an unlocated "bundle does not verify" */
    if (c->d->errors == errors) comp_error(c, e, "cannot compile this expression");
    c->code.n = start;
    return NONE32;
  }
  if (want.t != T_NONE && !ty_eq(v.ty, want)) {
    char b1[32], b2[32];
    comp_error(c, e, "expected %s, found %s", ty_label(c, want, b1, 32), ty_label(c, v.ty, b2, 32));
    c->code.n = start;
    return NONE32;
  }
  return finish_program(c, e, start, v.ty, got);
}

uint32_t cg_witness(Comp *c, Node *q, Ty *got) {
  uint32_t start = c->code.n;
  c->cg_depth = 0; c->cg_max = 0; c->cg_reads_target = 0;
  int errors = c->d->errors;
  Ty elem = TY_NONE;
  CV v = cg_loop(c, q, q->op == TK_ALL ? OP_QFALSE : OP_QTRUE, &elem);
  if (v.kind != CV_VALUE) {
    if (c->d->errors == errors) comp_error(c, q, "cannot compile this expression");
    c->code.n = start;
    return NONE32;
  }
  return finish_program(c, q, start, v.ty, got);
}
