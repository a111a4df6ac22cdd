/* Shadow evaluation (--shadow-bundle): a candidate bundle decides every request beside
 * the active one, off the response path, and every decision that differs is counted
 * and logged.
 *
 * A worker hands the request's input (JSON), its time and its decision id to a fixed
 * ring of SRV_SHADOW_QUEUE slots and returns: when the ring is full the entry is
 * dropped and counted, so a slow shadow never slows a live answer. One thread takes the
 * entries and evaluates the input with both the active bundle that decided it and the
 * candidate, each in a context of its own, at the request's time, and compares what
 * `aigwc diff` compares: the decision, violations, waivers, the route. The live
 * response is never touched, so it is byte for byte what it would be without a shadow.
 *
 * The shadow log is JSON Lines, one line per request whose decision differs:
 * {"decision_id", "time", "bundle", "candidate", "changes": [kind, …], "input": {…}},
 * a decision-log line as `aigwc diff --inputs` reads it (the "input" member). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "srv.h"

enum { SRV_SHADOW_QUEUE = 4096 };

static const char *const kind_name[SRV_SHADOW_NKINDS] = {
  "allow-to-deny", "deny-to-allow", "violation-gained", "violation-lost", "waiver-gained", "waiver-lost",
  "route-changed", "input-rejected",
};

typedef struct Slot { SrvBundle *sb; Buf input; int64_t now; char id[40]; } Slot;

struct SrvShadow {
  aigw_bundle *cand;
  char cand_id[80];
  FILE *log;
  pthread_mutex_t mu;
  pthread_cond_t cv, idle;
  Slot ring[SRV_SHADOW_QUEUE];
  size_t head, n;                 /* under mu */
  uint64_t put_seq, done_seq;     /* under mu: entries queued, entries compared */
  int stop;
  pthread_t thread;
  atomic_ullong evaluated, differs, dropped, failed, kinds[SRV_SHADOW_NKINDS];
};

/* Guardrail names of one list, to compare as sets. */
static int has_finding(aigw_ctx *c, aigw_list which, const char *name) {
  for (size_t i = 0; i < aigw_count(c, which); i++) {
    aigw_finding f;
    if (aigw_get(c, which, i, &f) == AIGW_OK && !strcmp(f.guardrail, name)) return 1;
  }
  return 0;
}

/* Whether any finding of a's list is missing from b's. */
static int gained(aigw_ctx *a, aigw_ctx *b, aigw_list which) {
  for (size_t i = 0; i < aigw_count(a, which); i++) {
    aigw_finding f;
    if (aigw_get(a, which, i, &f) == AIGW_OK && !has_finding(b, which, f.guardrail)) return 1;
  }
  return 0;
}

/* Evaluates one entry with both bundles; sets change[k] for each kind that differs.
 * -1 when the active bundle itself cannot decide it (nothing to compare). */
static int compare(aigw_ctx *act, aigw_ctx *cand, const Slot *e, int change[SRV_SHADOW_NKINDS]) {
  memset(change, 0, sizeof(int) * SRV_SHADOW_NKINDS);
  if (aigw_input_json(act, e->input.p, e->input.n) != AIGW_OK || aigw_eval(act, e->now) != AIGW_OK) return -1;
  if (aigw_input_json(cand, e->input.p, e->input.n) != AIGW_OK || aigw_eval(cand, e->now) != AIGW_OK) {
    change[SRV_SHADOW_INPUT_REJECTED] = 1;
    return 0;
  }
  aigw_decision ra = aigw_result(act), rc = aigw_result(cand);
  if (ra == AIGW_ALLOW && rc == AIGW_DENY) change[SRV_SHADOW_ALLOW_TO_DENY] = 1;
  if (ra == AIGW_DENY && rc == AIGW_ALLOW) change[SRV_SHADOW_DENY_TO_ALLOW] = 1;
  change[SRV_SHADOW_VIOLATION_GAINED] = gained(cand, act, AIGW_VIOLATIONS);
  change[SRV_SHADOW_VIOLATION_LOST] = gained(act, cand, AIGW_VIOLATIONS);
  change[SRV_SHADOW_WAIVER_GAINED] = gained(cand, act, AIGW_WAIVED);
  change[SRV_SHADOW_WAIVER_LOST] = gained(act, cand, AIGW_WAIVED);
  const char *qa = aigw_route(act), *qc = aigw_route(cand);
  change[SRV_SHADOW_ROUTE_CHANGED] = (qa || qc) && (!qa || !qc || strcmp(qa, qc));
  return 0;
}

