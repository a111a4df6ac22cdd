/* aigwc import azure: Azure Policy exemptions (the JSON of `az policy exemption list`
 * or of the ARM REST API) as aigwc source. The source is generated, then parsed and run
 * through the formatter, so it is exactly what `aigwc fmt` prints. What the language
 * cannot hold is kept as comments next to the exemption it belongs to (docs/azure.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "aigw.h"
#include "audit_azure.h"
#include "cli.h"
#include "fmt.h"
#include "parse.h"

const char cmd_import_summary[] = "turn Azure Policy exemptions into source";
const char cmd_import_usage[] =
  "usage: aigwc import azure [--map FILE] [--policy NAME] [-o FILE] (FILE... | -)\n\n"
  "Reads the policy exemptions that `az policy exemption list` or the ARM REST API\n"
  "returns (pages {\"value\": [...], \"nextLink\": ...}, bare arrays, or single exemptions; give\n"
  "every page of a listing) and prints them as formatted aigwc source (docs/azure.md).\n"
  "  --map FILE     which guardrail each policy assignment (or reference) is; assignments\n"
  "                 it does not name get a placeholder guardrail that never fires\n"
  "  --policy NAME  the package of the source (default azure.exemptions)\n"
  "  -o FILE        write the source to FILE instead of standard output\n\n"
  "The source compiles together with the policies that declare the input schema and\n"
  "the mapped guardrails.\n\n"
  "exit codes: 0 done, 2 usage or input error (malformed JSON, an incomplete listing)\n";

enum { COMMENT_MAX = 400 };   /* bytes of Azure data shown in one comment */

typedef struct Placeholder { char *name, *assignment, *ref; } Placeholder;
typedef struct Import {
  const AuditAzMap *map;
  Placeholder *ph; size_t nph;
  char **ids;                  /* exemption ids, sorted like the list */
  size_t nids;
  int too_long, too_many;
} Import;

/* A string literal of the language: escapes for quotes, backslashes and controls;
 * in a message, braces too (they would open a hole). */
static void src_str(Import *im, Buf *o, const char *s, int message) {
  size_t start = o->n;
  buf_putc(o, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') { buf_putc(o, '\\'); buf_putc(o, (char)*p); }
    else if (*p == '\n') buf_puts(o, "\\n");
    else if (*p == '\r') buf_puts(o, "\\r");
    else if (*p == '\t') buf_puts(o, "\\t");
    else if (*p < 0x20 || *p == 0x7f) buf_printf(o, "\\u%04x", *p);
    else if (message && (*p == '{' || *p == '}')) { buf_putc(o, '\\'); buf_putc(o, (char)*p); }
    else buf_putc(o, (char)*p);
  }
  buf_putc(o, '"');
  if (o->n - start - 2 > AUDIT_AZ_MAX_TEXT) im->too_long = 1;
}

/* A comment line of Azure data: one line, cut when long. */
static void comment(Buf *o, const char *label, const char *text) {
  buf_printf(o, "# %s", label);
  size_t n = 0;
  for (const char *p = text; p && *p && n < COMMENT_MAX; p++, n++) buf_putc(o, (unsigned char)*p < 0x20 ? ' ' : *p);
  if (text && strlen(text) > COMMENT_MAX) buf_puts(o, "...");
  buf_putc(o, '\n');
}

/* A name from an assignment's last segment and a reference: letters, digits, '_', and
 * single inner hyphens. */
static void slug(Buf *o, const char *s) {
  int dash = 1;   /* the prefix ends with '-' */
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') { buf_putc(o, (char)c); dash = 0; }
    else if (!dash) { buf_putc(o, '-'); dash = 1; }
  }
  if (dash) buf_putc(o, 'x');
}

