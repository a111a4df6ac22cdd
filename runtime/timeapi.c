/* The runtime's own time forms, offered to tools through aigw.h: a tool that reads
 * times from elsewhere (an Azure export, a live ARM listing) must parse them exactly as
 * the compiler and --now do, and print them as decisions do, never by a copy. */
#include "aigw.h"
#include "timefmt.h"

aigw_status aigw_parse_time(const char *s, size_t n, int64_t *out) {
  if (!s || !out) return AIGW_ERR_ARG;
  return rt_parse_date(s, n, out) == 0 || rt_parse_time(s, n, 0, out) == 0 ? AIGW_OK : AIGW_ERR_INPUT;
}

size_t aigw_format_time(char *out, size_t cap, int64_t t) {
  char tmp[40];
  size_t n = rt_fmt_time(tmp, t);
  if (!out || cap <= n) return 0;
  for (size_t i = 0; i <= n; i++) out[i] = tmp[i];
  return n;
}
