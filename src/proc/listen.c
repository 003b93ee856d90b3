/*
 * listen.c -- the master's listening socket (see listen.h).
 *
 * The master obtains one listening fd before forking the workers, which
 * all block in accept on it (fastcgi.md §0, §1.4).  The fd comes from, in
 * order: systemd's LISTEN_FDS, fd 0 from a spawner, or listen_open() from
 * the configuration.  We never use FCGX_OpenSocket: it neither detects a
 * stale unix socket nor sets the mode and owner.
 *
 * listen_open() remembers (device, inode) of each unix socket file it
 * binds, so that listen_close() unlinks only a file we created and that
 * has not been replaced since (say, by a newer instance after ours was
 * found stale).  The record survives fork(), deliberately: the master may
 * daemonize after opening the socket.  Workers therefore must not pass
 * the address to listen_close().
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc/listen.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/netaddr.h"

#define SD_LISTEN_FDS_START	3
#define UNIX_PREFIX		"unix:"
#define OWNED_MAX		8	/* unix sockets bound per process */

struct owned_path {
	int	 used;
	dev_t	 dev;
	ino_t	 ino;
};

static struct owned_path	 owned[OWNED_MAX];

static int	 set_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 parse_port(const char *, in_port_t *);
static int	 parse_unix(const char *, struct listen_addr *, char *, size_t);
static int	 parse_host(const char *, size_t, in_port_t, int,
		    struct listen_addr *, char *, size_t);
static int	 format_addr(const struct sockaddr *, socklen_t, char *,
		    size_t);
static int	 set_cloexec(int);
static int	 probe_unix(const char *);
static int	 resolve_id(const char *, int, unsigned int *);
static void	 own_path(const char *);
static int	 disown_path(const char *);
static int	 open_unix(const struct listen_addr *, mode_t, const char *,
		    const char *, int);
static int	 open_tcp(const struct listen_addr *, int);
static int	 check_listening(int, const char **);
static int	 parse_env_int(const char *, long, long *);
static int	 inherit_systemd(const char *, const char *, const char *);

/* Write a formatted message to err if there is room; always returns -1. */
static int
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return (-1);
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);	/* truncation is acceptable */
	va_end(ap);
	return (-1);
}

/* Strict decimal port, 0..65535: digits only, no sign, no blanks. */
static int
parse_port(const char *s, in_port_t *port)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 65535)
		return (-1);
	*port = htons((in_port_t)v);
	return (0);
}

static int
parse_unix(const char *path, struct listen_addr *out, char *err,
    size_t errlen)
{
	size_t	 n;

	n = strlen(path);
	if (n == 0)
		return (set_err(err, errlen, "unix: socket path is empty"));
	if (path[0] != '/')
		return (set_err(err, errlen,
		    "unix socket path must be absolute: %s", path));
	if (n >= sizeof(out->u.sun.sun_path))
		return (set_err(err, errlen,
		    "unix socket path too long (%zu bytes, max %zu)", n,
		    sizeof(out->u.sun.sun_path) - 1));
	out->family = AF_UNIX;
	out->u.sun.sun_family = AF_UNIX;
	memcpy(out->u.sun.sun_path, path, n + 1);
	out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return (0);
}

/*
 * host[0..hlen) with the brackets already stripped when `bracketed`.
 * Literals are parsed without DNS; names go through getaddrinfo.
 */
static int
parse_host(const char *host, size_t hlen, in_port_t port, int bracketed,
    struct listen_addr *out, char *err, size_t errlen)
{
	struct addrinfo		 hints, *res = NULL;
	const struct in6_addr	*in6;
	char			 name[NI_MAXHOST];
	int			 rc;

	if (hlen == 0)
		return (set_err(err, errlen, "missing host before the port"));
	if (hlen >= sizeof(name))
		return (set_err(err, errlen, "host name too long"));
	memcpy(name, host, hlen);
	name[hlen] = '\0';

