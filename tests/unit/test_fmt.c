/* The formatter. Every .aigw file under examples/, stdlib-policies/ and tests/fmt/
 * (found at run time, so new files are covered) must format to a fixed point with the
 * same tree and the same comments; tests/fmt/NAME.aigw must format to NAME.expected;
 * small expression cases pin the parentheses and the line breaks of conditions.
 * (Syntax errors are the CLI's business: tests/e2e/t_fmt.sh.) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "astdump.h"
#include "fmt.h"
#include "parse.h"
#include "unit.h"

typedef struct Parsed { DiagSink d; Arena a; AstFile *f; } Parsed;

/* Parses a copy of text; returns 0, or -1 (diagnostics printed) on syntax errors. */
static int parse_text(Parsed *p, const char *name, const char *text, size_t n) {
  diag_init(&p->d); arena_init(&p->a);
  int file = diag_add_source(&p->d, name, xstrndup(text, n), (uint32_t)n);
  p->f = parse_file(&p->d, file, &p->a, 1);
  if (!p->d.errors) return 0;
  diag_print(&p->d, stderr);
  return -1;
}
static void parsed_free(Parsed *p) { arena_free(&p->a); diag_free(&p->d); }

/* Formats text into out (a NUL-terminated Buf); -1 if it does not parse or fmt fails. */
static int format(const char *name, const char *text, size_t n, Buf *out) {
  Parsed p;
  int rc = parse_text(&p, name, text, n);
  if (rc == 0 && (rc = fmt_file(&p.d, p.f, out)) != 0) diag_print(&p.d, stderr);
  buf_put(out, NULL, 0);
  parsed_free(&p);
  return rc;
}

/* The tree without " @line:col", and with the policy declaration first (fmt moves it). */
static void tree(Parsed *p, Buf *out) {
  Buf raw = {0}, b = {0};
  ast_dump(&raw, &p->d, p->f);
  for (char *s = raw.p; *s; s++) {
    if (s[0] == ' ' && s[1] == '@' && s[2] >= '0' && s[2] <= '9') { s += 2; while ((*s >= '0' && *s <= '9') || *s == ':') s++; s--; }
    else buf_putc(&b, *s);
  }
  char *pol = strstr(b.p, "\n(POLICY"), *next = pol ? strstr(pol + 1, "\n(") : NULL;
  if (pol) {
    size_t from = (size_t)(pol - b.p), to = next ? (size_t)(next - b.p) : b.n - 1;
    buf_put(out, pol, to - from); buf_put(out, b.p, from); buf_put(out, b.p + to, b.n - to);
  } else buf_put(out, b.p, b.n);
  buf_put(out, NULL, 0);
  buf_free(&raw); buf_free(&b);
}

/* Comment texts, trailing blanks of # comments trimmed, sorted, one per line. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static void comments(const Parsed *p, Buf *out) {
  uint32_t n = p->f->ncomments;
  char **v = xmalloc(sizeof *v * (n + 1));
  for (uint32_t i = 0; i < n; i++) {
    const char *t = p->f->text + p->f->comments[i].off;
    uint32_t len = p->f->comments[i].len;
    if (t[0] == '#') while (len && strchr(" \t\r", t[len - 1])) len--;
    v[i] = xstrndup(t, len);
  }
  qsort(v, n, sizeof *v, cmp_str);
  for (uint32_t i = 0; i < n; i++) { buf_printf(out, "%s\n", v[i]); xfree(v[i]); }
  buf_put(out, NULL, 0);
  xfree(v);
}

/* Reports the first differing line, so a failure says what went wrong. */
static int same_text(const char *what, const char *want, const char *got) {
  if (!strcmp(want, got)) return 1;
  int line = 1;
  while (*want && *want == *got) { if (*want == '\n') line++; want++; got++; }
  fprintf(stderr, "\n%s: differs at line %d\n  want: %.80s\n  got:  %.80s\n", what, line,
          want, got);
  return 0;
}

static int slurp(const char *path, Buf *b) {
  char *t; size_t n;
  if (read_file(path, &t, &n, DIAG_MAX_FILE) != 0) return -1;
  buf_put(b, t, n); buf_put(b, NULL, 0);
  xfree(t);
  return 0;
}

/* The checks every source must pass: fixed point, same tree, same comments. */
static void check_file(const char *path) {
  Buf src = {0}, once = {0}, twice = {0}, t1 = {0}, t2 = {0}, c1 = {0}, c2 = {0};
  CU_ASSERT_FATAL(slurp(path, &src) == 0);
  Parsed a, b;
  if (parse_text(&a, path, src.p, src.n) != 0) {
    fprintf(stderr, "\nfmt: %s has syntax errors; not checked\n", path);
    parsed_free(&a); buf_free(&src);
    return;
  }
  CU_ASSERT(format(path, src.p, src.n, &once) == 0);
  CU_ASSERT(format(path, once.p, once.n, &twice) == 0);
  CU_ASSERT(same_text(path, once.p, twice.p));            /* idempotent */
  CU_ASSERT_FATAL(parse_text(&b, path, once.p, once.n) == 0);
  tree(&a, &t1); tree(&b, &t2);
  CU_ASSERT(same_text(path, t1.p, t2.p));                 /* same tree */
  comments(&a, &c1); comments(&b, &c2);
  CU_ASSERT(same_text(path, c1.p, c2.p));                 /* no comment lost */
  CU_ASSERT(fmt_verify(&a.d, a.f, once.p, once.n) == 0);  /* the CLI's safety net agrees */
  parsed_free(&a); parsed_free(&b);
  Buf *all[] = {&src, &once, &twice, &t1, &t2, &c1, &c2};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_free(all[i]);
}

