/* Request headers and a JSON body → the policy's input, as the --config file's "input"
 * section declares (docs/serve.md §Input mapping). Nothing is guessed: a field comes
 * from the header, body key or default its rule names, typed by the policy's schema,
 * and a value its type refuses is an error that names the header, the field and why
 * (the server answers 400). Values are set through aigw.h's setters, so a level, a
 * scope or a time is checked by the same code as a JSON input's.
 *
 * As header text: int and duration are decimal integers, bool is true or false, a list
 * is comma-separated, a map is "key=value, key=value"; a map<…> field may also take
 * every header that starts with a prefix (the rest of the header name is the key). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "srv.h"

static SrvKind kind_of(const char *type) {
  if (!strcmp(type, "int") || !strcmp(type, "duration")) return SRV_K_INT;
  if (!strcmp(type, "bool")) return SRV_K_BOOL;
  if (!strncmp(type, "list<", 5)) return SRV_K_LIST;
  if (!strncmp(type, "map<", 4)) return SRV_K_MAP;
  return SRV_K_STRING;   /* string, scope, time and levels take text */
}

int srv_map_plan(const aigw_bundle *b, const SrvConfig *cfg, SrvMapPlan *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!cfg->nrules) return 0;
  out->steps = xcalloc(cfg->nrules, sizeof *out->steps);
  for (size_t i = 0; i < cfg->nrules; i++) {
    const SrvMapRule *r = &cfg->rules[i];
    int f = aigw_field(b, r->field);
    aigw_field_info fi;
    if (f < 0 || aigw_meta_field(b, (size_t)f, &fi) != AIGW_OK) {
      snprintf(err, errlen, "config input.%s: the policy's input has no field '%s'", r->field, r->field);
      srv_map_plan_free(out);
      return -1;
    }
    SrvKind k = kind_of(fi.type);
    if (r->header_prefix && k != SRV_K_MAP) {
      snprintf(err, errlen, "config input.%s: header_prefix needs a map field, and '%s' is %s", r->field, r->field, fi.type);
      srv_map_plan_free(out);
      return -1;
    }
    out->steps[out->n++] = (SrvMapStep){r, f, k, fi.type};
    out->reads_body |= r->body != NULL;
  }
  return 0;
}

void srv_map_plan_free(SrvMapPlan *p) {
  xfree(p->steps);
  memset(p, 0, sizeof *p);
}

static int is_ows(char c) { return c == ' ' || c == '\t'; }
static void trim(const char **s, size_t *n) {
  while (*n && is_ows(**s)) { (*s)++; (*n)--; }
  while (*n && is_ows((*s)[*n - 1])) (*n)--;
}

/* The next non-empty item of a comma-separated value, trimmed; 0 when none is left. */
static int next_item(const char **s, size_t *n, const char **item, size_t *il) {
  while (*n) {
    const char *comma = memchr(*s, ',', *n);
    size_t len = comma ? (size_t)(comma - *s) : *n;
    *item = *s;
    *il = len;
    *s += len + (comma != NULL);
    *n -= len + (comma != NULL);
    trim(item, il);
    if (*il) return 1;
  }
  return 0;
}

/* A map item "key=value", both trimmed; 0 when it has no '='. */
static int split_pair(const char *s, size_t n, const char **k, size_t *kl, const char **v, size_t *vl) {
  const char *eq = memchr(s, '=', n);
  if (!eq) return 0;
  *k = s; *kl = (size_t)(eq - s);
  *v = eq + 1; *vl = n - *kl - 1;
  trim(k, kl);
  trim(v, vl);
  return 1;
}

/* "true" 1, "false" 0, anything else -1. */
static int parse_bool(const char *s, size_t n) {
  if (n == 4 && !memcmp(s, "true", 4)) return 1;
  if (n == 5 && !memcmp(s, "false", 5)) return 0;
  return -1;
}

