/* aigwc serve: a decision server beside a gateway (docs/serve.md).
 *
 * The layers, one file each:
 *   srv_config.c    the --config file: input mapping, limits, budgets, log, reload
 *   srv_map.c       request headers and JSON body → the policy's input fields
 *   srv_bundle.c    the active bundle: verified, immutable, reference counted, swapped
 *   srv_reload.c    where bundles come from: a file (poll, SIGHUP) or a URL (ETag, cache)
 *   srv_store.c     what budget stores share: decision ids, usage at settle
 *   srv_store_mem.c the in-process budget store (srv_store.h is the interface)
 *   srv_store_redis.c the Redis budget store, shared by replicas
 *   srv_shadow.c    a candidate bundle deciding beside the active one, off the response path
 *   srv_decide.c    one decision: worker context, input, eval, budgets, id, log, metrics
 *   srv_contract.c  the answers: /v1/decide, nginx auth_request, Envoy ext_authz, OPA
 *   srv_admin.c     /health, /ready, /metrics, /v1/settle
 *   srv_metrics.c   counters and the Prometheus text
 *   srv_log.c       the decision log: a bounded queue and a writer thread
 *   srv_http.c      libmicrohttpd: limits, connections, bodies, dispatch
 * Only aigw.h is used from the runtime. */
#ifndef AIGW_SRV_H
#define AIGW_SRV_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "aigw.h"
#include "srv_store.h"
#include "util.h"

/* ---- configuration (srv_config.c) ---- */

/* One input field and where its value comes from, tried in this order: the header,
 * then the key of a JSON body, then the default. A map<…> field may instead take
 * every header that starts with header_prefix (the rest of the name is the key). */
typedef struct SrvMapRule {
  char *field;
  char *header;
  char *header_prefix;
  char *body;
  char *dflt;
} SrvMapRule;

typedef struct SrvLimits {
  size_t body_bytes;          /* request body */
  size_t header_bytes;        /* request line and headers (the connection's memory) */
  unsigned connections;       /* open at once */
  unsigned requests_per_connection;
  unsigned request_seconds;   /* from the first byte of a request to its answer */
  unsigned idle_seconds;      /* a connection with no traffic is closed */
  unsigned drain_seconds;     /* SIGTERM: how long in-flight requests may finish */
} SrvLimits;

typedef struct SrvConfig {
  SrvMapRule *rules;
  size_t nrules;
  SrvLimits limits;
  int64_t reservation_seconds;    /* an unsettled reservation closes after this */
  size_t max_counters;            /* budget counters held at once */
  size_t max_reservations;        /* outstanding reservations held at once */
  char **log_fields;              /* input fields written to the decision log */
  size_t nlog_fields;
  int log_all_fields;             /* "*": every field */
  size_t log_queue_bytes;
  char *envoy_prefix;             /* ext_authz path_prefix */
  char *cache_dir;                /* --bundle-url: last bundle and its ETag */
  long fetch_seconds;             /* --bundle-url: one fetch */
  size_t metrics_budget_series;   /* at most this many budget counters in /metrics */
  unsigned store_timeout_ms;      /* budget_store: connect and each call (Redis) */
  char **store_err_names;         /* budget_store.on_store_error: budget name → mode */
  int *store_err_modes;           /* SrvStoreErrorMode */
  size_t nstore_err;
  int store_err_default;          /* "*", else deny */
  char **lease_names;             /* budget_store.lease_percent: budget name → percent */
  int *lease_pcts;
  size_t nlease;
  int lease_default;              /* "*" (or the one number), else 1; 0: no leases */
  unsigned lease_idle_ms;         /* a block unused this long goes back to Redis */
} SrvConfig;

void srv_config_defaults(SrvConfig *cfg);
/* Reads a JSON config over the defaults; -1 with a message naming the key. */
int srv_config_load(const char *path, SrvConfig *cfg, char *err, size_t errlen);
int srv_config_parse(const char *text, size_t len, SrvConfig *cfg, char *err, size_t errlen);
void srv_config_free(SrvConfig *cfg);
/* What a budget's reservation does when the shared store fails (ud: the SrvConfig). */
SrvStoreErrorMode srv_config_store_mode(void *cfg, const char *budget);
/* The largest block a replica leases of a budget's counter, in percent of its limit (0:
 * none, every reservation is one call to the shared store). */
