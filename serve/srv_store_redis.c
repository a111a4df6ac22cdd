/* The Redis budget store (srv_store.h): counters shared by every replica that names
 * the same server, so N replicas together respect one limit.
 *
 * Reserve and settle are each one server-side Lua script (SCRIPT LOAD once per
 * connection, then EVALSHA; a NOSCRIPT answer, after a Redis restart or SCRIPT FLUSH,
 * loads it again). Redis runs a script alone, so the check and the add of every charge
 * of a decision are one step: no two replicas can both see room for the last tokens.
 *
 *   counter     aigw:c:<budget length>:<budget>:<window start>:<key>  an integer, with
 *               a TTL to the end of its window (a new window is a new key)
 *   reservation aigw:r:<decision id>  a list of (counter, amount, budget, unit, key),
 *               with a TTL of budgets.reservation_seconds: when it expires the counter
 *               keeps the reserved amount, as the in-process store does
 *
 * Each worker thread has its own connection (a thread-specific slot), with connect and
 * read timeouts. A failed connection is retried with a backoff (50 ms doubling to 2 s),
 * or at once when another thread has connected since; while it waits every call fails
 * at once, so no request waits longer than the timeout.
 * When a call fails, each budget's declared on_store_error decides: deny (the decision
 * is refused), allow (admitted uncounted) or local (counted in this process only, in
 * an in-process store). */
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "srv_store.h"

enum { BACKOFF_MIN_MS = 50, BACKOFF_MAX_MS = 2000, ARGS_PER_CHARGE = 6 };

static const char RESERVE_LUA[] =
  "local n = tonumber(ARGV[1])\n"
  "for i = 1, n do\n"
  "  local a = 2 + (i - 1) * 6\n"
  "  local used = tonumber(redis.call('GET', KEYS[i]) or '0')\n"
  "  if tonumber(ARGV[a + 2]) > tonumber(ARGV[a + 1]) - used then return i end\n"
  "end\n"
  "for i = 1, n do\n"
  "  local a = 2 + (i - 1) * 6\n"
  "  redis.call('INCRBY', KEYS[i], ARGV[a + 2])\n"
  "  redis.call('EXPIRE', KEYS[i], ARGV[a + 3])\n"
  "  redis.call('RPUSH', KEYS[n + 1], KEYS[i], ARGV[a + 2], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6])\n"
  "end\n"
  "redis.call('EXPIRE', KEYS[n + 1], ARGV[2])\n"
  "return 0\n";

/* ARGV: name, amount pairs (budget names or units). The usage of a charge is the first
 * pair naming its budget, else the first naming its unit, else what it reserved. */
static const char SETTLE_LUA[] =
  "local r = redis.call('LRANGE', KEYS[1], 0, -1)\n"
  "if #r == 0 then return false end\n"
  "redis.call('DEL', KEYS[1])\n"
  "local by = {}\n"
  "for i = 1, #ARGV, 2 do if by[ARGV[i]] == nil then by[ARGV[i]] = tonumber(ARGV[i + 1]) end end\n"
  "local out = {}\n"
  "for i = 1, #r, 5 do\n"
  "  local amt = tonumber(r[i + 1])\n"
  "  local used = by[r[i + 2]]\n"
  "  if used == nil then used = by[r[i + 3]] end\n"
  "  if used == nil then used = amt end\n"
  "  if used ~= amt and redis.call('EXISTS', r[i]) == 1 then\n"
  "    if redis.call('INCRBY', r[i], used - amt) < 0 then redis.call('SET', r[i], 0, 'KEEPTTL') end\n"
  "  end\n"
  "  out[#out + 1] = r[i + 2]; out[#out + 1] = r[i + 4]\n"
  "  out[#out + 1] = amt; out[#out + 1] = used\n"
  "end\n"
  "return out\n";

typedef struct Conn {
  redisContext *c;
  uint64_t retry_at_ns;
  unsigned backoff_ms;
  unsigned long long epoch;       /* the store's connects when this one failed */
  char sha_reserve[48], sha_settle[48];
} Conn;

typedef struct RedisStore {
  SrvStore base;
  char *host;
  int port, db;
  unsigned timeout_ms;
  SrvStoreErrorMode (*mode)(void *ud, const char *budget);
  void *mode_ud;
  SrvStore *local;                /* on_store_error local */
  pthread_key_t key;              /* each thread's Conn */
  pthread_mutex_t err_mu;
  char last_error[200];
  atomic_int reachable;
  atomic_ullong errors, fallback[3], live, reconnects;   /* reconnects: the epoch */
} RedisStore;

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void conn_free(void *p) {
  Conn *k = p;
  if (!k) return;
  if (k->c) redisFree(k->c);
  free(k);
}

