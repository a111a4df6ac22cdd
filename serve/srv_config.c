/* The --config file (docs/serve.md §Configuration): a JSON object read once at start.
 * Every key is known or refused, so a misspelt limit is an error, not a silent default. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv.h"

void srv_config_defaults(SrvConfig *c) {
  memset(c, 0, sizeof *c);
  c->limits = (SrvLimits){
    .body_bytes = 64 << 10, .header_bytes = 16 << 10, .connections = 4096,
    .requests_per_connection = 100000, .request_seconds = 10, .idle_seconds = 30, .drain_seconds = 10,
  };
  c->reservation_seconds = 600;
  c->max_counters = 1000000;
  c->max_reservations = 131072;
  c->log_queue_bytes = 4 << 20;
  c->envoy_prefix = xstrndup("/v1/authz/envoy", 15);
  c->fetch_seconds = 30;
  c->metrics_budget_series = 200;
  c->store_timeout_ms = 250;
  c->lease_default = 1;
  c->lease_idle_ms = 500;
}

void srv_config_free(SrvConfig *c) {
  for (size_t i = 0; i < c->nrules; i++) {
    SrvMapRule *r = &c->rules[i];
    xfree(r->field); xfree(r->header); xfree(r->header_prefix); xfree(r->body); xfree(r->dflt);
  }
  xfree(c->rules);
  for (size_t i = 0; i < c->nlog_fields; i++) xfree(c->log_fields[i]);
  xfree(c->log_fields);
  xfree(c->envoy_prefix);
  xfree(c->cache_dir);
  for (size_t i = 0; i < c->nstore_err; i++) xfree(c->store_err_names[i]);
  xfree(c->store_err_names);
  xfree(c->store_err_modes);
  for (size_t i = 0; i < c->nlease; i++) xfree(c->lease_names[i]);
  xfree(c->lease_names);
  xfree(c->lease_pcts);
  memset(c, 0, sizeof *c);
}

typedef struct P { char *err; size_t errlen; } P;

static int fail(P *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(P *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err, p->errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static char *dup_str(json_t *v) { return xstrndup(json_string_value(v), json_string_length(v)); }

/* A whole number in [lo, hi] */
static int num(P *p, const char *where, const char *key, json_t *v, long long lo, long long hi, long long *out) {
  *out = 0;                       /* set on every path, so no caller reads it unset */
  if (!json_is_integer(v)) return fail(p, "%s.%s: expected a whole number", where, key);
  long long x = json_integer_value(v);
  if (x < lo || x > hi) return fail(p, "%s.%s: %lld is out of range (%lld to %lld)", where, key, x, lo, hi);
  *out = x;
  return 0;
}

/* Header names are matched case-insensitively; they are kept in lower case. */
static char *header_name(P *p, const char *field, const char *key, json_t *v) {
  if (!json_is_string(v) || !json_string_length(v)) {
    fail(p, "input.%s.%s: expected a header name", field, key);
    return NULL;
  }
  const char *s = json_string_value(v);
  for (const char *q = s; *q; q++)
    if (*q <= ' ' || *q >= 127 || strchr("()<>@,;:\\\"/[]?={}", *q)) {
      fail(p, "input.%s.%s: '%s' is not a header name", field, key, s);
      return NULL;
    }
  char *h = dup_str(v);
  for (char *q = h; *q; q++) if (*q >= 'A' && *q <= 'Z') *q = (char)(*q + 32);
  return h;
}

