/* aigwc lint: a bundle's declarations become fact documents (docs/lint.md), judged by
 * the lint bundle — guardrails in the policy language, stdlib-policies/lint plus the
 * user's --rules, run by the same VM — and the findings are written in the formats CI
 * tools keep. Reads bundles only through aigw.h. Prefix lint_.
 *
 *   lint_rules.c   compile the lint bundle; the rule table from its guardrails
 *   lint_facts.c   one fact document per exemption, guardrail, route rule and budget
 *   lint_pairs.c   the facts that relate declarations (overlaps, dead guardrails, targets)
 *   lint_check.c   run the facts, collect findings and suppressions
 *   lint_report.c  the report: compile diagnostics, order, fingerprints, counts
 *   lint_text.c    text, github, tap, markdown;  lint_json.c  json, sarif;
 *   lint_junit.c   junit */
#ifndef AIGW_LINT_H
#define AIGW_LINT_H
#include <stdint.h>
#include <stdio.h>
#include "aigw.h"
#include "diag.h"
#include "util.h"

typedef enum { LINT_NOTE, LINT_WARNING, LINT_ERROR } LintLevel;
extern const char *const lint_level_name[3];      /* "note", "warning", "error" */

/* Output formats, one list: the option's spelling and its writer. */
#define LINT_FORMATS(X) X(text) X(json) X(sarif) X(junit) X(github) X(tap) X(markdown)
typedef enum {
#define X(n) LINT_FMT_##n,
  LINT_FORMATS(X)
#undef X
  LINT_FMT__COUNT
} LintFormat;
int lint_format_parse(const char *name);          /* -1 when unknown */
extern const char lint_format_names[];            /* "text|json|…" for usage lines */

/* Rules that are not lint guardrails: what the compiler reports, and a lint rule that
 * could not be evaluated on a fact. */
#define LINT_RULE_COMPILE_ERROR "compile-error"
#define LINT_RULE_COMPILE_WARNING "compile-warning"
#define LINT_RULE_ERROR "lint-rule-error"

/* Where SARIF readers send a user who asks what the tool is. */
#define LINT_INFORMATION_URI "https://github.com/aigwc/aigwc/blob/main/docs/lint.md"

/* A rule. A lint guardrail's texts come from its message template, line by line: the
 * finding, how to fix it, why the rule exists (docs/lint.md, "Writing a rule"). */
typedef struct LintRule {
  char *id;
  LintLevel level;         /* deny: error, warn: warning, audit: note */
  char *severity;          /* the guardrail's, or NULL */
  char *summary;           /* the first line, holes shown as "…" */
  char *help;              /* the second line, or NULL */
  char *rationale;         /* the third line, or NULL */
  char *file; uint32_t line;   /* where the rule is written, or NULL */
} LintRule;

typedef struct LintFinding {
  uint32_t rule;           /* index into LintReport.rules */
  LintLevel level;
  char *message, *help;    /* help may be NULL */
  char *file;              /* NULL: not tied to a file */
  uint32_t line, col, len; /* len: the columns underlined, at least 1 */
  char *kind, *id;         /* the declaration ("exemption", "EX-1"), or NULL */
  char fingerprint[24];    /* primaryLocationLineHash: rule + declaration, no line */
  /* The suppression (an exemption of the lint bundle) that waives it, or NULL. */
  char *supp, *supp_owner, *supp_expires, *supp_reason;
  int64_t supp_days_left;  /* INT64_MAX: never */
  int supp_expired;        /* that suppression has expired: the finding is back */
} LintFinding;

typedef struct LintReport {
  LintRule *rules; uint32_t nrules, rcap;
  LintFinding *v; uint32_t n, cap;
  char **files; uint32_t nfiles, fcap;   /* every file checked, in order */
  int64_t now;
  uint32_t facts;          /* fact documents evaluated */
  uint32_t count[3];       /* active findings per level */
  uint32_t suppressed;
  int fail_on;             /* a LintLevel, or 3 (never): findings at or above it fail
                              (junit failures, tap "not ok") */
} LintReport;

void lint_report_init(LintReport *r, int64_t now);
void lint_report_free(LintReport *r);
/* The rule's index, added with the given texts when it is not there yet. */
uint32_t lint_rule(LintReport *r, const char *id, LintLevel lv, const char *summary, const char *help);
LintFinding *lint_add(LintReport *r, uint32_t rule, LintLevel lv, const char *msg, const char *help);
void lint_add_file(LintReport *r, const char *name);
/* The compiler's diagnostics as findings (compile-error, compile-warning). */
void lint_add_diags(LintReport *r, DiagSink *d);
/* Orders findings by file, line, column and rule; drops a compiler warning at the
 * place of a lint finding (the lint rule says the same, with an id to suppress);
 * computes fingerprints and counts. */
