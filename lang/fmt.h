/* The formatter: one canonical layout for a parsed file, every comment kept. */
#ifndef AIGW_FMT_H
#define AIGW_FMT_H
#include <stddef.h>
#include "ast.h"
#include "diag.h"

enum { FMT_WIDTH = 100 };   /* named limit: a set or list longer than this is split */

/* Formats f, which must have been parsed with keep_comments=1 and without errors,
 * appending the text to out. Returns 0, or -1 (reported to d) if a comment could not
 * be placed, which would be a formatter bug. */
int fmt_file(DiagSink *d, const AstFile *f, Buf *out);

/* The safety net before a file is rewritten: parses text and checks that it has the
 * same tree (positions aside) and the same comments as f. Returns 0 when it does,
 * else -1 with a diagnostic in d. */
int fmt_verify(DiagSink *d, const AstFile *f, const char *text, size_t n);

#endif