/* The placeholder guardrail for (assignment, ref), created on first use. */
static const char *placeholder(Import *im, const char *assignment, const char *ref) {
  for (size_t i = 0; i < im->nph; i++)
    if (audit_az_same_id(im->ph[i].assignment, assignment) &&
        (!ref ? !im->ph[i].ref : im->ph[i].ref && !strcasecmp(im->ph[i].ref, ref)))
      return im->ph[i].name;
  Buf n = {0};
  buf_puts(&n, AUDIT_AZ_UNMAPPED_PREFIX);
  const char *last = strrchr(assignment, '/');
  slug(&n, last ? last + 1 : assignment);
  if (ref) { buf_putc(&n, '-'); slug(&n, ref); }
  size_t base = n.n;
  for (int k = 2;; k++) {
    int clash = 0;
    for (size_t i = 0; i < im->nph; i++) clash |= !strcmp(im->ph[i].name, n.p);
    if (!clash) break;
    n.n = base;
    buf_printf(&n, "-%d", k);
  }
  im->ph = xrealloc(im->ph, sizeof *im->ph * (im->nph + 1));
  im->ph[im->nph++] = (Placeholder){n.p, xstrndup(assignment, strlen(assignment)), ref ? xstrndup(ref, strlen(ref)) : NULL};
  return n.p;
}

/* The guardrails e waives, each once, comma-separated, into o; notes for comments into
 * notes. Returns how many. */
static size_t waives(Import *im, const AuditAzEx *e, Buf *o, Buf *notes) {
  const AuditAzMapEntry *en = audit_azmap_find(im->map, e->assignment);
  const char **v = xmalloc(sizeof *v * (e->nrefs + (en ? en->nrefs : 0) + 1));
  size_t n = 0;
  if (en && en->guardrail) {
    v[n++] = en->guardrail;
    if (e->nrefs) comment(notes, "policyDefinitionReferenceIds not kept (the mapping names one guardrail for the whole assignment): ", e->refs[0]);
  } else if (en && !e->nrefs) {
    for (size_t k = 0; k < en->nrefs; k++) v[n++] = en->ref_guardrails[k];
  } else if (!e->nrefs) {
    v[n++] = placeholder(im, e->assignment, NULL);
  } else {
    for (size_t k = 0; k < e->nrefs; k++) {
      const char *g = audit_azmap_ref(en, e->refs[k]);
      v[n++] = g ? g : placeholder(im, e->assignment, e->refs[k]);
    }
  }
  size_t kept = 0;
  for (size_t k = 0; k < n; k++) {
    int dup = 0;   /* a reference listed twice is one guardrail */
    for (size_t j = 0; j < k && !dup; j++) dup = !strcmp(v[j], v[k]);
    if (dup) continue;
    buf_puts(o, kept++ ? ", " : "");
    buf_puts(o, v[k]);
  }
  xfree(v);
  return kept;
}

static void moment(Buf *o, const char *item, int64_t t) {
  char s[40];
  aigw_format_time(s, sizeof s, t);
  buf_printf(o, "  %s %s\n", item, s);
}

