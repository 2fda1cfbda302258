/*
 * demo: a realistic fictional council for trying Convene: teams, a police
 * child-abuse investigation unit, an NHS safeguarding team, schools, demo
 * users and twelve months of strategy discussions whose mix resembles what
 * inspections report (police usually there, health often missing, some
 * single-agency). Every name is invented.
 */
#ifndef CONVENE_DEMO_H
#define CONVENE_DEMO_H

#include <stdio.h>

struct db;

/*
 * Load the demo data in one transaction. When only_if_empty is set and the
 * database already has discussions, does nothing and returns 1. Prints the
 * demo users' credentials to out. 0 on success, -1 on failure.
 */
int	 demo_load(struct db *db, int only_if_empty, FILE *out);

#endif
