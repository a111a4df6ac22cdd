/* The decision procedure (docs/language.md §10): guardrails, exemptions, routes, budgets.
 *
 * Everything a decision produces goes into the context: findings into per-list arrays,
 * their text (messages, sources, budget keys) into one byte buffer addressed by
 * offsets, since it may move while the decision is built and not afterwards. Each
 * piece of text is NUL-terminated so the accessors can hand out C strings. */
#include <stdio.h>
#include <string.h>
#include "hash.h"
#include "msgtpl.h"
#include "scopefmt.h"
#include "timefmt.h"
#include "vm.h"

size_t rt_fmt_i64(char *out, int64_t v) {
  char tmp[24];
  size_t n = 0, o = 0;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
  if (v < 0) out[o++] = '-';
  while (n) out[o++] = tmp[--n];
  out[o] = 0;
  return o;
}

/* ---- text into c->msg ---- */

static int mput(aigw_ctx *c, const void *s, size_t n) {
  if (c->nmsg + n + 1 > c->capmsg && rt_growbytes(c, &c->msg, &c->capmsg, c->nmsg + n + 1)) return -1;
  if (n) memcpy(c->msg + c->nmsg, s, n);
  c->nmsg += n;
  return 0;
}
static int mputs(aigw_ctx *c, const char *s) { return mput(c, s, strlen(s)); }
static int mstr(aigw_ctx *c, uint32_t sid) { return mput(c, bundle_str(c->b, sid), bundle_strlen(c->b, sid)); }
/* Ends a piece of text: its length from off, then a NUL. */
static int mend(aigw_ctx *c, uint32_t off, uint32_t *len) {
  *len = (uint32_t)(c->nmsg - off);
  return mput(c, "", 1);
}

int rt_put_source(aigw_ctx *c, uint32_t file, uint32_t line) {
  char num[24];
  return mstr(c, file) | mput(c, ":", 1) | mput(c, num, rt_fmt_i64(num, line));
}

static aigw_status nomem(aigw_ctx *c) { return rt_error(c, AIGW_ERR_NOMEM, "out of memory"); }
static aigw_status over_limit(aigw_ctx *c) {
  return rt_error(c, AIGW_ERR_LIMIT, "step limit of %u instructions exceeded", c->bh->cfg.step_limit);
}

static int put_scalar(aigw_ctx *c, uint32_t type, uint32_t levels, Value v) {
  char buf[48];
  size_t n;
  switch (type) {
  case T_STR: case T_SCOPE: return mput(c, v.u.p, v.len);
  case T_BOOL: return v.u.i ? mput(c, "true", 4) : mput(c, "false", 5);
  case T_LEVEL:
    if (levels < c->b->nlevels && v.u.i >= 0 && v.u.i < c->b->levels[levels].count)
      return mstr(c, c->b->u32s[c->b->levels[levels].first + (uint32_t)v.u.i]);
    break;
  case T_TIME: n = rt_fmt_time(buf, v.u.i); return mput(c, buf, n);
  case T_DUR: n = rt_fmt_i64(buf, v.u.i); buf[n++] = 's'; return mput(c, buf, n);
  default: break;
  }
  n = rt_fmt_i64(buf, v.u.i);
  return mput(c, buf, n);
}

/* A program's value as text: lists as [a, b], maps as {k: v}. */
static int put_value(aigw_ctx *c, const BProgram *P, Value v) {
  if (P->result != T_LIST && P->result != T_MAP) return put_scalar(c, P->result, P->reserved, v);
  const BField *F = &c->b->fields[v.u.i];
  int map = P->result == T_MAP, err = mput(c, map ? "{" : "[", 1);
  for (uint32_t i = c->slots[v.u.i].head; i != NONE32 && !err; i = c->items[i].next) {
    if (i != c->slots[v.u.i].head) err |= mput(c, ", ", 2);
    if (map) err |= mput(c, c->items[i].key.u.p, c->items[i].key.len) | mput(c, ": ", 2);
    err |= put_scalar(c, F->elem, F->levels, c->items[i].val);
  }
  return err | mput(c, map ? "}" : "]", 1);
}

