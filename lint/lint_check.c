/* Checking: every fact document of the policy bundle is an input of the lint bundle,
 * decided at `now` by the VM like any request. Each violation or warning is a finding
 * at the declaration's place; a waived one was suppressed by an exemption of the lint
 * bundle; an error is a rule that cannot be evaluated on that fact. */
#include <string.h>
#include "lint.h"

typedef struct Check {
  LintReport *r;
  const aigw_bundle *rules;
  aigw_ctx *c;
  uint32_t *ridx;          /* report index of each lint guardrail */
  size_t nrules;
  uint8_t *errored;        /* per lint guardrail: a lint-rule-error was reported */
} Check;

/* The rendered message, split: the first line is the finding, the second the fix. */
static void split_message(const char *m, Buf *msg, Buf *help) {
  const char *nl = strchr(m, '\n');
  buf_put(msg, m, nl ? (size_t)(nl - m) : strlen(m));
  buf_putc(msg, 0);
  if (nl) {
    const char *end = strchr(nl + 1, '\n');
    buf_put(help, nl + 1, end ? (size_t)(end - nl - 1) : strlen(nl + 1));
  }
  buf_putc(help, 0);
}

static size_t rule_of(const Check *k, const char *name) {
  for (size_t g = 0; g < k->nrules; g++)
    if (!strcmp(k->r->rules[k->ridx[g]].id, name)) return g;
  return SIZE_MAX;
}

static char *dup(const char *s) { return s ? xstrndup(s, strlen(s)) : NULL; }

/* Fills a finding's suppression from lint exemption x, found by id or index. */
static void suppression(Check *k, LintFinding *f, size_t x) {
  aigw_exemption_info e;
  if (aigw_meta_exemption(k->rules, x, &e) != AIGW_OK) return;
  f->supp = dup(e.id); f->supp_owner = dup(e.owner); f->supp_expires = dup(e.expires_text);
  f->supp_reason = dup(e.reason);
  f->supp_days_left = e.expires == INT64_MAX ? INT64_MAX : aigw_days_left(e.expires, k->r->now);
}

static size_t exemption_by_id(const aigw_bundle *b, const char *id) {
  size_t n = aigw_meta_count(b, AIGW_META_EXEMPTIONS);
  for (size_t x = 0; x < n; x++) {
    aigw_exemption_info e;
    if (aigw_meta_exemption(b, x, &e) == AIGW_OK && id && !strcmp(e.id, id)) return x;
  }
  return SIZE_MAX;
}

/* An active finding of rule g: was a suppression for it here, now expired? */
static void expired_suppression(Check *k, LintFinding *f, size_t g) {
  size_t n = aigw_meta_count(k->rules, AIGW_META_EXEMPTIONS);
  for (size_t x = 0; x < n; x++)
    for (size_t w = 0; ; w++) {
      size_t h = aigw_meta_exemption_waives(k->rules, x, w);
      if (h == SIZE_MAX) break;
      if (h != g || aigw_exemption_check(k->c, x) != AIGW_EX_EXPIRED) continue;
      suppression(k, f, x);
      f->supp_expired = 1;
      return;
    }
}

/* At the declaration, underlining the keyword that starts it. */
static void place(LintFinding *f, const aigw_loc *loc, const char *kind, const char *id, const char *keyword) {
  f->file = dup(loc->file);
  f->line = loc->line; f->col = loc->col;
  f->len = keyword ? (uint32_t)strlen(keyword) : 1;
  f->kind = dup(kind); f->id = dup(id);
}

