parser.o: parser.c calc.h
calc.h:
