/* Input: JSON or field-by-field setters into the context's slots, type-checked against
 * the schema; scope normalization; and the scope trie walk that gives a decision its
 * matched set.
 *
 * Strings are interned on the way in: when the text is in the bundle's string table the
 * value points at the bundle's copy and carries its id, so comparing it with a constant
 * is an integer compare and nothing is copied. Other text is copied into the context's
 * arena, whose chunks never move until the input is reset. */
#include <jansson.h>
#include <string.h>
#include "hash.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "jsonin.h"
#include "scopefmt.h"
#include "timefmt.h"
#include "vm.h"

/* ---- the text arena ---- */

static char *text_grow(aigw_ctx *c, size_t n);
static inline char *text_alloc(aigw_ctx *c, size_t n) {
  TextChunk *k = c->text_cur;       /* always the last chunk */
  if (k && k->cap - k->used >= n) {
    char *p = k->data + k->used;
    k->used += n;
    return p;
  }
  return text_grow(c, n);
}
/* A new last chunk, twice the size of the one before, with n bytes taken from it. */
static __attribute__((noinline)) char *text_grow(aigw_ctx *c, size_t n) {
  TextChunk *k = c->text_cur;
  if (c->text_total + n > RT_MAX_TEXT) return NULL;
  size_t cap = k ? k->cap * 2 : 4096;
  if (cap < n) cap = n;
  TextChunk *nk = rt_alloc(c->bh, NULL, 0, sizeof *nk + cap);
  if (!nk) return NULL;
  nk->next = NULL; nk->cap = cap; nk->used = n; nk->data = (char *)(nk + 1);
  if (k) k->next = nk;
  else c->text = nk;
  c->text_cur = nk;
  c->text_total += cap;
  return nk->data;
}

/* Gives back the tail of the most recent allocation. */
static void text_unalloc(aigw_ctx *c, size_t n) { c->text_cur->used -= n; }

/* Any change of input discards the decision (it described the old input) and means
 * the scopes must be matched again. */
static void input_changed(aigw_ctx *c) { c->input_changed = 1; c->evaluated = 0; }

void aigw_input_reset(aigw_ctx *c) {
  if (!c) return;
  input_changed(c);
  for (uint32_t i = 0; i < c->b->nfields; i++) {
    Slot *s = &c->slots[i];
    s->set = 0; s->head = s->tail = NONE32; s->v.len = 0;
  }
  c->nitems = 0;
  /* budget usage belongs to the input: a new generation forgets all of it at once */
  if (++c->input_gen == 0) {
    if (c->busage_gen) memset(c->busage_gen, 0, c->b->nbudgets * sizeof *c->busage_gen);
    c->input_gen = 1;
  }
  if (c->text && c->text->next) {
    /* Fold the chunks into one of the total size: the next input of this size then
     * needs no allocation at all (the high-water mark). */
    size_t total = c->text_total;
    for (TextChunk *k = c->text, *nx; k; k = nx) {
      nx = k->next;
      rt_alloc(c->bh, k, sizeof *k + k->cap, 0);
    }
    c->text = c->text_cur = NULL; c->text_total = 0;
    TextChunk *k = rt_alloc(c->bh, NULL, 0, sizeof *k + total);
    if (k) {
      k->next = NULL; k->cap = total; k->used = 0; k->data = (char *)(k + 1);
      c->text = c->text_cur = k; c->text_total = total;
    }
  }
  if (c->text) { c->text->used = 0; c->text_cur = c->text; }
}

/* ---- values ---- */

const char *rt_jkind_name(RjKind k) {
  switch (k) {
  case RJ_OBJECT: return "object";
  case RJ_ARRAY: return "array";
  case RJ_STRING: return "string";
  case RJ_INT: return "int";
  case RJ_REAL: return "float";
  case RJ_TRUE: case RJ_FALSE: return "bool";
  default: return "null";
  }
}

/* A jansson value as the reader's token: the jansson path and the reader then share
 * every conversion below. */
static RjVal jval(const json_t *j) {
  RjVal v = {RJ_NULL, NULL, 0, 0};
  switch (json_typeof(j)) {
  case JSON_OBJECT: v.kind = RJ_OBJECT; break;
  case JSON_ARRAY: v.kind = RJ_ARRAY; break;
  case JSON_STRING: v.kind = RJ_STRING; v.s = json_string_value(j); v.n = json_string_length(j); break;
  case JSON_INTEGER: v.kind = RJ_INT; v.i = (int64_t)json_integer_value(j); break;
  case JSON_REAL: v.kind = RJ_REAL; break;
  case JSON_TRUE: v.kind = RJ_TRUE; break;
  case JSON_FALSE: v.kind = RJ_FALSE; break;
  default: break;
  }
  return v;
}
static const char *json_type_name(const json_t *j) { return rt_jkind_name(jval(j).kind); }

