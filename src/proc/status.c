/*
 * status.c -- the status page: the master's scoreboard and the hash gate
 * as JSON, served by the worker loop before any branch is looked at.
 */
#include <json-c/json.h>

#include "http/request.h"
#include "lib/clock.h"
#include "lib/hashgate.h"
#include "proc/scoreboard.h"
#include "proc/status.h"

/* the status page: the scoreboard as JSON */
void
status_page(struct request *r, const struct scoreboard *sb)
{
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
		const struct scoreboard_slot *s = &sb->slots[i];
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
