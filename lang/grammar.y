/* The aigwc grammar (lemon). Generated into grammar.c/grammar.h; do not edit those.
 * Every declaration action hands its node to parse_decl(), so when the driver throws
 * the parser away to recover from an error, nothing already parsed is lost. The AST
 * lives in the compilation's arena, so no nonterminal needs a %destructor. */

%include {
#include <assert.h>
#include <string.h>
#include "parse.h"
#define N(kind, t) ast_node(P->arena, N_##kind, P->file, (t).off, (t).len)
#define SPAN(n, from, to) do { (n)->off = (from); (n)->len = (to) - (from); } while (0)
}

%name aigwParse
%token_prefix TK_
%token_type {Token}
%default_type {Node *}
%extra_context {Parser *P}
%default_destructor { (void)P; (void)yypminor; }
%stack_size 4000
%stack_overflow { P->overflow = YYSTACKDEPTH; }   /* the driver reports the limit */
%syntax_error { parse_syntax_error(P, yymajor, yyminor); }

/* Token order fixes the codes; keep IDENT first so fallback works. */
%token IDENT STRING INT DATE TIME DUR PCT TARGET.
%token LBRACE RBRACE LPAREN RPAREN LBRACKET RBRACKET COMMA COLON DOT ARROW ASSIGN.
%token POLICY IMPORT LEVELS INPUT SCOPE SET HIERARCHY GUARDRAIL EXEMPTION ROUTE BUDGET TEST.
%token SEVERITY DENY WARN AUDIT WHEN MESSAGE MODE ONERROR WAIVES OWNER CREATED EXPIRES.
%token CATEGORY REASON CONTROLS TICKET SPLIT BY DEFAULT KEY LIMIT PER AT NOW NEVER EXPECT.
%token TRUE FALSE NOTIN.
/* "allow" is a keyword only right after "expect" (the driver retypes it there): were it a
 * name, lemon's fallback would read the next item's keyword as a guardrail name after
 * "expect allow", because that state reduces by default. */
%token ALLOW.
%token STARTS RENEWS CHARGE.
%token TABLE WINDOW CACHE ALL ANY NONE AMP.

/* Keywords double as names (a field may be called "scope" or "key"). */
%fallback IDENT POLICY IMPORT LEVELS INPUT SCOPE SET HIERARCHY GUARDRAIL EXEMPTION ROUTE
  BUDGET TEST SEVERITY DENY WARN AUDIT WHEN MESSAGE MODE ONERROR WAIVES OWNER CREATED
  EXPIRES CATEGORY REASON CONTROLS TICKET SPLIT BY DEFAULT KEY LIMIT PER AT NOW NEVER
  EXPECT UNDER STARTS RENEWS CHARGE TABLE WINDOW CACHE ALL ANY NONE.

/* A quantifier's body reaches as far right as it can: `all t in S: a or b` is
 * `all t in S: (a or b)`, as a lambda's body does. */
%right QUANT.
%left OR.
%left AND.
%right NOT.
%nonassoc EQ NE LT LE GT GE IN UNDER.
%left PLUS MINUS.
%left STAR SLASH AMP.
%right UMINUS.

%type dotted {Node *}
%type nlist {NodeList}
%type items {NodeList}
%type fields {NodeList}
%type levlist {NodeList}
%type edges {NodeList}
%type lits {NodeList}
%type scopes {NodeList}
%type names {NodeList}
%type strs {NodeList}
%type targets {NodeList}
%type arms {NodeList}
%type rules {NodeList}
%type pairs {NodeList}
%type values {NodeList}
%type args {NodeList}
%type exprs {NodeList}
%type entries {NodeList}

file ::= decls.
decls ::= .
decls ::= decls decl.

/* ---- declarations ---- */

decl ::= POLICY(K) dotted(D).        { Node *n = N(POLICY, K); n->a = D; SPAN(n, K.off, node_end(D)); parse_decl(P, n); }
decl ::= IMPORT(K) dotted(D).        { Node *n = N(IMPORT, K); n->a = D; SPAN(n, K.off, node_end(D)); parse_decl(P, n); }
dotted(A) ::= IDENT(X).              { A = N(NAME, X); }
dotted(A) ::= dotted(B) DOT(D) IDENT(X). {
  /* a package name is one word: "contoso.ai", never "contoso . ai" */
  if (node_end(B) != D.off || tok_end(D) != X.off)
    diag_report(P->diag, DIAG_ERR, P->file, D.off, 1, "no spaces around '.' in a package name");
  A = B; SPAN(A, A->off, tok_end(X)); A->name_len = A->len; }

