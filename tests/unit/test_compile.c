/* Compiler tests. Golden bytecode, as Lua's testes/code.lua does it: a small snippet is
 * compiled, its bundle verified, and the exact instructions of one program compared
 * with the expected listing (LDF model; INSET 0; NOT; RET). Then determinism, and the
 * diagnostics for the mistakes people make: message text, line and column, and the
 * "did you mean" help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aigw.h"
#include "bundle.h"
#include "compile.h"
#include "diag.h"
#include "unit.h"
#include "util.h"

/* Every snippet starts with this schema, so line numbers in the cases below count from
 * the line after it: line(1) is the first line of a snippet. */
static const char tc_prelude[] =
  "policy t\n"
  "levels cls { low < high }\n"
  "input request {\n"
  "  model: string\n"
  "  provider: string\n"
  "  team: string\n"
  "  tokens: int\n"
  "  when: time\n"
  "  cls: cls\n"
  "  scope: scope\n"
  "  ancestors: list<scope>\n"
  "  tags: map<string>\n"
  "  nums: list<int>\n"
  "}\n"
  "set approved = {\"gpt-4o\", \"gpt-4o-mini\"}\n"
  "scope prod = \"/s/prod\"\n";
enum { TC_PRELUDE_LINES = 16 };
#define line(n) (TC_PRELUDE_LINES + (n))

typedef struct TC {
  DiagSink d;
  Buf out;
  int rc;                   /* compile_bundle's result */
  int vrc;                  /* bundle_verify's, when it compiled */
  char verr[256];
  uint8_t *al;              /* the bundle, 8-byte aligned for the verifier */
  Bundle b;
} TC;

static void tc_compile_raw(TC *t, const char *src, const CompileOpts *o) {
  memset(t, 0, sizeof *t);
  diag_init(&t->d);
  size_t n = strlen(src);
  diag_add_source(&t->d, "t.aigw", xstrndup(src, n), (uint32_t)n);
  t->rc = compile_bundle(&t->d, o, &t->out);
  t->vrc = -1;
  if (t->rc == 0) {
    t->al = malloc(t->out.n);
    memcpy(t->al, t->out.p, t->out.n);
    t->vrc = bundle_verify(t->al, t->out.n, &t->b, t->verr, sizeof t->verr);
  }
}

/* A snippet after the prelude. */
static void tc_compile(TC *t, const char *snippet, const CompileOpts *o) {
  Buf src = {0};
  buf_puts(&src, tc_prelude);
  buf_puts(&src, snippet);
  tc_compile_raw(t, src.p, o);
  buf_free(&src);
}

static void tc_free(TC *t) {
  free(t->al);
  buf_free(&t->out);
  diag_free(&t->d);
}

static void tc_print_diags(TC *t) {
  Buf b = {0};
  for (int i = 0; i < t->d.n; i++) diag_print_one(&t->d, &t->d.items[i], &b);
  printf("%s", b.p ? b.p : "    (no diagnostics)\n");
  buf_free(&b);
}

/* ---- golden bytecode ---- */

/* A program as text: "FINSET model 0; NOT; RET", operands by name where the bundle
 * has one (fields, strings, scopes, cast types), jumps as +offset. */
static void tc_listing(const Bundle *b, uint32_t prog, Buf *out) {
  static const char *types[] = {
#define X(n, s) s,
    VM_TYPES(X)
#undef X
  };
  const BProgram *p = &b->programs[prog];
  for (uint32_t k = 0; k < p->len; k += insn_words(b->code[p->start + k])) {
    uint32_t w = b->code[p->start + k], arg = INSN_ARG(w);
    const OpInfo *oi = &vm_opinfo[INSN_OP(w)];
    buf_printf(out, "%s%s", k ? "; " : "", oi->name);
    switch (oi->arg) {
    case ARG_SLOT: buf_printf(out, " %s", bundle_str(b, b->fields[arg].name)); break;
    case ARG_INT: buf_printf(out, " %lld", (long long)b->ints[arg]); break;
    case ARG_STR: buf_printf(out, " \"%s\"", bundle_str(b, arg)); break;
    case ARG_NODE: buf_printf(out, " %s", bundle_str(b, b->nodes[arg].scope_text)); break;
    case ARG_JUMP: buf_printf(out, " +%u", arg); break;
    case ARG_IMM: if (INSN_OP(w) == OP_CAST) buf_printf(out, " %s", arg < T__COUNT ? types[arg] : "?");
                  else buf_printf(out, " %u", arg);
                  break;
    case ARG_SET: buf_printf(out, " %u", arg); break;
    case ARG_SLOT_STR: buf_printf(out, " %s \"%s\"", bundle_str(b, b->fields[arg].name), bundle_str(b, b->code[p->start + k + 1])); break;
    case ARG_SLOT_SET: buf_printf(out, " %s %u", bundle_str(b, b->fields[arg].name), b->code[p->start + k + 1]); break;
    default: break;
    }
  }
}

