/* The fact documents: one JSON object per guardrail, exemption, route rule and budget
 * of the policy bundle, with what the compiler proved about it (docs/lint.md, "Facts";
 * the schema is stdlib-policies/lint/schema.aigw). Days are counted by aigw_days_left,
 * the one days-left function; scopes are compared in aigw_scope_canon's form. A fact a
 * declaration does not have is left out, and so is a list that would be empty. */
#include <string.h>
#include "lint.h"

/* The input field for a member name, looked up once: the names are string literals,
 * so the cache is keyed by their address. */
enum { FIELD_CACHE = 256 };
typedef struct FieldCache { const char *name[FIELD_CACHE]; int id[FIELD_CACHE]; const aigw_bundle *b; } FieldCache;

struct LintFacts {
  const aigw_bundle *b;
  int64_t now;
  LintPairs *pairs;
  size_t ngr, nex, nrules, nbud;
  uint32_t *rule_route, *rule_k;   /* document → (route, rule) */
  Buf scratch;
  FieldCache cache;
};

void lint_time(int64_t t, char out[32]) {
  if (!aigw_format_time(out, 32, t)) snprintf(out, 32, "%lld", (long long)t);
}

LintFacts *lint_facts_new(const aigw_bundle *b, int64_t now) {
  LintFacts *f = xcalloc(1, sizeof *f);
  f->b = b; f->now = now;
  f->pairs = lint_pairs_new(b, now);
  f->ngr = aigw_meta_count(b, AIGW_META_GUARDRAILS);
  f->nex = aigw_meta_count(b, AIGW_META_EXEMPTIONS);
  f->nbud = aigw_meta_count(b, AIGW_META_BUDGETS);
  size_t nroutes = aigw_meta_count(b, AIGW_META_ROUTES);
  for (size_t r = 0; r < nroutes; r++) {
    aigw_route_info ri;
    if (aigw_meta_route(b, r, &ri) != AIGW_OK) continue;
    f->rule_route = xrealloc(f->rule_route, sizeof *f->rule_route * (f->nrules + ri.nrules + 1));
    f->rule_k = xrealloc(f->rule_k, sizeof *f->rule_k * (f->nrules + ri.nrules + 1));
    for (size_t k = 0; k < ri.nrules; k++) { f->rule_route[f->nrules] = (uint32_t)r; f->rule_k[f->nrules++] = (uint32_t)k; }
  }
  return f;
}

void lint_facts_free(LintFacts *f) {
  if (!f) return;
  lint_pairs_free(f->pairs);
  xfree(f->rule_route); xfree(f->rule_k);
  buf_free(&f->scratch);
  xfree(f);
}

size_t lint_facts_count(const LintFacts *f) { return f->ngr + f->nex + f->nrules + f->nbud; }

/* ---- members: written as JSON, set on a context of the lint bundle, or both ---- */

typedef struct Out {
  Buf *json;               /* or NULL */
  aigw_ctx *c;             /* or NULL */
  FieldCache *cache;
  aigw_status st;          /* the first failure of a setter */
} Out;

static int field_id(Out *o, const char *k) {
  size_t h = ((uintptr_t)k >> 3) & (FIELD_CACHE - 1);
  for (size_t i = 0; i < FIELD_CACHE; i++, h = (h + 1) & (FIELD_CACHE - 1)) {
    if (o->cache->name[h] == k) return o->cache->id[h];
    if (!o->cache->name[h]) {
      o->cache->name[h] = k;
      return o->cache->id[h] = aigw_field(o->cache->b, k);   /* -1: the schema does not have it */
    }
  }
  return aigw_field(o->cache->b, k);
}

