#include <stdio.h>
#include <string.h>
#include "calc.h"

/* Evaluates each argument, or a few built-in expressions when given none. */
int main(int argc, char **argv) {
    static const char *demo[] = {"1 + 2 * 3", "(1 + 2) * 3", "2 ^ 10", "-(4 - 6) / 0.5", "2 ^ 0.5"};
    int count = argc > 1 ? argc - 1 : (int)(sizeof demo / sizeof demo[0]);
    int failures = 0;
    for (int i = 0; i < count; i++) {
        const char *expression = argc > 1 ? argv[i + 1] : demo[i];
        lexer lx;
        int ok;
        lexer_init(&lx, expression);
        double value = parse_expression(&lx, &ok);
        if (ok) {
            printf("%s = %g\n", expression, value);
        } else {
            printf("%s: syntax error\n", expression);
            failures++;
        }
    }
    return failures == 0 ? 0 : 1;
}