	if (!bracketed && strcmp(name, "*") == 0) {
		out->family = AF_INET;
		out->u.sin.sin_family = AF_INET;
		out->u.sin.sin_addr.s_addr = htonl(INADDR_ANY);
		out->u.sin.sin_port = port;
		out->len = sizeof(out->u.sin);
		return (0);
	}
	if (!bracketed && strchr(name, ':') != NULL)
		return (set_err(err, errlen,
		    "IPv6 address must be in brackets: [%s]:port", name));
	if (!bracketed &&
	    inet_pton(AF_INET, name, &out->u.sin.sin_addr) == 1) {
		out->family = AF_INET;
		out->u.sin.sin_family = AF_INET;
		out->u.sin.sin_port = port;
		out->len = sizeof(out->u.sin);
		return (0);
	}
	/* No inet_aton() forms ("127.1", "2130706433") via the resolver. */
	if (!bracketed && strspn(name, "0123456789.") == hlen)
		return (set_err(err, errlen,
		    "invalid IPv4 address: %s", name));

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (bracketed) {
		/* Numeric only, but getaddrinfo understands "%scope". */
		hints.ai_family = AF_INET6;
		hints.ai_flags = AI_NUMERICHOST;
	} else {
		hints.ai_family = AF_UNSPEC;
		hints.ai_flags = AI_ADDRCONFIG;
	}
	if ((rc = getaddrinfo(name, NULL, &hints, &res)) != 0) {
		if (bracketed)
			return (set_err(err, errlen,
			    "invalid IPv6 address: [%s]", name));
		return (set_err(err, errlen, "cannot resolve %s: %s", name,
		    gai_strerror(rc)));
	}
	if (res == NULL || (res->ai_family != AF_INET &&
	    res->ai_family != AF_INET6) ||
	    res->ai_addrlen > sizeof(out->u)) {
		freeaddrinfo(res);
		return (set_err(err, errlen, "no usable address for %s",
		    name));
	}
	memcpy(&out->u, res->ai_addr, res->ai_addrlen);
	out->family = res->ai_family;
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	if (out->family == AF_INET) {
		out->u.sin.sin_port = port;
	} else {
		in6 = &out->u.sin6.sin6_addr;
		out->u.sin6.sin6_port = port;
		/* "[::]" means every address, IPv4 included: dual-stack. */
		out->v6only = !(IN6_IS_ADDR_UNSPECIFIED(in6) ||
		    IN6_IS_ADDR_V4MAPPED(in6));
	}
	return (0);
}

int
listen_parse(const char *address, struct listen_addr *out, char *err,
    size_t errlen)
{
	const char	*host, *colon, *rbr;
	size_t		 hlen;
	in_port_t	 port;
	int		 bracketed = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (address == NULL || *address == '\0')
		return (set_err(err, errlen, "empty listen address"));

	if (strncmp(address, UNIX_PREFIX, sizeof(UNIX_PREFIX) - 1) == 0)
		return (parse_unix(address + sizeof(UNIX_PREFIX) - 1, out,
		    err, errlen));

	host = address;
	if (*host == '[') {
		bracketed = 1;
		if ((rbr = strchr(host, ']')) == NULL)
			return (set_err(err, errlen,
			    "missing ']' in %s", address));
		host++;
		hlen = (size_t)(rbr - host);
		colon = rbr + 1;
		if (*colon != ':')
			return (set_err(err, errlen,
			    "expected ':PORT' after ']' in %s", address));
	} else {
		if ((colon = strrchr(host, ':')) == NULL)
			return (set_err(err, errlen,
			    "expected unix:/path or HOST:PORT, got %s",
			    address));
		hlen = (size_t)(colon - host);
	}
	if (parse_port(colon + 1, &port) == -1)
		return (set_err(err, errlen, "invalid port in %s "
		    "(expected 0..65535)", address));
	if (parse_host(host, hlen, port, bracketed, out, err, errlen) == -1) {
		memset(out, 0, sizeof(*out));
		return (-1);
	}
	return (0);
}

