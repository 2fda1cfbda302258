/*
 * workdays: counting working days the way English children's services do:
 * Monday to Friday, less England and Wales bank holidays. "Within 15 working
 * days of the strategy discussion" counts the days after the discussion, so
 * the discussion's own day is day 0. Day numbers are days since 1970-01-01;
 * weekdays come from a closed form and holidays from a sorted array, so a
 * count over any span is a couple of binary searches.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "ltime.h"
#include "workdays.h"

struct holiday {
	int		 y, m, d;
	const char	*name;
};

/*
 * England and Wales bank holidays 2015-2030, with the substitute days
 * announced for weekend dates and the one-off changes: 2020's early May
 * holiday moved to Friday 8 May (VE day), 2022's spring holiday moved to
 * Thursday 2 June with the Platinum Jubilee on Friday 3 June and the Queen's
 * state funeral on Monday 19 September, and 2023's coronation on 8 May.
 * Keep in step with sql/005_statistics.sql (a unit test compares them).
 */
static const struct holiday builtin[] = {
	{ 2015, 1, 1, "New Year's Day" },
	{ 2015, 4, 3, "Good Friday" },
	{ 2015, 4, 6, "Easter Monday" },
	{ 2015, 5, 4, "Early May bank holiday" },
	{ 2015, 5, 25, "Spring bank holiday" },
	{ 2015, 8, 31, "Summer bank holiday" },
	{ 2015, 12, 25, "Christmas Day" },
	{ 2015, 12, 28, "Boxing Day (substitute day)" },
	{ 2016, 1, 1, "New Year's Day" },
	{ 2016, 3, 25, "Good Friday" },
	{ 2016, 3, 28, "Easter Monday" },
	{ 2016, 5, 2, "Early May bank holiday" },
	{ 2016, 5, 30, "Spring bank holiday" },
	{ 2016, 8, 29, "Summer bank holiday" },
	{ 2016, 12, 26, "Boxing Day" },
	{ 2016, 12, 27, "Christmas Day (substitute day)" },
	{ 2017, 1, 2, "New Year's Day (substitute day)" },
	{ 2017, 4, 14, "Good Friday" },
	{ 2017, 4, 17, "Easter Monday" },
	{ 2017, 5, 1, "Early May bank holiday" },
	{ 2017, 5, 29, "Spring bank holiday" },
	{ 2017, 8, 28, "Summer bank holiday" },
	{ 2017, 12, 25, "Christmas Day" },
	{ 2017, 12, 26, "Boxing Day" },
	{ 2018, 1, 1, "New Year's Day" },
	{ 2018, 3, 30, "Good Friday" },
	{ 2018, 4, 2, "Easter Monday" },
	{ 2018, 5, 7, "Early May bank holiday" },
	{ 2018, 5, 28, "Spring bank holiday" },
	{ 2018, 8, 27, "Summer bank holiday" },
	{ 2018, 12, 25, "Christmas Day" },
	{ 2018, 12, 26, "Boxing Day" },
	{ 2019, 1, 1, "New Year's Day" },
	{ 2019, 4, 19, "Good Friday" },
	{ 2019, 4, 22, "Easter Monday" },
	{ 2019, 5, 6, "Early May bank holiday" },
	{ 2019, 5, 27, "Spring bank holiday" },
	{ 2019, 8, 26, "Summer bank holiday" },
	{ 2019, 12, 25, "Christmas Day" },
	{ 2019, 12, 26, "Boxing Day" },
	{ 2020, 1, 1, "New Year's Day" },
	{ 2020, 4, 10, "Good Friday" },
	{ 2020, 4, 13, "Easter Monday" },
	{ 2020, 5, 8, "Early May bank holiday (VE day)" },
	{ 2020, 5, 25, "Spring bank holiday" },
	{ 2020, 8, 31, "Summer bank holiday" },
	{ 2020, 12, 25, "Christmas Day" },
	{ 2020, 12, 28, "Boxing Day (substitute day)" },
	{ 2021, 1, 1, "New Year's Day" },
	{ 2021, 4, 2, "Good Friday" },
	{ 2021, 4, 5, "Easter Monday" },
	{ 2021, 5, 3, "Early May bank holiday" },
	{ 2021, 5, 31, "Spring bank holiday" },
	{ 2021, 8, 30, "Summer bank holiday" },
	{ 2021, 12, 27, "Christmas Day (substitute day)" },
	{ 2021, 12, 28, "Boxing Day (substitute day)" },
	{ 2022, 1, 3, "New Year's Day (substitute day)" },
	{ 2022, 4, 15, "Good Friday" },
	{ 2022, 4, 18, "Easter Monday" },
	{ 2022, 5, 2, "Early May bank holiday" },
	{ 2022, 6, 2, "Spring bank holiday" },
	{ 2022, 6, 3, "Platinum Jubilee bank holiday" },
	{ 2022, 8, 29, "Summer bank holiday" },
	{ 2022, 9, 19, "Bank Holiday for the State Funeral of Queen Elizabeth II" },
	{ 2022, 12, 26, "Boxing Day" },
	{ 2022, 12, 27, "Christmas Day (substitute day)" },
	{ 2023, 1, 2, "New Year's Day (substitute day)" },
	{ 2023, 4, 7, "Good Friday" },
	{ 2023, 4, 10, "Easter Monday" },
	{ 2023, 5, 1, "Early May bank holiday" },
	{ 2023, 5, 8, "Bank holiday for the coronation of King Charles III" },
	{ 2023, 5, 29, "Spring bank holiday" },
	{ 2023, 8, 28, "Summer bank holiday" },
	{ 2023, 12, 25, "Christmas Day" },
	{ 2023, 12, 26, "Boxing Day" },
	{ 2024, 1, 1, "New Year's Day" },
	{ 2024, 3, 29, "Good Friday" },
	{ 2024, 4, 1, "Easter Monday" },
	{ 2024, 5, 6, "Early May bank holiday" },
	{ 2024, 5, 27, "Spring bank holiday" },
	{ 2024, 8, 26, "Summer bank holiday" },
	{ 2024, 12, 25, "Christmas Day" },
	{ 2024, 12, 26, "Boxing Day" },
	{ 2025, 1, 1, "New Year's Day" },
	{ 2025, 4, 18, "Good Friday" },
	{ 2025, 4, 21, "Easter Monday" },
	{ 2025, 5, 5, "Early May bank holiday" },
	{ 2025, 5, 26, "Spring bank holiday" },
	{ 2025, 8, 25, "Summer bank holiday" },
	{ 2025, 12, 25, "Christmas Day" },
	{ 2025, 12, 26, "Boxing Day" },
	{ 2026, 1, 1, "New Year's Day" },
	{ 2026, 4, 3, "Good Friday" },
	{ 2026, 4, 6, "Easter Monday" },
	{ 2026, 5, 4, "Early May bank holiday" },
	{ 2026, 5, 25, "Spring bank holiday" },
	{ 2026, 8, 31, "Summer bank holiday" },
	{ 2026, 12, 25, "Christmas Day" },
	{ 2026, 12, 28, "Boxing Day (substitute day)" },
	{ 2027, 1, 1, "New Year's Day" },
	{ 2027, 3, 26, "Good Friday" },
	{ 2027, 3, 29, "Easter Monday" },
	{ 2027, 5, 3, "Early May bank holiday" },
	{ 2027, 5, 31, "Spring bank holiday" },
	{ 2027, 8, 30, "Summer bank holiday" },
	{ 2027, 12, 27, "Christmas Day (substitute day)" },
	{ 2027, 12, 28, "Boxing Day (substitute day)" },
	{ 2028, 1, 3, "New Year's Day (substitute day)" },
	{ 2028, 4, 14, "Good Friday" },
	{ 2028, 4, 17, "Easter Monday" },
	{ 2028, 5, 1, "Early May bank holiday" },
	{ 2028, 5, 29, "Spring bank holiday" },
	{ 2028, 8, 28, "Summer bank holiday" },
	{ 2028, 12, 25, "Christmas Day" },
	{ 2028, 12, 26, "Boxing Day" },
	{ 2029, 1, 1, "New Year's Day" },
	{ 2029, 3, 30, "Good Friday" },
	{ 2029, 4, 2, "Easter Monday" },
	{ 2029, 5, 7, "Early May bank holiday" },
	{ 2029, 5, 28, "Spring bank holiday" },
	{ 2029, 8, 27, "Summer bank holiday" },
	{ 2029, 12, 25, "Christmas Day" },
	{ 2029, 12, 26, "Boxing Day" },
	{ 2030, 1, 1, "New Year's Day" },
	{ 2030, 4, 19, "Good Friday" },
	{ 2030, 4, 22, "Easter Monday" },
	{ 2030, 5, 6, "Early May bank holiday" },
	{ 2030, 5, 27, "Spring bank holiday" },
	{ 2030, 8, 26, "Summer bank holiday" },
	{ 2030, 12, 25, "Christmas Day" },
	{ 2030, 12, 26, "Boxing Day" },
};

