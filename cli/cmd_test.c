/* aigwc test: run the `test` declarations in policy sources against the compiled
 * bundle, through libaigw, and compare each decision with its expectations. */
#include <string.h>
#include "aigw.h"
#include "bundle_io.h"
#include "cli.h"
#include "parse.h"

const char cmd_test_summary[] = "run the policies' test declarations";
const char cmd_test_usage[] =
  "usage: aigwc test [-v] PATH...\n\n"
  "Compiles PATHs and runs every `test \"name\" { … }` declaration: its input at its\n"
  "`now`, checked against its `expect` lines. Prints a line per failure and a summary.\n"
  "  -v   also print a line per passing test\n\n"
  "exit codes: 0 all tests pass, 1 a test fails or a policy has errors, 2 usage error\n";

static void to_json(Buf *j, DiagSink *d, const Node *v) {
  const char *text = d->files[v->file]->text;
  switch (v->kind) {
  case N_STR: {
    char *tmp = xmalloc(v->name_len + 1);
    size_t n = lex_unescape(text + v->name_off + 1, v->name_len - 2, tmp);
    buf_json_str(j, tmp, n);
    xfree(tmp);
    break;
  }
  case N_INT: case N_DATE: case N_TIME: case N_DUR: buf_printf(j, "%lld", (long long)v->ival); break;
  case N_BOOL: buf_puts(j, v->ival ? "true" : "false"); break;
  case N_NAME: buf_json_str(j, text + v->name_off, v->name_len); break;
  case N_LIST:
    buf_putc(j, '[');
    for (const Node *x = v->a; x; x = x->next) { to_json(j, d, x); if (x->next) buf_putc(j, ','); }
    buf_putc(j, ']');
    break;
  case N_RECORD:
    buf_putc(j, '{');
    for (const Node *p = v->a; p; p = p->next) {
      if (p->flags) {   /* "quoted": key */
        char *tmp = xmalloc(p->name_len + 1);
        size_t n = lex_unescape(text + p->name_off + 1, p->name_len - 2, tmp);
        buf_json_str(j, tmp, n);
        xfree(tmp);
      } else buf_json_str(j, text + p->name_off, p->name_len);
      buf_putc(j, ':');
      to_json(j, d, p->a);
      if (p->next) buf_putc(j, ',');
    }
    buf_putc(j, '}');
    break;
  default: buf_puts(j, "null");
  }
}

static int has_finding(aigw_ctx *c, aigw_list which, const char *g, size_t gl, const char *x, size_t xl) {
  for (size_t i = 0; i < aigw_count(c, which); i++) {
    aigw_finding f;
    if (aigw_get(c, which, i, &f) != AIGW_OK) continue;
    if (strlen(f.guardrail) == gl && !memcmp(f.guardrail, g, gl) &&
        (!x || (f.exemption && strlen(f.exemption) == xl && !memcmp(f.exemption, x, xl))))
      return 1;
  }
  return 0;
}

