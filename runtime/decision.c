/* Reading a decision: the accessors of aigw.h and the decision as JSON (docs/language.md §10).
 *
 * The JSON is written by hand into the context's own buffer, in the contract's fixed
 * field order, with no spaces: a library would allocate per node, and this buffer
 * only grows to its high-water mark. It is rendered on first request after an eval. */
#include <stdio.h>
#include <string.h>
#include "jscan.h"
#include "timefmt.h"
#include "vm.h"

_Static_assert((int)BUDGET_ALIGN_EPOCH == (int)RT_ALIGN_EPOCH && (int)BUDGET_ALIGN_WEEK == (int)RT_ALIGN_WEEK &&
               (int)BUDGET_ALIGN_MONTH == (int)RT_ALIGN_MONTH, "one numbering of window alignments");

void rt_decision_reset(aigw_ctx *c) {
  for (int k = 0; k < 4; k++) c->nlist[k] = 0;
  c->nbudgets = 0;
  c->nmsg = 0;
  c->json_ok = 0;
  c->route = c->rule = NONE32;
  c->cache_len = NONE32;
  c->ntargets = 0;
  c->evaluated = 0;
  c->decision = AIGW_DENY;
}

static const char *const effect_names[] = {"deny", "warn", "audit"};
static const char *effect_name(uint32_t e) { return e < 3 ? effect_names[e] : "deny"; }

