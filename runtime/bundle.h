/* The bundle: format on disk and its verified view in memory (docs/bundle.md).
 *
 * All integers are little-endian; every section starts 8-byte aligned; every record is
 * a fixed-size struct of 32- and 64-bit fields, so after verification the VM reads the
 * loaded bytes in place through the pointers in Bundle. Nothing in a section is trusted
 * until bundle_verify() has checked it; after that the VM only asserts. */
#ifndef AIGW_BUNDLE_H
#define AIGW_BUNDLE_H
#include <stddef.h>
#include <stdint.h>
#include "opcodes.h"

/* "AIGWB" then NUL, CR, LF: a text-mode transfer or a C-string copy mangles one of them. */
#define BUNDLE_MAGIC "AIGWB\0\r\n"
enum { BUNDLE_VERSION = 5, BUNDLE_ENDIAN = 0x01020304u, BUNDLE_HEADER = 64 };
enum { NOSTR = 0xffffffffu, NONE32 = 0xffffffffu };

/* Named limits, checked by the compiler (with their number in the message) and again by
 * the verifier. */
enum {
  LIMIT_STRINGS = 1 << 22, LIMIT_FIELDS = 4096, LIMIT_PROGRAMS = 1 << 20,
  LIMIT_CODE = INSN_ARG_MAX, LIMIT_STACK = 64, LIMIT_NODES = 1 << 22,
  LIMIT_SCOPE_DEPTH = 64, LIMIT_MATCHED = 256, LIMIT_TARGETS = 64, LIMIT_MSG_ARGS = 16,
  LIMIT_GUARDRAILS = 1 << 20, LIMIT_EXEMPTIONS = 1 << 22,
  LIMIT_OPEN_JUMPS = 64, LIMIT_SCOPES = 64, LIMIT_WAIVES = 256,
  LIMIT_COST = 1 << 26,         /* worst-case instructions per decision */
  LIMIT_HIERARCHY_DEPTH = 64, LIMIT_ANCESTORS = 256,   /* declared scope hierarchy */
  LIMIT_LEVELS = 1024, LIMIT_LEVEL_NAMES = 1024,       /* levels declarations, names in one */
  LIMIT_ITEMS_DEFAULT = 1024,   /* items of a list or map field that declares no `max` */
  LIMIT_ITEMS = 1 << 20,        /* the largest `max` a list or map field may declare */
  LIMIT_LOOPS = 8,              /* quantifiers nested in one expression */
  DEFAULT_STEP_LIMIT = 1000000  /* aigw_config.step_limit unless the host sets it */
};

typedef struct BHeader {
  char magic[8];
  uint32_t version;
  uint32_t endian;          /* BUNDLE_ENDIAN as written by a little-endian writer */
  uint32_t file_size;
  uint32_t nsections;
  uint8_t checksum[32];     /* SHA-256 of every byte after the header */
  uint32_t reserved[2];
} BHeader;                  /* 64 bytes */

/* The sections, in file order: one list that generates the section ids, the verified
 * view's arrays (Bundle below), the verifier's record checks, the emitter's layout and
 * a static assert on every record's size (docs/bundle.md gives the same sizes).
 *   REC(NAME, id, record type, size, member): an array of fixed-size records, held in
 *       Bundle as `member` and `n##member` and in the compiler as the vector `member`
 *   RAW(NAME, id): a section with a layout of its own, read and written by hand */
#define SECTIONS(REC, RAW) \
  RAW(STRINGS, 1)   /* u32 n; u32 off[n+1]; bytes: string i is off[i]..off[i+1]-1, NUL at off[i+1]-1 */ \
  RAW(STRHASH, 2)   /* u32 nbuckets (power of two); u32 bucket[nbuckets]: strhash_entry, or 0 */ \
  REC(INTS, 3, int64_t, 8, ints) \
  REC(SETS, 4, BSet, 16, sets) \
  REC(MEMBERS, 5, int64_t, 8, members)       /* each set's members, sorted: string ids or integers */ \
  REC(FIELDS, 6, BField, 16, fields) \
  REC(LEVELS, 7, BLevels, 16, levels) \
  REC(U32S, 8, uint32_t, 4, u32s)            /* lists referenced by first/count pairs elsewhere */ \
  REC(NODES, 9, BNode, 48, nodes)            /* the scope trie; node 0 is the root "/" */ \
  REC(EDGES, 10, BEdge, 16, edges)           /* hash table of literal child segments, power-of-two size */ \
  REC(CODE, 11, uint32_t, 4, code)           /* instructions */ \
  REC(PROGRAMS, 12, BProgram, 20, programs) \
  REC(GUARDRAILS, 13, BGuardrail, 56, guardrails) \
  REC(EXEMPTIONS, 14, BExemption, 96, exemptions) \
  REC(EXINDEX, 15, BExRef, 16, exindex)      /* sorted by (node, guardrail, exemption) */ \
  REC(ROUTES, 16, BRoute, 32, routes) \
  REC(RULES, 17, BRule, 48, rules) \
  REC(TARGETS, 18, BTarget, 32, targets) \
  REC(BUDGETS, 19, BBudget, 64, budgets) \
  REC(SRCMAP, 20, BSrcLoc, 16, srcmap)       /* sorted by pc */ \
  RAW(META, 21)     /* BMeta (one) */ \
  REC(GUARDS, 22, BGuard, 16, guards)        /* sorted by (slot, sid, guardrail) */ \
  REC(TABLES, 23, BTable, 24, tables)

