/* The decision procedure end to end on compiled policies: findings and their lists,
 * exemptions (scope, expiry, when), messages, routes (rules, split, target refusal),
 * budgets, and the exact decision JSON of docs/language.md §10. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bundle.h"
#include "hash.h"
#include "test_rt.h"
#include "unit.h"

static const char *const POLICY =
  "policy t\n"
  "input request {\n"
  "  model: string  provider: string  region: string  scope: scope  principal: string\n"
  "  team: string  n: int  tags: map<string>\n"
  "}\n"
  "scope rg = \"/subscriptions/s1/resourceGroups/rg\"\n"
  "scope sub = \"/subscriptions/s1\"\n"
  "set approved = {\"gpt-4o\", \"gpt-4o-mini\"}\n"
  "guardrail approved-model {\n"
  "  severity high\n"
  "  deny when request.model not in approved\n"
  "  message \"model {request.model} is not approved \\{see \\\"catalog\\\"\\}\"\n"
  "}\n"
  "guardrail big {\n  severity medium\n  warn when request.n > 100\n}\n"
  "guardrail audit-all {\n  severity low\n  audit when request.team == \"audit\"\n"
  "  message \"team {request.team} audited, n={request.n}, missing={request.principal}\"\n}\n"
  "guardrail needs-tag {\n  severity low\n  mode dry-run\n  deny when not (\"cc\" in request.tags)\n}\n"
  "guardrail tolerant {\n  severity low\n  on-error allow\n  deny when request.n / (request.n - request.n) > 1\n}\n"
  "guardrail azure-only {\n  severity high\n  deny when request.provider != \"azure-openai\"\n}\n"
  "exemption EX-1 {\n  waives approved-model\n  scope rg\n  when request.model == \"llama\"\n"
  "  owner \"a@x\"\n  expires 2026-12-31\n  reason \"r\"\n}\n"
  "exemption EX-2 {\n  waives approved-model\n  scope sub\n  when request.model == \"mistral\"\n"
  "  owner \"b@x\"\n  expires never\n  reason \"r\"\n}\n"
  "exemption EX-OLD {\n  waives big\n  scope sub\n  owner \"c@x\"\n  expires 2026-01-01\n  reason \"expired\"\n}\n"
  "exemption EX-3 {\n  waives big\n  scope rg\n  when request.tags[\"zzz\"] == \"1\"\n  owner \"d@x\"\n"
  "  expires never\n  reason \"when cannot be evaluated\"\n}\n"
  "route chat {\n"
  "  when request.team == \"vip\" -> openai:gpt-4o, azure-openai:gpt-4o@eastus\n"
  "  split by request.principal { 50% azure-openai:gpt-4o@eastus, 50% azure-openai:gpt-4o-mini }\n"
  "}\n"
  "budget team-tokens {\n  key request.team\n  limit 1000 tokens per day\n  warn at 75%\n}\n"
  "budget by-n {\n  key request.n\n  limit 5 requests per hour\n}\n";

/* 1-based line of the first line containing needle. */
static int line_of(const char *src, const char *needle) {
  const char *p = strstr(src, needle);
  int line = 1;
  for (const char *q = src; p && q < p; q++) line += *q == '\n';
  return p ? line : -1;
}

/* The decision JSON without its trailing ,"bundle":"…"}, checking that part on the way. */
static const char *body(aigw_ctx *c, aigw_bundle *b, const char *json, int64_t now) {
  static char buf[4096];
  const char *d = tu_decide(c, json, now);
  snprintf(buf, sizeof buf, "%s", d);
  char tail[128];
  snprintf(tail, sizeof tail, ",\"bundle\":\"%s\"}", aigw_bundle_id(b));
  size_t n = strlen(buf), tn = strlen(tail);
  if (n >= tn && !strcmp(buf + n - tn, tail)) buf[n - tn] = 0;
  else strcat(buf, " (no bundle id at the end)");
  return buf;
}

#define EXPECT_STR(got, want) do { \
    const char *g_ = (got), *w_ = (want); \
    CU_ASSERT_STRING_EQUAL(g_, w_); \
    if (strcmp(g_, w_)) fprintf(stderr, "\n  got  %s\n  want %s\n", g_, w_); \
  } while (0)

typedef struct T { aigw_bundle *b; aigw_ctx *c; } T;
static T open_src(const char *src) {
  T t = {tu_compile(src, NULL), NULL};
  CU_ASSERT_PTR_NOT_NULL_FATAL(t.b);
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(t.b, &t.c), AIGW_OK);
  return t;
}
static void close_t(T t) { aigw_ctx_free(t.c); aigw_bundle_close(t.b); }

