/* The gen target's generator: the fuzzer's bytes are a stream of choices, and each choice
 * picks one production, so that nearly every input becomes a policy that parses and type
 * checks (docs/language.md), plus an input for it. A byte-mutating fuzzer rarely gets past
 * the parser; this one reaches the type checker, the code generator and the verifier
 * with programs they must accept.
 *
 * Choice 0 is always the plainest production, and an exhausted stream chooses 0, so any
 * byte string, however short, yields a complete policy.
 *
 * A policy is one file or two (of one package, or of two that import each other); now
 * and then it is big: past a hundred guardrails, long scope and target lists.
 *
 * Some programs (one in eight, decided by the first byte) are "mischievous": either a few
 * of their expressions are replaced by ill-typed ones (a set name where a value belongs,
 * a percentage, a list literal, a wrong type…) or a few declarations are broken. The
 * compiler must reject those with a located error, never accept them with a bundle the
 * verifier refuses. Each kind of mischief has a name; FUZZ_GEN_SKIP=name,name leaves
 * those out (a finding that is already known need not hide the next one). The names:
 *   name@CONTEXT  a set, scope, levels or input name used as a value in CONTEXT (below)
 *   paren-call    (type-correct) redundant parentheses around a call, as in (has(x))
 *   expect-colon  (type-correct) a test expecting a finding budget:NAME or route:NAME
 *   type pct list member call index fault deep has-index   ill-typed expressions
 *   cycle dup badtype exemption route budget message set guardrail schema unknown test
 *                 broken declarations */
#ifndef AIGW_FUZZ_GEN_POLICY_H
#define AIGW_FUZZ_GEN_POLICY_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

#define GEN_N(a) (sizeof(a) / sizeof *(a))

/* where an expression sits, for the name@CONTEXT mischief */
#define GEN_CONTEXTS(X) \
  X(TOP, "top") X(IN_LEFT, "in-left") X(IN_RIGHT, "in-right") X(LEN, "len") X(LOGIC, "logic") \
  X(NOT, "not") X(CMP, "cmp") X(ARITH, "arith") X(NEG, "neg") X(CALL, "call") \
  X(INDEX, "index") X(KEY, "key") X(LIST, "list") X(HAS, "has") X(HOLE, "hole")
enum {
#define X(id, s) GC_##id,
  GEN_CONTEXTS(X)
#undef X
  GC__COUNT
};
static const char *const gen_context_names[] = {
#define X(id, s) s,
  GEN_CONTEXTS(X)
#undef X
};

/* generated types; a list or map has an element type, a level type its declaration */
enum { GT_STR, GT_INT, GT_BOOL, GT_TIME, GT_DUR, GT_SCOPE, GT_LEVEL, GT_LIST, GT_MAP };
typedef struct GTy { uint8_t t, elem, lv; } GTy;

typedef struct GField { const char *name; GTy ty; int map_of_scope; } GField;
typedef struct GLevels { const char *name; const char *v[4]; int n; } GLevels;
typedef struct GSet { const char *name; uint8_t elem; } GSet;

enum { GEN_MAX_DECLS = 200, GEN_MAX_GR = 170 };

typedef struct Gen {
  const uint8_t *p;
  size_t n, pos;
  const char *skip;           /* FUZZ_GEN_SKIP, or NULL */
  int mischief;               /* one expression in `mischief` is ill-typed; 0 for none */
  int broken;                 /* declarations are broken now and then (not expressions) */
  int wild;                   /* ill-typed fragments generated */
  Buf src[2], json;           /* one or two source files */
  int nsrc;
  int big;                    /* many guardrails, scopes, targets: past the small limits */
  Buf decl[GEN_MAX_DECLS]; int ndecl;
  const char *in;             /* the input's name */
  GField f[48]; int nf;
  int scope_field;            /* index into f, or -1 */
  GLevels lv[2]; int nlv;
  GSet set[6]; int nset;
  const char *scope_name[8]; int scope_declared[8];
  const char *gr[GEN_MAX_GR]; int ngr;
  char grname[GEN_MAX_GR][16];
  const char *ex[4]; int nex;
  const char *route[2]; int nroute;
  const char *budget[2]; int nbudget;
  int table;                  /* the table `limits_t` (string keys, int values) is declared */
  int qdepth;                 /* quantifiers open around the expression being generated */
} Gen;

/* ---- choices ---- */

static unsigned gen_pick(Gen *g, unsigned n) {
  if (n <= 1 || g->pos >= g->n) return 0;
  return g->p[g->pos++] % n;
}
/* num in den; never once the stream is exhausted */
static int gen_coin(Gen *g, unsigned num, unsigned den) { return gen_pick(g, den) >= den - num; }
#define GEN_ONE(g, arr) ((arr)[gen_pick((g), GEN_N(arr))])

static int gen_skipped(const Gen *g, const char *kind) {
  if (!g->skip) return 0;
  size_t k = strlen(kind);
  for (const char *s = g->skip; *s;) {
    size_t n = strcspn(s, ",");
    if (n == k && !memcmp(s, kind, k)) return 1;
    s += n + (s[n] == ',');
  }
  return 0;
}
/* a broken declaration of this kind now? */
static int gen_break(Gen *g, const char *kind) {
  return g->broken && gen_coin(g, 1, 6) && !gen_skipped(g, kind) && ++g->wild;
}

/* ---- pools ---- */

static const char *const gen_strings[] = {   /* as written in source */
  "\"gpt-4o\"", "\"azure-openai\"", "\"eastus\"", "\"\"", "\"claims\"", "\"mistral-large\"",
  "\"cost-center\"", "\"gpt-*\"", "\"?a*\"", "\"/subscriptions/0b1f6471\"", "\"{braces}\"",
  "\"escapes \\\" \\\\ \\/ \\n \\t \\u00e9 \\uD800\"", "\"caf\xc3\xa9 \xe6\x97\xa5\"",
  "\"nul\\0byte\"", "\"owner team\"",
};
static const char *const gen_values[] = {    /* input strings, plain */
  "gpt-4o", "azure-openai", "eastus", "", "claims", "mistral-large", "cost-center", "gpt-4o-mini",
  "caf\xc3\xa9", "owner", "a", "bob",
};
static const char *const gen_ints[] = {
  "0", "1", "2", "10", "40_000", "2_000_000", "007", "9223372036854775807", "3",
};
static const int64_t gen_int_values[] = {0, 1, -5, 40000, 9223372036854775807LL, -9223372036854775807LL, 2};
static const char *const gen_dates[] = {
  "2026-11-22", "2024-02-29", "1970-01-01", "9999-12-31", "0001-01-01", "2026-12-31",
};
static const char *const gen_stamps[] = {
  "2026-12-31T23:59:59Z", "2027-01-01T00:59:59+01:00", "2026-12-31T23:59:59.250Z",
  "2026-11-22t10:00:00z", "2026-06-30T23:59:60Z", "2026-11-22T09:30:00-05:30",
};
static const char *const gen_durs[] = { "30d", "12h", "15m", "45s", "2w", "0s", "1d" };
static const int64_t gen_dur_values[] = {2592000, 43200, 900, 45, 0, -60};
static const char *const gen_scope_texts[] = {
  "/providers/Microsoft.Management/managementGroups/contoso",
  "/providers/Microsoft.Management/managementGroups/contoso-prod",
  "/subscriptions/0b1f6471",
  "/subscriptions/0b1f6471/resourceGroups/rag-pilot",
  "/subscriptions/*/resourceGroups/ai-sandbox-*",
  "/Subscriptions//2222/",
  "/subscriptions/2222/resourceGroups/r?g",
  "/",
};
static const char *const gen_scope_names[] = {
  "root", "prod", "sub", "pilot", "sandbox", "other", "globbed", "top",
};
static const char *const gen_scope_inputs[] = {   /* request scopes: some under the above */
  "/subscriptions/0b1f6471/resourceGroups/rag-pilot/providers/x",
  "/subscriptions/3333/resourceGroups/ai-sandbox-team-a", "/SUBSCRIPTIONS/2222//",
  "/providers/Microsoft.Management/managementGroups/contoso-prod", "/", "",
  "/subscriptions/2222/resourceGroups/rxg",
};
static const char *const gen_map_keys[] = { "cost-center", "owner", "a", "owner team", "k" };
static const char *const gen_targets[] = {
  "azure-openai:gpt-4o@westeurope", "azure-openai:gpt-4o-mini@eastus", "openai:gpt-4o-mini",
  "azure-openai:gpt-4.1@eastus", "\"vendor:org/model-v2@eu-west-1\"", "\"openai:gpt-4o\"",
};

/* ---- declarations of names: input, levels, sets, scopes ---- */