const char *rt_type_name(const Bundle *b, uint32_t type, uint32_t elem, uint32_t levels,
                         char *buf, size_t n) {
  static const char *const names[] = {
#define X(id, s) s,
    VM_TYPES(X)
#undef X
  };
  if (type == T_LEVEL && levels < b->nlevels) snprintf(buf, n, "%s", bundle_str(b, b->levels[levels].name));
  else if (type == T_LIST || type == T_MAP) {
    char e[64];
    rt_type_name(b, elem, 0, levels, e, sizeof e);
    snprintf(buf, n, "%s<%s>", names[type], e);
  } else snprintf(buf, n, "%s", type < T__COUNT ? names[type] : "?");
  return buf;
}

static const char *field_name(const aigw_ctx *c, uint32_t f) { return bundle_str(c->b, c->b->fields[f].name); }

/* "field 'x': expected T, got U". path names a list item or map key (or is NULL). */
aigw_status rt_in_type_error(aigw_ctx *c, uint32_t f, const char *path, uint32_t type,
                             const char *got) {
  char t[80];
  const BField *F = &c->b->fields[f];
  rt_type_name(c->b, type, F->elem, F->levels, t, sizeof t);
  return rt_error(c, AIGW_ERR_INPUT, "field '%s%s': expected %s, got %s", field_name(c, f),
                  path ? path : "", t, got);
}

aigw_status rt_in_copy(aigw_ctx *c, const char *s, size_t n, Value *v) {
  if (n > RT_MAX_STRING) return rt_error(c, AIGW_ERR_LIMIT, "a string of %zu bytes is too long (limit is %d)", n, RT_MAX_STRING);
  v->len = (uint32_t)n; v->sid = NOSTR;
  char *p = text_alloc(c, n + 1);
  if (!p) return rt_error(c, c->text_total + n > RT_MAX_TEXT ? AIGW_ERR_LIMIT : AIGW_ERR_NOMEM,
                          "no room for %zu more bytes of input text", n);
  if (n) memcpy(p, s, n);
  p[n] = 0;
  v->u.p = p;
  return AIGW_OK;
}

/* A scope in canonical form (runtime/scopefmt.h). One that is not a resource ID is
 * kept as written and marked SID_BADSCOPE: the slot is then set but malformed, which
 * fails every scope-restricted guardrail closed (docs/language.md §8: "cannot tell" is an error). */
static aigw_status scope_value(aigw_ctx *c, uint32_t f, const char *s, size_t n, Value *v) {
  if (n > RT_MAX_SCOPE)
    return rt_error(c, AIGW_ERR_LIMIT, "field '%s': scope of %zu bytes is too long (limit is %d)", field_name(c, f), n, RT_MAX_SCOPE);
  char *p = text_alloc(c, n + 2);
  if (!p) return rt_error(c, AIGW_ERR_NOMEM, "no room for %zu more bytes of input text", n);
  size_t o;
  uint32_t depth;
  ScopeStatus st = rt_scope_canon(s, n, p, &o, &depth);
  if (st == SCOPE_TOO_DEEP) {
    text_unalloc(c, n + 2);
    return rt_error(c, AIGW_ERR_LIMIT, "field '%s': scope has more than %d segments",
                    field_name(c, f), LIMIT_SCOPE_DEPTH);
  }
  if (st != SCOPE_OK) {
    if (n) memcpy(p, s, n);
    p[n] = 0;
    text_unalloc(c, 1);
    v->u.p = p; v->len = (uint32_t)n; v->sid = SID_BADSCOPE;
    return AIGW_OK;
  }
  uint32_t sid = rt_intern(c->b, p, o);
  v->len = (uint32_t)o; v->sid = sid;
  if (sid != NOSTR) { text_unalloc(c, n + 2); v->u.p = bundle_str(c->b, sid); }
  else { text_unalloc(c, n + 2 - (o + 1)); v->u.p = p; }
  return AIGW_OK;
}