static void walk(const char *dir, void (*fn)(const char *path)) {
  DIR *d = opendir(dir);
  if (!d) return;                 /* a directory that does not exist yet has no files */
  struct dirent *e;
  char **names = NULL; size_t n = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    names = xrealloc(names, sizeof *names * (n + 1));
    names[n++] = xstrndup(e->d_name, strlen(e->d_name));
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++) {
    Buf p = {0};
    buf_printf(&p, "%s/%s", dir, names[i]);
    struct stat st;
    size_t l = strlen(names[i]);
    if (stat(p.p, &st) == 0 && S_ISDIR(st.st_mode)) walk(p.p, fn);
    else if (l > 5 && !strcmp(names[i] + l - 5, ".aigw")) fn(p.p);
    buf_free(&p); xfree(names[i]);
  }
  xfree(names);
}

static int nfiles;
static void count_and_check(const char *path) { nfiles++; check_file(path); }

static void test_all_sources(void) {
  nfiles = 0;
  walk(UNIT_DATA "/../examples", count_and_check);
  walk(UNIT_DATA "/../stdlib-policies", count_and_check);
  walk(UNIT_DATA "/fmt", count_and_check);
  CU_ASSERT(nfiles >= 5);
}

static void golden(const char *path) {
  Buf src = {0}, want = {0}, got = {0}, again = {0}, exp = {0};
  buf_put(&exp, path, strlen(path) - 5);
  buf_puts(&exp, ".expected");
  CU_ASSERT_FATAL(slurp(path, &src) == 0);
  if (slurp(exp.p, &want) != 0) { fprintf(stderr, "\nfmt: %s is missing\n", exp.p); CU_FAIL("missing .expected"); }
  else {
    CU_ASSERT(format(path, src.p, src.n, &got) == 0);
    CU_ASSERT(same_text(path, want.p, got.p));
    CU_ASSERT(format(exp.p, want.p, want.n, &again) == 0);
    CU_ASSERT(same_text(exp.p, want.p, again.p));          /* the expected text is canonical */
  }
  buf_free(&src); buf_free(&want); buf_free(&got); buf_free(&again); buf_free(&exp);
}

static void test_golden(void) { walk(UNIT_DATA "/fmt", golden); }

/* Expressions: what goes in, what comes out. The parentheses written are kept (two
 * pairs around one expression print as one); those that precedence needs are added. */
static const char *const exprs[][2] = {
  {"((a))", "(a)"},
  {"( ( a ) )", "(a)"},
  {"a==b", "a == b"},
  {"(a == b) == c", "(a == b) == c"},
  {"a == (b == c)", "a == (b == c)"},
  {"(a in b) under c", "(a in b) under c"},
  {"a or b and c", "a or b and c"},
  {"a or (b and c)", "a or (b and c)"},
  {"(a or b) and c", "(a or b) and c"},
  {"(a and b) and c", "(a and b) and c"},
  {"a and (b and c)", "a and (b and c)"},
  {"not (a == b)", "not (a == b)"},
  {"not a == b", "not (a == b)"},     /* added: `not a == b` reads as (not a) == b */
  {"(not a) == b", "(not a) == b"},
  {"a == not b", "a == (not b)"},
  {"not (a and b)", "not (a and b)"},
  {"(not a) and b", "(not a) and b"},
  {"not not a", "not not a"},
  {"a - b - c", "a - b - c"},
  {"a - (b - c)", "a - (b - c)"},
  {"a * b + c", "a * b + c"},
  {"a * (b + c)", "a * (b + c)"},
  {"-(a + b) * c", "-(a + b) * c"},
  {"- -a", "- -a"},
  {"- (-a)", "-(-a)"},
  {"a * (-b)", "a * (-b)"},
  {"(-a).b", "(-a).b"},
  {"(a.b).c", "(a.b).c"},
  {"a.b.c", "a.b.c"},
  {"(a + b)[0]", "(a + b)[0]"},
  {"f((a), [b, (c),])", "f((a), [b, (c)])"},
  {"len ( x )   >=  2_000", "len(x) >= 2_000"},
  {"a   not   in [\"x\",\"y\" ,]", "a not in [\"x\", \"y\"]"},
  {"( a < b + ( c * d ) )", "(a < b + (c * d))"},
  {"now - 30d > x.created", "now - 30d > x.created"},
  {"x == 12.5% or y == 2026-01-02T03:04:05Z", "x == 12.5% or y == 2026-01-02T03:04:05Z"},
};