void lint_finish(LintReport *r);

/* ---- the lint bundle ---- */
/* The shipped rules, the .aigw files of stdlib-policies/lint, compiled into aigwc at build time
 * (tools/embed.sh), so that `aigwc lint` needs no installed files. */
typedef struct LintSource { const char *name; const char *text; size_t len; } LintSource;
extern const LintSource lint_stdlib[];
extern const size_t lint_nstdlib;
/* Compiles the shipped rules and the user's rule files; a user file with the name of a
 * shipped one replaces it. Diagnostics go to stderr. Returns 0, or -1 when the rules do
 * not compile. */
int lint_rules_open(char **files, int nfiles, aigw_bundle **out);
/* Adds the lint bundle's guardrails to the rule table, in declaration order. */
void lint_rules_table(LintReport *r, const aigw_bundle *rules);

/* ---- facts ---- */
typedef struct LintFacts LintFacts;
/* The pair facts of a policy bundle at now (lint_pairs.c); NULL on no memory. */
LintFacts *lint_facts_new(const aigw_bundle *policy, int64_t now);
void lint_facts_free(LintFacts *f);
/* Number of fact documents, and document k as a JSON object (appended to out). */
size_t lint_facts_count(const LintFacts *f);
void lint_fact_json(LintFacts *f, size_t k, Buf *out);
/* Sets document k as the input of c, a context of the rules bundle, field by field
 * (the same members as the JSON, without parsing it); when json is not NULL the JSON is
 * written there too. A member the rules' schema lacks is skipped, as JSON's unknown
 * keys are. Returns the first setter's failure (its reason in aigw_ctx_error). */
aigw_status lint_fact_input(LintFacts *f, size_t k, aigw_ctx *c, const aigw_bundle *rules, Buf *json);
/* Where document k's declaration is, what it is ("exemption"), the keyword written at
 * that place ("exemption", or a route rule's "when"), and its id (written to id). */
void lint_fact_where(const LintFacts *f, size_t k, aigw_loc *loc, const char **kind, const char **keyword, Buf *id);

/* lint_pairs.c, for lint_facts.c */
typedef struct LintPairs LintPairs;
LintPairs *lint_pairs_new(const aigw_bundle *policy, int64_t now);
void lint_pairs_free(LintPairs *p);
/* Exemption e: the earlier active exemptions it overlaps, and the waived guardrails that
 * can never fire in its scope (dead) or whose scopes lie apart from it (outside). */
void lint_pairs_exemption(LintPairs *p, size_t e, const char ***overlaps, size_t *noverlaps,
                          const char ***dead, size_t *ndead, const char ***outside, size_t *noutside);
/* Route r's rule k: the targets some guardrail refuses whatever the request, and
 * whether an earlier rule surely gives a target first. */
void lint_pairs_rule(LintPairs *p, size_t r, size_t k, const char ***refused, size_t *n, int *unreachable);
/* An enforced deny guardrail fires on every request: no route, no budget. */
int lint_pairs_always_denied(const LintPairs *p);
/* How many exemptions waive guardrail g. */
size_t lint_pairs_waivers(const LintPairs *p, size_t g);

/* ---- checking ---- */
/* Runs every fact of policy through rules; findings go to r. When facts_out is not
 * NULL each fact document is also written there, one JSON object a line. Returns an
 * exit code (2 when the rules cannot be run on the facts, with the reason on stderr). */
int lint_check(LintReport *r, const aigw_bundle *policy, const aigw_bundle *rules, FILE *facts_out);

/* ---- output ---- */
void lint_write(const LintReport *r, LintFormat f, FILE *out);
void lint_write_text(const LintReport *r, FILE *out);
void lint_write_github(const LintReport *r, FILE *out);
void lint_write_tap(const LintReport *r, FILE *out);
void lint_write_markdown(const LintReport *r, FILE *out);
void lint_write_json(const LintReport *r, FILE *out);
void lint_write_sarif(const LintReport *r, FILE *out);
void lint_write_junit(const LintReport *r, FILE *out);
/* "2026-12-31T00:00:00Z" */
void lint_time(int64_t t, char out[32]);

#endif
