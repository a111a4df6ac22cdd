/* Leases without Redis (serve/srv_lease.c): blocks, local admission, settle into the
 * block, returns after idle, all or none, windows, mirrors, and threads racing over a
 * simulated shared counter that must never pass its limit. The Redis side is tested
 * end to end by tests/e2e/t_serve_redis_lease.sh. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include "srv_lease.h"
#include "unit.h"

static SrvCharge charge(const char *budget, const char *key, int64_t limit, int64_t amount) {
  return (SrvCharge){budget, "tokens", key, strlen(key), limit, amount, 1000, 2000};
}
static SrvDecisionId id_of(uint64_t seq) { SrvDecisionId id = {7, seq, ""}; srv_id_format(&id); return id; }

/* held and used of the lease behind a slot */
#define HELD(l) ((l)->held)
#define USED(l) ((l)->k.used)

static void test_want(void) {
  CU_ASSERT_EQUAL(srv_lease_want(10000, 30, 5), 500);
  CU_ASSERT_EQUAL(srv_lease_want(10000, 700, 5), 700);     /* never less than the charge */
  CU_ASSERT_EQUAL(srv_lease_want(10000, 30, 0), 30);       /* 0: the exact reservation */
  CU_ASSERT_EQUAL(srv_lease_want(INT64_MAX, 1, 100), INT64_MAX);
  CU_ASSERT_EQUAL(srv_lease_want(INT64_MAX, 1, 50), INT64_MAX / 2);
}

static void test_take_settle(void) {
  SrvLeases *L = srv_lease_new(10, 8);
  SrvCharge ch = charge("tok", "a", 1000, 30);
  SrvLease *l;
  int need;
  /* no block yet: the first request needs one */
  CU_ASSERT_EQUAL(srv_lease_take(L, &ch, 1, 100, &l, &need), 0);
  CU_ASSERT_EQUAL(need, 1);
  srv_lease_grant(L, l, &ch, 100, 100);
  CU_ASSERT(HELD(l) == 100 && USED(l) == 30);
  SrvDecisionId id1 = id_of(1), id2 = id_of(2), id3 = id_of(3);
  srv_lease_record(L, &id1, &l, &ch, 1, 1000, 1600);
  /* the next two fit the block: no call */
  CU_ASSERT_EQUAL(srv_lease_take(L, &ch, 1, 200, &l, &need), 0);
  CU_ASSERT_EQUAL(need, 0);
  srv_lease_record(L, &id2, &l, &ch, 1, 1000, 1600);
  CU_ASSERT_EQUAL(srv_lease_take(L, &ch, 1, 300, &l, &need), 0);
  CU_ASSERT_EQUAL(need, 0);
  srv_lease_record(L, &id3, &l, &ch, 1, 1000, 1600);
  CU_ASSERT_EQUAL(USED(l), 90);
  /* 10 left: the fourth needs a block; refused, it gives nothing back but its pin */
  CU_ASSERT_EQUAL(srv_lease_take(L, &ch, 1, 400, &l, &need), 0);
  CU_ASSERT_EQUAL(need, 1);
  srv_lease_untake(L, l, &ch, 0);
  CU_ASSERT(HELD(l) == 100 && USED(l) == 90 && l->k.pins == 3);
  /* settle 30 → 10: 20 back into the block */
  SrvUsage u = {"tokens", 10};
  SrvSettled out[2];
  size_t nout = 2;
  int closed;
  CU_ASSERT_EQUAL(srv_lease_settle(L, &id1, 500, &u, 1, NULL, 0, out, &nout, &closed), SRV_STORE_OK);
  CU_ASSERT(nout == 1 && out[0].reserved == 30 && out[0].used == 10 && !strcmp(out[0].budget, "tok"));
  CU_ASSERT_EQUAL(USED(l), 70);
  /* once only; closed tells it was here */
  nout = 2;
  CU_ASSERT_EQUAL(srv_lease_settle(L, &id1, 500, &u, 1, NULL, 0, out, &nout, &closed), SRV_STORE_UNKNOWN);
  CU_ASSERT_EQUAL(closed, 1);
  SrvDecisionId other = id_of(9);
  CU_ASSERT_EQUAL(srv_lease_settle(L, &other, 500, &u, 1, NULL, 0, out, &nout, &closed), SRV_STORE_UNKNOWN);
  CU_ASSERT_EQUAL(closed, 0);
  /* forwarded by another replica: one usage per item */
  int64_t used0 = 0;
  nout = 0;
  CU_ASSERT_EQUAL(srv_lease_settle(L, &id2, 600, NULL, 0, &used0, 1, out, &nout, &closed), SRV_STORE_OK);
  CU_ASSERT_EQUAL(USED(l), 40);

  /* idle: the unused room goes back; not before */
  SrvLeaseDue due[4];
  CU_ASSERT_EQUAL(srv_lease_due(L, 1000, 700, 500, 0, due, 4), 0);
  CU_ASSERT_EQUAL(srv_lease_due(L, 1000, 1100, 500, 0, due, 4), 1);
  CU_ASSERT(due[0].l == l && due[0].delta == -60 && HELD(l) == 40);
  srv_lease_done(L, due, 1, 0);   /* not sent: undone, due again */
  CU_ASSERT_EQUAL(HELD(l), 100);
  CU_ASSERT_EQUAL(srv_lease_due(L, 1000, 1100, 500, 0, due, 4), 1);
  srv_lease_done(L, due, 1, -1);  /* unknown: a give-back stays given */
  CU_ASSERT_EQUAL(HELD(l), 40);
  CU_ASSERT_EQUAL(srv_lease_due(L, 1000, 1100, 500, 0, due, 4), 0);
  /* usage above the reservation: a debt, due at once, idle or not */
  SrvUsage big = {"tok", 50};
  nout = 2;
  CU_ASSERT_EQUAL(srv_lease_settle(L, &id3, 1200, &big, 1, NULL, 0, out, &nout, &closed), SRV_STORE_OK);
  CU_ASSERT(USED(l) == 60 && HELD(l) == 40);
  CU_ASSERT_EQUAL(srv_lease_due(L, 1000, 1201, 500, 0, due, 4), 1);
  CU_ASSERT_EQUAL(due[0].delta, 20);
  srv_lease_done(L, due, 1, -1);  /* unknown: a debt is charged again later, never missed */
  CU_ASSERT_EQUAL(HELD(l), 40);
  CU_ASSERT_EQUAL(srv_lease_due(L, 1000, 1201, 500, 0, due, 4), 1);
  srv_lease_done(L, due, 1, 1);
  CU_ASSERT(HELD(l) == 60 && USED(l) == 60);
  SrvLeaseStats st;
  srv_lease_stats(L, &st);
  CU_ASSERT(st.blocks == 1 && st.returns == 1 && st.reservations == 0 && st.leases == 1);
  /* nothing held, nothing pinned, idle: the sweep forgets it */
  srv_lease_sweep(L, 1000, 5000, 500);
  srv_lease_stats(L, &st);
  CU_ASSERT_EQUAL(st.leases, 0);
  srv_lease_free(L);
}

