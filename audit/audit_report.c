/* The human report (text table or Markdown): the portfolio summary, then every
 * exemption. Built once as tables; audit_text.c and audit_markdown.c lay it out. */
#include <string.h>
#include "audit.h"
#include "audit_text.h"

/* "15 days", "36 hours", "90 minutes", "45 seconds": the largest unit that divides */
static void fmt_window(Buf *out, int64_t s) {
  static const struct { int64_t secs; const char *unit; } u[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
  for (size_t i = 0; i < 4; i++)
    if (s % u[i].secs == 0 || i == 3) {
      long long v = (long long)(s / u[i].secs);
      buf_printf(out, "%lld %s%s", v, u[i].unit, v == 1 ? "" : "s");
      return;
    }
}

static void days_cell(RTable *t, int64_t d) {
  char tmp[32];
  audit_fmt_days(tmp, sizeof tmp, d);
  rtab_cell(t, tmp);
}

static void owners(const Audit *a, RSink *s) {
  static const RCol cols[] = {{"Owner", "", RCOL_FLEX}, {"Total", "", RCOL_RIGHT}, {"Active", "", RCOL_RIGHT},
                              {"Expiring", "", RCOL_RIGHT}, {"Expired", "", RCOL_RIGHT}, {"Not started", "", RCOL_RIGHT}};
  if (!a->nowners) return;
  RTable t;
  rtab_init(&t, cols, 6);
  size_t n = a->nowners < AUDIT_TOP_OWNERS ? a->nowners : AUDIT_TOP_OWNERS;
  for (size_t i = 0; i < n; i++) {
    const AuditOwner *o = &a->owners[i];
    rtab_row(&t, -1);
    rtab_cell(&t, o->owner);
    rtab_cellf(&t, "%zu", o->total);
    for (int k = 0; k < AUDIT_NSTATUS; k++) rtab_cellf(&t, "%zu", o->by[k]);
  }
  s->heading(s, "By owner, most exemptions first");
  s->table(s, &t);
  rtab_free(&t);
  if (a->nowners > n) {
    Buf b = {0};
    buf_printf(&b, "... and %zu more owners (--format json or csv lists every one)", a->nowners - n);
    s->line(s, b.p);
    buf_free(&b);
  }
}

static void guardrails(const Audit *a, RSink *s) {
  static const RCol cols[] = {{"Guardrail", "", RCOL_FLEX}, {"In force", "", RCOL_RIGHT}, {"Scopes", "", RCOL_RIGHT},
                              {"Subscriptions", "", RCOL_RIGHT}, {"Widest", "", 0}};
  if (!a->nguards) return;
  RTable t;
  rtab_init(&t, cols, 5);
  size_t n = a->nguards < AUDIT_TOP ? a->nguards : AUDIT_TOP;
  for (size_t i = 0; i < n; i++) {
    const AuditGuard *g = &a->guards[i];
    rtab_row(&t, -1);
    rtab_cell(&t, g->name);
    rtab_cellf(&t, "%zu", g->in_force);
    rtab_cellf(&t, "%zu", g->scopes);
    if (a->nsubs) rtab_cellf(&t, "%zu of %zu (%zu%%)", g->subs, a->nsubs, (g->subs * 100 + a->nsubs / 2) / a->nsubs);
    else rtab_cell(&t, "-");
    rtab_cell(&t, g->widest ? audit_broad_label[g->widest] : "-");
  }
  s->heading(s, "Most exempted guardrails (exemptions in force)");
  s->table(s, &t);
  rtab_free(&t);
}

static void oldest(const Audit *a, RSink *s) {
  static const RCol cols[] = {{"Exemption", "", RCOL_FLEX}, {"Age", "", RCOL_RIGHT}, {"Left", "", RCOL_RIGHT},
                              {"Owner", "", RCOL_FLEX}};
  if (!a->noldest) return;
  RTable t;
  rtab_init(&t, cols, 4);
  for (size_t i = 0; i < a->noldest && i < AUDIT_TOP; i++) {
    const AuditEx *e = &a->ex[a->oldest[i]];
    rtab_row(&t, -1);
    rtab_cell(&t, e->info.id);
    days_cell(&t, e->age_days);
    days_cell(&t, e->days_left);
    rtab_cell(&t, e->info.owner);
  }
  s->heading(s, "Oldest in force");
  s->table(s, &t);
  rtab_free(&t);
}

static void chains(const Audit *a, RSink *s) {
  static const RCol cols[] = {{"Chain, newest first", "", RCOL_FLEX}, {"Length", "", RCOL_RIGHT},
                              {"First created", "", 0}, {"Status", "", RCOL_STATUS}};
  if (!a->nchains) return;
  RTable t;
  rtab_init(&t, cols, 4);
  for (size_t i = 0; i < a->nchains && i < AUDIT_TOP; i++) {
    const AuditEx *e = &a->ex[a->chains[i]];
    Buf b = {0};
    size_t x = a->chains[i];
    for (size_t k = 0; k < e->chain && x < a->n; k++, x = a->ex[x].info.renews) {
      if (k) buf_puts(&b, " <- ");
      buf_puts(&b, a->ex[x].info.id);
    }
    char d[16];
    audit_fmt_date(d, sizeof d, e->chain_created);
    rtab_row(&t, (int)e->status);
    rtab_cell(&t, b.p);
    rtab_cellf(&t, "%zu", e->chain);
    rtab_cell(&t, *d ? d : "-");
    rtab_cell(&t, audit_status_label[e->status]);
    buf_free(&b);
  }
  s->heading(s, "Longest renewal chains");
  s->table(s, &t);
  rtab_free(&t);
}

static void broad(const Audit *a, RSink *s) {
  static const RCol cols[] = {{"Exemption", "", RCOL_FLEX}, {"Broad", "", 0}, {"Status", "", RCOL_STATUS},
                              {"Scope", "", RCOL_FLEX | RCOL_MIDDLE}};
  if (!a->nbroad) return;
  RTable t;
  rtab_init(&t, cols, 4);
  size_t n = a->nbroad < AUDIT_TOP_OWNERS ? a->nbroad : AUDIT_TOP_OWNERS;
  for (size_t i = 0; i < n; i++) {
    const AuditEx *e = &a->ex[a->broad[i]];
    rtab_row(&t, (int)e->status);
    rtab_cell(&t, e->info.id);
    rtab_cell(&t, audit_broad_label[e->broad]);
    rtab_cell(&t, audit_status_label[e->status]);
    rtab_cell(&t, e->info.scope ? e->info.scope : "/");
  }
  s->heading(s, "Broad scopes (not expired)");
  s->table(s, &t);
  rtab_free(&t);
  if (a->nbroad > n) {
    Buf b = {0};
    buf_printf(&b, "... and %zu more (--format json or csv lists every one)", a->nbroad - n);
    s->line(s, b.p);
    buf_free(&b);
  }
}

static void expiring_owners(const Audit *a, RSink *s) {
  static const RCol cols[] = {{"Owner", "", RCOL_FLEX}, {"Expiring", "", RCOL_RIGHT}, {"Exemptions", "", RCOL_FLEX}};
  if (!a->nexpiring_owners) return;
  RTable t;
  rtab_init(&t, cols, 3);
  for (size_t i = 0; i < a->nexpiring_owners && i < AUDIT_TOP; i++) {
    const AuditOwner *o = &a->owners[a->expiring_owners[i]];
    Buf ids = {0};
    for (size_t k = 0; k < a->n; k++) {
      const AuditEx *e = &a->ex[a->order[k]];
      if (e->status != AUDIT_EXPIRING || strcmp(e->info.owner, o->owner)) continue;
      if (ids.n) buf_puts(&ids, ", ");
      buf_puts(&ids, e->info.id);
    }
    rtab_row(&t, -1);
    rtab_cell(&t, o->owner);
    rtab_cellf(&t, "%zu", o->by[AUDIT_EXPIRING]);
    rtab_cell(&t, ids.p ? ids.p : "");
    buf_free(&ids);
  }
  Buf h = {0};
  buf_puts(&h, "Owners with the most expiring within ");
  fmt_window(&h, a->within);
  s->heading(s, h.p);
  buf_free(&h);
  s->table(s, &t);
  rtab_free(&t);
}

static const RCol listing_cols[] = {
  {"Exemption", "", RCOL_FLEX}, {"Status", "", RCOL_STATUS}, {"Left", "", RCOL_RIGHT},
  {"Age", "", RCOL_RIGHT}, {"Life", "", RCOL_RIGHT}, {"Category", "", 0}, {"Owner", "", RCOL_FLEX},
  {"Scope (depth)", "", RCOL_DETAIL | RCOL_ALONE | RCOL_MIDDLE | RCOL_NOMD},
  {"Scope", "", RCOL_DETAIL | RCOL_NOTEXT}, {"Depth", "", RCOL_DETAIL | RCOL_NOTEXT | RCOL_RIGHT},
  {"Waives", "waives", RCOL_DETAIL}, {"Expires", "expires", RCOL_DETAIL}, {"Controls", "controls", RCOL_DETAIL},
  {"Ticket", "ticket", RCOL_DETAIL}, {"Renews", "renews", RCOL_DETAIL}, {"Chain", "chain", RCOL_DETAIL},
};

static void listing_row(const Audit *a, RTable *t, const AuditEx *e) {
  rtab_row(t, (int)e->status);
  rtab_cell(t, e->info.id);
  rtab_cell(t, audit_status_label[e->status]);
  days_cell(t, e->days_left);
  days_cell(t, e->age_days);
  days_cell(t, e->lifetime_days);
  rtab_cell(t, e->info.category);
  rtab_cell(t, e->info.owner);
  const char *scope = e->info.scope ? e->info.scope : "/";
  rtab_cellf(t, "%s (depth %u)", scope, e->info.scope_depth);
  rtab_cell(t, scope);
  rtab_cellf(t, "%u", e->info.scope_depth);
  Buf g = {0};
  audit_fmt_guardrails(&g, e);
  rtab_cell(t, g.p ? g.p : "");
  buf_free(&g);
  rtab_cell(t, e->info.expires_text ? e->info.expires_text : "");
  if (e->info.ncontrols) rtab_cellf(t, "%zu", e->info.ncontrols); else rtab_cell(t, "");
  rtab_cell(t, e->info.ticket ? e->info.ticket : "");
  rtab_cell(t, e->info.renews < a->n ? a->ex[e->info.renews].info.id : "");
  if (e->chain > 1) rtab_cellf(t, "%zu", e->chain); else rtab_cell(t, "");
}

static void listing(const Audit *a, RSink *s) {
  enum { NCOLS = sizeof listing_cols / sizeof listing_cols[0] };
  Buf h = {0};
  buf_printf(&h, "All %zu exemptions, soonest expiry first", a->n);
  if (a->group_by != AUDIT_BY_NONE) buf_printf(&h, ", by %s", audit_group_name[a->group_by]);
  s->fold(s, h.p);
  if (a->group_by == AUDIT_BY_NONE) {
    RTable t;
    rtab_init(&t, listing_cols, NCOLS);
    for (size_t i = 0; i < a->n; i++) listing_row(a, &t, &a->ex[a->order[i]]);
    s->table(s, &t);
    rtab_free(&t);
  }
  for (size_t gi = 0; gi < a->ngroups; gi++) {
    const AuditGroup *g = &a->groups[gi];
    h.n = 0;
    buf_printf(&h, "%s %s: ", audit_group_name[a->group_by], g->key);
    audit_fmt_counts(&h, g->by, g->n);
    s->heading(s, h.p);
    RTable t;
    rtab_init(&t, listing_cols, NCOLS);
    for (size_t i = 0; i < g->n; i++) listing_row(a, &t, &a->ex[g->ex[i]]);
    s->table(s, &t);
    rtab_free(&t);
  }
  buf_free(&h);
}

static void report(const Audit *a, RSink *s) {
  char now[40];
  aigw_format_time(now, sizeof now, a->now);
  Buf b = {0};
  buf_printf(&b, "Exemption audit at %s, expiring meaning within ", now);
  fmt_window(&b, a->within);
  s->title(s, b.p);
  b.n = 0;
  audit_fmt_counts(&b, a->count, a->n);
  if (a->never) buf_printf(&b, "; %zu never expire%s", a->never, a->never == 1 ? "s" : "");
  s->line(s, b.p);
  buf_free(&b);
  owners(a, s);
  guardrails(a, s);
  oldest(a, s);
  chains(a, s);
  broad(a, s);
  expiring_owners(a, s);
  if (a->n) listing(a, s);
  s->end(s);
}

void audit_write_table(const Audit *a, Buf *out, int color) {
  RSink s;
  rsink_text(&s, out, color);
  report(a, &s);
}

void audit_write_markdown(const Audit *a, Buf *out) {
  RSink s;
  rsink_markdown(&s, out);
  report(a, &s);
}