static void t_allow(void) {
  T t = open_src(POLICY);
  char want[2048], split[512];
  /* the split is sticky on the principal: the arm comes from the bundle's split hash */
  int first = aigw_split_bucket("chat", 4, "p1", 2) < 5000;
  snprintf(split, sizeof split, first
           ? "{\"provider\":\"azure-openai\",\"model\":\"gpt-4o\",\"region\":\"eastus\"},{\"provider\":\"azure-openai\",\"model\":\"gpt-4o-mini\"}"
           : "{\"provider\":\"azure-openai\",\"model\":\"gpt-4o-mini\"},{\"provider\":\"azure-openai\",\"model\":\"gpt-4o\",\"region\":\"eastus\"}");
  snprintf(want, sizeof want,
           "{\"decision\":\"allow\",\"violations\":[],\"waived\":[],\"warnings\":[],"
           "\"errors\":[{\"guardrail\":\"tolerant\",\"message\":\"division by zero\",\"on_error\":\"allow\",\"source\":\"t.aigw:%d\"}],"
           "\"route\":{\"rule\":\"chat\",\"rule_index\":1,\"source\":\"t.aigw:%d\",\"targets\":[%s]},"
           "\"budgets\":[{\"budget\":\"team-tokens\",\"key\":\"t1\",\"limit\":1000,\"unit\":\"tokens\",\"period\":\"day\",\"warn_at\":0.75,"
           "\"charge\":1,\"window\":{\"seconds\":86400,\"sliding\":false,\"start\":\"2026-11-22T00:00:00Z\",\"end\":\"2026-11-23T00:00:00Z\"}},"
           "{\"budget\":\"by-n\",\"key\":\"5\",\"limit\":5,\"unit\":\"requests\",\"period\":\"hour\",\"charge\":1,"
           "\"window\":{\"seconds\":3600,\"sliding\":false,\"start\":\"2026-11-22T00:00:00Z\",\"end\":\"2026-11-22T01:00:00Z\"},\"rate_limit\":true}]",
           line_of(POLICY, "request.n / ("), line_of(POLICY, "split by request.principal"), split);
  EXPECT_STR(body(t.c, t.b, "{\"model\":\"gpt-4o\",\"provider\":\"azure-openai\",\"scope\":\"/subscriptions/s1/resourceGroups/rg/x\","
                            "\"principal\":\"p1\",\"team\":\"t1\",\"n\":5,\"tags\":{\"cc\":\"1\"}}", TU_NOW), want);
  /* the accessors agree with the JSON */
  CU_ASSERT_EQUAL(aigw_result(t.c), AIGW_ALLOW);
  CU_ASSERT_STRING_EQUAL(aigw_route(t.c), "chat");
  CU_ASSERT_EQUAL(aigw_route_count(t.c), 2);
  aigw_target tg;
  CU_ASSERT_EQUAL(aigw_route_target(t.c, 1, &tg), AIGW_OK);
  CU_ASSERT_STRING_EQUAL(tg.model, first ? "gpt-4o-mini" : "gpt-4o");
  CU_ASSERT_EQUAL(aigw_route_target(t.c, 2, &tg), AIGW_ERR_ARG);
  CU_ASSERT_EQUAL(aigw_budget_count(t.c), 2);
  aigw_budget bu;
  CU_ASSERT_EQUAL(aigw_budget_get(t.c, 0, &bu), AIGW_OK);
  CU_ASSERT_STRING_EQUAL(bu.budget, "team-tokens");
  CU_ASSERT_STRING_EQUAL(bu.key, "t1");
  CU_ASSERT_EQUAL(bu.key_len, 2);
  CU_ASSERT_EQUAL(bu.limit, 1000);
  CU_ASSERT_EQUAL(bu.warn_bp, 7500);
  CU_ASSERT_EQUAL(aigw_budget_get(t.c, 1, &bu), AIGW_OK);
  CU_ASSERT_EQUAL(bu.warn_bp, -1);
  CU_ASSERT_STRING_EQUAL(bu.key, "5");
  CU_ASSERT_EQUAL(aigw_count(t.c, AIGW_ERRORS), 1);
  CU_ASSERT_STRING_EQUAL(aigw_message(t.c, AIGW_ERRORS, 0), "division by zero");
  CU_ASSERT_PTR_NULL(aigw_message(t.c, AIGW_ERRORS, 1));
  /* the same principal always gets the same arm; many principals spread over both */
  int arms[2] = {0, 0};
  for (int i = 0; i < 200; i++) {
    char in[256];
    snprintf(in, sizeof in, "{\"model\":\"gpt-4o\",\"provider\":\"azure-openai\",\"scope\":\"/s\",\"principal\":\"user-%d\",\"team\":\"t\",\"n\":1,\"tags\":{\"cc\":\"1\"}}", i);
    tu_decide(t.c, in, TU_NOW);
    CU_ASSERT_EQUAL_FATAL(aigw_route_target(t.c, 0, &tg), AIGW_OK);
    char key[32];
    int kn = snprintf(key, sizeof key, "user-%d", i);
    int arm0 = aigw_split_bucket("chat", 4, key, (size_t)kn) < 5000;
    CU_ASSERT_STRING_EQUAL(tg.model, arm0 ? "gpt-4o" : "gpt-4o-mini");
    arms[!arm0]++;
  }
  CU_ASSERT(arms[0] > 50 && arms[1] > 50);
  /* vip: the first rule; openai is refused by azure-only, so only the fallback stays */
  char vip[1024];
  snprintf(vip, sizeof vip, "\"route\":{\"rule\":\"chat\",\"rule_index\":0,\"source\":\"t.aigw:%d\","
           "\"targets\":[{\"provider\":\"azure-openai\",\"model\":\"gpt-4o\",\"region\":\"eastus\"}]},"
           "\"budgets\":[{\"budget\":\"team-tokens\",\"key\":\"vip\",\"limit\":1000,\"unit\":\"tokens\",\"period\":\"day\",\"warn_at\":0.75,"
           "\"charge\":1,\"window\":{\"seconds\":86400,\"sliding\":false,\"start\":\"2026-11-22T00:00:00Z\",\"end\":\"2026-11-23T00:00:00Z\"}},"
           "{\"budget\":\"by-n\",\"key\":\"1\",\"limit\":5,\"unit\":\"requests\",\"period\":\"hour\",\"charge\":1,"
           "\"window\":{\"seconds\":3600,\"sliding\":false,\"start\":\"2026-11-22T00:00:00Z\",\"end\":\"2026-11-22T01:00:00Z\"},\"rate_limit\":true}]",
           line_of(POLICY, "\"vip\" ->"));
  EXPECT_STR(strstr(body(t.c, t.b, "{\"model\":\"gpt-4o\",\"provider\":\"azure-openai\",\"scope\":\"/s\",\"team\":\"vip\",\"n\":1,\"tags\":{\"cc\":\"\"}}", TU_NOW), "\"route\""), vip);
  close_t(t);
}

