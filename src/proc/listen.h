/*
 * listen.h -- the master's listening socket: parse the configured address,
 * create the socket, or inherit one from systemd (LISTEN_FDS) or from a
 * spawner (fd 0, spawn-fcgi / lighttpd bin-path).  fastcgi.md §1.4, §3.1,
 * §3.2.
 *
 * Invariants:
 *  - Every fd returned here is a listening SOCK_STREAM socket with
 *    FD_CLOEXEC set: workers get it through fork(), never through exec().
 *  - Nothing here calls exit(); failures are logged with __func__ (or, for
 *    listen_parse, written to the caller's error buffer) and reported as -1.
 *  - A unix socket path is unlinked only if listen_open() created it and
 *    only while the path still names that very file (listen_close).
 */
#ifndef NEON_AUTHD_LISTEN_H
#define NEON_AUTHD_LISTEN_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <stddef.h>

/* listen_inherit() results other than an fd. */
#define LISTEN_INHERIT_NONE	(-1)	/* nothing inherited: create a socket */
#define LISTEN_INHERIT_ERROR	(-2)	/* inherited state is broken: give up */

/* Enough for any listen_describe() output and any error message. */
#define LISTEN_DESCR_MAX	160

/*
 * A parsed listen address.  Filled by listen_parse(); the caller owns it
 * (plain data, nothing to free).  `family` selects the union member:
 * AF_UNIX uses sun (sun_path is NUL-terminated and absolute), AF_INET
 * sin, AF_INET6 sin6.  `len` is the length to pass to bind(2).  `v6only`
 * is the IPV6_V6ONLY value listen_open() sets for AF_INET6.
 */
struct listen_addr {
	int			 family;
	int			 v6only;
	socklen_t		 len;
	union {
		struct sockaddr		 sa;
		struct sockaddr_un	 sun;
		struct sockaddr_in	 sin;
		struct sockaddr_in6	 sin6;
	} u;
};

/*
 * listen_parse: parse a listen address into *out.
 *
 * Accepted forms:
 *   unix:/abs/path      unix stream socket (absolute path, < 108 bytes)
 *   127.0.0.1:9000      IPv4 literal
 *   [::1]:9000          IPv6 literal, brackets required (%scope allowed);
 *                       bound with IPV6_V6ONLY on
 *   *:9000              all IPv4 addresses (INADDR_ANY)
 *   [::]:9000           all addresses, IPv6 *and* IPv4: the socket is
 *                       dual-stack (IPV6_V6ONLY off, whatever the sysctl
 *                       net.ipv6.bindv6only says), so IPv4 clients appear
 *                       as ::ffff:a.b.c.d
 *   localhost:9000      a host name, resolved now with getaddrinfo(3)
 *                       (AI_ADDRCONFIG); the first address is used
 * The port is decimal digits only, 0..65535 (0 = kernel's choice, for
 * tests).  Nothing is logged: on failure a one-line reason is written to
 * err (if err != NULL and errlen > 0) and -1 is returned.  Returns 0 on
 * success.
 */
int	 listen_parse(const char *address, struct listen_addr *out, char *err,
	    size_t errlen);

/*
 * listen_open: create, bind and listen on a socket for *a.
 *
 * TCP: SO_REUSEADDR; AF_INET6 gets IPV6_V6ONLY = a->v6only.  mode, owner
 * and group are ignored.
 * unix: if the path exists it must be a socket nobody is listening on
 * (php-fpm style): a successful connect() means a live instance owns it
 * and we fail; ECONNREFUSED means it is stale and is unlinked; anything
 * that is not a socket (including a symlink) is refused and left alone.
 * The socket file never has more permissions than `mode` (umask is
 * narrowed around bind(2)) and is then chmod'ed to exactly `mode`.
 * owner / group are user / group names (or numeric ids); NULL or "" leaves
 * that id unchanged.  Changing the owner normally needs root.
 * backlog <= 0 selects SOMAXCONN.
 *
 * Returns the listening fd (SOCK_CLOEXEC; fork() keeps it), or -1 after
 * logging why.  On failure a unix path we bound is removed again.
 */