static const struct { GTy ty; int map_of_scope; const char *names[4]; } gen_field_rows[] = {
  {{GT_STR, 0, 0}, 0, {"model"}}, {{GT_STR, 0, 0}, 0, {"provider"}}, {{GT_STR, 0, 0}, 0, {"region"}},
  {{GT_STR, 0, 0}, 0, {"team", "key", "message", "principal"}},
  {{GT_STR, 0, 0}, 0, {"task", "data-owner"}},
  {{GT_INT, 0, 0}, 0, {"prompt_tokens", "limit", "n"}}, {{GT_INT, 0, 0}, 0, {"max-tokens", "count"}},
  {{GT_BOOL, 0, 0}, 0, {"streaming", "default", "flag"}},
  {{GT_TIME, 0, 0}, 0, {"created", "now", "expiry"}},
  {{GT_DUR, 0, 0}, 0, {"ttl", "age", "test"}},
  {{GT_SCOPE, 0, 0}, 0, {"scope", "resource"}},
  {{GT_LIST, GT_SCOPE, 0}, 0, {"ancestors", "parents"}},
  {{GT_LEVEL, 0, 0}, 0, {"classification", "class"}},
  {{GT_LEVEL, 0, 1}, 0, {"tier"}},
  {{GT_LIST, GT_STR, 0}, 0, {"groups", "owner"}},
  {{GT_LIST, GT_INT, 0}, 0, {"ports"}},
  {{GT_LIST, GT_TIME, 0}, 0, {"dates"}},
  {{GT_LIST, GT_DUR, 0}, 0, {"waits"}},
  {{GT_LIST, GT_LEVEL, 0}, 0, {"labels"}},
  {{GT_MAP, GT_STR, 0}, 0, {"tags", "severity"}},
  {{GT_MAP, GT_INT, 0}, 0, {"counts"}},
  {{GT_MAP, GT_TIME, 0}, 0, {"stamps"}},
  {{GT_MAP, GT_DUR, 0}, 0, {"timeouts"}},
  {{GT_MAP, GT_LEVEL, 1}, 0, {"ratings"}},
  {{GT_MAP, GT_STR, 0}, 1, {"homes"}},
};

static int gen_ty_eq(GTy a, GTy b) {
  if (a.t != b.t) return 0;
  if (a.t == GT_LEVEL) return a.lv == b.lv;
  if (a.t == GT_LIST || a.t == GT_MAP) return a.elem == b.elem && (a.elem != GT_LEVEL || a.lv == b.lv);
  return 1;
}
static GTy gen_ty(uint8_t t, uint8_t elem, uint8_t lv) { GTy r = {t, elem, lv}; return r; }

static void gen_type_text(Gen *g, Buf *o, GTy t, int map_of_scope) {
  static const char *const base[] = {"string", "int", "bool", "time", "duration", "scope"};
  if (t.t == GT_LEVEL) { buf_puts(o, g->lv[t.lv].name); return; }
  if (t.t == GT_LIST || t.t == GT_MAP) {
    const char *sp = gen_coin(g, 1, 8) ? " " : "";
    buf_printf(o, "%s%s<%s", t.t == GT_LIST ? "list" : "map", sp, sp);
    gen_type_text(g, o, gen_ty(map_of_scope ? GT_SCOPE : t.elem, 0, t.lv), 0);
    if (gen_coin(g, 1, 3)) buf_printf(o, ", max %s", gen_coin(g, 1, 2) ? "64" : "3");   /* inputs give at most 3 */
    buf_printf(o, "%s>", sp);
    return;
  }
  buf_puts(o, base[t.t]);
}

static void gen_levels(Gen *g, Buf *o) {
  static const char *const names[2][2] = {{"sensitivity", "classification"}, {"tiers", "grade"}};
  static const char *const vals[2][4] = {{"public", "internal", "confidential", "restricted"},
                                         {"bronze", "silver", "gold", "internal"}};
  g->nlv = 1 + (int)gen_pick(g, 2);
  for (int i = 0; i < g->nlv; i++) {
    GLevels *L = &g->lv[i];
    L->name = names[i][gen_pick(g, 2)];
    L->n = 0;
    for (int k = 0; k < 4; k++)
      if (k < 2 || !gen_coin(g, 1, 3)) L->v[L->n++] = vals[i][k];
    buf_printf(o, "levels %s { ", L->name);
    for (int k = 0; k < L->n; k++) buf_printf(o, "%s%s", k ? " < " : "", L->v[k]);
    if (gen_break(g, "dup")) buf_printf(o, " < %s", L->v[0]);
    buf_puts(o, " }\n");
  }
}

static void gen_schema(Gen *g, Buf *o) {
  static const char *const inputs[] = {"request", "req", "input"};
  g->in = GEN_ONE(g, inputs);
  g->nf = 0; g->scope_field = -1;
  buf_printf(o, "input %s {", g->in);
  for (size_t r = 0; r < GEN_N(gen_field_rows); r++) {
    GTy t = gen_field_rows[r].ty;
    if ((t.t == GT_LEVEL || t.elem == GT_LEVEL) && t.lv >= g->nlv) t.lv = 0;
    if (gen_coin(g, 1, t.t == GT_SCOPE ? 12 : 4)) continue;
    unsigned nn = 0;
    while (nn < 4 && gen_field_rows[r].names[nn]) nn++;
    GField *F = &g->f[g->nf++];
    F->name = gen_field_rows[r].names[gen_pick(g, nn)];
    F->ty = t; F->map_of_scope = gen_field_rows[r].map_of_scope;
    if (t.t == GT_SCOPE) g->scope_field = g->nf - 1;
    static const char *const seps[] = {"\n  ", " ", ", ", "\n  ", ",\n  "};
    buf_puts(o, GEN_ONE(g, seps));
    /* `name:type` with no space is one target token; the grammar takes it as a field */
    buf_printf(o, "%s:%s", F->name, gen_coin(g, 1, 6) ? "" : " ");
    gen_type_text(g, o, t, F->map_of_scope);
  }
  if (gen_break(g, "badtype")) {
    static const char *const bad[] = {"list<bool>", "map<list<int>>", "strng", "list", "int<string>",
                                      "map<map<string>>"};
    buf_printf(o, "\n  broken: %s", GEN_ONE(g, bad));
  }
  if (gen_break(g, "schema")) {
    static const char *const bad[] = {"second_scope: scope", "more: list<scope>", "model: string"};
    buf_printf(o, "\n  %s", GEN_ONE(g, bad));
  }
  buf_puts(o, "\n}\n");
}

static void gen_sets(Gen *g, Buf *o) {
  static const struct { uint8_t elem; const char *names[2]; } rows[] = {
    {GT_STR, {"approved_models", "key"}}, {GT_STR, {"blocked-regions", "test"}},
    {GT_INT, {"small_limits", "limit"}}, {GT_TIME, {"holidays", "moments"}},
    {GT_DUR, {"windows", "spans"}},
  };
  g->nset = 0;
  for (size_t r = 0; r < GEN_N(rows); r++) {
    if (gen_coin(g, 1, 3)) continue;
    GSet *S = &g->set[g->nset++];
    S->name = rows[r].names[gen_pick(g, 2)];
    S->elem = rows[r].elem;
    buf_printf(o, "set %s = {", S->name);
    int n = 1 + (int)gen_pick(g, 4);
    for (int i = 0; i < n; i++) {
      buf_puts(o, i ? ", " : " ");
      switch (S->elem) {
      case GT_STR: buf_puts(o, GEN_ONE(g, gen_strings)); break;
      case GT_INT: buf_printf(o, "%s%s", gen_coin(g, 1, 4) ? "-" : "", GEN_ONE(g, gen_ints)); break;
      case GT_TIME: buf_puts(o, gen_coin(g, 1, 2) ? GEN_ONE(g, gen_stamps) : GEN_ONE(g, gen_dates)); break;
      default: buf_puts(o, GEN_ONE(g, gen_durs)); break;
      }
    }
    if (gen_break(g, "set")) {
      static const char *const bad[] = {", 50%", ", true", ", \"mixed\"", ", 30d", ", 2026-01-01"};
      buf_puts(o, GEN_ONE(g, bad));
    }
    buf_puts(o, gen_coin(g, 1, 3) ? ", }\n" : " }\n");
  }
  /* set algebra over a set and itself (one member type), and a table of ints */
  if (g->nset && gen_coin(g, 1, 3)) {
    static const char *const ops[] = {" + ", " & ", " - "};
    GSet *S = &g->set[gen_pick(g, (unsigned)g->nset)];
    const char *op = GEN_ONE(g, ops);
    int par = gen_coin(g, 1, 2);
    buf_printf(o, "set combined = %s%s%s%s%s\n", S->name, op, par ? "(" : "", S->name, par ? ")" : "");
    g->set[g->nset].name = "combined";
    g->set[g->nset].elem = S->elem;
    g->nset++;
  }
  if ((g->table = gen_coin(g, 1, 3)))
    buf_printf(o, "table limits_t = {\"gpt-4o\": 1, \"claims\": %s}%s\n", GEN_ONE(g, gen_ints),
               gen_coin(g, 1, 2) ? " default 3" : "");
}

