/*
 * test_sesscache.c -- the shared session cache (http/sesscache.c): the
 * records come back as they went in, branches never share entries, a
 * note invalidates every session of its user and a read racing it is
 * not stored, a lost listener distrusts older entries, LRU within the
 * bounds, oversized rows stay out, and the mapping is shared with a
 * forked process.
 */
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "http/sesscache.h"
#include "lib/arena.h"
#include "store/record.h"

static struct arena	 ar;

static void
recs(struct session_rec *s, struct user_rec *u, const char *token,
    const char *uid)
{
	memset(s, 0, sizeof(*s));
	memset(u, 0, sizeof(*u));
	s->id = "3d0c2f4e-0000-4000-8000-000000000001";
	s->token = token;
	s->user_id = uid;
	s->expires_at = "2026-12-09T14:00:00.000Z";
	s->created_at = "2026-12-02T14:00:00.000Z";
	s->updated_at = "2026-12-02T14:00:00.000Z";
	s->ip_address = "";
	s->user_agent = "curl/7.88";
	s->impersonated_by = NULL;
	s->active_organization_id = "org1";
	s->expires_ms = 1796824800000;
	s->created_ms = 1796220000000;
	s->updated_ms = 1796220000001;
	u->id = uid;
	u->name = "Ada";
	u->email = "ada@example.com";
	u->email_verified = 1;
	u->image = NULL;
	u->created_at = "2026-12-01T00:00:00.000Z";
	u->updated_at = "2026-12-01T00:00:01.000Z";
	u->role = "user";
	u->banned = -1;
	u->ban_reason = NULL;
	u->ban_expires = NULL;
	u->updated_ms = 1796083201000;
}

static void
put(const struct sesscache_key *k, const char *token, const char *uid)
{
	struct session_rec	 s;
	struct user_rec		 u;
	struct sesscache_ticket	 t = sesscache_begin();

	recs(&s, &u, token, uid);
	sesscache_put(k, &t, &s, &u);
}

static int
has(const struct sesscache_key *k, const char *token)
{
	struct session_rec	 s;
	struct user_rec		 u;

	return (sesscache_get(k, token, &ar, &s, &u));
}

/* this process listens on k from now on: rows read later are trusted */
static void
listen_on(const struct sesscache_key *k)
{
	sesscache_note(k, NULL);
	usleep(1000);
}

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(sesscache_create(64), 0);
	return (0);
}

#define STR_EQ(a, b) do {						\
	if ((a) == NULL || (b) == NULL)					\
		assert_ptr_equal((a), (b));				\
	else								\
		assert_string_equal((a), (b));				\
} while (0)

static void
test_roundtrip(void **state)
{
	struct sesscache_key	 k = sesscache_key("main", "dbname=a");
	struct sesscache_key	 b = sesscache_key("main", "dbname=b");
	struct sesscache_key	 c = sesscache_key("dev", "dbname=a");
	struct session_rec	 s, s2;
	struct user_rec		 u, u2;
	struct sesscache_ticket	 t;

	(void)state;
	listen_on(&k);
	listen_on(&b);
	listen_on(&c);
	assert_int_equal(sesscache_enabled(), 1);
	assert_int_equal(has(&k, "tokA"), 0);
	recs(&s, &u, "tokA", "u1");
	t = sesscache_begin();
	sesscache_put(&k, &t, &s, &u);
	assert_int_equal(sesscache_get(&k, "tokA", &ar, &s2, &u2), 1);
	STR_EQ(s2.id, s.id); STR_EQ(s2.token, s.token);
	STR_EQ(s2.user_id, s.user_id); STR_EQ(s2.expires_at, s.expires_at);
	STR_EQ(s2.created_at, s.created_at);
	STR_EQ(s2.updated_at, s.updated_at);
	STR_EQ(s2.ip_address, s.ip_address);
	STR_EQ(s2.user_agent, s.user_agent);
	STR_EQ(s2.impersonated_by, s.impersonated_by);
	STR_EQ(s2.active_organization_id, s.active_organization_id);
	assert_true(s2.expires_ms == s.expires_ms);
	assert_true(s2.created_ms == s.created_ms);
	assert_true(s2.updated_ms == s.updated_ms);
	STR_EQ(u2.id, u.id); STR_EQ(u2.name, u.name); STR_EQ(u2.email, u.email);
	STR_EQ(u2.image, u.image); STR_EQ(u2.created_at, u.created_at);
	STR_EQ(u2.updated_at, u.updated_at); STR_EQ(u2.role, u.role);
	STR_EQ(u2.ban_reason, u.ban_reason);
	STR_EQ(u2.ban_expires, u.ban_expires);
	assert_int_equal(u2.email_verified, 1);
	assert_int_equal(u2.banned, -1);
	assert_true(u2.updated_ms == u.updated_ms);
	/* a token that is a prefix of another is another key */
	assert_int_equal(has(&k, "tok"), 0);
	assert_int_equal(has(&k, "tokAB"), 0);
}

