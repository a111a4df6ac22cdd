/* libaigw — evaluate aigwc policy bundles.
 *
 * A bundle (.aigwb) is compiled by `aigwc compile`. Open it once; it is verified on
 * load and then immutable, so any number of threads may share it. Each thread creates
 * its own context, fills the input (from JSON, or field by field), evaluates at a given
 * time and reads the decision. After a context's first decision, evaluation allocates
 * nothing: the context keeps its buffers at their high-water mark.
 *
 * Every function that can fail returns an aigw_status; the message for the last failure
 * is in aigw_ctx_error() (for a context) or the err buffer given to the open call.
 * A decision describes the input it was made for: changing the input (any aigw_input_*
 * call) discards it. Messages are rendered only when asked for (aigw_message or
 * aigw_decision_json), so a gateway that needs only allow/deny pays nothing for them.
 * Strings returned by accessors belong to the bundle or the context and stay valid
 * until the input changes, the context evaluates again or the bundle is closed.
 * No global state. */
#ifndef AIGW_H
#define AIGW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIGW_VERSION_MAJOR 0
#define AIGW_VERSION_MINOR 1
#define AIGW_VERSION_PATCH 0
#define AIGW_VERSION_STRING "0.1.0"   /* the one version: the Makefile, the CLI and bundles read it */

#if defined(__GNUC__)
#define AIGW_API __attribute__((visibility("default")))
#else
#define AIGW_API
#endif

typedef struct aigw_bundle aigw_bundle;
typedef struct aigw_ctx aigw_ctx;

typedef enum aigw_status {
  AIGW_OK = 0,
  AIGW_ERR_NOMEM = 1,     /* the allocator returned NULL */
  AIGW_ERR_IO = 2,        /* a file could not be read */
  AIGW_ERR_CORRUPT = 3,   /* the bundle failed verification; the message says where */
  AIGW_ERR_VERSION = 4,   /* the bundle's format version is not supported */
  AIGW_ERR_INPUT = 5,     /* malformed JSON, or a value of the wrong type */
  AIGW_ERR_FIELD = 6,     /* no such input field */
  AIGW_ERR_ARG = 7,       /* a NULL or out-of-range argument */
  AIGW_ERR_LIMIT = 8,     /* the step limit or an input size limit was reached */
  AIGW_ERR_SIGNATURE = 9  /* verify keys are configured and the bundle is not signed by one */
} aigw_status;

/* Allocator hook, as in Lua: nsize 0 frees ptr; otherwise (re)allocates ptr from osize
 * to nsize bytes and returns NULL on failure. */