/* The snippet compiles cleanly (warnings allowed), verifies, and program prog has
 * exactly the listing want. */
static void tc_expect_prog(const char *snippet, int which_prog, const char *want) {
  TC t;
  tc_compile(&t, snippet, NULL);
  if (t.rc != 0 || t.vrc != 0) {
    printf("\n  %s\n  compile %d, verify %d: %s\n", snippet, t.rc, t.vrc, t.vrc ? t.verr : "");
    tc_print_diags(&t);
  }
  CU_ASSERT_EQUAL(t.rc, 0);
  CU_ASSERT_EQUAL(t.vrc, 0);
  if (t.rc == 0 && t.vrc == 0) {
    CU_ASSERT_FATAL((uint32_t)which_prog < t.b.nprograms);
    Buf got = {0};
    tc_listing(&t.b, (uint32_t)which_prog, &got);
    if (strcmp(got.p, want)) printf("\n  %s\n    expected: %s\n    actual:   %s\n", snippet, want, got.p);
    CU_ASSERT_STRING_EQUAL(got.p, want);
    buf_free(&got);
  }
  tc_free(&t);
}

/* The condition of the only guardrail. */
static void tc_expect_cond(const char *cond, const char *want) {
  Buf s = {0};
  buf_printf(&s, "guardrail g { deny when %s }\n", cond);
  tc_expect_prog(s.p, 0, want);
  buf_free(&s);
}

/* The smallest policy: no exemptions, so empty tables all the way through the writer
 * (under UBSan, a qsort or memcpy of an empty table from a NULL pointer shows here). */
static void test_no_exemptions(void) {
  TC t;
  tc_compile(&t, "guardrail g { deny when request.tokens > 1 }\n", NULL);
  CU_ASSERT_EQUAL(t.rc, 0);
  CU_ASSERT_EQUAL_FATAL(t.vrc, 0);
  CU_ASSERT_EQUAL(t.b.nguardrails, 1);
  CU_ASSERT_EQUAL(t.b.nexemptions, 0);
  CU_ASSERT_EQUAL(t.b.nexindex, 0);
  CU_ASSERT_EQUAL(t.b.nroutes, 0);
  CU_ASSERT_EQUAL(t.b.nbudgets, 0);
  CU_ASSERT_STRING_EQUAL(bundle_str(&t.b, t.b.meta->policy), "t");
  CU_ASSERT_STRING_EQUAL(bundle_str(&t.b, t.b.meta->compiler), "aigwc " AIGW_VERSION_STRING);
  tc_free(&t);
}

static void test_golden_in(void) {
  tc_expect_cond("request.model not in approved", "FINSET model 0; NOT; RET");
  tc_expect_cond("request.model in approved", "FINSET model 0; RET");
  /* a list literal becomes an anonymous set after the named ones */
  tc_expect_cond("request.team in [\"a\", \"b\"]", "FINSET team 1; RET");
  tc_expect_cond("3 in request.nums", "LDI 3; LDF nums; INLIST; RET");
  tc_expect_cond("\"cost-center\" in request.tags", "LDS \"cost-center\"; LDF tags; HASKEY; RET");
  tc_expect_cond("not (\"k\" in request.tags)", "LDS \"k\"; LDF tags; HASKEY; NOT; RET");
  tc_expect_cond("request.scope under prod", "LDF scope; UNDER /s/prod; RET");
  tc_expect_cond("request.scope under \"/s/dev\"", "LDF scope; UNDER /s/dev; RET");
}

static void test_golden_fold(void) {
  tc_expect_cond("2 + 3 > 4", "LDB 1; RET");
  tc_expect_cond("2 * 3 == 7", "LDB 0; RET");
  tc_expect_cond("not (1 > 2)", "LDB 1; RET");
  tc_expect_cond("\"a\" == \"a\"", "LDB 1; RET");
  tc_expect_cond("\"a\" != \"a\"", "LDB 0; RET");
  tc_expect_cond("10 / 3 == 3", "LDB 1; RET");
  tc_expect_cond("request.tokens > 2 * 1000", "LDF tokens; LDI 2000; GT; RET");
  tc_expect_cond("-request.tokens < -5", "LDF tokens; NEG; LDI -5; LT; RET");
  /* `false and x` is false and `true and x` is x: no jump for a constant left side */
  tc_expect_cond("false and request.tokens > 1", "LDB 0; RET");
  tc_expect_cond("true and request.tokens > 1", "LDF tokens; LDI 1; GT; RET");
  tc_expect_cond("true or request.tokens > 1", "LDB 1; RET");
  tc_expect_cond("false or request.tokens > 1", "LDF tokens; LDI 1; GT; RET");
}

