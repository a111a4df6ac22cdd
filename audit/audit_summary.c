/* The portfolio summary and the --group-by groups: counts by owner, the most exempted
 * guardrails and how much of the estate their exemptions cover, the oldest in force,
 * the longest renewal chains, broad scopes, and whose exemptions are about to expire.
 * Everything is sorted here so that every writer lists it in the same order. */
#include <stdlib.h>
#include <string.h>
#include "audit.h"

static int in_force(const AuditEx *e) { return e->status == AUDIT_ACTIVE || e->status == AUDIT_EXPIRING; }

/* The length of the first k segments of a canonical scope ("/" when k is 0). */
static size_t prefix_len(const char *canon, uint32_t k) {
  size_t i = 0;
  for (uint32_t s = 0; s < k && canon[i]; s++) {
    i++;
    while (canon[i] && canon[i] != '/') i++;
  }
  return i ? i : 1;
}
static uint32_t depth_of(const char *canon) {
  uint32_t d = 0;
  for (const char *p = canon; *p; p++) d += *p == '/' && p[1];
  return d;
}

/* The subscription a scope lies in, or NULL (a management group, a pattern). */
static const char *subscription(const char *canon, size_t *len) {
  if (strncmp(canon, "/subscriptions/", 15)) return NULL;
  const char *s = canon + 15, *e = strchr(s, '/');
  *len = e ? (size_t)(e - s) : strlen(s);
  if (!*len || memchr(s, '*', *len) || memchr(s, '?', *len)) return NULL;
  return s;
}

/* ---- sorting helpers: arrays of pointers, so no comparator needs a context ---- */
static int cmp_owner(const void *pa, const void *pb) {
  const AuditEx *x = *(AuditEx *const *)pa, *y = *(AuditEx *const *)pb;
  int c = strcmp(x->info.owner, y->info.owner);
  return c ? c : (x < y ? -1 : x > y);
}
static int cmp_owner_rank(const void *pa, const void *pb) {
  const AuditOwner *x = pa, *y = pb;
  if (x->total != y->total) return x->total > y->total ? -1 : 1;
  return strcmp(x->owner, y->owner);
}

/* A key (not NUL-terminated) with a rank that orders first, for counting distinct
 * pairs and for grouping; pos is the exemption's place in the listing. */
/* most expiring first, then as in the by-owner list */
static int cmp_expiring(const void *pa, const void *pb) {
  const AuditOwner *x = *(const AuditOwner *const *)pa, *y = *(const AuditOwner *const *)pb;
  if (x->by[AUDIT_EXPIRING] != y->by[AUDIT_EXPIRING]) return x->by[AUDIT_EXPIRING] > y->by[AUDIT_EXPIRING] ? -1 : 1;
  return cmp_owner_rank(x, y);
}

