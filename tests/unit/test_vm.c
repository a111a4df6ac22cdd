/* The interpreter, one opcode at a time, on hand-assembled programs.
 *
 * The fixture is a Bundle view built in memory (no file, no verifier): a string table
 * with its hash, a few fields, ints, sets and levels. Each case writes a program into
 * it, runs vm_run on a fresh context and checks the value or the error. */
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "msgtpl.h"
#include "unit.h"
#include "vm.h"

enum { S_MODEL, S_TAGS, S_N, S_SCOPE, S_LIST, S_NUMS, S_FLAG, S_LVL, S_GPT, S_ENV, S_PROD,
       S_ABC, S_LOW, S_HIGH, S_LEVEL, S_EMPTY, S_HELLO_WORLD, S_WORLD, S_HELLO, S_GLOB, NSTR };
static const char *const fx_strs[NSTR] = {
  "model", "tags", "n", "scope", "list", "nums", "flag", "lvl", "gpt-4o", "env", "prod",
  "abc", "low", "high", "level", "", "hello world", "world", "hello", "h?llo*"};

enum { F_MODEL, F_TAGS, F_N, F_SCOPE, F_LIST, F_NUMS, F_FLAG, F_LVL, NFIELDS };
enum { I_0, I_1, I_M1, I_MAX, I_MIN, I_7, I_3, I_2, NINTS };

typedef struct Fx {
  struct aigw_bundle bh;
  char bytes[512];
  uint32_t off[NSTR + 1];
  uint32_t hash[64];
  int64_t ints[NINTS];
  BSet sets[2];
  int64_t members[5];
  BField fields[NFIELDS];
  BLevels levels[1];
  uint32_t u32s[2];
  BNode nodes[1];
  BTable tables[2];
  BBudget budgets[1];
  uint32_t by_name[2 * NFIELDS];
  uint32_t code[64];
  BProgram progs[1];
  BMeta meta;
  aigw_ctx *c;
} Fx;

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static Fx *fx_new(void) {
  Fx *f = calloc(1, sizeof *f);
  Bundle *b = &f->bh.b;
  uint32_t o = 0;
  for (int i = 0; i < NSTR; i++) {
    f->off[i] = o;
    size_t n = strlen(fx_strs[i]);
    memcpy(f->bytes + o, fx_strs[i], n + 1);
    o += (uint32_t)n + 1;
    uint32_t full = aigw_hash_str(fx_strs[i], n), h = full & 63;
    while (f->hash[h]) h = (h + 1) & 63;
    f->hash[h] = strhash_entry((uint32_t)i, full);
  }
  f->off[NSTR] = o;
  b->str_off = f->off; b->nstrings = NSTR; b->str_bytes = f->bytes;
  b->strhash = f->hash; b->nbuckets = 64;
  const int64_t ints[NINTS] = {0, 1, -1, INT64_MAX, INT64_MIN, 7, 3, 2};
  memcpy(f->ints, ints, sizeof ints);
  b->ints = f->ints; b->nints = NINTS;
  f->members[0] = S_GPT; f->members[1] = S_ABC;             /* set 0: strings */
  qsort(f->members, 2, sizeof *f->members, cmp64);
  f->members[2] = 1; f->members[3] = 3; f->members[4] = 7;  /* set 1: ints */
  f->sets[0] = (BSet){T_STR, 0, 2, 0};
  f->sets[1] = (BSet){T_INT, 2, 3, 0};
  b->sets = f->sets; b->nsets = 2; b->members = f->members; b->nmembers = 5;
  const BField fields[NFIELDS] = {
    {S_MODEL, T_STR, 0, 0, FIELD_ROLE_MODEL, 0}, {S_TAGS, T_MAP, T_STR, 0, 0, 64},
    {S_N, T_INT, 0, 0, 0, 0}, {S_SCOPE, T_SCOPE, 0, 0, FIELD_ROLE_SCOPE, 0},
    {S_LIST, T_LIST, T_STR, 0, 0, 64}, {S_NUMS, T_LIST, T_INT, 0, 0, 64},
    {S_FLAG, T_BOOL, 0, 0, 0, 0}, {S_LVL, T_LEVEL, 0, 0, 0, 0}};
  memcpy(f->fields, fields, sizeof fields);
  b->fields = f->fields; b->nfields = NFIELDS;
  f->u32s[0] = S_LOW; f->u32s[1] = S_HIGH;
  f->levels[0] = (BLevels){S_LEVEL, 0, 2, 0};
  b->levels = f->levels; b->nlevels = 1; b->u32s = f->u32s; b->nu32s = 2;
  f->nodes[0] = (BNode){.segment = S_EMPTY, .parent = NONE32, .scope_text = NOSTR};
  b->nodes = f->nodes; b->nnodes = 1;
  b->code = f->code; b->ncode = 64; b->programs = f->progs; b->nprograms = 1;
  /* table 0: set 0's keys to ints 7 (gpt-4o) and 3 (abc), no default; table 1: the same
   * keys to the strings "model" and "tags", default "hello" */
  f->tables[0] = (BTable){S_LEVEL, 0, I_7, T_INT, 0, 0, 0};
  f->tables[1] = (BTable){S_LEVEL, 0, I_0, T_STR, TABLE_HAS_DEFAULT, 0, S_HELLO};
  b->tables = f->tables; b->ntables = 2;
  f->budgets[0] = (BBudget){.name = S_N, .key = NONE32, .when = NONE32, .charge = NONE32, .limit_prog = NONE32};
  b->budgets = f->budgets; b->nbudgets = 1;
  /* (name, field) pairs by name, for aigw_input_json: each field's name is the string
   * of the same number */
  for (uint32_t i = 0; i < NFIELDS; i++) f->by_name[2 * i] = f->by_name[2 * i + 1] = i;
  f->bh.field_by_name = f->by_name;
  f->meta.scope_field = F_SCOPE; f->meta.ancestors_field = NONE32;
  b->meta = &f->meta;
  strcpy(b->id, "sha256:test");
  aigw_config_init(&f->bh.cfg);
  for (int r = 0; r < 6; r++) f->bh.role_slot[r] = NONE32;
  f->bh.role_slot[FIELD_ROLE_SCOPE] = F_SCOPE;
  CU_ASSERT_FATAL(aigw_ctx_new(&f->bh, &f->c) == AIGW_OK);
  return f;
}

