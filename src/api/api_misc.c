/*
 * api_misc.c -- the small endpoints of Better Auth's core: GET ok,
 * GET error (protocol.md §1.27), and the testing sleep.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/route.h"
#include "lib/url.h"

static enum err
ok(struct request *r, void *in)
{
	(void)in;
	reply_json_str(r, 200, "{\"ok\":true}");
	return (ERR_NONE);
}

/*
 * GET /error: the production behaviour, a redirect to
 * "/?error=<code>[&error_description=...]" with unsafe codes replaced.
 */
static enum err
error_page(struct request *r, void *in)
{
	const char	*err = request_query(r, "error");
	const char	*desc = request_query(r, "error_description");
	const char	*p, *loc;

	(void)in;
	if (err == NULL || *err == '\0')
		err = "UNKNOWN";
	for (p = err; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("'_-", *p)) {
			err = "UNKNOWN";
			break;
		}
	if (desc && *desc)
		loc = arena_printf(r->a, "/?error=%s&error_description=%s",
		    url_encode(r->a, err), url_encode(r->a, desc));
	else
		loc = arena_printf(r->a, "/?error=%s", url_encode(r->a, err));
	reply_header_add(r, "Location", loc);
	reply_raw(r, 302, NULL, "", 0);
	return (ERR_NONE);
}

/* GET /debug/sleep?ms=N, only with testing.sleep_endpoint = true */
static enum err
debug_sleep(struct request *r, void *in)
{
	const char	*ms = request_query(r, "ms");
	char		*end;
	long		 v;
	struct timespec	 ts;

	(void)in;
	if (!r->env->testing_sleep) {
		reply_empty(r, 404);
		return (ERR_NONE);
	}
	v = ms ? strtol(ms, &end, 10) : -1;
	if (ms == NULL || *ms == '\0' || *end != '\0' || v < 0 ||
	    v > 600000)
		return (err_msg(r, ERR_VALIDATION_ERROR,
		    "[query.ms] Invalid input: expected number"));
	ts.tv_sec = v / 1000;
	ts.tv_nsec = (v % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		;
	reply_json_str(r, 200, arena_printf(r->a, "{\"slept\":%ld}", v));
	return (ERR_NONE);
}

static const struct route routes[] = {
	{ "GET", "/ok", "ok", NULL, ok, SESS_NONE, RL_BRANCH, 0,
	    "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}}}" },
	{ "GET", "/error", "error", NULL, error_page, SESS_NONE, RL_BRANCH, 0,
	    "{\"description\":\"302 to /?error=<code>\"}" },
	{ "GET", "/debug/sleep", "debug/sleep", NULL, debug_sleep, SESS_NONE,
	    RL_BRANCH, 0,
	    "{\"type\":\"object\",\"properties\":{\"slept\":{\"type\":\"integer\"}}}" },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_misc_group = { "core/misc", routes, NULL, NULL };