static void exemption(Import *im, const AuditAzEx *e, const char *id, const char *renews, Buf *o) {
  Buf notes = {0}, w = {0};
  if (waives(im, e, &w, &notes) > AUDIT_AZ_MAX_LIST || e->ncontrols > AUDIT_AZ_MAX_LIST) im->too_many = 1;
  if (strcmp(id, e->name)) comment(o, "Azure name: ", e->name);
  buf_put(o, notes.p, notes.n);
  if (!e->owner) comment(o, "Azure metadata names no owner: ", "\"" AUDIT_AZ_NO_OWNER "\" stands in");
  if (!(e->display && *e->display) && !(e->description && *e->description))
    comment(o, "Azure has no displayName or description: ", "the reason stands in");
  if (e->mitigated && !e->ncontrols) comment(o, "Azure records no compensating controls: ", "the control stands in");
  int64_t created = e->created, starts = e->starts;
  if (created != INT64_MIN && created >= e->expires) { comment(o, "created after expiresOn, left out", ""); created = INT64_MIN; }
  if (starts != INT64_MIN && (starts >= e->expires || (created != INT64_MIN && starts < created))) {
    comment(o, "metadata.starts out of order, left out", "");
    starts = INT64_MIN;
  }
  if (e->renews && !renews) comment(o, "renews an exemption not in this import, or in a cycle: ", e->renews);
  if (e->selectors) comment(o, "resourceSelectors (reported, not enforced by aigwc): ", e->selectors);
  if (e->validation) comment(o, "assignmentScopeValidation: ", e->validation);
  if (e->other) comment(o, "other Azure metadata, not kept: ", e->other);
  buf_printf(o, "exemption %s {\n  waives %s\n  scope ", id, w.p);
  src_str(im, o, e->scope, 0);
  buf_puts(o, "\n  owner ");
  src_str(im, o, e->owner ? e->owner : AUDIT_AZ_NO_OWNER, 0);
  buf_putc(o, '\n');
  if (created != INT64_MIN) moment(o, "created", created);
  if (starts != INT64_MIN) moment(o, "starts", starts);
  if (e->expires == INT64_MAX) buf_puts(o, "  expires never\n");
  else moment(o, "expires", e->expires);
  buf_printf(o, "  category %s\n  reason ", e->mitigated ? "mitigated" : "waiver");
  Buf r = {0};
  audit_az_reason(e, &r);
  src_str(im, o, r.p, 0);
  buf_free(&r);
  buf_putc(o, '\n');
  if (e->ncontrols || e->mitigated) {
    buf_puts(o, "  controls [");
    for (size_t k = 0; k < e->ncontrols; k++) { if (k) buf_puts(o, ", "); src_str(im, o, e->controls[k], 0); }
    if (!e->ncontrols) src_str(im, o, AUDIT_AZ_NO_CONTROLS, 0);
    buf_puts(o, "]\n");
  }
  if (e->ticket) { buf_puts(o, "  ticket "); src_str(im, o, e->ticket, 0); buf_putc(o, '\n'); }
  if (renews) buf_printf(o, "  renews %s\n", renews);
  buf_puts(o, "}\n\n");
  buf_free(&notes); buf_free(&w);
}

typedef struct Item { char *id; const AuditAzEx *e; size_t renews; } Item;   /* renews: an index, or SIZE_MAX */
static int cmp_item(const void *a, const void *b) { return strcmp(((const Item *)a)->id, ((const Item *)b)->id); }

static size_t find(const Import *im, const char *id) {
  size_t lo = 0, hi = im->nids;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(im->ids[mid], id);
    if (!c) return mid;
    if (c < 0) lo = mid + 1; else hi = mid;
  }
  return SIZE_MAX;
}

/* metadata.renews as links between the imported exemptions. The compiler refuses a
 * cycle, which Azure's free-form metadata can hold: a link that would close one is
 * dropped (and said in a comment), each walk bounded by the number of exemptions. */
static void renewals(const Import *im, Item *it, size_t n) {
  for (size_t i = 0; i < n; i++) it[i].renews = SIZE_MAX;
  for (size_t i = 0; i < n; i++) {
    if (!it[i].e->renews) continue;
    Buf rid = {0};
    audit_az_name_to_id(it[i].e->renews, &rid);
    size_t j = find(im, rid.p), x = j, steps = 0;
    buf_free(&rid);
    while (x < n && x != i && steps++ < n) x = it[x].renews;
    if (j < n && j != i && x != i) it[i].renews = j;
  }
}

