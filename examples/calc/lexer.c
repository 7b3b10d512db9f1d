#include <ctype.h>
#include <stdlib.h>
#include "calc.h"

void lexer_init(lexer *lx, const char *text) {
    lx->text = text;
    lexer_next(lx);
}

void lexer_next(lexer *lx) {
    while (isspace((unsigned char)*lx->text)) {
        lx->text++;
    }
    char c = *lx->text;
    if (c == '\0') {
        lx->current.kind = TOK_END;
    } else if (isdigit((unsigned char)c) || c == '.') {
        char *end;
        lx->current.kind = TOK_NUM;
        lx->current.value = strtod(lx->text, &end);
        lx->text = end;
    } else if (c == '(' || c == ')') {
        lx->current.kind = c == '(' ? TOK_LPAREN : TOK_RPAREN;
        lx->text++;
    } else if (c == '+' || c == '-' || c == '*' || c == '/' || c == '^') {
        lx->current.kind = TOK_OP;
        lx->current.op = c;
        lx->text++;
    } else {
        lx->current.kind = TOK_ERROR;
    }
}