static void test_all_or_none(void) {
  SrvLeases *L = srv_lease_new(10, 8);
  SrvCharge ch[2] = {charge("a", "k", 100, 10), charge("b", "k", 100, 10)};
  SrvLease *slot[2];
  int need[2];
  CU_ASSERT_EQUAL(srv_lease_take(L, ch, 1, 1, slot, need), 0);
  srv_lease_grant(L, slot[0], &ch[0], 50, 1);
  SrvDecisionId id1 = id_of(1);
  srv_lease_record(L, &id1, slot, ch, 1, 1000, 1600);
  /* a fits its block, b has none: the caller asks for b's, and on a refusal gives a's back */
  CU_ASSERT_EQUAL(srv_lease_take(L, ch, 2, 2, slot, need), 0);
  CU_ASSERT(need[0] == 0 && need[1] == 1 && USED(slot[0]) == 20);
  for (int i = 0; i < 2; i++) srv_lease_untake(L, slot[i], &ch[i], need[i] ? 0 : ch[i].amount);
  CU_ASSERT(USED(slot[0]) == 10 && USED(slot[1]) == 0);
  /* the table's limit: nothing taken */
  SrvLeases *one = srv_lease_new(1, 8);
  CU_ASSERT_EQUAL(srv_lease_take(one, ch, 2, 1, slot, need), -1);
  SrvLeaseStats st;
  srv_lease_stats(one, &st);
  CU_ASSERT_EQUAL(st.leases, 1);
  srv_lease_free(one);
  srv_lease_free(L);
}

