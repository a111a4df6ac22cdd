/* Reading Azure policy exemptions: the REST API's shape (fields under "properties") and
 * the Azure CLI's (the same fields flattened), one page, a bare array or one exemption;
 * and the conversions import, export and drift share (names, reasons, categories). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "audit_azure.h"

static char *dup(const char *s) { return s ? xstrndup(s, strlen(s)) : NULL; }

static void ex_free(AuditAzEx *e) {
  xfree(e->name); xfree(e->scope); xfree(e->assignment);
  for (size_t i = 0; i < e->nrefs; i++) xfree(e->refs[i]);
  xfree(e->refs);
  xfree(e->display); xfree(e->description); xfree(e->owner); xfree(e->ticket);
  for (size_t i = 0; i < e->ncontrols; i++) xfree(e->controls[i]);
  xfree(e->controls);
  xfree(e->renews); xfree(e->selectors); xfree(e->validation); xfree(e->other); xfree(e->where);
}

void audit_az_list_free(AuditAzList *l) {
  for (size_t i = 0; i < l->n; i++) ex_free(&l->v[i]);
  xfree(l->v);
  memset(l, 0, sizeof *l);
}

/* ---- names ---- */

static int name_char(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

int audit_az_valid_id(const char *s, size_t n) {
  if (!n || !(name_char((unsigned char)s[0]) && !(s[0] >= '0' && s[0] <= '9'))) return 0;
  for (size_t i = 1; i < n; i++) {
    if (name_char((unsigned char)s[i])) continue;
    if (s[i] != '-' || i + 1 == n || !name_char((unsigned char)s[i + 1])) return 0;
  }
  return 1;
}

void audit_az_name_to_id(const char *name, Buf *out) {
  size_t n = strlen(name);
  if (audit_az_valid_id(name, n) && strncmp(name, "az-", 3)) { buf_puts(out, name); return; }
  buf_puts(out, "az-");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c != '_' && name_char(c)) buf_putc(out, (char)c);
    else if (c == '-' && i > 0 && i + 1 < n && name[i + 1] != '-') buf_putc(out, '-');
    else buf_printf(out, "_%02X", c);
  }
}

static int hexval(int c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void audit_az_id_to_name(const char *id, Buf *out) {
  if (strncmp(id, "az-", 3)) { buf_puts(out, id); return; }
  for (const char *p = id + 3; *p; p++) {
    int h, l;
    if (*p == '_' && (h = hexval((unsigned char)p[1])) >= 0 && (l = hexval((unsigned char)p[2])) >= 0) {
      buf_putc(out, (char)(h * 16 + l));
      p += 2;
    } else buf_putc(out, *p);
  }
}

/* ---- reasons ---- */

enum { DISPLAY_MAX = 128 };   /* Azure's limit on displayName, in characters */
static const char ellipsis[] = "\xe2\x80\xa6";

void audit_az_reason(const AuditAzEx *e, Buf *out) {
  const char *d = e->display && *e->display ? e->display : NULL;
  const char *s = e->description && *e->description ? e->description : NULL;
  if (d && s) {
    /* export cuts a long first paragraph into the display name: the description says it all */
    size_t dl = strlen(d), el = strlen(ellipsis);
    if (dl > el && !strcmp(d + dl - el, ellipsis) && !strncmp(s, d, dl - el)) d = NULL;
    else if (!strcmp(d, s)) s = NULL;
  }
  if (d) buf_puts(out, d);
  if (d && s) buf_puts(out, "\n\n");
  if (s) buf_puts(out, s);
  if (!d && !s) buf_puts(out, AUDIT_AZ_NO_REASON);
}

void audit_az_split_reason(const char *reason, char **display, char **description) {
  *display = *description = NULL;
  if (!reason || !strcmp(reason, AUDIT_AZ_NO_REASON)) return;
  const char *brk = strstr(reason, "\n\n");
  size_t first = brk ? (size_t)(brk - reason) : strlen(reason), chars = 0, cut = 0;
  for (size_t i = 0; i < first; i++)
    if (((unsigned char)reason[i] & 0xc0) != 0x80 && ++chars == DISPLAY_MAX) cut = i;
  if (chars <= DISPLAY_MAX) {
    *display = xstrndup(reason, first);
    if (brk && brk[2]) *description = dup(brk + 2);
    return;
  }
  Buf d = {0};
  buf_put(&d, reason, cut);           /* DISPLAY_MAX - 1 characters, then … */
  buf_puts(&d, ellipsis);
  *display = d.p;
  *description = dup(reason);
}

const char *audit_az_category(int mitigated) { return mitigated ? "Mitigated" : "Waiver"; }

int audit_az_same_id(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  char *x = xmalloc(na + 2), *y = xmalloc(nb + 2);
  int same = aigw_scope_canon(a, na, x, na + 2) >= 0 && aigw_scope_canon(b, nb, y, nb + 2) >= 0 && !strcmp(x, y);
  xfree(x); xfree(y);
  return same;
}

/* ---- reading ---- */

typedef struct Reader { const char *name; Buf *err; char where[64]; } Reader;

static int fail(Reader *r, const char *what, const char *detail) {
  buf_printf(r->err, "%s: %s: %s%s%s", r->name, r->where, what, detail ? ": " : "", detail ? detail : "");
  return -1;
}

/* A string member, or NULL when absent or null; -1 when it is something else. */
static int get_str(Reader *r, json_t *o, const char *key, const char **out) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_string(v)) {
    Buf m = {0};
    buf_printf(&m, "%s is not a string", key);
    fail(r, m.p, NULL);
    buf_free(&m);
    return -1;
  }
  *out = json_string_value(v);
  return 0;
}

