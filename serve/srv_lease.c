/* Leases: blocks of shared counters held by this replica (srv_lease.h). The leases are
 * entries of the striped table of keyed counters and their reservations live in the
 * ring, both shared with the in-process store (srv_keytab.h, srv_ring.h); what is the
 * leases' own is here: held, the mirror queues, returns of idle room. */
#include <stdlib.h>
#include <string.h>
#include "srv_lease.h"
#include "srv_ring.h"

enum { BUCKETS0 = 64 };

/* A queue of sequence numbers (mirrors to write, mirrors to delete), bounded by the ring. */
typedef struct Queue { uint64_t *v; size_t n, cap; } Queue;

struct SrvLeases {
  SrvKeyTab tab;
  SrvRing ring;
  pthread_mutex_t q_mu;
  Queue mirror, unmirror;
  atomic_ullong blocks, returns;
};

/* Every entry of L's table is a lease: k is its first member. */
static SrvLease *lease_of(SrvKeyEnt *e) { return (SrvLease *)e; }

int64_t srv_lease_want(int64_t limit, int64_t amount, int percent) {
  if (percent < 0) percent = 0;
  if (percent > 100) percent = 100;
  int64_t w = limit / 100 * percent + limit % 100 * percent / 100;   /* no overflow near INT64_MAX */
  return w > amount ? w : amount;
}

/* Under the stripe's lock: a charge of a later window starts the lease again (the old
 * block dies with the old window's counter). */
static void roll(SrvLease *l, const SrvCharge *ch) {
  if (srv_keytab_roll(&l->k, ch)) l->held = 0;
}

int srv_lease_take(SrvLeases *L, const SrvCharge *ch, size_t n, uint64_t now_ns, SrvLease **slot, int *need) {
  for (size_t i = 0; i < n; i++) {
    SrvKeyEnt *e = srv_keytab_get(&L->tab, &ch[i]);
    if (!e) {
      while (i--) srv_lease_untake(L, slot[i], &ch[i], need[i] ? 0 : ch[i].amount);
      return -1;
    }
    SrvLease *l = lease_of(e);
    roll(l, &ch[i]);
    l->k.pins++;
    /* the limit too: a bundle that lowers it makes the next request ask the shared counter */
    need[i] = !(l->k.window_start == ch[i].window_start && l->k.limit == ch[i].limit && l->held - l->k.used >= ch[i].amount);
    if (!need[i]) {
      l->k.used += ch[i].amount;
      l->k.last_ns = now_ns;
    }
    slot[i] = l;
    srv_keytab_unlock(&L->tab, e);
  }
  return 0;
}

void srv_lease_grant(SrvLeases *L, SrvLease *l, const SrvCharge *ch, int64_t block, uint64_t now_ns) {
  srv_keytab_lock(&L->tab, &l->k);
  roll(l, ch);
  if (l->k.window_start == ch->window_start) {
    l->held += block;
    l->k.used += ch->amount;
    l->k.limit = ch->limit;
    l->k.last_ns = now_ns;
  }
  srv_keytab_unlock(&L->tab, &l->k);
  atomic_fetch_add(&L->blocks, 1);
}

void srv_lease_untake(SrvLeases *L, SrvLease *l, const SrvCharge *ch, int64_t amount) {
  srv_keytab_give(&L->tab, &l->k, ch->window_start, -amount, 0);
}

static void push(SrvLeases *L, Queue *q, uint64_t seq) {
  pthread_mutex_lock(&L->q_mu);
  if (q->n == q->cap && q->cap < L->ring.n) {
    size_t cap = q->cap ? q->cap * 2 : 256;
    uint64_t *v = realloc(q->v, cap * sizeof *v);
    if (v) { q->v = v; q->cap = cap; }
  }
  if (q->n < q->cap) q->v[q->n++] = seq;   /* full: no mirror, settled only here */
  pthread_mutex_unlock(&L->q_mu);
}

void srv_lease_record(SrvLeases *L, const SrvDecisionId *id, SrvLease **slot, const SrvCharge *ch, size_t n,
                      int64_t now, int64_t expires_at) {
  SrvRingItem items[SRV_MAX_CHARGES];
  uint32_t k = 0;
  for (size_t i = 0; i < n && i < SRV_MAX_CHARGES; i++)
    if (slot[i]) items[k++] = (SrvRingItem){&slot[i]->k, ch[i].amount, ch[i].window_start};
  if (!k) return;
  srv_ring_put(&L->ring, id, now, expires_at, items, k);
  push(L, &L->mirror, id->seq);
}

SrvStoreResult srv_lease_settle(SrvLeases *L, const SrvDecisionId *id, uint64_t now_ns, const SrvUsage *u, size_t nu,
                                const int64_t *usedv, size_t nused, SrvSettled *out, size_t *nout, int *closed) {
  int mirrored;
  SrvStoreResult res = srv_ring_settle(&L->ring, id, now_ns, u, nu, usedv, nused, out, nout, closed, &mirrored);
  if (mirrored) push(L, &L->unmirror, id->seq);
  return res;
}

