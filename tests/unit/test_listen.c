/*
 * test_listen.c -- unit tests for src/proc/listen.c (cmocka, TAP output).
 *
 * Real sockets, no mocks: TCP on loopback with port 0, unix sockets in a
 * private mkdtemp(3) directory, LISTEN_FDS by dup2()ing onto fd 3 (the
 * test's own fd 3, if any, is saved and restored), fd 0 inheritance in a
 * forked child.  IPv6 cases are skipped when ::1 cannot be bound.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc/listen.h"

static char	 tmpdir[256];

/*
 * A test that cannot run here (no IPv6 in the container, no passwd entry)
 * is reported as skipped, with its reason: the reason line first, then
 * cmocka's skip(), whose "not ok N # SKIP" tests/unit/tap-skip.sh turns
 * into "ok N - name # SKIP reason" for automake's TAP driver.
 */
#define SKIP_TEST(why) do {						\
	printf("# skip reason: %s\n", (why));				\
	fflush(stdout);							\
	skip();								\
} while (0)

static int
setup_dir(void **state)
{
	const char	*base = getenv("TMPDIR");
	int		 n;

	(void)state;
	if (base == NULL || *base == '\0')
		base = "/tmp";
	n = snprintf(tmpdir, sizeof(tmpdir), "%s/neon-authd-listen-XXXXXX",
	    base);
	if (n < 0 || (size_t)n >= sizeof(tmpdir))
		return (-1);
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	return (0);
}

static int
teardown_dir(void **state)
{
	(void)state;
	return (rmdir(tmpdir));
}

/* tmpdir/name into buf. */
static void
tmp_path(char *buf, size_t len, const char *name)
{
	int	 n;

	n = snprintf(buf, len, "%s/%s", tmpdir, name);
	assert_true(n > 0 && (size_t)n < len);
}

static void
parse_ok(const char *s, struct listen_addr *a)
{
	char	 err[128];

	if (listen_parse(s, a, err, sizeof(err)) != 0)
		fail_msg("listen_parse(\"%s\") failed: %s", s, err);
	assert_string_equal(err, "");
}

static in_port_t
bound_port(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET)
		return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
	assert_int_equal(ss.ss_family, AF_INET6);
	return (ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
}

/* Connect to a listening fd's address (given explicitly), accept, and
 * pass one byte each way. */
static void
roundtrip(int lfd, const struct sockaddr *sa, socklen_t salen)
{
	char	 c = 0;
	int	 cfd, afd;

	cfd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(cfd >= 0);
	if (connect(cfd, sa, salen) != 0)
		fail_msg("connect: %s", strerror(errno));
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(write(cfd, "x", 1), 1);
	assert_int_equal(read(afd, &c, 1), 1);
	assert_int_equal(c, 'x');
	assert_int_equal(write(afd, "y", 1), 1);
	assert_int_equal(read(cfd, &c, 1), 1);
	assert_int_equal(c, 'y');
	close(afd);
	close(cfd);
}

static void
roundtrip_unix(int lfd, const char *path)
{
	struct sockaddr_un	 sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	roundtrip(lfd, (struct sockaddr *)&sun, sizeof(sun));
}

static void
roundtrip_ipv4(int lfd, in_port_t port)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	roundtrip(lfd, (struct sockaddr *)&sin, sizeof(sin));
}

static int
has_cloexec(int fd)
{
	int	 fl = fcntl(fd, F_GETFD);

	return (fl != -1 && (fl & FD_CLOEXEC) != 0);
}

/* Can this host bind ::1?  (Containers without IPv6 cannot.) */
static int
have_ipv6(void)
{
	struct sockaddr_in6	 sin6;
	int			 fd, ok;

	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
		return (0);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return (ok);
}

/* A bound, listening (or not) unix socket at path, without listen.c. */
static int
raw_unix(const char *path, int do_listen)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 4), 0);
	return (fd);
}

/*
 * The stale-socket probe in listen_open() connects to a live listener and
 * hangs up: accept that connection and see EOF.
 */
static void
drain_probe(int lfd)
{
	char	 c;
	int	 afd;

	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(read(afd, &c, 1), 0);
	close(afd);
}

static int
open_loopback4(void)
{
	struct listen_addr	 a;
	int			 fd;

	parse_ok("127.0.0.1:0", &a);
	fd = listen_open(&a, 0, NULL, NULL, 16);
	assert_true(fd >= 0);
	return (fd);
}

/* ---- listen_parse ---- */