/*
 * Format a socket address in listen_parse() syntax.  Returns 0, or -1 if
 * the family is unknown or buf is too small (never logs).
 */
static int
format_addr(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t blen)
{
	const struct sockaddr_un	*sun;
	char				 host[NI_MAXHOST], serv[NI_MAXSERV];
	size_t				 off = offsetof(struct sockaddr_un,
					    sun_path), n;
	int				 rc;

	if (blen == 0)
		return (-1);
	buf[0] = '\0';
	switch (sa->sa_family) {
	case AF_UNIX:
		sun = (const struct sockaddr_un *)sa;
		if ((size_t)salen <= off)
			rc = snprintf(buf, blen, "unix:(unnamed)");
		else if (sun->sun_path[0] == '\0') {
			n = (size_t)salen - off - 1;
			rc = snprintf(buf, blen, "unix:@%.*s", (int)n,
			    sun->sun_path + 1);
		} else {
			n = strnlen(sun->sun_path, (size_t)salen - off);
			rc = snprintf(buf, blen, "unix:%.*s", (int)n,
			    sun->sun_path);
		}
		break;
	case AF_INET:
	case AF_INET6:
		if (getnameinfo(sa, salen, host, sizeof(host), serv,
		    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			return (-1);
		rc = snprintf(buf, blen, sa->sa_family == AF_INET6 ?
		    "[%s]:%s" : "%s:%s", host, serv);
		break;
	default:
		return (-1);
	}
	if (rc < 0 || (size_t)rc >= blen)
		return (-1);
	return (0);
}

static int
set_cloexec(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
		return (-1);
	return (0);
}

/*
 * Is something listening on the unix socket at path?
 * Returns 1 live, 0 stale (ECONNREFUSED) or gone, -1 unknown (logged).
 * The probe is non-blocking: a live listener with a full backlog answers
 * EAGAIN instead of blocking us.
 */
static int
probe_unix(const char *path)
{
	struct sockaddr_un	 sun;
	size_t			 n = strlen(path);
	int			 fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		log_warn("%s: socket", __func__);
		return (-1);
	}
	do {
		rc = connect(fd, (struct sockaddr *)&sun, (socklen_t)
		    (offsetof(struct sockaddr_un, sun_path) + n + 1));
	} while (rc == -1 && errno == EINTR);
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS)
		rc = 1;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		rc = 0;
	else {
		log_warn("%s: cannot tell whether %s is in use: connect",
		    __func__, path);
		rc = -1;
	}
	close(fd);
	return (rc);
}

/* A user (is_group = 0) or group name, or a numeric id. */
static int
resolve_id(const char *name, int is_group, unsigned int *id)
{
	struct passwd	 pw, *pwp = NULL;
	struct group	 gr, *grp = NULL;
	char		*buf = NULL, *nbuf, *end;
	size_t		 size;
	unsigned long	 v;
	int		 rc = ERANGE, found = 0;

	/* Big groups (LDAP) need more than sysconf's hint: grow to 1 MiB. */
	for (size = 16384; rc == ERANGE && size <= 1024 * 1024; size *= 2) {
		if ((nbuf = realloc(buf, size)) == NULL) {
			rc = errno;
			break;
		}
		buf = nbuf;
		if (is_group) {
			rc = getgrnam_r(name, &gr, buf, size, &grp);
			if (rc == 0 && grp != NULL) {
				*id = (unsigned int)grp->gr_gid;
				found = 1;
			}
		} else {
			rc = getpwnam_r(name, &pw, buf, size, &pwp);
			if (rc == 0 && pwp != NULL) {
				*id = (unsigned int)pwp->pw_uid;
				found = 1;
			}
		}
	}
	free(buf);
	if (found)
		return (0);
	if (*name >= '0' && *name <= '9') {
		errno = 0;
		v = strtoul(name, &end, 10);
		if (errno == 0 && *end == '\0' && v < (unsigned int)-1) {
			*id = (unsigned int)v;
			return (0);
		}
	}
	if (rc != 0) {
		errno = rc;
		log_warn("%s: looking up %s %s", __func__,
		    is_group ? "group" : "user", name);
	} else
		log_warnx("%s: unknown %s: %s", __func__,
		    is_group ? "group" : "user", name);
	return (-1);
}

