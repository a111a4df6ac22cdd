/* The decision JSON: escapes, and that whatever bytes a host puts in a field the
 * output is valid JSON (checked by parsing it back with jansson). */
#include <jansson.h>
#include <string.h>
#include "timefmt.h"
#include "test_rt.h"
#include "unit.h"
#include "vm.h"

static const char *const SRC_OK =
  "policy t\n"
  "input request { model: string }\n"
  "guardrail odd { severity high  deny when request.model != \"\"  message \"<{request.model}>\" }\n";

static void t_escapes(void) {
  aigw_bundle *b = tu_compile(SRC_OK, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  aigw_ctx *c;
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(b, &c), AIGW_OK);
  static const char in[] =
    "a\"b\\c/\n\r\t\b\f\x01\x1f|\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|"
    "\xff \xc3 \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80 \x7f\x00z";
  CU_ASSERT_EQUAL(aigw_input_string(c, 0, in, sizeof in - 1), AIGW_OK);
  CU_ASSERT_EQUAL(aigw_eval(c, TU_NOW), AIGW_OK);
  size_t n;
  const char *j = aigw_decision_json(c, &n);
  CU_ASSERT_PTR_NOT_NULL_FATAL(j);
  CU_ASSERT_EQUAL(n, strlen(j));
  const char *want =
    "\"message\":\"<a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0001\\u001f|\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|"
    "\\ufffd \\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd \\ufffd\\ufffd\\ufffd\\ufffd \x7f\\u0000z>\"";
  CU_ASSERT(tu_has(j, want));
  if (!tu_has(j, want)) fprintf(stderr, "\n  got  %s\n  want %s\n", j, want);
  /* valid JSON, and the message is the input with bad bytes replaced */
  json_error_t je;
  json_t *root = json_loadb(j, n, JSON_ALLOW_NUL, &je);
  CU_ASSERT_PTR_NOT_NULL_FATAL(root);
  json_t *m = json_object_get(json_array_get(json_object_get(root, "violations"), 0), "message");
  static const char dec[] =
    "<a\"b\\c/\n\r\t\b\f\x01\x1f|\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|"
    "\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \x7f\x00z>";
  CU_ASSERT_EQUAL(json_string_length(m), sizeof dec - 1);
  CU_ASSERT_EQUAL(memcmp(json_string_value(m), dec, sizeof dec - 1), 0);
  json_decref(root);
  /* the message accessor has the raw bytes (up to the NUL) */
  CU_ASSERT_EQUAL(memcmp(aigw_message(c, AIGW_VIOLATIONS, 0), "<a\"b\\c/\n", 8), 0);
  aigw_ctx_free(c);
  aigw_bundle_close(b);
}

/* Every decision of a varied set parses as JSON with the contract's keys in order. */
static void t_shape(void) {
  aigw_bundle *b = tu_compile(SRC_OK, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  aigw_ctx *c;
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(b, &c), AIGW_OK);
  const char *inputs[] = {"{}", "{\"model\":\"\"}", "{\"model\":\"x\"}", "{\"model\":\"\\u001f\"}"};
  for (size_t i = 0; i < 4; i++) {
    const char *j = tu_decide(c, inputs[i], TU_NOW);
    json_error_t je;
    json_t *root = json_loads(j, 0, &je);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    const char *keys[] = {"decision", "violations", "waived", "warnings", "errors", "route", "budgets", "bundle"};
    void *it = json_object_iter(root);
    for (int k = 0; k < 8; k++, it = json_object_iter_next(root, it)) {
      CU_ASSERT_PTR_NOT_NULL_FATAL(it);
      CU_ASSERT_STRING_EQUAL(json_object_iter_key(it), keys[k]);
    }
    CU_ASSERT_PTR_NULL(it);
    json_decref(root);
  }
  aigw_ctx_free(c);
  aigw_bundle_close(b);
}

/* warn_at is printed by hand; it must match %g for every basis-point value. */
static void t_fractions(void) {
  char a[40], b[40];
  int bad = 0;
  for (int32_t bp = 0; bp <= 1000100; bp++) {
    rt_fmt_bp(a, bp);
    snprintf(b, sizeof b, "%g", bp / 10000.0);
    if (strcmp(a, b) && bad++ < 5) fprintf(stderr, "\n  %d: %s vs %s", bp, a, b);
  }
  CU_ASSERT_EQUAL(bad, 0);
  char buf[32];
  CU_ASSERT_EQUAL(rt_fmt_i64(buf, INT64_MIN), 20);
  CU_ASSERT_STRING_EQUAL(buf, "-9223372036854775808");
  CU_ASSERT_EQUAL(rt_fmt_i64(buf, 0), 1);
  CU_ASSERT_STRING_EQUAL(buf, "0");
  char t[40];
  rt_fmt_time(t, INT64_C(253402300799));
  CU_ASSERT_STRING_EQUAL(t, "9999-12-31T23:59:59Z");
  rt_fmt_time(t, -62135596800);
  CU_ASSERT_STRING_EQUAL(t, "0001-01-01T00:00:00Z");
  rt_fmt_time(t, 951782400);
  CU_ASSERT_STRING_EQUAL(t, "2000-02-29T00:00:00Z");
}

UNIT_SUITE(rt_json, {"escapes", t_escapes}, {"shape", t_shape}, {"fractions", t_fractions})
