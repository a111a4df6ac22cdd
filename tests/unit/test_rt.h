/* Helpers shared by the runtime's unit tests (test_vm.c, test_rt_*.c): compile a
 * policy from a source string into an open bundle, and decide one JSON input. */
#ifndef AIGW_TEST_RT_H
#define AIGW_TEST_RT_H
#include <stdint.h>
#include "aigw.h"

/* 2026-11-22T00:00:00Z, the `now` of the contoso example's test. */
#define TU_NOW 1795305600LL

/* Compiles src (one file named "t.aigw") and opens it with cfg (NULL: defaults).
 * Prints the diagnostics and returns NULL when it does not compile or open. */
aigw_bundle *tu_compile(const char *src, const aigw_config *cfg);
/* The bundle bytes of src, malloc'ed; NULL on a compile error. */
char *tu_compile_bytes(const char *src, size_t *len);
/* input_json + eval + decision_json; on failure "ERR <status>: <message>". The result
 * lives in the ctx (or in buf for errors) until the next call. */
const char *tu_decide(aigw_ctx *c, const char *json, int64_t now);
/* Appends the guardrail names of list `which` to out (cap bytes): the first after lead,
 * each other after sep. */
void tu_names(aigw_ctx *c, aigw_list which, const char *lead, const char *sep, char *out, size_t cap);
/* Finds `needle` in the decision JSON: 1 if present. */
int tu_has(const char *json, const char *needle);
#endif
