/* Keyed counters (srv_keytab.c): entries keyed by (budget, key) in a hash table split
 * into stripes, each under its own mutex. The in-process store keeps its counters here
 * (srv_store_mem.c) and the Redis store its leases (srv_lease.c). Both decide the same
 * things about an entry: where it lives, that a new one is refused once the table holds
 * its limit, that a later window starts it again from zero, and that a reservation's
 * part moves it only while the reservation's window is still the entry's. Written once
 * here, the two stores cannot drift apart on any of them.
 *
 * An entry is allocated on the first charge for its (budget, key), with its names copied
 * after it, and freed by a sweep once nothing is pinned to it and its owner says it is
 * spent. The count of entries is an atomic checked before the allocation, so the limit
 * holds however many stripes add at once. */
#ifndef AIGW_SRV_KEYTAB_H
#define AIGW_SRV_KEYTAB_H
#include <pthread.h>
#include <stdatomic.h>
#include "srv_store.h"

enum { SRV_KEY_STRIPES = 64 };

/* An entry, or the first member of an owner's entry type. Under the entry's stripe lock
 * but the names, which are fixed for the entry's life. */
typedef struct SrvKeyEnt {
  struct SrvKeyEnt *next;
  uint64_t hash;
  int64_t window_start, window_end, limit, used;
  uint64_t last_ns;               /* the last take or settle (monotonic), 0 if none */
  size_t blen, klen;
  char *budget, *unit, *key;      /* copied after the entry */
  int pins;                       /* reservations and calls in flight pointing here */
} SrvKeyEnt;

typedef struct SrvKeyStripe { pthread_mutex_t mu; SrvKeyEnt **b; size_t nb, n; } SrvKeyStripe;
typedef struct SrvKeyTab {
  SrvKeyStripe stripes[SRV_KEY_STRIPES];
  size_t size, max;               /* bytes of an entry (before its names); most entries */
  atomic_ullong n;
} SrvKeyTab;

/* size: the owner's entry type (SrvKeyEnt, or a struct whose first member is one); max 0
 * counts as 1. -1 when out of memory: srv_keytab_fini still frees what was made. */
int srv_keytab_init(SrvKeyTab *t, size_t size, size_t max, size_t buckets);
void srv_keytab_fini(SrvKeyTab *t);

/* The entry of ch's (budget, key) with its stripe locked, added (zeroed, window and limit
 * from ch) if new; NULL, nothing locked, when the table holds max or memory is out. */
SrvKeyEnt *srv_keytab_get(SrvKeyTab *t, const SrvCharge *ch);

static inline void srv_keytab_lock(SrvKeyTab *t, const SrvKeyEnt *e) {
  pthread_mutex_lock(&t->stripes[e->hash % SRV_KEY_STRIPES].mu);
}
static inline void srv_keytab_unlock(SrvKeyTab *t, const SrvKeyEnt *e) {
  pthread_mutex_unlock(&t->stripes[e->hash % SRV_KEY_STRIPES].mu);
}

/* Under the lock: a charge of a later window starts the entry again from zero (used).
 * 1 when it did, for the owner to clear what it adds. */
int srv_keytab_roll(SrvKeyEnt *e, const SrvCharge *ch);
/* Takes the lock: moves used by delta (never below zero) if window_start is still the
 * entry's, stamps last_ns with now_ns when that is not 0, and unpins. */
void srv_keytab_give(SrvKeyTab *t, SrvKeyEnt *e, int64_t window_start, int64_t delta, uint64_t now_ns);

/* Calls fn for every entry, under its stripe's lock, until fn returns non-zero. */
void srv_keytab_each(SrvKeyTab *t, int (*fn)(void *ud, SrvKeyEnt *e), void *ud);
/* Frees every entry with no pins for which spent returns non-zero. */
void srv_keytab_sweep(SrvKeyTab *t, int (*spent)(void *ud, const SrvKeyEnt *e), void *ud);
#endif
