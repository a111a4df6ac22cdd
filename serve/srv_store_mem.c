/* The in-process budget store (srv_store.h): counters in a hash table split into
 * stripes, each with its own mutex, and reservations in a fixed ring.
 *
 * A reservation checks and adds under its counter's stripe lock, so no two requests
 * can both see room for the last tokens: admitted reservations never pass a limit.
 * A decision charging several budgets reserves them one by one and gives back what it
 * took when one does not fit: all or none, and the give-back can only refuse a racing
 * request early, never admit one too many.
 *
 * The ring holds max_reservations outstanding reservations, slot = sequence mod size,
 * so a reservation needs no allocation and settle finds it without a search. When the
 * ring comes round to a slot still held, the old reservation is closed at its reserved
 * amount, as if it had expired (counted as evicted). Counters are allocated on the
 * first request for a (budget, key) and freed by the sweep once their window is over
 * and no reservation points at them. Lock order: ring slot, then stripe. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_store.h"

enum { STRIPES = 64, RING_LOCKS = 64, STRIPE_BUCKETS0 = 256 };

typedef struct Counter {
  struct Counter *next;
  uint64_t hash;
  int64_t window_start, window_end, used, limit;
  int pins;                       /* reservations pointing here */
  size_t blen, klen;
  char *budget, *unit, *key;      /* into data */
  char data[];
} Counter;

typedef struct Stripe { pthread_mutex_t mu; Counter **b; size_t nb, n; } Stripe;
typedef struct Item { Counter *c; int64_t amount, window_start; } Item;
typedef struct Resv {
  uint64_t boot, seq;
  int64_t expires_at;
  uint32_t n, live;
  Item items[SRV_MAX_CHARGES];
} Resv;

typedef struct MemStore {
  SrvStore base;
  Stripe stripes[STRIPES];
  pthread_mutex_t ring_mu[RING_LOCKS];
  Resv *ring;
  size_t nring, max_counters;
  atomic_ullong counters, live, expired, evicted;
} MemStore;

static uint64_t hash_of(const char *budget, const char *key, size_t klen) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char *p = budget; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
  h = (h ^ 0) * 0x100000001b3ull;
  for (size_t i = 0; i < klen; i++) h = (h ^ (uint8_t)key[i]) * 0x100000001b3ull;
  return h ^ h >> 29;
}

static Stripe *stripe_of(MemStore *m, uint64_t h) { return &m->stripes[h % STRIPES]; }

static void stripe_grow(Stripe *s) {
  size_t nb = s->nb * 2;
  Counter **b = calloc(nb, sizeof *b);
  if (!b) return;                 /* longer chains, still correct */
  for (size_t i = 0; i < s->nb; i++)
    for (Counter *c = s->b[i], *next; c; c = next) {
      next = c->next;
      size_t k = (c->hash / STRIPES) % nb;
      c->next = b[k];
      b[k] = c;
    }
  free(s->b);
  s->b = b;
  s->nb = nb;
}

/* Under the stripe's lock. */
static Counter *find_or_add(MemStore *m, Stripe *s, uint64_t h, const SrvCharge *ch) {
  size_t blen = strlen(ch->budget);
  Counter **slot = &s->b[(h / STRIPES) % s->nb];
  for (Counter *c = *slot; c; c = c->next)
    if (c->hash == h && c->blen == blen && c->klen == ch->key_len && !memcmp(c->budget, ch->budget, blen) &&
        !memcmp(c->key, ch->key, ch->key_len))
      return c;
  if (atomic_fetch_add(&m->counters, 1) >= m->max_counters) {
    atomic_fetch_sub(&m->counters, 1);
    return NULL;
  }
  size_t ulen = strlen(ch->unit);
  Counter *c = malloc(sizeof *c + blen + ulen + ch->key_len + 3);
  if (!c) { atomic_fetch_sub(&m->counters, 1); return NULL; }
  memset(c, 0, sizeof *c);
  c->hash = h;
  c->blen = blen;
  c->klen = ch->key_len;
  c->budget = c->data;
  memcpy(c->budget, ch->budget, blen + 1);
  c->unit = c->budget + blen + 1;
  memcpy(c->unit, ch->unit, ulen + 1);
  c->key = c->unit + ulen + 1;
  memcpy(c->key, ch->key, ch->key_len);
  c->key[ch->key_len] = 0;
  c->window_start = ch->window_start;
  c->window_end = ch->window_end;
  c->next = *slot;
  *slot = c;
  if (++s->n > 2 * s->nb) stripe_grow(s);
  return c;
}

