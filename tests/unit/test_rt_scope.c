/* Scopes: normalization (case, doubled and trailing slashes), globs within one segment,
 * "at or below", ancestors from the input and from a declared hierarchy, and the cap
 * on the matched set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bundle.h"
#include "test_rt.h"
#include "unit.h"

static const char *const SRC =
  "policy t\n"
  "input request { scope: scope  ancestors: list<scope>  model: string }\n"
  "scope sandbox = \"/subscriptions/*/resourceGroups/ai-sandbox-*\"\n"
  "scope sub = \"/subscriptions/S1\"\n"
  "scope prod = \"/providers/Microsoft.Management/managementGroups/prod\"\n"
  "scope q = \"/q/a?c\"\n"
  "hierarchy { sub in prod }\n"
  "guardrail in-sandbox { severity low  warn when request.scope under sandbox }\n"
  "guardrail in-sub { severity low  warn when request.scope under sub }\n"
  "guardrail in-prod { severity low  warn when request.scope under prod }\n"
  "guardrail in-q { severity low  warn when request.scope under q }\n"
  "guardrail scoped { severity low  scope sandbox  warn when true }\n";

/* The guardrails that fired for this scope (and ancestors JSON), comma-separated; then
 * those that could not tell, marked '!'. */
static const char *fired(aigw_ctx *c, const char *scope, const char *ancestors) {
  static char out[256];
  char json[1024];
  snprintf(json, sizeof json, "{\"scope\":\"%s\",\"ancestors\":%s}", scope, ancestors ? ancestors : "[]");
  const char *d = tu_decide(c, json, TU_NOW);
  if (!strncmp(d, "ERR", 3)) return d;
  out[0] = 0;
  tu_names(c, AIGW_WARNINGS, "", ",", out, sizeof out);
  tu_names(c, AIGW_ERRORS, out[0] ? ",!" : "!", ",!", out, sizeof out);
  return out;
}

