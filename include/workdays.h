/*
 * workdays: working days in England and Wales. A working day is a Monday to
 * Friday that is not a bank holiday. Dates are day numbers (days since
 * 1970-01-01, proleptic Gregorian), so arithmetic is plain integers. The
 * bank holidays of 2015-2030 are built in (the same list as
 * sql/005_statistics.sql, checked against it by tests/unit/test_workdays.c);
 * workdays_load() reads the admin-editable table instead. The SQL function
 * working_days_between() follows the same rule.
 */
#ifndef CONVENE_WORKDAYS_H
#define CONVENE_WORKDAYS_H

#include <stddef.h>

#define WORKDAYS_MAX_HOLIDAYS	1024	/* in one calendar */
#define WORKDAYS_ICPC_TARGET	15	/* statutory: initial conference */
#define WORKDAYS_DATE_MAX	11	/* "YYYY-MM-DD" and NUL */

struct db;

/* A set of bank holidays, sorted, without duplicates. No allocation: a
 * calendar can live on the stack or be copied. */
struct workdays {
	size_t	 n;
	long	 days[WORKDAYS_MAX_HOLIDAYS];
};

/* Day number of a calendar date (fields not checked: use
 * workdays_parse_date for input). */
long	 workdays_from_civil(int y, int m, int d);
/* Calendar date of a day number. */
void	 workdays_to_civil(long day, int *y, int *m, int *d);
/* ISO weekday: 1 Monday .. 7 Sunday. */
int	 workdays_weekday(long day);
/* Parse "YYYY-MM-DD" (checked: month lengths, leap years); 0 or -1. */
int	 workdays_parse_date(const char *s, long *day);
/* Format as "YYYY-MM-DD" into out (WORKDAYS_DATE_MAX bytes); 0 or -1. */
int	 workdays_format(long day, char *out, size_t outlen);

/* An empty calendar: only weekends are not working days. */
void	 workdays_init(struct workdays *w);
/* The built-in England and Wales bank holidays, 2015-2030. */
void	 workdays_init_england_wales(struct workdays *w);
/* Number of built-in holidays and the i-th one (day, name); for tests. */
size_t	 workdays_builtin_count(void);
long	 workdays_builtin_day(size_t i, const char **name);
/* Add one holiday; 0, or -1 when the calendar is full. Idempotent. */
int	 workdays_add_holiday(struct workdays *w, long day);
/* Replace w's holidays with the bank_holidays table. 0 or -1; w is left
 * unchanged on failure. */
int	 workdays_load(struct workdays *w, struct db *db);

/* 1 when day is a bank holiday in w. */
int	 workdays_is_holiday(const struct workdays *w, long day);
/* 1 when day is a working day (Monday-Friday, not a bank holiday). */
int	 workdays_is_working(const struct workdays *w, long day);
/*
 * Working days from `from` to `to`: the number of working days d with
 * from < d <= to, so the same day is 0 and Friday to the next Monday is 1.
 * When to is before from the result is minus the count from to to from.
 */
long	 workdays_between(const struct workdays *w, long from, long to);
/* The day n (>= 1) working days after from: the working day with
 * workdays_between(from, result) == n. from itself when n <= 0. */
long	 workdays_add(const struct workdays *w, long from, long n);
/* The last day on which an initial child protection conference is within
 * the statutory 15 working days of the strategy discussion on day sd. */
long	 workdays_icpc_due(const struct workdays *w, long sd);

#endif
