/* What every budget store shares: decision ids, the usage a settle gives each charge, and the monotonic clock. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "srv_store.h"

int64_t srv_usage_for(const SrvUsage *u, size_t nu, const char *budget, const char *unit) {
  for (size_t i = 0; i < nu; i++) if (!strcmp(u[i].name, budget)) return u[i].amount;
  for (size_t i = 0; i < nu; i++) if (!strcmp(u[i].name, unit)) return u[i].amount;
  return -1;
}

void srv_id_format(SrvDecisionId *id) {
  snprintf(id->text, sizeof id->text, "%016" PRIx64 "-%016" PRIx64, id->boot, id->seq);
}

static int hex64(const char *s, uint64_t *out) {
  uint64_t v = 0;
  for (int i = 0; i < 16; i++) {
    char c = s[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return -1;
    v = v << 4 | (uint64_t)d;
  }
  *out = v;
  return 0;
}

int srv_id_parse(const char *s, size_t n, SrvDecisionId *id) {
  if (n != 33 || s[16] != '-' || hex64(s, &id->boot) || hex64(s + 17, &id->seq)) return -1;
  memcpy(id->text, s, 33);
  id->text[33] = 0;
  return 0;
}

uint64_t srv_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
