/* Leases in Redis (budget_store.lease_percent): a replica takes a block of a counter's
 * remaining room with one script call, admits requests out of it with no call at all
 * (srv_lease.c keeps the books), and gives back what it did not use.
 *
 * Taking a block (ACQUIRE) is all or none over a decision's charges, like the exact
 * reserve: a block is at most the charge's want (lease_percent of the limit) and at most
 * an eighth of the room left, and at least the charge itself, so near the limit blocks
 * shrink to the exact reservation, and no block is ever more than the room left.
 *
 * One thread per process does the rest, off the request path, in one script call per
 * tick (TICK):
 *   mirrors   each new reservation, as the time it expires and its charges (each as
 *             srv_redis_pack, with an empty counter), goes into a hash of this process,
 *             aigw:m:<boot>:<seq / 65536> (field: the seq half of the id), one HSET per
 *             hash per tick: a settle at another replica finds it there and forwards
 *             the usage to aigw:i:<boot>, this process's inbox
 *   inbox     forwarded settles are read and applied to the leases, as a local settle
 *   returns   a lease idle for lease_idle_ms gives its unused room back (subtracted from
 *             the counter, never below 0, and only while the window's counter exists), and usage settled
 *             above what was held is charged
 * At shutdown every lease gives back its unused room. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "srv_redis.h"

enum { TICK_MS = 10, POLL_MS = 50, PER_CALL = 1024 };

/* KEYS: counters. ARGV: limit, amount, want, TTL for each. The index of the first charge
 * whose amount does not fit (nothing taken), else the block taken for each. */
const char SRV_LUA_ACQUIRE_TEXT[] =
  "local got, cur = {}, {}\n"
  "for i = 1, #KEYS do\n"
  "  local a = (i - 1) * 4\n"
  "  local amount, want = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])\n"
  "  cur[i] = redis.call('GET', KEYS[i])\n"
  "  local room = tonumber(ARGV[a + 1]) - tonumber(cur[i] or '0')\n"
  "  if amount > room then return i end\n"
  "  local b = math.floor(room / 8)\n"
  "  if b > want then b = want end\n"
  "  if b < amount then b = amount end\n"
  "  got[i] = b\n"
  "end\n"
  "for i = 1, #KEYS do\n"
  "  redis.call('INCRBY', KEYS[i], got[i])\n"
  "  if not cur[i] then redis.call('EXPIRE', KEYS[i], ARGV[(i - 1) * 4 + 4]) end\n"
  "end\n"
  "return got\n";

/* KEYS: this process's inbox, then ng mirror hashes, nd hashes to delete from, nr
 * counters. ARGV: ng, nd, nr, the mirrors' TTL, then for each hash its number of mirrors
 * and their field, packed charges pairs; a field for each deletion; the delta of each
 * counter. Returns the inbox: decision id, usages (space-separated), for each settle. */
const char SRV_LUA_TICK_TEXT[] =
  "local ng, nd, nr = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
  "local k, a = 2, 5\n"
  "for i = 1, ng do\n"
  "  local n = tonumber(ARGV[a])\n"
  "  redis.call('HSET', KEYS[k], unpack(ARGV, a + 1, a + 2 * n))\n"
  "  redis.call('EXPIRE', KEYS[k], ARGV[4])\n"
  "  k = k + 1; a = a + 1 + 2 * n\n"
  "end\n"
  "for i = 1, nd do redis.call('HDEL', KEYS[k], ARGV[a]); k = k + 1; a = a + 1 end\n"
  "for i = 1, nr do\n"
  "  if redis.call('EXISTS', KEYS[k]) == 1 and redis.call('INCRBY', KEYS[k], ARGV[a]) < 0 then\n"
  "    redis.call('SET', KEYS[k], 0, 'KEEPTTL')\n"
  "  end\n"
  "  k = k + 1; a = a + 1\n"
  "end\n"
  "local r = redis.call('LRANGE', KEYS[1], 0, -1)\n"
  "if #r > 0 then redis.call('DEL', KEYS[1]) end\n"
  "return r\n";

