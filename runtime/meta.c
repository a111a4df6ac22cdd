/* The metadata view of aigw.h: what a bundle declares, read in place, for the tools
 * that judge policies rather than requests (explain, lint, audit). Nothing here is on
 * a decision's path. */
#include <string.h>
#include "scopefmt.h"
#include "vm.h"

static const char *S(const Bundle *b, uint32_t id) { return id == NOSTR ? NULL : bundle_str(b, id); }
static aigw_loc loc(const Bundle *b, uint32_t file, uint32_t line, uint32_t col) {
  aigw_loc l = {S(b, file), line, col};
  return l;
}

size_t aigw_meta_count(const aigw_bundle *bh, aigw_meta_kind k) {
  if (!bh) return 0;
  const Bundle *b = &bh->b;
  switch (k) {
  case AIGW_META_FIELDS: return b->nfields;
  case AIGW_META_GUARDRAILS: return b->nguardrails;
  case AIGW_META_EXEMPTIONS: return b->nexemptions;
  case AIGW_META_ROUTES: return b->nroutes;
  case AIGW_META_BUDGETS: return b->nbudgets;
  }
  return 0;
}

aigw_status aigw_meta_field(const aigw_bundle *bh, size_t i, aigw_field_info *out) {
  if (!bh || !out || i >= bh->b.nfields) return AIGW_ERR_ARG;
  const BField *F = &bh->b.fields[i];
  out->name = bundle_str(&bh->b, F->name);
  out->type = bh->field_types + bh->field_type_off[i];
  out->max_items = F->max_items;
  return AIGW_OK;
}

aigw_status aigw_meta_guardrail(const aigw_bundle *bh, size_t i, aigw_guardrail_info *out) {
  if (!bh || !out || i >= bh->b.nguardrails) return AIGW_ERR_ARG;
  static const char *const effects[] = {"deny", "warn", "audit"};
  const Bundle *b = &bh->b;
  const BGuardrail *G = &b->guardrails[i];
  out->name = S(b, G->name);
  out->severity = S(b, G->severity);
  out->effect = effects[G->effect <= EFFECT_AUDIT ? G->effect : 0];
  out->message = S(b, G->message);
  out->dry_run = (G->flags & GR_DRY_RUN) != 0;
  out->on_error_allow = (G->flags & GR_ON_ERROR_ALLOW) != 0;
  out->refuses_targets = bundle_refuses_targets(G);
  out->always_fires = (G->flags & GR_COND_TRUE) != 0;
  out->never_fires = (G->flags & GR_COND_FALSE) != 0;
  out->nscopes = G->scope_count;
  out->loc = loc(b, G->file, G->line, G->col);
  return AIGW_OK;
}

const char *aigw_meta_guardrail_scope(const aigw_bundle *bh, size_t i, size_t k) {
  if (!bh || i >= bh->b.nguardrails || k >= bh->b.guardrails[i].scope_count) return NULL;
  const Bundle *b = &bh->b;
  const BNode *N = &b->nodes[b->u32s[b->guardrails[i].scope_first + k]];
  return S(b, N->scope_text != NOSTR ? N->scope_text : N->segment);
}

int aigw_meta_guardrail_reads(const aigw_bundle *bh, size_t i, size_t field) {
  if (!bh || i >= bh->b.nguardrails || field >= bh->b.nfields) return 0;
  const Bundle *b = &bh->b;
  uint32_t prog = b->guardrails[i].cond;
  if (prog >= b->nprograms) return 0;
  const BProgram *P = &b->programs[prog];
  for (uint32_t pc = P->start; pc < P->start + P->len; pc += insn_words(b->code[pc]))
    if (insn_reads_field(b->code[pc]) && INSN_ARG(b->code[pc]) == field) return 1;
  return 0;
}

static uint32_t node_depth(const Bundle *b, uint32_t node) {
  uint32_t d = 0;
  for (; node && node < b->nnodes && d <= LIMIT_SCOPE_DEPTH; node = b->nodes[node].parent) d++;
  return d;
}