static void note_error(RedisStore *r, const char *why, char *err, size_t errlen) {
  snprintf(err, errlen, "budget store redis://%s:%d: %s", r->host, r->port, why);
  pthread_mutex_lock(&r->err_mu);
  snprintf(r->last_error, sizeof r->last_error, "%s", why);
  pthread_mutex_unlock(&r->err_mu);
  atomic_store(&r->reachable, 0);
  atomic_fetch_add(&r->errors, 1);
}

static void drop(Conn *k) {
  if (k->c) redisFree(k->c);
  k->c = NULL;
  k->backoff_ms = k->backoff_ms ? k->backoff_ms * 2 : BACKOFF_MIN_MS;
  if (k->backoff_ms > BACKOFF_MAX_MS) k->backoff_ms = BACKOFF_MAX_MS;
  k->retry_at_ns = mono_ns() + (uint64_t)k->backoff_ms * 1000000u;
}

/* A command on k's connection; NULL on an I/O error (the connection is dropped). */
static redisReply *cmd(Conn *k, int argc, const char **argv, const size_t *len) {
  redisReply *rep = redisCommandArgv(k->c, argc, argv, len);
  if (!rep) drop(k);
  return rep;
}

static int load_script(RedisStore *r, Conn *k, const char *lua, char *sha, char *err, size_t errlen) {
  const char *argv[] = {"SCRIPT", "LOAD", lua};
  size_t len[] = {6, 4, strlen(lua)};
  redisReply *rep = cmd(k, 3, argv, len);
  if (!rep || rep->type != REDIS_REPLY_STRING || rep->len >= 48) {
    note_error(r, rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "SCRIPT LOAD failed", err, errlen);
    if (rep) { freeReplyObject(rep); drop(k); }
    return -1;
  }
  memcpy(sha, rep->str, rep->len);
  sha[rep->len] = 0;
  freeReplyObject(rep);
  return 0;
}

/* The calling thread's connection, connected; NULL (why in err) while Redis cannot be
 * reached: at once when the backoff has not run out. */
static Conn *conn_get(RedisStore *r, char *err, size_t errlen) {
  Conn *k = pthread_getspecific(r->key);
  if (!k) {
    if (!(k = calloc(1, sizeof *k))) { note_error(r, "out of memory", err, errlen); return NULL; }
    pthread_setspecific(r->key, k);
  }
  if (k->c) return k;
  /* another thread got through since this one failed: Redis is back, try now */
  if (k->retry_at_ns && k->epoch != atomic_load(&r->reconnects)) k->retry_at_ns = 0;
  if (k->retry_at_ns && mono_ns() < k->retry_at_ns) {
    snprintf(err, errlen, "budget store redis://%s:%d: unreachable (retrying in at most %u ms)", r->host, r->port,
             k->backoff_ms);
    atomic_fetch_add(&r->errors, 1);
    return NULL;
  }
  struct timeval tv = {(time_t)(r->timeout_ms / 1000), (suseconds_t)(r->timeout_ms % 1000) * 1000};
  k->epoch = atomic_load(&r->reconnects);
  k->c = redisConnectWithTimeout(r->host, r->port, tv);
  if (!k->c || k->c->err) {
    note_error(r, k->c ? k->c->errstr : "cannot connect", err, errlen);
    drop(k);
    return NULL;
  }
  redisSetTimeout(k->c, tv);
  if (r->db) {
    redisReply *rep = redisCommand(k->c, "SELECT %d", r->db);
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
      note_error(r, rep ? rep->str : "SELECT failed", err, errlen);
      if (rep) freeReplyObject(rep);
      drop(k);
      return NULL;
    }
    freeReplyObject(rep);
  }
  if (load_script(r, k, RESERVE_LUA, k->sha_reserve, err, errlen) ||
      load_script(r, k, SETTLE_LUA, k->sha_settle, err, errlen))
    return NULL;
  k->backoff_ms = 0;
  k->retry_at_ns = 0;
  atomic_fetch_add(&r->reconnects, 1);
  atomic_store(&r->reachable, 1);
  return k;
}