/* Remember that we bound the socket file at path. */
static void
own_path(const char *path)
{
	struct stat	 st;
	size_t		 i;

	if (lstat(path, &st) == -1) {
		log_warn("%s: lstat %s", __func__, path);
		return;
	}
	for (i = 0; i < OWNED_MAX; i++) {
		if (owned[i].used && owned[i].dev == st.st_dev &&
		    owned[i].ino == st.st_ino)
			return;
	}
	for (i = 0; i < OWNED_MAX; i++) {
		if (!owned[i].used) {
			owned[i].used = 1;
			owned[i].dev = st.st_dev;
			owned[i].ino = st.st_ino;
			return;
		}
	}
	log_warnx("%s: more than %d unix sockets; %s will not be removed on "
	    "close", __func__, OWNED_MAX, path);
}

/* If we bound the socket file now at path, forget it and return 1. */
static int
disown_path(const char *path)
{
	struct stat	 st;
	size_t		 i;

	if (lstat(path, &st) == -1 || !S_ISSOCK(st.st_mode))
		return (0);
	for (i = 0; i < OWNED_MAX; i++) {
		if (owned[i].used && owned[i].dev == st.st_dev &&
		    owned[i].ino == st.st_ino) {
			memset(&owned[i], 0, sizeof(owned[i]));
			return (1);
		}
	}
	return (0);
}

static int
open_unix(const struct listen_addr *a, mode_t mode, const char *owner,
    const char *group, int backlog)
{
	const char	*path = a->u.sun.sun_path;
	struct stat	 st;
	unsigned int	 uid = (unsigned int)-1, gid = (unsigned int)-1;
	mode_t		 omask;
	int		 fd = -1, bound = 0, rc, saved;

	mode &= 07777;
	if (owner != NULL && *owner != '\0' &&
	    resolve_id(owner, 0, &uid) == -1)
		goto fail;
	if (group != NULL && *group != '\0' &&
	    resolve_id(group, 1, &gid) == -1)
		goto fail;

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("%s: %s exists and is not a socket; "
			    "refusing to replace it", __func__, path);
			goto fail;
		}
		switch (probe_unix(path)) {
		case 1:
			log_warnx("%s: %s is in use by a running process "
			    "(another neon-authd?)", __func__, path);
			goto fail;
		case 0:
			log_info("%s: removing stale socket %s", __func__,
			    path);
			if (unlink(path) == -1 && errno != ENOENT) {
				log_warn("%s: unlink %s", __func__, path);
				goto fail;
			}
			break;
		default:
			goto fail;
		}
	} else if (errno != ENOENT) {
		log_warn("%s: lstat %s", __func__, path);
		goto fail;
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", __func__);
		goto fail;
	}
	/* Never more permissive than `mode`, not even until chmod. */
	omask = umask(~mode & 0777);
	rc = bind(fd, &a->u.sa, a->len);
	saved = errno;
	(void)umask(omask);
	if (rc == -1) {
		errno = saved;
		log_warn("%s: bind %s", __func__, path);
		goto fail;
	}
	bound = 1;
	if (chmod(path, mode) == -1) {
		log_warn("%s: chmod %s %04o", __func__, path, (unsigned)mode);
		goto fail;
	}
	if ((uid != (unsigned int)-1 || gid != (unsigned int)-1) &&
	    lchown(path, (uid_t)uid, (gid_t)gid) == -1) {
		log_warn("%s: chown %s to %s:%s", __func__, path,
		    owner != NULL && *owner != '\0' ? owner : "-",
		    group != NULL && *group != '\0' ? group : "-");
		goto fail;
	}
	if (listen(fd, backlog) == -1) {
		log_warn("%s: listen %s", __func__, path);
		goto fail;
	}
	own_path(path);
	return (fd);
 fail:
	if (bound && unlink(path) == -1)
		log_warn("%s: unlink %s", __func__, path);
	if (fd != -1)
		close(fd);
	return (-1);
}