/* Gives back what item took, if its window is still the counter's. */
static void give_back(MemStore *m, const Item *it, int64_t delta, int unpin) {
  Stripe *s = stripe_of(m, it->c->hash);
  pthread_mutex_lock(&s->mu);
  if (it->c->window_start == it->window_start) {
    it->c->used += delta;
    if (it->c->used < 0) it->c->used = 0;
  }
  if (unpin) it->c->pins--;
  pthread_mutex_unlock(&s->mu);
}

static SrvStoreResult mem_reserve(SrvStore *st, const SrvDecisionId *id, const SrvCharge *ch, size_t n,
                                  int64_t now, int64_t expires_at, size_t *over, char *err, size_t errlen) {
  MemStore *m = (MemStore *)st;
  (void)now;
  if (n > SRV_MAX_CHARGES) {
    snprintf(err, errlen, "a decision charges %zu budgets (limit is %d)", n, SRV_MAX_CHARGES);
    return SRV_STORE_ERROR;
  }
  if (!n) return SRV_STORE_OK;
  Item items[SRV_MAX_CHARGES];
  SrvStoreResult res = SRV_STORE_OK;
  size_t i;
  for (i = 0; i < n; i++) {
    uint64_t h = hash_of(ch[i].budget, ch[i].key, ch[i].key_len);
    Stripe *s = stripe_of(m, h);
    pthread_mutex_lock(&s->mu);
    Counter *c = find_or_add(m, s, h, &ch[i]);
    if (!c) {
      pthread_mutex_unlock(&s->mu);
      snprintf(err, errlen, "budget counters full (limit is %zu)", m->max_counters);
      res = SRV_STORE_ERROR;
      break;
    }
    if (c->window_start < ch[i].window_start) {   /* a new window: start from zero */
      c->window_start = ch[i].window_start;
      c->window_end = ch[i].window_end;
      c->used = 0;
    }
    c->limit = ch[i].limit;
    if (ch[i].amount > c->limit - c->used) {
      pthread_mutex_unlock(&s->mu);
      *over = i;
      res = SRV_STORE_OVER;
      break;
    }
    c->used += ch[i].amount;
    c->pins++;
    items[i] = (Item){c, ch[i].amount, c->window_start};
    pthread_mutex_unlock(&s->mu);
  }
  if (res != SRV_STORE_OK) {
    while (i--) give_back(m, &items[i], -items[i].amount, 1);
    return res;
  }
  size_t k = id->seq % m->nring;
  pthread_mutex_t *mu = &m->ring_mu[k % RING_LOCKS];
  pthread_mutex_lock(mu);
  Resv *r = &m->ring[k];
  if (r->live) {                  /* the ring came round: close the old one as reserved */
    for (uint32_t j = 0; j < r->n; j++) give_back(m, &r->items[j], 0, 1);
    atomic_fetch_add(&m->evicted, 1);
  } else atomic_fetch_add(&m->live, 1);
  r->boot = id->boot;
  r->seq = id->seq;
  r->expires_at = expires_at;
  r->n = (uint32_t)n;
  memcpy(r->items, items, n * sizeof *items);
  r->live = 1;
  pthread_mutex_unlock(mu);
  return SRV_STORE_OK;
}

static SrvStoreResult mem_settle(SrvStore *st, const SrvDecisionId *id, const SrvUsage *u, size_t nu,
                                 int64_t now, SrvSettled *out, size_t *nout, char *err, size_t errlen) {
  MemStore *m = (MemStore *)st;
  (void)now; (void)err; (void)errlen;
  size_t k = id->seq % m->nring, max = *nout;
  *nout = 0;
  pthread_mutex_t *mu = &m->ring_mu[k % RING_LOCKS];
  pthread_mutex_lock(mu);
  Resv *r = &m->ring[k];
  if (!r->live || r->seq != id->seq || r->boot != id->boot) {
    pthread_mutex_unlock(mu);
    return SRV_STORE_UNKNOWN;
  }
  for (uint32_t j = 0; j < r->n; j++) {
    Item *it = &r->items[j];
    int64_t used = srv_usage_for(u, nu, it->c->budget, it->c->unit);
    if (used < 0) used = it->amount;
    if (*nout < max) {
      SrvSettled *o = &out[(*nout)++];
      snprintf(o->budget, sizeof o->budget, "%s", it->c->budget);
      snprintf(o->key, sizeof o->key, "%.*s", (int)it->c->klen, it->c->key);
      o->reserved = it->amount;
      o->used = used;
    }
    give_back(m, it, used - it->amount, 1);
  }
  r->live = 0;
  atomic_fetch_sub(&m->live, 1);
  pthread_mutex_unlock(mu);
  return SRV_STORE_OK;
}

