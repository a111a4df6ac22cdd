#include "timefmt.h"
#include <stdio.h>

/* Howard Hinnant's days_from_civil and civil_from_days: exact for the whole proleptic
 * Gregorian calendar, and short enough that timegm() (not standard C) is not missed. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* count decimal digits at s[at], within n; -1 if any is missing or not a digit */
static int digits(const char *s, size_t n, size_t at, int count, int *out) {
  if (at + (size_t)count > n) return -1;
  int v = 0;
  for (int i = 0; i < count; i++) {
    char ch = s[at + (size_t)i];
    if (ch < '0' || ch > '9') return -1;
    v = v * 10 + (ch - '0');
  }
  *out = v;
  return 0;
}

/* The date at the start of s (at least 10 bytes), validated. */
static int date_at(const char *s, size_t n, int64_t *day) {
  int y, m, d;
  if (digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || digits(s, n, 5, 2, &m) || s[7] != '-' ||
      digits(s, n, 8, 2, &d))
    return -1;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap)) return -1;
  *day = days_from_civil(y, m, d);
  return 0;
}

int rt_parse_date(const char *s, size_t n, int64_t *secs) {
  int64_t day;
  if (n != 10 || date_at(s, n, &day)) return -1;
  *secs = day * 86400;
  return 0;
}

int rt_parse_time(const char *s, size_t n, int space_ok, int64_t *secs) {
  int64_t day;
  int h, mi, se;
  if (n < 19 || date_at(s, n, &day) || (s[10] != 'T' && s[10] != 't' && !(space_ok && s[10] == ' ')) ||
      digits(s, n, 11, 2, &h) || s[13] != ':' || digits(s, n, 14, 2, &mi) || s[16] != ':' ||
      digits(s, n, 17, 2, &se) || h > 23 || mi > 59 || se > 60)
    return -1;
  size_t i = 19;
  if (i < n && s[i] == '.') {
    if (++i == n || s[i] < '0' || s[i] > '9') return -1;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  }
  int64_t off = 0;
  if (i < n && (s[i] == 'Z' || s[i] == 'z')) i++;
  else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (digits(s, n, i + 1, 2, &oh) || i + 3 >= n || s[i + 3] != ':' || digits(s, n, i + 4, 2, &om) ||
        oh > 23 || om > 59)
      return -1;
    off = (s[i] == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
    i += 6;
  } else return -1;
  if (i != n) return -1;
  *secs = day * 86400 + h * 3600 + mi * 60 + se - off;
  return 0;
}

size_t rt_fmt_time(char *out, int64_t t) {
  int64_t z = t / 86400, s = t % 86400;
  if (s < 0) { s += 86400; z--; }
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  int n = snprintf(out, 40, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, (int)m, (int)d,
                   (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
  return n < 0 ? 0 : (size_t)n;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* The year and month of day z (days since 1970-01-01), as civil_from_days gives them. */
static void year_month(int64_t z, int64_t *y, int *m) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

void rt_window(int64_t now, int64_t len, int align, int sliding, int64_t *start, int64_t *end) {
  if (align == RT_ALIGN_MONTH) {
    int64_t y;
    int m;
    year_month(floor_div(now, 86400), &y, &m);
    *start = days_from_civil(y, m, 1) * 86400;
    *end = (m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1)) * 86400;
    return;
  }
  if (len <= 0) len = 1;
  if (sliding) { *start = now - len; *end = now; return; }
  /* 1970-01-01 was a Thursday: the first Monday is 1970-01-05, 4 days later */
  int64_t shift = align == RT_ALIGN_WEEK ? 4 * 86400 : 0;
  *start = floor_div(now - shift, len) * len + shift;
  *end = *start + len;
}
