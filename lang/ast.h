/* The syntax tree. One node shape for everything: a kind, an operator or property tag,
 * a source span, up to two children and a sibling link. Declarations hold their items
 * as a sibling list of N_PROP nodes, so the formatter and the AST dump walk every
 * declaration the same way and the compiler interprets the props per declaration. */
#ifndef AIGW_AST_H
#define AIGW_AST_H
#include <stdint.h>
#include "arena.h"

enum { AST_MAX_DEPTH = 200 };   /* named limit: expression nesting */

#define AST_KINDS(X) \
  X(POLICY)     /* name: dotted package name                        */ \
  X(IMPORT)     /* name: dotted package name                        */ \
  X(LEVELS)     /* name; a: list of NAME (ascending)                */ \
  X(INPUT)      /* name; a: list of FIELD                           */ \
  X(FIELD)      /* name; a: TYPE                                    */ \
  X(TYPE)       /* name: string|int|…|levels name; a: element TYPE; b: INT, its `max` */ \
  X(SCOPE)      /* name; a: STR                                     */ \
  X(HIERARCHY)  /* a: list of EDGE                                  */ \
  X(EDGE)       /* a: child scope ref, b: parent scope ref          */ \
  X(SET)        /* name; a: list of literals, or b: a set expression of NAME, LIST, BINARY (+ - &) */ \
  X(GUARDRAIL)  /* name; a: list of PROP                            */ \
  X(EXEMPTION)  /* name; a: list of PROP                            */ \
  X(ROUTE)      /* name; a: list of RULE | SPLIT | DEFAULT; b: CACHE or NULL */ \
  X(RULE)       /* a: condition, then CACHE when given; b: list of TARGET */ \
  X(SPLIT)      /* a: key expression, then CACHE when given; b: list of ARM */ \
  X(ARM)        /* ival: weight in basis points; a: TARGET          */ \
  X(DEFAULT)    /* a: CACHE or NULL; b: list of TARGET               */ \
  X(TARGET)     /* name: provider:model@region text                 */ \
  X(BUDGET)     /* name; a: list of PROP                            */ \
  X(TEST)       /* name: STR token; a: list of PROP (now, input, expect) */ \
  X(PROP)       /* op: keyword token; a, b: values                  */ \
  /* expressions */ \
  X(NAME)       /* name                                             */ \
  X(MEMBER)     /* a.name                                           */ \
  X(INDEX)      /* a[b]                                             */ \
  X(CALL)       /* name(a…)                                         */ \
  X(BINARY)     /* a op b                                           */ \
  X(UNARY)      /* op a                                             */ \
  X(STR)        /* name: raw token text including quotes            */ \
  X(INT)        /* ival                                             */ \
  X(DATE)       /* ival: seconds at the start of the day (UTC)      */ \
  X(TIME)       /* ival: seconds since the epoch (UTC)              */ \
  X(DUR)        /* ival: seconds                                    */ \
  X(PCT)        /* ival: basis points                               */ \
  X(BOOL)       /* ival: 0 or 1                                     */ \
  X(NEVER)      /* the open-ended expiry                            */ \
  X(NOW)        /* evaluation time                                  */ \
  X(LIST)       /* [a…]                                             */ \
  X(RECORD)     /* {a…} of PAIR, in test inputs                     */ \
  X(PAIR)       /* name: key; a: value                              */ \
  X(QUANT)      /* op: all|any|none; name: the variable; a: collection; b: body */ \
  X(TABLE)      /* name; a: list of ENTRY; b: the default (or NULL) */ \
  X(ENTRY)      /* a: key literal; b: value (literal or level NAME) */ \
  X(CACHE)      /* b: the DUR literal; a: the key expression        */

typedef enum {
#define X(k) N_##k,
  AST_KINDS(X)
#undef X
  N__COUNT
} NodeKind;

extern const char *const ast_kind_name[];

/* Node flags. A quoted TARGET or PAIR has flags 1. */
enum { AST_PAREN = 2 };   /* the source wrapped this expression in parentheses */

typedef struct Node {
  uint8_t kind;
  uint8_t flags;
  uint16_t file;          /* index into the DiagSink's sources */
  uint16_t op;            /* operator / property keyword token code */
  uint16_t depth;         /* expression depth, bounded by AST_MAX_DEPTH */
  uint32_t off, len;      /* source span */
  uint32_t name_off, name_len;   /* span of the name or literal token */
  int64_t ival;
  struct Node *a, *b;
  struct Node *next;
  void *sema;             /* the compiler's annotation (type, symbol) */
} Node;

typedef struct Comment { uint32_t off, len; } Comment;

/* One parsed file. */
typedef struct AstFile {
  int file;               /* DiagSink index */
  Node *decls;            /* sibling list, POLICY first when present */
  Comment *comments; uint32_t ncomments;
  const char *text;
} AstFile;

Node *ast_node(Arena *a, int kind, int file, uint32_t off, uint32_t len);
/* Append b's list to a's list; either may be NULL. */
Node *ast_append(Node *list, Node *item);
int   ast_count(const Node *list);
static inline const char *ast_name(const AstFile *f, const Node *n) { return f->text + n->name_off; }

#endif
