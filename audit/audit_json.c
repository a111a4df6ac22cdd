/* The report as one JSON object (schema in docs/audit.md): fixed field order, every
 * list complete (the text report shows the top rows only), one exemption per line so
 * that a diff of two audits reads line by line. */
#include <string.h>
#include "audit.h"

static void str(Buf *o, const char *s) {
  if (!s) { buf_puts(o, "null"); return; }
  buf_json_str(o, s, strlen(s));
}
static void num(Buf *o, int64_t v) {
  if (v == AUDIT_UNKNOWN || v == AUDIT_NEVER) buf_puts(o, "null");
  else buf_printf(o, "%lld", (long long)v);
}
static void when(Buf *o, int64_t t) {
  char s[40];
  if (t == INT64_MIN || t == INT64_MAX || !aigw_format_time(s, sizeof s, t)) buf_puts(o, "null");
  else str(o, s);
}
static void counts(Buf *o, const size_t by[AUDIT_NSTATUS]) {
  buf_putc(o, '{');
  for (int s = 0; s < AUDIT_NSTATUS; s++) buf_printf(o, "%s\"%s\":%zu", s ? "," : "", audit_status_key[s], by[s]);
  buf_putc(o, '}');
}
static const char *id_of(const Audit *a, size_t i) { return i < a->n ? a->ex[i].info.id : NULL; }

static void exemption(const Audit *a, Buf *o, const AuditEx *e) {
  const aigw_exemption_info *x = &e->info;
  buf_puts(o, "{\"id\":"); str(o, x->id);
  buf_printf(o, ",\"status\":\"%s\",\"days_left\":", audit_status_key[e->status]); num(o, e->days_left);
  buf_puts(o, ",\"age_days\":"); num(o, e->age_days);
  buf_puts(o, ",\"lifetime_days\":"); num(o, e->lifetime_days);
  buf_puts(o, ",\"owner\":"); str(o, x->owner);
  buf_puts(o, ",\"scope\":"); str(o, x->scope ? x->scope : "/");
  buf_printf(o, ",\"scope_depth\":%u,\"broad\":", x->scope_depth);
  str(o, e->broad ? audit_broad_label[e->broad] : NULL);
  buf_puts(o, ",\"category\":"); str(o, x->category);
  buf_printf(o, ",\"controls\":%zu,\"ticket\":", x->ncontrols); str(o, x->ticket);
  buf_puts(o, ",\"renews\":"); str(o, id_of(a, x->renews));
  buf_puts(o, ",\"renewed_by\":"); str(o, id_of(a, e->renewed_by));
  buf_printf(o, ",\"chain_length\":%zu,\"guardrails\":[", e->chain);
  for (size_t j = 0; j < x->nwaives; j++) { if (j) buf_putc(o, ','); str(o, e->guardrails[j]); }
  buf_puts(o, "],\"created\":"); when(o, x->created);
  buf_puts(o, ",\"starts\":"); when(o, x->starts);
  buf_puts(o, ",\"expires\":"); str(o, x->expires_text);
  buf_puts(o, ",\"expires_at\":"); when(o, x->expires);
  buf_puts(o, ",\"reason\":"); str(o, x->reason);
  buf_puts(o, ",\"source\":");
  if (x->loc.file) {
    Buf s = {0};
    buf_printf(&s, "%s:%u", x->loc.file, x->loc.line);
    str(o, s.p);
    buf_free(&s);
  } else buf_puts(o, "null");
  buf_putc(o, '}');
}