/* EVALSHA, loading the script again when Redis has lost it. argv[1] is the sha. */
static redisReply *eval(RedisStore *r, Conn *k, const char *lua, char *sha, int argc, const char **argv,
                        size_t *len, char *err, size_t errlen) {
  for (int tries = 0; tries < 2; tries++) {
    argv[1] = sha;
    len[1] = strlen(sha);
    redisReply *rep = cmd(k, argc, argv, len);
    if (!rep) { note_error(r, k->c ? "no answer" : "connection lost or timed out", err, errlen); return NULL; }
    if (rep->type == REDIS_REPLY_ERROR && !strncmp(rep->str, "NOSCRIPT", 8) && !tries) {
      freeReplyObject(rep);
      if (load_script(r, k, lua, sha, err, errlen)) return NULL;
      continue;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
      note_error(r, rep->str, err, errlen);
      freeReplyObject(rep);
      return NULL;
    }
    atomic_store(&r->reachable, 1);
    return rep;
  }
  return NULL;
}

/* Redis failed: each charge's budget declares what happens. */
static SrvStoreResult on_error(RedisStore *r, const SrvDecisionId *id, const SrvCharge *ch, size_t n, int64_t now,
                               int64_t expires_at, size_t *over, char *err, size_t errlen) {
  SrvCharge loc[SRV_MAX_CHARGES];
  size_t idx[SRV_MAX_CHARGES], nl = 0;
  for (size_t i = 0; i < n; i++) {
    SrvStoreErrorMode m = r->mode ? r->mode(r->mode_ud, ch[i].budget) : SRV_ON_ERROR_DENY;
    if (m == SRV_ON_ERROR_DENY) {
      atomic_fetch_add(&r->fallback[SRV_ON_ERROR_DENY], 1);
      size_t l = strlen(err);
      snprintf(err + l, errlen - l, " (budget %s: on_store_error deny)", ch[i].budget);
      return SRV_STORE_ERROR;
    }
    if (m == SRV_ON_ERROR_LOCAL) { idx[nl] = i; loc[nl++] = ch[i]; }
  }
  if (!nl) { atomic_fetch_add(&r->fallback[SRV_ON_ERROR_ALLOW], 1); return SRV_STORE_OK; }
  size_t o = 0;
  SrvStoreResult res = r->local->ops->reserve(r->local, id, loc, nl, now, expires_at, &o, err, errlen);
  if (res == SRV_STORE_OVER) *over = idx[o];
  atomic_fetch_add(&r->fallback[SRV_ON_ERROR_LOCAL], 1);
  return res;
}

static void counter_key(char *out, size_t cap, const SrvCharge *c, size_t *len) {
  int h = snprintf(out, cap, "aigw:c:%zu:%s:%" PRId64 ":", strlen(c->budget), c->budget, c->window_start);
  size_t n = (size_t)h < cap ? (size_t)h : cap - 1;
  size_t kl = c->key_len < cap - n ? c->key_len : cap - n;
  memcpy(out + n, c->key, kl);
  *len = n + kl;
}

static SrvStoreResult rd_reserve(SrvStore *st, const SrvDecisionId *id, const SrvCharge *ch, size_t n, int64_t now,
                                 int64_t expires_at, size_t *over, char *err, size_t errlen) {
  RedisStore *r = (RedisStore *)st;
  if (n > SRV_MAX_CHARGES) {
    snprintf(err, errlen, "a decision charges %zu budgets (limit is %d)", n, SRV_MAX_CHARGES);
    return SRV_STORE_ERROR;
  }
  if (!n) return SRV_STORE_OK;
  Conn *k = conn_get(r, err, errlen);
  if (!k) return on_error(r, id, ch, n, now, expires_at, over, err, errlen);
  enum { MAXARG = 5 + SRV_MAX_CHARGES * (1 + ARGS_PER_CHARGE) };
  const char *argv[MAXARG];
  size_t len[MAXARG];
  char keys[SRV_MAX_CHARGES][512], nums[SRV_MAX_CHARGES][3][24], head[3][24], rkey[64];
  int a = 0;
#define PUT(s, l) (argv[a] = (s), len[a] = (l), a++)
  PUT("EVALSHA", 7);
  PUT(NULL, 0);                   /* the sha: eval() sets it */
  snprintf(head[0], sizeof head[0], "%zu", n + 1);
  PUT(head[0], strlen(head[0]));
  for (size_t i = 0; i < n; i++) {
    size_t kl;
    counter_key(keys[i], sizeof keys[i], &ch[i], &kl);
    PUT(keys[i], kl);
  }
  snprintf(rkey, sizeof rkey, "aigw:r:%s", id->text);
  PUT(rkey, strlen(rkey));
  snprintf(head[1], sizeof head[1], "%zu", n);
  PUT(head[1], strlen(head[1]));
  int64_t rttl = expires_at - now;
  snprintf(head[2], sizeof head[2], "%" PRId64, rttl > 0 ? rttl : 1);
  PUT(head[2], strlen(head[2]));
  for (size_t i = 0; i < n; i++) {
    int64_t ttl = ch[i].window_end - now;
    snprintf(nums[i][0], 24, "%" PRId64, ch[i].limit);
    snprintf(nums[i][1], 24, "%" PRId64, ch[i].amount);
    snprintf(nums[i][2], 24, "%" PRId64, ttl > 0 ? ttl : 1);
    for (int j = 0; j < 3; j++) PUT(nums[i][j], strlen(nums[i][j]));
    PUT(ch[i].budget, strlen(ch[i].budget));
    PUT(ch[i].unit, strlen(ch[i].unit));
    PUT(ch[i].key, ch[i].key_len);
  }
#undef PUT
  redisReply *rep = eval(r, k, RESERVE_LUA, k->sha_reserve, a, argv, len, err, errlen);
  if (!rep) return on_error(r, id, ch, n, now, expires_at, over, err, errlen);
  SrvStoreResult res = SRV_STORE_OK;
  if (rep->type != REDIS_REPLY_INTEGER) {
    snprintf(err, errlen, "budget store: unexpected answer to the reserve script");
    res = SRV_STORE_ERROR;
  } else if (rep->integer > 0) {
    *over = (size_t)rep->integer - 1;
    res = SRV_STORE_OVER;
  } else atomic_fetch_add(&r->live, 1);
  freeReplyObject(rep);
  return res;
}

