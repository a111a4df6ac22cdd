/* Small helpers shared by the compiler side (not by libaigw, which takes the host's
 * allocator): checked allocation, growable byte buffers, edit distance. */
#ifndef AIGW_UTIL_H
#define AIGW_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

/* Allocation failure hook: tests set a countdown so the Nth allocation fails. */
extern long util_fail_countdown;
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
void *xcalloc(size_t n, size_t m);
void  xfree(void *p);
char *xstrndup(const char *s, size_t n);

typedef struct Buf { char *p; size_t n, cap; } Buf;
void buf_put(Buf *b, const void *p, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_putc(Buf *b, char c);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *b, const char *fmt, va_list ap);
void buf_free(Buf *b);
/* JSON string with quotes and escapes */
void buf_json_str(Buf *b, const char *s, size_t n);

/* Levenshtein distance, capped: returns cap+1 when larger, so "did you mean" stays cheap. */
int edit_distance(const char *a, size_t na, const char *b, size_t nb, int cap);

/* Read a whole file; returns 0 and sets out and len (NUL-terminated) or -1 with errno. */
int read_file(const char *path, char **out, size_t *len, size_t limit);

#endif