static void
test_parse_unix(void **state)
{
	struct listen_addr	 a;

	(void)state;
	parse_ok("unix:/run/neon-authd/neon-authd.sock", &a);
	assert_int_equal(a.family, AF_UNIX);
	assert_int_equal(a.u.sun.sun_family, AF_UNIX);
	assert_string_equal(a.u.sun.sun_path,
	    "/run/neon-authd/neon-authd.sock");
	assert_int_equal(a.len, offsetof(struct sockaddr_un, sun_path) +
	    strlen("/run/neon-authd/neon-authd.sock") + 1);
}

static void
test_parse_unix_max_len(void **state)
{
	struct listen_addr	 a;
	char			 s[200], err[128];
	size_t			 max = sizeof(a.u.sun.sun_path) - 1;

	(void)state;
	/* "unix:" + "/" + 'a' * (max - 1): exactly max bytes of path. */
	memcpy(s, "unix:/", 6);
	memset(s + 6, 'a', max - 1);
	s[5 + max] = '\0';
	parse_ok(s, &a);
	assert_int_equal(strlen(a.u.sun.sun_path), max);
	/* One more byte is too long. */
	s[5 + max] = 'a';
	s[6 + max] = '\0';
	assert_int_equal(listen_parse(s, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
}

static void
test_parse_ipv4(void **state)
{
	struct listen_addr	 a;

	(void)state;
	parse_ok("127.0.0.1:9000", &a);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.len, sizeof(struct sockaddr_in));
	assert_int_equal(a.u.sin.sin_family, AF_INET);
	assert_int_equal(ntohl(a.u.sin.sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(ntohs(a.u.sin.sin_port), 9000);

	parse_ok("*:9000", &a);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(ntohl(a.u.sin.sin_addr.s_addr), INADDR_ANY);
	assert_int_equal(ntohs(a.u.sin.sin_port), 9000);

	parse_ok("0.0.0.0:1", &a);
	assert_int_equal(ntohl(a.u.sin.sin_addr.s_addr), INADDR_ANY);
	assert_int_equal(ntohs(a.u.sin.sin_port), 1);
}

static void
test_parse_ipv6(void **state)
{
	struct listen_addr	 a;

	(void)state;
	parse_ok("[::1]:9000", &a);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_int_equal(a.u.sin6.sin6_family, AF_INET6);
	assert_true(IN6_IS_ADDR_LOOPBACK(&a.u.sin6.sin6_addr));
	assert_int_equal(ntohs(a.u.sin6.sin6_port), 9000);
	assert_int_equal(a.v6only, 1);

	/* "[::]" is every address, IPv4 included: dual-stack. */
	parse_ok("[::]:9000", &a);
	assert_int_equal(a.family, AF_INET6);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&a.u.sin6.sin6_addr));
	assert_int_equal(ntohs(a.u.sin6.sin6_port), 9000);
	assert_int_equal(a.v6only, 0);

	parse_ok("[2001:db8::10]:443", &a);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.v6only, 1);
	assert_int_equal(ntohs(a.u.sin6.sin6_port), 443);

	parse_ok("[fe80::1%1]:9000", &a);
	assert_int_equal(a.u.sin6.sin6_scope_id, 1);
}

static void
test_parse_name(void **state)
{
	struct listen_addr	 a;

	(void)state;
	parse_ok("localhost:9000", &a);
	if (a.family == AF_INET) {
		assert_int_equal(ntohl(a.u.sin.sin_addr.s_addr),
		    INADDR_LOOPBACK);
		assert_int_equal(ntohs(a.u.sin.sin_port), 9000);
	} else {
		assert_int_equal(a.family, AF_INET6);
		assert_true(IN6_IS_ADDR_LOOPBACK(&a.u.sin6.sin6_addr));
		assert_int_equal(ntohs(a.u.sin6.sin6_port), 9000);
	}
}

static void
test_parse_ports(void **state)
{
	struct listen_addr	 a;

	(void)state;
	parse_ok("127.0.0.1:0", &a);
	assert_int_equal(ntohs(a.u.sin.sin_port), 0);
	parse_ok("127.0.0.1:65535", &a);
	assert_int_equal(ntohs(a.u.sin.sin_port), 65535);
	parse_ok("127.0.0.1:08080", &a);	/* decimal, not octal */
	assert_int_equal(ntohs(a.u.sin.sin_port), 8080);
}