static void t_deny(void) {
  T t = open_src(POLICY);
  char want[4096];
  int l_big = line_of(POLICY, "request.n > 100"), l_audit = line_of(POLICY, "audit when"),
      l_tag = line_of(POLICY, "\"cc\" in"), l_tol = line_of(POLICY, "request.n / ("),
      l_az = line_of(POLICY, "request.provider != ");
  snprintf(want, sizeof want,
           "{\"decision\":\"deny\","
           "\"violations\":[{\"guardrail\":\"azure-only\",\"severity\":\"high\",\"effect\":\"deny\",\"message\":\"guardrail azure-only fired\",\"source\":\"t.aigw:%d\"}],"
           "\"waived\":[{\"guardrail\":\"approved-model\",\"exemption\":\"EX-1\",\"owner\":\"a@x\",\"expires\":\"2026-12-31\",\"days_left\":39}],"
           "\"warnings\":[{\"guardrail\":\"big\",\"severity\":\"medium\",\"effect\":\"warn\",\"message\":\"guardrail big fired\",\"source\":\"t.aigw:%d\"},"
           "{\"guardrail\":\"audit-all\",\"severity\":\"low\",\"effect\":\"audit\",\"message\":\"team audit audited, n=150, missing=<?>\",\"source\":\"t.aigw:%d\"},"
           "{\"guardrail\":\"needs-tag\",\"severity\":\"low\",\"effect\":\"deny\",\"message\":\"guardrail needs-tag fired\",\"source\":\"t.aigw:%d\",\"dry_run\":true}],"
           "\"errors\":[{\"guardrail\":\"tolerant\",\"message\":\"division by zero\",\"on_error\":\"allow\",\"source\":\"t.aigw:%d\"}],"
           "\"route\":null,\"budgets\":[]",
           l_az, l_big, l_audit, l_tag, l_tol);
  /* llama is waived by EX-1 at rg (the input is below rg); big is not: EX-OLD has
   * expired and EX-3's `when` cannot be evaluated (no "zzz" tag) */
  EXPECT_STR(body(t.c, t.b, "{\"model\":\"llama\",\"provider\":\"openai\",\"scope\":\"/Subscriptions/S1/resourceGroups/RG/vm/1\","
                            "\"team\":\"audit\",\"n\":150,\"tags\":{}}", TU_NOW), want);
  aigw_finding f;
  CU_ASSERT_EQUAL(aigw_get(t.c, AIGW_WAIVED, 0, &f), AIGW_OK);
  CU_ASSERT_STRING_EQUAL(f.guardrail, "approved-model");
  CU_ASSERT_STRING_EQUAL(f.exemption, "EX-1");
  CU_ASSERT_STRING_EQUAL(f.owner, "a@x");
  CU_ASSERT_STRING_EQUAL(f.expires, "2026-12-31");
  CU_ASSERT_EQUAL(f.days_left, 39);      /* Dec 31 is 39 days after Nov 22 (docs/language.md §9) */
  CU_ASSERT_STRING_EQUAL(f.severity, "high");
  CU_ASSERT_STRING_EQUAL(aigw_message(t.c, AIGW_WAIVED, 0), "model llama is not approved {see \"catalog\"}");
  CU_ASSERT_EQUAL(aigw_get(t.c, AIGW_WARNINGS, 2, &f), AIGW_OK);
  CU_ASSERT_EQUAL(f.dry_run, 1);
  CU_ASSERT_STRING_EQUAL(f.effect, "deny");
  CU_ASSERT_EQUAL(aigw_get(t.c, AIGW_WARNINGS, 3, &f), AIGW_ERR_ARG);
  CU_ASSERT_EQUAL(aigw_get(t.c, (aigw_list)7, 0, &f), AIGW_ERR_ARG);
  CU_ASSERT_EQUAL(aigw_count(t.c, (aigw_list)7), 0);
  CU_ASSERT_PTR_NULL(aigw_route(t.c));
  CU_ASSERT_EQUAL(aigw_route_count(t.c), 0);
  CU_ASSERT_EQUAL(aigw_budget_count(t.c), 0);
  /* EX-3's when holds: big is waived too, by the first exemption in index order */
  const char *d = tu_decide(t.c, "{\"model\":\"llama\",\"provider\":\"azure-openai\",\"scope\":\"/subscriptions/s1/resourcegroups/rg\","
                                 "\"principal\":\"p\",\"team\":\"t\",\"n\":150,\"tags\":{\"zzz\":\"1\",\"cc\":\"\"}}", TU_NOW);
  CU_ASSERT(tu_has(d, "\"decision\":\"allow\""));
  CU_ASSERT(tu_has(d, "\"waived\":[{\"guardrail\":\"approved-model\",\"exemption\":\"EX-1\",\"owner\":\"a@x\",\"expires\":\"2026-12-31\",\"days_left\":39},"
                      "{\"guardrail\":\"big\",\"exemption\":\"EX-3\",\"owner\":\"d@x\",\"expires\":\"never\",\"days_left\":null}],\"warnings\":[]"));
  tu_decide(t.c, "{\"model\":\"llama\",\"provider\":\"azure-openai\",\"scope\":\"/subscriptions/s1/resourceGroups/rg\",\"n\":1,\"tags\":{}}", TU_NOW + 86399);
  CU_ASSERT_EQUAL(aigw_get(t.c, AIGW_WAIVED, 0, &f), AIGW_OK);
  CU_ASSERT_EQUAL(f.days_left, 39);      /* calendar days: the whole of Nov 22 */
  close_t(t);
}