/* A decimal integer, all of the text: no sign but '-', no spaces, no overflow. */
static int parse_int(const char *s, size_t n, int64_t *out) {
  size_t i = n && s[0] == '-';
  if (i == n) return -1;
  uint64_t v = 0, max = i ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (max - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = n && s[0] == '-' ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

typedef struct M { aigw_ctx *c; char *err; size_t errlen; const char *src; const SrvMapStep *st; } M;

static int show_len(size_t n) { return n > 64 ? 64 : (int)n; }

static int lib_fail(M *m) {
  snprintf(m->err, m->errlen, "%s: %s", m->src, aigw_ctx_error(m->c));
  return -1;
}

static int map_pair(M *m, const char *s, size_t n) {
  const char *k, *v;
  size_t kl, vl;
  if (!split_pair(s, n, &k, &kl, &v, &vl)) {
    snprintf(m->err, m->errlen, "%s: field '%s' is %s: '%.*s' is not key=value", m->src, m->st->rule->field,
             m->st->type, show_len(n), s);
    return -1;
  }
  return aigw_input_map_set(m->c, m->st->field, k, kl, v, vl) != AIGW_OK ? lib_fail(m) : 0;
}

/* One value as text, from a header or a default. */
static int set_text(M *m, const char *s, size_t n) {
  const SrvMapStep *st = m->st;
  int64_t i;
  switch (st->kind) {
  case SRV_K_STRING:
    return aigw_input_string(m->c, st->field, s, n) != AIGW_OK ? lib_fail(m) : 0;
  case SRV_K_INT:
    if (parse_int(s, n, &i)) {
      snprintf(m->err, m->errlen, "%s: field '%s' is %s: '%.*s' is not a whole number", m->src, st->rule->field,
               st->type, show_len(n), s);
      return -1;
    }
    return aigw_input_int(m->c, st->field, i) != AIGW_OK ? lib_fail(m) : 0;
  case SRV_K_BOOL:
    if ((i = parse_bool(s, n)) >= 0) return aigw_input_bool(m->c, st->field, (int)i) != AIGW_OK ? lib_fail(m) : 0;
    snprintf(m->err, m->errlen, "%s: field '%s' is bool: '%.*s' is not true or false", m->src, st->rule->field,
             show_len(n), s);
    return -1;
  case SRV_K_LIST:
  case SRV_K_MAP: {
    const char *item;
    size_t il;
    while (next_item(&s, &n, &item, &il)) {
      if (st->kind == SRV_K_MAP) { if (map_pair(m, item, il)) return -1; }
      else if (aigw_input_list_add(m->c, st->field, item, il) != AIGW_OK) return lib_fail(m);
    }
    return 0;
  }
  }
  return 0;
}

/* One value of a JSON body, by its JSON type. */
static int set_json(M *m, json_t *v) {
  const SrvMapStep *st = m->st;
  aigw_status s = AIGW_OK;
  char num[32];
  switch (json_typeof(v)) {
  case JSON_NULL: return 0;                       /* as absent: the field stays unset */
  case JSON_STRING:
    if (st->kind == SRV_K_STRING) s = aigw_input_string(m->c, st->field, json_string_value(v), json_string_length(v));
    else goto wrong;
    break;
  case JSON_INTEGER:
    if (st->kind == SRV_K_LIST || st->kind == SRV_K_MAP) goto wrong;
    s = aigw_input_int(m->c, st->field, json_integer_value(v));
    break;
  case JSON_TRUE: case JSON_FALSE:
    if (st->kind == SRV_K_LIST || st->kind == SRV_K_MAP) goto wrong;
    s = aigw_input_bool(m->c, st->field, json_is_true(v));
    break;
  case JSON_ARRAY: {
    if (st->kind != SRV_K_LIST) goto wrong;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      if (json_is_string(e)) s = aigw_input_list_add(m->c, st->field, json_string_value(e), json_string_length(e));
      else if (json_is_integer(e)) {
        int n = snprintf(num, sizeof num, "%lld", (long long)json_integer_value(e));
        s = aigw_input_list_add(m->c, st->field, num, (size_t)n);
      } else goto wrong;
      if (s != AIGW_OK) break;
    }
    break;
  }
  case JSON_OBJECT: {
    if (st->kind != SRV_K_MAP) goto wrong;
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e) {
      if (!json_is_string(e)) goto wrong;
      s = aigw_input_map_set(m->c, st->field, k, strlen(k), json_string_value(e), json_string_length(e));
      if (s != AIGW_OK) break;
    }
    break;
  }
  default: goto wrong;
  }
  return s != AIGW_OK ? lib_fail(m) : 0;
wrong:
  snprintf(m->err, m->errlen, "%s: field '%s' is %s, which this JSON value is not", m->src, st->rule->field, st->type);
  return -1;
}

