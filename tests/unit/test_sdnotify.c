/*
 * test_sdnotify.c -- unit tests for src/proc/sdnotify.c (cmocka, TAP output).
 *
 * A real AF_UNIX datagram socket plays systemd: bound to a path in a
 * private mkdtemp(3) directory or to an abstract name, NOTIFY_SOCKET
 * points at it, and every datagram sdnotify sends is received and
 * compared byte for byte.
 *
 * sdnotify keeps per-process state; test_lazy_init must run first (it
 * checks that the first send initialises from the environment).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc/sdnotify.h"

static char	 tmpdir[256];
static char	 sockpath[300];

static int
setup_dir(void **state)
{
	const char	*base = getenv("TMPDIR");
	int		 n;

	(void)state;
	if (base == NULL || *base == '\0')
		base = "/tmp";
	n = snprintf(tmpdir, sizeof(tmpdir), "%s/neon-authd-notify-XXXXXX",
	    base);
	if (n < 0 || (size_t)n >= sizeof(tmpdir) || mkdtemp(tmpdir) == NULL)
		return (-1);
	n = snprintf(sockpath, sizeof(sockpath), "%s/notify", tmpdir);
	if (n < 0 || (size_t)n >= sizeof(sockpath))
		return (-1);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return (0);
}

static int
teardown_dir(void **state)
{
	(void)state;
	return (rmdir(tmpdir));
}

/*
 * Play systemd: bind a datagram socket to `name` ("/path" or "@abstract",
 * NOTIFY_SOCKET syntax) and export NOTIFY_SOCKET.
 */
static int
receiver(const char *name)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { 2, 0 };
	size_t			 n = strlen(name);
	int			 fd;

	assert_true(n < sizeof(sun.sun_path));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, name, n);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, (socklen_t)
	    (offsetof(struct sockaddr_un, sun_path) + n)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
	return (fd);
}

static void
receiver_close(int fd, const char *name)
{
	close(fd);
	if (name[0] == '/')
		assert_int_equal(unlink(name), 0);
	unsetenv("NOTIFY_SOCKET");
}

/* Receive one datagram and compare it with want, byte for byte. */
static void
expect(int fd, const char *want)
{
	char	 buf[1024];
	ssize_t	 n;

	n = recv(fd, buf, sizeof(buf), 0);
	if (n == -1)
		fail_msg("recv (expecting \"%s\"): %s", want, strerror(errno));
	assert_int_equal((size_t)n, strlen(want));
	assert_memory_equal(buf, want, (size_t)n);
}

