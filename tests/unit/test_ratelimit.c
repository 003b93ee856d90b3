/*
 * test_ratelimit.c -- unit tests for ratelimit.c: the algorithm of
 * protocol.md §7 step by step, the rule table, client addresses, the
 * guard's 429, eviction, long keys, concurrent workers (forked processes
 * sharing one table) and recovery from a worker killed holding a lock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/crypto.h"
#include "http/ratelimit.h"
#include "http/request.h"
#include "http/clientip.h"
#include "api/router.h"

/* the request's FastCGI parameters: X-Forwarded-For when set */
static char	*fake_params[2];
static char	 fake_buf[256];

static void
set_xff(struct request *r, const char *xff)
{
	fake_params[0] = NULL;
	if (xff != NULL) {
		snprintf(fake_buf, sizeof(fake_buf), "HTTP_X_FORWARDED_FOR=%s",
		    xff);
		fake_params[0] = fake_buf;
	}
	fake_params[1] = NULL;
	r->params = fake_params;
}

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
test_algorithm(void **state)
{
	struct ratelimit	*rl = ratelimit_create(64);
	const char		*k = "main|203.0.113.7|/sign-in/email";
	int			 ra;

	(void)state;
	assert_non_null(rl);
	/* no record: allow, count 1 */
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 1000, &ra), 1);
	assert_int_equal(ra, 0);
	/* below max: allow, count + 1 */
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 1001, &ra), 1);
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 1002, &ra), 1);
	/* count >= max: deny, retry = ceil((1002 + 10000 - 1003) / 1000) */
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 1003, &ra), 0);
	assert_int_equal(ra, 10);
	/* a denial leaves the record alone: 1 ms before the end, still 1 s */
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 11001, &ra), 0);
	assert_int_equal(ra, 1);
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 6500, &ra), 0);
	assert_int_equal(ra, 5);
	/* now - last >= window: allow, count back to 1 */
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 11002, &ra), 1);
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 11003, &ra), 1);
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 11004, &ra), 1);
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 11005, &ra), 0);
	assert_int_equal(ra, 10);

	/* every allowed request moves the window */
	k = "main|203.0.113.8|/sign-in/email";
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 0, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 9000, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 18000, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 27000, &ra), 0);
	assert_int_equal(ra, 1);	/* 18000 + 10000 - 27000 */
	assert_int_equal(ratelimit_hit(rl, k, 10, 3, 28000, NULL), 1);

	/* keys are independent */
	assert_int_equal(ratelimit_hit(rl, "main|203.0.113.7|/get-session",
	    10, 3, 11005, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, "other|203.0.113.7|/sign-in/email",
	    10, 3, 11005, NULL), 1);

	/* max 1 and the default rule */
	assert_int_equal(ratelimit_hit(rl, "x", 60, 1, 0, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, "x", 60, 1, 59999, &ra), 0);
	assert_int_equal(ra, 1);
	assert_int_equal(ratelimit_hit(rl, "x", 60, 1, 60000, NULL), 1);
	assert_int_equal(ratelimit_evictions(rl), 0);

	/* NULL table: everything allowed */
	assert_int_equal(ratelimit_hit(NULL, "x", 10, 0, 0, &ra), 1);
	ratelimit_destroy(rl);
	ratelimit_destroy(NULL);
}

/*
 * Every route row carries Better Auth's rule for its path (protocol.md
 * §7): the core special rules and the email-otp plugin's, by path, as
 * Better Auth matches them; everything else takes the branch's setting.
 */
