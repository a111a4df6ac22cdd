/* The JSON input reader: one pass over the bytes, straight into the context's slots.
 *
 * The input's top-level keys are looked up in the schema (rt_field_n) as they are read;
 * a known field's value is converted by the same functions the jansson path uses
 * (input.c, jsonin.h); anything else is skipped, but validated all the same. The
 * grammar is jansson's under JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, which stays this
 * reader's oracle (tests/fuzz/fuzz_json_entry.c): strict JSON, escapes with \u
 * surrogate pairs and no \u0000, UTF-8 without overlong forms or surrogates, integers
 * that fit in 64 bits, reals that do not overflow a double, at most JI_MAX_DEPTH nested
 * values, and no key twice in any object. Bytes it refuses are handed back (-1), and
 * aigw_input_json lets jansson word and place the error: refusals are rare, and their
 * messages stay exactly what they were.
 *
 * Memory: decoded strings, the keys of the open objects, a hash set for objects with
 * many keys, the nesting stack and a cache of top-level keys live in the context's
 * scratch, which grows to its high-water mark and is reused, so a warm context reads
 * JSON without allocating. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "jscan.h"
#include "jsonin.h"

enum { JI_MAX_DEPTH = 2048,     /* jansson's JSON_PARSER_MAX_DEPTH: values, not containers */
       JI_LINEAR = 16,          /* keys of one object compared one by one; more are hashed */
       JI_FCACHE = 256 };       /* remembered top-level keys (a power of two) */

/* A key: in the input when it has no escape (p), else decoded in kbuf at off. */
typedef struct JiKey { const char *p; uint32_t off, len, hash, reserved; } JiKey;
typedef struct JiSetE { uint32_t gen, obj, key; } JiSetE;
/* An open object: its keys are keys[first..nkeys), decoded ones in kbuf[kn0..kn). */
typedef struct JiObj { uint32_t first, serial; size_t kn0; int hashed; uint64_t seen; } JiObj;
typedef struct JiFrame { JiObj o; uint32_t depth; int obj; } JiFrame;

struct RtJsonScratch {
  char *sbuf; size_t scap;                  /* one decoded string value */
  char *kbuf; size_t kcap;                  /* the open objects' decoded keys, 0-terminated */
  JiKey *keys; uint32_t kcapn;
  JiSetE *set; uint32_t setcap, gen;        /* entries of another gen are empty */
  JiFrame *fr; uint32_t frcap;              /* the containers open while skipping */
  /* field index + 1 of a top-level key seen before, by length and first and last byte;
   * every hit is confirmed against the field's name, so a collision only costs a lookup */
  uint32_t fcache[JI_FCACHE];
  uint32_t *fseen, fseencap, fgen;          /* fseen[f] == fgen: field f is in this input */
};

typedef struct Ji {
  aigw_ctx *c;
  struct RtJsonScratch *x;
  const unsigned char *b, *p, *e;     /* the input, the cursor, the end */
  size_t kn;
  uint32_t nkeys, nobj, setn;
  int stop;                 /* a limit or no memory: the rest is only validated */
  int hashing;              /* the hash set holds this input's keys (x->gen is its own) */
  RtErrs errs;
} Ji;

/* Whitespace is skipped by the reader of the token after it, and only where that token
 * is not already in place: the JSON gateways send has none between tokens. */
#define WS(J) while ((J)->p < (J)->e && (*(J)->p == ' ' || *(J)->p == '\n' || *(J)->p == '\r' || *(J)->p == '\t')) (J)->p++
#define PEEK(J) ((J)->p < (J)->e ? *(J)->p : 0)
/* Whether the next token starts with ch, whitespace skipped only when it is not there. */
static inline int at(Ji *J, int ch) {
  if (PEEK(J) == ch) return 1;
  WS(J);
  return PEEK(J) == ch;
}

void rt_json_free(aigw_ctx *c) {
  struct RtJsonScratch *x = c->jin;
  if (!x) return;
  const aigw_bundle *bh = c->bh;
  if (x->sbuf) rt_alloc(bh, x->sbuf, x->scap, 0);
  if (x->kbuf) rt_alloc(bh, x->kbuf, x->kcap, 0);
  if (x->keys) rt_alloc(bh, x->keys, (size_t)x->kcapn * sizeof *x->keys, 0);
  if (x->set) rt_alloc(bh, x->set, (size_t)x->setcap * sizeof *x->set, 0);
  if (x->fr) rt_alloc(bh, x->fr, (size_t)x->frcap * sizeof *x->fr, 0);
  if (x->fseen) rt_alloc(bh, x->fseen, (size_t)x->fseencap * sizeof *x->fseen, 0);
  rt_alloc(bh, x, sizeof *x, 0);
  c->jin = NULL;
}

