/* Scope IDs: the one canonical form shared by the compiler's scope literals and the
 * runtime's input, so that a scope written in policy and the same scope in a request
 * cannot normalize differently. */
#ifndef AIGW_SCOPEFMT_H
#define AIGW_SCOPEFMT_H
#include <stddef.h>
#include <stdint.h>

typedef enum {
  SCOPE_OK = 0,
  SCOPE_EMPTY,        /* "" */
  SCOPE_NOT_ID,       /* does not start with '/' */
  SCOPE_BAD_CHAR,     /* a control character, or white space at either end */
  SCOPE_TOO_DEEP      /* more than LIMIT_SCOPE_DEPTH segments */
} ScopeStatus;

/* Writes the canonical form of s[0..n) to out, which holds n + 2 bytes: "/seg/seg",
 * split on '/', empty segments dropped (so doubled and trailing slashes vanish), ASCII
 * lower-cased; the root is "/". *outlen is its length (out is NUL-terminated) and
 * *depth its number of segments; out, outlen and depth may be NULL to only check s. Anything but SCOPE_OK leaves out unspecified. */
ScopeStatus rt_scope_canon(const char *s, size_t n, char *out, size_t *outlen, uint32_t *depth);
/* Why a scope is not a resource ID, for messages: "is empty", "does not start with '/'". */
const char *rt_scope_status_text(ScopeStatus st);

#endif
