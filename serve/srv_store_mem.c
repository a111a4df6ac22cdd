/* The in-process budget store (srv_store.h): counters in the striped table of keyed
 * counters (srv_keytab.h), each a bare SrvKeyEnt, and reservations in the ring
 * (srv_ring.h), both shared with the leases of the Redis store.
 *
 * A reservation checks and adds under its counter's stripe lock, so no two requests
 * can both see room for the last tokens: admitted reservations never pass a limit.
 * A decision charging several budgets reserves them one by one and gives back what it
 * took when one does not fit: all or none, and the give-back can only refuse a racing
 * request early, never admit one too many.
 *
 * The ring holds max_reservations outstanding reservations; one still held when the
 * ring comes round is closed at its reserved amount (counted as evicted). Counters are
 * allocated on the first request for a (budget, key) and freed by the sweep once their
 * window is over and no reservation points at them. Lock order: ring slot, then stripe. */
#include <stdio.h>
#include <stdlib.h>
#include "srv_ring.h"

enum { STRIPE_BUCKETS0 = 256 };

typedef struct MemStore {
  SrvStore base;
  SrvKeyTab tab;
  SrvRing ring;
} MemStore;

static SrvStoreResult mem_reserve(SrvStore *st, const SrvDecisionId *id, const SrvCharge *ch, size_t n,
                                  int64_t now, int64_t expires_at, size_t *over, char *err, size_t errlen) {
  MemStore *m = (MemStore *)st;
  if (n > SRV_MAX_CHARGES) {
    snprintf(err, errlen, "a decision charges %zu budgets (limit is %d)", n, SRV_MAX_CHARGES);
    return SRV_STORE_ERROR;
  }
  if (!n) return SRV_STORE_OK;
  SrvRingItem items[SRV_MAX_CHARGES];
  SrvStoreResult res = SRV_STORE_OK;
  size_t i;
  for (i = 0; i < n; i++) {
    SrvKeyEnt *c = srv_keytab_get(&m->tab, &ch[i]);
    if (!c) {
      snprintf(err, errlen, "budget counters full (limit is %zu)", m->tab.max);
      res = SRV_STORE_ERROR;
      break;
    }
    srv_keytab_roll(c, &ch[i]);
    c->limit = ch[i].limit;
    if (ch[i].amount > c->limit - c->used) {
      srv_keytab_unlock(&m->tab, c);
      *over = i;
      res = SRV_STORE_OVER;
      break;
    }
    c->used += ch[i].amount;
    c->pins++;
    items[i] = (SrvRingItem){c, ch[i].amount, c->window_start};
    srv_keytab_unlock(&m->tab, c);
  }
  if (res != SRV_STORE_OK) {
    while (i--) srv_keytab_give(&m->tab, items[i].e, items[i].window_start, -items[i].amount, 0);
    return res;
  }
  srv_ring_put(&m->ring, id, now, expires_at, items, (uint32_t)n);
  return SRV_STORE_OK;
}

static SrvStoreResult mem_settle(SrvStore *st, const SrvDecisionId *id, const SrvUsage *u, size_t nu,
                                 int64_t now, SrvSettled *out, size_t *nout, char *err, size_t errlen) {
  MemStore *m = (MemStore *)st;
  int closed, mirrored;
  (void)now; (void)err; (void)errlen;
  return srv_ring_settle(&m->ring, id, 0, u, nu, NULL, 0, out, nout, &closed, &mirrored);
}

static int window_over(void *ud, const SrvKeyEnt *c) { return c->window_end <= *(const int64_t *)ud; }

static void mem_sweep(SrvStore *st, int64_t now) {
  MemStore *m = (MemStore *)st;
  srv_ring_sweep(&m->ring, now);
  srv_keytab_sweep(&m->tab, window_over, &now);
}

typedef struct Each { size_t n, max; srv_counter_fn fn; void *ud; } Each;

static int each_one(void *ud, SrvKeyEnt *c) {
  Each *a = ud;
  a->fn(a->ud, c->budget, c->unit, c->key, c->klen, c->used, c->limit, c->window_end);
  return ++a->n >= a->max;
}

static void mem_each(SrvStore *st, size_t max, srv_counter_fn fn, void *ud) {
  MemStore *m = (MemStore *)st;
  Each a = {0, max, fn, ud};
  if (max) srv_keytab_each(&m->tab, each_one, &a);
}

static void mem_stats(SrvStore *st, SrvStoreStats *out) {
  MemStore *m = (MemStore *)st;
  out->counters = atomic_load(&m->tab.n);
  out->reservations = atomic_load(&m->ring.live);
  out->expired = atomic_load(&m->ring.expired);
  out->evicted = atomic_load(&m->ring.evicted);
}

static void mem_close(SrvStore *st) {
  MemStore *m = (MemStore *)st;
  srv_ring_fini(&m->ring);
  srv_keytab_fini(&m->tab);
  free(m);
}

static const SrvStoreOps mem_ops = {mem_reserve, mem_settle, mem_sweep, mem_each, mem_stats, mem_close, NULL};

SrvStore *srv_store_mem_new(size_t max_counters, size_t max_reservations) {
  MemStore *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->base.ops = &mem_ops;
  int ok = srv_keytab_init(&m->tab, sizeof(SrvKeyEnt), max_counters, STRIPE_BUCKETS0) == 0;
  ok &= srv_ring_init(&m->ring, &m->tab, max_reservations) == 0;
  if (!ok) { mem_close(&m->base); return NULL; }
  return &m->base;
}