static int put_vm_error(aigw_ctx *c, const VmError *e) {
  switch (e->code) {
  case VM_ERR_UNSET:
    return mputs(c, "field '") | mstr(c, c->b->fields[e->slot].name) | mputs(c, "' is not set");
  case VM_ERR_NOKEY:
    return mputs(c, "key '") | mput(c, e->key.u.p, e->key.len) | mputs(c, "' not in '") |
           mstr(c, c->b->fields[e->slot].name) | mputs(c, "'");
  case VM_ERR_SCOPE: {
    const Slot *s = &c->slots[e->slot];
    int err = mputs(c, "field '") | mstr(c, c->b->fields[e->slot].name);
    if (!s->set) return err | mputs(c, "' is not set: cannot tell whether the request is in scope");
    /* only a scope field's own value is text here: a list or map holds the bad one */
    if (c->b->fields[e->slot].type != T_SCOPE) return err | mputs(c, "' holds a scope that is not a resource ID");
    return err | mputs(c, "': '") | mput(c, s->v.u.p, s->v.len > 200 ? 200 : s->v.len) | mputs(c, "' ") |
           mputs(c, rt_scope_status_text(rt_scope_canon(s->v.u.p, s->v.len, NULL, NULL, NULL))) |
           mputs(c, ", so it is not a resource ID");
  }
  case VM_ERR_DIVZERO: return mputs(c, "division by zero");
  case VM_ERR_OVERFLOW: return mputs(c, "integer overflow");
  case VM_ERR_TABLE: {
    const BTable *T = &c->b->tables[e->slot];
    char num[24];
    int err = mputs(c, "key '");
    if (c->b->sets[T->keys].type == T_STR) err |= mput(c, e->key.u.p, e->key.len > 200 ? 200 : e->key.len);
    else err |= mput(c, num, rt_fmt_i64(num, e->key.u.i));
    return err | mputs(c, "' not in table '") | mstr(c, T->name) | mputs(c, "'");
  }
  case VM_ERR_CONVERT:
    return mputs(c, "'") | mput(c, e->key.u.p, e->key.len > 200 ? 200 : e->key.len) |
           mputs(c, "' is not a date or an RFC 3339 time");
  case VM_ERR_USAGE:
    return mputs(c, "the usage of budget '") | mstr(c, c->b->budgets[e->slot].name) | mputs(c, "' is not supplied");
  case VM_ERR_WITNESS: return mputs(c, "no element decided the quantifier");
  default: return mputs(c, "evaluation failed");
  }
}

/* A hole's value. Most holes are one field (LDF; RET, as the verifier admits a program
 * of two instructions that loads a field): read without a VM call. */
static int hole_value(aigw_ctx *c, uint32_t prog, Value *v) {
  const BProgram *P = &c->b->programs[prog];
  uint32_t w = c->b->code[P->start];
  if (P->len == 2 && INSN_OP(w) == OP_LDF) return vm_field(c, INSN_ARG(w), v);
  return vm_run(c, prog, v);
}

enum { MPLAN_HOLE = 0xffffffffu };

/* Reads every guardrail's template once, at load (the plan is in vm.h). */
int rt_msg_plans(struct aigw_bundle *bh) {
  const Bundle *b = &bh->b;
  size_t n = 0, st, len, at;
  for (int pass = 0; pass < 2; pass++) {
    n = 0;
    for (uint32_t g = 0; g < b->nguardrails; g++) {
      const BGuardrail *G = &b->guardrails[g];
      if (pass) bh->mplan_of[g].first = (uint32_t)n;
      if (G->message == NOSTR) { if (pass) bh->mplan_of[g].count = 0; continue; }
      const char *t = bundle_str(b, G->message);
      size_t tn = bundle_strlen(b, G->message), i = 0;
      int k;
      for (at = n; (k = tpl_next(t, tn, &i, &st, &len)) != TPL_END; n++)
        if (pass) {
          bh->mplan[n][0] = k == TPL_HOLE ? MPLAN_HOLE : (uint32_t)st;
          bh->mplan[n][1] = k == TPL_HOLE ? 0 : (uint32_t)len;
        }
      if (pass) bh->mplan_of[g].count = (uint32_t)(n - at);
    }
    if (!pass) {
      bh->nmplan = n;
      if (b->nguardrails && !(bh->mplan_of = rt_alloc(bh, NULL, 0, (size_t)b->nguardrails * sizeof *bh->mplan_of))) return -1;
      if (n && !(bh->mplan = rt_alloc(bh, NULL, 0, n * sizeof *bh->mplan))) return -1;
    }
  }
  return 0;
}

/* The guardrail's message template (runtime/msgtpl.h, through its plan), each hole
 * filled from its next argument program. A hole that cannot be evaluated (for any
 * reason, the step limit included) shows as <?>: the finding still stands and its
 * message should say what it can. */
static int render_message(aigw_ctx *c, uint32_t g, Finding *f) {
  const Bundle *b = c->b;
  const BGuardrail *G = &b->guardrails[g];
  int err = 0;
  f->msg_off = (uint32_t)c->nmsg;
  if (G->message == NOSTR) {
    err = mputs(c, "guardrail ") | mstr(c, G->name) | mputs(c, " fired");
    return err | mend(c, f->msg_off, &f->msg_len);
  }
  const char *t = bundle_str(b, G->message);
  const struct MPlan *M = &c->bh->mplan_of[g];
  uint32_t hole = 0;
  for (uint32_t k = 0; k < M->count && !err; k++) {
    const uint32_t *piece = c->bh->mplan[M->first + k];
    if (piece[0] != MPLAN_HOLE) { err |= mput(c, t + piece[0], piece[1]); continue; }
    Value v;
    uint32_t prog = hole < G->args_count ? b->u32s[G->args_first + hole] : NONE32;
    hole++;
    err |= prog == NONE32 || hole_value(c, prog, &v) ? mputs(c, "<?>") : put_value(c, &b->programs[prog], v);
  }
  return err | mend(c, f->msg_off, &f->msg_len);
}