/* Nothing is waiting. */
static void
expect_nothing(int fd)
{
	char	 buf[64];

	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static uint64_t
now_usec(void)
{
	struct timespec	 ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* Every message kind, in order. */
static void
send_all(int fd)
{
	char			 buf[256], *end;
	unsigned long long	 usec;
	uint64_t		 before, after;
	ssize_t			 n;

	assert_int_equal(sdnotify_ready(NULL), 0);
	expect(fd, "READY=1");
	assert_int_equal(sdnotify_ready("serving with 4 workers"), 0);
	expect(fd, "READY=1\nSTATUS=serving with 4 workers");
	assert_int_equal(sdnotify_stopping(), 0);
	expect(fd, "STOPPING=1");
	assert_int_equal(sdnotify_watchdog(), 0);
	expect(fd, "WATCHDOG=1");
	assert_int_equal(sdnotify_status("serving with %d workers, gen %u",
	    8, 3u), 0);
	expect(fd, "STATUS=serving with 8 workers, gen 3");
	assert_int_equal(sdnotify_send("MAINPID=1\nX_NEON=1"), 0);
	expect(fd, "MAINPID=1\nX_NEON=1");

	before = now_usec();
	assert_int_equal(sdnotify_reloading(), 0);
	after = now_usec();
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_memory_equal(buf, "RELOADING=1\nMONOTONIC_USEC=", 27);
	assert_true(buf[27] >= '1' && buf[27] <= '9');
	errno = 0;
	usec = strtoull(buf + 27, &end, 10);
	assert_int_equal(errno, 0);
	assert_int_equal(*end, '\0');
	assert_true(usec >= before && usec <= after);
	expect_nothing(fd);
}

static void
test_lazy_init(void **state)
{
	int	 fd;

	(void)state;
	fd = receiver(sockpath);
	/* No sdnotify_init(): the first send reads NOTIFY_SOCKET. */
	assert_int_equal(sdnotify_send("READY=1"), 0);
	expect(fd, "READY=1");
	receiver_close(fd, sockpath);
}

static void
test_unset_is_noop(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify_init(), 0);
	assert_int_equal(sdnotify_send("READY=1"), 0);
	assert_int_equal(sdnotify_ready("x"), 0);
	assert_int_equal(sdnotify_reloading(), 0);
	assert_int_equal(sdnotify_stopping(), 0);
	assert_int_equal(sdnotify_status("%s", "y"), 0);
	assert_int_equal(sdnotify_watchdog(), 0);

	/* Empty means unset too. */
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_int_equal(sdnotify_init(), 0);
	assert_int_equal(sdnotify_ready(NULL), 0);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_path_socket(void **state)
{
	int	 fd;

	(void)state;
	fd = receiver(sockpath);
	assert_int_equal(sdnotify_init(), 0);
	send_all(fd);
	receiver_close(fd, sockpath);
}

static void
test_abstract_socket(void **state)
{
	char	 name[64];
	int	 fd;

	(void)state;
	snprintf(name, sizeof(name), "@neon-authd-test/notify/%ld",
	    (long)getpid());
	fd = receiver(name);
	assert_int_equal(sdnotify_init(), 0);
	send_all(fd);
	receiver_close(fd, name);
}

static void
test_status_text(void **state)
{
	char	 text[700], want[700];
	int	 fd;

	(void)state;
	fd = receiver(sockpath);
	assert_int_equal(sdnotify_init(), 0);

	/* A newline would start a new KEY=VALUE line: it becomes a space. */
	assert_int_equal(sdnotify_status("db down\nSTOPPING=1\r"), 0);
	expect(fd, "STATUS=db down STOPPING=1 ");
	assert_int_equal(sdnotify_ready("a\nb"), 0);
	expect(fd, "READY=1\nSTATUS=a b");

	/* Long text is cut at 480 bytes. */
	memset(text, 'x', 600);
	text[600] = '\0';
	assert_int_equal(sdnotify_status("%s", text), 0);
	memcpy(want, "STATUS=", 7);
	memset(want + 7, 'x', 480);
	want[487] = '\0';
	expect(fd, want);

	/* ... on a UTF-8 boundary: 479 x then "é" (2 bytes) keeps 479. */
	memset(text, 'x', 479);
	memcpy(text + 479, "\xc3\xa9\xc3\xa9", 5);
	assert_int_equal(sdnotify_status("%s", text), 0);
	want[7 + 479] = '\0';
	expect(fd, want);

	/* Exactly 480 bytes ending in a complete "é" is kept whole. */
	memset(text, 'x', 478);
	memcpy(text + 478, "\xc3\xa9", 3);
	assert_int_equal(sdnotify_status("%s", text), 0);
	memset(want + 7, 'x', 478);
	memcpy(want + 7 + 478, "\xc3\xa9", 3);
	expect(fd, want);

	receiver_close(fd, sockpath);
}

static void
test_bad_notify_socket(void **state)
{
	char	 longname[200];

	(void)state;
	assert_int_equal(setenv("NOTIFY_SOCKET", "relative/notify", 1), 0);
	assert_int_equal(sdnotify_init(), -1);
	assert_int_equal(sdnotify_ready(NULL), 0);	/* disabled */

	assert_int_equal(setenv("NOTIFY_SOCKET", "@", 1), 0);
	assert_int_equal(sdnotify_init(), -1);

	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(setenv("NOTIFY_SOCKET", longname, 1), 0);
	assert_int_equal(sdnotify_init(), -1);
	assert_int_equal(sdnotify_send("READY=1"), 0);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_receiver_gone(void **state)
{
	int	 fd;

	(void)state;
	/* systemd's socket vanished: sends fail (and are logged). */
	fd = receiver(sockpath);
	assert_int_equal(sdnotify_init(), 0);
	close(fd);
	assert_int_equal(unlink(sockpath), 0);
	assert_int_equal(sdnotify_ready(NULL), -1);

	/* It comes back (daemon-reexec): no re-init needed. */
	fd = receiver(sockpath);
	assert_int_equal(sdnotify_watchdog(), 0);
	expect(fd, "WATCHDOG=1");
	receiver_close(fd, sockpath);
}

static void
test_watchdog_usec(void **state)
{
	static const char	*bad[] = {
		"", "0", "-5", "+5", " 5", "5 ", "12x", "abc",
		"99999999999999999999999",
	};
	char			 pid[32];
	size_t			 i;

	(void)state;
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_int_equal(sdnotify_watchdog_usec(), 0);

	assert_int_equal(setenv("WATCHDOG_USEC", "30000000", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(), 30000000);
	assert_int_equal(setenv("WATCHDOG_USEC", "18446744073709551615", 1),
	    0);
	assert_true(sdnotify_watchdog_usec() == UINT64_MAX);
	assert_int_equal(setenv("WATCHDOG_USEC", "30000000", 1), 0);

	/* WATCHDOG_PID: ours, someone else's, malformed. */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	assert_int_equal(setenv("WATCHDOG_PID", "1x", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	assert_int_equal(setenv("WATCHDOG_PID", "", 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(), 30000000);
	unsetenv("WATCHDOG_PID");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(setenv("WATCHDOG_USEC", bad[i], 1), 0);
		if (sdnotify_watchdog_usec() != 0)
			fail_msg("WATCHDOG_USEC=\"%s\" accepted", bad[i]);
	}
	unsetenv("WATCHDOG_USEC");
}

static void
test_forget(void **state)
{
	char	 pid[32];
	int	 fd;

	(void)state;
	fd = receiver(sockpath);
	assert_int_equal(sdnotify_init(), 0);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	assert_int_equal(setenv("WATCHDOG_USEC", "1000000", 1), 0);
	assert_int_equal(setenv("WATCHDOG_PID", pid, 1), 0);
	assert_int_equal(sdnotify_watchdog_usec(), 1000000);

	/* What a worker does right after fork(). */
	sdnotify_forget();
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_null(getenv("WATCHDOG_USEC"));
	assert_null(getenv("WATCHDOG_PID"));
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	assert_int_equal(sdnotify_ready("worker"), 0);
	assert_int_equal(sdnotify_watchdog(), 0);
	assert_int_equal(sdnotify_status("x"), 0);
	assert_int_equal(sdnotify_reloading(), 0);
	assert_int_equal(sdnotify_stopping(), 0);
	expect_nothing(fd);
	sdnotify_forget();	/* idempotent */

	/* An explicit init afterwards starts over. */
	assert_int_equal(setenv("NOTIFY_SOCKET", sockpath, 1), 0);
	assert_int_equal(sdnotify_init(), 0);
	assert_int_equal(sdnotify_stopping(), 0);
	expect(fd, "STOPPING=1");
	sdnotify_forget();
	receiver_close(fd, sockpath);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lazy_init),	/* must be first */
		cmocka_unit_test(test_unset_is_noop),
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_bad_notify_socket),
		cmocka_unit_test(test_receiver_gone),
		cmocka_unit_test(test_watchdog_usec),
		cmocka_unit_test(test_forget),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests_name("sdnotify", tests, setup_dir,
	    teardown_dir));
}