typedef enum {
#define REC(n, v, ...) SEC_##n = v,
#define RAW(n, v) SEC_##n = v,
  SECTIONS(REC, RAW)
#undef REC
#undef RAW
  SEC__END, SEC__MAX = SEC__END
} SectionId;

typedef struct BSection { uint32_t id, offset, size, reserved; } BSection;

typedef struct BSet { uint32_t type; /* T_STR or T_INT */ uint32_t first, count, reserved; } BSet;

typedef struct BField {
  uint32_t name;            /* string id */
  uint8_t type, elem;       /* VmType; elem for LIST and MAP */
  uint16_t levels;          /* BLevels index when type or elem is T_LEVEL */
  uint32_t role;            /* FIELD_ROLE_* */
  uint32_t max_items;       /* LIST and MAP: the most items an input may give it; else 0 */
} BField;
enum { FIELD_ROLE_NONE, FIELD_ROLE_SCOPE, FIELD_ROLE_ANCESTORS, FIELD_ROLE_PROVIDER,
       FIELD_ROLE_MODEL, FIELD_ROLE_REGION };

typedef struct BLevels { uint32_t name, first, count, reserved; } BLevels;  /* U32S: names, ascending */

typedef struct BNode {
  uint32_t segment;         /* string id, lower-cased; may contain '*' when wild */
  uint32_t parent;          /* NONE32 for the root */
  uint32_t wild;            /* 1 if the segment is a glob */
  uint32_t wild_first, wild_count;   /* U32S: this node's glob children */
  uint32_t ex_first, ex_count;       /* EXINDEX range of exemptions at this node */
  uint32_t gr_first, gr_count;       /* U32S: guardrails restricted to this scope */
  uint32_t anc_first, anc_count;     /* U32S: declared hierarchy ancestors (closed) */
  uint32_t scope_text;      /* string id of the scope as written, or NOSTR */
} BNode;

/* Literal child lookup: the home slot is the low bits of the child's path hash
 * (aigw_path_next, runtime/hash.h), then linear probing; an empty slot has child ==
 * NONE32. key holds that hash's top bits and the segment's length (edge_key), and seg
 * the offset of the child's segment in the string bytes: a step of the walk compares
 * the bytes without reading the node or the string table's offsets. */
typedef struct BEdge { uint32_t parent, child, key, seg; } BEdge;
static inline uint32_t edge_key(uint32_t hash, size_t len) {
  return (hash & 0xffff0000u) | (uint32_t)(len < 0xffff ? len : 0xffff);   /* a longer one never matches */
}

typedef struct BProgram {
  uint32_t start, len;      /* CODE range */
  uint8_t result;           /* VmType of the value RET returns */
  uint8_t max_stack;        /* computed and checked by the verifier */
  uint16_t reserved;
  uint32_t line;            /* source line of the expression */
  uint32_t file;            /* string id of the source file */
} BProgram;

enum { EFFECT_DENY, EFFECT_WARN, EFFECT_AUDIT };
enum { GR_DRY_RUN = 1, GR_ON_ERROR_ALLOW = 2, GR_TARGET_SENSITIVE = 4, GR_SCOPED = 8, GR_GUARDED = 16,
       GR_COND_TRUE = 32, GR_COND_FALSE = 64 /* the condition folds to a constant */ };

typedef struct BGuardrail {
  uint32_t name, severity;  /* string ids */
  uint32_t effect, flags;
  uint32_t cond;            /* program: bool */
  uint32_t message;         /* string id of the template with {} holes, or NOSTR */
  uint32_t args_first, args_count;   /* U32S: one program per {} hole, in order */
  uint32_t scope_first, scope_count; /* U32S: trie nodes (GR_SCOPED) */
  uint32_t file, line, col, reserved; /* where it is declared */
} BGuardrail;

