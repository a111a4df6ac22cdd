/* Reads everything a decision offers, so the sanitizers see every accessor and every
 * string it returns, and checks the accessors' contracts: indexes below the count
 * succeed, the one at the count is refused, and the decision JSON parses. */
#ifndef AIGW_FUZZ_WALK_H
#define AIGW_FUZZ_WALK_H
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aigw.h"

static volatile size_t fuzz_sink;   /* keeps the reads below from being optimized out */

static inline void fuzz_touch(const char *s) { if (s) fuzz_sink += strlen(s); }

static inline void fuzz_touch_n(const char *s, size_t n) {
  for (size_t i = 0; s && i < n; i++) fuzz_sink += (unsigned char)s[i];
}

static inline void fuzz_walk_decision(aigw_ctx *c) {
  fuzz_sink += (size_t)aigw_result(c);
  for (int l = AIGW_VIOLATIONS; l <= AIGW_ERRORS; l++) {
    size_t n = aigw_count(c, (aigw_list)l);
    aigw_finding f;
    for (size_t i = 0; i < n; i++) {
      if (aigw_get(c, (aigw_list)l, i, &f) != AIGW_OK) abort();
      fuzz_touch(f.guardrail); fuzz_touch(f.severity); fuzz_touch(f.effect); fuzz_touch(f.source);
      if (l == AIGW_WAIVED) { fuzz_touch(f.exemption); fuzz_touch(f.owner); fuzz_touch(f.expires); }
      fuzz_touch(aigw_message(c, (aigw_list)l, i));
    }
    if (aigw_get(c, (aigw_list)l, n, &f) == AIGW_OK) abort();
  }
  fuzz_touch(aigw_route(c));
  size_t nr = aigw_route_count(c);
  aigw_target t;
  for (size_t i = 0; i < nr; i++) {
    if (aigw_route_target(c, i, &t) != AIGW_OK) abort();
    fuzz_touch(t.provider); fuzz_touch(t.model); fuzz_touch(t.region);
  }
  if (aigw_route_target(c, nr, &t) == AIGW_OK) abort();
  size_t nb = aigw_budget_count(c);
  aigw_budget bu;
  for (size_t i = 0; i < nb; i++) {
    if (aigw_budget_get(c, i, &bu) != AIGW_OK) abort();
    fuzz_touch(bu.budget); fuzz_touch(bu.unit); fuzz_touch(bu.period);
    fuzz_touch_n(bu.key, bu.key_len);
  }
  if (aigw_budget_get(c, nb, &bu) == AIGW_OK) abort();
  size_t len = 0;
  const char *js = aigw_decision_json(c, &len);
  if (!js || strlen(js) != len) {
    fprintf(stderr, "fuzz: no decision JSON, or a NUL inside it\n");
    abort();
  }
  json_error_t jerr;
  json_t *j = json_loadb(js, len, JSON_ALLOW_NUL, &jerr);   /* an escaped NUL is valid JSON */
  if (!j) {
    fprintf(stderr, "fuzz: the decision JSON does not parse: %s at %d\n%s\n", jerr.text,
            jerr.position, js);
    abort();
  }
  json_decref(j);
}

#endif