static void test_window(void) {
  SrvLeases *L = srv_lease_new(10, 8);
  SrvCharge ch = charge("tok", "a", 1000, 30);
  SrvLease *l;
  int need;
  srv_lease_take(L, &ch, 1, 1, &l, &need);
  srv_lease_grant(L, l, &ch, 300, 1);
  SrvDecisionId id1 = id_of(1), id2 = id_of(2);
  srv_lease_record(L, &id1, &l, &ch, 1, 1000, 1600);
  /* the next window: the old block died with its counter; start again */
  SrvCharge next = ch;
  next.window_start = 2000; next.window_end = 3000;
  CU_ASSERT_EQUAL(srv_lease_take(L, &next, 1, 2, &l, &need), 0);
  CU_ASSERT(need == 1 && HELD(l) == 0 && USED(l) == 0);
  srv_lease_grant(L, l, &next, 100, 2);
  srv_lease_record(L, &id2, &l, &next, 1, 2000, 2600);
  /* settling the old window's reservation moves nothing in the new one */
  SrvUsage u = {"tokens", 0};
  SrvSettled out[1];
  size_t nout = 1;
  int closed;
  CU_ASSERT_EQUAL(srv_lease_settle(L, &id1, 3, &u, 1, NULL, 0, out, &nout, &closed), SRV_STORE_OK);
  CU_ASSERT(HELD(l) == 100 && USED(l) == 30);
  /* a block granted for the old window is lost, never added to the new one */
  srv_lease_grant(L, l, &ch, 500, 4);
  CU_ASSERT(HELD(l) == 100 && USED(l) == 30);
  /* a lowered limit: the block is not used until the shared counter agrees */
  SrvCharge lower = next;
  lower.limit = 500;
  CU_ASSERT_EQUAL(srv_lease_take(L, &lower, 1, 5, &l, &need), 0);
  CU_ASSERT_EQUAL(need, 1);
  srv_lease_untake(L, l, &lower, 0);
  /* expiry closes id2 at what it reserved */
  srv_lease_sweep(L, 2600, 6, 1000);
  SrvLeaseStats st;
  srv_lease_stats(L, &st);
  CU_ASSERT(st.expired == 1 && st.reservations == 0 && USED(l) == 30);
  srv_lease_free(L);
}

typedef struct Mirrored { int calls; int64_t expires_at, ttl, amount; char id[40]; } Mirrored;
static void on_mirror(void *ud, const SrvDecisionId *id, int64_t expires_at, int64_t ttl, const SrvLeaseItem *it,
                      size_t n) {
  Mirrored *m = ud;
  m->calls++;
  m->expires_at = expires_at;
  m->ttl = ttl;
  m->amount = n == 1 ? it[0].amount : -1;
  memcpy(m->id, id->text, sizeof m->id);
}

static void test_mirrors(void) {
  SrvLeases *L = srv_lease_new(10, 4);
  SrvCharge ch = charge("tok", "a", 1000, 30);
  SrvLease *l;
  int need;
  SrvDecisionId id[7];
  for (int i = 0; i < 7; i++) id[i] = id_of((uint64_t)i + 1);
  srv_lease_take(L, &ch, 1, 1, &l, &need);
  srv_lease_grant(L, l, &ch, 1000, 1);
  srv_lease_record(L, &id[0], &l, &ch, 1, 1000, 1600);
  Mirrored m = {0};
  CU_ASSERT_EQUAL(srv_lease_mirrors(L, 100, on_mirror, &m), 1);
  CU_ASSERT(m.calls == 1 && m.expires_at == 1600 && m.ttl == 600 && m.amount == 30 && !strcmp(m.id, id[0].text));
  CU_ASSERT_EQUAL(srv_lease_mirrors(L, 100, on_mirror, &m), 0);
  /* settled before its mirror was written: no mirror, nothing to delete */
  srv_lease_take(L, &ch, 1, 2, &l, &need);
  srv_lease_record(L, &id[1], &l, &ch, 1, 1000, 1600);
  SrvSettled out[1];
  size_t nout = 1;
  int closed;
  srv_lease_settle(L, &id[1], 3, NULL, 0, NULL, 0, out, &nout, &closed);
  CU_ASSERT_EQUAL(srv_lease_mirrors(L, 100, on_mirror, &m), 0);
  uint64_t seq[8];
  CU_ASSERT_EQUAL(srv_lease_unmirrors(L, seq, 8), 0);
  /* settled after: its mirror is to be deleted */
  nout = 1;
  srv_lease_settle(L, &id[0], 4, NULL, 0, NULL, 0, out, &nout, &closed);
  CU_ASSERT_EQUAL(srv_lease_unmirrors(L, seq, 8), 1);
  CU_ASSERT_EQUAL(seq[0], 1);
  /* the ring of 4 comes round: the seventh takes the third's slot, which stays reserved */
  for (int i = 2; i < 7; i++) {
    srv_lease_take(L, &ch, 1, 5, &l, &need);
    srv_lease_record(L, &id[i], &l, &ch, 1, 1000, 1600);
  }
  SrvLeaseStats st;
  srv_lease_stats(L, &st);
  CU_ASSERT(st.evicted == 1 && st.reservations == 4);
  CU_ASSERT_EQUAL(USED(l), 7 * 30);        /* two settled at their reservation, five reserved */
  srv_lease_free(L);
}