/* Folding refuses what would fault: the instruction stays, the VM fails closed, and the
 * compiler warns. */
static void test_golden_no_fold(void) {
  tc_expect_cond("1 / 0 > 0", "LDI 1; LDI 0; DIV; LDI 0; GT; RET");
  tc_expect_cond("9223372036854775807 + 1 > 0", "LDI 9223372036854775807; LDI 1; ADD; LDI 0; GT; RET");
  TC t;
  tc_compile(&t, "guardrail g { deny when 1 / 0 > 0 }\n", NULL);
  CU_ASSERT_EQUAL(t.rc, 0);
  CU_ASSERT_EQUAL(t.d.errors, 0);
  CU_ASSERT_EQUAL_FATAL(t.d.n, 1);
  CU_ASSERT_EQUAL(t.d.items[0].level, DIAG_WARN);
  CU_ASSERT_STRING_EQUAL(t.d.items[0].msg, "this expression always fails at run time (division by zero or overflow)");
  uint32_t ln, col;
  diag_linecol(&t.d, 0, t.d.items[0].off, &ln, &col);
  CU_ASSERT_EQUAL(ln, line(1));
  CU_ASSERT_EQUAL(col, 25);
  tc_free(&t);
}

static void test_golden_logic(void) {
  tc_expect_cond("request.tokens > 1 and request.team == \"x\"",
                 "LDF tokens; LDI 1; GT; JFK +2; FSEQK team \"x\"; RET");
  tc_expect_cond("request.tokens > 1 or not has(request.team)",
                 "LDF tokens; LDI 1; GT; JTK +2; HAS team; NOT; RET");
  /* a chain: each jump lands on the next test's end, all on the RET */
  tc_expect_cond("request.team == \"a\" and request.team != \"b\" and request.tokens < 3",
                 "FSEQK team \"a\"; JFK +2; FSNEK team \"b\"; JFK +3; LDF tokens; LDI 3; LT; RET");
  tc_expect_cond("starts_with(request.model, \"gpt\") or len(request.team) > 3",
                 "LDF model; LDS \"gpt\"; STARTS; JTK +4; LDF team; LEN; LDI 3; GT; RET");
}

static void test_golden_types(void) {
  /* a level constant is an int retyped to the level */
  tc_expect_cond("request.cls >= high", "LDF cls; LDI 1; CAST level; GE; RET");
  tc_expect_cond("now - request.when > 3d", "LDNOW; LDF when; SUB; CAST duration; LDI 259200; CAST duration; GT; RET");
  tc_expect_cond("request.tags[\"env\"] == \"prod\"", "LDF tags; LDS \"env\"; INDEX; SEQK \"prod\"; RET");
  tc_expect_cond("ends_with(request.model, \"-mini\") and contains(request.provider, \"azure\")",
                 "LDF model; LDS \"-mini\"; ENDS; JFK +3; LDF provider; LDS \"azure\"; CONTAINS; RET");
  tc_expect_cond("matches(request.model, \"gpt-*\")", "LDF model; LDS \"gpt-*\"; GLOB; RET");
}

/* Programs other than guardrail conditions: message holes, exemption conditions, route
 * rules and split keys, budget keys. Programs are numbered in declaration order. */
