/* Drift between a live Azure scope and the policies: exemptions in Azure but not in
 * code, in code but not in Azure, and those whose expiry, owner, category, scope (or,
 * with a mapping file, guardrails) differ. Exemptions are matched by id, the Azure name
 * read as import reads it (docs/azure.md). Printed only after the whole listing has
 * been read; a failed read prints why and no report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "audit.h"
#include "audit_azure.h"
#include "audit_text.h"

enum { ONLY_AZURE, ONLY_CODE, DIFFERENT };
static const char *const kind_key[] = {"only_in_azure", "only_in_code", "different"};

typedef struct Row { int kind; char *id, *field, *azure, *code; } Row;
typedef struct Drift {
  Row *v; size_t n, cap;
  const char *scope;
  size_t nazure, ncode, npattern;
} Drift;

static char *dup(const char *s) { return xstrndup(s ? s : "", strlen(s ? s : "")); }

static void add(Drift *d, int kind, const char *id, const char *field, const char *az, const char *code) {
  if (d->n == d->cap) { d->cap = d->cap ? d->cap * 2 : 32; d->v = xrealloc(d->v, sizeof *d->v * d->cap); }
  d->v[d->n++] = (Row){kind, dup(id), dup(field), dup(az), dup(code)};
}

static void fmt_expiry(char *out, size_t cap, int64_t t) {
  if (t == INT64_MAX) snprintf(out, cap, "never");
  else if (!aigw_format_time(out, cap, t)) snprintf(out, cap, "?");
}

/* ---- matching ---- */

typedef struct Key { const char *id; size_t azure, code; } Key;   /* one of azure/code is SIZE_MAX */
static int cmp_key(const void *pa, const void *pb) {
  const Key *x = pa, *y = pb;
  int c = strcmp(x->id, y->id);
  if (c) return c;
  return x->code != SIZE_MAX ? -1 : y->code != SIZE_MAX ? 1 : (x->azure > y->azure) - (x->azure < y->azure);
}

static int is_pattern(const char *s) { return strpbrk(s, "*?") != NULL; }

/* Does the read cover a code exemption at canon? A management group's listing holds
 * its own exemptions only; any other scope's holds everything at or below it. */
static int covered(const char *read, int read_mg, const char *canon) {
  size_t n = strlen(read);
  if (read_mg) return !strcmp(canon, read);
  return !strncmp(canon, read, n) && (!canon[n] || canon[n] == '/');
}

static void sorted_names(Buf *out, const char **v, size_t n) {
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) { const char *t = v[j]; v[j] = v[j - 1]; v[j - 1] = t; }
  for (size_t i = 0; i < n; i++) { if (i) buf_puts(out, ", "); buf_puts(out, v[i]); }
}

/* The guardrails an Azure exemption waives by the mapping; -1 when some are unmapped. */
static int azure_guardrails(const AuditAzMap *m, const AuditAzEx *e, Buf *out) {
  const AuditAzMapEntry *en = audit_azmap_find(m, e->assignment);
  if (!en) return -1;
  const char **v = xmalloc(sizeof *v * (en->nrefs + e->nrefs + 1));
  size_t n = 0;
  int rc = 0;
  if (en->guardrail) v[n++] = en->guardrail;
  else if (!e->nrefs) for (size_t k = 0; k < en->nrefs; k++) v[n++] = en->ref_guardrails[k];
  else for (size_t k = 0; k < e->nrefs && !rc; k++) rc = (v[n++] = audit_azmap_ref(en, e->refs[k])) ? 0 : -1;
  if (!rc) sorted_names(out, v, n);
  xfree(v);
  return rc;
}

static void compare(Drift *d, const aigw_bundle *b, const AuditAzMap *m, size_t ci, const char *canon, const AuditAzEx *az) {
  aigw_exemption_info x;
  aigw_meta_exemption(b, ci, &x);
  char a[40], c[40];
  if (x.expires != az->expires) {
    fmt_expiry(a, sizeof a, az->expires);
    fmt_expiry(c, sizeof c, x.expires);
    Buf cv = {0};   /* the instant both sides mean, and the policy's words for it */
    buf_puts(&cv, c);
    if (x.expires_text && strcmp(x.expires_text, c)) buf_printf(&cv, " (expires %s)", x.expires_text);
    add(d, DIFFERENT, x.id, "expires", a, cv.p);
    buf_free(&cv);
  }
  const char *owner = x.owner ? x.owner : "";
  if (az->owner ? strcasecmp(az->owner, owner) : strcmp(owner, AUDIT_AZ_NO_OWNER))
    add(d, DIFFERENT, x.id, "owner", az->owner ? az->owner : "(none)", owner);
  if (az->mitigated != !strcmp(x.category, "mitigated"))
    add(d, DIFFERENT, x.id, "category", az->mitigated ? "mitigated" : "waiver", x.category);
  if (strcmp(az->scope, canon)) add(d, DIFFERENT, x.id, "scope", az->scope, canon);
  Buf ag = {0}, cg = {0};
  if (m->n && !azure_guardrails(m, az, &ag)) {
    const char **v = xmalloc(sizeof *v * (x.nwaives + 1));
    size_t ng = aigw_meta_count(b, AIGW_META_GUARDRAILS);
    for (size_t k = 0; k < x.nwaives; k++) {
      aigw_guardrail_info gi;
      size_t g = aigw_meta_exemption_waives(b, ci, k);
      v[k] = g < ng && aigw_meta_guardrail(b, g, &gi) == AIGW_OK ? gi.name : "?";
    }
    sorted_names(&cg, v, x.nwaives);
    xfree(v);
    if (strcmp(ag.p ? ag.p : "", cg.p ? cg.p : "")) add(d, DIFFERENT, x.id, "guardrails", ag.p ? ag.p : "", cg.p ? cg.p : "");
  }
  buf_free(&ag); buf_free(&cg);
}

