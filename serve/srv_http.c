/* The HTTP front: libmicrohttpd, with its own thread pool polling with epoll.
 *
 * Why a pool and not a thread per connection: a decision takes microseconds, so a few
 * threads (one per core) answer everything, each with one evaluation context reused
 * for every request it serves. A slow or idle client costs a socket and its bounded
 * connection memory, never a thread: epoll wakes a worker only when bytes arrive, and
 * the idle timeout closes what stays silent. A thread per connection would make
 * thousands of slow connections thousands of threads (and contexts).
 *
 * Limits (the config's "limits"): the connection memory bounds the request line and
 * headers (a larger header block is refused by libmicrohttpd); a body over body_bytes
 * is a 413; requests_per_connection closes a keep-alive connection after that many;
 * request_seconds ends a request whose body is still arriving after that long; and at
 * most `connections` are open at once. Per-connection state (its body and answer
 * buffers) is allocated when the connection opens and reused by each of its requests. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "srv.h"

typedef struct Conn {
  Buf body;
  SrvReply reply;
  unsigned requests;
  uint64_t started_ns;
  int too_big;
} Conn;

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
  SrvServer *s = cls;
  (void)mc;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    *socket_context = xcalloc(1, sizeof(Conn));
    atomic_fetch_add(&s->metrics.connections, 1);
    return;
  }
  Conn *k = *socket_context;
  if (!k) return;
  buf_free(&k->body);
  buf_free(&k->reply.body);
  buf_free(&k->reply.hdrs);
  xfree(k);
  *socket_context = NULL;
  atomic_fetch_sub(&s->metrics.connections, 1);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req_cls, enum MHD_RequestTerminationCode toe) {
  SrvServer *s = cls;
  (void)mc; (void)toe;
  if (*req_cls) atomic_fetch_sub(&s->metrics.inflight, 1);
  *req_cls = NULL;
}

/* ---- headers, as srv_map reads them ---- */
static const char *mhd_get(void *ud, const char *name, size_t *len) {
  const char *v = NULL;
  size_t vl = 0;
  if (MHD_lookup_connection_value_n(ud, MHD_HEADER_KIND, name, strlen(name), &v, &vl) != MHD_YES) return NULL;
  *len = vl;
  return v;
}

typedef struct Each { srv_header_fn fn; void *arg; } Each;
static enum MHD_Result each_one(void *cls, enum MHD_ValueKind kind, const char *key, size_t kl, const char *val, size_t vl) {
  Each *e = cls;
  (void)kind;
  return e->fn(e->arg, key, kl, val ? val : "", val ? vl : 0) ? MHD_YES : MHD_NO;
}
static void mhd_each(void *ud, srv_header_fn fn, void *arg) {
  Each e = {fn, arg};
  MHD_get_connection_values_n(ud, MHD_HEADER_KIND, each_one, &e);
}