decl ::= LEVELS(K) IDENT(X) LBRACE levlist(L) RBRACE(E). {
  Node *n = N(LEVELS, K); n->name_off = X.off; n->name_len = X.len; n->a = L.head;
  SPAN(n, K.off, tok_end(E)); parse_decl(P, n); }
levlist(A) ::= IDENT(X).                  { A = nl_one(N(NAME, X)); }
levlist(A) ::= levlist(B) LT IDENT(X).    { A = nl_add(B, N(NAME, X)); }

decl ::= INPUT(K) IDENT(X) LBRACE fields(F) RBRACE(E). {
  Node *n = N(INPUT, K); n->name_off = X.off; n->name_len = X.len; n->a = F.head;
  SPAN(n, K.off, tok_end(E)); parse_decl(P, n); }
fields(A) ::= .                           { A.head = A.tail = NULL; }
fields(A) ::= fields(B) field(F).         { A = nl_add(B, F); }
fields(A) ::= fields(B) COMMA.            { A = B; }
field(A) ::= IDENT(X) COLON type(T).      { A = N(FIELD, X); A->a = T; SPAN(A, X.off, node_end(T)); }
field(A) ::= TARGET(X).                   { A = parse_pair_from_target(P, N_FIELD, X); }
field(A) ::= TARGET(X) LT type(T) GT(E).  {
  A = parse_pair_from_target(P, N_FIELD, X); A->a->a = T; SPAN(A->a, A->a->off, tok_end(E)); A->len = tok_end(E) - A->off; }
field(A) ::= TARGET(X) LT type(T) COMMA IDENT(M) INT(K) GT(E). {
  A = parse_pair_from_target(P, N_FIELD, X); A->a->a = T; A->a->b = parse_max(P, M, K);
  SPAN(A->a, A->a->off, tok_end(E)); A->len = tok_end(E) - A->off; }
type(A) ::= IDENT(X).                     { A = N(TYPE, X); }
type(A) ::= IDENT(X) LT type(T) GT(E).    { A = N(TYPE, X); A->a = T; SPAN(A, X.off, tok_end(E)); }
/* `map<string, max 64>`: the most items an input may give the field */
type(A) ::= IDENT(X) LT type(T) COMMA IDENT(M) INT(K) GT(E). {
  A = N(TYPE, X); A->a = T; A->b = parse_max(P, M, K); SPAN(A, X.off, tok_end(E)); }

decl ::= SCOPE(K) IDENT(X) ASSIGN STRING(S). {
  Node *n = N(SCOPE, K); n->name_off = X.off; n->name_len = X.len; n->a = N(STR, S);
  SPAN(n, K.off, tok_end(S)); parse_decl(P, n); }

decl ::= HIERARCHY(K) LBRACE edges(L) RBRACE(E). {
  Node *n = N(HIERARCHY, K); n->a = L.head; SPAN(n, K.off, tok_end(E)); parse_decl(P, n); }
edges(A) ::= .                            { A.head = A.tail = NULL; }
edges(A) ::= edges(B) scoperef(C) IN scoperef(D). {
  Node *e = ast_node(P->arena, N_EDGE, P->file, C->off, node_end(D) - C->off); e->a = C; e->b = D;
  A = nl_add(B, e); }
scoperef(A) ::= IDENT(X).                 { A = N(NAME, X); }
scoperef(A) ::= STRING(X).                { A = N(STR, X); }

/* A set is its members, or set algebra over named sets and member lists:
 * `eu_models + global_models` (union), `&` (intersection), `-` (difference). */
decl ::= SET(K) IDENT(X) ASSIGN setx(S). {
  Node *n = N(SET, K); n->name_off = X.off; n->name_len = X.len;
  if (S->kind == N_LIST && !(S->flags & AST_PAREN)) n->a = S->a; else n->b = S;
  SPAN(n, K.off, node_end(S)); parse_decl(P, n); }