static int
open_tcp(const struct listen_addr *a, int backlog)
{
	char	 descr[LISTEN_DESCR_MAX];
	int	 fd = -1, on = 1, v6only;

	if (format_addr(&a->u.sa, a->len, descr, sizeof(descr)) == -1)
		(void)snprintf(descr, sizeof(descr), "(address family %d)",
		    a->family);
	if ((fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket for %s", __func__, descr);
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1) {
		log_warn("%s: setsockopt SO_REUSEADDR", __func__);
		goto fail;
	}
	if (a->family == AF_INET6) {
		v6only = a->v6only ? 1 : 0;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    sizeof(v6only)) == -1) {
			log_warn("%s: setsockopt IPV6_V6ONLY", __func__);
			goto fail;
		}
	}
	if (bind(fd, &a->u.sa, a->len) == -1) {
		log_warn("%s: bind %s", __func__, descr);
		goto fail;
	}
	if (listen(fd, backlog) == -1) {
		log_warn("%s: listen %s", __func__, descr);
		goto fail;
	}
	return (fd);
 fail:
	if (fd != -1)
		close(fd);
	return (-1);
}

int
listen_open(const struct listen_addr *a, mode_t mode, const char *owner,
    const char *group, int backlog)
{
	if (backlog <= 0)
		backlog = SOMAXCONN;
	switch (a->family) {
	case AF_UNIX:
		return (open_unix(a, mode, owner, group, backlog));
	case AF_INET:
	case AF_INET6:
		return (open_tcp(a, backlog));
	default:
		log_warnx("%s: unsupported address family %d", __func__,
		    a->family);
		return (-1);
	}
}

/*
 * 1 if fd is a listening SOCK_STREAM socket; otherwise 0 with *why set
 * to a short reason (never logs).
 */
static int
check_listening(int fd, const char **why)
{
	socklen_t	 len;
	int		 type, acc;

	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1) {
		*why = errno == ENOTSOCK ? "not a socket" :
		    errno == EBADF ? "not open" : "getsockopt(SO_TYPE) failed";
		return (0);
	}
	if (type != SOCK_STREAM) {
		*why = "not a stream socket";
		return (0);
	}
	len = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == -1) {
		*why = "getsockopt(SO_ACCEPTCONN) failed";
		return (0);
	}
	if (!acc) {
		*why = "not listening";
		return (0);
	}
	return (1);
}

/* Strict decimal 0..max from the environment; -1 if malformed. */
static int
parse_env_int(const char *s, long max, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > max)
		return (-1);
	*out = v;
	return (0);
}

/*
 * The LISTEN_FDS protocol (sd_listen_fds(3)).  The caller unsets the
 * variables afterwards, so everything is read from the strings here.
 */
