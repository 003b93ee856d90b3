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
#include "lib/url.h"
#include "lib/clock.h"
#include "proc/scoreboard.h"
#include "proc/worker.h"

void
api_ok(struct request *r)
{
	reply_json_str(r, 200, "{\"ok\":true}");
}

/*
 * GET /error (protocol.md §1.27): the production behaviour, a redirect to
 * "/?error=<code>[&error_description=...]" with unsafe codes replaced.
 */
void
api_error_page(struct request *r)
{
	const char	*err = request_query(r, "error");
	const char	*desc = request_query(r, "error_description");
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
		    url_encode(r->a, err), url_encode(r->a, desc));
	else
		loc = arena_printf(r->a, "/?error=%s", url_encode(r->a, err));
	reply_header_add(r, "Location", loc);
	reply_raw(r, 302, NULL, "", 0);
}

/* GET /debug/sleep?ms=N, only with testing.sleep_endpoint = true */
void
api_debug_sleep(struct request *r)
{
	const char	*ms = request_query(r, "ms");
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
	int64_t			 now = clock_mono_ms();
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
