/* Lexer: token kinds and spans, keywords against hyphenated names, targets, literal
 * decoding (dates, timestamps, escapes), lexical errors and "did you mean". */
#include <stdio.h>
#include <string.h>
#include "timefmt.h"
#include "lex.h"
#include "unit.h"

enum { MAX_TOKENS = 64 };

typedef struct Lexed {
  DiagSink d;
  Arena a;
  Token t[MAX_TOKENS];
  int n;                       /* tokens before the end of input */
  Comment *comments;
  uint32_t ncomments;
} Lexed;

static void lex_all(Lexed *L, const char *src, size_t len) {
  diag_init(&L->d);
  arena_init(&L->a);
  int f = diag_add_source(&L->d, "t.aigw", xstrndup(src, len), (uint32_t)len);
  Lexer lx;
  lex_init(&lx, &L->d, f, &L->a);
  lx.keep_comments = 1;
  L->n = 0;
  for (size_t guard = 0; guard <= len + 1; guard++) {   /* each token consumes a byte */
    Token t;
    lex_next(&lx, &t);
    if (t.kind == 0) break;
    CU_ASSERT(t.off + t.len <= len);
    if (L->n < MAX_TOKENS) L->t[L->n++] = t;
  }
  L->comments = lx.comments;
  L->ncomments = lx.ncomments;
}

static void lex_done(Lexed *L) {
  arena_free(&L->a);
  diag_free(&L->d);
}

/* Source from a string literal, embedded NUL bytes included. */
#define LEX(L, lit) lex_all((L), (lit), sizeof(lit) - 1)

static void check_kinds(const char *src, size_t len, const int *want, int n, int errors) {
  Lexed L;
  lex_all(&L, src, len);
  int ok = L.n == n;
  for (int i = 0; ok && i < n; i++) ok = L.t[i].kind == want[i];
  if (!ok) {
    printf("\n  lexing \"%.*s\": got", (int)len, src);
    for (int i = 0; i < L.n; i++) printf(" %s", lex_token_name(L.t[i].kind));
    printf(", expected");
    for (int i = 0; i < n; i++) printf(" %s", lex_token_name(want[i]));
    printf("\n");
  }
  CU_ASSERT(ok);
  CU_ASSERT_EQUAL(L.d.errors, errors);
  lex_done(&L);
}
/* KINDS_ERR(source literal, number of errors, token kinds...) */
#define KINDS_ERR(src, errors, ...) do { \
    static const int want_[] = {__VA_ARGS__}; \
    check_kinds((src), sizeof(src) - 1, want_, (int)(sizeof want_ / sizeof want_[0]), (errors)); \
  } while (0)
#define KINDS(src, ...) KINDS_ERR(src, 0, __VA_ARGS__)

/* The first diagnostic is an error at off whose message contains text. */
static void check_error(const char *src, size_t len, const char *text, uint32_t off) {
  Lexed L;
  lex_all(&L, src, len);
  int ok = L.d.errors >= 1 && L.d.n >= 1 && L.d.items[0].level == DIAG_ERR &&
           strstr(L.d.items[0].msg, text) && L.d.items[0].off == off;
  if (!ok)
    printf("\n  lexing \"%.*s\": expected an error '%s' at %u, got %s at %u\n", (int)len, src,
           text, off, L.d.n ? L.d.items[0].msg : "none", L.d.n ? L.d.items[0].off : 0);
  CU_ASSERT(ok);
  lex_done(&L);
}
#define ERROR_AT(src, text, off) check_error((src), sizeof(src) - 1, (text), (off))

static void test_literals(void) {
  KINDS("\"text\"", TK_STRING);
  KINDS("\"\"", TK_STRING);
  KINDS("\"esc \\\" \\\\ \\/ \\n \\r \\t \\0 \\{ \\} \\u00e9\"", TK_STRING);
  KINDS("42 0 1_000_000", TK_INT, TK_INT, TK_INT);
  KINDS("2026-11-22", TK_DATE);
  KINDS("2026-11-22T10:00:00Z 2026-11-22t10:00:00.5+05:30 2026-11-22T10:00:00-08:00",
        TK_TIME, TK_TIME, TK_TIME);
  KINDS("30d 2w 12h 15m 45s 1_000s", TK_DUR, TK_DUR, TK_DUR, TK_DUR, TK_DUR, TK_DUR);
  KINDS("80% 12.5% 0.25% 1_000%", TK_PCT, TK_PCT, TK_PCT, TK_PCT);
  KINDS("true false now never", TK_TRUE, TK_FALSE, TK_NOW, TK_NEVER);
  KINDS("-5", TK_MINUS, TK_INT);
}