/* a scope as written: its name when declared, else its string */
static void gen_scope_ref(Gen *g, Buf *o) {
  unsigned i = gen_pick(g, GEN_N(gen_scope_texts));
  if (g->scope_declared[i] && !gen_coin(g, 1, 4)) buf_puts(o, g->scope_name[i]);
  else buf_printf(o, "\"%s\"", gen_scope_texts[i]);
}

static void gen_scopes(Gen *g, Buf *o) {
  for (size_t i = 0; i < GEN_N(gen_scope_texts); i++) {
    g->scope_name[i] = gen_scope_names[i];
    g->scope_declared[i] = !gen_coin(g, 1, 3);
    if (g->scope_declared[i])
      buf_printf(o, "scope %s = \"%s\"\n", gen_scope_names[i], gen_scope_texts[i]);
  }
}

/* Edges only from a later scope of the pool to an earlier one: no cycles. */
static void gen_hierarchy(Gen *g, Buf *o) {
  buf_puts(o, "hierarchy {");
  int n = (int)gen_pick(g, 4);
  for (int e = 0; e < n; e++) {
    unsigned c = 1 + gen_pick(g, GEN_N(gen_scope_texts) - 1), p = gen_pick(g, c);
    for (int k = 0; k < 2; k++) {
      unsigned i = k ? p : c;
      buf_puts(o, k ? " in " : "\n  ");
      if (g->scope_declared[i] && gen_coin(g, 3, 4)) buf_puts(o, g->scope_name[i]);
      else buf_printf(o, "\"%s\"", gen_scope_texts[i]);
    }
  }
  if (gen_break(g, "cycle")) {
    unsigned i = gen_pick(g, GEN_N(gen_scope_texts) - 1);
    buf_printf(o, "\n  \"%s\" in \"%s\"\n  \"%s\" in \"%s\"", gen_scope_texts[i], gen_scope_texts[i + 1],
               gen_scope_texts[i + 1], gen_scope_texts[i]);
  }
  buf_puts(o, "\n}\n");
}

/* ---- expressions ---- */

enum { P_QUANT = 0, P_OR, P_AND, P_NOT, P_CMP, P_ADD, P_MUL, P_NEG, P_PRIM };

static int gen_expr(Gen *g, Buf *o, GTy t, int depth, int ctx, int hint);

/* Is e a call, f(…)? */
static int gen_is_call(const Buf *e) {
  size_t i = 0;
  while (i < e->n && ((e->p[i] >= 'a' && e->p[i] <= 'z') || e->p[i] == '_')) i++;
  return i && i < e->n && e->p[i] == '(' && e->p[e->n - 1] == ')';
}

/* e, parenthesized when it binds looser than minprec (and now and then anyway; not a
 * call with FUZZ_GEN_SKIP=paren-call) */
static void gen_sub(Gen *g, Buf *o, GTy t, int depth, int minprec, int ctx, int hint) {
  Buf b = {0};
  int p = gen_expr(g, &b, t, depth, ctx, hint);
  int paren = p < minprec || (gen_coin(g, 1, 32) && !(gen_is_call(&b) && gen_skipped(g, "paren-call")));
  if (paren) buf_putc(o, '(');
  if (b.n) buf_put(o, b.p, b.n);
  if (paren) buf_putc(o, ')');
  buf_free(&b);
}

/* a field of type t, or -1 */
static int gen_field_of(Gen *g, GTy t) {
  int idx[48], n = 0;
  for (int i = 0; i < g->nf; i++) if (gen_ty_eq(g->f[i].ty, t)) idx[n++] = i;
  return n ? idx[gen_pick(g, (unsigned)n)] : -1;
}
static void gen_field(Gen *g, Buf *o, int i) { buf_printf(o, "%s.%s", g->in, g->f[i].name); }

/* m[key] for a map field with elements of type elem; 0 when there is none */
static int gen_index(Gen *g, Buf *o, GTy elem, int depth) {
  int m = gen_field_of(g, gen_ty(GT_MAP, elem.t, elem.lv));
  if (m < 0) return 0;
  gen_field(g, o, m);
  buf_putc(o, '[');
  if (depth > 0 && gen_coin(g, 1, 4)) gen_sub(g, o, gen_ty(GT_STR, 0, 0), depth - 1, 0, GC_INDEX, 0);
  else buf_printf(o, "\"%s\"", GEN_ONE(g, gen_map_keys));
  buf_putc(o, ']');
  return 1;
}

static int gen_level_unique(Gen *g, const char *v) {
  int n = 0;
  for (int i = 0; i < g->nlv; i++)
    for (int k = 0; k < g->lv[i].n; k++) n += !strcmp(g->lv[i].v[k], v);
  return n == 1;
}
/* a level value: bare where the context or uniqueness allows, else LEVELS.value */
static void gen_level_lit(Gen *g, Buf *o, int lv, int hint) {
  const GLevels *L = &g->lv[lv];
  const char *v = L->v[gen_pick(g, (unsigned)L->n)];
  if ((hint || gen_level_unique(g, v)) && !gen_coin(g, 1, 4)) buf_puts(o, v);
  else buf_printf(o, "%s.%s", L->name, v);
}

/* A constant of type t, as a set or list literal member needs. */
static void gen_const(Gen *g, Buf *o, GTy t, int hint) {
  switch (t.t) {
  case GT_STR: case GT_SCOPE: buf_puts(o, GEN_ONE(g, gen_strings)); break;
  case GT_INT:
    switch (gen_pick(g, 4)) {
    case 1: buf_printf(o, "-%s", GEN_ONE(g, gen_ints)); break;
    case 2: buf_printf(o, "%s + %s", gen_ints[gen_pick(g, 6)], gen_ints[gen_pick(g, 6)]); break;
    default: buf_puts(o, GEN_ONE(g, gen_ints)); break;
    }
    break;
  case GT_TIME:
    switch (gen_pick(g, 3)) {
    case 1: buf_puts(o, GEN_ONE(g, gen_stamps)); break;
    case 2: buf_printf(o, "2026-01-01 + %s", GEN_ONE(g, gen_durs)); break;
    default: buf_puts(o, GEN_ONE(g, gen_dates)); break;
    }
    break;
  case GT_DUR:
    switch (gen_pick(g, 3)) {
    case 1: buf_printf(o, "-%s", GEN_ONE(g, gen_durs)); break;
    case 2: buf_printf(o, "%s - %s", GEN_ONE(g, gen_durs), GEN_ONE(g, gen_durs)); break;
    default: buf_puts(o, GEN_ONE(g, gen_durs)); break;
    }
    break;
  case GT_LEVEL: gen_level_lit(g, o, t.lv, hint); break;
  default: buf_puts(o, "true"); break;
  }
}

/* A name that is not a value: a set, a scope, a levels declaration, the input. */
static int gen_nonvalue_name(Gen *g, Buf *o) {
  switch (gen_pick(g, 4)) {
  case 0: if (g->nset) { buf_puts(o, g->set[gen_pick(g, (unsigned)g->nset)].name); return 1; } break;
  case 1: {
    unsigned i = gen_pick(g, GEN_N(gen_scope_texts));
    if (g->scope_declared[i]) { buf_puts(o, g->scope_name[i]); return 1; }
    break;
  }
  case 2: buf_puts(o, g->lv[gen_pick(g, (unsigned)g->nlv)].name); return 1;
  default: break;
  }
  buf_puts(o, g->in);
  return 1;
}

static GTy gen_any_type(Gen *g) {
  static const uint8_t ts[] = {GT_STR, GT_INT, GT_BOOL, GT_TIME, GT_DUR, GT_LEVEL};
  return gen_ty(GEN_ONE(g, ts), 0, (uint8_t)gen_pick(g, (unsigned)g->nlv));
}

/* An ill-typed fragment where an expression of type want belongs; returns its precedence,
 * or 0 when the kind picked is skipped (the caller then writes a well-typed one). */