static void fx_free(Fx *f) {
  aigw_ctx_free(f->c);
  free(f);
}

/* Runs code (n words) as program 0 with result type `result`. */
static int fx_run(Fx *f, const uint32_t *code, uint32_t n, Value *out) {
  memcpy(f->code, code, n * sizeof *code);
  f->progs[0] = (BProgram){0, n, T_BOOL, LIMIT_STACK, 0, 1, S_EMPTY};
  f->c->steps = 0;
  memset(out, 0xab, sizeof *out);
  return vm_run(f->c, 0, out);
}

#define RUN(f, out, ...) \
  fx_run((f), (const uint32_t[]){__VA_ARGS__}, sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t), (out))
#define I(op, arg) INSN(OP_##op, (arg))
#define I0(op) INSN(OP_##op, 0)

/* The boolean or integer a program returns; -999 on error. */
static int64_t ival(Fx *f, const uint32_t *code, uint32_t n) {
  Value v;
  return fx_run(f, code, n, &v) == VM_OK ? v.u.i : -999;
}
#define IV(f, ...) ival((f), (const uint32_t[]){__VA_ARGS__}, sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))

static void t_loads(void) {
  Fx *f = fx_new();
  Value v;
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDI, I_7), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(v.u.i, 7);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDS, S_GPT), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(v.sid, S_GPT);
  CU_ASSERT_EQUAL(v.len, 6);
  CU_ASSERT_EQUAL(memcmp(v.u.p, "gpt-4o", 6), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDB, 1), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDB, 0), I0(RET)), 0);
  f->c->now = 1795305600;
  CU_ASSERT_EQUAL(IV(f, I0(LDNOW), I0(RET)), 1795305600);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_3), I(CAST, T_DUR), I0(RET)), 3);   /* CAST is a no-op */
  fx_free(f);
}

static void t_ldf_has(void) {
  Fx *f = fx_new();
  Value v;
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDF, F_N), I0(RET)), VM_ERR_UNSET);
  CU_ASSERT_EQUAL(f->c->err.code, VM_ERR_UNSET);
  CU_ASSERT_EQUAL(f->c->err.slot, F_N);
  /* a fused load fails as LDF does, naming its field */
  CU_ASSERT_EQUAL(RUN(f, &v, I(FSEQK, F_MODEL), 0, I0(RET)), VM_ERR_UNSET);
  CU_ASSERT_EQUAL(RUN(f, &v, I(FINSET, F_MODEL), 0, I0(RET)), VM_ERR_UNSET);
  CU_ASSERT_EQUAL(f->c->err.slot, F_MODEL);
  CU_ASSERT_EQUAL(IV(f, I(HAS, F_N), I0(RET)), 0);
  CU_ASSERT_EQUAL(aigw_input_int(f->c, F_N, 42), AIGW_OK);
  CU_ASSERT_EQUAL(IV(f, I(HAS, F_N), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_N), I0(RET)), 42);
  CU_ASSERT_EQUAL(aigw_input_string(f->c, F_MODEL, "gpt-4o", 6), AIGW_OK);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDF, F_MODEL), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(v.sid, S_GPT);               /* interned on input */
  CU_ASSERT_PTR_EQUAL(v.u.p, f->bytes + f->off[S_GPT]);
  CU_ASSERT_EQUAL(aigw_input_string(f->c, F_MODEL, "llama", 5), AIGW_OK);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDF, F_MODEL), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(v.sid, NOSTR);
  CU_ASSERT_EQUAL(v.len, 5);
  CU_ASSERT_EQUAL(memcmp(v.u.p, "llama", 5), 0);
  aigw_input_reset(f->c);
  CU_ASSERT_EQUAL(IV(f, I(HAS, F_MODEL), I0(RET)), 0);
  fx_free(f);
}