static void test_punctuation(void) {
  KINDS("{ } ( ) [ ] , : . -> == != < <= > >= + - * / =",
        TK_LBRACE, TK_RBRACE, TK_LPAREN, TK_RPAREN, TK_LBRACKET, TK_RBRACKET, TK_COMMA,
        TK_COLON, TK_DOT, TK_ARROW, TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_PLUS,
        TK_MINUS, TK_STAR, TK_SLASH, TK_ASSIGN);
  KINDS("a->b<=c", TK_IDENT, TK_ARROW, TK_IDENT, TK_LE, TK_IDENT);
  KINDS("list<string>", TK_IDENT, TK_LT, TK_IDENT, TK_GT);
}

static void test_keywords_and_names(void) {
  KINDS("policy guardrail on-error when", TK_POLICY, TK_GUARDRAIL, TK_ONERROR, TK_WHEN);
  /* a hyphen joins words into one name; a keyword is only ever the whole name */
  KINDS("approved-model deny-list denyx scopes x-1 _y a-b-c",
        TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT, TK_IDENT);
  KINDS("on-errors on- error", TK_IDENT, TK_IDENT, TK_MINUS, TK_IDENT);
  KINDS("a - b", TK_IDENT, TK_MINUS, TK_IDENT);
  KINDS("a-", TK_IDENT, TK_MINUS);
  KINDS("not in under", TK_NOT, TK_IN, TK_UNDER);
  KINDS("Policy POLICY", TK_IDENT, TK_IDENT);   /* keywords are lower case */
  Lexed L;
  LEX(&L, "cost-center");
  CU_ASSERT_EQUAL(L.n, 1);
  CU_ASSERT_EQUAL(L.t[0].off, 0);
  CU_ASSERT_EQUAL(L.t[0].len, 11);
  lex_done(&L);
}

/* Every keyword in LEX_KEYWORDS: looked up, named, lexed, and the list sorted (the
 * lookup is a binary search). */
static void test_keyword_table(void) {
  static const struct { const char *s; int tk; } kw[] = {
#define X(s, t) {s, TK_##t},
    LEX_KEYWORDS(X)
#undef X
  };
  for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++) {
    size_t n = strlen(kw[i].s);
    CU_ASSERT_EQUAL(lex_keyword(kw[i].s, n), kw[i].tk);
    CU_ASSERT_STRING_EQUAL(lex_token_name(kw[i].tk), kw[i].s);
    if (i) CU_ASSERT(strcmp(kw[i - 1].s, kw[i].s) < 0);
    Lexed L;
    lex_all(&L, kw[i].s, n);
    CU_ASSERT(L.n == 1 && L.t[0].kind == kw[i].tk && L.t[0].len == n);
    lex_done(&L);
  }
  CU_ASSERT_EQUAL(lex_keyword("an", 2), 0);
  CU_ASSERT_EQUAL(lex_keyword("andx", 4), 0);
  CU_ASSERT_EQUAL(lex_keyword("", 0), 0);
  CU_ASSERT_EQUAL(lex_keyword("andy", 3), TK_AND);   /* bounded by n, not by the NUL */
  CU_ASSERT_STRING_EQUAL(lex_token_name(0), "end of file");
  CU_ASSERT_STRING_EQUAL(lex_token_name(TK_ARROW), "'->'");
  CU_ASSERT_STRING_EQUAL(lex_token_name(TK_TARGET), "target");
}

