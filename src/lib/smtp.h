/*
 * smtp.h -- sending messages to SMTP servers through libcurl's multi
 * interface: several deliveries at once in one thread, each with a
 * timeout on the connection, on every server response and on the whole.
 *
 * Security modes (README "Email"): "tls" (implicit TLS, smtps://; the
 * default for port 465), "starttls" (STARTTLS required; the default
 * otherwise), "none" (plain SMTP: refused unless the host is loopback or
 * allow_plain is set).  Certificates and host names are always verified.
 *
 * smtp.c is, with httpc.c, the only file that includes curl/curl.h.
 */
#ifndef NEON_AUTHD_SMTP_H
#define NEON_AUTHD_SMTP_H

#include <stddef.h>

enum smtp_security {
	SMTP_TLS = 0,
	SMTP_STARTTLS,
	SMTP_NONE,
};

/* smtp_security_parse: "tls" | "starttls" | "none", or -1. */
int		 smtp_security_parse(const char *s);
const char	*smtp_security_name(enum smtp_security s);
/*
 * smtp_resolve: fill in what was left out: security from the port (465:
 * tls, else starttls) when *security is -1, the port from the security
 * (tls: 465, else 587) when *port is 0.
 */
void		 smtp_resolve(int *security, int *port);
/* smtp_host_loopback: "localhost", 127.0.0.0/8 or ::1. */
int		 smtp_host_loopback(const char *host);
/* smtp_host_ok: a host name or IP literal (no scheme, port, path). */
int		 smtp_host_ok(const char *host);

struct smtp_options {
	const char	*ca_file;		/* NULL, "": the system's */
	int		 connect_timeout_s;	/* TCP + TLS + greeting */
	int		 step_timeout_s;	/* each server response */
	int		 total_timeout_s;	/* the whole delivery */
	int		 allow_plain;		/* "none" to any host */
	int		 max_running;		/* deliveries at once */
};

/* one delivery: the strings are copied by smtp_start */
struct smtp_job {
	const char		*host;
	int			 port;
	enum smtp_security	 security;
	const char		*user;		/* NULL, "": no AUTH */
	const char		*pass;
	const char		*from;		/* envelope addresses */
	const char		*to;
	const char		*msg;		/* the message, CRLF */
	size_t			 len;
};

struct smtp_result {
	int	 ok;		/* the server accepted the message */
	int	 permanent;	/* 5xx, or a refused setting: no retry */
	int	 code;		/* the last SMTP reply, 0 when none */
	char	 error[200];	/* why not, one line, never a secret */
};

struct smtp_multi;

/* smtp_multi_new: a delivery engine; NULL on failure (logged). */
struct smtp_multi	*smtp_multi_new(const struct smtp_options *o);
/* smtp_multi_free: abort what runs and free (NULL ok). */
void			 smtp_multi_free(struct smtp_multi *m);
/*
 * smtp_start: begin delivering j; tag comes back from smtp_next_done.
 * Returns 0, or -1 with *refused filled when the job cannot start (a
 * refused setting is permanent: plain SMTP to a remote host).
 */
int			 smtp_start(struct smtp_multi *m,
			    const struct smtp_job *j, void *tag,
			    struct smtp_result *refused);
/* smtp_running: deliveries in progress. */
int			 smtp_running(const struct smtp_multi *m);
/*
 * smtp_poll: drive the deliveries, waiting at most timeout_ms for
 * network activity or for one of the nfds descriptors to become
 * readable (their revents set in readable[i], 0 or 1).  0, or -1.
 */
int			 smtp_poll(struct smtp_multi *m, const int *fds,
			    int nfds, int *readable, int timeout_ms);
/*
 * smtp_next_done: one finished delivery: 1 with *tag and *res, 0 when
 * none is left to report.
 */
int			 smtp_next_done(struct smtp_multi *m, void **tag,
			    struct smtp_result *res);

#endif