/* Threads race through leases over one simulated shared counter (the acquire script's
 * rule: a block is at most want and an eighth of the room, at least the charge). */
typedef struct Shared {
  SrvLeases *L;
  pthread_mutex_t mu;
  int64_t counter, limit;
  atomic_llong admitted;
  atomic_ullong seq;
} Shared;

static int shared_take(Shared *s, int64_t amount, int64_t want, int64_t *block) {
  pthread_mutex_lock(&s->mu);
  int64_t room = s->limit - s->counter, b = room / 8;
  int ok = amount <= room;
  if (ok) {
    if (b > want) b = want;
    if (b < amount) b = amount;
    s->counter += b;
    *block = b;
  }
  pthread_mutex_unlock(&s->mu);
  return ok;
}

static void *racer(void *arg) {
  Shared *s = arg;
  SrvCharge ch = charge("shared", "k", s->limit, 7);
  for (int i = 0; i < 3000; i++) {
    SrvLease *l;
    int need;
    uint64_t seq = atomic_fetch_add(&s->seq, 1);
    SrvDecisionId id = id_of(seq);
    if (srv_lease_take(s->L, &ch, 1, seq, &l, &need)) continue;
    int64_t block;
    if (need && !shared_take(s, ch.amount, srv_lease_want(s->limit, ch.amount, 5), &block)) {
      srv_lease_untake(s->L, l, &ch, 0);
      continue;
    }
    if (need) srv_lease_grant(s->L, l, &ch, block, seq);
    srv_lease_record(s->L, &id, &l, &ch, 1, 1000, 1600);
    atomic_fetch_add(&s->admitted, ch.amount);
    if (seq % 3 == 0) {           /* a third settle at 2: 5 back into the block */
      SrvUsage u = {"tokens", 2};
      SrvSettled out[1];
      size_t nout = 1;
      int closed;
      if (srv_lease_settle(s->L, &id, seq, &u, 1, NULL, 0, out, &nout, &closed) == SRV_STORE_OK)
        atomic_fetch_sub(&s->admitted, 5);
    }
  }
  return NULL;
}

static void test_race(void) {
  Shared s = {.L = srv_lease_new(10, 1 << 16), .limit = 10000};
  pthread_mutex_init(&s.mu, NULL);
  atomic_init(&s.admitted, 0);
  atomic_init(&s.seq, 1);
  pthread_t t[8];
  for (int i = 0; i < 8; i++) pthread_create(&t[i], NULL, racer, &s);
  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
  /* never past the limit, and the counter holds every admission */
  int64_t admitted = atomic_load(&s.admitted);
  CU_ASSERT(s.counter <= s.limit);
  CU_ASSERT(admitted <= s.counter);
  /* every block's unused room goes back: the counter is then what was admitted */
  SrvLeaseDue due[4];
  size_t n = srv_lease_due(s.L, 1000, 0, 0, 1, due, 4);
  for (size_t i = 0; i < n; i++) s.counter += due[i].delta;
  srv_lease_done(s.L, due, n, 1);
  CU_ASSERT_EQUAL(s.counter, admitted);
  /* and it came close: at the end less than one charge of room was left unused */
  CU_ASSERT(s.limit - admitted < 7 * 8);
  pthread_mutex_destroy(&s.mu);
  srv_lease_free(s.L);
}

UNIT_SUITE(serve_lease,
  {"lease: block size", test_want},
  {"lease: take, grant, settle into the block, return after idle, debts", test_take_settle},
  {"lease: all or none, the table's limit", test_all_or_none},
  {"lease: windows and limits", test_window},
  {"lease: mirrors and the ring", test_mirrors},
  {"lease: 8 threads over one shared counter", test_race})
