/* The JSON input paths (input.c, jsonin.c) and what they share: a JSON value as a
 * token, and one conversion per field type, so that the schema-directed reader and the
 * jansson path it is checked against cannot disagree on what a value may be. */
#ifndef AIGW_JSONIN_H
#define AIGW_JSONIN_H
#include "hash.h"
#include "vm.h"

typedef enum { RJ_OBJECT, RJ_ARRAY, RJ_STRING, RJ_INT, RJ_REAL, RJ_TRUE, RJ_FALSE, RJ_NULL } RjKind;
/* A scalar's value: s/n for a string (decoded, not terminated), i for an integer. */
typedef struct RjVal { RjKind kind; const char *s; size_t n; int64_t i; } RjVal;

/* Field errors of one input, joined with "; " (every bad field is named). */
typedef struct RtErrs { aigw_status st; size_t n; char all[sizeof ((aigw_ctx *)0)->errmsg]; } RtErrs;

/* input.c */
const char *rt_jkind_name(RjKind k);
aigw_status rt_in_value(aigw_ctx *c, uint32_t f, const char *path, uint32_t type,
                        const RjVal *j, Value *v);
aigw_status rt_in_type_error(aigw_ctx *c, uint32_t f, const char *path, uint32_t type,
                             const char *got);
/* The bundle's id of string s[0..n), or NOSTR: every input string goes through here. */
static inline __attribute__((always_inline)) uint32_t rt_intern(const Bundle *b, const char *s, size_t n) {
  if (!b->nbuckets) return NOSTR;
  uint32_t mask = b->nbuckets - 1, h = aigw_hash_str(s, n);
  for (uint32_t i = 0; i < b->nbuckets; i++) {
    uint32_t e = b->strhash[(h + i) & mask], id = (e & STRHASH_ID_MASK) - 1;
    if (!e) return NOSTR;
    if (strhash_entry(id, h) == e && bundle_strlen(b, id) == n && aigw_eq(bundle_str(b, id), s, n)) return id;
  }
  return NOSTR;
}

/* A string of the input as a value: the bundle's own when it knows it (its id decides
 * every compare), else a copy in the context's text (rt_in_copy, which also refuses
 * one longer than RT_MAX_STRING). Inline: every string of every request comes here, and
 * most are the bundle's. */
aigw_status rt_in_copy(aigw_ctx *c, const char *s, size_t n, Value *v);
static inline aigw_status rt_in_text(aigw_ctx *c, const char *s, size_t n, Value *v) {
  uint32_t sid = n <= RT_MAX_STRING ? rt_intern(c->b, s, n) : NOSTR;
  if (sid == NOSTR) return rt_in_copy(c, s, n, v);
  v->u.p = bundle_str(c->b, sid); v->len = (uint32_t)n; v->sid = sid;
  return AIGW_OK;
}
/* A malformed scope marks its slot SLOT_BAD, a list holding one included. */
static inline void rt_in_set_slot(aigw_ctx *c, uint32_t f, Value v) {
  Slot *s = &c->slots[f];
  s->set = v.sid == SID_BADSCOPE ? SLOT_BAD : SLOT_SET;
  if (v.sid == SID_BADSCOPE) v.sid = NOSTR;
  s->v = v;
}
void rt_in_set_coll(aigw_ctx *c, uint32_t f);
aigw_status rt_in_add_item(aigw_ctx *c, uint32_t f, Value key, Value val);
aigw_status rt_in_budget(aigw_ctx *c, const char *name, int k, const RjVal *v);
int rt_in_note(aigw_ctx *c, RtErrs *e, aigw_status fs);
aigw_status rt_in_finish(aigw_ctx *c, RtErrs *e);
int rt_field_n(const aigw_bundle *bh, const char *name, size_t n);
/* aigw_input_json through jansson's DOM: the reader's oracle and its error wording */
aigw_status rt_input_json_jansson(aigw_ctx *c, const char *json, size_t len);

/* jsonin.c: reads json into c's slots in one pass. 0 when the bytes are JSON as jansson
 * (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES) reads them, with *st the input's status
 * (field errors, limits); -1 when they are not (or memory ran out), with the input
 * reset. Allocates nothing once the context's scratch has reached its high-water mark. */
int rt_json_read(aigw_ctx *c, const char *json, size_t len, aigw_status *st);
void rt_json_free(aigw_ctx *c);

#endif