/* Generates the source. Returns 0, or -1 after saying why. */
static int generate(Import *im, const AuditAzList *l, const char *policy, Buf *src) {
  Item *it = xmalloc(sizeof *it * (l->n + 1));
  int rc = 0;
  for (size_t i = 0; i < l->n; i++) {
    Buf id = {0};
    audit_az_name_to_id(l->v[i].name, &id);
    it[i] = (Item){id.p, &l->v[i], SIZE_MAX};
  }
  if (l->n) qsort(it, l->n, sizeof *it, cmp_item);
  im->ids = xmalloc(sizeof *im->ids * (l->n + 1));
  for (size_t i = 0; i < l->n; i++) {
    im->ids[im->nids++] = it[i].id;
    if (i && !strcmp(it[i].id, it[i - 1].id)) {
      fprintf(stderr, "aigwc import: two exemptions are named %s (%s and %s): an id names one exemption\n"
                      "  help: Azure names are unique within a scope only; import the scopes separately or rename one\n",
              it[i].e->name, it[i - 1].e->scope, it[i].e->scope);
      rc = -1;
    }
  }
  renewals(im, it, l->n);
  Buf body = {0};
  for (size_t i = 0; i < l->n && !rc; i++)
    exemption(im, it[i].e, it[i].id, it[i].renews < l->n ? it[it[i].renews].id : NULL, &body);
  buf_puts(src, "# Azure Policy exemptions, imported by `aigwc import azure` (docs/azure.md). Compile\n"
                "# them with the policies that declare the input schema and the mapped guardrails.\n");
  buf_printf(src, "policy %s\n\n", policy);
  for (size_t i = 0; i < im->nph; i++) {
    const Placeholder *p = &im->ph[i];
    buf_puts(src, "# Unmapped: the mapping file names no guardrail for this policy assignment");
    buf_puts(src, p->ref ? " reference.\n" : ".\n");
    buf_puts(src, "# This placeholder never fires, so the exemptions that waive it waive nothing: map\n"
                  "# the assignment to a guardrail (docs/azure.md) and import again.\n");
    buf_printf(src, "guardrail %s {\n  mode dry-run\n  audit when false\n  message ", p->name);
    Buf m = {0};
    buf_printf(&m, AUDIT_AZ_UNMAPPED_MESSAGE "%s", p->assignment);
    if (p->ref) buf_printf(&m, AUDIT_AZ_UNMAPPED_REF "%s", p->ref);
    src_str(im, src, m.p, 1);
    buf_free(&m);
    buf_puts(src, "\n}\n\n");
  }
  buf_put(src, body.p, body.n);
  buf_free(&body);
  xfree(it);
  if (!rc && im->too_long) {
    fprintf(stderr, "aigwc import: a string is too long for the language (limit is %d bytes)\n", AUDIT_AZ_MAX_TEXT);
    rc = -1;
  }
  if (!rc && im->too_many) {
    fprintf(stderr, "aigwc import: an exemption waives too many guardrails or lists too many controls (limit is %d)\n", AUDIT_AZ_MAX_LIST);
    rc = -1;
  }
  return rc;
}

/* Parses the generated text and formats it: the output is what `aigwc fmt` prints. */
static int format(const Buf *src, Buf *out) {
  DiagSink d;
  diag_init(&d);
  Arena a;
  arena_init(&a);
  int rc = -1;
  int file = diag_add_source(&d, "<import>", xstrndup(src->p ? src->p : "", src->n), (uint32_t)src->n);
  AstFile *f = parse_file(&d, file, &a, 1);
  if (!d.errors && fmt_file(&d, f, out) == 0 && fmt_verify(&d, f, out->p, out->n) == 0) rc = 0;
  if (rc) {
    fprintf(stderr, "aigwc import: internal error: the generated source does not format\n");
    diag_print(&d, stderr);
  }
  arena_free(&a);
  diag_free(&d);
  return rc;
}

static int valid_policy(const char *s) {
  for (const char *p = s;; ) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (!audit_az_valid_id(p, n)) return 0;
    if (!dot) return 1;
    p = dot + 1;
  }
}