static void t_exemptions(void) {
  T t = open_src(POLICY);
  const char *in_rg = "{\"model\":\"llama\",\"provider\":\"azure-openai\",\"scope\":\"/subscriptions/s1/resourceGroups/rg/x\",\"team\":\"t\",\"n\":1,\"tags\":{\"cc\":\"\"}}";
  /* expires 2026-12-31 is the end of that day: waived one second before, not at it */
  const int64_t end = 1798761600;   /* 2027-01-01T00:00:00Z */
  tu_decide(t.c, in_rg, end - 1);
  CU_ASSERT_EQUAL(aigw_count(t.c, AIGW_WAIVED), 1);
  aigw_finding f;
  aigw_get(t.c, AIGW_WAIVED, 0, &f);
  CU_ASSERT_EQUAL(f.days_left, 0);
  tu_decide(t.c, in_rg, end);
  CU_ASSERT_EQUAL(aigw_count(t.c, AIGW_WAIVED), 0);
  CU_ASSERT_EQUAL(aigw_result(t.c), AIGW_DENY);
  CU_ASSERT_STRING_EQUAL(aigw_message(t.c, AIGW_VIOLATIONS, 0), "model llama is not approved {see \"catalog\"}");
  /* a sibling of rg, or its parent, is not inside it */
  tu_decide(t.c, "{\"model\":\"llama\",\"provider\":\"azure-openai\",\"scope\":\"/subscriptions/s1/resourceGroups/rg2\",\"team\":\"t\",\"n\":1,\"tags\":{\"cc\":\"\"}}", TU_NOW);
  CU_ASSERT_EQUAL(aigw_count(t.c, AIGW_VIOLATIONS), 1);
  tu_decide(t.c, "{\"model\":\"llama\",\"provider\":\"azure-openai\",\"scope\":\"/subscriptions/s1\",\"team\":\"t\",\"n\":1,\"tags\":{\"cc\":\"\"}}", TU_NOW);
  CU_ASSERT_EQUAL(aigw_count(t.c, AIGW_VIOLATIONS), 1);
  /* `when` must hold: mistral is only waived by EX-2, at sub, which never expires */
  const char *d = tu_decide(t.c, "{\"model\":\"mistral\",\"provider\":\"azure-openai\",\"scope\":\"/subscriptions/s1/resourceGroups/rg\",\"team\":\"t\",\"n\":1,\"tags\":{\"cc\":\"\"}}", 4102444800LL);
  CU_ASSERT(tu_has(d, "\"waived\":[{\"guardrail\":\"approved-model\",\"exemption\":\"EX-2\",\"owner\":\"b@x\",\"expires\":\"never\",\"days_left\":null}]"));
  aigw_get(t.c, AIGW_WAIVED, 0, &f);
  CU_ASSERT_EQUAL(f.days_left, INT64_MAX);
  tu_decide(t.c, "{\"model\":\"mistral\",\"provider\":\"azure-openai\",\"scope\":\"/elsewhere\",\"team\":\"t\",\"n\":1,\"tags\":{\"cc\":\"\"}}", TU_NOW);
  CU_ASSERT_EQUAL(aigw_count(t.c, AIGW_VIOLATIONS), 1);
  CU_ASSERT_EQUAL(aigw_count(t.c, AIGW_WAIVED), 0);
  close_t(t);
}

