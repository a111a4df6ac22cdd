/* bench_aigw: libaigw in process on the `make bench` workload.
 *
 *   bench_aigw BUNDLE REQUESTS.jsonl NOW --decisions FILE [--json FILE] [--min-seconds S] [--threads T]
 *   bench_aigw BUNDLE REQUESTS.jsonl NOW --stages N
 *
 * NOW is RFC 3339 ("2026-11-22T12:00:00Z"), a bare date, or Unix seconds.
 *
 * Each mode is measured twice: throughput, with no clock read per call, and latency, with
 * clock_gettime(CLOCK_MONOTONIC) around every call (p50, p99, p99.9 over all calls,
 * sorted). The eval, setters and json modes time rounds over all requests (decisions/s:
 * the median round; the mean is in the JSON too) until at least --min-seconds (default 1)
 * and 3 rounds have been timed; the realistic mode as said below.
 *
 *   realistic  what a gateway does: one warm context per thread; per request
 *              aigw_input_json on the raw bytes, aigw_eval and aigw_decision_json (the
 *              decision's JSON bytes out). Measured on 1 thread and on T threads (default
 *              2): every thread has its own context on the one bundle and runs free over
 *              all the requests, round and round, each from its own starting point
 *              (request t·n/T), as a server's workers do. decisions/s is the aggregate of
 *              all threads in the median of 20 windows of --min-seconds / 20; latency is
 *              timed per call until --min-seconds have passed and every thread has done
 *              every request, the percentiles over the calls of all threads.
 *   eval       input already parsed and set: one context per request, filled once through
 *              the field-by-field setters before timing; the timed call is aigw_eval alone.
 *              The counterpart of an engine handed a ready input object.
 *   setters    one context; per request aigw_input_reset + the field setters (from a
 *              jansson tree parsed before timing) + aigw_eval.
 *   json       one context; per request aigw_input_json on the raw JSON line + aigw_eval.
 *
 * --decisions gets the decision JSON of every request (aigw_decision_json, one per line)
 * from a first, untimed realistic pass, for the differential check against the reference.
 * Before it is timed, every thread of the realistic mode decides every request once and
 * must produce those bytes exactly; the other modes' decisions must equal them too
 * (checked here). Peak RSS is getrusage's.
 *
 * --stages N decides nothing else: it opens the bundle, makes one context warm on the
 * first N requests, then runs N realistic requests (cycling over the file) inside
 * stages_run(), the only code callgrind counts when started with --collect-atstart=no
 * --toggle-collect='stages_run*' (bench.js does that), so its inclusive counts for
 * aigw_input_json, aigw_eval and aigw_decision_json are the three stages of N requests
 * and nothing of loading or warm-up.
 *
 * Exit status: 0 ok, 1 an evaluation failed or the modes disagree, 2 usage or load error. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
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
/* CPU time of all the process's threads */
static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
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

/* The request lines stay where they were read, one after another in one buffer (their
 * newlines become NULs), as a server finds them in its sockets' buffers; the jansson
 * trees of the setters mode are allocated apart, so that reading a request's bytes is
 * not a walk through the heap between them. */
static char *req_text;
static Req *load_requests(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) DIE("%s: %s", path, strerror(errno));
  size_t size = 0, cap = 1 << 20;
  req_text = malloc(cap + 1);
  for (size_t got; req_text && (got = fread(req_text + size, 1, cap - size, f)) > 0;)
    if ((size += got) == cap && !(req_text = realloc(req_text, (cap *= 2) + 1))) break;
  if (!req_text) DIE("out of memory");
  fclose(f);
  req_text[size] = 0;
  size_t rcap = 1024, cnt = 0;
  Req *r = malloc(rcap * sizeof *r);
  for (char *line = req_text, *end; line < req_text + size; line = end + 1) {
    end = memchr(line, '\n', (size_t)(req_text + size - line));
    if (!end) end = req_text + size;
    *end = 0;
    size_t len = (size_t)(end - line);
    while (len > 0 && line[len - 1] == '\r') line[--len] = 0;
    if (len == 0) continue;
    if (cnt == rcap) { rcap *= 2; r = realloc(r, rcap * sizeof *r); }
    r[cnt].text = line;
    r[cnt].len = len;
    cnt++;
  }
  for (size_t i = 0; i < cnt; i++) {
    json_error_t je;
    json_t *o = json_loadb(r[i].text, r[i].len, 0, &je);
    if (!o || !json_is_object(o)) DIE("%s:%zu: not a JSON object: %s", path, i + 1, je.text);
    r[i].obj = o;
  }
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

