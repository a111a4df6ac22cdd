/* The interpreter: runs one verified program over the context's input.
 *
 * The verifier has checked every operand index, jump target, stack depth and type, so
 * the loop below checks nothing but what only the data can tell: an unset field, a
 * missing map key, a zero divisor, an overflow. Programs jump forward, except where a
 * quantifier loop goes round (QNEXT), so a program without loops runs at most its
 * length in steps: the step limit is charged once per run (its length) and once per
 * round of a loop (the loop body's length), and the dispatch loop itself has no
 * per-instruction accounting. The operations
 * whose work grows with the input (searching a string, matching a glob, looking through
 * a list or map) charge one more step per VM_UNIT units of their work (bytes or items),
 * so a request-supplied megabyte costs steps, not unbounded time. */
#define _GNU_SOURCE 1   /* memmem */
#include <string.h>
#include "timefmt.h"
#include "vm.h"

/* Dispatch as in Lua's lvm.c: computed goto where the compiler has it, else a switch. */
#if defined(__GNUC__) && !defined(VM_NO_COMPUTED_GOTO)
#define VM_GOTO 1
#define vmdispatch(o) goto *disptab[o];
#define vmcase(l) L_##l:
#define vmbreak do { w = code[pc++]; goto *disptab[INSN_OP(w)]; } while (0)
#else
#define vmdispatch(o) switch (o)
#define vmcase(l) case OP_##l:
#define vmbreak break
#endif

static inline int str_eq(Value a, Value b) {
  /* Every string the bundle knows is interned on input, so if either side has an id
   * the ids decide; only two unknown strings need their bytes compared. */
  if (a.sid != NOSTR || b.sid != NOSTR) return a.sid == b.sid;
  return a.len == b.len && (a.len == 0 || !memcmp(a.u.p, b.u.p, a.len));
}

/* memmem is linear in both lengths (glibc's two-way search), whatever the bytes. */
static int contains(const char *h, size_t hn, const char *nd, size_t nn) {
  return nn == 0 || (nn <= hn && memmem(h, hn, nd, nn) != NULL);
}

/* Step over one UTF-8 character, so that `?` matches a character, not a byte. */
static size_t next_char(const char *s, size_t n, size_t i) {
  i++;
  while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80) i++;
  return i;
}

/* `*` matches any run, `?` one character; everything else itself. Greedy with one
 * backtrack point, so it needs no recursion but can take O(n·m) steps: it gives up,
 * returning -1, after *budget of them (and takes what it used from *budget). */
int vm_glob(const char *s, size_t n, const char *p, size_t pn, uint64_t *budget) {
  size_t si = 0, pi = 0, star = (size_t)-1, ss = 0;
  uint64_t left = *budget;
  while (si < n) {
    if (!left--) { *budget = 0; return -1; }
    if (pi < pn && p[pi] == '*') { star = pi++; ss = si; continue; }
    if (pi < pn && p[pi] == '?') { si = next_char(s, n, si); pi++; continue; }
    if (pi < pn && p[pi] == s[si]) { si++; pi++; continue; }
    if (star == (size_t)-1) return 0;
    pi = star + 1;
    si = ss = next_char(s, n, ss);
  }
  *budget = left;
  while (pi < pn && p[pi] == '*') pi++;
  return pi == pn;
}

int vm_matched(const aigw_ctx *c, uint32_t node) {
  uint32_t lo = 0, hi = c->nmatched;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (c->matched[mid] < node) lo = mid + 1;
    else hi = mid;
  }
  return lo < c->nmatched && c->matched[lo] == node;
}

/* The position of k among the n sorted members m, or n when it is not there. */
static uint32_t find_member(const int64_t *m, uint32_t n, int64_t k) {
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (m[mid] < k) lo = mid + 1;
    else hi = mid;
  }
  return lo < n && m[lo] == k ? lo : n;
}
static int in_members(const int64_t *m, uint32_t n, int64_t k) { return find_member(m, n, k) < n; }