static int gen_wild(Gen *g, Buf *o, GTy want, int depth, int ctx) {
  char kind[32];
  switch (gen_pick(g, 10)) {
  case 0:
    snprintf(kind, sizeof kind, "name@%s", gen_context_names[ctx]);
    if (gen_skipped(g, kind)) return 0;
    g->wild++;
    gen_nonvalue_name(g, o);
    return P_PRIM;
  case 1: {
    if (gen_skipped(g, "type")) return 0;
    GTy t = gen_any_type(g);
    if (gen_ty_eq(t, want)) t.t = t.t == GT_BOOL ? GT_INT : GT_BOOL;
    g->wild++;
    int m = g->mischief;
    g->mischief = 0;
    int p = gen_expr(g, o, t, depth, ctx, 0);
    g->mischief = m;
    return p;
  }
  case 2:
    if (gen_skipped(g, "pct")) return 0;
    g->wild++;
    buf_puts(o, gen_coin(g, 1, 2) ? "50%" : "12.5%");
    return P_PRIM;
  case 3: {
    if (gen_skipped(g, "list")) return 0;
    static const char *const bad[] = {"[\"a\"]", "[]", "[1, \"a\"]", "[[1]]", "[now]", "[1 / 0]"};
    g->wild++;
    const char *b = GEN_ONE(g, bad);
    if (!strcmp(b, "[now]") && g->nf) { buf_puts(o, "["); gen_field(g, o, 0); buf_puts(o, "]"); }
    else buf_puts(o, b);
    return P_PRIM;
  }
  case 4:
    if (gen_skipped(g, "member")) return 0;
    g->wild++;
    switch (gen_pick(g, 4)) {
    case 0: buf_printf(o, "%s.nope", g->in); break;
    case 1: buf_printf(o, "%s.nope", g->lv[0].name); break;
    case 2: gen_nonvalue_name(g, o); buf_puts(o, ".x"); break;
    default: if (g->nf) { gen_field(g, o, (int)gen_pick(g, (unsigned)g->nf)); buf_puts(o, ".x"); } else buf_puts(o, "a.b.c"); break;
    }
    return P_PRIM;
  case 5: {
    if (gen_skipped(g, "call")) return 0;
    static const char *const bad[] = {"foo(1)", "len()", "len(\"a\", \"b\")", "has(1)", "starts_with(1, \"a\")",
                                      "lenn(\"a\")", "matches(\"a\")", "has(now)"};
    g->wild++;
    buf_puts(o, GEN_ONE(g, bad));
    return P_PRIM;
  }
  case 6:
    if (gen_skipped(g, "index")) return 0;
    g->wild++;
    if (g->nf && gen_coin(g, 1, 2)) gen_field(g, o, (int)gen_pick(g, (unsigned)g->nf));
    else gen_nonvalue_name(g, o);
    buf_puts(o, gen_coin(g, 1, 2) ? "[\"k\"]" : "[1]");
    return P_PRIM;
  case 7:
    if (gen_skipped(g, "fault")) return 0;
    g->wild++;
    buf_puts(o, gen_coin(g, 1, 2) ? "(1 / 0 > 0)" : "(9223372036854775807 + 1 > 0)");
    return P_PRIM;
  case 8: {
    if (gen_skipped(g, "deep")) return 0;
    g->wild++;
    int n = 60 + (int)gen_pick(g, 160);
    /* past the nesting, stack and open-jump limits: each must be a located error */
    unsigned s = gen_pick(g, 5);
    int fi = gen_field_of(g, gen_ty(GT_BOOL, 0, 0));
    Buf leaf = {0};
    if (fi >= 0) gen_field(g, &leaf, fi); else buf_puts(&leaf, "true");
    for (int i = 0; i < n; i++) {
      if (s == 0) buf_puts(o, "not ");
      else if (s == 1) buf_putc(o, '(');
      else if (s == 2) buf_puts(o, "(1 + ");
      else if (s == 3) { buf_putc(o, '('); buf_put(o, leaf.p, leaf.n); buf_puts(o, " and "); }
      else buf_putc(o, '-');
    }
    if (s == 2 || s == 4) buf_printf(o, "len(\"%d\")", n);
    else buf_put(o, leaf.p, leaf.n);
    for (int i = 0; i < n; i++) if (s >= 1 && s <= 3) buf_putc(o, ')');
    buf_free(&leaf);
    return s == 0 ? P_NOT : s == 4 ? P_NEG : P_PRIM;
  }
  default:
    if (gen_skipped(g, "has-index")) return 0;
    g->wild++;
    buf_puts(o, "has(");
    gen_nonvalue_name(g, o);
    buf_puts(o, "[\"k\"])");
    return P_PRIM;
  }
}

static int gen_bool(Gen *g, Buf *o, int depth);

/* Leaves and compounds per type. depth > 0 allows compounds. */
static int gen_expr(Gen *g, Buf *o, GTy t, int depth, int ctx, int hint) {
  if (g->mischief && gen_coin(g, 1, (unsigned)g->mischief)) {
    int p = gen_wild(g, o, t, depth, ctx);
    if (p) return p;
  }
  int deep = depth > 0 && gen_coin(g, 1, 2);
  int fi;
  switch (t.t) {
  case GT_BOOL:
    if (deep) return gen_bool(g, o, depth - 1);
    switch (gen_pick(g, 4)) {
    case 1: if ((fi = gen_field_of(g, t)) >= 0) { gen_field(g, o, fi); return P_PRIM; } break;
    case 2:
      if (g->nf) {
        fi = (int)gen_pick(g, (unsigned)g->nf);
        buf_puts(o, "has(");
        if (g->f[fi].ty.t == GT_MAP && gen_coin(g, 1, 2)) gen_index(g, o, gen_ty(g->f[fi].ty.elem, 0, g->f[fi].ty.lv), 0);
        else gen_field(g, o, fi);
        buf_puts(o, ")");
        return P_PRIM;
      }
      break;
    default: break;
    }
    buf_puts(o, gen_coin(g, 1, 2) ? "false" : "true");
    return P_PRIM;
  case GT_STR: case GT_SCOPE:
    switch (gen_pick(g, 5)) {
    case 1: if ((fi = gen_field_of(g, gen_ty(GT_STR, 0, 0))) >= 0) { gen_field(g, o, fi); return P_PRIM; } break;
    case 2: if (g->scope_field >= 0) { gen_field(g, o, g->scope_field); return P_PRIM; } break;
    case 3: if (gen_index(g, o, gen_ty(GT_STR, 0, 0), depth)) return P_PRIM; break;
    default: break;
    }
    if (t.t == GT_SCOPE && g->scope_field >= 0) { gen_field(g, o, g->scope_field); return P_PRIM; }
    buf_puts(o, GEN_ONE(g, gen_strings));
    return P_PRIM;
  case GT_LEVEL:
    switch (gen_pick(g, 3)) {
    case 1: if ((fi = gen_field_of(g, t)) >= 0) { gen_field(g, o, fi); return P_PRIM; } break;
    case 2: if (gen_index(g, o, t, depth)) return P_PRIM; break;
    default: break;
    }
    gen_level_lit(g, o, t.lv, hint);
    return P_PRIM;
  case GT_INT:
    if (deep) {
      switch (gen_pick(g, 4)) {
      case 0: case 1: {
        static const char *const ops[] = {" + ", " - ", " * ", " / "};
        unsigned op = gen_pick(g, 4);
        int p = op < 2 ? P_ADD : P_MUL;
        gen_sub(g, o, t, depth - 1, p, GC_ARITH, 0);
        buf_puts(o, ops[op]);
        gen_sub(g, o, t, depth - 1, p + 1, GC_ARITH, 0);
        return p;
      }
      case 2: {
        Buf b = {0};
        gen_sub(g, &b, t, depth - 1, P_NEG, GC_NEG, 0);
        buf_puts(o, b.p[0] == '-' ? "- " : "-");
        buf_put(o, b.p, b.n);
        buf_free(&b);
        return P_NEG;
      }
      default:
        buf_puts(o, "len(");
        fi = gen_coin(g, 1, 2) && g->nf ? (int)gen_pick(g, (unsigned)g->nf) : -1;
        if (fi >= 0 && (g->f[fi].ty.t == GT_LIST || g->f[fi].ty.t == GT_MAP)) gen_field(g, o, fi);
        else if (g->nset && gen_coin(g, 1, 4)) buf_puts(o, g->set[gen_pick(g, (unsigned)g->nset)].name);
        else gen_sub(g, o, gen_ty(GT_STR, 0, 0), depth - 1, 0, GC_LEN, 0);
        buf_puts(o, ")");
        return P_PRIM;
      }
    }
    switch (gen_pick(g, 4)) {
    case 1: if ((fi = gen_field_of(g, t)) >= 0) { gen_field(g, o, fi); return P_PRIM; } break;
    case 2: if (gen_index(g, o, t, depth)) return P_PRIM; break;
    case 3:   /* a table lookup: a key it may not hold fails closed unless there is a default */
      if (g->table) {   /* a field's value, or a key it holds: a constant key it lacks is a compile error */
        buf_puts(o, "limits_t[");
        if ((fi = gen_field_of(g, gen_ty(GT_STR, 0, 0))) >= 0 && gen_coin(g, 1, 2)) gen_field(g, o, fi);
        else buf_puts(o, gen_coin(g, 1, 2) ? "\"claims\"" : "\"gpt-4o\"");
        buf_puts(o, "]");
        return P_PRIM;
      }
      break;
    default: break;
    }
    buf_puts(o, GEN_ONE(g, gen_ints));
    return P_PRIM;
  case GT_TIME:
    if (deep) {
      GTy d = gen_ty(GT_DUR, 0, 0);
      switch (gen_pick(g, 3)) {
      case 0: gen_sub(g, o, t, depth - 1, P_ADD, GC_ARITH, 0); buf_puts(o, " + "); gen_sub(g, o, d, depth - 1, P_ADD + 1, GC_ARITH, 0); break;
      case 1: gen_sub(g, o, d, depth - 1, P_ADD, GC_ARITH, 0); buf_puts(o, " + "); gen_sub(g, o, t, depth - 1, P_ADD + 1, GC_ARITH, 0); break;
      default: gen_sub(g, o, t, depth - 1, P_ADD, GC_ARITH, 0); buf_puts(o, " - "); gen_sub(g, o, d, depth - 1, P_ADD + 1, GC_ARITH, 0); break;
      }
      return P_ADD;
    }
    switch (gen_pick(g, 5)) {
    case 1: if ((fi = gen_field_of(g, t)) >= 0) { gen_field(g, o, fi); return P_PRIM; } break;
    case 2: if (gen_index(g, o, t, depth)) return P_PRIM; break;
    case 3:
      if (gen_coin(g, 1, 3)) {   /* a conversion: of a constant, or of a string that may fail */
        buf_puts(o, "time(");
        if (gen_coin(g, 1, 2)) buf_printf(o, "\"%s\"", GEN_ONE(g, gen_dates));
        else gen_sub(g, o, gen_ty(GT_STR, 0, 0), 0, 0, GC_CALL, 0);
        buf_puts(o, ")");
        return P_PRIM;
      }
      buf_puts(o, GEN_ONE(g, gen_dates)); return P_PRIM;
    case 4: buf_puts(o, GEN_ONE(g, gen_stamps)); return P_PRIM;
    default: break;
    }
    buf_puts(o, "now");
    return P_PRIM;
  case GT_DUR:
    if (deep) {
      GTy tm = gen_ty(GT_TIME, 0, 0);
      switch (gen_pick(g, 3)) {
      case 0: {
        const char *op = gen_coin(g, 1, 2) ? " - " : " + ";
        gen_sub(g, o, t, depth - 1, P_ADD, GC_ARITH, 0); buf_puts(o, op); gen_sub(g, o, t, depth - 1, P_ADD + 1, GC_ARITH, 0);
        return P_ADD;
      }
      case 1:
        gen_sub(g, o, tm, depth - 1, P_ADD, GC_ARITH, 0); buf_puts(o, " - "); gen_sub(g, o, tm, depth - 1, P_ADD + 1, GC_ARITH, 0);
        return P_ADD;
      default: {
        Buf b = {0};
        gen_sub(g, &b, t, depth - 1, P_NEG, GC_NEG, 0);
        buf_puts(o, b.p[0] == '-' ? "- " : "-");
        buf_put(o, b.p, b.n);
        buf_free(&b);
        return P_NEG;
      }
      }
    }
    switch (gen_pick(g, 3)) {
    case 1: if ((fi = gen_field_of(g, t)) >= 0) { gen_field(g, o, fi); return P_PRIM; } break;
    case 2: if (gen_index(g, o, t, depth)) return P_PRIM; break;
    default: break;
    }
    buf_puts(o, GEN_ONE(g, gen_durs));
    return P_PRIM;
  default:
    buf_puts(o, "true");
    return P_PRIM;
  }
}