static int parse_input(P *p, json_t *o, SrvConfig *c) {
  if (!json_is_object(o)) return fail(p, "input: expected an object of fields");
  size_t n = json_object_size(o);
  c->rules = xcalloc(n ? n : 1, sizeof *c->rules);
  const char *field;
  json_t *spec;
  json_object_foreach(o, field, spec) {
    SrvMapRule *r = &c->rules[c->nrules++];
    r->field = xstrndup(field, strlen(field));
    if (!json_is_object(spec)) return fail(p, "input.%s: expected an object such as {\"header\": \"x-team\"}", field);
    const char *k;
    json_t *v;
    json_object_foreach(spec, k, v) {
      if (!strcmp(k, "header")) { if (!(r->header = header_name(p, field, k, v))) return -1; }
      else if (!strcmp(k, "header_prefix")) { if (!(r->header_prefix = header_name(p, field, k, v))) return -1; }
      else if (!strcmp(k, "body")) {
        if (!json_is_string(v) || !json_string_length(v)) return fail(p, "input.%s.body: expected a key of the JSON body", field);
        r->body = dup_str(v);
      } else if (!strcmp(k, "default")) {
        if (!json_is_string(v)) return fail(p, "input.%s.default: expected the value as text, e.g. \"0\"", field);
        r->dflt = dup_str(v);
      } else return fail(p, "input.%s: unknown key '%s' (header, header_prefix, body, default)", field, k);
    }
    if (!r->header && !r->header_prefix && !r->body && !r->dflt)
      return fail(p, "input.%s: give header, header_prefix, body or default", field);
    if (r->header_prefix && r->header)
      return fail(p, "input.%s: header and header_prefix exclude each other", field);
  }
  return 0;
}

/* The numeric keys of a section, in one table each: the parser, its range check and the
 * list of keys an unknown key's message gives all come from it. */
typedef struct NumKey { const char *key; long long lo, hi; size_t off, size; } NumKey;
#define NUMKEY(k, lo, hi, field) {k, lo, hi, offsetof(SrvConfig, field), sizeof(((SrvConfig *)0)->field)}

static const NumKey LIMITS[] = {
  NUMKEY("body_bytes", 0, 64 << 20, limits.body_bytes),
  NUMKEY("header_bytes", 1024, 1 << 20, limits.header_bytes),
  NUMKEY("connections", 1, 1 << 20, limits.connections),
  NUMKEY("requests_per_connection", 1, 1LL << 31, limits.requests_per_connection),
  NUMKEY("request_seconds", 1, 3600, limits.request_seconds),
  NUMKEY("idle_seconds", 1, 3600, limits.idle_seconds),
  NUMKEY("drain_seconds", 0, 3600, limits.drain_seconds),
};
static const NumKey BUDGETS[] = {
  NUMKEY("reservation_seconds", 1, 31LL * 86400, reservation_seconds),
  NUMKEY("max_counters", 1, 100000000, max_counters),
  NUMKEY("max_reservations", 1, 16000000, max_reservations),
  NUMKEY("metrics_series", 0, 100000, metrics_budget_series),
};
static const NumKey LOG[] = { NUMKEY("queue_bytes", 4096, 1LL << 30, log_queue_bytes) };
#define NKEYS(t) (sizeof t / sizeof t[0])

/* Key k of section sec: 1 when the table has it (stored in c), 0 when not, -1 error. */
static int num_key(P *p, const char *sec, const NumKey *t, size_t n, const char *k, json_t *v, SrvConfig *c) {
  for (size_t i = 0; i < n; i++) {
    if (strcmp(k, t[i].key)) continue;
    long long x;
    if (num(p, sec, k, v, t[i].lo, t[i].hi, &x)) return -1;
    char *at = (char *)c + t[i].off;
    if (t[i].size == 8) { uint64_t u = (uint64_t)x; memcpy(at, &u, 8); }
    else { uint32_t u = (uint32_t)x; memcpy(at, &u, 4); }
    return 1;
  }
  return 0;
}

/* "sec: unknown key 'k' (a, b, …)", the list from the table and any other keys. */
static int unknown_key(P *p, const char *sec, const char *k, const NumKey *t, size_t n, const char *other) {
  char keys[400] = "";
  size_t at = 0;
  for (size_t i = 0; i < n && at < sizeof keys; i++)
    at += (size_t)snprintf(keys + at, sizeof keys - at, "%s%s", at ? ", " : "", t[i].key);
  return fail(p, "%s: unknown key '%s' (%s%s%s)", sec, k, other ? other : "", other ? ", " : "", keys);
}

static int parse_nums(P *p, json_t *o, const char *sec, const NumKey *t, size_t n, SrvConfig *c) {
  if (!json_is_object(o)) return fail(p, "%s: expected an object", sec);
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    int r = num_key(p, sec, t, n, k, v, c);
    if (r < 0) return -1;
    if (!r) return unknown_key(p, sec, k, t, n, NULL);
  }
  return 0;
}