static void diff(Drift *d, const aigw_bundle *b, const AuditAzMap *m, const AuditAzList *l, const char *read, int read_mg) {
  size_t nc = aigw_meta_count(b, AIGW_META_EXEMPTIONS), nk = 0;
  Key *k = xmalloc(sizeof *k * (nc + l->n + 1));
  char **ids = xmalloc(sizeof *ids * (l->n + 1)), **canon = xmalloc(sizeof *canon * (nc + 1));
  for (size_t i = 0; i < l->n; i++) {
    Buf id = {0};
    audit_az_name_to_id(l->v[i].name, &id);
    ids[i] = id.p;
    k[nk++] = (Key){ids[i], i, SIZE_MAX};
  }
  for (size_t i = 0; i < nc; i++) {
    aigw_exemption_info x;
    aigw_meta_exemption(b, i, &x);
    const char *s = x.scope ? x.scope : "/";
    size_t n = strlen(s);
    canon[i] = xmalloc(n + 2);
    if (aigw_scope_canon(s, n, canon[i], n + 2) < 0) memcpy(canon[i], "/", 2);
    k[nk++] = (Key){x.id ? x.id : "?", SIZE_MAX, i};
  }
  d->nazure = l->n;
  if (nk) qsort(k, nk, sizeof *k, cmp_key);
  for (size_t i = 0; i < nk;) {
    size_t j = i;
    while (j < nk && !strcmp(k[i].id, k[j].id)) j++;
    size_t code = k[i].code;   /* the sort puts the code exemption (ids are unique there) first */
    size_t match = SIZE_MAX;
    if (code != SIZE_MAX) {
      for (size_t t = i + 1; t < j && match == SIZE_MAX; t++) if (!strcmp(l->v[k[t].azure].scope, canon[code])) match = k[t].azure;
      if (match == SIZE_MAX && i + 1 < j) match = k[i + 1].azure;
      int in_read = !is_pattern(canon[code]) && covered(read, read_mg, canon[code]);
      d->npattern += is_pattern(canon[code]);
      d->ncode += in_read || match != SIZE_MAX;
      if (match != SIZE_MAX) compare(d, b, m, code, canon[code], &l->v[match]);
      else if (in_read) add(d, ONLY_CODE, k[i].id, "", "", canon[code]);
    }
    for (size_t t = i; t < j; t++) {
      if (k[t].azure == SIZE_MAX || k[t].azure == match) continue;
      char e[40];
      fmt_expiry(e, sizeof e, l->v[k[t].azure].expires);
      add(d, ONLY_AZURE, k[t].id, e, l->v[k[t].azure].scope, "");
    }
    i = j;
  }
  for (size_t i = 0; i < l->n; i++) xfree(ids[i]);
  for (size_t i = 0; i < nc; i++) xfree(canon[i]);
  xfree(ids); xfree(canon); xfree(k);
}

/* ---- writers ---- */

static void human(const Drift *d, RSink *s, int64_t now) {
  char t[40];
  aigw_format_time(t, sizeof t, now);
  Buf b = {0};
  buf_printf(&b, "Drift at %s between Azure and the policies, scope %s", t, d->scope);
  s->title(s, b.p);
  b.n = 0;
  buf_printf(&b, "%zu exemption%s in Azure, %zu in the policies compared", d->nazure, d->nazure == 1 ? "" : "s", d->ncode);
  if (d->npattern) buf_printf(&b, " (and %zu with a pattern scope, which Azure cannot hold)", d->npattern);
  s->line(s, b.p);
  buf_free(&b);
  enum { LINE = RCOL_DETAIL | RCOL_ALONE | RCOL_MIDDLE };
  static const RCol only_az[] = {{"Exemption", "", RCOL_FLEX}, {"Expires", "", 0}, {"Scope", "", LINE}};
  static const RCol only_code[] = {{"Exemption", "", RCOL_FLEX}, {"Scope", "", LINE}};
  static const RCol differ[] = {{"Exemption", "", RCOL_FLEX}, {"Field", "", 0}, {"Azure", "azure:   ", LINE},
                                {"Policies", "policies:", LINE}};
  static const char *const title[] = {"In Azure, not in the policies", "In the policies, not in Azure", "Different"};
  const RCol *cols[] = {only_az, only_code, differ};
  size_t ncols[] = {3, 2, 4};
  for (int kind = 0; kind < 3; kind++) {
    RTable tab;
    rtab_init(&tab, cols[kind], ncols[kind]);
    for (size_t i = 0; i < d->n; i++) {
      const Row *r = &d->v[i];
      if (r->kind != kind) continue;
      rtab_row(&tab, -1);
      rtab_cell(&tab, r->id);
      if (kind == ONLY_AZURE) { rtab_cell(&tab, r->field); rtab_cell(&tab, r->azure); }
      else if (kind == ONLY_CODE) rtab_cell(&tab, r->code);
      else { rtab_cell(&tab, r->field); rtab_cell(&tab, r->azure); rtab_cell(&tab, r->code); }
    }
    if (tab.nrows) { s->heading(s, title[kind]); s->table(s, &tab); }
    rtab_free(&tab);
  }
  if (!d->n) s->line(s, "No drift.");
  s->end(s);
}

