/* Each exemption judged at one `now`: its status, days left, age, lifetime, how broad
 * its scope is and the renewal chain it ends. The definitions are docs/audit.md's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit.h"

const char *const audit_status_key[AUDIT_NSTATUS] = {
#define X(e, key, label) key,
  AUDIT_STATUSES(X)
#undef X
};
const char *const audit_status_label[AUDIT_NSTATUS] = {
#define X(e, key, label) label,
  AUDIT_STATUSES(X)
#undef X
};
const char *const audit_broad_label[] = {"", "tenant root", "management group", "subscription", "all subscriptions"};
const char *const audit_group_name[AUDIT_NGROUPINGS] = {
#define X(e, name) name,
  AUDIT_GROUPINGS(X)
#undef X
};
const char *const audit_fail_name[AUDIT_NFAILS] = {
#define X(e, name) name,
  AUDIT_FAILS(X)
#undef X
};

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* The k-th segment of a canonical scope ("/a/b/c"), or NULL; *len its length. */
static const char *segment(const char *canon, uint32_t k, size_t *len) {
  const char *p = canon;
  for (uint32_t i = 0; *p; i++) {
    const char *s = p + 1, *e = strchr(s, '/');
    if (!e) e = s + strlen(s);
    if (i == k) { *len = (size_t)(e - s); return *len ? s : NULL; }
    p = e;
  }
  return NULL;
}
static int seg_is(const char *canon, uint32_t k, const char *want) {
  size_t n = 0;
  const char *s = segment(canon, k, &n);
  return s && n == strlen(want) && !memcmp(s, want, n);
}
static int has_glob(const char *s, size_t n) { return memchr(s, '*', n) || memchr(s, '?', n); }

/* docs/audit.md: the tenant root; a management group (or a path above one); a whole
 * subscription (or all of them); any scope whose subscription segment is a pattern. */
static AuditBroad broad_kind(const char *canon, uint32_t depth) {
  if (depth == 0) return AUDIT_BROAD_ROOT;
  static const char *const mg[] = {"providers", "microsoft.management", "managementgroups"};
  uint32_t k = 0;
  while (k < 3 && k < depth && seg_is(canon, k, mg[k])) k++;
  if (k == depth || (k == 3 && depth == 4)) return AUDIT_BROAD_MG;
  if (!seg_is(canon, 0, "subscriptions")) return AUDIT_NARROW;
  if (depth == 1) return AUDIT_BROAD_SUBS;
  size_t n = 0;
  const char *sub = segment(canon, 1, &n);
  if (sub && has_glob(sub, n)) return AUDIT_BROAD_SUBS;
  return depth == 2 ? AUDIT_BROAD_SUB : AUDIT_NARROW;
}

static void judge(Audit *a, AuditEx *e) {
  const aigw_exemption_info *x = &e->info;
  e->days_left = aigw_days_left(x->expires, a->now);
  if (x->starts != INT64_MIN && a->now < x->starts) e->status = AUDIT_NOT_STARTED;
  else if (x->expires != INT64_MAX && a->now >= x->expires) e->status = AUDIT_EXPIRED;
  else if (x->expires != INT64_MAX && x->expires - a->now <= a->within) e->status = AUDIT_EXPIRING;
  else e->status = AUDIT_ACTIVE;
  int64_t base = x->created != INT64_MIN ? x->created : x->starts;
  e->age_days = base == INT64_MIN ? AUDIT_UNKNOWN : floor_div(a->now, 86400) - floor_div(base, 86400);
  if (base == INT64_MIN) e->lifetime_days = AUDIT_UNKNOWN;
  else if (x->expires == INT64_MAX) e->lifetime_days = AUDIT_NEVER;
  else e->lifetime_days = floor_div(x->expires - base + 86399, 86400);
  const char *s = x->scope ? x->scope : "/";
  size_t n = strlen(s);
  e->canon = xmalloc(n + 2);
  int depth = aigw_scope_canon(s, n, e->canon, n + 2);
  if (depth < 0) { memcpy(e->canon, "/", 2); depth = 0; }   /* the compiler refuses such a scope */
  e->broad = broad_kind(e->canon, (uint32_t)depth);
}

/* Renewal chains, walked once each: a hostile bundle may hold a cycle, so a walk stops
 * at an exemption already on its own path, and every walk is bounded by n. */
static void chains(Audit *a) {
  size_t n = a->n, *path = xmalloc(sizeof *path * (n ? n : 1));
  unsigned char *state = xcalloc(n ? n : 1, 1);   /* 0 new, 1 on the path, 2 done */
  for (size_t i = 0; i < n; i++) {
    size_t r = a->ex[i].info.renews;
    if (r < n && r != i && a->ex[r].renewed_by == SIZE_MAX) a->ex[r].renewed_by = i;
  }
  for (size_t i = 0; i < n; i++) {
    size_t len = 0, x = i;
    while (x < n && !state[x] && len < n) { state[x] = 1; path[len++] = x; x = a->ex[x].info.renews; }
    /* x is done, absent, or on this path (a cycle): the chain below it counts as empty */
    size_t below = x < n && state[x] == 2 ? a->ex[x].chain : 0;
    int64_t first = x < n && state[x] == 2 ? a->ex[x].chain_created : AUDIT_UNKNOWN;
    while (len) {
      AuditEx *e = &a->ex[path[--len]];
      e->chain = below + 1;
      int64_t c = e->info.created;
      if (c != INT64_MIN && (first == AUDIT_UNKNOWN || c < first)) first = c;
      e->chain_created = first;
      state[path[len]] = 2;
      below = e->chain;
    }
  }
  xfree(path);
  xfree(state);
}

