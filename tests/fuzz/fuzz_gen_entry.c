/* The gen target: the bytes choose a policy (fuzz_gen_policy.h) that is type-correct by
 * construction, or now and then deliberately ill-typed, and an input for it. The oracle:
 *   - compiled: no errors, and the bundle passes the verifier, opens, and evaluates an
 *     empty input and the generated one without fault (the input may be refused as
 *     ill-typed; the evaluation may stop at the step limit), the same decision twice;
 *     one policy in four is compiled twice, to the same bytes;
 *   - not compiled: at least one error, and every diagnostic has a place in the source
 *     and none is an internal error;
 *   - parsed: the formatter keeps its meaning (fmt_verify) and formats its own output
 *     to the same text (FUZZ_GEN_SKIP=fmt leaves this out).
 * A finding aborts after printing the policy, so the log holds the reproducer.
 *
 * FUZZ_GEN_STATS=1 prints, every power of two runs and at exit, how many policies
 * compiled (the generator's aim is most of them) and the commonest first errors.
 * FUZZ_GEN_PRINT=1 prints every policy and input; FUZZ_GEN_ERRORS=1 prints each rejected
 * type-correct policy with its diagnostics (what the generator still gets wrong).
 * FUZZ_GEN_SKIP: see fuzz_gen_policy.h; unset, it is GEN_KNOWN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "aigw.h"
#include "compile.h"
#include "fmt.h"
#include "fuzz.h"
#include "fuzz_gen_policy.h"
#include "parse.h"
#include "fuzz_walk.h"

/* Known findings, skipped unless FUZZ_GEN_SKIP says otherwise (FUZZ_GEN_SKIP= checks them
 * all); each goes from this list when it is fixed. Fixed so far: fmt-list-comma
 * (`x in ["a",]`), fmt-list-elem (`x in [(1)]`, `[--1]`), paren-call
 * (`(has(request.team))`), expect-colon (`expect error budget:b`). */
#define GEN_KNOWN ""

static struct {
  unsigned long runs, compiled, rejected, mischief, mischief_compiled, wild, unlocated_warnings;
  struct { char msg[48]; unsigned long n; } first[64];
  int nfirst;
} gen_stats;

static void gen_stats_print(void) {
  unsigned long r = gen_stats.runs, m = gen_stats.mischief;
  fprintf(stderr, "gen: %lu runs; type-correct %lu, compiled %lu (%.1f%%); mischievous %lu, "
          "compiled %lu; unlocated warnings %lu\n", r, r - m, gen_stats.compiled - gen_stats.mischief_compiled,
          r - m ? 100.0 * (double)(gen_stats.compiled - gen_stats.mischief_compiled) / (double)(r - m) : 0.0,
          m, gen_stats.mischief_compiled, gen_stats.unlocated_warnings);
  for (int i = 0; i < gen_stats.nfirst; i++)   /* commonest first */
    for (int j = i + 1; j < gen_stats.nfirst; j++)
      if (gen_stats.first[j].n > gen_stats.first[i].n) {
        __typeof__(gen_stats.first[0]) t = gen_stats.first[i];
        gen_stats.first[i] = gen_stats.first[j]; gen_stats.first[j] = t;
      }
  for (int i = 0; i < gen_stats.nfirst; i++)
    fprintf(stderr, "gen:   %6lu  %s\n", gen_stats.first[i].n, gen_stats.first[i].msg);
}

/* Counts a first error by its text up to the first quote (names vary, messages don't). */
static void gen_stats_error(const char *msg, int mischief) {
  char key[48];
  snprintf(key, sizeof key, "%s%.*s", mischief ? "[m] " : "", (int)strcspn(msg, "'\""), msg);
  for (int i = 0; i < gen_stats.nfirst; i++)
    if (!strcmp(gen_stats.first[i].msg, key)) { gen_stats.first[i].n++; return; }
  if (gen_stats.nfirst < 64) {
    snprintf(gen_stats.first[gen_stats.nfirst].msg, sizeof key, "%s", key);
    gen_stats.first[gen_stats.nfirst++].n = 1;
  }
}

static const char *const gen_file_names[2] = {"gen.aigw", "gen2.aigw"};

static void gen_print(const Gen *g) {
  for (int f = 0; f < g->nsrc; f++)
    fprintf(stderr, "--- policy %s\n%.*s", gen_file_names[f], (int)g->src[f].n, g->src[f].p);
  fprintf(stderr, "--- input\n%.*s\n", (int)g->json.n, g->json.p);
}

