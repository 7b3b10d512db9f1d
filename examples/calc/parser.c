#include <math.h>
#include "calc.h"

static double parse_sum(lexer *lx, int *ok);

static double parse_atom(lexer *lx, int *ok) {
    if (lx->current.kind == TOK_NUM) {
        double v = lx->current.value;
        lexer_next(lx);
        return v;
    }
    if (lx->current.kind == TOK_OP && lx->current.op == '-') {
        lexer_next(lx);
        return -parse_atom(lx, ok);
    }
    if (lx->current.kind == TOK_LPAREN) {
        lexer_next(lx);
        double v = parse_sum(lx, ok);
        if (lx->current.kind != TOK_RPAREN) {
            *ok = 0;
        }
        lexer_next(lx);
        return v;
    }
    *ok = 0;
    return 0;
}

static double parse_power(lexer *lx, int *ok) {
    double base = parse_atom(lx, ok);
    if (lx->current.kind == TOK_OP && lx->current.op == '^') {
        lexer_next(lx);
        return pow(base, parse_power(lx, ok));
    }
    return base;
}

static double parse_product(lexer *lx, int *ok) {
    double v = parse_power(lx, ok);
    while (lx->current.kind == TOK_OP && (lx->current.op == '*' || lx->current.op == '/')) {
        char op = lx->current.op;
        lexer_next(lx);
        double rhs = parse_power(lx, ok);
        v = op == '*' ? v * rhs : v / rhs;
    }
    return v;
}

static double parse_sum(lexer *lx, int *ok) {
    double v = parse_product(lx, ok);
    while (lx->current.kind == TOK_OP && (lx->current.op == '+' || lx->current.op == '-')) {
        char op = lx->current.op;
        lexer_next(lx);
        double rhs = parse_product(lx, ok);
        v = op == '+' ? v + rhs : v - rhs;
    }
    return v;
}

double parse_expression(lexer *lx, int *ok) {
    *ok = 1;
    double v = parse_sum(lx, ok);
    if (lx->current.kind != TOK_END) {
        *ok = 0;
    }
    return v;
}