static void key(Buf *j, const char *k) {
  if (j->n && j->p[j->n - 1] != '{') buf_putc(j, ',');
  buf_putc(j, '"');
  buf_puts(j, k);
  buf_puts(j, "\":");
}
static void set_status(Out *o, aigw_status st) { if (st != AIGW_OK && o->st == AIGW_OK) o->st = st; }
static void str(Out *o, const char *k, const char *v) {
  if (!v) return;
  if (o->json) { key(o->json, k); buf_json_str(o->json, v, strlen(v)); }
  int f;
  if (o->c && (f = field_id(o, k)) >= 0) set_status(o, aigw_input_string(o->c, f, v, strlen(v)));
}
static void num(Out *o, const char *k, int64_t v) {
  if (o->json) { key(o->json, k); buf_printf(o->json, "%lld", (long long)v); }
  int f;
  if (o->c && (f = field_id(o, k)) >= 0) set_status(o, aigw_input_int(o->c, f, v));
}
static void boolean(Out *o, const char *k, int v) {
  if (o->json) { key(o->json, k); buf_puts(o->json, v ? "true" : "false"); }
  int f;
  if (o->c && (f = field_id(o, k)) >= 0) set_status(o, aigw_input_bool(o->c, f, v));
}
static void when(Out *o, const char *k, int64_t t) {
  if (o->json) {
    char s[32];
    lint_time(t, s);
    key(o->json, k);
    buf_json_str(o->json, s, strlen(s));
  }
  int f;
  if (o->c && (f = field_id(o, k)) >= 0) set_status(o, aigw_input_time(o->c, f, t));
}
static void list(Out *o, const char *k, const char *const *v, size_t n) {
  if (!n) return;
  if (o->json) {
    key(o->json, k);
    buf_putc(o->json, '[');
    for (size_t i = 0; i < n; i++) { if (i) buf_putc(o->json, ','); buf_json_str(o->json, v[i], strlen(v[i])); }
    buf_putc(o->json, ']');
  }
  int f;
  if (o->c && (f = field_id(o, k)) >= 0)
    for (size_t i = 0; i < n; i++) set_status(o, aigw_input_list_add(o->c, f, v[i], strlen(v[i])));
}
/* "a, b" for messages, which cannot show a list */
static void joined(Out *o, Buf *tmp, const char *k, const char *const *v, size_t n) {
  if (!n) return;
  tmp->n = 0;
  for (size_t i = 0; i < n; i++) buf_printf(tmp, "%s%s", i ? ", " : "", v[i]);
  buf_putc(tmp, 0);
  str(o, k, tmp->p);
}

/* ASCII lower case, trimmed, inner white space single; with final, the last '.', '!'
 * or ';' dropped too, so that "Business need." reads as "business need". */
static void norm(Out *o, Buf *tmp, const char *k, const char *s, int final) {
  if (!s) return;
  tmp->n = 0;
  int space = 0;
  for (; *s; s++) {
    char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') { space = tmp->n > 0; continue; }
    if (space) buf_putc(tmp, ' ');
    space = 0;
    buf_putc(tmp, c);
  }
  if (final) while (tmp->n && strchr(".!;", tmp->p[tmp->n - 1])) tmp->n--;
  buf_putc(tmp, 0);
  str(o, k, tmp->p);
}

/* "/lint/FILE/KIND/ID": the place a suppression's scope names (docs/lint.md). */
static void common(Out *o, Buf *tmp, const char *kind, const char *id, const aigw_loc *loc) {
  str(o, "kind", kind);
  str(o, "id", id);
  tmp->n = 0;
  buf_printf(tmp, "/lint/%s/%s/%s", loc->file ? loc->file : "-", kind, id);
  buf_putc(tmp, 0);
  str(o, "place", tmp->p);
  str(o, "file", loc->file);
  num(o, "line", loc->line);
  num(o, "col", loc->col);
}

static const char *const severities[] = {"low", "medium", "high", "critical"};
static int sev_rank(const char *s) {
  for (int i = 0; i < 4; i++) if (s && !strcmp(s, severities[i])) return i;
  return -1;
}

static void guardrail(LintFacts *f, size_t g, Out *o) {
  aigw_guardrail_info gi;
  if (aigw_meta_guardrail(f->b, g, &gi) != AIGW_OK) return;
  common(o, &f->scratch, "guardrail", gi.name, &gi.loc);
  str(o, "severity", gi.severity);
  str(o, "effect", gi.effect);
  boolean(o, "dry_run", gi.dry_run);
  boolean(o, "on_error_allow", gi.on_error_allow);
  boolean(o, "always_fires", gi.always_fires);
  boolean(o, "never_fires", gi.never_fires);
  num(o, "nscopes", (int64_t)gi.nscopes);
  num(o, "nexemptions", (int64_t)lint_pairs_waivers(f->pairs, g));
}