int srv_redis_leased(SrvRedis *r, const SrvCharge *ch, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (r->o.lease_percent(r->o.ud, ch[i].budget) <= 0) return 0;
  return 1;
}

/* Takes a block for every charge with need set, all or none: OK (block[i]), OVER (*over),
 * or ERROR (why in err). */
static SrvStoreResult acquire(SrvRedis *r, const SrvCharge *ch, size_t n, const int *need, int64_t now,
                              int64_t *block, size_t *over, char *err, size_t errlen) {
  SrvRedisConn *k = srv_redis_conn(r, err, errlen);
  if (!k) return SRV_STORE_ERROR;
  enum { MAXARG = 3 + SRV_MAX_CHARGES * 5 };
  const char *argv[MAXARG];
  size_t len[MAXARG], idx[SRV_MAX_CHARGES], nk = 0;
  char keys[SRV_MAX_CHARGES][512], nums[SRV_MAX_CHARGES][4][24], head[24];
  for (size_t i = 0; i < n; i++) if (need[i]) idx[nk++] = i;
  int a = 2;
  snprintf(head, sizeof head, "%zu", nk);
  argv[a] = head, len[a] = strlen(head), a++;
  for (size_t j = 0; j < nk; j++) {
    const SrvCharge *c = &ch[idx[j]];
    srv_redis_counter_key(keys[j], sizeof keys[j], c->budget, c->window_start, c->key, c->key_len, &len[a]);
    argv[a++] = keys[j];
  }
  for (size_t j = 0; j < nk; j++) {
    const SrvCharge *c = &ch[idx[j]];
    int64_t ttl = c->window_end - now;
    snprintf(nums[j][0], 24, "%" PRId64, c->limit);
    snprintf(nums[j][1], 24, "%" PRId64, c->amount);
    snprintf(nums[j][2], 24, "%" PRId64, srv_lease_want(c->limit, c->amount, r->o.lease_percent(r->o.ud, c->budget)));
    snprintf(nums[j][3], 24, "%" PRId64, ttl > 0 ? ttl : 1);
    for (int x = 0; x < 4; x++) argv[a] = nums[j][x], len[a] = strlen(nums[j][x]), a++;
  }
  redisReply *rep = srv_redis_eval(r, k, SRV_LUA_ACQUIRE, a, argv, len, err, errlen);
  if (!rep) return SRV_STORE_ERROR;
  SrvStoreResult res = SRV_STORE_OK;
  if (rep->type == REDIS_REPLY_INTEGER && rep->integer >= 1 && (size_t)rep->integer <= nk) {
    *over = idx[rep->integer - 1];
    res = SRV_STORE_OVER;
  } else if (rep->type == REDIS_REPLY_ARRAY && rep->elements == nk) {
    for (size_t j = 0; j < nk; j++) block[idx[j]] = rep->element[j]->integer;
  } else {
    /* not a reserve's answer: whatever it took stays taken (lost room, never extra) */
    snprintf(err, errlen, "budget store: unexpected answer to the lease script");
    res = SRV_STORE_ERROR;
  }
  freeReplyObject(rep);
  return res;
}