typedef void *(*aigw_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

typedef struct aigw_config {
  aigw_alloc_fn alloc;     /* default: malloc/realloc/free */
  void *alloc_ud;
  uint32_t step_limit;     /* VM instructions per decision; default 1,000,000 */
  /* Ed25519 public keys, 32 bytes each, back to back. With any, a bundle opens only with
   * a signature by one of them (aigwc sign; docs/bundle.md): else AIGW_ERR_SIGNATURE. */
  const unsigned char *verify_keys;
  size_t nverify_keys;
} aigw_config;

AIGW_API void aigw_config_init(aigw_config *cfg);
AIGW_API const char *aigw_status_name(aigw_status s);

/* ---- bundles ---- */
/* err (may be NULL) receives a message such as "bad jump target at pc 41 in program 3". */
AIGW_API aigw_status aigw_bundle_open_file(const char *path, const aigw_config *cfg,
                                           aigw_bundle **out, char *err, size_t errlen);
/* The bytes are copied; the caller may free data after the call. With verify keys
 * configured, aigw_bundle_open_file reads the signature from PATH.sig, and a bundle in
 * memory needs aigw_bundle_open_signed with the signature's text. */
AIGW_API aigw_status aigw_bundle_open_mem(const void *data, size_t len, const aigw_config *cfg,
                                          aigw_bundle **out, char *err, size_t errlen);
AIGW_API aigw_status aigw_bundle_open_signed(const void *data, size_t len, const char *sig, size_t siglen,
                                             const aigw_config *cfg, aigw_bundle **out, char *err,
                                             size_t errlen);
/* Signing is done with the private key outside the library (aigwc sign); these give the
 * exact message an Ed25519 signature covers (the domain tag and the bundle id, 0 if n is
 * too small), the signature file's text, and a public key's id (16 hex digits). */
AIGW_API size_t aigw_signature_message(const char *bundle_id, unsigned char *out, size_t n);
AIGW_API size_t aigw_signature_text(const unsigned char pub[32], const unsigned char sig[64],
                                    const char *bundle_id, char *out, size_t n);
AIGW_API void aigw_key_id(const unsigned char pub[32], char out[17]);
AIGW_API void aigw_bundle_close(aigw_bundle *b);
AIGW_API const char *aigw_bundle_id(const aigw_bundle *b);      /* "sha256:<64 hex>" */
AIGW_API const char *aigw_bundle_policy(const aigw_bundle *b);  /* policy (package) name */
/* The compiler's bound on the instructions one decision can run (the step limit's scale). */
AIGW_API uint32_t aigw_bundle_cost(const aigw_bundle *b);

/* ---- contexts (one per thread) ---- */
AIGW_API aigw_status aigw_ctx_new(const aigw_bundle *b, aigw_ctx **out);
AIGW_API void aigw_ctx_free(aigw_ctx *c);
AIGW_API const char *aigw_ctx_error(const aigw_ctx *c);
/* After aigw_input_json refused invalid JSON: where, 1-based within the text given;
 * 0, 0 for any other failure. */
AIGW_API void aigw_ctx_error_at(const aigw_ctx *c, uint32_t *line, uint32_t *col);

/* ---- input ----
 * Field ids come from aigw_field(), once per bundle: "model", "tags", … (the names in
 * the policy's input schema). Setting a field of the wrong type is AIGW_ERR_INPUT.
 * Unset fields are missing: a guardrail that reads one fails closed. */
AIGW_API int aigw_field(const aigw_bundle *b, const char *name);   /* -1 if unknown */
AIGW_API void aigw_input_reset(aigw_ctx *c);
/* Resets, then sets every field from one JSON object (docs/input.md gives the encoding of
 * each type). Unknown keys are ignored; a duplicate key is an error; every bad field is
 * named in the message, and on any error no field stays set. */
AIGW_API aigw_status aigw_input_json(aigw_ctx *c, const char *json, size_t len);
AIGW_API aigw_status aigw_input_string(aigw_ctx *c, int field, const char *s, size_t len);
AIGW_API aigw_status aigw_input_int(aigw_ctx *c, int field, int64_t v);
AIGW_API aigw_status aigw_input_bool(aigw_ctx *c, int field, int v);
AIGW_API aigw_status aigw_input_time(aigw_ctx *c, int field, int64_t unix_seconds);
/* Appends to a list<string>, list<int> or list<scope> field. */
AIGW_API aigw_status aigw_input_list_add(aigw_ctx *c, int field, const char *s, size_t len);
/* Sets one key of a map<string> field. */
AIGW_API aigw_status aigw_input_map_set(aigw_ctx *c, int field, const char *key, size_t klen,
                                        const char *val, size_t vlen);
/* A list or map field holds at most the `max` its schema declares (1024 by default):
 * one more item is AIGW_ERR_LIMIT. */

/* ---- budget usage: what the host's counters say, for rules that read it ----
 * `budget(NAME).used` reads how much of budget NAME this request's key has used in the
 * current window (docs/language.md §5.10): the host supplies it with the input, the VM
 * keeps no counters. Reading a usage that was not supplied is an evaluation error, so a
 * rule that depends on it fails closed. aigw_input_json takes usage from the member
 * "$budgets": {"team-tokens": 1700000}. Resetting the input forgets it. */
AIGW_API int aigw_budget_index(const aigw_bundle *b, const char *name);   /* -1 if unknown */
AIGW_API aigw_status aigw_input_budget_usage(aigw_ctx *c, int budget, int64_t used);
/* The key budget i charges for the context's current input (its `key`, evaluated now),
 * so that the host can look its usage up before aigw_eval. AIGW_ERR_INPUT, with the
 * reason in aigw_ctx_error(), when the key cannot be evaluated. The text stays valid
 * until the input changes or the context evaluates. */
AIGW_API aigw_status aigw_budget_key(aigw_ctx *c, size_t i, const char **key, size_t *len);

/* ---- evaluation ---- */
AIGW_API aigw_status aigw_eval(aigw_ctx *c, int64_t now_unix_seconds);

typedef enum aigw_decision { AIGW_ALLOW = 0, AIGW_DENY = 1 } aigw_decision;
AIGW_API aigw_decision aigw_result(const aigw_ctx *c);

typedef enum aigw_list {
  AIGW_VIOLATIONS = 0,   /* enforced deny findings: why the decision is deny */
  AIGW_WAIVED = 1,       /* findings an exemption waived */
  AIGW_WARNINGS = 2,     /* warn and audit findings, and dry-run denies */
  AIGW_ERRORS = 3        /* guardrails that could not be evaluated */
} aigw_list;

typedef struct aigw_finding {
  const char *guardrail;
  const char *severity;
  const char *effect;      /* "deny" | "warn" | "audit" */
  const char *source;      /* "file:line" of the guardrail's condition */
  int dry_run;
  /* AIGW_WAIVED only */
  const char *exemption, *owner, *expires;
  int64_t days_left;
} aigw_finding;

AIGW_API size_t aigw_count(const aigw_ctx *c, aigw_list which);
/* Not const: a finding's source text is formatted on first request, like its message. */
AIGW_API aigw_status aigw_get(aigw_ctx *c, aigw_list which, size_t i, aigw_finding *out);
/* The finding's message with fields interpolated (or, for errors, why evaluation failed). */
AIGW_API const char *aigw_message(aigw_ctx *c, aigw_list which, size_t i);

typedef struct aigw_target { const char *provider, *model, *region; } aigw_target;
AIGW_API const char *aigw_route(const aigw_ctx *c);           /* route name, or NULL */
AIGW_API size_t aigw_route_count(const aigw_ctx *c);
AIGW_API aigw_status aigw_route_target(const aigw_ctx *c, size_t i, aigw_target *out);
/* The rule that gave the route: its route, its position in the route (0-based) and
 * where it is written. */
typedef struct aigw_rule_info { const char *route; size_t index; const char *file; uint32_t line; } aigw_rule_info;
AIGW_API aigw_status aigw_route_rule(const aigw_ctx *c, aigw_rule_info *out);
/* The route's response cache hint (`cache 1h by request.prompt_hash`): how long a
 * response may be cached, in seconds, and under which key. A hint for the gateway;
 * aigwc enforces nothing. AIGW_ERR_ARG when the decision carries none (no route, a rule
 * without `cache`, or a key that could not be evaluated). */
typedef struct aigw_cache { int64_t ttl; const char *key; size_t key_len; } aigw_cache;
AIGW_API aigw_status aigw_route_cache(const aigw_ctx *c, aigw_cache *out);

typedef struct aigw_budget {
  const char *budget, *unit, *period;
  const char *key; size_t key_len;
  int64_t limit;
  int32_t warn_bp;          /* warn threshold in basis points (8000 = 80%), -1 if none */
  int64_t charge;           /* what this request reserves: the budget's `charge`, else 1 */
  /* the window the counter is kept over (docs/language.md §5.10) */
  int64_t window;           /* its length in seconds (for `per month`, the current month's) */
  int sliding;              /* 1: the last `window` seconds; 0: fixed, aligned windows */
  int64_t window_start, window_end;   /* the window `now` is in, [start, end) in UTC seconds */
  int rate_limit;           /* the unit is requests: each request counts 1, nothing to settle */
} aigw_budget;
AIGW_API size_t aigw_budget_count(const aigw_ctx *c);
AIGW_API aigw_status aigw_budget_get(const aigw_ctx *c, size_t i, aigw_budget *out);

/* The decision as JSON (docs/language.md §10: fixed field order). Valid until the next eval. */
AIGW_API const char *aigw_decision_json(aigw_ctx *c, size_t *len);

/* Calendar days from now to the last day before `expires` (an exclusive bound, in UTC
 * seconds): 0 on the last valid day, negative after; INT64_MAX for never. */
AIGW_API int64_t aigw_days_left(int64_t expires, int64_t now);
/* Times as the compiler and --now read them, for tools that read times from elsewhere:
 * a date YYYY-MM-DD (the start of that UTC day) or an RFC 3339 timestamp with a zone.
 * AIGW_ERR_INPUT when s is neither. */
AIGW_API aigw_status aigw_parse_time(const char *s, size_t n, int64_t *out);
/* UTC seconds as RFC 3339, "2026-12-31T00:00:00Z", into out (cap bytes, 40 suffice);
 * returns the length, or 0 when out is too small. */
AIGW_API size_t aigw_format_time(char *out, size_t cap, int64_t t);

/* ---- why: the same tests the decision made, one at a time ---- */
typedef enum aigw_exemption_state {
  AIGW_EX_APPLIES = 0,      /* in scope, started, not expired, its `when` holds */
  AIGW_EX_OUT_OF_SCOPE = 1, /* the input's scope is not at or below the exemption's */
  AIGW_EX_SCOPE_UNKNOWN = 2,/* the input's scope is missing or not a resource ID */
  AIGW_EX_NOT_STARTED = 3,  /* now is before its start */
  AIGW_EX_EXPIRED = 4,      /* now is at or after its expiry */
  AIGW_EX_WHEN_FALSE = 5,   /* its `when` is false */
  AIGW_EX_WHEN_ERROR = 6,   /* its `when` could not be evaluated: it does not apply */
  AIGW_EX_ERROR = 7         /* a bad index, no evaluation yet, or the step limit */
} aigw_exemption_state;
/* Whether exemption i (0 .. aigw_meta_count(b, AIGW_META_EXEMPTIONS) - 1) applies to
 * the context's input at the time of its last aigw_eval. The decision uses exactly this
 * test; a host or `aigwc explain` calls it to say why an exemption did not waive. */
AIGW_API aigw_exemption_state aigw_exemption_check(aigw_ctx *c, size_t i);

/* ---- metadata: what a bundle declares, for tools (explain, lint, audit) ----
 * Read-only views into the bundle: strings stay valid until it is closed. Dates are UTC
 * seconds; INT64_MIN means absent and INT64_MAX never. A location is where the
 * declaration is written (1-based line and column). */
typedef enum aigw_meta_kind {
  AIGW_META_FIELDS = 0, AIGW_META_GUARDRAILS = 1, AIGW_META_EXEMPTIONS = 2,
  AIGW_META_ROUTES = 3, AIGW_META_BUDGETS = 4
} aigw_meta_kind;
AIGW_API size_t aigw_meta_count(const aigw_bundle *b, aigw_meta_kind k);

typedef struct aigw_loc { const char *file; uint32_t line, col; } aigw_loc;

typedef struct aigw_field_info {
  const char *name, *type;
  uint32_t max_items;       /* a list or map: the most items an input may give it; else 0 */
} aigw_field_info;
AIGW_API aigw_status aigw_meta_field(const aigw_bundle *b, size_t i, aigw_field_info *out);

typedef struct aigw_guardrail_info {
  const char *name, *severity, *effect;
  const char *message;            /* the template: {} holes, {{ and }} literal braces; or NULL */
  int dry_run, on_error_allow;
  int refuses_targets;            /* an enforced deny that reads provider, model or region */
  int always_fires, never_fires;  /* its condition folds to true, or to false */
  size_t nscopes;                 /* scopes it is restricted to (0: everywhere) */
  aigw_loc loc;
} aigw_guardrail_info;
AIGW_API aigw_status aigw_meta_guardrail(const aigw_bundle *b, size_t i, aigw_guardrail_info *out);
AIGW_API const char *aigw_meta_guardrail_scope(const aigw_bundle *b, size_t i, size_t k);
/* 1 when guardrail i's condition reads input field `field` (its value, or has()), else 0:
 * a condition that reads only provider, model and region decides a route target alone. */
AIGW_API int aigw_meta_guardrail_reads(const aigw_bundle *b, size_t i, size_t field);

typedef struct aigw_exemption_info {
  const char *id, *owner, *reason, *ticket, *category, *scope, *expires_text;
  int64_t created, starts, expires;
  uint32_t scope_depth;           /* segments of the scope: 0 is the tenant root */
  int has_when;
  int when_never;                 /* its `when` folds to false: it can never apply */
  size_t renews;                  /* index of the exemption it renews, or SIZE_MAX */
  size_t nwaives, ncontrols;
  aigw_loc loc;
} aigw_exemption_info;
AIGW_API aigw_status aigw_meta_exemption(const aigw_bundle *b, size_t i, aigw_exemption_info *out);
/* The guardrail index exemption i waives as its k-th; SIZE_MAX when out of range. */
AIGW_API size_t aigw_meta_exemption_waives(const aigw_bundle *b, size_t i, size_t k);
AIGW_API const char *aigw_meta_exemption_control(const aigw_bundle *b, size_t i, size_t k);

/* Rule facts the compiler proved (a default or split matches always, a condition may fold) */
enum { AIGW_RULE_MATCHES_ALWAYS = 1, AIGW_RULE_MATCHES_NEVER = 2, AIGW_RULE_YIELDS_ALWAYS = 4,
       AIGW_RULE_UNREACHABLE = 8 };
typedef struct aigw_route_info { const char *name; size_t nrules; aigw_loc loc; } aigw_route_info;
typedef struct aigw_rule_meta {
  const char *kind;               /* "when", "split" or "default" */
  unsigned flags;                 /* AIGW_RULE_* */
  size_t ntargets;
  aigw_loc loc;
  int64_t cache_ttl;              /* seconds of its `cache` hint, 0 for none */
} aigw_rule_meta;
AIGW_API aigw_status aigw_meta_route(const aigw_bundle *b, size_t i, aigw_route_info *out);
AIGW_API aigw_status aigw_meta_rule(const aigw_bundle *b, size_t route, size_t k, aigw_rule_meta *out);
/* A rule's target t as written: "azure-openai:gpt-4o@eastus". */
AIGW_API const char *aigw_meta_rule_target(const aigw_bundle *b, size_t route, size_t k, size_t t);

typedef struct aigw_budget_info {
  const char *name, *unit, *period;
  int64_t limit;
  int32_t warn_bp;
  int has_when, has_charge;
  aigw_loc loc;
  int when_never;                 /* its `when` folds to false: no request is charged */
  int limit_per_key;              /* the limit is an expression (a table lookup): `limit` is its default or 0 */
  int64_t window;                 /* window length in seconds; 0 for the calendar month */
  int sliding, rate_limit;
} aigw_budget_info;
AIGW_API aigw_status aigw_meta_budget(const aigw_bundle *b, size_t i, aigw_budget_info *out);

/* The canonical form of a scope (docs/language.md §8), the one every match uses:
 * "/seg/seg", empty segments dropped, ASCII lower-cased; the root is "/". out holds
 * outlen bytes, at least n + 2. Returns the number of segments, or -1 when s is not a
 * scope (empty, no leading '/', a control character, too many segments) or out is too
 * small. For tools that relate scopes to one another (lint, audit). */
AIGW_API int aigw_scope_canon(const char *s, size_t n, char *out, size_t outlen);

/* The bundle's programs as text, one instruction a line ("addr OPCODE arg ; comment"),
 * handed to write in pieces. */
typedef void (*aigw_write_fn)(void *ud, const char *s, size_t n);
AIGW_API void aigw_disasm(const aigw_bundle *b, aigw_write_fn write, void *ud);

/* ---- explaining one decision: the tests it made, one at a time ---- */
/* 1 when the last input activated guardrail g: in one of its scopes, and its leading
 * `field == "value"` not excluded (otherwise it did not run at all). */
AIGW_API int aigw_guardrail_active(const aigw_ctx *c, size_t g);
/* Runs guardrail g's condition on the context's input: *fired 0 or 1, or
 * AIGW_ERR_INPUT with the reason it cannot be evaluated in aigw_ctx_error(). */
AIGW_API aigw_status aigw_guardrail_check(aigw_ctx *c, size_t g, int *fired);
/* Whether rule k of a route matches the input (as aigw_guardrail_check). */
AIGW_API aigw_status aigw_rule_check(aigw_ctx *c, size_t route, size_t k, int *matches);
/* Whether target t of rule k would be refused, and by which guardrail (NULL if not). */
AIGW_API aigw_status aigw_target_check(aigw_ctx *c, size_t route, size_t k, size_t t,
                                       const char **refused_by);

#ifdef __cplusplus
}
#endif
#endif