/* A guardrail that can refuse a route target: an enforced deny that reads the
 * target's provider, model or region. The runtime checks targets against exactly
 * these, and the compiler's "this rule always yields a target" asks the same. */
static inline int bundle_refuses_targets(const BGuardrail *G) {
  return (G->flags & GR_TARGET_SENSITIVE) && G->effect == EFFECT_DENY && !(G->flags & GR_DRY_RUN);
}

enum { CAT_WAIVER, CAT_MITIGATED };
enum { EX_WHEN_NEVER = 1 };   /* its `when` folds to false: it can never apply */
typedef struct BExemption {
  uint32_t id, owner, reason, ticket;   /* string ids (ticket may be NOSTR) */
  uint32_t expires_text;    /* as written: "2026-12-31", a timestamp, or "never" */
  uint32_t scope_text;      /* as written */
  uint32_t node;            /* trie node of the scope */
  uint32_t when;            /* program: bool, or NONE32 */
  uint32_t waives_first, waives_count;     /* U32S: guardrail indices */
  uint32_t controls_first, controls_count; /* U32S: string ids */
  uint32_t category, file, line, col;
  uint32_t renews;          /* the exemption this one replaces, or NONE32; the compiler
                               refuses cycles, but a reader of a hostile bundle must still
                               bound its walk along renews (at most nexemptions steps) */
  uint32_t flags;           /* EX_* facts the compiler proved */
  int64_t created;          /* seconds, or INT64_MIN if absent */
  int64_t starts;           /* applies from: `starts`, else `created`, else INT64_MIN */
  int64_t expires;          /* exclusive bound in seconds; INT64_MAX for never */
} BExemption;

/* Guardrail indexing. A guardrail whose condition starts `F == "s" and …` (F a string
 * field that routes never rewrite) or `SCOPE under S and …` is GR_GUARDED: it can only
 * fire when F's value is "s" (sid), or when the request is at or below trie node S (sid
 * NOSTR, node S). The runtime activates guarded guardrails by looking up the input's
 * values here, once per input, and never runs the others. An unset F activates the
 * guardrail anyway, so it still fails closed exactly as its condition would. */
typedef struct BGuard { uint32_t slot, sid, guardrail, node; } BGuard;

typedef struct BExRef { uint32_t node, guardrail, exemption, reserved; } BExRef;

typedef struct BRoute { uint32_t name, first_rule, nrules, file, line, col, reserved[2]; } BRoute;
enum { RULE_WHEN, RULE_SPLIT, RULE_DEFAULT };
/* Facts the compiler proved about a rule, for its warnings and for lint: MATCHES_ALWAYS
 * (a default, a split, or a condition that folds to true), MATCHES_NEVER (a condition
 * that folds to false), YIELDS_ALWAYS (matches always and no guardrail can refuse a
 * target, bundle_refuses_targets: later rules are unreachable), UNREACHABLE. */
enum { RULE_MATCHES_ALWAYS = 1, RULE_MATCHES_NEVER = 2, RULE_YIELDS_ALWAYS = 4, RULE_UNREACHABLE = 8 };
typedef struct BRule {
  uint32_t kind;
  uint32_t prog;            /* WHEN: bool condition; SPLIT: string key; DEFAULT: NONE32 */
  uint32_t first_target, ntargets;    /* TARGETS range (SPLIT: one per arm) */
  uint32_t weights_first;   /* SPLIT: U32S cumulative basis points per arm, last = 10000 */
  uint32_t line, col, flags;
  uint32_t cache_key;       /* program: string or int, the response cache's key; NONE32 */
  uint32_t reserved;
  int64_t cache_ttl;        /* seconds a response may be cached (a hint), 0 for no caching */
} BRule;
/* provider:model@region; region may be NOSTR. A part written {request.field} reuses the
 * request's value: its program (a string) is in prog[0..2], else NONE32. */
typedef struct BTarget { uint32_t provider, model, region, text, prog[3], reserved; } BTarget;

/* A budget's window: its length in seconds (0 for the calendar month), how a fixed one
 * is aligned, and whether it slides; a budget whose unit is `requests` is a rate limit. */
