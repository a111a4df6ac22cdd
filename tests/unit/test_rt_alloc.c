/* Memory: every allocation goes through the config's hook; after a context's first
 * decision, deciding allocates nothing (1,000 decisions are counted, JSON input included:
 * none of it reaches jansson); everything is given back; and a failure of any single
 * allocation is reported, never a crash. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "test_rt.h"
#include "unit.h"
#include "util.h"

typedef struct Counter {
  long calls;        /* allocations and reallocations (nsize > 0) */
  long live;         /* blocks outstanding */
  long fail_at;      /* fail the call with this number (1-based); 0 never */
} Counter;

static void *counting_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  Counter *k = ud;
  (void)osize;
  if (!nsize) {
    if (p) k->live--;
    free(p);
    return NULL;
  }
  if (++k->calls == k->fail_at) return NULL;
  void *q = realloc(p, nsize);
  if (q && !p) k->live++;
  return q;
}

/* jansson's own allocations: JSON input must not reach jansson at all */
static long jansson_calls;
static void *jansson_malloc(size_t n) { jansson_calls++; return malloc(n); }

static char *contoso(void) {
  char *src;
  size_t n;
  if (read_file("../examples/contoso/models.aigw", &src, &n, 1 << 20)) return NULL;
  return src;
}

static const char *const INPUTS[] = {
  "{\"model\":\"llama-3\",\"provider\":\"azure-openai\",\"region\":\"eastus\",\"task\":\"chat\","
  "\"scope\":\"/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/web\",\"ancestors\":[],"
  "\"principal\":\"bob\",\"team\":\"claims\",\"classification\":\"internal\",\"prompt_tokens\":1200,\"tags\":{\"cost-center\":\"cc-42\"}}",
  "{\"model\":\"mistral-large\",\"provider\":\"openai\",\"region\":\"eastus\",\"task\":\"chat\","
  "\"scope\":\"/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/RAG-pilot/x\","
  "\"ancestors\":[\"/providers/Microsoft.Management/managementGroups/contoso-prod\"],\"principal\":\"carol-with-a-longer-name\","
  "\"team\":\"claims\",\"classification\":\"internal\",\"prompt_tokens\":40000,\"tags\":{\"other\":\"1\"}}",
  "{\"model\":\"gpt-4o\",\"provider\":\"azure-openai\",\"region\":\"eastus\",\"task\":\"summarize\","
  "\"scope\":\"/subscriptions/abc/resourceGroups/ai-sandbox-1\",\"principal\":\"dave\",\"team\":\"t\","
  "\"classification\":\"confidential\",\"prompt_tokens\":10,\"tags\":{}}",
  "{\"model\":\"gpt-4o\"}",
  /* escapes, and an object of many keys that the reader skips (its keys are hashed) */
  ("{\"model\":\"gpt\\u002d4o\",\"team\":\"cl\\u00e9ims\",\"x\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,"
   "\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":[1.5e3,null,true,\"\\ud83d\\ude00\"]},\"tags\":{\"k\\n\":\"v\"}}"),
};
enum { NINPUTS = sizeof INPUTS / sizeof INPUTS[0] };

static void t_zero_per_decision(void) {
  char *src = contoso();
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  Counter k = {0, 0, 0};
  aigw_config cfg;
  aigw_config_init(&cfg);
  cfg.alloc = counting_alloc;
  cfg.alloc_ud = &k;
  aigw_bundle *b = tu_compile(src, &cfg);
  free(src);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  CU_ASSERT(k.calls > 0);                 /* the bundle itself came through the hook */
  aigw_ctx *c;
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(b, &c), AIGW_OK);
  /* warm up: one decision of each input reaches the high-water mark */
  for (int i = 0; i < NINPUTS; i++) tu_decide(c, INPUTS[i], TU_NOW);
  long before = k.calls;
  json_set_alloc_funcs(jansson_malloc, free);
  jansson_calls = 0;
  int model = aigw_field(b, "model"), tokens = aigw_field(b, "prompt_tokens"), tags = aigw_field(b, "tags"),
      scope = aigw_field(b, "scope");
  for (int i = 0; i < 1000; i++) {
    if (i % 2) {
      const char *j = tu_decide(c, INPUTS[i % NINPUTS], TU_NOW + i);
      CU_ASSERT_EQUAL(j[0], '{');
    } else {
      /* the field-by-field path */
      aigw_input_reset(c);
      aigw_input_string(c, model, i % 4 ? "gpt-4o" : "not-approved", i % 4 ? 6 : 12);
      aigw_input_int(c, tokens, i);
      aigw_input_map_set(c, tags, "cost-center", 11, "x", 1);
      aigw_input_string(c, scope, "/Providers/Microsoft.Management/managementGroups/contoso-prod/sub", 65);
      CU_ASSERT_EQUAL(aigw_eval(c, TU_NOW), AIGW_OK);
      size_t n;
      CU_ASSERT_PTR_NOT_NULL(aigw_decision_json(c, &n));
    }
  }
  json_set_alloc_funcs(malloc, free);
  CU_ASSERT_EQUAL(k.calls - before, 0);
  if (k.calls != before) fprintf(stderr, "\n  %ld allocations in 1000 decisions\n", k.calls - before);
  CU_ASSERT_EQUAL(jansson_calls, 0);
  if (jansson_calls) fprintf(stderr, "\n  %ld jansson allocations in 1000 decisions\n", jansson_calls);
  aigw_ctx_free(c);
  aigw_bundle_close(b);
  CU_ASSERT_EQUAL(k.live, 0);
}

/* Fail the 1st, 2nd, … allocation of open + ctx + three decisions until none fails. */
static void t_fail_each(void) {
  char *src = contoso();
  CU_ASSERT_PTR_NOT_NULL_FATAL(src);
  size_t len;
  char *bytes = tu_compile_bytes(src, &len);
  free(src);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
  int completed = 0;
  for (long n = 1; n < 500 && !completed; n++) {
    Counter k = {0, 0, n};
    aigw_config cfg;
    aigw_config_init(&cfg);
    cfg.alloc = counting_alloc;
    cfg.alloc_ud = &k;
    aigw_bundle *b = NULL;
    aigw_ctx *c = NULL;
    char err[256];
    aigw_status st = aigw_bundle_open_mem(bytes, len, &cfg, &b, err, sizeof err);
    if (st) {
      CU_ASSERT_EQUAL(st, AIGW_ERR_NOMEM);
      CU_ASSERT_STRING_EQUAL(err, "out of memory");
      CU_ASSERT_PTR_NULL(b);
      CU_ASSERT_EQUAL(k.live, 0);
      continue;
    }
    st = aigw_ctx_new(b, &c);
    int ok = st == AIGW_OK;
    if (st) CU_ASSERT_EQUAL(st, AIGW_ERR_NOMEM);
    for (int i = 0; ok && i < NINPUTS; i++) {
      st = aigw_input_json(c, INPUTS[i], strlen(INPUTS[i]));
      if (!st) st = aigw_eval(c, TU_NOW);
      size_t jn;
      if (!st && !aigw_decision_json(c, &jn)) st = AIGW_ERR_NOMEM;
      if (st) { CU_ASSERT_EQUAL(st, AIGW_ERR_NOMEM); ok = 0; }
    }
    completed = ok && k.calls < n;
    aigw_ctx_free(c);
    aigw_bundle_close(b);
    CU_ASSERT_EQUAL(k.live, 0);
  }
  CU_ASSERT(completed);
  free(bytes);
}

UNIT_SUITE(rt_alloc, {"zero_per_decision", t_zero_per_decision}, {"fail_each", t_fail_each})
