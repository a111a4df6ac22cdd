/* The parser driver: pulls tokens from the lexer, feeds the lemon parser, and recovers
 * from syntax errors by skipping to the next declaration keyword, so a file with five
 * broken declarations yields five diagnostics and no cascade. */
#ifndef AIGW_PARSE_H
#define AIGW_PARSE_H
#include "ast.h"
#include "diag.h"
#include "lex.h"

typedef struct NodeList { Node *head, *tail; } NodeList;

typedef struct Parser {
  Arena *arena;
  DiagSink *diag;
  int file;
  const char *text;
  NodeList decls;
  int syntax_error;      /* set by %syntax_error, cleared by the driver on resync */
  int overflow;
} Parser;

/* lemon's interface (grammar.c), declared here so the generated file compiles cleanly */
void *aigwParseAlloc(void *(*)(size_t), Parser *);
void  aigwParseInit(void *, Parser *);
void  aigwParseFinalize(void *);
void  aigwParseFree(void *, void (*)(void *));
void  aigwParse(void *, int, Token);
void  aigwParseTrace(FILE *, char *);
int   aigwParseFallback(int);

/* Parse one loaded source. keep_comments is for the formatter. */
AstFile *parse_file(DiagSink *d, int file, Arena *arena, int keep_comments);

/* Used by grammar actions. */
Node *parse_tok(Parser *P, int kind, Token t);
Node *parse_expr2(Parser *P, int kind, int op, Node *a, Node *b, uint32_t off, uint32_t end);
Node *parse_literal(Parser *P, Token t);
Node *parse_call(Parser *P, Token name, Node *args, uint32_t end);
Node *parse_pair_from_target(Parser *P, int kind, Token t);
Node *parse_max(Parser *P, Token word, Token n);
Node *parse_quant(Parser *P, Token q, Token var, Node *coll, Node *body);
void  parse_decl(Parser *P, Node *decl);
void  parse_syntax_error(Parser *P, int major, Token t);
static inline NodeList nl_one(Node *n) { NodeList l = {n, n}; return l; }
static inline NodeList nl_add(NodeList l, Node *n) {
  if (!n) return l;
  if (!l.head) return nl_one(n);
  l.tail->next = n; l.tail = n;
  return l;
}
static inline uint32_t tok_end(Token t) { return t.off + t.len; }
static inline uint32_t node_end(const Node *n) { return n->off + n->len; }

#endif
