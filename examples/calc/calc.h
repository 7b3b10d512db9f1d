/* A tiny calculator: tokens, a recursive-descent parser and an evaluator. */
#ifndef CALC_H
#define CALC_H

typedef enum { TOK_NUM, TOK_OP, TOK_LPAREN, TOK_RPAREN, TOK_END, TOK_ERROR } token_kind;

typedef struct {
    token_kind kind;
    double value;
    char op;
} token;

typedef struct {
    const char *text;
    token current;
} lexer;

void lexer_init(lexer *lx, const char *text);
void lexer_next(lexer *lx);
double parse_expression(lexer *lx, int *ok);

#endif