typedef struct Prefix { M *m; const char *prefix; size_t plen; int rc, seen; } Prefix;

static int prefix_one(void *arg, const char *name, size_t nl, const char *val, size_t vl) {
  Prefix *p = arg;
  if (nl <= p->plen || strncasecmp(name, p->prefix, p->plen)) return 1;
  p->seen = 1;
  const char *k = name + p->plen;
  size_t kl = nl - p->plen;
  /* keys in lower case, as every proxy folds header names */
  char key[256];
  if (kl >= sizeof key) kl = sizeof key - 1;
  for (size_t i = 0; i < kl; i++) key[i] = (char)(k[i] >= 'A' && k[i] <= 'Z' ? k[i] + 32 : k[i]);
  trim(&val, &vl);
  if (aigw_input_map_set(p->m->c, p->m->st->field, key, kl, val, vl) != AIGW_OK) {
    snprintf(p->m->err, p->m->errlen, "header '%.*s': %s", show_len(nl), name, aigw_ctx_error(p->m->c));
    p->rc = -1;
    return 0;
  }
  return 1;
}

int srv_map_input(aigw_ctx *c, const SrvMapPlan *p, const SrvHeaders *h, json_t *body, char *err, size_t errlen) {
  aigw_input_reset(c);
  char src[160];
  for (size_t i = 0; i < p->n; i++) {
    const SrvMapStep *st = &p->steps[i];
    const SrvMapRule *r = st->rule;
    M m = {c, err, errlen, src, st};
    const char *v;
    size_t vl;
    json_t *jv;
    if (r->header_prefix && h) {
      Prefix px = {&m, r->header_prefix, strlen(r->header_prefix), 0, 0};
      h->each(h->ud, prefix_one, &px);
      if (px.rc) return -1;
      if (px.seen) continue;
    } else if (r->header && h && (v = h->get(h->ud, r->header, &vl))) {
      snprintf(src, sizeof src, "header '%s'", r->header);
      trim(&v, &vl);
      if (set_text(&m, v, vl)) return -1;
      continue;
    }
    if (r->body && json_is_object(body) && (jv = json_object_get(body, r->body))) {
      snprintf(src, sizeof src, "body key '%s'", r->body);
      if (set_json(&m, jv)) return -1;
      if (!json_is_null(jv)) continue;
    }
    if (r->dflt) {
      snprintf(src, sizeof src, "config input.%s.default", r->field);
      if (set_text(&m, r->dflt, strlen(r->dflt))) return -1;
    }
  }
  return 0;
}

/* ---- the mapped input as JSON, for the decision log ---- */

/* A JSON string from bytes a client sent (srv.h): escapes what JSON requires, and a byte that
 * does not start a valid UTF-8 sequence (and a NUL) becomes U+FFFD, so the line always
 * parses. */
void srv_json_str(Buf *o, const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  buf_putc(o, '"');
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    if (c == '"' || c == '\\') { buf_putc(o, '\\'); buf_putc(o, (char)c); i++; continue; }
    if (c == 0) { buf_puts(o, "\\ufffd"); i++; continue; }   /* JSON readers refuse \u0000 */
    if (c < 0x20 || c == 0x7f) { buf_printf(o, "\\u%04x", c); i++; continue; }
    if (c < 0x80) { buf_putc(o, (char)c); i++; continue; }
    size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    int good = len && i + len <= n;
    for (size_t k = 1; good && k < len; k++) good = (s[i + k] & 0xc0) == 0x80;
    if (good && len == 3) {
      unsigned c1 = s[i + 1];
      good = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);    /* overlong, surrogate */
    }
    if (good && len == 4) {
      unsigned c1 = s[i + 1];
      good = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);    /* overlong, > U+10FFFF */
    }
    if (good) { buf_put(o, s + i, len); i += len; }
    else { buf_puts(o, "\\ufffd"); i++; }
  }
  buf_putc(o, '"');
}