int srv_config_lease_percent(void *cfg, const char *budget);
/* 1 when some budget is leased. */
int srv_config_leases(const SrvConfig *cfg);

/* ---- input mapping (srv_map.c) ---- */

typedef enum SrvKind { SRV_K_STRING, SRV_K_INT, SRV_K_BOOL, SRV_K_LIST, SRV_K_MAP } SrvKind;
typedef struct SrvMapStep { const SrvMapRule *rule; int field; SrvKind kind; const char *type; } SrvMapStep;
/* A config's rules resolved against one bundle's schema. */
typedef struct SrvMapPlan { SrvMapStep *steps; size_t n; int reads_body; } SrvMapPlan;

/* Where the headers come from: libmicrohttpd, a JSON object (OPA's input), fuzz bytes. */
typedef int (*srv_header_fn)(void *arg, const char *name, size_t nl, const char *val, size_t vl);
typedef struct SrvHeaders {
  const char *(*get)(void *ud, const char *name, size_t *len);   /* case-insensitive */
  void (*each)(void *ud, srv_header_fn fn, void *arg);
  void *ud;
} SrvHeaders;

int srv_map_plan(const aigw_bundle *b, const SrvConfig *cfg, SrvMapPlan *out, char *err, size_t errlen);
void srv_map_plan_free(SrvMapPlan *p);
struct json_t;
/* Resets the input and sets it from headers and body (a JSON object, or NULL). Returns
 * 0, or -1 with why in err: a value its field's type refuses (an HTTP 400). */
int srv_map_input(aigw_ctx *c, const SrvMapPlan *p, const SrvHeaders *h, struct json_t *body,
                  char *err, size_t errlen);
/* A JSON string of bytes from outside: invalid UTF-8 and NUL become U+FFFD. */
void srv_json_str(Buf *o, const char *s, size_t n);
/* The mapped input as a JSON object, for the decision log (values as text, typed as set). */
void srv_map_json(const SrvMapPlan *p, const SrvHeaders *h, struct json_t *body, Buf *out);

/* ---- the active bundle (srv_bundle.c) ---- */

typedef struct SrvSlot { const char *name; uint32_t slot; } SrvSlot;
typedef struct SrvBundle {
  atomic_int refs;
  aigw_bundle *b;
  SrvMapPlan plan;
  SrvSlot *gidx;              /* guardrail name (the bundle's own pointer) → metrics slot */
  size_t ngidx;
  SrvSlot *bidx;              /* "budget:NAME", for a budget's errors */
  size_t nbidx;
  int64_t loaded_at;
  char id[80];
} SrvBundle;

typedef struct SrvHolder {
  pthread_mutex_t mu;
  SrvBundle *active;          /* NULL until a bundle is loaded */
  atomic_ullong gen;          /* bumped on every swap: workers compare it per request */
  char source[512];
  char last_error[512];       /* the last failed load, or "" */
  int64_t last_error_at, last_ok_at;
} SrvHolder;

struct SrvServer;
void srv_holder_init(SrvHolder *h);
void srv_holder_destroy(SrvHolder *h);
/* The active bundle with a reference taken, or NULL. */
SrvBundle *srv_holder_acquire(SrvHolder *h);
void srv_bundle_release(SrvBundle *sb);
/* The metrics slot of a finding's guardrail name. */
uint32_t srv_bundle_slot(const SrvBundle *sb, const char *name);
/* Verifies bytes and swaps them in: 1 swapped, 0 the same bundle already serves, -1
 * refused (why in err, and in /ready). */
/* sig: the bundle's detached signature text (or NULL), checked when the server has
 * verify keys: an unsigned or wrongly signed bundle is refused like a corrupt one. */
int srv_holder_install(struct SrvServer *s, const void *data, size_t len, const char *sig, size_t siglen,
                       const char *from, char *err, size_t errlen);

/* ---- reload (srv_reload.c) ---- */
typedef struct SrvSource {
  const char *file, *url;
  int64_t poll_ms;
  int64_t file_mtime_ns, file_size;
  uint64_t file_ino;
  char etag[256];
  void *curl;
} SrvSource;
/* Loads the first bundle: from the file, or from the cache and then the URL. -1 when
 * a file cannot be used (the server does not start); a URL that fails leaves /ready
 * false until a fetch succeeds. */
