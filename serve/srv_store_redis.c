/* The Redis budget store (srv_store.h): counters shared by every replica that names
 * the same server, so N replicas together respect one limit.
 *
 * Reserve and settle are each one server-side Lua script (SCRIPT LOAD once per
 * connection, then EVALSHA; a NOSCRIPT answer, after a Redis restart or SCRIPT FLUSH,
 * loads it again). Redis runs a script alone, so the check and the add of every charge
 * of a decision are one step: no two replicas can both see room for the last tokens.
 *
 *   counter     aigw:c:<budget length>:<budget>:<window start>:<key>  an integer, with
 *               a TTL to the end of its window, set when the key is made (a new window
 *               is a new key)
 *   reservation aigw:r:<decision id>  its charges packed in one string (srv_redis_pack),
 *               with a TTL of budgets.reservation_seconds: when it expires the counter
 *               keeps the reserved amount, as the in-process store does
 *
 * With leases (budget_store.lease_percent, srv_store_lease.c) a decision whose budgets
 * are all leased is admitted out of blocks this replica took from the counters, without
 * a call; this file keeps the per-request (exact) path and the settle of both.
 *
 * Each worker thread has its own connection (a thread-specific slot), with connect and
 * read timeouts. A failed connection is retried with a backoff (50 ms doubling to 2 s),
 * or at once when another thread has connected since; while it waits every call fails
 * at once, so no request waits longer than the timeout.
 * When a call fails, each budget's declared on_store_error decides: deny (the decision
 * is refused), allow (admitted uncounted) or local (counted in this process only, in
 * an in-process store). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "srv_redis.h"

enum { BACKOFF_MIN_MS = 50, BACKOFF_MAX_MS = 2000, ARGS_PER_CHARGE = 3 };

/* KEYS: the counters, then the reservation. ARGV: n, the reservation's TTL, its packed
 * charges, then limit, amount, TTL for each counter. The index of the first charge that
 * does not fit, else 0. A counter's TTL is set once, when its key is made. */
static const char RESERVE_LUA[] =
  "local n = tonumber(ARGV[1])\n"
  "local cur = {}\n"
  "for i = 1, n do\n"
  "  local a = 4 + (i - 1) * 3\n"
  "  cur[i] = redis.call('GET', KEYS[i])\n"
  "  if tonumber(ARGV[a + 1]) > tonumber(ARGV[a]) - tonumber(cur[i] or '0') then return i end\n"
  "end\n"
  "for i = 1, n do\n"
  "  local a = 4 + (i - 1) * 3\n"
  "  redis.call('INCRBY', KEYS[i], ARGV[a + 1])\n"
  "  if not cur[i] then redis.call('EXPIRE', KEYS[i], ARGV[a + 2]) end\n"
  "end\n"
  "redis.call('SET', KEYS[n + 1], ARGV[3], 'EX', ARGV[2])\n"
  "return 0\n";

/* KEYS: the reservation, the hash of mirrors of the replica that admitted it, its inbox.
 * ARGV: the inbox's TTL, the decision id, its field in the hash, the settling replica's
 * time, then name, amount pairs (budget names or units). The reservation is the key
 * (exact) or the field (a leased one's mirror, srv_store_lease.c, which starts with the
 * time it expires: past it, it is closed). The usage of a charge is the first pair
 * naming its budget, else the first naming its unit, else what it reserved. An exact
 * charge moves its counter by usage - reservation (never below 0); a leased one is
 * forwarded to the inbox of the replica that leased its block, which moves its lease. */
