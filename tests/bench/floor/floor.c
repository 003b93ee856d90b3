/*
 * floor.c -- the bench's floor programs (issue 18): the least a FastCGI
 * server behind the same nginx can do, to compare neon-authd with.
 *
 *   floor SOCKET WORKERS hello
 *   floor SOCKET WORKERS lookup CONNINFO TOKEN
 *
 * hello: every request answers 200 "{\"ok\":true}".  lookup: every
 * request runs one prepared statement (the session of TOKEN joined with
 * its user, the columns get-session returns) on the worker's one
 * connection and answers the row as JSON, no cookie, no signature.  A
 * prefork master: WORKERS processes accept on one unix socket; SIGTERM
 * stops them all.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcgiapp.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char	*const cols[] = {
	"id", "expiresAt", "token", "createdAt", "updatedAt", "ipAddress",
	"userAgent", "userId", "impersonatedBy", "activeOrganizationId",
	"id", "name", "email", "emailVerified", "image", "createdAt",
	"updatedAt", "role", "banned", "banReason", "banExpires"
};
#define NCOLS	21
#define NSESS	10

/* append v as a JSON string (or null, or a bare word when raw) */
static size_t
put(char *b, size_t at, size_t cap, const char *v, int null, int raw)
{
	const char	*p;

	if (null || raw) {
		p = null ? "null" : v;
		while (*p != '\0' && at < cap)
			b[at++] = *p++;
		return (at);
	}
	if (at < cap)
		b[at++] = '"';
	for (p = v; *p != '\0' && at + 2 < cap; p++) {
		if (*p == '"' || *p == '\\')
			b[at++] = '\\';
		b[at++] = *p;
	}
	if (at < cap)
		b[at++] = '"';
	return (at);
}

static void
serve(int fd, int lookup, const char *conninfo, const char *token)
{
	FCGX_Request	 req;
	PGconn		*db = NULL;
	PGresult	*res;
	static char	 body[8192];
	size_t		 n;
	int		 c;

	if (lookup) {
		db = PQconnectdb(conninfo);
		if (PQstatus(db) != CONNECTION_OK)
			_exit(1);
		PQclear(PQexec(db, "SET TimeZone = 'UTC'"));
		res = PQprepare(db, "s", "SELECT s.id, s.\"expiresAt\", "
		    "s.token, s.\"createdAt\", s.\"updatedAt\", "
		    "s.\"ipAddress\", s.\"userAgent\", s.\"userId\", "
		    "s.\"impersonatedBy\", s.\"activeOrganizationId\", u.id, "
		    "u.name, u.email, u.\"emailVerified\", u.image, "
		    "u.\"createdAt\", u.\"updatedAt\", u.role, u.banned, "
		    "u.\"banReason\", u.\"banExpires\" FROM "
		    "neon_auth.session s JOIN neon_auth.\"user\" u ON u.id = "
		    "s.\"userId\" WHERE s.token = $1", 1, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			_exit(1);
		PQclear(res);
	}
	FCGX_InitRequest(&req, fd, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		if (!lookup) {
			FCGX_PutS("Status: 200 OK\r\nContent-Type: "
			    "application/json\r\nContent-Length: 11\r\n\r\n"
			    "{\"ok\":true}", req.out);
			FCGX_Finish_r(&req);
			continue;
		}
		res = PQexecPrepared(db, "s", 1, &token, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQntuples(res) != 1) {
			FCGX_PutS("Status: 200 OK\r\nContent-Type: "
			    "application/json\r\nContent-Length: 4\r\n\r\nnull",
			    req.out);
		} else {
			n = put(body, 0, sizeof(body), "{\"session\":{", 0, 1);
			for (c = 0; c < NCOLS; c++) {
				if (c == NSESS)
					n = put(body, n, sizeof(body),
					    "},\"user\":{", 0, 1);
				else if (c > 0)
					n = put(body, n, sizeof(body), ",", 0,
					    1);
				n = put(body, n, sizeof(body), cols[c], 0, 0);
				n = put(body, n, sizeof(body), ":", 0, 1);
				if (c == 13 || c == 18)
					n = put(body, n, sizeof(body),
					    *PQgetvalue(res, 0, c) == 't' ?
					    "true" : "false",
					    PQgetisnull(res, 0, c), 1);
				else
					n = put(body, n, sizeof(body),
					    PQgetvalue(res, 0, c),
					    PQgetisnull(res, 0, c), 0);
			}
			n = put(body, n, sizeof(body), "}}", 0, 1);
			FCGX_FPrintF(req.out, "Status: 200 OK\r\nContent-Type: "
			    "application/json\r\nContent-Length: %d\r\n\r\n",
			    (int)n);
			FCGX_PutStr(body, (int)n, req.out);
		}
		PQclear(res);
		FCGX_Finish_r(&req);
	}
	_exit(0);
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
	sigset_t	 set;
	pid_t		 kids[64];
	int		 fd, n, i, sig, lookup;

	if (argc < 4 || (n = arg_num(argv[2], 1, 64)) == -1 ||
	    ((lookup = strcmp(argv[3], "lookup") == 0) && argc < 6)) {
		fprintf(stderr, "usage: floor SOCKET WORKERS hello | "
		    "lookup CONNINFO TOKEN\n");
		return (2);
	}
	if (FCGX_Init() != 0)
		return (1);
	unlink(argv[1]);
	if ((fd = FCGX_OpenSocket(argv[1], 511)) < 0)
		return (1);
	chmod(argv[1], 0666);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < n; i++) {
		if ((kids[i] = fork()) == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			serve(fd, lookup, lookup ? argv[4] : NULL,
			    lookup ? argv[5] : NULL);
		}
		if (kids[i] == -1)
			return (1);
	}
	sigwait(&set, &sig);
	for (i = 0; i < n; i++)
		kill(kids[i], SIGTERM);
	for (i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	unlink(argv[1]);
	return (0);
}