static void t_errors_and_budgets(void) {
  const char *src =
    "policy t\n"
    "input request { team: string  tags: map<string> }\n"
    "guardrail strict { severity low  deny when request.tags[\"owner\"] == \"nobody\" }\n"
    "budget b1 {\n  key request.tags[\"team\"]\n  limit 10 tokens per month\n}\n";
  T t = open_src(src);
  EXPECT_STR(body(t.c, t.b, "{\"tags\":{}}", TU_NOW),
             "{\"decision\":\"deny\",\"violations\":[],\"waived\":[],\"warnings\":[],"
             "\"errors\":[{\"guardrail\":\"strict\",\"message\":\"key 'owner' not in 'tags'\",\"on_error\":\"deny\",\"source\":\"t.aigw:3\"}],"
             "\"route\":null,\"budgets\":[]");
  EXPECT_STR(body(t.c, t.b, "{}", TU_NOW),
             "{\"decision\":\"deny\",\"violations\":[],\"waived\":[],\"warnings\":[],"
             "\"errors\":[{\"guardrail\":\"strict\",\"message\":\"field 'tags' is not set\",\"on_error\":\"deny\",\"source\":\"t.aigw:3\"}],"
             "\"route\":null,\"budgets\":[]");
  /* a budget that cannot be evaluated fails closed too */
  EXPECT_STR(body(t.c, t.b, "{\"tags\":{\"owner\":\"x\"}}", TU_NOW),
             "{\"decision\":\"deny\",\"violations\":[],\"waived\":[],\"warnings\":[],"
             "\"errors\":[{\"guardrail\":\"budget:b1\",\"message\":\"key 'team' not in 'tags'\",\"on_error\":\"deny\",\"source\":\"t.aigw:5\"}],"
             "\"route\":null,\"budgets\":[]");
  aigw_finding f;
  CU_ASSERT_EQUAL(aigw_get(t.c, AIGW_ERRORS, 0, &f), AIGW_OK);
  CU_ASSERT_STRING_EQUAL(f.guardrail, "budget:b1");
  CU_ASSERT_STRING_EQUAL(f.source, "t.aigw:5");
  EXPECT_STR(body(t.c, t.b, "{\"tags\":{\"owner\":\"x\",\"team\":\"\\u00e9\\\"q\"}}", TU_NOW),
             "{\"decision\":\"allow\",\"violations\":[],\"waived\":[],\"warnings\":[],\"errors\":[],"
             "\"route\":null,\"budgets\":[{\"budget\":\"b1\",\"key\":\"\xc3\xa9\\\"q\",\"limit\":10,\"unit\":\"tokens\",\"period\":\"month\",\"charge\":1,"
             "\"window\":{\"seconds\":2592000,\"sliding\":false,\"start\":\"2026-11-01T00:00:00Z\",\"end\":\"2026-12-01T00:00:00Z\"}}]");
  close_t(t);
  /* a dry-run guardrail that cannot be evaluated is reported, not enforced */
  t = open_src("policy t\ninput request { team: string  model: string }\n"
               "guardrail trial { severity high  mode dry-run  deny when request.team == \"x\" }\n"
               "guardrail no-llama { severity high  deny when request.model == \"llama\" }\n");
  EXPECT_STR(body(t.c, t.b, "{\"model\":\"gpt\"}", TU_NOW),
             "{\"decision\":\"allow\",\"violations\":[],\"waived\":[],\"warnings\":[],"
             "\"errors\":[{\"guardrail\":\"trial\",\"message\":\"field 'team' is not set\",\"on_error\":\"deny\",\"source\":\"t.aigw:3\",\"dry_run\":true}],"
             "\"route\":null,\"budgets\":[]");
  CU_ASSERT_EQUAL(aigw_get(t.c, AIGW_ERRORS, 0, &f), AIGW_OK);
  CU_ASSERT_EQUAL(f.dry_run, 1);
  CU_ASSERT(tu_has(tu_decide(t.c, "{\"model\":\"llama\"}", TU_NOW), "\"decision\":\"deny\""));
  close_t(t);
  /* overflow is an error, never a wrapped value */
  t = open_src("policy t\ninput request { n: int }\n"
               "guardrail ovf { severity low  deny when request.n * 4611686018427387904 > 0 }\n");
  CU_ASSERT(tu_has(tu_decide(t.c, "{\"n\":1}", TU_NOW), "\"violations\":[{\"guardrail\":\"ovf\""));
  CU_ASSERT(tu_has(tu_decide(t.c, "{\"n\":2}", TU_NOW),
                   "\"errors\":[{\"guardrail\":\"ovf\",\"message\":\"integer overflow\",\"on_error\":\"deny\",\"source\":\"t.aigw:3\"}]"));
  close_t(t);
}

