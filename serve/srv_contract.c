/* The answers each caller expects for one decision (docs/serve.md §Endpoints):
 *
 *   POST /v1/decide         the decision JSON, byte for byte as `aigwc eval` prints it
 *                           (with its newline); 200 for allow and deny, 429 over budget
 *   /v1/authz/nginx         auth_request: 2xx allows, and anything but 2xx/401/403
 *                           becomes a 500 in nginx, so every refusal is a 403 and the
 *                           status meant (400, 429, 503) travels in X-Aigw-Status for
 *                           the shipped configuration to restore
 *   ENVOY_PREFIX/…          ext_authz HTTP service: 200 allows, and Envoy hands any
 *                           other status, its body and its allowed headers to the client
 *   POST /v1/data[/…]       OPA's Data API shape, for a caller written for the
 *                           OPA-Envoy plugin: {"result": {"allowed", "headers", …}}
 * The decision id is a response header everywhere (and a field of the OPA result), so
 * that /v1/decide's body stays the decision itself. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv.h"

static const char JSON_TYPE[] = "application/json";

void srv_reply_reset(SrvReply *r) {
  r->status = 500;
  r->ctype = JSON_TYPE;
  r->body.n = 0;
  r->hdrs.n = 0;
  r->close = 0;
}

void srv_reply_header(SrvReply *r, const char *name, const char *fmt, ...) {
  buf_put(&r->hdrs, name, strlen(name) + 1);
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&r->hdrs, fmt, ap);
  va_end(ap);
  buf_putc(&r->hdrs, 0);
}

void srv_reply_text(SrvReply *r, int status, const char *ctype, const char *text) {
  r->status = status;
  r->ctype = ctype;
  r->body.n = 0;
  buf_puts(&r->body, text);
}

void srv_reply_error(SrvReply *r, int status, const char *why) {
  r->status = status;
  r->ctype = JSON_TYPE;
  r->body.n = 0;
  buf_puts(&r->body, "{\"error\":");
  srv_json_str(&r->body, why, strlen(why));
  buf_puts(&r->body, "}\n");
}

/* A budget key in a header: bytes that would end the list or the header are escaped. */
static void put_key(Buf *o, const char *s, size_t n) {
  for (size_t i = 0; i < n && i < 200; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x21 || c >= 0x7f || c == ';' || c == '=' || c == ',' || c == '%' || c == '"' || c == '\\')
      buf_printf(o, "%%%02X", c);
    else buf_putc(o, (char)c);
  }
}

static void put_target(Buf *o, const aigw_target *t) {
  buf_printf(o, "%s:%s", t->provider, t->model);
  if (t->region && *t->region) buf_printf(o, "@%s", t->region);
}

/* The headers an allowed request carries on: X-Aigw-Decision-Id, -Route, -Provider,
 * -Model, -Region, -Target, -Fallbacks, -Budgets ("budget=key;…"). With lower set,
 * names are lower case (HTTP/2 and the OPA result want them so). */
typedef void (*hdr_fn)(void *ud, const char *name, const char *value);

static void allow_headers(SrvDecision *d, Buf *tmp, hdr_fn put, void *ud) {
  put(ud, "x-aigw-decision-id", d->id.text);
  const char *route = aigw_route(d->c);
  if (route) put(ud, "x-aigw-route", route);
  size_t nt = aigw_route_count(d->c);
  aigw_target t;
  if (nt && aigw_route_target(d->c, 0, &t) == AIGW_OK) {
    put(ud, "x-aigw-provider", t.provider);
    put(ud, "x-aigw-model", t.model);
    if (t.region && *t.region) put(ud, "x-aigw-region", t.region);
    tmp->n = 0;
    put_target(tmp, &t);
    put(ud, "x-aigw-target", tmp->p);
    tmp->n = 0;
    for (size_t i = 1; i < nt; i++)
      if (aigw_route_target(d->c, i, &t) == AIGW_OK) {
        if (i > 1) buf_putc(tmp, ',');
        put_target(tmp, &t);
      }
    if (nt > 1) put(ud, "x-aigw-fallbacks", tmp->p);
  }
  size_t nb = aigw_budget_count(d->c);
  if (nb) {
    tmp->n = 0;
    for (size_t i = 0; i < nb; i++) {
      aigw_budget b;
      if (aigw_budget_get(d->c, i, &b) != AIGW_OK) continue;
      if (i) buf_putc(tmp, ';');
      put_key(tmp, b.budget, strlen(b.budget));
      buf_putc(tmp, '=');
      put_key(tmp, b.key, b.key_len);
    }
    put(ud, "x-aigw-budgets", tmp->p);
  }
}

