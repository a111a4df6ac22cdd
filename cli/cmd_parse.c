/* aigwc parse: check syntax, optionally dump the tree (for golden tests). */
#include <string.h>
#include "astdump.h"
#include "cli.h"
#include "parse.h"

const char cmd_parse_summary[] = "check syntax; --ast prints the syntax tree";
const char cmd_parse_usage[] =
  "usage: aigwc parse [--ast] PATH...\n\n"
  "Parses each file and reports syntax errors as file:line:col diagnostics.\n"
  "  --ast   print the syntax tree as an S-expression with line:col positions\n\n"
  "exit codes: 0 no errors, 1 syntax errors, 2 usage error\n";

int cmd_parse(int argc, char **argv) {
  int ast = 0, npaths = 0;
  char **paths = argv + 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--ast")) ast = 1;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("parse", "unknown option '%s'", argv[i]);
    else paths[npaths++] = argv[i];
  }
  if (!npaths) return cli_usage_error("parse", "no input files");
  char **files; int nfiles;
  int bad = cli_collect_sources(npaths, paths, &files, &nfiles);
  DiagSink d; diag_init(&d);
  Arena a; arena_init(&a);
  Buf out = {0};
  for (int i = 0; i < nfiles; i++) {
    int f = diag_load_file(&d, files[i]);
    if (f < 0) continue;
    AstFile *af = parse_file(&d, f, &a, 0);
    if (ast) ast_dump(&out, &d, af);
  }
  if (out.n) fwrite(out.p, 1, out.n, stdout);
  diag_print(&d, stderr);
  int rc = bad || d.errors ? EXIT_FINDINGS : EXIT_OK;
  if (!nfiles || bad) rc = EXIT_USAGE;
  buf_free(&out); arena_free(&a); diag_free(&d); cli_free_sources(files, nfiles);
  return rc;
}
