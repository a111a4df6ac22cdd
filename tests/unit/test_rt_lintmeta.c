/* The metadata view's pieces that `aigwc lint` reads: the canonical form of a scope,
 * which input fields a guardrail's condition reads, a budget whose `when` folds to
 * false. */
#include <string.h>
#include "test_rt.h"
#include "unit.h"

static void t_scope_canon(void) {
  static const struct { const char *in, *out; int depth; } cases[] = {
    {"/", "/", 0},
    {"/Subscriptions/1111/", "/subscriptions/1111", 2},
    {"//subscriptions//1111/resourceGroups/RG-A", "/subscriptions/1111/resourcegroups/rg-a", 4},
    {"/providers/Microsoft.Management/managementGroups/Prod", "/providers/microsoft.management/managementgroups/prod", 4},
    {"/subscriptions/*/resourceGroups/ai-sandbox-*", "/subscriptions/*/resourcegroups/ai-sandbox-*", 4},
    /* 16 bytes and more take a block-at-a-time path: its edges */
    {"/ABCDEFGHIJKLMNO", "/abcdefghijklmno", 1},
    {"/abcdefghijklmn/", "/abcdefghijklmn", 1},
    {"/abcdefghijklmn//p", "/abcdefghijklmn/p", 2},          /* doubled across blocks */
    {"/abcdefghijklmno/p/Q", "/abcdefghijklmno/p/q", 3},
    {"/a/b/c/d/e/f/g/h/i/j/K/L/M/N/O/P/Q", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", 17},
    {"/Subscriptions/0000/ResourceGroups//rg", "/subscriptions/0000/resourcegroups/rg", 4},
    {"/@[`{Z/z", "/@[`{z/z", 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[128];
    int d = aigw_scope_canon(cases[i].in, strlen(cases[i].in), out, sizeof out);
    CU_ASSERT_EQUAL(d, cases[i].depth);
    CU_ASSERT_STRING_EQUAL(out, cases[i].out);
  }
  char small[4];
  CU_ASSERT_EQUAL(aigw_scope_canon("/subscriptions", 14, small, sizeof small), -1);   /* out too small */
  char out[64];
  CU_ASSERT_EQUAL(aigw_scope_canon("subscriptions/1", 15, out, sizeof out), -1);      /* no leading '/' */
  CU_ASSERT_EQUAL(aigw_scope_canon("", 0, out, sizeof out), -1);
  CU_ASSERT_EQUAL(aigw_scope_canon("/a\tb", 4, out, sizeof out), -1);                 /* a control character */
  CU_ASSERT_EQUAL(aigw_scope_canon("/abcdefghijklmnopq\x7f", 19, out, sizeof out), -1);  /* DEL, last block */
  char deep[200], big[210];
  for (int i = 0; i < 65; i++) memcpy(deep + 2 * i, "/a", 2);
  CU_ASSERT_EQUAL(aigw_scope_canon(deep, 128, big, sizeof big), 64);
  CU_ASSERT_EQUAL(aigw_scope_canon(deep, 130, big, sizeof big), -1);                   /* 65 segments */
}

static const char src[] =
  "policy t\n"
  "input request { provider: string  model: string  region: string  team: string  scope: scope }\n"
  "guardrail no-openai { deny when request.provider == \"openai\" }\n"
  "guardrail team-model { deny when request.team == \"a\" and request.model == \"m\" }\n"
  "guardrail has-team { deny when not has(request.team) }\n"
  "budget never { key request.team  when 1 > 2  limit 1 requests per day }\n"
  "budget sometimes { key request.team  when request.team == \"a\"  limit 1 requests per day }\n"
  "budget always { key request.team  limit 1 requests per day }\n";

static void t_guardrail_reads(void) {
  aigw_bundle *b = tu_compile(src, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  int prov = aigw_field(b, "provider"), model = aigw_field(b, "model"), team = aigw_field(b, "team");
  CU_ASSERT_TRUE(aigw_meta_guardrail_reads(b, 0, (size_t)prov));
  CU_ASSERT_FALSE(aigw_meta_guardrail_reads(b, 0, (size_t)model));
  CU_ASSERT_TRUE(aigw_meta_guardrail_reads(b, 1, (size_t)team));
  CU_ASSERT_TRUE(aigw_meta_guardrail_reads(b, 1, (size_t)model));
  CU_ASSERT_FALSE(aigw_meta_guardrail_reads(b, 1, (size_t)prov));
  CU_ASSERT_TRUE(aigw_meta_guardrail_reads(b, 2, (size_t)team));          /* has() reads it too */
  CU_ASSERT_FALSE(aigw_meta_guardrail_reads(b, 9, 0));                     /* out of range */
  CU_ASSERT_FALSE(aigw_meta_guardrail_reads(b, 0, 99));
  aigw_bundle_close(b);
}

static void t_budget_when_never(void) {
  aigw_bundle *b = tu_compile(src, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  aigw_budget_info bi;
  CU_ASSERT_EQUAL(aigw_meta_budget(b, 0, &bi), AIGW_OK);
  CU_ASSERT_TRUE(bi.has_when && bi.when_never);
  CU_ASSERT_EQUAL(aigw_meta_budget(b, 1, &bi), AIGW_OK);
  CU_ASSERT_TRUE(bi.has_when && !bi.when_never);
  CU_ASSERT_EQUAL(aigw_meta_budget(b, 2, &bi), AIGW_OK);
  CU_ASSERT_TRUE(!bi.has_when && !bi.when_never);
  aigw_bundle_close(b);
}

UNIT_SUITE(rt_lintmeta, {"scope_canon", t_scope_canon}, {"guardrail_reads", t_guardrail_reads},
           {"budget_when_never", t_budget_when_never})
