/*
 * api_misc.c -- the small endpoints: ok, error, the status page and the
 * testing sleep; plus query-string helpers used by every handler.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "lib/config.h"
#include "http/cookie.h"
#include "lib/hashgate.h"
#include "lib/json.h"
#include "proc/scoreboard.h"
#include "proc/worker.h"

void
api_ok(struct request *r)
{
	reply_json_str(r, 200, "{\"ok\":true}");
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

int
api_pct_decode(const char *s, size_t n, char *out, int plus, int strict)
{
	size_t	 i, o = 0;
	int	 h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 < n &&
			    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
			    (l = hexval((unsigned char)s[i + 2])) >= 0) {
				out[o++] = (char)(h * 16 + l);
				i += 2;
				continue;
			}
			if (strict)
				return (-1);
		}
		out[o++] = (plus && s[i] == '+') ? ' ' : s[i];
	}
	out[o] = '\0';
	return (0);
}

char *
api_url_decode(struct arena *a, const char *s, size_t n, int plus)
{
	char	*out = arena_alloc(a, n + 1);

	(void)api_pct_decode(s, n, out, plus, 0);
	return (out);
}

int
api_pair_next(struct arena *a, const char **p, const char *end, char **key,
    char **val)
{
	const char	*amp, *eq;

	while (*p < end) {
		amp = memchr(*p, '&', (size_t)(end - *p));
		if (amp == NULL)
			amp = end;
		eq = memchr(*p, '=', (size_t)(amp - *p));
		if (eq == NULL)
			eq = amp;
		if (eq == *p && eq == amp) {	/* "&&" */
			*p = amp + 1;
			continue;
		}
		*key = api_url_decode(a, *p, (size_t)(eq - *p), 1);
		*val = eq < amp ? api_url_decode(a, eq + 1,
		    (size_t)(amp - eq - 1), 1) : arena_strdup(a, "");
		*p = amp + 1;
		return (1);
	}
	return (0);
}

char *
api_query_get_n(struct request *r, const char *key, int *count)
{
	const char	*p = r->query.p, *end = r->query.p + r->query.len;
	char		*k, *v, *first = NULL;

	*count = 0;
	if (p == NULL)
		return (NULL);
	while (api_pair_next(r->a, &p, end, &k, &v))
		if (strcmp(k, key) == 0 && (*count)++ == 0)
			first = v;
	return (first);
}

char *
api_query_get(struct request *r, const char *key)
{
	int	 n;

	return (api_query_get_n(r, key, &n));
}

/*
 * GET /error (protocol.md §1.27): the production behaviour, a redirect to
 * "/?error=<code>[&error_description=...]" with unsafe codes replaced.
 */
void
api_error_page(struct request *r)
{
	const char	*err = api_query_get(r, "error");
	const char	*desc = api_query_get(r, "error_description");
	const char	*p, *loc;

	if (err == NULL || *err == '\0')
		err = "UNKNOWN";
	for (p = err; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("'_-", *p)) {
			err = "UNKNOWN";
			break;
		}
	if (desc && *desc)
		loc = arena_printf(r->a, "/?error=%s&error_description=%s",
		    cookie_url_encode(r->a, err), cookie_url_encode(r->a, desc));
	else
		loc = arena_printf(r->a, "/?error=%s", cookie_url_encode(r->a, err));
	reply_header_add(r, "Location", loc);
	reply_raw(r, 302, NULL, "", 0);
}

/* GET /debug/sleep?ms=N, only with testing.sleep_endpoint = true */
void
api_debug_sleep(struct request *r)
{
	const char	*ms = api_query_get(r, "ms");
	char		*end;
	long		 v;
	struct timespec	 ts;

	if (!r->w->cfg->testing_sleep) {
		reply_empty(r, 404);
		return;
	}
	v = ms ? strtol(ms, &end, 10) : -1;
	if (ms == NULL || *ms == '\0' || *end != '\0' || v < 0 ||
	    v > 600000) {
		reply_error(r, 400, "VALIDATION_ERROR",
		    "[query.ms] Invalid input: expected number");
		return;
	}
	ts.tv_sec = v / 1000;
	ts.tv_nsec = (v % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		;
	reply_json_str(r, 200, arena_printf(r->a, "{\"slept\":%ld}", v));
}

/* the status page: the scoreboard as JSON */
void
api_status_page(struct request *r)
{
	struct scoreboard	*sb = r->w->sb;
	json_object		*o, *ws, *w;
	int64_t			 now = scoreboard_now_ms();
	int			 i, slots, hfree, hwait;

	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int(sb->master_pid));
	json_object_object_add(o, "uptime", json_object_new_int64(
	    (now - sb->master_start_ms) / 1000));
	json_object_object_add(o, "generation",
	    json_object_new_int64(sb->generation));
	json_object_object_add(o, "pool_size",
	    json_object_new_int(sb->pool_size));
	json_object_object_add(o, "requests",
	    json_object_new_int64((int64_t)sb->requests_total));
	ws = json_object_new_array();
	for (i = 0; i < SCOREBOARD_MAX_SLOTS; i++) {
		struct scoreboard_slot *s = &sb->slots[i];
		int st = s->state;

		if (st == SLOT_FREE || s->pid <= 0)
			continue;
		w = json_object_new_object();
		json_object_object_add(w, "pid", json_object_new_int(s->pid));
		json_object_object_add(w, "state",
		    json_object_new_string(scoreboard_state_name(st)));
		json_object_object_add(w, "requests",
		    json_object_new_int64((int64_t)s->requests));
		json_object_object_add(w, "generation",
		    json_object_new_int64(s->generation));
		json_object_object_add(w, "uptime", json_object_new_int64(
		    (now - s->started_ms) / 1000));
		json_object_object_add(w, "route", st == SLOT_BUSY ?
		    json_object_new_string(s->route) : NULL);
		json_object_array_add(ws, w);
	}
	json_object_object_add(o, "workers", ws);
	if (hashgate_stats(&slots, &hfree, &hwait) == 0) {
		w = json_object_new_object();
		json_object_object_add(w, "slots", json_object_new_int(slots));
		json_object_object_add(w, "free", json_object_new_int(hfree));
		json_object_object_add(w, "waiting",
		    json_object_new_int(hwait));
		json_object_object_add(o, "password_hashes", w);
	}
	reply_header_add(r, "Cache-Control", "no-store");
	reply_json_obj(r, 200, o);
}