static void exemption(LintFacts *f, size_t e, Out *o) {
  aigw_exemption_info x;
  if (aigw_meta_exemption(f->b, e, &x) != AIGW_OK) return;
  Buf *t = &f->scratch;
  common(o, t, "exemption", x.id, &x.loc);
  str(o, "owner", x.owner);
  norm(o, t, "owner_norm", x.owner, 0);
  str(o, "reason", x.reason);
  norm(o, t, "reason_norm", x.reason, 1);
  str(o, "ticket", x.ticket);
  str(o, "category", x.category);
  str(o, "scope", x.scope);
  if (x.scope) {
    size_t n = strlen(x.scope);
    char *c = xmalloc(n + 2);
    if (aigw_scope_canon(x.scope, n, c, n + 2) >= 0) str(o, "scope_canon", c);
    xfree(c);
  }
  num(o, "scope_depth", x.scope_depth);
  if (x.created != INT64_MIN) when(o, "created", x.created);
  if (x.starts != INT64_MIN) when(o, "starts", x.starts);
  int never = x.expires == INT64_MAX;
  if (!never) when(o, "expires", x.expires);
  str(o, "expires_text", x.expires_text);
  boolean(o, "expires_never", never);
  if (!never) {
    num(o, "days_left", aigw_days_left(x.expires, f->now));
    int from_created = x.created != INT64_MIN;
    num(o, "lifetime_days", aigw_days_left(x.expires, from_created ? x.created : f->now));
    str(o, "lifetime_from", from_created ? "created" : "now");
  }
  const char *ctl[64];
  size_t nctl = 0, shortest = SIZE_MAX;
  for (size_t k = 0; k < x.ncontrols && nctl < 64; k++) {
    const char *c = aigw_meta_exemption_control(f->b, e, k);
    if (!c) continue;
    ctl[nctl++] = c;
    if (strlen(c) < shortest) shortest = strlen(c);
  }
  list(o, "controls", ctl, nctl);
  if (nctl) num(o, "shortest_control", (int64_t)shortest);
  /* the chain behind it, bounded: a hostile bundle could hold a cycle */
  size_t renewals = 0;
  aigw_exemption_info y = x;
  if (x.renews != SIZE_MAX) {
    aigw_exemption_info r;
    if (aigw_meta_exemption(f->b, x.renews, &r) == AIGW_OK) str(o, "renews", r.id);
  }
  while (y.renews != SIZE_MAX && renewals < f->nex && aigw_meta_exemption(f->b, y.renews, &y) == AIGW_OK) renewals++;
  num(o, "renewals", (int64_t)renewals);
  boolean(o, "has_when", x.has_when);
  boolean(o, "when_never", x.when_never);
  const char *w[64];
  size_t nw = 0;
  int top = -1;
  for (size_t k = 0; k < x.nwaives && nw < 64; k++) {
    size_t g = aigw_meta_exemption_waives(f->b, e, k);
    aigw_guardrail_info gi;
    if (g == SIZE_MAX || aigw_meta_guardrail(f->b, g, &gi) != AIGW_OK) continue;
    w[nw++] = gi.name;
    if (sev_rank(gi.severity) > top) top = sev_rank(gi.severity);
  }
  list(o, "waives", w, nw);
  if (top >= 0) str(o, "waived_severity", severities[top]);
  const char **ov, **dead, **out;
  size_t nov, ndead, nout;
  lint_pairs_exemption(f->pairs, e, &ov, &nov, &dead, &ndead, &out, &nout);
  Buf tmp = {0};
  list(o, "waives_dead", dead, ndead);
  joined(o, &tmp, "dead_text", dead, ndead);
  list(o, "scope_outside", out, nout);
  list(o, "overlaps", ov, nov);
  joined(o, &tmp, "overlaps_text", ov, nov);
  buf_free(&tmp);
}