static int parse_log(P *p, json_t *o, SrvConfig *c) {
  if (!json_is_object(o)) return fail(p, "decision_log: expected an object");
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    int r = num_key(p, "decision_log", LOG, NKEYS(LOG), k, v, c);
    if (r < 0) return -1;
    if (r) continue;
    if (!strcmp(k, "input")) {
      if (json_is_string(v) && !strcmp(json_string_value(v), "*")) { c->log_all_fields = 1; continue; }
      if (!json_is_array(v)) return fail(p, "decision_log.input: expected a list of field names, or \"*\"");
      size_t i;
      json_t *e;
      c->log_fields = xcalloc(json_array_size(v) + 1, sizeof *c->log_fields);
      json_array_foreach(v, i, e) {
        if (!json_is_string(e)) return fail(p, "decision_log.input[%zu]: expected a field name", i);
        c->log_fields[c->nlog_fields++] = dup_str(e);
      }
    } else return unknown_key(p, "decision_log", k, LOG, NKEYS(LOG), "input");
  }
  return 0;
}

static int parse_str_section(P *p, json_t *o, const char *sec, const char *key, char **out, long *secs) {
  if (!json_is_object(o)) return fail(p, "%s: expected an object", sec);
  const char *k;
  json_t *v;
  long long x;
  json_object_foreach(o, k, v) {
    if (!strcmp(k, key)) {
      if (!json_is_string(v) || !json_string_length(v)) return fail(p, "%s.%s: expected text", sec, k);
      xfree(*out);
      *out = dup_str(v);
    } else if (secs && !strcmp(k, "timeout_seconds")) {
      if (num(p, sec, k, v, 1, 3600, &x)) return -1;
      *secs = (long)x;
    } else return fail(p, "%s: unknown key '%s'", sec, k);
  }
  return 0;
}

static int store_mode(P *p, const char *name, json_t *v) {
  const char *m = json_is_string(v) ? json_string_value(v) : "";
  if (!strcmp(m, "deny")) return SRV_ON_ERROR_DENY;
  if (!strcmp(m, "allow")) return SRV_ON_ERROR_ALLOW;
  if (!strcmp(m, "local")) return SRV_ON_ERROR_LOCAL;
  return fail(p, "budget_store.on_store_error.%s: expected \"deny\", \"allow\" or \"local\"", name);
}

/* A budget name → value map, with "*" for the others: budget_store.on_store_error and
 * budget_store.lease_percent. value() stores one entry's value, or fails. */
static int by_budget(P *p, json_t *v, char ***names, int **vals, size_t *n, int *dflt,
                     int (*value)(P *, const char *, json_t *)) {
  size_t cap = json_object_size(v);
  *names = xcalloc(cap + 1, sizeof **names);
  *vals = xcalloc(cap + 1, sizeof **vals);
  const char *name;
  json_t *m;
  json_object_foreach(v, name, m) {
    int x = value(p, name, m);
    if (x < 0) return -1;
    if (!strcmp(name, "*")) { *dflt = x; continue; }
    (*names)[*n] = xstrndup(name, strlen(name));
    (*vals)[(*n)++] = x;
  }
  return 0;
}

static int lease_pct(P *p, const char *name, json_t *v) {
  char where[200];
  snprintf(where, sizeof where, "budget_store.lease_percent%s%s", name ? "." : "", name ? name : "");
  if (!json_is_integer(v))
    return fail(p, "%s: expected a whole number of percent (0: every request asks Redis)", where);
  long long x = json_integer_value(v);
  if (x < 0 || x > 100) return fail(p, "%s: %lld is out of range (0 to 100)", where, x);
  return (int)x;
}

static const NumKey STORE[] = {
  NUMKEY("timeout_ms", 1, 60000, store_timeout_ms),
  NUMKEY("lease_idle_ms", 10, 3600000, lease_idle_ms),
};

/* {"timeout_ms": 250, "on_store_error": {"BUDGET": "deny|allow|local", "*": …},
 *  "lease_percent": 1 or {"BUDGET": 5, "*": 0}, "lease_idle_ms": 500} */
