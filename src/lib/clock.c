/*
 * clock.c -- wall and monotonic milliseconds, ISO-8601 dates (see clock.h).
 *
 * clock_iso is on the hot path (five dates a session lookup), so digits
 * are written directly instead of through printf.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"

int64_t
clock_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int64_t
clock_mono_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

int64_t
clock_mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* days since 1970-01-01 -> proleptic Gregorian y-m-d (H. Hinnant) */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		 era, yy;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

static char *
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return (p + 2);
}

char *
clock_iso(struct arena *a, int64_t ms)
{
	int64_t	 days, rem, y;
	int	 mo, d, msec;
	char	*out, *p;

	days = ms / 86400000;
	rem = ms % 86400000;
	if (rem < 0) {
		rem += 86400000;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	msec = (int)(rem % 1000);
	rem /= 1000;
	if (y < 0 || y > 9999)
		return (arena_printf(a, "%c%06lld-%02d-%02dT%02d:%02d:%02d."
		    "%03dZ", y < 0 ? '-' : '+', (long long)(y < 0 ? -y : y),
		    mo, d, (int)(rem / 3600), (int)(rem / 60 % 60),
		    (int)(rem % 60), msec));
	out = p = arena_alloc(a, sizeof("2026-11-27T13:45:13.422Z"));
	p = put2(p, (int)(y / 100));
	p = put2(p, (int)(y % 100));
	*p++ = '-';
	p = put2(p, mo);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, (int)(rem / 3600));
	*p++ = ':';
	p = put2(p, (int)(rem / 60 % 60));
	*p++ = ':';
	p = put2(p, (int)(rem % 60));
	*p++ = '.';
	*p++ = (char)('0' + msec / 100);
	p = put2(p, msec % 100);
	*p++ = 'Z';
	*p = '\0';
	return (out);
}

int64_t
clock_iso_parse(const char *s)
{
	struct tm	 tm;
	int		 y, mo, d, h, mi, sec, ms, n = 0;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo,
	    &d, &h, &mi, &sec, &ms, &n) != 7 || n != 24 || s[n] != '\0')
		return (-1);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return ((int64_t)timegm(&tm) * 1000 + ms);
}