/* ---- strings ---- */

static int hex4(const unsigned char *p, const unsigned char *e, uint32_t *out) {
  if (e - p < 4) return -1;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i], d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') d = (c | 0x20) - 'a' + 10;
    else return -1;
    v = v << 4 | d;
  }
  *out = v;
  return 0;
}

enum { STR_CHECK, STR_VALUE, STR_KEY, STR_KEYCOPY };

/* A string, J->p just past its opening quote. STR_CHECK only validates; STR_VALUE
 * gives the text in place when it has no escape, else decoded into sbuf; STR_KEY the
 * same, but decoded into kbuf at J->kn (which it does not advance), 0-terminated;
 * STR_KEYCOPY always into kbuf. */
static int string_rest(Ji *J, int mode, const char **s, size_t *n);
static inline __attribute__((always_inline)) int string(Ji *J, int mode, const char **s, size_t *n) {
  const unsigned char *p = rt_json_plain(J->p, J->e);
  if (p < J->e && *p == '"' && mode != STR_KEYCOPY) {     /* the common case: nothing to decode */
    if (s) { *s = (const char *)J->p; *n = (size_t)(p - J->p); }
    J->p = p + 1;
    return 0;
  }
  return string_rest(J, mode, s, n);
}
static __attribute__((noinline)) int string_rest(Ji *J, int mode, const char **s, size_t *n) {
  const unsigned char *p = J->p, *e = J->e, *start = p;
  for (;;) {
    p = rt_json_plain(p, e);
    if (p == e) return -1;
    unsigned c = *p;
    if (c == '"' || c == '\\') break;
    if (c < 0x20) return -1;
    if (c < 0x80) { p++; continue; }
    int k = rt_utf8_len(p, e);
    if (!k) return -1;
    p += k;
  }
  struct RtJsonScratch *x = J->x;
  int key = mode >= STR_KEY;
  char **buf = key ? &x->kbuf : &x->sbuf;
  size_t *cap = key ? &x->kcap : &x->scap;
  size_t base = key ? J->kn : 0, o = (size_t)(p - start);
  if (*p == '"') {                          /* no escape */
    J->p = p + 1;
    if (mode == STR_KEYCOPY) {
      if (base + o + 1 > *cap && rt_growbytes(J->c, buf, cap, base + o + 1)) return -1;
      memcpy(*buf + base, start, o);
      (*buf)[base + o] = 0;
      start = (const unsigned char *)*buf + base;
    }
    if (s) { *s = (const char *)start; *n = o; }
    return 0;
  }
  if (mode != STR_CHECK) {
    if (rt_growbytes(J->c, buf, cap, base + o + 8)) return -1;
    memcpy(*buf + base, start, o);
  }
  for (;;) {
    const unsigned char *q = rt_json_plain(p, e);     /* a run that needs no decoding */
    size_t run = (size_t)(q - p);
    if (mode != STR_CHECK && base + o + run + 8 > *cap && rt_growbytes(J->c, buf, cap, base + o + run + 8)) return -1;
    char *d = mode != STR_CHECK ? *buf + base : NULL;
    if (d && run) memcpy(d + o, p, run);
    o += run; p = q;
    if (p == e) return -1;
    unsigned c = *p;
    if (c == '"') { p++; break; }
    if (c < 0x20) return -1;
    if (c >= 0x80) {
      int k = rt_utf8_len(p, e);
      if (!k) return -1;
      if (d) memcpy(d + o, p, (size_t)k);
      o += (size_t)k; p += (size_t)k;
      continue;
    }
    if (++p == e) return -1;
    char r;
    switch (*p) {
    case '"': r = '"'; break;
    case '\\': r = '\\'; break;
    case '/': r = '/'; break;
    case 'b': r = '\b'; break;
    case 'f': r = '\f'; break;
    case 'n': r = '\n'; break;
    case 'r': r = '\r'; break;
    case 't': r = '\t'; break;
    case 'u': {
      uint32_t u, lo;
      if (hex4(p + 1, e, &u)) return -1;
      p += 5;
      if (u >= 0xDC00 && u <= 0xDFFF) return -1;       /* a lone low surrogate */
      if (u >= 0xD800 && u <= 0xDBFF) {
        if (e - p < 2 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, e, &lo)) return -1;
        if (lo < 0xDC00 || lo > 0xDFFF) return -1;
        p += 6;
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      }
      if (u == 0) return -1;                            /* jansson: not without JSON_ALLOW_NUL */
      if (d) {
        if (u < 0x80) d[o++] = (char)u;
        else if (u < 0x800) { d[o++] = (char)(0xC0 | u >> 6); d[o++] = (char)(0x80 | (u & 0x3F)); }
        else if (u < 0x10000) {
          d[o++] = (char)(0xE0 | u >> 12); d[o++] = (char)(0x80 | (u >> 6 & 0x3F)); d[o++] = (char)(0x80 | (u & 0x3F));
        } else {
          d[o++] = (char)(0xF0 | u >> 18); d[o++] = (char)(0x80 | (u >> 12 & 0x3F));
          d[o++] = (char)(0x80 | (u >> 6 & 0x3F)); d[o++] = (char)(0x80 | (u & 0x3F));
        }
      }
      continue;
    }
    default: return -1;
    }
    if (d) d[o] = r;
    o++; p++;
  }
  J->p = p;
  if (key) (*buf)[base + o] = 0;
  if (s) { *s = mode == STR_CHECK ? NULL : *buf + base; *n = o; }
  return 0;
}

