/* The bundle verifier. Every bundle is hostile until this returns 0: it checks the
 * header and checksum, then every section's bounds, every index and range, every
 * hash table's termination, and every program by abstract interpretation (operand
 * types, stack depth, forward-only jump targets, the type of what RET returns). After
 * that the VM's loop trusts the bundle and only asserts. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "bundle.h"
#include "msgtpl.h"
#include "sha256.h"

typedef struct V { const uint8_t *d; size_t n; Bundle *b; char *err; size_t errlen; } V;

static int fail(V *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(V *v, const char *fmt, ...) {
  if (v->err && v->errlen) {
    va_list ap; va_start(ap, fmt);
    vsnprintf(v->err, v->errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

#define CHECK(cond, ...) do { if (!(cond)) return fail(v, __VA_ARGS__); } while (0)
#define STR_OK(id) ((id) < b->nstrings)
#define OPT_STR_OK(id) ((id) == NOSTR || (id) < b->nstrings)
#define RANGE_OK(first, count, total) ((uint64_t)(first) + (count) <= (total))

static int sections(V *v) {
  const BHeader *h = (const BHeader *)v->d;
  Bundle *b = v->b;
  CHECK(h->nsections <= SEC__MAX, "too many sections (%u)", h->nsections);
  CHECK(sizeof *h + (size_t)h->nsections * sizeof(BSection) <= v->n, "truncated section table");
  const BSection *tab = (const BSection *)(v->d + sizeof *h);
  const void *ptr[SEC__MAX] = {0};
  uint32_t size[SEC__MAX] = {0};
  for (uint32_t i = 0; i < h->nsections; i++) {
    const BSection *s = &tab[i];
    CHECK(s->id >= 1 && s->id < SEC__MAX, "unknown section id %u", s->id);
    CHECK(!ptr[s->id], "section %u appears twice", s->id);
    CHECK(s->offset % 8 == 0, "section %u is misaligned", s->id);
    CHECK(s->offset >= sizeof *h + (size_t)h->nsections * sizeof(BSection) && (uint64_t)s->offset + s->size <= v->n,
          "section %u lies outside the file", s->id);
    ptr[s->id] = v->d + s->offset;
    size[s->id] = s->size;
  }
  for (uint32_t id = 1; id < SEC__MAX; id++) CHECK(ptr[id], "section %u is missing", id);
#define ARRAY(id, field, count, T) do { \
    CHECK(size[id] % sizeof(T) == 0, "section %u: size %u is not a whole number of records", id, size[id]); \
    b->field = (const T *)ptr[id]; b->count = (uint32_t)(size[id] / sizeof(T)); } while (0)
  /* strings: u32 n, u32 off[n+1], bytes */
  CHECK(size[SEC_STRINGS] >= 8, "string table truncated");
  const uint32_t *st = ptr[SEC_STRINGS];
  b->nstrings = st[0];
  CHECK(b->nstrings < LIMIT_STRINGS, "too many strings (%u)", b->nstrings);
  CHECK(((uint64_t)b->nstrings + 2) * 4 <= size[SEC_STRINGS], "string table truncated");
  b->str_off = st + 1;
  b->str_bytes = (const char *)(st + 2 + b->nstrings);
  uint64_t nbytes = size[SEC_STRINGS] - ((uint64_t)b->nstrings + 2) * 4;
  CHECK(b->str_off[0] == 0, "string table does not start at 0");
  for (uint32_t i = 0; i < b->nstrings; i++) {
    CHECK(b->str_off[i + 1] > b->str_off[i] && b->str_off[i + 1] <= nbytes, "string %u out of bounds", i);
    CHECK(b->str_bytes[b->str_off[i + 1] - 1] == 0, "string %u is not terminated", i);
  }
  CHECK(size[SEC_STRHASH] >= 4, "string hash truncated");
  const uint32_t *sh = ptr[SEC_STRHASH];
  b->nbuckets = sh[0]; b->strhash = sh + 1;
  CHECK(b->nbuckets && !(b->nbuckets & (b->nbuckets - 1)) && ((uint64_t)b->nbuckets + 1) * 4 == size[SEC_STRHASH],
        "string hash has a bad size");
  CHECK(b->nbuckets > b->nstrings, "string hash is full");  /* an empty bucket ends every probe */
  for (uint32_t i = 0; i < b->nbuckets; i++)
    CHECK((b->strhash[i] & STRHASH_ID_MASK) <= b->nstrings && (b->strhash[i] & STRHASH_ID_MASK || !b->strhash[i]),
          "string hash bucket %u out of range", i);
