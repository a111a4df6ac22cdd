/* Leases: blocks of shared counters held by this replica (srv_lease.h). The table is
 * split into stripes, each with its own mutex, as in the in-process store; so is the
 * reservation ring. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv_lease.h"

enum { STRIPES = 64, RING_LOCKS = 64, BUCKETS0 = 64 };

typedef struct Stripe { pthread_mutex_t mu; SrvLease **b; size_t nb, n; } Stripe;
typedef struct Item { SrvLease *l; int64_t amount, window_start; } Item;
typedef struct Resv {
  uint64_t boot, seq;
  int64_t expires_at, ttl;
  uint32_t n;
  uint8_t live, mirrored;
  Item items[SRV_MAX_CHARGES];
} Resv;
/* A queue of sequence numbers (mirrors to write, mirrors to delete), bounded by the ring. */
typedef struct Queue { uint64_t *v; size_t n, cap; } Queue;

struct SrvLeases {
  Stripe stripes[STRIPES];
  pthread_mutex_t ring_mu[RING_LOCKS];
  Resv *ring;
  size_t nring, max_leases;
  pthread_mutex_t q_mu;
  Queue mirror, unmirror;
  atomic_ullong leases, live, blocks, returns, expired, evicted;
};

int64_t srv_lease_want(int64_t limit, int64_t amount, int percent) {
  if (percent < 0) percent = 0;
  if (percent > 100) percent = 100;
  int64_t w = limit / 100 * percent + limit % 100 * percent / 100;   /* no overflow near INT64_MAX */
  return w > amount ? w : amount;
}

static uint64_t hash_of(const char *budget, const char *key, size_t klen) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char *p = budget; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
  h = (h ^ 0) * 0x100000001b3ull;
  for (size_t i = 0; i < klen; i++) h = (h ^ (uint8_t)key[i]) * 0x100000001b3ull;
  return h ^ h >> 29;
}

static Stripe *stripe_of(SrvLeases *L, uint64_t h) { return &L->stripes[h % STRIPES]; }

static void stripe_grow(Stripe *s) {
  size_t nb = s->nb * 2;
  SrvLease **b = calloc(nb, sizeof *b);
  if (!b) return;                 /* longer chains, still correct */
  for (size_t i = 0; i < s->nb; i++)
    for (SrvLease *l = s->b[i], *next; l; l = next) {
      next = l->next;
      size_t k = (l->hash / STRIPES) % nb;
      l->next = b[k];
      b[k] = l;
    }
  free(s->b);
  s->b = b;
  s->nb = nb;
}

/* Under the stripe's lock. */
static SrvLease *find_or_add(SrvLeases *L, Stripe *s, uint64_t h, const SrvCharge *ch) {
  size_t blen = strlen(ch->budget);
  SrvLease **slot = &s->b[(h / STRIPES) % s->nb];
  for (SrvLease *l = *slot; l; l = l->next)
    if (l->hash == h && l->blen == blen && l->klen == ch->key_len && !memcmp(l->budget, ch->budget, blen) &&
        !memcmp(l->key, ch->key, ch->key_len))
      return l;
  if (atomic_fetch_add(&L->leases, 1) >= L->max_leases) {
    atomic_fetch_sub(&L->leases, 1);
    return NULL;
  }
  size_t ulen = strlen(ch->unit);
  SrvLease *l = malloc(sizeof *l + blen + ulen + ch->key_len + 3);
  if (!l) { atomic_fetch_sub(&L->leases, 1); return NULL; }
  memset(l, 0, sizeof *l);
  l->hash = h;
  l->blen = blen;
  l->ulen = ulen;
  l->klen = ch->key_len;
  l->budget = l->data;
  memcpy(l->budget, ch->budget, blen + 1);
  l->unit = l->budget + blen + 1;
  memcpy(l->unit, ch->unit, ulen + 1);
  l->key = l->unit + ulen + 1;
  memcpy(l->key, ch->key, ch->key_len);
  l->key[ch->key_len] = 0;
  l->window_start = ch->window_start;
  l->window_end = ch->window_end;
  l->limit = ch->limit;
  l->next = *slot;
  *slot = l;
  if (++s->n > 2 * s->nb) stripe_grow(s);
  return l;
}

/* Under the stripe's lock: a charge of a later window starts the lease again (the old
 * block dies with the old window's counter). */
static void roll(SrvLease *l, const SrvCharge *ch) {
  if (l->window_start >= ch->window_start) return;
  l->window_start = ch->window_start;
  l->window_end = ch->window_end;
  l->held = l->used = 0;
}