static int level_of(const Bundle *b, uint32_t lv, const char *s, size_t n) {
  const BLevels *L = &b->levels[lv];
  for (uint32_t i = 0; i < L->count; i++) {
    uint32_t id = b->u32s[L->first + i];
    if (bundle_strlen(b, id) == n && !memcmp(bundle_str(b, id), s, n)) return (int)i;
  }
  return -1;
}

/* Strictly a decimal integer that fits in 64 bits. */
static int parse_int(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  int neg = 0;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  if (i == n) return -1;
  int64_t v = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, neg ? -(s[i] - '0') : s[i] - '0', &v))
      return -1;
  }
  *out = v;
  return 0;
}

/* A value of scalar type `type` (a field's type or a list/map element type) from text. */
static aigw_status from_text(aigw_ctx *c, uint32_t f, const char *path, uint32_t type,
                             const char *s, size_t n, Value *v) {
  const BField *F = &c->b->fields[f];
  int k;
  v->sid = NOSTR; v->len = 0;
  switch (type) {
  case T_STR: return rt_in_text(c, s, n, v);
  case T_SCOPE: return scope_value(c, f, s, n, v);
  case T_LEVEL:
    if ((k = level_of(c->b, F->levels, s, n)) < 0)
      return rt_error(c, AIGW_ERR_INPUT, "field '%s%s': '%.*s' is not a level of %s", field_name(c, f),
                      path ? path : "", (int)(n > 64 ? 64 : n), s, bundle_str(c->b, c->b->levels[F->levels].name));
    v->u.i = k;
    return AIGW_OK;
  case T_TIME:
    /* a date is the start of that UTC day, as --now takes it */
    if (rt_parse_time(s, n, 1, &v->u.i) && rt_parse_date(s, n, &v->u.i))
      return rt_error(c, AIGW_ERR_INPUT, "field '%s%s': expected a date, an RFC 3339 time or Unix seconds, got '%.*s'",
                      field_name(c, f), path ? path : "", (int)(n > 64 ? 64 : n), s);
    return AIGW_OK;
  case T_INT: case T_DUR:
    if (parse_int(s, n, &v->u.i)) return rt_in_type_error(c, f, path, type, "string");
    return AIGW_OK;
  case T_BOOL:
    if (n == 4 && !memcmp(s, "true", 4)) { v->u.i = 1; return AIGW_OK; }
    if (n == 5 && !memcmp(s, "false", 5)) { v->u.i = 0; return AIGW_OK; }
    return rt_in_type_error(c, f, path, type, "string");
  default: return rt_in_type_error(c, f, path, type, "string");
  }
}

static aigw_status from_int(aigw_ctx *c, uint32_t f, const char *path, uint32_t type, int64_t i,
                            Value *v) {
  v->sid = NOSTR; v->len = 0; v->u.i = i;
  if (type == T_INT || type == T_DUR || type == T_TIME) return AIGW_OK;
  if (type == T_LEVEL) {
    const BField *F = &c->b->fields[f];
    if (i >= 0 && i < c->b->levels[F->levels].count) return AIGW_OK;
    return rt_error(c, AIGW_ERR_INPUT, "field '%s%s': level %lld is out of range", field_name(c, f),
                    path ? path : "", (long long)i);
  }
  return rt_in_type_error(c, f, path, type, "int");
}

/* What a JSON value of each kind may be, for both JSON paths. */
aigw_status rt_in_value(aigw_ctx *c, uint32_t f, const char *path, uint32_t type,
                        const RjVal *j, Value *v) {
  /* the common case first: a string for a string field (from_text's first case, without its switches) */
  if (j->kind == RJ_STRING && type == T_STR) return rt_in_text(c, j->s, j->n, v);
  switch (j->kind) {
  case RJ_STRING:
    if (type == T_INT || type == T_DUR || type == T_BOOL) break;  /* no numbers in strings */
    return from_text(c, f, path, type, j->s, j->n, v);
  case RJ_INT:
    if (type == T_LEVEL) break;     /* levels are named in JSON */
    return from_int(c, f, path, type, j->i, v);
  case RJ_TRUE: case RJ_FALSE:
    if (type != T_BOOL) break;
    v->u.i = j->kind == RJ_TRUE; v->sid = NOSTR; v->len = 0;
    return AIGW_OK;
  default: break;
  }
  return rt_in_type_error(c, f, path, type, rt_jkind_name(j->kind));
}