static SrvStoreResult rd_settle(SrvStore *st, const SrvDecisionId *id, const SrvUsage *u, size_t nu, int64_t now,
                                SrvSettled *out, size_t *nout, char *err, size_t errlen) {
  RedisStore *r = (RedisStore *)st;
  size_t max = *nout;
  /* a reservation made while Redis was unreachable lives in this process */
  SrvStoreResult res = r->local->ops->settle(r->local, id, u, nu, now, out, nout, err, errlen);
  if (res != SRV_STORE_UNKNOWN) return res;
  *nout = 0;
  Conn *k = conn_get(r, err, errlen);
  if (!k) return SRV_STORE_ERROR;
  enum { MAXARG = 4 + 2 * SRV_MAX_CHARGES * 2 };
  const char *argv[MAXARG];
  size_t len[MAXARG];
  char rkey[64], nums[SRV_MAX_CHARGES * 2][24];
  int a = 0;
  argv[a++] = "EVALSHA"; argv[a++] = NULL; argv[a++] = "1";
  snprintf(rkey, sizeof rkey, "aigw:r:%s", id->text);
  argv[a++] = rkey;
  for (size_t i = 0; i < nu && i < SRV_MAX_CHARGES * 2; i++) {
    snprintf(nums[i], sizeof nums[i], "%" PRId64, u[i].amount);
    argv[a++] = u[i].name;
    argv[a++] = nums[i];
  }
  for (int i = 0; i < a; i++) if (i != 1) len[i] = strlen(argv[i]);
  redisReply *rep = eval(r, k, SETTLE_LUA, k->sha_settle, a, argv, len, err, errlen);
  if (!rep) return SRV_STORE_ERROR;
  if (rep->type == REDIS_REPLY_NIL) res = SRV_STORE_UNKNOWN;
  else if (rep->type != REDIS_REPLY_ARRAY || rep->elements % 4) {
    snprintf(err, errlen, "budget store: unexpected answer to the settle script");
    res = SRV_STORE_ERROR;
  } else {
    res = SRV_STORE_OK;
    for (size_t i = 0; i + 3 < rep->elements && *nout < max; i += 4) {
      redisReply **e = &rep->element[i];
      SrvSettled *o = &out[(*nout)++];
      snprintf(o->budget, sizeof o->budget, "%.*s", (int)e[0]->len, e[0]->str ? e[0]->str : "");
      snprintf(o->key, sizeof o->key, "%.*s", (int)e[1]->len, e[1]->str ? e[1]->str : "");
      o->reserved = e[2]->integer;
      o->used = e[3]->integer;
    }
    atomic_fetch_sub(&r->live, atomic_load(&r->live) ? 1 : 0);
  }
  freeReplyObject(rep);
  return res;
}

