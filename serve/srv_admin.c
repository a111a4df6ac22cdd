/* The endpoints around the decisions: GET /health (the process answers), GET /ready (a
 * verified bundle serves: which, since when, and the last reload that failed), GET
 * /metrics (srv_metrics.c) and POST /v1/settle (a gateway reports the actual usage
 * of a decision it was admitted for). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "srv.h"

static void put_time(Buf *o, int64_t t) {
  char s[40];
  aigw_format_time(s, sizeof s, t);
  buf_printf(o, "\"%s\"", s);
}

void srv_admin_health(SrvServer *s, SrvReply *r) {
  (void)s;
  srv_reply_text(r, 200, "application/json", "{\"status\":\"ok\"}\n");
}

void srv_admin_ready(SrvServer *s, SrvReply *r) {
  SrvBundle *sb = srv_holder_acquire(&s->holder);
  int draining = atomic_load(&s->draining);
  Buf *o = &r->body;
  r->status = sb && !draining ? 200 : 503;
  buf_printf(o, "{\"ready\":%s", r->status == 200 ? "true" : "false");
  if (sb) {
    buf_printf(o, ",\"bundle\":\"%s\",\"policy\":", sb->id);
    const char *pol = aigw_bundle_policy(sb->b);
    srv_json_str(o, pol, strlen(pol));
    buf_puts(o, ",\"loaded_at\":");
    put_time(o, sb->loaded_at);
  } else buf_puts(o, ",\"bundle\":null");
  pthread_mutex_lock(&s->holder.mu);
  buf_puts(o, ",\"source\":");
  srv_json_str(o, s->holder.source, strlen(s->holder.source));
  buf_puts(o, ",\"last_reload_error\":");
  if (s->holder.last_error[0]) {
    srv_json_str(o, s->holder.last_error, strlen(s->holder.last_error));
    buf_puts(o, ",\"last_reload_error_at\":");
    put_time(o, s->holder.last_error_at);
  } else buf_puts(o, "null");
  pthread_mutex_unlock(&s->holder.mu);
  if (s->store && s->store->ops->health) {
    SrvStoreHealth h;
    s->store->ops->health(s->store, &h);
    buf_puts(o, ",\"budget_store\":{\"url\":");
    srv_json_str(o, h.where, strlen(h.where));
    buf_printf(o, ",\"reachable\":%s,\"errors\":%llu,\"last_error\":", h.reachable ? "true" : "false",
               (unsigned long long)h.errors);
    srv_json_str(o, h.last_error, strlen(h.last_error));
    buf_puts(o, "}");
  }
  if (draining) buf_puts(o, ",\"draining\":true");
  buf_puts(o, "}\n");
  srv_bundle_release(sb);
}

void srv_admin_metrics(SrvServer *s, SrvReply *r) {
  r->status = 200;
  r->ctype = "text/plain; version=0.0.4; charset=utf-8";
  srv_metrics_render(s, &r->body);
}

/* {"decision_id": "…", "usage": {"tokens": 1234, "team-tokens": 1000}}: usage by budget
 * name or by unit; a budget without one settles at what it reserved. */
void srv_admin_settle(SrvServer *s, const SrvRequest *rq, SrvReply *r) {
  json_error_t je;
  json_t *root = json_loadb(rq->body, rq->blen, JSON_REJECT_DUPLICATES, &je);
  char why[300];
  json_t *idv = json_object_get(root, "decision_id"), *usage = json_object_get(root, "usage");
  SrvDecisionId id;
  SrvUsage u[SRV_MAX_CHARGES * 2];
  size_t nu = 0;
  if (!root) snprintf(why, sizeof why, "%d:%d: %s", je.line, je.column, je.text);
  else if (!json_is_string(idv) || srv_id_parse(json_string_value(idv), json_string_length(idv), &id))
    snprintf(why, sizeof why, "decision_id: expected the X-Aigw-Decision-Id of a decision");
  else if (usage && !json_is_object(usage)) snprintf(why, sizeof why, "usage: expected {\"BUDGET or UNIT\": amount, …}");
  else {
    why[0] = 0;
    const char *k;
    json_t *v;
    json_object_foreach(usage, k, v) {
      if (!json_is_integer(v) || json_integer_value(v) < 0) {
        snprintf(why, sizeof why, "usage.%s: expected a whole number, 0 or more", k);
        break;
      }
      if (nu == sizeof u / sizeof u[0]) {
        snprintf(why, sizeof why, "usage: more than %zu entries", sizeof u / sizeof u[0]);
        break;
      }
      u[nu++] = (SrvUsage){k, json_integer_value(v)};
    }
  }
  if (why[0]) {
    json_decref(root);
    srv_reply_error(r, 400, why);
    return;
  }
  SrvSettled out[SRV_MAX_CHARGES];
  size_t nout = SRV_MAX_CHARGES;
  char err[300] = "";
  SrvStoreResult res = s->store->ops->settle(s->store, &id, u, nu, srv_now(s), out, &nout, err, sizeof err);
  json_decref(root);
  if (res == SRV_STORE_UNKNOWN) {
    atomic_fetch_add(&s->metrics.settle_unknown, 1);
    srv_reply_error(r, 404, "no outstanding reservation for this decision (settled, expired, or nothing was reserved)");
    return;
  }
  if (res != SRV_STORE_OK) { srv_reply_error(r, 503, err[0] ? err : "the budget store failed"); return; }
  atomic_fetch_add(&s->metrics.settled, 1);
  Buf *o = &r->body;
  r->status = 200;
  buf_printf(o, "{\"decision_id\":\"%s\",\"settled\":[", id.text);
  for (size_t i = 0; i < nout; i++) {
    buf_puts(o, i ? ",{\"budget\":" : "{\"budget\":");
    srv_json_str(o, out[i].budget, strlen(out[i].budget));
    buf_puts(o, ",\"key\":");
    srv_json_str(o, out[i].key, strlen(out[i].key));
    buf_printf(o, ",\"reserved\":%lld,\"used\":%lld}", (long long)out[i].reserved, (long long)out[i].used);
  }
  buf_puts(o, "]}\n");
}
