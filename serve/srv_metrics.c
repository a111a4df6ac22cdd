/* Counters, updated with relaxed atomics on the request path, and their Prometheus text
 * exposition (format 0.0.4) for GET /metrics. Guardrail names get a slot when a bundle
 * is loaded, shared by every bundle, so a reload does not reset a guardrail's counts. */
#include <stdio.h>
#include <string.h>
#include "srv.h"

/* Upper bounds of the latency buckets, in nanoseconds */
static const uint64_t bucket_ns[SRV_NBUCKETS] = {
  5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 100000000,
};
static const char *const outcome_names[SRV_NOUT] = {"allow", "deny", "over_budget", "bad_input", "unavailable", "error"};
static const char *const list_names[4] = {"violation", "waived", "warning", "error"};

void srv_metrics_init(SrvMetrics *m) {
  memset(m, 0, sizeof *m);
  pthread_mutex_init(&m->names_mu, NULL);
  m->findings = xcalloc(SRV_MAX_GUARDRAIL_SLOTS, sizeof *m->findings);
  m->names[0] = xstrndup("(other)", 7);   /* past the slot limit */
  atomic_store(&m->nnames, 1);
}

void srv_metrics_destroy(SrvMetrics *m) {
  for (unsigned i = 0; i < atomic_load(&m->nnames); i++) xfree(m->names[i]);
  xfree(m->findings);
  pthread_mutex_destroy(&m->names_mu);
}

uint32_t srv_metrics_slot(SrvMetrics *m, const char *name) {
  pthread_mutex_lock(&m->names_mu);
  unsigned n = atomic_load(&m->nnames), i;
  for (i = 1; i < n; i++) if (!strcmp(m->names[i], name)) break;
  if (i == n) {
    if (n < SRV_MAX_GUARDRAIL_SLOTS) {
      m->names[n] = xstrndup(name, strlen(name));
      atomic_store(&m->nnames, n + 1);
    } else i = 0;
  }
  pthread_mutex_unlock(&m->names_mu);
  return i;
}

void srv_metrics_latency(SrvMetrics *m, uint64_t ns) {
  int b = 0;
  while (b < SRV_NBUCKETS && ns > bucket_ns[b]) b++;
  atomic_fetch_add_explicit(&m->lat[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&m->lat_sum_ns, ns, memory_order_relaxed);
  atomic_fetch_add_explicit(&m->lat_count, 1, memory_order_relaxed);
}

static void label(Buf *o, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '\\' || c == '"') { buf_putc(o, '\\'); buf_putc(o, c); }
    else if (c == '\n') buf_puts(o, "\\n");
    else if ((unsigned char)c < 0x20) buf_putc(o, ' ');
    else buf_putc(o, c);
  }
}

