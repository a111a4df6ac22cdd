/* Input for eval and explain (docs/input.md): one JSON document, or JSON Lines.
 *
 * The input is JSON Lines when its first non-blank line ends with '}': each line is then
 * one record, read and decided as it arrives, so memory stays constant whatever the
 * input's length, and record N answers line N. A blank line between records is a record
 * too (an error), so that the alignment holds; blank lines at the end are not. Any other
 * input is one document, which may span lines; it is read whole and never re-read line
 * by line, so a broken document cannot turn into several requests. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

enum { DOC_LIMIT = 64 << 20 };   /* bytes of a multi-line document */

static int blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
  return 1;
}

static int ends_with_brace(const char *s, size_t n) {
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
  return n && s[n - 1] == '}';
}

int cli_each_input(FILE *in, const char *name, cli_record_fn fn, void *ud) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  unsigned lineno = 0, pending = 0;
  int rc = 0, mode = 0;               /* 0 not yet known, 1 JSON Lines, 2 one document */
  while ((n = getline(&line, &cap, in)) >= 0) {
    lineno++;
    if (blank(line, (size_t)n)) { pending++; continue; }
    if (!mode) mode = ends_with_brace(line, (size_t)n) ? 1 : 2;
    if (mode == 2) {
      /* one document from here to the end */
      size_t len = (size_t)n, dcap = len + 4096;
      char *doc = malloc(dcap);
      if (!doc) { free(line); fprintf(stderr, "aigwc: out of memory\n"); return EXIT_USAGE; }
      memcpy(doc, line, len);
      while ((n = getline(&line, &cap, in)) >= 0) {
        if (len + (size_t)n > DOC_LIMIT) {
          free(doc); free(line);
          fprintf(stderr, "aigwc: %s: a JSON document over %d bytes; give JSON Lines instead\n", name, DOC_LIMIT);
          return EXIT_USAGE;
        }
        if (len + (size_t)n > dcap) {
          dcap = (len + (size_t)n) * 2;
          char *d2 = realloc(doc, dcap);
          if (!d2) { free(doc); free(line); fprintf(stderr, "aigwc: out of memory\n"); return EXIT_USAGE; }
          doc = d2;
        }
        memcpy(doc + len, line, (size_t)n);
        len += (size_t)n;
      }
      rc |= fn(ud, doc, len, lineno);
      free(doc);
      break;
    }
    for (; pending; pending--) rc |= fn(ud, "", 0, lineno - pending);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    rc |= fn(ud, line, (size_t)n, lineno);
  }
  int bad = ferror(in);
  free(line);
  if (bad) { fprintf(stderr, "aigwc: %s: read error\n", name); return EXIT_USAGE; }
  if (!mode) { fprintf(stderr, "aigwc: %s: no input (only blank lines)\n", name); return EXIT_USAGE; }
  return rc;
}