static void t_routes(void) {
  const char *src =
    "policy t\n"
    "input request { provider: string  model: string  region: string  team: string  principal: string  n: int }\n"
    "guardrail no-openai { severity high  deny when request.provider == \"openai\" }\n"
    "guardrail eu-only { severity high  deny when request.team == \"eu\" and request.region != \"westeurope\" }\n"
    "guardrail nothing-fits { severity high  deny when request.team == \"stuck\" and request.model != \"zzz\" }\n"
    "guardrail dry { severity low  mode dry-run  deny when request.model == \"m2\" }\n"
    "route r {\n"
    "  when request.team == \"x\" -> openai:gpt-4o\n"
    "  when request.n > 100 -> azure-openai:a@eastus\n"
    "  when request.team == \"odd\" and request.n / (request.n - request.n) > 1 -> azure-openai:b@eastus\n"
    "  split by request.principal { 30% openai:m1, 70% azure-openai:m2@westeurope }\n"
    "  default -> azure-openai:d\n"
    "}\n";
  T t = open_src(src);
  /* rule 1: its only target is refused; rule 2 does not match; the split's openai arm
   * is refused whichever arm the key picks; dry-run guardrails refuse nothing */
  const char *d = tu_decide(t.c, "{\"provider\":\"azure-openai\",\"model\":\"zzz\",\"region\":\"westeurope\",\"team\":\"x\",\"principal\":\"p\",\"n\":1}", TU_NOW);
  CU_ASSERT(tu_has(d, "\"route\":{\"rule\":\"r\",\"rule_index\":3,\"source\":\"t.aigw:11\",\"targets\":[{\"provider\":\"azure-openai\",\"model\":\"m2\",\"region\":\"westeurope\"}]}"));
  aigw_rule_info ri;
  CU_ASSERT_EQUAL(aigw_route_rule(t.c, &ri), AIGW_OK);
  CU_ASSERT_STRING_EQUAL(ri.route, "r");
  CU_ASSERT_EQUAL(ri.index, 3);
  CU_ASSERT_EQUAL(ri.line, 11);
  /* a rule that cannot be evaluated denies: the request must not fall through to a
   * rule meant for other requests */
  d = tu_decide(t.c, "{\"provider\":\"azure-openai\",\"model\":\"zzz\",\"region\":\"westeurope\",\"team\":\"odd\",\"principal\":\"p\",\"n\":1}", TU_NOW);
  CU_ASSERT(tu_has(d, "\"decision\":\"deny\""));
  CU_ASSERT(tu_has(d, "\"errors\":[{\"guardrail\":\"route:r\",\"message\":\"division by zero\",\"on_error\":\"deny\",\"source\":\"t.aigw:10\"}],\"route\":null"));
  CU_ASSERT_EQUAL(aigw_route_rule(t.c, &ri), AIGW_ERR_ARG);
  /* so does a split key that is missing */
  d = tu_decide(t.c, "{\"provider\":\"azure-openai\",\"model\":\"zzz\",\"region\":\"westeurope\",\"team\":\"eu\",\"n\":1}", TU_NOW);
  CU_ASSERT(tu_has(d, "\"errors\":[{\"guardrail\":\"route:r\",\"message\":\"field 'principal' is not set\",\"on_error\":\"deny\",\"source\":\"t.aigw:11\"}]"));
  /* the default's target has no region, so the request's region stands for the check */
  d = tu_decide(t.c, "{\"provider\":\"azure-openai\",\"model\":\"zzz\",\"region\":\"westeurope\",\"team\":\"eu\",\"principal\":\"p\",\"n\":1}", TU_NOW);
  aigw_target tg;
  CU_ASSERT_EQUAL(aigw_route_target(t.c, 0, &tg), AIGW_OK);
  CU_ASSERT_STRING_EQUAL(tg.model, "m2");
  /* every target refused: no permitted route, so deny */
  d = tu_decide(t.c, "{\"provider\":\"azure-openai\",\"model\":\"zzz\",\"region\":\"westeurope\",\"team\":\"stuck\",\"principal\":\"p\",\"n\":1}", TU_NOW);
  CU_ASSERT(tu_has(d, "\"decision\":\"deny\",\"violations\":[{\"guardrail\":\"no-permitted-route\",\"severity\":\"critical\",\"effect\":\"deny\","
                      "\"message\":\"no permitted route: every target of the 2 matching rules is refused (the first by "));
  CU_ASSERT(tu_has(d, "\"route\":null"));
  close_t(t);
}

