/*
 * test_hashgate.c -- unit tests for src/lib/hashgate.c (cmocka, TAP
 * output): the bounded wait (a hash refused with HASHGATE_BUSY while
 * another process holds the only slot), the shared scrypt buffers (a
 * hash through the gate gives Better Auth's golden hash and leaves its
 * pages in the shared mapping, RssShmem), and a holder killed mid-hash
 * (its token comes back through SEM_UNDO, its buffer is taken over).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/arena.h"
#include "lib/crypto.h"
#include "lib/hashgate.h"

/* tests/vectors/better-auth-1.7.25.json, password "ascii-basic" */
#define GOLD_PW		"password123"
#define GOLD_HASH	"e0ebcd4aa8e0e8141b85ec6e63b7627e:113b219c8d8fae5f" \
	"63441355067634c9f0ba4d7b66d4c270200d272c0b62adb97d862f8a23f7f16d" \
	"17fb8a69900b7dbcdf216e4e84c0c23f9a17d2a45b27c242"

/* kB of shared memory this process has resident (/proc/self/status) */
static long
rss_shmem_kb(void)
{
	FILE	*f = fopen("/proc/self/status", "r");
	char	 line[256];
	long	 kb = -1;

	if (f == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssShmem: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return (kb);
}

/*
 * a child that takes the gate (and a buffer), says so on up[1], then
 * waits for a byte on down[0]; with die set it exits holding both
 */
static pid_t
holder(int up[2], int down[2], int die)
{
	pid_t	 pid;
	char	 c = 'x';
	int	 g;

	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	if ((pid = fork()) == 0) {
		g = hashgate_enter();
		if (write(up[1], g == 1 ? "1" : "0", 1) != 1)
			_exit(2);
		if (die)
			_exit(0);
		if (read(down[0], &c, 1) != 1)
			_exit(3);
		hashgate_leave(g);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(read(up[0], &c, 1), 1);
	assert_int_equal(c, '1');
	return (pid);
}

static void
reap(pid_t pid)
{
	int	 st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_bounded_wait(void **state)
{
	struct arena	 a;
	char		*h = NULL;
	int		 up[2], down[2], slots, nfree, waiting, nbuf, inuse;
	pid_t		 pid;

	(void)state;
	assert_int_equal(hashgate_create(1, 100), 0);
	pid = holder(up, down, 0);
	assert_int_equal(hashgate_stats(&slots, &nfree, &waiting), 0);
	assert_int_equal(slots, 1);
	assert_int_equal(nfree, 0);
	assert_int_equal(hashgate_buffers(&nbuf, &inuse), 0);
	assert_int_equal(nbuf, 1);
	assert_int_equal(inuse, 1);
	/* the slot is held: every kind of hash is refused, not queued */
	arena_init(&a, 4096);
	assert_int_equal(hashgate_password_verify(STR(GOLD_PW), GOLD_HASH),
	    HASHGATE_BUSY);
	assert_int_equal(hashgate_password_burn(STR(GOLD_PW)),
	    HASHGATE_BUSY);
	assert_int_equal(hashgate_password_hash(&a, STR(GOLD_PW), &h),
	    HASHGATE_BUSY);
	assert_null(h);
	assert_int_equal(write(down[1], "x", 1), 1);
	reap(pid);
	/* given back: the hash runs, in the shared buffer */
	assert_int_equal(hashgate_buffers(&nbuf, &inuse), 0);
	assert_int_equal(inuse, 0);
	assert_int_equal(hashgate_password_verify(STR(GOLD_PW), GOLD_HASH),
	    1);
	assert_int_equal(hashgate_password_verify(STR("password124"),
	    GOLD_HASH), 0);
	assert_int_equal(hashgate_password_hash(&a, STR(GOLD_PW), &h), 0);
	assert_int_equal(crypto_password_verify(STR(GOLD_PW), h), 1);
	assert_int_equal(hashgate_stats(&slots, &nfree, &waiting), 0);
	assert_int_equal(nfree, 1);
	arena_free(&a);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
	hashgate_destroy();
}

static void
test_shared_buffer(void **state)
{
	long	 before, after;

	(void)state;
	if (!crypto_scrypt_hooked())
		skip();
	assert_int_equal(hashgate_create(2, 0), 0);
	before = rss_shmem_kb();
	if (before < 0)
		skip();
	assert_int_equal(hashgate_password_verify(STR(GOLD_PW), GOLD_HASH),
	    1);
	after = rss_shmem_kb();
	/* scrypt's 32 MiB went to the shared mapping, not the heap */
	assert_true(after - before >= 31 * 1024);
	/* the second hash reuses the same pages */
	assert_int_equal(hashgate_password_verify(STR(GOLD_PW), GOLD_HASH),
	    1);
	assert_true(rss_shmem_kb() - after < 1024);
	hashgate_destroy();
}

static void
test_dead_holder(void **state)
{
	int	 up[2], down[2], nbuf, inuse, slots, nfree, waiting;
	pid_t	 pid;

	(void)state;
	assert_int_equal(hashgate_create(1, 2000), 0);
	pid = holder(up, down, 1);
	reap(pid);
	/* SEM_UNDO gave the token back; the buffer still names the dead */
	assert_int_equal(hashgate_stats(&slots, &nfree, &waiting), 0);
	assert_int_equal(nfree, 1);
	assert_int_equal(hashgate_buffers(&nbuf, &inuse), 0);
	assert_int_equal(inuse, 1);
	assert_int_equal(hashgate_password_verify(STR(GOLD_PW), GOLD_HASH),
	    1);
	assert_int_equal(hashgate_buffers(&nbuf, &inuse), 0);
	assert_int_equal(inuse, 0);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
	hashgate_destroy();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounded_wait),
		cmocka_unit_test(test_shared_buffer),
		cmocka_unit_test(test_dead_holder),
	};

	/* as neon-authd's main() does, before OpenSSL allocates */
	(void)crypto_preinit();
	if (crypto_init() == -1)
		return (1);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