static void
better_auth_rule(const char *p, int *w, int *m)
{
	static const char *const core_60[] = {
		"/request-password-reset", "/send-verification-email",
		"/email-otp/send-verification-otp",
		"/email-otp/request-password-reset", NULL,
	};
	static const char *const email_otp[] = {
		"/email-otp/send-verification-otp",
		"/email-otp/check-verification-otp", "/email-otp/verify-email",
		"/sign-in/email-otp", "/email-otp/request-password-reset",
		"/email-otp/reset-password", "/forget-password/email-otp",
		"/email-otp/request-email-change", "/email-otp/change-email",
		NULL,
	};
	const char *const	*l;

	*w = 0;
	*m = 0;
	if (strncmp(p, "/sign-in", 8) == 0 || strncmp(p, "/sign-up", 8) == 0 ||
	    strncmp(p, "/change-password", 16) == 0 ||
	    strncmp(p, "/change-email", 13) == 0) {
		*w = 10;
		*m = 3;
	}
	if (strncmp(p, "/forget-password", 16) == 0) {
		*w = 60;
		*m = 3;
	}
	for (l = core_60; *l != NULL; l++)
		if (strcmp(p, *l) == 0) {
			*w = 60;
			*m = 3;
		}
	for (l = email_otp; *l != NULL; l++)
		if (strcmp(p, *l) == 0) {
			*w = 60;
			*m = 3;
		}
	/*
	 * neon-authd's own: the password-checking session routes run scrypt
	 * as sign-in does, so they take its rule (issue 12, #9)
	 */
	if (strcmp(p, "/verify-password") == 0 ||
	    strcmp(p, "/delete-user") == 0) {
		*w = 10;
		*m = 3;
	}
	/* the magic-link plugin: startsWith either path, 60 s / 5 */
	if (strncmp(p, "/sign-in/magic-link", 19) == 0 ||
	    strncmp(p, "/magic-link/verify", 18) == 0) {
		*w = 60;
		*m = 5;
	}
	/* the phone-number plugin: startsWith "/phone-number", 60 s / 10 */
	if (strncmp(p, "/phone-number", 13) == 0) {
		*w = 60;
		*m = 10;
	}
}

static int
check_row(const struct api_group *g, const struct route *rt, void *arg)
{
	int	 w, m;

	(*(int *)arg)++;
	better_auth_rule(rt->path, &w, &m);
	if (rt->limit.window != w || rt->limit.max != m)
		fail_msg("%s %s %s: rule %d/%d, Better Auth's is %d/%d",
		    g->name, rt->method, rt->path, rt->limit.window,
		    rt->limit.max, w, m);
	return (0);
}

static void
test_rules(void **state)
{
	int	 rows = 0;

	(void)state;
	assert_int_equal(router_each(check_row, &rows), 0);
	assert_true(rows > 10);
}

static void
expect_ip(struct request *r, const char *xff, const char *remote,
    int rc, const char *want)
{
	char	 buf[64];

	set_xff(r, xff);
	r->remote_addr = remote;
	assert_int_equal(ratelimit_client_ip(r, buf, sizeof(buf)), rc);
	assert_string_equal(buf, want);
}