static aigw_status from_json(aigw_ctx *c, uint32_t f, const char *path, uint32_t type,
                             const json_t *j, Value *v) {
  RjVal jv = jval(j);
  return rt_in_value(c, f, path, type, &jv, v);
}

/* ---- slots, lists and maps ---- */

static aigw_status check_field(aigw_ctx *c, int field) {
  if (!c) return AIGW_ERR_ARG;
  if (field < 0 || (uint32_t)field >= c->b->nfields)
    return rt_error(c, AIGW_ERR_FIELD, "no input field with id %d", field);
  input_changed(c);
  return AIGW_OK;
}


/* Marks a list or map slot set (possibly empty). */
void rt_in_set_coll(aigw_ctx *c, uint32_t f) {
  Slot *s = &c->slots[f];
  if (!s->set) { s->set = SLOT_SET; s->v.u.i = f; s->v.len = 0; s->v.sid = NOSTR; s->head = s->tail = NONE32; }
}

aigw_status rt_in_add_item(aigw_ctx *c, uint32_t f, Value key, Value val) {
  Slot *s = &c->slots[f];
  if (c->nitems >= RT_MAX_ITEMS)
    return rt_error(c, AIGW_ERR_LIMIT, "too many list and map items (limit is %d)", RT_MAX_ITEMS);
  /* the schema's bound, which the compiler's worst-case cost counts on */
  if (s->v.len >= c->b->fields[f].max_items)
    return rt_error(c, AIGW_ERR_LIMIT, "field '%s': more than %u items (limit is %u, its max in the schema)",
                    field_name(c, f), c->b->fields[f].max_items, c->b->fields[f].max_items);
  if (rt_grow(c, (void **)&c->items, &c->items_cap, c->nitems + 1, sizeof(Item)))
    return rt_error(c, AIGW_ERR_NOMEM, "out of memory");
  if (val.sid == SID_BADSCOPE) { val.sid = NOSTR; s->set = SLOT_BAD; }
  uint32_t i = c->nitems++;
  Item *it = &c->items[i];
  it->key = key; it->val = val; it->next = NONE32;
  if (s->head == NONE32) s->head = i;
  else c->items[s->tail].next = i;
  s->tail = i;
  s->v.len++;
  return AIGW_OK;
}

static aigw_status map_put(aigw_ctx *c, uint32_t f, Value key, Value val) {
  for (uint32_t i = c->slots[f].head; i != NONE32; i = c->items[i].next) {
    Value k = c->items[i].key;
    if (k.len == key.len && (k.len == 0 || !memcmp(k.u.p, key.u.p, k.len))) {
      c->items[i].val = val;
      return AIGW_OK;
    }
  }
  return rt_in_add_item(c, f, key, val);
}

static aigw_status set_json(aigw_ctx *c, uint32_t f, const json_t *j) {
  const BField *F = &c->b->fields[f];
  char path[96];
  Value v, k;
  aigw_status st;
  if (F->type == T_LIST) {
    if (!json_is_array(j)) return rt_in_type_error(c, f, NULL, T_LIST, json_type_name(j));
    rt_in_set_coll(c, f);
    size_t i;
    const json_t *x;
    json_array_foreach(j, i, x) {
      if (from_json(c, f, NULL, F->elem, x, &v)) {   /* the path only for the message */
        snprintf(path, sizeof path, "[%zu]", i);
        return from_json(c, f, path, F->elem, x, &v);
      }
      k.u.p = ""; k.len = 0; k.sid = NOSTR;
      if ((st = rt_in_add_item(c, f, k, v))) return st;
    }
    return AIGW_OK;
  }
  if (F->type == T_MAP) {
    if (!json_is_object(j)) return rt_in_type_error(c, f, NULL, T_MAP, json_type_name(j));
    rt_in_set_coll(c, f);
    const char *key;
    const json_t *x;
    json_object_foreach((json_t *)j, key, x) {
      size_t kn = strlen(key);
      if (from_json(c, f, NULL, F->elem, x, &v)) {
        snprintf(path, sizeof path, ".%.80s", key);
        return from_json(c, f, path, F->elem, x, &v);
      }
      if ((st = rt_in_text(c, key, kn, &k))) return st;
      /* the parser refuses duplicate keys, so each key is new: appending keeps ingest
       * linear in the map's size, where a lookup per key would make it quadratic */
      if ((st = rt_in_add_item(c, f, k, v))) return st;
    }
    return AIGW_OK;
  }
  if ((st = from_json(c, f, NULL, F->type, j, &v))) return st;
  rt_in_set_slot(c, f, v);
  return AIGW_OK;
}