int srv_lease_take(SrvLeases *L, const SrvCharge *ch, size_t n, uint64_t now_ns, SrvLease **slot, int *need) {
  for (size_t i = 0; i < n; i++) {
    uint64_t h = hash_of(ch[i].budget, ch[i].key, ch[i].key_len);
    Stripe *s = stripe_of(L, h);
    pthread_mutex_lock(&s->mu);
    SrvLease *l = find_or_add(L, s, h, &ch[i]);
    if (!l) {
      pthread_mutex_unlock(&s->mu);
      while (i--) srv_lease_untake(L, slot[i], &ch[i], need[i] ? 0 : ch[i].amount);
      return -1;
    }
    roll(l, &ch[i]);
    l->pins++;
    /* the limit too: a bundle that lowers it makes the next request ask the shared counter */
    need[i] = !(l->window_start == ch[i].window_start && l->limit == ch[i].limit && l->held - l->used >= ch[i].amount);
    if (!need[i]) {
      l->used += ch[i].amount;
      l->last_ns = now_ns;
    }
    slot[i] = l;
    pthread_mutex_unlock(&s->mu);
  }
  return 0;
}

void srv_lease_grant(SrvLeases *L, SrvLease *l, const SrvCharge *ch, int64_t block, uint64_t now_ns) {
  Stripe *s = stripe_of(L, l->hash);
  pthread_mutex_lock(&s->mu);
  roll(l, ch);
  if (l->window_start == ch->window_start) {
    l->held += block;
    l->used += ch->amount;
    l->limit = ch->limit;
    l->last_ns = now_ns;
  }
  pthread_mutex_unlock(&s->mu);
  atomic_fetch_add(&L->blocks, 1);
}

/* Moves used by delta if the item's window is still the lease's; unpins. */
static void give_back(SrvLeases *L, SrvLease *l, int64_t window_start, int64_t delta, uint64_t now_ns) {
  Stripe *s = stripe_of(L, l->hash);
  pthread_mutex_lock(&s->mu);
  if (l->window_start == window_start) {
    l->used += delta;
    if (now_ns) l->last_ns = now_ns;
  }
  l->pins--;
  pthread_mutex_unlock(&s->mu);
}

void srv_lease_untake(SrvLeases *L, SrvLease *l, const SrvCharge *ch, int64_t amount) {
  give_back(L, l, ch->window_start, -amount, 0);
}

static void push(SrvLeases *L, Queue *q, uint64_t seq) {
  pthread_mutex_lock(&L->q_mu);
  if (q->n == q->cap && q->cap < L->nring) {
    size_t cap = q->cap ? q->cap * 2 : 256;
    uint64_t *v = realloc(q->v, cap * sizeof *v);
    if (v) { q->v = v; q->cap = cap; }
  }
  if (q->n < q->cap) q->v[q->n++] = seq;   /* full: no mirror, settled only here */
  pthread_mutex_unlock(&L->q_mu);
}

/* Under the slot's lock: the reservation's items at their reserved amounts. */
static void close_resv(SrvLeases *L, Resv *r) {
  for (uint32_t j = 0; j < r->n; j++) give_back(L, r->items[j].l, r->items[j].window_start, 0, 0);
  r->live = 0;
  atomic_fetch_sub(&L->live, 1);
}

void srv_lease_record(SrvLeases *L, const SrvDecisionId *id, SrvLease **slot, const SrvCharge *ch, size_t n,
                      int64_t now, int64_t expires_at) {
  Item items[SRV_MAX_CHARGES];
  uint32_t k = 0;
  for (size_t i = 0; i < n && i < SRV_MAX_CHARGES; i++)
    if (slot[i]) items[k++] = (Item){slot[i], ch[i].amount, ch[i].window_start};
  if (!k) return;
  size_t at = id->seq % L->nring;
  pthread_mutex_t *mu = &L->ring_mu[at % RING_LOCKS];
  pthread_mutex_lock(mu);
  Resv *r = &L->ring[at];
  if (r->live) {                  /* the ring came round: the old one stays at its reserved amount */
    close_resv(L, r);
    atomic_fetch_add(&L->evicted, 1);
  }
  r->boot = id->boot;
  r->seq = id->seq;
  r->expires_at = expires_at;
  r->ttl = expires_at > now ? expires_at - now : 1;
  r->n = k;
  memcpy(r->items, items, k * sizeof *items);
  r->live = 1;
  r->mirrored = 0;
  atomic_fetch_add(&L->live, 1);
  pthread_mutex_unlock(mu);
  push(L, &L->mirror, id->seq);
}

