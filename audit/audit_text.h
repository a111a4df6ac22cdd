/* Reports as rows of cells, built once and rendered as an 80-column text table or as
 * Markdown: the two human formats cannot disagree on what a report holds. */
#ifndef AIGW_AUDIT_TEXT_H
#define AIGW_AUDIT_TEXT_H
#include <stddef.h>
#include "util.h"

enum {
  RCOL_FLEX = 1,     /* may be cut (with …) so that the table fits */
  RCOL_MIDDLE = 2,   /* cut in the middle, keeping both ends (scopes) */
  RCOL_DETAIL = 4,   /* text: on the row's second line, after its label; Markdown: a column */
  RCOL_STATUS = 8,   /* coloured by the row's status on a terminal */
  RCOL_RIGHT = 16,   /* right-aligned (numbers) */
  RCOL_ALONE = 32,   /* a detail on a line of its own (its label first, when it has one) */
  RCOL_NOTEXT = 64,  /* Markdown only */
  RCOL_NOMD = 128    /* text only */
};
typedef struct RCol { const char *head; const char *label; unsigned flags; } RCol;

typedef struct RTable {
  const RCol *cols;
  size_t ncols, nrows, ncells, cap;
  Buf text;          /* every cell's text, each NUL-terminated, already made printable */
  size_t *cell;      /* offsets into text, row-major */
  int *color;        /* per row: a status (AuditStatus) to colour, or -1 */
} RTable;

void rtab_init(RTable *t, const RCol *cols, size_t ncols);
void rtab_free(RTable *t);
void rtab_row(RTable *t, int color);
/* Appends the next cell of the current row: control characters become spaces or '?',
 * invalid UTF-8 becomes '?', so no cell can move a terminal's cursor. */
void rtab_cell(RTable *t, const char *s);
void rtab_cellf(RTable *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *rtab_at(const RTable *t, size_t row, size_t col);

/* Where a report goes: an 80-column terminal or Markdown. */
typedef struct RSink RSink;
struct RSink {
  void (*title)(RSink *s, const char *text);      /* the report's first line */
  void (*heading)(RSink *s, const char *text);    /* a section */
  void (*line)(RSink *s, const char *text);       /* a sentence */
  void (*table)(RSink *s, const RTable *t);
  void (*fold)(RSink *s, const char *summary);    /* a section that may be folded away (Markdown) */
  void (*end)(RSink *s);
  Buf *out;
  int color;
  int folded;
};
void rsink_text(RSink *s, Buf *out, int color);
void rsink_markdown(RSink *s, Buf *out);

/* Appends s made printable: tab and line breaks become spaces, other control
 * characters and invalid UTF-8 become '?'. */
void rtext_clean(Buf *out, const char *s);
/* Display columns of UTF-8 text (one per code point). */
size_t rtext_width(const char *s);
/* Appends s cut to at most w columns, with … where text was cut (in the middle when
 * middle is set); returns the columns written. */
size_t rtext_cut(Buf *out, const char *s, size_t w, int middle);

#endif
