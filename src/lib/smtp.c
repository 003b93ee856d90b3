/*
 * smtp.c -- SMTP deliveries through libcurl's multi interface (see
 * smtp.h).  With httpc.c, the only file that includes curl/curl.h.
 *
 * Each delivery is one easy handle on the multi handle, whose connection
 * cache lets consecutive messages to one server share a connection.
 * Timeouts: CURLOPT_CONNECTTIMEOUT bounds the connection (TCP, TLS and
 * the protocol's connect phase: greeting, EHLO, STARTTLS, AUTH),
 * CURLOPT_SERVER_RESPONSE_TIMEOUT every reply the server owes us, the
 * low-speed limit a stalled data phase, CURLOPT_TIMEOUT the whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "lib/log.h"
#include "lib/smtp.h"

struct job {
	struct job		*next;
	CURL			*easy;
	struct curl_slist	*rcpt;
	char			*buf;		/* the message */
	size_t			 len, off;
	void			*tag;
	char			 where[300];	/* host:port */
	char			 errbuf[CURL_ERROR_SIZE];
};

struct smtp_multi {
	CURLM			*multi;
	struct smtp_options	 o;
	char			*ca_file;
	struct job		*jobs;
	int			 running;	/* easy handles */
};

int
smtp_security_parse(const char *s)
{
	if (s == NULL)
		return (-1);
	if (strcmp(s, "tls") == 0)
		return (SMTP_TLS);
	if (strcmp(s, "starttls") == 0)
		return (SMTP_STARTTLS);
	if (strcmp(s, "none") == 0)
		return (SMTP_NONE);
	return (-1);
}

const char *
smtp_security_name(enum smtp_security s)
{
	switch (s) {
	case SMTP_TLS:
		return ("tls");
	case SMTP_STARTTLS:
		return ("starttls");
	default:
		return ("none");
	}
}

void
smtp_resolve(int *security, int *port)
{
	if (*security < 0)
		*security = *port == 465 ? SMTP_TLS : SMTP_STARTTLS;
	if (*port <= 0)
		*port = *security == SMTP_TLS ? 465 : 587;
}

int
smtp_host_loopback(const char *h)
{
	if (h == NULL)
		return (0);
	return (strcasecmp(h, "localhost") == 0 ||
	    strcasecmp(h, "localhost.") == 0 || strncmp(h, "127.", 4) == 0 ||
	    strcmp(h, "::1") == 0 || strcmp(h, "[::1]") == 0);
}

int
smtp_host_ok(const char *h)
{
	size_t	 n;

	if (h == NULL || (n = strlen(h)) == 0 || n > 253)
		return (0);
	return (strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") == n && h[0] != '-' && h[0] != '.');
}

static size_t
read_cb(char *out, size_t size, size_t nmemb, void *arg)
{
	struct job	*j = arg;
	size_t		 n = size * nmemb;

	if (n > j->len - j->off)
		n = j->len - j->off;
	memcpy(out, j->buf + j->off, n);
	j->off += n;
	return (n);
}

struct smtp_multi *
smtp_multi_new(const struct smtp_options *o)
{
	static int		 inited;
	struct smtp_multi	*m;

	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			log_err("%s: curl_global_init failed", __func__);
			return (NULL);
		}
		inited = 1;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return (NULL);
	m->o = *o;
	if (m->o.max_running < 1)
		m->o.max_running = 1;
	if (o->ca_file != NULL && *o->ca_file != '\0' &&
	    (m->ca_file = strdup(o->ca_file)) == NULL) {
		free(m);
		return (NULL);
	}
	if ((m->multi = curl_multi_init()) == NULL) {
		log_err("%s: curl_multi_init failed", __func__);
		free(m->ca_file);
		free(m);
		return (NULL);
	}
	(void)curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)m->o.max_running);
	return (m);
}

static void
job_free(struct smtp_multi *m, struct job *j)
{
	if (j->easy != NULL) {
		curl_multi_remove_handle(m->multi, j->easy);
		curl_easy_cleanup(j->easy);
	}
	curl_slist_free_all(j->rcpt);
	if (j->buf != NULL) {
		memset(j->buf, 0, j->len);
		free(j->buf);
	}
	free(j);
}

void
smtp_multi_free(struct smtp_multi *m)
{
	struct job	*j, *n;

	if (m == NULL)
		return;
	for (j = m->jobs; j != NULL; j = n) {
		n = j->next;
		job_free(m, j);
	}
	curl_multi_cleanup(m->multi);
	free(m->ca_file);
	free(m);
}

static void
refuse(struct smtp_result *r, int permanent, const char *why)
{
	memset(r, 0, sizeof(*r));
	r->permanent = permanent;
	snprintf(r->error, sizeof(r->error), "%s", why);
}

int
smtp_start(struct smtp_multi *m, const struct smtp_job *jb, void *tag,
    struct smtp_result *refused)
{
	struct job	*j;
	char		 url[320], addr[300];
	const char	*h = jb->host;
	int		 v6, n;
	CURL		*e;

