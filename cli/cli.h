/* The aigwc command line: one file per command, one table in main.c. */
#ifndef AIGW_CLI_H
#define AIGW_CLI_H
#include <stdint.h>
#include <stdio.h>

/* Exit codes, documented in `aigwc --help` and the README. */
enum { EXIT_OK = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2 };

typedef struct Command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
  const char *usage;      /* printed by `aigwc NAME --help` */
} Command;

#define CLI_COMMANDS(X) \
  X(compile) X(eval) X(explain) X(test) X(lint) X(diff) X(audit) X(fmt) X(parse) X(disasm) X(sign) X(import) X(export) X(serve)

#define X(n) int cmd_##n(int argc, char **argv); extern const char cmd_##n##_usage[], cmd_##n##_summary[];
CLI_COMMANDS(X)
#undef X

/* Shared helpers */
int  cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int  cli_wants_help(int argc, char **argv, const char *usage);
/* Expands PATH arguments: a directory means every .aigw file below it, sorted. */
int  cli_collect_sources(int n, char **paths, char ***out, int *nout);
void cli_free_sources(char **files, int n);

struct aigw_bundle;
/* -b BUNDLE, or compile PATHs; prints why it failed. Returns an exit code. */
int  cli_open_bundle(const char *bpath, int npaths, char **paths, struct aigw_bundle **out);
int  cli_open_bundle_keys(const char *bpath, int npaths, char **paths, const unsigned char *keys, size_t nkeys,
                          struct aigw_bundle **out);
/* eval and explain: (-b BUNDLE | PATH...) [-i INPUT] [--now TIME]; opens the bundle and
 * reads the input. Returns an exit code. */
int  cli_eval_setup(const char *cmd, int argc, char **argv, struct aigw_bundle **b, FILE **in,
                    int64_t *now, const char **ipath, const char **format);
struct aigw_ctx;
int  cli_set_input(struct aigw_ctx *c, const char *name, const char *text, size_t len, unsigned line,
                   const char *cmd);

/* cmd_sign.c: an Ed25519 public key from a PEM file (32 raw bytes), and a detached
 * signature written beside a bundle. Print why they fail. */
int cli_load_pubkey(const char *path, unsigned char out[32]);
int cli_sign_bundle(const char *keypath, const char *bundle_path, const void *bytes, size_t len);

/* eval_table.c: eval --format table, and whether to colour what goes to f */
struct Buf;
int  cli_use_color(FILE *f);
void cli_table_header(struct Buf *o, int color);
void cli_table_row(struct Buf *o, struct aigw_ctx *c, unsigned line, const char *error, int color);

/* input_stream.c: each record of a JSON document or JSON Lines input (docs/input.md),
 * with the number of the line it starts on; an empty record stands for a blank line
 * between records. The result is the records' results or'ed, or EXIT_USAGE when the
 * input cannot be read or holds nothing. */
typedef int (*cli_record_fn)(void *ud, const char *text, size_t len, unsigned line);
int cli_each_input(FILE *in, const char *name, cli_record_fn fn, void *ud);

#endif