static enum MHD_Result send_reply(SrvServer *s, struct MHD_Connection *mc, Conn *k) {
  SrvReply *r = &k->reply;
  struct MHD_Response *resp = MHD_create_response_from_buffer(r->body.n, r->body.n ? r->body.p : (void *)"",
                                                              MHD_RESPMEM_PERSISTENT);
  if (!resp) return MHD_NO;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
  for (size_t at = 0; at < r->hdrs.n;) {
    const char *name = r->hdrs.p + at;
    const char *value = name + strlen(name) + 1;
    MHD_add_response_header(resp, name, value);
    at = (size_t)(value + strlen(value) + 1 - r->hdrs.p);
  }
  if (r->close || k->requests >= s->cfg->limits.requests_per_connection || atomic_load(&s->draining))
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  int status = r->status >= 100 && r->status < 600 ? r->status : 500;
  atomic_fetch_add_explicit(&s->metrics.http[status], 1, memory_order_relaxed);
  enum MHD_Result ok = MHD_queue_response(mc, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **req_cls) {
  SrvServer *s = cls;
  (void)version;
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  Conn *k = ci ? ci->socket_context : NULL;
  if (!k) return MHD_NO;
  const SrvLimits *lim = &s->cfg->limits;
  if (!*req_cls) {                                  /* the headers are in */
    *req_cls = k;
    atomic_fetch_add(&s->metrics.inflight, 1);
    k->requests++;
    k->body.n = 0;
    k->too_big = 0;
    k->started_ns = srv_mono_ns();
    srv_reply_reset(&k->reply);
    const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > lim->body_bytes) {
      char why[96];
      snprintf(why, sizeof why, "the body is larger than %zu bytes", lim->body_bytes);
      srv_reply_error(&k->reply, 413, why);
      k->reply.close = 1;
      return send_reply(s, mc, k);
    }
    return MHD_YES;
  }
  if (*upload_size) {                               /* a piece of the body */
    if (srv_mono_ns() - k->started_ns > (uint64_t)lim->request_seconds * 1000000000u) return MHD_NO;
    if (k->body.n + *upload_size > lim->body_bytes) k->too_big = 1;
    else if (!k->too_big) buf_put(&k->body, upload, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  if (k->too_big) {
    char why[96];
    snprintf(why, sizeof why, "the body is larger than %zu bytes", lim->body_bytes);
    srv_reply_error(&k->reply, 413, why);
    k->reply.close = 1;
    return send_reply(s, mc, k);
  }
  /* the path without its query */
  char path[512];
  size_t pl = strcspn(url, "?");
  if (pl >= sizeof path) pl = sizeof path - 1;
  memcpy(path, url, pl);
  path[pl] = 0;
  SrvRequest rq = {method, path, k->body.n ? k->body.p : "", k->body.n, {mhd_get, mhd_each, mc}};
  srv_handle(s, &rq, &k->reply);
  return send_reply(s, mc, k);
}

/* libmicrohttpd's complaints about broken clients: a few, then one in a thousand */
static void on_log(void *cls, const char *fmt, va_list ap) {
  static atomic_ulong n;
  (void)cls;
  unsigned long i = atomic_fetch_add(&n, 1);
  if (i >= 20 && i % 1000) return;
  fputs("aigwc serve: http: ", stderr);
  vfprintf(stderr, fmt, ap);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, int *v6, char *err, size_t errlen) {
  memset(ss, 0, sizeof *ss);
  const char *colon = strrchr(listen, ':');
  char host[128];
  if (!colon || colon - listen >= (long)sizeof host) goto bad;
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = 0;
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535 || colon[1] == 0) goto bad;
  size_t hl = strlen(host);
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    host[hl - 1] = 0;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1) goto bad;
    *v6 = 1;
    return 0;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)ss;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, hl ? host : "127.0.0.1", &a->sin_addr) != 1) goto bad;
  *v6 = 0;
  return 0;
bad:
  snprintf(err, errlen, "--listen '%s': expected ADDR:PORT, [ADDR6]:PORT or :PORT", listen);
  return -1;
}

int srv_http_start(SrvServer *s, const char *listen, unsigned threads, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  int v6;
  if (parse_listen(listen, &ss, &v6, err, errlen)) return -1;
  const SrvLimits *lim = &s->cfg->limits;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
  if (v6) flags |= MHD_USE_IPv6;
  /* the connection's memory holds the request line and headers, and the read buffer */
  size_t mem = lim->header_bytes + 4096;
  struct MHD_OptionItem opts[] = {
    {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_log, NULL},   /* first, or MHD logs on its own */
    {MHD_OPTION_SOCK_ADDR, 0, &ss},
    {MHD_OPTION_CONNECTION_LIMIT, lim->connections, NULL},
    {MHD_OPTION_CONNECTION_TIMEOUT, lim->idle_seconds, NULL},
    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)mem, NULL},
    {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
    {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s},
    {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL},
    {MHD_OPTION_END, 0, NULL},
  };
  s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
  if (!s->daemon) {
    snprintf(err, errlen, "cannot listen on %s (in use, or not an address of this host)", listen);
    return -1;
  }
  const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  char host[64];
  if (v6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
  else inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
  fprintf(stderr, v6 ? "aigwc serve: listening on [%s]:%u\n" : "aigwc serve: listening on %s:%u\n", host,
          di ? (unsigned)di->port : 0);
  return 0;
}

void srv_http_stop(SrvServer *s) {
  if (!s->daemon) return;
  atomic_store(&s->draining, 1);
  MHD_socket fd = MHD_quiesce_daemon(s->daemon);
  uint64_t deadline = srv_mono_ns() + (uint64_t)s->cfg->limits.drain_seconds * 1000000000u;
  while (atomic_load(&s->metrics.inflight) > 0 && srv_mono_ns() < deadline) {
    struct timespec ts = {0, 10 * 1000000};
    nanosleep(&ts, NULL);
  }
  MHD_stop_daemon(s->daemon);
  if (fd != MHD_INVALID_SOCKET) close(fd);
  s->daemon = NULL;
}
