#ifndef AIGW_ASTDUMP_H
#define AIGW_ASTDUMP_H
#include "ast.h"
#include "diag.h"
void ast_dump(Buf *b, DiagSink *d, const AstFile *f);
#endif