static void
test_branches_apart(void **state)
{
	struct sesscache_key	 a = sesscache_key("main", "dbname=a");
	struct sesscache_key	 b = sesscache_key("main", "dbname=b");
	struct sesscache_key	 c = sesscache_key("dev", "dbname=a");

	(void)state;
	put(&a, "tokB", "u2");
	assert_int_equal(has(&a, "tokB"), 1);
	/* a copy of the database under another name, or the same name on
	 * another database: never the same entry */
	assert_int_equal(has(&b, "tokB"), 0);
	assert_int_equal(has(&c, "tokB"), 0);
	/* and a note for the user on another branch leaves it alone */
	sesscache_note(&b, "u2");
	sesscache_note(&c, "u2");
	assert_int_equal(has(&a, "tokB"), 1);
}

static void
test_note_user(void **state)
{
	struct sesscache_key	 k = sesscache_key("main", "dbname=a");

	(void)state;
	put(&k, "tokC1", "u3");
	put(&k, "tokC2", "u3");
	put(&k, "tokD", "u4");
	assert_int_equal(has(&k, "tokC1"), 1);
	sesscache_note(&k, "u3");
	assert_int_equal(has(&k, "tokC1"), 0);
	assert_int_equal(has(&k, "tokC2"), 0);
	assert_int_equal(has(&k, "tokD"), 1);
	/* read again after the note: valid again */
	put(&k, "tokC1", "u3");
	assert_int_equal(has(&k, "tokC1"), 1);
}

static void
test_race(void **state)
{
	struct sesscache_key	 k = sesscache_key("main", "dbname=a");
	struct session_rec	 s;
	struct user_rec		 u;
	struct sesscache_ticket	 t;

	(void)state;
	/* the row was read, then the user changed, then the put came */
	recs(&s, &u, "tokE", "u5");
	t = sesscache_begin();
	sesscache_note(&k, "u5");
	sesscache_put(&k, &t, &s, &u);
	assert_int_equal(has(&k, "tokE"), 0);
	/* and a put racing a note drops an older entry of the token */
	put(&k, "tokE", "u5");
	assert_int_equal(has(&k, "tokE"), 1);
	t = sesscache_begin();
	sesscache_note(&k, "u5");
	sesscache_put(&k, &t, &s, &u);
	assert_int_equal(has(&k, "tokE"), 0);
}

static void
test_lost(void **state)
{
	struct sesscache_key	 k = sesscache_key("lost", "dbname=l");

	(void)state;
	/* a branch met anew: nothing read before is trusted */
	put(&k, "tokF", "u6");
	assert_int_equal(has(&k, "tokF"), 0);
	listen_on(&k);
	put(&k, "tokF", "u6");
	assert_int_equal(has(&k, "tokF"), 1);
	/* this process may have missed notifications: older rows are out */
	usleep(10);
	sesscache_note(&k, NULL);
	assert_int_equal(has(&k, "tokF"), 0);
	usleep(10);
	put(&k, "tokF", "u6");
	assert_int_equal(has(&k, "tokF"), 1);
}