static void t_compare(void) {
  Fx *f = fx_new();
  struct { int op; int a, b; int64_t want; } cases[] = {
    {OP_EQ, I_3, I_3, 1}, {OP_EQ, I_3, I_7, 0}, {OP_NE, I_3, I_7, 1}, {OP_NE, I_7, I_7, 0},
    {OP_LT, I_3, I_7, 1}, {OP_LT, I_7, I_3, 0}, {OP_LT, I_7, I_7, 0}, {OP_LE, I_7, I_7, 1},
    {OP_LE, I_MIN, I_MAX, 1}, {OP_GT, I_MAX, I_MIN, 1}, {OP_GT, I_3, I_3, 0},
    {OP_GE, I_3, I_3, 1}, {OP_GE, I_M1, I_0, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    CU_ASSERT_EQUAL(IV(f, I(LDI, cases[i].a), I(LDI, cases[i].b), INSN(cases[i].op, 0), I0(RET)), cases[i].want);
  fx_free(f);
}

static void t_strings_eq(void) {
  Fx *f = fx_new();
  /* interned on both sides: ids decide */
  aigw_input_string(f->c, F_MODEL, "gpt-4o", 6);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(LDS, S_GPT), I0(SEQ), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(LDS, S_ABC), I0(SEQ), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(LDS, S_ABC), I0(SNE), I0(RET)), 1);
  /* against a constant operand: the same answers */
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(SEQK, S_GPT), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(SEQK, S_ABC), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(SNEK, S_ABC), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(SNEK, S_GPT), I0(RET)), 0);
  /* one side unknown: never equal to a constant */
  aigw_input_string(f->c, F_MODEL, "gpt-4", 5);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(LDS, S_GPT), I0(SEQ), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(LDS, S_GPT), I0(SNE), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(SEQK, S_GPT), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(SNEK, S_GPT), I0(RET)), 1);
  /* fused with the load: the constant in the next word, the same answers */
  CU_ASSERT_EQUAL(IV(f, I(FSEQK, F_MODEL), S_GPT, I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(FSNEK, F_MODEL), S_GPT, I0(RET)), 1);
  aigw_input_string(f->c, F_MODEL, "gpt-4o", 6);
  CU_ASSERT_EQUAL(IV(f, I(FSEQK, F_MODEL), S_GPT, I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(FSNEK, F_MODEL), S_GPT, I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(FSEQK, F_MODEL), S_ABC, I0(RET)), 0);
  aigw_input_string(f->c, F_MODEL, "gpt-4", 5);
  /* both unknown: bytes decide */
  aigw_input_string(f->c, F_MODEL, "zzz", 3);
  aigw_input_list_add(f->c, F_LIST, "zzz", 3);
  aigw_input_list_add(f->c, F_LIST, "zz", 2);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(LDF, F_MODEL), I0(SEQ), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(LDF, F_LIST), I0(INLIST), I0(RET)), 1);
  aigw_input_string(f->c, F_MODEL, "z", 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(LDF, F_LIST), I0(INLIST), I0(RET)), 0);
  fx_free(f);
}