static void write_line(SrvShadow *sh, const Slot *e, const char *active_id, const int change[SRV_SHADOW_NKINDS], Buf *o) {
  if (!sh->log) return;
  o->n = 0;
  char when[40];
  aigw_format_time(when, sizeof when, e->now);
  buf_printf(o, "{\"decision_id\":\"%s\",\"time\":\"%s\",\"bundle\":\"%s\",\"candidate\":\"%s\",\"changes\":[", e->id,
             when, active_id, sh->cand_id);
  int n = 0;
  for (int k = 0; k < SRV_SHADOW_NKINDS; k++)
    if (change[k]) buf_printf(o, "%s\"%s\"", n++ ? "," : "", kind_name[k]);
  buf_puts(o, "],\"input\":");
  buf_put(o, e->input.p, e->input.n);
  buf_puts(o, "}\n");
  fwrite(o->p, 1, o->n, sh->log);
  fflush(sh->log);
}

static void *shadow_main(void *arg) {
  SrvShadow *sh = arg;
  aigw_ctx *cand = NULL, *act = NULL;
  SrvBundle *act_sb = NULL;
  Slot e = {0};
  Buf line = {0};
  if (aigw_ctx_new(sh->cand, &cand) != AIGW_OK) cand = NULL;
  pthread_mutex_lock(&sh->mu);
  for (;;) {
    while (!sh->n && !sh->stop) pthread_cond_wait(&sh->cv, &sh->mu);
    if (!sh->n) break;
    /* take the slot's contents, leaving the slot our old buffer to reuse */
    Slot *s = &sh->ring[sh->head];
    Buf spare = e.input;
    e = *s;
    s->input = spare;
    s->input.n = 0;
    s->sb = NULL;
    sh->head = (sh->head + 1) % SRV_SHADOW_QUEUE;
    sh->n--;
    pthread_mutex_unlock(&sh->mu);
    if (e.sb != act_sb) {
      aigw_ctx_free(act);
      act = NULL;
      srv_bundle_release(act_sb);
      act_sb = e.sb;
      atomic_fetch_add(&act_sb->refs, 1);
      if (aigw_ctx_new(act_sb->b, &act) != AIGW_OK) act = NULL;
    }
    int change[SRV_SHADOW_NKINDS];
    if (!act || !cand || compare(act, cand, &e, change)) atomic_fetch_add(&sh->failed, 1);
    else {
      atomic_fetch_add(&sh->evaluated, 1);
      int any = 0;
      for (int k = 0; k < SRV_SHADOW_NKINDS; k++)
        if (change[k]) { any = 1; atomic_fetch_add(&sh->kinds[k], 1); }
      if (any) {
        atomic_fetch_add(&sh->differs, 1);
        write_line(sh, &e, act_sb->id, change, &line);
      }
    }
    srv_bundle_release(e.sb);
    e.sb = NULL;
    pthread_mutex_lock(&sh->mu);
    sh->done_seq++;
    pthread_cond_broadcast(&sh->idle);
  }
  sh->done_seq = sh->put_seq;
  pthread_cond_broadcast(&sh->idle);
  pthread_mutex_unlock(&sh->mu);
  aigw_ctx_free(act);
  aigw_ctx_free(cand);
  srv_bundle_release(act_sb);
  buf_free(&e.input);
  buf_free(&line);
  return NULL;
}

SrvShadow *srv_shadow_open(const char *bundle, const char *log_path, char *err, size_t errlen) {
  SrvShadow *sh = xcalloc(1, sizeof *sh);
  char why[300] = "";
  if (aigw_bundle_open_file(bundle, NULL, &sh->cand, why, sizeof why) != AIGW_OK) {
    snprintf(err, errlen, "--shadow-bundle %s: %s", bundle, why);
    xfree(sh);
    return NULL;
  }
  snprintf(sh->cand_id, sizeof sh->cand_id, "%s", aigw_bundle_id(sh->cand));
  if (log_path && !(sh->log = !strcmp(log_path, "-") ? stdout : fopen(log_path, "a"))) {
    snprintf(err, errlen, "--shadow-log %s: %s", log_path, strerror(errno));
    aigw_bundle_close(sh->cand);
    xfree(sh);
    return NULL;
  }
  pthread_mutex_init(&sh->mu, NULL);
  pthread_cond_init(&sh->cv, NULL);
  pthread_cond_init(&sh->idle, NULL);
  if (pthread_create(&sh->thread, NULL, shadow_main, sh)) {
    snprintf(err, errlen, "--shadow-bundle: cannot start its thread");
    if (sh->log && sh->log != stdout) fclose(sh->log);
    aigw_bundle_close(sh->cand);
    xfree(sh);
    return NULL;
  }
  return sh;
}