int cmd_import(int argc, char **argv) {
  const char *map_path = NULL, *policy = "azure.exemptions", *out_path = NULL;
  char **files = argv + 1;
  int nfiles = 0, have_kind = 0;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(o, "--map") && v) { map_path = v; i++; }
    else if (!strcmp(o, "--policy") && v) { policy = v; i++; }
    else if (!strcmp(o, "-o") && v) { out_path = v; i++; }
    else if (o[0] == '-' && o[1]) return cli_usage_error("import", "unknown or incomplete option '%s'", o);
    else if (!have_kind) {
      if (strcmp(o, "azure")) return cli_usage_error("import", "unknown source '%s' (aigwc import azure FILE...)", o);
      have_kind = 1;
    } else files[nfiles++] = argv[i];
  }
  if (!have_kind) return cli_usage_error("import", "say what to import: aigwc import azure FILE...");
  if (!nfiles) return cli_usage_error("import", "no FILE (give every page of the listing, or '-' for standard input)");
  if (!valid_policy(policy)) return cli_usage_error("import", "--policy '%s' is not a dotted name such as azure.exemptions", policy);
  for (int i = 0; i < nfiles; i++)
    if (!strcmp(files[i], "-") && nfiles > 1) return cli_usage_error("import", "'-' (standard input) must be the only FILE");
  AuditAzMap map;
  Buf err = {0};
  if (audit_azmap_load(&map, map_path, &err)) {
    fprintf(stderr, "aigwc import: %s\n", err.p);
    buf_free(&err);
    return EXIT_USAGE;
  }
  AuditAzList l = {0};
  char *next = NULL;
  int rc = EXIT_OK;
  for (int i = 0; i < nfiles && rc == EXIT_OK; i++) {
    char *text;
    size_t len;
    const char *name = strcmp(files[i], "-") ? files[i] : "<stdin>";
    if (read_file(files[i], &text, &len, AUDIT_AZ_MAX_FILE) != 0) {
      fprintf(stderr, "aigwc import: %s: %s\n", name, errno == EFBIG ? "larger than 256 MiB" : strerror(errno));
      rc = EXIT_USAGE;
      break;
    }
    if (audit_az_read(&l, text, len, name, &next, &err)) {
      fprintf(stderr, "aigwc import: %s\n", err.p);
      rc = EXIT_USAGE;
    }
    xfree(text);
  }
  if (rc == EXIT_OK && next) {
    fprintf(stderr, "aigwc import: %s: the listing goes on (its last page has a nextLink); nothing imported\n"
                    "  help: fetch every page and give them all, in order\n", files[nfiles - 1]);
    rc = EXIT_USAGE;
  }
  Import im = {&map, NULL, 0, NULL, 0, 0, 0};
  Buf src = {0}, out = {0};
  if (rc == EXIT_OK && (generate(&im, &l, policy, &src) || format(&src, &out))) rc = EXIT_USAGE;
  if (rc == EXIT_OK) {
    FILE *f = out_path ? fopen(out_path, "wb") : stdout;
    int to_stdout = f == stdout;
    if (!f || fwrite(out.p ? out.p : "", 1, out.n, f) != out.n || (!to_stdout && fclose(f) != 0) || (to_stdout && fflush(stdout) != 0)) {
      fprintf(stderr, "aigwc import: cannot write %s: %s\n", out_path ? out_path : "standard output", strerror(errno));
      rc = EXIT_USAGE;
    }
    if (rc == EXIT_OK && im.nph)
      fprintf(stderr, "aigwc import: %zu placeholder guardrail%s for what the mapping file does not name, such as %s\n",
              im.nph, im.nph == 1 ? "" : "s", im.ph[0].name);
  }
  for (size_t i = 0; i < im.nph; i++) { xfree(im.ph[i].name); xfree(im.ph[i].assignment); xfree(im.ph[i].ref); }
  xfree(im.ph);
  for (size_t i = 0; i < im.nids; i++) xfree(im.ids[i]);
  xfree(im.ids);
  xfree(next);
  buf_free(&src); buf_free(&out); buf_free(&err);
  audit_az_list_free(&l);
  audit_azmap_free(&map);
  return rc;
}