static void reply_put(void *ud, const char *name, const char *value) { srv_reply_header(ud, name, "%s", value); }

/* {"decision_id":…,"error":"over budget",…} or {"decision_id":…,"error":why} */
static void refusal_body(SrvDecision *d, Buf *o) {
  buf_printf(o, "{\"decision_id\":\"%s\",", d->id.text);
  if (d->outcome == SRV_OUT_OVER_BUDGET) {
    buf_puts(o, "\"error\":\"over budget\",\"budget\":");
    srv_json_str(o, d->over, strlen(d->over));
    buf_printf(o, ",\"retry_after\":%lld}\n", (long long)d->retry_after);
  } else {
    buf_puts(o, "\"error\":");
    srv_json_str(o, d->err, strlen(d->err));
    buf_puts(o, "}\n");
  }
}

static int refusal_status(const SrvDecision *d) {
  switch (d->outcome) {
  case SRV_OUT_DENY: return 403;
  case SRV_OUT_OVER_BUDGET: return 429;
  case SRV_OUT_BAD_INPUT: return 400;
  case SRV_OUT_UNAVAILABLE: return 503;
  default: return 500;
  }
}

/* ---- POST /v1/decide ---- */
static void decide(SrvServer *s, const SrvRequest *rq, SrvReply *r) {
  SrvDecision d;
  srv_decide(s, SRV_FROM_JSON, NULL, rq->body, rq->blen, NULL, "decide", &d);
  srv_reply_header(r, "X-Aigw-Decision-Id", "%s", d.id.text);
  size_t jl;
  const char *j = srv_decision_json(&d, &jl);
  if (!j) {
    r->status = refusal_status(&d);
    /* the shape aigwc eval gives a line it cannot decide, without its line number */
    buf_puts(&r->body, "{\"decision\":\"deny\",\"error\":");
    srv_json_str(&r->body, d.err, strlen(d.err));
    buf_puts(&r->body, "}\n");
    return;
  }
  r->status = 200;
  if (d.outcome == SRV_OUT_OVER_BUDGET) {
    r->status = 429;
    srv_reply_header(r, "Retry-After", "%lld", (long long)d.retry_after);
    srv_reply_header(r, "X-Aigw-Over-Budget", "%s", d.over);
  }
  buf_put(&r->body, j, jl);
  buf_putc(&r->body, '\n');
}

/* ---- headers from libmicrohttpd's lookalike: a JSON object (OPA's input) ---- */
static const char *json_get(void *ud, const char *name, size_t *len) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)ud, k, v)
    if (!strcasecmp(k, name) && json_is_string(v)) { *len = json_string_length(v); return json_string_value(v); }
  return NULL;
}
static void json_each(void *ud, srv_header_fn fn, void *arg) {
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)ud, k, v)
    if (json_is_string(v) && !fn(arg, k, strlen(k), json_string_value(v), json_string_length(v))) return;
}

/* The JSON body, when the mapping reads one: NULL and no error when there is none. */
static int parse_body(SrvServer *s, SrvBundle *sb, const SrvRequest *rq, json_t **out, char *err, size_t errlen) {
  (void)s;
  *out = NULL;
  if (!sb || !sb->plan.reads_body || !rq->blen) return 0;
  json_error_t je;
  *out = json_loadb(rq->body, rq->blen, JSON_REJECT_DUPLICATES, &je);
  if (!*out) { snprintf(err, errlen, "body: %d:%d: %s", je.line, je.column, je.text); return -1; }
  return 0;
}