#define REC(N, v, T, sz, m) ARRAY(SEC_##N, m, n##m, T);
#define RAW(n, v)
  SECTIONS(REC, RAW)
#undef REC
#undef RAW
  CHECK(size[SEC_META] == sizeof(BMeta), "metadata has the wrong size");
  b->meta = ptr[SEC_META];
#undef ARRAY
  return 0;
}

static int valid_type(uint32_t t) { return t > T_NONE && t < T__COUNT; }
static int is_num(uint8_t t) { return t == T_INT || t == T_TIME || t == T_DUR || t == T_LEVEL || t == T_BOOL; }
static int is_strlike(uint8_t t) { return t == T_STR || t == T_SCOPE; }
/* What set s can be searched for: strings in a set of strings, numbers in a set of ints. */
static int set_takes(const Bundle *b, uint32_t s, uint8_t t) { return b->sets[s].type == T_STR ? is_strlike(t) : is_num(t); }

static int tables(V *v) {
  Bundle *b = v->b;
  for (uint32_t i = 0; i < b->nsets; i++) {
    const BSet *s = &b->sets[i];
    CHECK(s->type == T_STR || s->type == T_INT, "set %u has a bad type", i);
    CHECK(RANGE_OK(s->first, s->count, b->nmembers), "set %u out of bounds", i);
    for (uint32_t j = 0; j < s->count; j++) {
      int64_t m = b->members[s->first + j];
      CHECK(j == 0 || b->members[s->first + j - 1] < m, "set %u is not sorted", i);
      CHECK(s->type != T_STR || (m >= 0 && m < b->nstrings), "set %u holds a bad string id", i);
    }
  }
  CHECK(b->nfields <= LIMIT_FIELDS, "too many fields");
  for (uint32_t i = 0; i < b->nfields; i++) {
    const BField *f = &b->fields[i];
    CHECK(STR_OK(f->name), "field %u has a bad name", i);
    CHECK(valid_type(f->type), "field %u has a bad type", i);
    if (f->type == T_LIST || f->type == T_MAP)
      CHECK(valid_type(f->elem) && f->elem != T_LIST && f->elem != T_MAP && f->elem != T_BOOL, "field %u has a bad element type", i);
    if (f->type == T_LEVEL || ((f->type == T_LIST || f->type == T_MAP) && f->elem == T_LEVEL))
      CHECK(f->levels < b->nlevels, "field %u names a bad levels table", i);
    CHECK(f->role <= FIELD_ROLE_REGION, "field %u has a bad role", i);
    CHECK(f->role != FIELD_ROLE_SCOPE || f->type == T_SCOPE, "scope field %u is not a scope", i);
    CHECK(f->role != FIELD_ROLE_ANCESTORS || (f->type == T_LIST && f->elem == T_SCOPE), "ancestors field %u is not list<scope>", i);
    CHECK(f->role < FIELD_ROLE_PROVIDER || f->type == T_STR, "target field %u is not a string", i);
    CHECK((f->type == T_LIST || f->type == T_MAP) ? f->max_items >= 1 && f->max_items <= LIMIT_ITEMS : f->max_items == 0,
          "field %u has a bad item limit", i);
  }
  for (uint32_t i = 0; i < b->ntables; i++) {
    const BTable *t = &b->tables[i];
    CHECK(STR_OK(t->name) && t->keys < b->nsets, "table %u has a bad name or key set", i);
    uint32_t n = b->sets[t->keys].count;
    CHECK(RANGE_OK(t->values, n, b->nints), "table %u has values out of bounds", i);
    CHECK(t->type == T_BOOL || t->type == T_INT || t->type == T_STR || t->type == T_TIME || t->type == T_DUR ||
          t->type == T_LEVEL, "table %u has a bad value type", i);
    CHECK(t->type != T_LEVEL || t->levels < b->nlevels, "table %u names a bad levels table", i);
    CHECK(t->flags <= TABLE_HAS_DEFAULT, "table %u has a bad flag", i);
    if (t->type == T_STR) {
      for (uint32_t j = 0; j < n; j++)
        CHECK(b->ints[t->values + j] >= 0 && b->ints[t->values + j] < b->nstrings, "table %u holds a bad string id", i);
      CHECK(!(t->flags & TABLE_HAS_DEFAULT) || (t->dflt >= 0 && t->dflt < b->nstrings), "table %u has a bad default", i);
    }
  }
  for (uint32_t i = 0; i < b->nlevels; i++) {
    const BLevels *l = &b->levels[i];
    CHECK(STR_OK(l->name) && RANGE_OK(l->first, l->count, b->nu32s), "levels %u out of bounds", i);
    for (uint32_t j = 0; j < l->count; j++) CHECK(STR_OK(b->u32s[l->first + j]), "levels %u has a bad name", i);
  }
  CHECK(b->nnodes >= 1 && b->nnodes <= LIMIT_NODES, "scope trie has a bad size");
  CHECK(b->nodes[0].parent == NONE32, "scope trie root has a parent");
  for (uint32_t i = 0; i < b->nnodes; i++) {
    const BNode *n = &b->nodes[i];
    CHECK(STR_OK(n->segment) && OPT_STR_OK(n->scope_text), "scope node %u has a bad string", i);
    CHECK(i == 0 || n->parent < i, "scope node %u has a bad parent", i);
    CHECK(n->wild <= 1, "scope node %u has a bad flag", i);
    CHECK(RANGE_OK(n->wild_first, n->wild_count, b->nu32s) && RANGE_OK(n->gr_first, n->gr_count, b->nu32s) &&
          RANGE_OK(n->anc_first, n->anc_count, b->nu32s) && RANGE_OK(n->ex_first, n->ex_count, b->nexindex),
          "scope node %u has a list out of bounds", i);
    for (uint32_t j = 0; j < n->wild_count; j++) {
      uint32_t w = b->u32s[n->wild_first + j];
      CHECK(w < b->nnodes && b->nodes[w].parent == i && b->nodes[w].wild, "scope node %u has a bad glob child", i);
    }
    for (uint32_t j = 0; j < n->gr_count; j++) CHECK(b->u32s[n->gr_first + j] < b->nguardrails, "scope node %u names a bad guardrail", i);
    for (uint32_t j = 0; j < n->anc_count; j++) CHECK(b->u32s[n->anc_first + j] < b->nnodes, "scope node %u has a bad ancestor", i);
    for (uint32_t j = 0; j < n->ex_count; j++) CHECK(b->exindex[n->ex_first + j].node == i, "scope node %u has a bad exemption range", i);
  }
  CHECK(b->nedges >= 1 && !(b->nedges & (b->nedges - 1)), "edge table size is not a power of two");
  uint32_t empty = 0;
  for (uint32_t i = 0; i < b->nedges; i++) {
    const BEdge *e = &b->edges[i];
    if (e->child == NONE32) { empty++; continue; }
    CHECK(e->child > 0 && e->child < b->nnodes && b->nodes[e->child].parent == e->parent && !b->nodes[e->child].wild &&
          e->seg == b->str_off[b->nodes[e->child].segment] && edge_key(e->key, bundle_strlen(b, b->nodes[e->child].segment)) == e->key,
          "edge %u is inconsistent", i);
  }
  CHECK(empty > 0, "edge table is full");
  for (uint32_t i = 0; i < b->nexindex; i++) {
    const BExRef *r = &b->exindex[i];
    CHECK(r->node < b->nnodes && r->guardrail < b->nguardrails && r->exemption < b->nexemptions, "exemption index entry %u out of range", i);
    if (i) {
      const BExRef *p = &b->exindex[i - 1];
      CHECK(p->node < r->node || (p->node == r->node && (p->guardrail < r->guardrail ||
            (p->guardrail == r->guardrail && p->exemption < r->exemption))), "exemption index is not sorted at %u", i);
    }
  }
  return 0;
}