enum { BUDGET_ALIGN_EPOCH = 0, BUDGET_ALIGN_WEEK = 1 /* Mondays, 00:00Z */,
       BUDGET_ALIGN_MONTH = 2 /* calendar months, UTC */, BUDGET_ALIGN_MASK = 3,
       BUDGET_SLIDING = 4, BUDGET_RATE = 8,
       BUDGET_WHEN_NEVER = 16 /* its `when` folds to false: no request is charged */ };
typedef struct BBudget {
  uint32_t name, unit, period;        /* string ids; period as written: "month", "10s", "5 minutes" */
  uint32_t key;             /* program: string or int */
  uint32_t when;            /* program: bool, or NONE32 */
  int32_t warn_bp;          /* -1 if none */
  int64_t limit;            /* the constant limit; with limit_prog, what metadata shows */
  uint32_t file, line, col;           /* where it is declared */
  uint32_t charge;          /* program: int, the amount a request reserves; NONE32 charges 1 */
  uint32_t limit_prog;      /* program: int, the limit for this request's key; NONE32: `limit` */
  uint32_t flags;           /* BUDGET_ALIGN_*, BUDGET_SLIDING, BUDGET_RATE, BUDGET_WHEN_NEVER */
  int64_t window;           /* seconds; 0 with BUDGET_ALIGN_MONTH */
} BBudget;

/* A constant map (`table`): its keys are a set (sorted, so a lookup is a binary search),
 * the value of key i is ints[values + i] (a string id for string values). */
enum { TABLE_HAS_DEFAULT = 1 };
typedef struct BTable {
  uint32_t name;            /* string id */
  uint32_t keys;            /* SETS index */
  uint32_t values;          /* INTS index of the first value */
  uint8_t type;             /* VmType of the values: bool, int, string, time, duration or level */
  uint8_t flags;            /* TABLE_HAS_DEFAULT */
  uint16_t levels;          /* BLevels index when type is level */
  int64_t dflt;             /* the default value, with TABLE_HAS_DEFAULT */
} BTable;

typedef struct BSrcLoc { uint32_t pc, file, line, reserved; } BSrcLoc;

typedef struct BMeta {
  uint32_t policy;          /* string id of the package name */
  uint32_t compiler;        /* string id: "aigwc " AIGW_VERSION_STRING */
  uint32_t files_first, files_count;  /* U32S: string ids of the source files */
  uint32_t scope_field, ancestors_field;  /* field index or NONE32 */
  uint32_t max_stack, nslots;         /* largest program stack; number of input fields */
  uint32_t cost;            /* worst-case instructions per decision */
  uint32_t reserved[7];
} BMeta;

/* The verified view. Counts are record counts, not bytes. */
typedef struct Bundle {
  const uint8_t *data; size_t size;
  const uint32_t *str_off; uint32_t nstrings; const char *str_bytes;
  const uint32_t *strhash; uint32_t nbuckets;
#define REC(N, v, T, size, m) const T *m; uint32_t n##m;
#define RAW(n, v)
  SECTIONS(REC, RAW)
#undef REC
#undef RAW
  const BMeta *meta;
  char id[72];              /* "sha256:" + 64 hex digits */
} Bundle;

#define REC(n, v, T, size, m) _Static_assert(sizeof(T) == size, "record size of section " #n);
#define RAW(n, v)
SECTIONS(REC, RAW)
#undef REC
#undef RAW
_Static_assert(sizeof(BMeta) == 64 && sizeof(BHeader) == 64 && sizeof(BSection) == 16, "fixed-size headers");

static inline const char *bundle_str(const Bundle *b, uint32_t id) { return b->str_bytes + b->str_off[id]; }

static inline uint32_t bundle_strlen(const Bundle *b, uint32_t id) { return b->str_off[id + 1] - b->str_off[id] - 1; }

/* A STRHASH bucket: the string's id + 1 in the low bits (ids are below LIMIT_STRINGS),
 * the top bits of its hash above them, so that a probe passes over most other strings
 * without reading their offsets. */
enum { STRHASH_ID_BITS = 22, STRHASH_ID_MASK = (1u << STRHASH_ID_BITS) - 1 };
_Static_assert(LIMIT_STRINGS <= (1u << STRHASH_ID_BITS), "a string id + 1 fits below the hash bits");
static inline uint32_t strhash_entry(uint32_t id, uint32_t hash) { return (id + 1) | (hash & ~STRHASH_ID_MASK); }

/* Verifies data (len bytes, 8-byte aligned, owned by the caller and kept alive) and
 * fills b. Returns 0, or -1 with a message naming what is wrong in err. */
int bundle_verify(const uint8_t *data, size_t len, Bundle *b, char *err, size_t errlen);

#endif
