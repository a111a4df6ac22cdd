/* aigwc serve's pieces without HTTP: the in-process store (limits under
 * racing threads, all-or-none, settle, expiry, eviction), decision ids, the config, and
 * a replay of the input-mapping fuzz corpus. The HTTP contracts are tested end to end
 * by tests/e2e/t_serve.sh. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "srv.h"
#include "unit.h"

#include "../fuzz/fuzz_map_entry.c"

static void test_ids(void) {
  SrvDecisionId a = {0x0123456789abcdefull, 42, ""}, b;
  srv_id_format(&a);
  CU_ASSERT_STRING_EQUAL(a.text, "0123456789abcdef-000000000000002a");
  CU_ASSERT_EQUAL(srv_id_parse(a.text, strlen(a.text), &b), 0);
  CU_ASSERT(b.boot == a.boot && b.seq == a.seq);
  CU_ASSERT_EQUAL(srv_id_parse("0123456789abcdef-00000000000002a", 32, &b), -1);
  CU_ASSERT_EQUAL(srv_id_parse("0123456789ABCDEF-000000000000002a", 33, &b), -1);
}

/* ---- the in-process store ---- */
static SrvCharge charge(const char *budget, const char *key, int64_t limit, int64_t amount) {
  return (SrvCharge){budget, "tokens", key, strlen(key), limit, amount, 1000, 2000};
}
static SrvDecisionId id_of(uint64_t seq) { SrvDecisionId id = {7, seq, ""}; srv_id_format(&id); return id; }

typedef struct Used { const char *budget, *key; int64_t used; } Used;
static void find_used(void *ud, const char *budget, const char *unit, const char *key, size_t kl, int64_t used,
                      int64_t limit, int64_t window_end) {
  Used *u = ud;
  (void)unit; (void)limit; (void)window_end;
  if (!strcmp(budget, u->budget) && kl == strlen(u->key) && !memcmp(key, u->key, kl)) u->used = used;
}
static int64_t used_of(SrvStore *st, const char *budget, const char *key) {
  Used u = {budget, key, -1};
  st->ops->each(st, 1000, find_used, &u);
  return u.used;
}

static void test_store(void) {
  SrvStore *st = srv_store_mem_new(100, 4);
  char err[200];
  size_t over = 99;
  SrvCharge ch[2] = {charge("tok", "a", 100, 60), charge("req", "a", 2, 1)};
  ch[1].unit = "requests";
  SrvDecisionId id1 = id_of(1), id2 = id_of(2), id3 = id_of(3);
  CU_ASSERT_EQUAL(st->ops->reserve(st, &id1, ch, 2, 1000, 1100, &over, err, sizeof err), SRV_STORE_OK);
  /* 60 + 60 > 100: refused, and the request counter it had already taken is given back */
  CU_ASSERT_EQUAL(st->ops->reserve(st, &id2, ch, 2, 1000, 1100, &over, err, sizeof err), SRV_STORE_OVER);
  CU_ASSERT_EQUAL(over, 0);
  CU_ASSERT_EQUAL(used_of(st, "req", "a"), 1);
  /* settle 60 → 10: 50 comes back; 40 + 10 + 40 fits */
  SrvUsage u = {"tokens", 10};
  SrvSettled out[4];
  size_t nout = 4;
  CU_ASSERT_EQUAL(st->ops->settle(st, &id1, &u, 1, 1000, out, &nout, err, sizeof err), SRV_STORE_OK);
  CU_ASSERT_EQUAL(nout, 2);
  CU_ASSERT(out[0].reserved == 60 && out[0].used == 10 && out[1].reserved == 1 && out[1].used == 1);
  CU_ASSERT_EQUAL(used_of(st, "tok", "a"), 10);
  nout = 4;
  CU_ASSERT_EQUAL(st->ops->settle(st, &id1, &u, 1, 1000, out, &nout, err, sizeof err), SRV_STORE_UNKNOWN);
  ch[0].amount = 90;
  CU_ASSERT_EQUAL(st->ops->reserve(st, &id3, ch, 2, 1000, 1100, &over, err, sizeof err), SRV_STORE_OK);
  /* the request budget is full now (2 of 2) */
  SrvDecisionId id4 = id_of(4);
  ch[0].amount = 0;
  CU_ASSERT_EQUAL(st->ops->reserve(st, &id4, ch, 2, 1000, 1100, &over, err, sizeof err), SRV_STORE_OVER);
  CU_ASSERT_EQUAL(over, 1);
  /* expiry closes id3 at what it reserved: nothing comes back, settle no longer finds it */
  st->ops->sweep(st, 1100);
  CU_ASSERT_EQUAL(used_of(st, "tok", "a"), 100);
  nout = 4;
  CU_ASSERT_EQUAL(st->ops->settle(st, &id3, NULL, 0, 1100, out, &nout, err, sizeof err), SRV_STORE_UNKNOWN);
  SrvStoreStats ss;
  st->ops->stats(st, &ss);
  CU_ASSERT(ss.expired == 1 && ss.reservations == 0 && ss.counters == 2);
  /* a new window starts from zero; the sweep forgets counters of past windows */
  SrvCharge next = charge("tok", "a", 100, 100);
  next.window_start = 2000; next.window_end = 3000;
  SrvDecisionId id5 = id_of(5);
  CU_ASSERT_EQUAL(st->ops->reserve(st, &id5, &next, 1, 2000, 2100, &over, err, sizeof err), SRV_STORE_OK);
  st->ops->sweep(st, 2000);
  st->ops->stats(st, &ss);
  CU_ASSERT_EQUAL(ss.counters, 1);      /* "req" ended at 2000; "tok" is pinned and current */
  /* the ring of 4: the fifth reservation after id5 evicts it (closed as reserved) */
  for (uint64_t s = 6; s <= 9; s++) {
    SrvDecisionId i = id_of(s);
    SrvCharge z = charge("z", "k", 100, 1);
    CU_ASSERT_EQUAL(st->ops->reserve(st, &i, &z, 1, 2000, 2100, &over, err, sizeof err), SRV_STORE_OK);
  }
  st->ops->stats(st, &ss);
  CU_ASSERT_EQUAL(ss.evicted, 1);
  nout = 4;
  CU_ASSERT_EQUAL(st->ops->settle(st, &id5, NULL, 0, 2000, out, &nout, err, sizeof err), SRV_STORE_UNKNOWN);
  st->ops->close(st);

  /* the counter limit is a named error */
  st = srv_store_mem_new(1, 4);
  SrvCharge two[2] = {charge("a", "1", 10, 1), charge("b", "1", 10, 1)};
  CU_ASSERT_EQUAL(st->ops->reserve(st, &id1, two, 2, 1000, 1100, &over, err, sizeof err), SRV_STORE_ERROR);
  CU_ASSERT_STRING_EQUAL(err, "budget counters full (limit is 1)");
  CU_ASSERT_EQUAL(used_of(st, "a", "1"), 0);
  st->ops->close(st);
}