static void test_golden_other_programs(void) {
  const char *src =
    "guardrail g {\n"
    "  deny when request.model not in approved\n"
    "  message \"model {request.model} by {request.provider}\"\n"
    "}\n"
    "exemption EX-1 { waives g\n scope prod\n when request.team == \"ml\"\n owner \"a@b\"\n expires never\n reason \"r\" }\n"
    "route chat {\n"
    "  when request.cls >= high -> azure:gpt-4o\n"
    "  split by request.team { 50% a:b, 50% c:d }\n"
    "}\n"
    "budget tokens { key request.team\n limit 1000 tokens per day }\n";
  tc_expect_prog(src, 0, "FINSET model 0; NOT; RET");
  tc_expect_prog(src, 1, "LDF model; RET");
  tc_expect_prog(src, 2, "LDF provider; RET");
  tc_expect_prog(src, 3, "FSEQK team \"ml\"; RET");
  tc_expect_prog(src, 4, "LDF cls; LDI 1; CAST level; GE; RET");
  tc_expect_prog(src, 5, "LDF team; RET");
  tc_expect_prog(src, 6, "LDF team; RET");
  TC t;
  tc_compile(&t, src, NULL);
  CU_ASSERT_EQUAL_FATAL(t.vrc, 0);
  const Bundle *b = &t.b;
  CU_ASSERT_EQUAL(b->nprograms, 7);
  CU_ASSERT_EQUAL(b->guardrails[0].cond, 0);
  CU_ASSERT_STRING_EQUAL(bundle_str(b, b->guardrails[0].message), "model {} by {}");
  CU_ASSERT_EQUAL(b->guardrails[0].args_count, 2);
  CU_ASSERT_EQUAL(b->guardrails[0].flags & GR_TARGET_SENSITIVE, GR_TARGET_SENSITIVE);
  CU_ASSERT_EQUAL(b->exemptions[0].when, 3);
  CU_ASSERT_EQUAL(b->exemptions[0].expires, INT64_MAX);
  CU_ASSERT_EQUAL(b->nrules, 2);
  CU_ASSERT_EQUAL(b->rules[1].kind, RULE_SPLIT);
  CU_ASSERT_EQUAL(b->u32s[b->rules[1].weights_first], 5000);
  CU_ASSERT_EQUAL(b->u32s[b->rules[1].weights_first + 1], 10000);
  CU_ASSERT_EQUAL(b->budgets[0].key, 6);
  CU_ASSERT_EQUAL(b->budgets[0].limit, 1000);
  /* the exemption index: one entry, at the exemption's scope node, for guardrail 0 */
  CU_ASSERT_EQUAL_FATAL(b->nexindex, 1);
  CU_ASSERT_EQUAL(b->exindex[0].node, b->exemptions[0].node);
  CU_ASSERT_EQUAL(b->nodes[b->exemptions[0].node].ex_count, 1);
  /* stack depths: the and/or programs need two, a bare load one */
  CU_ASSERT_EQUAL(b->programs[0].max_stack, 1);
  CU_ASSERT_EQUAL(b->programs[3].max_stack, 2);
  CU_ASSERT_EQUAL(b->meta->max_stack, 2);
  tc_free(&t);
}

/* ---- determinism ---- */

static void test_deterministic(void) {
  Buf first = {0};
  for (int round = 0; round < 2; round++) {
    DiagSink d;
    diag_init(&d);
    Buf out = {0};
    CU_ASSERT_FATAL(diag_load_file(&d, UNIT_DATA "/../examples/contoso/models.aigw") >= 0);
    CU_ASSERT_EQUAL_FATAL(compile_bundle(&d, NULL, &out), 0);
    if (!round) first = out;
    else {
      CU_ASSERT_EQUAL(out.n, first.n);
      CU_ASSERT(out.n == first.n && !memcmp(out.p, first.p, out.n));
      buf_free(&out);
    }
    diag_free(&d);
  }
  /* the evaluation time given for lint warnings is not baked in */
  TC a, b;
  CompileOpts o = {1795305600, 0};
  const char *src = "guardrail g { deny when request.when < now }\n"
                    "exemption EX-1 { waives g\n scope prod\n owner \"a@b\"\n expires 2026-12-31\n reason \"r\" }\n";
  tc_compile(&a, src, NULL);
  tc_compile(&b, src, &o);
  CU_ASSERT_EQUAL(a.vrc, 0);
  CU_ASSERT(a.out.n == b.out.n && !memcmp(a.out.p, b.out.p, a.out.n));
  tc_free(&a);
  tc_free(&b);
  buf_free(&first);
}

/* ---- diagnostics ---- */

typedef struct Want {
  DiagLevel level;
  uint32_t line, col;
  const char *msg;
  const char *help;         /* NULL: none expected */
} Want;

/* The snippet's diagnostics are exactly want[0..n), in order. For errors, nothing is
 * emitted; for warnings only, the bundle must verify. */