int rt_render_pending(aigw_ctx *c, Finding *f) {
  if (f->msg_len != MSG_PENDING) return 0;
  uint64_t steps = c->steps;
  c->steps = 0;     /* rendering is not part of the decision's step budget */
  int err = render_message(c, f->index, f);
  c->steps = steps;
  if (err) f->msg_len = MSG_PENDING;   /* out of memory: try again on the next request */
  return err;
}

static aigw_status add_finding(aigw_ctx *c, int list, const Finding *f) {
  if (rt_grow(c, (void **)&c->lists[list], &c->caplist[list], c->nlist[list] + 1, sizeof(Finding)))
    return nomem(c);
  c->lists[list][c->nlist[list]++] = *f;
  return AIGW_OK;
}

/* Whether exemption x applies now (aigw_exemption_state), the one test behind both the
 * decision and aigwc explain. A `when` that cannot be evaluated does not apply: the
 * guardrail then stands, which is the closed side. */
int rt_exemption_state(aigw_ctx *c, uint32_t x, int check_scope) {
  const BExemption *E = &c->b->exemptions[x];
  if (check_scope) {
    if (c->scope_unknown != NONE32) return AIGW_EX_SCOPE_UNKNOWN;
    if (!vm_matched(c, E->node)) return AIGW_EX_OUT_OF_SCOPE;
  }
  if (c->now < E->starts) return AIGW_EX_NOT_STARTED;
  if (!(c->now < E->expires)) return AIGW_EX_EXPIRED;
  if (E->when == NONE32) return AIGW_EX_APPLIES;
  Value v;
  int r = vm_run(c, E->when, &v);
  if (r == VM_ERR_LIMIT) return AIGW_EX_ERROR;
  return r ? AIGW_EX_WHEN_ERROR : v.u.i ? AIGW_EX_APPLIES : AIGW_EX_WHEN_FALSE;
}

aigw_exemption_state aigw_exemption_check(aigw_ctx *c, size_t i) {
  if (!c || !c->evaluated || i >= c->b->nexemptions) return AIGW_EX_ERROR;
  return (aigw_exemption_state)rt_exemption_state(c, (uint32_t)i, 1);
}

/* The first exemption that waives guardrail g here, or NONE32. Matched nodes are
 * visited in ascending order and each node's index entries are sorted by (guardrail,
 * exemption), so the choice is deterministic; the lookup is a binary search per node,
 * never a scan of the exemptions. Returns -1 past the step limit. */
static int find_waiver(aigw_ctx *c, uint32_t g, uint32_t *ex) {
  const Bundle *b = c->b;
  *ex = NONE32;
  for (uint32_t m = 0; m < c->nexmatched; m++) {
    const BNode *N = &b->nodes[c->exmatched[m]];
    const BExRef *r = b->exindex + N->ex_first;
    uint32_t lo = 0, hi = N->ex_count;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (r[mid].guardrail < g) lo = mid + 1;
      else hi = mid;
    }
    for (; lo < N->ex_count && r[lo].guardrail == g; lo++) {
      int st = rt_exemption_state(c, r[lo].exemption, 0);
      if (st == AIGW_EX_ERROR) return -1;
      if (st == AIGW_EX_APPLIES) { *ex = r[lo].exemption; return 0; }
    }
  }
  return 0;
}

static int marked(const aigw_ctx *c, uint32_t g) { return (c->grmark[g >> 6] >> (g & 63)) & 1; }
static void mark(aigw_ctx *c, uint32_t g) { c->grmark[g >> 6] |= 1ull << (g & 63); }

/* The guardrails this input can fire: the always-active ones, those attached to a
 * matched scope node (a `scope` item, or a leading `scope under S`), and those whose
 * leading `field == "value"` matches the input. A guard whose field is unset activates
 * its guardrail, which then fails closed as its condition would. */