/* ---- keys: no key twice in one object ---- */

static void obj_begin(Ji *J, JiObj *o) {
  o->first = J->nkeys; o->serial = ++J->nobj; o->kn0 = J->kn; o->hashed = 0; o->seen = 0;
}
static void obj_end(Ji *J, const JiObj *o) { J->nkeys = o->first; J->kn = o->kn0; }

static int set_grow(Ji *J) {
  struct RtJsonScratch *x = J->x;
  uint32_t ncap = x->setcap ? x->setcap * 2 : 64;
  JiSetE *ns = rt_alloc(J->c->bh, NULL, 0, (size_t)ncap * sizeof *ns);
  if (!ns) return -1;
  memset(ns, 0, (size_t)ncap * sizeof *ns);
  for (uint32_t i = 0; i < x->setcap; i++) {     /* stale entries move too: they never match */
    JiSetE en = x->set[i];
    if (en.gen != x->gen) continue;
    uint32_t h = x->keys[en.key].hash;
    for (uint32_t k = 0;; k++) {
      JiSetE *t = &ns[(h + k) & (ncap - 1)];
      if (!t->gen) { *t = en; t->gen = 1; break; }
    }
  }
  if (x->set) rt_alloc(J->c->bh, x->set, (size_t)x->setcap * sizeof *x->set, 0);
  x->set = ns; x->setcap = ncap; x->gen = 1;
  return 0;
}

static const char *kptr(const struct RtJsonScratch *x, const JiKey *K) { return K->p ? K->p : x->kbuf + K->off; }

/* Puts key i of object o into the hash set; 1 when an equal key is there already. */
static int set_put(Ji *J, const JiObj *o, uint32_t i) {
  struct RtJsonScratch *x = J->x;
  if ((J->setn + 1) * 2 > x->setcap && set_grow(J)) return -1;
  J->setn++;
  const JiKey *K = &x->keys[i];
  for (uint32_t k = 0, mask = x->setcap - 1;; k++) {
    JiSetE *t = &x->set[(K->hash + k) & mask];
    if (t->gen != x->gen) { t->gen = x->gen; t->obj = o->serial; t->key = i; return 0; }
    if (t->obj != o->serial) continue;
    const JiKey *Q = &x->keys[t->key];
    if (Q->hash == K->hash && Q->len == K->len && !memcmp(kptr(x, Q), kptr(x, K), K->len)) return 1;
  }
}

/* The key at J->p (its opening quote) and the colon after it: its text in place when it
 * has no escape, else decoded into kbuf at J->kn, which key_add keeps (copy: always
 * decoded there, so 0-terminated). */
static inline __attribute__((always_inline)) int key_text(Ji *J, const char **s, size_t *n, int copy) {
  if (!at(J, '"')) return -1;
  J->p++;
  if (string(J, copy ? STR_KEYCOPY : STR_KEY, s, n)) return -1;
  if (!at(J, ':')) return -1;
  J->p++;
  return 0;
}