static int parse_store(P *p, json_t *o, SrvConfig *c) {
  if (!json_is_object(o)) return fail(p, "budget_store: expected an object");
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    int r = num_key(p, "budget_store", STORE, NKEYS(STORE), k, v, c);
    if (r < 0) return -1;
    if (r) continue;
    if (!strcmp(k, "on_store_error")) {
      if (!json_is_object(v)) return fail(p, "budget_store.on_store_error: expected {\"BUDGET\": \"deny|allow|local\", \"*\": ...}");
      if (by_budget(p, v, &c->store_err_names, &c->store_err_modes, &c->nstore_err, &c->store_err_default, store_mode))
        return -1;
    } else if (!strcmp(k, "lease_percent")) {
      if (json_is_object(v)) {
        if (by_budget(p, v, &c->lease_names, &c->lease_pcts, &c->nlease, &c->lease_default, lease_pct)) return -1;
      } else if ((c->lease_default = lease_pct(p, NULL, v)) < 0) return -1;
    } else return unknown_key(p, "budget_store", k, STORE, NKEYS(STORE), "on_store_error, lease_percent");
  }
  return 0;
}

SrvStoreErrorMode srv_config_store_mode(void *cfg, const char *budget) {
  const SrvConfig *c = cfg;
  for (size_t i = 0; i < c->nstore_err; i++)
    if (!strcmp(c->store_err_names[i], budget)) return (SrvStoreErrorMode)c->store_err_modes[i];
  return (SrvStoreErrorMode)c->store_err_default;
}

int srv_config_leases(const SrvConfig *c) {
  int any = c->lease_default > 0;
  for (size_t i = 0; i < c->nlease; i++) any |= c->lease_pcts[i] > 0;
  return any;
}

int srv_config_lease_percent(void *cfg, const char *budget) {
  const SrvConfig *c = cfg;
  for (size_t i = 0; i < c->nlease; i++)
    if (!strcmp(c->lease_names[i], budget)) return c->lease_pcts[i];
  return c->lease_default;
}

int srv_config_parse(const char *text, size_t len, SrvConfig *c, char *err, size_t errlen) {
  P p = {err, errlen};
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) return fail(&p, "%d:%d: %s", je.line, je.column, je.text);
  int rc = 0;
  if (!json_is_object(root)) rc = fail(&p, "expected a JSON object");
  const char *k;
  json_t *v;
  if (!rc) json_object_foreach(root, k, v) {
    if (!strcmp(k, "input")) rc = parse_input(&p, v, c);
    else if (!strcmp(k, "limits")) rc = parse_nums(&p, v, "limits", LIMITS, NKEYS(LIMITS), c);
    else if (!strcmp(k, "budgets")) rc = parse_nums(&p, v, "budgets", BUDGETS, NKEYS(BUDGETS), c);
    else if (!strcmp(k, "decision_log")) rc = parse_log(&p, v, c);
    else if (!strcmp(k, "envoy")) {
      rc = parse_str_section(&p, v, "envoy", "path_prefix", &c->envoy_prefix, NULL);
      if (!rc && (c->envoy_prefix[0] != '/' || strchr(c->envoy_prefix, '?')))
        rc = fail(&p, "envoy.path_prefix: expected a path such as \"/v1/authz/envoy\"");
      size_t n = strlen(c->envoy_prefix);
      while (!rc && n > 1 && c->envoy_prefix[n - 1] == '/') c->envoy_prefix[--n] = 0;
    } else if (!strcmp(k, "bundle_url")) rc = parse_str_section(&p, v, "bundle_url", "cache_dir", &c->cache_dir, &c->fetch_seconds);
    else if (!strcmp(k, "budget_store")) rc = parse_store(&p, v, c);
    else rc = fail(&p, "unknown key '%s' (input, limits, budgets, budget_store, decision_log, envoy, bundle_url)", k);
    if (rc) break;
  }
  json_decref(root);
  return rc;
}

int srv_config_load(const char *path, SrvConfig *c, char *err, size_t errlen) {
  char *text;
  size_t len;
  if (read_file(path, &text, &len, 1 << 20) != 0) {
    snprintf(err, errlen, "%s: %s", path, errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
    return -1;
  }
  char e[400];
  int rc = srv_config_parse(text, len, c, e, sizeof e);
  if (rc) snprintf(err, errlen, "%s: %s", path, e);
  xfree(text);
  return rc;
}