int aigw_field(const aigw_bundle *bh, const char *name) {
  if (!bh || !name) return -1;
  return rt_field_n(bh, name, strlen(name));
}

int rt_field_n(const aigw_bundle *bh, const char *name, size_t n) {
  uint32_t sid = rt_intern(&bh->b, name, n);
  if (sid == NOSTR) return -1;
  uint32_t lo = 0, hi = bh->b.nfields;
  while (lo < hi) {                 /* field_by_name: (sid, field) pairs sorted by sid */
    uint32_t mid = lo + (hi - lo) / 2;
    if (bh->field_by_name[2 * mid] < sid) lo = mid + 1;
    else hi = mid;
  }
  return lo < bh->b.nfields && bh->field_by_name[2 * lo] == sid ? (int)bh->field_by_name[2 * lo + 1] : -1;
}

/* "$budgets": {"NAME": used, …}: the usage of each named budget (aigw_input_budget_usage). */
static aigw_status budgets_json(aigw_ctx *c, const json_t *j) {
  if (!json_is_object(j)) return rt_error(c, AIGW_ERR_INPUT, "$budgets: expected an object, got %s", json_type_name(j));
  const char *name;
  const json_t *v;
  json_object_foreach((json_t *)j, name, v) {
    int k = aigw_budget_index(c->bh, name);
    RjVal jv = jval(v);
    aigw_status st = rt_in_budget(c, name, k, &jv);
    if (st) return st;
  }
  return AIGW_OK;
}

/* One "$budgets" member whose name is budget k (-1: no such budget). */
aigw_status rt_in_budget(aigw_ctx *c, const char *name, int k, const RjVal *v) {
  if (k < 0) return rt_error(c, AIGW_ERR_INPUT, "$budgets: no budget '%.80s'", name);
  if (v->kind != RJ_INT) return rt_error(c, AIGW_ERR_INPUT, "$budgets.%.80s: expected int, got %s", name, rt_jkind_name(v->kind));
  aigw_input_budget_usage(c, k, v->i);
  return AIGW_OK;
}

/* Collects one field's failure into the joined message; 1 when nothing more is to be
 * learned (a limit or no memory). */
int rt_in_note(aigw_ctx *c, RtErrs *e, aigw_status fs) {
  if (e->st == AIGW_OK || e->st == AIGW_ERR_INPUT) e->st = fs;
  if (e->n < sizeof e->all - 1) e->n += (size_t)snprintf(e->all + e->n, sizeof e->all - e->n, "%s%s", e->n ? "; " : "", c->errmsg);
  return fs != AIGW_ERR_INPUT;
}

/* The end of an input: a failed one leaves nothing half-set. */
aigw_status rt_in_finish(aigw_ctx *c, RtErrs *e) {
  if (e->st) {
    aigw_input_reset(c);
    size_t n = e->n < sizeof e->all - 1 ? e->n : sizeof e->all - 1;
    memcpy(c->errmsg, e->all, n);   /* only what was written: the rest is not initialized */
    c->errmsg[n] = 0;
  }
  return e->st;
}

/* Every bad field is reported, not only the first, so one round trip fixes a request:
 * the messages are joined with "; " (as many as the message buffer holds). Duplicate
 * keys are refused: a gateway that kept the other value would enforce a request other
 * than the one judged. */
aigw_status aigw_input_json(aigw_ctx *c, const char *json, size_t len) {
  if (!c || (!json && len)) return AIGW_ERR_ARG;
  /* One pass straight into the slots (jsonin.c). Bytes the reader refuses go to jansson,
   * which words and places the error as it always has. */
  if (len <= RT_MAX_REQUEST) {
    aigw_status st;
    if (rt_json_read(c, json ? json : "", len, &st) == 0) return st;
  }
  return rt_input_json_jansson(c, json, len);
}