static const char SETTLE_LUA[] =
  "local s, p = redis.call('GET', KEYS[1]), 1\n"
  "local function field()\n"
  "  local c = string.find(s, ':', p, true)\n"
  "  local n = tonumber(string.sub(s, p, c - 1))\n"
  "  local v = string.sub(s, c + 1, c + n)\n"
  "  p = c + n + 1\n"
  "  return v\n"
  "end\n"
  "if s then redis.call('DEL', KEYS[1])\n"
  "else\n"
  "  s = redis.call('HGET', KEYS[2], ARGV[3])\n"
  "  if not s then return false end\n"
  "  redis.call('HDEL', KEYS[2], ARGV[3])\n"
  "  if tonumber(field()) <= tonumber(ARGV[4]) then return false end\n"
  "end\n"
  "local by = {}\n"
  "for i = 5, #ARGV, 2 do if by[ARGV[i]] == nil then by[ARGV[i]] = tonumber(ARGV[i + 1]) end end\n"
  "local out, fwd = {}, {}\n"
  "while p <= #s do\n"
  "  local counter, amt, budget, unit, key = field(), tonumber(field()), field(), field(), field()\n"
  "  local used = by[budget]\n"
  "  if used == nil then used = by[unit] end\n"
  "  if used == nil then used = amt end\n"
  "  if counter == '' then fwd[#fwd + 1] = string.format('%d', used)\n"
  "  elseif used ~= amt and redis.call('EXISTS', counter) == 1 then\n"
  "    if redis.call('INCRBY', counter, used - amt) < 0 then redis.call('SET', counter, 0, 'KEEPTTL') end\n"
  "  end\n"
  "  out[#out + 1] = budget; out[#out + 1] = key\n"
  "  out[#out + 1] = amt; out[#out + 1] = used\n"
  "end\n"
  "if #fwd > 0 then\n"
  "  redis.call('RPUSH', KEYS[3], ARGV[2], table.concat(fwd, ' '))\n"
  "  redis.call('EXPIRE', KEYS[3], ARGV[1])\n"
  "end\n"
  "return out\n";

static const char *const LUA[SRV_NLUA] = {RESERVE_LUA, SETTLE_LUA, SRV_LUA_ACQUIRE_TEXT, SRV_LUA_TICK_TEXT};

static void conn_free(void *p) {
  SrvRedisConn *k = p;
  if (!k) return;
  if (k->c) redisFree(k->c);
  buf_free(&k->pack);
  free(k);
}

void srv_redis_note_error(SrvRedis *r, const char *why, char *err, size_t errlen) {
  snprintf(err, errlen, "budget store redis://%s:%d: %s", r->host, r->port, why);
  pthread_mutex_lock(&r->err_mu);
  snprintf(r->last_error, sizeof r->last_error, "%s", why);
  pthread_mutex_unlock(&r->err_mu);
  atomic_store(&r->reachable, 0);
  atomic_fetch_add(&r->errors, 1);
}

static void drop(SrvRedisConn *k) {
  if (k->c) redisFree(k->c);
  k->c = NULL;
  k->backoff_ms = k->backoff_ms ? k->backoff_ms * 2 : BACKOFF_MIN_MS;
  if (k->backoff_ms > BACKOFF_MAX_MS) k->backoff_ms = BACKOFF_MAX_MS;
  k->retry_at_ns = srv_mono_ns() + (uint64_t)k->backoff_ms * 1000000u;
}

/* A command on k's connection; NULL on an I/O error (the connection is dropped). *gone
 * is set when the server had closed or reset it (a restart, a failover): nothing was
 * waited for, and the command did not reach a live server. */
static redisReply *cmd(SrvRedisConn *k, int argc, const char **argv, const size_t *len, int *gone) {
  redisReply *rep = redisCommandArgv(k->c, argc, argv, len);
  if (!rep) {
    int e = k->c->err == REDIS_ERR_IO ? errno : 0;
    *gone = k->c->err == REDIS_ERR_EOF || e == ECONNRESET || e == EPIPE;
    drop(k);
  }
  return rep;
}

static int load_script(SrvRedis *r, SrvRedisConn *k, const char *lua, char *sha, char *err, size_t errlen) {
  const char *argv[] = {"SCRIPT", "LOAD", lua};
  size_t len[] = {6, 4, strlen(lua)};
  int gone;
  redisReply *rep = cmd(k, 3, argv, len, &gone);
  if (!rep || rep->type != REDIS_REPLY_STRING || rep->len >= 48) {
    srv_redis_note_error(r, rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "SCRIPT LOAD failed", err, errlen);
    if (rep) { freeReplyObject(rep); drop(k); }
    return -1;
  }
  memcpy(sha, rep->str, rep->len);
  sha[rep->len] = 0;
  freeReplyObject(rep);
  return 0;
}

