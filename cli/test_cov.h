/* aigwc test --coverage and --format: which declarations the tests exercised, and the
 * test results as JSON or JUnit (docs/lint.md §7). cmd_test.c calls these hooks; with
 * neither option it calls none of them. */
#ifndef AIGW_TEST_COV_H
#define AIGW_TEST_COV_H
#include <stdint.h>
#include <stdio.h>
#include "aigw.h"

typedef enum { TCOV_TEXT, TCOV_JSON, TCOV_JUNIT } TcovFormat;
typedef struct Tcov Tcov;

Tcov *tcov_new(TcovFormat f, int coverage);
void tcov_free(Tcov *t);
/* A set begins (b is NULL when it does not compile). */
void tcov_set(Tcov *t, const char *label, const aigw_bundle *b);
/* One test ran: its result, and what its decision exercised (c evaluated, or NULL). */
void tcov_test(Tcov *t, const char *name, const char *file, uint32_t line, int passed, const char *why, aigw_ctx *c);
/* The set's coverage lines, in text format (nothing otherwise). */
void tcov_set_done(Tcov *t, FILE *out);
/* The whole report: text, the total line; JSON or JUnit, the document. Returns the
 * share exercised in basis points (10000 when there was nothing to exercise). */
int tcov_finish(Tcov *t, int pass, int fail, FILE *out);

#endif