static void
test_client_ip(void **state)
{
	static const char *const proxies[] = { "127.0.0.1", "10.0.0.0/8",
	    "fd00::/8", NULL };
	static const char *const bad[] = { "127.0.0.1", "10.0.0.0/33", NULL };
	struct request	 r;
	char		 tiny[4];
	int		 which = -1;

	(void)state;
	memset(&r, 0, sizeof(r));
	/* the default: only loopback is a trusted proxy */
	assert_int_equal(clientip_configure(NULL, NULL), 0);
	expect_ip(&r, NULL, "198.51.100.4", 0, "198.51.100.4");
	expect_ip(&r, "203.0.113.7", "198.51.100.4", 0, "198.51.100.4");
	expect_ip(&r, "203.0.113.7", "10.1.2.3", 0, "10.1.2.3");
	expect_ip(&r, "203.0.113.7", "127.0.0.1", 0, "203.0.113.7");
	expect_ip(&r, " 203.0.113.7\t", "127.0.0.1", 0, "203.0.113.7");
	/* right to left: the hop the trusted proxy saw, not what the client wrote */
	expect_ip(&r, "1.2.3.4, 203.0.113.7", "127.0.0.1", 0, "203.0.113.7");
	expect_ip(&r, "203.0.113.7, 10.0.0.1", "127.0.0.1", 0, "10.0.0.1");
	/* garbage ends the walk at the last trusted hop */
	expect_ip(&r, "unknown", "127.0.0.1", 0, "127.0.0.1");
	expect_ip(&r, "203.0.113.7:5555", "127.0.0.1", 0, "127.0.0.1");
	expect_ip(&r, "", "127.0.0.1", 0, "127.0.0.1");
	/* IPv6: /64, mapped IPv4 as IPv4 */
	expect_ip(&r, "2001:DB8:1:2:3:4:5:6", "::1", 0, "2001:db8:1:2::/64");
	expect_ip(&r, NULL, "2001:db8:1:2::99", 0, "2001:db8:1:2::/64");
	expect_ip(&r, "::ffff:203.0.113.9", "127.0.0.1", 0, "203.0.113.9");
	expect_ip(&r, NULL, "::1", 0, "::/64");
	/* nothing usable */
	expect_ip(&r, NULL, NULL, -1, "no-trusted-ip");
	expect_ip(&r, "203.0.113.7", "unix:", -1, "no-trusted-ip");

	/* a configured list: several trusted hops are skipped */
	assert_int_equal(clientip_configure(proxies, NULL), 0);
	expect_ip(&r, "203.0.113.7, 10.0.0.1", "127.0.0.1", 0, "203.0.113.7");
	expect_ip(&r, "1.1.1.1, 203.0.113.7, 10.9.9.9", "10.1.2.3", 0,
	    "203.0.113.7");
	expect_ip(&r, "203.0.113.7", "fd00::1", 0, "203.0.113.7");
	expect_ip(&r, "203.0.113.7", "::1", 0, "::/64");
	/* all hops trusted: the leftmost */
	expect_ip(&r, "10.0.0.2, 10.0.0.1", "127.0.0.1", 0, "10.0.0.2");
	assert_int_equal(clientip_configure(bad, &which), -1);
	assert_int_equal(which, 1);
	assert_int_equal(clientip_parse("192.168.0.0/16"), 0);
	assert_int_equal(clientip_parse("::1/129"), -1);
	assert_int_equal(clientip_parse("localhost"), -1);
	assert_int_equal(clientip_configure(NULL, NULL), 0);

	/* X-Real-IP: from a trusted peer and only without X-Forwarded-For */
	{
		static char	 xri[64], xff2[64];
		static char	*two[3];
		char		 b2[64];

		snprintf(xri, sizeof(xri), "HTTP_X_REAL_IP=203.0.113.8");
		two[0] = xri;
		two[1] = NULL;
		r.params = two;
		r.remote_addr = "127.0.0.1";
		assert_int_equal(clientip_of(&r, b2, sizeof(b2), NULL), 0);
		assert_string_equal(b2, "203.0.113.8");
		assert_int_equal(clientip_peer_trusted(&r), 1);
		r.remote_addr = "198.51.100.4";
		assert_int_equal(clientip_of(&r, b2, sizeof(b2), NULL), 0);
		assert_string_equal(b2, "198.51.100.4");
		assert_int_equal(clientip_peer_trusted(&r), 0);
		snprintf(xff2, sizeof(xff2), "HTTP_X_FORWARDED_FOR=192.0.2.1");
		two[1] = xff2;
		two[2] = NULL;
		r.remote_addr = "127.0.0.1";
		assert_int_equal(clientip_of(&r, b2, sizeof(b2), NULL), 0);
		assert_string_equal(b2, "192.0.2.1");
		/* an empty trusted list believes nobody */
		{
			static const char *const none[] = { NULL };

			assert_int_equal(clientip_configure(none, NULL), 0);
			assert_int_equal(clientip_of(&r, b2, sizeof(b2), NULL),
			    0);
			assert_string_equal(b2, "127.0.0.1");
			assert_int_equal(clientip_configure(NULL, NULL), 0);
		}
	}

	/* too small a buffer: the fallback, truncated */
	r.remote_addr = "198.51.100.4";
	set_xff(&r, NULL);
	assert_int_equal(ratelimit_client_ip(&r, tiny, sizeof(tiny)), -1);
	assert_string_equal(tiny, "no-");
}

static const char *
reply_hdr(struct request *r, const char *name)
{
	const struct reply_header	*h;

	for (h = r->headers; h != NULL; h = h->next)
		if (strcmp(h->name, name) == 0)
			return (h->value);
	return (NULL);
}

/* the guard under the rule of route's row (any method), rendered */
static int
guard(struct ratelimit *rl, struct request *r, struct arena *a,
    const char *route)
{
	const struct route	*rt;
	int			 known, w = 0, m = 0;
	enum err		 e;

	r->status = 0;
	r->headers = r->headers_tail = NULL;
	r->reply_body = NULL;
	r->route = str_c(route);
	arena_reset(a);
	if ((rt = router_match("POST", r->route, &known, NULL)) != NULL ||
	    (rt = router_match("GET", r->route, &known, NULL)) != NULL) {
		w = rt->limit.window;
		m = rt->limit.max;
	}
	if ((e = ratelimit_guard(r, rl, w, m)) == ERR_NONE)
		return (0);
	reply_err(r, e);
	return (-1);
}