/* a in set s: by id for a string set (an unknown string is in none), else by value */
static inline int in_set(const Bundle *b, const BSet *s, Value a) {
  if (s->type == T_STR || s->type == T_SCOPE) return a.sid != NOSTR && in_members(b->members + s->first, s->count, a.sid);
  return in_members(b->members + s->first, s->count, a.u.i);
}

/* A string constant of the bundle as a value. */
static inline Value str_value(const Bundle *b, uint32_t id) {
  Value v;
  v.u.p = bundle_str(b, id); v.len = bundle_strlen(b, id); v.sid = id;
  return v;
}

/* ---- quantifier iterators ----
 * An iterator is a value: i is its position (an item index for a list or map, a member
 * index for a set), len the slot or set it walks, and sid its quantifier (QALL + mode)
 * and what it walks (ITER_LIST, ITER_MAP, ITER_SET, shifted by 2). */
enum { ITER_LIST, ITER_MAP, ITER_SET };

static inline Value iter_elem(const aigw_ctx *c, Value it) {
  uint32_t kind = it.sid >> 2;
  if (kind == ITER_SET) {
    const BSet *s = &c->b->sets[it.len];
    int64_t m = c->b->members[s->first + (uint32_t)it.u.i];
    if (s->type == T_STR) return str_value(c->b, (uint32_t)m);
    Value v = {.u.i = m, .len = 0, .sid = NOSTR};
    return v;
  }
  const Item *x = &c->items[it.u.i];
  return kind == ITER_MAP ? x->key : x->val;
}

/* Moves the iterator to its next element; 0 when there is none. */
static inline int iter_next(const aigw_ctx *c, Value *it) {
  if (it->sid >> 2 == ITER_SET) {
    if ((uint64_t)it->u.i + 1 >= c->b->sets[it->len].count) return 0;
    it->u.i++;
    return 1;
  }
  uint32_t nx = c->items[it->u.i].next;
  if (nx == NONE32) return 0;
  it->u.i = nx;
  return 1;
}

/* The item of map slot s under key k, or NULL. */
static const Item *map_find(const aigw_ctx *c, uint32_t s, Value k) {
  for (uint32_t i = c->slots[s].head; i != NONE32; i = c->items[i].next)
    if (str_eq(c->items[i].key, k)) return &c->items[i];
  return NULL;
}

/* Charges work units to the step limit: one step per VM_UNIT. 0, or -1 past the limit. */
enum { VM_UNIT = 64 };
static inline int charge(aigw_ctx *c, uint64_t units) {
  c->steps += units / VM_UNIT;
  return c->steps > c->bh->cfg.step_limit ? -1 : 0;
}
/* What is left of the step limit, in work units. */
static inline uint64_t units_left(const aigw_ctx *c) {
  uint64_t lim = c->bh->cfg.step_limit;
  return c->steps >= lim ? 0 : (lim - c->steps) * VM_UNIT;
}

static int list_has(const aigw_ctx *c, uint32_t s, Value a) {
  uint8_t elem = c->b->fields[s].elem;
  int strs = elem == T_STR || elem == T_SCOPE;
  for (uint32_t i = c->slots[s].head; i != NONE32; i = c->items[i].next) {
    Value v = c->items[i].val;
    if (strs ? str_eq(v, a) : v.u.i == a.u.i) return 1;
  }
  return 0;
}

#define FAIL(code_) do { r_ = c->err.code = (code_); goto done; } while (0)

/* The interpreter, for both entries below: one program (hits NULL), or the condition
 * of every guardrail marked in c->grmark, in index order, listing in hits those that
 * do not give false. A batch runs in one frame: most conditions are a few
 * instructions, and a call apiece cost about as much as running them. */