/* Key s[0..n) (from key_text) checked against o's earlier keys: it is keys[*ki] until o
 * ends; -1 when o has it already. */
static int key_add(Ji *J, JiObj *o, const char *s, size_t n, uint32_t *ki) {
  int inplace = (const unsigned char *)s >= J->b && (const unsigned char *)s < J->e;
  struct RtJsonScratch *x = J->x;
  if (J->nkeys >= x->kcapn && rt_grow(J->c, (void **)&x->keys, &x->kcapn, J->nkeys + 1, sizeof *x->keys)) return -1;
  if (J->kn + n + 1 > UINT32_MAX) return -1;
  uint32_t i = J->nkeys, cnt = i - o->first;
  JiKey *K = &x->keys[i];
  K->p = inplace ? s : NULL; K->off = (uint32_t)J->kn; K->len = (uint32_t)n; K->hash = 0;
  if (!o->hashed && cnt < JI_LINEAR) {
    /* a bit per length and end bytes: a key whose bit is clear is new without a compare */
    uint64_t bit = 1ull << ((n * 7 + (n ? (unsigned char)s[0] + (unsigned char)s[n - 1] * 3u : 0)) & 63);
    if (o->seen & bit)
      for (uint32_t k = o->first; k < i; k++)
        if (x->keys[k].len == n && !memcmp(kptr(x, &x->keys[k]), s, n)) return -1;
    o->seen |= bit;
  } else {
    if (!o->hashed) {           /* many keys: from now on through the hash set */
      if (!J->hashing) {        /* the first such object of this input empties the set */
        if (++x->gen == 0) { if (x->set) memset(x->set, 0, (size_t)x->setcap * sizeof *x->set); x->gen = 1; }
        J->setn = 0;
        J->hashing = 1;
      }
      o->hashed = 1;
      for (uint32_t k = o->first; k < i; k++) {
        x->keys[k].hash = aigw_hash_str(kptr(x, &x->keys[k]), x->keys[k].len);
        if (set_put(J, o, k)) return -1;
      }
    }
    K->hash = aigw_hash_str(s, n);
    if (set_put(J, o, i)) return -1;
  }
  J->nkeys = i + 1;
  *ki = i;
  if (!inplace) J->kn += n + 1;
  return 0;
}

static inline __attribute__((always_inline)) int key(Ji *J, JiObj *o, uint32_t *ki, size_t *len, int copy) {
  const char *s;
  if (key_text(J, &s, len, copy)) return -1;
  return key_add(J, o, s, *len, ki);
}

/* ---- scalars ---- */

static int digit(const Ji *J) { return J->p < J->e && *J->p >= '0' && *J->p <= '9'; }

static int number(Ji *J, RjVal *v) {
  const unsigned char *s = J->p;
  int neg = PEEK(J) == '-', real = 0;
  if (neg) J->p++;
  if (!digit(J)) return -1;
  const unsigned char *d0 = J->p;
  if (*J->p == '0') { J->p++; if (digit(J)) return -1; }
  else while (digit(J)) J->p++;
  const unsigned char *d1 = J->p;
  if (PEEK(J) == '.') {
    J->p++; real = 1;
    if (!digit(J)) return -1;
    while (digit(J)) J->p++;
  }
  if (PEEK(J) == 'e' || PEEK(J) == 'E') {
    J->p++; real = 1;
    if (PEEK(J) == '+' || PEEK(J) == '-') J->p++;
    if (!digit(J)) return -1;
    while (digit(J)) J->p++;
  }
  if (!real) {
    int64_t x = 0;       /* accumulated negative: -2^63 fits */
    for (const unsigned char *q = d0; q < d1; q++)
      if (__builtin_mul_overflow(x, 10, &x) || __builtin_sub_overflow(x, *q - '0', &x)) return -1;
    if (!neg && x == INT64_MIN) return -1;
    v->kind = RJ_INT; v->i = neg ? x : -x;
    return 0;
  }
  /* a real's value reaches no slot; only whether strtod overflows, as jansson refuses */
  size_t n = (size_t)(J->p - s);
  char small[64], *t = small;
  if (n >= sizeof small) {
    if (rt_growbytes(J->c, &J->x->sbuf, &J->x->scap, n + 1)) return -1;
    t = J->x->sbuf;
  }
  memcpy(t, s, n);
  t[n] = 0;
  errno = 0;
  double r = strtod(t, NULL);
  if ((r == HUGE_VAL || r == -HUGE_VAL) && errno == ERANGE) return -1;
  v->kind = RJ_REAL;
  return 0;
}

