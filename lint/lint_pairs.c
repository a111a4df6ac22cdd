/* The facts that relate declarations to one another, computed once per bundle so that
 * each lint rule stays a condition over one document (docs/lint.md, "Facts"):
 *
 * - overlaps: two active exemptions without `when` that waive a common guardrail over
 *   scopes one of which is at or below the other. Scopes are compared in their
 *   canonical form (aigw_scope_canon) by a hash lookup of each scope's ancestors, so
 *   50,000 exemptions cost 50,000 short walks, not a comparison of every pair; only
 *   glob scopes are compared pairwise.
 * - dead and outside: a waived guardrail whose condition folds to false, or whose own
 *   scopes lie apart from the exemption's. "Apart" is claimed only for two subscription
 *   paths that differ in a segment: a management group can hold any subscription
 *   through the request's ancestors or the declared hierarchy.
 * - refused targets: a target that an enforced deny guardrail refuses whatever the
 *   request is: one that is unscoped, waived by no exemption, reads no input field but
 *   provider, model and region, and fires on the target's own values. The guardrail is
 *   run by the VM (aigw_guardrail_check) on exactly those values.
 * - unreachable rules: the compiler marks the rules after one that always gives a target
 *   when no guardrail can refuse one; lint also proves it when every guardrail that can
 *   refuse reads only provider, model and region and accepts one of the rule's targets
 *   (so that target is never refused). Routes are tried in order across declarations,
 *   so such a rule makes every later rule of every later route unreachable.
 * - always denied: an enforced, unscoped deny guardrail that always fires and that no
 *   exemption waives: no request is ever routed or charged. */
#include <stdlib.h>
#include <string.h>
#include "lint.h"

typedef struct StrList { const char **v; size_t n, cap; } StrList;

static void list_add(StrList *l, const char *s) {
  for (size_t i = 0; i < l->n; i++) if (l->v[i] == s) return;   /* ids are the bundle's: compare pointers */
  if (l->n == l->cap) { l->cap = l->cap ? l->cap * 2 : 4; l->v = xrealloc(l->v, sizeof *l->v * l->cap); }
  l->v[l->n++] = s;
}

typedef struct Ex {
  uint32_t canon, depth;   /* canon: offset into LintPairs.pool; depth: segments */
  int ok, glob, candidate; /* ok: the scope is canonical; candidate: active, no `when` */
  StrList overlaps, dead, outside;
} Ex;

typedef struct Gr {
  int refuses;             /* an enforced deny that reads provider, model or region */
  int pure;                /* reads no input field but those three */
  int refuser;             /* refuses a target whatever the request (see above) */
  int reads_region;
  size_t waivers;
} Gr;

typedef struct Rule { StrList refused; int unreachable; } Rule;

struct LintPairs {
  const aigw_bundle *b;
  int64_t now;
  size_t nex, ngr;
  Ex *ex;
  Gr *gr;
  Buf pool;                /* canonical scopes, NUL-terminated */
  int always_denied;
  aigw_ctx *ctx;           /* for refused targets */
  int f_provider, f_model, f_region;
  Rule *rules;             /* every route's rules, in order */
  size_t *first_rule;      /* per route: its first entry in rules */
  size_t nroutes;
};

static const char *canon_of(const LintPairs *p, size_t e) { return p->pool.p + p->ex[e].canon; }

/* Appends the canonical form of s to the pool; -1 when s is not a scope. */
static int put_canon(LintPairs *p, const char *s, uint32_t *off, uint32_t *depth) {
  if (!s) return -1;
  size_t n = strlen(s);
  Buf *o = &p->pool;
  if (o->cap - o->n < n + 2) { o->cap = (o->n + n + 2) * 2; o->p = xrealloc(o->p, o->cap); }
  int d = aigw_scope_canon(s, n, o->p + o->n, n + 2);
  if (d < 0) return -1;
  *off = (uint32_t)o->n;
  *depth = (uint32_t)d;
  o->n += strlen(o->p + o->n) + 1;
  return 0;
}