static int interp(aigw_ctx *c, const uint32_t *code, uint32_t len, Value *out, VmHit *hits, uint32_t *nhits) {
  const Bundle *b = c->b;
  const uint64_t limit = c->bh->cfg.step_limit;
  Value *sp = c->stack;               /* next free slot; the top is sp[-1] */
  uint32_t pc = 0, w, g = 0, gw = 0, nh = 0;
  uint64_t bits = 0;
  Value x, res;
  int r_;
#ifdef VM_GOTO
  static const void *const disptab[] = {
#define OP(name, ...) [OP_##name] = &&L_##name,
    OPCODES(OP)
#undef OP
  };
  _Static_assert(sizeof disptab / sizeof disptab[0] == OP__COUNT, "one dispatch entry per opcode");
#endif
  if (hits) { out = &res; goto next; }
  c->steps += len;
  if (c->steps > limit) { c->err.code = VM_ERR_LIMIT; return VM_ERR_LIMIT; }
run:
  for (;;) {
    w = code[pc++];
    vmdispatch(INSN_OP(w)) {
      vmcase(LDF) {                   /* push input[slot]; error if unset */
        int e_ = vm_field(c, INSN_ARG(w), sp);
        if (e_) { c->err.slot = INSN_ARG(w); FAIL(e_); }
        sp++;
        vmbreak;
      }
      vmcase(HAS) {                   /* push input[slot] is set */
        sp->u.i = c->slots[INSN_ARG(w)].set != 0; sp->sid = NOSTR; sp++;
        vmbreak;
      }
      vmcase(LDI) { sp->u.i = b->ints[INSN_ARG(w)]; sp->sid = NOSTR; sp++; vmbreak; }
      vmcase(LDS) { *sp++ = str_value(b, INSN_ARG(w)); vmbreak; }
      vmcase(LDB) { sp->u.i = INSN_ARG(w) != 0; sp->sid = NOSTR; sp++; vmbreak; }
      vmcase(LDNOW) { sp->u.i = c->now; sp->sid = NOSTR; sp++; vmbreak; }
      vmcase(CAST) { vmbreak; }       /* types are static: nothing to do at run time */
      /* numbers: one definition of each operation, shared with constant folding */
#define BINOP(NAME) \
      vmcase(NAME) { \
        int e_ = vm_arith(OP_##NAME, sp[-2].u.i, sp[-1].u.i, &x.u.i); \
        if (e_) FAIL(e_); \
        sp--; sp[-1].u.i = x.u.i; \
        vmbreak; \
      }
      BINOP(EQ) BINOP(NE) BINOP(LT) BINOP(LE) BINOP(GT) BINOP(GE)
      BINOP(ADD) BINOP(SUB) BINOP(MUL) BINOP(DIV)
#undef BINOP
      vmcase(SEQ) { sp--; sp[-1].u.i = str_eq(sp[-1], sp[0]); sp[-1].sid = NOSTR; vmbreak; }
      vmcase(SNE) { sp--; sp[-1].u.i = !str_eq(sp[-1], sp[0]); sp[-1].sid = NOSTR; vmbreak; }
      /* against a constant, which has an id: str_eq is the ids' equality */
      vmcase(SEQK) { sp[-1].u.i = sp[-1].sid == INSN_ARG(w); sp[-1].sid = NOSTR; vmbreak; }
      vmcase(SNEK) { sp[-1].u.i = sp[-1].sid != INSN_ARG(w); sp[-1].sid = NOSTR; vmbreak; }
      vmcase(NEG) {
        int e_ = vm_arith(OP_NEG, sp[-1].u.i, 0, &x.u.i);
        if (e_) FAIL(e_);
        sp[-1].u.i = x.u.i;
        vmbreak;
      }
      vmcase(NOT) { sp[-1].u.i = !sp[-1].u.i; vmbreak; }
      vmcase(INSET) {                 /* push a in sets[arg]: binary search on id or value */
        sp[-1].u.i = in_set(b, &b->sets[INSN_ARG(w)], sp[-1]);
        sp[-1].sid = NOSTR;
        vmbreak;
      }
      /* LDF and a compare with a constant in one dispatch: the second word is the
       * constant (the verifier checked it like the operand of SEQK, SNEK or INSET) */
#define FUSED(NAME, TEST) \
      vmcase(NAME) { \
        int e_ = vm_field(c, INSN_ARG(w), sp); \
        if (e_) { c->err.slot = INSN_ARG(w); FAIL(e_); } \
        uint32_t k = code[pc++]; \
        sp->u.i = (TEST); sp->sid = NOSTR; sp++; \
        vmbreak; \
      }
      FUSED(FSEQK, sp->sid == k) FUSED(FSNEK, sp->sid != k) FUSED(FINSET, in_set(b, &b->sets[k], *sp))
#undef FUSED
      vmcase(INLIST) {                /* push a in list b */
        sp--;
        if (charge(c, c->slots[sp[0].u.i].v.len)) FAIL(VM_ERR_LIMIT);
        sp[-1].u.i = list_has(c, (uint32_t)sp[0].u.i, sp[-1]);
        sp[-1].sid = NOSTR;
        vmbreak;
      }
      vmcase(HASKEY) {                /* push map b has key a */
        sp--;
        if (charge(c, c->slots[sp[0].u.i].v.len)) FAIL(VM_ERR_LIMIT);
        sp[-1].u.i = map_find(c, (uint32_t)sp[0].u.i, sp[-1]) != NULL;
        sp[-1].sid = NOSTR;
        vmbreak;
      }
      vmcase(INDEX) {                 /* push map a[b]; error if missing */
        sp--;
        if (charge(c, c->slots[sp[-1].u.i].v.len)) FAIL(VM_ERR_LIMIT);
        const Item *it = map_find(c, (uint32_t)sp[-1].u.i, sp[0]);
        if (!it) { c->err.slot = (uint32_t)sp[-1].u.i; c->err.key = sp[0]; FAIL(VM_ERR_NOKEY); }
        sp[-1] = it->val;
        vmbreak;
      }
      vmcase(UNDER) {                 /* the operand is the request scope: the matched set decides */
        if (c->scope_unknown != NONE32) { c->err.slot = c->scope_unknown; FAIL(VM_ERR_SCOPE); }
        sp[-1].u.i = vm_matched(c, INSN_ARG(w));
        sp[-1].sid = NOSTR;
        vmbreak;
      }
      vmcase(STARTS) {
        sp--;
        Value a = sp[-1], s = sp[0];
        sp[-1].u.i = a.len >= s.len && (s.len == 0 || !memcmp(a.u.p, s.u.p, s.len));
        sp[-1].sid = NOSTR;
        vmbreak;
      }
      vmcase(ENDS) {
        sp--;
        Value a = sp[-1], s = sp[0];
        sp[-1].u.i = a.len >= s.len && (s.len == 0 || !memcmp(a.u.p + a.len - s.len, s.u.p, s.len));
        sp[-1].sid = NOSTR;
        vmbreak;
      }
      vmcase(CONTAINS) {
        sp--;
        Value a = sp[-1], s = sp[0];
        if (charge(c, (uint64_t)a.len + s.len)) FAIL(VM_ERR_LIMIT);
        sp[-1].u.i = contains(a.u.p, a.len, s.u.p, s.len);
        sp[-1].sid = NOSTR;
        vmbreak;
      }
      vmcase(GLOB) {
        sp--;
        Value a = sp[-1], s = sp[0];
        uint64_t left = units_left(c), had = left;
        int m = vm_glob(a.u.p, a.len, s.u.p, s.len, &left);
        if (m < 0 || charge(c, had - left)) FAIL(VM_ERR_LIMIT);
        sp[-1].u.i = m;
        sp[-1].sid = NOSTR;
        vmbreak;
      }
      vmcase(LEN) { sp[-1].u.i = sp[-1].len; sp[-1].sid = NOSTR; vmbreak; }
      vmcase(JFK) { if (!sp[-1].u.i) pc += INSN_ARG(w); else sp--; vmbreak; }
      vmcase(JTK) { if (sp[-1].u.i) pc += INSN_ARG(w); else sp--; vmbreak; }
      vmcase(POP) { sp--; vmbreak; }
      vmcase(RET) { *out = sp[-1]; r_ = VM_OK; goto done; }
      vmcase(PICK) { *sp = sp[-1 - (int32_t)INSN_ARG(w)]; sp++; vmbreak; }
      vmcase(LDSET) {
        sp->u.i = INSN_ARG(w); sp->len = b->sets[INSN_ARG(w)].count; sp->sid = SID_SETV; sp++;
        vmbreak;
      }
      vmcase(QALL) vmcase(QANY) vmcase(QFALSE) vmcase(QTRUE) {
        /* open a loop over a list, a map's keys or a set: [coll] -> [it elem] */
        uint32_t mode = INSN_OP(w) - OP_QALL, kind;
        Value it = {.u.i = 0, .len = (uint32_t)sp[-1].u.i, .sid = 0};
        int empty;
        if (sp[-1].sid == SID_SETV) { kind = ITER_SET; empty = b->sets[it.len].count == 0; }
        else {
          kind = b->fields[it.len].type == T_MAP ? ITER_MAP : ITER_LIST;
          it.u.i = c->slots[it.len].head;
          empty = it.u.i == NONE32;
        }
        if (empty) {                  /* nothing to decide: all holds, any does not */
          if (mode >= 2) FAIL(VM_ERR_WITNESS);
          sp[-1].u.i = mode == 0; sp[-1].sid = NOSTR;
          pc += INSN_ARG(w);
          vmbreak;
        }
        it.sid = mode | kind << 2;
        sp[-1] = it;
        *sp++ = iter_elem(c, it);
        vmbreak;
      }
      vmcase(QNEXT) {                 /* [it elem b]: leave with the result, or go round */
        Value *it = &sp[-3];
        uint32_t mode = it->sid & 3;
        int bv = sp[-1].u.i != 0;
        /* all (and the search for a false body) stops at false, any at true */
        if (bv != (mode == 0 || mode == 2)) {
          if (mode < 2) { it->u.i = bv; it->len = 0; it->sid = NOSTR; }
          else *it = sp[-2];
          sp -= 2;
          vmbreak;
        }
        if (!iter_next(c, it)) {
          if (mode >= 2) FAIL(VM_ERR_WITNESS);
          it->u.i = bv; it->len = 0; it->sid = NOSTR;
          sp -= 2;
          vmbreak;
        }
        /* the body runs again: its length is charged, as the program's was */
        c->steps += INSN_ARG(w) + 1;
        if (c->steps > c->bh->cfg.step_limit) FAIL(VM_ERR_LIMIT);
        sp[-2] = iter_elem(c, *it);
        sp--;
        pc -= INSN_ARG(w) + 1;
        vmbreak;
      }
      vmcase(TGET) {                  /* push tables[arg][a] */
        const BTable *t = &b->tables[INSN_ARG(w)];
        const BSet *keys = &b->sets[t->keys];
        Value a = sp[-1];
        uint32_t at = keys->count;
        if (keys->type != T_STR) at = find_member(b->members + keys->first, keys->count, a.u.i);
        else if (a.sid != NOSTR) at = find_member(b->members + keys->first, keys->count, a.sid);
        int64_t v;
        if (at < keys->count) v = b->ints[t->values + at];
        else if (t->flags & TABLE_HAS_DEFAULT) v = t->dflt;
        else { c->err.slot = INSN_ARG(w); c->err.key = a; FAIL(VM_ERR_TABLE); }
        if (t->type == T_STR) sp[-1] = str_value(b, (uint32_t)v);
        else { sp[-1].u.i = v; sp[-1].len = 0; sp[-1].sid = NOSTR; }
        vmbreak;
      }
      vmcase(TOTIME) {                /* the one parser of dates and times (timefmt.h) */
        Value a = sp[-1];
        int64_t t;
        if (rt_parse_time(a.u.p, a.len, 1, &t) && rt_parse_date(a.u.p, a.len, &t)) { c->err.key = a; FAIL(VM_ERR_CONVERT); }
        sp[-1].u.i = t; sp[-1].len = 0; sp[-1].sid = NOSTR;
        vmbreak;
      }
      vmcase(BUSED) {                 /* usage the host supplied with this input */
        uint32_t k = INSN_ARG(w);
        if (c->busage_gen[k] != c->input_gen) { c->err.slot = k; FAIL(VM_ERR_USAGE); }
        sp->u.i = c->busage[k]; sp->len = 0; sp->sid = NOSTR; sp++;
        vmbreak;
      }
#ifndef VM_GOTO
      default: FAIL(VM_ERR_LIMIT);    /* unreachable in verified code */
#endif
    }
  }
done:
  if (!hits || r_ == VM_ERR_LIMIT) return r_;
  if (r_ != VM_OK || out->u.i) {
    hits[nh].g = g; hits[nh].r = r_;
    if (r_) hits[nh].e = c->err;
    nh++;
  }
next:
  while (!bits) {
    if (gw == (b->nguardrails + 63) / 64) { *nhits = nh; return VM_OK; }
    bits = c->grmark[gw++];
  }
  g = (gw - 1) * 64 + (uint32_t)__builtin_ctzll(bits);
  bits &= bits - 1;
  /* a scope that cannot be judged: a guardrail restricted to scopes cannot tell */
  if (c->scope_unknown != NONE32 && (b->guardrails[g].flags & GR_SCOPED)) {
    c->err.slot = c->scope_unknown;
    FAIL(VM_ERR_SCOPE);
  }
  const struct GCond *gc = &c->bh->gcond[g];
  code = gc->len <= GCOND_INLINE ? gc->code : b->code + gc->start;
  /* A condition that opens with `field == "k" and`: where the field holds k, FSEQK
   * would push true and JFK drop it, so it goes on from the third word. A guarded
   * guardrail is active because its field holds its value: its test is not repeated. */
  Value opened;
  if (gc->slot != NONE32 && vm_field(c, gc->slot, &opened) == VM_OK && opened.sid == gc->sid) code += 3;
  c->steps += gc->len;
  if (c->steps > limit) { c->err.code = VM_ERR_LIMIT; return VM_ERR_LIMIT; }
  sp = c->stack;
  pc = 0;
  goto run;
}

int vm_exec(aigw_ctx *c, const uint32_t *code, uint32_t len, Value *out) {
  return interp(c, code, len, out, NULL, NULL);
}

int vm_conds(aigw_ctx *c, VmHit *hits, uint32_t *nhits) {
  return interp(c, NULL, 0, NULL, hits, nhits);
}

/* The guardrails' condition entries (vm.h), at load; -1 out of memory. */
int vm_load_conds(struct aigw_bundle *bh) {
  const Bundle *b = &bh->b;
  _Static_assert(sizeof *bh->gcond == 64, "a guardrail's condition is one cache line");
  if (!b->nguardrails) return 0;
  if (!(bh->gcond_mem = rt_alloc(bh, NULL, 0, (size_t)b->nguardrails * sizeof *bh->gcond + 64))) return -1;
  bh->gcond = (struct GCond *)(((uintptr_t)bh->gcond_mem + 63) & ~(uintptr_t)63);
  for (uint32_t g = 0; g < b->nguardrails; g++) {
    const BProgram *P = &b->programs[b->guardrails[g].cond];
    const uint32_t *w = b->code + P->start;
    int opens = P->len > 3 && INSN_OP(w[0]) == OP_FSEQK && INSN_OP(w[2]) == OP_JFK;
    struct GCond *k = &bh->gcond[g];
    memset(k, 0, sizeof *k);
    k->start = P->start; k->len = P->len;
    k->slot = opens ? INSN_ARG(w[0]) : NONE32; k->sid = opens ? w[1] : 0;
    if (P->len <= GCOND_INLINE) memcpy(k->code, w, P->len * sizeof *w);
  }
  return 0;
}
