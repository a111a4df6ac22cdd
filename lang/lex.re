/* aigwc lexer. Generated into lex.c by re2c; do not edit lex.c.
 *
 * re2c:eof with YYLIMIT means a NUL byte before the end of the buffer is an ordinary
 * (illegal) character, not the end of input. Keywords are looked up after an identifier
 * matches, from the LEX_KEYWORDS list, so one list serves the lexer, "did you mean"
 * and the formatter. */
#include "lex.h"
#include <string.h>

/*!re2c
  re2c:define:YYCTYPE = "unsigned char";
  re2c:yyfill:enable = 0;
  re2c:eof = 0;
  re2c:define:YYCURSOR = "lx->cur";
  re2c:define:YYLIMIT = "lx->lim";
  re2c:define:YYMARKER = "mar";

  digit  = [0-9];
  alpha  = [A-Za-z_];
  word   = [A-Za-z0-9_]+;
  ident  = alpha [A-Za-z0-9_]* ("-" word)*;
  int    = digit+ ("_" digit+)*;
  date   = digit{4} "-" digit{2} "-" digit{2};
  clock  = digit{2} ":" digit{2} ":" digit{2} ("." digit+)?;
  zone   = [zZ] | [+-] digit{2} ":" digit{2};
  stamp  = date [tT] clock zone;
  path   = ident ("." ident)+;
  fref   = "{" (path | ident "[" path "]") "}";
  model  = [A-Za-z] [A-Za-z0-9._-]* | fref;
  region = [A-Za-z0-9] [A-Za-z0-9_-]* | fref;
  target = ident ":" model ("@" region)?;
  u8t    = [\x80-\xbf];
  utf8   = [\xc2-\xdf] u8t | "\xe0" [\xa0-\xbf] u8t | [\xe1-\xec\xee\xef] u8t u8t
         | "\xed" [\x80-\x9f] u8t | "\xf0" [\x90-\xbf] u8t u8t
         | [\xf1-\xf3] u8t u8t u8t | "\xf4" [\x80-\x8f] u8t u8t;
*/

static const struct { const char *s; int tk; } keywords[] = {
#define X(s, t) {s, TK_##t},
  LEX_KEYWORDS(X)
#undef X
};
enum { NKEYWORDS = sizeof keywords / sizeof keywords[0] };

/* strcmp of a keyword with s[0..n), inline: every identifier goes through here */
static int kwcmp(const char *k, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int d = (unsigned char)k[i] - (unsigned char)s[i];   /* k's NUL sorts first */
    if (d) return d;
  }
  return k[n] ? 1 : 0;
}

int lex_keyword(const char *s, size_t n) {
  int lo = 0, hi = NKEYWORDS - 1;     /* the list is kept sorted */
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    const char *k = keywords[mid].s;
    int c = kwcmp(k, s, n);
    if (c == 0) return keywords[mid].tk;
    if (c < 0) lo = mid + 1; else hi = mid - 1;
  }
  return 0;
}

const char *lex_suggest(const char *s, size_t n) {
  const char *best = NULL;
  int bd = 3;
  if (n < 3) return NULL;
  for (int i = 0; i < NKEYWORDS; i++) {
    int d = edit_distance(s, n, keywords[i].s, strlen(keywords[i].s), 2);
    if (d < bd) { bd = d; best = keywords[i].s; }
  }
  return best;
}