static int has_glob(const char *s) { return strchr(s, '*') || strchr(s, '?'); }

/* Glob g (`*` any run, `?` one character) against the whole of s, both n bytes long. */
static int glob_match(const char *g, size_t gn, const char *s, size_t sn) {
  size_t gi = 0, si = 0, star = (size_t)-1, mark = 0;
  while (si < sn) {
    if (gi < gn && (g[gi] == '?' || g[gi] == s[si])) { gi++; si++; }
    else if (gi < gn && g[gi] == '*') { star = gi++; mark = si; }
    else if (star != (size_t)-1) { gi = star + 1; si = ++mark; }
    else return 0;
  }
  while (gi < gn && g[gi] == '*') gi++;
  return gi == gn;
}

/* Segment i of a canonical scope: its start and length; 0 when there is none. */
static int segment(const char *c, uint32_t i, const char **s, size_t *n) {
  const char *q = c;
  for (uint32_t k = 0; k <= i; k++) {
    if (*q != '/' || !q[1]) return 0;
    *s = ++q;
    while (*q && *q != '/') q++;
    *n = (size_t)(q - *s);
  }
  return 1;
}

/* 1: the segments surely match; 0: they surely do not; -1: two globs, not known. */
static int seg_match(const char *a, size_t an, const char *b, size_t bn) {
  int ga = memchr(a, '*', an) || memchr(a, '?', an), gb = memchr(b, '*', bn) || memchr(b, '?', bn);
  if (!ga && !gb) return an == bn && !memcmp(a, b, an);
  if (ga && gb) return an == bn && !memcmp(a, b, an) ? 1 : -1;
  return ga ? glob_match(a, an, b, bn) : glob_match(b, bn, a, an);
}

/* Compares the first min(depth) segments: 1 all surely match (one scope is at or below
 * the other), 0 one surely differs, -1 not known. */
static int prefix_relation(const char *a, uint32_t da, const char *b, uint32_t db) {
  uint32_t n = da < db ? da : db;
  int known = 1;
  for (uint32_t i = 0; i < n; i++) {
    const char *sa, *sb; size_t na, nb;
    if (!segment(a, i, &sa, &na) || !segment(b, i, &sb, &nb)) return -1;
    int m = seg_match(sa, na, sb, nb);
    if (m == 0) return 0;
    if (m < 0) known = 0;
  }
  return known ? 1 : -1;
}

static int is_subscription_path(const char *c) { return !strncmp(c, "/subscriptions/", 15); }

/* ---- overlaps ---- */

static int share_guardrail(const aigw_bundle *b, size_t x, size_t y) {
  for (size_t i = 0; ; i++) {
    size_t g = aigw_meta_exemption_waives(b, x, i);
    if (g == SIZE_MAX) return 0;
    for (size_t k = 0; ; k++) {
      size_t h = aigw_meta_exemption_waives(b, y, k);
      if (h == SIZE_MAX) break;
      if (g == h) return 1;
    }
  }
}

static const char *ex_id(const aigw_bundle *b, size_t e) {
  aigw_exemption_info x;
  return aigw_meta_exemption(b, e, &x) == AIGW_OK ? x.id : "?";
}

static void overlap(LintPairs *p, size_t x, size_t y) {
  if (x == y || !share_guardrail(p->b, x, y)) return;
  size_t later = x > y ? x : y, earlier = x > y ? y : x;
  list_add(&p->ex[later].overlaps, ex_id(p->b, earlier));
}

static uint64_t hash_str(const char *s, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
  return h;
}

