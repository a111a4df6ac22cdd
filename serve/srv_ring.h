/* Reservations in a fixed ring (srv_ring.c), shared by the in-process store
 * (srv_store_mem.c) and the leases of the Redis store (srv_lease.c), so that the two
 * hold, settle, evict and expire a reservation by the same rules.
 *
 * The ring holds a fixed number of outstanding reservations, slot = sequence mod size,
 * each slot under one of SRV_RING_LOCKS mutexes: a reservation needs no allocation and
 * settle finds it without a search. When the ring comes round to a slot still held, the
 * old reservation is closed at its reserved amount, as if it had expired (counted as
 * evicted). A reservation pins the entries of its items (srv_keytab.h) until it is
 * closed. Lock order: ring slot, then the entry's stripe. */
#ifndef AIGW_SRV_RING_H
#define AIGW_SRV_RING_H
#include "srv_keytab.h"

enum { SRV_RING_LOCKS = 64 };

/* One reserved charge: its amount, in the window it was reserved for. */
typedef struct SrvRingItem { SrvKeyEnt *e; int64_t amount, window_start; } SrvRingItem;
typedef struct SrvResv {
  uint64_t boot, seq;
  int64_t expires_at, ttl;        /* ttl: seconds left when it was made */
  uint32_t n;
  uint8_t live, mirrored;         /* mirrored: for the leases' shared copy */
  SrvRingItem items[SRV_MAX_CHARGES];
} SrvResv;

typedef struct SrvRing {
  pthread_mutex_t mu[SRV_RING_LOCKS];
  SrvResv *slot;
  size_t n;
  SrvKeyTab *tab;                 /* the entries the items point at */
  atomic_ullong live, expired, evicted;
} SrvRing;

/* n 0 counts as 1. -1 when out of memory: srv_ring_fini still frees what was made. */
int srv_ring_init(SrvRing *g, SrvKeyTab *tab, size_t n);
void srv_ring_fini(SrvRing *g);

/* The slot of seq, its lock held until srv_ring_unlock. */
SrvResv *srv_ring_lock(SrvRing *g, uint64_t seq);
void srv_ring_unlock(SrvRing *g, const SrvResv *r);

/* Holds id's reservation of n items (n <= SRV_MAX_CHARGES; their pins pass to it). */
void srv_ring_put(SrvRing *g, const SrvDecisionId *id, int64_t now, int64_t expires_at, const SrvRingItem *it,
                  uint32_t n);
/* Settles id's reservation: each item's usage back into its entry (stamped now_ns).
 * usage: by name (u) or, when usedv is not NULL, one value per item in order; an item
 * with none is charged its reserved amount. UNKNOWN when id is not held; *closed is set
 * when id was held and is already settled or expired. *mirrored: the reservation was. */
SrvStoreResult srv_ring_settle(SrvRing *g, const SrvDecisionId *id, uint64_t now_ns, const SrvUsage *u, size_t nu,
                               const int64_t *usedv, size_t nused, SrvSettled *out, size_t *nout, int *closed,
                               int *mirrored);
/* Closes reservations expired at now at the amounts reserved. */
void srv_ring_sweep(SrvRing *g, int64_t now);
#endif
