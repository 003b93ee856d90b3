/*
 * metrics.c -- the pool's shared counters (see metrics.h).
 *
 * A row (route or branch) is found by hashing its name into the table
 * and probing linearly.  A free row is claimed with a CAS from 0 to 1,
 * its name written, then published with state 2; a reader that meets a
 * row being claimed waits a bounded number of spins, then counts the
 * event under the overflow row.  Each process keeps a small cache from
 * name pointers to row indexes (route names are static strings), checked
 * against the row's name before use.
 */
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lib/metrics.h"

#define CACHE_SLOTS	128	/* power of two */
#define CLAIM_SPINS	10000

const int64_t metrics_bucket_us[METRICS_BUCKETS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, INT64_MAX
};

static struct metrics_shm	*shm;

struct cache_ent {
	const char	*key;
	int		 idx;
};

static struct cache_ent	 route_cache[CACHE_SLOTS];
static struct cache_ent	 branch_cache[CACHE_SLOTS];

void
metrics_attach(struct metrics_shm *m)
{
	shm = m;
	memset(route_cache, 0, sizeof(route_cache));
	memset(branch_cache, 0, sizeof(branch_cache));
}

struct metrics_shm *
metrics_shm(void)
{
	return (shm);
}

uint64_t
metrics_load(const volatile uint64_t *p)
{
	return (__atomic_load_n(p, __ATOMIC_RELAXED));
}

static void
add(volatile uint64_t *p, uint64_t n)
{
	__atomic_add_fetch(p, n, __ATOMIC_RELAXED);
}

static uint32_t
hash(const char *s)
{
	uint32_t	 h = 2166136261u;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return (h);
}

/*
 * The row of name in a table of n rows (state at statep + i*stride,
 * name at namep + i*stride); the last row is the overflow row.
 */
static int
find_row(char *base, size_t stride, size_t state_off, size_t name_off,
    int n, const char *name)
{
	volatile int	*st;
	char		*nm;
	int		 i, probe, expect, spins;

	if (strlen(name) >= METRICS_NAME_MAX || strcmp(name,
	    METRICS_OTHER) == 0)
		goto other;
	i = (int)(hash(name) % (uint32_t)(n - 1));
	for (probe = 0; probe < n - 1; probe++, i = (i + 1) % (n - 1)) {
		st = (volatile int *)(base + (size_t)i * stride + state_off);
		nm = base + (size_t)i * stride + name_off;
		for (spins = 0; __atomic_load_n(st, __ATOMIC_ACQUIRE) == 1 &&
		    spins < CLAIM_SPINS; spins++)
			sched_yield();
		switch (__atomic_load_n(st, __ATOMIC_ACQUIRE)) {
		case 2:
			if (strcmp(nm, name) == 0)
				return (i);
			continue;
		case 1:
			goto other;	/* a claimer that never finished */
		default:
			break;
		}
		expect = 0;
		if (__atomic_compare_exchange_n(st, &expect, 1, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			snprintf(nm, METRICS_NAME_MAX, "%s", name);
			__atomic_store_n(st, 2, __ATOMIC_RELEASE);
			return (i);
		}
		/* lost the race: look at the same row again */
		probe--;
		i = (i + n - 2) % (n - 1);
	}
 other:
	i = n - 1;
	st = (volatile int *)(base + (size_t)i * stride + state_off);
	nm = base + (size_t)i * stride + name_off;
	expect = 0;
	if (__atomic_compare_exchange_n(st, &expect, 1, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE)) {
		snprintf(nm, METRICS_NAME_MAX, "%s", METRICS_OTHER);
		__atomic_store_n(st, 2, __ATOMIC_RELEASE);
	}
	return (i);
}

static int
cached(struct cache_ent *cache, const char *name, char *base, size_t stride,
    size_t state_off, size_t name_off, int n)
{
	uintptr_t		 p = (uintptr_t)name;
	struct cache_ent	*e = &cache[(p >> 3) & (CACHE_SLOTS - 1)];

	if (e->key == name && e->idx >= 0 && e->idx < n &&
	    strcmp(base + (size_t)e->idx * stride + name_off, name) == 0)
		return (e->idx);
	e->key = name;
	e->idx = find_row(base, stride, state_off, name_off, n, name);
	return (e->idx);
}

void
metrics_request(const char *route, int status, int64_t dur_us)
{
	struct metrics_route	*r;
	int			 i, b, expect;

	if (shm == NULL)
		return;
	if (route == NULL || *route == '\0')
		route = "-";
	i = cached(route_cache, route, (char *)shm->routes,
	    sizeof(shm->routes[0]), offsetof(struct metrics_route, state),
	    offsetof(struct metrics_route, name), METRICS_ROUTES_MAX);
	r = &shm->routes[i];
	if (dur_us < 0)
		dur_us = 0;
	for (b = 0; b < METRICS_BUCKETS - 1 && dur_us > metrics_bucket_us[b];
	    b++)
		;
	add(&r->bucket[b], 1);
	add(&r->sum_us, (uint64_t)dur_us);
	for (i = 0; i < METRICS_STATUSES_MAX; i++) {
		int	 c = __atomic_load_n(&r->status[i].code,
			    __ATOMIC_ACQUIRE);

		if (c == status)
			break;
		if (c != 0)
			continue;
		expect = 0;
		if (__atomic_compare_exchange_n(&r->status[i].code, &expect,
		    status, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
		    expect == status)
			break;
	}
	if (i == METRICS_STATUSES_MAX)
		i = METRICS_STATUSES_MAX - 1;	/* full: the last code */
	add(&r->status[i].n, 1);
}

void
metrics_db(const char *branch, enum metrics_db_event ev)
{
	int	 i;

	if (shm == NULL || ev < 0 || ev >= METRICS_DB__N)
		return;
	i = cached(branch_cache, branch ? branch : METRICS_OTHER,
	    (char *)shm->branches, sizeof(shm->branches[0]),
	    offsetof(struct metrics_branch, state),
	    offsetof(struct metrics_branch, name), METRICS_BRANCHES_MAX);
	add(&shm->branches[i].ev[ev], 1);
}

void
metrics_add(enum metrics_counter c, uint64_t n)
{
	if (shm != NULL && c >= 0 && c < METRICS__N)
		add(&shm->counter[c], n);
}

void
metrics_exit(enum metrics_exit cause)
{
	if (shm != NULL && cause >= 0 && cause < METRICS_EXIT__N)
		add(&shm->exits[cause], 1);
}

const char *
metrics_exit_name(enum metrics_exit cause)
{
	static const char *const names[METRICS_EXIT__N] = {
		"max_requests", "reload", "shutdown", "timeout", "signal",
		"error"
	};

	return (cause >= 0 && cause < METRICS_EXIT__N ? names[cause] : "?");
}

const char *
metrics_db_event_name(enum metrics_db_event ev)
{
	static const char *const names[METRICS_DB__N] = {
		"unavailable", "query", "schema", "reconnect", "connect"
	};

	return (ev >= 0 && ev < METRICS_DB__N ? names[ev] : "?");
}
