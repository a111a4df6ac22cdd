/* The runtime's internals: the opened bundle, the evaluation context and the VM.
 *
 * Prefixes: vm_ (the interpreter, vm.c), rt_ (input, scope matching, decision and
 * allocation helpers: input.c, eval.c, decision.c, api.c). Nothing here is public;
 * libaigw exports only the aigw_* functions of aigw.h.
 *
 * Ownership: an aigw_bundle is immutable after open and shared by threads. Everything a
 * decision touches lives in its aigw_ctx, whose buffers grow to a high-water mark
 * through the bundle's allocator hook and are reused, so that after the first decision
 * an evaluation allocates nothing. */
#ifndef AIGW_VM_H
#define AIGW_VM_H
#include <stddef.h>
#include <stdint.h>
#include "aigw.h"
#include "arith.h"
#include "bundle.h"

/* A value: 16 bytes and no tag; the verifier has proven every operand's type.
 * Numbers (int, bool, time, duration, level ordinal) use i. Strings and scopes use p
 * and len, and sid is their id in the bundle's string table (NOSTR when the text is
 * not in it), so that comparing two interned strings is an integer compare. A list
 * or map value is its input slot: i is the slot index and len its item count. */
typedef struct Value {
  union { int64_t i; const char *p; } u;
  uint32_t len, sid;
} Value;
_Static_assert(sizeof(Value) == 16, "a value is 16 bytes");

/* One input field. List and map items are chained through ctx->items from head. */
/* A slot is unset, set, or set to something the runtime cannot judge: a scope that is
 * not a resource ID (or a list holding one). Reading a SLOT_BAD slot is an error. */
enum { SLOT_UNSET = 0, SLOT_SET = 1, SLOT_BAD = 2 };
enum { SID_BADSCOPE = 0xfffffffeu };   /* while a value travels from input to its slot */
enum { SID_SETV = 0xfffffffdu };       /* a constant set on the stack (LDSET): i is its index */
typedef struct Slot {
  Value v;
  uint32_t set;             /* SLOT_* */
  uint32_t head, tail;      /* first and last item (NONE32 when empty) */
  uint32_t reserved;
} Slot;

typedef struct Item { Value key, val; uint32_t next, reserved[3]; } Item;

/* A chunk of the input text arena. Chunks never move, so a string's pointer stays
 * valid until the input is reset; a reset folds the chunks into one of the total size. */
typedef struct TextChunk { struct TextChunk *next; size_t cap, used; char *data; } TextChunk;

/* A VM error: why a program could not be evaluated, kept so a message can be rendered. */
/* (the VM_ERR_* codes are in arith.h) */
typedef struct VmError { int code; uint32_t slot; Value key; } VmError;
/* A guardrail whose condition did not give false: it held (r VM_OK), or failed with e. */
typedef struct VmHit { uint32_t g; int r; VmError e; } VmHit;

/* A finding of the decision. Text lives in ctx->msg (offsets: the buffer may move while
 * the decision is built; it does not move afterwards). A named finding is not a
 * guardrail's: a budget or route that could not be evaluated ("budget:NAME",
 * "route:NAME") or no permitted route; its name and source are text in msg. */
enum { FIND_NAMED = 1 };
enum { MSG_PENDING = 0xffffffffu };
typedef struct Finding {
  uint32_t index;           /* guardrail, unless FIND_NAMED */
  uint32_t exemption;       /* WAIVED: the exemption; otherwise NONE32 */
  uint32_t flags;
  uint32_t file, line;      /* where it points: string id of the file, and the line */
  uint32_t msg_off, msg_len;       /* msg_len MSG_PENDING: rendered on first request */
  uint32_t name_off, name_len;     /* FIND_NAMED */
  uint32_t src_off, src_len;       /* "file:line" as text, rendered on request (MSG_PENDING) */
} Finding;

typedef struct BudgetOut { uint32_t budget, key_off, key_len, reserved; int64_t charge, limit; } BudgetOut;

