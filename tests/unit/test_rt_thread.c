/* One bundle, shared: two threads, each with its own context, decide the same inputs
 * concurrently and must get exactly the decisions a single thread gets. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "test_rt.h"
#include "unit.h"
#include "util.h"

enum { NIN = 4, ROUNDS = 2000 };
static const char *const IN[NIN] = {
  "{\"model\":\"llama-3\",\"provider\":\"azure-openai\",\"region\":\"eastus\",\"task\":\"chat\","
  "\"scope\":\"/subscriptions/x/resourceGroups/web\",\"principal\":\"bob\",\"team\":\"claims\","
  "\"classification\":\"internal\",\"prompt_tokens\":1200,\"tags\":{\"cost-center\":\"cc-42\"}}",
  "{\"model\":\"mistral-large\",\"provider\":\"openai\",\"region\":\"eastus\",\"task\":\"chat\","
  "\"scope\":\"/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rag-pilot\","
  "\"ancestors\":[\"/providers/Microsoft.Management/managementGroups/contoso-prod\"],\"principal\":\"carol\","
  "\"team\":\"claims\",\"classification\":\"internal\",\"prompt_tokens\":40000,\"tags\":{}}",
  "{\"model\":\"gpt-4o\",\"provider\":\"azure-openai\",\"region\":\"eastus\",\"task\":\"summarize\","
  "\"scope\":\"/subscriptions/abc/resourceGroups/ai-sandbox-1\",\"principal\":\"dave\",\"team\":\"t\","
  "\"classification\":\"confidential\",\"prompt_tokens\":10,\"tags\":{}}",
  "{\"model\":\"gpt-4o\",\"principal\":\"erin\"}",
};

typedef struct Job {
  const aigw_bundle *b;
  char *want[NIN];
  int start, mismatches, errors;
} Job;

static void *worker(void *arg) {
  Job *j = arg;
  aigw_ctx *c;
  if (aigw_ctx_new(j->b, &c)) { j->errors++; return NULL; }
  for (int r = 0; r < ROUNDS; r++) {
    int i = (r + j->start) % NIN;
    if (aigw_input_json(c, IN[i], strlen(IN[i])) || aigw_eval(c, TU_NOW)) { j->errors++; continue; }
    size_t n;
    const char *got = aigw_decision_json(c, &n);
    if (!got || strcmp(got, j->want[i])) j->mismatches++;
  }
  aigw_ctx_free(c);
  return NULL;
}

static void t_two_threads(void) {
  char *src;
  size_t n;
  CU_ASSERT_EQUAL_FATAL(read_file("../examples/contoso/models.aigw", &src, &n, 1 << 20), 0);
  aigw_bundle *b = tu_compile(src, NULL);
  free(src);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  Job jobs[2] = {{b, {0}, 0, 0, 0}, {b, {0}, 1, 0, 0}};
  aigw_ctx *c;
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(b, &c), AIGW_OK);
  for (int i = 0; i < NIN; i++) {
    const char *d = tu_decide(c, IN[i], TU_NOW);
    CU_ASSERT_EQUAL(d[0], '{');
    jobs[0].want[i] = jobs[1].want[i] = strdup(d);
  }
  aigw_ctx_free(c);
  pthread_t th[2];
  for (int k = 0; k < 2; k++) CU_ASSERT_EQUAL_FATAL(pthread_create(&th[k], NULL, worker, &jobs[k]), 0);
  for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
  for (int k = 0; k < 2; k++) {
    CU_ASSERT_EQUAL(jobs[k].mismatches, 0);
    CU_ASSERT_EQUAL(jobs[k].errors, 0);
  }
  for (int i = 0; i < NIN; i++) free(jobs[0].want[i]);
  aigw_bundle_close(b);
}

UNIT_SUITE(rt_thread, {"two_threads", t_two_threads})
