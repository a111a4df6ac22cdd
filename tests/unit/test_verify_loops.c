/* The verifier and the cost bound for quantifier loops, tables, budget usage and cache
 * hints (docs/bundle.md, "What the verifier checks").
 *
 * A policy that uses each of them is compiled; each case corrupts one instruction or
 * record, reseals the bundle and pins the verifier's message. Every byte of the same
 * bundle is then flipped and resealed, and each mutant that opens is evaluated: a loop
 * the verifier admits must be one the VM runs safely and to an end. Last, the
 * compiler's worst-case cost is held to the VM's counted steps on the largest input
 * the schema allows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bundle.h"
#include "sha256.h"
#include "test_rt.h"
#include "unit.h"
#include "util.h"
#include "vm.h"

static const char LOOPS[] =
  "policy loops\n"
  "input request {\n"
  "  tags: map<string, max 8>\n  labels: list<string, max 4>\n  n: int\n  team: string\n"
  "}\n"
  "set required = {\"owner\", \"cost-center\"}\n"
  "table limits = {\"claims\": 10} default 5\n"
  "guardrail g0 {\n  deny when not (all t in required: t in request.tags)\n  message \"missing {t}\"\n}\n"
  "guardrail g1 {\n  deny when any l in request.labels: any t in required: l == t\n}\n"
  "guardrail g2 {\n  warn when request.n > limits[request.team]\n}\n"
  "guardrail g3 {\n  deny when any l in request.labels: l == \"a\" and l != \"b\"\n}\n"
  "guardrail g4 {\n  deny when request.n > 0 and (all t in required: t in request.tags)\n}\n"
  "route r {\n"
  "  when budget(b).used >= 50% -> a:b cache 1h by request.team\n"
  "  default -> a:c\n"
  "}\n"
  "budget b {\n  key request.team\n  limit limits[request.team] requests per 10s\n  window sliding\n}\n";

static const char LOOPS_INPUT[] =
  "{\"tags\":{\"owner\":\"a\",\"cost-center\":\"b\",\"x\":\"\"},\"labels\":[\"pii\",\"a\"],\"n\":3,"
  "\"team\":\"claims\",\"$budgets\":{\"b\":7}}";

static uint8_t *lp_orig;
static size_t lp_len;
static Bundle lp_view;

static int lp_load(void) {
  if (lp_orig) return 0;
  size_t n;
  char *p = tu_compile_bytes(LOOPS, &n);
  if (!p) return -1;
  lp_orig = aligned_alloc(8, (n + 7) / 8 * 8);
  memcpy(lp_orig, p, n);
  lp_len = n;
  free(p);
  char err[256];
  if (bundle_verify(lp_orig, lp_len, &lp_view, err, sizeof err)) { printf("\n  does not verify: %s", err); return -1; }
  return 0;
}

static uint8_t *lp_copy(void) {
  uint8_t *m = aligned_alloc(8, (lp_len + 7) / 8 * 8);
  memcpy(m, lp_orig, lp_len);
  return m;
}
static size_t lp_off(const void *p) { return (size_t)((const uint8_t *)p - lp_orig); }
static void lp_put32(uint8_t *m, size_t off, uint32_t v) { memcpy(m + off, &v, 4); }
static void lp_put64(uint8_t *m, size_t off, int64_t v) { memcpy(m + off, &v, 8); }
static void lp_seal(uint8_t *m) { rt_sha256(m + BUNDLE_HEADER, lp_len - BUNDLE_HEADER, ((BHeader *)m)->checksum); }
static void lp_insn(uint8_t *m, uint32_t pc, uint32_t w) { lp_put32(m, lp_off(&lp_view.code[pc]), w); }

/* Seals m, requires a refusal whose message holds want, frees m. */
static void lp_expect(uint8_t *m, const char *want) {
  char err[256] = "";
  Bundle b;
  lp_seal(m);
  int rc = bundle_verify(m, lp_len, &b, err, sizeof err);
  if (rc == 0 || !strstr(err, want))
    printf("\n  expected a refusal containing \"%s\"\n    verifier: %s", want, rc ? err : "(accepted)");
  CU_ASSERT_EQUAL(rc, -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
  free(m);
}

/* The pc of the first instruction op in program p (at or after its k-th), or NONE32. */
static uint32_t lp_find(uint32_t p, int op, uint32_t k) {
  const BProgram *P = &lp_view.programs[p];
  for (; k < P->len; k++)
    if (INSN_OP(lp_view.code[P->start + k]) == (uint32_t)op) return P->start + k;
  return NONE32;
}

static void test_loops_decide(void) {
  CU_ASSERT_FATAL(lp_load() == 0);
  aigw_bundle *b = NULL;
  char err[256];
  CU_ASSERT_FATAL(aigw_bundle_open_mem(lp_orig, lp_len, NULL, &b, err, sizeof err) == AIGW_OK);
  aigw_ctx *c = NULL;
  CU_ASSERT_FATAL(aigw_ctx_new(b, &c) == AIGW_OK);
  const char *js = tu_decide(c, LOOPS_INPUT, TU_NOW);
  /* g3 fires on "a"; the rule's 50% of claims' limit 10 is 5: usage 7 takes rule 0 */
  CU_ASSERT(tu_has(js, "\"decision\":\"deny\""));
  CU_ASSERT(tu_has(js, "\"guardrail\":\"g3\""));
  CU_ASSERT(!tu_has(js, "\"guardrail\":\"g0\""));
  /* without the cost-center tag: g0 names it */
  js = tu_decide(c, "{\"tags\":{\"owner\":\"a\"},\"labels\":[],\"n\":0,\"team\":\"claims\",\"$budgets\":{\"b\":7}}", TU_NOW);
  CU_ASSERT(tu_has(js, "\"message\":\"missing cost-center\""));
  /* the key a budget charges, for a host that looks its usage up before evaluating */
  const char *in = "{\"tags\":{\"owner\":\"a\",\"cost-center\":\"b\"},\"labels\":[],\"n\":0,\"team\":\"claims\"}";
  CU_ASSERT_EQUAL(aigw_input_json(c, in, strlen(in)), AIGW_OK);
  const char *key = NULL;
  size_t klen = 0;
  CU_ASSERT_EQUAL(aigw_budget_key(c, 0, &key, &klen), AIGW_OK);
  CU_ASSERT(klen == 6 && !memcmp(key, "claims", 6));
  CU_ASSERT_EQUAL(aigw_budget_index(b, "b"), 0);
  CU_ASSERT_EQUAL(aigw_budget_index(b, "nope"), -1);
  CU_ASSERT_EQUAL(aigw_input_budget_usage(c, 0, 9), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_eval(c, TU_NOW), AIGW_OK);
  aigw_cache ch;
  CU_ASSERT_EQUAL(aigw_route_cache(c, &ch), AIGW_OK);   /* 9 >= 50% of 10: rule 0, with its hint */
  CU_ASSERT(ch.ttl == 3600 && ch.key_len == 6 && !memcmp(ch.key, "claims", 6));
  aigw_budget bu;
  CU_ASSERT_EQUAL(aigw_budget_get(c, 0, &bu), AIGW_OK);
  CU_ASSERT(bu.limit == 10 && bu.window == 10 && bu.sliding && bu.rate_limit && bu.window_end == TU_NOW);
  js = tu_decide(c, "{\"tags\":{\"owner\":\"a\",\"cost-center\":\"b\"},\"labels\":[],\"n\":0,\"team\":\"x\",\"$budgets\":{\"b\":7}}", TU_NOW);
  CU_ASSERT(tu_has(js, "\"cache\":{\"ttl\":3600,\"key\":\"x\"}"));
  CU_ASSERT(tu_has(js, "\"limit\":5,\"unit\":\"requests\",\"period\":\"10s\""));
  aigw_ctx_free(c);
  aigw_bundle_close(b);
}

/* g0's condition: LDSET; QALL +4; PICK 0; LDF tags; HASKEY; QNEXT -3; NOT; RET */
static void test_loop_shape(void) {
  CU_ASSERT_FATAL(lp_load() == 0);
  uint32_t p = lp_view.guardrails[0].cond, q = lp_find(p, OP_QALL, 0), nx = lp_find(p, OP_QNEXT, 0);
  CU_ASSERT_FATAL(q != NONE32 && nx == q + 4 && INSN_ARG(lp_view.code[nx]) == 3);
  char want[128];
  /* a jump back that does not land at the body's start: the opening finds it wrong */
  uint8_t *m = lp_copy();
  lp_insn(m, nx, INSN(OP_QNEXT, 2));
  snprintf(want, sizeof want, "bad loop at pc %u in program %u", q, p);
  lp_expect(m, want);
  m = lp_copy();
  lp_insn(m, nx, INSN(OP_QNEXT, 4));
  lp_expect(m, want);
  /* an exit that does not follow a QNEXT */
  m = lp_copy();
  lp_insn(m, q, INSN(OP_QALL, 5));
  snprintf(want, sizeof want, "bad loop at pc %u in program %u", q, p);
  lp_expect(m, want);
  /* a QNEXT with no loop open */
  m = lp_copy();
  lp_insn(m, q, INSN(OP_POP, 0));
  lp_insn(m, q + 1, INSN(OP_LDS, 0));
  snprintf(want, sizeof want, "bad loop at pc %u in program %u", nx, p);
  lp_expect(m, want);
  /* a body that pops the element it was given */
  m = lp_copy();
  lp_insn(m, q + 1, INSN(OP_POP, 0));
  snprintf(want, sizeof want, "loop body pops its iterator at pc %u in program %u", q + 1, p);
  lp_expect(m, want);
  /* a body that leaves two values for QNEXT */
  m = lp_copy();
  lp_insn(m, q + 3, INSN(OP_LDB, 1));
  snprintf(want, sizeof want, "loop body leaves the stack unbalanced at pc %u in program %u", nx, p);
  lp_expect(m, want);
  /* a copy of the iterator, and a pick below the stack */
  m = lp_copy();
  lp_insn(m, q + 1, INSN(OP_PICK, 1));
  snprintf(want, sizeof want, "bad pick at pc %u in program %u", q + 1, p);
  lp_expect(m, want);
  m = lp_copy();
  lp_insn(m, q + 1, INSN(OP_PICK, 2));
  lp_expect(m, want);
  /* a loop over a set that is not there, and over an int */
  m = lp_copy();
  lp_insn(m, q - 1, INSN(OP_LDSET, lp_view.nsets));
  snprintf(want, sizeof want, "bad set %u at pc %u in program %u", lp_view.nsets, q - 1, p);
  lp_expect(m, want);
  uint32_t nf = NONE32;
  for (uint32_t f = 0; f < lp_view.nfields; f++) if (lp_view.fields[f].type == T_INT) nf = f;
  m = lp_copy();
  lp_insn(m, q - 1, INSN(OP_LDF, nf));
  snprintf(want, sizeof want, "operand types do not fit QALL at pc %u in program %u", q, p);
  lp_expect(m, want);
}

/* Jumps that cross a loop's edge: g3's body holds an `and` (JFK), g4 jumps over a loop. */
static void test_loop_jumps(void) {
  CU_ASSERT_FATAL(lp_load() == 0);
  char want[128];
  uint32_t p = lp_view.guardrails[3].cond, j = lp_find(p, OP_JFK, 0), nx = lp_find(p, OP_QNEXT, 0);
  CU_ASSERT_FATAL(j != NONE32 && nx != NONE32 && j < nx);
  uint8_t *m = lp_copy();
  lp_insn(m, j, INSN(OP_JFK, nx - j));   /* lands just past the QNEXT */
  snprintf(want, sizeof want, "jump out of a loop at pc %u in program %u", j, p);
  lp_expect(m, want);
  p = lp_view.guardrails[4].cond;
  j = lp_find(p, OP_JFK, 0);
  uint32_t q = lp_find(p, OP_QALL, 0);
  CU_ASSERT_FATAL(j != NONE32 && q != NONE32 && j < q);
  m = lp_copy();
  lp_insn(m, j, INSN(OP_JFK, q + 1 - j));   /* lands on the body's second instruction */
  snprintf(want, sizeof want, "jump into a loop at pc %u in program %u", q, p);
  lp_expect(m, want);
}

static void test_table_budget_ops(void) {
  CU_ASSERT_FATAL(lp_load() == 0);
  char want[128];
  uint32_t p = lp_view.guardrails[2].cond, t = lp_find(p, OP_TGET, 0);
  CU_ASSERT_FATAL(t != NONE32);
  uint8_t *m = lp_copy();
  lp_insn(m, t, INSN(OP_TGET, lp_view.ntables));
  snprintf(want, sizeof want, "bad table %u at pc %u in program %u", lp_view.ntables, t, p);
  lp_expect(m, want);
  /* the key must be a string for a table of string keys: LDF team becomes LDF n */
  uint32_t nf = NONE32;
  for (uint32_t f = 0; f < lp_view.nfields; f++) if (lp_view.fields[f].type == T_INT) nf = f;
  m = lp_copy();
  lp_insn(m, t - 1, INSN(OP_LDF, nf));
  snprintf(want, sizeof want, "operand types do not fit TGET at pc %u in program %u", t, p);
  lp_expect(m, want);
  p = lp_view.rules[0].prog;
  uint32_t u = lp_find(p, OP_BUSED, 0);
  CU_ASSERT_FATAL(u != NONE32);
  m = lp_copy();
  lp_insn(m, u, INSN(OP_BUSED, lp_view.nbudgets));
  snprintf(want, sizeof want, "bad budget %u at pc %u in program %u", lp_view.nbudgets, u, p);
  lp_expect(m, want);
}

static void test_new_records(void) {
  CU_ASSERT_FATAL(lp_load() == 0);
  const Bundle *b = &lp_view;
  uint8_t *m = lp_copy();
  lp_put32(m, lp_off(&b->tables[0].values), b->nints);
  lp_expect(m, "table 0 has values out of bounds");
  m = lp_copy();
  lp_put32(m, lp_off(&b->tables[0].keys), b->nsets);
  lp_expect(m, "table 0 has a bad name or key set");
  m = lp_copy();
  m[lp_off(&b->tables[0].type)] = T_LIST;
  lp_expect(m, "table 0 has a bad value type");
  /* a month-aligned window must have no length; a sliding one must have one */
  m = lp_copy();
  lp_put32(m, lp_off(&b->budgets[0].flags), BUDGET_ALIGN_MONTH | BUDGET_SLIDING);
  lp_expect(m, "budget 0 has a bad window");
  m = lp_copy();
  lp_put64(m, lp_off(&b->budgets[0].window), 0);
  lp_expect(m, "budget 0 has a bad window");
  m = lp_copy();
  lp_put32(m, lp_off(&b->budgets[0].limit_prog), b->rules[0].prog);   /* a bool program */
  lp_expect(m, "budget 0 has a bad limit");
  m = lp_copy();
  lp_put64(m, lp_off(&b->rules[0].cache_ttl), -1);
  lp_expect(m, "rule 0 has a bad cache");
  m = lp_copy();
  lp_put32(m, lp_off(&b->rules[1].cache_key), b->rules[0].cache_key);  /* a key without a ttl */
  lp_expect(m, "rule 1 has a bad cache");
  /* a list field that may hold nothing, and a scalar that claims items */
  uint32_t lf = NONE32, nf = NONE32;
  for (uint32_t f = 0; f < b->nfields; f++) {
    if (b->fields[f].type == T_LIST) lf = f;
    if (b->fields[f].type == T_INT) nf = f;
  }
  char want[64];
  m = lp_copy();
  lp_put32(m, lp_off(&b->fields[lf].max_items), 0);
  snprintf(want, sizeof want, "field %u has a bad item limit", lf);
  lp_expect(m, want);
  m = lp_copy();
  lp_put32(m, lp_off(&b->fields[nf].max_items), 4);
  snprintf(want, sizeof want, "field %u has a bad item limit", nf);
  lp_expect(m, want);
}

/* Every byte flipped and the bundle resealed: refused with a message, or opened and
 * evaluated to an end (under the sanitizers, safely). */
static void test_loops_flipped(void) {
  CU_ASSERT_FATAL(lp_load() == 0);
  uint8_t *m = lp_copy();
  long tried = 0, opened = 0, silent = 0, failed = 0;
  for (size_t i = BUNDLE_HEADER; i < lp_len; i++) {
    m[i] ^= 0xff;
    lp_seal(m);
    aigw_bundle *b = NULL;
    char err[256] = "";
    tried++;
    if (aigw_bundle_open_mem(m, lp_len, NULL, &b, err, sizeof err) == AIGW_OK) {
      opened++;
      aigw_ctx *c = NULL;
      if (aigw_ctx_new(b, &c) == AIGW_OK) {
        aigw_input_json(c, LOOPS_INPUT, sizeof LOOPS_INPUT - 1);
        aigw_status st = aigw_eval(c, TU_NOW);
        if (st == AIGW_OK) failed += aigw_decision_json(c, NULL) == NULL;
        aigw_ctx_free(c);
      }
      aigw_bundle_close(b);
    } else silent += !err[0];
    m[i] ^= 0xff;
  }
  printf("\n  quantifier bundle, flipped bytes resealed: %ld mutants, %ld opened and evaluated", tried, opened);
  CU_ASSERT_EQUAL(silent, 0);
  CU_ASSERT_EQUAL(failed, 0);
  free(m);
}

/* The compiler's worst-case cost is exact for quantifiers: on the largest input the
 * schema allows, and with no loop decided early, the VM counts exactly as many steps.
 * Every loop runs all its rounds (bodies that never decide), the map lookup in g2 costs
 * one step per round at 64 keys, and nothing else runs: no message is rendered (that is
 * not part of a decision), no route, no budget. */
static const char COST[] =
  "policy cost\n"
  "input request {\n  tags: map<string, max 64>\n  labels: list<string, max 16>\n}\n"
  "set s = {\"a\", \"b\", \"c\"}\n"
  "guardrail g0 {\n  deny when all t in request.tags: len(t) >= 0\n}\n"
  "guardrail g1 {\n  deny when any l in request.labels: any t in s: len(l) + len(t) < 0\n}\n"
  "guardrail g2 {\n  deny when any k in request.tags: request.tags[k] == \"never\"\n}\n"
  "guardrail g3 {\n  deny when none l in request.labels: any t in [\"x\", \"y\"]: len(t) > len(l) + 1000\n}\n";

static void test_cost_exact(void) {
  aigw_bundle *b = tu_compile(COST, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  aigw_ctx *c = NULL;
  CU_ASSERT_FATAL(aigw_ctx_new(b, &c) == AIGW_OK);
  Buf in = {0};
  buf_puts(&in, "{\"tags\":{");
  for (int i = 0; i < 64; i++) buf_printf(&in, "%s\"k%d\":\"v\"", i ? "," : "", i);
  buf_puts(&in, "},\"labels\":[");
  for (int i = 0; i < 16; i++) buf_printf(&in, "%s\"l%d\"", i ? "," : "", i);
  buf_puts(&in, "]}");
  CU_ASSERT_EQUAL_FATAL(aigw_input_json(c, in.p, in.n), AIGW_OK);
  CU_ASSERT_EQUAL_FATAL(aigw_eval(c, TU_NOW), AIGW_OK);
  uint32_t cost = aigw_bundle_cost(b);
  printf("\n  worst-case cost %u, steps counted on the largest input %llu", cost, (unsigned long long)c->steps);
  CU_ASSERT_EQUAL(c->steps, cost);
  /* one label short of the max: fewer steps, never more */
  buf_free(&in);
  buf_puts(&in, "{\"tags\":{\"k\":\"v\"},\"labels\":[\"a\"]}");
  CU_ASSERT_EQUAL_FATAL(aigw_input_json(c, in.p, in.n), AIGW_OK);
  CU_ASSERT_EQUAL_FATAL(aigw_eval(c, TU_NOW), AIGW_OK);
  CU_ASSERT(c->steps < cost);
  /* one item past the max is refused, so the bound holds for every input */
  buf_free(&in);
  buf_puts(&in, "{\"labels\":[");
  for (int i = 0; i < 17; i++) buf_printf(&in, "%s\"l%d\"", i ? "," : "", i);
  buf_puts(&in, "]}");
  CU_ASSERT_EQUAL(aigw_input_json(c, in.p, in.n), AIGW_ERR_LIMIT);
  buf_free(&in);
  aigw_ctx_free(c);
  aigw_bundle_close(b);
}

UNIT_SUITE(verify_loops,
  {"quantifiers, tables, usage and caches decide", test_loops_decide},
  {"loop shape", test_loop_shape},
  {"jumps across a loop's edge", test_loop_jumps},
  {"table and budget operands", test_table_budget_ops},
  {"tables, windows, caches and item limits", test_new_records},
  {"every byte flipped, resealed: refused or evaluated", test_loops_flipped},
  {"worst-case cost is exact for quantifiers", test_cost_exact})
