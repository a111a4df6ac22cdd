#include "timefmt.h"
#include "parse.h"
#include <stdlib.h>
#include <string.h>

Node *parse_tok(Parser *P, int kind, Token t) { return ast_node(P->arena, kind, P->file, t.off, t.len); }

static void depth_check(Parser *P, Node *n) {
  if (n->depth == AST_MAX_DEPTH + 1)   /* report once, at the node that crosses the line */
    diag_report(P->diag, DIAG_ERR, P->file, n->off, 1,
                "expression nested too deeply (limit is %d)", AST_MAX_DEPTH);
}

Node *parse_expr2(Parser *P, int kind, int op, Node *a, Node *b, uint32_t off, uint32_t end) {
  Node *n = ast_node(P->arena, kind, P->file, off, end - off);
  n->op = (uint16_t)op; n->a = a; n->b = b;
  int d = a ? a->depth : 0;
  if (b && b->depth > d) d = b->depth;
  n->depth = (uint16_t)(d >= AST_MAX_DEPTH + 1 ? AST_MAX_DEPTH + 2 : d + 1);
  depth_check(P, n);
  return n;
}

Node *parse_call(Parser *P, Token name, Node *args, uint32_t end) {
  Node *n = ast_node(P->arena, N_CALL, P->file, name.off, end - name.off);
  n->name_len = name.len;
  n->a = args;
  int d = 0;
  for (Node *c = args; c; c = c->next) if (c->depth > d) d = c->depth;
  n->depth = (uint16_t)(d >= AST_MAX_DEPTH + 1 ? AST_MAX_DEPTH + 2 : d + 1);
  depth_check(P, n);
  return n;
}

static int64_t digits(const char *s, size_t n, int *overflow) {
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '_') continue;
    if (s[i] < '0' || s[i] > '9') break;
    if (v > (INT64_MAX - (s[i] - '0')) / 10) { *overflow = 1; return 0; }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

enum { PCT_MAX = 1000000 };   /* named limit: largest percentage, so basis points fit easily */

