#ifndef AIGW_BUNDLE_IO_H
#define AIGW_BUNDLE_IO_H
#include <stdint.h>
#include "lex.h"
#include "util.h"
/* Compile PATHs into out; diagnostics go to stderr. Returns an exit code. */
int cli_compile_paths(int npaths, char **paths, Buf *out, int quiet_ok);
int cli_read_bundle(const char *path, Buf *out);
/* --now: a date (start of that UTC day), an RFC 3339 timestamp, or Unix seconds. */
int cli_parse_now(const char *s, int64_t *now);
/* The help line for a bad --now: the forms it takes, each with an example. */
extern const char cli_now_forms[];
#endif