static void
test_guard(void **state)
{
	struct ratelimit	*rl = ratelimit_create(256);
	struct arena		 a;
	struct branch		 br;
	struct branchcfg	 cfg;
	struct request		 r;
	const char		*ra;

	(void)state;
	assert_non_null(rl);
	arena_init(&a, 4096);
	memset(&br, 0, sizeof(br));
	memset(&cfg, 0, sizeof(cfg));
	memset(&r, 0, sizeof(r));
	br.name = "main";
	r.a = &a;
	r.method = "POST";
	r.remote_addr = "198.51.100.4";
	set_xff(&r, NULL);

	/* no branch, no table: nothing to do */
	assert_int_equal(guard(rl, &r, &a, "/sign-in/email"), 0);
	r.branch = &br;
	assert_int_equal(guard(NULL, &r, &a, "/sign-in/email"), 0);

	/* defaults without a config: /sign-in is 3 per 10 s */
	assert_int_equal(guard(rl, &r, &a, "/sign-in/email"), 0);
	assert_int_equal(guard(rl, &r, &a, "/sign-in/email"), 0);
	assert_int_equal(guard(rl, &r, &a, "/sign-in/email"), 0);
	assert_int_equal(guard(rl, &r, &a, "/sign-in/email"), -1);
	assert_int_equal(r.status, 429);
	assert_string_equal(r.reply_body,
	    "{\"message\":\"Too many requests. Please try again later.\"}");
	assert_string_equal(reply_hdr(&r, "Content-Type"), "application/json");
	ra = reply_hdr(&r, "X-Retry-After");
	assert_non_null(ra);
	assert_true(strcmp(ra, "10") == 0 || strcmp(ra, "9") == 0);
	/* another client, another branch: own budgets */
	r.remote_addr = "198.51.100.5";
	assert_int_equal(guard(rl, &r, &a, "/sign-in/email"), 0);
	br.name = "other";
	r.remote_addr = "198.51.100.4";
	assert_int_equal(guard(rl, &r, &a, "/sign-in/email"), 0);
	br.name = "main";

	/* the branch setting is the default rule */
	r.bcfg = &cfg;
	cfg.rl_enabled = 1;
	cfg.rl_window = 10;
	cfg.rl_max = 2;
	assert_int_equal(guard(rl, &r, &a, "/get-session"), 0);
	assert_int_equal(guard(rl, &r, &a, "/get-session"), 0);
	assert_int_equal(guard(rl, &r, &a, "/get-session"), -1);
	assert_int_equal(r.status, 429);
	/* unknown paths are limited too (protocol.md §0.4 step 2) */
	assert_int_equal(guard(rl, &r, &a, "/nope"), 0);
	assert_int_equal(guard(rl, &r, &a, "/nope"), 0);
	assert_int_equal(guard(rl, &r, &a, "/nope"), -1);
	/* disabled */
	cfg.rl_enabled = 0;
	assert_int_equal(guard(rl, &r, &a, "/get-session"), 0);
	assert_int_equal(r.status, 0);

	arena_free(&a);
	ratelimit_destroy(rl);
}

static void
test_eviction(void **state)
{
	struct ratelimit	*rl = ratelimit_create(8);	/* 1 bucket */
	char			 key[16];
	int			 i;

	(void)state;
	assert_non_null(rl);
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(ratelimit_hit(rl, key, 60, 1, 1000 + i, NULL),
		    1);
	}
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(ratelimit_hit(rl, key, 60, 1, 2000, NULL), 0);
	}
	assert_int_equal(ratelimit_evictions(rl), 0);
	/* full: a new key replaces the oldest (k0) */
	assert_int_equal(ratelimit_hit(rl, "k8", 60, 1, 3000, NULL), 1);
	assert_int_equal(ratelimit_evictions(rl), 1);
	assert_int_equal(ratelimit_hit(rl, "k8", 60, 1, 3001, NULL), 0);
	/* k0 starts afresh (and pushes out k1, now the oldest) */
	assert_int_equal(ratelimit_hit(rl, "k0", 60, 1, 3002, NULL), 1);
	assert_int_equal(ratelimit_evictions(rl), 2);
	for (i = 2; i < 8; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(ratelimit_hit(rl, key, 60, 1, 3003, NULL), 0);
	}
	/* an expired entry is reused before a live one, uncounted */
	assert_int_equal(ratelimit_hit(rl, "short", 1, 1, 3004, NULL), 1);
	assert_int_equal(ratelimit_evictions(rl), 3);	/* k2 went */
	assert_int_equal(ratelimit_hit(rl, "k9", 60, 1, 5000, NULL), 1);
	assert_int_equal(ratelimit_evictions(rl), 3);	/* "short" went */
	assert_int_equal(ratelimit_hit(rl, "k3", 60, 1, 5001, NULL), 0);
	ratelimit_destroy(rl);
}

