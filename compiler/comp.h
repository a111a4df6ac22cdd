/* The compiler's state for one compilation: symbols, interned strings and the tables
 * that become bundle sections. Everything lives in one arena or in growable vectors
 * freed by comp_free(). Prefixes: sema_ (resolve + type check), cg_ (code generation
 * and folding), emit_ (bundle writer), scope_ (scope IDs and the trie). */
#ifndef AIGW_COMP_H
#define AIGW_COMP_H
#include <stdint.h>
#include "ast.h"
#include "bundle.h"
#include "compile.h"
#include "diag.h"

#define VEC(T) struct { T *v; uint32_t n, cap; }
#define VEC_PUSH(vec, x) do { \
    if ((vec).n == (vec).cap) { \
      (vec).cap = (vec).cap ? (vec).cap * 2 : 16; \
      (vec).v = xrealloc((vec).v, sizeof *(vec).v * (vec).cap); \
    } \
    (vec).v[(vec).n++] = (x); \
  } while (0)
#define VEC_FREE(vec) (xfree((vec).v), (vec).v = NULL, (vec).n = (vec).cap = 0)

/* A static type: VmType plus the element type of lists/maps and the levels index. */
typedef struct Ty { uint8_t t, elem; uint16_t levels; } Ty;

typedef enum {
  SYM_INPUT, SYM_FIELD, SYM_LEVELS, SYM_SCOPE, SYM_SET, SYM_GUARDRAIL, SYM_EXEMPTION,
  SYM_ROUTE, SYM_BUDGET, SYM_TABLE
} SymKind;

/* A quantifier's variable while its body is compiled: the stack position of the
 * element the loop keeps (cg.c), and the element's type. */
typedef struct Bind {
  const char *name; uint32_t len;
  int pos;                  /* stack depth of the element (cg_depth counts from 1) */
  Ty ty;                    /* its type */
  uint8_t vmt;              /* its type as the VM has it: a set holds strings or numbers */
} Bind;

typedef struct Sym {
  SymKind kind;
  const char *pkg; uint32_t pkglen;
  const char *name; uint32_t len;
  Node *decl;
  const AstFile *file;
  uint32_t index;           /* into the matching table */
  struct Sym *next;         /* hash chain */
} Sym;

/* A name → value hash map over (bytes) used for symbols and string interning. */
typedef struct StrMap { uint32_t *slots; uint32_t cap, n; } StrMap;

typedef struct Comp {
  DiagSink *d;
  const CompileOpts *opts;
  Arena arena;
  AstFile **files; int nfiles;
  const AstFile *cur;       /* file being checked, for diagnostics */

  Sym **symtab; uint32_t symcap, nsyms;
  Sym *input;               /* the input schema */

  /* string table */
  VEC(const char *) strp; VEC(uint32_t) strl; StrMap strmap;
  VEC(int64_t) ints;
  VEC(BSet) sets; VEC(int64_t) members;
  VEC(Ty) set_elem;         /* each set's member type (the bundle keeps only string/int) */
  VEC(BField) fields; VEC(Node *) field_decl;
  VEC(BLevels) levels;
  VEC(uint32_t) u32s;
  VEC(BNode) nodes; VEC(BEdge) edges;
  VEC(uint32_t) code;
  VEC(BProgram) programs;
  VEC(BGuardrail) guardrails;
  VEC(BExemption) exemptions;
  VEC(BExRef) exindex;
  VEC(BRoute) routes; VEC(BRule) rules; VEC(BTarget) targets;
  VEC(BBudget) budgets;
  VEC(BSrcLoc) srcmap;
  VEC(BGuard) guards;
  VEC(Node *) tests;        /* test declarations, for `aigwc test` */
  VEC(BTable) tables; VEC(Ty) table_ty;    /* each table's value type, with its levels */
  VEC(uint64_t) prog_cost;  /* each program's worst-case steps (cg_program), for META's cost */
  VEC(uint32_t) code_x;     /* per instruction: a loop's most items, or a lookup's extra steps */
  BMeta meta;

  /* per-node lists gathered before layout */
  VEC(uint32_t) *node_gr;   /* guardrails restricted to node i */
  VEC(uint32_t) *node_anc;  /* declared parents of node i */
  VEC(uint32_t) *node_wild; /* glob children of node i */
  uint32_t node_cap;
  struct { uint64_t *k; uint32_t *v; uint32_t cap, n; } trie;   /* (parent, segment) → node */

  /* code generation */
  int cg_depth, cg_max;     /* stack depth accounting for the current program */
  int cg_reads_target;      /* the current program reads provider/model/region */
  int cg_open_jumps;        /* and/or whose jump is not yet patched */
  int quiet;                /* set while peeking at a type: no diagnostics */
  Bind binds[LIMIT_LOOPS]; int nbinds;      /* quantifier variables in scope, innermost last */
  uint32_t route_yields;    /* line of the first route rule that always gives a target */
  uint64_t cost;
} Comp;

void comp_init(Comp *c, DiagSink *d, const CompileOpts *o);
void comp_free(Comp *c);
void comp_error(Comp *c, const Node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void comp_warn(Comp *c, const Node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint32_t comp_str(Comp *c, const char *s, size_t n);       /* intern */
uint32_t comp_strz(Comp *c, const char *s);
/* Decode a string literal node's text (without quotes, escapes resolved) into the arena. */
const char *comp_strlit(Comp *c, const Node *n, uint32_t *len);
uint32_t comp_u32s(Comp *c, const uint32_t *v, uint32_t n);  /* append a list, return first */

/* sema.c */
int  sema_run(Comp *c);
Sym *sema_lookup(Comp *c, const AstFile *f, const char *name, uint32_t len, int kind_mask);
Sym *sema_lookup_global(Comp *c, SymKind k, const char *name, uint32_t len);
void sema_suggest(Comp *c, const char *name, uint32_t len, int kind_mask);
Node *sema_hierarchy_edge(Comp *c, uint32_t child, uint32_t parent);

/* cg.c: compile one expression into a program; returns the program index or NONE32
 * after reporting an error. want: the type required (T_NONE for any). */
uint32_t cg_program(Comp *c, Node *e, Ty want, Ty *got);
uint32_t cg_make_set(Comp *c, Node *members, Ty elem, int *ok);
/* The program of a message hole that names quantifier q's variable: the element that
 * decided q (the first for which the body holds, for any and none; the first for which
 * it does not, for all). Returns the program index or NONE32 after reporting. */
uint32_t cg_witness(Comp *c, Node *q, Ty *got);
/* A set pushed with its member type (c->set_elem). */
uint32_t cg_add_set(Comp *c, BSet set, Ty elem);
const char *ty_name(Ty t, char *buf, size_t n);

/* scope.c */
uint32_t scope_node(Comp *c, const Node *where, const char *s, uint32_t n);
int  scope_close_hierarchy(Comp *c);

/* emit.c */
void emit_bundle(Comp *c, Buf *out);

/* tests.c: check every `test` (called by sema_run once all names are declared), then
 * copy the tests out for the runner (compile_bundle_tests). */
void tests_check(Comp *c);
void tests_check_inputs(Comp *c);
void tests_export(Comp *c, TestList *out);

#endif
