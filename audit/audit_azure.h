/* Azure Policy exemptions in and out (docs/azure.md): the one reading of the JSON that
 * the Azure CLI and the ARM REST API return, the one mapping between Azure names and
 * exemption ids, the mapping file from policy assignments to guardrails, the ARM client
 * and the drift report. import, export and audit --azure share all of it. */
#ifndef AIGW_AUDIT_AZURE_H
#define AIGW_AUDIT_AZURE_H
#include <stddef.h>
#include <stdint.h>
#include "aigw.h"
#include "util.h"

#define AUDIT_ARM_TOKEN_ENV "AIGWC_ARM_TOKEN"
#define AUDIT_ARM_ENDPOINT_ENV "AIGWC_ARM_ENDPOINT"
#define AUDIT_ARM_DEFAULT_ENDPOINT "https://management.azure.com"
#define AUDIT_ARM_API_VERSION "2022-07-01-preview"
#define AUDIT_AZ_EXEMPTIONS "/providers/Microsoft.Authorization/policyExemptions"
#define AUDIT_AZ_TYPE "Microsoft.Authorization/policyExemptions"

enum {
  AUDIT_ARM_MAX_RETRIES = 10,          /* --retries at most */
  AUDIT_ARM_MAX_PAGES = 10000,         /* pages followed through nextLink */
  AUDIT_ARM_MAX_PAGE = 64 << 20,       /* bytes in one page */
  AUDIT_AZ_MAX_FILE = 256 << 20,       /* bytes in one file given to import */
  AUDIT_AZ_MAX_TEXT = 65536,           /* bytes in one string written to source (the language's limit) */
  AUDIT_AZ_MAX_LIST = 256              /* guardrails one exemption waives, controls it lists (likewise) */
};

/* What import writes where Azure holds nothing that the language requires; export
 * recognizes the same text and writes nothing back (one spelling, here). */
#define AUDIT_AZ_NO_OWNER "unknown"
#define AUDIT_AZ_NO_REASON "no display name or description in Azure"
#define AUDIT_AZ_NO_CONTROLS "not recorded in Azure"
/* A placeholder guardrail stands for an assignment the mapping file does not name; its
 * message names the assignment (and reference), which export reads back. */
#define AUDIT_AZ_UNMAPPED_PREFIX "azure-unmapped-"
#define AUDIT_AZ_UNMAPPED_MESSAGE "unmapped Azure policy assignment "
#define AUDIT_AZ_UNMAPPED_REF " reference "

/* One policy exemption as Azure describes it. Strings are owned; NULL when absent. */
typedef struct AuditAzEx {
  char *name;             /* the Azure name (the last segment of its id) */
  char *scope;            /* its scope, canonical (docs/language.md §8) */
  char *assignment;       /* policyAssignmentId, as written */
  char **refs; size_t nrefs;   /* policyDefinitionReferenceIds */
  int mitigated;
  int64_t expires;        /* expiresOn; INT64_MAX when absent (never) */
  char *display, *description;
  char *owner, *ticket;   /* from metadata (the keys of audit_az_owner_keys, …) */
  char **controls; size_t ncontrols;   /* metadata.controls */
  int64_t created, starts;             /* metadata.created (else systemData.createdAt), metadata.starts; INT64_MIN */
  char *renews;           /* metadata.renews: the Azure name of the exemption it renews */
  char *selectors;        /* resourceSelectors as compact JSON, when not empty */
  char *validation;       /* assignmentScopeValidation, when not Default */
  char *other;            /* metadata keys not read, as compact JSON */
  char *where;            /* "FILE: value[3]", for messages */
} AuditAzEx;

typedef struct AuditAzList { AuditAzEx *v; size_t n, cap; } AuditAzList;

/* Reads every JSON document in text (a page {"value": [...], "nextLink": …}, a bare
 * array, or one exemption; documents may follow one another) into l. *next gets the
 * last page's nextLink (owned; NULL when the listing is complete). Returns 0, or -1
 * with why in err (which names `name` and where). */
int audit_az_read(AuditAzList *l, const char *text, size_t len, const char *name, char **next, Buf *err);
void audit_az_list_free(AuditAzList *l);

/* Names: an Azure name that is a valid exemption id is kept; any other becomes
 * "az-" + an escaped form (docs/azure.md), and export turns it back. */
void audit_az_name_to_id(const char *name, Buf *out);
void audit_az_id_to_name(const char *id, Buf *out);
/* A valid name in the language: [A-Za-z_][A-Za-z0-9_]* with inner hyphens. */
int audit_az_valid_id(const char *s, size_t n);
/* The text of a reason: displayName and description joined by a blank line; back
 * again into *display and *description (owned; description may be NULL). */
void audit_az_reason(const AuditAzEx *e, Buf *out);
void audit_az_split_reason(const char *reason, char **display, char **description);
/* "Waiver" / "Mitigated" */
const char *audit_az_category(int mitigated);

/* ---- the mapping file: which guardrail a policy assignment (or one of its policy
 * definition references) is ---- */
typedef struct AuditAzMapEntry {
  char *assignment;       /* as written */
  char *canon;            /* canonical, for comparison */
  char *guardrail;        /* the whole assignment is this guardrail, or NULL */
  char **refs, **ref_guardrails; size_t nrefs;
} AuditAzMapEntry;
typedef struct AuditAzMap { AuditAzMapEntry *v; size_t n; } AuditAzMap;

int audit_azmap_load(AuditAzMap *m, const char *path, Buf *err);   /* path NULL: empty */
void audit_azmap_free(AuditAzMap *m);
const AuditAzMapEntry *audit_azmap_find(const AuditAzMap *m, const char *assignment);
/* The guardrail a policy definition reference of e is, or NULL. */
const char *audit_azmap_ref(const AuditAzMapEntry *e, const char *ref);
/* The entry and reference (-1: the whole assignment) a guardrail stands for, or NULL. */
const AuditAzMapEntry *audit_azmap_reverse(const AuditAzMap *m, const char *guardrail, long *ref);
/* Case-insensitive equality of two resource ids, as ARM compares them. */
int audit_az_same_id(const char *a, const char *b);

/* ---- the live read (audit_arm.c) ---- */
typedef struct AuditArmOptions {
  const char *scope, *map, *endpoint;
  long timeout_ms;       /* the whole read */
  int retries;           /* per request */
} AuditArmOptions;
void audit_arm_defaults(AuditArmOptions *o);
/* Reads every page of the exemptions at o->scope into l. Returns 0, or -1 with why in
 * err: any failure, on any page, leaves no list to report from. */
int audit_arm_list(const AuditArmOptions *o, AuditAzList *l, Buf *err);

/* ---- drift (audit_drift.c) ---- */
typedef struct AuditDriftOptions { const char *format; int color; int64_t now; } AuditDriftOptions;
/* Reads the live scope and prints the drift; returns an exit code. */
int audit_azure_drift(const aigw_bundle *b, const AuditArmOptions *arm, const AuditDriftOptions *d);

#endif
