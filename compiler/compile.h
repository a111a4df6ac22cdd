/* The compiler's entry point: every source already loaded into the DiagSink is parsed,
 * resolved, type checked, lowered and emitted as one bundle. */
#ifndef AIGW_COMPILE_H
#define AIGW_COMPILE_H
#include <stdint.h>
#include "arena.h"
#include "diag.h"
#include "util.h"

typedef struct CompileOpts {
  int64_t now;             /* for lint-style warnings only; never baked into the bundle */
  int warn_as_error;
} CompileOpts;

/* Returns 0 and the bundle bytes in out, or -1 with diagnostics in d. */
int compile_bundle(DiagSink *d, const CompileOpts *o, Buf *out);

/* ---- test declarations, as `aigwc test` runs them ----
 * The compiler checks each `test` (it has a `now`; every name an `expect` gives is
 * declared) and hands it back in this form, so a runner needs no parser of its own. */
typedef enum {
  EXPECT_ALLOW, EXPECT_DENY, EXPECT_VIOLATION, EXPECT_WARNING, EXPECT_ERROR,
  EXPECT_WAIVED, EXPECT_ROUTE, EXPECT_BUDGET
} ExpectKind;

typedef struct TestExpect {
  ExpectKind kind;
  uint32_t line;             /* of the `expect` */
  /* VIOLATION, WARNING, ERROR, WAIVED: the findings' names; ROUTE: the targets after
   * `->` (none: any targets); BUDGET: the budget */
  const char **names; uint32_t nnames;
  const char *route;         /* ROUTE: the route's name, NULL for `expect route none` */
  const char *by;            /* WAIVED: the exemption after `by`, NULL for any */
} TestExpect;

typedef struct TestCase {
  const char *name;
  const char *file; uint32_t line;
  int64_t now;               /* Unix seconds */
  const char *input; size_t input_len;   /* the input as a JSON object */
  TestExpect *expects; uint32_t nexpects;
} TestCase;

/* Owned by the caller: compile_bundle_tests fills it, compile_tests_free frees it. */
typedef struct TestList {
  TestCase *v; uint32_t n;
  Arena arena;               /* holds every string and array above */
} TestList;

/* compile_bundle, and when it succeeds the test declarations in tests (declaration
 * order). tests is always initialized, so compile_tests_free is always safe. */
int compile_bundle_tests(DiagSink *d, const CompileOpts *o, Buf *out, TestList *tests);
void compile_tests_free(TestList *tests);

#endif