#define NBUILTIN	(sizeof(builtin) / sizeof(builtin[0]))

/* Floor division and modulo, for day numbers before 1970. */
static long
div_floor(long a, long b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static long
mod_floor(long a, long b)
{
	return a - div_floor(a, b) * b;
}

/* H. Hinnant's days_from_civil. */
long
workdays_from_civil(int y, int m, int d)
{
	long yy = (long)y - (m <= 2);
	long era = div_floor(yy, 400);
	long yoe = yy - era * 400;
	long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
workdays_to_civil(long day, int *y, int *m, int *d)
{
	long z = day + 719468;
	long era = div_floor(z, 146097);
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long dd = doy - (153 * mp + 2) / 5 + 1;
	long mm = mp < 10 ? mp + 3 : mp - 9;

	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)dd;
}

int
workdays_weekday(long day)
{
	/* 1970-01-01 was a Thursday (ISO 4). */
	return (int)mod_floor(day + 3, 7) + 1;
}

int
workdays_parse_date(const char *s, long *day)
{
	char err[96];
	int y, m, d;

	if (ltime_parse_date(s, &y, &m, &d, err, sizeof(err)) != 0)
		return -1;
	*day = workdays_from_civil(y, m, d);
	return 0;
}

int
workdays_format(long day, char *out, size_t outlen)
{
	int y, m, d, n;

	workdays_to_civil(day, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -1;
	n = snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

void
workdays_init(struct workdays *w)
{
	w->n = 0;
}

void
workdays_init_england_wales(struct workdays *w)
{
	size_t i;

	workdays_init(w);
	for (i = 0; i < NBUILTIN; i++)
		workdays_add_holiday(w, workdays_from_civil(builtin[i].y,
		    builtin[i].m, builtin[i].d));
}

size_t
workdays_builtin_count(void)
{
	return NBUILTIN;
}

long
workdays_builtin_day(size_t i, const char **name)
{
	if (i >= NBUILTIN)
		return 0;
	if (name != NULL)
		*name = builtin[i].name;
	return workdays_from_civil(builtin[i].y, builtin[i].m, builtin[i].d);
}

/* Index of the first holiday > day. */
static size_t
upper(const struct workdays *w, long day)
{
	size_t lo = 0, hi = w->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->days[mid] <= day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
workdays_add_holiday(struct workdays *w, long day)
{
	size_t i = upper(w, day);

	if (i > 0 && w->days[i - 1] == day)
		return 0;
	if (w->n >= WORKDAYS_MAX_HOLIDAYS)
		return -1;
	memmove(&w->days[i + 1], &w->days[i], (w->n - i) * sizeof(w->days[0]));
	w->days[i] = day;
	w->n++;
	return 0;
}

int
workdays_load(struct workdays *w, struct db *db)
{
	struct workdays tmp;
	struct db_res r;
	long day;
	int i, rc = -1;

	workdays_init(&tmp);
	if (db_exec(db, &r, "SELECT to_char(day, 'YYYY-MM-DD') FROM "
	    "bank_holidays ORDER BY day", 0, NULL) != 0)
		return -1;
	for (i = 0; i < db_res_rows(&r); i++)
		if (workdays_parse_date(db_res_get(&r, i, 0), &day) != 0 ||
		    workdays_add_holiday(&tmp, day) != 0)
			goto out;
	*w = tmp;
	rc = 0;
out:
	db_res_free(&r);
	return rc;
}

int
workdays_is_holiday(const struct workdays *w, long day)
{
	size_t i = upper(w, day);

	return i > 0 && w->days[i - 1] == day;
}

int
workdays_is_working(const struct workdays *w, long day)
{
	return workdays_weekday(day) <= 5 && !workdays_is_holiday(w, day);
}

/* Weekdays in [M, x) where M is Monday 1969-12-29 (day -3); negative
 * before M, so differences are right everywhere. */
static long
weekdays_before(long x)
{
	long n = x + 3;

	return 5 * div_floor(n, 7) + (mod_floor(n, 7) < 5 ? mod_floor(n, 7) : 5);
}

/* Working days in (from, to], from <= to. */
static long
count(const struct workdays *w, long from, long to)
{
	long n = weekdays_before(to + 1) - weekdays_before(from + 1);
	size_t i;

	for (i = upper(w, from); i < w->n && w->days[i] <= to; i++)
		if (workdays_weekday(w->days[i]) <= 5)
			n--;
	return n;
}

long
workdays_between(const struct workdays *w, long from, long to)
{
	if (to >= from)
		return count(w, from, to);
	return -count(w, to, from);
}

long
workdays_add(const struct workdays *w, long from, long n)
{
	long day = from;

	while (n > 0) {
		day++;
		if (workdays_is_working(w, day))
			n--;
	}
	return day;
}

long
workdays_icpc_due(const struct workdays *w, long sd)
{
	return workdays_add(w, sd, WORKDAYS_ICPC_TARGET);
}