static void mem_sweep(SrvStore *st, int64_t now) {
  MemStore *m = (MemStore *)st;
  for (size_t k = 0; k < m->nring; k++) {
    Resv *r = &m->ring[k];
    pthread_mutex_t *mu = &m->ring_mu[k % RING_LOCKS];
    pthread_mutex_lock(mu);
    if (r->live && r->expires_at <= now) {
      for (uint32_t j = 0; j < r->n; j++) give_back(m, &r->items[j], 0, 1);
      r->live = 0;
      atomic_fetch_sub(&m->live, 1);
      atomic_fetch_add(&m->expired, 1);
    }
    pthread_mutex_unlock(mu);
  }
  for (int i = 0; i < STRIPES; i++) {
    Stripe *s = &m->stripes[i];
    pthread_mutex_lock(&s->mu);
    for (size_t b = 0; b < s->nb; b++)
      for (Counter **pc = &s->b[b]; *pc;) {
        Counter *c = *pc;
        if (!c->pins && c->window_end <= now) {
          *pc = c->next;
          free(c);
          s->n--;
          atomic_fetch_sub(&m->counters, 1);
        } else pc = &c->next;
      }
    pthread_mutex_unlock(&s->mu);
  }
}

static void mem_each(SrvStore *st, size_t max, srv_counter_fn fn, void *ud) {
  MemStore *m = (MemStore *)st;
  size_t n = 0;
  for (int i = 0; i < STRIPES && n < max; i++) {
    Stripe *s = &m->stripes[i];
    pthread_mutex_lock(&s->mu);
    for (size_t b = 0; b < s->nb && n < max; b++)
      for (Counter *c = s->b[b]; c && n < max; c = c->next, n++)
        fn(ud, c->budget, c->unit, c->key, c->klen, c->used, c->limit, c->window_end);
    pthread_mutex_unlock(&s->mu);
  }
}

static void mem_stats(SrvStore *st, SrvStoreStats *out) {
  MemStore *m = (MemStore *)st;
  out->counters = atomic_load(&m->counters);
  out->reservations = atomic_load(&m->live);
  out->expired = atomic_load(&m->expired);
  out->evicted = atomic_load(&m->evicted);
}

static void mem_close(SrvStore *st) {
  MemStore *m = (MemStore *)st;
  for (int i = 0; i < STRIPES; i++) {
    Stripe *s = &m->stripes[i];
    for (size_t b = 0; b < s->nb; b++)
      for (Counter *c = s->b[b], *next; c; c = next) { next = c->next; free(c); }
    free(s->b);
    pthread_mutex_destroy(&s->mu);
  }
  for (int i = 0; i < RING_LOCKS; i++) pthread_mutex_destroy(&m->ring_mu[i]);
  free(m->ring);
  free(m);
}

static const SrvStoreOps mem_ops = {mem_reserve, mem_settle, mem_sweep, mem_each, mem_stats, mem_close, NULL};

SrvStore *srv_store_mem_new(size_t max_counters, size_t max_reservations) {
  MemStore *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->base.ops = &mem_ops;
  m->max_counters = max_counters ? max_counters : 1;
  m->nring = max_reservations ? max_reservations : 1;
  /* calloc'd pages are touched only as the ring fills: memory follows use */
  m->ring = calloc(m->nring, sizeof *m->ring);
  if (!m->ring) { free(m); return NULL; }
  for (int i = 0; i < STRIPES; i++) {
    pthread_mutex_init(&m->stripes[i].mu, NULL);
    m->stripes[i].nb = STRIPE_BUCKETS0;
    m->stripes[i].b = calloc(STRIPE_BUCKETS0, sizeof(Counter *));
    if (!m->stripes[i].b) { mem_close(&m->base); return NULL; }
  }
  for (int i = 0; i < RING_LOCKS; i++) pthread_mutex_init(&m->ring_mu[i], NULL);
  return &m->base;
}
