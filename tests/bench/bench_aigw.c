/* bench_aigw: libaigw in process on the `make bench` workload.
 *
 *   bench_aigw BUNDLE REQUESTS.jsonl NOW --decisions FILE [--json FILE] [--min-seconds S]
 *
 * NOW is RFC 3339 ("2026-11-22T12:00:00Z"), a bare date, or Unix seconds.
 *
 * Three modes, each measured twice: throughput from a loop with one clock read per round
 * over all requests (decisions/s: the median round; the mean is in the JSON too), latency
 * from a loop with clock_gettime(CLOCK_MONOTONIC) around every call (p50, p99 over all
 * calls, sorted). Rounds repeat until at least --min-seconds (default 1) and 3 rounds have
 * been timed.
 *
 *   eval       input already parsed and set: one context per request, filled once through
 *              the field-by-field setters before timing; the timed call is aigw_eval alone.
 *              This is the fair counterpart of an engine handed a ready input object.
 *   setters    one context; per request aigw_input_reset + the field setters (from a
 *              jansson tree parsed before timing) + aigw_eval.
 *   json       one context; per request aigw_input_json on the raw JSON line + aigw_eval.
 *   realistic  what a gateway does: one warm context; per request aigw_input_json on the
 *              raw bytes, aigw_eval and aigw_decision_json (the decision's JSON bytes out).
 *
 * The decisions of the first "eval" round are written to --decisions, one JSON object per
 * request ({"decision", "violations", "waived", "errors"}), for the differential check;
 * the "json" mode's decisions must equal them (checked here). Peak RSS is getrusage's.
 * Exit status: 0 ok, 1 an evaluation failed or the modes disagree, 2 usage or load error. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "aigw.h"

#define DIE(...) do { fprintf(stderr, "bench_aigw: " __VA_ARGS__); fputc('\n', stderr); exit(2); } while (0)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

/* RFC 3339 (Z or ±hh:mm), bare date (start of that day), or an integer. */
static int parse_now(const char *s, int64_t *out) {
  int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (*s && (*end == 0 || *end == '\n') && end - s != 4) { *out = v; return 0; }
  if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3) return -1;
  const char *p = s + n;
  int64_t off = 0;
  if (*p == 'T' || *p == 't') {
    int m2 = 0;
    if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &m2) != 3) return -1;
    p += 1 + m2;
    if (*p == '.') { p++; while (*p >= '0' && *p <= '9') p++; }
    if (*p == 'Z' || *p == 'z') p++;
    else if (*p == '+' || *p == '-') {
      int oh, om;
      if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2) return -1;
      off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
      p += 6;
    } else return -1;
  }
  *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
  return 0;
}

/* ---- requests ---- */
typedef struct { char *text; size_t len; json_t *obj; } Req;

static Req *load_requests(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) DIE("%s: %s", path, strerror(errno));
  size_t cap = 1024, cnt = 0;
  Req *r = malloc(cap * sizeof *r);
  char *line = NULL;
  size_t lcap = 0;
  ssize_t len;
  while ((len = getline(&line, &lcap, f)) > 0) {
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    if (len == 0) continue;
    if (cnt == cap) { cap *= 2; r = realloc(r, cap * sizeof *r); }
    json_error_t je;
    json_t *o = json_loadb(line, (size_t)len, 0, &je);
    if (!o || !json_is_object(o)) DIE("%s:%zu: not a JSON object: %s", path, cnt + 1, je.text);
    r[cnt].text = malloc((size_t)len + 1);
    memcpy(r[cnt].text, line, (size_t)len + 1);
    r[cnt].len = (size_t)len;
    r[cnt].obj = o;
    cnt++;
  }
  free(line);
  fclose(f);
  *n = cnt;
  return r;
}

/* Field ids by name, looked up once per bundle. */
typedef struct { const char *name; int id; } FieldId;
static FieldId fields[64];
static int nfields;