SrvStoreResult srv_redis_lease_reserve(SrvRedis *r, const SrvDecisionId *id, const SrvCharge *ch, size_t n, int64_t now,
                                       int64_t expires_at, size_t *over, char *err, size_t errlen) {
  SrvLeases *L = r->leases;
  SrvLease *slot[SRV_MAX_CHARGES];
  int need[SRV_MAX_CHARGES];
  uint64_t t = srv_mono_ns();
  if (srv_lease_take(L, ch, n, t, slot, need)) {
    snprintf(err, errlen, "budget leases full (limit is %zu counters)", r->o.max_counters);
    return SRV_STORE_ERROR;
  }
  size_t nn = 0;
  for (size_t i = 0; i < n; i++) nn += (size_t)need[i];
  if (nn) {
    int64_t block[SRV_MAX_CHARGES];
    size_t o = 0;
    SrvStoreResult res = acquire(r, ch, n, need, now, block, &o, err, errlen);
    if (res == SRV_STORE_ERROR) {
      /* Redis failed: what blocks cover is admitted (it was counted when taken); the
       * other charges follow their budget's on_store_error */
      SrvCharge rest[SRV_MAX_CHARGES];
      size_t idx[SRV_MAX_CHARGES], nr = 0;
      for (size_t i = 0; i < n; i++) if (need[i]) { idx[nr] = i; rest[nr++] = ch[i]; }
      res = srv_redis_fallback(r, id, rest, nr, now, expires_at, &o, err, errlen);
      if (res == SRV_STORE_OVER) o = idx[o];
      if (res == SRV_STORE_OK)
        for (size_t i = 0; i < n; i++) if (need[i]) { srv_lease_untake(L, slot[i], &ch[i], 0); slot[i] = NULL; }
    } else if (res == SRV_STORE_OK) {
      for (size_t i = 0; i < n; i++) if (need[i]) srv_lease_grant(L, slot[i], &ch[i], block[i], t);
    }
    if (res != SRV_STORE_OK) {
      for (size_t i = 0; i < n; i++) srv_lease_untake(L, slot[i], &ch[i], need[i] ? 0 : ch[i].amount);
      if (res == SRV_STORE_OVER) *over = o;
      return res;
    }
  }
  srv_lease_record(L, id, slot, ch, n, now, expires_at);
  return SRV_STORE_OK;
}

/* ---- the tick: one call with everything queued ---- */

/* Arguments built in one buffer (which moves as it grows: offsets until the call). */
typedef struct Args { Buf b; size_t *off, *len, n, cap; } Args;

static void arg(Args *a, const char *s, size_t n) {
  if (a->n == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 256;
    a->off = xrealloc(a->off, a->cap * sizeof *a->off);
    a->len = xrealloc(a->len, a->cap * sizeof *a->len);
  }
  a->off[a->n] = a->b.n;
  a->len[a->n++] = n;
  buf_put(&a->b, s, n);
}

static void argf(Args *a, const char *fmt, int64_t v) {
  char s[32];
  int n = snprintf(s, sizeof s, fmt, v);
  arg(a, s, (size_t)n);
}

void srv_redis_mirror_key(char *out, size_t cap, const SrvDecisionId *id) {
  snprintf(out, cap, "aigw:m:%.16s:%" PRIx64, id->text, id->seq >> 16);
}

/* What one tick sends, in the order queued: each mirror's hash and its field and value;
 * each deletion's hash and field; each due lease's counter and delta. */
/* One tick's scratch, kept by the thread from one tick to the next (it runs every
 * TICK_MS, mostly with nothing to do): only its counts start again. */
typedef struct Tick {
  Args mirrors, dels, dues;       /* field, value / hash, field / counter, delta */
  uint64_t bucket[PER_CALL];
  size_t nm;
  int64_t ttl;
  Buf pack;
  SrvLeaseDue due[PER_CALL];
} Tick;

static void mirror(void *ud, const SrvDecisionId *id, int64_t expires_at, int64_t ttl, const SrvLeaseItem *it,
                   size_t n) {
  Tick *t = ud;
  t->bucket[t->nm++] = id->seq >> 16;
  arg(&t->mirrors, id->text + 17, 16);
  t->pack.n = 0;
  srv_redis_pack_num(&t->pack, expires_at);
  for (size_t i = 0; i < n; i++)
    srv_redis_pack(&t->pack, "", 0, it[i].amount, it[i].budget, it[i].unit, it[i].key, it[i].key_len);
  arg(&t->mirrors, t->pack.p, t->pack.n);
  if (ttl > t->ttl) t->ttl = ttl;
}

static void args_free(Args *a) {
  xfree(a->off);
  xfree(a->len);
  buf_free(&a->b);
}