static void activate(aigw_ctx *c) {
  const Bundle *b = c->b;
  const struct aigw_bundle *bh = c->bh;
  if (!c->grmark) return;
  memcpy(c->grmark, bh->base_active, ((b->nguardrails + 63) / 64) * sizeof *c->grmark);
  for (uint32_t m = 0; m < c->nmatched; m++) {
    const BNode *N = &b->nodes[c->matched[m]];
    for (uint32_t k = 0; k < N->gr_count; k++) mark(c, b->u32s[N->gr_first + k]);
  }
  for (uint32_t i = 0; i < bh->ngroups; i++) {
    const struct GuardGroup *G = &bh->groups[i];
    const BGuard *k = b->guards + G->first;
    const Slot *s = &c->slots[G->slot];
    if (!s->set) { for (uint32_t j = 0; j < G->count; j++) mark(c, k[j].guardrail); continue; }
    uint32_t lo = 0, hi = G->count, sid = s->v.sid;
    if (sid == NOSTR) continue;        /* a value no guard names */
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (k[mid].sid < sid) lo = mid + 1; else hi = mid;
    }
    for (; lo < G->count && k[lo].sid == sid; lo++) mark(c, k[lo].guardrail);
  }
  /* a scope that cannot be judged activates every guardrail restricted to a scope:
   * each then fails closed rather than silently not applying */
  if (c->scope_unknown != NONE32) {
    for (size_t w = 0; w < (b->nguardrails + 63) / 64; w++) c->grmark[w] |= bh->scoped[w];
    for (uint32_t j = 0; j < bh->nunder; j++) mark(c, b->guards[bh->under_first + j].guardrail);
  }
}

/* A guardrail whose condition held or failed (vm_conds): its finding, in the list an
 * exemption, its effect or the failure puts it in. */
static aigw_status check_hit(aigw_ctx *c, const VmHit *h, int *deny) {
  uint32_t g = h->g;
  int r = h->r;
  const BGuardrail *G = &c->b->guardrails[g];
  uint32_t ex;
  if (find_waiver(c, g, &ex)) return over_limit(c);
  Finding f = {.index = g, .exemption = ex, .flags = 0, .file = c->b->programs[G->cond].file,
               .line = c->b->programs[G->cond].line, .src_len = MSG_PENDING};
  int list;
  if (ex != NONE32) list = AIGW_WAIVED;
  else if (r != VM_OK) {
    list = AIGW_ERRORS;
    /* fails closed, unless the guardrail says otherwise or only runs dry */
    if (!(G->flags & (GR_ON_ERROR_ALLOW | GR_DRY_RUN))) *deny = 1;
  } else if (G->effect == EFFECT_DENY && !(G->flags & GR_DRY_RUN)) {
    list = AIGW_VIOLATIONS;
    *deny = 1;
  } else list = AIGW_WARNINGS;
  if (r != VM_OK) {
    /* the error's text must be taken now: it names input the next eval may change */
    f.msg_off = (uint32_t)c->nmsg;
    if (put_vm_error(c, &h->e) | mend(c, f.msg_off, &f.msg_len)) return nomem(c);
  } else f.msg_len = MSG_PENDING;   /* most callers never read it: render on request */
  return add_finding(c, list, &f);
}

/* ---- routes ---- */

/* A named finding (vm.h): its name and its source are text. */
static aigw_status add_named(aigw_ctx *c, int list, const char *prefix, uint32_t name, uint32_t file,
                             uint32_t line, const VmError *e, const char *why) {
  Finding f = {.index = NONE32, .exemption = NONE32, .flags = FIND_NAMED, .file = file, .line = line,
               .src_len = MSG_PENDING};
  f.name_off = (uint32_t)c->nmsg;
  int err = mputs(c, prefix) | (name != NOSTR ? mstr(c, name) : 0) | mend(c, f.name_off, &f.name_len);
  f.msg_off = (uint32_t)c->nmsg;
  err |= (e ? put_vm_error(c, e) : mputs(c, why)) | mend(c, f.msg_off, &f.msg_len);
  if (err) return nomem(c);
  return add_finding(c, list, &f);
}

/* The target's three parts: a bundle string, or the request's own value for a part
 * written {request.field}. Fills c->tparts[i]; an unset field is an error. */
static int resolve_target(aigw_ctx *c, uint32_t i, const BTarget *t) {
  const uint32_t ids[3] = {t->provider, t->model, t->region};
  for (int k = 0; k < 3; k++) {
    Value *v = &c->tparts[i][k];
    if (t->prog[k] != NONE32) {
      int r = vm_run(c, t->prog[k], v);
      if (r) return r;
    } else if (ids[k] == NOSTR) { v->u.p = NULL; v->len = 0; v->sid = NOSTR; }
    else { v->u.p = bundle_str(c->b, ids[k]); v->len = bundle_strlen(c->b, ids[k]); v->sid = ids[k]; }
  }
  return VM_OK;
}

/* Runs guardrail g with the target's parts in the provider, model and region fields.
 * 1 when it fires unwaived (refused), 0 otherwise; -1 past the step limit, -2 out of
 * memory. With
 * commit, a waiver that lets the target through is recorded in the decision, its
 * message rendered now, while the fields hold the target's values. */