static void
test_bounds_lru(void **state)
{
	struct sesscache_key	 k = sesscache_key("lru", "dbname=x");
	struct sesscache_stats	 st;
	struct session_rec	 s;
	struct user_rec		 u;
	struct sesscache_ticket	 t;
	char			 tok[32], big[2048];
	int			 i, n;

	(void)state;
	/* one bucket: eight entries at most */
	assert_int_equal(sesscache_create(SESSCACHE_WAYS), 0);
	listen_on(&k);
	for (i = 0; i < SESSCACHE_WAYS; i++) {
		snprintf(tok, sizeof(tok), "lru%d", i);
		put(&k, tok, "u7");
	}
	sesscache_stats(&st);
	assert_int_equal(st.entries, SESSCACHE_WAYS);
	/* lru0 used last, so lru1 is the least recently used */
	assert_int_equal(has(&k, "lru0"), 1);
	put(&k, "lru-new", "u7");
	assert_int_equal(has(&k, "lru-new"), 1);
	assert_int_equal(has(&k, "lru1"), 0);
	assert_int_equal(has(&k, "lru0"), 1);
	for (i = 2, n = 0; i < SESSCACHE_WAYS; i++) {
		snprintf(tok, sizeof(tok), "lru%d", i);
		n += has(&k, tok);
	}
	assert_int_equal(n, SESSCACHE_WAYS - 2);
	for (i = 0; i < 100; i++) {
		snprintf(tok, sizeof(tok), "many%d", i);
		put(&k, tok, "u8");
	}
	sesscache_stats(&st);
	assert_int_equal(st.entries, SESSCACHE_WAYS);
	/* a row too big for an entry is not stored (and breaks nothing) */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	recs(&s, &u, "tokBig", "u9");
	s.user_agent = big;
	t = sesscache_begin();
	sesscache_put(&k, &t, &s, &u);
	assert_int_equal(has(&k, "tokBig"), 0);
	/* off */
	assert_int_equal(sesscache_create(0), 0);
	assert_int_equal(sesscache_enabled(), 0);
	put(&k, "tokOff", "u9");
	assert_int_equal(has(&k, "tokOff"), 0);
	sesscache_note(&k, "u9");
}

static void
test_shared(void **state)
{
	struct sesscache_key	 k = sesscache_key("main", "dbname=a");
	pid_t			 pid;
	int			 status, p2c[2], c2p[2];
	char			 ch;

	(void)state;
	assert_int_equal(sesscache_create(1024), 0);
	listen_on(&k);
	assert_int_equal(pipe(p2c), 0);
	assert_int_equal(pipe(c2p), 0);
	if ((pid = fork()) == 0) {
		/* the child stores a row, then notes its user on request */
		alarm(10);
		put(&k, "tokG", "u10");
		(void)write(c2p[1], "p", 1);
		(void)read(p2c[0], &ch, 1);
		sesscache_note(&k, "u10");
		(void)write(c2p[1], "n", 1);
		_exit(0);
	}
	assert_int_equal(read(c2p[0], &ch, 1), 1);
	assert_int_equal(has(&k, "tokG"), 1);
	assert_int_equal(write(p2c[1], "x", 1), 1);
	assert_int_equal(read(c2p[0], &ch, 1), 1);
	assert_int_equal(has(&k, "tokG"), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_branches_apart),
		cmocka_unit_test(test_note_user),
		cmocka_unit_test(test_race),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_bounds_lru),
		cmocka_unit_test(test_shared),
	};
	int	 rc;

	arena_init(&ar, 64 * 1024);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	rc = cmocka_run_group_tests(tests, setup, NULL);
	return (rc);
}
