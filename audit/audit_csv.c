/* The listing as CSV (RFC 4180: CRLF line ends, a field quoted when it holds a quote,
 * a comma or a line break, quotes doubled). One row per exemption, or per exemption
 * and group with --group-by (an exemption waiving two guardrails is in two groups). */
#include <string.h>
#include "audit.h"

/* RFC 4180 text holds no control characters but the line breaks of a quoted field:
 * a tab becomes a space, any other control character '?'. */
void audit_csv_field(Buf *o, const char *s) {
  if (!s) return;
  const unsigned char *p = (const unsigned char *)s;
  while (*p >= 0x20 && *p != 0x7f && *p != '"' && *p != ',') p++;
  if (!*p) { buf_put(o, s, (size_t)(p - (const unsigned char *)s)); return; }   /* the common case */
  int quote = strpbrk(s, "\",\r\n") != NULL;
  if (quote) buf_putc(o, '"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"') buf_putc(o, '"');
    if ((c < 0x20 && c != '\r' && c != '\n') || c == 0x7f) c = c == '\t' ? ' ' : '?';
    buf_putc(o, (char)c);
  }
  if (quote) buf_putc(o, '"');
}

static void field(Buf *o, const char *s, int first) {
  if (!first) buf_putc(o, ',');
  audit_csv_field(o, s);
}

static void num(Buf *o, int64_t v) {
  if (v == AUDIT_UNKNOWN || v == AUDIT_NEVER) { buf_putc(o, ','); return; }
  buf_printf(o, ",%lld", (long long)v);
}

static void time_field(Buf *o, int64_t t) {
  char s[40] = "";
  if (t != INT64_MIN && t != INT64_MAX) aigw_format_time(s, sizeof s, t);
  field(o, s, 0);
}

static const char header[] =
  "id,status,days_left,age_days,lifetime_days,owner,scope,scope_depth,broad,category,controls,"
  "ticket,renews,renewed_by,chain_length,guardrails,created,starts,expires,expires_at,reason,source";

static void row(const Audit *a, Buf *o, const char *group, const AuditEx *e) {
  const aigw_exemption_info *x = &e->info;
  if (group) { field(o, group, 1); field(o, x->id, 0); }
  else field(o, x->id, 1);
  field(o, audit_status_key[e->status], 0);
  num(o, e->days_left);
  num(o, e->age_days);
  num(o, e->lifetime_days);
  field(o, x->owner, 0);
  field(o, x->scope ? x->scope : "/", 0);
  buf_printf(o, ",%u", x->scope_depth);
  field(o, e->broad ? audit_broad_label[e->broad] : "", 0);
  field(o, x->category, 0);
  buf_printf(o, ",%zu", x->ncontrols);
  field(o, x->ticket, 0);
  field(o, x->renews < a->n ? a->ex[x->renews].info.id : NULL, 0);
  field(o, e->renewed_by < a->n ? a->ex[e->renewed_by].info.id : NULL, 0);
  buf_printf(o, ",%zu", e->chain);
  Buf g = {0};
  for (size_t j = 0; j < x->nwaives; j++) { if (j) buf_putc(&g, ' '); buf_puts(&g, e->guardrails[j]); }
  field(o, g.p ? g.p : "", 0);
  buf_free(&g);
  time_field(o, x->created);
  time_field(o, x->starts);
  field(o, x->expires_text, 0);
  time_field(o, x->expires);
  field(o, x->reason, 0);
  Buf src = {0};
  if (x->loc.file) buf_printf(&src, "%s:%u", x->loc.file, x->loc.line);
  field(o, src.p ? src.p : "", 0);
  buf_free(&src);
  buf_puts(o, "\r\n");
}

void audit_write_csv(const Audit *a, Buf *out) {
  if (a->group_by != AUDIT_BY_NONE) buf_printf(out, "%s,", audit_group_name[a->group_by]);
  buf_puts(out, header);
  buf_puts(out, "\r\n");
  if (a->group_by == AUDIT_BY_NONE)
    for (size_t i = 0; i < a->n; i++) row(a, out, NULL, &a->ex[a->order[i]]);
  for (size_t gi = 0; gi < a->ngroups; gi++)
    for (size_t i = 0; i < a->groups[gi].n; i++) row(a, out, a->groups[gi].key, &a->ex[a->groups[gi].ex[i]]);
}