/* x in S: S a set, a list literal, a list field or (for strings) a map field */
static int gen_in(Gen *g, Buf *o, int depth) {
  static const uint8_t ts[] = {GT_STR, GT_INT, GT_TIME, GT_DUR, GT_LEVEL};
  GTy t = gen_ty(GEN_ONE(g, ts), 0, (uint8_t)gen_pick(g, (unsigned)g->nlv));
  Buf rhs = {0};
  int hint = 0, fi;
  switch (gen_pick(g, 4)) {
  case 1: {    /* a set of the element type */
    int idx[6], n = 0;
    for (int i = 0; i < g->nset; i++) if (g->set[i].elem == t.t) idx[n++] = i;
    if (n) { buf_puts(&rhs, g->set[idx[gen_pick(g, (unsigned)n)]].name); break; }
    goto literal;
  }
  case 2:      /* a list field; list<scope> holds strings too */
    if ((fi = gen_field_of(g, gen_ty(GT_LIST, t.t, t.lv))) >= 0 ||
        (t.t == GT_STR && (fi = gen_field_of(g, gen_ty(GT_LIST, GT_SCOPE, 0))) >= 0)) {
      gen_field(g, &rhs, fi);
      hint = 1;
      break;
    }
    goto literal;
  case 3:      /* a map field: is the string one of its keys */
    if (t.t == GT_STR) {
      int idx[48], n = 0;
      for (int i = 0; i < g->nf; i++) if (g->f[i].ty.t == GT_MAP) idx[n++] = i;
      if (n) { gen_field(g, &rhs, idx[gen_pick(g, (unsigned)n)]); break; }
    }
    goto literal;
  default:
  literal: {
    int n = gen_coin(g, 1, 16) ? 0 : 1 + (int)gen_pick(g, 3);
    buf_putc(&rhs, '[');
    for (int i = 0; i < n; i++) {
      if (i) buf_puts(&rhs, ", ");
      if (g->mischief && gen_coin(g, 1, (unsigned)g->mischief)) {
        int p = gen_wild(g, &rhs, t, 0, GC_LIST);
        if (p) continue;
      }
      gen_const(g, &rhs, t, 1);
    }
    buf_puts(&rhs, gen_coin(g, 1, 8) && n ? ",]" : "]");
  }
  }
  gen_sub(g, o, t, depth, P_CMP + 1, GC_IN_LEFT, hint);
  buf_puts(o, gen_coin(g, 1, 3) ? " not in " : " in ");
  if (g->mischief && gen_coin(g, 1, (unsigned)g->mischief)) {
    Buf w = {0};
    if (gen_wild(g, &w, t, 0, GC_IN_RIGHT)) { buf_free(&rhs); rhs = w; }
    else buf_free(&w);
  }
  buf_put(o, rhs.p, rhs.n);
  buf_free(&rhs);
  return P_CMP;
}

/* all/any/none q IN C: body, over a set or a list or map field; the body reads q now and
 * then. Returns 0 when there is nothing to range over. */
static int gen_quant(Gen *g, Buf *o, int depth) {
  static const char *const qs[] = {"all", "any", "none"};
  int idx[48], n = 0;
  for (int i = 0; i < g->nf; i++) if (g->f[i].ty.t == GT_LIST || g->f[i].ty.t == GT_MAP) idx[n++] = i;
  uint8_t elem;
  Buf c = {0};
  if (g->nset && (!n || gen_coin(g, 1, 2))) {
    GSet *S = &g->set[gen_pick(g, (unsigned)g->nset)];
    buf_puts(&c, S->name);
    elem = S->elem;
  } else if (n) {
    int fi = idx[gen_pick(g, (unsigned)n)];
    gen_field(g, &c, fi);
    elem = g->f[fi].ty.t == GT_MAP ? GT_STR : g->f[fi].ty.elem;
  } else return 0;
  int q = g->qdepth;
  buf_printf(o, "%s q%d in %.*s: ", GEN_ONE(g, qs), q, (int)c.n, c.p);
  buf_free(&c);
  g->qdepth++;
  if (gen_coin(g, 1, 2) && elem != GT_LEVEL) {
    static const char *const tail[] = {" == \"gpt-4o\"", " > 1", " < now", " > 0s", "", " == \"a\""};
    if (elem == GT_STR || elem == GT_SCOPE) buf_printf(o, "len(q%d) > 1 or q%d%s", q, q, tail[0]);
    else buf_printf(o, "q%d%s", q, tail[elem == GT_INT ? 1 : elem == GT_TIME ? 2 : 3]);
    if (depth > 0 && gen_coin(g, 1, 2)) { buf_puts(o, " and "); gen_sub(g, o, gen_ty(GT_BOOL, 0, 0), depth - 1, P_AND + 1, GC_LOGIC, 0); }
  } else gen_sub(g, o, gen_ty(GT_BOOL, 0, 0), depth, P_QUANT, GC_LOGIC, 0);
  g->qdepth--;
  return 1;
}

