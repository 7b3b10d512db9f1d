main.o: main.c calc.h
calc.h:
