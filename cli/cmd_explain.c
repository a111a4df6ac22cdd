/* aigwc explain: why a decision came out as it did. For each guardrail: whether it
 * applies, fired, failed, or was waived, and for every exemption that names it, why it
 * did or did not waive (out of scope, expired, `when` false). Then which route rule
 * matched and which targets were refused. Runs after a normal aigw_eval, so it explains
 * exactly the decision the gateway would make. */
#include <string.h>
#include "timefmt.h"
#include "aigw.h"
#include "bundle_io.h"
#include "cli.h"
#include "vm.h"

const char cmd_explain_summary[] = "explain a decision guardrail by guardrail";
const char cmd_explain_usage[] =
  "usage: aigwc explain (-b BUNDLE.aigwb | PATH...) [-i INPUT.json] [--now TIME]\n\n"
  "Evaluates one input and explains it: each guardrail with its source line, whether\n"
  "it applies, fired, failed or was waived; every candidate exemption and why it did\n"
  "or did not apply (out of scope, expired, `when` false); the route rule that matched.\n\n"
  "exit codes: 0 allow, 1 deny, 2 usage or input error\n";

static const char *S(const Bundle *b, uint32_t id) { return id == NOSTR ? "" : bundle_str(b, id); }

static const char *run_text(aigw_ctx *c, uint32_t prog, int *truth) {
  Value v;
  int rc = vm_run(c, prog, &v);
  *truth = rc == VM_OK && v.u.i;
  return rc == VM_OK ? (v.u.i ? "true" : "false") : "could not be evaluated";
}

static int in_list(aigw_ctx *c, int which, uint32_t g, uint32_t *ex) {
  for (uint32_t i = 0; i < c->nlist[which]; i++)
    if (!(c->lists[which][i].flags & FIND_BUDGET) && c->lists[which][i].index == g) {
      if (ex) *ex = c->lists[which][i].exemption;
      return 1;
    }
  return 0;
}

int cmd_explain(int argc, char **argv) {
  aigw_bundle *bh;
  char *text; size_t len;
  int64_t now;
  const char *ipath;
  int rc = cli_eval_setup("explain", argc, argv, &bh, &text, &len, &now, &ipath);
  if (rc) return rc;
  aigw_ctx *c;
  if (aigw_ctx_new(bh, &c) != AIGW_OK || aigw_input_json(c, text, len) != AIGW_OK || aigw_eval(c, now) != AIGW_OK) {
    fprintf(stderr, "aigwc explain: %s\n", c ? aigw_ctx_error(c) : "out of memory");
    xfree(text);
    if (c) aigw_ctx_free(c);
    aigw_bundle_close(bh);
    return EXIT_USAGE;
  }
  const Bundle *b = c->b;
  char when[40];
  rt_fmt_time(when, now);
  printf("decision: %s at %s\n", aigw_result(c) == AIGW_DENY ? "deny" : "allow", when);
  for (uint32_t g = 0; g < b->nguardrails; g++) {
    const BGuardrail *gr = &b->guardrails[g];
    const BProgram *p = &b->programs[gr->cond];
    printf("\nguardrail %s (%s:%u)\n", S(b, gr->name), S(b, p->file), p->line);
    if (!(c->grmark[g / 64] >> (g % 64) & 1)) {
      printf("  does not apply: %s\n", gr->flags & GR_SCOPED ? "the request is outside its scopes"
                                                           : "its leading condition cannot hold for this input");
      continue;
    }
    int fired;
    printf("  condition: %s\n", run_text(c, gr->cond, &fired));
    uint32_t ex = NONE32;
    if (in_list(c, 0, g, NULL)) printf("  result: violation (deny)\n");
    else if (in_list(c, 1, g, &ex)) printf("  result: waived by %s\n", S(b, b->exemptions[ex].id));
    else if (in_list(c, 2, g, NULL)) printf("  result: warning%s\n", gr->flags & GR_DRY_RUN ? " (dry-run)" : "");
    else if (in_list(c, 3, g, NULL)) printf("  result: evaluation error (%s)\n", gr->flags & GR_ON_ERROR_ALLOW ? "on-error allow" : "fails closed: deny");
    else printf("  result: passed\n");
    for (uint32_t i = 0; i < b->nexindex; i++) {
      const BExRef *r = &b->exindex[i];
      if (r->guardrail != g) continue;
      const BExemption *x = &b->exemptions[r->exemption];
      printf("  exemption %s (%s:%u, owner %s, expires %s): ", S(b, x->id), S(b, x->file), x->line, S(b, x->owner), S(b, x->expires_text));
      int t;
      if (!vm_matched(c, x->node)) printf("out of scope (%s)\n", S(b, x->scope_text));
      else if (now >= x->expires) printf("expired\n");
      else if (x->when != NONE32 && (run_text(c, x->when, &t), !t)) printf("`when` is %s\n", run_text(c, x->when, &t));
      else printf("%s\n", ex == r->exemption ? "waives" : fired ? "applies" : "would apply");
    }
  }
  printf("\nroute: ");
  const char *route = aigw_route(c);
  if (!route) printf("%s\n", aigw_result(c) == AIGW_DENY ? "none (the request is denied)" : "none matched");
  else {
    printf("%s ->", route);
    for (size_t i = 0; i < aigw_route_count(c); i++) {
      aigw_target t;
      aigw_route_target(c, i, &t);
      printf("%s %s:%s%s%s", i ? "," : "", t.provider, t.model, t.region ? "@" : "", t.region ? t.region : "");
    }
    printf("\n");
  }
  int deny = aigw_result(c) == AIGW_DENY;
  xfree(text);
  aigw_ctx_free(c);
  aigw_bundle_close(bh);
  return deny ? EXIT_FINDINGS : EXIT_OK;
}