/* ---- nginx auth_request and Envoy ext_authz ---- */
static void authz(SrvServer *s, const SrvRequest *rq, SrvReply *r, int nginx) {
  SrvDecision d;
  json_t *body = NULL;
  char err[300];
  SrvWorker *w = srv_worker(s);          /* its bundle, without taking the holder's lock */
  if (parse_body(s, w->sb, rq, &body, err, sizeof err)) {
    Buf *t = &w->scratch;
    t->n = 0;
    srv_put_safe(t, err, 512);
    buf_putc(t, 0);
    srv_reply_header(r, "X-Aigw-Reasons", "%s", t->p);
    r->status = nginx ? 403 : 400;
    if (nginx) srv_reply_header(r, "X-Aigw-Status", "400");
    buf_puts(&r->body, "{\"error\":");
    srv_json_str(&r->body, err, strlen(err));
    buf_puts(&r->body, "}\n");
    return;
  }
  srv_decide(s, SRV_FROM_HEADERS, &rq->headers, rq->body, rq->blen, body, nginx ? "nginx" : "envoy", &d);
  if (d.outcome == SRV_OUT_ALLOW) {
    r->status = 200;
    allow_headers(&d, &d.w->scratch, reply_put, r);
    json_decref(body);
    return;
  }
  json_decref(body);
  srv_reply_header(r, "X-Aigw-Decision-Id", "%s", d.id.text);
  int status = refusal_status(&d);
  r->status = nginx ? 403 : status;
  if (nginx && status != 403) srv_reply_header(r, "X-Aigw-Status", "%d", status);
  if (d.outcome == SRV_OUT_OVER_BUDGET) {
    srv_reply_header(r, "Retry-After", "%lld", (long long)d.retry_after);
    srv_reply_header(r, "X-Aigw-Over-Budget", "%s", d.over);
    srv_reply_header(r, "X-Aigw-Reasons", "over budget: %s", d.over);
  }
  if (d.outcome == SRV_OUT_DENY) {
    Buf *t = &d.w->scratch;
    t->n = 0;
    srv_decision_reasons(&d, t);
    buf_putc(t, 0);
    srv_reply_header(r, "X-Aigw-Reasons", "%s", t->p);
    size_t jl;
    const char *j = srv_decision_json(&d, &jl);
    buf_put(&r->body, j, jl);
    buf_putc(&r->body, '\n');
    return;
  }
  if (d.outcome != SRV_OUT_OVER_BUDGET) {
    Buf *t = &d.w->scratch;
    t->n = 0;
    srv_put_safe(t, d.err, 512);
    buf_putc(t, 0);
    srv_reply_header(r, "X-Aigw-Reasons", "%s", t->p);
  }
  refusal_body(&d, &r->body);
}

/* ---- POST /v1/data[/…]: OPA's Data API ---- */
typedef struct OpaHdrs { Buf *o; int n; } OpaHdrs;
static void opa_put(void *ud, const char *name, const char *value) {
  OpaHdrs *h = ud;
  if (h->n++) buf_putc(h->o, ',');
  srv_json_str(h->o, name, strlen(name));
  buf_putc(h->o, ':');
  srv_json_str(h->o, value, strlen(value));
}