static void test_parens(void) {
  for (size_t i = 0; i < sizeof exprs / sizeof *exprs; i++) {
    Buf in = {0}, want = {0}, got = {0};
    buf_printf(&in, "guardrail g { deny when %s }", exprs[i][0]);
    buf_printf(&want, "guardrail g {\n  deny when %s\n}\n", exprs[i][1]);
    CU_ASSERT(format("expr", in.p, in.n, &got) == 0);
    CU_ASSERT(same_text(exprs[i][0], want.p, got.p));
    {   /* a fixed point */
      Buf again = {0};
      CU_ASSERT(format("again", want.p, want.n, &again) == 0);
      CU_ASSERT(same_text(exprs[i][1], want.p, again.p));
      buf_free(&again);
    }
    {   /* and the same tree */
      Parsed a, b;
      Buf t1 = {0}, t2 = {0};
      CU_ASSERT_FATAL(parse_text(&a, "in", in.p, in.n) == 0);
      CU_ASSERT_FATAL(parse_text(&b, "out", got.p, got.n) == 0);
      tree(&a, &t1); tree(&b, &t2);
      CU_ASSERT(same_text(exprs[i][0], t1.p, t2.p));
      parsed_free(&a); parsed_free(&b); buf_free(&t1); buf_free(&t2);
    }
    buf_free(&in); buf_free(&want); buf_free(&got);
  }
}

/* Conditions broken over lines: kept at `and` and `or` only, the operator first on the
 * continuation line, one level deeper than the item plus one per open parenthesis. */
static const char *const broken[][2] = {
  {"a and\nb", "a\n    and b"},
  {"a\n  and b", "a\n    and b"},
  {"a or b\n  and c", "a or b\n    and c"},
  {"a or\n b and\n c", "a\n    or b\n    and c"},
  {"(a or\n b) and c", "(a\n      or b) and c"},
  {"a and\n (b\n or (c and\n d))", "a\n    and (b\n      or (c\n        and d))"},
  {"not (a\n or b)", "not (a\n      or b)"},
  {"((a\n or b))", "(a\n      or b)"},
  {"a and # why\n b", "a # why\n    and b"},
  {"a and\n # why\n b", "a\n    # why\n    and b"},
  {"a and b or c and d", "a and b or c and d"},
  {"(a and\n b) == c", "(a and b) == c"},     /* not reached through and, or, not */
  {"f(a and\n b) or c", "f(a and b) or c"},
  {"a +\n b > 1 and\n c", "a + b > 1\n    and c"},
};

static void test_broken(void) {
  for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
    Buf in = {0}, want = {0}, got = {0}, again = {0};
    buf_printf(&in, "guardrail g {\n  deny when %s\n}\n", broken[i][0]);
    buf_printf(&want, "guardrail g {\n  deny when %s\n}\n", broken[i][1]);
    CU_ASSERT(format("broken", in.p, in.n, &got) == 0);
    CU_ASSERT(same_text(broken[i][0], want.p, got.p));
    CU_ASSERT(format("again", want.p, want.n, &again) == 0);
    CU_ASSERT(same_text(broken[i][1], want.p, again.p));     /* a fixed point */
    buf_free(&in); buf_free(&want); buf_free(&got); buf_free(&again);
  }
}

/* Forms that the tree alone does not tell apart are told apart from the source. */
static void test_source_forms(void) {
  static const char *const cases[][2] = {
    {"budget b { warn at 80% }", "budget b {\n  warn at 80%\n}\n"},
    {"guardrail g { warn when 80% }", "guardrail g {\n  warn when 80%\n}\n"},
    {"test \"t\" { expect waived g by e }", "test \"t\" {\n  expect waived g by e\n}\n"},
    {"test \"t\" { expect violation g , e }", "test \"t\" {\n  expect violation g, e\n}\n"},
    {"test \"t\" { input { b:true } }", "test \"t\" {\n  input {\n    b: true,\n  }\n}\n"},
    {"input r { tags:map<string> }", "input r {\n  tags: map<string>\n}\n"},
    {"input r { model:string }", "input r {\n  model: string\n}\n"},
    {"guardrail g {}", "guardrail g {}\n"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    Buf got = {0};
    CU_ASSERT(format("case", cases[i][0], strlen(cases[i][0]), &got) == 0);
    CU_ASSERT(same_text(cases[i][0], cases[i][1], got.p));
    buf_free(&got);
  }
}

UNIT_SUITE(fmt,
  {"every source: fixed point, same tree, same comments", test_all_sources},
  {"golden tests/fmt/*.aigw -> .expected", test_golden},
  {"parentheses: the ones written and the ones needed", test_parens},
  {"conditions broken over lines", test_broken},
  {"forms told apart by source", test_source_forms})