static void find_overlaps(LintPairs *p) {
  /* candidates with a literal scope, chained by canonical scope in an open-addressed table */
  size_t cap = 16;
  while (cap < p->nex * 2) cap *= 2;
  uint32_t *head = xmalloc(sizeof *head * cap), *next = xmalloc(sizeof *next * (p->nex ? p->nex : 1));
  memset(head, 0xff, sizeof *head * cap);
  for (size_t e = 0; e < p->nex; e++) {
    next[e] = UINT32_MAX;
    if (!p->ex[e].candidate || p->ex[e].glob) continue;
    const char *c = canon_of(p, e);
    size_t n = strlen(c), h = hash_str(c, n) & (cap - 1);
    while (head[h] != UINT32_MAX && strcmp(canon_of(p, head[h]), c)) h = (h + 1) & (cap - 1);
    next[e] = head[h];
    head[h] = (uint32_t)e;
  }
  for (size_t e = 0; e < p->nex; e++) {
    if (!p->ex[e].candidate || p->ex[e].glob) continue;
    const char *c = canon_of(p, e);
    size_t n = strlen(c);
    /* every ancestor of c, and c itself: "/", "/a", "/a/b", … */
    for (size_t len = 1; len <= n; len++) {
      if (len > 1 && len < n && c[len] != '/') continue;
      size_t h = hash_str(c, len) & (cap - 1);
      while (head[h] != UINT32_MAX) {
        const char *o = canon_of(p, head[h]);
        if (strlen(o) == len && !memcmp(o, c, len)) break;
        h = (h + 1) & (cap - 1);
      }
      for (uint32_t y = head[h]; y != UINT32_MAX; y = next[y])
        if (len < n || y < e) overlap(p, e, y);    /* equal scopes: once, from the later */
    }
  }
  /* glob scopes: against every other candidate */
  for (size_t x = 0; x < p->nex; x++) {
    if (!p->ex[x].candidate || !p->ex[x].glob) continue;
    for (size_t y = 0; y < p->nex; y++) {
      if (y == x || !p->ex[y].candidate || (p->ex[y].glob && y < x)) continue;
      if (prefix_relation(canon_of(p, x), p->ex[x].depth, canon_of(p, y), p->ex[y].depth) == 1) overlap(p, x, y);
    }
  }
  xfree(head); xfree(next);
}

/* ---- dead and outside ---- */

static void find_dead(LintPairs *p) {
  for (size_t e = 0; e < p->nex; e++) {
    Ex *x = &p->ex[e];
    for (size_t k = 0; ; k++) {
      size_t g = aigw_meta_exemption_waives(p->b, e, k);
      if (g == SIZE_MAX) break;
      aigw_guardrail_info gi;
      if (aigw_meta_guardrail(p->b, g, &gi) != AIGW_OK) continue;
      int outside = 0;
      if (gi.nscopes && x->ok && is_subscription_path(canon_of(p, e))) {
        outside = 1;
        for (size_t s = 0; s < gi.nscopes && outside; s++) {
          const char *t = aigw_meta_guardrail_scope(p->b, g, s);
          uint32_t off, depth;
          int ok = put_canon(p, t, &off, &depth) == 0;
          if (!ok || !is_subscription_path(p->pool.p + off) ||
              prefix_relation(canon_of(p, e), x->depth, p->pool.p + off, depth) != 0) outside = 0;
          if (ok) p->pool.n = off;  /* the pool keeps only the exemptions' scopes */
        }
      }
      if (outside) list_add(&x->outside, gi.name);
      if (outside || gi.never_fires) list_add(&x->dead, gi.name);
    }
  }
}

/* ---- refused targets ---- */

static int string_field(const aigw_bundle *b, const char *name) {
  int f = aigw_field(b, name);
  aigw_field_info fi;
  if (f < 0 || aigw_meta_field(b, (size_t)f, &fi) != AIGW_OK || strcmp(fi.type, "string")) return -1;
  return f;
}