/* The same through jansson's DOM: the reader's oracle, and its error messages. */
aigw_status rt_input_json_jansson(aigw_ctx *c, const char *json, size_t len) {
  if (!c || (!json && len)) return AIGW_ERR_ARG;
  aigw_input_reset(c);
  c->err_line = c->err_col = 0;
  if (len > RT_MAX_REQUEST)
    return rt_error(c, AIGW_ERR_LIMIT, "an input of %zu bytes is too large (limit is %d)", len, RT_MAX_REQUEST);
  json_error_t je;
  json_t *root = json_loadb(json ? json : "", len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    c->err_line = (uint32_t)(je.line > 0 ? je.line : 1);
    c->err_col = (uint32_t)(je.column > 0 ? je.column : 1);
    return rt_error(c, AIGW_ERR_INPUT, "invalid JSON: %s", je.text);
  }
  if (!json_is_object(root)) {
    json_decref(root);
    return rt_error(c, AIGW_ERR_INPUT, "input is not a JSON object");
  }
  const char *key;
  json_t *val;
  RtErrs e = {AIGW_OK, 0, {0}};
  json_object_foreach(root, key, val) {
    if (!strcmp(key, "$budgets")) {   /* the host's budget usage, not a field */
      aigw_status fs = budgets_json(c, val);
      if (fs) rt_in_note(c, &e, fs);
      continue;
    }
    int f = aigw_field(c->bh, key);
    if (f < 0 || json_is_null(val)) continue;      /* unknown keys are ignored; null is unset */
    aigw_status fs = set_json(c, (uint32_t)f, val);
    if (fs && rt_in_note(c, &e, fs)) break;   /* a limit or no memory: nothing more to learn */
  }
  json_decref(root);
  return rt_in_finish(c, &e);
}

void aigw_ctx_error_at(const aigw_ctx *c, uint32_t *line, uint32_t *col) {
  if (line) *line = c ? c->err_line : 0;
  if (col) *col = c ? c->err_col : 0;
}

aigw_status aigw_input_string(aigw_ctx *c, int field, const char *s, size_t len) {
  aigw_status st = check_field(c, field);
  if (st) return st;
  if (!s && len) return AIGW_ERR_ARG;
  const BField *F = &c->b->fields[field];
  /* Only lists and maps take numbers as text (their setters have nothing else). */
  if (F->type == T_LIST || F->type == T_MAP || F->type == T_INT || F->type == T_DUR || F->type == T_BOOL)
    return rt_in_type_error(c, (uint32_t)field, NULL, F->type, "string");
  Value v;
  if ((st = from_text(c, (uint32_t)field, NULL, F->type, s ? s : "", len, &v))) return st;
  rt_in_set_slot(c, (uint32_t)field, v);
  return AIGW_OK;
}

aigw_status aigw_input_int(aigw_ctx *c, int field, int64_t i) {
  aigw_status st = check_field(c, field);
  if (st) return st;
  Value v;
  if ((st = from_int(c, (uint32_t)field, NULL, c->b->fields[field].type, i, &v))) return st;
  rt_in_set_slot(c, (uint32_t)field, v);
  return AIGW_OK;
}

aigw_status aigw_input_bool(aigw_ctx *c, int field, int b) {
  aigw_status st = check_field(c, field);
  if (st) return st;
  if (c->b->fields[field].type != T_BOOL) return rt_in_type_error(c, (uint32_t)field, NULL, c->b->fields[field].type, "bool");
  Value v = {.u.i = b != 0, .len = 0, .sid = NOSTR};
  rt_in_set_slot(c, (uint32_t)field, v);
  return AIGW_OK;
}

aigw_status aigw_input_time(aigw_ctx *c, int field, int64_t t) {
  aigw_status st = check_field(c, field);
  if (st) return st;
  if (c->b->fields[field].type != T_TIME) return rt_in_type_error(c, (uint32_t)field, NULL, c->b->fields[field].type, "time");
  Value v = {.u.i = t, .len = 0, .sid = NOSTR};
  rt_in_set_slot(c, (uint32_t)field, v);
  return AIGW_OK;
}

aigw_status aigw_input_list_add(aigw_ctx *c, int field, const char *s, size_t len) {
  aigw_status st = check_field(c, field);
  if (st) return st;
  if (!s && len) return AIGW_ERR_ARG;
  const BField *F = &c->b->fields[field];
  if (F->type != T_LIST) return rt_in_type_error(c, (uint32_t)field, NULL, F->type, "list");
  Value v, k = {.u.p = "", .len = 0, .sid = NOSTR};
  if (from_text(c, (uint32_t)field, NULL, F->elem, s ? s : "", len, &v)) {
    /* only a failure needs the element's path, for its message: format it then */
    char path[32];
    snprintf(path, sizeof path, "[%u]", c->slots[field].set ? c->slots[field].v.len : 0);
    return from_text(c, (uint32_t)field, path, F->elem, s ? s : "", len, &v);
  }
  rt_in_set_coll(c, (uint32_t)field);
  return rt_in_add_item(c, (uint32_t)field, k, v);
}

