/* aigwc explain: why a decision came out as it did. For each guardrail: whether it
 * applies, fired, failed (and why), or was waived, and for every exemption that names
 * it, why it did or did not waive (out of scope, not started, expired, `when` false).
 * Then which route rule matched, and which targets were dropped and by which guardrail.
 * It runs after a normal aigw_eval and asks libaigw the decision's own tests one at a
 * time, through aigw.h only: it explains exactly the decision a gateway would make. */
#include <stdlib.h>
#include <string.h>
#include "aigw.h"
#include "bundle_io.h"
#include "cli.h"

const char cmd_explain_summary[] = "explain a decision guardrail by guardrail";
const char cmd_explain_usage[] =
  "usage: aigwc explain (-b BUNDLE.aigwb | PATH...) [-i INPUT.json] [--now TIME]\n\n"
  "Evaluates each input and explains it: each guardrail with its source line, whether\n"
  "it applies, fired, failed (and why) or was waived; every candidate exemption and why\n"
  "it did or did not apply (out of scope, not started, expired, `when` false); the\n"
  "route rule that matched and each target dropped, with the guardrail that refused it.\n"
  "The input is one JSON object, or JSON Lines: one explanation per line.\n\n"
  "exit codes: 0 every decision is allow, 1 some decision is deny, 2 usage or input error\n";

typedef struct Ex {
  aigw_bundle *b;
  aigw_ctx *c;
  const char *name;
  int64_t now;
  int any_deny, records;
  size_t **by_guardrail;      /* exemption indices per guardrail */
  size_t *nby;
} Ex;

static const char *why_not[] = {
  "waives", "out of scope", "the request's scope is missing or not a resource ID", "not started yet",
  "expired", "`when` is false", "`when` could not be evaluated", "could not be checked",
};

static int in_list(aigw_ctx *c, aigw_list which, const char *g, const char **ex) {
  for (size_t i = 0; i < aigw_count(c, which); i++) {
    aigw_finding f;
    if (aigw_get(c, which, i, &f) == AIGW_OK && !strcmp(f.guardrail, g)) {
      if (ex) *ex = f.exemption;
      return 1;
    }
  }
  return 0;
}

static void guardrails(Ex *e) {
  aigw_ctx *c = e->c;
  for (size_t g = 0; g < aigw_meta_count(e->b, AIGW_META_GUARDRAILS); g++) {
    aigw_guardrail_info gi;
    aigw_meta_guardrail(e->b, g, &gi);
    printf("\nguardrail %s (%s:%u)\n", gi.name, gi.loc.file, gi.loc.line);
    if (!aigw_guardrail_active(c, g)) {
      printf("  does not apply: %s\n", gi.nscopes ? "the request is outside its scopes"
                                                  : "its leading condition cannot hold for this input");
      continue;
    }
    int fired = 0;
    if (aigw_guardrail_check(c, g, &fired) == AIGW_OK) printf("  condition: %s\n", fired ? "true" : "false");
    else printf("  condition: could not be evaluated: %s\n", aigw_ctx_error(c));
    const char *by = NULL;
    if (in_list(c, AIGW_VIOLATIONS, gi.name, NULL)) printf("  result: violation (deny)\n");
    else if (in_list(c, AIGW_WAIVED, gi.name, &by)) printf("  result: waived by %s\n", by);
    else if (in_list(c, AIGW_WARNINGS, gi.name, NULL)) printf("  result: %s%s\n", gi.effect, gi.dry_run ? " (dry-run)" : "");
    else if (in_list(c, AIGW_ERRORS, gi.name, NULL))
      printf("  result: evaluation error (%s)\n", gi.on_error_allow ? "on-error allow" : gi.dry_run ? "dry-run" : "fails closed: deny");
    else printf("  result: passed\n");
    for (size_t k = 0; k < e->nby[g]; k++) {
      size_t x = e->by_guardrail[g][k];
      aigw_exemption_info xi;
      aigw_meta_exemption(e->b, x, &xi);
      printf("  exemption %s (%s:%u, owner %s, expires %s): ", xi.id, xi.loc.file, xi.loc.line, xi.owner, xi.expires_text);
      aigw_exemption_state st = aigw_exemption_check(c, x);
      if (st == AIGW_EX_APPLIES) printf("%s\n", by && !strcmp(by, xi.id) ? "waives" : fired ? "applies" : "would apply");
      else if (st == AIGW_EX_OUT_OF_SCOPE) printf("out of scope (%s)\n", xi.scope);
      else printf("%s\n", why_not[st]);
    }
  }
}