static void t_api_misc(void) {
  T t = open_src(POLICY);
  size_t n = 99;
  CU_ASSERT_PTR_NULL(aigw_decision_json(t.c, &n));     /* no decision yet */
  CU_ASSERT_EQUAL(n, 0);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(t.c), "no decision: call aigw_eval first");
  CU_ASSERT_EQUAL(aigw_result(t.c), AIGW_DENY);
  CU_ASSERT_EQUAL(aigw_count(t.c, AIGW_VIOLATIONS), 0);
  CU_ASSERT_STRING_EQUAL(aigw_bundle_policy(t.b), "t");
  CU_ASSERT_EQUAL(strncmp(aigw_bundle_id(t.b), "sha256:", 7), 0);
  CU_ASSERT_EQUAL(strlen(aigw_bundle_id(t.b)), 71);
  CU_ASSERT_STRING_EQUAL(aigw_status_name(AIGW_OK), "ok");
  CU_ASSERT_STRING_EQUAL(aigw_status_name(AIGW_ERR_LIMIT), "limit");
  CU_ASSERT_STRING_EQUAL(aigw_status_name((aigw_status)99), "unknown");
  CU_ASSERT_EQUAL(aigw_eval(NULL, 0), AIGW_ERR_ARG);
  CU_ASSERT_EQUAL(aigw_ctx_new(NULL, NULL), AIGW_ERR_ARG);
  /* the JSON is rendered once per decision and stays put */
  tu_decide(t.c, "{\"model\":\"x\"}", TU_NOW);
  const char *j1 = aigw_decision_json(t.c, &n), *j2 = aigw_decision_json(t.c, NULL);
  CU_ASSERT_PTR_EQUAL(j1, j2);
  CU_ASSERT_EQUAL(n, strlen(j1));
  /* messages are rendered on request, from the input the decision was made for */
  CU_ASSERT_STRING_EQUAL(aigw_message(t.c, AIGW_VIOLATIONS, 0), "model x is not approved {see \"catalog\"}");
  /* changing the input discards the decision: it described the old input */
  CU_ASSERT_EQUAL(aigw_input_json(t.c, "{\"model\":\"gpt-4o\"}", 18), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_count(t.c, AIGW_VIOLATIONS), 0);
  CU_ASSERT_PTR_NULL(aigw_message(t.c, AIGW_VIOLATIONS, 0));
  close_t(t);
}

static void t_step_limit(void) {
  aigw_config cfg;
  aigw_config_init(&cfg);
  CU_ASSERT_EQUAL(cfg.step_limit, 1000000);
  cfg.step_limit = 12;
  aigw_bundle *b = tu_compile(POLICY, &cfg);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  aigw_ctx *c;
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(b, &c), AIGW_OK);
  CU_ASSERT_STRING_EQUAL(tu_decide(c, "{\"model\":\"gpt-4o\",\"provider\":\"azure-openai\",\"team\":\"t\",\"n\":1,\"tags\":{}}", TU_NOW),
                         "ERR limit: step limit of 12 instructions exceeded");
  CU_ASSERT_EQUAL(aigw_result(c), AIGW_DENY);
  CU_ASSERT_EQUAL(aigw_count(c, AIGW_WARNINGS), 0);
  aigw_ctx_free(c);
  aigw_bundle_close(b);
}