aigw_status aigw_input_map_set(aigw_ctx *c, int field, const char *key, size_t klen,
                               const char *val, size_t vlen) {
  aigw_status st = check_field(c, field);
  if (st) return st;
  if ((!key && klen) || (!val && vlen)) return AIGW_ERR_ARG;
  const BField *F = &c->b->fields[field];
  if (F->type != T_MAP) return rt_in_type_error(c, (uint32_t)field, NULL, F->type, "map");
  Value k, v;
  if (from_text(c, (uint32_t)field, NULL, F->elem, val ? val : "", vlen, &v)) {
    char path[96];
    snprintf(path, sizeof path, ".%.*s", (int)(klen > 80 ? 80 : klen), key ? key : "");
    return from_text(c, (uint32_t)field, path, F->elem, val ? val : "", vlen, &v);
  }
  if ((st = rt_in_text(c, key ? key : "", klen, &k))) return st;
  rt_in_set_coll(c, (uint32_t)field);
  return map_put(c, (uint32_t)field, k, v);
}

/* ---- the scope trie walk ---- */

/* The literal child of parent that the path hash h places, for segment s[0..n). A
 * segment of an input scope is at most RT_MAX_SCOPE bytes, so a key whose length
 * matches names a string of exactly n bytes at e->seg (the verifier checked both); the
 * bytes decide, never the hash. */
_Static_assert(RT_MAX_SCOPE < 0xffff, "an input segment's length fits an edge key");
static uint32_t edge_find(const Bundle *b, uint32_t parent, uint32_t h, const char *s, size_t n) {
  if (!b->nedges) return NONE32;
  uint32_t mask = b->nedges - 1, key = edge_key(h, n);
  for (uint32_t i = 0; i < b->nedges; i++) {
    const BEdge *e = &b->edges[(h + i) & mask];
    if (e->child == NONE32) return NONE32;
    if (e->key == key && e->parent == parent && aigw_eq(b->str_bytes + e->seg, s, n)) return e->child;
  }
  return NONE32;
}

/* Inserts node into the sorted matched set; -1 when it is full. */
static int match_add(aigw_ctx *c, uint32_t node) {
  uint32_t lo = 0, hi = c->nmatched;
  if (hi && c->matched[hi - 1] < node) lo = hi;   /* a walk mostly appends: a child's index is above its parent's */
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (c->matched[mid] < node) lo = mid + 1;
    else hi = mid;
  }
  if (lo < c->nmatched && c->matched[lo] == node) return 0;
  if (c->nmatched == LIMIT_MATCHED) return -1;
  if (lo < c->nmatched)
    memmove(c->matched + lo + 1, c->matched + lo, (c->nmatched - lo) * sizeof *c->matched);
  c->matched[lo] = node;
  c->nmatched++;
  return 0;
}

/* The length of the segment at s: up to the next '/' or n. Segments are a few to a few
 * dozen bytes, so sixteen at a time inline beats a call to memchr. */
static inline size_t seg_len(const char *s, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i slash = _mm_set1_epi8('/');
  for (; n - i >= 16; i += 16) {
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i)), slash));
    if (m) return i + (size_t)__builtin_ctz(m);
  }
#endif
  while (i < n && s[i] != '/') i++;
  return i;
}

/* The segment of s[0..n) at or after *i: its start, and its length in *len (0: none). */
static inline const char *next_seg(const char *s, size_t n, size_t *i, size_t *len) {
  while (*i < n && s[*i] == '/') (*i)++;
  const char *seg = s + *i;
  *len = seg_len(seg, n - *i);
  *i += *len;
  return seg;
}

/* Walks one normalized scope down the trie. A segment follows its literal child and
 * every glob child it matches, so the frontier can branch; every node reached is
 * matched, since an exemption at S applies to S and everything below it.
 *
 * In a large trie each level's edge is a cache miss, and the next level's search needs
 * this level's node. But where an edge lies depends only on the path's segments
 * (hash.h): while it searches one level, the walk already asks for the edge of the next
 * level of the literal path, so that miss overlaps this level's work. A table of up to
 * WALK_CACHED edges (256 KB) stays in cache between requests: there asking costs more
 * than it saves. */
