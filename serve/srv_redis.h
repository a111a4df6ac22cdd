/* What the Redis budget store's two files share: the connection of each thread and its
 * scripts (srv_store_redis.c), and leases (srv_store_lease.c). Not used elsewhere. */
#ifndef AIGW_SRV_REDIS_H
#define AIGW_SRV_REDIS_H
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include "srv_lease.h"
#include "srv_store.h"
#include "util.h"

/* The server-side scripts, loaded on every connection (index into SrvRedisConn.sha). */
enum { SRV_LUA_RESERVE, SRV_LUA_SETTLE, SRV_LUA_ACQUIRE, SRV_LUA_TICK, SRV_NLUA };
/* How long a settle forwarded to another replica's inbox waits for it to be read. */
enum { SRV_INBOX_SECONDS = 600 };
extern const char SRV_LUA_ACQUIRE_TEXT[], SRV_LUA_TICK_TEXT[];

typedef struct SrvRedisConn {
  redisContext *c;
  uint64_t retry_at_ns;
  unsigned backoff_ms;
  unsigned long long epoch;       /* the store's connects when this one failed */
  char sha[SRV_NLUA][48];
  Buf pack;                       /* a reservation's items, packed (srv_redis_pack) */
} SrvRedisConn;

typedef struct SrvRedis {
  SrvStore base;
  char *host;
  int port, db;
  SrvRedisOptions o;
  SrvStore *local;                /* on_store_error local */
  pthread_key_t key;              /* each thread's SrvRedisConn */
  pthread_mutex_t err_mu;
  char last_error[200];
  atomic_int reachable;
  atomic_ullong errors, fallback[3], live, reconnects;   /* reconnects: the epoch */
  /* leases (srv_store_lease.c): NULL when no budget has them */
  SrvLeases *leases;
  char inbox[32];                 /* aigw:i:<this process's boot>: settles forwarded here */
  pthread_t tick;
  pthread_mutex_t tick_mu;
  pthread_cond_t tick_cv;
  int tick_stop, tick_started;
  atomic_ullong mirror_dropped;
} SrvRedis;

/* The calling thread's connection, connected; NULL (why in err) while Redis cannot be
 * reached (then nothing was sent). */
SrvRedisConn *srv_redis_conn(SrvRedis *r, char *err, size_t errlen);
/* EVALSHA of script which (loaded again when Redis lost it); argv[0..1] are set here.
 * NULL on failure, why in err. */
redisReply *srv_redis_eval(SrvRedis *r, SrvRedisConn *k, int which, int argc, const char **argv, size_t *len,
                           char *err, size_t errlen);
void srv_redis_note_error(SrvRedis *r, const char *why, char *err, size_t errlen);
/* Redis failed for ch[0..n): what each budget's on_store_error says. OK (allowed, or
 * reserved in the local store under id), OVER (local: *over), ERROR (deny). */
SrvStoreResult srv_redis_fallback(SrvRedis *r, const SrvDecisionId *id, const SrvCharge *ch, size_t n, int64_t now,
                                  int64_t expires_at, size_t *over, char *err, size_t errlen);
/* aigw:c:<budget length>:<budget>:<window start>:<key> */
void srv_redis_counter_key(char *out, size_t cap, const char *budget, int64_t window_start, const char *key,
                           size_t key_len, size_t *len);
/* A reserved charge as the settle script reads it: counter ("" for a leased one: the
 * replica that admitted it settles it), amount, budget, unit, key, each as LENGTH:BYTES. */
void srv_redis_pack(Buf *o, const char *counter, size_t clen, int64_t amount, const char *budget, const char *unit,
                    const char *key, size_t key_len);
void srv_redis_pack_num(Buf *o, int64_t v);   /* one number, as srv_redis_pack writes its amount */
/* aigw:m:<boot>:<seq / 65536, hex>: the hash of mirrors that holds id's (field: the
 * seq half of id's text). */
void srv_redis_mirror_key(char *out, size_t cap, const SrvDecisionId *id);
/* The settle script: the reservation's record in Redis (exact, or a lease's mirror). */
SrvStoreResult srv_redis_settle_shared(SrvRedis *r, const SrvDecisionId *id, const SrvUsage *u, size_t nu, int64_t now,
                                       SrvSettled *out, size_t *nout, char *err, size_t errlen);

/* Leases (srv_store_lease.c). */
int srv_redis_lease_start(SrvRedis *r, char *err, size_t errlen);
/* Gives back every block's unused room, then stops the thread. */
void srv_redis_lease_stop(SrvRedis *r);
/* 1 when every charge's budget is leased (the decision goes through leases). */
int srv_redis_leased(SrvRedis *r, const SrvCharge *ch, size_t n);
SrvStoreResult srv_redis_lease_reserve(SrvRedis *r, const SrvDecisionId *id, const SrvCharge *ch, size_t n, int64_t now,
                                       int64_t expires_at, size_t *over, char *err, size_t errlen);
#endif