Node *parse_literal(Parser *P, Token t) {
  const char *s = P->text + t.off;
  int overflow = 0;
  Node *n;
  switch (t.kind) {
  case TK_INT:
    n = parse_tok(P, N_INT, t);
    n->ival = digits(s, t.len, &overflow);
    break;
  case TK_DUR: {
    static const struct { char c; int64_t mul; } u[] = {{'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    n = parse_tok(P, N_DUR, t);
    int64_t v = digits(s, t.len - 1, &overflow);
    for (size_t i = 0; i < 5; i++)
      if (s[t.len - 1] == u[i].c) {
        if (v > INT64_MAX / u[i].mul) overflow = 1; else v *= u[i].mul;
      }
    n->ival = v;
    break;
  }
  case TK_PCT: {
    n = parse_tok(P, N_PCT, t);
    int64_t whole = digits(s, t.len, &overflow), frac = 0;
    const char *dot = memchr(s, '.', t.len);
    if (dot) { frac = (dot[1] - '0') * 10; if (dot[2] >= '0' && dot[2] <= '9') frac += dot[2] - '0'; }
    if (whole > PCT_MAX) overflow = 1;
    n->ival = overflow ? 0 : whole * 100 + frac;   /* basis points: 12.5% is 1250 */
    break;
  }
  case TK_DATE:
    n = parse_tok(P, N_DATE, t);
    if (rt_parse_date(s, t.len, &n->ival) != 0) {
      diag_report(P->diag, DIAG_ERR, P->file, t.off, t.len, "invalid date '%.*s'", (int)t.len, s);
      if (t.len != 10) diag_help(P->diag, "a date is YYYY-MM-DD, e.g. 2026-12-31");
    }
    break;
  case TK_TIME:
    n = parse_tok(P, N_TIME, t);
    if (rt_parse_time(s, t.len, 0, &n->ival) != 0) {
      diag_report(P->diag, DIAG_ERR, P->file, t.off, t.len, "invalid timestamp '%.*s'",
                  (int)(t.len > 40 ? 40 : t.len), s);
      diag_help(P->diag, "a timestamp is RFC 3339 with a zone: 2026-12-31T23:59:59Z or 2026-12-31T23:59:59+01:00");
    }
    break;
  default:
    n = parse_tok(P, N_STR, t);
  }
  if (overflow && t.kind == TK_PCT)
    diag_report(P->diag, DIAG_ERR, P->file, t.off, t.len, "percentage too large (limit is %d%%)", PCT_MAX);
  else if (overflow)
    diag_report(P->diag, DIAG_ERR, P->file, t.off, t.len, "%s too large (limit is %lld%s)",
                t.kind == TK_DUR ? "duration" : "number", (long long)INT64_MAX,
                t.kind == TK_DUR ? " seconds" : "");
  return n;
}

/* `max N` inside a list or map type: the INT literal, after checking the word. */
Node *parse_max(Parser *P, Token word, Token n) {
  if (word.len != 3 || memcmp(P->text + word.off, "max", 3)) {
    diag_report(P->diag, DIAG_ERR, P->file, word.off, word.len, "unexpected name '%.*s' in a type",
                (int)(word.len > 40 ? 40 : word.len), P->text + word.off);
    diag_help(P->diag, "a list or map may bound its items: map<string, max 64>");
  }
  return parse_literal(P, n);
}

/* `all t in C: body` (or any, none): a quantifier, as deep as its deepest part. */
Node *parse_quant(Parser *P, Token q, Token var, Node *coll, Node *body) {
  Node *n = parse_expr2(P, N_QUANT, q.kind, coll, body, q.off, node_end(body));
  n->name_off = var.off; n->name_len = var.len;
  return n;
}

/* "model:string" or "n:5" written without a space lexes as one provider:model target;
 * in a field or record position we split it back into a name and a value. */
Node *parse_pair_from_target(Parser *P, int kind, Token t) {
  const char *s = P->text + t.off;
  const char *colon = memchr(s, ':', t.len);
  uint32_t klen = (uint32_t)(colon - s);
  Token v = {TK_IDENT, t.off + klen + 1, t.len - klen - 1};
  const char *vs = P->text + v.off;
  int kw = lex_keyword(vs, v.len);
  Node *n = ast_node(P->arena, kind, P->file, t.off, t.len);
  n->name_len = klen;
  if (kind == N_FIELD) {
    if (memchr(vs, '@', v.len) || memchr(vs, '.', v.len))
      diag_report(P->diag, DIAG_ERR, P->file, v.off, v.len, "expected a type after ':'");
    n->a = parse_tok(P, N_TYPE, v);
    return n;
  }
  /* as with a space after ':', a test input value is a literal, never a bare name */
  if (kw != TK_TRUE && kw != TK_FALSE) {
    diag_report(P->diag, DIAG_ERR, P->file, v.off, v.len, "expected a value after ':'");
    diag_help(P->diag, "strings are quoted: \"%.*s\"", (int)(v.len > 40 ? 40 : v.len), vs);
  }
  n->a = parse_tok(P, kw == TK_TRUE || kw == TK_FALSE ? N_BOOL : N_NAME, v);
  n->a->ival = kw == TK_TRUE;
  return n;
}

void parse_decl(Parser *P, Node *decl) {
  /* a declaration finished after an error inside it is dropped: its parts are suspect */
  if (!P->syntax_error) P->decls = nl_add(P->decls, decl);
}

static int is_decl_keyword(int k) {
  switch (k) {
  case TK_POLICY: case TK_IMPORT: case TK_LEVELS: case TK_INPUT: case TK_SCOPE: case TK_SET:
  case TK_HIERARCHY: case TK_GUARDRAIL: case TK_EXEMPTION: case TK_ROUTE: case TK_BUDGET:
  case TK_TEST: case TK_TABLE: return 1;
  }
  return 0;
}

static int at_line_start(const char *text, uint32_t off) {
  return off == 0 || text[off - 1] == '\n';
}

/* Long tokens are quoted in messages only up to this many bytes, then "...". */
enum { QUOTE_MAX = 40 };
#define QUOTED(t, s) (int)((t).len > QUOTE_MAX ? QUOTE_MAX : (t).len), (s), (t).len > QUOTE_MAX ? "..." : ""

/* `expires "2026-12-31"` and `expires 2026/12/31`: a date in a form the language
 * does not read as one. Only after a syntax error, because elsewhere a string holding
 * a date is an ordinary string. */
static void date_hint(Parser *P, int major, Token t) {
  const char *s = P->text + t.off;
  int64_t v;
  char iso[11];
  if (major == TK_STRING && t.len >= 2 && rt_parse_date(s + 1, t.len - 2, &v) == 0)
    diag_help(P->diag, "a date is written without quotes: %.*s", (int)t.len - 2, s + 1);
  else if (major == TK_STRING && t.len >= 2 && rt_parse_time(s + 1, t.len - 2, 0, &v) == 0)
    diag_help(P->diag, "a timestamp is written without quotes: %.*s", (int)t.len - 2, s + 1);
  else if (major == TK_INT && lex_slashed_date(s, P->diag->files[P->file]->len - t.off, iso))
    diag_help(P->diag, "a date is written with '-': %s", iso);
}

void parse_syntax_error(Parser *P, int major, Token t) {
  if (P->syntax_error) return;
  P->syntax_error = 1;
  const char *s = P->text + t.off;
  if (major == 0) {
    diag_report(P->diag, DIAG_ERR, P->file, t.off, 0, "unexpected end of file");
    diag_help(P->diag, "a declaration is not finished; is a '}' missing?");
    return;
  }
  if (is_decl_keyword(major) && at_line_start(P->text, t.off)) {
    diag_report(P->diag, DIAG_ERR, P->file, t.off, t.len, "unexpected '%.*s'", (int)t.len, s);
    diag_help(P->diag, "the declaration above is not finished; is a '}' missing?");
    return;
  }
  if (major == TK_IDENT) {
    diag_report(P->diag, DIAG_ERR, P->file, t.off, t.len, "unexpected name '%.*s%s'", QUOTED(t, s));
    const char *sug = lex_suggest(s, t.len);
    if (sug) diag_help(P->diag, "did you mean '%s'?", sug);
    return;
  }
  if (lex_keyword(s, t.len) == major)
    diag_report(P->diag, DIAG_ERR, P->file, t.off, t.len, "unexpected keyword '%.*s'", (int)t.len, s);
  else if (major == TK_TARGET)
    diag_report(P->diag, DIAG_ERR, P->file, t.off, t.len, "unexpected target '%.*s%s'", QUOTED(t, s));
  else if (major == TK_STRING || major == TK_INT || major == TK_DATE || major == TK_TIME ||
           major == TK_DUR || major == TK_PCT) {
    diag_report(P->diag, DIAG_ERR, P->file, t.off, t.len, "unexpected %s %.*s%s",
                lex_token_name(major), QUOTED(t, s));
    date_hint(P, major, t);
  } else
    diag_report(P->diag, DIAG_ERR, P->file, t.off, t.len, "unexpected %s", lex_token_name(major));
}

AstFile *parse_file(DiagSink *d, int file, Arena *arena, int keep_comments) {
  Parser P = {arena, d, file, d->files[file]->text, {NULL, NULL}, 0, 0};
  Lexer lx;
  lex_init(&lx, d, file, arena);
  lx.keep_comments = keep_comments;
  void *pp = aigwParseAlloc(malloc, &P);
  if (!pp) { fputs("aigwc: out of memory\n", stderr); exit(2); }
  Token t;
  int depth = 0;          /* bracket depth, for resynchronizing after an error */
  int skipping = 0;
  uint32_t last_end = 0;  /* end of the previous token: "unexpected end of file" points there */
  int prev = 0;
  do {
    lex_next(&lx, &t);
    if (diag_capped(d)) break;
    if (t.kind == 0) t.off = last_end;
    else last_end = tok_end(t);
    if (t.kind == TK_IDENT && prev == TK_EXPECT && t.len == 5 && !memcmp(P.text + t.off, "allow", 5))
      t.kind = TK_ALLOW;   /* see grammar.y */
    prev = t.kind;
    if (skipping) {
      /* skip to a declaration keyword at depth 0, or one that starts a line */
      if (t.kind == 0 || (is_decl_keyword(t.kind) && (depth <= 0 || at_line_start(P.text, t.off)))) {
        skipping = 0; depth = 0;
        aigwParseFree(pp, free);
        pp = aigwParseAlloc(malloc, &P);
        if (!pp) { fputs("aigwc: out of memory\n", stderr); exit(2); }
        P.syntax_error = 0; P.overflow = 0;
        if (t.kind == 0) break;
      } else {
        if (t.kind == TK_LBRACE || t.kind == TK_LPAREN || t.kind == TK_LBRACKET) depth++;
        if (t.kind == TK_RBRACE || t.kind == TK_RPAREN || t.kind == TK_RBRACKET) depth--;
        continue;
      }
    }
    if (t.kind == TK_LBRACE || t.kind == TK_LPAREN || t.kind == TK_LBRACKET) depth++;
    if (t.kind == TK_RBRACE || t.kind == TK_RPAREN || t.kind == TK_RBRACKET) depth--;
    aigwParse(pp, t.kind, t);
    if (P.overflow && !P.syntax_error) {
      diag_report(d, DIAG_ERR, file, t.off, t.len, "nesting too deep (limit is %d levels of parser stack)", P.overflow);
      P.syntax_error = 1;
    }
    if (P.syntax_error) {
      skipping = 1;
      /* the offending token may itself start the next declaration */
      if (is_decl_keyword(t.kind) && at_line_start(P.text, t.off)) {
        depth = 0;
        aigwParseFree(pp, free);
        pp = aigwParseAlloc(malloc, &P);
        if (!pp) { fputs("aigwc: out of memory\n", stderr); exit(2); }
        P.syntax_error = 0; P.overflow = 0; skipping = 0;
        aigwParse(pp, t.kind, t);
        if (P.syntax_error) skipping = 1;
      }
    }
  } while (t.kind != 0);
  aigwParseFree(pp, free);
  AstFile *f = ARENA_NEW(arena, AstFile);
  f->file = file;
  f->decls = P.decls.head;
  f->comments = lx.comments; f->ncomments = lx.ncomments;
  f->text = P.text;
  return f;
}