/* A time as Azure writes it: RFC 3339, or without a zone (UTC, as the API documents). */
static int parse_when(const char *s, int64_t *out) {
  size_t n = strlen(s);
  if (aigw_parse_time(s, n, out) == AIGW_OK) return 0;
  Buf z = {0};
  buf_puts(&z, s);
  buf_putc(&z, 'Z');
  int ok = aigw_parse_time(z.p, z.n, out) == AIGW_OK;
  buf_free(&z);
  return ok ? 0 : -1;
}

static int time_member(Reader *r, json_t *o, const char *key, int64_t *out) {
  const char *s;
  if (get_str(r, o, key, &s)) return -1;
  if (!s) return 0;
  if (parse_when(s, out)) return fail(r, "not an RFC 3339 time", key);
  return 0;
}

static const char *const owner_keys[] = {"owner", "ownerEmail", "owner_email", "contact", "requestedBy", NULL};
static const char *const ticket_keys[] = {"ticket", "ticketId", "ticketUrl", "workItem", "changeRequest", NULL};
static int is_key(const char *k, const char *const *keys) {
  for (; *keys; keys++) if (!strcasecmp(k, *keys)) return 1;
  return 0;
}

/* Owner, ticket, controls, created, starts and renews from metadata (keys compared
 * without case); every other key is kept as JSON for a comment. */
static int metadata(Reader *r, json_t *md, AuditAzEx *e) {
  if (!md || json_is_null(md)) return 0;
  if (!json_is_object(md)) return fail(r, "metadata is not an object", NULL);
  json_t *rest = json_object();
  const char *k;
  json_t *v;
  json_object_foreach(md, k, v) {
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (s && *s && is_key(k, owner_keys) && !e->owner) e->owner = dup(s);
    else if (s && *s && is_key(k, ticket_keys) && !e->ticket) e->ticket = dup(s);
    else if (!strcasecmp(k, "renews") && s && *s) e->renews = dup(s);
    else if (!strcasecmp(k, "created") && s && !parse_when(s, &e->created)) {}
    else if (!strcasecmp(k, "starts") && s && !parse_when(s, &e->starts)) {}
    else if (!strcasecmp(k, "controls") && !e->controls && (json_is_array(v) || (s && *s))) {
      size_t n = s ? 1 : json_array_size(v);
      e->controls = xcalloc(n ? n : 1, sizeof *e->controls);
      for (size_t i = 0; i < n; i++) {
        const char *c = s ? s : json_string_value(json_array_get(v, i));
        if (c && *c) e->controls[e->ncontrols++] = dup(c);
      }
    } else json_object_set(rest, k, v);
  }
  if (json_object_size(rest)) e->other = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(rest);
  return 0;
}

/* The scope and name of an exemption, from its id: everything before
 * /providers/Microsoft.Authorization/policyExemptions/NAME (compared without case). */
static int split_id(Reader *r, const char *id, AuditAzEx *e) {
  const char *suffix = AUDIT_AZ_EXEMPTIONS "/", *at = NULL;
  size_t sl = strlen(suffix), n = strlen(id);
  for (size_t i = 0; i + sl <= n; i++) if (!strncasecmp(id + i, suffix, sl)) at = id + i;
  if (!at || !at[sl] || strchr(at + sl, '/')) return fail(r, "id is not a policy exemption id", id);
  size_t scope_len = (size_t)(at - id);
  e->name = dup(at + sl);
  e->scope = xmalloc(scope_len + 3);
  if (!scope_len) { memcpy(e->scope, "/", 2); return 0; }
  if (aigw_scope_canon(id, scope_len, e->scope, scope_len + 3) < 0) return fail(r, "the scope in the id is not a resource ID", id);
  return 0;
}

