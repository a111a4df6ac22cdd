/* The mapping file (docs/azure.md): which guardrail a policy assignment is, or, for an
 * assignment of an initiative, which guardrail each policy definition reference is.
 * It is read in both directions (import: assignment to guardrail; export: back), so a
 * guardrail may appear once only. */
#include <jansson.h>
#include <string.h>
#include <strings.h>
#include "audit_azure.h"

void audit_azmap_free(AuditAzMap *m) {
  for (size_t i = 0; i < m->n; i++) {
    AuditAzMapEntry *e = &m->v[i];
    xfree(e->assignment); xfree(e->canon); xfree(e->guardrail);
    for (size_t k = 0; k < e->nrefs; k++) { xfree(e->refs[k]); xfree(e->ref_guardrails[k]); }
    xfree(e->refs); xfree(e->ref_guardrails);
  }
  xfree(m->v);
  memset(m, 0, sizeof *m);
}

static char *canon_of(const char *s) {
  size_t n = strlen(s);
  char *c = xmalloc(n + 2);
  if (aigw_scope_canon(s, n, c, n + 2) < 0) { xfree(c); return NULL; }
  return c;
}

const AuditAzMapEntry *audit_azmap_find(const AuditAzMap *m, const char *assignment) {
  char *c = canon_of(assignment);
  const AuditAzMapEntry *hit = NULL;
  for (size_t i = 0; c && i < m->n && !hit; i++) if (!strcmp(m->v[i].canon, c)) hit = &m->v[i];
  xfree(c);
  return hit;
}

const AuditAzMapEntry *audit_azmap_reverse(const AuditAzMap *m, const char *guardrail, long *ref) {
  for (size_t i = 0; i < m->n; i++) {
    const AuditAzMapEntry *e = &m->v[i];
    if (e->guardrail && !strcmp(e->guardrail, guardrail)) { *ref = -1; return e; }
    for (size_t k = 0; k < e->nrefs; k++)
      if (!strcmp(e->ref_guardrails[k], guardrail)) { *ref = (long)k; return e; }
  }
  return NULL;
}

const char *audit_azmap_ref(const AuditAzMapEntry *e, const char *ref) {
  for (size_t k = 0; e && k < e->nrefs; k++) if (!strcasecmp(e->refs[k], ref)) return e->ref_guardrails[k];
  return NULL;
}

/* Each guardrail once: two ids mapped to one guardrail could not be exported back. */
static const char *seen(const AuditAzMap *m, const char *g, size_t upto_entry) {
  for (size_t i = 0; i <= upto_entry && i < m->n; i++) {
    const AuditAzMapEntry *e = &m->v[i];
    if (e->guardrail && !strcmp(e->guardrail, g)) return e->assignment;
    for (size_t k = 0; k < e->nrefs; k++) if (!strcmp(e->ref_guardrails[k], g)) return e->assignment;
  }
  return NULL;
}

static int guard_name(const AuditAzMap *m, size_t at, const char *path, size_t i, json_t *v, char **out, Buf *err) {
  const char *g = json_string_value(v);
  if (!g || !audit_az_valid_id(g, strlen(g))) {
    buf_printf(err, "%s: assignments[%zu]: a guardrail is named by a guardrail id (letters, digits, '_', inner '-')", path, i);
    return -1;
  }
  const char *other = seen(m, g, at);
  if (other) {
    buf_printf(err, "%s: assignments[%zu]: guardrail '%s' is mapped twice (also for %s)", path, i, g, other);
    return -1;
  }
  *out = xstrndup(g, strlen(g));
  return 0;
}

int audit_azmap_load(AuditAzMap *m, const char *path, Buf *err) {
  memset(m, 0, sizeof *m);
  if (!path) return 0;
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  if (!root) {
    buf_printf(err, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    return -1;
  }
  json_t *list = json_object_get(root, "assignments");
  int rc = 0;
  if (!json_is_array(list)) {
    buf_printf(err, "%s: expected {\"assignments\": [...]}", path);
    rc = -1;
  }
  size_t n = json_array_size(list);
  m->v = xcalloc(n ? n : 1, sizeof *m->v);
  for (size_t i = 0; i < n && !rc; i++) {
    json_t *a = json_array_get(list, i), *g = json_object_get(a, "guardrail"), *refs = json_object_get(a, "references");
    const char *id = json_string_value(json_object_get(a, "id"));
    AuditAzMapEntry *e = &m->v[m->n];
    if (!id || !(e->canon = canon_of(id))) {
      buf_printf(err, "%s: assignments[%zu]: \"id\" must be a policy assignment id", path, i);
      rc = -1;
      break;
    }
    e->assignment = xstrndup(id, strlen(id));
    m->n++;
    for (size_t k = 0; k + 1 < m->n; k++)
      if (!strcmp(m->v[k].canon, e->canon)) {
        buf_printf(err, "%s: assignments[%zu]: assignment %s is mapped twice", path, i, id);
        rc = -1;
      }
    if (rc) break;
    if (!g == !refs || (refs && (!json_is_object(refs) || !json_object_size(refs)))) {
      buf_printf(err, "%s: assignments[%zu]: give either \"guardrail\" or a non-empty \"references\" object", path, i);
      rc = -1;
      break;
    }
    if (g) { rc = guard_name(m, m->n - 1, path, i, g, &e->guardrail, err); continue; }
    size_t nr = json_object_size(refs);
    e->refs = xcalloc(nr, sizeof *e->refs);
    e->ref_guardrails = xcalloc(nr, sizeof *e->ref_guardrails);
    const char *ref;
    json_t *v;
    json_object_foreach(refs, ref, v) {
      if (rc) break;
      for (size_t k = 0; k < e->nrefs; k++)
        if (!strcasecmp(e->refs[k], ref)) {
          buf_printf(err, "%s: assignments[%zu]: reference %s is mapped twice", path, i, ref);
          rc = -1;
        }
      char *gname = NULL;
      if (!rc) rc = guard_name(m, m->n - 1, path, i, v, &gname, err);
      if (rc) break;
      e->refs[e->nrefs] = xstrndup(ref, strlen(ref));
      e->ref_guardrails[e->nrefs++] = gname;
    }
  }
  json_decref(root);
  if (rc) audit_azmap_free(m);
  return rc;
}
