/* aigwc export azure: the policies' exemptions as ARM-ready JSON, one policy exemption
 * resource per exemption, so that the repository can be the source of truth. The shape
 * is the ARM listing's, {"value": [...]}: each element is the body to PUT at its id, and
 * `aigwc import azure` reads it back (docs/azure.md). Nothing is printed unless every
 * exemption can be expressed. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "aigw.h"
#include "audit_azure.h"
#include "cli.h"

const char cmd_export_summary[] = "write exemptions as Azure Policy exemptions (ARM JSON)";
const char cmd_export_usage[] =
  "usage: aigwc export azure (-b BUNDLE.aigwb | PATH...) [--map FILE] [-o FILE]\n\n"
  "Writes every exemption as an ARM policy exemption resource, in the shape of the ARM\n"
  "listing ({\"value\": [...]}); PUT each element's properties at its id with api-version\n"
  AUDIT_ARM_API_VERSION " (docs/azure.md).\n"
  "  --map FILE   which policy assignment (and reference) each guardrail is; guardrails\n"
  "               that import made as placeholders name their assignment themselves\n"
  "  -o FILE      write to FILE instead of standard output\n\n"
  "exit codes: 0 done, 2 usage or input error, or an exemption Azure cannot hold (a\n"
  "            pattern scope, an unmapped guardrail, guardrails of two assignments)\n";

typedef struct Target { char *assignment, *ref; } Target;   /* ref NULL: the whole assignment */

/* Where guardrail g goes in Azure: the mapping, else its placeholder's message. */
static int target(const aigw_bundle *b, const AuditAzMap *m, size_t g, Target *t) {
  aigw_guardrail_info gi;
  if (aigw_meta_guardrail(b, g, &gi) != AIGW_OK) return -1;
  long ref;
  const AuditAzMapEntry *e = audit_azmap_reverse(m, gi.name, &ref);
  if (e) {
    t->assignment = xstrndup(e->assignment, strlen(e->assignment));
    t->ref = ref >= 0 ? xstrndup(e->refs[ref], strlen(e->refs[ref])) : NULL;
    return 0;
  }
  size_t pl = strlen(AUDIT_AZ_UNMAPPED_MESSAGE);
  if (!gi.message || strncmp(gi.name, AUDIT_AZ_UNMAPPED_PREFIX, strlen(AUDIT_AZ_UNMAPPED_PREFIX)) ||
      strncmp(gi.message, AUDIT_AZ_UNMAPPED_MESSAGE, pl))
    return -1;
  Buf text = {0};   /* the message template doubles literal braces */
  for (const char *p = gi.message + pl; *p; p++) {
    buf_putc(&text, *p);
    if ((*p == '{' || *p == '}') && p[1] == *p) p++;
  }
  char *r = strstr(text.p ? text.p : "", AUDIT_AZ_UNMAPPED_REF);
  if (r) { *r = 0; r += strlen(AUDIT_AZ_UNMAPPED_REF); }
  t->assignment = xstrndup(text.p ? text.p : "", strlen(text.p ? text.p : ""));
  t->ref = r ? xstrndup(r, strlen(r)) : NULL;
  buf_free(&text);
  return 0;
}

/* The scope as written, with doubled and trailing slashes dropped; -1 for a pattern. */
static int scope_text(const char *s, Buf *out) {
  if (strpbrk(s, "*?")) return -1;
  for (const char *p = s; *p; p++) {
    if (*p == '/' && (p[1] == '/' || !p[1])) continue;
    buf_putc(out, *p);
  }
  if (!out->n) buf_putc(out, '/');
  return 0;
}

static json_t *when(int64_t t) {
  char s[40];
  return aigw_format_time(s, sizeof s, t) ? json_string(s) : json_null();
}