/* Many threads race for one counter: exactly floor(limit / amount) are admitted. */
typedef struct Race { SrvStore *st; atomic_ullong *seq, *admitted; } Race;
static void *race(void *arg) {
  Race *r = arg;
  char err[100];
  size_t over;
  SrvCharge ch = charge("shared", "k", 1000, 7);
  for (int i = 0; i < 2000; i++) {
    SrvDecisionId id = id_of(atomic_fetch_add(r->seq, 1));
    if (r->st->ops->reserve(r->st, &id, &ch, 1, 1000, 5000, &over, err, sizeof err) == SRV_STORE_OK)
      atomic_fetch_add(r->admitted, 1);
  }
  return NULL;
}

static void test_store_race(void) {
  SrvStore *st = srv_store_mem_new(10, 1 << 16);
  atomic_ullong seq = 1, admitted = 0;
  Race r = {st, &seq, &admitted};
  pthread_t t[8];
  for (int i = 0; i < 8; i++) pthread_create(&t[i], NULL, race, &r);
  for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
  CU_ASSERT_EQUAL(atomic_load(&admitted), 142);
  CU_ASSERT_EQUAL(used_of(st, "shared", "k"), 994);
  st->ops->close(st);
}

/* ---- the config ---- */
static void config_error(const char *text, const char *want) {
  SrvConfig c;
  char err[300] = "";
  srv_config_defaults(&c);
  CU_ASSERT_EQUAL(srv_config_parse(text, strlen(text), &c, err, sizeof err), -1);
  if (strcmp(err, want)) printf("\n  config %s:\n    got  %s\n    want %s\n", text, err, want);
  CU_ASSERT_STRING_EQUAL(err, want);
  srv_config_free(&c);
}