typedef struct Pair { const char *key; size_t klen; size_t a, pos; const AuditEx *e; } Pair;
static int cmp_pair(const void *pa, const void *pb) {
  const Pair *x = pa, *y = pb;
  if (x->a != y->a) return x->a < y->a ? -1 : 1;
  size_t n = x->klen < y->klen ? x->klen : y->klen;
  int c = memcmp(x->key, y->key, n);
  if (c) return c;
  return x->klen < y->klen ? -1 : x->klen > y->klen;
}
static int cmp_group(const void *pa, const void *pb) {
  int c = cmp_pair(pa, pb);
  if (c) return c;
  const Pair *x = pa, *y = pb;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void owners(Audit *a) {
  AuditEx **p = xmalloc(sizeof *p * (a->n ? a->n : 1));
  for (size_t i = 0; i < a->n; i++) p[i] = &a->ex[i];
  if (a->n) qsort(p, a->n, sizeof *p, cmp_owner);
  a->owners = xcalloc(a->n ? a->n : 1, sizeof *a->owners);
  for (size_t i = 0; i < a->n; i++) {
    if (!i || strcmp(p[i]->info.owner, p[i - 1]->info.owner)) a->owners[a->nowners++].owner = p[i]->info.owner;
    AuditOwner *o = &a->owners[a->nowners - 1];
    o->total++;
    o->by[p[i]->status]++;
  }
  xfree(p);
  if (a->nowners) qsort(a->owners, a->nowners, sizeof *a->owners, cmp_owner_rank);
  const AuditOwner **q = xmalloc(sizeof *q * (a->nowners ? a->nowners : 1));
  for (size_t i = 0; i < a->nowners; i++)
    if (a->owners[i].by[AUDIT_EXPIRING]) q[a->nexpiring_owners++] = &a->owners[i];
  if (a->nexpiring_owners) qsort(q, a->nexpiring_owners, sizeof *q, cmp_expiring);
  a->expiring_owners = xmalloc(sizeof *a->expiring_owners * (a->nowners ? a->nowners : 1));
  for (size_t i = 0; i < a->nexpiring_owners; i++) a->expiring_owners[i] = (size_t)(q[i] - a->owners);
  xfree(q);
}

/* Counts distinct (guardrail, key) pairs in sorted p[0..n) into per-guardrail slots. */
static void count_distinct(const Pair *p, size_t n, size_t *out) {
  for (size_t i = 0; i < n; i++)
    if (!i || cmp_pair(&p[i], &p[i - 1])) out[p[i].a]++;
}

static int cmp_guard(const void *pa, const void *pb) {
  const AuditGuard *x = pa, *y = pb;
  if (x->in_force != y->in_force) return x->in_force > y->in_force ? -1 : 1;
  return strcmp(x->name, y->name);
}

static void guardrails(Audit *a) {
  size_t ng = aigw_meta_count(a->b, AIGW_META_GUARDRAILS), nw = 0;
  for (size_t i = 0; i < a->n; i++) nw += a->ex[i].info.nwaives;
  Pair *scopes = xmalloc(sizeof *scopes * (nw ? nw : 1)), *subs = xmalloc(sizeof *subs * (nw + a->n + 1));
  size_t nscopes = 0, nsubs = 0, nall = 0;
  AuditGuard *g = xcalloc(ng ? ng : 1, sizeof *g);
  for (size_t k = 0; k < ng; k++) {
    aigw_guardrail_info gi;
    g[k].name = aigw_meta_guardrail(a->b, k, &gi) == AIGW_OK && gi.name ? gi.name : "?";
  }
  /* every subscription the portfolio names, whatever the status: the denominator */
  Pair *all = xmalloc(sizeof *all * (a->n ? a->n : 1));
  for (size_t i = 0; i < a->n; i++) {
    const AuditEx *e = &a->ex[i];
    size_t sl;
    const char *sub = subscription(e->canon, &sl);
    if (sub) all[nall++] = (Pair){sub, sl, 0, 0, e};
    if (!in_force(e)) continue;
    for (size_t j = 0; j < e->info.nwaives; j++) {
      size_t k = aigw_meta_exemption_waives(a->b, i, j);
      if (k >= ng) continue;
      g[k].in_force++;
      if (e->broad > g[k].widest) g[k].widest = e->broad;
      scopes[nscopes++] = (Pair){e->canon, strlen(e->canon), k, 0, e};
      if (sub) subs[nsubs++] = (Pair){sub, sl, k, 0, e};
    }
  }
  if (nall) qsort(all, nall, sizeof *all, cmp_pair);
  size_t distinct = 0;
  count_distinct(all, nall, &distinct);
  a->nsubs = distinct;
  if (nscopes) qsort(scopes, nscopes, sizeof *scopes, cmp_pair);
  if (nsubs) qsort(subs, nsubs, sizeof *subs, cmp_pair);
  size_t *ns = xcalloc(ng ? ng : 1, sizeof *ns), *nb = xcalloc(ng ? ng : 1, sizeof *nb);
  count_distinct(scopes, nscopes, ns);
  count_distinct(subs, nsubs, nb);
  a->guards = xmalloc(sizeof *a->guards * (ng ? ng : 1));
  for (size_t k = 0; k < ng; k++) {
    if (!g[k].in_force) continue;
    g[k].scopes = ns[k]; g[k].subs = nb[k];
    a->guards[a->nguards++] = g[k];
  }
  if (a->nguards) qsort(a->guards, a->nguards, sizeof *a->guards, cmp_guard);
  xfree(g); xfree(ns); xfree(nb); xfree(scopes); xfree(subs); xfree(all);
}

static int cmp_age(const void *pa, const void *pb) {
  const AuditEx *x = *(AuditEx *const *)pa, *y = *(AuditEx *const *)pb;
  if (x->age_days != y->age_days) return x->age_days > y->age_days ? -1 : 1;
  return strcmp(x->info.id, y->info.id);
}
static int cmp_chain(const void *pa, const void *pb) {
  const AuditEx *x = *(AuditEx *const *)pa, *y = *(AuditEx *const *)pb;
  if (x->chain != y->chain) return x->chain > y->chain ? -1 : 1;
  return strcmp(x->info.id, y->info.id);
}

/* Sorts the exemptions p[0..n) with cmp and stores their indices in *out. */
static void sorted_indices(Audit *a, AuditEx **p, size_t n, int (*cmp)(const void *, const void *), size_t **out) {
  if (n) qsort(p, n, sizeof *p, cmp);
  *out = xmalloc(sizeof **out * (n ? n : 1));
  for (size_t i = 0; i < n; i++) (*out)[i] = (size_t)(p[i] - a->ex);
}

void audit_summarize(Audit *a) {
  owners(a);
  guardrails(a);
  AuditEx **p = xmalloc(sizeof *p * (a->n ? a->n : 1));
  size_t n = 0;
  for (size_t i = 0; i < a->n; i++)
    if (in_force(&a->ex[i]) && a->ex[i].age_days != AUDIT_UNKNOWN) p[n++] = &a->ex[i];
  sorted_indices(a, p, n, cmp_age, &a->oldest);
  a->noldest = n;
  n = 0;
  for (size_t i = 0; i < a->n; i++)
    if (a->ex[i].chain >= 2 && a->ex[i].renewed_by == SIZE_MAX) p[n++] = &a->ex[i];
  sorted_indices(a, p, n, cmp_chain, &a->chains);
  a->nchains = n;
  xfree(p);
  a->broad = xmalloc(sizeof *a->broad * (a->n ? a->n : 1));
  for (size_t i = 0; i < a->n; i++) {
    const AuditEx *e = &a->ex[a->order[i]];
    if (e->broad && e->status != AUDIT_EXPIRED) a->broad[a->nbroad++] = a->order[i];
  }
}

/* ---- --group-by ---- */

static const char *const age_bucket[] = {"under 30 days", "30 to 89 days", "90 to 179 days",
                                         "180 to 364 days", "365 days or more", "no created date"};
static size_t bucket(int64_t age) {
  if (age == AUDIT_UNKNOWN) return 5;
  return age < 30 ? 0 : age < 90 ? 1 : age < 180 ? 2 : age < 365 ? 3 : 4;
}

/* The subscription, management group or root a scope lies in (docs/audit.md). */
static size_t scope_root(const char *canon) {
  uint32_t d = depth_of(canon);
  if (!strncmp(canon, "/providers/microsoft.management/managementgroups/", 49) && d >= 4) return prefix_len(canon, 4);
  return prefix_len(canon, d < 2 ? d : 2);
}

void audit_group(Audit *a) {
  if (a->group_by == AUDIT_BY_NONE) return;
  size_t cap = a->n + 1;
  if (a->group_by == AUDIT_BY_GUARDRAIL) for (size_t i = 0; i < a->n; i++) cap += a->ex[i].info.nwaives;
  Pair *p = xmalloc(sizeof *p * cap);
  size_t np = 0;
  for (size_t pos = 0; pos < a->n; pos++) {
    const AuditEx *e = &a->ex[a->order[pos]];
    Pair q = {NULL, 0, 0, pos, e};
    switch (a->group_by) {
    case AUDIT_BY_OWNER: q.key = e->info.owner; break;
    case AUDIT_BY_SCOPE: q.key = e->canon; q.klen = scope_root(e->canon); break;
    case AUDIT_BY_CATEGORY: q.a = !strcmp(e->info.category, "mitigated"); q.key = e->info.category; break;
    case AUDIT_BY_AGE: q.a = bucket(e->age_days); q.key = age_bucket[q.a]; break;
    case AUDIT_BY_GUARDRAIL:
      for (size_t j = 0; j < e->info.nwaives; j++) {
        p[np] = q;
        p[np].key = e->guardrails[j]; p[np].klen = strlen(p[np].key);
        np++;
      }
      continue;
    default: break;
    }
    if (!q.klen) q.klen = strlen(q.key);
    p[np++] = q;
  }
  if (np) qsort(p, np, sizeof *p, cmp_group);
  a->groups = xmalloc(sizeof *a->groups * (np ? np : 1));
  size_t *off = xmalloc(sizeof *off * (np ? np : 1));
  for (size_t i = 0; i < np;) {
    size_t j = i;
    while (j < np && !cmp_pair(&p[i], &p[j])) j++;
    AuditGroup *g = &a->groups[a->ngroups];
    memset(g, 0, sizeof *g);
    off[a->ngroups++] = a->keys.n;
    buf_put(&a->keys, p[i].key, p[i].klen);
    buf_putc(&a->keys, 0);
    g->ex = xmalloc(sizeof *g->ex * (j - i));
    for (size_t k = i; k < j; k++) {
      size_t x = (size_t)(p[k].e - a->ex);
      g->ex[g->n++] = x;
      g->by[a->ex[x].status]++;
    }
    i = j;
  }
  /* the keys' text moved while it grew: point into it only now */
  for (size_t i = 0; i < a->ngroups; i++) a->groups[i].key = a->keys.p + off[i];
  xfree(off);
  xfree(p);
}