/* One exemption as an ARM resource, or NULL after saying why not. */
static json_t *resource(const aigw_bundle *b, const AuditAzMap *m, size_t i) {
  aigw_exemption_info x;
  aigw_meta_exemption(b, i, &x);
  Buf scope = {0}, name = {0}, id = {0};
  json_t *r = NULL;
  const char *why = NULL;
  Target *t = xcalloc(x.nwaives + 1, sizeof *t);
  size_t nt = 0;
  if (scope_text(x.scope ? x.scope : "/", &scope)) why = "its scope is a pattern, which Azure cannot hold";
  for (size_t k = 0; k < x.nwaives && !why; k++) {
    if (target(b, m, aigw_meta_exemption_waives(b, i, k), &t[nt])) {
      aigw_guardrail_info gi;
      aigw_meta_guardrail(b, aigw_meta_exemption_waives(b, i, k), &gi);
      fprintf(stderr, "%s:%u:%u: error: exemption %s waives %s, which the mapping file (--map) does not name\n",
              x.loc.file ? x.loc.file : "?", x.loc.line, x.loc.col, x.id, gi.name ? gi.name : "?");
      why = "";
      break;
    }
    nt++;
    if (!audit_az_same_id(t[nt - 1].assignment, t[0].assignment)) why = "it waives guardrails of two policy assignments";
    else if (nt > 1 && (!t[nt - 1].ref || !t[0].ref)) why = "it waives a whole assignment and more";
  }
  if (why) {
    if (*why) fprintf(stderr, "%s:%u:%u: error: exemption %s cannot be written for Azure: %s\n", x.loc.file ? x.loc.file : "?", x.loc.line, x.loc.col, x.id, why);
    goto done;
  }
  audit_az_id_to_name(x.id, &name);
  buf_puts(&id, strcmp(scope.p, "/") ? scope.p : "");
  buf_printf(&id, AUDIT_AZ_EXEMPTIONS "/%s", name.p);
  json_t *p = json_object();
  json_object_set_new(p, "policyAssignmentId", json_string(nt ? t[0].assignment : ""));
  /* every reference of a mapped initiative is the whole initiative: no list */
  const AuditAzMapEntry *en = nt ? audit_azmap_find(m, t[0].assignment) : NULL;
  int all = en && !en->guardrail && nt == en->nrefs;
  for (size_t k = 0; all && k < nt; k++) all = audit_azmap_ref(en, t[k].ref) != NULL;
  if (nt && t[0].ref && !all) {
    json_t *refs = json_array();
    for (size_t k = 0; k < nt; k++) json_array_append_new(refs, json_string(t[k].ref));
    json_object_set_new(p, "policyDefinitionReferenceIds", refs);
  }
  json_object_set_new(p, "exemptionCategory", json_string(audit_az_category(!strcmp(x.category, "mitigated"))));
  if (x.expires != INT64_MAX) json_object_set_new(p, "expiresOn", when(x.expires));
  char *display, *description;
  audit_az_split_reason(x.reason, &display, &description);
  if (display) json_object_set_new(p, "displayName", json_string(display));
  if (description) json_object_set_new(p, "description", json_string(description));
  xfree(display); xfree(description);
  json_t *md = json_object();
  if (x.owner && strcmp(x.owner, AUDIT_AZ_NO_OWNER)) json_object_set_new(md, "owner", json_string(x.owner));
  if (x.ticket) json_object_set_new(md, "ticket", json_string(x.ticket));
  json_t *ctl = json_array();
  for (size_t k = 0; k < x.ncontrols; k++) {
    const char *c = aigw_meta_exemption_control(b, i, k);
    if (c && strcmp(c, AUDIT_AZ_NO_CONTROLS)) json_array_append_new(ctl, json_string(c));
  }
  if (json_array_size(ctl)) json_object_set(md, "controls", ctl);
  json_decref(ctl);
  if (x.created != INT64_MIN) json_object_set_new(md, "created", when(x.created));
  if (x.starts != INT64_MIN && x.starts != x.created) json_object_set_new(md, "starts", when(x.starts));
  if (x.renews != SIZE_MAX) {
    aigw_exemption_info y;
    Buf rn = {0};
    if (aigw_meta_exemption(b, x.renews, &y) == AIGW_OK) {
      audit_az_id_to_name(y.id, &rn);
      json_object_set_new(md, "renews", json_string(rn.p));
    }
    buf_free(&rn);
  }
  json_object_set_new(p, "metadata", md);
  r = json_object();
  json_object_set_new(r, "id", json_string(id.p));
  json_object_set_new(r, "name", json_string(name.p));
  json_object_set_new(r, "type", json_string(AUDIT_AZ_TYPE));
  json_object_set_new(r, "properties", p);
done:
  for (size_t k = 0; k < x.nwaives + 1; k++) { xfree(t[k].assignment); xfree(t[k].ref); }
  xfree(t);
  buf_free(&scope); buf_free(&name); buf_free(&id);
  return r;
}

int cmd_export(int argc, char **argv) {
  const char *bpath = NULL, *map_path = NULL, *out_path = NULL;
  char **paths = argv + 1;
  int npaths = 0, have_kind = 0;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(o, "-b") && v) { bpath = v; i++; }
    else if (!strcmp(o, "--map") && v) { map_path = v; i++; }
    else if (!strcmp(o, "-o") && v) { out_path = v; i++; }
    else if (o[0] == '-' && o[1]) return cli_usage_error("export", "unknown or incomplete option '%s'", o);
    else if (!have_kind) {
      if (strcmp(o, "azure")) return cli_usage_error("export", "unknown target '%s' (aigwc export azure ...)", o);
      have_kind = 1;
    } else paths[npaths++] = argv[i];
  }
  if (!have_kind) return cli_usage_error("export", "say where to export: aigwc export azure ...");
  if (!bpath && !npaths) return cli_usage_error("export", "give -b BUNDLE or policy PATHs");
  AuditAzMap m;
  Buf err = {0};
  if (audit_azmap_load(&m, map_path, &err)) {
    fprintf(stderr, "aigwc export: %s\n", err.p);
    buf_free(&err);
    return EXIT_USAGE;
  }
  aigw_bundle *b;
  int rc = EXIT_OK;
  if (cli_open_bundle(bpath, npaths, paths, &b)) { audit_azmap_free(&m); return EXIT_USAGE; }
  json_t *value = json_array();
  size_t n = aigw_meta_count(b, AIGW_META_EXEMPTIONS), bad = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *r = resource(b, &m, i);
    if (r) json_array_append_new(value, r);
    else bad++;
  }
  if (bad) {
    fprintf(stderr, "aigwc export: %zu of %zu exemption%s cannot be written for Azure; nothing written\n", bad, n, n == 1 ? "" : "s");
    rc = EXIT_USAGE;
  } else {
    json_t *root = json_object();
    json_object_set_new(root, "value", value);
    value = NULL;
    char *text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    FILE *f = out_path ? fopen(out_path, "wb") : stdout;
    int to_stdout = f == stdout;
    size_t len = text ? strlen(text) : 0;
    if (!text || !f || fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF || (!to_stdout && fclose(f) != 0) || (to_stdout && fflush(stdout) != 0)) {
      fprintf(stderr, "aigwc export: cannot write %s\n", out_path ? out_path : "standard output");
      rc = EXIT_USAGE;
    }
    free(text);
  }
  json_decref(value);
  aigw_bundle_close(b);
  audit_azmap_free(&m);
  buf_free(&err);
  return rc;
}