static void tc_expect_diags(const char *snippet, const CompileOpts *o, const Want *want, int n) {
  TC t;
  tc_compile(&t, snippet, o);
  int ok = t.d.n == n, errors = 0;
  for (int i = 0; i < n && ok; i++) {
    const Diag *g = &t.d.items[i];
    uint32_t ln = 0, col = 0;
    if (g->file >= 0) diag_linecol(&t.d, g->file, g->off, &ln, &col);
    ok = g->level == want[i].level && ln == want[i].line && col == want[i].col && !strcmp(g->msg, want[i].msg) &&
         (want[i].help ? g->help && !strcmp(g->help, want[i].help) : !g->help);
    errors += want[i].level == DIAG_ERR;
  }
  if (!ok) {
    printf("\n  for the snippet:\n%s  expected:\n", snippet);
    for (int i = 0; i < n; i++)
      printf("    t.aigw:%u:%u: %s: %s%s%s\n", want[i].line, want[i].col,
             want[i].level == DIAG_ERR ? "error" : want[i].level == DIAG_WARN ? "warning" : "note", want[i].msg,
             want[i].help ? "\n      help: " : "", want[i].help ? want[i].help : "");
    printf("  actual:\n");
    tc_print_diags(&t);
  }
  CU_ASSERT(ok);
  if (errors) {
    CU_ASSERT_EQUAL(t.rc, -1);
  } else {
    CU_ASSERT_EQUAL(t.rc, 0);
    CU_ASSERT_EQUAL(t.vrc, 0);
  }
  tc_free(&t);
}

static void test_diag_unknown_field(void) {
  /* the caret points at the misspelt member, not at `request` */
  Want w[] = {{DIAG_ERR, line(1), 33, "input 'request' has no field 'modle'", "did you mean 'model'?"}};
  tc_expect_diags("guardrail g { deny when request.modle == \"x\" }\n", NULL, w, 1);
}

static void test_diag_type_mismatch(void) {
  Want w[] = {{DIAG_ERR, line(1), 25, "cannot compare string with int using '=='", NULL}};
  tc_expect_diags("guardrail g { deny when request.model == 3 }\n", NULL, w, 1);
  Want w2[] = {{DIAG_ERR, line(1), 25, "cannot compare string with string using '<'", NULL}};
  tc_expect_diags("guardrail g { deny when request.model < \"b\" }\n", NULL, w2, 1);
  Want w3[] = {{DIAG_ERR, line(1), 25, "expected bool, found int", NULL}};
  tc_expect_diags("guardrail g { deny when request.tokens }\n", NULL, w3, 1);
}

static void test_diag_unknown_waived(void) {
  Want w[] = {{DIAG_ERR, line(3), 25, "exemption waives unknown guardrail 'aproved-model'", "did you mean 'approved-model'?"}};
  tc_expect_diags("guardrail approved-model { deny when request.model not in approved }\n"
                  "\n"
                  "exemption EX-1 { waives aproved-model\n"
                  "  scope prod\n  owner \"a@b\"\n  expires 2026-12-31\n  reason \"r\"\n}\n",
                  NULL, w, 1);
}

static void test_diag_duplicates(void) {
  char help[64];
  snprintf(help, sizeof help, "first declared at t.aigw:%d:1", line(1));
  Want w[] = {{DIAG_ERR, line(2), 1, "duplicate guardrail 'g'", help}};
  tc_expect_diags("guardrail g { deny when request.tokens > 1 }\n"
                  "guardrail g { deny when request.tokens > 2 }\n", NULL, w, 1);
  snprintf(help, sizeof help, "first declared at t.aigw:%d:1", line(2));
  Want w2[] = {{DIAG_ERR, line(3), 1, "duplicate exemption id 'EX-1'", help}};
  tc_expect_diags("guardrail g { deny when request.tokens > 1 }\n"
                  "exemption EX-1 { waives g scope prod owner \"a@b\" expires 2026-12-31 reason \"r\" }\n"
                  "exemption EX-1 { waives g scope \"/s/dev\" owner \"b@c\" expires 2026-12-31 reason \"s\" }\n",
                  NULL, w2, 1);
}

static void test_diag_exemption_required(void) {
  Want w[] = {
    {DIAG_ERR, line(2), 1, "exemption 'EX-1' has no 'owner'", NULL},
    {DIAG_ERR, line(2), 1, "exemption 'EX-1' has no 'expires'", NULL},
    {DIAG_ERR, line(2), 1, "exemption 'EX-1' has no 'reason'", NULL},
  };
  tc_expect_diags("guardrail g { deny when request.tokens > 1 }\n"
                  "exemption EX-1 {\n  waives g\n  scope prod\n}\n", NULL, w, 3);
  Want w2[] = {{DIAG_ERR, line(2), 1, "exemption 'EX-1' has no 'reason'", NULL}};
  tc_expect_diags("guardrail g { deny when request.tokens > 1 }\n"
                  "exemption EX-1 {\n  waives g\n  scope prod\n  owner \"a@b\"\n  expires never\n}\n", NULL, w2, 1);
  Want w3[] = {{DIAG_ERR, line(5), 9, "owner is empty", NULL}};
  tc_expect_diags("guardrail g { deny when request.tokens > 1 }\n"
                  "exemption EX-1 {\n  waives g\n  scope prod\n  owner \"\"\n  expires never\n  reason \"r\"\n}\n", NULL, w3, 1);
}