enum { GCOND_INLINE = 12 };
struct aigw_bundle {
  Bundle b;
  aigw_config cfg;
  void *mem; size_t memsize;        /* allocator block holding the bundle bytes */
  uint32_t role_slot[6];            /* FIELD_ROLE_* → field index or NONE32 */
  uint32_t *field_by_name;          /* (name sid, field) pairs sorted by sid */
  uint32_t *ts_gr, nts;             /* guardrails a route target is checked against */
  uint64_t *base_active;            /* guardrails neither scoped nor guarded: always run */
  uint64_t *scoped;                 /* GR_SCOPED guardrails: run when the scope is unknown */
  struct GuardGroup { uint32_t slot, first, count; } *groups;   /* value guards by field */
  /* Each guardrail's condition in one cache line: its CODE range and, when it has at
   * most GCOND_INLINE words, a copy of them (code is position independent). Most
   * active guardrails do not fire, and a check then reads only this line, neither the
   * guardrail's record nor its program's. A condition that opens with
   * `field == "k" and` (FSEQK slot, sid; JFK), as a guarded one does, has that slot
   * and sid here, else slot NONE32 (vm.c). */
  struct GCond { uint32_t start, len, slot, sid, code[GCOND_INLINE]; } *gcond;
  void *gcond_mem;                  /* the allocation gcond is aligned within */
  /* Each guardrail's message template read once (msgtpl.h): its pieces are
   * mplan[first .. first + count), a text's (start, length) in the template or a hole
   * (MPLAN_HOLE, 0); a finding's message is then written without reading it again. */
  struct MPlan { uint32_t first, count; } *mplan_of;
  uint32_t (*mplan)[2]; size_t nmplan;
  uint64_t *globbed;                /* a bit per scope node: it has glob children */
  uint32_t ngroups, under_first, nunder;   /* GUARDS range of `scope under` guards */
  char *field_types; uint32_t *field_type_off;   /* "list<scope>" per field, for metadata */
  size_t field_types_size;
  /* Each guardrail's constant parts of the decision JSON, escaped once at load
   * (decision.c): offsets into gjson of its finding's head ({"guardrail":…,"message":),
   * its tail (,"source":"file:line"…}), and within them its quoted name and source. */
  struct GJson { uint32_t head, head_len, tail, tail_len, name, name_len, src, src_len; } *gj;
  char *gjson; size_t gjson_size;
  size_t idjson_len; char idjson[96];   /* ,"bundle":"sha256:…"} : the decision's last bytes */
};

/* Input size limits, each named in its error: list and map items in one input, bytes of
 * input text in all, bytes of one string, of one scope, of one JSON input. */
enum { RT_MAX_ITEMS = 1 << 20, RT_MAX_TEXT = 1 << 26, RT_MAX_STRING = 1 << 22, RT_MAX_SCOPE = 4096,
       RT_MAX_REQUEST = 1 << 26 };

struct aigw_ctx {
  /* What every decision reads and writes comes first, together, so that a context not
   * used for a while costs a few cache lines, not a few pages. */
  const struct aigw_bundle *bh;
  const Bundle *b;
  Slot *slots;
  uint64_t *grmark;                 /* bitset: the guardrails this input activates */
  VmHit *hits; uint32_t caphits;    /* the active guardrails that held or failed (vm_conds) */
  int64_t now;
  uint64_t steps;
  int evaluated, decision;
  int input_changed;                /* scopes must be matched again before the next eval */
  uint32_t route, rule;             /* route and rule index, or NONE32 */
  uint32_t cache_off, cache_len;    /* the route's cache key in msg; cache_len NONE32: no cache */
  Finding *lists[4]; uint32_t nlist[4], caplist[4];
  BudgetOut *budgets; uint32_t nbudgets, capbudgets;
  char *msg; size_t nmsg, capmsg;   /* messages and budget keys */
  char *json; size_t njson, capjson; int json_ok;
  VmError err;
  uint32_t nmatched, ntargets;
  uint32_t scope_unknown;           /* the slot whose scope is missing or malformed, or NONE32 */
  Value stack[LIMIT_STACK];
  uint32_t matched[LIMIT_MATCHED];
  uint32_t exmatched[LIMIT_MATCHED], nexmatched;   /* the matched nodes with exemptions, ascending */
  uint32_t targets[LIMIT_TARGETS];
  /* budget usage the host supplied for this input: set when busage_gen[i] == input_gen */
  int64_t *busage; uint32_t *busage_gen, input_gen;
  /* input storage */
  Item *items; uint32_t nitems, items_cap;
  TextChunk *text, *text_cur;
  size_t text_total;
  Value tparts[LIMIT_TARGETS][3];   /* the route's targets: provider, model, region */
  /* used only while matching scopes (once per input) or reporting an error */
  uint32_t front[2][LIMIT_MATCHED];
  uint64_t frontp[2][LIMIT_MATCHED]; /* the path hash of each front node (hash.h) */
  uint32_t err_line, err_col;       /* where invalid JSON input went wrong, or 0 */
  struct RtJsonScratch *jin;        /* the JSON reader's scratch (jsonin.c) */
  char errmsg[1024];
};