enum { WALK_CACHED = 1 << 14 };
static int walk(aigw_ctx *c, Value scope) {
  const Bundle *b = c->b;
  const uint64_t *globbed = c->bh->globbed;
  uint32_t *cur = c->front[0], *nxt = c->front[1], ncur = 1;
  uint64_t *curp = c->frontp[0], *nxtp = c->frontp[1];
  cur[0] = 0; curp[0] = AIGW_PATH_SEED;
  const char *s = scope.u.p;
  size_t n = scope.len, i = 0, sn, nsn;
  const char *seg = next_seg(s, n, &i, &sn);
  uint64_t raw = aigw_hash_raw(seg, sn), lit = AIGW_PATH_SEED;   /* lit: the literal path's hash so far */
  while (ncur && sn) {
    const char *nseg = next_seg(s, n, &i, &nsn);
    uint64_t nraw = aigw_hash_raw(nseg, nsn), lit1 = aigw_path_next(lit, raw);
    if (nsn && b->nedges > WALK_CACHED)
      __builtin_prefetch(&b->edges[(uint32_t)aigw_path_next(lit1, nraw) & (b->nedges - 1)]);
    uint32_t nn = 0;
    for (uint32_t k = 0; k < ncur; k++) {
      uint64_t p = curp[k] == lit ? lit1 : aigw_path_next(curp[k], raw);
      uint32_t child = edge_find(b, cur[k], (uint32_t)p, seg, sn);
      if (child != NONE32) {
        if (nn == LIMIT_MATCHED || match_add(c, child)) return -1;
        nxtp[nn] = p; nxt[nn++] = child;
      }
      if (!(globbed[cur[k] >> 6] >> (cur[k] & 63) & 1)) continue;
      const BNode *N = &b->nodes[cur[k]];
      for (uint32_t w = 0; w < N->wild_count; w++) {
        uint32_t ch = b->u32s[N->wild_first + w];
        const char *pat = bundle_str(b, b->nodes[ch].segment);
        size_t pn = bundle_strlen(b, b->nodes[ch].segment);
        uint64_t budget = UINT64_MAX;   /* a segment of at most RT_MAX_SCOPE bytes and a policy glob */
        if (vm_glob(seg, sn, pat, pn, &budget) != 1) continue;
        if (nn == LIMIT_MATCHED || match_add(c, ch)) return -1;
        nxtp[nn] = aigw_path_next(curp[k], aigw_hash_raw(pat, pn)); nxt[nn++] = ch;
      }
    }
    uint32_t *t = cur; cur = nxt; nxt = t;
    uint64_t *tp = curp; curp = nxtp; nxtp = tp;
    ncur = nn; seg = nseg; sn = nsn; raw = nraw; lit = lit1;
  }
  return 0;
}

/* The nodes the input's scope is at or below. A scope the schema declares but the
 * input leaves out, or gives in a form that is not a resource ID, matches nothing,
 * not even the root, and scope_unknown names its slot: every scope-restricted
 * guardrail then fails closed and no exemption applies. */
int rt_match_scopes(aigw_ctx *c) {
  const struct aigw_bundle *bh = c->bh;
  const Bundle *b = c->b;
  c->nmatched = 0;
  c->scope_unknown = NONE32;
  if (!b->nnodes) return 0;
  uint32_t sf = bh->role_slot[FIELD_ROLE_SCOPE], af = bh->role_slot[FIELD_ROLE_ANCESTORS];
  if (sf != NONE32 && c->slots[sf].set != SLOT_SET) { c->scope_unknown = sf; return 0; }
  if (af != NONE32 && c->slots[af].set == SLOT_BAD) { c->scope_unknown = af; return 0; }
  match_add(c, 0);
  if (sf != NONE32 && walk(c, c->slots[sf].v)) return -1;
  if (af != NONE32 && c->slots[af].set)
    for (uint32_t i = c->slots[af].head; i != NONE32; i = c->items[i].next)
      if (walk(c, c->items[i].val)) return -1;
  /* Declared hierarchy: each node's ancestors are already transitively closed, so one
   * pass over the nodes matched by the walks is enough. */
  uint32_t n = c->nmatched;
  memcpy(c->front[0], c->matched, n * sizeof *c->matched);
  for (uint32_t k = 0; k < n; k++) {
    const BNode *N = &b->nodes[c->front[0][k]];
    for (uint32_t a = 0; a < N->anc_count; a++)
      if (match_add(c, b->u32s[N->anc_first + a])) return -1;
  }
  return 0;
}