static void head(Buf *o, const char *name, const char *type, const char *help) {
  buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

static void budget_series(void *ud, const char *budget, const char *unit, const char *key, size_t klen,
                          int64_t used, int64_t limit, int64_t window_end) {
  Buf *o = ud;
  for (int k = 0; k < 2; k++) {
    buf_puts(o, k ? "aigw_budget_limit{budget=\"" : "aigw_budget_used{budget=\"");
    label(o, budget, strlen(budget));
    buf_puts(o, "\",key=\"");
    label(o, key, klen);
    buf_puts(o, "\",unit=\"");
    label(o, unit, strlen(unit));
    buf_printf(o, "\",window_end=\"%lld\"} %lld\n", (long long)window_end, (long long)(k ? limit : used));
  }
}

void srv_metrics_render(SrvServer *s, Buf *o) {
  SrvMetrics *m = &s->metrics;
  head(o, "aigw_decisions_total", "counter", "Decisions by outcome.");
  for (int i = 0; i < SRV_NOUT; i++)
    buf_printf(o, "aigw_decisions_total{outcome=\"%s\"} %llu\n", outcome_names[i], LOAD(m->outcomes[i]));

  head(o, "aigw_guardrail_findings_total", "counter", "Findings by guardrail and list (violation, waived, warning, error).");
  unsigned n = atomic_load(&m->nnames);
  for (unsigned i = 0; i < n; i++)
    for (int k = 0; k < 4; k++) {
      unsigned long long v = LOAD(m->findings[i][k]);
      if (!v) continue;
      buf_puts(o, "aigw_guardrail_findings_total{guardrail=\"");
      label(o, m->names[i], strlen(m->names[i]));
      buf_printf(o, "\",list=\"%s\"} %llu\n", list_names[k], v);
    }

  head(o, "aigw_decision_duration_seconds", "histogram",
       "Time to decide: input mapping, evaluation, budget reservation and rendering.");
  unsigned long long cum = 0;
  for (int b = 0; b <= SRV_NBUCKETS; b++) {
    cum += LOAD(m->lat[b]);
    if (b < SRV_NBUCKETS) buf_printf(o, "aigw_decision_duration_seconds_bucket{le=\"%g\"} %llu\n", (double)bucket_ns[b] / 1e9, cum);
    else buf_printf(o, "aigw_decision_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
  }
  buf_printf(o, "aigw_decision_duration_seconds_sum %.9f\naigw_decision_duration_seconds_count %llu\n",
             (double)LOAD(m->lat_sum_ns) / 1e9, LOAD(m->lat_count));

  head(o, "aigw_http_requests_total", "counter", "HTTP requests answered, by status code.");
  for (int c = 100; c < 600; c++) {
    unsigned long long v = LOAD(m->http[c]);
    if (v) buf_printf(o, "aigw_http_requests_total{code=\"%d\"} %llu\n", c, v);
  }

  head(o, "aigw_bundle_info", "gauge", "The bundle serving: its id, policy and source.");
  SrvBundle *sb = srv_holder_acquire(&s->holder);
  if (sb) {
    pthread_mutex_lock(&s->holder.mu);
    buf_printf(o, "aigw_bundle_info{id=\"%s\",policy=\"", sb->id);
    const char *pol = aigw_bundle_policy(sb->b);
    label(o, pol, strlen(pol));
    buf_puts(o, "\",source=\"");
    label(o, s->holder.source, strlen(s->holder.source));
    buf_puts(o, "\"} 1\n");
    pthread_mutex_unlock(&s->holder.mu);
    head(o, "aigw_bundle_loaded_timestamp_seconds", "gauge", "When the serving bundle was loaded.");
    buf_printf(o, "aigw_bundle_loaded_timestamp_seconds %lld\n", (long long)sb->loaded_at);
    srv_bundle_release(sb);
  }
  head(o, "aigw_bundle_reloads_total", "counter", "Bundle loads by result: ok (swapped in), unchanged, failed (the old one kept serving).");
  buf_printf(o, "aigw_bundle_reloads_total{result=\"ok\"} %llu\naigw_bundle_reloads_total{result=\"unchanged\"} %llu\n"
                "aigw_bundle_reloads_total{result=\"failed\"} %llu\n",
             LOAD(m->reloads_ok), LOAD(m->reloads_unchanged), LOAD(m->reloads_failed));

  head(o, "aigw_budget_reservations_total", "counter", "Budget reservations at admission, by result.");
  buf_printf(o, "aigw_budget_reservations_total{result=\"admitted\"} %llu\naigw_budget_reservations_total{result=\"over_limit\"} %llu\n"
                "aigw_budget_reservations_total{result=\"error\"} %llu\n",
             LOAD(m->reserve_admitted), LOAD(m->reserve_over), LOAD(m->reserve_error));
  head(o, "aigw_budget_settles_total", "counter", "POST /v1/settle, by result (unknown: settled, expired or never reserved).");
  buf_printf(o, "aigw_budget_settles_total{result=\"ok\"} %llu\naigw_budget_settles_total{result=\"unknown\"} %llu\n",
             LOAD(m->settled), LOAD(m->settle_unknown));
  SrvStoreStats st;
  s->store->ops->stats(s->store, &st);
  head(o, "aigw_budget_reservations_outstanding", "gauge", "Reservations not yet settled.");
  buf_printf(o, "aigw_budget_reservations_outstanding %llu\n", (unsigned long long)st.reservations);
  head(o, "aigw_budget_reservations_closed_total", "counter",
       "Reservations closed at their reserved amount without a settle: expired, or evicted when the store was full.");
  buf_printf(o, "aigw_budget_reservations_closed_total{reason=\"expired\"} %llu\naigw_budget_reservations_closed_total{reason=\"evicted\"} %llu\n",
             (unsigned long long)st.expired, (unsigned long long)st.evicted);
  head(o, "aigw_budget_counters", "gauge", "Budget counters held (budget, key, window).");
  buf_printf(o, "aigw_budget_counters %llu\n", (unsigned long long)st.counters);
  head(o, "aigw_budget_used", "gauge", "Usage of a budget counter in its window (the first budgets.metrics_series counters).");
  head(o, "aigw_budget_limit", "gauge", "Limit of a budget counter.");
  s->store->ops->each(s->store, s->cfg->metrics_budget_series, budget_series, o);
  if (s->store->ops->health) {
    SrvStoreHealth h;
    s->store->ops->health(s->store, &h);
    head(o, "aigw_budget_store_up", "gauge", "1 when the last call to the shared budget store succeeded.");
    buf_printf(o, "aigw_budget_store_up %d\n", h.reachable);
    head(o, "aigw_budget_store_errors_total", "counter", "Calls to the shared budget store that failed or were not tried (backoff).");
    buf_printf(o, "aigw_budget_store_errors_total %llu\n", (unsigned long long)h.errors);
    head(o, "aigw_budget_store_connects_total", "counter", "Connections made to the shared budget store.");
    buf_printf(o, "aigw_budget_store_connects_total %llu\n", (unsigned long long)h.connects);
    head(o, "aigw_budget_store_fallback_total", "counter", "Reservations decided by budget_store.on_store_error, by mode.");
    buf_printf(o, "aigw_budget_store_fallback_total{mode=\"deny\"} %llu\naigw_budget_store_fallback_total{mode=\"allow\"} %llu\n"
                  "aigw_budget_store_fallback_total{mode=\"local\"} %llu\n",
               (unsigned long long)h.fallback[SRV_ON_ERROR_DENY], (unsigned long long)h.fallback[SRV_ON_ERROR_ALLOW],
               (unsigned long long)h.fallback[SRV_ON_ERROR_LOCAL]);
    if (h.leasing) {
      head(o, "aigw_budget_store_leases", "gauge", "Budget counters of which this replica holds unused leased room.");
      buf_printf(o, "aigw_budget_store_leases %llu\n", (unsigned long long)h.leases);
      head(o, "aigw_budget_store_lease_blocks_total", "counter", "Blocks taken from shared counters (one call each).");
      buf_printf(o, "aigw_budget_store_lease_blocks_total %llu\n", (unsigned long long)h.lease_blocks);
      head(o, "aigw_budget_store_lease_returns_total", "counter",
           "Unused room given back to, or usage above a block charged to, shared counters.");
      buf_printf(o, "aigw_budget_store_lease_returns_total %llu\n", (unsigned long long)h.lease_returns);
      head(o, "aigw_budget_store_lease_mirrors_dropped_total", "counter",
           "Leased reservations not written to Redis (it was unreachable): settled only where admitted.");
      buf_printf(o, "aigw_budget_store_lease_mirrors_dropped_total %llu\n", (unsigned long long)h.mirrors_dropped);
    }
  }

  if (s->shadow) srv_shadow_metrics(s->shadow, o);

  uint64_t written = 0, dropped = 0;
  if (s->log) srv_log_counts(s->log, &written, &dropped);
  head(o, "aigw_decision_log_written_total", "counter", "Decision log lines written.");
  buf_printf(o, "aigw_decision_log_written_total %llu\n", (unsigned long long)written);
  head(o, "aigw_decision_log_dropped_total", "counter", "Decision log lines dropped because the queue was full.");
  buf_printf(o, "aigw_decision_log_dropped_total %llu\n", (unsigned long long)dropped);

  head(o, "aigw_connections_open", "gauge", "Open client connections.");
  buf_printf(o, "aigw_connections_open %llu\n", LOAD(m->connections));
  head(o, "aigw_requests_in_flight", "gauge", "Requests being answered.");
  buf_printf(o, "aigw_requests_in_flight %llu\n", LOAD(m->inflight));
}