static void
test_parse_bad(void **state)
{
	static const char	*bad[] = {
		"",
		"unix:",
		"unix:relative.sock",
		"unix:@abstract",
		"9000",
		"127.0.0.1",
		"127.0.0.1:",
		":9000",
		"127.0.0.1:65536",
		"127.0.0.1:99999999999999999999",
		"127.0.0.1:-1",
		"127.0.0.1:+80",
		"127.0.0.1: 80",
		"127.0.0.1:80 ",
		"127.0.0.1:80x",
		"127.0.0.1:0x50",
		"127.0.0.1:8o",
		"::1:9000",
		"::9000",
		"[::1]",
		"[::1]:",
		"[::1]9000",
		"[::1:9000",
		"[]:9000",
		"[127.0.0.1]:9000",
		"[::g]:9000",
		"[localhost]:9000",
		"*:",
		"[*]:9000",
		"127.1:9000",
		"2130706433:9000",
		"256.0.0.1:9000",
		"127.0.0.1.:9000",
		"1:9000",
	};
	struct listen_addr	 a;
	char			 err[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0x5a, sizeof(a));
		err[0] = '\0';
		if (listen_parse(bad[i], &a, err, sizeof(err)) != -1)
			fail_msg("listen_parse(\"%s\") accepted", bad[i]);
		if (err[0] == '\0')
			fail_msg("listen_parse(\"%s\"): empty error", bad[i]);
		assert_int_equal(a.family, 0);
	}
	/* NULL address, NULL error buffer. */
	assert_int_equal(listen_parse(NULL, &a, err, sizeof(err)), -1);
	assert_int_equal(listen_parse("nope", &a, NULL, 0), -1);
}

static void
test_parse_err_truncated(void **state)
{
	struct listen_addr	 a;
	char			 err[8];

	(void)state;
	memset(err, 'z', sizeof(err));
	assert_int_equal(listen_parse("127.0.0.1:70000", &a, err,
	    sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	/* errlen 0: err is not touched. */
	err[0] = 'q';
	assert_int_equal(listen_parse("127.0.0.1:70000", &a, err, 0), -1);
	assert_int_equal(err[0], 'q');
}

/* ---- listen_open, TCP ---- */

static void
test_open_tcp4(void **state)
{
	struct listen_addr	 a, b;
	char			 desc[LISTEN_DESCR_MAX], want[64];
	in_port_t		 port;
	int			 fd, on = 0;
	socklen_t		 len = sizeof(on);

	(void)state;
	parse_ok("127.0.0.1:0", &a);
	fd = listen_open(&a, 0, NULL, NULL, 16);
	assert_true(fd >= 0);
	assert_true(has_cloexec(fd));
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, &len),
	    0);
	assert_true(on != 0);
	port = bound_port(fd);
	assert_true(port != 0);
	roundtrip_ipv4(fd, port);

	assert_int_equal(listen_describe(fd, desc, sizeof(desc)), 0);
	snprintf(want, sizeof(want), "127.0.0.1:%u", (unsigned)port);
	assert_string_equal(desc, want);
	/* What listen_describe prints, listen_parse reads back. */
	parse_ok(desc, &b);
	assert_int_equal(b.family, AF_INET);
	assert_int_equal(ntohs(b.u.sin.sin_port), port);

	/* The port is taken: a second socket on it fails. */
	assert_int_equal(listen_open(&b, 0, NULL, NULL, 16), -1);
	listen_close(fd, &a);
}

static void
test_open_tcp6(void **state)
{
	struct listen_addr	 a;
	struct sockaddr_in6	 sin6;
	char			 desc[LISTEN_DESCR_MAX], want[64];
	in_port_t		 port;
	int			 fd, v6only = 0;
	socklen_t		 len = sizeof(v6only);

	(void)state;
	if (!have_ipv6())
		SKIP_TEST("cannot bind ::1");
	parse_ok("[::1]:0", &a);
	fd = listen_open(&a, 0, NULL, NULL, 0);	/* 0: SOMAXCONN */
	assert_true(fd >= 0);
	assert_true(has_cloexec(fd));
	assert_int_equal(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
	    &len), 0);
	assert_int_equal(v6only, 1);
	port = bound_port(fd);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	sin6.sin6_port = htons(port);
	roundtrip(fd, (struct sockaddr *)&sin6, sizeof(sin6));
	assert_int_equal(listen_describe(fd, desc, sizeof(desc)), 0);
	snprintf(want, sizeof(want), "[::1]:%u", (unsigned)port);
	assert_string_equal(desc, want);
	listen_close(fd, &a);
}