aigw_status aigw_meta_exemption(const aigw_bundle *bh, size_t i, aigw_exemption_info *out) {
  if (!bh || !out || i >= bh->b.nexemptions) return AIGW_ERR_ARG;
  const Bundle *b = &bh->b;
  const BExemption *E = &b->exemptions[i];
  out->id = S(b, E->id);
  out->owner = S(b, E->owner);
  out->reason = S(b, E->reason);
  out->ticket = S(b, E->ticket);
  out->category = E->category == CAT_MITIGATED ? "mitigated" : "waiver";
  out->scope = S(b, E->scope_text);
  out->expires_text = S(b, E->expires_text);
  out->created = E->created;
  out->starts = E->starts;
  out->expires = E->expires;
  out->scope_depth = node_depth(b, E->node);
  out->has_when = E->when != NONE32;
  out->when_never = (E->flags & EX_WHEN_NEVER) != 0;
  out->renews = E->renews == NONE32 ? SIZE_MAX : E->renews;
  out->nwaives = E->waives_count;
  out->ncontrols = E->controls_count;
  out->loc = loc(b, E->file, E->line, E->col);
  return AIGW_OK;
}

size_t aigw_meta_exemption_waives(const aigw_bundle *bh, size_t i, size_t k) {
  if (!bh || i >= bh->b.nexemptions || k >= bh->b.exemptions[i].waives_count) return SIZE_MAX;
  return bh->b.u32s[bh->b.exemptions[i].waives_first + k];
}

const char *aigw_meta_exemption_control(const aigw_bundle *bh, size_t i, size_t k) {
  if (!bh || i >= bh->b.nexemptions || k >= bh->b.exemptions[i].controls_count) return NULL;
  return S(&bh->b, bh->b.u32s[bh->b.exemptions[i].controls_first + k]);
}

aigw_status aigw_meta_route(const aigw_bundle *bh, size_t i, aigw_route_info *out) {
  if (!bh || !out || i >= bh->b.nroutes) return AIGW_ERR_ARG;
  const BRoute *R = &bh->b.routes[i];
  out->name = S(&bh->b, R->name);
  out->nrules = R->nrules;
  out->loc = loc(&bh->b, R->file, R->line, R->col);
  return AIGW_OK;
}

static const BRule *rule_at(const aigw_bundle *bh, size_t route, size_t k) {
  if (!bh || route >= bh->b.nroutes || k >= bh->b.routes[route].nrules) return NULL;
  return &bh->b.rules[bh->b.routes[route].first_rule + k];
}

aigw_status aigw_meta_rule(const aigw_bundle *bh, size_t route, size_t k, aigw_rule_meta *out) {
  const BRule *U = rule_at(bh, route, k);
  if (!U || !out) return AIGW_ERR_ARG;
  static const char *const kinds[] = {"when", "split", "default"};
  out->kind = kinds[U->kind <= RULE_DEFAULT ? U->kind : 0];
  out->flags = U->flags;
  out->ntargets = U->ntargets;
  out->loc = loc(&bh->b, bh->b.routes[route].file, U->line, U->col);
  out->cache_ttl = U->cache_ttl;
  return AIGW_OK;
}

const char *aigw_meta_rule_target(const aigw_bundle *bh, size_t route, size_t k, size_t t) {
  const BRule *U = rule_at(bh, route, k);
  if (!U || t >= U->ntargets) return NULL;
  return S(&bh->b, bh->b.targets[U->first_target + t].text);
}

aigw_status aigw_meta_budget(const aigw_bundle *bh, size_t i, aigw_budget_info *out) {
  if (!bh || !out || i >= bh->b.nbudgets) return AIGW_ERR_ARG;
  const Bundle *b = &bh->b;
  const BBudget *B = &b->budgets[i];
  out->name = S(b, B->name);
  out->unit = S(b, B->unit);
  out->period = S(b, B->period);
  out->limit = B->limit;
  out->warn_bp = B->warn_bp;
  out->has_when = B->when != NONE32;
  out->has_charge = B->charge != NONE32;
  out->loc = loc(b, B->file, B->line, B->col);
  out->when_never = (B->flags & BUDGET_WHEN_NEVER) != 0;
  out->limit_per_key = B->limit_prog != NONE32;
  out->window = B->window;
  out->sliding = (B->flags & BUDGET_SLIDING) != 0;
  out->rate_limit = (B->flags & BUDGET_RATE) != 0;
  return AIGW_OK;
}

int aigw_scope_canon(const char *s, size_t n, char *out, size_t outlen) {
  size_t len;
  uint32_t depth;
  if (!s || !out || outlen < n + 2 || rt_scope_canon(s, n, out, &len, &depth) != SCOPE_OK) return -1;
  return (int)depth;
}
