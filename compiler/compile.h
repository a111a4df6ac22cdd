/* The compiler's entry point: every source already loaded into the DiagSink is parsed,
 * resolved, type checked, lowered and emitted as one bundle. */
#ifndef AIGW_COMPILE_H
#define AIGW_COMPILE_H
#include <stdint.h>
#include "diag.h"
#include "util.h"

typedef struct CompileOpts {
  int64_t now;             /* for lint-style warnings only; never baked into the bundle */
  int warn_as_error;
} CompileOpts;

/* Returns 0 and the bundle bytes in out, or -1 with diagnostics in d. */
int compile_bundle(DiagSink *d, const CompileOpts *o, Buf *out);

#endif