static void put_list(Buf *b, aigw_ctx *c, aigw_list which) {
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
static void put_decision(Buf *b, aigw_ctx *c) {
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
typedef struct { double rate, mean_rate, p50, p99, p999, max, cores; size_t calls; int rounds, threads; } Stat;

static double pct(const double *sorted, size_t n, double p) {
  size_t i = (size_t)((double)n * p);
  return sorted[i < n ? i : n - 1];
}

static void stat_finish(Stat *s, double *lat, size_t n) {
  qsort(lat, n, sizeof *lat, cmp_dbl);
  s->p50 = pct(lat, n, 0.5);
  s->p99 = pct(lat, n, 0.99);
  s->p999 = pct(lat, n, 0.999);
  s->max = lat[n - 1];
}

/* cores_used: CPU time over wall time while the throughput was timed (realistic modes). */
static void stat_json(FILE *f, const char *name, const Stat *s, int last) {
  fprintf(f, "    \"%s\": {\"threads\": %d, \"decisions_per_s\": %.0f, \"mean_decisions_per_s\": %.0f, "
             "\"p50_us\": %.3f, \"p99_us\": %.3f, \"p999_us\": %.3f, \"max_us\": %.3f, \"timed_calls\": %zu, "
             "\"rounds\": %d",
          name, s->threads ? s->threads : 1, s->rate, s->mean_rate, s->p50, s->p99, s->p999, s->max, s->calls, s->rounds);
  if (s->cores > 0) fprintf(f, ", \"cores_used\": %.2f", s->cores);
  fprintf(f, "}%s\n", last ? "" : ",");
}

static long peak_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

enum { MAX_ROUNDS = 1000, MAX_LAT_ROUNDS = 50 };

/* ---- the realistic loop ---- */
/* One request as a gateway handles it: JSON in, the decision's JSON out in *js (NULL
 * with the failing status). */
static inline aigw_status decide_json(aigw_ctx *c, const Req *r, int64_t now, const char **js, size_t *len) {
  aigw_status s = aigw_input_json(c, r->text, r->len);
  if (s == AIGW_OK) s = aigw_eval(c, now);
  *js = NULL; *len = 0;
  if (s == AIGW_OK && !(*js = aigw_decision_json(c, len))) s = AIGW_ERR_NOMEM;
  return s;
}
/* The same, for the timed loops: the decision's JSON length (0: no decision). */
static inline size_t realistic(aigw_ctx *c, const Req *r, int64_t now) {
  const char *js;
  size_t len;
  decide_json(c, r, now, &js, &len);
  return len;
}

/* A pool of T threads, each with its own context, that run free over the requests (each
 * from its own starting point, round and round) until the main thread says stop, as a
 * server's workers do; the main thread reads their counters around a time window. No
 * thread waits for another while timed, so a neighbour's burst on one core slows that
 * core's thread only, as it would a server's. */
enum { MAX_THREADS = 16, WINDOWS = 20 };
typedef enum { JOB_QUIT, JOB_CHECK, JOB_RATE, JOB_LATENCY } Job;
typedef struct Pool Pool;
/* Aligned to a cache line, so that one thread's counters never share a line with another's. */
typedef struct {
  _Alignas(64) Pool *pool;
  aigw_ctx *c;
  size_t pos;                   /* the next request: threads start apart and go on from there */
  double *lat;                  /* µs per call of the latency windows */
  size_t nlat, latcap;
  size_t bytes;                 /* decision JSON produced: keeps the calls observable */
  int failures;
  pthread_t tid;
  _Atomic size_t calls;         /* requests done in the current window, read by the main thread */
} Worker;
struct Pool {
  pthread_barrier_t go, done;
  Job job;
  _Atomic int stop;
  const Req *req;
  size_t n;
  int64_t now;
  const char *expect;           /* the reference pass's decision JSON, one per line */
  const size_t *expect_off;     /* request i is expect[expect_off[i] .. expect_off[i+1] - 1) */
  int nthreads;
  Worker w[MAX_THREADS];
};

/* Every request once, each decision compared with the reference pass byte for byte. */
static void worker_check(Worker *w) {
  const Pool *p = w->pool;
  for (size_t k = 0; k < p->n; k++) {
    size_t i = (w->pos + k) % p->n, len;
    const char *js;
    decide_json(w->c, &p->req[i], p->now, &js, &len);
    const char *e = p->expect + p->expect_off[i];
    size_t el = p->expect_off[i + 1] - p->expect_off[i] - 1;
    if (!js || len != el || memcmp(js, e, len) != 0) {
      if (w->failures++ < 3)
        fprintf(stderr, "!!! bench_aigw: %d threads: request %zu: the decision differs from the reference pass's\n"
                        "    got:  %.*s\n    want: %.*s\n",
                p->nthreads, i + 1, js ? (int)len : 6, js ? js : "(none)", (int)el, e);
    }
  }
}

static void *worker_main(void *arg) {
  Worker *w = arg;
  Pool *p = w->pool;
  for (;;) {
    pthread_barrier_wait(&p->go);
    const Job job = p->job;
    if (job == JOB_QUIT) return NULL;
    const size_t n = p->n;
    size_t bytes = 0, k = 0, i = w->pos;
    if (job == JOB_CHECK) worker_check(w);
    else if (job == JOB_RATE) {
      while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        bytes += realistic(w->c, &p->req[i], p->now);
        atomic_store_explicit(&w->calls, ++k, memory_order_relaxed);
        if (++i == n) i = 0;
      }
    } else {
      while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        if (w->nlat == w->latcap) {
          w->latcap = w->latcap ? w->latcap * 2 : n * 4;
          w->lat = realloc(w->lat, w->latcap * sizeof *w->lat);
          if (!w->lat) DIE("out of memory");
        }
        struct timespec x, y;
        clock_gettime(CLOCK_MONOTONIC, &x);
        bytes += realistic(w->c, &p->req[i], p->now);
        clock_gettime(CLOCK_MONOTONIC, &y);
        w->lat[w->nlat++] = (double)(y.tv_sec - x.tv_sec) * 1e6 + (double)(y.tv_nsec - x.tv_nsec) * 1e-3;
        if (++i == n) i = 0;
      }
    }
    w->pos = i;
    w->bytes += bytes;
    pthread_barrier_wait(&p->done);
  }
}

