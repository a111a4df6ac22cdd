/* The lexer: re2c over a whole NUL-terminated buffer. Tokens are offsets into the
 * source; nothing is copied or allocated per token. Lexical errors are reported here
 * and the lexer carries on, so the parser sees a clean stream and errors don't cascade. */
#ifndef AIGW_LEX_H
#define AIGW_LEX_H
#include <stdint.h>
#include "ast.h"
#include "diag.h"
#include "grammar.h"

enum { LEX_MAX_STRING = 65536 };   /* named limit: bytes in one string literal */

typedef struct Token { int kind; uint32_t off, len; } Token;

/* Keywords, in one list: the lexer's lookup, "did you mean" and the formatter use it. */
#define LEX_KEYWORDS(X) \
  X("all", ALL) X("and", AND) X("any", ANY) X("at", AT) X("audit", AUDIT) X("budget", BUDGET) X("by", BY) \
  X("cache", CACHE) X("category", CATEGORY) X("charge", CHARGE) X("controls", CONTROLS) X("created", CREATED) \
  X("default", DEFAULT) X("deny", DENY) X("exemption", EXEMPTION) X("expect", EXPECT) \
  X("expires", EXPIRES) X("false", FALSE) X("guardrail", GUARDRAIL) \
  X("hierarchy", HIERARCHY) X("import", IMPORT) X("in", IN) X("input", INPUT) \
  X("key", KEY) X("levels", LEVELS) X("limit", LIMIT) X("message", MESSAGE) \
  X("mode", MODE) X("never", NEVER) X("none", NONE) X("not", NOT) X("now", NOW) X("on-error", ONERROR) \
  X("or", OR) X("owner", OWNER) X("per", PER) X("policy", POLICY) X("reason", REASON) X("renews", RENEWS) \
  X("route", ROUTE) X("scope", SCOPE) X("set", SET) X("severity", SEVERITY) \
  X("split", SPLIT) X("starts", STARTS) X("table", TABLE) X("test", TEST) X("ticket", TICKET) X("true", TRUE) \
  X("under", UNDER) X("waives", WAIVES) X("warn", WARN) X("when", WHEN) X("window", WINDOW)

typedef struct Lexer {
  const unsigned char *start, *cur, *lim;
  int file;
  DiagSink *diag;
  Arena *arena;
  Comment *comments; uint32_t ncomments, capcomments;  /* kept for the formatter */
  int keep_comments;
} Lexer;

void lex_init(Lexer *lx, DiagSink *d, int file, Arena *arena);
/* Next token; kind 0 at end of input. */
void lex_next(Lexer *lx, Token *t);
/* Keyword token code for a name, or 0. */
int  lex_keyword(const char *s, size_t n);
/* Closest keyword within edit distance 2, or NULL. */
const char *lex_suggest(const char *s, size_t n);
const char *lex_token_name(int kind);
/* `2026/12/31` at s: the length of that slashed date (0 if none), and in iso the
 * date as written in the language, 2026-12-31. For hints only. */
size_t lex_slashed_date(const char *s, size_t n, char iso[11]);

/* Literal decoding, shared by parser actions and the compiler. Dates and timestamps
 * are read by runtime/timefmt.h, the same code that reads them in input. */
/* Decode a string literal's body (between the quotes) into buf; returns length. */
size_t lex_unescape(const char *s, size_t n, char *out);

#endif