static int word(Ji *J, const char *w, size_t n) {
  if ((size_t)(J->e - J->p) < n || memcmp(J->p, w, n)) return -1;
  J->p += n;
  return 0;
}

/* A scalar at J->p; a string's text as STR_VALUE gives it. */
static int scalar(Ji *J, RjVal *v, int mode) {
  int r;
  switch (PEEK(J)) {
  case '"':
    J->p++;
    v->kind = RJ_STRING;
    return string(J, mode, &v->s, &v->n);
  case 't': v->kind = RJ_TRUE; r = word(J, "true", 4); break;
  case 'f': v->kind = RJ_FALSE; r = word(J, "false", 5); break;
  case 'n': v->kind = RJ_NULL; r = word(J, "null", 4); break;
  default: r = number(J, v); break;
  }
  /* jansson (2.14) drops one 0 byte right after a number or a literal: its lexer cannot
   * give a 0 back to its stream. The same bytes must get the same verdict. */
  if (!r && J->p < J->e && !*J->p) J->p++;
  return r;
}

/* ---- any value, validated without recursion ---- */

/* The value at J->p, of nesting depth depth (the top is 1). A scalar's value is in *v;
 * a container is read to its end and only its kind reported. */
static int value_rest(Ji *J, uint32_t depth, RjVal *v);
static inline __attribute__((always_inline)) int value(Ji *J, uint32_t depth, RjVal *v) {
  if (PEEK(J) == '"' && depth <= JI_MAX_DEPTH) {    /* most values are strings */
    J->p++;
    v->kind = RJ_STRING;
    return string(J, STR_VALUE, &v->s, &v->n);
  }
  return value_rest(J, depth, v);
}
static __attribute__((noinline)) int value_rest(Ji *J, uint32_t depth, RjVal *v) {
  struct RtJsonScratch *x = J->x;
  uint32_t top = 0;          /* frames in x->fr */
  RjVal tmp;
  uint32_t off;
  size_t len;
  WS(J);
  int c = PEEK(J);
  if (c != '{' && c != '[') return depth > JI_MAX_DEPTH ? -1 : scalar(J, v, STR_VALUE);
  v->kind = c == '{' ? RJ_OBJECT : RJ_ARRAY;
  for (;;) {                 /* at a value of depth `depth` */
    if (depth > JI_MAX_DEPTH) return -1;
    WS(J);
    c = PEEK(J);
    if (c == '{' || c == '[') {
      if (top == x->frcap && rt_grow(J->c, (void **)&x->fr, &x->frcap, top + 1, sizeof *x->fr)) return -1;
      JiFrame *F = &x->fr[top++];
      F->obj = c == '{'; F->depth = depth;
      J->p++;
      WS(J);
      if (F->obj) {
        obj_begin(J, &F->o);
        if (PEEK(J) == '}') { J->p++; obj_end(J, &F->o); top--; goto after; }
        if (key(J, &F->o, &off, &len, 0)) return -1;
      } else if (PEEK(J) == ']') { J->p++; top--; goto after; }
      depth++;
      continue;
    }
    if (scalar(J, &tmp, STR_CHECK)) return -1;
  after:
    if (!top) return 0;
    WS(J);
    JiFrame *F = &x->fr[top - 1];
    c = PEEK(J);
    if (c == ',') {
      J->p++;
      WS(J);
      if (F->obj && key(J, &F->o, &off, &len, 0)) return -1;
      depth = F->depth + 1;
      continue;
    }
    if (c != (F->obj ? '}' : ']')) return -1;
    J->p++;
    if (F->obj) obj_end(J, &F->o);
    top--;
    goto after;
  }
}

/* ---- fields ---- */

static void note(Ji *J, aigw_status fs) { if (rt_in_note(J->c, &J->errs, fs)) J->stop = 1; }

/* After a member or item: 1 at the closer, 0 after a comma, -1 otherwise. */
static inline __attribute__((always_inline)) int next(Ji *J, int closer) {
  int c = PEEK(J);
  if (c != closer && c != ',') { WS(J); c = PEEK(J); }
  if (c == closer) { J->p++; return 1; }
  if (c != ',') return -1;
  J->p++;
  return 0;
}

