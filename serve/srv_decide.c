/* One decision, whatever the contract that asked for it: the worker's own context, the
 * input, aigw_eval, the budget reservation, the decision id, the counters and the log
 * entry. The contracts (srv_contract.c) only shape the answer.
 *
 * Nothing here allocates once a worker has served its first requests: the context and
 * the worker's buffers keep their high-water marks, the charges and the id live on
 * the stack, and the log entry is copied into the log's fixed queue. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "srv.h"

int64_t srv_now(const SrvServer *s) {
  return s->fixed_now != INT64_MIN ? s->fixed_now : (int64_t)time(NULL);
}

void srv_worker_free(void *p) {
  SrvWorker *w = p;
  if (!w) return;
  aigw_ctx_free(w->ctx);
  srv_bundle_release(w->sb);
  buf_free(&w->line);
  buf_free(&w->scratch);
  xfree(w);
}

/* The worker moves to a new bundle between two requests, when the generation moved. */
SrvWorker *srv_worker(SrvServer *s) {
  SrvWorker *w = pthread_getspecific(s->worker_key);
  if (!w) {
    w = xcalloc(1, sizeof *w);
    pthread_setspecific(s->worker_key, w);
  }
  unsigned long long g = atomic_load_explicit(&s->holder.gen, memory_order_acquire);
  if (w->ctx && w->gen == g) return w;
  SrvBundle *sb = srv_holder_acquire(&s->holder);
  if (sb && sb == w->sb && w->ctx) {
    srv_bundle_release(sb);
  } else {
    aigw_ctx_free(w->ctx);
    w->ctx = NULL;
    srv_bundle_release(w->sb);
    w->sb = sb;
    if (sb && aigw_ctx_new(sb->b, &w->ctx) != AIGW_OK) w->ctx = NULL;
  }
  w->gen = g;
  return w;
}

const char *srv_decision_json(SrvDecision *d, size_t *len) {
  if (!d->json && d->c && (d->outcome == SRV_OUT_ALLOW || d->outcome == SRV_OUT_DENY || d->outcome == SRV_OUT_OVER_BUDGET))
    d->json = aigw_decision_json(d->c, &d->jlen);
  if (len) *len = d->json ? d->jlen : 0;
  return d->json;
}

/* Header-safe text: no control bytes, and no quote or backslash, so that a proxy can
 * put it into a JSON string of its own (the shipped nginx configuration does). */
void srv_put_safe(Buf *o, const char *s, size_t max) {
  size_t start = o->n;
  for (; *s && max; s++, max--) {
    unsigned char c = (unsigned char)*s;
    buf_putc(o, c < 0x20 || c == 0x7f ? ' ' : c == '"' ? '\'' : c == '\\' ? '/' : (char)c);
  }
  if (!*s) return;
  /* cut short: not inside a UTF-8 sequence */
  while (o->n > start && ((unsigned char)o->p[o->n - 1] & 0xc0) == 0x80) o->n--;
  if (o->n > start && ((unsigned char)o->p[o->n - 1] & 0xc0) == 0xc0) o->n--;
  if (o->p) o->p[o->n] = 0;
}

void srv_decision_reasons(SrvDecision *d, Buf *out) {
  if (!d->c) return;
  static const aigw_list lists[] = {AIGW_VIOLATIONS, AIGW_ERRORS};
  int n = 0;
  for (size_t k = 0; k < 2; k++)
    for (size_t i = 0; i < aigw_count(d->c, lists[k]); i++) {
      aigw_finding f;
      if (aigw_get(d->c, lists[k], i, &f) != AIGW_OK || f.dry_run) continue;
      const char *msg = aigw_message(d->c, lists[k], i);
      /* nginx reads an auth answer's headers into one buffer (proxy_buffer_size, 4 KiB) */
      if (out->n > 1024) { buf_puts(out, "; ..."); return; }
      if (n++) buf_puts(out, "; ");
      srv_put_safe(out, f.guardrail, 128);
      if (msg && *msg) { buf_puts(out, ": "); srv_put_safe(out, msg, 200); }
    }
}