static int one(Reader *r, json_t *item, AuditAzEx *e) {
  memset(e, 0, sizeof *e);
  e->expires = INT64_MAX;
  e->created = e->starts = INT64_MIN;
  e->where = dup(r->where);
  if (!json_is_object(item)) return fail(r, "not an object", NULL);
  json_t *p = json_object_get(item, "properties");
  if (!json_is_object(p)) p = item;   /* the Azure CLI flattens the properties */
  const char *s, *name;
  if (get_str(r, item, "id", &s)) return -1;
  if (!s) return fail(r, "id is missing", NULL);
  if (split_id(r, s, e)) return -1;
  if (get_str(r, item, "name", &name)) return -1;
  if (name && strcasecmp(name, e->name)) return fail(r, "name and id disagree", name);
  if (get_str(r, p, "policyAssignmentId", &s)) return -1;
  if (!s || !*s) return fail(r, "policyAssignmentId is missing", NULL);
  e->assignment = dup(s);
  json_t *refs = json_object_get(p, "policyDefinitionReferenceIds");
  if (refs && !json_is_null(refs)) {
    if (!json_is_array(refs)) return fail(r, "policyDefinitionReferenceIds is not an array", NULL);
    e->refs = xcalloc(json_array_size(refs) + 1, sizeof *e->refs);
    for (size_t i = 0; i < json_array_size(refs); i++) {
      const char *ref = json_string_value(json_array_get(refs, i));
      if (!ref || !*ref) return fail(r, "policyDefinitionReferenceIds holds a value that is not a name", NULL);
      e->refs[e->nrefs++] = dup(ref);
    }
  }
  if (get_str(r, p, "exemptionCategory", &s)) return -1;
  if (!s) return fail(r, "exemptionCategory is missing", NULL);
  if (!strcasecmp(s, "mitigated")) e->mitigated = 1;
  else if (strcasecmp(s, "waiver")) return fail(r, "exemptionCategory is neither Waiver nor Mitigated", s);
  if (time_member(r, p, "expiresOn", &e->expires)) return -1;
  if (get_str(r, p, "displayName", &s)) return -1;
  e->display = dup(s);
  if (get_str(r, p, "description", &s)) return -1;
  e->description = dup(s);
  if (metadata(r, json_object_get(p, "metadata"), e)) return -1;
  json_t *sys = json_object_get(item, "systemData");
  if (e->created == INT64_MIN && json_is_object(sys) && time_member(r, sys, "createdAt", &e->created)) return -1;
  json_t *sel = json_object_get(p, "resourceSelectors");
  if (json_is_array(sel) && json_array_size(sel)) e->selectors = json_dumps(sel, JSON_COMPACT);
  if (get_str(r, p, "assignmentScopeValidation", &s)) return -1;
  if (s && strcasecmp(s, "Default")) e->validation = dup(s);
  return 0;
}

static int add(Reader *r, AuditAzList *l, json_t *item, const char *where) {
  snprintf(r->where, sizeof r->where, "%s", where);
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->v = xrealloc(l->v, sizeof *l->v * l->cap);
  }
  if (one(r, item, &l->v[l->n])) { ex_free(&l->v[l->n]); return -1; }
  l->n++;
  return 0;
}

int audit_az_read(AuditAzList *l, const char *text, size_t len, const char *name, char **next, Buf *err) {
  Reader r = {name, err, ""};
  size_t pos = 0;
  int docs = 0;
  xfree(*next);
  *next = NULL;
  for (;;) {
    while (pos < len && strchr(" \t\r\n", text[pos])) pos++;
    if (pos == len) break;
    json_error_t je;
    json_t *doc = json_loadb(text + pos, len - pos, JSON_DISABLE_EOF_CHECK, &je);
    if (!doc) {
      buf_printf(err, "%s: malformed JSON at byte %zu: %s", name, pos + (size_t)je.position, je.text);
      return -1;
    }
    pos += (size_t)je.position;
    docs++;
    int rc = 0;
    char where[64];
    xfree(*next);
    *next = NULL;
    if (json_is_array(doc)) {
      for (size_t i = 0; i < json_array_size(doc) && !rc; i++) {
        snprintf(where, sizeof where, "[%zu]", i);
        rc = add(&r, l, json_array_get(doc, i), where);
      }
    } else if (json_is_object(doc) && json_object_get(doc, "value")) {
      json_t *v = json_object_get(doc, "value"), *nl = json_object_get(doc, "nextLink");
      snprintf(r.where, sizeof r.where, "document %d", docs);
      if (!json_is_array(v)) rc = fail(&r, "value is not an array", NULL);
      for (size_t i = 0; !rc && i < json_array_size(v); i++) {
        snprintf(where, sizeof where, "value[%zu]", i);
        rc = add(&r, l, json_array_get(v, i), where);
      }
      if (!rc && nl && !json_is_null(nl)) {
        if (!json_is_string(nl)) rc = fail(&r, "nextLink is not a string", NULL);
        else if (*json_string_value(nl)) *next = dup(json_string_value(nl));
      }
    } else if (json_is_object(doc) && json_object_get(doc, "error")) {
      json_t *e = json_object_get(doc, "error");
      const char *code = json_string_value(json_object_get(e, "code")), *msg = json_string_value(json_object_get(e, "message"));
      buf_printf(err, "%s: an ARM error, not a listing: %s%s%s", name, code ? code : "error", msg ? ": " : "", msg ? msg : "");
      rc = -1;
    } else rc = add(&r, l, doc, "the exemption");
    json_decref(doc);
    if (rc) return -1;
  }
  if (!docs) { buf_printf(err, "%s: no JSON document", name); return -1; }
  return 0;
}
