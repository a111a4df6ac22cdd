/* The budget counter store: what serve asks of whoever keeps the counters.
 *
 * A counter is (budget, key, window): the window is the one the decision names (the
 * runtime computes it: calendar periods in UTC, or fixed lengths). Admission reserves every budget a decision charges, all or none, and
 * never lets admitted reservations pass a limit, however many requests race. The
 * reservation is remembered under the decision id until the gateway settles it with
 * the actual usage, or until it expires: an expired reservation stays charged at the
 * amount reserved (a gateway that never settles is charged its estimate, never less).
 *
 * The in-process store (srv_store_mem.c) keeps all of this in a striped hash table
 * and a ring of reservations. A shared store (Redis: one server-side script per call)
 * implements the same operations, so N replicas together respect one limit; an
 * operation is at most one round trip (none for a reservation that fits a block this
 * replica has leased) and may fail with SRV_STORE_ERROR. */
#ifndef AIGW_SRV_STORE_H
#define AIGW_SRV_STORE_H
#include <stddef.h>
#include <stdint.h>

/* Charges in one decision (named limit: a decision with more budgets is refused). */
enum { SRV_MAX_CHARGES = 8 };

/* A decision id: "<16 hex: process>-<16 hex: sequence>", unique per decision. */
typedef struct SrvDecisionId { uint64_t boot, seq; char text[40]; } SrvDecisionId;
void srv_id_format(SrvDecisionId *id);
/* Parses text; -1 when it is not an id. */
int srv_id_parse(const char *s, size_t n, SrvDecisionId *id);

typedef struct SrvCharge {
  const char *budget, *unit, *key;
  size_t key_len;
  int64_t limit;
  int64_t amount;                    /* what this request reserves */
  int64_t window_start, window_end;  /* UTC seconds, [start, end) */
} SrvCharge;

typedef enum SrvStoreResult {
  SRV_STORE_OK = 0,
  SRV_STORE_OVER = 1,      /* a charge would pass its limit: nothing was reserved */
  SRV_STORE_UNKNOWN = 2,   /* settle: no outstanding reservation with that id */
  SRV_STORE_ERROR = 3      /* the store failed (full, unreachable): why in err */
} SrvStoreResult;

/* Actual usage given at settle: by budget name, else by unit ("tokens"). A charge
 * with no usage given settles at its reservation. */
typedef struct SrvUsage { const char *name; int64_t amount; } SrvUsage;
/* What settle did with each charge. */
typedef struct SrvSettled { char budget[128]; char key[128]; int64_t reserved, used; } SrvSettled;

typedef struct SrvStoreStats {
  uint64_t counters, reservations, expired, evicted;
} SrvStoreStats;

typedef void (*srv_counter_fn)(void *ud, const char *budget, const char *unit, const char *key,
                               size_t key_len, int64_t used, int64_t limit, int64_t window_end);

/* A shared store's state, for /ready and /metrics (in-process stores have none). */
typedef enum SrvStoreErrorMode { SRV_ON_ERROR_DENY, SRV_ON_ERROR_ALLOW, SRV_ON_ERROR_LOCAL } SrvStoreErrorMode;
typedef struct SrvStoreHealth {
  char where[300];
  int shared, reachable, leasing;
  uint64_t errors, connects;
  uint64_t leases, lease_blocks, lease_returns;  /* counters leased now; blocks taken, returns */
  uint64_t mirrors_dropped;           /* leased reservations not written to Redis: settled only here */
  uint64_t fallback[3];               /* reservations decided by on_store_error, by mode */
  char last_error[200];
} SrvStoreHealth;

typedef struct SrvStore SrvStore;
typedef struct SrvStoreOps {
  /* Reserves ch[0..n) for id until expires_at, all or none. OVER sets *over to the
   * first charge that does not fit. */
  SrvStoreResult (*reserve)(SrvStore *st, const SrvDecisionId *id, const SrvCharge *ch, size_t n,
                            int64_t now, int64_t expires_at, size_t *over, char *err, size_t errlen);
  /* Settles id: each charge becomes its actual usage (its counter moves by the
   * difference, if its window is still current). out receives up to *nout charges. */
  SrvStoreResult (*settle)(SrvStore *st, const SrvDecisionId *id, const SrvUsage *u, size_t nu,
                           int64_t now, SrvSettled *out, size_t *nout, char *err, size_t errlen);
  /* Closes reservations that expired and forgets counters of past windows. */
  void (*sweep)(SrvStore *st, int64_t now);
  /* Up to max counters, for /metrics. */
  void (*each)(SrvStore *st, size_t max, srv_counter_fn fn, void *ud);
  void (*stats)(SrvStore *st, SrvStoreStats *out);
  void (*close)(SrvStore *st);
  /* NULL for a store that cannot fail but by being full (the in-process one). */
  void (*health)(SrvStore *st, SrvStoreHealth *out);
} SrvStoreOps;
struct SrvStore { const SrvStoreOps *ops; };

SrvStore *srv_store_mem_new(size_t max_counters, size_t max_reservations);

typedef struct SrvRedisOptions {
  unsigned timeout_ms;            /* connecting, and each call */
  SrvStoreErrorMode (*mode)(void *ud, const char *budget);   /* on_store_error */
  /* the largest block a replica leases, in percent of the limit (0: every reservation
   * is one call to Redis); NULL: no budget is leased */
  int (*lease_percent)(void *ud, const char *budget);
  void *ud;
  unsigned lease_idle_ms;         /* an unused block goes back after this long idle */
  uint64_t boot;                  /* this process's half of its decision ids */
  size_t max_counters, max_reservations;
} SrvRedisOptions;
/* The Redis store (srv_store_redis.c): url is redis://HOST:PORT[/DB]. NULL with why in
 * err when the url is malformed (an unreachable server is not an error here). */
SrvStore *srv_store_redis_new(const char *url, const SrvRedisOptions *o, char *err, size_t errlen);
int srv_store_redis_parse(const char *url, char *host, size_t hostlen, int *port, int *db);

/* CLOCK_MONOTONIC in nanoseconds: timeouts, idle times and latencies. */
uint64_t srv_mono_ns(void);

/* The usage for one charge: by its budget's name, else by its unit; -1 if none. */
int64_t srv_usage_for(const SrvUsage *u, size_t nu, const char *budget, const char *unit);

#endif