static void count_findings(SrvServer *s, SrvDecision *d) {
  for (int k = 0; k < 4; k++) {
    size_t n = aigw_count(d->c, (aigw_list)k);
    for (size_t i = 0; i < n; i++) {
      aigw_finding f;
      if (aigw_get(d->c, (aigw_list)k, i, &f) != AIGW_OK) continue;
      uint32_t slot = srv_bundle_slot(d->sb, f.guardrail);
      atomic_fetch_add_explicit(&s->metrics.findings[slot][k], 1, memory_order_relaxed);
    }
  }
}

static void reserve(SrvServer *s, SrvDecision *d) {
  size_t n = aigw_budget_count(d->c);
  if (!n) return;
  if (n > SRV_MAX_CHARGES) {
    snprintf(d->err, sizeof d->err, "the decision charges %zu budgets (limit is %d)", n, SRV_MAX_CHARGES);
    d->outcome = SRV_OUT_ERROR;
    return;
  }
  SrvCharge ch[SRV_MAX_CHARGES];
  for (size_t i = 0; i < n; i++) {
    aigw_budget b;
    aigw_budget_get(d->c, i, &b);
    if (b.charge < 0) {
      snprintf(d->err, sizeof d->err, "budget %s: the charge is negative (%lld)", b.budget, (long long)b.charge);
      d->outcome = SRV_OUT_BAD_INPUT;
      return;
    }
    /* the window is the decision's (one definition: the runtime's). A sliding window is
     * counted over fixed windows of its length: one number per window is what a store
     * can keep exactly, and admissions never pass the limit within one (docs/serve.md §4) */
    int64_t start = b.window_start, end = b.window_end;
    if (b.sliding && b.window > 0) {
      start = d->now - ((d->now % b.window) + b.window) % b.window;
      end = start + b.window;
    }
    ch[i] = (SrvCharge){.budget = b.budget, .unit = b.unit, .key = b.key, .key_len = b.key_len,
                        .limit = b.limit, .amount = b.charge, .window_start = start, .window_end = end};
  }
  size_t over = 0;
  SrvStoreResult r = s->store->ops->reserve(s->store, &d->id, ch, n, d->now, d->now + s->cfg->reservation_seconds,
                                            &over, d->err, sizeof d->err);
  if (r == SRV_STORE_OK) {
    atomic_fetch_add_explicit(&s->metrics.reserve_admitted, 1, memory_order_relaxed);
  } else if (r == SRV_STORE_OVER) {
    atomic_fetch_add_explicit(&s->metrics.reserve_over, 1, memory_order_relaxed);
    d->outcome = SRV_OUT_OVER_BUDGET;
    d->over = ch[over].budget;
    d->retry_after = ch[over].window_end - d->now;
    if (d->retry_after < 1) d->retry_after = 1;
  } else {
    atomic_fetch_add_explicit(&s->metrics.reserve_error, 1, memory_order_relaxed);
    d->outcome = SRV_OUT_ERROR;
  }
}

static const char *const outcome_text[SRV_NOUT] = {"allow", "deny", "over_budget", "bad_input", "unavailable", "error"};