static int gen_bool(Gen *g, Buf *o, int depth) {
  GTy b = gen_ty(GT_BOOL, 0, 0), s = gen_ty(GT_STR, 0, 0);
  if (g->qdepth < 3 && gen_coin(g, 1, 10) && gen_quant(g, o, depth)) return P_QUANT;
  switch (gen_pick(g, 9)) {
  case 0: case 1: {
    int p = gen_coin(g, 1, 2) ? P_OR : P_AND;
    gen_sub(g, o, b, depth, p, GC_LOGIC, 0);
    /* a condition may break across lines around its operators */
    static const char *const brk[] = {" ", " ", " ", "\n    ", "\n\t\t"};
    const char *pre = gen_coin(g, 1, 8) ? GEN_ONE(g, brk) : " ", *post = gen_coin(g, 1, 8) ? GEN_ONE(g, brk) : " ";
    buf_printf(o, "%s%s%s", pre, p == P_OR ? "or" : "and", post);
    gen_sub(g, o, b, depth, p + 1, GC_LOGIC, 0);
    return p;
  }
  case 2:
    buf_puts(o, "not ");
    gen_sub(g, o, b, depth, P_NOT, GC_NOT, 0);
    return P_NOT;
  case 3: case 4: {
    static const uint8_t ts[] = {GT_STR, GT_INT, GT_TIME, GT_DUR, GT_LEVEL, GT_BOOL, GT_SCOPE};
    static const char *const ops[] = {" == ", " != ", " < ", " <= ", " > ", " >= "};
    GTy t = gen_ty(GEN_ONE(g, ts), 0, (uint8_t)gen_pick(g, (unsigned)g->nlv));
    int ordered = t.t == GT_INT || t.t == GT_TIME || t.t == GT_DUR || t.t == GT_LEVEL;
    const char *op = ops[gen_pick(g, ordered ? 6 : 2)];
    /* A bare level value takes its type from the other side, so one side may be bare
     * even when the value is ambiguous. */
    unsigned bare = gen_pick(g, 2);
    gen_sub(g, o, t, depth, P_CMP + 1, GC_CMP, bare == 0);
    buf_puts(o, op);
    gen_sub(g, o, t, depth, P_CMP + 1, GC_CMP, bare == 1);
    return P_CMP;
  }
  case 5: return gen_in(g, o, depth);
  case 6:
    if (g->scope_field >= 0) {
      gen_field(g, o, g->scope_field);
      buf_puts(o, " under ");
      if (g->mischief && gen_coin(g, 1, (unsigned)g->mischief) && gen_wild(g, o, s, 0, GC_TOP)) return P_CMP;
      gen_scope_ref(g, o);
      return P_CMP;
    }
    /* fall through */
  case 7: {
    static const char *const fns[] = {"starts_with", "ends_with", "contains", "matches"};
    buf_printf(o, "%s(", GEN_ONE(g, fns));
    gen_sub(g, o, s, depth, 0, GC_CALL, 0);
    buf_puts(o, ", ");
    gen_sub(g, o, s, depth, 0, GC_CALL, 0);
    buf_puts(o, ")");
    return P_PRIM;
  }
  default: {
    int fi = g->nf ? (int)gen_pick(g, (unsigned)g->nf) : -1;
    if (fi < 0) { buf_puts(o, "true"); return P_PRIM; }
    buf_puts(o, "has(");
    if (g->mischief && gen_coin(g, 1, (unsigned)g->mischief) && gen_wild(g, o, s, 0, GC_HAS)) { buf_puts(o, ")"); return P_PRIM; }
    if (g->f[fi].ty.t == GT_MAP && gen_coin(g, 1, 2)) gen_index(g, o, gen_ty(g->f[fi].ty.elem, 0, g->f[fi].ty.lv), depth);
    else gen_field(g, o, fi);
    buf_puts(o, ")");
    return P_PRIM;
  }
  }
}

static void gen_cond(Gen *g, Buf *o) { gen_sub(g, o, gen_ty(GT_BOOL, 0, 0), 1 + (int)gen_pick(g, 4), 0, GC_TOP, 0); }

/* a budget or split key: a string, an int or the scope */
static void gen_key(Gen *g, Buf *o) {
  static const uint8_t ts[] = {GT_STR, GT_INT, GT_SCOPE};
  gen_sub(g, o, gen_ty(GEN_ONE(g, ts), 0, 0), (int)gen_pick(g, 3), 0, GC_KEY, 0);
}

/* ---- guardrails, exemptions, routes, budgets ---- */

/* Items of a declaration, each a line, written in an order the choices pick. */
typedef struct GItems { Buf it[16]; int n; } GItems;
static Buf *gen_item(GItems *L) { Buf *b = &L->it[L->n++]; memset(b, 0, sizeof *b); return b; }
static void gen_items_out(Gen *g, Buf *o, GItems *L) {
  while (L->n) {
    unsigned i = gen_pick(g, (unsigned)L->n);
    buf_puts(o, "\n  ");
    if (L->it[i].n) buf_put(o, L->it[i].p, L->it[i].n);
    buf_free(&L->it[i]);
    L->it[i] = L->it[--L->n];
  }
}

static void gen_message(Gen *g, Buf *o) {
  static const char *const texts[] = {"model ", " is not allowed", " \\{over the limit\\}", "caf\xc3\xa9 ",
                                      " \\\"quoted\\\" ", " tab\\t ", " \\u00e9 ", "}", " "};
  buf_puts(o, "message \"");
  int n = (int)gen_pick(g, 6);
  for (int i = 0; i < n; i++) {
    if (gen_coin(g, 1, 2)) { buf_puts(o, GEN_ONE(g, texts)); continue; }
    int idx[48], k = 0;
    for (int j = 0; j < g->nf; j++) if (g->f[j].ty.t != GT_LIST && g->f[j].ty.t != GT_MAP) idx[k++] = j;
    if (k) { buf_putc(o, '{'); gen_field(g, o, idx[gen_pick(g, (unsigned)k)]); buf_putc(o, '}'); }
  }
  if (gen_break(g, "message")) {
    static const char *const bad[] = {"{", "{}", "{request}", "{x.y}", "{a..b}",
                                      "{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}{0}", "{L}", "{S}"};
    const char *b = GEN_ONE(g, bad);
    if (!strcmp(b, "{request}")) buf_printf(o, "{%s}", g->in);
    else if (!strcmp(b, "{L}") && g->nf) { buf_puts(o, "{"); gen_field(g, o, g->nf - 1); buf_puts(o, "}"); }
    else if (!strcmp(b, "{S}")) { buf_puts(o, "{"); gen_nonvalue_name(g, o); buf_puts(o, "}"); }
    else if (b[1] == '0') {   /* one hole too many, of a field that can be shown */
      int k = -1;
      for (int j = 0; j < g->nf; j++) if (g->f[j].ty.t != GT_LIST && g->f[j].ty.t != GT_MAP) k = j;
      for (int i = 0; i < 17; i++) {
        if (k >= 0) { buf_putc(o, '{'); gen_field(g, o, k); buf_putc(o, '}'); }
        else buf_printf(o, "{%s.nope}", g->in);
      }
    }
    else buf_puts(o, b);
  }
  buf_puts(o, "\"");
}

static void gen_guardrail(Gen *g, Buf *o, int i) {
  static const char *const names[][2] = {
    {"approved-model", "route"}, {"confidential-stays", "key"}, {"big-prompt", "g3"},
    {"cost-center-tag", "budget"}, {"needs-team", "test"}, {"gr_6", "default"},
  };
  const char *name = g->grname[i];
  if (i < 6) name = names[i][gen_pick(g, 2)];
  else snprintf(g->grname[i], sizeof g->grname[i], "gr-%d", i % 1000);
  g->gr[g->ngr++] = name;
  static const char *const effects[] = {"deny", "warn", "audit"};
  GItems L = {.n = 0};
  Buf *b = gen_item(&L);
  buf_printf(b, "%s when ", GEN_ONE(g, effects));
  gen_cond(g, b);
  if (gen_coin(g, 1, 2)) {
    static const char *const sev[] = {"low", "medium", "high", "critical"};
    buf_printf(gen_item(&L), "severity %s", GEN_ONE(g, sev));
  }
  if (gen_coin(g, 1, 2)) gen_message(g, gen_item(&L));
  if (g->scope_field >= 0 && gen_coin(g, 1, 3)) {   /* scoped: needs the request's scope */
    b = gen_item(&L);
    buf_puts(b, "scope ");
    int n = 1 + (int)gen_pick(g, 3) + (g->big && gen_coin(g, 1, 64) ? (int)gen_pick(g, 70) : 0);
    for (int k = 0; k < n; k++) { if (k) buf_puts(b, ", "); gen_scope_ref(g, b); }
  }
  if (gen_coin(g, 1, 3)) buf_printf(gen_item(&L), "mode %s", gen_coin(g, 1, 2) ? "dry-run" : "enforce");
  if (gen_coin(g, 1, 3)) buf_printf(gen_item(&L), "on-error %s", gen_coin(g, 1, 2) ? "allow" : "deny");
  if (gen_break(g, "guardrail")) {
    static const char *const bad[] = {"warn when true", "mode loud", "on-error maybe", "severity huge",
                                      "owner \"x\"", "scope nowhere", "scope \"no-slash\""};
    buf_puts(gen_item(&L), GEN_ONE(g, bad));
  }
  buf_printf(o, "guardrail %s {", gen_break(g, "dup") && g->ngr > 1 ? g->gr[0] : name);
  gen_items_out(g, o, &L);
  buf_puts(o, "\n}\n");
}