static void
test_open_dualstack(void **state)
{
	struct listen_addr	 a;
	struct sockaddr_in6	 sin6;
	char			 desc[LISTEN_DESCR_MAX], want[64];
	in_port_t		 port;
	int			 fd, v6only = 1;
	socklen_t		 len = sizeof(v6only);

	(void)state;
	if (!have_ipv6())
		SKIP_TEST("cannot bind ::1");
	parse_ok("[::]:0", &a);
	fd = listen_open(&a, 0, NULL, NULL, 16);
	assert_true(fd >= 0);
	assert_int_equal(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
	    &len), 0);
	assert_int_equal(v6only, 0);
	port = bound_port(fd);
	/* Reachable over IPv4 and over IPv6. */
	roundtrip_ipv4(fd, port);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	sin6.sin6_port = htons(port);
	roundtrip(fd, (struct sockaddr *)&sin6, sizeof(sin6));
	assert_int_equal(listen_describe(fd, desc, sizeof(desc)), 0);
	snprintf(want, sizeof(want), "[::]:%u", (unsigned)port);
	assert_string_equal(desc, want);
	listen_close(fd, NULL);
}

static void
test_open_bad_family(void **state)
{
	struct listen_addr	 a;

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(listen_open(&a, 0, NULL, NULL, 16), -1);
}

/* ---- listen_open, unix ---- */

