/* Helpers for the runtime tests: see test_rt.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compile.h"
#include "diag.h"
#include "test_rt.h"
#include "util.h"

char *tu_compile_bytes(const char *src, size_t *len) {
  DiagSink d;
  diag_init(&d);
  size_t n = strlen(src);
  diag_add_source(&d, "t.aigw", xstrndup(src, n), (uint32_t)n);
  Buf out = {0};
  CompileOpts o = {0, 0};
  if (compile_bundle(&d, &o, &out) != 0) {
    diag_print(&d, stderr);
    diag_free(&d);
    buf_free(&out);
    return NULL;
  }
  diag_free(&d);
  char *p = malloc(out.n ? out.n : 1);
  memcpy(p, out.p, out.n);
  *len = out.n;
  buf_free(&out);
  return p;
}

aigw_bundle *tu_compile(const char *src, const aigw_config *cfg) {
  size_t n;
  char *p = tu_compile_bytes(src, &n);
  if (!p) return NULL;
  aigw_bundle *b = NULL;
  char err[256];
  aigw_status st = aigw_bundle_open_mem(p, n, cfg, &b, err, sizeof err);
  free(p);
  if (st) fprintf(stderr, "open: %s: %s\n", aigw_status_name(st), err);
  return b;
}

const char *tu_decide(aigw_ctx *c, const char *json, int64_t now) {
  static _Thread_local char buf[512];
  aigw_status st = aigw_input_json(c, json, strlen(json));
  if (!st) st = aigw_eval(c, now);
  if (st) {
    snprintf(buf, sizeof buf, "ERR %s: %s", aigw_status_name(st), aigw_ctx_error(c));
    return buf;
  }
  size_t n;
  return aigw_decision_json(c, &n);
}

void tu_names(aigw_ctx *c, aigw_list which, const char *lead, const char *sep, char *out, size_t cap) {
  for (size_t i = 0; i < aigw_count(c, which); i++) {
    aigw_finding f;
    aigw_get(c, which, i, &f);
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "%s%s", i ? sep : lead, f.guardrail);
  }
}

int tu_has(const char *json, const char *needle) { return json && strstr(json, needle) != NULL; }