static void log_entry(SrvServer *s, SrvDecision *d, SrvInputFrom from, const SrvHeaders *h, const char *body,
                      size_t blen, struct json_t *body_json, const char *endpoint) {
  SrvWorker *w = d->w;
  Buf *o = &w->line;
  o->n = 0;
  char when[40];
  aigw_format_time(when, sizeof when, d->now);
  buf_printf(o, "{\"decision_id\":\"%s\",\"time\":\"%s\",\"bundle\":\"%s\",\"endpoint\":\"%s\",\"outcome\":\"%s\"",
             d->id.text, when, d->sb ? d->sb->id : "", endpoint, outcome_text[d->outcome]);
  if (d->outcome == SRV_OUT_OVER_BUDGET) {
    buf_puts(o, ",\"over_budget\":");
    srv_json_str(o, d->over, strlen(d->over));
  }
  size_t jl;
  const char *j = srv_decision_json(d, &jl);
  if (j) { buf_puts(o, ",\"decision\":"); buf_put(o, j, jl); }
  if (d->err[0]) { buf_puts(o, ",\"error\":"); srv_json_str(o, d->err, strlen(d->err)); }
  const char *in = NULL;
  size_t il = 0;
  if (s->cfg->log_all_fields || s->cfg->nlog_fields) {
    if (from == SRV_FROM_JSON) { in = body; il = blen; }
    else if (d->sb) {
      w->scratch.n = 0;
      srv_map_json(&d->sb->plan, h, body_json, &w->scratch);
      in = w->scratch.p;
      il = w->scratch.n;
    }
  }
  srv_log_put(s->log, o->p, o->n, in, il);
}

void srv_decide(SrvServer *s, SrvInputFrom from, const SrvHeaders *h, const char *body, size_t blen,
                struct json_t *body_json, const char *endpoint, SrvDecision *d) {
  uint64_t t0 = srv_mono_ns();
  memset(d, 0, offsetof(SrvDecision, err));
  d->err[0] = 0;
  d->w = srv_worker(s);
  d->sb = d->w->sb;
  d->c = d->w->ctx;
  d->now = srv_now(s);
  d->id.boot = s->boot;
  d->id.seq = atomic_fetch_add_explicit(&s->seq, 1, memory_order_relaxed) + 1;
  srv_id_format(&d->id);
  if (!d->c) {
    snprintf(d->err, sizeof d->err, d->sb ? "out of memory" : "no bundle is loaded yet");
    d->outcome = SRV_OUT_UNAVAILABLE;
    d->sb = NULL;
  } else if (from == SRV_FROM_JSON) {
    if (aigw_input_json(d->c, body, blen) != AIGW_OK) {
      /* the message aigwc eval gives (the position is the body's, line 1) */
      snprintf(d->err, sizeof d->err, "%s", blen ? aigw_ctx_error(d->c) : "empty body");
      d->outcome = SRV_OUT_BAD_INPUT;
    }
  } else if (srv_map_input(d->c, &d->sb->plan, h, body_json, d->err, sizeof d->err)) {
    d->outcome = SRV_OUT_BAD_INPUT;
  }
  if (d->c && !d->outcome) {
    if (aigw_eval(d->c, d->now) != AIGW_OK) {
      snprintf(d->err, sizeof d->err, "%s", aigw_ctx_error(d->c));
      d->outcome = SRV_OUT_ERROR;
    } else {
      d->outcome = aigw_result(d->c) == AIGW_ALLOW ? SRV_OUT_ALLOW : SRV_OUT_DENY;
      count_findings(s, d);
      if (d->outcome == SRV_OUT_ALLOW) reserve(s, d);
    }
  }
  atomic_fetch_add_explicit(&s->metrics.outcomes[d->outcome], 1, memory_order_relaxed);
  if (s->log) log_entry(s, d, from, h, body, blen, body_json, endpoint);
  if (s->shadow && d->sb && d->outcome != SRV_OUT_BAD_INPUT) {
    if (from == SRV_FROM_JSON) srv_shadow_put(s->shadow, d->sb, d->id.text, d->now, body, blen);
    else {
      d->w->scratch.n = 0;
      srv_map_json(&d->sb->plan, h, body_json, &d->w->scratch);
      srv_shadow_put(s->shadow, d->sb, d->id.text, d->now, d->w->scratch.p, d->w->scratch.n);
    }
  }
  srv_metrics_latency(&s->metrics, srv_mono_ns() - t0);
}