static void
check_unix_mode(mode_t mode)
{
	struct listen_addr	 a;
	struct stat		 st;
	char			 path[300], addr[320], desc[LISTEN_DESCR_MAX];
	mode_t			 old;
	int			 fd;

	tmp_path(path, sizeof(path), "mode.sock");
	snprintf(addr, sizeof(addr), "unix:%s", path);
	parse_ok(addr, &a);
	old = umask(022);
	fd = listen_open(&a, mode, NULL, "", 8);
	assert_int_equal(umask(old), 022);	/* umask restored */
	assert_true(fd >= 0);
	assert_true(has_cloexec(fd));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
	roundtrip_unix(fd, path);
	assert_int_equal(listen_describe(fd, desc, sizeof(desc)), 0);
	assert_string_equal(desc, addr);
	listen_close(fd, &a);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_open_unix_mode(void **state)
{
	(void)state;
	check_unix_mode(0660);
	check_unix_mode(0600);
	check_unix_mode(0666);	/* wider than the umask: chmod wins */
}

static void
test_open_unix_owner(void **state)
{
	struct listen_addr	 a;
	struct passwd		*pw;
	struct group		*gr;
	struct stat		 st;
	char			 path[300], addr[320], uid[32], user[64],
				 group[64];
	int			 fd;

	(void)state;
	pw = getpwuid(geteuid());
	gr = getgrgid(getegid());
	if (pw == NULL || gr == NULL)
		SKIP_TEST("no passwd or group entry for our ids");
	snprintf(user, sizeof(user), "%s", pw->pw_name);
	snprintf(group, sizeof(group), "%s", gr->gr_name);
	tmp_path(path, sizeof(path), "owner.sock");
	snprintf(addr, sizeof(addr), "unix:%s", path);
	parse_ok(addr, &a);

	/* Our own names: allowed without privileges. */
	fd = listen_open(&a, 0640, user, group, 8);
	assert_true(fd >= 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, getegid());
	assert_int_equal(st.st_mode & 07777, 0640);
	listen_close(fd, &a);

	/* Numeric ids. */
	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	fd = listen_open(&a, 0640, uid, NULL, 8);
	assert_true(fd >= 0);
	listen_close(fd, &a);

	/* Unknown names fail before anything is created. */
	assert_int_equal(listen_open(&a, 0640, "no-such-user-neon-authd",
	    NULL, 8), -1);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(listen_open(&a, 0640, NULL,
	    "no-such-group-neon-authd", 8), -1);
	assert_int_equal(lstat(path, &st), -1);
}

static void
test_open_unix_stale(void **state)
{
	struct listen_addr	 a;
	struct stat		 st;
	char			 path[300], addr[320];
	int			 raw, fd;

	(void)state;
	tmp_path(path, sizeof(path), "stale.sock");
	snprintf(addr, sizeof(addr), "unix:%s", path);
	parse_ok(addr, &a);

	/* A crashed instance: socket file left behind, nobody listening. */
	raw = raw_unix(path, 1);
	close(raw);
	assert_int_equal(lstat(path, &st), 0);
	fd = listen_open(&a, 0660, NULL, NULL, 8);
	assert_true(fd >= 0);
	roundtrip_unix(fd, path);
	listen_close(fd, &a);

	/* Bound but never listening: also stale. */
	raw = raw_unix(path, 0);
	fd = listen_open(&a, 0660, NULL, NULL, 8);
	assert_true(fd >= 0);
	roundtrip_unix(fd, path);
	listen_close(fd, &a);
	close(raw);
}

static void
test_open_unix_live(void **state)
{
	struct listen_addr	 a;
	struct stat		 st1, st2;
	char			 path[300], addr[320];
	int			 fd, raw;

	(void)state;
	tmp_path(path, sizeof(path), "live.sock");
	snprintf(addr, sizeof(addr), "unix:%s", path);
	parse_ok(addr, &a);
	fd = listen_open(&a, 0660, NULL, NULL, 8);
	assert_true(fd >= 0);
	assert_int_equal(lstat(path, &st1), 0);

	/* A second instance must not steal the socket. */
	assert_int_equal(listen_open(&a, 0660, NULL, NULL, 8), -1);
	assert_int_equal(lstat(path, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	drain_probe(fd);
	roundtrip_unix(fd, path);
	listen_close(fd, &a);

	/* A foreign live listener (not ours) is refused too. */
	raw = raw_unix(path, 1);
	assert_int_equal(listen_open(&a, 0660, NULL, NULL, 8), -1);
	drain_probe(raw);
	roundtrip_unix(raw, path);
	/* and listen_close does not remove what we did not create */
	listen_close(-1, &a);
	assert_int_equal(lstat(path, &st2), 0);
	close(raw);
	assert_int_equal(unlink(path), 0);
}

static void
test_open_unix_not_socket(void **state)
{
	struct listen_addr	 a;
	struct stat		 st;
	char			 path[300], addr[320], target[300], buf[8];
	int			 fd, raw;

	(void)state;
	tmp_path(path, sizeof(path), "file.sock");
	snprintf(addr, sizeof(addr), "unix:%s", path);
	parse_ok(addr, &a);

	/* A regular file is never replaced. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "data", 4), 4);
	close(fd);
	assert_int_equal(listen_open(&a, 0660, NULL, NULL, 8), -1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "data", 4);
	close(fd);
	assert_int_equal(unlink(path), 0);

	/* Nor a directory. */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(listen_open(&a, 0660, NULL, NULL, 8), -1);
	assert_int_equal(rmdir(path), 0);

	/* Nor a symlink, even to a stale socket. */
	tmp_path(target, sizeof(target), "target.sock");
	raw = raw_unix(target, 0);
	close(raw);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(listen_open(&a, 0660, NULL, NULL, 8), -1);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(target), 0);

	/* A missing directory is an ordinary bind error. */
	tmp_path(path, sizeof(path), "no-such-dir/x.sock");
	snprintf(addr, sizeof(addr), "unix:%s", path);
	parse_ok(addr, &a);
	assert_int_equal(listen_open(&a, 0660, NULL, NULL, 8), -1);
}

static void
test_close_replaced(void **state)
{
	struct listen_addr	 a;
	struct stat		 st;
	char			 path[300], addr[320];
	int			 fd, fd2;

	(void)state;
	tmp_path(path, sizeof(path), "replaced.sock");
	snprintf(addr, sizeof(addr), "unix:%s", path);
	parse_ok(addr, &a);
	fd = listen_open(&a, 0660, NULL, NULL, 8);
	assert_true(fd >= 0);

	/* Someone removed our file and put theirs in its place. */
	assert_int_equal(unlink(path), 0);
	fd2 = raw_unix(path, 1);
	listen_close(fd, &a);
	assert_int_equal(lstat(path, &st), 0);	/* theirs survives */
	close(fd2);
	assert_int_equal(unlink(path), 0);

	/* NULL address: only closes. */
	fd = listen_open(&a, 0660, NULL, NULL, 8);
	assert_true(fd >= 0);
	listen_close(fd, NULL);
	assert_int_equal(lstat(path, &st), 0);
	/* The record outlives the fd: a later close with a removes it. */
	listen_close(-1, &a);
	assert_int_equal(lstat(path, &st), -1);
}

/* ---- listen_describe ---- */

static void
test_describe(void **state)
{
	struct sockaddr_un	 sun;
	char			 desc[LISTEN_DESCR_MAX], small[8], name[64];
	int			 sv[2], fd, n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(listen_describe(sv[0], desc, sizeof(desc)), 0);
	assert_string_equal(desc, "unix:(unnamed)");
	close(sv[0]);
	close(sv[1]);

	/* Abstract socket. */
	n = snprintf(name, sizeof(name), "neon-authd-test-%ld",
	    (long)getpid());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, name, (size_t)n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, (socklen_t)
	    (offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)), 0);
	assert_int_equal(listen_describe(fd, desc, sizeof(desc)), 0);
	assert_string_equal(desc + 6, name);
	assert_memory_equal(desc, "unix:@", 6);
	close(fd);

	/* Too small a buffer: -1, truncated but terminated. */
	fd = open_loopback4();
	assert_int_equal(listen_describe(fd, small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	listen_close(fd, NULL);

	/* Not a socket, not open. */
	assert_int_equal(listen_describe(fd, desc, sizeof(desc)), -1);
}

/* ---- listen_inherit ---- */

static int
save_fd(int fd)
{
	/* -1 when fd is not open. */
	return (fcntl(fd, F_DUPFD_CLOEXEC, 100));
}

static void
restore_fd(int fd, int saved)
{
	if (saved >= 0) {
		assert_int_equal(dup2(saved, fd), fd);
		close(saved);
	} else
		close(fd);
}

/* Move fd onto target (as a spawner would: without FD_CLOEXEC). */
static void
place_fd(int fd, int target)
{
	if (fd == target) {
		assert_int_equal(fcntl(fd, F_SETFD, 0), 0);
		return;
	}
	assert_int_equal(dup2(fd, target), target);
	close(fd);
}

static void
set_listen_env(long pid, const char *nfds, const char *names)
{
	char	 buf[32];

	snprintf(buf, sizeof(buf), "%ld", pid);
	assert_int_equal(setenv("LISTEN_PID", buf, 1), 0);
	assert_int_equal(setenv("LISTEN_FDS", nfds, 1), 0);
	if (names != NULL)
		assert_int_equal(setenv("LISTEN_FDNAMES", names, 1), 0);
	else
		unsetenv("LISTEN_FDNAMES");
}

static void
assert_listen_env_unset(void)
{
	assert_null(getenv("LISTEN_PID"));
	assert_null(getenv("LISTEN_FDS"));
	assert_null(getenv("LISTEN_FDNAMES"));
}

static void
test_inherit_listen_fds(void **state)
{
	in_port_t	 port;
	int		 lfd, saved3;

	(void)state;
	saved3 = save_fd(3);
	lfd = open_loopback4();
	port = bound_port(lfd);
	place_fd(lfd, 3);
	assert_false(has_cloexec(3));

	set_listen_env((long)getpid(), "1", "neon-authd.socket");
	assert_int_equal(listen_inherit(), 3);
	assert_listen_env_unset();
	assert_true(has_cloexec(3));
	roundtrip_ipv4(3, port);

	/* The variables are gone: a second call finds nothing. */
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_NONE);
	restore_fd(3, saved3);
}

static void
test_inherit_wrong_pid(void **state)
{
	int	 lfd, saved3;

	(void)state;
	saved3 = save_fd(3);
	lfd = open_loopback4();
	place_fd(lfd, 3);

	/* Meant for another process (our parent, say): ignored. */
	set_listen_env((long)getpid() + 1, "1", NULL);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_NONE);
	assert_false(has_cloexec(3));	/* fd 3 untouched */
	assert_listen_env_unset();	/* like sd_listen_fds(1) */

	/* Malformed LISTEN_PID: not provably ours, ignored. */
	assert_int_equal(setenv("LISTEN_PID", "12abc", 1), 0);
	assert_int_equal(setenv("LISTEN_FDS", "1", 1), 0);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_NONE);
	assert_listen_env_unset();

	/* LISTEN_FDS alone (no LISTEN_PID): ignored. */
	assert_int_equal(setenv("LISTEN_FDS", "1", 1), 0);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_NONE);
	assert_listen_env_unset();
	assert_false(has_cloexec(3));
	restore_fd(3, saved3);
}