/* At once when the backoff has not run out. */
SrvRedisConn *srv_redis_conn(SrvRedis *r, char *err, size_t errlen) {
  SrvRedisConn *k = pthread_getspecific(r->key);
  if (!k) {
    if (!(k = calloc(1, sizeof *k))) { srv_redis_note_error(r, "out of memory", err, errlen); return NULL; }
    pthread_setspecific(r->key, k);
  }
  if (k->c) return k;
  /* another thread got through since this one failed: Redis is back, try now */
  if (k->retry_at_ns && k->epoch != atomic_load(&r->reconnects)) k->retry_at_ns = 0;
  if (k->retry_at_ns && srv_mono_ns() < k->retry_at_ns) {
    snprintf(err, errlen, "budget store redis://%s:%d: unreachable (retrying in at most %u ms)", r->host, r->port,
             k->backoff_ms);
    atomic_fetch_add(&r->errors, 1);
    return NULL;
  }
  struct timeval tv = {(time_t)(r->o.timeout_ms / 1000), (suseconds_t)(r->o.timeout_ms % 1000) * 1000};
  k->epoch = atomic_load(&r->reconnects);
  k->c = redisConnectWithTimeout(r->host, r->port, tv);
  if (!k->c || k->c->err) {
    srv_redis_note_error(r, k->c ? k->c->errstr : "cannot connect", err, errlen);
    drop(k);
    return NULL;
  }
  redisSetTimeout(k->c, tv);
  if (r->db) {
    redisReply *rep = redisCommand(k->c, "SELECT %d", r->db);
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
      srv_redis_note_error(r, rep ? rep->str : "SELECT failed", err, errlen);
      if (rep) freeReplyObject(rep);
      drop(k);
      return NULL;
    }
    freeReplyObject(rep);
  }
  for (int i = 0; i < SRV_NLUA; i++)
    if (load_script(r, k, LUA[i], k->sha[i], err, errlen)) return NULL;
  k->backoff_ms = 0;
  k->retry_at_ns = 0;
  atomic_fetch_add(&r->reconnects, 1);
  atomic_store(&r->reachable, 1);
  return k;
}

redisReply *srv_redis_eval(SrvRedis *r, SrvRedisConn *k, int which, int argc, const char **argv, size_t *len,
                           char *err, size_t errlen) {
  for (int tries = 0, reconnected = 0; tries < 2; tries++) {
    argv[0] = "EVALSHA";
    len[0] = 7;
    argv[1] = k->sha[which];
    len[1] = strlen(k->sha[which]);
    int gone = 0;
    redisReply *rep = cmd(k, argc, argv, len, &gone);
    /* a connection that Redis closed while idle (it restarted): connect again at once,
     * once, rather than fail the request that found out */
    if (!rep && gone && !reconnected) {
      reconnected = 1;
      k->retry_at_ns = 0;
      if (!srv_redis_conn(r, err, errlen)) return NULL;
      tries--;
      continue;
    }
    if (!rep) { srv_redis_note_error(r, "connection lost or timed out", err, errlen); return NULL; }
    if (rep->type == REDIS_REPLY_ERROR && !strncmp(rep->str, "NOSCRIPT", 8) && !tries) {
      freeReplyObject(rep);
      if (load_script(r, k, LUA[which], k->sha[which], err, errlen)) return NULL;
      continue;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
      srv_redis_note_error(r, rep->str, err, errlen);
      freeReplyObject(rep);
      return NULL;
    }
    atomic_store(&r->reachable, 1);
    return rep;
  }
  return NULL;
}