	if (!smtp_host_ok(h) || jb->port < 1 || jb->port > 65535) {
		refuse(refused, 1, "the SMTP host or port is not valid");
		return (-1);
	}
	if (jb->security == SMTP_NONE && !m->o.allow_plain &&
	    !smtp_host_loopback(h)) {
		refuse(refused, 1, "plain SMTP (security \"none\") is only "
		    "allowed to loopback hosts (mail.allow_plain)");
		return (-1);
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->buf = malloc(jb->len ? jb->len : 1)) == NULL) {
		free(j);
		refuse(refused, 0, "out of memory");
		return (-1);
	}
	memcpy(j->buf, jb->msg, jb->len);
	j->len = jb->len;
	j->tag = tag;
	v6 = strchr(h, ':') != NULL && h[0] != '[';
	snprintf(j->where, sizeof(j->where), "%s%s%s:%d", v6 ? "[" : "", h,
	    v6 ? "]" : "", jb->port);
	n = snprintf(url, sizeof(url), "%s://%s", jb->security == SMTP_TLS ?
	    "smtps" : "smtp", j->where);
	if (n < 0 || (size_t)n >= sizeof(url) || (e = curl_easy_init()) ==
	    NULL) {
		job_free(m, j);
		refuse(refused, 0, "cannot set up the delivery");
		return (-1);
	}
	j->easy = e;
	snprintf(addr, sizeof(addr), "<%s>", jb->to);
	if ((j->rcpt = curl_slist_append(NULL, addr)) == NULL) {
		job_free(m, j);
		refuse(refused, 0, "out of memory");
		return (-1);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USE_SSL, jb->security == SMTP_STARTTLS ?
	    (long)CURLUSESSL_ALL : jb->security == SMTP_TLS ?
	    (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (m->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, m->ca_file);
	snprintf(addr, sizeof(addr), "<%s>", jb->from);
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, j->rcpt);
	if (jb->user != NULL && *jb->user != '\0') {
		curl_easy_setopt(e, CURLOPT_USERNAME, jb->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, jb->pass ? jb->pass : "");
	}
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(e, CURLOPT_READDATA, j);
	curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->len);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    (long)m->o.connect_timeout_s);
	curl_easy_setopt(e, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    (long)m->o.step_timeout_s);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)m->o.step_timeout_s);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)m->o.total_timeout_s);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	if (curl_multi_add_handle(m->multi, e) != CURLM_OK) {
		job_free(m, j);
		refuse(refused, 0, "cannot start the delivery");
		return (-1);
	}
	j->next = m->jobs;
	m->jobs = j;
	m->running++;
	return (0);
}

int
smtp_running(const struct smtp_multi *m)
{
	return (m->running);
}

int
smtp_poll(struct smtp_multi *m, const int *fds, int nfds, int *readable,
    int timeout_ms)
{
	struct curl_waitfd	 w[8];
	int			 i, still, numfds;

	if (nfds > 8)
		nfds = 8;
	for (i = 0; i < nfds; i++) {
		w[i].fd = fds[i];
		w[i].events = CURL_WAIT_POLLIN;
		w[i].revents = 0;
	}
	if (curl_multi_perform(m->multi, &still) != CURLM_OK)
		return (-1);
	if (curl_multi_poll(m->multi, w, (unsigned)nfds, timeout_ms,
	    &numfds) != CURLM_OK)
		return (-1);
	if (curl_multi_perform(m->multi, &still) != CURLM_OK)
		return (-1);
	for (i = 0; i < nfds; i++)
		readable[i] = (w[i].revents & CURL_WAIT_POLLIN) != 0;
	return (0);
}

int
smtp_next_done(struct smtp_multi *m, void **tag, struct smtp_result *res)
{
	struct job	*j, **pp;
	CURLMsg		*msg;
	CURLcode	 rc;
	long		 code = 0;
	int		 left;
	char		*p;

	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		p = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
		j = (struct job *)p;
		rc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
		    &code);
		memset(res, 0, sizeof(*res));
		res->code = (int)code;
		res->ok = rc == CURLE_OK;
		/* a 5xx reply will not change on a retry (RFC 5321 §4.2.1) */
		res->permanent = !res->ok && code >= 500 && code <= 599;
		if (!res->ok && code)
			snprintf(res->error, sizeof(res->error),
			    "%.60s: %.110s (reply %ld)", j->where,
			    j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc),
			    code);
		else if (!res->ok)
			snprintf(res->error, sizeof(res->error),
			    "%.60s: %.120s", j->where, j->errbuf[0] ?
			    j->errbuf : curl_easy_strerror(rc));
		*tag = j->tag;
		for (pp = &m->jobs; *pp != NULL; pp = &(*pp)->next)
			if (*pp == j) {
				*pp = j->next;
				break;
			}
		job_free(m, j);
		m->running--;
		return (1);
	}
	return (0);
}