static void routes(Ex *e) {
  aigw_ctx *c = e->c;
  size_t nroutes = aigw_meta_count(e->b, AIGW_META_ROUTES);
  if (!nroutes) return;
  aigw_rule_info got;
  int routed = aigw_route_rule(c, &got) == AIGW_OK;
  printf("\nroute: ");
  if (routed) {
    printf("%s rule %zu (%s:%u) ->", got.route, got.index + 1, got.file, got.line);
    for (size_t i = 0; i < aigw_route_count(c); i++) {
      aigw_target t;
      aigw_route_target(c, i, &t);
      printf("%s %s:%s%s%s", i ? "," : "", t.provider, t.model, t.region ? "@" : "", t.region ? t.region : "");
    }
    printf("\n");
  } else printf("none\n");
  /* every rule tried before the one that routed (or all of them), and why it gave nothing */
  for (size_t r = 0; r < nroutes; r++) {
    aigw_route_info ri;
    aigw_meta_route(e->b, r, &ri);
    for (size_t k = 0; k < ri.nrules; k++) {
      if (routed && !strcmp(ri.name, got.route) && k == got.index) return;
      aigw_rule_meta rm;
      aigw_meta_rule(e->b, r, k, &rm);
      int m = 0;
      printf("  %s rule %zu (%s:%u): ", ri.name, k + 1, rm.loc.file, rm.loc.line);
      if (aigw_rule_check(c, r, k, &m) != AIGW_OK) { printf("could not be evaluated: %s\n", aigw_ctx_error(c)); return; }
      if (!m) { printf("does not match\n"); continue; }
      printf("matches, every target dropped\n");
      for (size_t t = 0; t < rm.ntargets; t++) {
        const char *by = NULL;
        if (aigw_target_check(c, r, k, t, &by) != AIGW_OK) printf("    %s: %s\n", aigw_meta_rule_target(e->b, r, k, t), aigw_ctx_error(c));
        else printf("    %s: %s%s\n", aigw_meta_rule_target(e->b, r, k, t), by ? "refused by " : "permitted", by ? by : "");
      }
    }
  }
}

static int explain_record(void *ud, const char *text, size_t len, unsigned line) {
  Ex *e = ud;
  if (e->records++) printf("\n");
  printf("== %s:%u\n", e->name, line);
  if (cli_set_input(e->c, e->name, text, len, line, "explain")) {
    printf("input error: %s\n", len ? aigw_ctx_error(e->c) : "empty line");
    return EXIT_USAGE;
  }
  if (aigw_eval(e->c, e->now) != AIGW_OK) {
    fprintf(stderr, "aigwc explain: %s:%u: %s\n", e->name, line, aigw_ctx_error(e->c));
    printf("evaluation failed: %s\n", aigw_ctx_error(e->c));
    return EXIT_USAGE;
  }
  int deny = aigw_result(e->c) == AIGW_DENY;
  printf("decision: %s\n", deny ? "deny" : "allow");
  for (size_t i = 0; i < aigw_count(e->c, AIGW_VIOLATIONS) + aigw_count(e->c, AIGW_ERRORS); i++) {
    aigw_list l = i < aigw_count(e->c, AIGW_VIOLATIONS) ? AIGW_VIOLATIONS : AIGW_ERRORS;
    size_t k = l == AIGW_VIOLATIONS ? i : i - aigw_count(e->c, AIGW_VIOLATIONS);
    aigw_finding f;
    aigw_get(e->c, l, k, &f);
    if (!strncmp(f.guardrail, "budget:", 7) || !strncmp(f.guardrail, "route:", 6) || !strcmp(f.guardrail, "no-permitted-route"))
      printf("  %s: %s (%s)\n", f.guardrail, aigw_message(e->c, l, k), f.source);
  }
  e->any_deny |= deny;
  guardrails(e);
  routes(e);
  return EXIT_OK;
}

int cmd_explain(int argc, char **argv) {
  Ex e = {0};
  FILE *in;
  int rc = cli_eval_setup("explain", argc, argv, &e.b, &in, &e.now, &e.name, NULL);
  if (rc) return rc;
  if (aigw_ctx_new(e.b, &e.c) != AIGW_OK) { fprintf(stderr, "aigwc explain: out of memory\n"); exit(EXIT_USAGE); }
  /* the exemptions naming each guardrail, in declaration order */
  size_t ng = aigw_meta_count(e.b, AIGW_META_GUARDRAILS), nx = aigw_meta_count(e.b, AIGW_META_EXEMPTIONS);
  e.by_guardrail = xcalloc(ng ? ng : 1, sizeof *e.by_guardrail);
  e.nby = xcalloc(ng ? ng : 1, sizeof *e.nby);
  for (size_t x = 0; x < nx; x++)
    for (size_t k = 0, g; (g = aigw_meta_exemption_waives(e.b, x, k)) != SIZE_MAX; k++) {
      e.by_guardrail[g] = xrealloc(e.by_guardrail[g], (e.nby[g] + 1) * sizeof **e.by_guardrail);
      e.by_guardrail[g][e.nby[g]++] = x;
    }
  rc = cli_each_input(in, e.name, explain_record, &e);
  if (in != stdin) fclose(in);
  for (size_t g = 0; g < ng; g++) xfree(e.by_guardrail[g]);
  xfree(e.by_guardrail); xfree(e.nby);
  aigw_ctx_free(e.c);
  aigw_bundle_close(e.b);
  return rc ? EXIT_USAGE : e.any_deny ? EXIT_FINDINGS : EXIT_OK;
}
