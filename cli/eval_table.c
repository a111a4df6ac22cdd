/* aigwc eval --format table: one aligned line per decision, for people. What fired,
 * what waived it and until when, where the request goes; colour only on a terminal and
 * never with NO_COLOR set (no-color.org). JSON stays the format for programs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "aigw.h"
#include "cli.h"
#include "util.h"

enum { W_FIRED = 28, W_WAIVED = 46 };

int cli_use_color(FILE *f) {
  const char *nc = getenv("NO_COLOR");
  return (!nc || !*nc) && isatty(fileno(f));
}

/* s padded or cut (with "…") to w columns; s is ASCII but for the ellipsis */
static void cell(Buf *o, const char *s, int w) {
  int n = (int)strlen(s);
  if (n > w) { buf_put(o, s, (size_t)(w - 1)); buf_puts(o, "\xe2\x80\xa6"); }
  else { buf_puts(o, s); for (; n < w; n++) buf_putc(o, ' '); }
  buf_putc(o, ' ');
}

void cli_table_header(Buf *o, int color) {
  buf_printf(o, "%s%-5s %-8s ", color ? "\x1b[1m" : "", "LINE", "DECISION");
  cell(o, "FIRED", W_FIRED);
  cell(o, "WAIVED", W_WAIVED);
  buf_printf(o, "ROUTE%s\n", color ? "\x1b[0m" : "");
}

static void names(aigw_ctx *c, aigw_list which, Buf *b) {
  for (size_t i = 0; i < aigw_count(c, which); i++) {
    aigw_finding f;
    if (aigw_get(c, which, i, &f) != AIGW_OK) continue;
    if (b->n) buf_puts(b, ", ");
    buf_puts(b, f.guardrail);
    if (which == AIGW_WAIVED) buf_printf(b, " by %s until %s", f.exemption, f.expires);
    if (which == AIGW_ERRORS) buf_puts(b, " (error)");
  }
}

void cli_table_row(Buf *o, aigw_ctx *c, unsigned line, const char *error, int color) {
  buf_printf(o, "%5u ", line);
  if (error) {
    buf_printf(o, "%s%-8s%s ", color ? "\x1b[31m" : "", "error", color ? "\x1b[0m" : "");
    buf_printf(o, "%s\n", error);
    return;
  }
  int deny = aigw_result(c) == AIGW_DENY;
  buf_printf(o, "%s%-8s%s ", color ? (deny ? "\x1b[31m" : "\x1b[32m") : "", deny ? "deny" : "allow", color ? "\x1b[0m" : "");
  Buf fired = {0}, waived = {0};
  names(c, AIGW_VIOLATIONS, &fired);
  names(c, AIGW_ERRORS, &fired);
  names(c, AIGW_WARNINGS, &fired);
  names(c, AIGW_WAIVED, &waived);
  cell(o, fired.n ? fired.p : "-", W_FIRED);
  cell(o, waived.n ? waived.p : "-", W_WAIVED);
  aigw_target t;
  if (aigw_route_count(c) && aigw_route_target(c, 0, &t) == AIGW_OK)
    buf_printf(o, "%s:%s%s%s%s\n", t.provider, t.model, t.region ? "@" : "", t.region ? t.region : "",
               aigw_route_count(c) > 1 ? " (+fallbacks)" : "");
  else buf_puts(o, "-\n");
  buf_free(&fired);
  buf_free(&waived);
}