static int target_check(aigw_ctx *c, uint32_t g, int commit, int *waived) {
  const BGuardrail *G = &c->b->guardrails[g];
  Value v;
  uint32_t ex;
  int r = vm_run(c, G->cond, &v);
  if (r == VM_ERR_LIMIT) return -1;
  if ((r == VM_OK && !v.u.i) || (r != VM_OK && (G->flags & GR_ON_ERROR_ALLOW))) return 0;
  if (find_waiver(c, g, &ex)) return -1;
  if (ex == NONE32) return 1;
  *waived = 1;
  if (!commit) return 0;
  for (uint32_t i = 0; i < c->nlist[AIGW_WAIVED]; i++)
    if (c->lists[AIGW_WAIVED][i].index == g && c->lists[AIGW_WAIVED][i].exemption == ex) return 0;
  Finding f = {.index = g, .exemption = ex, .flags = 0, .file = c->b->programs[G->cond].file,
               .line = c->b->programs[G->cond].line, .msg_len = MSG_PENDING, .src_len = MSG_PENDING};
  if (rt_render_pending(c, &f) || add_finding(c, AIGW_WAIVED, &f)) return -2;
  return 0;
}

/* Would a deny guardrail refuse target i (c->tparts[i])? The provider, model and region
 * fields hold the target's parts during the check and are restored after. Returns the
 * refusing guardrail, NONE32 when the target is permitted, TARGET_LIMIT past the step
 * limit or TARGET_NOMEM. */
enum { TARGET_LIMIT = NONE32 - 1, TARGET_NOMEM = NONE32 - 2 };
static uint32_t target_refused(aigw_ctx *c, uint32_t i) {
  const struct aigw_bundle *bh = c->bh;
  if (!bh->nts) return NONE32;
  const uint32_t roles[3] = {FIELD_ROLE_PROVIDER, FIELD_ROLE_MODEL, FIELD_ROLE_REGION};
  Slot save[3];
  for (int k = 0; k < 3; k++) {
    uint32_t s = bh->role_slot[roles[k]];
    if (s == NONE32 || !c->tparts[i][k].u.p) continue;
    save[k] = c->slots[s];
    c->slots[s].v = c->tparts[i][k];
    c->slots[s].set = SLOT_SET;
  }
  uint32_t refused = NONE32;
  int waived = 0;
  for (uint32_t k = 0; k < bh->nts && refused == NONE32; k++) {
    uint32_t g = bh->ts_gr[k];
    if (!marked(c, g)) continue;
    int r = target_check(c, g, 0, &waived);
    if (r) refused = r == -1 ? TARGET_LIMIT : r == -2 ? TARGET_NOMEM : g;
  }
  /* the waivers a permitted target relied on belong in the decision */
  for (uint32_t k = 0; k < bh->nts && refused == NONE32 && waived; k++) {
    int r = marked(c, bh->ts_gr[k]) ? target_check(c, bh->ts_gr[k], 1, &waived) : 0;
    if (r < 0) refused = r == -1 ? TARGET_LIMIT : TARGET_NOMEM;
  }
  for (int k = 0; k < 3; k++) {
    uint32_t s = bh->role_slot[roles[k]];
    if (s != NONE32 && c->tparts[i][k].u.p) c->slots[s] = save[k];
  }
  return refused;
}

/* The key of a split or budget as text: strings as they are, numbers in decimal. */
static const char *key_text(const BProgram *P, Value v, char *buf, size_t *n) {
  if (P->result == T_STR || P->result == T_SCOPE) { *n = v.len; return v.u.p; }
  *n = rt_fmt_i64(buf, v.u.i);
  return buf;
}

/* The rule's response cache hint: its key as text in c->msg. A key that cannot be
 * evaluated means no caching for this request, the safe side of a hint (a response
 * cached under a wrong key would be served to another request): no hint, no error. */
static aigw_status cache_hint(aigw_ctx *c, const BRule *U) {
  Value v;
  int r = vm_run(c, U->cache_key, &v);
  if (r == VM_ERR_LIMIT) return over_limit(c);
  if (r) return AIGW_OK;
  char buf[24];
  size_t kn;
  const char *key = key_text(&c->b->programs[U->cache_key], v, buf, &kn);
  c->cache_off = (uint32_t)c->nmsg;
  if (mput(c, key, kn) || mend(c, c->cache_off, &c->cache_len)) { c->cache_len = NONE32; return nomem(c); }
  return AIGW_OK;
}

/* Rules are tried in order; the first whose targets are not all refused gives the
 * route. A rule, split key or target part that cannot be evaluated denies (a route
 * must not fall through to a rule meant for other requests), and so does a request
 * for which no rule gives a permitted target: no allowed request is without a
 * destination. */
