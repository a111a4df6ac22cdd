/* Leases (srv_lease.c): blocks of shared counters that this replica took, and the
 * reservations it admitted out of them. Bookkeeping only, no I/O: the Redis store
 * (srv_store_lease.c) takes the blocks from Redis and gives back what is left.
 *
 * A lease is one counter (budget, key, window) seen from this replica:
 *   held  what the shared counter counts for this replica (blocks taken, less returns)
 *   used  what this replica reserved or settled out of it
 * A request is admitted locally while used + amount <= held. Every block was counted in
 * the shared counter when it was taken, and no block is ever more than the room left, so
 * the admissions of all replicas together never pass the limit. Settle moves used; the
 * difference held - used goes back to the shared counter when the lease has been idle
 * (srv_lease_due), or is charged there when usage passed what was held.
 *
 * Leases are entries of the table of keyed counters and reservations live in the ring,
 * both shared with the in-process store (srv_keytab.h, srv_ring.h). A new reservation
 * is queued for its mirror in the shared store (so that another replica can settle it:
 * srv_lease_mirrors), and a mirrored one settled here is queued for the mirror's
 * deletion. Lock order: ring slot, then stripe, then queue. */
#ifndef AIGW_SRV_LEASE_H
#define AIGW_SRV_LEASE_H
#include "srv_keytab.h"

/* The names, window, limit, used, pins and the last take or settle (last_ns) are the
 * entry's (srv_keytab.h); held is the lease's own, under the same stripe lock. */
typedef struct SrvLease {
  SrvKeyEnt k;                    /* first: the table works on &lease->k */
  int64_t held;
} SrvLease;

typedef struct SrvLeases SrvLeases;
SrvLeases *srv_lease_new(size_t max_leases, size_t max_reservations);
void srv_lease_free(SrvLeases *L);

/* The largest block worth taking for a charge: percent of its limit, and at least the
 * charge itself (the shared store may give less, never less than the charge). */
int64_t srv_lease_want(int64_t limit, int64_t amount, int percent);

/* Takes each charge out of its lease's block where it fits, else sets need[i] (nothing
 * taken for it). Every lease is pinned in slot[i]. -1 (nothing taken) when the table is
 * full. */
int srv_lease_take(SrvLeases *L, const SrvCharge *ch, size_t n, uint64_t now_ns, SrvLease **slot, int *need);
/* A block taken from the shared counter for ch: added to held, and ch's amount taken
 * out of it. A block for an older window than the lease's is lost (never counted twice). */
void srv_lease_grant(SrvLeases *L, SrvLease *l, const SrvCharge *ch, int64_t block, uint64_t now_ns);
/* Gives back what a take took (0 when need was set) and unpins. */
void srv_lease_untake(SrvLeases *L, SrvLease *l, const SrvCharge *ch, int64_t amount);
/* Records the reservation of ch[i] for every slot[i] that is not NULL (the pins pass to
 * it) and queues its mirror. Nothing is recorded when every slot is NULL. */
void srv_lease_record(SrvLeases *L, const SrvDecisionId *id, SrvLease **slot, const SrvCharge *ch, size_t n,
                      int64_t now, int64_t expires_at);

/* Settles id's reservation: each item's usage back into its lease (if its window is
 * still the lease's). usage: by name (u) or, when usedv is not NULL, one value per item
 * in order (a settle forwarded by another replica). UNKNOWN when id is not here; *closed
 * is set when id was here and is already settled or expired. */
SrvStoreResult srv_lease_settle(SrvLeases *L, const SrvDecisionId *id, uint64_t now_ns, const SrvUsage *u, size_t nu,
                                const int64_t *usedv, size_t nused, SrvSettled *out, size_t *nout, int *closed);

/* A lease whose held moves by delta in the shared counter: < 0 gives room back, > 0
 * charges usage settled above what was held. */
typedef struct SrvLeaseDue { SrvLease *l; int64_t delta; } SrvLeaseDue;
/* Up to max leases due: room held and idle for idle_ns (or every one with room when
 * all), and every debt. Each one's held moves by its delta now (so the room is no longer
 * admitted here) and it stays pinned until srv_lease_done. */
size_t srv_lease_due(SrvLeases *L, int64_t now, uint64_t now_ns, uint64_t idle_ns, int all, SrvLeaseDue *out,
                     size_t max);
/* After the call that moved the shared counters: applied 1 done, 0 not sent (every delta
 * is undone, for a later call), -1 unknown (a timeout: given-back room stays given back,
 * so it may be lost but never counted twice as free; a debt is undone, so it may be
 * charged twice but never missed). */
void srv_lease_done(SrvLeases *L, const SrvLeaseDue *d, size_t n, int applied);

/* One reserved charge of a mirror. */
typedef struct SrvLeaseItem { const char *budget, *unit, *key; size_t key_len; int64_t amount; } SrvLeaseItem;
/* expires_at: when the reservation closes; ttl: its seconds left when it was made */
typedef void (*srv_mirror_fn)(void *ud, const SrvDecisionId *id, int64_t expires_at, int64_t ttl,
                              const SrvLeaseItem *it, size_t n);
/* Calls fn for every reservation queued since the last call and still outstanding (up
 * to max), and marks it mirrored. Returns how many. */
size_t srv_lease_mirrors(SrvLeases *L, size_t max, srv_mirror_fn fn, void *ud);
/* Sequence numbers of mirrored reservations settled here since the last call (their
 * mirrors are to be deleted), up to max. */
size_t srv_lease_unmirrors(SrvLeases *L, uint64_t *seq, size_t max);

/* Closes expired reservations (at the amount reserved) and frees leases that nothing
 * points at and that hold nothing: past their window, or fully given back and idle. */
void srv_lease_sweep(SrvLeases *L, int64_t now, uint64_t now_ns, uint64_t idle_ns);

typedef struct SrvLeaseStats {
  uint64_t leases, holding;       /* in the table; holding unused room */
  uint64_t reservations, blocks, returns, expired, evicted;
} SrvLeaseStats;
void srv_lease_stats(SrvLeases *L, SrvLeaseStats *out);
#endif
