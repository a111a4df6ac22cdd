/* The JSON input reader (runtime/jsonin.c) against jansson, its oracle: a table of
 * edge cases of the grammar, each with the verdict both must give, then the committed
 * fuzz corpus and findings of the json target replayed through its entry (which aborts
 * on any disagreement of verdict, status, message or extracted value). */
#include <string.h>
#include "jsonin.h"
#include "test_rt.h"
#include "unit.h"
#include "util.h"
#include "../fuzz/fuzz_json_entry.c"

#define C(s, ok) {s, sizeof s - 1, ok}
static const struct { const char *json; size_t len; int ok; } CASES[] = {
  C("{}", 1), C(" \t\r\n{ } \n", 1), C("", 0), C(" ", 0), C("{", 0), C("}", 0), C("{} {}", 0),
  C("[]", 1), C("1", 1), C("\"x\"", 1), C("null", 1), C("nul", 0), C("truex", 0), C("[1,]", 0), C("{\"a\":1,}", 0),
  C("{\"a\" 1}", 0), C("{a:1}", 0), C("{'a':1}", 0), C("[1 2]", 0), C("\xef\xbb\xbf{}", 0),
  /* numbers */
  C("-0", 1), C("01", 0), C("-", 0), C("+1", 0), C(".5", 0), C("1.", 0), C("1.e5", 0), C("1e", 0), C("1e+", 0),
  C("1.5E+3", 1), C("1e-400", 1), C("1e400", 0), C("-1e400", 0), C("9223372036854775807", 1),
  C("9223372036854775808", 0), C("-9223372036854775808", 1), C("-9223372036854775809", 0),
  C("{\"s\":1e308,\"i\":-0}", 1),
  /* strings: escapes, surrogates, control characters, UTF-8 */
  C("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 1), C("\"\\x\"", 0), C("\"\\u00e9\\u00E9\"", 1), C("\"\\u00g9\"", 0),
  C("\"\\ud83d\\ude00\"", 1), C("\"\\ud83d\"", 0), C("\"\\ude00\"", 0), C("\"\\ud83d\\u0041\"", 0),
  C("\"\\u0000\"", 0), C("{\"a\\u0000\":1}", 0), C("\"a\x01\"", 0), C("\"a\x7f\"", 1), C("\"\xc3\xa9\"", 1),
  C("\"\xc0\xaf\"", 0), C("\"\xe0\x80\xaf\"", 0), C("\"\xed\xa0\x80\"", 0), C("\"\xf4\x90\x80\x80\"", 0),
  C("\"\xf0\x9f\x98\x80\"", 1), C("\"\xc3\"", 0), C("\"abc", 0), C("\"a\0\"", 0),
  /* jansson drops one 0 byte right after a number or a literal, and only there */
  C("2\0", 1), C("[1\0,true\0]", 1), C("2\0\0", 0), C("\"a\"\0", 0), C("{}\0", 0), C("\0", 0),
  /* duplicate keys, anywhere, after decoding */
  C("{\"s\":\"a\",\"s\":\"b\"}", 0), C("{\"a\":1,\"\\u0061\":2}", 0), C("{\"x\":{\"a\":1,\"a\":2}}", 0),
  C("{\"x\":[{\"a\":1},{\"a\":2}]}", 1), C("{\"m\":{\"k\":\"1\",\"k\":\"2\"}}", 0),
  C("{\"x\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,\"k\":11,"
    "\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17,\"r\":18,\"a\":19}}", 0),
  C("{\"x\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,\"k\":11,"
    "\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17,\"r\":18},\"y\":{\"a\":1}}", 1),
  /* an object of many keys inside another: both stay in the hash set */
  C("{\"t0\":0,\"t1\":1,\"t2\":2,\"t3\":3,\"t4\":4,\"t5\":5,\"t6\":6,\"t7\":7,\"t8\":8,\"t9\":9,\"t10\":10,\"t11\":11,\"t12\":12,\"t13\":13,\"t14\":14,\"t15\":15,\"t16\":16,\"x\":{\"n0\":0,\"n1\":1,\"n2\":2,\"n3\":3,\"n4\":4,\"n5\":5,\"n6\":6,\"n7\":7,\"n8\":8,\"n9\":9,\"n10\":10,\"n11\":11,\"n12\":12,\"n13\":13,\"n14\":14,\"n15\":15,\"n16\":16},\"t3\":0}", 0),
  C("{\"t0\":0,\"t1\":1,\"t2\":2,\"t3\":3,\"t4\":4,\"t5\":5,\"t6\":6,\"t7\":7,\"t8\":8,\"t9\":9,\"t10\":10,\"t11\":11,\"t12\":12,\"t13\":13,\"t14\":14,\"t15\":15,\"t16\":16,\"x\":{\"n0\":0,\"n1\":1,\"n2\":2,\"n3\":3,\"n4\":4,\"n5\":5,\"n6\":6,\"n7\":7,\"n8\":8,\"n9\":9,\"n10\":10,\"n11\":11,\"n12\":12,\"n13\":13,\"n14\":14,\"n15\":15,\"n16\":16},\"t17\":0}", 1),
};

static void t_grammar(void) {
  aigw_bundle *b = tu_compile("policy t\ninput request { s: string, i: int, m: map<string> }\n"
                              "guardrail g { warn when request.s == \"x\" }\n", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b);
  aigw_ctx *r, *j;
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(b, &r), AIGW_OK);
  CU_ASSERT_EQUAL_FATAL(aigw_ctx_new(b, &j), AIGW_OK);
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
    aigw_status st;
    int rok = rt_json_read(r, CASES[i].json, CASES[i].len, &st) == 0;
    rt_input_json_jansson(j, CASES[i].json, CASES[i].len);
    uint32_t line, col;
    aigw_ctx_error_at(j, &line, &col);
    int jok = line == 0;
    CU_ASSERT_EQUAL(rok, CASES[i].ok);
    CU_ASSERT_EQUAL(jok, CASES[i].ok);
    if (rok != CASES[i].ok || jok != CASES[i].ok)
      fprintf(stderr, "\n  case %zu: reader %d, jansson %d, want %d\n", i, rok, jok, CASES[i].ok);
  }
  /* the nesting limit: 2048 values deep, a container's items one deeper */
  enum { N = 2049 };
  static char deep[2 * N + 1];
  for (int k = 2047; k <= 2049; k++)
    for (int sc = 0; sc < 2; sc++) {
      size_t n = 0;
      for (int i = 0; i < k; i++) deep[n++] = '[';
      if (sc) deep[n++] = '1';
      for (int i = 0; i < k; i++) deep[n++] = ']';
      aigw_status st;
      int want = k < 2048 || (k == 2048 && !sc);
      CU_ASSERT_EQUAL(rt_json_read(r, deep, n, &st) == 0, want);
      rt_input_json_jansson(j, deep, n);
      uint32_t line, col;
      aigw_ctx_error_at(j, &line, &col);
      CU_ASSERT_EQUAL(line == 0, want);
    }
  aigw_ctx_free(r);
  aigw_ctx_free(j);
  aigw_bundle_close(b);
}

static void t_corpus(void) {
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
    fuzz_json_one((const uint8_t *)CASES[i].json, CASES[i].len);
  unit_replay("json", fuzz_json_one);
}

UNIT_SUITE(rt_jsonin, {"grammar against jansson", t_grammar}, {"fuzz corpus replayed", t_corpus})