static void test_config(void) {
  SrvConfig c;
  char err[300];
  srv_config_defaults(&c);
  const char *good = "{\"input\": {\"team\": {\"header\": \"X-Team\", \"default\": \"none\"}},"
                     " \"limits\": {\"body_bytes\": 1024}, \"envoy\": {\"path_prefix\": \"/authz/\"},"
                     " \"decision_log\": {\"input\": [\"team\"]}}";
  CU_ASSERT_EQUAL_FATAL(srv_config_parse(good, strlen(good), &c, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(c.rules[0].header, "x-team");     /* kept in lower case */
  CU_ASSERT_EQUAL(c.limits.body_bytes, 1024);
  CU_ASSERT_STRING_EQUAL(c.envoy_prefix, "/authz");
  CU_ASSERT_EQUAL(c.nlog_fields, 1);
  srv_config_free(&c);
  config_error("{\"limit\": {}}", "unknown key 'limit' (input, limits, budgets, budget_store, decision_log, envoy, bundle_url)");
  const char *store = "{\"budget_store\": {\"timeout_ms\": 90, \"on_store_error\": {\"a\": \"local\", \"*\": \"allow\", \"b\": \"deny\"}}}";
  srv_config_defaults(&c);
  CU_ASSERT_EQUAL_FATAL(srv_config_parse(store, strlen(store), &c, err, sizeof err), 0);
  CU_ASSERT_EQUAL(c.store_timeout_ms, 90);
  CU_ASSERT_EQUAL(srv_config_store_mode(&c, "a"), SRV_ON_ERROR_LOCAL);
  CU_ASSERT_EQUAL(srv_config_store_mode(&c, "b"), SRV_ON_ERROR_DENY);
  CU_ASSERT_EQUAL(srv_config_store_mode(&c, "other"), SRV_ON_ERROR_ALLOW);
  srv_config_free(&c);
  srv_config_defaults(&c);
  CU_ASSERT_EQUAL(srv_config_store_mode(&c, "any"), SRV_ON_ERROR_DENY);   /* the default */
  CU_ASSERT(srv_config_lease_percent(&c, "any") == 1 && srv_config_leases(&c));   /* leases by default */
  CU_ASSERT_EQUAL(c.lease_idle_ms, 500);
  srv_config_free(&c);
  /* leases: one number for every budget, or by name with "*" */
  const char *lease = "{\"budget_store\": {\"lease_percent\": {\"a\": 5, \"*\": 0}, \"lease_idle_ms\": 200}}";
  srv_config_defaults(&c);
  CU_ASSERT_EQUAL_FATAL(srv_config_parse(lease, strlen(lease), &c, err, sizeof err), 0);
  CU_ASSERT(srv_config_lease_percent(&c, "a") == 5 && srv_config_lease_percent(&c, "b") == 0);
  CU_ASSERT(srv_config_leases(&c) && c.lease_idle_ms == 200);
  srv_config_free(&c);
  const char *exact = "{\"budget_store\": {\"lease_percent\": 0}}";
  srv_config_defaults(&c);
  CU_ASSERT_EQUAL_FATAL(srv_config_parse(exact, strlen(exact), &c, err, sizeof err), 0);
  CU_ASSERT(srv_config_lease_percent(&c, "a") == 0 && !srv_config_leases(&c));
  srv_config_free(&c);
  config_error("{\"budget_store\": {\"lease_percent\": 101}}", "budget_store.lease_percent: 101 is out of range (0 to 100)");
  config_error("{\"budget_store\": {\"lease_percent\": {\"a\": \"5\"}}}",
               "budget_store.lease_percent.a: expected a whole number of percent (0: every request asks Redis)");
  config_error("{\"budget_store\": {\"lease\": 1}}",
               "budget_store: unknown key 'lease' (on_store_error, lease_percent, timeout_ms, lease_idle_ms)");
  config_error("{\"budget_store\": {\"on_store_error\": {\"a\": \"fail\"}}}",
               "budget_store.on_store_error.a: expected \"deny\", \"allow\" or \"local\"");
  config_error("{\"budget_store\": {\"timeout_ms\": 0}}", "budget_store.timeout_ms: 0 is out of range (1 to 60000)");
  char host[64];
  int port, db;
  CU_ASSERT_EQUAL(srv_store_redis_parse("redis://127.0.0.1:6379/3", host, sizeof host, &port, &db), 0);
  CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
  CU_ASSERT(port == 6379 && db == 3);
  CU_ASSERT_EQUAL(srv_store_redis_parse("redis://cache:6380", host, sizeof host, &port, &db), 0);
  CU_ASSERT(port == 6380 && db == 0);
  CU_ASSERT_EQUAL(srv_store_redis_parse("redis://cache", host, sizeof host, &port, &db), -1);
  CU_ASSERT_EQUAL(srv_store_redis_parse("redis://cache:6379/16", host, sizeof host, &port, &db), -1);
  CU_ASSERT_EQUAL(srv_store_redis_parse("http://cache:6379", host, sizeof host, &port, &db), -1);
  CU_ASSERT_EQUAL(srv_store_redis_parse("redis://:6379", host, sizeof host, &port, &db), -1);
  config_error("{\"limits\": {\"connections\": 0}}", "limits.connections: 0 is out of range (1 to 1048576)");
  config_error("{\"input\": {\"team\": {}}}", "input.team: give header, header_prefix, body or default");
  config_error("{\"input\": {\"team\": {\"header\": \"x team\"}}}", "input.team.header: 'x team' is not a header name");
  config_error("{\"input\": {\"team\": {\"header\": \"a\", \"header_prefix\": \"b\"}}}",
               "input.team: header and header_prefix exclude each other");
  config_error("{\"input\": {\"t\": {\"header\": \"a\"}}, \"input\": {}}", "1:41: duplicate object key near '\"input\"'");
  config_error("[]", "expected a JSON object");
}

/* ---- the mapping fuzz corpus, replayed ---- */
static void test_map_corpus(void) { unit_replay("map", fuzz_map_one); }

UNIT_SUITE(serve,
  {"decision ids", test_ids},
  {"in-process store: limits, all or none, settle, expiry, eviction", test_store},
  {"in-process store: 8 threads race for one counter", test_store_race},
  {"config: values and errors", test_config},
  {"input mapping fuzz corpus and regressions", test_map_corpus})