static Pool *pool_new(const aigw_bundle *b, const Req *req, size_t n, int64_t now, const char *expect,
                      const size_t *expect_off, int threads) {
  Pool *p = aligned_alloc(_Alignof(Pool), sizeof *p);   /* sizeof is a multiple of the alignment */
  if (!p) DIE("out of memory");
  memset(p, 0, sizeof *p);
  p->req = req; p->n = n; p->now = now; p->expect = expect; p->expect_off = expect_off; p->nthreads = threads;
  if (pthread_barrier_init(&p->go, NULL, (unsigned)threads + 1) || pthread_barrier_init(&p->done, NULL, (unsigned)threads + 1))
    DIE("pthread_barrier_init failed");
  for (int t = 0; t < threads; t++) {
    Worker *w = &p->w[t];
    w->pool = p;
    w->pos = n * (size_t)t / (size_t)threads;
    aigw_status s = aigw_ctx_new(b, &w->c);
    if (s != AIGW_OK) DIE("aigw_ctx_new: %s", aigw_status_name(s));
    if (pthread_create(&w->tid, NULL, worker_main, w)) DIE("pthread_create failed");
  }
  return p;
}

static size_t pool_calls(Pool *p) {
  size_t sum = 0;
  for (int t = 0; t < p->nthreads; t++) sum += atomic_load_explicit(&p->w[t].calls, memory_order_relaxed);
  return sum;
}
static void sleep_s(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* Runs one job on every thread: JOB_CHECK to its end; the others for `seconds` after a
 * tenth of that to let every thread get going. Returns the seconds counted and sets
 * *calls to the requests done in them (all threads) and *cpu to the CPU time the process
 * used meanwhile: the other pool's threads wait and the main thread sleeps, so cpu ÷
 * seconds is how many cores this pool had (below T when something else ran). */
static double pool_run(Pool *p, Job job, double seconds, size_t *calls, double *cpu) {
  p->job = job;
  atomic_store(&p->stop, 0);
  for (int t = 0; t < p->nthreads; t++) atomic_store(&p->w[t].calls, 0);
  pthread_barrier_wait(&p->go);
  double d = 0;
  if (job != JOB_CHECK) {
    sleep_s(seconds / 10);
    double t0 = now_s(), u0 = cpu_s();
    size_t c0 = pool_calls(p);
    sleep_s(seconds);
    d = now_s() - t0;
    if (calls) *calls = pool_calls(p) - c0;
    if (cpu) *cpu = cpu_s() - u0;
    atomic_store(&p->stop, 1);
  }
  pthread_barrier_wait(&p->done);
  return d;
}

/* Ends the threads; the latency percentiles over the calls of all; the failures. */
static int pool_free(Pool *p, Stat *st) {
  p->job = JOB_QUIT;
  pthread_barrier_wait(&p->go);
  size_t calls = 0;
  int failures = 0;
  for (int t = 0; t < p->nthreads; t++) {
    pthread_join(p->w[t].tid, NULL);
    calls += p->w[t].nlat;
    failures += p->w[t].failures;
    if (!p->w[t].bytes) failures++;
  }
  double *all = malloc((calls ? calls : 1) * sizeof *all);
  if (!all) DIE("out of memory");
  for (int t = 0, k = 0; t < p->nthreads; t++) {
    memcpy(all + k, p->w[t].lat, p->w[t].nlat * sizeof *all);
    k += (int)p->w[t].nlat;
    free(p->w[t].lat);
    aigw_ctx_free(p->w[t].c);
  }
  st->calls = calls;
  if (calls) stat_finish(st, all, calls);
  free(all);
  pthread_barrier_destroy(&p->go);
  pthread_barrier_destroy(&p->done);
  free(p);
  return failures;
}

/* The realistic mode on 1 thread (st[0]) and on T (st[1], when T > 1). Each pool first
 * decides every request once on every thread (checked against the reference pass; this
 * also brings every context to its high-water mark). Then the pools take turns, window by
 * window, so that a change in the machine's load between them falls on both alike:
 * throughput over WINDOWS windows of min_seconds / WINDOWS each (decisions/s: the median
 * window, all threads together), then latency windows until min_seconds have passed and
 * every thread has done every request. Returns the number of failures. */
static int measure_realistic(const aigw_bundle *b, const Req *req, size_t n, int64_t now, const char *expect,
                             const size_t *expect_off, int threads, double min_seconds, Stat st[2]) {
  Pool *pool[2] = {pool_new(b, req, n, now, expect, expect_off, 1), NULL};
  if (threads > 1) pool[1] = pool_new(b, req, n, now, expect, expect_off, threads);
  const int np = pool[1] ? 2 : 1;
  for (int k = 0; k < np; k++) pool_run(pool[k], JOB_CHECK, 0, NULL, NULL);
  double window = min_seconds / WINDOWS < 1e-3 ? 1e-3 : min_seconds / WINDOWS;
  double rate[2][WINDOWS], tot[2] = {0, 0}, cpu[2] = {0, 0};
  size_t done[2] = {0, 0};
  for (int r = 0; r < WINDOWS; r++)
    for (int k = 0; k < np; k++) {
      size_t c = 0;
      double u = 0, d = pool_run(pool[k], JOB_RATE, window, &c, &u);
      rate[k][r] = (double)c / d;
      tot[k] += d;
      cpu[k] += u;
      done[k] += c;
    }
  double lt = 0;
  int covered;
  do {
    for (int k = 0; k < np; k++) pool_run(pool[k], JOB_LATENCY, window, NULL, NULL);
    lt += window;
    covered = 1;
    for (int k = 0; k < np; k++)
      for (int t = 0; t < pool[k]->nthreads; t++) covered &= pool[k]->w[t].nlat >= n;
  } while (lt < min_seconds || !covered);
  int failures = 0;
  for (int k = 0; k < np; k++) {
    qsort(rate[k], WINDOWS, sizeof rate[k][0], cmp_dbl);
    st[k].rate = rate[k][WINDOWS / 2];
    st[k].mean_rate = (double)done[k] / tot[k];
    st[k].cores = cpu[k] / tot[k];
    st[k].rounds = WINDOWS;
    st[k].threads = pool[k]->nthreads;
    failures += pool_free(pool[k], &st[k]);
  }
  return failures;
}

/* ---- --stages N ---- */
/* The code callgrind counts (--toggle-collect='stages_run*'; bench.js relies on the
 * name): N realistic requests on a warm context. Not inlined, so that it stays a
 * function of its own; external, so that its name is in the symbol table. */
size_t stages_run(aigw_ctx *c, const Req *req, size_t n, size_t count, int64_t now);
__attribute__((noinline)) size_t stages_run(aigw_ctx *c, const Req *req, size_t n, size_t count, int64_t now) {
  size_t bytes = 0;
  for (size_t k = 0, i = 0; k < count; k++, i = i + 1 == n ? 0 : i + 1) {
    size_t len = realistic(c, &req[i], now);
    if (!len) return 0;
    bytes += len;
  }
  return bytes;
}

static int run_stages(const aigw_bundle *b, const Req *req, size_t n, size_t count, int64_t now) {
  aigw_ctx *c;
  aigw_status s = aigw_ctx_new(b, &c);
  if (s != AIGW_OK) DIE("aigw_ctx_new: %s", aigw_status_name(s));
  /* warm-up on the requests that will be counted: the context at its high-water mark */
  size_t warm = count < n ? count : n;
  for (size_t i = 0; i < warm; i++)
    if (!realistic(c, &req[i], now)) {
      fprintf(stderr, "!!! bench_aigw: request %zu: no decision: %s\n", i + 1, aigw_ctx_error(c));
      aigw_ctx_free(c);
      return 1;
    }
  size_t bytes = stages_run(c, req, n, count, now);
  aigw_ctx_free(c);
  if (!bytes) {
    fprintf(stderr, "!!! bench_aigw: --stages: a request had no decision\n");
    return 1;
  }
  printf("bench_aigw: --stages: %zu requests after a warm-up of %zu, %zu bytes of decision JSON\n", count, warm, bytes);
  return 0;
}

int main(int argc, char **argv) {
  const char *bundle_path = NULL, *req_path = NULL, *now_text = NULL, *dec_path = NULL, *json_path = NULL;
  double min_seconds = 1.0;
  int threads = 2;
  long stages = 0;
  int pos = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--decisions") && i + 1 < argc) dec_path = argv[++i];
    else if (!strcmp(argv[i], "--json") && i + 1 < argc) json_path = argv[++i];
    else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc) min_seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--stages") && i + 1 < argc) stages = atol(argv[++i]);
    else if (argv[i][0] == '-' && argv[i][1]) DIE("unknown option %s", argv[i]);
    else if (pos == 0) { bundle_path = argv[i]; pos++; }
    else if (pos == 1) { req_path = argv[i]; pos++; }
    else if (pos == 2) { now_text = argv[i]; pos++; }
    else DIE("too many arguments");
  }
  if (!bundle_path || !req_path || !now_text || (!dec_path && stages <= 0))
    DIE("usage: bench_aigw BUNDLE REQUESTS.jsonl NOW --decisions FILE [--json FILE] [--min-seconds S] [--threads T]\n"
        "       bench_aigw BUNDLE REQUESTS.jsonl NOW --stages N");
  if (threads < 1 || threads > MAX_THREADS) DIE("--threads must be 1 to %d", MAX_THREADS);
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

  if (stages > 0) {
    int rc = run_stages(b, req, n, (size_t)stages, now);
    aigw_bundle_close(b);
    for (size_t i = 0; i < n; i++) json_decref(req[i].obj);
    free(req_text);
    free(req);
    return rc;
  }

  int failures = 0;
  Stat se = {0}, ss = {0}, sj = {0}, sr[2];
  memset(sr, 0, sizeof sr);
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
    } while (lt < min_seconds && lr < MAX_LAT_ROUNDS);                                   \
    (STAT).calls = k; (STAT).rounds = rounds; (STAT).threads = 1;                        \
    stat_finish(&(STAT), all, k);                                                        \
  } while (0)

  /* ---- the reference pass: JSON in, eval, decision JSON out; its bytes go to
   * --decisions and every later mode and thread is checked against them ---- */
  aigw_ctx *c;
  if ((s = aigw_ctx_new(b, &c)) != AIGW_OK) DIE("aigw_ctx_new: %s", aigw_status_name(s));
  Buf dec = {0}, dj = {0}, ds = {0}, de = {0};
  size_t *dec_off = malloc((n + 1) * sizeof *dec_off);
  if (!dec_off) DIE("out of memory");
  for (size_t i = 0; i < n; i++) {
    dec_off[i] = dec.n;
    const char *js;
    size_t jl;
    if ((s = decide_json(c, &req[i], now, &js, &jl)) != AIGW_OK) {
      if (failures++ < 5)
        fprintf(stderr, "!!! bench_aigw: request %zu: aigw_input_json/aigw_eval/aigw_decision_json: %s: %s\n", i + 1,
                aigw_status_name(s), aigw_ctx_error(c));
      bputs(&dec, "{\"decision\":\"error\"}\n");
      bputs(&dj, "{\"decision\":\"error\"}\n");
      continue;
    }
    bput(&dec, js, jl);
    bputs(&dec, "\n");
    put_decision(&dj, c);
  }
  dec_off[n] = dec.n;
  FILE *df = fopen(dec_path, "wb");
  if (!df) DIE("%s: %s", dec_path, strerror(errno));
  fwrite(dec.p, 1, dec.n, df);
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

  /* ---- the realistic loop, on 1 thread and on T (each checks every decision first) ---- */
  failures += measure_realistic(b, req, n, now, dec.p, dec_off, threads, min_seconds, sr);

  MEASURE(sj, (void)aigw_input_json(c, req[i].text, req[i].len); (void)aigw_eval(c, now));
  MEASURE(ss, (void)set_fields(c, b, req[i].obj); (void)aigw_eval(c, now));

  size_t jl = dec_off[1] - dec_off[0] - 1;   /* one decision's JSON, as a size hint */
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
  fprintf(out, "  \"decision_json_bytes\": %zu,\n", jl);
  fprintf(out, "  \"threads\": %d,\n", threads);
  if (threads > 1) fprintf(out, "  \"scaling\": %.3f,\n", sr[1].rate / sr[0].rate);
  fprintf(out, "  \"failures\": %d,\n  \"modes\": {\n", failures);
  stat_json(out, "eval", &se, 0);
  stat_json(out, "setters", &ss, 0);
  stat_json(out, "json", &sj, 0);
  if (threads > 1) stat_json(out, "realistic_threads", &sr[1], 0);
  stat_json(out, "realistic", &sr[0], 1);
  fprintf(out, "  }\n}\n");
  if (out != stdout) fclose(out);

  aigw_bundle_close(b);
  for (size_t i = 0; i < n; i++) json_decref(req[i].obj);
  free(req_text);
  free(req); free(all); free(dec.p); free(dec_off); free(dj.p); free(ds.p); free(de.p); free(de2.p);
  for (int i = 0; i < nfields; i++) free((void *)fields[i].name);
  return failures ? 1 : 0;
}