static void test_targets(void) {
  Lexed L;
  LEX(&L, "azure-openai:gpt-4.1@eastus");
  CU_ASSERT(L.n == 1 && L.t[0].kind == TK_TARGET && L.t[0].off == 0 && L.t[0].len == 27);
  lex_done(&L);
  KINDS("openai:gpt-4o-mini", TK_TARGET);
  KINDS("p:m@r-1 x", TK_TARGET, TK_IDENT);
  KINDS("azure-openai:gpt-4o@westeurope, openai:o1", TK_TARGET, TK_COMMA, TK_TARGET);
  KINDS("-> a:b", TK_ARROW, TK_TARGET);
  /* written without a space, "name:type" is a target too; the parser splits it back */
  KINDS("model:string", TK_TARGET);
  KINDS("a : b", TK_IDENT, TK_COLON, TK_IDENT);
  KINDS("n:5", TK_IDENT, TK_COLON, TK_INT);   /* a model starts with a letter */
}

static void test_spans_and_comments(void) {
  Lexed L;
  LEX(&L, "  policy\n\tx # note\n/* block */ \"s\" 7");
  CU_ASSERT_EQUAL(L.d.errors, 0);
  CU_ASSERT_EQUAL_FATAL(L.n, 4);
  CU_ASSERT(L.t[0].kind == TK_POLICY && L.t[0].off == 2 && L.t[0].len == 6);
  CU_ASSERT(L.t[1].kind == TK_IDENT && L.t[1].off == 10 && L.t[1].len == 1);
  CU_ASSERT(L.t[2].kind == TK_STRING && L.t[2].off == 31 && L.t[2].len == 3);
  CU_ASSERT(L.t[3].kind == TK_INT && L.t[3].off == 35 && L.t[3].len == 1);
  CU_ASSERT_EQUAL_FATAL(L.ncomments, 2);
  CU_ASSERT(L.comments[0].off == 12 && L.comments[0].len == 6);
  CU_ASSERT(L.comments[1].off == 19 && L.comments[1].len == 11);
  lex_done(&L);
  KINDS("/* a */ /**/ /* * / */ x", TK_IDENT);
  check_kinds("# only a comment", 16, NULL, 0, 0);
}

static void test_byte_order_mark(void) {
  Lexed L;
  LEX(&L, "\xEF\xBB\xBFpolicy");
  CU_ASSERT_EQUAL(L.d.errors, 0);
  CU_ASSERT(L.n == 1 && L.t[0].kind == TK_POLICY && L.t[0].off == 3);
  lex_done(&L);
}