static const Finding *finding(const aigw_ctx *c, aigw_list which, size_t i) {
  if (!c || !c->evaluated || (unsigned)which > AIGW_ERRORS || i >= c->nlist[which]) return NULL;
  return &c->lists[which][i];
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* Calendar days from today to the last valid day, both UTC: an exemption that
 * "expires 2026-12-31" (valid until the end of that day) has 39 days left on
 * 2026-11-22 and 0 on its last day; negative once expired. The one definition used by
 * decisions, lint and audit. */
int64_t aigw_days_left(int64_t expires, int64_t now) {
  if (expires == INT64_MAX || expires == INT64_MIN) return INT64_MAX;
  return floor_div(expires - 1, 86400) - floor_div(now, 86400);
}
static int64_t days_left(const aigw_ctx *c, const BExemption *E) { return aigw_days_left(E->expires, c->now); }

aigw_decision aigw_result(const aigw_ctx *c) { return c && c->evaluated ? (aigw_decision)c->decision : AIGW_DENY; }

size_t aigw_count(const aigw_ctx *c, aigw_list which) {
  if (!c || !c->evaluated || (unsigned)which > AIGW_ERRORS) return 0;
  return c->nlist[which];
}

aigw_status aigw_get(aigw_ctx *c, aigw_list which, size_t i, aigw_finding *out) {
  Finding *f = (Finding *)finding(c, which, i);
  if (!f || !out) return AIGW_ERR_ARG;
  const Bundle *b = c->b;
  memset(out, 0, sizeof *out);
  if (f->src_len == MSG_PENDING) {
    uint32_t off = (uint32_t)c->nmsg;
    if (rt_put_source(c, f->file, f->line) || rt_growbytes(c, &c->msg, &c->capmsg, c->nmsg + 1)) {
      c->nmsg = off;
      return rt_error(c, AIGW_ERR_NOMEM, "out of memory");
    }
    f->src_off = off;
    f->src_len = (uint32_t)(c->nmsg - off);
    c->msg[c->nmsg++] = 0;
  }
  out->source = c->msg + f->src_off;
  if (f->flags & FIND_NAMED) {
    out->guardrail = c->msg + f->name_off;
    out->severity = which == AIGW_VIOLATIONS ? "critical" : "";
    out->effect = "deny";
    return AIGW_OK;
  }

  const BGuardrail *G = &b->guardrails[f->index];
  out->guardrail = bundle_str(b, G->name);
  out->severity = bundle_str(b, G->severity);
  out->effect = effect_name(G->effect);
  out->dry_run = (G->flags & GR_DRY_RUN) != 0;
  if (which == AIGW_WAIVED) {
    const BExemption *E = &b->exemptions[f->exemption];
    out->exemption = bundle_str(b, E->id);
    out->owner = bundle_str(b, E->owner);
    out->expires = bundle_str(b, E->expires_text);
    out->days_left = days_left(c, E);
  }
  return AIGW_OK;
}

const char *aigw_message(aigw_ctx *c, aigw_list which, size_t i) {
  Finding *f = (Finding *)finding(c, which, i);
  if (!f || rt_render_pending(c, f)) return NULL;
  return c->msg + f->msg_off;
}

const char *aigw_route(const aigw_ctx *c) {
  if (!c || !c->evaluated || c->route == NONE32) return NULL;
  return bundle_str(c->b, c->b->routes[c->route].name);
}

size_t aigw_route_count(const aigw_ctx *c) { return c && c->evaluated ? c->ntargets : 0; }

/* A target part as text: bundle strings are NUL-terminated; a part taken from the
 * request points into the input, which is NUL-terminated too (input.c). */
aigw_status aigw_route_target(const aigw_ctx *c, size_t i, aigw_target *out) {
  if (!c || !out || !c->evaluated || i >= c->ntargets) return AIGW_ERR_ARG;
  out->provider = c->tparts[i][0].u.p;
  out->model = c->tparts[i][1].u.p;
  out->region = c->tparts[i][2].u.p;
  return AIGW_OK;
}

aigw_status aigw_route_rule(const aigw_ctx *c, aigw_rule_info *out) {
  if (!c || !out || !c->evaluated || c->rule == NONE32) return AIGW_ERR_ARG;
  const BRoute *R = &c->b->routes[c->route];
  out->route = bundle_str(c->b, R->name);
  out->index = c->rule - R->first_rule;
  out->file = bundle_str(c->b, R->file);
  out->line = c->b->rules[c->rule].line;
  return AIGW_OK;
}

aigw_status aigw_route_cache(const aigw_ctx *c, aigw_cache *out) {
  if (!c || !out || !c->evaluated || c->rule == NONE32 || c->cache_len == NONE32) return AIGW_ERR_ARG;
  out->ttl = c->b->rules[c->rule].cache_ttl;
  out->key = c->msg + c->cache_off;
  out->key_len = c->cache_len;
  return AIGW_OK;
}

size_t aigw_budget_count(const aigw_ctx *c) { return c && c->evaluated ? c->nbudgets : 0; }

/* The window budget B's counter is in at now: its bounds and length. */
static void budget_window(const BBudget *B, int64_t now, int64_t *start, int64_t *end) {
  rt_window(now, B->window, (int)(B->flags & BUDGET_ALIGN_MASK), (B->flags & BUDGET_SLIDING) != 0, start, end);
}

aigw_status aigw_budget_get(const aigw_ctx *c, size_t i, aigw_budget *out) {
  if (!c || !out || !c->evaluated || i >= c->nbudgets) return AIGW_ERR_ARG;
  const BudgetOut *o = &c->budgets[i];
  const BBudget *B = &c->b->budgets[o->budget];
  out->budget = bundle_str(c->b, B->name);
  out->unit = bundle_str(c->b, B->unit);
  out->period = bundle_str(c->b, B->period);
  out->key = c->msg + o->key_off;
  out->key_len = o->key_len;
  out->limit = o->limit;
  out->warn_bp = B->warn_bp;
  out->charge = o->charge;
  budget_window(B, c->now, &out->window_start, &out->window_end);
  out->window = out->window_end - out->window_start;
  out->sliding = (B->flags & BUDGET_SLIDING) != 0;
  out->rate_limit = (B->flags & BUDGET_RATE) != 0;
  return AIGW_OK;
}

/* ---- JSON ---- */

/* Room for n more bytes and the final NUL. */
static inline int jreserve(aigw_ctx *c, size_t n) {
  return c->njson + n + 1 > c->capjson && rt_growbytes(c, &c->json, &c->capjson, c->njson + n + 1) ? -1 : 0;
}
static inline int jput(aigw_ctx *c, const char *s, size_t n) {
  if (jreserve(c, n)) return -1;
  memcpy(c->json + c->njson, s, n);
  c->njson += n;
  return 0;
}
#define JS(lit) jput(c, lit, sizeof lit - 1)

/* A JSON string at o: quotes, backslashes and control characters escaped (\u00XX where
 * JSON has no short form); bytes that are not UTF-8 become U+FFFD, so the output is
 * always valid JSON whatever the host put in a field. o has room for the worst case,
 * six bytes out per byte in, plus the quotes; returns the end. */
static char *json_escape(char *o, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  *o++ = '"';
  for (size_t i = 0; i < n;) {
    size_t st = i;
    i = (size_t)(rt_json_plain(u + i, u + n) - u);
    memcpy(o, s + st, i - st);
    o += i - st;
    if (i == n) break;
    unsigned char ch = u[i];
    if (ch >= 0x80) {
      size_t k = (size_t)rt_utf8_len(u + i, u + n);
      if (k) memcpy(o, s + i, k), o += k, i += k;
      else memcpy(o, "\\ufffd", 6), o += 6, i++;
      continue;
    }
    *o++ = '\\';
    switch (ch) {
    case '"': *o++ = '"'; break;
    case '\\': *o++ = '\\'; break;
    case '\n': *o++ = 'n'; break;
    case '\r': *o++ = 'r'; break;
    case '\t': *o++ = 't'; break;
    case '\b': *o++ = 'b'; break;
    case '\f': *o++ = 'f'; break;
    default: memcpy(o, "u00", 3); o[3] = hex[ch >> 4]; o[4] = hex[ch & 15]; o += 5;
    }
    i++;
  }
  *o++ = '"';
  return o;
}
static int jstr(aigw_ctx *c, const char *s, size_t n) {
  if (jreserve(c, 6 * n + 2)) return -1;
  c->njson = (size_t)(json_escape(c->json + c->njson, s, n) - c->json);
  return 0;
}
static int jsid(aigw_ctx *c, uint32_t sid) { return jstr(c, bundle_str(c->b, sid), bundle_strlen(c->b, sid)); }
static int jmsg(aigw_ctx *c, uint32_t off, uint32_t len) { return jstr(c, c->msg + off, len); }
/* "file:line" as a JSON string, written straight from the bundle's file name. */
static int jloc(aigw_ctx *c, uint32_t file, uint32_t line) {
  char num[24];
  if (jstr(c, bundle_str(c->b, file), bundle_strlen(c->b, file))) return -1;
  c->njson--;                        /* reopen the string: its closing quote goes after the line */
  return jput(c, ":", 1) | jput(c, num, rt_fmt_i64(num, line)) | jput(c, "\"", 1);
}
static int jint(aigw_ctx *c, int64_t v) {
  char buf[24];
  return jput(c, buf, rt_fmt_i64(buf, v));
}

/* Basis points as a fraction, exactly as printf's %g prints bp / 10000.0 (8000 → 0.8,
 * 10000 → 1, 1 → 0.0001), without printf's cost; out holds 40 bytes. */
size_t rt_fmt_bp(char *out, int32_t bp) {
  if (bp < 0 || bp >= 1000000) {     /* beyond six significant digits: printf decides */
    int n = snprintf(out, 40, "%g", bp / 10000.0);
    return n > 0 ? (size_t)n : 0;
  }
  size_t n = rt_fmt_i64(out, bp / 10000);
  int frac = bp % 10000, digits = 4;
  while (frac && frac % 10 == 0) { frac /= 10; digits--; }
  if (frac) {
    out[n++] = '.';
    for (int k = digits - 1; k >= 0; k--) out[n + (size_t)k] = (char)('0' + frac % 10), frac /= 10;
    n += (size_t)digits;
  }
  out[n] = 0;
  return n;
}
static int jbp(aigw_ctx *c, int32_t bp) {
  char buf[40];
  return jput(c, buf, rt_fmt_bp(buf, bp));
}

static int jfindings(aigw_ctx *c, aigw_list which) {
  int err = 0;
  for (uint32_t i = 0; i < c->nlist[which]; i++) {
    Finding *f = &c->lists[which][i];
    if (f->flags & FIND_NAMED) {
      err |= (i ? JS(",{\"guardrail\":") : JS("{\"guardrail\":")) | jmsg(c, f->name_off, f->name_len);
      err |= JS(",\"severity\":\"critical\",\"effect\":\"deny\",\"message\":") | jmsg(c, f->msg_off, f->msg_len);
      err |= JS(",\"source\":") | jloc(c, f->file, f->line) | JS("}");
      continue;
    }
    const struct GJson *g = &c->bh->gj[f->index];
    err |= rt_render_pending(c, f) | (i ? JS(",") : 0);
    err |= jput(c, c->bh->gjson + g->head, g->head_len) | jmsg(c, f->msg_off, f->msg_len);
    err |= jput(c, c->bh->gjson + g->tail, g->tail_len);
  }
  return err;
}

static int jwaived(aigw_ctx *c) {
  int err = 0;
  for (uint32_t i = 0; i < c->nlist[AIGW_WAIVED]; i++) {
    const Finding *f = &c->lists[AIGW_WAIVED][i];
    const BExemption *E = &c->b->exemptions[f->exemption];
    const struct GJson *g = &c->bh->gj[f->index];
    err |= (i ? JS(",{\"guardrail\":") : JS("{\"guardrail\":")) | jput(c, c->bh->gjson + g->name, g->name_len);
    err |= JS(",\"exemption\":") | jsid(c, E->id) | JS(",\"owner\":") | jsid(c, E->owner);
    err |= JS(",\"expires\":") | jsid(c, E->expires_text) | JS(",\"days_left\":");
    int64_t d = days_left(c, E);
    err |= (E->expires == INT64_MAX ? JS("null") : jint(c, d)) | JS("}");
  }
  return err;
}

static int jerrors(aigw_ctx *c) {
  int err = 0;
  for (uint32_t i = 0; i < c->nlist[AIGW_ERRORS]; i++) {
    const Finding *f = &c->lists[AIGW_ERRORS][i];
    int allow = 0, dry = 0;
    err |= i ? JS(",{\"guardrail\":") : JS("{\"guardrail\":");
    if (f->flags & FIND_NAMED) err |= jmsg(c, f->name_off, f->name_len);
    else {
      const BGuardrail *G = &c->b->guardrails[f->index];
      err |= jput(c, c->bh->gjson + c->bh->gj[f->index].name, c->bh->gj[f->index].name_len);
      allow = (G->flags & GR_ON_ERROR_ALLOW) != 0;
      dry = (G->flags & GR_DRY_RUN) != 0;
    }
    err |= JS(",\"message\":") | jmsg(c, f->msg_off, f->msg_len);
    err |= allow ? JS(",\"on_error\":\"allow\"") : JS(",\"on_error\":\"deny\"");
    err |= JS(",\"source\":");
    if (f->flags & FIND_NAMED) err |= jloc(c, f->file, f->line);
    else err |= jput(c, c->bh->gjson + c->bh->gj[f->index].src, c->bh->gj[f->index].src_len);
    err |= dry ? JS(",\"dry_run\":true}") : JS("}");
  }
  return err;
}

static int jpart(aigw_ctx *c, Value v) { return jstr(c, v.u.p, v.len); }

static int jroute(aigw_ctx *c) {
  if (c->route == NONE32) return JS("null");
  const BRoute *R = &c->b->routes[c->route];
  int err = JS("{\"rule\":") | jsid(c, R->name) | JS(",\"rule_index\":") | jint(c, c->rule - R->first_rule);
  err |= JS(",\"source\":") | jloc(c, R->file, c->b->rules[c->rule].line) | JS(",\"targets\":[");
  for (uint32_t i = 0; i < c->ntargets; i++) {
    err |= (i ? JS(",{\"provider\":") : JS("{\"provider\":")) | jpart(c, c->tparts[i][0]);
    err |= JS(",\"model\":") | jpart(c, c->tparts[i][1]);
    if (c->tparts[i][2].u.p) err |= JS(",\"region\":") | jpart(c, c->tparts[i][2]);
    err |= JS("}");
  }
  err |= JS("]");
  if (c->cache_len != NONE32)
    err |= JS(",\"cache\":{\"ttl\":") | jint(c, c->b->rules[c->rule].cache_ttl) | JS(",\"key\":") |
           jmsg(c, c->cache_off, c->cache_len) | JS("}");
  return err | JS("}");
}

static int jbudgets(aigw_ctx *c) {
  int err = 0;
  for (uint32_t i = 0; i < c->nbudgets; i++) {
    const BudgetOut *o = &c->budgets[i];
    const BBudget *B = &c->b->budgets[o->budget];
    err |= (i ? JS(",{\"budget\":") : JS("{\"budget\":")) | jsid(c, B->name);
    err |= JS(",\"key\":") | jmsg(c, o->key_off, o->key_len);
    err |= JS(",\"limit\":") | jint(c, o->limit);
    err |= JS(",\"unit\":") | jsid(c, B->unit) | JS(",\"period\":") | jsid(c, B->period);
    if (B->warn_bp >= 0) err |= JS(",\"warn_at\":") | jbp(c, B->warn_bp);
    err |= JS(",\"charge\":") | jint(c, o->charge);
    int64_t start, end;
    char t[40];
    budget_window(B, c->now, &start, &end);
    err |= JS(",\"window\":{\"seconds\":") | jint(c, end - start);
    err |= (B->flags & BUDGET_SLIDING) ? JS(",\"sliding\":true") : JS(",\"sliding\":false");
    err |= JS(",\"start\":\"") | jput(c, t, rt_fmt_time(t, start)) | JS("\",\"end\":\"") | jput(c, t, rt_fmt_time(t, end));
    err |= JS("\"}");
    if (B->flags & BUDGET_RATE) err |= JS(",\"rate_limit\":true");
    err |= JS("}");
  }
  return err;
}

const char *aigw_decision_json(aigw_ctx *c, size_t *len) {
  if (len) *len = 0;
  if (!c) return NULL;
  if (!c->evaluated) {
    rt_error(c, AIGW_ERR_ARG, "no decision: call aigw_eval first");
    return NULL;
  }
  if (!c->json_ok) {
    c->njson = 0;
    int err = c->decision == AIGW_DENY ? JS("{\"decision\":\"deny\",\"violations\":[")
                                       : JS("{\"decision\":\"allow\",\"violations\":[");
    err |= jfindings(c, AIGW_VIOLATIONS) | JS("],\"waived\":[") | jwaived(c);
    err |= JS("],\"warnings\":[") | jfindings(c, AIGW_WARNINGS);
    err |= JS("],\"errors\":[") | jerrors(c) | JS("],\"route\":") | jroute(c);
    err |= JS(",\"budgets\":[") | jbudgets(c) | JS("]") | jput(c, c->bh->idjson, c->bh->idjson_len);
    if (err) {
      rt_error(c, AIGW_ERR_NOMEM, "out of memory");
      return NULL;
    }
    c->json[c->njson] = 0;
    c->json_ok = 1;
  }
  if (len) *len = c->njson;
  return c->json;
}

/* ---- constant fragments, escaped once at load ---- */

/* The parts of a finding's JSON that depend only on its guardrail, in the order
 * jfindings writes them around the message: one buffer, sized for the worst case of
 * escaping and then kept as it is (a few hundred bytes per guardrail). */
int rt_json_frags(struct aigw_bundle *bh) {
  const Bundle *b = &bh->b;
  /* the id is the loader's own "sha256:" and 64 hex digits: nothing to escape */
  _Static_assert(sizeof bh->idjson >= sizeof ",\"bundle\":\"sha256:}" + 64, "room for the id");
  memcpy(bh->idjson, ",\"bundle\":", 10);
  char *e = json_escape(bh->idjson + 10, b->id, strlen(b->id));
  *e++ = '}';
  bh->idjson_len = (size_t)(e - bh->idjson);
  if (!b->nguardrails) return 0;
  size_t size = 0;
  for (uint32_t g = 0; g < b->nguardrails; g++) {
    const BGuardrail *G = &b->guardrails[g];
    const BProgram *P = &b->programs[G->cond];
    size += 6 * (2 * (size_t)bundle_strlen(b, G->name) + bundle_strlen(b, G->severity) + bundle_strlen(b, P->file)) + 160;
  }
  bh->gj = rt_alloc(bh, NULL, 0, (size_t)b->nguardrails * sizeof *bh->gj);
  bh->gjson = rt_alloc(bh, NULL, 0, size);
  if (!bh->gj || !bh->gjson) return -1;
  bh->gjson_size = size;
  char *base = bh->gjson, *o = base;
#define PUT(lit) (memcpy(o, lit, sizeof lit - 1), o += sizeof lit - 1)
  for (uint32_t g = 0; g < b->nguardrails; g++) {
    const BGuardrail *G = &b->guardrails[g];
    const BProgram *P = &b->programs[G->cond];
    struct GJson *j = &bh->gj[g];
    const char *eff = effect_name(G->effect);
    char num[24];
    size_t nl = rt_fmt_i64(num, P->line);
    j->head = (uint32_t)(o - base);
    PUT("{\"guardrail\":");
    j->name = (uint32_t)(o - base);
    o = json_escape(o, bundle_str(b, G->name), bundle_strlen(b, G->name));
    j->name_len = (uint32_t)(o - base) - j->name;
    PUT(",\"severity\":");
    o = json_escape(o, bundle_str(b, G->severity), bundle_strlen(b, G->severity));
    PUT(",\"effect\":\"");
    memcpy(o, eff, strlen(eff)); o += strlen(eff);
    PUT("\",\"message\":");
    j->head_len = (uint32_t)(o - base) - j->head;
    j->tail = (uint32_t)(o - base);
    PUT(",\"source\":");
    j->src = (uint32_t)(o - base);
    o = json_escape(o, bundle_str(b, P->file), bundle_strlen(b, P->file)) - 1;  /* reopened for the line */
    *o++ = ':';
    memcpy(o, num, nl); o += nl;
    *o++ = '"';
    j->src_len = (uint32_t)(o - base) - j->src;
    if (G->flags & GR_DRY_RUN) PUT(",\"dry_run\":true}");
    else PUT("}");
    j->tail_len = (uint32_t)(o - base) - j->tail;
  }
#undef PUT
  return 0;
}

void rt_json_frags_free(struct aigw_bundle *bh) {
  if (bh->gj) rt_alloc(bh, bh->gj, (size_t)bh->b.nguardrails * sizeof *bh->gj, 0);
  if (bh->gjson) rt_alloc(bh, bh->gjson, bh->gjson_size, 0);
  bh->gj = NULL; bh->gjson = NULL;
}