const char *lex_token_name(int kind) {
  for (int i = 0; i < NKEYWORDS; i++)
    if (keywords[i].tk == kind) return keywords[i].s;
  switch (kind) {
  case 0: return "end of file";
  case TK_IDENT: return "name"; case TK_STRING: return "string";
  case TK_INT: return "integer"; case TK_DATE: return "date"; case TK_TIME: return "timestamp";
  case TK_DUR: return "duration"; case TK_PCT: return "percentage"; case TK_TARGET: return "target";
  case TK_ALLOW: return "allow";
  case TK_LBRACE: return "'{'"; case TK_RBRACE: return "'}'"; case TK_LPAREN: return "'('";
  case TK_RPAREN: return "')'"; case TK_LBRACKET: return "'['"; case TK_RBRACKET: return "']'";
  case TK_COMMA: return "','"; case TK_COLON: return "':'"; case TK_DOT: return "'.'";
  case TK_ARROW: return "'->'"; case TK_EQ: return "'=='"; case TK_NE: return "'!='";
  case TK_LT: return "'<'"; case TK_LE: return "'<='"; case TK_GT: return "'>'";
  case TK_GE: return "'>='"; case TK_PLUS: return "'+'"; case TK_MINUS: return "'-'";
  case TK_STAR: return "'*'"; case TK_SLASH: return "'/'"; case TK_ASSIGN: return "'='";
  case TK_AMP: return "'&'";
  }
  return "token";
}

/* For hints: `2026/12/31`, a date written with slashes, which reads as numbers and
 * division. The length of that text at s (0 if there is none), and the date as the
 * language writes it, YYYY-MM-DD, in iso. */
size_t lex_slashed_date(const char *s, size_t n, char iso[11]) {
  size_t i = 0, at = 0;
  for (int p = 0; p < 3; p++) {
    size_t from = i;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - from < 5) i++;
    size_t w = i - from;
    if (p == 0 ? w != 4 : (w < 1 || w > 2)) return 0;
    if (p && w == 1) iso[at++] = '0';
    memcpy(iso + at, s + from, w);
    at += w;
    iso[at++] = p < 2 ? '-' : '\0';
    if (p < 2 && (i >= n || s[i++] != '/')) return 0;
  }
  return i;
}

/* A UTF-8 byte order mark, which some editors write, is skipped. */
static const unsigned char *skip_bom(const unsigned char *p, const unsigned char *lim) {
  return lim - p >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF ? p + 3 : p;
}

void lex_init(Lexer *lx, DiagSink *d, int file, Arena *arena) {
  memset(lx, 0, sizeof *lx);
  Source *s = d->files[file];
  lx->start = lx->cur = (const unsigned char *)s->text;
  lx->lim = lx->start + s->len;
  lx->cur = skip_bom(lx->cur, lx->lim);
  lx->file = file; lx->diag = d; lx->arena = arena;
}

static uint32_t off(Lexer *lx, const unsigned char *p) { return (uint32_t)(p - lx->start); }

static void err(Lexer *lx, const unsigned char *p, uint32_t len, const char *msg) {
  diag_report(lx->diag, DIAG_ERR, lx->file, off(lx, p), len, "%s", msg);
}

static void keep_comment(Lexer *lx, const unsigned char *p) {
  if (!lx->keep_comments) return;
  if (lx->ncomments == lx->capcomments) {
    uint32_t cap = lx->capcomments ? lx->capcomments * 2 : 64;
    Comment *c = arena_alloc(lx->arena, sizeof *c * cap);
    if (lx->ncomments) memcpy(c, lx->comments, sizeof *c * lx->ncomments);
    lx->comments = c; lx->capcomments = cap;
  }
  lx->comments[lx->ncomments++] = (Comment){off(lx, p), (uint32_t)(lx->cur - p)};
}

static void unterminated(Lexer *lx, const unsigned char *open, int at_newline) {
  err(lx, open, 1, "unterminated string");
  if (at_newline) diag_help(lx->diag, "a string ends on the line where it starts; write a line break as \\n");
}

static void bad_escape(Lexer *lx, const unsigned char *p) {
  err(lx, p, 2, "invalid escape sequence in string");
  diag_help(lx->diag, "the escapes are \\\" \\\\ \\/ \\n \\r \\t \\0 \\{ \\} and \\uXXXX");
}

/* The body of a string after its opening quote. Errors are reported and the string is
 * still returned as a token, so one bad escape costs one diagnostic. */