static void summary(const Audit *a, Buf *o) {
  buf_printf(o, "\"summary\":{\"total\":%zu,\"status\":", a->n);
  counts(o, a->count);
  buf_printf(o, ",\"never_expire\":%zu,\"subscriptions\":%zu,\n\"owners\":[", a->never, a->nsubs);
  for (size_t i = 0; i < a->nowners; i++) {
    buf_puts(o, i ? ",\n {\"owner\":" : "\n {\"owner\":");
    str(o, a->owners[i].owner);
    buf_printf(o, ",\"total\":%zu,\"status\":", a->owners[i].total);
    counts(o, a->owners[i].by);
    buf_putc(o, '}');
  }
  buf_puts(o, "],\n\"guardrails\":[");
  for (size_t i = 0; i < a->nguards; i++) {
    const AuditGuard *g = &a->guards[i];
    buf_puts(o, i ? ",\n {\"guardrail\":" : "\n {\"guardrail\":");
    str(o, g->name);
    buf_printf(o, ",\"in_force\":%zu,\"scopes\":%zu,\"subscriptions\":%zu,\"widest\":", g->in_force, g->scopes, g->subs);
    str(o, g->widest ? audit_broad_label[g->widest] : NULL);
    buf_putc(o, '}');
  }
  buf_puts(o, "],\n\"oldest_in_force\":[");
  for (size_t i = 0; i < a->noldest; i++) {
    buf_puts(o, i ? "," : "");
    str(o, a->ex[a->oldest[i]].info.id);
  }
  buf_puts(o, "],\n\"longest_chains\":[");
  for (size_t i = 0; i < a->nchains; i++) {
    const AuditEx *e = &a->ex[a->chains[i]];
    buf_puts(o, i ? ",\n {\"chain\":[" : "\n {\"chain\":[");
    size_t x = a->chains[i];
    for (size_t k = 0; k < e->chain && x < a->n; k++, x = a->ex[x].info.renews) {
      if (k) buf_putc(o, ',');
      str(o, a->ex[x].info.id);
    }
    buf_printf(o, "],\"length\":%zu,\"first_created\":", e->chain);
    when(o, e->chain_created);
    buf_putc(o, '}');
  }
  buf_puts(o, "],\n\"broad\":[");
  for (size_t i = 0; i < a->nbroad; i++) {
    buf_puts(o, i ? "," : "");
    str(o, a->ex[a->broad[i]].info.id);
  }
  buf_puts(o, "],\n\"owners_expiring\":[");
  for (size_t i = 0; i < a->nexpiring_owners; i++) {
    const AuditOwner *ow = &a->owners[a->expiring_owners[i]];
    buf_puts(o, i ? ",\n {\"owner\":" : "\n {\"owner\":");
    str(o, ow->owner);
    buf_printf(o, ",\"expiring\":%zu,\"exemptions\":[", ow->by[AUDIT_EXPIRING]);
    int first = 1;
    for (size_t k = 0; k < a->n; k++) {
      const AuditEx *e = &a->ex[a->order[k]];
      if (e->status != AUDIT_EXPIRING || strcmp(e->info.owner, ow->owner)) continue;
      if (!first) buf_putc(o, ',');
      first = 0;
      str(o, e->info.id);
    }
    buf_puts(o, "]}");
  }
  buf_puts(o, "]}");
}

void audit_write_json(const Audit *a, Buf *out) {
  char now[40];
  aigw_format_time(now, sizeof now, a->now);
  buf_printf(out, "{\"now\":\"%s\",\"within_seconds\":%lld,\"bundle\":", now, (long long)a->within);
  str(out, aigw_bundle_id(a->b));
  buf_puts(out, ",\"group_by\":");
  str(out, a->group_by == AUDIT_BY_NONE ? NULL : audit_group_name[a->group_by]);
  buf_puts(out, ",\n");
  summary(a, out);
  buf_puts(out, ",\n\"exemptions\":[");
  for (size_t i = 0; i < a->n; i++) {
    buf_puts(out, i ? ",\n " : "\n ");
    exemption(a, out, &a->ex[a->order[i]]);
  }
  buf_puts(out, "]");
  if (a->group_by != AUDIT_BY_NONE) {
    buf_puts(out, ",\n\"groups\":[");
    for (size_t gi = 0; gi < a->ngroups; gi++) {
      const AuditGroup *g = &a->groups[gi];
      buf_puts(out, gi ? ",\n {\"key\":" : "\n {\"key\":");
      str(out, g->key);
      buf_printf(out, ",\"total\":%zu,\"status\":", g->n);
      counts(out, g->by);
      buf_puts(out, ",\"exemptions\":[");
      for (size_t i = 0; i < g->n; i++) { if (i) buf_putc(out, ','); str(out, a->ex[g->ex[i]].info.id); }
      buf_puts(out, "]}");
    }
    buf_puts(out, "]");
  }
  buf_puts(out, "}\n");
}