typedef struct Due {
  int64_t now;
  uint64_t now_ns, idle_ns;
  int all;
  SrvLeaseDue *out;
  size_t k, max;
} Due;

static int due_one(void *ud, SrvKeyEnt *e) {
  Due *d = ud;
  SrvLease *l = lease_of(e);
  if (l->held == l->k.used || l->k.window_end <= d->now) return 0;
  int debt = l->k.used > l->held, idle = d->now_ns >= l->k.last_ns && d->now_ns - l->k.last_ns >= d->idle_ns;
  if (!debt && !idle && !d->all) return 0;
  d->out[d->k++] = (SrvLeaseDue){l, l->k.used - l->held};
  l->held = l->k.used;
  l->k.pins++;
  return d->k >= d->max;
}

size_t srv_lease_due(SrvLeases *L, int64_t now, uint64_t now_ns, uint64_t idle_ns, int all, SrvLeaseDue *out,
                     size_t max) {
  Due d = {now, now_ns, idle_ns, all, out, 0, max};
  if (max) srv_keytab_each(&L->tab, due_one, &d);
  return d.k;
}

void srv_lease_done(SrvLeases *L, const SrvLeaseDue *d, size_t n, int applied) {
  for (size_t i = 0; i < n; i++) {
    SrvLease *l = d[i].l;
    srv_keytab_lock(&L->tab, &l->k);
    if (applied == 0 || (applied < 0 && d[i].delta > 0)) l->held -= d[i].delta;
    l->k.pins--;
    srv_keytab_unlock(&L->tab, &l->k);
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
    SrvResv *r = srv_ring_lock(&L->ring, seq[i]);
    if (r->live && r->seq == seq[i] && !r->mirrored) {
      SrvLeaseItem it[SRV_MAX_CHARGES];
      for (uint32_t j = 0; j < r->n; j++) {
        const SrvKeyEnt *e = r->items[j].e;
        it[j] = (SrvLeaseItem){e->budget, e->unit, e->key, e->klen, r->items[j].amount};
      }
      SrvDecisionId id = {r->boot, r->seq, ""};
      srv_id_format(&id);
      fn(ud, &id, r->expires_at, r->ttl, it, r->n);
      r->mirrored = 1;
      done++;
    }
    srv_ring_unlock(&L->ring, r);
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

typedef struct Sweep { int64_t now; uint64_t now_ns, idle_ns; } Sweep;

/* Nothing held: past its window, or fully given back and idle. */
static int lease_spent(void *ud, const SrvKeyEnt *e) {
  const Sweep *w = ud;
  const SrvLease *l = (const SrvLease *)e;
  int over = l->k.window_end <= w->now;
  int quiet = l->held == l->k.used && w->now_ns >= l->k.last_ns && w->now_ns - l->k.last_ns >= w->idle_ns;
  return over || quiet;
}

void srv_lease_sweep(SrvLeases *L, int64_t now, uint64_t now_ns, uint64_t idle_ns) {
  Sweep w = {now, now_ns, idle_ns};
  srv_ring_sweep(&L->ring, now);
  srv_keytab_sweep(&L->tab, lease_spent, &w);
}

static int count_holding(void *ud, SrvKeyEnt *e) {
  SrvLease *l = lease_of(e);
  *(uint64_t *)ud += l->held > l->k.used;
  return 0;
}

void srv_lease_stats(SrvLeases *L, SrvLeaseStats *out) {
  memset(out, 0, sizeof *out);
  srv_keytab_each(&L->tab, count_holding, &out->holding);
  out->leases = atomic_load(&L->tab.n);
  out->reservations = atomic_load(&L->ring.live);
  out->blocks = atomic_load(&L->blocks);
  out->returns = atomic_load(&L->returns);
  out->expired = atomic_load(&L->ring.expired);
  out->evicted = atomic_load(&L->ring.evicted);
}

void srv_lease_free(SrvLeases *L) {
  if (!L) return;
  srv_ring_fini(&L->ring);
  srv_keytab_fini(&L->tab);
  pthread_mutex_destroy(&L->q_mu);
  free(L->mirror.v);
  free(L->unmirror.v);
  free(L);
}

SrvLeases *srv_lease_new(size_t max_leases, size_t max_reservations) {
  SrvLeases *L = calloc(1, sizeof *L);
  if (!L) return NULL;
  int ok = srv_keytab_init(&L->tab, sizeof(SrvLease), max_leases, BUCKETS0) == 0;
  ok &= srv_ring_init(&L->ring, &L->tab, max_reservations) == 0;
  pthread_mutex_init(&L->q_mu, NULL);
  if (!ok) { srv_lease_free(L); return NULL; }
  return L;
}
