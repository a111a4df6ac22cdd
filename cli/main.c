#include "cli.h"
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "aigw.h"
#include "util.h"

static const Command commands[] = {
#define X(n) {#n, cmd_##n, cmd_##n##_summary, cmd_##n##_usage},
  CLI_COMMANDS(X)
#undef X
};

static void usage(FILE *out) {
  fprintf(out, "usage: aigwc COMMAND [options] [PATH...]\n\n"
               "Compile AI governance policies to a verified bundle and evaluate them.\n\n"
               "commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nPATH is a .aigw file, or a directory meaning every .aigw file below it.\n"
               "Run 'aigwc COMMAND --help' for a command's options.\n\n"
               "exit codes: 0 clean or allow, 1 findings or deny, 2 usage or input error\n");
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "aigwc %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'aigwc %s --help'.\n", cmd);
  return EXIT_USAGE;
}

int cli_wants_help(int argc, char **argv, const char *usage_text) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage_text, stdout);
      return 1;
    }
  return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A source's name as bundles record it (in the source map, and so in the bundle id):
 * relative to the current directory when the file is below it, however it was typed
 * ("./examples/x", "examples//x", an absolute path), else the path with "." segments
 * and doubled slashes removed. */
static char *source_name(const char *path) {
  char *real = realpath(path, NULL), cwd[4096];
  if (real && getcwd(cwd, sizeof cwd)) {
    size_t cl = strlen(cwd);
    if (!strncmp(real, cwd, cl) && real[cl] == '/' && cl > 1) {
      char *rel = xstrndup(real + cl + 1, strlen(real + cl + 1));
      free(real);
      return rel;
    }
  }
  free(real);
  size_t n = strlen(path), o = 0;
  char *p = xmalloc(n + 1);
  for (size_t i = 0; i < n;) {
    if (path[i] == '/' && o && p[o - 1] == '/') { i++; continue; }
    if (path[i] == '.' && (i == 0 || path[i - 1] == '/') && (i + 1 == n || path[i + 1] == '/')) {
      i += i + 1 < n ? 2 : 1;
      continue;
    }
    p[o++] = path[i++];
  }
  p[o] = 0;
  return p;
}

static void walk(const char *dir, char ***out, int *n, int *cap) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    char *p = xmalloc(len);
    snprintf(p, len, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) { walk(p, out, n, cap); xfree(p); continue; }
    size_t nl = strlen(e->d_name);
    if (nl > 5 && !strcmp(e->d_name + nl - 5, ".aigw")) {
      if (*n == *cap) { *cap = *cap ? *cap * 2 : 16; *out = xrealloc(*out, sizeof **out * (size_t)*cap); }
      (*out)[(*n)++] = source_name(p);
    }
    xfree(p);
  }
  closedir(d);
}

int cli_collect_sources(int n, char **paths, char ***out, int *nout) {
  char **files = NULL;
  int cnt = 0, cap = 0, bad = 0;
  for (int i = 0; i < n; i++) {
    struct stat st;
    if (strcmp(paths[i], "-") && stat(paths[i], &st) != 0) {
      fprintf(stderr, "aigwc: %s: no such file or directory\n", paths[i]);
      bad = 1;
      continue;
    }
    if (strcmp(paths[i], "-") && S_ISDIR(st.st_mode)) {
      int first = cnt;
      size_t l = strlen(paths[i]);
      char *dir = xstrndup(paths[i], l);
      while (l > 1 && dir[l - 1] == '/') dir[--l] = 0;
      walk(dir, &files, &cnt, &cap);
      xfree(dir);
      /* sorted, so that bundles are identical whatever order readdir returns */
      if (cnt > first) qsort(files + first, (size_t)(cnt - first), sizeof *files, cmp_str);
      continue;
    }
    if (cnt == cap) { cap = cap ? cap * 2 : 16; files = xrealloc(files, sizeof *files * (size_t)cap); }
    files[cnt++] = strcmp(paths[i], "-") ? source_name(paths[i]) : xstrndup("-", 1);
  }
  *out = files; *nout = cnt;
  return bad ? -1 : 0;
}

void cli_free_sources(char **files, int n) {
  for (int i = 0; i < n; i++) xfree(files[i]);
  xfree(files);
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
  }
  if (!strcmp(argv[1], "--version")) { puts("aigwc " AIGW_VERSION_STRING); return EXIT_OK; }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name)) {
      if (cli_wants_help(argc - 1, argv + 1, commands[i].usage)) return EXIT_OK;
      return commands[i].run(argc - 1, argv + 1);
    }
  fprintf(stderr, "aigwc: unknown command '%s'\n", argv[1]);
  const char *best = NULL; int bd = 3;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    int d = edit_distance(argv[1], strlen(argv[1]), commands[i].name, strlen(commands[i].name), 2);
    if (d < bd) { bd = d; best = commands[i].name; }
  }
  if (best) fprintf(stderr, "  help: did you mean '%s'?\n", best);
  usage(stderr);
  return EXIT_USAGE;
}