static aigw_status route(aigw_ctx *c, int *deny) {
  const Bundle *b = c->b;
  uint32_t cand[LIMIT_TARGETS], matched = 0, first_refuser = NONE32;
  for (uint32_t ri = 0; ri < b->nroutes; ri++) {
    const BRoute *R = &b->routes[ri];
    for (uint32_t k = 0; k < R->nrules; k++) {
      const BRule *U = &b->rules[R->first_rule + k];
      uint32_t n = U->ntargets < LIMIT_TARGETS ? U->ntargets : LIMIT_TARGETS, nc = 0;
      Value v;
      int r = U->kind == RULE_DEFAULT ? VM_OK : vm_run(c, U->prog, &v);
      if (r == VM_ERR_LIMIT) return over_limit(c);
      if (r != VM_OK) {
        VmError e = c->err;
        *deny = 1;
        return add_named(c, AIGW_ERRORS, "route:", R->name, R->file, U->line, &e, NULL);
      }
      if (U->kind == RULE_WHEN && !v.u.i) continue;
      matched++;
      if (U->kind == RULE_SPLIT) {
        /* Sticky and deterministic: the same key lands on the same arm everywhere; the
         * other arms follow in declared order as fallbacks. */
        char buf[24];
        size_t kn;
        const char *key = key_text(&b->programs[U->prog], v, buf, &kn);
        uint32_t bucket = aigw_split_bucket(bundle_str(b, R->name), bundle_strlen(b, R->name), key, kn);
        uint32_t arm = n ? n - 1 : 0;
        for (uint32_t i = 0; i < n; i++)
          if (bucket < b->u32s[U->weights_first + i]) { arm = i; break; }
        if (n) cand[nc++] = U->first_target + arm;
        for (uint32_t i = 0; i < n; i++)
          if (i != arm) cand[nc++] = U->first_target + i;
      } else
        for (uint32_t i = 0; i < n; i++) cand[nc++] = U->first_target + i;
      uint32_t np = 0;
      for (uint32_t i = 0; i < nc; i++) {
        const BTarget *t = &b->targets[cand[i]];
        if ((r = resolve_target(c, np, t))) {
          if (r == VM_ERR_LIMIT) return over_limit(c);
          VmError e = c->err;
          *deny = 1;
          return add_named(c, AIGW_ERRORS, "route:", R->name, R->file, U->line, &e, NULL);
        }
        uint32_t g = target_refused(c, np);
        if (g == TARGET_LIMIT) return over_limit(c);
        if (g == TARGET_NOMEM) return nomem(c);
        if (g == NONE32) c->targets[np++] = cand[i];
        else if (first_refuser == NONE32) first_refuser = g;
      }
      if (np) {
        c->route = ri; c->rule = R->first_rule + k; c->ntargets = np;
        return U->cache_ttl ? cache_hint(c, U) : AIGW_OK;
      }
    }
  }
  if (!b->nroutes) return AIGW_OK;
  *deny = 1;
  const BRoute *R = &b->routes[0];
  char why[320];
  if (!matched) snprintf(why, sizeof why, "no permitted route: no route rule matched the request");
  else snprintf(why, sizeof why, "no permitted route: every target of the %u matching rule%s is refused (the first by %s)",
                matched, matched == 1 ? "" : "s", bundle_str(b, b->guardrails[first_refuser].name));
  return add_named(c, AIGW_VIOLATIONS, "no-permitted-route", NOSTR, R->file, b->rules[R->first_rule].line, NULL, why);
}

/* ---- budgets ---- */

static aigw_status budget_error(aigw_ctx *c, uint32_t i, uint32_t prog, int *deny) {
  VmError e = c->err;
  *deny = 1;
  return add_named(c, AIGW_ERRORS, "budget:", c->b->budgets[i].name, c->b->programs[prog].file,
                   c->b->programs[prog].line, &e, NULL);
}

