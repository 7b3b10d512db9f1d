lexer.o: lexer.c calc.h
calc.h:
