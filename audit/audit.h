/* The exemption portfolio: every exemption of a bundle judged at one `now`, and the
 * summary a reviewer reads (docs/audit.md). Built from the metadata view of aigw.h
 * only; the writers (table, Markdown, CSV, JSON) read this model and compute nothing. */
#ifndef AIGW_AUDIT_H
#define AIGW_AUDIT_H
#include <stddef.h>
#include <stdint.h>
#include "aigw.h"
#include "util.h"

/* Named limits of the text and Markdown reports (JSON and CSV list everything). */
enum { AUDIT_WIDTH = 80,        /* a table fits this many columns */
       AUDIT_TOP = 5,           /* rows of the "most …" sections */
       AUDIT_TOP_OWNERS = 10 }; /* owners in the "by owner" section */

/* One list spelled once: status, its JSON key and its label. */
#define AUDIT_STATUSES(X) \
  X(ACTIVE, "active", "active") X(EXPIRING, "expiring", "expiring") \
  X(EXPIRED, "expired", "expired") X(NOT_STARTED, "not_started", "not started")
typedef enum {
#define X(e, key, label) AUDIT_##e,
  AUDIT_STATUSES(X)
#undef X
  AUDIT_NSTATUS
} AuditStatus;
extern const char *const audit_status_key[AUDIT_NSTATUS];
extern const char *const audit_status_label[AUDIT_NSTATUS];

/* How broad a scope is (docs/audit.md "broad"): 0 when it is not. */
typedef enum { AUDIT_NARROW = 0, AUDIT_BROAD_ROOT, AUDIT_BROAD_MG, AUDIT_BROAD_SUB, AUDIT_BROAD_SUBS } AuditBroad;
extern const char *const audit_broad_label[];   /* "", "tenant root", "management group", … */

#define AUDIT_GROUPINGS(X) X(NONE, "none") X(OWNER, "owner") X(GUARDRAIL, "guardrail") \
  X(SCOPE, "scope") X(CATEGORY, "category") X(AGE, "age")
typedef enum {
#define X(e, name) AUDIT_BY_##e,
  AUDIT_GROUPINGS(X)
#undef X
  AUDIT_NGROUPINGS
} AuditGroupBy;
extern const char *const audit_group_name[AUDIT_NGROUPINGS];

/* --fail-if conditions, as bits */
#define AUDIT_FAILS(X) X(EXPIRED, "expired") X(EXPIRING, "expiring") X(NEVER, "never") X(BROAD, "broad")
enum {
#define X(e, name) AUDIT_FAIL_BIT_##e,
  AUDIT_FAILS(X)
#undef X
  AUDIT_NFAILS
};
extern const char *const audit_fail_name[AUDIT_NFAILS];

enum { AUDIT_UNKNOWN = INT64_MIN, AUDIT_NEVER = INT64_MAX };   /* for days values */

typedef struct AuditEx {
  aigw_exemption_info info;
  AuditStatus status;
  int64_t days_left;        /* aigw_days_left; AUDIT_NEVER for never */
  int64_t age_days;         /* since created (else starts); AUDIT_UNKNOWN without either */
  int64_t lifetime_days;    /* from created (else starts) to expiry; AUDIT_UNKNOWN, AUDIT_NEVER */
  char *canon;              /* the scope in canonical form ("/" when it has none) */
  AuditBroad broad;
  size_t chain;             /* exemptions in the renewal chain ending here (1: renews none) */
  size_t renewed_by;        /* an exemption that renews this one, or SIZE_MAX */
  int64_t chain_created;    /* the earliest created date along the chain, or AUDIT_UNKNOWN */
  const char **guardrails;  /* names of the waived guardrails */
} AuditEx;

typedef struct AuditOwner { const char *owner; size_t total, by[AUDIT_NSTATUS]; } AuditOwner;
typedef struct AuditGuard {
  const char *name;
  size_t in_force, scopes, subs;   /* in-force exemptions, their distinct scopes and subscriptions */
  AuditBroad widest;               /* the broadest of their scopes */
} AuditGuard;
typedef struct AuditGroup { const char *key; size_t n, *ex; size_t by[AUDIT_NSTATUS]; } AuditGroup;

typedef struct Audit {
  const aigw_bundle *b;
  int64_t now, within;
  AuditGroupBy group_by;
  size_t n;
  AuditEx *ex;              /* in bundle order */
  size_t *order;            /* the listing: soonest expiry first, then by id */
  size_t count[AUDIT_NSTATUS], never;
  AuditOwner *owners; size_t nowners;      /* most exemptions first */
  AuditGuard *guards; size_t nguards;      /* guardrails with in-force exemptions, most first */
  size_t nsubs;                            /* distinct subscriptions the portfolio names */
  size_t *oldest; size_t noldest;          /* in force, with an age: oldest first */
  size_t *chains; size_t nchains;          /* chain heads of length >= 2: longest first */
  size_t *broad; size_t nbroad;            /* broad and not expired, in listing order */
  size_t *expiring_owners; size_t nexpiring_owners;  /* owners[] with expiring ones, most first */
  AuditGroup *groups; size_t ngroups;      /* with --group-by, in key order */
  Buf keys;                                /* text of computed group keys */
  void *mem;                               /* the guardrail names the rows point into */
} Audit;

/* Judges every exemption of b at now; within is the expiring window in seconds. */
void audit_build(Audit *a, const aigw_bundle *b, int64_t now, int64_t within, AuditGroupBy by);
void audit_free(Audit *a);
/* The bits of mask (1 << AUDIT_FAIL_BIT_*) whose condition holds. */
unsigned audit_fails(const Audit *a, unsigned mask);
/* How many exemptions make a condition hold, for the message. */
size_t audit_fail_count(const Audit *a, int bit);

/* Summary parts (audit_summary.c), called by audit_build. */
void audit_summarize(Audit *a);
void audit_group(Audit *a);

/* Writers: each appends the whole report to out. */
void audit_write_table(const Audit *a, Buf *out, int color);
void audit_write_markdown(const Audit *a, Buf *out);
void audit_write_csv(const Audit *a, Buf *out);
void audit_write_json(const Audit *a, Buf *out);
/* One CSV field as RFC 4180 writes it (NULL: empty); the drift report's CSV uses it too. */
void audit_csv_field(Buf *o, const char *s);

/* Shared by the writers */
void audit_fmt_days(char *out, size_t cap, int64_t days);          /* "12d", "never", "-" */
void audit_fmt_date(char *out, size_t cap, int64_t t);             /* "2026-12-31", "" */
/* "9 exemptions: 4 active, 2 expiring, 2 expired, 1 not started" */
void audit_fmt_counts(Buf *out, const size_t by[AUDIT_NSTATUS], size_t total);
/* The exemption's waived guardrails, comma-separated */
void audit_fmt_guardrails(Buf *out, const AuditEx *e);

#endif