int	 listen_open(const struct listen_addr *a, mode_t mode,
	    const char *owner, const char *group, int backlog);

/*
 * listen_inherit: find a listening socket handed to us, in the order of
 * fastcgi.md §1.4:
 *  1. systemd socket activation: LISTEN_PID == getpid() and LISTEN_FDS >= 1
 *     gives fd 3 (if LISTEN_FDS > 1 the first is used and a warning is
 *     logged; the others get FD_CLOEXEC and are left open);
 *  2. fd 0, if it is a listening SOCK_STREAM socket (spawn-fcgi, lighttpd).
 * The fd is checked (SO_TYPE == SOCK_STREAM, SO_ACCEPTCONN == 1) and gets
 * FD_CLOEXEC.  LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are unset
 * whenever LISTEN_PID or LISTEN_FDS was present, whoever they were meant
 * for (as sd_listen_fds(1) does), so nothing we fork misreads them.
 *
 * Returns the fd (3 or 0), LISTEN_INHERIT_NONE (-1) when nothing was
 * inherited (not an error: the caller creates the socket), or
 * LISTEN_INHERIT_ERROR (-2, logged) when LISTEN_FDS is meant for us but is
 * malformed or fd 3 is not a listening stream socket.
 */
int	 listen_inherit(void);

/*
 * listen_close: close fd (if >= 0) and, when a is a unix address whose
 * socket file was created by listen_open() in this process or an
 * ancestor before fork() (the master may daemonize after opening), and
 * the path still names that file (same device and inode), unlink the path
 * first.  For an inherited fd, nothing is unlinked whatever a says; pass
 * a = NULL there anyway.  Only the master passes a: a worker must not
 * (the check cannot tell a forked worker from a daemonized master).
 * Never fails; unlink errors are logged.
 */
void	 listen_close(int fd, const struct listen_addr *a);

/*
 * listen_describe: write what fd is bound to into buf, in the syntax of
 * listen_parse() ("unix:/run/x.sock", "127.0.0.1:9000", "[::1]:9000"), or
 * "unix:@name" for an abstract socket and "unix:(unnamed)" for an unbound
 * one.  Returns 0, or -1 (logged) if getsockname fails, the family is
 * unknown or buf is too small (buf then holds a truncated, NUL-terminated
 * string when len > 0).  LISTEN_DESCR_MAX bytes always suffice.
 */
int	 listen_describe(int fd, char *buf, size_t len);

/*
 * listen_queue: the connections waiting in fd's accept queue (*len) and
 * the queue's limit (*max), as the kernel reports them: TCP_INFO for a
 * TCP socket, sock_diag (UNIX_DIAG_RQLEN) for a unix one.  0, or -1 when
 * the kernel does not tell (e.g. netlink refused by a sandbox).
 */
int	 listen_queue(int fd, int *len, int *max);

/*
 * listen_exposed: 1 when fd is a TCP socket bound to a wildcard or a
 * non-loopback address (anyone who reaches the port can send FastCGI
 * parameters: REMOTE_ADDR, HTTPS, Host), else 0.
 */
int	 listen_exposed(int fd);
/* listen_addr_exposed: the same for a parsed listen.address. */
int	 listen_addr_exposed(const struct listen_addr *la);

/*
 * listen_allow_set: the web-server addresses allowed to connect over TCP
 * (listen.allow: "addr" or "addr/bits", NULL-terminated; NULL = any).
 * 0, or -1 when an entry does not parse (config_load checked them).
 */
int	 listen_allow_set(char *const *list);

/*
 * listen_peer_allowed: 1 when a connection from sa may be served: not
 * TCP, no list set, or the peer is in the list; else 0.
 */
int	 listen_peer_allowed(const struct sockaddr *sa, socklen_t len);

#endif