/* Checks one `expect` line; on failure appends why to msg. */
static int check(aigw_ctx *c, DiagSink *d, const Node *p, Buf *msg) {
  const char *text = d->files[p->file]->text;
  const Node *what = p->a;
  const char *w = text + what->name_off;
  uint32_t wl = what->name_len;
#define IS(s) (wl == strlen(s) && !memcmp(w, s, wl))
  if (IS("deny") || IS("allow")) {
    int want = IS("deny") ? AIGW_DENY : AIGW_ALLOW;
    if ((int)aigw_result(c) == want) return 1;
    buf_printf(msg, "expected %.*s, got %s", (int)wl, w, aigw_result(c) == AIGW_DENY ? "deny" : "allow");
    return 0;
  }
  if (IS("violation") || IS("warning") || IS("error") || IS("waived")) {
    aigw_list l = IS("violation") ? AIGW_VIOLATIONS : IS("warning") ? AIGW_WARNINGS : IS("error") ? AIGW_ERRORS : AIGW_WAIVED;
    int ok = 1;
    for (const Node *g = p->b; g; g = g->next) {
      const Node *ex = IS("waived") ? g->next : NULL;
      if (!has_finding(c, l, text + g->name_off, g->name_len, ex ? text + ex->name_off : NULL, ex ? ex->name_len : 0)) {
        buf_printf(msg, "%sexpected %.*s %.*s%s%.*s", ok ? "" : "; ", (int)wl, w, (int)g->name_len, text + g->name_off,
                   ex ? " by " : "", ex ? (int)ex->name_len : 0, ex ? text + ex->name_off : "");
        ok = 0;
      }
      if (ex) break;
    }
    return ok;
  }
  if (IS("route")) {
    const Node *r = p->b;
    const char *got = aigw_route(c);
    const char *rn = text + r->name_off;
    if (r->name_len == 4 && !memcmp(rn, "none", 4)) {
      if (!got) return 1;
      buf_printf(msg, "expected no route, got route %s", got);
      return 0;
    }
    if (!got || strlen(got) != r->name_len || memcmp(got, rn, r->name_len)) {
      buf_printf(msg, "expected route %.*s, got %s", (int)r->name_len, rn, got ? got : "none");
      return 0;
    }
    size_t i = 0;
    for (const Node *t = r->next; t; t = t->next, i++) {
      aigw_target tg;
      char have[512] = "none";
      if (aigw_route_target(c, i, &tg) == AIGW_OK)
        snprintf(have, sizeof have, "%s:%s%s%s", tg.provider, tg.model, tg.region ? "@" : "", tg.region ? tg.region : "");
      const char *want = text + t->name_off;
      size_t wl2 = t->name_len;
      if (t->flags) { want++; wl2 -= 2; }
      if (strlen(have) != wl2 || memcmp(have, want, wl2)) {
        buf_printf(msg, "expected target %zu to be %.*s, got %s", i + 1, (int)wl2, want, have);
        return 0;
      }
    }
    if (r->next && i != aigw_route_count(c)) {
      buf_printf(msg, "expected %zu targets, got %zu", i, aigw_route_count(c));
      return 0;
    }
    return 1;
  }
  if (IS("budget")) {
    const Node *bn = p->b;
    for (size_t i = 0; i < aigw_budget_count(c); i++) {
      aigw_budget bg;
      if (aigw_budget_get(c, i, &bg) == AIGW_OK && strlen(bg.budget) == bn->name_len && !memcmp(bg.budget, text + bn->name_off, bn->name_len))
        return 1;
    }
    buf_printf(msg, "expected budget %.*s to be charged", (int)bn->name_len, text + bn->name_off);
    return 0;
  }
  buf_printf(msg, "unknown expectation '%.*s' (allow, deny, violation, warning, error, waived, route, budget)", (int)wl, w);
  return 0;
#undef IS
}

int cmd_test(int argc, char **argv) {
  int verbose = 0, npaths = 0;
  char **paths = argv + 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-v")) verbose = 1;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("test", "unknown option '%s'", argv[i]);
    else paths[npaths++] = argv[i];
  }
  if (!npaths) return cli_usage_error("test", "no input files");
  aigw_bundle *b;
  int rc = cli_open_bundle(NULL, npaths, paths, &b);
  if (rc) return rc == EXIT_USAGE ? EXIT_FINDINGS : rc;
  char **files; int nfiles;
  cli_collect_sources(npaths, paths, &files, &nfiles);
  DiagSink d; diag_init(&d);
  Arena a; arena_init(&a);
  aigw_ctx *c;
  if (aigw_ctx_new(b, &c) != AIGW_OK) { fputs("aigwc test: out of memory\n", stderr); return EXIT_USAGE; }
  int pass = 0, fail = 0;
  for (int i = 0; i < nfiles; i++) {
    int f = diag_load_file(&d, files[i]);
    if (f < 0) continue;
    AstFile *af = parse_file(&d, f, &a, 0);
    for (Node *t = af->decls; t; t = t->next) {
      if (t->kind != N_TEST) continue;
      uint32_t line, col;
      diag_linecol(&d, f, t->off, &line, &col);
      int64_t now = 0;
      Buf in = {0}, msg = {0};
      buf_puts(&in, "{}");
      for (Node *p = t->a; p; p = p->next) {
        if (p->op == TK_NOW) now = p->a->ival;
        if (p->op == TK_INPUT) { in.n = 0; to_json(&in, &d, p->a); }
      }
      int ok = 1;
      if (aigw_input_json(c, in.p, in.n) != AIGW_OK) { buf_printf(&msg, "bad input: %s", aigw_ctx_error(c)); ok = 0; }
      else if (aigw_eval(c, now) != AIGW_OK) { buf_printf(&msg, "evaluation failed: %s", aigw_ctx_error(c)); ok = 0; }
      else
        for (Node *p = t->a; p; p = p->next)
          if (p->op == TK_EXPECT && !check(c, &d, p, &msg)) { ok = 0; break; }
      if (ok) { pass++; if (verbose) printf("PASS %.*s\n", (int)t->name_len, af->text + t->name_off); }
      else {
        fail++;
        printf("FAIL %s:%u: test %.*s: %s\n", files[i], line, (int)t->name_len, af->text + t->name_off, msg.p);
      }
      buf_free(&in); buf_free(&msg);
    }
  }
  printf("%d passed, %d failed\n", pass, fail);
  aigw_ctx_free(c);
  aigw_bundle_close(b);
  arena_free(&a); diag_free(&d); cli_free_sources(files, nfiles);
  return fail ? EXIT_FINDINGS : EXIT_OK;
}