/* Loads the generated files into d. */
static void gen_load(const Gen *g, DiagSink *d) {
  for (int f = 0; f < g->nsrc; f++)
    diag_add_source(d, gen_file_names[f], xstrndup(g->src[f].p, g->src[f].n), (uint32_t)g->src[f].n);
}

static void gen_fail(const Gen *g, DiagSink *d, const char *what, const char *detail) {
  fprintf(stderr, "fuzz gen: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  gen_print(g);
  if (d) {
    fprintf(stderr, "--- diagnostics\n");
    diag_print(d, stderr);
  }
  abort();
}

/* The decision as JSON (NULL when the input is refused or the step limit is reached). */
static char *gen_eval(const Gen *g, aigw_ctx *c, const char *json, size_t len) {
  aigw_status s = aigw_input_json(c, json, len);
  if (s == AIGW_ERR_INPUT || s == AIGW_ERR_LIMIT) return NULL;   /* an ill-typed input is refused */
  if (s != AIGW_OK) gen_fail(g, NULL, "the input is refused", aigw_ctx_error(c));
  s = aigw_eval(c, FUZZ_NOW);
  if (s == AIGW_ERR_LIMIT) return NULL;
  if (s != AIGW_OK) gen_fail(g, NULL, "evaluation fails", aigw_ctx_error(c));
  fuzz_walk_decision(c);
  size_t n = 0;
  const char *js = aigw_decision_json(c, &n);
  return xstrndup(js, n);
}

static void gen_run_bundle(const Gen *g, const Buf *out) {
  aigw_config cfg;
  aigw_config_init(&cfg);
  cfg.step_limit = 100000;
  aigw_bundle *b = NULL;
  char err[256] = "";
  if (aigw_bundle_open_mem(out->p, out->n, &cfg, &b, err, sizeof err) != AIGW_OK)
    gen_fail(g, NULL, "the compiled bundle fails verification", err);
  aigw_ctx *c = NULL;
  if (aigw_ctx_new(b, &c) != AIGW_OK) gen_fail(g, NULL, "no context", NULL);
  xfree(gen_eval(g, c, "{}", 2));
  char *first = gen_eval(g, c, g->json.p, g->json.n);
  char *again = gen_eval(g, c, g->json.p, g->json.n);
  if ((first == NULL) != (again == NULL) || (first && strcmp(first, again)))
    gen_fail(g, NULL, "the same input decided twice differs", first ? first : "(no decision)");
  xfree(first);
  xfree(again);
  aigw_ctx_free(c);
  aigw_bundle_close(b);
}

/* Formats text; returns 0 with the result in out, 1 when it does not parse, -1 when the
 * formatter fails (its safety net, fmt_verify, reported it into d). */
static int gen_fmt(DiagSink *d, const char *text, size_t n, Buf *out) {
  Arena a;
  arena_init(&a);
  int file = diag_add_source(d, "gen.aigw", xstrndup(text, n), (uint32_t)n);
  AstFile *f = parse_file(d, file, &a, 1);
  int rc = d->errors ? 1 : fmt_file(d, f, out) != 0 || fmt_verify(d, f, out->p ? out->p : "", out->n) != 0 ? -1 : 0;
  arena_free(&a);
  return rc;
}

static int gen_has1(const Buf *b, const char *s) {
  size_t k = strlen(s);
  for (size_t i = 0; i + k <= b->n; i++) if (!memcmp(b->p + i, s, k)) return 1;
  return 0;
}

/* Does some element of a list literal start with '(' or "--", as in `x in [(1), --1]`? */
static int gen_list_odd(const Buf *b) {
  int depth = 0, instr = 0;
  char prev = 0;
  for (size_t i = 0; i < b->n; i++) {
    char ch = b->p[i];
    if (instr) { if (ch == '\\') i++; else if (ch == '"') instr = 0; continue; }
    if (ch == '"') instr = 1;
    else if (ch == '[') depth++;
    else if (ch == ']') depth -= depth > 0;
    else if ((ch == '(' || (ch == '-' && i + 1 < b->n && b->p[i + 1] == '-')) && depth && (prev == '[' || prev == ','))
      return 1;
    if (ch != ' ' && ch != '\n') prev = ch;
  }
  return 0;
}

static void gen_check_fmt(const Gen *g, int f) {
  const Buf *src = &g->src[f];
  /* known: a list literal with a trailing comma, or with an element in parentheses or
   * negated twice, in an expression fails fmt_verify */
  if (gen_skipped(g, "fmt-list-comma") && gen_has1(src, ",]")) return;
  if (gen_skipped(g, "fmt-list-elem") && gen_list_odd(src)) return;
  DiagSink d, d2;
  diag_init(&d);
  diag_init(&d2);
  Buf once = {0}, twice = {0};
  int rc = gen_fmt(&d, src->p ? src->p : "", src->n, &once);
  if (rc < 0) gen_fail(g, &d, "the formatter changes the policy in", gen_file_names[f]);
  if (rc == 0) {
    if (gen_fmt(&d2, once.p ? once.p : "", once.n, &twice) != 0)
      gen_fail(g, &d2, "the formatter's output does not format", once.p);
    if (once.n != twice.n || (once.n && memcmp(once.p, twice.p, once.n)))
      gen_fail(g, NULL, "formatting the formatted text changes it", once.p);
  }
  buf_free(&once);
  buf_free(&twice);
  diag_free(&d);
  diag_free(&d2);
}

int fuzz_gen_one(const uint8_t *data, size_t size) {
  static int init, stats, print, errors;
  static const char *skip;
  if (!init) {
    init = 1;
    stats = getenv("FUZZ_GEN_STATS") != NULL;
    print = getenv("FUZZ_GEN_PRINT") != NULL;
    errors = getenv("FUZZ_GEN_ERRORS") != NULL;
    skip = getenv("FUZZ_GEN_SKIP");
    if (!skip) skip = GEN_KNOWN;
    if (stats) atexit(gen_stats_print);
  }
  Gen g;
  gen_init(&g, data, size, skip);
  gen_policy(&g);
  gen_input(&g);
  if (print) gen_print(&g);

  DiagSink d;
  diag_init(&d);
  gen_load(&g, &d);
  CompileOpts o = {FUZZ_NOW, 0};
  Buf out = {0};
  int rc = compile_bundle(&d, &o, &out);
  for (int f = 0; f < g.nsrc && !gen_skipped(&g, "fmt"); f++) gen_check_fmt(&g, f);
  if (rc == 0 && (d.errors || !out.n)) gen_fail(&g, &d, "compiled with errors, or to nothing", NULL);
  if (rc != 0 && !d.errors) gen_fail(&g, &d, "not compiled, and no error says why", NULL);
  const Diag *first = NULL;
  for (int i = 0; i < d.n; i++) {
    const Diag *x = &d.items[i];
    if (x->level == DIAG_ERR && !first) first = x;
    if (x->file < 0) {
      if (rc != 0 || x->level == DIAG_ERR) gen_fail(&g, &d, "a diagnostic without a place", x->msg);
      gen_stats.unlocated_warnings++;
    } else if (x->file >= g.nsrc || x->off > g.src[x->file].n || x->len > g.src[x->file].n - x->off) {
      gen_fail(&g, &d, "a diagnostic's span is outside the source", x->msg);
    }
    if (strstr(x->msg, "internal error")) gen_fail(&g, &d, "an internal error", x->msg);
  }
  if (rc == 0) {
    gen_run_bundle(&g, &out);
    if (size && data[size - 1] % 4 == 0) {   /* compiling is deterministic */
      DiagSink d2;
      diag_init(&d2);
      gen_load(&g, &d2);
      Buf out2 = {0};
      if (compile_bundle(&d2, &o, &out2) != 0 || out2.n != out.n || memcmp(out2.p, out.p, out.n))
        gen_fail(&g, &d2, "the same policy compiled twice differs", NULL);
      buf_free(&out2);
      diag_free(&d2);
    }
  }
  else if (errors && !g.mischief && !g.broken) {
    fprintf(stderr, "--- rejected\n");
    gen_print(&g);
    diag_print(&d, stderr);
  }

  gen_stats.runs++;
  int bad = g.mischief || g.broken;
  gen_stats.mischief += bad;
  gen_stats.wild += (unsigned long)g.wild;
  if (rc == 0) { gen_stats.compiled++; gen_stats.mischief_compiled += bad; }
  else { gen_stats.rejected++; if (first) gen_stats_error(first->msg, bad); }
  if (stats && !(gen_stats.runs & (gen_stats.runs - 1)) && gen_stats.runs >= 1024) gen_stats_print();

  buf_free(&out);
  diag_free(&d);
  gen_free(&g);
  return 0;
}
