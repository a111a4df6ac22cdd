/* The live read: every page of a scope's policy exemptions through the ARM REST API,
 * with libcurl. Pinned api-version; the bearer token comes from the environment and is
 * only ever put in a request header to the configured endpoint (a nextLink to another
 * host is refused); 429 and 5xx are retried, honouring Retry-After, with backoff, within
 * one deadline for the whole read. Any failure on any page fails the whole read: a
 * report on a partial listing would look complete and be wrong. */
#include <curl/curl.h>
#include <jansson.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "audit_azure.h"

enum { BACKOFF_MS = 500, BACKOFF_MAX_MS = 8000, CONNECT_MS = 10000, MESSAGE_MAX = 300 };

void audit_arm_defaults(AuditArmOptions *o) {
  memset(o, 0, sizeof *o);
  o->timeout_ms = 120000;
  o->retries = 4;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* Text from the server, made safe for a terminal and short. */
static void put_server_text(Buf *err, const char *s) {
  size_t n = 0;
  for (; *s && n < MESSAGE_MAX; s++, n++) buf_putc(err, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
  if (*s) buf_puts(err, "...");
}

typedef struct Fetch {
  Buf body;
  int64_t retry_after_ms;   /* -1 when the answer had none */
  int too_big;
} Fetch;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  Fetch *f = ud;
  if (f->body.n + size * n > AUDIT_ARM_MAX_PAGE) { f->too_big = 1; return 0; }
  buf_put(&f->body, p, size * n);
  return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  Fetch *f = ud;
  size_t len = size * n;
  static const char key[] = "retry-after:";
  if (len > sizeof key - 1 && !strncasecmp(p, key, sizeof key - 1)) {
    char v[64];
    size_t vl = len - (sizeof key - 1);
    if (vl >= sizeof v) vl = sizeof v - 1;
    memcpy(v, p + sizeof key - 1, vl);
    v[vl] = 0;
    char *s = v, *end;
    while (*s == ' ' || *s == '\t') s++;
    long secs = strtol(s, &end, 10);
    if (end != s && (*end == '\r' || *end == '\n' || !*end) && secs >= 0) f->retry_after_ms = (int64_t)secs * 1000;
    else {                                 /* an HTTP date */
      for (char *q = s; *q; q++) if (*q == '\r' || *q == '\n') *q = 0;
      time_t t = curl_getdate(s, NULL);
      if (t != -1) f->retry_after_ms = t > time(NULL) ? ((int64_t)t - time(NULL)) * 1000 : 0;
    }
  }
  return len;
}

/* The ARM error in a body, {"error": {"code", "message"}}, appended to err. */
static void arm_error(Buf *err, const Buf *body) {
  json_t *doc = body->n ? json_loadb(body->p, body->n, 0, NULL) : NULL;
  json_t *e = json_object_get(doc, "error");
  const char *code = json_string_value(json_object_get(e, "code"));
  const char *msg = json_string_value(json_object_get(e, "message"));
  if (code) { buf_puts(err, ": "); put_server_text(err, code); }
  if (msg) { buf_puts(err, ": "); put_server_text(err, msg); }
  json_decref(doc);
}

typedef struct Arm {
  CURL *curl;
  struct curl_slist *headers;
  const AuditArmOptions *o;
  int64_t deadline;
} Arm;

/* One page, retried as the options allow. Returns 0 with the body in f, or -1. */
static int fetch(Arm *a, const char *url, int page, Fetch *f, Buf *err) {
  for (int attempt = 0;; attempt++) {
    int64_t left = a->deadline - now_ms();
    if (left <= 0) {
      buf_printf(err, "page %d: no complete answer within --timeout %.3gs", page, a->o->timeout_ms / 1000.0);
      return -1;
    }
    f->body.n = 0;
    f->retry_after_ms = -1;
    f->too_big = 0;
    curl_easy_setopt(a->curl, CURLOPT_URL, url);
    curl_easy_setopt(a->curl, CURLOPT_TIMEOUT_MS, (long)left);
    curl_easy_setopt(a->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(left < CONNECT_MS ? left : CONNECT_MS));
    CURLcode rc = curl_easy_perform(a->curl);
    long status = 0;
    curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
    const char *why = NULL;
    char whybuf[64];
    if (rc == CURLE_OPERATION_TIMEDOUT && a->deadline - now_ms() <= 0) {
      buf_printf(err, "page %d: no complete answer within --timeout %.3gs", page, a->o->timeout_ms / 1000.0);
      return -1;
    }
    if (f->too_big) {
      buf_printf(err, "page %d: larger than %d MiB (the limit for one page)", page, AUDIT_ARM_MAX_PAGE >> 20);
      return -1;
    }
    if (rc != CURLE_OK) why = curl_easy_strerror(rc);
    else if (status == 200) return 0;
    else if (status == 429 || status >= 500) { snprintf(whybuf, sizeof whybuf, "HTTP %ld", status); why = whybuf; }
    else {
      buf_printf(err, "page %d: HTTP %ld", page, status);
      arm_error(err, &f->body);
      if (status == 401 || status == 403)
        buf_printf(err, "\n  help: the ARM endpoint refused the token in %s (expired, or without read access to the scope?)", AUDIT_ARM_TOKEN_ENV);
      return -1;
    }
    if (attempt >= a->o->retries) {
      buf_printf(err, "page %d: %s after %d attempt%s", page, why, attempt + 1, attempt ? "s" : "");
      if (rc == CURLE_OK) arm_error(err, &f->body);
      return -1;
    }
    int64_t wait = BACKOFF_MS << (attempt < 4 ? attempt : 4);
    if (wait > BACKOFF_MAX_MS) wait = BACKOFF_MAX_MS;
    if (f->retry_after_ms >= 0) wait = f->retry_after_ms;
    if (now_ms() + wait >= a->deadline) {
      buf_printf(err, "page %d: %s, and the wait before a retry (%.3gs) goes past --timeout %.3gs", page, why,
                 wait / 1000.0, a->o->timeout_ms / 1000.0);
      return -1;
    }
    sleep_ms(wait);
  }
}

/* scheme://host[:port] of a URL, its length; 0 when it is not http(s). */
static size_t origin_len(const char *url) {
  const char *p;
  if (!strncasecmp(url, "https://", 8)) p = url + 8;
  else if (!strncasecmp(url, "http://", 7)) p = url + 7;
  else return 0;
  size_t n = strcspn(p, "/?#");
  return n ? (size_t)(p - url) + n : 0;
}

/* Plain http only to this machine: the token must not cross a network in clear text. */
static int loopback(const char *url) {
  const char *h = url + 7;
  static const char *const hosts[] = {"127.0.0.1", "localhost", "[::1]"};
  for (size_t i = 0; i < 3; i++) {
    size_t n = strlen(hosts[i]);
    if (!strncasecmp(h, hosts[i], n) && (h[n] == ':' || h[n] == '/' || !h[n])) return 1;
  }
  return 0;
}

static int build_url(const AuditArmOptions *o, const char *endpoint, Buf *url, Buf *err) {
  size_t n = strlen(o->scope);
  char *canon = xmalloc(n + 2);
  int depth = aigw_scope_canon(o->scope, n, canon, n + 2);
  if (depth <= 0) {
    buf_printf(err, "--azure %s: %s", o->scope, depth < 0 ? "not a resource ID (a scope starts with '/')"
               : "the tenant root has no exemption listing; give a management group, subscription, resource group or resource");
    xfree(canon);
    return -1;
  }
  size_t el = strlen(endpoint);
  while (el && endpoint[el - 1] == '/') el--;
  buf_put(url, endpoint, el);
  CURL *c = curl_easy_init();
  for (char *seg = canon + 1, *end; seg && *seg; seg = end ? end + 1 : NULL) {
    end = strchr(seg, '/');
    char *esc = curl_easy_escape(c, seg, end ? (int)(end - seg) : 0);
    buf_putc(url, '/');
    buf_puts(url, esc ? esc : "");
    curl_free(esc);
  }
  curl_easy_cleanup(c);
  buf_puts(url, AUDIT_AZ_EXEMPTIONS "?api-version=" AUDIT_ARM_API_VERSION);
  /* a management group lists only with atScope(): its own exemptions and its ancestors' */
  if (depth == 4 && !strncmp(canon, "/providers/microsoft.management/managementgroups/", 49))
    buf_puts(url, "&%24filter=atScope%28%29");
  xfree(canon);
  return 0;
}

int audit_arm_list(const AuditArmOptions *o, AuditAzList *l, Buf *err) {
  const char *token = getenv(AUDIT_ARM_TOKEN_ENV);
  if (!token || !*token) {
    buf_printf(err, "set %s to an ARM bearer token\n  help: export %s=$(az account get-access-token --query accessToken -o tsv)",
               AUDIT_ARM_TOKEN_ENV, AUDIT_ARM_TOKEN_ENV);
    return -1;
  }
  if (strpbrk(token, "\r\n")) { buf_printf(err, "%s holds a line break", AUDIT_ARM_TOKEN_ENV); return -1; }
  const char *endpoint = o->endpoint ? o->endpoint : getenv(AUDIT_ARM_ENDPOINT_ENV);
  if (!endpoint || !*endpoint) endpoint = AUDIT_ARM_DEFAULT_ENDPOINT;
  size_t olen = origin_len(endpoint);
  if (!olen) { buf_printf(err, "endpoint %s is not an http(s) URL", endpoint); return -1; }
  if (!strncasecmp(endpoint, "http://", 7) && !loopback(endpoint)) {
    buf_printf(err, "endpoint %s: plain http is allowed only to this machine (127.0.0.1, localhost, [::1])", endpoint);
    return -1;
  }
  Buf url = {0};
  if (build_url(o, endpoint, &url, err)) { buf_free(&url); return -1; }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  Arm a = {curl_easy_init(), NULL, o, now_ms() + o->timeout_ms};
  Buf auth = {0};
  buf_printf(&auth, "Authorization: Bearer %s", token);
  a.headers = curl_slist_append(NULL, auth.p);
  a.headers = curl_slist_append(a.headers, "Accept: application/json");
  memset(auth.p, 0, auth.n);     /* the header list keeps its own copy */
  buf_free(&auth);
  Fetch f = {{0}, -1, 0};
  curl_easy_setopt(a.curl, CURLOPT_HTTPHEADER, a.headers);
  curl_easy_setopt(a.curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(a.curl, CURLOPT_WRITEDATA, &f);
  curl_easy_setopt(a.curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(a.curl, CURLOPT_HEADERDATA, &f);
  curl_easy_setopt(a.curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(a.curl, CURLOPT_FOLLOWLOCATION, 0L);   /* a redirect would carry the token elsewhere */
  curl_easy_setopt(a.curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(a.curl, CURLOPT_USERAGENT, "aigwc/" AIGW_VERSION_STRING);
  curl_easy_setopt(a.curl, CURLOPT_ACCEPT_ENCODING, "");
  int rc = 0, page = 0;
  char *next = NULL;
  while (!rc) {
    if (++page > AUDIT_ARM_MAX_PAGES) {
      buf_printf(err, "more than %d pages (the limit on nextLink)", AUDIT_ARM_MAX_PAGES);
      rc = -1;
      break;
    }
    if ((rc = fetch(&a, url.p, page, &f, err))) break;
    Buf where = {0};
    buf_printf(&where, "page %d", page);
    rc = audit_az_read(l, f.body.p ? f.body.p : "", f.body.n, where.p, &next, err);
    buf_free(&where);
    if (rc || !next) break;
    if (strlen(next) < olen || strncasecmp(next, endpoint, olen) || (next[olen] && !strchr("/?#", next[olen]))) {
      buf_printf(err, "page %d: nextLink leads away from %.*s; the token is not sent there", page, (int)olen, endpoint);
      rc = -1;
      break;
    }
    url.n = 0;
    buf_puts(&url, next);
  }
  xfree(next);
  buf_free(&f.body);
  buf_free(&url);
  curl_slist_free_all(a.headers);
  curl_easy_cleanup(a.curl);
  curl_global_cleanup();
  return rc;
}
