/* JSON (docs/lint.md, "JSON output") and SARIF 2.1.0 as GitHub code scanning reads it:
 * tool.driver with its rules, and per result the rule, level, message, a repository-
 * relative location with a region, a fingerprint that does not move with lines, and
 * the suppression that waived it. Built with jansson, in a fixed key order. */
#include <jansson.h>
#include <string.h>
#include "lint.h"

static json_t *jstr(const char *s) {
  json_t *j = s ? json_string(s) : json_null();
  return j ? j : json_string("<not UTF-8>");
}

static void set(json_t *o, const char *k, json_t *v) { json_object_set_new(o, k, v ? v : json_null()); }

static void dump(json_t *root, FILE *out) {
  json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fputc('\n', out);
  json_decref(root);
}

static json_t *suppression_json(const LintFinding *f) {
  if (!f->supp) return json_null();
  json_t *s = json_object();
  set(s, "exemption", jstr(f->supp));
  set(s, "owner", jstr(f->supp_owner));
  set(s, "expires", jstr(f->supp_expires));
  set(s, "days_left", f->supp_days_left == INT64_MAX ? json_null() : json_integer(f->supp_days_left));
  set(s, "reason", jstr(f->supp_reason));
  set(s, "expired", json_boolean(f->supp_expired));
  return s;
}

void lint_write_json(const LintReport *r, FILE *out) {
  char now[32];
  lint_time(r->now, now);
  json_t *root = json_object(), *sum = json_object(), *fs = json_array(), *rs = json_array();
  set(root, "tool", json_string("aigwc " AIGW_VERSION_STRING));
  set(root, "now", json_string(now));
  set(sum, "errors", json_integer(r->count[LINT_ERROR]));
  set(sum, "warnings", json_integer(r->count[LINT_WARNING]));
  set(sum, "notes", json_integer(r->count[LINT_NOTE]));
  set(sum, "suppressed", json_integer(r->suppressed));
  set(sum, "files", json_integer(r->nfiles));
  set(sum, "declarations", json_integer(r->facts));
  set(root, "summary", sum);
  for (uint32_t i = 0; i < r->n; i++) {
    const LintFinding *f = &r->v[i];
    json_t *o = json_object();
    set(o, "rule", jstr(r->rules[f->rule].id));
    set(o, "level", json_string(lint_level_name[f->level]));
    set(o, "severity", jstr(r->rules[f->rule].severity));
    set(o, "message", jstr(f->message));
    set(o, "help", jstr(f->help));
    set(o, "file", jstr(f->file));
    set(o, "line", json_integer(f->line));
    set(o, "col", json_integer(f->col));
    set(o, "end_col", json_integer(f->col + f->len));
    if (f->kind) {
      json_t *d = json_object();
      set(d, "kind", jstr(f->kind));
      set(d, "id", jstr(f->id));
      set(o, "declaration", d);
    } else set(o, "declaration", json_null());
    set(o, "fingerprint", json_string(f->fingerprint));
    set(o, "suppressed", json_boolean(f->supp && !f->supp_expired));
    set(o, "suppression", suppression_json(f));
    json_array_append_new(fs, o);
  }
  set(root, "findings", fs);
  for (uint32_t i = 0; i < r->nrules; i++) {
    const LintRule *R = &r->rules[i];
    json_t *o = json_object();
    set(o, "id", jstr(R->id));
    set(o, "level", json_string(lint_level_name[R->level]));
    set(o, "severity", jstr(R->severity));
    set(o, "summary", jstr(R->summary));
    set(o, "help", jstr(R->help));
    set(o, "rationale", jstr(R->rationale));
    set(o, "source", R->file ? json_sprintf("%s:%u", R->file, R->line) : json_null());
    json_array_append_new(rs, o);
  }
  set(root, "rules", rs);
  dump(root, out);
}

/* ---- SARIF ---- */

static json_t *text(const char *s) {
  json_t *o = json_object();
  set(o, "text", jstr(s ? s : ""));
  return o;
}

static const char *sarif_level(LintLevel lv) { return lv == LINT_ERROR ? "error" : lv == LINT_WARNING ? "warning" : "note"; }

/* A relative path as a URI reference: each byte outside the unreserved set and '/' is
 * percent-encoded, so "my policies/a.aigw" stays one valid uri. */
static json_t *uri(const char *path) {
  Buf o = {0};
  while (path[0] == '.' && path[1] == '/') path += 2;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
      buf_putc(&o, (char)*p);
    else buf_printf(&o, "%%%02X", *p);
  }
  buf_putc(&o, 0);
  json_t *j = json_string(o.p);
  buf_free(&o);
  return j;
}