static void test_diag_mitigated(void) {
  /* at the declaration when there is no controls list, at the list when it is empty */
  Want w[] = {{DIAG_ERR, line(2), 1, "a mitigated exemption must list its compensating controls", NULL}};
  tc_expect_diags("guardrail g { deny when request.tokens > 1 }\n"
                  "exemption EX-1 {\n  waives g\n  scope prod\n  owner \"a@b\"\n  expires 2026-12-31\n"
                  "  category mitigated\n  reason \"r\"\n}\n", NULL, w, 1);
  Want w2[] = {{DIAG_ERR, line(8), 3, "a mitigated exemption must list its compensating controls", NULL}};
  tc_expect_diags("guardrail g { deny when request.tokens > 1 }\n"
                  "exemption EX-1 {\n  waives g\n  scope prod\n  owner \"a@b\"\n  expires 2026-12-31\n"
                  "  category mitigated\n  controls []\n  reason \"r\"\n}\n", NULL, w2, 1);
  /* with a control it compiles */
  tc_expect_diags("guardrail g { deny when request.tokens > 1 }\n"
                  "exemption EX-1 {\n  waives g\n  scope prod\n  owner \"a@b\"\n  expires 2026-12-31\n"
                  "  category mitigated\n  controls [\"egress filter\"]\n  reason \"r\"\n}\n", NULL, NULL, 0);
}

static void test_diag_split_weights(void) {
  Want w[] = {{DIAG_ERR, line(2), 3, "split weights add up to 90.00%, not 100%", NULL}};
  tc_expect_diags("route r {\n  split by request.team {\n    60% a:b,\n    30% c:d,\n  }\n}\n", NULL, w, 1);
  Want w2[] = {{DIAG_ERR, line(2), 3, "split weights add up to 110.00%, not 100%", NULL}};
  tc_expect_diags("route r {\n  split by request.team { 60% a:b, 50% c:d }\n}\n", NULL, w2, 1);
}

static void test_diag_unreachable_rule(void) {
  char msg[96];
  snprintf(msg, sizeof msg, "unreachable route rule: the rule at line %d always gives a target", line(2));
  Want w[] = {{DIAG_WARN, line(3), 3, msg, NULL}};
  tc_expect_diags("route r {\n  default -> a:b\n  when request.tokens > 3 -> c:d\n}\n", NULL, w, 1);
  /* a condition that folds to true ends the route just as well */
  tc_expect_diags("route r {\n  when 1 < 2 -> a:b\n  when request.tokens > 3 -> c:d\n}\n", NULL, w, 1);
  /* and it ends every later route: routes are tried in order */
  Want wr[] = {{DIAG_WARN, line(4), 11, msg, NULL}};
  tc_expect_diags("route r {\n  default -> a:b\n}\nroute s { default -> c:d }\n", NULL, wr, 1);
  Want w2[] = {{DIAG_WARN, line(2), 3, "this route rule never matches", NULL}};
  tc_expect_diags("route r {\n  when 2 < 1 -> a:b\n  default -> c:d\n}\n", NULL, w2, 1);
  /* a guardrail that can refuse a target makes no rule certain: the fallback after a
   * split whose arms can all be refused is reachable, and nothing is said */
  tc_expect_diags("guardrail g { deny when request.model == \"b\" }\n"
                  "route r {\n  split by request.team { 50% a:b, 50% c:b }\n  default -> e:f\n}\n", NULL, NULL, 0);
  /* with warnings as errors, the same is an error and nothing is emitted */
  CompileOpts o = {0, 1};
  Want w3[] = {{DIAG_ERR, line(3), 3, msg, NULL}};
  tc_expect_diags("route r {\n  default -> a:b\n  when request.tokens > 3 -> c:d\n}\n", &o, w3, 1);
}

static void test_diag_unknown_set(void) {
  Want w[] = {{DIAG_ERR, line(1), 42, "unknown name 'aproved'", "did you mean 'approved'?"}};
  tc_expect_diags("guardrail g { deny when request.model in aproved }\n", NULL, w, 1);
  Want w2[] = {{DIAG_ERR, line(1), 25, "cannot look up a int in a set of strings", NULL}};
  tc_expect_diags("guardrail g { deny when request.tokens in approved }\n", NULL, w2, 1);
}