static aigw_status budgets(aigw_ctx *c, int *deny) {
  const Bundle *b = c->b;
  aigw_status st;
  for (uint32_t i = 0; i < b->nbudgets; i++) {
    const BBudget *B = &b->budgets[i];
    Value v;
    int r;
    if (B->when != NONE32) {
      if ((r = vm_run(c, B->when, &v)) == VM_ERR_LIMIT) return over_limit(c);
      if (r) { if ((st = budget_error(c, i, B->when, deny))) return st; continue; }
      if (!v.u.i) continue;
    }
    Value amount = {.u.i = 1, .len = 0, .sid = NOSTR};
    if (B->charge != NONE32) {
      if ((r = vm_run(c, B->charge, &amount)) == VM_ERR_LIMIT) return over_limit(c);
      if (r) { if ((st = budget_error(c, i, B->charge, deny))) return st; continue; }
    }
    /* a limit per key (a table lookup) is evaluated like the key, and fails closed */
    int64_t limit = B->limit;
    if (B->limit_prog != NONE32) {
      if ((r = vm_run(c, B->limit_prog, &v)) == VM_ERR_LIMIT) return over_limit(c);
      if (r) { if ((st = budget_error(c, i, B->limit_prog, deny))) return st; continue; }
      if (v.u.i < 0) {
        char why[64];
        snprintf(why, sizeof why, "limit %lld is negative", (long long)v.u.i);
        const BProgram *P = &b->programs[B->limit_prog];
        *deny = 1;
        if ((st = add_named(c, AIGW_ERRORS, "budget:", B->name, P->file, P->line, NULL, why))) return st;
        continue;
      }
      limit = v.u.i;
    }
    if ((r = vm_run(c, B->key, &v)) == VM_ERR_LIMIT) return over_limit(c);
    if (r) { if ((st = budget_error(c, i, B->key, deny))) return st; continue; }
    if (rt_grow(c, (void **)&c->budgets, &c->capbudgets, c->nbudgets + 1, sizeof(BudgetOut))) return nomem(c);
    BudgetOut *o = &c->budgets[c->nbudgets++];
    o->budget = i;
    o->charge = amount.u.i;
    o->limit = limit;
    o->key_off = (uint32_t)c->nmsg;
    char buf[24];
    size_t kn;
    const char *key = key_text(&b->programs[B->key], v, buf, &kn);
    if (mput(c, key, kn) || mend(c, o->key_off, &o->key_len)) return nomem(c);
  }
  return AIGW_OK;
}

/* ---- budget usage, supplied by the host (aigw.h) ---- */

int aigw_budget_index(const aigw_bundle *bh, const char *name) {
  if (!bh || !name) return -1;
  for (uint32_t i = 0; i < bh->b.nbudgets; i++)
    if (!strcmp(bundle_str(&bh->b, bh->b.budgets[i].name), name)) return (int)i;
  return -1;
}

aigw_status aigw_input_budget_usage(aigw_ctx *c, int budget, int64_t used) {
  if (!c) return AIGW_ERR_ARG;
  if (budget < 0 || (uint32_t)budget >= c->b->nbudgets)
    return rt_error(c, AIGW_ERR_ARG, "no budget with index %d", budget);
  c->evaluated = 0;                  /* a decision describes the input it was made for */
  c->busage[budget] = used;
  c->busage_gen[budget] = c->input_gen;
  return AIGW_OK;
}

static void match_input(aigw_ctx *c);
static aigw_status explain_error(aigw_ctx *c, VmError e);

aigw_status aigw_budget_key(aigw_ctx *c, size_t i, const char **key, size_t *len) {
  if (!c || !key || !len || i >= c->b->nbudgets) return AIGW_ERR_ARG;
  *key = NULL; *len = 0;
  if (c->input_changed) {
    if (rt_match_scopes(c))
      return rt_error(c, AIGW_ERR_LIMIT, "the input's scopes match more than %d scope nodes", LIMIT_MATCHED);
    match_input(c);
  }
  const BBudget *B = &c->b->budgets[i];
  Value v;
  uint64_t steps = c->steps;
  c->steps = 0;
  int r = vm_run(c, B->key, &v);
  c->steps = steps;
  if (r) return explain_error(c, c->err);
  char buf[24];
  size_t kn;
  const char *k = key_text(&c->b->programs[B->key], v, buf, &kn);
  if (k == buf) {                     /* a number: its text lives in the context */
    size_t off = c->nmsg;
    if (mput(c, buf, kn) || mput(c, "", 1)) return nomem(c);
    k = c->msg + off;
  }
  *key = k; *len = kn;
  return AIGW_OK;
}

/* ---- explaining: the decision's own tests, one at a time (aigw.h) ---- */

int aigw_guardrail_active(const aigw_ctx *c, size_t g) {
  return c && c->evaluated && g < c->b->nguardrails && marked(c, (uint32_t)g);
}

/* Why a test could not be made, as the context's error: AIGW_ERR_INPUT (or the limit). */
static aigw_status explain_error(aigw_ctx *c, VmError e) {
  if (e.code == VM_ERR_LIMIT) return over_limit(c);
  size_t keep = c->nmsg;
  if (put_vm_error(c, &e) | mput(c, "", 1)) return nomem(c);
  rt_error(c, AIGW_ERR_INPUT, "%s", c->msg + keep);
  c->nmsg = keep;
  return AIGW_ERR_INPUT;
}

static aigw_status explain_run(aigw_ctx *c, uint32_t prog, int *truth) {
  Value v;
  uint64_t steps = c->steps;
  c->steps = 0;
  int r = vm_run(c, prog, &v);
  c->steps = steps;
  if (r == VM_OK) { *truth = v.u.i != 0; return AIGW_OK; }
  return explain_error(c, c->err);
}

