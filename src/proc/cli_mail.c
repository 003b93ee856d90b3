/*
 * cli_mail.c -- `neon-authd mail status [--json]` (see cli_mail.h).
 *
 * Read from the spool directly, so it works whether the daemon runs or
 * not: every queue file (never tried: queued; tried: retrying, with its
 * attempts, next attempt and last error) and the done/ records of the
 * last mail.keep_days days (sent, failed with the error).  Recipients,
 * links and codes are not shown.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "lib/arena.h"
#include "lib/clock.h"
#include "lib/config.h"
#include "lib/spool.h"
#include "proc/cli_mail.h"

static json_object *
entry_json(struct arena *a, const struct spool_msg *m, int done)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(m->id));
	json_object_object_add(o, "branch", json_object_new_string(m->branch));
	json_object_object_add(o, "kind", json_object_new_string(m->kind));
	json_object_object_add(o, "attempts",
	    json_object_new_int(m->attempts));
	json_object_object_add(o, "queued_at",
	    json_object_new_string(clock_iso(a, m->queued_ms)));
	if (done)
		json_object_object_add(o, "done_at",
		    json_object_new_string(clock_iso(a, m->done_ms)));
	else
		json_object_object_add(o, "next_attempt_at",
		    json_object_new_string(clock_iso(a, m->next_ms)));
	json_object_object_add(o, "last_error", *m->error ?
	    json_object_new_string(m->error) : NULL);
	return (o);
}

int
cli_mail(struct config *c, int argc, char **argv)
{
	const char		*dir = c->mail.spool_dir;
	json_object		*queued, *retrying, *failed, *o;
	struct spool_msg	 m;
	struct arena		 a;
	char			**ids;
	size_t			 n, i;
	int			 json = 0, sent = 0, rc = 0;

	if (argc < 1 || strcmp(argv[0], "status") != 0 || argc > 2 ||
	    (argc == 2 && strcmp(argv[1], "--json") != 0)) {
		fprintf(stderr, "usage: neon-authd mail status [--json] "
		    "[-c FILE]\n");
		return (64);
	}
	json = argc == 2;
	if (*dir == '\0') {
		fprintf(stderr, "neon-authd mail: mail.spool_dir is not set in "
		    "%s: this server sends no email\n", c->path);
		return (1);
	}
	arena_init(&a, 64 * 1024);
	queued = json_object_new_array();
	retrying = json_object_new_array();
	failed = json_object_new_array();
	if (spool_list(dir, "queue", &a, &ids, &n) == -1) {
		fprintf(stderr, "neon-authd mail: cannot read %s/queue\n", dir);
		rc = 1;
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (spool_read(dir, "queue", &a, ids[i], 0, &m) == -1)
			continue;
		json_object_array_add(m.attempts ? retrying : queued,
		    entry_json(&a, &m, 0));
	}
	if (spool_list(dir, "done", &a, &ids, &n) == 0)
		for (i = 0; i < n; i++) {
			if (spool_read(dir, "done", &a, ids[i], 0, &m) == -1)
				continue;
			if (strcmp(m.outcome, "sent") == 0)
				sent++;
			else
				json_object_array_add(failed,
				    entry_json(&a, &m, 1));
		}
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "spool", json_object_new_string(dir));
		json_object_object_add(o, "queued", json_object_get(queued));
		json_object_object_add(o, "retrying",
		    json_object_get(retrying));
		json_object_object_add(o, "sent", json_object_new_int(sent));
		json_object_object_add(o, "failed", json_object_get(failed));
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		goto done;
	}
	printf("spool %s: %zu queued, %zu retrying, %d sent, %zu failed "
	    "(records of the last %d days)\n", dir,
	    json_object_array_length(queued),
	    json_object_array_length(retrying), sent,
	    json_object_array_length(failed), c->mail.keep_days);
	for (i = 0; i < json_object_array_length(retrying); i++) {
		o = json_object_array_get_idx(retrying, i);
		printf("retrying %s branch=%s kind=%s attempts=%d next=%s: "
		    "%s\n",
		    json_object_get_string(json_object_object_get(o, "id")),
		    json_object_get_string(json_object_object_get(o, "branch")),
		    json_object_get_string(json_object_object_get(o, "kind")),
		    json_object_get_int(json_object_object_get(o, "attempts")),
		    json_object_get_string(json_object_object_get(o,
		    "next_attempt_at")),
		    json_object_get_string(json_object_object_get(o,
		    "last_error")));
	}
	for (i = 0; i < json_object_array_length(failed); i++) {
		o = json_object_array_get_idx(failed, i);
		printf("failed   %s branch=%s kind=%s attempts=%d at=%s: %s\n",
		    json_object_get_string(json_object_object_get(o, "id")),
		    json_object_get_string(json_object_object_get(o, "branch")),
		    json_object_get_string(json_object_object_get(o, "kind")),
		    json_object_get_int(json_object_object_get(o, "attempts")),
		    json_object_get_string(json_object_object_get(o,
		    "done_at")),
		    json_object_get_string(json_object_object_get(o,
		    "last_error")));
	}
 done:
	json_object_put(queued);
	json_object_put(retrying);
	json_object_put(failed);
	arena_free(&a);
	return (rc);
}