void lint_write_sarif(const LintReport *r, FILE *out) {
  json_t *root = json_object(), *run = json_object(), *tool = json_object(), *driver = json_object();
  json_t *rules = json_array(), *results = json_array();
  set(root, "$schema", json_string("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"));
  set(root, "version", json_string("2.1.0"));
  set(driver, "name", json_string("aigwc"));
  set(driver, "version", json_string(AIGW_VERSION_STRING));
  set(driver, "semanticVersion", json_string(AIGW_VERSION_STRING));
  set(driver, "informationUri", json_string(LINT_INFORMATION_URI));
  for (uint32_t i = 0; i < r->nrules; i++) {
    const LintRule *R = &r->rules[i];
    json_t *o = json_object(), *cfg = json_object(), *help = json_object(), *props = json_object();
    Buf full = {0}, h = {0};
    buf_printf(&full, "%s%s%s", R->summary, R->rationale ? ". " : "", R->rationale ? R->rationale : "");
    buf_putc(&full, 0);
    buf_printf(&h, "%s%s%s", R->help ? R->help : R->summary, R->rationale ? "\n\n" : "", R->rationale ? R->rationale : "");
    buf_putc(&h, 0);
    set(o, "id", jstr(R->id));
    set(o, "name", jstr(R->id));
    set(o, "shortDescription", text(R->summary));
    set(o, "fullDescription", text(full.p));
    set(help, "text", jstr(h.p));
    set(o, "help", help);
    set(cfg, "level", json_string(sarif_level(R->level)));
    set(o, "defaultConfiguration", cfg);
    json_t *tags = json_array();
    json_array_append_new(tags, json_string("aigwc"));
    json_array_append_new(tags, json_string(strncmp(R->id, "compile-", 8) ? "lint" : "compile"));
    set(props, "tags", tags);
    if (R->severity) set(props, "severity", jstr(R->severity));
    set(o, "properties", props);
    json_array_append_new(rules, o);
    buf_free(&full); buf_free(&h);
  }
  set(driver, "rules", rules);
  set(tool, "driver", driver);
  set(run, "tool", tool);
  for (uint32_t i = 0; i < r->n; i++) {
    const LintFinding *f = &r->v[i];
    json_t *o = json_object(), *locs = json_array();
    set(o, "ruleId", jstr(r->rules[f->rule].id));
    set(o, "ruleIndex", json_integer(f->rule));
    set(o, "level", json_string(sarif_level(f->level)));
    Buf m = {0};
    buf_puts(&m, f->message ? f->message : "");
    if (f->help) buf_printf(&m, "\nhelp: %s", f->help);
    if (f->supp && f->supp_expired)
      buf_printf(&m, "\nthe suppression %s (owner %s) expired on %s", f->supp, f->supp_owner ? f->supp_owner : "?",
                 f->supp_expires ? f->supp_expires : "?");
    buf_putc(&m, 0);
    set(o, "message", text(m.p));
    buf_free(&m);
    if (f->file) {
      json_t *loc = json_object(), *phys = json_object(), *art = json_object(), *reg = json_object();
      set(art, "uri", uri(f->file));
      set(art, "uriBaseId", json_string("%SRCROOT%"));
      set(phys, "artifactLocation", art);
      set(reg, "startLine", json_integer(f->line ? f->line : 1));
      set(reg, "startColumn", json_integer(f->col ? f->col : 1));
      set(reg, "endLine", json_integer(f->line ? f->line : 1));
      set(reg, "endColumn", json_integer((f->col ? f->col : 1) + f->len));
      set(phys, "region", reg);
      set(loc, "physicalLocation", phys);
      json_array_append_new(locs, loc);
    }
    set(o, "locations", locs);
    json_t *fp = json_object();
    set(fp, "primaryLocationLineHash", json_string(f->fingerprint));
    set(o, "partialFingerprints", fp);
    if (f->supp && !f->supp_expired) {
      json_t *sups = json_array(), *s = json_object();
      Buf j = {0};
      buf_printf(&j, "%s (owner %s, until %s): %s", f->supp, f->supp_owner ? f->supp_owner : "?",
                 f->supp_expires ? f->supp_expires : "?", f->supp_reason ? f->supp_reason : "");
      buf_putc(&j, 0);
      set(s, "kind", json_string("external"));
      set(s, "status", json_string("accepted"));
      set(s, "justification", jstr(j.p));
      json_array_append_new(sups, s);
      set(o, "suppressions", sups);
      buf_free(&j);
    }
    json_array_append_new(results, o);
  }
  set(run, "results", results);
  json_t *runs = json_array();
  json_array_append_new(runs, run);
  set(root, "runs", runs);
  dump(root, out);
}