/* A value that is not the container the field's type wants: validated, then refused
 * by its kind (null leaves the field unset). */
static int not_container(Ji *J, uint32_t f, uint32_t type) {
  RjVal v;
  if (value(J, 2, &v)) return -1;
  if (v.kind != RJ_NULL) note(J, rt_in_type_error(J->c, f, NULL, type, rt_jkind_name(v.kind)));
  return 0;
}

static int list_field(Ji *J, uint32_t f) {
  aigw_ctx *c = J->c;
  const BField *F = &c->b->fields[f];
  if (!at(J, '[')) return not_container(J, f, T_LIST);
  J->p++;
  WS(J);
  rt_in_set_coll(c, f);
  if (PEEK(J) == ']') { J->p++; return 0; }
  int failed = 0;
  for (size_t i = 0;; i++) {
    RjVal v;
    Value x, k = {.u.p = "", .len = 0, .sid = NOSTR};
    if (value(J, 3, &v)) return -1;
    if (!failed && !J->stop) {
      aigw_status fs = rt_in_value(c, f, NULL, F->elem, &v, &x);
      if (fs) {                 /* the path only for the message */
        char path[32];
        snprintf(path, sizeof path, "[%zu]", i);
        fs = rt_in_value(c, f, path, F->elem, &v, &x);
      } else fs = rt_in_add_item(c, f, k, x);
      if (fs) { note(J, fs); failed = 1; }
    }
    int r = next(J, ']');
    if (r) return r > 0 ? 0 : -1;
  }
}

static int map_field(Ji *J, uint32_t f) {
  aigw_ctx *c = J->c;
  const BField *F = &c->b->fields[f];
  if (!at(J, '{')) return not_container(J, f, T_MAP);
  J->p++;
  WS(J);
  rt_in_set_coll(c, f);
  JiObj o;
  obj_begin(J, &o);
  if (PEEK(J) == '}') { J->p++; obj_end(J, &o); return 0; }
  int failed = 0;
  for (;;) {
    RjVal v;
    Value x, k;
    uint32_t off;
    size_t kn;
    if (key(J, &o, &off, &kn, 0) || value(J, 3, &v)) return -1;
    if (!failed && !J->stop) {
      const char *ks = kptr(J->x, &J->x->keys[off]);   /* kbuf may have moved meanwhile */
      aigw_status fs = rt_in_value(c, f, NULL, F->elem, &v, &x);
      if (fs) {
        char path[96];
        snprintf(path, sizeof path, ".%.*s", (int)(kn > 80 ? 80 : kn), ks);
        fs = rt_in_value(c, f, path, F->elem, &v, &x);
      } else if (!(fs = rt_in_text(c, ks, kn, &k))) {
        /* no key twice (checked above), so appending keeps ingest linear */
        fs = rt_in_add_item(c, f, k, x);
      }
      if (fs) { note(J, fs); failed = 1; }
    }
    int r = next(J, '}');
    if (r) { obj_end(J, &o); return r > 0 ? 0 : -1; }
  }
}

static int scalar_field(Ji *J, uint32_t f) {
  RjVal v;
  Value x;
  if (value(J, 2, &v)) return -1;
  if (v.kind == RJ_NULL || J->stop) return 0;
  aigw_status fs = rt_in_value(J->c, f, NULL, J->c->b->fields[f].type, &v, &x);
  if (fs) note(J, fs);
  else rt_in_set_slot(J->c, f, x);
  return 0;
}

/* "$budgets": {"NAME": used, …} (aigw_input_budget_usage); the first bad member is named. */
static int budgets(Ji *J) {
  RjVal v;
  if (!at(J, '{')) {
    if (value(J, 2, &v)) return -1;
    if (!J->stop) note(J, rt_error(J->c, AIGW_ERR_INPUT, "$budgets: expected an object, got %s", rt_jkind_name(v.kind)));
    return 0;
  }
  J->p++;
  WS(J);
  JiObj o;
  obj_begin(J, &o);
  if (PEEK(J) == '}') { J->p++; obj_end(J, &o); return 0; }
  int failed = 0;
  for (;;) {
    uint32_t off;
    size_t kn;
    if (key(J, &o, &off, &kn, 1) || value(J, 3, &v)) return -1;
    if (!failed && !J->stop) {
      const char *name = kptr(J->x, &J->x->keys[off]);
      aigw_status fs = rt_in_budget(J->c, name, aigw_budget_index(J->c->bh, name), &v);
      if (fs) { note(J, fs); failed = 1; }
    }
    int r = next(J, '}');
    if (r) { obj_end(J, &o); return r > 0 ? 0 : -1; }
  }
}