static void csv(const Drift *d, Buf *o) {
  buf_puts(o, "kind,id,field,azure,policies\r\n");
  for (size_t i = 0; i < d->n; i++) {
    const Row *r = &d->v[i];
    const char *f[] = {kind_key[r->kind], r->id, r->kind == DIFFERENT ? r->field : "scope", r->azure, r->code};
    for (int k = 0; k < 5; k++) { if (k) buf_putc(o, ','); audit_csv_field(o, f[k]); }
    buf_puts(o, "\r\n");
  }
}

static void jstr(Buf *o, const char *s) { buf_json_str(o, s, strlen(s)); }

static void json(const Drift *d, Buf *o, int64_t now) {
  char t[40];
  aigw_format_time(t, sizeof t, now);
  buf_printf(o, "{\"now\":\"%s\",\"scope\":", t);
  jstr(o, d->scope);
  buf_printf(o, ",\"azure\":%zu,\"policies\":%zu,\"pattern_scopes\":%zu,\"drift\":%zu", d->nazure, d->ncode, d->npattern, d->n);
  for (int kind = 0; kind < 3; kind++) {
    buf_printf(o, ",\n\"%s\":[", kind_key[kind]);
    int first = 1;
    for (size_t i = 0; i < d->n; i++) {
      const Row *r = &d->v[i];
      if (r->kind != kind) continue;
      buf_puts(o, first ? "\n {\"id\":" : ",\n {\"id\":");
      first = 0;
      jstr(o, r->id);
      if (kind == ONLY_AZURE) { buf_puts(o, ",\"scope\":"); jstr(o, r->azure); buf_puts(o, ",\"expires\":"); jstr(o, r->field); }
      else if (kind == ONLY_CODE) { buf_puts(o, ",\"scope\":"); jstr(o, r->code); }
      else {
        buf_puts(o, ",\"field\":"); jstr(o, r->field);
        buf_puts(o, ",\"azure\":"); jstr(o, r->azure);
        buf_puts(o, ",\"policies\":"); jstr(o, r->code);
      }
      buf_putc(o, '}');
    }
    buf_putc(o, ']');
  }
  buf_puts(o, "}\n");
}

int audit_azure_drift(const aigw_bundle *b, const AuditArmOptions *arm, const AuditDriftOptions *opt) {
  Buf err = {0};
  AuditAzMap m;
  if (audit_azmap_load(&m, arm->map, &err)) {
    fprintf(stderr, "aigwc audit: %s\n", err.p);
    buf_free(&err);
    return 2;
  }
  AuditAzList l = {0};
  if (audit_arm_list(arm, &l, &err)) {
    fprintf(stderr, "aigwc audit: --azure %s: %s\n", arm->scope, err.p ? err.p : "the read failed");
    fprintf(stderr, "aigwc audit: no drift report: the listing was not read completely\n");
    audit_az_list_free(&l);
    audit_azmap_free(&m);
    buf_free(&err);
    return 2;
  }
  size_t n = strlen(arm->scope);
  char *read = xmalloc(n + 2);
  int depth = aigw_scope_canon(arm->scope, n, read, n + 2);
  Drift d = {0};
  d.scope = read;
  diff(&d, b, &m, &l, read, depth == 4 && !strncmp(read, "/providers/microsoft.management/managementgroups/", 49));
  Buf out = {0};
  RSink s;
  if (!strcmp(opt->format, "json")) json(&d, &out, opt->now);
  else if (!strcmp(opt->format, "csv")) csv(&d, &out);
  else {
    if (!strcmp(opt->format, "markdown")) rsink_markdown(&s, &out);
    else rsink_text(&s, &out, opt->color);
    human(&d, &s, opt->now);
  }
  fwrite(out.p ? out.p : "", 1, out.n, stdout);
  fflush(stdout);
  int rc = d.n ? 1 : 0;
  for (size_t i = 0; i < d.n; i++) { xfree(d.v[i].id); xfree(d.v[i].field); xfree(d.v[i].azure); xfree(d.v[i].code); }
  xfree(d.v);
  xfree(read);
  buf_free(&out);
  audit_az_list_free(&l);
  audit_azmap_free(&m);
  buf_free(&err);
  return rc;
}