/* sign.c */
void rt_key_id(const uint8_t pub[32], char out[17]);
int rt_check_signature(const aigw_config *cfg, const char *id, const char *sig, size_t n, char *err, size_t errlen);

/* api.c: allocation through the config's hook, and the context's error message. */
void *rt_alloc(const struct aigw_bundle *bh, void *p, size_t osize, size_t nsize);
/* decision.c: the guardrails' JSON fragments (aigw_bundle.gj), at load; -1 out of memory */
int rt_json_frags(struct aigw_bundle *bh);
int rt_msg_plans(struct aigw_bundle *bh);   /* eval.c */
void rt_json_frags_free(struct aigw_bundle *bh);
int rt_grow_to(aigw_ctx *c, void **p, uint32_t *cap, uint32_t need, size_t elem);
/* Grows an array to hold at least need elements (api.c); the test that it already does
 * is inline, since it is the answer on every call but the first few. */
static inline int rt_grow(aigw_ctx *c, void **p, uint32_t *cap, uint32_t need, size_t elem) {
  return need <= *cap ? 0 : rt_grow_to(c, p, cap, need, elem);
}
int rt_growbytes(aigw_ctx *c, char **p, size_t *cap, size_t need);
aigw_status rt_error(aigw_ctx *c, aigw_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* vm.c: runs a verified program, its len instructions at code */
int vm_exec(aigw_ctx *c, const uint32_t *code, uint32_t len, Value *out);
/* Runs the condition of every guardrail marked in c->grmark, in index order, and lists
 * in hits (room for every marked one) those that held or failed: VM_OK, or
 * VM_ERR_LIMIT past the step limit. */
int vm_conds(aigw_ctx *c, VmHit *hits, uint32_t *nhits);
int vm_load_conds(struct aigw_bundle *bh);   /* the condition entries, at load; -1 out of memory */
static inline int vm_run(aigw_ctx *c, uint32_t prog, Value *out) {
  const BProgram *P = &c->b->programs[prog];
  return vm_exec(c, c->b->code + P->start, P->len, out);
}
/* What LDF pushes: the field's value, or the error reading it is (VM_ERR_UNSET, or
 * VM_ERR_SCOPE for a scope that cannot be judged). */
static inline int vm_field(const aigw_ctx *c, uint32_t slot, Value *v) {
  const Slot *s = &c->slots[slot];
  if (s->set != SLOT_SET) return s->set ? VM_ERR_SCOPE : VM_ERR_UNSET;
  *v = s->v;
  return VM_OK;
}
int vm_glob(const char *s, size_t n, const char *pat, size_t pn, uint64_t *budget);
int vm_matched(const aigw_ctx *c, uint32_t node);

/* input.c */
int rt_match_scopes(aigw_ctx *c);   /* fills c->matched; -1 past LIMIT_MATCHED */
const char *rt_type_name(const Bundle *b, uint32_t type, uint32_t elem, uint32_t levels,
                         char *buf, size_t n);

/* eval.c: text helpers shared with decision.c */
size_t rt_fmt_i64(char *out, int64_t v);           /* decimal; out holds 21 bytes */

/* eval.c: "file:line" into c->msg (a finding's source, formatted only when asked for:
 * a bundle's size decides nothing the loader allocates for it). -1 out of memory. */
int rt_put_source(aigw_ctx *c, uint32_t file, uint32_t line);
/* eval.c: render a finding's message if it is still pending; -1 when out of memory. */
int rt_render_pending(aigw_ctx *c, Finding *f);
/* eval.c: whether exemption x applies to this input now (aigw_exemption_state); the
 * scope test is skipped when the caller found x through a matched node. */
int rt_exemption_state(aigw_ctx *c, uint32_t x, int check_scope);

/* decision.c */
void rt_decision_reset(aigw_ctx *c);
size_t rt_fmt_bp(char *out, int32_t bp);             /* bp / 10000 as %g prints it */

#endif