static int
inherit_systemd(const char *pid_s, const char *fds_s, const char *names)
{
	const char	*why;
	long		 pid, nfds, i;
	size_t		 nlen;
	int		 fd = SD_LISTEN_FDS_START;

	if (pid_s == NULL || fds_s == NULL) {
		log_debug("%s: LISTEN_PID or LISTEN_FDS missing, ignored",
		    __func__);
		return (LISTEN_INHERIT_NONE);
	}
	if (parse_env_int(pid_s, LONG_MAX, &pid) == -1 || pid == 0) {
		log_warnx("%s: malformed LISTEN_PID=%.32s ignored", __func__,
		    pid_s);
		return (LISTEN_INHERIT_NONE);
	}
	if ((pid_t)pid != getpid()) {
		log_debug("%s: LISTEN_PID=%ld is not us (%ld), ignored",
		    __func__, pid, (long)getpid());
		return (LISTEN_INHERIT_NONE);
	}
	if (parse_env_int(fds_s, INT_MAX - SD_LISTEN_FDS_START,
	    &nfds) == -1) {
		log_warnx("%s: malformed LISTEN_FDS=%.32s", __func__, fds_s);
		return (LISTEN_INHERIT_ERROR);
	}
	if (nfds == 0)
		return (LISTEN_INHERIT_NONE);
	if (!check_listening(fd, &why)) {
		log_warnx("%s: LISTEN_FDS: fd %d is %s", __func__, fd, why);
		return (LISTEN_INHERIT_ERROR);
	}
	for (i = 0; i < nfds; i++) {
		if (set_cloexec(fd + (int)i) == -1 && i == 0) {
			log_warn("%s: fcntl FD_CLOEXEC on fd %d", __func__,
			    fd);
			return (LISTEN_INHERIT_ERROR);
		}
	}
	if (nfds > 1)
		log_warnx("%s: LISTEN_FDS=%ld: using only fd %d, ignoring "
		    "fds %d..%ld", __func__, nfds, fd, fd + 1,
		    (long)fd + nfds - 1);
	nlen = names != NULL ? strcspn(names, ":") : 0;
	log_info("%s: inherited fd %d from systemd%s%.*s", __func__, fd,
	    nlen > 0 ? ", name " : "", (int)(nlen > 64 ? 64 : nlen),
	    nlen > 0 ? names : "");
	return (fd);
}

int
listen_inherit(void)
{
	const char	*pid_s, *fds_s, *why;
	int		 rc;

	pid_s = getenv("LISTEN_PID");
	fds_s = getenv("LISTEN_FDS");
	if (pid_s != NULL || fds_s != NULL) {
		rc = inherit_systemd(pid_s, fds_s, getenv("LISTEN_FDNAMES"));
		(void)unsetenv("LISTEN_PID");
		(void)unsetenv("LISTEN_FDS");
		(void)unsetenv("LISTEN_FDNAMES");
		if (rc != LISTEN_INHERIT_NONE)
			return (rc);
	}

	/* spawn-fcgi / lighttpd: FCGI_LISTENSOCK_FILENO == 0. */
	if (!check_listening(0, &why)) {
		log_debug("%s: fd 0 is %s: no inherited socket", __func__,
		    why);
		return (LISTEN_INHERIT_NONE);
	}
	if (set_cloexec(0) == -1) {
		log_warn("%s: fcntl FD_CLOEXEC on fd 0", __func__);
		return (LISTEN_INHERIT_ERROR);
	}
	log_info("%s: inherited listening socket on fd 0", __func__);
	return (0);
}

void
listen_close(int fd, const struct listen_addr *a)
{
	const char	*path;

	if (a != NULL && a->family == AF_UNIX) {
		path = a->u.sun.sun_path;
		if (disown_path(path) && unlink(path) == -1 &&
		    errno != ENOENT)
			log_warn("%s: unlink %s", __func__, path);
	}
	if (fd >= 0)
		close(fd);
}

int
listen_describe(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);

	if (len > 0)
		buf[0] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		log_warn("%s: getsockname fd %d", __func__, fd);
		return (-1);
	}
	if (format_addr((struct sockaddr *)&ss, sslen, buf, len) == -1) {
		log_warnx("%s: cannot describe fd %d (family %d, buffer %zu "
		    "bytes)", __func__, fd, (int)ss.ss_family, len);
		return (-1);
	}
	return (0);
}