static void t_arith(void) {
  Fx *f = fx_new();
  Value v;
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I(LDI, I_3), I0(ADD), I0(RET)), 10);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_3), I(LDI, I_7), I0(SUB), I0(RET)), -4);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I(LDI, I_3), I0(MUL), I0(RET)), 21);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I(LDI, I_2), I0(DIV), I0(RET)), 3);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_M1), I(LDI, I_7), I0(MUL), I0(RET)), -7);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I0(NEG), I0(RET)), -7);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_MAX), I0(NEG), I0(RET)), -INT64_MAX);
  /* errors */
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDI, I_MAX), I(LDI, I_1), I0(ADD), I0(RET)), VM_ERR_OVERFLOW);
  CU_ASSERT_EQUAL(f->c->err.code, VM_ERR_OVERFLOW);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDI, I_MIN), I(LDI, I_1), I0(SUB), I0(RET)), VM_ERR_OVERFLOW);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDI, I_MAX), I(LDI, I_2), I0(MUL), I0(RET)), VM_ERR_OVERFLOW);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDI, I_7), I(LDI, I_0), I0(DIV), I0(RET)), VM_ERR_DIVZERO);
  CU_ASSERT_EQUAL(f->c->err.code, VM_ERR_DIVZERO);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDI, I_MIN), I(LDI, I_M1), I0(DIV), I0(RET)), VM_ERR_OVERFLOW);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDI, I_MIN), I0(NEG), I0(RET)), VM_ERR_OVERFLOW);
  fx_free(f);
}

static void t_not_jumps(void) {
  Fx *f = fx_new();
  CU_ASSERT_EQUAL(IV(f, I(LDB, 1), I0(NOT), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDB, 0), I0(NOT), I0(RET)), 1);
  /* a and b: JFK keeps false and skips b, or drops true and goes on to b */
  CU_ASSERT_EQUAL(IV(f, I(LDB, 0), I(JFK, 1), I(LDB, 1), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDB, 1), I(JFK, 1), I(LDB, 0), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDB, 1), I(JFK, 1), I(LDB, 1), I0(RET)), 1);
  /* a or b: JTK keeps true and skips b, even when b would fail */
  CU_ASSERT_EQUAL(IV(f, I(LDB, 1), I(JTK, 1), I(LDF, F_N), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDB, 0), I(JTK, 1), I(LDB, 1), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDB, 0), I(JTK, 1), I(LDB, 0), I0(RET)), 0);
  Value v;
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDB, 0), I(JTK, 1), I(LDF, F_N), I0(RET)), VM_ERR_UNSET);
  /* the stack under a is left as it was, whichever way the jump goes */
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I(LDB, 1), I(JFK, 1), I0(RET), I0(POP), I0(RET)), 7);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I(LDB, 0), I(JFK, 1), I0(RET), I0(POP), I0(RET)), 7);
  /* jump 0 goes to the next instruction */
  CU_ASSERT_EQUAL(IV(f, I(LDB, 0), I(JFK, 0), I0(RET)), 0);
  /* POP drops the top */
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I(LDI, I_3), I0(POP), I0(RET)), 7);
  fx_free(f);
}

static void t_sets(void) {
  Fx *f = fx_new();
  aigw_input_string(f->c, F_MODEL, "gpt-4o", 6);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(INSET, 0), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_ABC), I(INSET, 0), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_PROD), I(INSET, 0), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(FINSET, F_MODEL), 0, I0(RET)), 1);    /* fused: the set in the next word */
  aigw_input_string(f->c, F_MODEL, "not-in-the-table", 16);   /* NOSTR: never a member */
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(INSET, 0), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(FINSET, F_MODEL), 0, I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I(INSET, 1), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_1), I(INSET, 1), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_2), I(INSET, 1), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_MAX), I(INSET, 1), I0(RET)), 0);
  fx_free(f);
}

static void t_lists(void) {
  Fx *f = fx_new();
  Value v;
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDI, I_3), I(LDF, F_NUMS), I0(INLIST), I0(RET)), VM_ERR_UNSET);
  CU_ASSERT_EQUAL(aigw_input_list_add(f->c, F_NUMS, "3", 1), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_list_add(f->c, F_NUMS, "-1", 2), AIGW_OK);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_3), I(LDF, F_NUMS), I0(INLIST), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_M1), I(LDF, F_NUMS), I0(INLIST), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I(LDF, F_NUMS), I0(INLIST), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_NUMS), I0(LEN), I0(RET)), 2);
  aigw_input_list_add(f->c, F_LIST, "gpt-4o", 6);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_GPT), I(LDF, F_LIST), I0(INLIST), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_ABC), I(LDF, F_LIST), I0(INLIST), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_LIST), I0(LEN), I0(RET)), 1);
  fx_free(f);
}