static void find_refusers(LintPairs *p) {
  p->f_provider = string_field(p->b, "provider");
  p->f_model = string_field(p->b, "model");
  p->f_region = string_field(p->b, "region");
  size_t nf = aigw_meta_count(p->b, AIGW_META_FIELDS);
  for (size_t g = 0; g < p->ngr; g++) {
    aigw_guardrail_info gi;
    if (aigw_meta_guardrail(p->b, g, &gi) != AIGW_OK) continue;
    if (gi.always_fires && !strcmp(gi.effect, "deny") && !gi.dry_run && !gi.nscopes && !p->gr[g].waivers)
      p->always_denied = 1;
    if (!gi.refuses_targets) continue;
    int pure = 1;
    for (size_t f = 0; f < nf && pure; f++)
      if (aigw_meta_guardrail_reads(p->b, g, f) && (int)f != p->f_provider && (int)f != p->f_model && (int)f != p->f_region)
        pure = 0;
    p->gr[g].refuses = 1;
    p->gr[g].pure = pure;
    p->gr[g].refuser = pure && !gi.nscopes && !p->gr[g].waivers;
    p->gr[g].reads_region = p->f_region >= 0 && aigw_meta_guardrail_reads(p->b, g, (size_t)p->f_region);
  }
}

static void find_routes(LintPairs *p);

LintPairs *lint_pairs_new(const aigw_bundle *b, int64_t now) {
  LintPairs *p = xcalloc(1, sizeof *p);
  p->b = b; p->now = now;
  p->nex = aigw_meta_count(b, AIGW_META_EXEMPTIONS);
  p->ngr = aigw_meta_count(b, AIGW_META_GUARDRAILS);
  p->ex = xcalloc(p->nex ? p->nex : 1, sizeof *p->ex);
  p->gr = xcalloc(p->ngr ? p->ngr : 1, sizeof *p->gr);
  for (size_t e = 0; e < p->nex; e++) {
    aigw_exemption_info x;
    if (aigw_meta_exemption(b, e, &x) != AIGW_OK) continue;
    Ex *E = &p->ex[e];
    E->ok = put_canon(p, x.scope, &E->canon, &E->depth) == 0;
    if (!E->ok) { E->canon = (uint32_t)p->pool.n; buf_put(&p->pool, "", 1); }
    E->glob = E->ok && has_glob(canon_of(p, e));
    /* active as the runtime decides it (docs/language.md §9): started and now < expires */
    int active = (x.starts == INT64_MIN || x.starts <= now) && now < x.expires;
    E->candidate = E->ok && active && !x.has_when;
    for (size_t k = 0; ; k++) {
      size_t g = aigw_meta_exemption_waives(b, e, k);
      if (g == SIZE_MAX) break;
      if (g < p->ngr) p->gr[g].waivers++;
    }
  }
  find_overlaps(p);
  find_dead(p);
  find_refusers(p);
  find_routes(p);
  return p;
}

void lint_pairs_free(LintPairs *p) {
  if (!p) return;
  for (size_t e = 0; e < p->nex; e++) { xfree(p->ex[e].overlaps.v); xfree(p->ex[e].dead.v); xfree(p->ex[e].outside.v); }
  if (p->rules)
    for (size_t i = 0; i < p->first_rule[p->nroutes]; i++) xfree(p->rules[i].refused.v);
  xfree(p->rules); xfree(p->first_rule);
  xfree(p->ex); xfree(p->gr);
  buf_free(&p->pool);
  aigw_ctx_free(p->ctx);
  xfree(p);
}

void lint_pairs_exemption(LintPairs *p, size_t e, const char ***overlaps, size_t *noverlaps,
                          const char ***dead, size_t *ndead, const char ***outside, size_t *noutside) {
  static const char **none = NULL;
  if (e >= p->nex) { *overlaps = *dead = *outside = none; *noverlaps = *ndead = *noutside = 0; return; }
  Ex *x = &p->ex[e];
  *overlaps = x->overlaps.v; *noverlaps = x->overlaps.n;
  *dead = x->dead.v; *ndead = x->dead.n;
  *outside = x->outside.v; *noutside = x->outside.n;
}

/* provider:model@region as written (§3.11): the provider ends at the first ':', the
 * region starts after the last '@'. A target with a {request.field} part depends on the
 * request, so it is never refused whatever the request. */
static int split_target(const char *t, const char **pe, const char **re) {
  if (strchr(t, '{')) return -1;
  *pe = strchr(t, ':');
  if (!*pe) return -1;
  *re = strrchr(*pe, '@');
  return 0;
}