/* one sock_diag request for the unix socket with inode ino */
static int
unix_queue(unsigned long ino, int *len, int *max)
{
	struct {
		struct nlmsghdr		 nh;
		struct unix_diag_req	 req;
	} q;
	struct sockaddr_nl	 sa;
	union {
		struct nlmsghdr	 nh;
		char		 buf[8192];
	} resp;
	struct timeval		 tv = { 0, 200000 };
	struct nlmsghdr		*h;
	struct unix_diag_msg	*m;
	struct rtattr		*at;
	ssize_t			 n;
	int			 fd, rc = -1, alen;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return (-1);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&q, 0, sizeof(q));
	q.nh.nlmsg_len = sizeof(q);
	q.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.nh.nlmsg_flags = NLM_F_REQUEST;
	q.req.sdiag_family = AF_UNIX;
	q.req.udiag_states = ~0u;
	q.req.udiag_ino = (unsigned)ino;
	q.req.udiag_show = UDIAG_SHOW_RQLEN;
	q.req.udiag_cookie[0] = q.req.udiag_cookie[1] = ~0u;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) != (ssize_t)sizeof(q))
		goto done;
	if ((n = recv(fd, resp.buf, sizeof(resp.buf), 0)) <= 0)
		goto done;
	for (h = &resp.nh; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			break;
		m = NLMSG_DATA(h);
		if (m->udiag_ino != ino)
			continue;
		alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
		for (at = (struct rtattr *)(m + 1); RTA_OK(at, alen);
		    at = RTA_NEXT(at, alen))
			if (at->rta_type == UNIX_DIAG_RQLEN &&
			    RTA_PAYLOAD(at) >= (int)sizeof(struct
			    unix_diag_rqlen)) {
				struct unix_diag_rqlen *rq = RTA_DATA(at);

				*len = (int)rq->udiag_rqueue;
				*max = (int)rq->udiag_wqueue;
				rc = 0;
			}
		break;
	}
 done:
	close(fd);
	return (rc);
}

int
listen_queue(int fd, int *len, int *max)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	struct tcp_info		 ti;
	socklen_t		 tl = sizeof(ti);
	struct stat		 st;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return (-1);
	if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
		/* on a listening socket: unacked = queued, sacked = backlog */
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == -1 ||
		    ti.tcpi_state != TCP_LISTEN)
			return (-1);
		*len = (int)ti.tcpi_unacked;
		*max = (int)ti.tcpi_sacked;
		return (0);
	}
	if (ss.ss_family == AF_UNIX && fstat(fd, &st) == 0)
		return (unix_queue((unsigned long)st.st_ino, len, max));
	return (-1);
}

/* ---- who may connect over TCP (listen.allow) ---------------------- */

static struct netaddr_cidr	 allow[CONFIG_ALLOW_MAX];
static int			 nallow = -1;	/* -1: any */

/* the peer's address, IPv4 mapped; 0, or -1 when not IP */
static int
sock_in6(const struct sockaddr *sa, socklen_t len, struct in6_addr *a)
{
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)sa;

		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &sin->sin_addr, 4);
		return (0);
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		*a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		return (0);
	}
	return (-1);
}

int
listen_exposed(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	struct in6_addr		 a;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    sock_in6((struct sockaddr *)&ss, sl, &a) == -1)
		return (0);
	return (!netaddr_is_loopback(&a));
}

int
listen_addr_exposed(const struct listen_addr *la)
{
	struct in6_addr	 a;

	if (sock_in6(&la->u.sa, la->len, &a) == -1)
		return (0);
	return (!netaddr_is_loopback(&a));
}

int
listen_allow_set(char *const *list)
{
	int	 n = 0;

	nallow = -1;
	if (list == NULL)
		return (0);
	for (; list[n] != NULL; n++)
		if (n >= CONFIG_ALLOW_MAX ||
		    netaddr_cidr_parse(list[n], &allow[n]) == -1)
			return (-1);
	nallow = n;
	return (0);
}

int
listen_peer_allowed(const struct sockaddr *sa, socklen_t len)
{
	struct in6_addr	 a;
	int		 i;

	if (nallow < 0 || sock_in6(sa, len, &a) == -1)
		return (1);
	for (i = 0; i < nallow; i++)
		if (netaddr_cidr_match(&a, &allow[i]))
			return (1);
	return (0);
}