static void t_maps(void) {
  Fx *f = fx_new();
  Value v;
  CU_ASSERT_EQUAL(aigw_input_map_set(f->c, F_TAGS, "env", 3, "prod", 4), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_map_set(f->c, F_TAGS, "owner", 5, "bob", 3), AIGW_OK);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_ENV), I(LDF, F_TAGS), I0(HASKEY), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_ABC), I(LDF, F_TAGS), I0(HASKEY), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_TAGS), I(LDS, S_ENV), I0(INDEX), I(LDS, S_PROD), I0(SEQ), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_TAGS), I0(LEN), I0(RET)), 2);
  /* setting a key again replaces its value */
  CU_ASSERT_EQUAL(aigw_input_map_set(f->c, F_TAGS, "env", 3, "dev", 3), AIGW_OK);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_TAGS), I0(LEN), I0(RET)), 2);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_TAGS), I(LDS, S_ENV), I0(INDEX), I(LDS, S_PROD), I0(SEQ), I0(RET)), 0);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDF, F_TAGS), I(LDS, S_ABC), I0(INDEX), I0(RET)), VM_ERR_NOKEY);
  CU_ASSERT_EQUAL(f->c->err.slot, F_TAGS);
  CU_ASSERT_EQUAL(f->c->err.key.sid, S_ABC);
  fx_free(f);
}

static void t_under(void) {
  Fx *f = fx_new();
  aigw_input_string(f->c, F_SCOPE, "/a", 2);
  f->c->matched[0] = 0; f->c->matched[1] = 5; f->c->matched[2] = 9; f->c->nmatched = 3;
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_SCOPE), I(UNDER, 5), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_SCOPE), I(UNDER, 9), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_SCOPE), I(UNDER, 0), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_SCOPE), I(UNDER, 6), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_SCOPE), I(UNDER, 10), I0(RET)), 0);
  fx_free(f);
}

static void t_text(void) {
  Fx *f = fx_new();
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I(LDS, S_HELLO), I0(STARTS), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I(LDS, S_WORLD), I0(STARTS), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO), I(LDS, S_HELLO_WORLD), I0(STARTS), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I(LDS, S_EMPTY), I0(STARTS), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I(LDS, S_WORLD), I0(ENDS), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I(LDS, S_HELLO), I0(ENDS), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_WORLD), I(LDS, S_HELLO_WORLD), I0(ENDS), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I(LDS, S_EMPTY), I0(ENDS), I0(RET)), 1);
  aigw_input_string(f->c, F_MODEL, "o w", 3);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I(LDF, F_MODEL), I0(CONTAINS), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I(LDS, S_ABC), I0(CONTAINS), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I(LDS, S_EMPTY), I0(CONTAINS), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO), I(LDS, S_HELLO_WORLD), I0(CONTAINS), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I(LDS, S_GLOB), I0(GLOB), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_WORLD), I(LDS, S_GLOB), I0(GLOB), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_HELLO_WORLD), I0(LEN), I0(RET)), 11);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_EMPTY), I0(LEN), I0(RET)), 0);
  aigw_input_string(f->c, F_MODEL, "h\xc3\xa9llo", 6);         /* LEN counts UTF-8 bytes */
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I0(LEN), I0(RET)), 6);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I(LDS, S_GLOB), I0(GLOB), I0(RET)), 1);  /* ? is a character */
  fx_free(f);
}

/* The table hashes are part of the bundle format (docs/bundle.md, "Hashes"): pinned
 * values, every length class, so a change cannot pass unnoticed. The split bucket must
 * never change at all: a split is sticky across versions. */
static void t_hashes(void) {
  static const struct { const char *s; uint32_t h; } v[] = {
    {"", 0xa9b5e89bu}, {"a", 0xc8d14678u}, {"ab", 0x1af34a94u}, {"abc", 0xe99aa651u},
    {"abcd", 0xa5af7631u}, {"abcdefg", 0x8e0c7369u}, {"abcdefgh", 0x68764bb6u},
    {"abcdefghi", 0xd4faeec8u}, {"/subscriptions/0000", 0xefbba429u}, {"gpt-4o-mini", 0xb65cc931u}};
  for (size_t i = 0; i < sizeof v / sizeof *v; i++) CU_ASSERT_EQUAL(aigw_hash_str(v[i].s, strlen(v[i].s)), v[i].h);
  uint64_t sub = aigw_path_next(AIGW_PATH_SEED, aigw_hash_raw("subscriptions", 13));
  CU_ASSERT_EQUAL(sub, 0xd086c0284fa5e84dull);
  CU_ASSERT_EQUAL(aigw_path_next(sub, aigw_hash_raw("rg-1", 4)), 0xf7b63cd6f51171bdull);
  CU_ASSERT_EQUAL(aigw_split_bucket("chat", 4, "p1", 2), 1417u);
  CU_ASSERT_EQUAL(aigw_split_bucket("route", 5, "user0316@contoso.com", 20), 3215u);
  /* a word's bytes all count: strings differing in one byte anywhere differ */
  char a[40], b[40];
  for (size_t n = 1; n < sizeof a; n++)
    for (size_t k = 0; k < n; k++) {
      memset(a, 'x', n); memcpy(b, a, n); b[k] = 'y';
      CU_ASSERT_NOT_EQUAL(aigw_hash_raw(a, n), aigw_hash_raw(b, n));
      CU_ASSERT(!aigw_eq(a, b, n));      /* and the word compare sees every byte */
      CU_ASSERT(aigw_eq(a, a, n));
    }
  CU_ASSERT(aigw_eq("", "x", 0));
}