static void
test_inherit_two_fds(void **state)
{
	int	 lfd, saved3, saved4;

	(void)state;
	saved3 = save_fd(3);
	saved4 = save_fd(4);
	lfd = open_loopback4();
	place_fd(lfd, 3);
	lfd = open_loopback4();
	place_fd(lfd, 4);

	set_listen_env((long)getpid(), "2", "first:second");
	assert_int_equal(listen_inherit(), 3);
	assert_listen_env_unset();
	assert_true(has_cloexec(3));
	assert_true(has_cloexec(4));
	restore_fd(4, saved4);
	restore_fd(3, saved3);
}

static void
test_inherit_bad(void **state)
{
	struct listen_addr	 a;
	int			 saved3, fd, sv[2];

	(void)state;
	saved3 = save_fd(3);

	/* Malformed LISTEN_FDS meant for us: a hard error. */
	fd = open_loopback4();
	place_fd(fd, 3);
	set_listen_env((long)getpid(), "one", NULL);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_ERROR);
	assert_listen_env_unset();
	set_listen_env((long)getpid(), "-1", NULL);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_ERROR);
	set_listen_env((long)getpid(), "99999999999999999999", NULL);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_ERROR);

	/* LISTEN_FDS=0: nothing passed, not an error. */
	set_listen_env((long)getpid(), "0", NULL);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_NONE);
	assert_listen_env_unset();

	/* fd 3 a TCP socket that is not listening. */
	parse_ok("127.0.0.1:0", &a);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, &a.u.sa, a.len), 0);
	place_fd(fd, 3);
	set_listen_env((long)getpid(), "1", NULL);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_ERROR);

	/* fd 3 a datagram socket. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	place_fd(fd, 3);
	set_listen_env((long)getpid(), "1", NULL);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_ERROR);

	/* fd 3 a connected stream socket (socketpair). */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	place_fd(sv[0], 3);
	close(sv[1]);
	set_listen_env((long)getpid(), "1", NULL);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_ERROR);

	/* fd 3 a pipe. */
	assert_int_equal(pipe(sv), 0);
	place_fd(sv[0], 3);
	close(sv[1]);
	set_listen_env((long)getpid(), "1", NULL);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_ERROR);

	/* fd 3 closed. */
	close(3);
	set_listen_env((long)getpid(), "1", NULL);
	assert_int_equal(listen_inherit(), LISTEN_INHERIT_ERROR);
	assert_listen_env_unset();

	restore_fd(3, saved3);
}