static void gen_exemption(Gen *g, Buf *o, int i) {
  static const char *const ids[] = {"EX-2026-014", "EX-1", "exempt_3", "EX-2026-015"};
  static const char *const created[] = {"2025-01-01", "2025-10-01T08:00:00Z", "2024-02-29"};
  static const char *const starts[] = {"2025-12-01", "2026-01-01T00:00:00Z", "2025-10-01T08:00:00Z"};
  static const char *const expires[] = {"2026-12-31", "never", "2026-12-31T23:59:59Z",
                                        "2027-01-01T00:59:59+01:00", "2026-11-22", "2026-01-01"};
  g->ex[g->nex++] = ids[i];
  GItems L = {.n = 0};
  Buf *b = gen_item(&L);
  buf_puts(b, "waives ");
  int n = 1 + (int)gen_pick(g, (unsigned)g->ngr), first = (int)gen_pick(g, (unsigned)g->ngr);
  for (int k = 0; k < n; k++) buf_printf(b, "%s%s", k ? ", " : "", g->gr[(first + k) % g->ngr]);
  b = gen_item(&L);
  buf_puts(b, "scope ");
  gen_scope_ref(g, b);
  buf_printf(gen_item(&L), "owner \"%s\"", gen_coin(g, 1, 4) ? "\\u00e9quipe@contoso.com" : "alice@contoso.com");
  buf_printf(gen_item(&L), "expires %s", GEN_ONE(g, expires));
  buf_printf(gen_item(&L), "reason \"%s\"", gen_coin(g, 1, 4) ? "a \\\"reason\\\"" : "vendor evaluation");
  if (gen_coin(g, 1, 2)) { b = gen_item(&L); buf_puts(b, "when "); gen_cond(g, b); }
  if (gen_coin(g, 1, 3)) buf_printf(gen_item(&L), "created %s", GEN_ONE(g, created));
  if (gen_coin(g, 1, 3)) buf_printf(gen_item(&L), "starts %s", GEN_ONE(g, starts));
  int mitigated = gen_coin(g, 1, 3);
  if (gen_coin(g, 1, 2) || mitigated) buf_printf(gen_item(&L), "category %s", mitigated ? "mitigated" : "waiver");
  if (gen_coin(g, 1, 2) || mitigated) {
    b = gen_item(&L);
    int k = mitigated ? 1 + (int)gen_pick(g, 3) : (int)gen_pick(g, 3);
    buf_puts(b, "controls [");
    for (int j = 0; j < k; j++) buf_printf(b, "%s\"control %d\"", j ? ", " : "", j);
    buf_puts(b, k && gen_coin(g, 1, 4) ? ",]" : "]");
  }
  if (gen_coin(g, 1, 3)) buf_puts(gen_item(&L), "ticket \"SEC-1234\"");
  if (gen_break(g, "exemption")) {
    static const char *const bad[] = {"created 2030-01-01", "owner \"\"", "category mitigated",
                                      "waives nothing-here", "scope \"/a\", \"/b\"", "category other",
                                      "deny when true", "expires 2026-02-30", "starts 2030-01-01"};
    buf_puts(gen_item(&L), GEN_ONE(g, bad));
  }
  buf_printf(o, "exemption %s {", ids[i]);
  gen_items_out(g, o, &L);
  buf_puts(o, "\n}\n");
}

static void gen_target_list(Gen *g, Buf *o) {
  int n = 1 + (int)gen_pick(g, 3) + (g->big && gen_coin(g, 1, 8) ? (int)gen_pick(g, 70) : 0);
  for (int k = 0; k < n; k++) buf_printf(o, "%s%s", k ? ", " : "", GEN_ONE(g, gen_targets));
}

static void gen_route(Gen *g, Buf *o, int i) {
  static const char *const names[][2] = {{"chat", "default"}, {"embed", "route"}};
  const char *name = names[i][gen_pick(g, 2)];
  g->route[g->nroute++] = name;
  buf_printf(o, "route %s {", name);
  int n = 1 + (int)gen_pick(g, 4);
  for (int r = 0; r < n; r++) {
    buf_puts(o, "\n  ");
    switch (gen_pick(g, 3)) {
    case 0:
      buf_puts(o, "when ");
      if (g->nbudget && gen_coin(g, 1, 4))   /* the host's usage: missing from the input, so it fails closed */
        buf_printf(o, "budget(%s).used >= %s and ", g->budget[gen_pick(g, (unsigned)g->nbudget)], gen_coin(g, 1, 2) ? "80%" : "1");
      gen_cond(g, o); buf_puts(o, " -> "); gen_target_list(g, o);
      if (gen_coin(g, 1, 4)) { buf_puts(o, " cache 1h by "); gen_key(g, o); }
      break;
    case 1: {
      buf_puts(o, "split by ");
      gen_key(g, o);
      buf_puts(o, " {");
      int arms = 1 + (int)gen_pick(g, 4) + (g->big && gen_coin(g, 1, 8) ? (int)gen_pick(g, 70) : 0), left = 10000;
      for (int a = 0; a < arms; a++) {
        int w = a == arms - 1 ? left : 1 + (int)(gen_pick(g, 256) * (unsigned)(left - (arms - a)) / 256);
        if (a < arms - 1 && w > left - (arms - a - 1)) w = left - (arms - a - 1);
        left -= w;
        if (w % 100) buf_printf(o, "%s %d.%02d%% %s", a ? "," : "", w / 100, w % 100, GEN_ONE(g, gen_targets));
        else buf_printf(o, "%s %d%% %s", a ? "," : "", w / 100, GEN_ONE(g, gen_targets));
      }
      buf_puts(o, gen_coin(g, 1, 4) ? ", }" : " }");
      break;
    }
    default: buf_puts(o, "default -> "); gen_target_list(g, o); break;
    }
  }
  if (gen_break(g, "route")) {
    static const char *const bad[] = {"split by true { 100% a:b }", "split by \"k\" { 60% a:b, 30% c:d }",
                                      "split by \"k\" { 0% a:b, 100% c:d }", "default -> \"nocolon\"",
                                      "when 1 -> a:b", "default -> \"a:b@\""};
    buf_printf(o, "\n  %s", GEN_ONE(g, bad));
  }
  buf_puts(o, "\n}\n");
}

static void gen_budget(Gen *g, Buf *o, int i) {
  static const char *const names[][2] = {{"team-tokens", "at"}, {"sandbox-requests", "per"}};
  static const char *const units[] = {"tokens", "requests", "calls"};
  static const char *const periods[] = {"month", "minute", "hour", "day", "week", "10s", "5 minutes", "1 day"};
  static const char *const pcts[] = {"80%", "100%", "0.25%", "12.5%", "0%"};
  const char *name = names[i][gen_pick(g, 2)];
  g->budget[g->nbudget++] = name;
  GItems L = {.n = 0};
  Buf *b = gen_item(&L);
  buf_puts(b, "key ");
  gen_key(g, b);
  const char *unit = GEN_ONE(g, units), *period = GEN_ONE(g, periods);
  if (g->table && gen_coin(g, 1, 3)) buf_printf(gen_item(&L), "limit limits_t[\"claims\"] %s per %s", unit, period);
  else buf_printf(gen_item(&L), "limit %s %s per %s", GEN_ONE(g, gen_ints), unit, period);
  if (strcmp(period, "month") && gen_coin(g, 1, 3)) buf_puts(gen_item(&L), "window sliding");
  if (strcmp(unit, "requests") && gen_coin(g, 1, 3)) {
    b = gen_item(&L);
    buf_puts(b, "charge ");
    gen_sub(g, b, gen_ty(GT_INT, 0, 0), 1, 0, GC_TOP, 0);
  }
  if (gen_coin(g, 1, 2)) buf_printf(gen_item(&L), "warn at %s", GEN_ONE(g, pcts));
  if (gen_coin(g, 1, 2)) { b = gen_item(&L); buf_puts(b, "when "); gen_cond(g, b); }
  if (gen_break(g, "budget")) {
    static const char *const bad[] = {"warn at 150%", "limit 1 tokens per year", "key true", "severity low",
                                      "key 1", "when 1"};
    buf_puts(gen_item(&L), GEN_ONE(g, bad));
  }
  buf_printf(o, "budget %s {", name);
  gen_items_out(g, o, &L);
  buf_puts(o, "\n}\n");
}

/* ---- values: test inputs (source) and the evaluated input (JSON) ---- */

static void gen_value(Gen *g, Buf *o, GTy t, int json) {
  switch (t.t) {
  case GT_STR: {
    const char *s = GEN_ONE(g, gen_values);
    if (json) buf_json_str(o, s, strlen(s)); else buf_printf(o, "\"%s\"", s);
    break;
  }
  case GT_SCOPE: {
    const char *s = gen_coin(g, 1, 2) ? GEN_ONE(g, gen_scope_inputs) : GEN_ONE(g, gen_scope_texts);
    if (json) buf_json_str(o, s, strlen(s)); else buf_printf(o, "\"%s\"", s);
    break;
  }
  case GT_INT: {
    int64_t v = GEN_ONE(g, gen_int_values);
    buf_printf(o, "%lld", (long long)v);
    break;
  }
  case GT_BOOL: buf_puts(o, gen_coin(g, 1, 2) ? "false" : "true"); break;
  case GT_TIME:
    if (json && gen_coin(g, 1, 4)) buf_printf(o, "%lld", (long long)1795305600 + (long long)gen_pick(g, 200) * 3600 - 360000);
    else if (json) buf_printf(o, "\"%s\"", gen_coin(g, 1, 2) ? GEN_ONE(g, gen_stamps) : GEN_ONE(g, gen_dates));
    else buf_puts(o, gen_coin(g, 1, 2) ? GEN_ONE(g, gen_stamps) : GEN_ONE(g, gen_dates));
    break;
  case GT_DUR:
    if (json) buf_printf(o, "%lld", (long long)GEN_ONE(g, gen_dur_values));
    else buf_puts(o, GEN_ONE(g, gen_durs));
    break;
  case GT_LEVEL: {
    const GLevels *L = &g->lv[t.lv];
    buf_printf(o, "\"%s\"", L->v[gen_pick(g, (unsigned)L->n)]);
    break;
  }
  case GT_LIST: {
    int n = (int)gen_pick(g, 4);
    buf_putc(o, '[');
    for (int i = 0; i < n; i++) {
      if (i) buf_puts(o, ", ");
      gen_value(g, o, gen_ty(t.elem, 0, t.lv), json);
    }
    buf_putc(o, ']');
    break;
  }
  default: {   /* a map */
    int n = (int)gen_pick(g, 4);
    buf_putc(o, '{');
    for (int i = 0; i < n; i++) {
      const char *k = GEN_ONE(g, gen_map_keys);
      if (i) buf_puts(o, ", ");
      if (json || strchr(k, ' ') || gen_coin(g, 1, 3)) buf_printf(o, "\"%s\": ", k);
      else buf_printf(o, "%s: ", k);
      gen_value(g, o, gen_ty(t.elem, 0, t.lv), json);
    }
    buf_putc(o, '}');
    break;
  }
  }
}

