/* The map target: what a gateway forwards to `aigwc serve` — request headers and a JSON
 * body — through the --config input mapping (serve/srv_map.c) into a policy with a
 * field of every kind, then one evaluation. The bytes are "name: value" lines up to a
 * blank line, then the body.
 *
 * Checked: a refusal has a terminated message; an accepted input evaluates; and the
 * mapped input rendered for the decision log is always valid JSON (the log's lines
 * must parse whatever a client sends). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aigw.h"
#include "compile.h"
#include "fuzz.h"
#include "srv.h"

static const char fuzz_map_policy[] =
  "policy fuzz.map\n"
  "levels cls { low < high }\n"
  "input request {\n"
  "  s: string, i: int, b: bool, t: time, d: duration, sc: scope, c: cls\n"
  "  l: list<string>, li: list<int>, m: map<string>, mh: map<string>\n"
  "}\n"
  "guardrail g {\n"
  "  deny when request.i > 5 and request.s == \"x\" and \"k\" in request.m\n"
  "  message \"{request.s} {request.i}\"\n"
  "}\n"
  "guardrail h { warn when request.c >= high and request.sc under \"/subscriptions/a\" }\n"
  "budget k {\n  key request.s\n  charge request.i\n  limit 100 tokens per day\n}\n";

static const char fuzz_map_config[] =
  "{\"input\": {"
  "\"s\": {\"header\": \"x-s\", \"body\": \"s\"},"
  "\"i\": {\"header\": \"x-i\", \"body\": \"i\", \"default\": \"0\"},"
  "\"b\": {\"header\": \"x-b\", \"body\": \"b\"},"
  "\"t\": {\"header\": \"x-t\", \"body\": \"t\"},"
  "\"d\": {\"header\": \"x-d\"},"
  "\"sc\": {\"header\": \"x-sc\", \"body\": \"sc\"},"
  "\"c\": {\"header\": \"x-c\", \"default\": \"low\"},"
  "\"l\": {\"header\": \"x-l\", \"body\": \"l\"},"
  "\"li\": {\"header\": \"x-li\", \"body\": \"li\"},"
  "\"m\": {\"header\": \"x-m\", \"body\": \"m\", \"default\": \"a=b\"},"
  "\"mh\": {\"header_prefix\": \"x-tag-\"}"
  "}}";

typedef struct FuzzHdr { const char *k, *v; size_t kl, vl; } FuzzHdr;
typedef struct FuzzHdrs { FuzzHdr h[64]; size_t n; } FuzzHdrs;

static const char *fuzz_hget(void *ud, const char *name, size_t *len) {
  FuzzHdrs *hs = ud;
  size_t nl = strlen(name);
  for (size_t i = 0; i < hs->n; i++)
    if (hs->h[i].kl == nl && !strncasecmp(hs->h[i].k, name, nl)) { *len = hs->h[i].vl; return hs->h[i].v; }
  return NULL;
}

static void fuzz_heach(void *ud, srv_header_fn fn, void *arg) {
  FuzzHdrs *hs = ud;
  for (size_t i = 0; i < hs->n; i++)
    if (!fn(arg, hs->h[i].k, hs->h[i].kl, hs->h[i].v, hs->h[i].vl)) return;
}

static aigw_bundle *fuzz_map_bundle;
static SrvConfig fuzz_map_cfg;
static SrvMapPlan fuzz_map_plan;

static void fuzz_map_setup(void) {
  if (fuzz_map_bundle) return;
  DiagSink d;
  diag_init(&d);
  char *text = xstrndup(fuzz_map_policy, sizeof fuzz_map_policy - 1);
  diag_add_source(&d, "fuzz_map.aigw", text, (uint32_t)(sizeof fuzz_map_policy - 1));
  CompileOpts o = {FUZZ_NOW, 0};
  Buf out = {0};
  char err[300];
  if (compile_bundle(&d, &o, &out) != 0) { diag_print(&d, stderr); abort(); }
  diag_free(&d);
  if (aigw_bundle_open_mem(out.p, out.n, NULL, &fuzz_map_bundle, err, sizeof err) != AIGW_OK) {
    fprintf(stderr, "fuzz map: %s\n", err);
    abort();
  }
  buf_free(&out);
  srv_config_defaults(&fuzz_map_cfg);
  if (srv_config_parse(fuzz_map_config, sizeof fuzz_map_config - 1, &fuzz_map_cfg, err, sizeof err) ||
      srv_map_plan(fuzz_map_bundle, &fuzz_map_cfg, &fuzz_map_plan, err, sizeof err)) {
    fprintf(stderr, "fuzz map: %s\n", err);
    abort();
  }
}

int fuzz_map_one(const uint8_t *data, size_t size) {
  fuzz_map_setup();
  const char *p = (const char *)data, *end = p + size;
  FuzzHdrs hs = {.n = 0};
  /* headers: "name: value" lines until a blank line; a line without ':' is skipped */
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    if (le == p) { p = le + 1; break; }
    const char *colon = memchr(p, ':', (size_t)(le - p));
    if (colon && hs.n < 64) {
      const char *v = colon + 1;
      while (v < le && *v == ' ') v++;
      hs.h[hs.n++] = (FuzzHdr){p, v, (size_t)(colon - p), (size_t)(le - v)};
    }
    p = nl ? nl + 1 : end;
  }
  json_t *body = NULL;
  if (p < end) body = json_loadb(p, (size_t)(end - p), JSON_REJECT_DUPLICATES, NULL);
  SrvHeaders h = {fuzz_hget, fuzz_heach, &hs};
  aigw_ctx *c = NULL;
  if (aigw_ctx_new(fuzz_map_bundle, &c) != AIGW_OK) abort();
  char err[512];
  memset(err, 'x', sizeof err);
  if (srv_map_input(c, &fuzz_map_plan, &h, body, err, sizeof err) != 0) {
    if (!memchr(err, 0, sizeof err)) abort();
  } else if (aigw_eval(c, FUZZ_NOW) == AIGW_OK) {
    size_t jl;
    if (!aigw_decision_json(c, &jl)) abort();
    for (size_t i = 0; i < aigw_budget_count(c); i++) {
      aigw_budget b;
      if (aigw_budget_get(c, i, &b) != AIGW_OK) abort();
    }
  }
  Buf log = {0};
  srv_map_json(&fuzz_map_plan, &h, body, &log);
  json_t *back = json_loadb(log.p, log.n, 0, NULL);
  if (!json_is_object(back)) {
    fprintf(stderr, "fuzz map: the mapped input is not a JSON object: %.*s\n", (int)log.n, log.p);
    abort();
  }
  json_decref(back);
  buf_free(&log);
  json_decref(body);
  aigw_ctx_free(c);
  return 0;
}