/* The field a top-level key names, or -1. A gateway sends the same keys every time:
 * the cache answers them with one compare instead of a hash and a search. */
static int field_of(Ji *J, const char *k, size_t n) {
  const Bundle *b = J->c->b;
  uint32_t *slot = &J->x->fcache[(n * 31 + (n ? (unsigned char)k[0] * 7u + (unsigned char)k[n - 1] : 0)) & (JI_FCACHE - 1)];
  if (*slot) {
    uint32_t name = b->fields[*slot - 1].name;
    if (bundle_strlen(b, name) == n && aigw_eq(bundle_str(b, name), k, n)) return (int)*slot - 1;
  }
  int f = rt_field_n(J->c->bh, k, n);
  if (f >= 0) *slot = (uint32_t)f + 1;
  return f;
}

/* The input's members. A key that names a field is a duplicate when its field was seen
 * already in this input (a mark per field, no key kept); other keys, which can never
 * equal a field's name, are checked among themselves. */
static int top_object(Ji *J) {
  aigw_ctx *c = J->c;
  struct RtJsonScratch *x = J->x;
  uint32_t nf = c->b->nfields;
  if (nf > x->fseencap) {
    if (rt_grow(c, (void **)&x->fseen, &x->fseencap, nf, sizeof *x->fseen)) return -1;
    x->fgen = UINT32_MAX;     /* new marks are garbage: clear them as on a wrap */
  }
  if (++x->fgen == 0) {
    if (x->fseen) memset(x->fseen, 0, (size_t)x->fseencap * sizeof *x->fseen);
    x->fgen = 1;
  }
  JiObj o;
  obj_begin(J, &o);
  J->p++;
  WS(J);
  if (PEEK(J) == '}') { J->p++; return 0; }
  for (;;) {
    const char *k;
    size_t kn;
    uint32_t ki;
    if (key_text(J, &k, &kn, 0)) return -1;
    int budg = kn == 8 && !memcmp(k, "$budgets", 8), f = budg ? -1 : field_of(J, k, kn), r;
    if (f >= 0) {
      if (x->fseen[f] == x->fgen) return -1;
      x->fseen[f] = x->fgen;
    } else if (key_add(J, &o, k, kn, &ki)) return -1;
    if (budg) r = budgets(J);                         /* the host's usage, not a field */
    else if (f < 0 || J->stop) { RjVal v; r = value(J, 2, &v); }   /* unknown keys are ignored */
    else if (c->b->fields[f].type == T_LIST) r = list_field(J, (uint32_t)f);
    else if (c->b->fields[f].type == T_MAP) r = map_field(J, (uint32_t)f);
    else r = scalar_field(J, (uint32_t)f);
    if (r) return -1;
    if ((r = next(J, '}'))) return r > 0 ? 0 : -1;
  }
}

int rt_json_read(aigw_ctx *c, const char *json, size_t len, aigw_status *st) {
  aigw_input_reset(c);
  c->err_line = c->err_col = 0;
  if (!c->jin) {
    c->jin = rt_alloc(c->bh, NULL, 0, sizeof *c->jin);
    if (!c->jin) return -1;
    memset(c->jin, 0, sizeof *c->jin);
  }
  /* member by member: an initializer would zero errs.all, a kilobyte, on every request */
  Ji J;
  J.c = c; J.x = c->jin; J.b = J.p = (const unsigned char *)json; J.e = J.b + len;
  J.kn = 0; J.nkeys = J.nobj = J.setn = 0; J.stop = J.hashing = 0;
  J.errs.st = AIGW_OK; J.errs.n = 0; J.errs.all[0] = 0;
  WS(&J);
  int r, obj = PEEK(&J) == '{';
  RjVal v;
  if (obj) r = top_object(&J);
  else r = J.p == J.e ? -1 : value(&J, 1, &v);
  if (!r) { WS(&J); if (J.p != J.e) r = -1; }
  if (r) { aigw_input_reset(c); return -1; }
  *st = obj ? rt_in_finish(c, &J.errs) : rt_error(c, AIGW_ERR_INPUT, "input is not a JSON object");
  return 0;
}