static void
test_long_keys(void **state)
{
	struct ratelimit	*rl = ratelimit_create(64);
	char			 a[400], b[400], c[401];

	(void)state;
	assert_non_null(rl);
	memset(a, 'x', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(a));
	b[sizeof(b) - 2] = 'y';		/* differs only past the stored bytes */
	memset(c, 'x', sizeof(c) - 1);	/* one byte longer */
	c[sizeof(c) - 1] = '\0';
	assert_int_equal(ratelimit_hit(rl, a, 60, 1, 0, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, a, 60, 1, 1, NULL), 0);
	assert_int_equal(ratelimit_hit(rl, b, 60, 1, 2, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, c, 60, 1, 3, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, b, 60, 1, 4, NULL), 0);
	assert_int_equal(ratelimit_hit(rl, "", 60, 1, 5, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, "", 60, 1, 6, NULL), 0);
	ratelimit_destroy(rl);
}

#define NPROC	8
#define NHITS	2000
#define SHARED_MAX	(NPROC * NHITS / 2)

/* NPROC processes hammer one key and NPROC keys of their own */
static void
test_concurrency(void **state)
{
	struct ratelimit	*rl = ratelimit_create(1024);
	int			*allowed;
	pid_t			 pids[NPROC];
	char			 own[32];
	int			 i, j, st, total = 0;

	(void)state;
	assert_non_null(rl);
	allowed = mmap(NULL, sizeof(int) * (NPROC * 2 + 1),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(allowed != MAP_FAILED);
	memset(allowed, 0, sizeof(int) * (NPROC * 2 + 1));
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		assert_true(pids[i] != -1);
		if (pids[i] == 0) {
			snprintf(own, sizeof(own), "own|%d", i);
			/* start together */
			__atomic_add_fetch(&allowed[NPROC * 2], 1,
			    __ATOMIC_SEQ_CST);
			while (__atomic_load_n(&allowed[NPROC * 2],
			    __ATOMIC_SEQ_CST) < NPROC)
				;
			for (j = 0; j < NHITS; j++) {
				allowed[i] += ratelimit_hit(rl, "shared|key",
				    3600, SHARED_MAX, mono_ms(), NULL);
				allowed[NPROC + i] += ratelimit_hit(rl, own,
				    3600, NHITS, mono_ms(), NULL);
			}
			_exit(0);
		}
	}
	for (i = 0; i < NPROC; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		total += allowed[i];
		assert_int_equal(allowed[NPROC + i], NHITS);
	}
	/* exactly max allowed out of NPROC * NHITS */
	assert_int_equal(total, SHARED_MAX);
	assert_int_equal(ratelimit_hit(rl, "shared|key", 3600, SHARED_MAX,
	    mono_ms(), NULL), 0);
	munmap(allowed, sizeof(int) * (NPROC * 2 + 1));
	ratelimit_destroy(rl);
}

/* a worker SIGKILLed holding a bucket lock does not wedge the table */
static void
test_dead_holder(void **state)
{
	struct ratelimit	*rl = ratelimit_create(64);
	int64_t			 t0;
	pid_t			 pid;
	int			 st, pfd[2];
	char			 c;

	(void)state;
	assert_non_null(rl);
	assert_int_equal(ratelimit_hit(rl, "victim", 60, 1, 0, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, "victim", 60, 1, 1, NULL), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		if (ratelimit_test_hold(rl, "victim") == 0)
			raise(SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* the bucket was cleared on recovery, then works normally */
	assert_int_equal(ratelimit_hit(rl, "victim", 60, 1, 2, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, "victim", 60, 1, 3, NULL), 0);

	/* a live but stuck holder: fail open within RATELIMIT_LOCK_MS */
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		close(pfd[0]);
		if (ratelimit_test_hold(rl, "victim") != 0)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	t0 = mono_ms();
	assert_int_equal(ratelimit_hit(rl, "victim", 60, 1, 4, NULL), 1);
	assert_true(mono_ms() - t0 >= RATELIMIT_LOCK_MS - 5);
	assert_true(mono_ms() - t0 < 1000);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(ratelimit_hit(rl, "victim", 60, 1, 5, NULL), 1);
	assert_int_equal(ratelimit_hit(rl, "victim", 60, 1, 6, NULL), 0);
	ratelimit_destroy(rl);
}

static int
group_teardown(void **state)
{
	(void)state;
	crypto_cleanup();
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_algorithm),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_client_ip),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_long_keys),
		cmocka_unit_test(test_concurrency),
		cmocka_unit_test(test_dead_holder),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, NULL, group_teardown));
}