int srv_reload_start(struct SrvServer *s, SrvSource *src, char *err, size_t errlen);
/* Checks the source (force: SIGHUP, even when nothing seems to have changed). */
void srv_reload_check(struct SrvServer *s, SrvSource *src, int force);
void srv_reload_stop(SrvSource *src);

/* ---- metrics (srv_metrics.c) ---- */
enum { SRV_OUT_ALLOW, SRV_OUT_DENY, SRV_OUT_OVER_BUDGET, SRV_OUT_BAD_INPUT, SRV_OUT_UNAVAILABLE,
       SRV_OUT_ERROR, SRV_NOUT };
enum { SRV_NBUCKETS = 12, SRV_MAX_GUARDRAIL_SLOTS = 4096 };
typedef struct SrvMetrics {
  atomic_ullong outcomes[SRV_NOUT];
  atomic_ullong http[600];                 /* by status code */
  atomic_ullong lat[SRV_NBUCKETS + 1];     /* decision latency, by bucket; +Inf last */
  atomic_ullong lat_sum_ns, lat_count;
  atomic_ullong reloads_ok, reloads_unchanged, reloads_failed;
  atomic_ullong reserve_admitted, reserve_over, reserve_error;
  atomic_ullong settled, settle_unknown;
  atomic_ullong connections, inflight;
  /* findings by guardrail: slots shared across bundles, so counts survive a reload */
  pthread_mutex_t names_mu;
  char *names[SRV_MAX_GUARDRAIL_SLOTS];
  atomic_uint nnames;
  atomic_ullong (*findings)[4];            /* [slot][aigw_list] */
} SrvMetrics;
void srv_metrics_init(SrvMetrics *m);
void srv_metrics_destroy(SrvMetrics *m);
/* The slot for a guardrail name (added on first sight, at bundle load). */
uint32_t srv_metrics_slot(SrvMetrics *m, const char *name);
void srv_metrics_latency(SrvMetrics *m, uint64_t ns);
void srv_metrics_render(struct SrvServer *s, Buf *out);

/* ---- decision log (srv_log.c) ---- */
typedef struct SrvLog SrvLog;
/* path "-" is standard output. NULL with why in err. */
SrvLog *srv_log_open(const char *path, size_t queue_bytes, const SrvConfig *cfg, char *err, size_t errlen);
/* Queues one entry: line is a JSON object without its closing brace, input the request's
 * input as a JSON object (or NULL); the writer adds the listed input fields. When the
 * queue is full the entry is dropped and counted. */
void srv_log_put(SrvLog *l, const char *line, size_t n, const char *input, size_t ilen);
void srv_log_counts(SrvLog *l, uint64_t *written, uint64_t *dropped);
/* Writes what is queued, then stops the writer. */
void srv_log_close(SrvLog *l);

/* ---- shadow evaluation (srv_shadow.c) ---- */
enum { SRV_SHADOW_ALLOW_TO_DENY, SRV_SHADOW_DENY_TO_ALLOW, SRV_SHADOW_VIOLATION_GAINED, SRV_SHADOW_VIOLATION_LOST,
       SRV_SHADOW_WAIVER_GAINED, SRV_SHADOW_WAIVER_LOST, SRV_SHADOW_ROUTE_CHANGED, SRV_SHADOW_INPUT_REJECTED,
       SRV_SHADOW_NKINDS };
typedef struct SrvShadow SrvShadow;
/* Opens the candidate and starts its thread; log_path (or NULL) gets the differences. */
SrvShadow *srv_shadow_open(const char *bundle, const char *log_path, char *err, size_t errlen);
/* Queues one request (its input as JSON) decided by active; dropped when the queue is full. */
void srv_shadow_put(SrvShadow *sh, SrvBundle *active, const char *id, int64_t now, const char *input, size_t ilen);
/* Waits until what was queued before the call has been compared (at most 2 s). */
void srv_shadow_wait_idle(SrvShadow *sh);
void srv_shadow_summary(SrvShadow *sh, Buf *out);     /* GET /v1/shadow */
void srv_shadow_metrics(SrvShadow *sh, Buf *out);
const char *srv_shadow_id(const SrvShadow *sh);
/* Compares what is queued, then stops the thread. */
void srv_shadow_close(SrvShadow *sh);