/* Each charge's budget declares what happens. */
SrvStoreResult srv_redis_fallback(SrvRedis *r, const SrvDecisionId *id, const SrvCharge *ch, size_t n, int64_t now,
                                  int64_t expires_at, size_t *over, char *err, size_t errlen) {
  SrvCharge loc[SRV_MAX_CHARGES];
  size_t idx[SRV_MAX_CHARGES], nl = 0;
  for (size_t i = 0; i < n; i++) {
    SrvStoreErrorMode m = r->o.mode ? r->o.mode(r->o.ud, ch[i].budget) : SRV_ON_ERROR_DENY;
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

void srv_redis_counter_key(char *out, size_t cap, const char *budget, int64_t window_start, const char *key,
                           size_t key_len, size_t *len) {
  int h = snprintf(out, cap, "aigw:c:%zu:%s:%" PRId64 ":", strlen(budget), budget, window_start);
  size_t n = (size_t)h < cap ? (size_t)h : cap - 1;
  size_t kl = key_len < cap - n ? key_len : cap - n;
  memcpy(out + n, key, kl);
  *len = n + kl;
}

static void netstring(Buf *o, const char *s, size_t n) {
  buf_printf(o, "%zu:", n);
  buf_put(o, s, n);
}
void srv_redis_pack_num(Buf *o, int64_t v) {
  char num[24];
  int nl = snprintf(num, sizeof num, "%" PRId64, v);
  netstring(o, num, (size_t)nl);
}

void srv_redis_pack(Buf *o, const char *counter, size_t clen, int64_t amount, const char *budget, const char *unit,
                    const char *key, size_t key_len) {
  netstring(o, counter, clen);
  srv_redis_pack_num(o, amount);
  netstring(o, budget, strlen(budget));
  netstring(o, unit, strlen(unit));
  netstring(o, key, key_len);
}

static SrvStoreResult rd_reserve(SrvStore *st, const SrvDecisionId *id, const SrvCharge *ch, size_t n, int64_t now,
                                 int64_t expires_at, size_t *over, char *err, size_t errlen) {
  SrvRedis *r = (SrvRedis *)st;
  if (n > SRV_MAX_CHARGES) {
    snprintf(err, errlen, "a decision charges %zu budgets (limit is %d)", n, SRV_MAX_CHARGES);
    return SRV_STORE_ERROR;
  }
  if (!n) return SRV_STORE_OK;
  if (r->leases && srv_redis_leased(r, ch, n))
    return srv_redis_lease_reserve(r, id, ch, n, now, expires_at, over, err, errlen);
  SrvRedisConn *k = srv_redis_conn(r, err, errlen);
  if (!k) return srv_redis_fallback(r, id, ch, n, now, expires_at, over, err, errlen);
  /* EVALSHA, sha, key count, a key per charge, the reservation key, n, its TTL, the
   * pack, then ARGS_PER_CHARGE numbers per charge */
  enum { MAXARG = 7 + SRV_MAX_CHARGES * (1 + ARGS_PER_CHARGE) };
  const char *argv[MAXARG];
  size_t len[MAXARG];
  char keys[SRV_MAX_CHARGES][512], nums[SRV_MAX_CHARGES][3][24], head[3][24], rkey[64];
  int a = 2;                      /* EVALSHA and the sha: srv_redis_eval sets them */
#define PUT(s, l) (argv[a] = (s), len[a] = (l), a++)
  snprintf(head[0], sizeof head[0], "%zu", n + 1);
  PUT(head[0], strlen(head[0]));
  k->pack.n = 0;
  for (size_t i = 0; i < n; i++) {
    size_t kl;
    srv_redis_counter_key(keys[i], sizeof keys[i], ch[i].budget, ch[i].window_start, ch[i].key, ch[i].key_len, &kl);
    PUT(keys[i], kl);
    srv_redis_pack(&k->pack, keys[i], kl, ch[i].amount, ch[i].budget, ch[i].unit, ch[i].key, ch[i].key_len);
  }
  snprintf(rkey, sizeof rkey, "aigw:r:%s", id->text);
  PUT(rkey, strlen(rkey));
  snprintf(head[1], sizeof head[1], "%zu", n);
  PUT(head[1], strlen(head[1]));
  int64_t rttl = expires_at - now;
  snprintf(head[2], sizeof head[2], "%" PRId64, rttl > 0 ? rttl : 1);
  PUT(head[2], strlen(head[2]));
  PUT(k->pack.p, k->pack.n);
  for (size_t i = 0; i < n; i++) {
    int64_t ttl = ch[i].window_end - now;
    snprintf(nums[i][0], 24, "%" PRId64, ch[i].limit);
    snprintf(nums[i][1], 24, "%" PRId64, ch[i].amount);
    snprintf(nums[i][2], 24, "%" PRId64, ttl > 0 ? ttl : 1);
    for (int j = 0; j < 3; j++) PUT(nums[i][j], strlen(nums[i][j]));
  }
#undef PUT
  redisReply *rep = srv_redis_eval(r, k, SRV_LUA_RESERVE, a, argv, len, err, errlen);
  if (!rep) return srv_redis_fallback(r, id, ch, n, now, expires_at, over, err, errlen);
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

SrvStoreResult srv_redis_settle_shared(SrvRedis *r, const SrvDecisionId *id, const SrvUsage *u, size_t nu, int64_t now,
                                       SrvSettled *out, size_t *nout, char *err, size_t errlen) {
  size_t max = *nout;
  *nout = 0;
  SrvRedisConn *k = srv_redis_conn(r, err, errlen);
  if (!k) return SRV_STORE_ERROR;
  enum { MAXARG = 10 + 2 * SRV_MAX_CHARGES * 2 };
  const char *argv[MAXARG];
  size_t len[MAXARG];
  char rkey[64], mkey[64], inbox[32], ttl[24], when[24], nums[SRV_MAX_CHARGES * 2][24];
  int a = 2;
  argv[a++] = "3";
  snprintf(rkey, sizeof rkey, "aigw:r:%s", id->text);
  argv[a++] = rkey;
  srv_redis_mirror_key(mkey, sizeof mkey, id);
  argv[a++] = mkey;
  snprintf(inbox, sizeof inbox, "aigw:i:%.16s", id->text);   /* the admitting process */
  argv[a++] = inbox;
  snprintf(ttl, sizeof ttl, "%d", SRV_INBOX_SECONDS);
  argv[a++] = ttl;
  argv[a++] = id->text;
  argv[a++] = id->text + 17;
  snprintf(when, sizeof when, "%" PRId64, now);
  argv[a++] = when;
  for (size_t i = 0; i < nu && i < SRV_MAX_CHARGES * 2; i++) {
    snprintf(nums[i], sizeof nums[i], "%" PRId64, u[i].amount);
    argv[a++] = u[i].name;
    argv[a++] = nums[i];
  }
  for (int i = 2; i < a; i++) len[i] = strlen(argv[i]);
  redisReply *rep = srv_redis_eval(r, k, SRV_LUA_SETTLE, a, argv, len, err, errlen);
  if (!rep) return SRV_STORE_ERROR;
  SrvStoreResult res;
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

/* A decision's reservation is in one place or two: this process (the local fallback
 * store, its leases) or Redis (exact, or the mirror of another replica's lease). */
static SrvStoreResult rd_settle(SrvStore *st, const SrvDecisionId *id, const SrvUsage *u, size_t nu, int64_t now,
                                SrvSettled *out, size_t *nout, char *err, size_t errlen) {
  SrvRedis *r = (SrvRedis *)st;
  size_t max = *nout, n1 = max;
  SrvStoreResult res = r->local->ops->settle(r->local, id, u, nu, now, out, &n1, err, errlen);
  if (res == SRV_STORE_UNKNOWN) n1 = 0;
  if (r->leases) {
    size_t n2 = max - n1;
    int closed;
    SrvStoreResult lr = srv_lease_settle(r->leases, id, srv_mono_ns(), u, nu, NULL, 0, out + n1, &n2, &closed);
    if (lr == SRV_STORE_OK) { *nout = n1 + n2; return SRV_STORE_OK; }
    /* settled here already: its mirror may not be deleted yet, so Redis is not asked */
    if (closed) { *nout = n1; return res; }
  }
  if (res != SRV_STORE_UNKNOWN) { *nout = n1; return res; }
  *nout = max;
  return srv_redis_settle_shared(r, id, u, nu, now, out, nout, err, errlen);
}

/* Redis expires counters and reservations itself; the local fallback sweeps its own. */
static void rd_sweep(SrvStore *st, int64_t now) {
  SrvRedis *r = (SrvRedis *)st;
  r->local->ops->sweep(r->local, now);
  if (r->leases) srv_lease_sweep(r->leases, now, srv_mono_ns(), (uint64_t)r->o.lease_idle_ms * 1000000u);
}

/* /metrics lists the counters this process holds: those kept locally while Redis was
 * unreachable (Redis's own are read with redis-cli, not scanned on every scrape). */
static void rd_each(SrvStore *st, size_t max, srv_counter_fn fn, void *ud) {
  SrvRedis *r = (SrvRedis *)st;
  r->local->ops->each(r->local, max, fn, ud);
}

static void rd_stats(SrvStore *st, SrvStoreStats *out) {
  SrvRedis *r = (SrvRedis *)st;
  r->local->ops->stats(r->local, out);
  /* admitted through Redis by this process and not settled here (an estimate: an
   * expired reservation is not seen) */
  out->reservations += atomic_load(&r->live);
  if (r->leases) {
    SrvLeaseStats ls;
    srv_lease_stats(r->leases, &ls);
    out->reservations += ls.reservations;
    out->expired += ls.expired;
    out->evicted += ls.evicted;
  }
}

static void rd_health(SrvStore *st, SrvStoreHealth *h) {
  SrvRedis *r = (SrvRedis *)st;
  memset(h, 0, sizeof *h);
  snprintf(h->where, sizeof h->where, "redis://%s:%d/%d", r->host, r->port, r->db);
  h->shared = 1;
  h->reachable = atomic_load(&r->reachable);
  h->errors = atomic_load(&r->errors);
  h->connects = atomic_load(&r->reconnects);
  for (int i = 0; i < 3; i++) h->fallback[i] = atomic_load(&r->fallback[i]);
  if (r->leases) {
    SrvLeaseStats ls;
    srv_lease_stats(r->leases, &ls);
    h->leasing = 1;
    h->leases = ls.holding;
    h->lease_blocks = ls.blocks;
    h->lease_returns = ls.returns;
    h->mirrors_dropped = atomic_load(&r->mirror_dropped);
  }
  pthread_mutex_lock(&r->err_mu);
  snprintf(h->last_error, sizeof h->last_error, "%s", r->last_error);
  pthread_mutex_unlock(&r->err_mu);
}

static void rd_close(SrvStore *st) {
  SrvRedis *r = (SrvRedis *)st;
  if (r->leases) srv_redis_lease_stop(r);
  conn_free(pthread_getspecific(r->key));
  pthread_setspecific(r->key, NULL);
  pthread_key_delete(r->key);
  pthread_mutex_destroy(&r->err_mu);
  r->local->ops->close(r->local);
  srv_lease_free(r->leases);
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

SrvStore *srv_store_redis_new(const char *url, const SrvRedisOptions *o, char *err, size_t errlen) {
  char host[256];
  int port, db;
  if (srv_store_redis_parse(url, host, sizeof host, &port, &db)) {
    snprintf(err, errlen, "--budget-store: '%s' is not redis://HOST:PORT[/DB] (DB 0 to 15)", url);
    return NULL;
  }
  SrvRedis *r = calloc(1, sizeof *r);
  if (!r) { snprintf(err, errlen, "out of memory"); return NULL; }
  r->base.ops = &redis_ops;
  r->host = strdup(host);
  r->port = port;
  r->db = db;
  r->o = *o;
  if (!r->o.timeout_ms) r->o.timeout_ms = 1;
  r->local = srv_store_mem_new(o->max_counters, o->max_reservations);
  if (o->lease_percent) r->leases = srv_lease_new(o->max_counters, o->max_reservations);
  if (!r->host || !r->local || (o->lease_percent && !r->leases) || pthread_key_create(&r->key, conn_free)) {
    if (r->local) r->local->ops->close(r->local);
    srv_lease_free(r->leases);
    free(r->host);
    free(r);
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&r->err_mu, NULL);
  /* a first connection, so that /ready tells at once whether Redis answers; a server
   * that is down now is not fatal (the budgets' on_store_error covers it) */
  char e[300];
  if (srv_redis_conn(r, e, sizeof e)) snprintf(r->last_error, sizeof r->last_error, "%s", "");
  else fprintf(stderr, "aigwc serve: %s (retrying; budgets follow their on_store_error)\n", e);
  if (r->leases && srv_redis_lease_start(r, err, errlen)) {
    rd_close(&r->base);
    return NULL;
  }
  return &r->base;
}
