/* The reservation ring both budget stores hold their reservations in (srv_ring.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_ring.h"

int srv_ring_init(SrvRing *g, SrvKeyTab *tab, size_t n) {
  g->tab = tab;
  g->n = n ? n : 1;
  /* calloc'd pages are touched only as the ring fills: memory follows use */
  g->slot = calloc(g->n, sizeof *g->slot);
  for (int i = 0; i < SRV_RING_LOCKS; i++) pthread_mutex_init(&g->mu[i], NULL);
  atomic_init(&g->live, 0);
  atomic_init(&g->expired, 0);
  atomic_init(&g->evicted, 0);
  return g->slot ? 0 : -1;
}

void srv_ring_fini(SrvRing *g) {
  for (int i = 0; i < SRV_RING_LOCKS; i++) pthread_mutex_destroy(&g->mu[i]);
  free(g->slot);
}

SrvResv *srv_ring_lock(SrvRing *g, uint64_t seq) {
  size_t k = seq % g->n;
  pthread_mutex_lock(&g->mu[k % SRV_RING_LOCKS]);
  return &g->slot[k];
}

void srv_ring_unlock(SrvRing *g, const SrvResv *r) {
  pthread_mutex_unlock(&g->mu[(size_t)(r - g->slot) % SRV_RING_LOCKS]);
}

/* Under the slot's lock: every item stays charged at its reserved amount. */
static void close_reserved(SrvRing *g, SrvResv *r) {
  for (uint32_t j = 0; j < r->n; j++) srv_keytab_give(g->tab, r->items[j].e, r->items[j].window_start, 0, 0);
  r->live = 0;
}

void srv_ring_put(SrvRing *g, const SrvDecisionId *id, int64_t now, int64_t expires_at, const SrvRingItem *it,
                  uint32_t n) {
  SrvResv *r = srv_ring_lock(g, id->seq);
  if (r->live) {                  /* the ring came round: close the old one as reserved */
    close_reserved(g, r);
    atomic_fetch_add(&g->evicted, 1);
  } else atomic_fetch_add(&g->live, 1);
  r->boot = id->boot;
  r->seq = id->seq;
  r->expires_at = expires_at;
  r->ttl = expires_at > now ? expires_at - now : 1;
  r->n = n;
  memcpy(r->items, it, n * sizeof *it);
  r->live = 1;
  r->mirrored = 0;
  srv_ring_unlock(g, r);
}

SrvStoreResult srv_ring_settle(SrvRing *g, const SrvDecisionId *id, uint64_t now_ns, const SrvUsage *u, size_t nu,
                               const int64_t *usedv, size_t nused, SrvSettled *out, size_t *nout, int *closed,
                               int *mirrored) {
  size_t max = *nout;
  *nout = 0;
  *closed = *mirrored = 0;
  SrvResv *r = srv_ring_lock(g, id->seq);
  if (r->seq != id->seq || r->boot != id->boot || !r->live) {
    *closed = r->seq == id->seq && r->boot == id->boot;
    srv_ring_unlock(g, r);
    return SRV_STORE_UNKNOWN;
  }
  for (uint32_t j = 0; j < r->n; j++) {
    const SrvRingItem *it = &r->items[j];
    int64_t used = usedv ? (j < nused ? usedv[j] : it->amount) : srv_usage_for(u, nu, it->e->budget, it->e->unit);
    if (used < 0) used = it->amount;
    if (*nout < max) {
      SrvSettled *o = &out[(*nout)++];
      snprintf(o->budget, sizeof o->budget, "%s", it->e->budget);
      snprintf(o->key, sizeof o->key, "%.*s", (int)it->e->klen, it->e->key);
      o->reserved = it->amount;
      o->used = used;
    }
    srv_keytab_give(g->tab, it->e, it->window_start, used - it->amount, now_ns);
  }
  r->live = 0;
  atomic_fetch_sub(&g->live, 1);
  *mirrored = r->mirrored;
  srv_ring_unlock(g, r);
  return SRV_STORE_OK;
}

void srv_ring_sweep(SrvRing *g, int64_t now) {
  for (size_t k = 0; k < g->n; k++) {
    SrvResv *r = srv_ring_lock(g, k);
    if (r->live && r->expires_at <= now) {
      close_reserved(g, r);
      atomic_fetch_sub(&g->live, 1);
      atomic_fetch_add(&g->expired, 1);
    }
    srv_ring_unlock(g, r);
  }
}
