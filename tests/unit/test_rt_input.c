/* Input: JSON and the field setters, type errors with their exact messages, and how
 * each type is rendered back into a message. */
#include <string.h>
#include "test_rt.h"
#include "unit.h"

static const char *const SRC =
  "policy t\n"
  "levels classification { public < internal < confidential < restricted }\n"
  "input request {\n"
  "  model: string\n  scope: scope\n  ancestors: list<scope>\n  prompt_tokens: int\n"
  "  streaming: bool\n  at: time\n  ttl: duration\n  classification: classification\n"
  "  tags: map<string, max 4096>\n  nums: list<int>\n"
  "}\n"
  "guardrail show {\n  severity low\n  warn when true\n"
  "  message \"{request.model}|{request.prompt_tokens}|{request.streaming}|{request.at}|"
  "{request.ttl}|{request.classification}|{request.scope}\"\n}\n"
  "guardrail k-is-w {\n  severity low\n  warn when request.tags[\"k\"] == \"w\"\n}\n"
  "guardrail has-minus-5 {\n  severity low\n  warn when -5 in request.nums\n}\n"
  "guardrail sizes {\n  severity low\n  warn when len(request.tags) == 1 and len(request.nums) == 2\n}\n";

typedef struct T { aigw_bundle *b; aigw_ctx *c; } T;
static T open_t(void) {
  T t = {tu_compile(SRC, NULL), NULL};
  CU_ASSERT_PTR_NOT_NULL_FATAL(t.b);
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(t.b, &t.c), AIGW_OK);
  return t;
}
static void close_t(T t) { aigw_ctx_free(t.c); aigw_bundle_close(t.b); }

/* The input's status and message, as "status: message". */
static const char *in(T t, const char *json) {
  static char buf[512];
  aigw_status st = aigw_input_json(t.c, json, strlen(json));
  snprintf(buf, sizeof buf, "%s: %s", aigw_status_name(st), st ? aigw_ctx_error(t.c) : "");
  return buf;
}

/* The `show` message after deciding json. */
static const char *shown(T t, const char *json) {
  const char *d = tu_decide(t.c, json, TU_NOW);
  if (!strncmp(d, "ERR", 3)) return d;
  return aigw_count(t.c, AIGW_WARNINGS) ? aigw_message(t.c, AIGW_WARNINGS, 0) : "(none)";
}

static void t_json_type_errors(void) {
  T t = open_t();
  struct { const char *json, *want; } cases[] = {
    {"{\"prompt_tokens\":\"12\"}", "input: field 'prompt_tokens': expected int, got string"},
    {"{\"prompt_tokens\":1.5}", "input: field 'prompt_tokens': expected int, got float"},
    {"{\"prompt_tokens\":true}", "input: field 'prompt_tokens': expected int, got bool"},
    {"{\"model\":12}", "input: field 'model': expected string, got int"},
    {"{\"model\":{}}", "input: field 'model': expected string, got object"},
    {"{\"streaming\":\"true\"}", "input: field 'streaming': expected bool, got string"},
    {"{\"classification\":\"secret\"}", "input: field 'classification': 'secret' is not a level of classification"},
    {"{\"classification\":2}", "input: field 'classification': expected classification, got int"},
    {"{\"ancestors\":\"/a\"}", "input: field 'ancestors': expected list<scope>, got string"},
    {"{\"ancestors\":[\"/a\",3]}", "input: field 'ancestors[1]': expected scope, got int"},
    {"{\"nums\":[1,\"2\"]}", "input: field 'nums[1]': expected int, got string"},
    {"{\"tags\":{\"env\":1}}", "input: field 'tags.env': expected string, got int"},
    {"{\"tags\":[]}", "input: field 'tags': expected map<string>, got array"},
    {"{\"at\":\"2026-13-01T00:00:00Z\"}", "input: field 'at': expected a date, an RFC 3339 time or Unix seconds, got '2026-13-01T00:00:00Z'"},
    {"{\"at\":\"2026-12-31 \"}", "input: field 'at': expected a date, an RFC 3339 time or Unix seconds, got '2026-12-31 '"},
    {"{\"at\":1.5}", "input: field 'at': expected time, got float"},
    {"{\"ttl\":\"30s\"}", "input: field 'ttl': expected duration, got string"},
    {"[]", "input: input is not a JSON object"},
    {"\"x\"", "input: input is not a JSON object"},
    {"{\"model\":\"a\", \"unknown\": [1, {}], \"scope\": null}", "ok: "},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = in(t, cases[i].json);
    CU_ASSERT_STRING_EQUAL(got, cases[i].want);
    if (strcmp(got, cases[i].want)) fprintf(stderr, "\n  %s\n  got  %s\n  want %s\n", cases[i].json, got, cases[i].want);
  }
  CU_ASSERT_EQUAL(strncmp(in(t, "{\"model\":"), "input: invalid JSON: ", 21), 0);
  uint32_t line, col;
  aigw_ctx_error_at(t.c, &line, &col);
  CU_ASSERT(line == 1 && col >= 9);
  /* every bad field is named, not only the first; a duplicate key is refused */
  CU_ASSERT_STRING_EQUAL(in(t, "{\"model\":1,\"prompt_tokens\":\"x\",\"streaming\":true}"),
                         "input: field 'model': expected string, got int; field 'prompt_tokens': expected int, got string");
  CU_ASSERT_EQUAL(strncmp(in(t, "{\"model\":\"a\",\"model\":\"b\"}"), "input: invalid JSON: duplicate object key", 41), 0);
  aigw_ctx_error_at(t.c, &line, &col);
  CU_ASSERT_EQUAL(line, 1);
  CU_ASSERT_EQUAL(strncmp(in(t, "{\"prompt_tokens\": 99999999999999999999}"), "input: invalid JSON", 19), 0);
  /* a failed input leaves nothing half-set */
  in(t, "{\"model\":\"gpt\", \"prompt_tokens\":\"x\"}");
  CU_ASSERT_STRING_EQUAL(shown(t, "{}"), "<?>|<?>|<?>|<?>|<?>|<?>|<?>");
  close_t(t);
}