/* Templates: the word scan finds the first brace wherever it is, and the pieces are
 * what the byte-by-byte reading gives. */
static void t_templates(void) {
  char t[40];
  for (size_t n = 0; n <= 33; n++)
    for (size_t at = 0; at <= n; at++)
      for (int br = 0; br < 2; br++) {
        memset(t, 'a' + (int)(n % 7), n);
        if (n > 3) t[3] = (char)0x7c;                       /* a byte next to both braces */
        if (at < n) t[at] = br ? '}' : '{';
        for (size_t k = 0; k <= n; k++) {
          size_t want = k;
          while (want < n && t[want] != '{' && t[want] != '}') want++;
          CU_ASSERT_EQUAL(tpl_plain(t, k, n), want);
        }
      }
  const char *m = "model {} is not {{approved}} for {}{}";
  size_t i = 0, st, len, n = strlen(m);
  char out[64] = "";
  int k, holes = 0;
  while ((k = tpl_next(m, n, &i, &st, &len)) != TPL_END)
    if (k == TPL_HOLE) { strcat(out, "#"); holes++; }
    else strncat(out, m + st, len);
  CU_ASSERT_STRING_EQUAL(out, "model # is not {approved} for ##");
  CU_ASSERT_EQUAL(holes, 3);
}

static void t_glob(void) {
  struct { const char *s, *p; int want; } g[] = {
    {"", "", 1}, {"", "*", 1}, {"a", "", 0}, {"abc", "abc", 1}, {"abc", "a*", 1},
    {"abc", "*c", 1}, {"abc", "a*c", 1}, {"ac", "a*c", 1}, {"abd", "a*c", 0},
    {"abc", "a?c", 1}, {"ac", "a?c", 0}, {"ai-sandbox-7", "ai-sandbox-*", 1},
    {"ai-sandbo", "ai-sandbox-*", 0}, {"aXbXc", "a*b*c", 1}, {"abcbd", "a*b?", 1},
    {"mississippi", "m*iss*ppi", 1}, {"mississippi", "m*iss*ppx", 0}, {"abc", "**", 1},
    {"\xc3\xa9", "?", 1}, {"\xc3\xa9", "??", 0}};
  for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
    uint64_t budget = UINT64_MAX;
    CU_ASSERT_EQUAL(vm_glob(g[i].s, strlen(g[i].s), g[i].p, strlen(g[i].p), &budget), g[i].want);
  }
  /* the worst case, *aaa…ab against aaaa…: every backtrack rescans the literal run,
   * n·m steps, stopped by the budget */
  char s[4001], p[2001];
  memset(s, 'a', 4000); s[4000] = 0;
  memset(p, 'a', 2000); p[0] = '*'; p[1999] = 'b'; p[2000] = 0;
  uint64_t budget = 100000;
  CU_ASSERT_EQUAL(vm_glob(s, 4000, p, 2000, &budget), -1);
  CU_ASSERT_EQUAL(budget, 0);
}

static void t_step_limit(void) {
  Fx *f = fx_new();
  Value v;
  f->bh.cfg.step_limit = 10;
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDI, I_7), I0(RET)), VM_OK);
  f->c->steps = 0;
  memcpy(f->code, (const uint32_t[]){I(LDI, I_7), I0(RET)}, 2 * sizeof(uint32_t));
  f->progs[0] = (BProgram){0, 2, T_INT, 4, 0, 1, S_EMPTY};
  int r = VM_OK, runs = 0;
  while (r == VM_OK && runs < 100) { r = vm_run(f->c, 0, &v); runs++; }
  CU_ASSERT_EQUAL(r, VM_ERR_LIMIT);
  CU_ASSERT_EQUAL(runs, 6);             /* 5 runs of 2 steps fit in 10 */
  fx_free(f);
}

/* ---- quantifiers, tables, conversions, budget usage ---- */

static void t_pick(void) {
  Fx *f = fx_new();
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I(LDI, I_3), I(PICK, 1), I0(RET)), 7);
  CU_ASSERT_EQUAL(IV(f, I(LDI, I_7), I(LDI, I_3), I(PICK, 0), I0(RET)), 3);
  fx_free(f);
}