aigw_status aigw_guardrail_check(aigw_ctx *c, size_t g, int *fired) {
  if (!c || !fired || !c->evaluated || g >= c->b->nguardrails) return AIGW_ERR_ARG;
  const BGuardrail *G = &c->b->guardrails[g];
  if (c->scope_unknown != NONE32 && (G->flags & GR_SCOPED))
    return explain_error(c, (VmError){VM_ERR_SCOPE, c->scope_unknown, {{0}, 0, 0}});
  return explain_run(c, G->cond, fired);
}

static const BRule *rule_of(const aigw_ctx *c, size_t route, size_t k) {
  if (!c || !c->evaluated || route >= c->b->nroutes || k >= c->b->routes[route].nrules) return NULL;
  return &c->b->rules[c->b->routes[route].first_rule + k];
}

aigw_status aigw_rule_check(aigw_ctx *c, size_t route, size_t k, int *matches) {
  const BRule *U = rule_of(c, route, k);
  if (!U || !matches) return AIGW_ERR_ARG;
  if (U->kind != RULE_WHEN) { *matches = 1; return U->kind == RULE_SPLIT ? explain_run(c, U->prog, &(int){0}) : AIGW_OK; }
  return explain_run(c, U->prog, matches);
}

aigw_status aigw_target_check(aigw_ctx *c, size_t route, size_t k, size_t t, const char **refused_by) {
  const BRule *U = rule_of(c, route, k);
  if (!U || !refused_by || t >= U->ntargets) return AIGW_ERR_ARG;
  *refused_by = NULL;
  /* a scratch slot past the decision's own targets, so the decision stays intact */
  uint32_t slot = LIMIT_TARGETS - 1, saved = c->ntargets;
  if (c->ntargets > slot) return AIGW_ERR_LIMIT;
  if (resolve_target(c, slot, &c->b->targets[U->first_target + t])) return explain_error(c, c->err);
  uint64_t steps = c->steps;
  c->steps = 0;
  uint32_t nw = c->nlist[AIGW_WAIVED];
  uint32_t g = target_refused(c, slot);
  c->nlist[AIGW_WAIVED] = nw;          /* explaining records nothing in the decision */
  c->steps = steps;
  c->ntargets = saved;
  if (g == TARGET_LIMIT) return over_limit(c);
  if (g == TARGET_NOMEM) return nomem(c);
  if (g != NONE32) *refused_by = bundle_str(c->b, c->b->guardrails[g].name);
  return AIGW_OK;
}

/* ---- the decision ---- */

/* After the scopes are matched: the guardrails the input activates, and the matched
 * nodes an exemption is attached to (the only ones find_waiver needs to look at). */
static void match_input(aigw_ctx *c) {
  c->nexmatched = 0;
  for (uint32_t m = 0; m < c->nmatched; m++)
    if (c->b->nodes[c->matched[m]].ex_count) c->exmatched[c->nexmatched++] = c->matched[m];
  activate(c);
  c->input_changed = 0;
}

aigw_status aigw_eval(aigw_ctx *c, int64_t now) {
  if (!c) return AIGW_ERR_ARG;
  const Bundle *b = c->b;
  rt_decision_reset(c);
  c->now = now;
  c->steps = 0;
  /* the matched scope nodes, and the guardrails they activate, depend only on the
   * input: computed once per input, not once per evaluation */
  if (c->input_changed) {
    if (rt_match_scopes(c))
      return rt_error(c, AIGW_ERR_LIMIT, "the input's scopes match more than %d scope nodes", LIMIT_MATCHED);
    match_input(c);
  }
  int deny = 0;
  aigw_status st;
  /* the active guardrails' conditions, all in one run of the VM; then, in index order,
   * a finding for each that held or failed */
  uint32_t nmarked = 0, nhits = 0;
  for (uint32_t w = 0; w < (b->nguardrails + 63) / 64; w++) nmarked += (uint32_t)__builtin_popcountll(c->grmark[w]);
  if (nmarked) {
    if (rt_grow(c, (void **)&c->hits, &c->caphits, nmarked, sizeof *c->hits)) return nomem(c);
    if (vm_conds(c, c->hits, &nhits)) return over_limit(c);
  }
  for (uint32_t i = 0; i < nhits; i++)
    if ((st = check_hit(c, &c->hits[i], &deny))) return st;
  /* The route and budgets belong to an allowed request only. Either can still deny:
   * no permitted route, or a rule or budget that cannot be evaluated. */
  if (!deny && (st = route(c, &deny))) return st;
  if (!deny && (st = budgets(c, &deny))) return st;
  if (deny) { c->nbudgets = 0; c->route = NONE32; c->ntargets = 0; }
  c->decision = deny ? AIGW_DENY : AIGW_ALLOW;
  c->evaluated = 1;
  return AIGW_OK;
}