SrvStoreResult srv_lease_settle(SrvLeases *L, const SrvDecisionId *id, uint64_t now_ns, const SrvUsage *u, size_t nu,
                                const int64_t *usedv, size_t nused, SrvSettled *out, size_t *nout, int *closed) {
  size_t at = id->seq % L->nring, max = *nout;
  *nout = 0;
  *closed = 0;
  pthread_mutex_t *mu = &L->ring_mu[at % RING_LOCKS];
  pthread_mutex_lock(mu);
  Resv *r = &L->ring[at];
  if (r->seq != id->seq || r->boot != id->boot || !r->live) {
    *closed = r->seq == id->seq && r->boot == id->boot;
    pthread_mutex_unlock(mu);
    return SRV_STORE_UNKNOWN;
  }
  for (uint32_t j = 0; j < r->n; j++) {
    Item *it = &r->items[j];
    int64_t used = usedv ? (j < nused ? usedv[j] : it->amount) : srv_usage_for(u, nu, it->l->budget, it->l->unit);
    if (used < 0) used = it->amount;
    if (*nout < max) {
      SrvSettled *o = &out[(*nout)++];
      snprintf(o->budget, sizeof o->budget, "%s", it->l->budget);
      snprintf(o->key, sizeof o->key, "%.*s", (int)it->l->klen, it->l->key);
      o->reserved = it->amount;
      o->used = used;
    }
    give_back(L, it->l, it->window_start, used - it->amount, now_ns);
  }
  r->live = 0;
  atomic_fetch_sub(&L->live, 1);
  int mirrored = r->mirrored;
  pthread_mutex_unlock(mu);
  if (mirrored) push(L, &L->unmirror, id->seq);
  return SRV_STORE_OK;
}

size_t srv_lease_due(SrvLeases *L, int64_t now, uint64_t now_ns, uint64_t idle_ns, int all, SrvLeaseDue *out,
                     size_t max) {
  size_t k = 0;
  for (int i = 0; i < STRIPES && k < max; i++) {
    Stripe *s = &L->stripes[i];
    pthread_mutex_lock(&s->mu);
    for (size_t b = 0; b < s->nb && k < max; b++)
      for (SrvLease *l = s->b[b]; l && k < max; l = l->next) {
        if (l->held == l->used || l->window_end <= now) continue;
        int debt = l->used > l->held, idle = now_ns >= l->last_ns && now_ns - l->last_ns >= idle_ns;
        if (!debt && !idle && !all) continue;
        out[k++] = (SrvLeaseDue){l, l->used - l->held};
        l->held = l->used;
        l->pins++;
      }
    pthread_mutex_unlock(&s->mu);
  }
  return k;
}

void srv_lease_done(SrvLeases *L, const SrvLeaseDue *d, size_t n, int applied) {
  for (size_t i = 0; i < n; i++) {
    SrvLease *l = d[i].l;
    Stripe *s = stripe_of(L, l->hash);
    pthread_mutex_lock(&s->mu);
    if (applied == 0 || (applied < 0 && d[i].delta > 0)) l->held -= d[i].delta;
    l->pins--;
    pthread_mutex_unlock(&s->mu);
    if (applied > 0) atomic_fetch_add(&L->returns, 1);
  }
}

size_t srv_lease_mirrors(SrvLeases *L, size_t max, srv_mirror_fn fn, void *ud) {
  pthread_mutex_lock(&L->q_mu);
  size_t n = L->mirror.n < max ? L->mirror.n : max;
  uint64_t *seq = malloc((n ? n : 1) * sizeof *seq);
  if (!seq) n = 0;
  if (n) {
    memcpy(seq, L->mirror.v, n * sizeof *seq);
    memmove(L->mirror.v, L->mirror.v + n, (L->mirror.n - n) * sizeof *seq);
    L->mirror.n -= n;
  }
  pthread_mutex_unlock(&L->q_mu);
  size_t done = 0;
  for (size_t i = 0; i < n; i++) {
    size_t at = seq[i] % L->nring;
    pthread_mutex_t *mu = &L->ring_mu[at % RING_LOCKS];
    pthread_mutex_lock(mu);
    Resv *r = &L->ring[at];
    if (r->live && r->seq == seq[i] && !r->mirrored) {
      SrvLeaseItem it[SRV_MAX_CHARGES];
      for (uint32_t j = 0; j < r->n; j++) {
        SrvLease *l = r->items[j].l;
        it[j] = (SrvLeaseItem){l->budget, l->unit, l->key, l->klen, r->items[j].amount};
      }
      SrvDecisionId id = {r->boot, r->seq, ""};
      srv_id_format(&id);
      fn(ud, &id, r->expires_at, r->ttl, it, r->n);
      r->mirrored = 1;
      done++;
    }
    pthread_mutex_unlock(mu);
  }
  free(seq);
  return done;
}