/* An operand's type. An iterator (T_ITER) carries the type of the element it yields in
 * elem and its quantifier (0 QALL, 1 QANY, 2 QFALSE, 3 QTRUE) in mode. */
typedef struct Slot { uint8_t t, elem, mode; } Slot;

/* Does an operand of type got fit the opcode table's want (opcodes.h)? first is the
 * deeper operand, which T_SAMENUM must equal. */
static int fits(uint8_t want, Slot got, Slot first) {
  switch (want) {
  case T_NONE: case T_ANY: return 1;
  case T_NUM: return is_num(got.t);
  case T_SAMENUM: return is_num(got.t) && got.t == first.t;
  case T_STRLIKE: return is_strlike(got.t);
  case T_COLL: return got.t == T_LIST || got.t == T_MAP || got.t == T_SETV;
  default: return got.t == want;
  }
}

/* Forward jumps not yet reached, with the stack they expect at their target. Nesting
 * of and/or bounds how many are open at once. */
enum { MAX_PENDING = LIMIT_OPEN_JUMPS };
typedef struct Pending { uint32_t target; int sp; Slot st[LIMIT_STACK]; } Pending;

/* An open quantifier loop: QALL (or QANY, QFALSE, QTRUE) at start, its QNEXT at end, and
 * the stack depth its body starts at, below which the body may not reach. */