const char *srv_shadow_id(const SrvShadow *sh) { return sh->cand_id; }

void srv_shadow_put(SrvShadow *sh, SrvBundle *active, const char *id, int64_t now, const char *input, size_t ilen) {
  if (!sh || !active || !input || !ilen) return;
  pthread_mutex_lock(&sh->mu);
  if (sh->n == SRV_SHADOW_QUEUE || sh->stop) {
    pthread_mutex_unlock(&sh->mu);
    atomic_fetch_add(&sh->dropped, 1);
    return;
  }
  Slot *s = &sh->ring[(sh->head + sh->n) % SRV_SHADOW_QUEUE];
  s->input.n = 0;
  buf_put(&s->input, input, ilen);     /* grows to the largest input once, then reuses */
  s->now = now;
  snprintf(s->id, sizeof s->id, "%s", id);
  atomic_fetch_add(&active->refs, 1);
  s->sb = active;
  sh->n++;
  sh->put_seq++;
  pthread_cond_signal(&sh->cv);
  pthread_mutex_unlock(&sh->mu);
}

/* Waits until the entries queued before the call are compared: at most 2 s, so that a
 * shadow far behind never holds an admin request long. */
void srv_shadow_wait_idle(SrvShadow *sh) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 2;
  pthread_mutex_lock(&sh->mu);
  uint64_t target = sh->put_seq;
  while (sh->done_seq < target)
    if (pthread_cond_timedwait(&sh->idle, &sh->mu, &until)) break;
  pthread_mutex_unlock(&sh->mu);
}

#define LOAD(x) ((unsigned long long)atomic_load(&(x)))

void srv_shadow_summary(SrvShadow *sh, Buf *o) {
  srv_shadow_wait_idle(sh);       /* the summary counts what was queued before it */
  buf_printf(o, "{\"candidate\":\"%s\",\"evaluated\":%llu,\"differs\":%llu,\"dropped\":%llu,\"failed\":%llu,\"changes\":{",
             sh->cand_id, LOAD(sh->evaluated), LOAD(sh->differs), LOAD(sh->dropped), LOAD(sh->failed));
  for (int k = 0; k < SRV_SHADOW_NKINDS; k++) buf_printf(o, "%s\"%s\":%llu", k ? "," : "", kind_name[k], LOAD(sh->kinds[k]));
  buf_puts(o, "}}\n");
}

void srv_shadow_metrics(SrvShadow *sh, Buf *o) {
  buf_printf(o, "# HELP aigw_shadow_requests_total Requests given to the shadow bundle, by result.\n"
                "# TYPE aigw_shadow_requests_total counter\n"
                "aigw_shadow_requests_total{result=\"same\"} %llu\naigw_shadow_requests_total{result=\"differs\"} %llu\n"
                "aigw_shadow_requests_total{result=\"dropped\"} %llu\naigw_shadow_requests_total{result=\"failed\"} %llu\n",
             LOAD(sh->evaluated) - LOAD(sh->differs), LOAD(sh->differs), LOAD(sh->dropped), LOAD(sh->failed));
  buf_puts(o, "# HELP aigw_shadow_changes_total Shadow decisions that differ from the active one, by kind.\n"
              "# TYPE aigw_shadow_changes_total counter\n");
  for (int k = 0; k < SRV_SHADOW_NKINDS; k++)
    buf_printf(o, "aigw_shadow_changes_total{kind=\"%s\"} %llu\n", kind_name[k], LOAD(sh->kinds[k]));
}

void srv_shadow_close(SrvShadow *sh) {
  if (!sh) return;
  pthread_mutex_lock(&sh->mu);
  sh->stop = 1;
  pthread_cond_signal(&sh->cv);
  pthread_mutex_unlock(&sh->mu);
  pthread_join(sh->thread, NULL);
  for (size_t i = 0; i < SRV_SHADOW_QUEUE; i++) {
    srv_bundle_release(sh->ring[i].sb);
    buf_free(&sh->ring[i].input);
  }
  if (sh->log && sh->log != stdout) fclose(sh->log);
  aigw_bundle_close(sh->cand);
  pthread_cond_destroy(&sh->cv);
  pthread_cond_destroy(&sh->idle);
  pthread_mutex_destroy(&sh->mu);
  xfree(sh);
}
