/*
 * stale.c -- the stale probe (issue 18): revoke a session through SQL
 * while client threads call get-session in a tight loop through nginx
 * (every worker), and count the answers that still show the session
 * although their request was sent after the revoking COMMIT returned.
 *
 *   stale HOST PORT PATH COOKIE CONNINFO SQL [THREADS]
 *
 * PATH: the get-session path ("/neondb/auth/get-session"); COOKIE: the
 * Cookie header value; SQL: the revoking statement (autocommit).  Prints
 * one line: "requests N after_commit N stale N max_delay_us N
 * first_fresh_us N".  max_delay_us: how long after the commit the last
 * stale request was sent (0 when none).  Bounded: each thread stops 300 ms
 * after the commit, or after 5 s in all.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXT	32
#define BUF	65536

static const char	*host, *path, *cookie;
static int		 port;
static int64_t		 commit_us;	/* 0 until the COMMIT returned */
static int		 ready;

struct th {
	pthread_t	 t;
	long		 requests, after, stale, warm;
	int64_t		 max_delay, first_fresh;
};

static int64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static int
dial(void)
{
	struct sockaddr_in	 sa;
	int			 fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* one get-session on fd: 1 session shown, 0 not, -1 broken */
static int
get_session(int fd, char *buf)
{
	char	 req[8192], *hend, *cl;
	size_t	 have = 0, need;
	ssize_t	 n;
	int	 len;

	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "Cookie: %s\r\n\r\n", path, host, port, cookie);
	if (len <= 0 || (size_t)len >= sizeof(req) ||
	    write(fd, req, (size_t)len) != len)
		return (-1);
	for (;;) {
		if ((n = read(fd, buf + have, BUF - 1 - have)) <= 0)
			return (-1);
		have += (size_t)n;
		buf[have] = '\0';
		if ((hend = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if ((cl = strcasestr(buf, "\r\ncontent-length:")) == NULL ||
		    cl > hend)
			return (-1);	/* nginx passes our length on */
		need = (size_t)(hend + 4 - buf) + strtoul(cl + 17, NULL, 10);
		if (have >= need)
			break;
	}
	return (strstr(hend, "\"session\":{") != NULL);
}

static void *
run(void *arg)
{
	struct th	*t = arg;
	char		*buf = malloc(BUF);
	int64_t		 sent, c, stop = now_us() + 5000000;
	int		 fd = dial(), rc;

	if (buf == NULL || fd == -1) {
		fprintf(stderr, "stale: cannot connect\n");
		exit(1);
	}
	for (;;) {
		sent = now_us();
		if (sent > stop)
			break;
		if ((rc = get_session(fd, buf)) == -1) {
			close(fd);
			if ((fd = dial()) == -1)
				break;
			continue;
		}
		t->requests++;
		if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE) && rc == 1)
			t->warm++;
		c = __atomic_load_n(&commit_us, __ATOMIC_ACQUIRE);
		if (c == 0)
			continue;
		if (sent > c) {
			t->after++;
			if (rc == 1) {
				t->stale++;
				if (sent - c > t->max_delay)
					t->max_delay = sent - c;
			} else if (t->first_fresh == 0)
				t->first_fresh = sent - c;
		}
		if (sent - c > 300000)
			break;
	}
	free(buf);
	close(fd);
	return (NULL);
}

/* a decimal argument in min..max, else -1 */
static int
arg_num(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return (-1);
	return ((int)v);
}

int
main(int argc, char **argv)
{
	struct th	 th[MAXT];
	PGconn		*pg;
	PGresult	*res;
	int		 n = 8, i, warm;
	long		 req = 0, after = 0, stale = 0;
	int64_t		 maxd = 0, ff = 0, t0;

	if (argc < 7) {
		fprintf(stderr, "usage: stale HOST PORT PATH COOKIE CONNINFO "
		    "SQL [THREADS]\n");
		return (2);
	}
	host = argv[1];
	if ((port = arg_num(argv[2], 1, 65535)) == -1) {
		fprintf(stderr, "stale: PORT: 1 to 65535\n");
		return (2);
	}
	path = argv[3];
	cookie = argv[4];
	if (argc > 7)
		n = arg_num(argv[7], 1, MAXT);
	if (n < 1 || n > MAXT)
		n = 8;
	pg = PQconnectdb(argv[5]);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "stale: %s", PQerrorMessage(pg));
		return (1);
	}
	memset(th, 0, sizeof(th));
	for (i = 0; i < n; i++)
		pthread_create(&th[i].t, NULL, run, &th[i]);
	/* every thread has seen the session a few times (bounded: 2 s) */
	t0 = now_us();
	do {
		usleep(2000);
		for (i = 0, warm = 1; i < n; i++)
			if (__atomic_load_n(&th[i].warm, __ATOMIC_RELAXED) < 20)
				warm = 0;
	} while (!warm && now_us() - t0 < 2000000);
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	res = PQexec(pg, argv[6]);
	__atomic_store_n(&commit_us, now_us(), __ATOMIC_RELEASE);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "stale: %s", PQerrorMessage(pg));
		return (1);
	}
	PQclear(res);
	for (i = 0; i < n; i++) {
		pthread_join(th[i].t, NULL);
		req += th[i].requests;
		after += th[i].after;
		stale += th[i].stale;
		if (th[i].max_delay > maxd)
			maxd = th[i].max_delay;
		if (th[i].first_fresh > 0 &&
		    (ff == 0 || th[i].first_fresh < ff))
			ff = th[i].first_fresh;
	}
	printf("requests %ld after_commit %ld stale %ld max_delay_us %lld "
	    "first_fresh_us %lld warm %d\n", req, after, stale,
	    (long long)maxd, (long long)ff, warm);
	PQfinish(pg);
	return (0);
}