/* Decides target t of rule k of route r on the target's values alone: *refused when a
 * refuser fires on it; *never when no guardrail can refuse it, whatever the request. */
static void judge_target(LintPairs *p, size_t r, size_t k, size_t t, const char **text, int *refused, int *never) {
  const char *pe, *re;
  *refused = *never = 0;
  *text = aigw_meta_rule_target(p->b, r, k, t);
  if (!*text || split_target(*text, &pe, &re) != 0) return;
  aigw_input_reset(p->ctx);
  if (p->f_provider >= 0) aigw_input_string(p->ctx, p->f_provider, *text, (size_t)(pe - *text));
  if (p->f_model >= 0) aigw_input_string(p->ctx, p->f_model, pe + 1, re ? (size_t)(re - pe - 1) : strlen(pe + 1));
  if (re && p->f_region >= 0) aigw_input_string(p->ctx, p->f_region, re + 1, strlen(re + 1));
  if (aigw_eval(p->ctx, p->now) != AIGW_OK) return;
  *never = 1;
  for (size_t g = 0; g < p->ngr; g++) {
    if (!p->gr[g].refuses) continue;
    int fired = 0, known = p->gr[g].pure && !(p->gr[g].reads_region && !re) &&
                           aigw_guardrail_check(p->ctx, g, &fired) == AIGW_OK;
    if (!known || fired) *never = 0;
    if (known && fired && p->gr[g].refuser) { *refused = 1; *never = 0; return; }
  }
}

static void find_routes(LintPairs *p) {
  p->nroutes = aigw_meta_count(p->b, AIGW_META_ROUTES);
  p->first_rule = xcalloc(p->nroutes + 1, sizeof *p->first_rule);
  size_t total = 0;
  for (size_t r = 0; r < p->nroutes; r++) {
    aigw_route_info ri;
    p->first_rule[r] = total;
    if (aigw_meta_route(p->b, r, &ri) == AIGW_OK) total += ri.nrules;
  }
  p->first_rule[p->nroutes] = total;
  p->rules = xcalloc(total ? total : 1, sizeof *p->rules);
  int any = 0;
  for (size_t g = 0; g < p->ngr; g++) any |= p->gr[g].refuses;
  if (any && aigw_ctx_new(p->b, &p->ctx) != AIGW_OK) return;
  int yielded = 0;            /* an earlier rule surely gives a target */
  for (size_t r = 0; r < p->nroutes; r++)
    for (size_t k = 0; k < p->first_rule[r + 1] - p->first_rule[r]; k++) {
      Rule *R = &p->rules[p->first_rule[r] + k];
      aigw_rule_meta rm;
      if (aigw_meta_rule(p->b, r, k, &rm) != AIGW_OK) continue;
      R->unreachable = yielded || (rm.flags & AIGW_RULE_UNREACHABLE);
      if (rm.flags & AIGW_RULE_YIELDS_ALWAYS) yielded = 1;
      if (!any) continue;
      int sure = 0;
      for (size_t t = 0; t < rm.ntargets; t++) {
        const char *text;
        int refused, never;
        judge_target(p, r, k, t, &text, &refused, &never);
        if (refused) list_add(&R->refused, text);
        sure |= never;
      }
      if ((rm.flags & AIGW_RULE_MATCHES_ALWAYS) && sure) yielded = 1;
    }
}

void lint_pairs_rule(LintPairs *p, size_t r, size_t k, const char ***refused, size_t *n, int *unreachable) {
  static const char **none = NULL;
  *refused = none; *n = 0; *unreachable = 0;
  if (r >= p->nroutes || p->first_rule[r] + k >= p->first_rule[r + 1]) return;
  Rule *R = &p->rules[p->first_rule[r] + k];
  *refused = R->refused.v; *n = R->refused.n; *unreachable = R->unreachable;
}

int lint_pairs_always_denied(const LintPairs *p) { return p->always_denied; }
size_t lint_pairs_waivers(const LintPairs *p, size_t g) { return g < p->ngr ? p->gr[g].waivers : 0; }