setx(A) ::= LBRACE(L) lits(M) RBRACE(E).  { A = N(LIST, L); A->a = M.head; SPAN(A, L.off, tok_end(E)); }
setx(A) ::= LBRACE(L) lits(M) COMMA RBRACE(E). { A = N(LIST, L); A->a = M.head; SPAN(A, L.off, tok_end(E)); }
setx(A) ::= IDENT(X).                     { A = N(NAME, X); }
setx(A) ::= LPAREN(L) setx(B) RPAREN(R).  { A = B; SPAN(A, L.off, tok_end(R)); A->flags |= AST_PAREN; }
setx(A) ::= setx(B) PLUS(O) setx(C).      { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
setx(A) ::= setx(B) MINUS(O) setx(C).     { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
setx(A) ::= setx(B) AMP(O) setx(C).       { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
lits(A) ::= literal(L).                   { A = nl_one(L); }
lits(A) ::= lits(B) COMMA literal(L).     { A = nl_add(B, L); }

/* A table: constant keys (strings or integers) to constant values, and what a key it
 * does not hold gives, when anything. */
decl ::= TABLE(K) IDENT(X) ASSIGN LBRACE entries(M) RBRACE(E). { table_decl(P, K, X, M.head, NULL, tok_end(E)); }
decl ::= TABLE(K) IDENT(X) ASSIGN LBRACE entries(M) COMMA RBRACE(E). { table_decl(P, K, X, M.head, NULL, tok_end(E)); }
decl ::= TABLE(K) IDENT(X) ASSIGN LBRACE entries(M) RBRACE DEFAULT tvalue(V). {
  table_decl(P, K, X, M.head, V, node_end(V)); }
decl ::= TABLE(K) IDENT(X) ASSIGN LBRACE entries(M) COMMA RBRACE DEFAULT tvalue(V). {
  table_decl(P, K, X, M.head, V, node_end(V)); }
%include {
static void table_decl(Parser *P, Token k, Token x, Node *entries, Node *dflt, uint32_t end) {
  Node *n = N(TABLE, k); n->name_off = x.off; n->name_len = x.len; n->a = entries; n->b = dflt;
  SPAN(n, k.off, end); parse_decl(P, n);
}
}
entries(A) ::= entry(E).                  { A = nl_one(E); }
entries(A) ::= entries(B) COMMA entry(E). { A = nl_add(B, E); }
entry(A) ::= literal(K) COLON tvalue(V).  {
  A = ast_node(P->arena, N_ENTRY, P->file, K->off, node_end(V) - K->off); A->a = K; A->b = V; }
tvalue(A) ::= literal(L).                 { A = L; }
tvalue(A) ::= IDENT(X).                   { A = N(NAME, X); }

decl ::= GUARDRAIL(K) IDENT(X) LBRACE items(L) RBRACE(E). {
  Node *n = N(GUARDRAIL, K); n->name_off = X.off; n->name_len = X.len; n->a = L.head;
  SPAN(n, K.off, tok_end(E)); parse_decl(P, n); }
decl ::= EXEMPTION(K) IDENT(X) LBRACE items(L) RBRACE(E). {
  Node *n = N(EXEMPTION, K); n->name_off = X.off; n->name_len = X.len; n->a = L.head;
  SPAN(n, K.off, tok_end(E)); parse_decl(P, n); }
decl ::= BUDGET(K) IDENT(X) LBRACE items(L) RBRACE(E). {
  Node *n = N(BUDGET, K); n->name_off = X.off; n->name_len = X.len; n->a = L.head;
  SPAN(n, K.off, tok_end(E)); parse_decl(P, n); }
decl ::= TEST(K) STRING(X) LBRACE items(L) RBRACE(E). {
  Node *n = N(TEST, K); n->name_off = X.off; n->name_len = X.len; n->a = L.head;
  SPAN(n, K.off, tok_end(E)); parse_decl(P, n); }

/* Items of guardrails, exemptions, budgets and tests share one list; the compiler
 * checks that each item belongs to its declaration and says which do. */
items(A) ::= .                            { A.head = A.tail = NULL; }
items(A) ::= items(B) item(I).            { A = nl_add(B, I); }

%include {
static Node *prop(Parser *P, Token k, Node *a, Node *b, uint32_t end) {
  Node *n = ast_node(P->arena, N_PROP, P->file, k.off, end - k.off);
  n->op = (uint16_t)k.kind; n->a = a; n->b = b;
  return n;
}
}
item(A) ::= SEVERITY(K) IDENT(X).         { A = prop(P, K, N(NAME, X), NULL, tok_end(X)); }
item(A) ::= DENY(K) WHEN expr(E).         { A = prop(P, K, E, NULL, node_end(E)); }
item(A) ::= WARN(K) WHEN expr(E).         { A = prop(P, K, E, NULL, node_end(E)); }
item(A) ::= AUDIT(K) WHEN expr(E).        { A = prop(P, K, E, NULL, node_end(E)); }
item(A) ::= MESSAGE(K) STRING(S).         { A = prop(P, K, N(STR, S), NULL, tok_end(S)); }
item(A) ::= SCOPE(K) scopes(L).           { A = prop(P, K, L.head, NULL, node_end(L.tail)); }
item(A) ::= MODE(K) IDENT(X).             { A = prop(P, K, N(NAME, X), NULL, tok_end(X)); }
item(A) ::= ONERROR(K) IDENT(X).          { A = prop(P, K, N(NAME, X), NULL, tok_end(X)); }
item(A) ::= ONERROR(K) DENY(X).           { A = prop(P, K, N(NAME, X), NULL, tok_end(X)); }
item(A) ::= WAIVES(K) names(L).           { A = prop(P, K, L.head, NULL, node_end(L.tail)); }
item(A) ::= WHEN(K) expr(E).              { A = prop(P, K, E, NULL, node_end(E)); }
item(A) ::= OWNER(K) STRING(S).           { A = prop(P, K, N(STR, S), NULL, tok_end(S)); }
item(A) ::= CREATED(K) moment(M).         { A = prop(P, K, M, NULL, node_end(M)); }
item(A) ::= EXPIRES(K) moment(M).         { A = prop(P, K, M, NULL, node_end(M)); }
item(A) ::= STARTS(K) moment(M).          { A = prop(P, K, M, NULL, node_end(M)); }
item(A) ::= EXPIRES(K) NEVER(X).          { A = prop(P, K, N(NEVER, X), NULL, tok_end(X)); }
item(A) ::= CATEGORY(K) IDENT(X).         { A = prop(P, K, N(NAME, X), NULL, tok_end(X)); }
item(A) ::= REASON(K) STRING(S).          { A = prop(P, K, N(STR, S), NULL, tok_end(S)); }
item(A) ::= CONTROLS(K) LBRACKET strs(L) RBRACKET(E). { A = prop(P, K, L.head, NULL, tok_end(E)); }
item(A) ::= CONTROLS(K) LBRACKET strs(L) COMMA RBRACKET(E). { A = prop(P, K, L.head, NULL, tok_end(E)); }
item(A) ::= CONTROLS(K) LBRACKET RBRACKET(E). { A = prop(P, K, NULL, NULL, tok_end(E)); }
item(A) ::= TICKET(K) STRING(S).          { A = prop(P, K, N(STR, S), NULL, tok_end(S)); }
item(A) ::= RENEWS(K) IDENT(X).           { A = prop(P, K, N(NAME, X), NULL, tok_end(X)); }
item(A) ::= KEY(K) expr(E).               { A = prop(P, K, E, NULL, node_end(E)); }
item(A) ::= CHARGE(K) expr(E).            { A = prop(P, K, E, NULL, node_end(E)); }
/* `limit 100 requests per minute`, `limit team_limits[request.team] tokens per 5 minutes` */
item(A) ::= LIMIT(K) primary(X) IDENT(U) PER window(W). {
  A = prop(P, K, X, N(NAME, U), node_end(W)); A->a->next = W; }
item(A) ::= WINDOW(K) IDENT(X).           { A = prop(P, K, N(NAME, X), NULL, tok_end(X)); }
item(A) ::= WARN(K) AT PCT(X).            { A = prop(P, K, parse_literal(P, X), NULL, tok_end(X)); }
item(A) ::= NOW(K) moment(M).             { A = prop(P, K, M, NULL, node_end(M)); }
item(A) ::= INPUT(K) record(R).           { A = prop(P, K, R, NULL, node_end(R)); }
item(A) ::= EXPECT(K) DENY(X).            { A = prop(P, K, N(NAME, X), NULL, tok_end(X)); }
item(A) ::= EXPECT(K) ALLOW(X).           { A = prop(P, K, N(NAME, X), NULL, tok_end(X)); }
item(A) ::= EXPECT(K) IDENT(X) enames(L). { A = prop(P, K, N(NAME, X), L.head, node_end(L.tail)); }
item(A) ::= EXPECT(K) IDENT(X) IDENT(G) BY IDENT(E). {
  A = prop(P, K, N(NAME, X), N(NAME, G), tok_end(E)); A->b->next = N(NAME, E); }
item(A) ::= EXPECT(K) ROUTE(X) IDENT(R).  { A = prop(P, K, N(NAME, X), N(NAME, R), tok_end(R)); }
item(A) ::= EXPECT(K) ROUTE(X) IDENT(R) ARROW targets(L). {
  A = prop(P, K, N(NAME, X), N(NAME, R), node_end(L.tail)); A->b->next = L.head; }
item(A) ::= EXPECT(K) BUDGET(X) IDENT(B). { A = prop(P, K, N(NAME, X), N(NAME, B), tok_end(B)); }

window(A) ::= IDENT(X).                   { A = N(NAME, X); }
window(A) ::= DUR(X).                     { A = parse_literal(P, X); }
window(A) ::= INT(X) IDENT(U).            { A = parse_literal(P, X); A->a = N(NAME, U); SPAN(A, X.off, tok_end(U)); }

moment(A) ::= DATE(X).                    { A = parse_literal(P, X); }
moment(A) ::= TIME(X).                    { A = parse_literal(P, X); }

scopes(A) ::= scoperef(S).                { A = nl_one(S); }
scopes(A) ::= scopes(B) COMMA scoperef(S). { A = nl_add(B, S); }
/* what an expect names: guardrails, and the findings that are not a guardrail's, written
 * budget:NAME and route:NAME (one token, the lexer's target shape) */
%type enames {NodeList}
enames(A) ::= IDENT(X).                   { A = nl_one(N(NAME, X)); }
enames(A) ::= TARGET(X).                  { A = nl_one(N(NAME, X)); }
enames(A) ::= enames(B) COMMA IDENT(X).   { A = nl_add(B, N(NAME, X)); }
enames(A) ::= enames(B) COMMA TARGET(X).  { A = nl_add(B, N(NAME, X)); }
names(A) ::= IDENT(X).                    { A = nl_one(N(NAME, X)); }
names(A) ::= names(B) COMMA IDENT(X).     { A = nl_add(B, N(NAME, X)); }
strs(A) ::= STRING(S).                    { A = nl_one(N(STR, S)); }
strs(A) ::= strs(B) COMMA STRING(S).      { A = nl_add(B, N(STR, S)); }

/* ---- routes ---- */

decl ::= ROUTE(K) IDENT(X) LBRACE rules(L) RBRACE(E). {
  Node *n = N(ROUTE, K); n->name_off = X.off; n->name_len = X.len; n->a = L.head;
  SPAN(n, K.off, tok_end(E)); parse_decl(P, n); }
/* `route chat cache 1h by request.prompt_hash { … }`: every rule's cache hint, unless
 * the rule gives its own */
decl ::= ROUTE(K) IDENT(X) cache(C) LBRACE rules(L) RBRACE(E). {
  Node *n = N(ROUTE, K); n->name_off = X.off; n->name_len = X.len; n->a = L.head; n->b = C;
  SPAN(n, K.off, tok_end(E)); parse_decl(P, n); }
cache(A) ::= CACHE(K) DUR(D) BY expr(E).  {
  A = N(CACHE, K); A->b = parse_literal(P, D); A->a = E; SPAN(A, K.off, node_end(E)); }
rules(A) ::= .                            { A.head = A.tail = NULL; }
rules(A) ::= rules(B) rule(R).            { A = nl_add(B, R); }
rule(A) ::= WHEN(K) expr(E) ARROW targets(L). {
  A = N(RULE, K); A->a = E; A->b = L.head; SPAN(A, K.off, node_end(L.tail)); }
rule(A) ::= DEFAULT(K) ARROW targets(L).  { A = N(DEFAULT, K); A->b = L.head; SPAN(A, K.off, node_end(L.tail)); }
rule(A) ::= SPLIT(K) BY expr(E) LBRACE arms(L) RBRACE(R). {
  A = N(SPLIT, K); A->a = E; A->b = L.head; SPAN(A, K.off, tok_end(R)); }
rule(A) ::= SPLIT(K) BY expr(E) LBRACE arms(L) COMMA RBRACE(R). {
  A = N(SPLIT, K); A->a = E; A->b = L.head; SPAN(A, K.off, tok_end(R)); }
/* a rule's own response cache hint follows its targets */
rule(A) ::= WHEN(K) expr(E) ARROW targets(L) cache(C). {
  A = N(RULE, K); A->a = E; E->next = C; A->b = L.head; SPAN(A, K.off, node_end(C)); }
rule(A) ::= DEFAULT(K) ARROW targets(L) cache(C). {
  A = N(DEFAULT, K); A->a = C; A->b = L.head; SPAN(A, K.off, node_end(C)); }
rule(A) ::= SPLIT(K) BY expr(E) LBRACE arms(L) RBRACE cache(C). {
  A = N(SPLIT, K); A->a = E; E->next = C; A->b = L.head; SPAN(A, K.off, node_end(C)); }
rule(A) ::= SPLIT(K) BY expr(E) LBRACE arms(L) COMMA RBRACE cache(C). {
  A = N(SPLIT, K); A->a = E; E->next = C; A->b = L.head; SPAN(A, K.off, node_end(C)); }
targets(A) ::= target(T).                 { A = nl_one(T); }
targets(A) ::= targets(B) COMMA target(T). { A = nl_add(B, T); }
target(A) ::= TARGET(X).                  { A = N(TARGET, X); }
target(A) ::= STRING(X).                  { A = N(TARGET, X); A->flags = 1; }
arms(A) ::= arm(R).                       { A = nl_one(R); }
arms(A) ::= arms(B) COMMA arm(R).         { A = nl_add(B, R); }
arm(A) ::= PCT(W) target(T).              { A = N(ARM, W); A->ival = parse_literal(P, W)->ival; A->a = T; SPAN(A, W.off, node_end(T)); }

/* ---- literals and test inputs ---- */

literal(A) ::= STRING(X).                 { A = N(STR, X); }
literal(A) ::= INT(X).                    { A = parse_literal(P, X); }
literal(A) ::= MINUS(M) INT(X).           { A = parse_literal(P, X); A->ival = -A->ival; SPAN(A, M.off, tok_end(X)); }
literal(A) ::= DATE(X).                   { A = parse_literal(P, X); }
literal(A) ::= TIME(X).                   { A = parse_literal(P, X); }
literal(A) ::= DUR(X).                    { A = parse_literal(P, X); }
literal(A) ::= PCT(X).                    { A = parse_literal(P, X); }
literal(A) ::= TRUE(X).                   { A = N(BOOL, X); A->ival = 1; }
literal(A) ::= FALSE(X).                  { A = N(BOOL, X); }

record(A) ::= LBRACE(L) pairs(B) RBRACE(R). { A = N(RECORD, L); A->a = B.head; SPAN(A, L.off, tok_end(R)); }
pairs(A) ::= .                            { A.head = A.tail = NULL; }
pairs(A) ::= pairs(B) pair(C).            { A = nl_add(B, C); }
pairs(A) ::= pairs(B) COMMA.              { A = B; }
pair(A) ::= IDENT(K) COLON value(V).      { A = N(PAIR, K); A->a = V; SPAN(A, K.off, node_end(V)); }
pair(A) ::= STRING(K) COLON value(V).     { A = N(PAIR, K); A->a = V; A->flags = 1; SPAN(A, K.off, node_end(V)); }
pair(A) ::= TARGET(X).                    { A = parse_pair_from_target(P, N_PAIR, X); }
value(A) ::= literal(L).                  { A = L; }
value(A) ::= record(R).                   { A = R; }
value(A) ::= LBRACKET(L) RBRACKET(R).     { A = N(LIST, L); SPAN(A, L.off, tok_end(R)); }
value(A) ::= LBRACKET(L) values(V) RBRACKET(R). { A = N(LIST, L); A->a = V.head; SPAN(A, L.off, tok_end(R)); }
value(A) ::= LBRACKET(L) values(V) COMMA RBRACKET(R). { A = N(LIST, L); A->a = V.head; SPAN(A, L.off, tok_end(R)); }
values(A) ::= value(V).                   { A = nl_one(V); }
values(A) ::= values(B) COMMA value(V).   { A = nl_add(B, V); }

/* ---- expressions ---- */

expr(A) ::= expr(B) OR(O) expr(C).        { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) AND(O) expr(C).       { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= NOT(O) expr(B).               { A = parse_expr2(P, N_UNARY, O.kind, B, NULL, O.off, node_end(B)); }
expr(A) ::= expr(B) EQ(O) expr(C).        { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) NE(O) expr(C).        { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) LT(O) expr(C).        { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) LE(O) expr(C).        { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) GT(O) expr(C).        { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) GE(O) expr(C).        { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) IN(O) expr(C).        { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) NOT IN expr(C). [IN]  { A = parse_expr2(P, N_BINARY, TK_NOTIN, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) UNDER(O) expr(C).     { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) PLUS(O) expr(C).      { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) MINUS(O) expr(C).     { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) STAR(O) expr(C).      { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= expr(B) SLASH(O) expr(C).     { A = parse_expr2(P, N_BINARY, O.kind, B, C, B->off, node_end(C)); }
expr(A) ::= MINUS(O) expr(B). [UMINUS]    { A = parse_expr2(P, N_UNARY, O.kind, B, NULL, O.off, node_end(B)); }
expr(A) ::= primary(B).                   { A = B; }
/* `all t in request.tags: E`, `any …`, `none …`: over a list, a map's keys, a set or a
 * table's keys, with t bound in E */
expr(A) ::= ALL(Q) IDENT(X) IN primary(C) COLON expr(B). [QUANT] { A = parse_quant(P, Q, X, C, B); }
expr(A) ::= ANY(Q) IDENT(X) IN primary(C) COLON expr(B). [QUANT] { A = parse_quant(P, Q, X, C, B); }
expr(A) ::= NONE(Q) IDENT(X) IN primary(C) COLON expr(B). [QUANT] { A = parse_quant(P, Q, X, C, B); }

primary(A) ::= IDENT(X).                  { A = N(NAME, X); }
primary(A) ::= NOW(X).                    { A = N(NOW, X); }
primary(A) ::= STRING(X).                 { A = N(STR, X); }
primary(A) ::= INT(X).                    { A = parse_literal(P, X); }
primary(A) ::= DATE(X).                   { A = parse_literal(P, X); }
primary(A) ::= TIME(X).                   { A = parse_literal(P, X); }
primary(A) ::= DUR(X).                    { A = parse_literal(P, X); }
primary(A) ::= PCT(X).                    { A = parse_literal(P, X); }
primary(A) ::= TRUE(X).                   { A = N(BOOL, X); A->ival = 1; }
primary(A) ::= FALSE(X).                  { A = N(BOOL, X); }
primary(A) ::= primary(B) DOT IDENT(X).   {
  A = parse_expr2(P, N_MEMBER, 0, B, NULL, B->off, tok_end(X)); A->name_off = X.off; A->name_len = X.len; }
primary(A) ::= primary(B) LBRACKET expr(C) RBRACKET(R). { A = parse_expr2(P, N_INDEX, 0, B, C, B->off, tok_end(R)); }
primary(A) ::= IDENT(X) LPAREN args(L) RPAREN(R). { A = parse_call(P, X, L.head, tok_end(R)); }
/* the parentheses join the span, so that an enclosing node's span covers them, and are
 * marked, so that the formatter keeps them */
primary(A) ::= LPAREN(L) expr(B) RPAREN(R). { A = B; SPAN(A, L.off, tok_end(R)); A->flags |= AST_PAREN; }
primary(A) ::= LBRACKET(L) RBRACKET(R).   { A = N(LIST, L); SPAN(A, L.off, tok_end(R)); }
%include {
/* A list literal is one level deeper than its deepest element, so that nested lists count
 * against the expression nesting limit like every other form. */
static Node *list_expr(Parser *P, Token l, Node *items, Token r) {
  Node *deepest = items;
  for (Node *x = items; x; x = x->next) if (x->depth > deepest->depth) deepest = x;
  Node *n = parse_expr2(P, N_LIST, 0, deepest, NULL, l.off, tok_end(r));
  n->a = items;
  return n;
}
}
primary(A) ::= LBRACKET(L) exprs(V) RBRACKET(R). { A = list_expr(P, L, V.head, R); }
primary(A) ::= LBRACKET(L) exprs(V) COMMA RBRACKET(R). { A = list_expr(P, L, V.head, R); }
args(A) ::= .                             { A.head = A.tail = NULL; }
args(A) ::= exprs(B).                     { A = B; }
exprs(A) ::= expr(E).                     { A = nl_one(E); }
exprs(A) ::= exprs(B) COMMA expr(E).      { A = nl_add(B, E); }
