/* Shared by the commands that take policies: compile sources or load a bundle. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "aigw.h"
#include "bundle_io.h"
#include "cli.h"
#include "compile.h"

int cli_compile_paths(int npaths, char **paths, Buf *out, int quiet_ok) {
  char **files; int nfiles;
  int bad = cli_collect_sources(npaths, paths, &files, &nfiles);
  if (bad || !nfiles) {
    if (!nfiles && !bad) fprintf(stderr, "aigwc: no .aigw files found\n");
    cli_free_sources(files, nfiles);
    return EXIT_USAGE;
  }
  DiagSink d; diag_init(&d);
  int loaded = 1;
  for (int i = 0; i < nfiles; i++) if (diag_load_file(&d, files[i]) < 0) loaded = 0;
  int rc = EXIT_OK;
  if (!loaded || compile_bundle(&d, NULL, out) != 0) rc = EXIT_FINDINGS;
  if (rc || d.warnings || !quiet_ok) diag_print(&d, stderr);
  if (rc) fprintf(stderr, "aigwc: %d error%s\n", d.errors, d.errors == 1 ? "" : "s");
  diag_free(&d);
  cli_free_sources(files, nfiles);
  return rc;
}

int cli_read_bundle(const char *path, Buf *out) {
  char *data; size_t len;
  if (read_file(path, &data, &len, (size_t)UINT32_MAX) != 0) {
    fprintf(stderr, "aigwc: %s: %s\n", path, strerror(errno));
    return EXIT_USAGE;
  }
  out->p = data; out->n = len; out->cap = len + 1;
  return EXIT_OK;
}

const char cli_now_forms[] =
  "--now takes a date, 2026-11-22 (the start of that UTC day), an RFC 3339 timestamp, "
  "2026-11-22T09:30:00Z, or Unix seconds, 1795339800";

int cli_parse_now(const char *s, int64_t *now) {
  size_t n = strlen(s);
  if (aigw_parse_time(s, n, now) == AIGW_OK) return 0;   /* a date or an RFC 3339 timestamp */
  /* Unix seconds: digits after an optional sign, and nothing strtoll would forgive
   * (leading spaces, a value out of range) */
  const char *d = s + (*s == '-' || *s == '+');
  if (*d < '0' || *d > '9') return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end || errno == ERANGE) return -1;
  *now = v;
  return 0;
}