/*
 * In a child: put `fd0` (or /dev/null when -1) on fd 0, close `other`
 * (if >= 0, the other end of a pair), clear LISTEN_*,
 * call listen_inherit() and report through the exit status (no cmocka
 * asserts in the child): 0 = it returned `want` and, for want == 0, fd 0
 * has FD_CLOEXEC and is bound to `port`; non-zero says which check failed.
 */
static void
inherit_fd0_child(int fd0, int other, int want, in_port_t port)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	pid_t			 pid;
	int			 status, rc, null;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (fd0 == -1) {
			null = open("/dev/null", O_RDONLY);
			if (null == -1 || dup2(null, 0) != 0)
				_exit(2);
			if (null != 0)
				close(null);
		} else if (dup2(fd0, 0) != 0)
			_exit(2);
		else
			close(fd0);
		if (other >= 0)
			close(other);
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		rc = listen_inherit();
		if (rc != want)
			_exit(1);
		if (want == 0 && !has_cloexec(0))
			_exit(3);
		if (want == 0 && (getsockname(0, (struct sockaddr *)&sin,
		    &slen) == -1 || ntohs(sin.sin_port) != port))
			_exit(4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_inherit_fd0(void **state)
{
	int	 lfd, sv[2];

	(void)state;
	/* spawn-fcgi style: a listening socket on fd 0. */
	lfd = open_loopback4();
	inherit_fd0_child(lfd, -1, 0, bound_port(lfd));
	close(lfd);

	/* fd 0 a connected socket (an inetd-style stdin): not ours. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	inherit_fd0_child(sv[0], sv[1], LISTEN_INHERIT_NONE, 0);
	close(sv[0]);
	close(sv[1]);

	/* fd 0 /dev/null: nothing inherited. */
	inherit_fd0_child(-1, -1, LISTEN_INHERIT_NONE, 0);
}

static void
test_inherit_fd0_unix(void **state)
{
	char	 path[300];
	pid_t	 pid;
	int	 raw, status;

	(void)state;
	tmp_path(path, sizeof(path), "fd0.sock");
	raw = raw_unix(path, 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (dup2(raw, 0) != 0)
			_exit(2);
		close(raw);
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		_exit(listen_inherit() == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(raw);
	assert_int_equal(unlink(path), 0);
}

/* listen.allow (issue 12 #17): peers checked at accept */
static void
test_allow_peers(void **state)
{
	char			*list[] = { "10.9.9.9", "192.0.2.0/24", "::1",
				    NULL };
	char			*bad[] = { "nonsense", NULL };
	struct sockaddr_in	 s4;
	struct sockaddr_in6	 s6;
	struct sockaddr_un	 su;

	(void)state;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;

	/* no list: anyone */
	assert_int_equal(listen_allow_set(NULL), 0);
	inet_pton(AF_INET, "203.0.113.1", &s4.sin_addr);
	assert_int_equal(listen_peer_allowed((struct sockaddr *)&s4,
	    sizeof(s4)), 1);

	assert_int_equal(listen_allow_set(list), 0);
	assert_int_equal(listen_peer_allowed((struct sockaddr *)&s4,
	    sizeof(s4)), 0);
	inet_pton(AF_INET, "10.9.9.9", &s4.sin_addr);
	assert_int_equal(listen_peer_allowed((struct sockaddr *)&s4,
	    sizeof(s4)), 1);
	inet_pton(AF_INET, "192.0.2.200", &s4.sin_addr);
	assert_int_equal(listen_peer_allowed((struct sockaddr *)&s4,
	    sizeof(s4)), 1);
	inet_pton(AF_INET, "127.0.0.1", &s4.sin_addr);
	assert_int_equal(listen_peer_allowed((struct sockaddr *)&s4,
	    sizeof(s4)), 0);
	inet_pton(AF_INET6, "::1", &s6.sin6_addr);
	assert_int_equal(listen_peer_allowed((struct sockaddr *)&s6,
	    sizeof(s6)), 1);
	/* an IPv4 client on a dual-stack socket */
	inet_pton(AF_INET6, "::ffff:10.9.9.9", &s6.sin6_addr);
	assert_int_equal(listen_peer_allowed((struct sockaddr *)&s6,
	    sizeof(s6)), 1);
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	assert_int_equal(listen_peer_allowed((struct sockaddr *)&s6,
	    sizeof(s6)), 0);
	/* unix sockets are not filtered: the file's mode is the rule */
	assert_int_equal(listen_peer_allowed((struct sockaddr *)&su,
	    sizeof(su)), 1);
	assert_int_equal(listen_allow_set(bad), -1);
	assert_int_equal(listen_allow_set(NULL), 0);
}

/* which listen addresses are exposed without an allowlist */
static void
test_exposed(void **state)
{
	static const struct {
		const char	*addr;
		int		 exposed;
	} cases[] = {
		{ "127.0.0.1:9000", 0 }, { "[::1]:9000", 0 },
		{ "*:9000", 1 }, { "[::]:9000", 1 }, { "0.0.0.0:9000", 1 },
		{ "192.0.2.10:9000", 1 }, { "unix:/run/x.sock", 0 },
	};
	struct listen_addr	 la;
	char			 err[128];
	size_t			 i;
	int			 fd;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(listen_parse(cases[i].addr, &la, err,
		    sizeof(err)), 0);
		assert_int_equal(listen_addr_exposed(&la), cases[i].exposed);
	}
	/* a bound socket */
	assert_int_equal(listen_parse("127.0.0.1:0", &la, err, sizeof(err)),
	    0);
	fd = listen_open(&la, 0, NULL, NULL, 4);
	assert_true(fd >= 0);
	assert_int_equal(listen_exposed(fd), 0);
	listen_close(fd, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_unix),
		cmocka_unit_test(test_parse_unix_max_len),
		cmocka_unit_test(test_parse_ipv4),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_parse_name),
		cmocka_unit_test(test_parse_ports),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_err_truncated),
		cmocka_unit_test(test_open_tcp4),
		cmocka_unit_test(test_open_tcp6),
		cmocka_unit_test(test_open_dualstack),
		cmocka_unit_test(test_open_bad_family),
		cmocka_unit_test(test_open_unix_mode),
		cmocka_unit_test(test_open_unix_owner),
		cmocka_unit_test(test_open_unix_stale),
		cmocka_unit_test(test_open_unix_live),
		cmocka_unit_test(test_open_unix_not_socket),
		cmocka_unit_test(test_close_replaced),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_inherit_listen_fds),
		cmocka_unit_test(test_inherit_wrong_pid),
		cmocka_unit_test(test_inherit_two_fds),
		cmocka_unit_test(test_inherit_bad),
		cmocka_unit_test(test_inherit_fd0),
		cmocka_unit_test(test_inherit_fd0_unix),
		cmocka_unit_test(test_allow_peers),
		cmocka_unit_test(test_exposed),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests_name("listen", tests, setup_dir,
	    teardown_dir));
}