static void t_scopes(void) {
  aigw_bundle *b = tu_compile(SRC, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  aigw_ctx *c;
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(b, &c), AIGW_OK);
  struct { const char *scope, *anc, *want; } cases[] = {
    {"/subscriptions/abc/resourceGroups/ai-sandbox-7", NULL, "in-sandbox,scoped"},
    /* case, doubled and trailing slashes do not matter */
    {"/SUBSCRIPTIONS/abc//resourcegroups/AI-SANDBOX-7/", NULL, "in-sandbox,scoped"},
    /* not a resource ID: no guardrail restricted to a scope can tell, so each fails
     * closed, and `under` cannot tell either */
    {"subscriptions/abc/resourceGroups/ai-sandbox-7///", NULL, "!in-sandbox,!in-sub,!in-prod,!in-q,!scoped"},
    /* below the scope */
    {"/subscriptions/abc/resourceGroups/ai-sandbox-7/providers/x/y", NULL, "in-sandbox,scoped"},
    /* '*' matches within one segment only */
    {"/subscriptions/abc/def/resourceGroups/ai-sandbox-7", NULL, ""},
    {"/subscriptions/resourceGroups/ai-sandbox-7", NULL, ""},
    {"/subscriptions/abc/resourceGroups/ai-sandbox", NULL, ""},
    {"/subscriptions/abc/resourceGroups", NULL, ""},
    /* a glob segment matches the empty run */
    {"/subscriptions/abc/resourceGroups/ai-sandbox-", NULL, "in-sandbox,scoped"},
    /* '?' is exactly one character */
    {"/q/abc", NULL, "in-q"}, {"/q/ac", NULL, ""}, {"/q/abbc", NULL, ""}, {"/Q/AXC/d", NULL, "in-q"},
    /* literal segments and the declared hierarchy (sub in prod) */
    {"/subscriptions/s1", NULL, "in-sub,in-prod"},
    {"/subscriptions/S1/resourceGroups/rg", NULL, "in-sub,in-prod"},
    {"/subscriptions/s1x", NULL, ""},
    {"/subscriptions", NULL, ""},
    {"/", NULL, ""},
    {"", NULL, "!in-sandbox,!in-sub,!in-prod,!in-q,!scoped"},
    {" /subscriptions/s1", NULL, "!in-sandbox,!in-sub,!in-prod,!in-q,!scoped"},
    {"/other", "[\"/x\", \"x\"]", "!in-sandbox,!in-sub,!in-prod,!in-q,!scoped"},
    {"/providers/microsoft.management/managementgroups/PROD/x", NULL, "in-prod"},
    /* the one subscription under both: it is in sandbox by glob, in sub by literal */
    {"/subscriptions/S1/resourceGroups/ai-sandbox-1", NULL, "in-sandbox,in-sub,in-prod,scoped"},
    /* ancestors from the input */
    {"/other", "[\"/Subscriptions/S1\"]", "in-sub,in-prod"},
    {"/other", "[\"/nothing\", \"/providers/Microsoft.Management/managementGroups/prod\"]", "in-prod"},
    {"/other", "[\"/subscriptions/x/resourceGroups/ai-sandbox-2\"]", "in-sandbox,scoped"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = fired(c, cases[i].scope, cases[i].anc);
    CU_ASSERT_STRING_EQUAL(got, cases[i].want);
    if (strcmp(got, cases[i].want)) fprintf(stderr, "\n  %s %s\n  got  %s\n  want %s\n", cases[i].scope, cases[i].anc ? cases[i].anc : "", got, cases[i].want);
  }
  /* `under` an unset scope fails closed */
  const char *d = tu_decide(c, "{}", TU_NOW);
  CU_ASSERT(tu_has(d, "\"decision\":\"deny\""));
  CU_ASSERT(tu_has(d, "{\"guardrail\":\"in-sandbox\",\"message\":\"field 'scope' is not set\",\"on_error\":\"deny\",\"source\":\"t.aigw:8\"}"));
  aigw_ctx_free(c);
  aigw_bundle_close(b);
}

static void t_depth_limit(void) {
  aigw_bundle *b = tu_compile(SRC, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  aigw_ctx *c;
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(b, &c), AIGW_OK);
  char json[1024] = "{\"scope\":\"";
  for (int i = 0; i <= LIMIT_SCOPE_DEPTH; i++) strcat(json, "/s");
  strcat(json, "\"}");
  CU_ASSERT_EQUAL(aigw_input_json(c, json, strlen(json)), AIGW_ERR_LIMIT);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(c), "field 'scope': scope has more than 64 segments");
  json[strlen(json) - 4] = 0;      /* one segment fewer: fine */
  strcat(json, "\"}");
  CU_ASSERT_EQUAL(aigw_input_json(c, json, strlen(json)), AIGW_OK);
  aigw_ctx_free(c);
  aigw_bundle_close(b);
}

/* More matched nodes than LIMIT_MATCHED is an error, not a silently truncated set. */
static void t_matched_limit(void) {
  size_t cap = 64 * 1024, n = 0;
  char *src = malloc(cap);
  n += (size_t)snprintf(src + n, cap - n, "policy t\ninput request { scope: scope  ancestors: list<scope> }\n");
  for (int i = 0; i < 300; i++) n += (size_t)snprintf(src + n, cap - n, "scope s%d = \"/s%d\"\n", i, i);
  n += (size_t)snprintf(src + n, cap - n, "guardrail g { severity low  scope s1  warn when true }\n");
  aigw_bundle *b = tu_compile(src, NULL);
  free(src);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  aigw_ctx *c;
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(b, &c), AIGW_OK);
  char *json = malloc(cap);
  n = (size_t)snprintf(json, cap, "{\"scope\":\"/s1\",\"ancestors\":[");
  for (int i = 0; i < 300; i++) n += (size_t)snprintf(json + n, cap - n, "%s\"/s%d\"", i ? "," : "", i);
  snprintf(json + n, cap - n, "]}");
  CU_ASSERT_STRING_EQUAL(tu_decide(c, json, TU_NOW), "ERR limit: the input's scopes match more than 256 scope nodes");
  CU_ASSERT_EQUAL(aigw_result(c), AIGW_DENY);
  CU_ASSERT(tu_has(tu_decide(c, "{\"scope\":\"/s1\",\"ancestors\":[\"/s2\",\"/s3\"]}", TU_NOW), "\"warnings\":[{\"guardrail\":\"g\""));
  free(json);
  aigw_ctx_free(c);
  aigw_bundle_close(b);
}

UNIT_SUITE(rt_scope, {"scopes", t_scopes}, {"depth_limit", t_depth_limit}, {"matched_limit", t_matched_limit})