static void t_json_values(void) {
  T t = open_t();
  CU_ASSERT_STRING_EQUAL(shown(t,
    "{\"model\":\"gpt-4o\",\"prompt_tokens\":-12,\"streaming\":false,\"at\":\"2026-12-31T00:00:00Z\","
    "\"ttl\":3600,\"classification\":\"confidential\",\"scope\":\"/Subscriptions//ABC/\","
    "\"tags\":{\"env\":\"prod\",\"team\":\"x\"},\"nums\":[1,2,3]}"),
    "gpt-4o|-12|false|2026-12-31T00:00:00Z|3600s|confidential|/subscriptions/abc");
  /* times: offsets, fractions, integers, before 1970, leap days */
  CU_ASSERT_STRING_EQUAL(shown(t, "{\"at\":\"2026-12-31T01:30:00+01:30\"}"), "<?>|<?>|<?>|2026-12-31T00:00:00Z|<?>|<?>|<?>");
  CU_ASSERT_STRING_EQUAL(shown(t, "{\"at\":\"2026-12-30t19:00:00.999-05:00\"}"), "<?>|<?>|<?>|2026-12-31T00:00:00Z|<?>|<?>|<?>");
  CU_ASSERT_STRING_EQUAL(shown(t, "{\"at\":1709209815}"), "<?>|<?>|<?>|2024-02-29T12:30:15Z|<?>|<?>|<?>");
  CU_ASSERT_STRING_EQUAL(shown(t, "{\"at\":-1}"), "<?>|<?>|<?>|1969-12-31T23:59:59Z|<?>|<?>|<?>");
  CU_ASSERT_STRING_EQUAL(in(t, "{\"at\":\"2025-02-29T00:00:00Z\"}"), "input: field 'at': expected a date, an RFC 3339 time or Unix seconds, got '2025-02-29T00:00:00Z'");
  /* a date is the start of that UTC day, as --now takes it */
  CU_ASSERT_STRING_EQUAL(shown(t, "{\"at\":\"2026-11-20\"}"), "<?>|<?>|<?>|2026-11-20T00:00:00Z|<?>|<?>|<?>");
  /* empty collections are set, and render empty */
  CU_ASSERT_STRING_EQUAL(shown(t, "{\"tags\":{},\"nums\":[],\"scope\":\"///\"}"), "<?>|<?>|<?>|<?>|<?>|<?>|/");
  close_t(t);
}