static void gen_test(Gen *g, Buf *o, int i) {
  static const char *const verdicts[] = {"violation", "warning", "error", "waived"};
  buf_printf(o, "test \"case %d\" {", i);
  GItems L = {.n = 0};
  static const char *const nows[] = {"2026-11-22", "2026-11-22T09:30:00Z", "2027-01-01"};
  buf_printf(gen_item(&L), "now %s", GEN_ONE(g, nows));
  Buf *b = gen_item(&L);
  buf_puts(b, "input {");
  for (int k = 0; k < g->nf; k++) {
    if (gen_coin(g, 1, 4)) continue;
    buf_printf(b, "%s%s: ", k ? ", " : " ", g->f[k].name);
    gen_value(g, b, g->f[k].ty, 0);
  }
  buf_puts(b, " }");
  buf_printf(gen_item(&L), "expect %s", gen_coin(g, 1, 2) ? "deny" : "allow");
  int n = (int)gen_pick(g, 4);
  for (int k = 0; k < n && L.n < 14; k++) {
    b = gen_item(&L);
    switch (gen_pick(g, 4)) {
    case 0:
      if (g->ngr) { buf_printf(b, "expect %s %s", GEN_ONE(g, verdicts), g->gr[gen_pick(g, (unsigned)g->ngr)]); break; }
      /* fall through */
    case 1:
      if (g->nex && g->ngr) {
        buf_printf(b, "expect waived %s by %s", g->gr[gen_pick(g, (unsigned)g->ngr)], g->ex[gen_pick(g, (unsigned)g->nex)]);
        break;
      }
      if (g->ngr) {   /* by any exemption; or the findings that are not guardrails */
        buf_printf(b, "expect %s %s", GEN_ONE(g, verdicts), g->gr[gen_pick(g, (unsigned)g->ngr)]);
        if (g->ngr > 1) buf_printf(b, ", %s", g->gr[g->ngr - 1]);
        int colon = !gen_skipped(g, "expect-colon");
        if (g->nbudget && gen_coin(g, 1, 8) && colon) buf_printf(b, ", budget:%s", g->budget[0]);
        if (g->nroute && gen_coin(g, 1, 8) && colon) buf_printf(b, ", route:%s", g->route[0]);
        if (gen_coin(g, 1, 3)) buf_puts(b, ", no-permitted-route");
        break;
      }
      /* fall through */
    case 2:
      if (g->nroute && gen_coin(g, 1, 2)) {
        buf_printf(b, "expect route %s", g->route[gen_pick(g, (unsigned)g->nroute)]);
        if (gen_coin(g, 1, 2)) { buf_puts(b, " -> "); gen_target_list(g, b); }
      } else buf_puts(b, "expect route none");
      break;
    default:
      if (g->nbudget) buf_printf(b, "expect budget %s", g->budget[gen_pick(g, (unsigned)g->nbudget)]);
      else buf_puts(b, "expect allow");
      break;
    }
  }
  if (gen_break(g, "test")) {
    static const char *const bad[] = {"expect violation no-such-guardrail", "expect budget nothing",
                                      "input { no_such_field: 1 }", "now 2026-02-30", "severity low"};
    buf_puts(gen_item(&L), GEN_ONE(g, bad));
  }
  gen_items_out(g, o, &L);
  buf_puts(o, "\n}\n");
}

/* ---- the whole policy and an input ---- */

static Buf *gen_decl(Gen *g) {
  Buf *b = &g->decl[g->ndecl++];
  memset(b, 0, sizeof *b);
  return b;
}

static void gen_init(Gen *g, const uint8_t *data, size_t size, const char *skip) {
  memset(g, 0, sizeof *g);
  g->p = data; g->n = size; g->skip = skip;
  /* One program in eight is mischievous: in three of four, one expression in 4 to 11 is
   * wild; in the fourth, declarations are broken instead (kept apart, as a declaration
   * error stops the compiler before it checks expressions). */
  if (size && data[0] % 8 == 7) {
    if ((data[0] >> 3) % 4 == 3) g->broken = 1;
    else g->mischief = 4 + (data[0] >> 5);
  }
  if (size) g->pos = 1;
}

/* One file, or two: of one package, or of two that import each other (so that every
 * name is visible from both). Each declaration lands in either file. */
static void gen_policy(Gen *g) {
  static const char *const pkgs[] = {"gen", "contoso.ai", "a.b.c"};
  const char *pkg = GEN_ONE(g, pkgs);
  g->nsrc = gen_coin(g, 1, 4) ? 2 : 1;
  int two_pkgs = g->nsrc == 2 && gen_coin(g, 1, 2);
  g->big = gen_coin(g, 1, 48);
  if (gen_break(g, "unknown")) buf_puts(&g->src[0], "import no.such.pkg\n");
  for (int f = 0; f < g->nsrc; f++) {
    buf_printf(&g->src[f], "# generated\npolicy %s%s\n", pkg, two_pkgs && f ? ".lib" : "");
    if (two_pkgs) buf_printf(&g->src[f], "import %s%s\n", pkg, f ? "" : ".lib");
  }
  if (gen_coin(g, 1, 8)) buf_printf(&g->src[0], "import %s\n", pkg);
  /* declarations of names first (expressions need them), then written in any order */
  gen_levels(g, gen_decl(g));
  gen_schema(g, gen_decl(g));
  gen_sets(g, gen_decl(g));
  gen_scopes(g, gen_decl(g));
  if (gen_coin(g, 1, 2)) gen_hierarchy(g, gen_decl(g));
  int n = 1 + (int)gen_pick(g, 5) + (g->big ? 60 + (int)gen_pick(g, 100) : 0);
  for (int i = 0; i < n; i++) gen_guardrail(g, gen_decl(g), i);
  n = (int)gen_pick(g, 4);
  for (int i = 0; i < n && g->scope_field >= 0; i++) gen_exemption(g, gen_decl(g), i);
  /* budgets before routes, which may read their usage */
  int nr = (int)gen_pick(g, 3);
  n = (int)gen_pick(g, 3);
  for (int i = 0; i < n; i++) gen_budget(g, gen_decl(g), i);
  for (int i = 0; i < nr; i++) gen_route(g, gen_decl(g), i);
  n = (int)gen_pick(g, 3);
  for (int i = 0; i < n; i++) gen_test(g, gen_decl(g), i);
  while (g->ndecl) {
    unsigned i = gen_pick(g, (unsigned)g->ndecl);
    Buf *o = &g->src[gen_pick(g, (unsigned)g->nsrc)];
    if (g->decl[i].n) buf_put(o, g->decl[i].p, g->decl[i].n);
    buf_free(&g->decl[i]);
    g->decl[i] = g->decl[--g->ndecl];
    if (gen_coin(g, 1, 8)) buf_puts(o, gen_coin(g, 1, 2) ? "/* a block\n   comment */\n" : "\n# note\n");
  }
}

/* An input for the policy: each field present or not, now and then of the wrong type. */
static void gen_input(Gen *g) {
  buf_putc(&g->json, '{');
  int first = 1;
  for (int k = 0; k < g->nf; k++) {
    if (gen_coin(g, 1, 5)) continue;
    buf_printf(&g->json, "%s\"%s\": ", first ? "" : ", ", g->f[k].name);
    first = 0;
    if (gen_coin(g, 1, 32)) gen_value(g, &g->json, gen_any_type(g), 1);
    else gen_value(g, &g->json, g->f[k].ty, 1);
  }
  buf_putc(&g->json, '}');
}

static void gen_free(Gen *g) {
  buf_free(&g->src[0]);
  buf_free(&g->src[1]);
  buf_free(&g->json);
  for (int i = 0; i < g->ndecl; i++) buf_free(&g->decl[i]);
}

#endif
