/* Dates and times: one parser for the compiler's literals, the CLI's --now and input
 * fields, and one formatter for messages. UTC seconds since 1970-01-01. */
#ifndef AIGW_TIMEFMT_H
#define AIGW_TIMEFMT_H
#include <stddef.h>
#include <stdint.h>

/* YYYY-MM-DD, a day that exists, as the start of that day. 0, or -1 if malformed. */
int rt_parse_date(const char *s, size_t n, int64_t *secs);
/* RFC 3339: YYYY-MM-DD(T|t)HH:MM:SS[.frac](Z|z|±HH:MM); a leap second :60 is
 * accepted and fractions are dropped. space_ok also takes a space for the T, which
 * RFC 3339 allows for readability: input accepts it, source literals (one token, so
 * never with a space) and --now do not. 0, or -1 if malformed. */
int rt_parse_time(const char *s, size_t n, int space_ok, int64_t *secs);
/* RFC 3339 in UTC, "2026-12-31T00:00:00Z"; out holds 40 bytes. Returns the length. */
size_t rt_fmt_time(char *out, int64_t t);

/* A budget's window at now (docs/language.md §5.10): [start, end). A sliding window is
 * the last len seconds; a fixed one is aligned to the Unix epoch, to Mondays 00:00Z
 * (RT_ALIGN_WEEK) or to calendar months in UTC (RT_ALIGN_MONTH, whatever len is). The
 * align values are BBudget's (bundle.h). */
enum { RT_ALIGN_EPOCH = 0, RT_ALIGN_WEEK = 1, RT_ALIGN_MONTH = 2 };
void rt_window(int64_t now, int64_t len, int align, int sliding, int64_t *start, int64_t *end);

#endif