static void put_json_value(Buf *o, json_t *v, int depth) {
  size_t i;
  const char *k;
  json_t *e;
  switch (json_typeof(v)) {
  case JSON_STRING: srv_json_str(o, json_string_value(v), json_string_length(v)); break;
  case JSON_INTEGER: buf_printf(o, "%lld", (long long)json_integer_value(v)); break;
  case JSON_REAL: buf_printf(o, "%.17g", json_real_value(v)); break;
  case JSON_TRUE: buf_puts(o, "true"); break;
  case JSON_FALSE: buf_puts(o, "false"); break;
  case JSON_ARRAY:
    if (depth > 8) { buf_puts(o, "null"); break; }
    buf_putc(o, '[');
    json_array_foreach(v, i, e) { if (i) buf_putc(o, ','); put_json_value(o, e, depth + 1); }
    buf_putc(o, ']');
    break;
  case JSON_OBJECT:
    if (depth > 8) { buf_puts(o, "null"); break; }
    buf_putc(o, '{');
    i = 0;
    json_object_foreach(v, k, e) {
      if (i++) buf_putc(o, ',');
      srv_json_str(o, k, strlen(k));
      buf_putc(o, ':');
      put_json_value(o, e, depth + 1);
    }
    buf_putc(o, '}');
    break;
  default: buf_puts(o, "null");
  }
}

static void put_text_value(Buf *o, const SrvMapStep *st, const char *s, size_t n) {
  int64_t i;
  if (st->kind == SRV_K_INT && !parse_int(s, n, &i)) { buf_printf(o, "%lld", (long long)i); return; }
  if (st->kind == SRV_K_BOOL && parse_bool(s, n) >= 0) {
    buf_put(o, s, n);
    return;
  }
  if (st->kind != SRV_K_LIST && st->kind != SRV_K_MAP) { srv_json_str(o, s, n); return; }
  buf_putc(o, st->kind == SRV_K_LIST ? '[' : '{');
  const char *item, *k, *v;
  size_t il, kl, vl;
  for (int first = 1; next_item(&s, &n, &item, &il); first = 0) {
    if (!first) buf_putc(o, ',');
    if (st->kind == SRV_K_MAP && split_pair(item, il, &k, &kl, &v, &vl)) {
      srv_json_str(o, k, kl);
      buf_putc(o, ':');
      srv_json_str(o, v, vl);
    } else if (st->kind == SRV_K_MAP) {
      srv_json_str(o, item, il);
      buf_puts(o, ":null");
    } else srv_json_str(o, item, il);
  }
  buf_putc(o, st->kind == SRV_K_LIST ? ']' : '}');
}

typedef struct PrefixJ { Buf *o; const char *prefix; size_t plen; int n; } PrefixJ;
static int prefix_json(void *arg, const char *name, size_t nl, const char *val, size_t vl) {
  PrefixJ *p = arg;
  if (nl <= p->plen || strncasecmp(name, p->prefix, p->plen)) return 1;
  if (p->n++) buf_putc(p->o, ',');
  char key[256];
  size_t kl = nl - p->plen < sizeof key ? nl - p->plen : sizeof key - 1;
  for (size_t i = 0; i < kl; i++) {
    char ch = name[p->plen + i];
    key[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
  }
  srv_json_str(p->o, key, kl);
  buf_putc(p->o, ':');
  trim(&val, &vl);
  srv_json_str(p->o, val, vl);
  return 1;
}

void srv_map_json(const SrvMapPlan *p, const SrvHeaders *h, json_t *body, Buf *out) {
  buf_putc(out, '{');
  int n = 0;
  for (size_t i = 0; i < p->n; i++) {
    const SrvMapStep *st = &p->steps[i];
    const SrvMapRule *r = st->rule;
    size_t mark = out->n;
    if (n) buf_putc(out, ',');
    srv_json_str(out, r->field, strlen(r->field));
    buf_putc(out, ':');
    size_t at = out->n;
    const char *v;
    size_t vl;
    json_t *jv;
    if (r->header_prefix && h) {
      PrefixJ px = {out, r->header_prefix, strlen(r->header_prefix), 0};
      buf_putc(out, '{');
      h->each(h->ud, prefix_json, &px);
      buf_putc(out, '}');
      if (!px.n) out->n = at;
    } else if (r->header && h && (v = h->get(h->ud, r->header, &vl))) {
      trim(&v, &vl);
      put_text_value(out, st, v, vl);
    }
    if (out->n == at && r->body && json_is_object(body) && (jv = json_object_get(body, r->body)) && !json_is_null(jv))
      put_json_value(out, jv, 0);
    if (out->n == at && r->dflt) put_text_value(out, st, r->dflt, strlen(r->dflt));
    if (out->n == at) out->n = mark;   /* not set: not written */
    else n++;
  }
  buf_putc(out, '}');
}
