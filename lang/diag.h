/* Sources and diagnostics. Locations are byte offsets into a source; line and column
 * are computed only when a diagnostic is printed, so tokens and nodes stay small. */
#ifndef AIGW_DIAG_H
#define AIGW_DIAG_H
#include <stdint.h>
#include <stdio.h>
#include "util.h"

enum { DIAG_MAX_FILE = 64u << 20 };   /* named limit: largest source file */
enum { DIAG_ERROR_CAP = 50 };         /* stop reporting after this many errors */

typedef struct Source {
  char *name;
  char *text;          /* NUL-terminated copy; the lexer relies on the sentinel */
  uint32_t len;
  uint32_t *lines;     /* offsets of line starts, built on first report */
  uint32_t nlines;
} Source;

typedef enum { DIAG_ERR, DIAG_WARN, DIAG_NOTE } DiagLevel;

typedef struct Diag {
  DiagLevel level;
  int file;            /* index into DiagSink.files, -1 for none */
  uint32_t off, len;
  char *msg;
  char *help;          /* "did you mean 'severity'?" or NULL */
} Diag;

typedef struct DiagSink {
  Source **files; int nfiles;
  Diag *items; int n, cap;
  int errors, warnings;
  int suppressed;      /* errors beyond DIAG_ERROR_CAP, counted not kept */
} DiagSink;

void diag_init(DiagSink *d);
void diag_free(DiagSink *d);
/* Takes ownership of text (NUL-terminated, len bytes); returns the file index. */
int  diag_add_source(DiagSink *d, const char *name, char *text, uint32_t len);
int  diag_load_file(DiagSink *d, const char *path);  /* -1 and an error on failure */
void diag_report(DiagSink *d, DiagLevel lv, int file, uint32_t off, uint32_t len,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Attach a help line ("did you mean …") to the last diagnostic. */
void diag_help(DiagSink *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int  diag_capped(const DiagSink *d);
void diag_linecol(DiagSink *d, int file, uint32_t off, uint32_t *line, uint32_t *col);
/* file:line:col: level: message, the source line, and a caret underline. */
void diag_print(DiagSink *d, FILE *out);
void diag_print_one(DiagSink *d, const Diag *g, Buf *out);

#endif
