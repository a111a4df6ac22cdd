/* The active bundle. A bundle is verified before it is installed, immutable after, and
 * reference counted: the holder keeps one reference, and each worker thread one for
 * the bundle its evaluation context was made for. A swap replaces the holder's pointer
 * under a mutex and bumps a generation number; a worker compares that number once per
 * request (one atomic load) and moves to the new bundle between two requests, so a
 * decision always finishes on the bundle it started with and no request waits for a
 * reload. The old bundle is freed when its last worker lets go. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "srv.h"

void srv_holder_init(SrvHolder *h) {
  memset(h, 0, sizeof *h);
  pthread_mutex_init(&h->mu, NULL);
}

void srv_holder_destroy(SrvHolder *h) {
  if (h->active) srv_bundle_release(h->active);
  h->active = NULL;
  pthread_mutex_destroy(&h->mu);
}

SrvBundle *srv_holder_acquire(SrvHolder *h) {
  pthread_mutex_lock(&h->mu);
  SrvBundle *sb = h->active;
  if (sb) atomic_fetch_add(&sb->refs, 1);
  pthread_mutex_unlock(&h->mu);
  return sb;
}

void srv_bundle_release(SrvBundle *sb) {
  if (!sb || atomic_fetch_sub(&sb->refs, 1) != 1) return;
  srv_map_plan_free(&sb->plan);
  aigw_bundle_close(sb->b);
  for (size_t i = 0; i < sb->nbidx; i++) xfree((char *)sb->bidx[i].name);
  xfree(sb->gidx);
  xfree(sb->bidx);
  xfree(sb);
}

static int by_pointer(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const SrvSlot *)a)->name, y = (uintptr_t)((const SrvSlot *)b)->name;
  return x < y ? -1 : x > y;
}

/* A finding names its guardrail with the bundle's own string, the one the metadata
 * gives: found by pointer, without comparing text. Only a budget's error (a name the
 * context formats) is compared as text. */
uint32_t srv_bundle_slot(const SrvBundle *sb, const char *name) {
  size_t lo = 0, hi = sb->ngidx;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if ((uintptr_t)sb->gidx[mid].name < (uintptr_t)name) lo = mid + 1;
    else hi = mid;
  }
  if (lo < sb->ngidx && sb->gidx[lo].name == name) return sb->gidx[lo].slot;
  for (size_t i = 0; i < sb->nbidx; i++) if (!strcmp(sb->bidx[i].name, name)) return sb->bidx[i].slot;
  return 0;
}

static void refused(SrvServer *s, const char *from, const char *why, char *err, size_t errlen) {
  SrvHolder *h = &s->holder;
  snprintf(err, errlen, "%s: %s", from, why);
  pthread_mutex_lock(&h->mu);
  snprintf(h->last_error, sizeof h->last_error, "%s", err);
  h->last_error_at = (int64_t)time(NULL);
  pthread_mutex_unlock(&h->mu);
  atomic_fetch_add(&s->metrics.reloads_failed, 1);
}

int srv_holder_install(SrvServer *s, const void *data, size_t len, const char *sig, size_t siglen,
                       const char *from, char *err, size_t errlen) {
  SrvHolder *h = &s->holder;
  char why[400];
  aigw_bundle *b;
  aigw_config cfg;
  aigw_config_init(&cfg);
  cfg.verify_keys = s->verify_keys;
  cfg.nverify_keys = s->nverify_keys;
  if (aigw_bundle_open_signed(data, len, sig, siglen, &cfg, &b, why, sizeof why) != AIGW_OK) {
    refused(s, from, why, err, errlen);
    return -1;
  }
  pthread_mutex_lock(&h->mu);
  int same = h->active && !strcmp(h->active->id, aigw_bundle_id(b));
  pthread_mutex_unlock(&h->mu);
  if (same) {
    aigw_bundle_close(b);
    atomic_fetch_add(&s->metrics.reloads_unchanged, 1);
    return 0;
  }
  SrvBundle *sb = xcalloc(1, sizeof *sb);
  sb->b = b;
  atomic_init(&sb->refs, 1);
  snprintf(sb->id, sizeof sb->id, "%s", aigw_bundle_id(b));
  sb->loaded_at = (int64_t)time(NULL);
  if (srv_map_plan(b, s->cfg, &sb->plan, why, sizeof why)) {
    refused(s, from, why, err, errlen);
    srv_bundle_release(sb);
    return -1;
  }
  size_t ng = aigw_meta_count(b, AIGW_META_GUARDRAILS), nb = aigw_meta_count(b, AIGW_META_BUDGETS);
  sb->gidx = xcalloc(ng + 1, sizeof *sb->gidx);
  sb->bidx = xcalloc(nb + 1, sizeof *sb->bidx);
  for (size_t i = 0; i < ng; i++) {
    aigw_guardrail_info g;
    aigw_meta_guardrail(b, i, &g);
    sb->gidx[sb->ngidx++] = (SrvSlot){g.name, srv_metrics_slot(&s->metrics, g.name)};
  }
  if (sb->ngidx) qsort(sb->gidx, sb->ngidx, sizeof *sb->gidx, by_pointer);
  for (size_t i = 0; i < nb; i++) {
    aigw_budget_info bi;
    char name[160];
    aigw_meta_budget(b, i, &bi);
    snprintf(name, sizeof name, "budget:%s", bi.name);
    sb->bidx[sb->nbidx++] = (SrvSlot){xstrndup(name, strlen(name)), srv_metrics_slot(&s->metrics, name)};
  }
  pthread_mutex_lock(&h->mu);
  SrvBundle *old = h->active;
  h->active = sb;
  snprintf(h->source, sizeof h->source, "%s", from);
  h->last_ok_at = sb->loaded_at;
  atomic_fetch_add(&h->gen, 1);
  pthread_mutex_unlock(&h->mu);
  srv_bundle_release(old);
  atomic_fetch_add(&s->metrics.reloads_ok, 1);
  return 1;
}