static void t_quantify_sets(void) {
  Fx *f = fx_new();
  Value v;
  /* set 1 is {1, 3, 7}: all > 0, all < 3, any == 7 */
  CU_ASSERT_EQUAL(IV(f, I(LDSET, 1), I(QALL, 4), I(PICK, 0), I(LDI, I_0), I0(GT), I(QNEXT, 3), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDSET, 1), I(QALL, 4), I(PICK, 0), I(LDI, I_3), I0(LT), I(QNEXT, 3), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDSET, 1), I(QANY, 4), I(PICK, 0), I(LDI, I_7), I0(EQ), I(QNEXT, 3), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDSET, 1), I(QANY, 4), I(PICK, 0), I(LDI, I_2), I0(EQ), I(QNEXT, 3), I0(RET)), 0);
  /* the witnesses: the first element < 3 is false for (3), the first == 7 is true for (7) */
  CU_ASSERT_EQUAL(IV(f, I(LDSET, 1), I(QFALSE, 4), I(PICK, 0), I(LDI, I_3), I0(LT), I(QNEXT, 3), I0(RET)), 3);
  CU_ASSERT_EQUAL(IV(f, I(LDSET, 1), I(QTRUE, 4), I(PICK, 0), I(LDI, I_7), I0(EQ), I(QNEXT, 3), I0(RET)), 7);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDSET, 1), I(QTRUE, 4), I(PICK, 0), I(LDI, I_2), I0(EQ), I(QNEXT, 3), I0(RET)), VM_ERR_WITNESS);
  /* a string set yields interned strings: set 0 holds gpt-4o */
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDSET, 0), I(QTRUE, 4), I(PICK, 0), I(LDS, S_GPT), I0(SEQ), I(QNEXT, 3), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(v.sid, S_GPT);
  CU_ASSERT_EQUAL(v.len, 6);
  /* each round after the first is charged the body's length (4: PICK LDI LT QNEXT); a
   * loop that runs to the end over 3 members costs len + 2 * 4 */
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDSET, 1), I(QALL, 4), I(PICK, 0), I(LDI, I_0), I0(GT), I(QNEXT, 3), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(f->c->steps, 7 + 2 * 4);
  /* an early decision stops the loop: one round */
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDSET, 1), I(QANY, 4), I(PICK, 0), I(LDI, I_1), I0(EQ), I(QNEXT, 3), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(f->c->steps, 7);
  fx_free(f);
}

static void t_quantify_inputs(void) {
  Fx *f = fx_new();
  Value v;
  aigw_input_list_add(f->c, F_NUMS, "5", 1);
  aigw_input_list_add(f->c, F_NUMS, "-1", 2);
  aigw_input_list_add(f->c, F_NUMS, "7", 1);
  /* the list's items in order: all >= 0 fails at -1 */
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_NUMS), I(QALL, 4), I(PICK, 0), I(LDI, I_M1), I0(GT), I(QNEXT, 3), I0(RET)), 0);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_NUMS), I(QFALSE, 4), I(PICK, 0), I(LDI, I_M1), I0(GT), I(QNEXT, 3), I0(RET)), -1);
  /* a map's keys, in input order */
  aigw_input_map_set(f->c, F_TAGS, "env", 3, "prod", 4);
  aigw_input_map_set(f->c, F_TAGS, "abc", 3, "x", 1);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDF, F_TAGS), I(QTRUE, 4), I(PICK, 0), I(LDS, S_ABC), I0(SEQ), I(QNEXT, 3), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(v.sid, S_ABC);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDF, F_TAGS), I(QFALSE, 4), I(PICK, 0), I(LDS, S_ENV), I0(SEQ), I(QNEXT, 3), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(v.sid, S_ABC);
  /* nested: any key k with any number n such that... the outer element stays reachable */
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_TAGS), I(QANY, 8), I(LDF, F_NUMS), I(QANY, 5), I(PICK, 1), I(LDS, S_ENV), I0(SEQ),
                     I(NOT, 0), I(QNEXT, 4), I(QNEXT, 7), I0(RET)), 1);
  /* empty collections: all holds, any does not, and no element decides */
  aigw_input_reset(f->c);
  const char *empty = "{\"list\":[],\"tags\":{}}";
  CU_ASSERT_EQUAL(aigw_input_json(f->c, empty, strlen(empty)), AIGW_OK);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_LIST), I(QALL, 2), I(LDB, 0), I(QNEXT, 0), I0(RET)), 1);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_TAGS), I(QANY, 2), I(LDB, 1), I(QNEXT, 0), I0(RET)), 0);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDF, F_TAGS), I(QTRUE, 2), I(LDB, 1), I(QNEXT, 0), I0(RET)), VM_ERR_WITNESS);
  fx_free(f);
}