static void test_diag_renews(void) {
  const char *x = "exemption A { waives g  scope \"/s\"  owner \"o\"  expires 2027-01-01  reason \"r\"  renews B }\n"
                  "exemption B { waives g  scope \"/s\"  owner \"o\"  expires 2027-01-01  reason \"r\"  renews A }\n";
  char src[512];
  snprintf(src, sizeof src, "guardrail g { deny when request.model == \"x\" }\n%s", x);
  Want w[] = {{DIAG_ERR, line(2), 1, "exemption 'A' is part of a renewal cycle", NULL}};
  tc_expect_diags(src, NULL, w, 1);
  Want w2[] = {{DIAG_ERR, line(2), 87, "an exemption cannot renew itself", NULL}};
  tc_expect_diags("guardrail g { deny when request.model == \"x\" }\n"
                  "exemption A { waives g  scope \"/s\"  owner \"o\"  expires 2027-01-01  reason \"r\"  renews A }\n", NULL, w2, 1);
}

static void test_diag_folded_operand(void) {
  /* an operand folded away is still checked: a typo behind `false and` is an error */
  Want w[] = {{DIAG_ERR, line(1), 35, "unknown name 'nosuchname'", NULL}};
  tc_expect_diags("guardrail g { deny when false and nosuchname }\n", NULL, w, 1);
  Want w2[] = {{DIAG_ERR, line(1), 33, "cannot compare int with string using '=='", NULL}};
  tc_expect_diags("guardrail g { deny when true or request.tokens == \"x\" }\n", NULL, w2, 1);
}

static void test_diag_target_field(void) {
  /* a field path without braces would route to a model named "request.model" */
  Want w[] = {{DIAG_ERR, line(1), 22, "this target's model is the text 'request.model', not the field",
               "to reuse the request's value, write it in braces: {request.model}"}};
  tc_expect_diags("route r { default -> azure-openai:request.model@westeurope }\n", NULL, w, 1);
  Want w2[] = {{DIAG_ERR, line(1), 22, "a target's model must be a string field", NULL}};
  tc_expect_diags("route r { default -> azure-openai:{request.tokens}@westeurope }\n", NULL, w2, 1);
  tc_expect_diags("route r { default -> azure-openai:{request.model}@westeurope }\n", NULL, NULL, 0);
}

static void test_diag_under(void) {
  Want w[] = {{DIAG_ERR, line(1), 25, "the left side of 'under' must be the input's scope field", NULL}};
  tc_expect_diags("guardrail g { deny when request.model under \"/s/1\" }\n", NULL, w, 1);
  tc_expect_diags("guardrail g { deny when request.ancestors under prod }\n", NULL, w, 1);
  Want w2[] = {{DIAG_ERR, line(1), 45, "the right side of 'under' must be a scope name or a scope string", NULL}};
  tc_expect_diags("guardrail g { deny when request.scope under request.model }\n", NULL, w2, 1);
}

/* ---- compiler output the verifier refuses ---- */

/* A source the compiler accepts must give a bundle the verifier accepts: an invalid
 * one is an error the policy author cannot see until a gateway refuses to load it. */
static void tc_expect_verifiable_or_diag(const char *what, const char *snippet) {
  TC t;
  tc_compile(&t, snippet, NULL);
  if (t.rc == 0 && t.vrc != 0) printf("\n  %s: compiled, but the bundle does not verify: %s\n", what, t.verr);
  CU_ASSERT(t.rc == -1 ? t.d.errors > 0 : t.vrc == 0);
  tc_free(&t);
}

static void test_waives_twice(void) {
  tc_expect_verifiable_or_diag("an exemption waiving one guardrail twice",
                               "guardrail g { deny when request.tokens > 1 }\n"
                               "exemption EX-1 { waives g, g scope prod owner \"a@b\" expires never reason \"r\" }\n");
}

static void test_deep_and(void) {
  /* 65 nested `and`s: the stack stays shallow, but 65 forward jumps are open at once */
  Buf s = {0};
  buf_puts(&s, "guardrail g { deny when ");
  for (int i = 0; i < 65; i++) buf_printf(&s, "(request.tokens > %d and ", i);
  buf_puts(&s, "request.tokens > 0");
  for (int i = 0; i < 65; i++) buf_puts(&s, ")");
  buf_puts(&s, " }\n");
  tc_expect_verifiable_or_diag("65 nested 'and's", s.p);
  buf_free(&s);
}

/* ---- lists the compiler must not cut short ---- */

/* A guardrail scoped to 66 scopes must apply in every one of them (or be refused): a
 * scope dropped from the list is a guardrail that silently stops applying there. */