static void t_open_errors(void) {
  char err[256];
  aigw_bundle *b = (aigw_bundle *)1;
  CU_ASSERT_EQUAL(aigw_bundle_open_file("no/such/file.aigwb", NULL, &b, err, sizeof err), AIGW_ERR_IO);
  CU_ASSERT_PTR_NULL(b);
  CU_ASSERT_STRING_EQUAL(err, "cannot open 'no/such/file.aigwb': No such file or directory");
  size_t n;
  char *bytes = tu_compile_bytes(POLICY, &n);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
  /* the version is checked before anything else */
  ((uint32_t *)bytes)[2] = 99;
  CU_ASSERT_EQUAL(aigw_bundle_open_mem(bytes, n, NULL, &b, err, sizeof err), AIGW_ERR_VERSION);
  char want[96];
  snprintf(want, sizeof want, "bundle format version 99 is not supported (this library reads version %d)", BUNDLE_VERSION);
  CU_ASSERT_STRING_EQUAL(err, want);
  ((uint32_t *)bytes)[2] = BUNDLE_VERSION;
  bytes[n - 1] ^= 1;                 /* checksum */
  CU_ASSERT_EQUAL(aigw_bundle_open_mem(bytes, n, NULL, &b, err, sizeof err), AIGW_ERR_CORRUPT);
  CU_ASSERT_PTR_NULL(b);
  bytes[n - 1] ^= 1;
  CU_ASSERT_EQUAL(aigw_bundle_open_mem(bytes, n / 2, NULL, &b, err, sizeof err), AIGW_ERR_CORRUPT);
  CU_ASSERT_EQUAL(aigw_bundle_open_mem(bytes, 0, NULL, &b, NULL, 0), AIGW_ERR_CORRUPT);
  CU_ASSERT_EQUAL(aigw_bundle_open_mem(NULL, 5, NULL, &b, err, sizeof err), AIGW_ERR_ARG);
  /* from a file, unaligned source bytes are fine: the library copies */
  char *odd = malloc(n + 1);
  memcpy(odd + 1, bytes, n);
  CU_ASSERT_EQUAL(aigw_bundle_open_mem(odd + 1, n, NULL, &b, err, sizeof err), AIGW_OK);
  aigw_bundle_close(b);
  free(odd);
  FILE *f = fopen("rt_test.aigwb", "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fwrite(bytes, 1, n, f);
  fclose(f);
  CU_ASSERT_EQUAL(aigw_bundle_open_file("rt_test.aigwb", NULL, &b, err, sizeof err), AIGW_OK);
  CU_ASSERT_STRING_EQUAL(aigw_bundle_policy(b), "t");
  aigw_bundle_close(b);
  remove("rt_test.aigwb");
  aigw_bundle_close(NULL);
  free(bytes);
}

/* A condition that opens with `field == "k" and` (guarded): where the field holds k the
 * VM starts after that test; where it holds another value, is unset, or holds an
 * unknown string, the condition runs from its first word. Each gives what the whole
 * condition gives. */
static void t_guard_opening(void) {
  T t = open_src("policy t\ninput request { team: string  n: int  other: string }\n"
                 "guardrail g { deny when request.team == \"a\" and request.n > 3 }\n"
                 "guardrail h { deny when request.team == \"a\" and request.team == \"a\" or request.other == \"x\" }\n");
  struct { const char *in, *want; } cases[] = {
    {"{\"team\":\"a\",\"n\":5}", "deny g,h"},
    {"{\"team\":\"a\",\"n\":2}", "deny h"},
    {"{\"team\":\"b\",\"n\":5,\"other\":\"x\"}", "deny h"},
    {"{\"team\":\"b\",\"n\":5,\"other\":\"y\"}", "allow"},
    {"{\"team\":\"zz-unknown\",\"n\":5,\"other\":\"y\"}", "allow"},
    {"{\"team\":\"a\"}", "deny h !g"},            /* n unset: g cannot tell */
    {"{\"n\":5}", "deny !g !h"},                    /* team unset: both fail closed */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    tu_decide(t.c, cases[i].in, TU_NOW);
    char got[64];
    snprintf(got, sizeof got, "%s", aigw_result(t.c) == AIGW_DENY ? "deny" : "allow");
    tu_names(t.c, AIGW_VIOLATIONS, " ", ",", got, sizeof got);
    tu_names(t.c, AIGW_ERRORS, " !", " !", got, sizeof got);
    EXPECT_STR(got, cases[i].want);
  }
  close_t(t);
}

UNIT_SUITE(rt_decision,
  {"allow", t_allow}, {"deny", t_deny}, {"exemptions", t_exemptions},
  {"errors_and_budgets", t_errors_and_budgets}, {"routes", t_routes}, {"api_misc", t_api_misc},
  {"step_limit", t_step_limit}, {"open_errors", t_open_errors}, {"guard_opening", t_guard_opening})