/* Forwarded settles: id, then one usage per charge, space-separated. */
static void apply_inbox(SrvRedis *r, const redisReply *rep, uint64_t now_ns) {
  for (size_t i = 0; i + 1 < rep->elements; i += 2) {
    const redisReply *idr = rep->element[i], *ur = rep->element[i + 1];
    SrvDecisionId id;
    if (idr->type != REDIS_REPLY_STRING || ur->type != REDIS_REPLY_STRING || srv_id_parse(idr->str, idr->len, &id))
      continue;
    int64_t used[SRV_MAX_CHARGES];
    size_t nu = 0;
    char text[SRV_MAX_CHARGES * 24];
    snprintf(text, sizeof text, "%.*s", (int)ur->len, ur->str);
    for (char *p = text, *end; *p && nu < SRV_MAX_CHARGES; p = end) {
      long long v = strtoll(p, &end, 10);
      if (end == p) break;
      used[nu++] = v < 0 ? 0 : v;
    }
    SrvSettled out[1];
    size_t nout = 0;
    int closed;
    srv_lease_settle(r->leases, &id, now_ns, NULL, 0, used, nu, out, &nout, &closed);
  }
}

/* Milliseconds since the inbox was last read, and since leases were last scanned. */
typedef struct Clock { unsigned polled, scanned; } Clock;

/* One call: mirrors, deletions, returns (all: every unused block, at shutdown), inbox. */
static void tick(SrvRedis *r, int all, Clock *ck, Tick *t) {
  SrvLeases *L = r->leases;
  uint64_t now_ns = srv_mono_ns(), idle_ns = (uint64_t)r->o.lease_idle_ms * 1000000u;
  t->nm = 0; t->ttl = 0;
  t->mirrors.n = t->mirrors.b.n = t->dels.n = t->dels.b.n = t->dues.n = t->dues.b.n = 0;
  SrvLeaseDue *due = t->due;
  size_t nm = srv_lease_mirrors(L, PER_CALL, mirror, t);
  uint64_t seq[PER_CALL];
  size_t nd = srv_lease_unmirrors(L, seq, PER_CALL);
  for (size_t i = 0; i < nd; i++) {
    SrvDecisionId id = {r->o.boot, seq[i], ""};
    char key[64];
    srv_id_format(&id);
    srv_redis_mirror_key(key, sizeof key, &id);
    arg(&t->dels, key, strlen(key));
    arg(&t->dels, id.text + 17, 16);
  }
  /* windows are not checked here (the clock may be fixed by --now): a return to a
   * counter whose window ended finds no key and does nothing */
  size_t nr = 0;
  if (all || ck->scanned >= r->o.lease_idle_ms / 4) {   /* a scan of every lease: not every tick */
    nr = srv_lease_due(L, INT64_MIN, now_ns, idle_ns, all, due, PER_CALL);
    ck->scanned = 0;
  }
  for (size_t i = 0; i < nr; i++) {
    char key[512];
    size_t kl;
    const SrvLease *l = due[i].l;
    srv_redis_counter_key(key, sizeof key, l->k.budget, l->k.window_start, l->k.key, l->k.klen, &kl);
    arg(&t->dues, key, kl);
    argf(&t->dues, "%" PRId64, due[i].delta);
  }
  int applied = 1;
  if (nm + nd + nr || ck->polled >= POLL_MS || all) {
    ck->polled = 0;
    /* the mirrors' hashes: one per run of the same hash */
    size_t ng = 0, group[PER_CALL];
    for (size_t i = 0; i < nm; i++) {
      if (!i || t->bucket[i] != t->bucket[i - 1]) group[ng++] = 0;
      group[ng - 1]++;
    }
    Args call = {0};
    const Args *m = &t->mirrors, *d = &t->dels, *c = &t->dues;
#define FROM(x, i) ((x)->b.p + (x)->off[i]), (x)->len[i]
    arg(&call, "", 0);            /* EVALSHA and the sha: srv_redis_eval sets them */
    arg(&call, "", 0);
    argf(&call, "%" PRId64, (int64_t)(1 + ng + nd + nr));
    arg(&call, r->inbox, strlen(r->inbox));
    for (size_t g = 0, i = 0; g < ng; i += group[g++]) {
      char key[64];
      SrvDecisionId id = {r->o.boot, t->bucket[i] << 16, ""};
      srv_id_format(&id);
      srv_redis_mirror_key(key, sizeof key, &id);
      arg(&call, key, strlen(key));
    }
    for (size_t i = 0; i < nd; i++) arg(&call, FROM(d, 2 * i));
    for (size_t i = 0; i < nr; i++) arg(&call, FROM(c, 2 * i));
    argf(&call, "%" PRId64, (int64_t)ng);
    argf(&call, "%" PRId64, (int64_t)nd);
    argf(&call, "%" PRId64, (int64_t)nr);
    argf(&call, "%" PRId64, t->ttl > 0 ? t->ttl : 1);
    for (size_t g = 0, i = 0; g < ng; g++) {
      argf(&call, "%" PRId64, (int64_t)group[g]);
      for (size_t e = i + group[g]; i < e; i++) { arg(&call, FROM(m, 2 * i)); arg(&call, FROM(m, 2 * i + 1)); }
    }
    for (size_t i = 0; i < nd; i++) arg(&call, FROM(d, 2 * i + 1));
    for (size_t i = 0; i < nr; i++) arg(&call, FROM(c, 2 * i + 1));
#undef FROM
    const char **argv = xcalloc(call.n, sizeof *argv);
    for (size_t i = 0; i < call.n; i++) argv[i] = call.b.p + call.off[i];
    char err[300];
    SrvRedisConn *k = srv_redis_conn(r, err, sizeof err);
    redisReply *rep = k ? srv_redis_eval(r, k, SRV_LUA_TICK, (int)call.n, argv, call.len, err, sizeof err) : NULL;
    if (rep) {
      if (rep->type == REDIS_REPLY_ARRAY) apply_inbox(r, rep, now_ns);
      freeReplyObject(rep);
    } else {
      applied = k ? -1 : 0;
      /* a mirror not written: that decision is settled only here */
      atomic_fetch_add(&r->mirror_dropped, nm);
    }
    xfree(argv);
    args_free(&call);
  }
  srv_lease_done(L, due, nr, applied);
}