/* ---- the server ---- */
typedef struct SrvServer {
  SrvConfig *cfg;
  SrvHolder holder;
  SrvStore *store;
  SrvLog *log;
  SrvShadow *shadow;           /* --shadow-bundle, or NULL */
  SrvMetrics metrics;
  pthread_key_t worker_key;    /* each worker thread's SrvWorker */
  uint64_t boot;               /* random, per process: the first half of decision ids */
  atomic_ullong seq;           /* the second half */
  int64_t fixed_now;           /* --now, or INT64_MIN for the clock */
  const unsigned char *verify_keys; size_t nverify_keys;   /* --verify-key: 32 bytes each */
  int64_t started_at;
  atomic_int draining;
  void *daemon;                /* struct MHD_Daemon */
} SrvServer;

int64_t srv_now(const SrvServer *s);

/* A worker thread's own evaluation context, bound to the bundle it was made for. */
typedef struct SrvWorker {
  SrvBundle *sb;
  aigw_ctx *ctx;
  unsigned long long gen;
  Buf line;                    /* the decision log line */
  Buf scratch;
} SrvWorker;
SrvWorker *srv_worker(SrvServer *s);
void srv_worker_free(void *w);

/* ---- one request, whatever the contract (srv_decide.c, srv_contract.c) ---- */
typedef struct SrvReply {
  int status;
  const char *ctype;
  Buf body;
  Buf hdrs;                    /* "name\0value\0" pairs */
  int close;                   /* end the connection after this answer */
} SrvReply;
void srv_reply_reset(SrvReply *r);
void srv_reply_header(SrvReply *r, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void srv_reply_text(SrvReply *r, int status, const char *ctype, const char *text);
/* {"error": why} with a status */
void srv_reply_error(SrvReply *r, int status, const char *why);

typedef struct SrvRequest {
  const char *method, *path;
  const char *body;
  size_t blen;
  SrvHeaders headers;
} SrvRequest;

typedef enum SrvInputFrom { SRV_FROM_JSON, SRV_FROM_HEADERS } SrvInputFrom;
typedef struct SrvDecision {
  SrvWorker *w;
  aigw_ctx *c;
  SrvBundle *sb;
  SrvDecisionId id;
  int outcome;                 /* SRV_OUT_* */
  int64_t now;
  int64_t retry_after;         /* seconds, when over budget */
  const char *over;            /* the budget over its limit */
  const char *json;            /* the decision, byte for byte as aigwc eval prints it */
  size_t jlen;                 /* (rendered on first use: srv_decision_json) */
  char err[512];
} SrvDecision;
/* Decides one request: the input from the JSON body (from == SRV_FROM_JSON) or from
 * headers and body through the config's mapping; reserves its budgets; counts and logs
 * it. The caller answers from d. */
void srv_decide(SrvServer *s, SrvInputFrom from, const SrvHeaders *h, const char *body, size_t blen,
                struct json_t *body_json, const char *endpoint, SrvDecision *d);
const char *srv_decision_json(SrvDecision *d, size_t *len);
/* Text safe in a header and inside a JSON string: control bytes become spaces, '"'
 * becomes '\'' and '\\' '/'; at most max bytes. */
void srv_put_safe(Buf *o, const char *s, size_t max);
/* The reasons of a deny on one header-safe line: "guardrail: message; …". */
void srv_decision_reasons(SrvDecision *d, Buf *out);

/* Dispatch by path: every endpoint (srv_contract.c, srv_admin.c). */
void srv_handle(SrvServer *s, const SrvRequest *rq, SrvReply *r);
void srv_admin_health(SrvServer *s, SrvReply *r);
void srv_admin_ready(SrvServer *s, SrvReply *r);
void srv_admin_metrics(SrvServer *s, SrvReply *r);
void srv_admin_settle(SrvServer *s, const SrvRequest *rq, SrvReply *r);

/* ---- HTTP (srv_http.c) ---- */
/* listen: "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" (loopback). */
int srv_http_start(SrvServer *s, const char *listen, unsigned threads, char *err, size_t errlen);
/* Stops accepting, lets in-flight requests finish within the drain limit, stops. */
void srv_http_stop(SrvServer *s);

#endif