static void test_dates(void) {
  int64_t s = 1;
  CU_ASSERT(rt_parse_date("1970-01-01", 10, &s) == 0 && s == 0);
  CU_ASSERT(rt_parse_date("2026-11-22", 10, &s) == 0 && s == 1795305600);
  CU_ASSERT(rt_parse_date("1969-12-31", 10, &s) == 0 && s == -86400);
  CU_ASSERT(rt_parse_date("0001-01-01", 10, &s) == 0 && s == -62135596800);
  CU_ASSERT(rt_parse_date("9999-12-31", 10, &s) == 0 && s == 253402214400);
  /* leap years: every 4th, not every 100th, but every 400th */
  CU_ASSERT(rt_parse_date("2024-02-29", 10, &s) == 0 && s == 1709164800);
  CU_ASSERT(rt_parse_date("2000-02-29", 10, &s) == 0 && s == 951782400);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2023-02-29", 10, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("1900-02-29", 10, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2024-02-30", 10, &s), 0);
  /* month lengths and ranges */
  CU_ASSERT_EQUAL(rt_parse_date("2026-01-31", 10, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2026-04-31", 10, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2026-13-01", 10, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2026-00-10", 10, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2026-01-00", 10, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2026-01-32", 10, &s), 0);
  /* shape */
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2026-1-22", 9, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2026/11/22", 10, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2026-11-2x", 10, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("2026-11-22", 9, &s), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_date("", 0, &s), 0);
  /* the day arithmetic (days_from_civil) at its edges */
  CU_ASSERT(rt_parse_date("1970-01-01", 10, &s) == 0 && s == 0 * 86400);
  CU_ASSERT(rt_parse_date("2000-03-01", 10, &s) == 0 && s == 11017 * 86400LL);
  CU_ASSERT(rt_parse_date("0001-01-01", 10, &s) == 0 && s == -719162 * 86400LL);
  CU_ASSERT(rt_parse_date("0000-03-01", 10, &s) == 0 && s == -719468 * 86400LL);
}

static int stamp(const char *s, int64_t *secs) { return rt_parse_time(s, strlen(s), 0, secs); }

static void test_timestamps(void) {
  int64_t s = 1;
  CU_ASSERT(stamp("1970-01-01T00:00:00Z", &s) == 0 && s == 0);
  CU_ASSERT(stamp("2026-11-22T10:00:00Z", &s) == 0 && s == 1795341600);
  CU_ASSERT(stamp("2026-11-22t10:00:00z", &s) == 0 && s == 1795341600);
  CU_ASSERT(stamp("2026-11-22T10:00:00+00:00", &s) == 0 && s == 1795341600);
  CU_ASSERT(stamp("2026-11-22T10:00:00-00:00", &s) == 0 && s == 1795341600);
  /* offsets: local time minus the offset is UTC */
  CU_ASSERT(stamp("2026-11-22T10:00:00+05:30", &s) == 0 && s == 1795321800);
  CU_ASSERT(stamp("2026-11-22T10:00:00-08:00", &s) == 0 && s == 1795370400);
  CU_ASSERT(stamp("2026-11-22T00:30:00+01:00", &s) == 0 && s == 1795305600 - 1800);
  /* fractions are truncated; a leap second is accepted as :60 */
  CU_ASSERT(stamp("2026-11-22T10:00:00.999999Z", &s) == 0 && s == 1795341600);
  CU_ASSERT(stamp("2016-12-31T23:59:60Z", &s) == 0 && s == 1483228800);
  CU_ASSERT(stamp("2024-02-29T12:00:00Z", &s) == 0 && s == 1709164800 + 43200);
  /* bad values */
  CU_ASSERT_NOT_EQUAL(stamp("2023-02-29T12:00:00Z", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T24:00:00Z", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10:60:00Z", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10:00:61Z", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10:00:00+24:00", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10:00:00+05:60", &s), 0);
  /* bad shapes */
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10:00:00", &s), 0);        /* no zone */
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22 10:00:00Z", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10:00:00.Z", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10:00:00+0530", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10:00:00+05:3", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10:00:00ZZ", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10:00:00Zx", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T1:00:00Z", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22T10-00-00Z", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("2026-11-22", &s), 0);
  CU_ASSERT_NOT_EQUAL(stamp("", &s), 0);
}

static int unescape_is(const char *in, const char *want, size_t wlen) {
  char out[64];
  size_t n = lex_unescape(in, strlen(in), out);
  int ok = n == wlen && n <= strlen(in) && memcmp(out, want, n) == 0;
  if (!ok) printf("\n  lex_unescape(\"%s\") gave %zu bytes \"%.*s\"\n", in, n, (int)n, out);
  return ok;
}
#define UNESCAPE(in, want) unescape_is((in), (want), sizeof(want) - 1)

static void test_unescape(void) {
  CU_ASSERT(UNESCAPE("plain", "plain"));
  CU_ASSERT(UNESCAPE("", ""));
  CU_ASSERT(UNESCAPE("a\\nb\\tc\\rd", "a\nb\tc\rd"));
  CU_ASSERT(UNESCAPE("\\\"\\\\\\/\\{\\}", "\"\\/{}"));
  CU_ASSERT(UNESCAPE("x\\0y", "x\0y"));
  CU_ASSERT(UNESCAPE("\\u0041", "A"));
  CU_ASSERT(UNESCAPE("\\u00e9\\u00E9", "\xC3\xA9\xC3\xA9"));
  CU_ASSERT(UNESCAPE("\\u20ac", "\xE2\x82\xAC"));
  CU_ASSERT(UNESCAPE("\\uffff", "\xEF\xBF\xBF"));
  CU_ASSERT(UNESCAPE("\\ud800", "\xEF\xBF\xBD"));   /* a lone surrogate becomes U+FFFD */
  CU_ASSERT(UNESCAPE("\\u0000", "\0"));
  /* incomplete \u escapes are kept as written */
  CU_ASSERT(UNESCAPE("\\u12", "\\u12"));
  CU_ASSERT(UNESCAPE("\\u12g4", "\\u12g4"));
  CU_ASSERT(UNESCAPE("end\\", "end\\"));
  /* UTF-8 text passes through */
  CU_ASSERT(UNESCAPE("caf\xC3\xA9 \xE2\x82\xAC", "caf\xC3\xA9 \xE2\x82\xAC"));
}

static void test_errors(void) {
  ERROR_AT("a\0b", "NUL byte", 1);
  ERROR_AT("\"a\0b\"", "NUL byte", 2);
  ERROR_AT("\"\xff\"", "UTF-8", 1);
  ERROR_AT("\"ab\xC0\x80\"", "UTF-8", 3);          /* overlong */
  ERROR_AT("\"\xED\xA0\x80\"", "UTF-8", 1);        /* surrogate */
  ERROR_AT("\"\xF4\x90\x80\x80\"", "UTF-8", 1);    /* above U+10FFFF */
  ERROR_AT("\"\xE2\x82\"", "UTF-8", 1);            /* truncated */
  ERROR_AT("x \"abc", "unterminated string", 2);
  ERROR_AT("\"abc\\", "unterminated string", 0);
  ERROR_AT("\"abc\ny", "unterminated string", 0);
  ERROR_AT("x /* never closed", "unterminated comment", 2);
  ERROR_AT("\"a\\qb\"", "escape", 2);
  ERROR_AT("\"a\tb\"", "control character", 2);
  ERROR_AT("x \x01", "control character", 2);
  ERROR_AT("caf\xC3\xA9", "non-ASCII", 3);
  ERROR_AT("a @ b", "unexpected", 2);
  /* well-formed UTF-8 in a string is fine */
  KINDS("\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"", TK_STRING);
  /* lexing goes on after an error: the token stream stays whole */
  KINDS_ERR("a\0b", 1, TK_IDENT, TK_IDENT);
  KINDS_ERR("\"abc\ny", 1, TK_STRING, TK_IDENT);
  /* one bad string costs one diagnostic */
  KINDS_ERR("\"\0\0\xff\\q\"", 1, TK_STRING);
  /* string length limit */
  size_t n = LEX_MAX_STRING + 1;
  char *big = xmalloc(n + 2);
  memset(big, 'a', n + 2);
  big[0] = big[n + 1] = '"';
  Lexed L;
  lex_all(&L, big, n + 2);
  CU_ASSERT(L.n == 1 && L.t[0].kind == TK_STRING);
  CU_ASSERT(L.d.errors == 1 && strstr(L.d.items[0].msg, "too long"));
  lex_done(&L);
  lex_all(&L, big, n + 1);       /* the same without the closing quote */
  CU_ASSERT(L.d.errors >= 1);
  lex_done(&L);
  big[n] = '"';                  /* exactly at the limit */
  lex_all(&L, big, n + 1);
  CU_ASSERT_EQUAL(L.d.errors, 0);
  lex_done(&L);
  xfree(big);
}

static void test_suggest(void) {
  const char *s;
  CU_ASSERT((s = lex_suggest("severty", 7)) && !strcmp(s, "severity"));
  CU_ASSERT((s = lex_suggest("gaurdrail", 9)) && !strcmp(s, "guardrail"));
  CU_ASSERT((s = lex_suggest("polcy", 5)) && !strcmp(s, "policy"));
  CU_ASSERT((s = lex_suggest("expries", 7)) && !strcmp(s, "expires"));
  CU_ASSERT((s = lex_suggest("DENY", 4)) && !strcmp(s, "deny"));   /* case-insensitive */
  CU_ASSERT((s = lex_suggest("on_error", 8)) && !strcmp(s, "on-error"));
  CU_ASSERT_PTR_NULL(lex_suggest("xyzzy", 5));
  CU_ASSERT_PTR_NULL(lex_suggest("an", 2));          /* too short to guess */
  CU_ASSERT_PTR_NULL(lex_suggest("approved-model", 14));
  char long_name[200];
  memset(long_name, 'a', sizeof long_name);
  CU_ASSERT_PTR_NULL(lex_suggest(long_name, sizeof long_name));
}

UNIT_SUITE(lex,
  {"literal token kinds", test_literals},
  {"punctuation", test_punctuation},
  {"keywords and hyphenated names", test_keywords_and_names},
  {"keyword table", test_keyword_table},
  {"targets", test_targets},
  {"spans and comments", test_spans_and_comments},
  {"byte order mark", test_byte_order_mark},
  {"lex_date", test_dates},
  {"lex_timestamp", test_timestamps},
  {"lex_unescape", test_unescape},
  {"errors", test_errors},
  {"lex_suggest", test_suggest})