static void *tick_main(void *ud) {
  SrvRedis *r = ud;
  Clock ck = {POLL_MS, 0};
  Tick *t = xcalloc(1, sizeof *t);
  pthread_mutex_lock(&r->tick_mu);
  while (!r->tick_stop) {
    pthread_mutex_unlock(&r->tick_mu);
    tick(r, 0, &ck, t);
    ck.polled += TICK_MS;
    ck.scanned += TICK_MS;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += TICK_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&r->tick_mu);
    if (!r->tick_stop) pthread_cond_timedwait(&r->tick_cv, &r->tick_mu, &ts);
  }
  pthread_mutex_unlock(&r->tick_mu);
  /* shutdown: every block's unused room goes back, in as many calls as it takes */
  SrvLeaseStats before, after;
  do {
    srv_lease_stats(r->leases, &before);
    tick(r, 1, &ck, t);
    srv_lease_stats(r->leases, &after);
  } while (after.returns - before.returns >= PER_CALL);
  args_free(&t->mirrors);
  args_free(&t->dels);
  args_free(&t->dues);
  buf_free(&t->pack);
  xfree(t);
  return NULL;
}

int srv_redis_lease_start(SrvRedis *r, char *err, size_t errlen) {
  snprintf(r->inbox, sizeof r->inbox, "aigw:i:%016" PRIx64, r->o.boot);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&r->tick_cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&r->tick_mu, NULL);
  if (pthread_create(&r->tick, NULL, tick_main, r)) {
    snprintf(err, errlen, "budget store: cannot start the lease thread");
    return -1;
  }
  r->tick_started = 1;
  return 0;
}

void srv_redis_lease_stop(SrvRedis *r) {
  if (!r->tick_started) return;
  pthread_mutex_lock(&r->tick_mu);
  r->tick_stop = 1;
  pthread_cond_signal(&r->tick_cv);
  pthread_mutex_unlock(&r->tick_mu);
  pthread_join(r->tick, NULL);
  r->tick_started = 0;
  pthread_cond_destroy(&r->tick_cv);
  pthread_mutex_destroy(&r->tick_mu);
}