typedef struct Loop { uint32_t start, end; int floor; } Loop;

/* What an iterator over a collection of type coll yields. */
static uint8_t elem_of(Slot coll) { return coll.t == T_MAP ? T_STR : coll.elem; }

/* One program: a linear pass is enough because jumps only go forward, except the one
 * backward jump of each quantifier loop. A loop is admitted only as a single-entry,
 * single-exit region: its opening instruction's exit lands right after its QNEXT, whose
 * jump back lands right after the opening; no jump enters the body from outside or
 * leaves it; the body never pops below the iterator and element the opening pushed, so
 * the state at the jump back is the state the body started with. Every jump back then
 * advances that iterator, and the program terminates. The state at a forward jump
 * target must equal the fall-through state (or, after RET, becomes it). */
static int program(V *v, uint32_t pi) {
  Bundle *b = v->b;
  const BProgram *p = &b->programs[pi];
  Slot st[LIMIT_STACK];
  Pending pend[MAX_PENDING];
  Loop loops[LIMIT_LOOPS];
  int npend = 0, nloops = 0;
  CHECK(p->len >= 1 && RANGE_OK(p->start, p->len, b->ncode), "program %u is out of bounds", pi);
  CHECK(STR_OK(p->file), "program %u has a bad source file", pi);
  CHECK(valid_type(p->result) && (p->result != T_LEVEL || p->reserved < b->nlevels), "program %u has a bad result type", pi);
  int sp = 0, maxsp = 0, live = 1;
  for (uint32_t k = 0; k < p->len; k++) {
    uint32_t pc = p->start + k, w = b->code[pc], op = INSN_OP(w), arg = INSN_ARG(w);
    for (int j = 0; j < npend; j++) {
      if (pend[j].target != k) continue;
      if (live) CHECK(pend[j].sp == sp && !memcmp(pend[j].st, st, sizeof *st * (size_t)sp),
                      "stack differs at jump target pc %u in program %u", pc, pi);
      else { sp = pend[j].sp; memcpy(st, pend[j].st, sizeof *st * (size_t)sp); live = 1; }
      pend[j--] = pend[--npend];
    }
    CHECK(live, "unreachable instruction at pc %u in program %u", pc, pi);
    CHECK(op < OP__COUNT, "bad opcode %u at pc %u in program %u", op, pc, pi);
    const OpInfo *oi = &vm_opinfo[op];
    switch (oi->arg) {
    case ARG_NONE: CHECK(arg == 0, "stray operand at pc %u in program %u", pc, pi); break;
    case ARG_SLOT: CHECK(arg < b->nfields, "bad field %u at pc %u in program %u", arg, pc, pi); break;
    case ARG_INT: CHECK(arg < b->nints, "bad constant %u at pc %u in program %u", arg, pc, pi); break;
    case ARG_STR: CHECK(arg < b->nstrings, "bad string %u at pc %u in program %u", arg, pc, pi); break;
    case ARG_SET: CHECK(arg < b->nsets, "bad set %u at pc %u in program %u", arg, pc, pi); break;
    case ARG_NODE: CHECK(arg < b->nnodes, "bad scope node %u at pc %u in program %u", arg, pc, pi); break;
    case ARG_TABLE: CHECK(arg < b->ntables, "bad table %u at pc %u in program %u", arg, pc, pi); break;
    case ARG_BUDGET: CHECK(arg < b->nbudgets, "bad budget %u at pc %u in program %u", arg, pc, pi); break;
    case ARG_SLOT_STR: case ARG_SLOT_SET: {
      /* the second word is an operand, never an instruction (the loop steps over it),
       * and jumps only go forward: every jump that could land on it is pending now */
      CHECK(k + 1 < p->len, "missing operand at pc %u in program %u", pc, pi);
      for (int j = 0; j < npend; j++) CHECK(pend[j].target != k + 1, "jump into the operand of pc %u in program %u", pc, pi);
      CHECK(arg < b->nfields, "bad field %u at pc %u in program %u", arg, pc, pi);
      uint32_t k2 = b->code[pc + 1];
      if (oi->arg == ARG_SLOT_STR) CHECK(k2 < b->nstrings, "bad string %u at pc %u in program %u", k2, pc, pi);
      else CHECK(k2 < b->nsets, "bad set %u at pc %u in program %u", k2, pc, pi);
      break;
    }
    case ARG_JUMP:
      CHECK(k + 1 + arg < p->len, "bad jump target at pc %u in program %u", pc, pi);
      CHECK(!nloops || k + 1 + arg <= loops[nloops - 1].end, "jump out of a loop at pc %u in program %u", pc, pi);
      break;
    case ARG_BACK:
      CHECK(nloops && loops[nloops - 1].end == k && k - arg == loops[nloops - 1].start + 1,
            "bad loop at pc %u in program %u", pc, pi);
      break;
    case ARG_IMM:
      if (op == OP_CAST) CHECK(arg == T_INT || arg == T_TIME || arg == T_DUR || arg == T_LEVEL || arg == T_BOOL, "bad cast at pc %u in program %u", pc, pi);
      else if (op == OP_PICK) CHECK(arg < (uint32_t)sp && st[sp - 1 - arg].t != T_ITER, "bad pick at pc %u in program %u", pc, pi);
      else CHECK(arg <= 1, "bad immediate at pc %u in program %u", pc, pi);
      break;
    }
    CHECK(sp >= oi->pops, "stack underflow at pc %u in program %u", pc, pi);
    if (nloops) {
      /* a loop body keeps its iterator and element; QNEXT finds them, and the body's
       * one result, exactly where the body started */
      if (op == OP_QNEXT) CHECK(sp == loops[nloops - 1].floor + 1, "loop body leaves the stack unbalanced at pc %u in program %u", pc, pi);
      else CHECK(sp - oi->pops >= loops[nloops - 1].floor, "loop body pops its iterator at pc %u in program %u", pc, pi);
    }
    Slot a = oi->pops >= 2 ? st[sp - 2] : oi->pops == 1 ? st[sp - 1] : (Slot){0, 0, 0};
    Slot c = oi->pops >= 2 ? st[sp - 1] : (Slot){0, 0, 0};
    /* operand types come from the opcode table; only what depends on the bundle or on
     * the operands themselves is spelled out here */
    int ok = fits(oi->in1, a, a) && (oi->pops < 2 || fits(oi->in2, c, a));
    Slot out[2] = {{oi->out, 0, 0}, {0, 0, 0}};
    int nout = oi->pushes;
    switch (op) {
    case OP_LDF: out[0].t = b->fields[arg].type; out[0].elem = b->fields[arg].elem; break;
    case OP_CAST: out[0].t = (uint8_t)arg; break;
    case OP_INSET: ok = set_takes(b, arg, a.t); break;
    case OP_FSEQK: case OP_FSNEK: ok = is_strlike(b->fields[arg].type); break;
    case OP_FINSET: ok = set_takes(b, b->code[pc + 1], b->fields[arg].type); break;
    case OP_INLIST: ok = ok && (a.t == c.elem || (is_strlike(a.t) && is_strlike(c.elem))); break;
    case OP_INDEX: out[0].t = a.elem; break;
    case OP_UNDER: ok = ok && b->meta->scope_field < b->nfields; break;
    case OP_LEN: ok = is_strlike(a.t) || a.t == T_LIST || a.t == T_MAP; break;
    case OP_RET: ok = sp == 1 && a.t == p->result; break;
    case OP_PICK: out[0] = st[sp - 1 - arg]; break;
    case OP_LDSET: out[0].elem = (uint8_t)b->sets[arg].type; break;
    case OP_TGET: {
      const BTable *t = &b->tables[arg];
      ok = set_takes(b, t->keys, a.t);
      out[0].t = t->type;
      break;
    }
    case OP_QALL: case OP_QANY: case OP_QFALSE: case OP_QTRUE: {
      uint32_t q = k + arg;       /* the QNEXT: the exit lands right after it */
      if (!ok) break;
      CHECK(arg >= 2 && INSN_OP(b->code[p->start + q]) == OP_QNEXT && INSN_ARG(b->code[p->start + q]) == q - k - 1,
            "bad loop at pc %u in program %u", pc, pi);
      for (int j = 0; j < npend; j++) CHECK(pend[j].target > q, "jump into a loop at pc %u in program %u", pc, pi);
      CHECK(nloops < LIMIT_LOOPS, "loops nested too deeply at pc %u in program %u (limit is %d)", pc, pi, LIMIT_LOOPS);
      uint8_t e = elem_of(a), mode = (uint8_t)(op - OP_QALL);
      out[0] = (Slot){T_ITER, e, mode};
      out[1] = (Slot){e, 0, 0};
      loops[nloops++] = (Loop){k, q, sp - 1 + 2};
      break;
    }
    case OP_QNEXT: {
      Slot it = st[sp - 3];
      CHECK(it.t == T_ITER, "bad loop at pc %u in program %u", pc, pi);
      out[0] = it.mode < 2 ? (Slot){T_BOOL, 0, 0} : (Slot){it.elem, 0, 0};
      nloops--;
      break;
    }
    default: break;
    }
    CHECK(ok, "operand types do not fit %s at pc %u in program %u", oi->name, pc, pi);
    sp -= oi->pops;
    /* a loop's exit: with an empty collection the opening jumps there holding the
     * quantifier's result (a bool, or for QFALSE and QTRUE an element, never reached) */
    Slot exit_top = out[0].mode < 2 ? (Slot){T_BOOL, 0, 0} : (Slot){out[0].elem, 0, 0};
    for (int j = 0; j < nout; j++) {
      CHECK(sp < LIMIT_STACK, "stack overflow at pc %u in program %u", pc, pi);
      st[sp++] = out[j];
    }
    if (sp > maxsp) maxsp = sp;
    if (oi->arg == ARG_JUMP) {
      CHECK(npend < MAX_PENDING, "too many open jumps at pc %u in program %u (limit is %d)", pc, pi, MAX_PENDING);
      int loop = op == OP_QALL || op == OP_QANY || op == OP_QFALSE || op == OP_QTRUE;
      pend[npend].target = k + 1 + arg; pend[npend].sp = loop ? sp - 1 : sp;
      memcpy(pend[npend].st, st, sizeof *st * (size_t)sp);
      if (loop) pend[npend].st[sp - 2] = exit_top;
      npend++;
      if (op == OP_JFK || op == OP_JTK) sp--;   /* and, or: the jump keeps a, falling through drops it */
    }
    if (op == OP_RET) live = 0;
    k += insn_words(w) - 1;
  }
  CHECK(!live && !npend && !nloops, "program %u does not end in RET", pi);
  CHECK(maxsp <= p->max_stack && p->max_stack <= b->meta->max_stack, "program %u needs more stack than it declares", pi);
  return 0;
}