static void t_tables(void) {
  Fx *f = fx_new();
  Value v;
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_GPT), I(TGET, 0), I0(RET)), 7);
  CU_ASSERT_EQUAL(IV(f, I(LDS, S_ABC), I(TGET, 0), I0(RET)), 3);
  /* a key not in the bundle's strings, and one that is but is no key: no default, an error */
  aigw_input_string(f->c, F_MODEL, "llama", 5);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDF, F_MODEL), I(TGET, 0), I0(RET)), VM_ERR_TABLE);
  CU_ASSERT_EQUAL(f->c->err.slot, 0);
  CU_ASSERT_EQUAL(f->c->err.key.len, 5);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDS, S_ENV), I(TGET, 0), I0(RET)), VM_ERR_TABLE);
  /* string values, and the default */
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDS, S_ABC), I(TGET, 1), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(v.sid, S_TAGS);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDF, F_MODEL), I(TGET, 1), I0(RET)), VM_OK);
  CU_ASSERT_EQUAL(v.sid, S_HELLO);
  CU_ASSERT_EQUAL(memcmp(v.u.p, "hello", 6), 0);
  fx_free(f);
}

static void t_totime(void) {
  Fx *f = fx_new();
  Value v;
  aigw_input_string(f->c, F_MODEL, "2026-11-22", 10);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I0(TOTIME), I0(RET)), 1795305600);
  aigw_input_string(f->c, F_MODEL, "2026-11-22T01:00:00+01:00", 25);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I0(TOTIME), I0(RET)), 1795305600);
  aigw_input_string(f->c, F_MODEL, "2026-11-22 00:00:05Z", 20);
  CU_ASSERT_EQUAL(IV(f, I(LDF, F_MODEL), I0(TOTIME), I0(RET)), 1795305605);
  aigw_input_string(f->c, F_MODEL, "2026-02-30", 10);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDF, F_MODEL), I0(TOTIME), I0(RET)), VM_ERR_CONVERT);
  CU_ASSERT_EQUAL(f->c->err.key.len, 10);
  CU_ASSERT_EQUAL(RUN(f, &v, I(LDS, S_HELLO), I0(TOTIME), I0(RET)), VM_ERR_CONVERT);
  fx_free(f);
}

static void t_budget_usage(void) {
  Fx *f = fx_new();
  Value v;
  CU_ASSERT_EQUAL(RUN(f, &v, I(BUSED, 0), I0(RET)), VM_ERR_USAGE);
  CU_ASSERT_EQUAL(f->c->err.slot, 0);
  CU_ASSERT_EQUAL(aigw_input_budget_usage(f->c, 0, 1700), AIGW_OK);
  CU_ASSERT_EQUAL(IV(f, I(BUSED, 0), I0(RET)), 1700);
  CU_ASSERT_EQUAL(aigw_input_budget_usage(f->c, 1, 5), AIGW_ERR_ARG);
  CU_ASSERT_EQUAL(aigw_input_budget_usage(f->c, -1, 5), AIGW_ERR_ARG);
  aigw_input_reset(f->c);               /* usage belongs to the input */
  CU_ASSERT_EQUAL(RUN(f, &v, I(BUSED, 0), I0(RET)), VM_ERR_USAGE);
  CU_ASSERT_EQUAL(aigw_input_json(f->c, "{\"$budgets\":{\"n\":42}}", 21), AIGW_OK);
  CU_ASSERT_EQUAL(IV(f, I(BUSED, 0), I0(RET)), 42);
  CU_ASSERT_EQUAL(aigw_input_json(f->c, "{\"$budgets\":{\"x\":42}}", 21), AIGW_ERR_INPUT);
  CU_ASSERT_EQUAL(aigw_input_json(f->c, "{\"$budgets\":{\"n\":\"4\"}}", 22), AIGW_ERR_INPUT);
  CU_ASSERT_EQUAL(RUN(f, &v, I(BUSED, 0), I0(RET)), VM_ERR_USAGE);
  fx_free(f);
}

UNIT_SUITE(vm,
  {"loads", t_loads}, {"ldf_has", t_ldf_has}, {"compare", t_compare},
  {"strings_eq", t_strings_eq}, {"arith", t_arith}, {"not_jumps", t_not_jumps},
  {"sets", t_sets}, {"lists", t_lists}, {"maps", t_maps}, {"under", t_under},
  {"text", t_text}, {"hashes", t_hashes}, {"templates", t_templates}, {"glob", t_glob}, {"step_limit", t_step_limit}, {"pick", t_pick},
  {"quantify_sets", t_quantify_sets}, {"quantify_inputs", t_quantify_inputs}, {"tables", t_tables},
  {"totime", t_totime}, {"budget_usage", t_budget_usage})