size_t srv_lease_unmirrors(SrvLeases *L, uint64_t *seq, size_t max) {
  pthread_mutex_lock(&L->q_mu);
  size_t n = L->unmirror.n < max ? L->unmirror.n : max;
  if (n) {
    memcpy(seq, L->unmirror.v, n * sizeof *seq);
    memmove(L->unmirror.v, L->unmirror.v + n, (L->unmirror.n - n) * sizeof *seq);
    L->unmirror.n -= n;
  }
  pthread_mutex_unlock(&L->q_mu);
  return n;
}

void srv_lease_sweep(SrvLeases *L, int64_t now, uint64_t now_ns, uint64_t idle_ns) {
  for (size_t k = 0; k < L->nring; k++) {
    Resv *r = &L->ring[k];
    pthread_mutex_t *mu = &L->ring_mu[k % RING_LOCKS];
    pthread_mutex_lock(mu);
    if (r->live && r->expires_at <= now) {
      close_resv(L, r);
      atomic_fetch_add(&L->expired, 1);
    }
    pthread_mutex_unlock(mu);
  }
  for (int i = 0; i < STRIPES; i++) {
    Stripe *s = &L->stripes[i];
    pthread_mutex_lock(&s->mu);
    for (size_t b = 0; b < s->nb; b++)
      for (SrvLease **pl = &s->b[b]; *pl;) {
        SrvLease *l = *pl;
        int over = l->window_end <= now;
        int quiet = l->held == l->used && now_ns >= l->last_ns && now_ns - l->last_ns >= idle_ns;
        if (!l->pins && (over || quiet)) {
          *pl = l->next;
          free(l);
          s->n--;
          atomic_fetch_sub(&L->leases, 1);
        } else pl = &l->next;
      }
    pthread_mutex_unlock(&s->mu);
  }
}

void srv_lease_stats(SrvLeases *L, SrvLeaseStats *out) {
  memset(out, 0, sizeof *out);
  for (int i = 0; i < STRIPES; i++) {
    Stripe *s = &L->stripes[i];
    pthread_mutex_lock(&s->mu);
    for (size_t b = 0; b < s->nb; b++)
      for (SrvLease *l = s->b[b]; l; l = l->next) out->holding += l->held > l->used;
    pthread_mutex_unlock(&s->mu);
  }
  out->leases = atomic_load(&L->leases);
  out->reservations = atomic_load(&L->live);
  out->blocks = atomic_load(&L->blocks);
  out->returns = atomic_load(&L->returns);
  out->expired = atomic_load(&L->expired);
  out->evicted = atomic_load(&L->evicted);
}

void srv_lease_free(SrvLeases *L) {
  if (!L) return;
  for (int i = 0; i < STRIPES; i++) {
    Stripe *s = &L->stripes[i];
    for (size_t b = 0; b < s->nb; b++)
      for (SrvLease *l = s->b[b], *next; l; l = next) { next = l->next; free(l); }
    free(s->b);
    pthread_mutex_destroy(&s->mu);
  }
  for (int i = 0; i < RING_LOCKS; i++) pthread_mutex_destroy(&L->ring_mu[i]);
  pthread_mutex_destroy(&L->q_mu);
  free(L->mirror.v);
  free(L->unmirror.v);
  free(L->ring);
  free(L);
}

SrvLeases *srv_lease_new(size_t max_leases, size_t max_reservations) {
  SrvLeases *L = calloc(1, sizeof *L);
  if (!L) return NULL;
  L->max_leases = max_leases ? max_leases : 1;
  L->nring = max_reservations ? max_reservations : 1;
  L->ring = calloc(L->nring, sizeof *L->ring);   /* pages touched as the ring fills */
  for (int i = 0; i < STRIPES; i++) {
    pthread_mutex_init(&L->stripes[i].mu, NULL);
    L->stripes[i].nb = BUCKETS0;
    L->stripes[i].b = calloc(BUCKETS0, sizeof(SrvLease *));
  }
  for (int i = 0; i < RING_LOCKS; i++) pthread_mutex_init(&L->ring_mu[i], NULL);
  pthread_mutex_init(&L->q_mu, NULL);
  int ok = L->ring != NULL;
  for (int i = 0; i < STRIPES; i++) ok &= L->stripes[i].b != NULL;
  if (!ok) { srv_lease_free(L); return NULL; }
  return L;
}