static void test_many_scopes(void) {
  Buf s = {0};
  buf_puts(&s, "guardrail g {\n  scope ");
  for (int i = 0; i < 66; i++) buf_printf(&s, "%s\"/s/%d\"", i ? ", " : "", i);
  buf_puts(&s, "\n  deny when request.tokens > 1\n}\n");
  TC t;
  tc_compile(&t, s.p, NULL);
  if (t.rc == 0) {
    CU_ASSERT_EQUAL(t.vrc, 0);
    if (t.vrc == 0 && t.b.guardrails[0].scope_count != 66)
      printf("\n  a guardrail with 66 scopes compiled with %u of them\n", t.b.guardrails[0].scope_count);
    CU_ASSERT(t.vrc == 0 && t.b.guardrails[0].scope_count == 66);
  } else CU_ASSERT(t.d.errors > 0);
  tc_free(&t);
  buf_free(&s);
}

/* 65 arms is over LIMIT_TARGETS: "too many targets (limit is 64)", not a bundle whose
 * weights stop short of 100%. */
static void test_many_split_arms(void) {
  Buf s = {0};
  buf_puts(&s, "route r {\n  split by request.team {");
  for (int i = 0; i < 64; i++) buf_printf(&s, " 1%% a:m%d,", i);
  buf_puts(&s, " 36% b:c }\n}\n");
  tc_expect_verifiable_or_diag("a split with 65 arms", s.p);
  buf_free(&s);
}

/* An exemption waiving 258 guardrails waives all of them (or is refused). */
static void test_many_waived(void) {
  Buf s = {0};
  for (int i = 0; i < 258; i++) buf_printf(&s, "guardrail g%d { deny when request.tokens > 1 }\n", i);
  buf_puts(&s, "exemption EX-1 {\n  waives ");
  for (int i = 0; i < 258; i++) buf_printf(&s, "%sg%d", i ? ", " : "", i);
  buf_puts(&s, "\n  scope prod\n  owner \"a@b\"\n  expires never\n  reason \"r\"\n}\n");
  TC t;
  tc_compile(&t, s.p, NULL);
  if (t.rc == 0) {
    CU_ASSERT_EQUAL(t.vrc, 0);
    if (t.vrc == 0 && t.b.exemptions[0].waives_count != 258)
      printf("\n  an exemption waiving 258 guardrails compiled waiving %u\n", t.b.exemptions[0].waives_count);
    CU_ASSERT(t.vrc == 0 && t.b.exemptions[0].waives_count == 258);
  } else CU_ASSERT(t.d.errors > 0);
  tc_free(&t);
  buf_free(&s);
}

UNIT_SUITE(compile,
  {"a policy without exemptions", test_no_exemptions},
  {"golden: in, not in, sets, lists, maps, under", test_golden_in},
  {"golden: constant folding", test_golden_fold},
  {"golden: no folding of what faults", test_golden_no_fold},
  {"golden: and/or jumps", test_golden_logic},
  {"golden: levels, times, maps, string functions", test_golden_types},
  {"golden: message holes, exemptions, routes, budgets", test_golden_other_programs},
  {"the same sources give the same bytes", test_deterministic},
  {"diagnostic: unknown field, did you mean", test_diag_unknown_field},
  {"diagnostic: type mismatch", test_diag_type_mismatch},
  {"diagnostic: unknown waived guardrail, did you mean", test_diag_unknown_waived},
  {"diagnostic: duplicate guardrail and exemption id", test_diag_duplicates},
  {"diagnostic: exemption without owner, expires, reason", test_diag_exemption_required},
  {"diagnostic: mitigated without controls", test_diag_mitigated},
  {"diagnostic: split weights not 100%", test_diag_split_weights},
  {"diagnostic: unreachable route rule", test_diag_unreachable_rule},
  {"diagnostic: unknown set", test_diag_unknown_set},
  {"diagnostic: under on a non-scope field", test_diag_under},
  {"diagnostic: a target part that reads like a field", test_diag_target_field},
  {"diagnostic: an operand folded away is still checked", test_diag_folded_operand},
  {"diagnostic: renewal cycles and self-renewal", test_diag_renews},
  {"an exemption waiving a guardrail twice verifies", test_waives_twice},
  {"65 nested and's: a diagnostic or a bundle that verifies", test_deep_and},
  {"a guardrail with 66 scopes keeps them all", test_many_scopes},
  {"a split with 65 arms: a diagnostic or a bundle that verifies", test_many_split_arms},
  {"an exemption waiving 258 guardrails keeps them all", test_many_waived})