static void route_rule(LintFacts *f, size_t k, Out *o) {
  size_t r = f->rule_route[k], i = f->rule_k[k];
  aigw_route_info ri;
  aigw_rule_meta rm;
  if (aigw_meta_route(f->b, r, &ri) != AIGW_OK || aigw_meta_rule(f->b, r, i, &rm) != AIGW_OK) return;
  Buf id = {0}, tmp = {0};
  buf_printf(&id, "%s/%zu", ri.name, i + 1);
  buf_putc(&id, 0);
  common(o, &f->scratch, "route", id.p, &rm.loc);
  str(o, "route", ri.name);
  num(o, "rule_index", (int64_t)(i + 1));
  str(o, "rule_kind", rm.kind);
  boolean(o, "matches_always", (rm.flags & AIGW_RULE_MATCHES_ALWAYS) != 0);
  boolean(o, "matches_never", (rm.flags & AIGW_RULE_MATCHES_NEVER) != 0);

  const char *tg[64];
  size_t nt = 0;
  for (size_t t = 0; t < rm.ntargets && nt < 64; t++) {
    const char *s = aigw_meta_rule_target(f->b, r, i, t);
    if (s) tg[nt++] = s;
  }
  list(o, "targets", tg, nt);
  const char **ref;
  size_t nref;
  int unreachable;
  lint_pairs_rule(f->pairs, r, i, &ref, &nref, &unreachable);
  boolean(o, "unreachable", unreachable);
  list(o, "refused_targets", ref, nref);
  joined(o, &tmp, "refused_text", ref, nref);
  boolean(o, "always_denied", lint_pairs_always_denied(f->pairs));
  buf_free(&id); buf_free(&tmp);
}

static void budget(LintFacts *f, size_t i, Out *o) {
  aigw_budget_info bi;
  if (aigw_meta_budget(f->b, i, &bi) != AIGW_OK) return;
  common(o, &f->scratch, "budget", bi.name, &bi.loc);
  str(o, "unit", bi.unit);
  str(o, "period", bi.period);
  num(o, "limit", bi.limit);
  boolean(o, "has_when", bi.has_when);
  boolean(o, "when_never", bi.when_never);
  boolean(o, "always_denied", lint_pairs_always_denied(f->pairs));
}

static void emit(LintFacts *f, size_t k, Out *o) {
  if (o->json) buf_putc(o->json, '{');
  if (k < f->ngr) guardrail(f, k, o);
  else if ((k -= f->ngr) < f->nex) exemption(f, k, o);
  else if ((k -= f->nex) < f->nrules) route_rule(f, k, o);
  else if ((k -= f->nrules) < f->nbud) budget(f, k, o);
  if (o->json) buf_putc(o->json, '}');
}

void lint_fact_json(LintFacts *f, size_t k, Buf *out) {
  Out o = {out, NULL, &f->cache, AIGW_OK};
  emit(f, k, &o);
}

aigw_status lint_fact_input(LintFacts *f, size_t k, aigw_ctx *c, const aigw_bundle *rules, Buf *json) {
  if (f->cache.b != rules) { memset(&f->cache, 0, sizeof f->cache); f->cache.b = rules; }
  Out o = {json, c, &f->cache, AIGW_OK};
  aigw_input_reset(c);
  emit(f, k, &o);
  return o.st;
}

void lint_fact_where(const LintFacts *f, size_t k, aigw_loc *loc, const char **kind, const char **keyword, Buf *id) {
  static const aigw_loc none = {NULL, 0, 0};
  *loc = none; *kind = *keyword = NULL;
  id->n = 0;
  if (k < f->ngr) {
    aigw_guardrail_info gi;
    if (aigw_meta_guardrail(f->b, k, &gi) == AIGW_OK) { *loc = gi.loc; *kind = "guardrail"; buf_puts(id, gi.name); }
  } else if ((k -= f->ngr) < f->nex) {
    aigw_exemption_info x;
    if (aigw_meta_exemption(f->b, k, &x) == AIGW_OK) { *loc = x.loc; *kind = "exemption"; buf_puts(id, x.id); }
  } else if ((k -= f->nex) < f->nrules) {
    aigw_route_info ri;
    aigw_rule_meta rm;
    if (aigw_meta_route(f->b, f->rule_route[k], &ri) == AIGW_OK &&
        aigw_meta_rule(f->b, f->rule_route[k], f->rule_k[k], &rm) == AIGW_OK) {
      *loc = rm.loc; *kind = "route"; *keyword = rm.kind;
      buf_printf(id, "%s/%u", ri.name, f->rule_k[k] + 1);
    }
  } else if ((k -= f->nrules) < f->nbud) {
    aigw_budget_info bi;
    if (aigw_meta_budget(f->b, k, &bi) == AIGW_OK) { *loc = bi.loc; *kind = "budget"; buf_puts(id, bi.name); }
  }
  if (*kind && !*keyword) *keyword = *kind;
  buf_putc(id, 0);
  id->n--;
}