static int field_id(const aigw_bundle *b, const char *name) {
  for (int i = 0; i < nfields; i++)
    if (!strcmp(fields[i].name, name)) return fields[i].id;
  if (nfields == 64) return aigw_field(b, name);
  fields[nfields].name = strdup(name);
  fields[nfields].id = aigw_field(b, name);
  return fields[nfields++].id;
}

/* Sets every field of one request through the field-by-field API. Strings (also scope and
 * level fields) go through aigw_input_string, integers aigw_input_int, booleans
 * aigw_input_bool, objects (map<string>) aigw_input_map_set per key, arrays
 * aigw_input_list_add per element. Keys the schema lacks are skipped, as aigw_input_json
 * does. */
static aigw_status set_fields(aigw_ctx *c, const aigw_bundle *b, json_t *o) {
  const char *key;
  json_t *v;
  aigw_input_reset(c);
  json_object_foreach(o, key, v) {
    int f = field_id(b, key);
    if (f < 0) continue;
    aigw_status st = AIGW_OK;
    switch (json_typeof(v)) {
    case JSON_STRING: st = aigw_input_string(c, f, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: st = aigw_input_int(c, f, (int64_t)json_integer_value(v)); break;
    case JSON_TRUE: case JSON_FALSE: st = aigw_input_bool(c, f, json_is_true(v)); break;
    case JSON_OBJECT: {
      const char *k;
      json_t *kv;
      json_object_foreach(v, k, kv) {
        if (!json_is_string(kv)) return AIGW_ERR_INPUT;
        st = aigw_input_map_set(c, f, k, strlen(k), json_string_value(kv), json_string_length(kv));
        if (st != AIGW_OK) break;
      }
      break;
    }
    case JSON_ARRAY: {
      size_t i;
      json_t *e;
      json_array_foreach(v, i, e) {
        if (!json_is_string(e)) return AIGW_ERR_INPUT;
        st = aigw_input_list_add(c, f, json_string_value(e), json_string_length(e));
        if (st != AIGW_OK) break;
      }
      break;
    }
    default: return AIGW_ERR_INPUT;
    }
    if (st != AIGW_OK) return st;
  }
  return AIGW_OK;
}

/* ---- decisions ---- */
typedef struct { char *p; size_t n, cap; } Buf;
static void bput(Buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void bputs(Buf *b, const char *s) { bput(b, s, strlen(s)); }

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static void put_list(Buf *b, const aigw_ctx *c, aigw_list which) {
  size_t n = aigw_count(c, which);
  const char **names = calloc(n ? n : 1, sizeof *names);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    aigw_finding f;
    if (aigw_get(c, which, i, &f) == AIGW_OK && f.guardrail) names[k++] = f.guardrail;
  }
  qsort(names, k, sizeof *names, cmp_str);
  bputs(b, "[");
  for (size_t i = 0; i < k; i++) {
    if (i) bputs(b, ",");
    bputs(b, "\"");
    bputs(b, names[i]);   /* guardrail names are identifiers: nothing to escape */
    bputs(b, "\"");
  }
  bputs(b, "]");
  free(names);
}

/* One decision as a line: {"decision":...,"violations":[...],"waived":[...],"errors":[...]} */
static void put_decision(Buf *b, const aigw_ctx *c) {
  bputs(b, "{\"decision\":\"");
  bputs(b, aigw_result(c) == AIGW_DENY ? "deny" : "allow");
  bputs(b, "\",\"violations\":");
  put_list(b, c, AIGW_VIOLATIONS);
  bputs(b, ",\"waived\":");
  put_list(b, c, AIGW_WAIVED);
  bputs(b, ",\"errors\":");
  put_list(b, c, AIGW_ERRORS);
  bputs(b, "}\n");
}

/* 0 when two decision listings are byte-identical, else prints the first difference. */
static int same_decisions(const char *an, const Buf *a, const char *bn, const Buf *b, size_t n) {
  if (a->n == b->n && memcmp(a->p, b->p, a->n) == 0) return 0;
  fprintf(stderr, "!!! bench_aigw: decisions with %s differ from those with %s\n", an, bn);
  const char *p = a->p ? a->p : "", *q = b->p ? b->p : "";
  for (size_t i = 0; i < n && *p && *q; i++) {
    const char *pe = strchr(p, '\n'), *qe = strchr(q, '\n');
    if (!pe || !qe) break;
    if (pe - p != qe - q || memcmp(p, q, (size_t)(pe - p))) {
      fprintf(stderr, "    request %zu:\n      %-22s %.*s\n      %-22s %.*s\n", i + 1, an, (int)(pe - p), p, bn,
              (int)(qe - q), q);
      break;
    }
    p = pe + 1; q = qe + 1;
  }
  return 1;
}

/* ---- statistics ---- */
static int cmp_dbl(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
typedef struct { double rate, mean_rate, p50, p99, max; size_t calls; int rounds; } Stat;

static void stat_finish(Stat *s, double *lat, size_t n) {
  qsort(lat, n, sizeof *lat, cmp_dbl);
  s->p50 = lat[n / 2];
  size_t i99 = (size_t)((double)n * 0.99);
  s->p99 = lat[i99 < n ? i99 : n - 1];
  s->max = lat[n - 1];
}

static void stat_json(FILE *f, const char *name, const Stat *s, int last) {
  fprintf(f, "    \"%s\": {\"decisions_per_s\": %.0f, \"mean_decisions_per_s\": %.0f, \"p50_us\": %.3f, "
             "\"p99_us\": %.3f, \"max_us\": %.3f, \"timed_calls\": %zu, \"rounds\": %d}%s\n",
          name, s->rate, s->mean_rate, s->p50, s->p99, s->max, s->calls, s->rounds, last ? "" : ",");
}

static long peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

int main(int argc, char **argv) {
  const char *bundle_path = NULL, *req_path = NULL, *now_text = NULL, *dec_path = NULL, *json_path = NULL;
  double min_seconds = 1.0;
  int pos = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--decisions") && i + 1 < argc) dec_path = argv[++i];
    else if (!strcmp(argv[i], "--json") && i + 1 < argc) json_path = argv[++i];
    else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc) min_seconds = atof(argv[++i]);
    else if (argv[i][0] == '-' && argv[i][1]) DIE("unknown option %s", argv[i]);
    else if (pos == 0) { bundle_path = argv[i]; pos++; }
    else if (pos == 1) { req_path = argv[i]; pos++; }
    else if (pos == 2) { now_text = argv[i]; pos++; }
    else DIE("too many arguments");
  }
  if (!bundle_path || !req_path || !now_text || !dec_path)
    DIE("usage: bench_aigw BUNDLE REQUESTS.jsonl NOW --decisions FILE [--json FILE] [--min-seconds S]");
  int64_t now;
  if (parse_now(now_text, &now) != 0) DIE("bad NOW '%s'", now_text);

  long rss0 = peak_rss_kb();
  size_t n;
  Req *req = load_requests(req_path, &n);
  if (n == 0) DIE("%s: no requests", req_path);
  long rss_requests = peak_rss_kb();

  /* ---- load ---- */
  struct stat st;
  if (stat(bundle_path, &st) != 0) DIE("%s: %s", bundle_path, strerror(errno));
  char err[512] = "";
  aigw_bundle *b = NULL;
  double t0 = now_s();
  aigw_status s = aigw_bundle_open_file(bundle_path, NULL, &b, err, sizeof err);
  double load_ms = (now_s() - t0) * 1e3;
  if (s != AIGW_OK) DIE("%s: %s: %s", bundle_path, aigw_status_name(s), err);
  long rss_bundle = peak_rss_kb();

  int failures = 0;
  Stat se = {0}, ss = {0}, sj = {0}, sr = {0};
  enum { MAX_ROUNDS = 1000 };
  double rrate[MAX_ROUNDS];
  /* every timed call of a measurement, for the percentiles */
  size_t latcap = n * 4;
  double *all = malloc(latcap * sizeof *all);

#define MEASURE(STAT, ...)                                                               \
  do {                                                                                   \
    double tot = 0; int rounds = 0;                                                      \
    do {                                                                                 \
      double a = now_s();                                                                \
      for (size_t i = 0; i < n; i++) { __VA_ARGS__; }                                    \
      double d = now_s() - a;                                                            \
      tot += d; rrate[rounds++] = (double)n / d;                                         \
    } while ((tot < min_seconds || rounds < 3) && rounds < MAX_ROUNDS);                  \
    qsort(rrate, (size_t)rounds, sizeof *rrate, cmp_dbl);                                \
    (STAT).rate = rrate[rounds / 2];                                                     \
    (STAT).mean_rate = (double)n * rounds / tot;                                         \
    size_t k = 0; double lt = 0; int lr = 0;                                             \
    do {                                                                                 \
      for (size_t i = 0; i < n; i++) {                                                   \
        struct timespec x, y;                                                            \
        clock_gettime(CLOCK_MONOTONIC, &x);                                              \
        __VA_ARGS__;                                                                     \
        clock_gettime(CLOCK_MONOTONIC, &y);                                              \
        double us = (double)(y.tv_sec - x.tv_sec) * 1e6 + (double)(y.tv_nsec - x.tv_nsec) * 1e-3; \
        if (k == latcap) { latcap *= 2; all = realloc(all, latcap * sizeof *all); }      \
        all[k++] = us; lt += us * 1e-6;                                                  \
      }                                                                                  \
      lr++;                                                                              \
    } while (lt < min_seconds && lr < 50);                                               \
    (STAT).calls = k; (STAT).rounds = rounds;                                            \
    stat_finish(&(STAT), all, k);                                                        \
  } while (0)

  /* ---- one context: JSON + eval (its decisions go to --decisions), then setters + eval ---- */
  aigw_ctx *c;
  if ((s = aigw_ctx_new(b, &c)) != AIGW_OK) DIE("aigw_ctx_new: %s", aigw_status_name(s));
  Buf dj = {0}, ds = {0}, de = {0};
  for (size_t i = 0; i < n; i++) {
    s = aigw_input_json(c, req[i].text, req[i].len);
    if (s == AIGW_OK) s = aigw_eval(c, now);
    if (s != AIGW_OK) {
      if (failures++ < 5)
        fprintf(stderr, "!!! bench_aigw: request %zu: aigw_input_json/aigw_eval: %s: %s\n", i + 1, aigw_status_name(s), aigw_ctx_error(c));
      bputs(&dj, "{\"decision\":\"error\"}\n");
      continue;
    }
    put_decision(&dj, c);
  }
  FILE *df = fopen(dec_path, "wb");
  if (!df) DIE("%s: %s", dec_path, strerror(errno));
  fwrite(dj.p, 1, dj.n, df);
  fclose(df);
  for (size_t i = 0; i < n; i++) {
    s = set_fields(c, b, req[i].obj);
    if (s == AIGW_OK) s = aigw_eval(c, now);
    if (s != AIGW_OK) {
      if (failures++ < 5)
        fprintf(stderr, "!!! bench_aigw: request %zu: setters/aigw_eval: %s: %s\n", i + 1, aigw_status_name(s), aigw_ctx_error(c));
      bputs(&ds, "{\"decision\":\"error\"}\n");
      continue;
    }
    put_decision(&ds, c);
  }
  failures += same_decisions("field setters", &ds, "aigw_input_json", &dj, n);

  MEASURE(sj, (void)aigw_input_json(c, req[i].text, req[i].len); (void)aigw_eval(c, now));
  /* what a gateway does per request: JSON bytes in, decision JSON bytes out */
  size_t rbytes = 0;
  MEASURE(sr, (void)aigw_input_json(c, req[i].text, req[i].len); (void)aigw_eval(c, now);
          size_t jl = 0; (void)aigw_decision_json(c, &jl); rbytes += jl);
  if (!rbytes) failures++;
  MEASURE(ss, (void)set_fields(c, b, req[i].obj); (void)aigw_eval(c, now));

  /* one decision as JSON, to show that aigw_decision_json works on this bundle */
  size_t jl = 0;
  const char *dj1 = NULL;
  if (aigw_input_json(c, req[0].text, req[0].len) == AIGW_OK && aigw_eval(c, now) == AIGW_OK)
    dj1 = aigw_decision_json(c, &jl);
  if (!dj1) jl = 0;
  aigw_ctx_free(c);
  long rss_single = peak_rss_kb();

  /* ---- eval alone: one context per request, filled once before timing ---- */
  aigw_ctx **ctx = calloc(n, sizeof *ctx);
  t0 = now_s();
  for (size_t i = 0; i < n; i++) {
    if ((s = aigw_ctx_new(b, &ctx[i])) != AIGW_OK) DIE("aigw_ctx_new: %s", aigw_status_name(s));
    if ((s = set_fields(ctx[i], b, req[i].obj)) != AIGW_OK)
      DIE("request %zu: setting fields: %s: %s", i + 1, aigw_status_name(s), aigw_ctx_error(ctx[i]));
  }
  double fill_ms = (now_s() - t0) * 1e3;
  for (size_t i = 0; i < n; i++) {
    s = aigw_eval(ctx[i], now);
    if (s != AIGW_OK) {
      if (failures++ < 5)
        fprintf(stderr, "!!! bench_aigw: request %zu: aigw_eval: %s: %s\n", i + 1, aigw_status_name(s), aigw_ctx_error(ctx[i]));
      bputs(&de, "{\"decision\":\"error\"}\n");
      continue;
    }
    put_decision(&de, ctx[i]);
  }
  failures += same_decisions("pre-filled contexts", &de, "aigw_input_json", &dj, n);
  MEASURE(se, (void)aigw_eval(ctx[i], now));
  /* evaluating again must not change a context's decision */
  Buf de2 = {0};
  for (size_t i = 0; i < n; i++) {
    if (aigw_eval(ctx[i], now) == AIGW_OK) put_decision(&de2, ctx[i]);
    else bputs(&de2, "{\"decision\":\"error\"}\n");
  }
  failures += same_decisions("re-evaluated contexts", &de2, "aigw_input_json", &dj, n);
  long rss_peak = peak_rss_kb();
  for (size_t i = 0; i < n; i++) aigw_ctx_free(ctx[i]);
  free(ctx);

  FILE *out = json_path ? fopen(json_path, "wb") : stdout;
  if (!out) DIE("%s: %s", json_path, strerror(errno));
  fprintf(out, "{\n  \"engine\": \"aigwc\",\n  \"version\": \"libaigw %s\",\n  \"bundle\": \"%s\",\n",
          AIGW_VERSION_STRING, aigw_bundle_id(b));
  fprintf(out, "  \"requests\": %zu,\n  \"bundle_bytes\": %lld,\n  \"load_ms\": %.3f,\n  \"fill_ms\": %.3f,\n",
          n, (long long)st.st_size, load_ms, fill_ms);
  fprintf(out, "  \"rss_kb\": {\"start\": %ld, \"requests_parsed\": %ld, \"bundle_open\": %ld, "
             "\"one_context\": %ld, \"peak\": %ld},\n",
          rss0, rss_requests, rss_bundle, rss_single, rss_peak);
  fprintf(out, "  \"decision_json_bytes\": %zu,\n", dj1 ? jl : 0);
  fprintf(out, "  \"failures\": %d,\n  \"modes\": {\n", failures);
  stat_json(out, "eval", &se, 0);
  stat_json(out, "setters", &ss, 0);
  stat_json(out, "json", &sj, 0);
  stat_json(out, "realistic", &sr, 1);
  fprintf(out, "  }\n}\n");
  if (out != stdout) fclose(out);

  aigw_bundle_close(b);
  for (size_t i = 0; i < n; i++) { json_decref(req[i].obj); free(req[i].text); }
  free(req); free(all); free(dj.p); free(ds.p); free(de.p); free(de2.p);
  for (int i = 0; i < nfields; i++) free((void *)fields[i].name);
  return failures ? 1 : 0;
}