static int prog_ok(const Bundle *b, uint32_t p, int type) {
  return p < b->nprograms && (type < 0 || b->programs[p].result == type);
}

static int count_holes(const char *s) {
  int n = 0, k;
  size_t i = 0, st, len, sn = strlen(s);
  while ((k = tpl_next(s, sn, &i, &st, &len)) != TPL_END) n += k == TPL_HOLE;
  return n;
}

static int records(V *v) {
  Bundle *b = v->b;
  const BMeta *m = b->meta;
  CHECK(STR_OK(m->policy) && STR_OK(m->compiler) && RANGE_OK(m->files_first, m->files_count, b->nu32s), "metadata out of range");
  for (uint32_t i = 0; i < m->files_count; i++) CHECK(STR_OK(b->u32s[m->files_first + i]), "metadata names a bad file");
  CHECK(m->nslots == b->nfields, "metadata disagrees with the field table");
  CHECK(m->scope_field == NONE32 || (m->scope_field < b->nfields && b->fields[m->scope_field].role == FIELD_ROLE_SCOPE), "bad scope field");
  CHECK(m->ancestors_field == NONE32 || (m->ancestors_field < b->nfields && b->fields[m->ancestors_field].role == FIELD_ROLE_ANCESTORS), "bad ancestors field");
  CHECK(m->max_stack <= LIMIT_STACK, "declared stack too deep");
  for (uint32_t i = 0; i < b->nguardrails; i++) {
    const BGuardrail *g = &b->guardrails[i];
    CHECK(STR_OK(g->name) && STR_OK(g->severity) && OPT_STR_OK(g->message) && STR_OK(g->file), "guardrail %u has a bad string", i);
    CHECK(g->effect <= EFFECT_AUDIT && !(g->flags & ~0x7fu), "guardrail %u has a bad effect or flag", i);
    CHECK(!((g->flags & GR_GUARDED) && (g->flags & GR_SCOPED)), "guardrail %u is both scoped and guarded", i);
    CHECK(prog_ok(b, g->cond, T_BOOL), "guardrail %u has a bad condition", i);
    CHECK(RANGE_OK(g->args_first, g->args_count, b->nu32s) && g->args_count <= LIMIT_MSG_ARGS, "guardrail %u has bad message arguments", i);
    CHECK(g->message == NOSTR ? g->args_count == 0 : count_holes(bundle_str(b, g->message)) == (int)g->args_count,
          "guardrail %u: message holes and arguments differ", i);
    for (uint32_t j = 0; j < g->args_count; j++) {
      uint32_t p = b->u32s[g->args_first + j];
      CHECK(prog_ok(b, p, -1) && b->programs[p].result != T_LIST && b->programs[p].result != T_MAP, "guardrail %u has a bad message argument", i);
    }
    CHECK(RANGE_OK(g->scope_first, g->scope_count, b->nu32s), "guardrail %u has a bad scope list", i);
    for (uint32_t j = 0; j < g->scope_count; j++) CHECK(b->u32s[g->scope_first + j] < b->nnodes, "guardrail %u has a bad scope", i);
  }
  for (uint32_t i = 0; i < b->nexemptions; i++) {
    const BExemption *x = &b->exemptions[i];
    CHECK(STR_OK(x->id) && STR_OK(x->owner) && STR_OK(x->reason) && STR_OK(x->expires_text) && OPT_STR_OK(x->ticket) &&
          OPT_STR_OK(x->scope_text) && STR_OK(x->file), "exemption %u has a bad string", i);
    CHECK(x->node < b->nnodes && (x->when == NONE32 || prog_ok(b, x->when, T_BOOL)), "exemption %u has a bad scope or condition", i);
    CHECK(x->category <= CAT_MITIGATED && !(x->flags & ~1u), "exemption %u has a bad category or flag", i);
    CHECK(x->renews == NONE32 || (x->renews < b->nexemptions && x->renews != i), "exemption %u renews a bad exemption", i);
    CHECK(RANGE_OK(x->waives_first, x->waives_count, b->nu32s) && RANGE_OK(x->controls_first, x->controls_count, b->nu32s),
          "exemption %u has a list out of bounds", i);
    for (uint32_t j = 0; j < x->waives_count; j++) CHECK(b->u32s[x->waives_first + j] < b->nguardrails, "exemption %u waives a bad guardrail", i);
    for (uint32_t j = 0; j < x->controls_count; j++) CHECK(STR_OK(b->u32s[x->controls_first + j]), "exemption %u has a bad control", i);
  }
  for (uint32_t i = 0; i < b->nroutes; i++) {
    const BRoute *r = &b->routes[i];
    CHECK(STR_OK(r->name) && STR_OK(r->file) && RANGE_OK(r->first_rule, r->nrules, b->nrules), "route %u out of range", i);
  }
  for (uint32_t i = 0; i < b->nrules; i++) {
    const BRule *r = &b->rules[i];
    CHECK(r->kind <= RULE_DEFAULT && !(r->flags & ~0xfu), "rule %u has a bad kind or flag", i);
    CHECK(r->ntargets >= 1 && r->ntargets <= LIMIT_TARGETS && RANGE_OK(r->first_target, r->ntargets, b->ntargets), "rule %u has bad targets", i);
    if (r->kind == RULE_WHEN) CHECK(prog_ok(b, r->prog, T_BOOL), "rule %u has a bad condition", i);
    if (r->kind == RULE_DEFAULT) CHECK(r->prog == NONE32, "rule %u has a stray program", i);
    if (r->kind == RULE_SPLIT) {
      CHECK(prog_ok(b, r->prog, -1), "rule %u has a bad key", i);
      uint8_t t = b->programs[r->prog].result;
      CHECK(t == T_STR || t == T_SCOPE || t == T_INT, "rule %u has a bad key type", i);
      CHECK(RANGE_OK(r->weights_first, r->ntargets, b->nu32s), "rule %u has bad weights", i);
      for (uint32_t j = 0; j < r->ntargets; j++) {
        uint32_t w = b->u32s[r->weights_first + j];
        CHECK(w <= 10000 && (j == 0 ? w > 0 : w > b->u32s[r->weights_first + j - 1]), "rule %u has bad weights", i);
      }
      CHECK(b->u32s[r->weights_first + r->ntargets - 1] == 10000, "rule %u weights do not reach 100%%", i);
    }
    if (r->cache_ttl) {
      CHECK(r->cache_ttl > 0 && prog_ok(b, r->cache_key, -1), "rule %u has a bad cache", i);
      uint8_t t = b->programs[r->cache_key].result;
      CHECK(t == T_STR || t == T_SCOPE || t == T_INT, "rule %u has a bad cache key type", i);
    } else CHECK(r->cache_key == NONE32, "rule %u has a bad cache", i);
  }
  for (uint32_t i = 0; i < b->ntargets; i++) {
    const BTarget *t = &b->targets[i];
    CHECK(STR_OK(t->provider) && STR_OK(t->model) && OPT_STR_OK(t->region) && STR_OK(t->text), "target %u has a bad string", i);
    CHECK(t->prog[0] == NONE32 && (t->prog[1] == NONE32 || prog_ok(b, t->prog[1], T_STR)) &&
          (t->prog[2] == NONE32 || (t->region != NOSTR && prog_ok(b, t->prog[2], T_STR))), "target %u has a bad field", i);
  }
  for (uint32_t i = 0; i < b->nbudgets; i++) {
    const BBudget *g = &b->budgets[i];
    CHECK(STR_OK(g->name) && STR_OK(g->unit) && STR_OK(g->period) && STR_OK(g->file), "budget %u has a bad string", i);
    CHECK(prog_ok(b, g->key, -1) && (b->programs[g->key].result == T_STR || b->programs[g->key].result == T_SCOPE ||
          b->programs[g->key].result == T_INT), "budget %u has a bad key", i);
    CHECK(g->when == NONE32 || prog_ok(b, g->when, T_BOOL), "budget %u has a bad condition", i);
    CHECK(g->charge == NONE32 || prog_ok(b, g->charge, T_INT), "budget %u has a bad charge", i);
    CHECK(g->warn_bp >= -1 && g->warn_bp <= 10000, "budget %u has a bad threshold", i);
    CHECK(g->limit_prog == NONE32 || prog_ok(b, g->limit_prog, T_INT), "budget %u has a bad limit", i);
    uint32_t align = g->flags & BUDGET_ALIGN_MASK;
    CHECK(!(g->flags & ~0x1fu) && align <= BUDGET_ALIGN_MONTH &&
          (align == BUDGET_ALIGN_MONTH ? g->window == 0 && !(g->flags & BUDGET_SLIDING) : g->window > 0),
          "budget %u has a bad window", i);
  }
  for (uint32_t i = 0; i < b->nguards; i++) {
    const BGuard *k = &b->guards[i];
    CHECK(k->slot < b->nfields && k->guardrail < b->nguardrails && (b->guardrails[k->guardrail].flags & GR_GUARDED),
          "guard %u out of range", i);
    if (k->sid == NOSTR)
      CHECK(k->slot == m->scope_field && k->node < b->nnodes, "guard %u has a bad scope", i);
    else
      CHECK(k->sid < b->nstrings && b->fields[k->slot].type == T_STR && b->fields[k->slot].role == FIELD_ROLE_NONE &&
            k->node == NONE32, "guard %u has a bad value", i);
    if (i) {
      const BGuard *p = &b->guards[i - 1];
      CHECK(p->slot < k->slot || (p->slot == k->slot && (p->sid < k->sid || (p->sid == k->sid && p->guardrail < k->guardrail))),
            "guards are not sorted at %u", i);
    }
  }
  for (uint32_t i = 0; i < b->nsrcmap; i++) {
    const BSrcLoc *s = &b->srcmap[i];
    CHECK(s->pc < b->ncode && STR_OK(s->file) && (i == 0 || b->srcmap[i - 1].pc <= s->pc), "source map entry %u is bad", i);
  }
  return 0;
}