static void lex_string(Lexer *lx, const unsigned char *open) {
  const unsigned char *mar;
  int reported = 0;
  for (;;) {
    const unsigned char *p = lx->cur;
    (void)mar;
    /*!re2c
      ["]                          { break; }
      "\\" ["\\/nrt{}0]            { continue; }
      "\\u" [0-9a-fA-F]{4}         { continue; }
      "\\" [^]                     { if (!reported++) bad_escape(lx, p); continue; }
      "\\"                         { continue; }   /* a backslash right before the end of input */
      [\n\r]                       { lx->cur = p; unterminated(lx, open, 1); return; }
      $                            { unterminated(lx, open, 0); return; }
      "\x00"                       { if (!reported++) err(lx, p, 1, "NUL byte in string"); continue; }
      [\x01-\x09\x0b\x0c\x0e-\x1f\x7f] { if (!reported++) err(lx, p, 1, "control character in string (use an escape)"); continue; }
      [\x20-\x7e] \ ["\\] | utf8   { continue; }
      [^]                          { if (!reported++) err(lx, p, 1, "invalid UTF-8 in string"); continue; }
    */
  }
  if (lx->cur - open - 2 > LEX_MAX_STRING)
    diag_report(lx->diag, DIAG_ERR, lx->file, off(lx, open), 1,
                "string too long (limit is %d bytes)", LEX_MAX_STRING);
}

static void lex_block_comment(Lexer *lx, const unsigned char *open) {
  for (;;) {
    /*!re2c
      "*" "/"  { keep_comment(lx, open); return; }
      $        { err(lx, open, 2, "unterminated comment"); return; }
      [^]      { continue; }
    */
  }
}

static void bad_number(Lexer *lx, const unsigned char *p) {
  uint32_t n = (uint32_t)(lx->cur - p);
  diag_report(lx->diag, DIAG_ERR, lx->file, off(lx, p), n, "invalid number '%.*s'",
              (int)(n > 40 ? 40 : n), (const char *)p);
  diag_help(lx->diag, "a duration is digits and one unit: 30d, 12h, 15m, 45s or 2w");
}

/* A printable character that starts no token; the usual slips get a hint. */
static void bad_char(Lexer *lx, const unsigned char *p, uint32_t n) {
  if (*p == '\'') diag_report(lx->diag, DIAG_ERR, lx->file, off(lx, p), n, "unexpected \"'\"");
  else diag_report(lx->diag, DIAG_ERR, lx->file, off(lx, p), n, "unexpected '%.*s'", (int)n, (const char *)p);
  const char *help = NULL;
  switch (*p) {
  case '&': help = "write 'and'"; break;
  case '|': help = n == 2 ? "write 'or'" : NULL; break;
  case '!': help = "write 'not', or '!=' for inequality"; break;
  case ';': help = "declarations and items need no ';'"; break;
  }
  if (help) diag_help(lx->diag, "%s", help);
}

void lex_next(Lexer *lx, Token *t) {
  const unsigned char *mar;
  for (;;) {
    const unsigned char *p = lx->cur;
    int k = 0;
    (void)mar;
#define TOK(kind) do { k = (kind); goto out; } while (0)
    /*!re2c
      $                    { t->kind = 0; t->off = off(lx, p); t->len = 0; return; }
      [ \t\r\n]+           { continue; }
      "#" [^\n\x00]*       { keep_comment(lx, p); continue; }
      "/*"                 { lex_block_comment(lx, p); continue; }
      ["]                  { lex_string(lx, p); TOK(TK_STRING); }
      stamp                { TOK(TK_TIME); }
      date                 { TOK(TK_DATE); }
      int [wdhms]          { TOK(TK_DUR); }
      int ("." digit{1,2})? "%"  { TOK(TK_PCT); }
      int                  { TOK(TK_INT); }
      /* Near misses are still one token of the intended kind, so that the parser's
       * literal check reports them once ("invalid date '2026-2-30'") and nothing cascades. */
      date [tT] [0-9A-Za-z:.+-]* { TOK(TK_TIME); }
      digit{4} "-" digit{1,2} "-" digit{1,2} { TOK(TK_DATE); }
      int [A-Za-z_] [A-Za-z0-9_]* { bad_number(lx, p); TOK(TK_INT); }
      target               { TOK(TK_TARGET); }
      ident                { k = lex_keyword((const char *)p, (size_t)(lx->cur - p)); TOK(k ? k : TK_IDENT); }
      "{"  { TOK(TK_LBRACE); }   "}"  { TOK(TK_RBRACE); }
      "("  { TOK(TK_LPAREN); }   ")"  { TOK(TK_RPAREN); }
      "["  { TOK(TK_LBRACKET); } "]"  { TOK(TK_RBRACKET); }
      ","  { TOK(TK_COMMA); }    ":"  { TOK(TK_COLON); }
      "."  { TOK(TK_DOT); }      "->" { TOK(TK_ARROW); }
      "==" { TOK(TK_EQ); }       "!=" { TOK(TK_NE); }
      "<=" { TOK(TK_LE); }       ">=" { TOK(TK_GE); }
      "<"  { TOK(TK_LT); }       ">"  { TOK(TK_GT); }
      "+"  { TOK(TK_PLUS); }     "-"  { TOK(TK_MINUS); }
      "*"  { TOK(TK_STAR); }     "/"  { TOK(TK_SLASH); }
      "="  { TOK(TK_ASSIGN); }   "&"  { TOK(TK_AMP); }
      "\x00"               { err(lx, p, 1, "NUL byte in source"); continue; }
      /* C's spellings are reported and then read as meant, so one slip is one error */
      "&&"                 { bad_char(lx, p, 2); TOK(TK_AND); }
      "||"                 { bad_char(lx, p, 2); TOK(TK_OR); }
      "!"                  { bad_char(lx, p, 1); TOK(TK_NOT); }
      ['] [^'\n\r\x00]* [']  { err(lx, p, (uint32_t)(lx->cur - p), "unexpected single-quoted string");
                             diag_help(lx->diag, "strings are written in double quotes");
                             TOK(TK_STRING); }
      [\x21-\x7e]          { bad_char(lx, p, 1); continue; }
      [\x80-\xff]+         { err(lx, p, 1, "unexpected non-ASCII text outside a string"); continue; }
      [^]                  { diag_report(lx->diag, DIAG_ERR, lx->file, off(lx, p), 1,
                                         "unexpected control character (byte 0x%02x)", *p); continue; }
    */
  out:
#undef TOK
    t->kind = k; t->off = off(lx, p); t->len = (uint32_t)(lx->cur - p);
    return;
  }
}

/* ---- literal decoding ---- */

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes escapes. An invalid one (\q) was already reported by the lexer, which fails
 * the compilation; here it decodes to the bare character.
 * The output is never longer than the input, so a buffer of n bytes suffices. */
size_t lex_unescape(const char *s, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '\\' || i + 1 >= n) { out[o++] = s[i]; continue; }
    char c = s[++i];
    switch (c) {
    case 'n': out[o++] = '\n'; break;
    case 'r': out[o++] = '\r'; break;
    case 't': out[o++] = '\t'; break;
    case '0': out[o++] = '\0'; break;
    case 'u': {
      if (i + 4 >= n) { out[o++] = '\\'; out[o++] = c; break; }
      int h[4], ok = 1;
      for (int j = 0; j < 4; j++) { h[j] = i + 1 + (size_t)j < n ? hexval(s[i + 1 + j]) : -1; ok &= h[j] >= 0; }
      if (!ok) { out[o++] = '\\'; out[o++] = c; break; }
      unsigned cp = (unsigned)(h[0] << 12 | h[1] << 8 | h[2] << 4 | h[3]);
      i += 4;
      /* \u escapes produce at most 3 bytes for 6 input bytes; surrogates become U+FFFD */
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
      if (cp < 0x80) out[o++] = (char)cp;
      else if (cp < 0x800) { out[o++] = (char)(0xC0 | cp >> 6); out[o++] = (char)(0x80 | (cp & 63)); }
      else { out[o++] = (char)(0xE0 | cp >> 12); out[o++] = (char)(0x80 | (cp >> 6 & 63)); out[o++] = (char)(0x80 | (cp & 63)); }
      break;
    }
    default: out[o++] = c;   /* \" \\ \/ \{ \} */
    }
  }
  return o;
}