static void collect(Check *k, LintFacts *facts, size_t doc) {
  aigw_loc loc;
  const char *kind, *keyword;
  Buf id = {0}, msg = {0}, help = {0};
  lint_fact_where(facts, doc, &loc, &kind, &keyword, &id);
  static const aigw_list lists[] = {AIGW_VIOLATIONS, AIGW_WARNINGS, AIGW_WAIVED, AIGW_ERRORS};
  for (int l = 0; l < 4; l++) {
    size_t n = aigw_count(k->c, lists[l]);
    for (size_t i = 0; i < n; i++) {
      aigw_finding fi;
      if (aigw_get(k->c, lists[l], i, &fi) != AIGW_OK) continue;
      size_t g = rule_of(k, fi.guardrail);
      if (g == SIZE_MAX) continue;
      const LintRule *R = &k->r->rules[k->ridx[g]];
      msg.n = help.n = 0;
      if (lists[l] == AIGW_ERRORS) {
        if (k->errored[g]) continue;       /* one report per broken rule is enough */
        k->errored[g] = 1;
        buf_printf(&msg, "lint rule %s cannot be evaluated on %s %s: %s%c", R->id, kind ? kind : "declaration",
                   id.p ? id.p : "?", aigw_message(k->c, lists[l], i), 0);
        buf_printf(&help, "test fact.kind first, and guard optional fields with has()%c", 0);
        uint32_t er = lint_rule(k->r, LINT_RULE_ERROR, LINT_ERROR, "a lint rule cannot be evaluated on a fact",
                                "guard optional fields with has() (docs/lint.md, \"Facts\")");
        LintFinding *f = lint_add(k->r, er, LINT_ERROR, msg.p, help.p);
        f->file = dup(R->file); f->line = R->line; f->col = 1; f->len = 9;   /* "guardrail" */
        f->kind = dup("rule"); f->id = dup(R->id);
        continue;
      }
      split_message(aigw_message(k->c, lists[l], i), &msg, &help);
      LintLevel lv = fi.dry_run ? LINT_NOTE : R->level;
      LintFinding *f = lint_add(k->r, k->ridx[g], lv, msg.p, help.n > 1 ? help.p : NULL);
      place(f, &loc, kind, id.p, keyword);
      if (lists[l] == AIGW_WAIVED) suppression(k, f, exemption_by_id(k->rules, fi.exemption));
      else expired_suppression(k, f, g);
    }
  }
  buf_free(&id); buf_free(&msg); buf_free(&help);
}

int lint_check(LintReport *r, const aigw_bundle *policy, const aigw_bundle *rules, FILE *facts_out) {
  Check k = {r, rules, NULL, NULL, aigw_meta_count(rules, AIGW_META_GUARDRAILS), NULL};
  if (aigw_ctx_new(rules, &k.c) != AIGW_OK) { fputs("aigwc lint: out of memory\n", stderr); return -1; }
  lint_rules_table(r, rules);      /* does nothing when the caller already added them */
  k.ridx = xcalloc(k.nrules ? k.nrules : 1, sizeof *k.ridx);
  for (size_t g = 0; g < k.nrules; g++) {
    aigw_guardrail_info gi;
    if (aigw_meta_guardrail(rules, g, &gi) == AIGW_OK) k.ridx[g] = lint_rule(r, gi.name, LINT_ERROR, gi.name, NULL);
  }
  k.errored = xcalloc(k.nrules ? k.nrules : 1, 1);
  LintFacts *facts = lint_facts_new(policy, r->now);
  Buf json = {0};
  int rc = 0;
  size_t n = lint_facts_count(facts);
  for (size_t doc = 0; doc < n && !rc; doc++) {
    json.n = 0;
    aigw_status st = lint_fact_input(facts, doc, k.c, rules, facts_out ? &json : NULL);
    if (facts_out) { fwrite(json.p, 1, json.n, facts_out); fputc('\n', facts_out); }
    if (st != AIGW_OK || aigw_eval(k.c, r->now) != AIGW_OK) {
      json.n = 0;
      lint_fact_json(facts, doc, &json);
      fprintf(stderr, "aigwc lint: the lint rules cannot take this fact: %s\n  %.*s\n", aigw_ctx_error(k.c),
              (int)(json.n > 400 ? 400 : json.n), json.p);
      rc = -1;
      break;
    }
    r->facts++;
    collect(&k, facts, doc);
  }
  buf_free(&json);
  lint_facts_free(facts);
  xfree(k.errored);
  xfree(k.ridx);
  aigw_ctx_free(k.c);
  return rc;
}