static void opa(SrvServer *s, const SrvRequest *rq, SrvReply *r) {
  json_error_t je;
  json_t *root = json_loadb(rq->body, rq->blen, JSON_REJECT_DUPLICATES, &je), *input;
  if (!json_is_object(root) || !json_is_object(input = json_object_get(root, "input"))) {
    char why[300];
    if (!root) snprintf(why, sizeof why, "%d:%d: %s", je.line, je.column, je.text);
    else snprintf(why, sizeof why, "expected {\"input\": {…}}");
    json_decref(root);
    srv_reply_error(r, 400, why);
    return;
  }
  /* OPA-Envoy's input carries the request's headers; any other input is the policy's */
  json_t *hj = json_object_get(json_object_get(json_object_get(json_object_get(input, "attributes"), "request"), "http"), "headers");
  SrvDecision d;
  char *text = NULL;
  if (json_is_object(hj)) {
    SrvHeaders h = {json_get, json_each, hj};
    json_t *pb = json_object_get(input, "parsed_body");
    srv_decide(s, SRV_FROM_HEADERS, &h, NULL, 0, json_is_object(pb) ? pb : NULL, "opa", &d);
  } else {
    text = json_dumps(input, JSON_COMPACT);
    srv_decide(s, SRV_FROM_JSON, NULL, text ? text : "", text ? strlen(text) : 0, NULL, "opa", &d);
  }
  free(text);
  json_decref(root);
  Buf *o = &r->body;
  r->status = 200;
  srv_reply_header(r, "X-Aigw-Decision-Id", "%s", d.id.text);
  buf_printf(o, "{\"decision_id\":\"%s\",\"result\":{\"allowed\":%s,\"headers\":{", d.id.text,
             d.outcome == SRV_OUT_ALLOW ? "true" : "false");
  OpaHdrs oh = {o, 0};
  Buf *t = &d.w->scratch;
  if (d.outcome == SRV_OUT_ALLOW) allow_headers(&d, t, opa_put, &oh);
  else {
    opa_put(&oh, "x-aigw-decision-id", d.id.text);
    t->n = 0;
    if (d.outcome == SRV_OUT_DENY) srv_decision_reasons(&d, t);
    else if (d.outcome == SRV_OUT_OVER_BUDGET) buf_printf(t, "over budget: %s", d.over);
    else buf_puts(t, d.err);
    buf_putc(t, 0);
    opa_put(&oh, "x-aigw-reasons", t->p);
    if (d.outcome == SRV_OUT_OVER_BUDGET) {
      char ra[24];
      snprintf(ra, sizeof ra, "%lld", (long long)d.retry_after);
      opa_put(&oh, "retry-after", ra);
    }
  }
  buf_printf(o, "},\"response_headers_to_add\":{},\"http_status\":%d,\"body\":",
             d.outcome == SRV_OUT_ALLOW ? 200 : refusal_status(&d));
  size_t jl;
  const char *j = srv_decision_json(&d, &jl);
  t->n = 0;
  if (d.outcome == SRV_OUT_ALLOW) buf_puts(t, "");
  else if (d.outcome == SRV_OUT_DENY) buf_put(t, j, jl);
  else refusal_body(&d, t);
  srv_json_str(o, t->p ? t->p : "", t->n);
  buf_puts(o, ",\"decision\":");
  if (j) buf_put(o, j, jl);
  else buf_puts(o, "null");
  buf_puts(o, "}}\n");
}

/* ---- dispatch ---- */
static int is(const char *a, const char *b) { return !strcmp(a, b); }
static int under(const char *path, const char *prefix) {
  size_t n = strlen(prefix);
  return !strncmp(path, prefix, n) && (path[n] == 0 || path[n] == '/');
}

static void not_allowed(SrvReply *r, const char *allow) {
  srv_reply_header(r, "Allow", "%s", allow);
  srv_reply_error(r, 405, "method not allowed");
}

void srv_handle(SrvServer *s, const SrvRequest *rq, SrvReply *r) {
  const char *p = rq->path, *m = rq->method;
  int get = is(m, "GET") || is(m, "HEAD"), post = is(m, "POST");
  r->status = 404;
  if (is(p, "/v1/decide")) { if (post) decide(s, rq, r); else not_allowed(r, "POST"); }
  else if (is(p, "/v1/authz/nginx")) authz(s, rq, r, 1);
  else if (under(p, s->cfg->envoy_prefix)) authz(s, rq, r, 0);
  else if (under(p, "/v1/data")) { if (post) opa(s, rq, r); else not_allowed(r, "POST"); }
  else if (is(p, "/v1/settle")) { if (post) srv_admin_settle(s, rq, r); else not_allowed(r, "POST"); }
  else if (is(p, "/health")) { if (get) srv_admin_health(s, r); else not_allowed(r, "GET, HEAD"); }
  else if (is(p, "/ready")) { if (get) srv_admin_ready(s, r); else not_allowed(r, "GET, HEAD"); }
  else if (is(p, "/metrics")) { if (get) srv_admin_metrics(s, r); else not_allowed(r, "GET, HEAD"); }
  else if (is(p, "/v1/shadow") && s->shadow) {
    if (!get) not_allowed(r, "GET, HEAD");
    else { r->status = 200; r->ctype = "application/json"; srv_shadow_summary(s->shadow, &r->body); }
  }
  else srv_reply_error(r, 404, "no such endpoint");
}