/* Redis expires counters and reservations itself; the local fallback sweeps its own. */
static void rd_sweep(SrvStore *st, int64_t now) {
  RedisStore *r = (RedisStore *)st;
  r->local->ops->sweep(r->local, now);
}

/* /metrics lists the counters this process holds: those kept locally while Redis was
 * unreachable (Redis's own are read with redis-cli, not scanned on every scrape). */
static void rd_each(SrvStore *st, size_t max, srv_counter_fn fn, void *ud) {
  RedisStore *r = (RedisStore *)st;
  r->local->ops->each(r->local, max, fn, ud);
}

static void rd_stats(SrvStore *st, SrvStoreStats *out) {
  RedisStore *r = (RedisStore *)st;
  r->local->ops->stats(r->local, out);
  /* admitted through Redis by this process and not settled here (an estimate: an
   * expired reservation is not seen) */
  out->reservations += atomic_load(&r->live);
}

static void rd_health(SrvStore *st, SrvStoreHealth *h) {
  RedisStore *r = (RedisStore *)st;
  memset(h, 0, sizeof *h);
  snprintf(h->where, sizeof h->where, "redis://%s:%d/%d", r->host, r->port, r->db);
  h->shared = 1;
  h->reachable = atomic_load(&r->reachable);
  h->errors = atomic_load(&r->errors);
  h->connects = atomic_load(&r->reconnects);
  for (int i = 0; i < 3; i++) h->fallback[i] = atomic_load(&r->fallback[i]);
  pthread_mutex_lock(&r->err_mu);
  snprintf(h->last_error, sizeof h->last_error, "%s", r->last_error);
  pthread_mutex_unlock(&r->err_mu);
}

static void rd_close(SrvStore *st) {
  RedisStore *r = (RedisStore *)st;
  conn_free(pthread_getspecific(r->key));
  pthread_setspecific(r->key, NULL);
  pthread_key_delete(r->key);
  pthread_mutex_destroy(&r->err_mu);
  r->local->ops->close(r->local);
  free(r->host);
  free(r);
}

static const SrvStoreOps redis_ops = {rd_reserve, rd_settle, rd_sweep, rd_each, rd_stats, rd_close, rd_health};

int srv_store_redis_parse(const char *url, char *host, size_t hostlen, int *port, int *db) {
  if (strncmp(url, "redis://", 8)) return -1;
  const char *h = url + 8, *colon = strchr(h, ':'), *slash = strchr(h, '/');
  if (!colon || colon == h || (slash && slash < colon) || (size_t)(colon - h) >= hostlen) return -1;
  memcpy(host, h, (size_t)(colon - h));
  host[colon - h] = 0;
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (end == colon + 1 || p < 1 || p > 65535) return -1;
  long d = 0;
  if (*end == '/') {
    const char *ds = end + 1;
    d = strtol(ds, &end, 10);
    if (end == ds || d < 0 || d > 15) return -1;
  }
  if (*end) return -1;
  *port = (int)p;
  *db = (int)d;
  return 0;
}

SrvStore *srv_store_redis_new(const char *url, unsigned timeout_ms, SrvStoreErrorMode (*mode)(void *, const char *),
                              void *mode_ud, size_t max_counters, size_t max_reservations, char *err, size_t errlen) {
  char host[256];
  int port, db;
  if (srv_store_redis_parse(url, host, sizeof host, &port, &db)) {
    snprintf(err, errlen, "--budget-store: '%s' is not redis://HOST:PORT[/DB] (DB 0 to 15)", url);
    return NULL;
  }
  RedisStore *r = calloc(1, sizeof *r);
  if (!r) { snprintf(err, errlen, "out of memory"); return NULL; }
  r->base.ops = &redis_ops;
  r->host = strdup(host);
  r->port = port;
  r->db = db;
  r->timeout_ms = timeout_ms ? timeout_ms : 1;
  r->mode = mode;
  r->mode_ud = mode_ud;
  r->local = srv_store_mem_new(max_counters, max_reservations);
  if (!r->host || !r->local || pthread_key_create(&r->key, conn_free)) {
    if (r->local) r->local->ops->close(r->local);
    free(r->host);
    free(r);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&r->err_mu, NULL);
  /* a first connection, so that /ready tells at once whether Redis answers; a server
   * that is down now is not fatal (the budgets' on_store_error covers it) */
  char e[300];
  if (conn_get(r, e, sizeof e)) snprintf(r->last_error, sizeof r->last_error, "%s", "");
  else fprintf(stderr, "aigwc serve: %s (retrying; budgets follow their on_store_error)\n", e);
  return &r->base;
}