static int by_expiry(const void *pa, const void *pb) {
  const AuditEx *x = *(AuditEx *const *)pa, *y = *(AuditEx *const *)pb;
  if (x->info.expires != y->info.expires) return x->info.expires < y->info.expires ? -1 : 1;
  return strcmp(x->info.id, y->info.id);
}

void audit_build(Audit *a, const aigw_bundle *b, int64_t now, int64_t within, AuditGroupBy by) {
  memset(a, 0, sizeof *a);
  a->b = b; a->now = now; a->within = within; a->group_by = by;
  a->n = aigw_meta_count(b, AIGW_META_EXEMPTIONS);
  a->ex = xcalloc(a->n ? a->n : 1, sizeof *a->ex);
  size_t ng = aigw_meta_count(b, AIGW_META_GUARDRAILS), nw = 0;
  const char **gname = xmalloc(sizeof *gname * (ng ? ng : 1));
  for (size_t g = 0; g < ng; g++) {
    aigw_guardrail_info gi;
    gname[g] = aigw_meta_guardrail(b, g, &gi) == AIGW_OK && gi.name ? gi.name : "?";
  }
  for (size_t i = 0; i < a->n; i++) {
    AuditEx *e = &a->ex[i];
    aigw_meta_exemption(b, i, &e->info);
    if (!e->info.id) e->info.id = "?";
    if (!e->info.owner) e->info.owner = "";
    nw += e->info.nwaives;
    e->renewed_by = SIZE_MAX;
    judge(a, e);
    a->count[e->status]++;
    a->never += e->info.expires == INT64_MAX;
  }
  /* one array holds every exemption's guardrail names */
  const char **names = xmalloc(sizeof *names * (nw ? nw : 1));
  a->mem = (void *)names;
  for (size_t i = 0, k = 0; i < a->n; i++) {
    AuditEx *e = &a->ex[i];
    e->guardrails = names + k;
    for (size_t j = 0; j < e->info.nwaives; j++) {
      size_t g = aigw_meta_exemption_waives(b, i, j);
      names[k++] = g < ng ? gname[g] : "?";
    }
  }
  xfree(gname);
  chains(a);
  AuditEx **p = xmalloc(sizeof *p * (a->n ? a->n : 1));
  for (size_t i = 0; i < a->n; i++) p[i] = &a->ex[i];
  if (a->n) qsort(p, a->n, sizeof *p, by_expiry);
  a->order = xmalloc(sizeof *a->order * (a->n ? a->n : 1));
  for (size_t i = 0; i < a->n; i++) a->order[i] = (size_t)(p[i] - a->ex);
  xfree(p);
  audit_summarize(a);
  audit_group(a);
}

void audit_free(Audit *a) {
  for (size_t i = 0; i < a->n; i++) xfree(a->ex[i].canon);
  xfree(a->mem);
  xfree(a->ex); xfree(a->order); xfree(a->owners); xfree(a->guards);
  xfree(a->oldest); xfree(a->chains); xfree(a->broad); xfree(a->expiring_owners);
  for (size_t i = 0; i < a->ngroups; i++) xfree(a->groups[i].ex);
  xfree(a->groups);
  buf_free(&a->keys);
  memset(a, 0, sizeof *a);
}

unsigned audit_fails(const Audit *a, unsigned mask) {
  unsigned hold = 0;
  for (int bit = 0; bit < AUDIT_NFAILS; bit++)
    if ((mask >> bit & 1) && audit_fail_count(a, bit)) hold |= 1u << bit;
  return hold;
}

size_t audit_fail_count(const Audit *a, int bit) {
  switch (bit) {
  case AUDIT_FAIL_BIT_EXPIRED: return a->count[AUDIT_EXPIRED];
  case AUDIT_FAIL_BIT_EXPIRING: return a->count[AUDIT_EXPIRING];
  case AUDIT_FAIL_BIT_NEVER: return a->never;
  case AUDIT_FAIL_BIT_BROAD: return a->nbroad;
  }
  return 0;
}

void audit_fmt_days(char *out, size_t cap, int64_t days) {
  if (days == AUDIT_UNKNOWN) snprintf(out, cap, "-");
  else if (days == AUDIT_NEVER) snprintf(out, cap, "never");
  else snprintf(out, cap, "%lldd", (long long)days);
}

void audit_fmt_date(char *out, size_t cap, int64_t t) {
  char full[40];
  if (t == INT64_MIN || t == INT64_MAX || !aigw_format_time(full, sizeof full, t)) { if (cap) out[0] = 0; return; }
  snprintf(out, cap, "%.10s", full);
}

void audit_fmt_counts(Buf *out, const size_t by[AUDIT_NSTATUS], size_t total) {
  buf_printf(out, "%zu exemption%s", total, total == 1 ? "" : "s");
  const char *sep = ": ";
  for (int s = 0; s < AUDIT_NSTATUS; s++) {
    if (!by[s]) continue;
    buf_printf(out, "%s%zu %s", sep, by[s], audit_status_label[s]);
    sep = ", ";
  }
}

void audit_fmt_guardrails(Buf *out, const AuditEx *e) {
  for (size_t j = 0; j < e->info.nwaives; j++) {
    if (j) buf_puts(out, ", ");
    buf_puts(out, e->guardrails[j]);
  }
}
