/* aigwc fmt: rewrite sources in the canonical layout. A file is replaced only after its
 * formatted text has been re-parsed and found to mean the same (fmt_verify), and then
 * through a temporary file and a rename, so an interrupted run never leaves half a file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "fmt.h"
#include "parse.h"

const char cmd_fmt_summary[] = "format sources in the canonical layout, keeping comments";
const char cmd_fmt_usage[] =
  "usage: aigwc fmt [--check] [--stdout] PATH...\n\n"
  "Rewrites each file in the canonical layout; every comment is kept. A file is written\n"
  "only when it changes. Files with syntax errors are reported and left untouched.\n"
  "  --check   change nothing; print the names of files that would change\n"
  "  --stdout  print the formatted text instead of rewriting files\n"
  "  -         (as the only PATH) format standard input to standard output\n\n"
  "exit codes: 0 done, 1 --check found files to change, 2 usage or syntax error\n";

enum { MODE_WRITE, MODE_CHECK, MODE_STDOUT };

/* Writes text over path by way of a temporary file in the same directory, keeping the
 * file's permissions; a symbolic link is followed, not replaced. */
static int write_over(const char *path, const char *text, size_t n) {
  char *real = realpath(path, NULL);
  struct stat st;
  if (!real || stat(real, &st) != 0) { free(real); return -1; }
  Buf tmp = {0};
  buf_printf(&tmp, "%s.fmt-XXXXXX", real);
  int fd = mkstemp(tmp.p), rc = -1;
  if (fd >= 0) {
    size_t done = 0;
    while (done < n) {
      ssize_t w = write(fd, text + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      done += (size_t)w;
    }
    int ok = done == n && fchmod(fd, st.st_mode & 07777) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp.p, real) == 0) rc = 0;
    else { int e = errno; unlink(tmp.p); errno = e; }
  }
  buf_free(&tmp);
  free(real);
  return rc;
}

/* Formats one file. Returns 0 unchanged (or printed), 1 changed, 2 error. */
static int fmt_one(const char *path, int mode) {
  DiagSink d; diag_init(&d);
  Arena a; arena_init(&a);
  Buf out = {0};
  int rc = EXIT_USAGE, file;
  if (!strcmp(path, "-")) {
    char *text; size_t len;
    if (read_file("-", &text, &len, DIAG_MAX_FILE) == 0)
      file = diag_add_source(&d, "<stdin>", text, (uint32_t)len);
    else {
      diag_report(&d, DIAG_ERR, -1, 0, 0, "<stdin>: cannot read: %s", strerror(errno));
      file = -1;
    }
  } else file = diag_load_file(&d, path);
  if (file < 0) goto done;
  AstFile *f = parse_file(&d, file, &a, 1);
  if (d.errors || fmt_file(&d, f, &out) != 0 || fmt_verify(&d, f, out.p, out.n) != 0) goto done;
  const Source *s = d.files[file];
  int changed = out.n != s->len || (out.n && memcmp(out.p, s->text, out.n));
  rc = changed ? EXIT_FINDINGS : EXIT_OK;
  if (mode == MODE_STDOUT) fwrite(out.p ? out.p : "", 1, out.n, stdout);
  else if (mode == MODE_CHECK) { if (changed) printf("%s\n", path); }
  else if (changed && write_over(path, out.p ? out.p : "", out.n) != 0) {
    diag_report(&d, DIAG_ERR, -1, 0, 0, "%s: cannot write: %s", path, strerror(errno));
    rc = EXIT_USAGE;
  }
done:
  fflush(stdout);
  diag_print(&d, stderr);
  buf_free(&out); arena_free(&a); diag_free(&d);
  return rc;
}

int cmd_fmt(int argc, char **argv) {
  int check = 0, to_stdout = 0, npaths = 0;
  char **paths = argv + 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--check")) check = 1;
    else if (!strcmp(argv[i], "--stdout")) to_stdout = 1;
    else if (argv[i][0] == '-' && argv[i][1]) return cli_usage_error("fmt", "unknown option '%s'", argv[i]);
    else paths[npaths++] = argv[i];
  }
  if (!npaths) return cli_usage_error("fmt", "no input files");
  if (check && to_stdout) return cli_usage_error("fmt", "--check and --stdout do not go together");
  for (int i = 0; i < npaths; i++)
    if (!strcmp(paths[i], "-") && npaths > 1)
      return cli_usage_error("fmt", "'-' (standard input) must be the only PATH");
  int mode = check ? MODE_CHECK : to_stdout || !strcmp(paths[0], "-") ? MODE_STDOUT : MODE_WRITE;
  char **files; int nfiles;
  int bad = cli_collect_sources(npaths, paths, &files, &nfiles);
  int changed = 0, errors = bad != 0;
  for (int i = 0; i < nfiles; i++) {
    int r = fmt_one(files[i], mode);
    changed |= r == EXIT_FINDINGS;
    errors |= r == EXIT_USAGE;
  }
  cli_free_sources(files, nfiles);
  if (errors || !nfiles) return EXIT_USAGE;
  return changed && mode == MODE_CHECK ? EXIT_FINDINGS : EXIT_OK;
}
