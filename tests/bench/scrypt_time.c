/*
 * scrypt_time.c -- time neon-authd's own password hash (crypto_password_hash
 * in src/lib/crypto.c: scrypt N=16384 r=16 p=1 dkLen=64 through OpenSSL), one
 * thread, to give the sign-in bound "cores / time of one hash".
 *
 *   cc -O2 -Isrc tests/bench/scrypt_time.c src/lib/crypto.c src/lib/arena.c src/lib/log.c src/lib/text.c src/lib/clock.c src/lib/hashgate.c src/lib/metrics.c -lcrypto -lcrypt
 *   ./scrypt_time [N [gate]]
 *
 * With "gate", every hash goes through lib/hashgate.c as in a worker: a
 * slot of a one-slot gate and its buffer in the shared mapping (4 KiB
 * pages) instead of the process's own huge-page mapping.
 *
 * Prints one line of key=value pairs: wall-clock median and minimum of N
 * hashes and N verifies, and the median CPU time of one hash (thread CPU
 * clock), which stays meaningful when other processes share the cores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/crypto.h"
#include "lib/hashgate.h"

static int	 gated;

static int
hash(struct arena *a, struct str pw, char **h)
{
	return (gated ? hashgate_password_hash(a, pw, h) :
	    crypto_password_hash(a, pw, h));
}

static int
verify(struct str pw, const char *h)
{
	return (gated ? hashgate_password_verify(pw, h) :
	    verify(pw, h));
}

static double
clock_ms(clockid_t id)
{
	struct timespec	 ts;

	clock_gettime(id, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static int
cmp_d(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

int
main(int argc, char **argv)
{
	struct arena	 a;
	struct str	 pw = STR("bench-password-123");
	char		*h = NULL;
	double		*t, *v, *c, t0, c0;
	int		 n = 10, i;
	char		*end;

	if (argc > 1) {
		long v = strtol(argv[1], &end, 10);

		if (*argv[1] != '\0' && *end == '\0' && v >= 1 && v <= 1000)
			n = (int)v;
	}
	if (argc > 2 && strcmp(argv[2], "gate") == 0)
		gated = 1;
	t = calloc((size_t)n, sizeof(*t));
	v = calloc((size_t)n, sizeof(*v));
	c = calloc((size_t)n, sizeof(*c));
	(void)crypto_preinit();	/* as neon-authd's main() does */
	if (t == NULL || v == NULL || c == NULL || crypto_init() == -1)
		return (1);
	if (gated && hashgate_create(1, 0) == -1)
		return (1);
	arena_init(&a, 4096);
	if (hash(&a, pw, &h) == -1)	/* warm-up */
		return (1);
	for (i = 0; i < n; i++) {
		t0 = clock_ms(CLOCK_MONOTONIC);
		c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
		if (hash(&a, pw, &h) == -1)
			return (1);
		c[i] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
		t[i] = clock_ms(CLOCK_MONOTONIC) - t0;
	}
	for (i = 0; i < n; i++) {
		t0 = clock_ms(CLOCK_MONOTONIC);
		if (verify(pw, h) != 1) {
			fprintf(stderr, "verify failed\n");
			return (1);
		}
		v[i] = clock_ms(CLOCK_MONOTONIC) - t0;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_d);
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	qsort(c, (size_t)n, sizeof(*c), cmp_d);
	printf("hash_median_ms=%.2f hash_min_ms=%.2f hash_cpu_median_ms=%.2f "
	    "verify_median_ms=%.2f verify_min_ms=%.2f n=%d buffer=%s\n",
	    t[n / 2], t[0], c[n / 2], v[n / 2], v[0], n,
	    gated ? "shared" : "own");
	if (gated)
		hashgate_destroy();
	arena_free(&a);
	return (0);
}