int bundle_verify(const uint8_t *data, size_t len, Bundle *b, char *err, size_t errlen) {
  V vv = {data, len, b, err, errlen}, *v = &vv;
  memset(b, 0, sizeof *b);
  CHECK(len >= sizeof(BHeader), "not a bundle: %zu bytes is shorter than the header", len);
  const BHeader *h = (const BHeader *)data;
  CHECK(!memcmp(h->magic, BUNDLE_MAGIC, 5), "not a bundle: bad magic");
  CHECK(!memcmp(h->magic, BUNDLE_MAGIC, 8), "bundle mangled in transfer (line endings or NUL bytes changed)");
  CHECK(h->endian == BUNDLE_ENDIAN, "bundle has the wrong byte order for this machine");
  CHECK(h->version == BUNDLE_VERSION, "unsupported bundle format version %u (this build reads %u)", h->version, BUNDLE_VERSION);
  CHECK(!h->reserved[0] && !h->reserved[1], "bundle header has non-zero reserved bytes");
  CHECK(h->file_size == len, "bundle is truncated or padded: header says %u bytes, file has %zu", h->file_size, len);
  CHECK(len <= UINT32_MAX, "bundle too large");
  uint8_t sum[32];
  rt_sha256(data + sizeof *h, len - sizeof *h, sum);
  CHECK(!memcmp(sum, h->checksum, 32), "bundle checksum mismatch: the file is corrupt");
  b->data = data; b->size = len;
  if (sections(v) || tables(v)) return -1;
  for (uint32_t i = 0; i < b->nprograms; i++)
    if (program(v, i)) return -1;
  if (records(v)) return -1;
  char hex[65];
  /* The id is the hash of the header, which holds the checksum of everything after it:
   * it names the whole content without a second pass over the bytes. */
  rt_sha256(data, sizeof *h, sum);
  rt_sha256_hex(sum, hex);
  snprintf(b->id, sizeof b->id, "sha256:%s", hex);
  return 0;
}