static void t_setters(void) {
  T t = open_t();
  int model = aigw_field(t.b, "model"), tokens = aigw_field(t.b, "prompt_tokens"),
      ttl = aigw_field(t.b, "ttl"), cls = aigw_field(t.b, "classification"),
      nums = aigw_field(t.b, "nums"), tags = aigw_field(t.b, "tags"), at = aigw_field(t.b, "at"),
      scope = aigw_field(t.b, "scope"), anc = aigw_field(t.b, "ancestors"), str = aigw_field(t.b, "streaming");
  CU_ASSERT_EQUAL(model, 0);
  CU_ASSERT_EQUAL(aigw_field(t.b, "nope"), -1);
  CU_ASSERT_EQUAL(aigw_field(t.b, "show"), -1);
  CU_ASSERT_EQUAL(aigw_input_string(t.c, 99, "x", 1), AIGW_ERR_FIELD);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(t.c), "no input field with id 99");
  CU_ASSERT_EQUAL(aigw_input_int(t.c, -1, 1), AIGW_ERR_FIELD);
  CU_ASSERT_EQUAL(aigw_input_int(t.c, model, 1), AIGW_ERR_INPUT);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(t.c), "field 'model': expected string, got int");
  CU_ASSERT_EQUAL(aigw_input_string(t.c, tokens, "12", 2), AIGW_ERR_INPUT);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(t.c), "field 'prompt_tokens': expected int, got string");
  CU_ASSERT_EQUAL(aigw_input_bool(t.c, tokens, 1), AIGW_ERR_INPUT);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(t.c), "field 'prompt_tokens': expected int, got bool");
  CU_ASSERT_EQUAL(aigw_input_time(t.c, ttl, 5), AIGW_ERR_INPUT);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(t.c), "field 'ttl': expected duration, got time");
  CU_ASSERT_EQUAL(aigw_input_list_add(t.c, model, "x", 1), AIGW_ERR_INPUT);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(t.c), "field 'model': expected string, got list");
  CU_ASSERT_EQUAL(aigw_input_list_add(t.c, nums, "abc", 3), AIGW_ERR_INPUT);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(t.c), "field 'nums[0]': expected int, got string");
  CU_ASSERT_EQUAL(aigw_input_map_set(t.c, nums, "k", 1, "v", 1), AIGW_ERR_INPUT);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(t.c), "field 'nums': expected list<int>, got map");
  CU_ASSERT_EQUAL(aigw_input_int(t.c, cls, 7), AIGW_ERR_INPUT);
  CU_ASSERT_STRING_EQUAL(aigw_ctx_error(t.c), "field 'classification': level 7 is out of range");
  CU_ASSERT_EQUAL(aigw_input_string(t.c, cls, "secret", 6), AIGW_ERR_INPUT);
  CU_ASSERT_EQUAL(aigw_input_string(t.c, model, NULL, 3), AIGW_ERR_ARG);
  /* and the good ones */
  aigw_input_reset(t.c);
  CU_ASSERT_EQUAL(aigw_input_string(t.c, model, "gpt-4o", 6), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_int(t.c, tokens, 7), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_bool(t.c, str, 1), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_time(t.c, at, 1798675200), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_int(t.c, ttl, 60), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_string(t.c, cls, "restricted", 10), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_string(t.c, scope, "/A/b//", 6), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_list_add(t.c, anc, "/X", 2), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_map_set(t.c, tags, "k", 1, "v", 1), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_map_set(t.c, tags, "k", 1, "w", 1), AIGW_OK);   /* replaces */
  CU_ASSERT_EQUAL(aigw_input_list_add(t.c, nums, "-5", 2), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_input_list_add(t.c, nums, "+6", 2), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_eval(t.c, TU_NOW), AIGW_OK);
  CU_ASSERT_STRING_EQUAL(aigw_message(t.c, AIGW_WARNINGS, 0),
    "gpt-4o|7|true|2026-12-31T00:00:00Z|60s|restricted|/a/b");
  CU_ASSERT_EQUAL(aigw_count(t.c, AIGW_WARNINGS), 4);   /* k-is-w, has-minus-5 and sizes fired too */
  /* an integer level is its ordinal */
  CU_ASSERT_EQUAL(aigw_input_int(t.c, cls, 1), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_eval(t.c, TU_NOW), AIGW_OK);
  CU_ASSERT_STRING_EQUAL(aigw_message(t.c, AIGW_WARNINGS, 0),
    "gpt-4o|7|true|2026-12-31T00:00:00Z|60s|internal|/a/b");
  /* bad arguments */
  CU_ASSERT_EQUAL(aigw_input_json(NULL, "{}", 2), AIGW_ERR_ARG);
  CU_ASSERT_EQUAL(aigw_input_json(t.c, NULL, 2), AIGW_ERR_ARG);
  CU_ASSERT_EQUAL(aigw_field(NULL, "model"), -1);
  CU_ASSERT_EQUAL(aigw_field(t.b, NULL), -1);
  close_t(t);
}

static void t_big_input(void) {
  /* inputs larger than the first arena chunk, many times over: strings stay valid */
  T t = open_t();
  static char json[200000];
  size_t n = (size_t)snprintf(json, sizeof json, "{\"tags\":{");
  for (int i = 0; i < 3000; i++)
    n += (size_t)snprintf(json + n, sizeof json - n, "%s\"key-%d\":\"value-%d-abcdefghijklmnopqrstuvwxyz\"", i ? "," : "", i, i);
  snprintf(json + n, sizeof json - n, "},\"model\":\"m-%s\"}", "long-model-name");
  for (int round = 0; round < 3; round++) {
    CU_ASSERT_STRING_EQUAL(in(t, json), "ok: ");
    CU_ASSERT_EQUAL(aigw_eval(t.c, TU_NOW), AIGW_OK);
    const char *m = aigw_message(t.c, AIGW_WARNINGS, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(strncmp(m, "m-long-model-name|", 18), 0);
  }
  close_t(t);
}

UNIT_SUITE(rt_input,
  {"json_type_errors", t_json_type_errors}, {"json_values", t_json_values},
  {"setters", t_setters}, {"big_input", t_big_input})
