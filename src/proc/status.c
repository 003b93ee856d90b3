/*
 * status.c -- the status page (JSON) and the metrics page (Prometheus text
 * 0.0.4 or OpenMetrics 1.0) from the master's scoreboard, the pool's
 * shared counters (lib/metrics.h), the hash gate, the rate-limit table and
 * the listening socket's accept queue.  Served by the worker loop before
 * any branch is looked at.
 *
 * The two text formats differ only where OpenMetrics says so: a counter
 * family is named without its _total suffix in # TYPE / # HELP, and the
 * exposition ends with "# EOF".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "http/sesscache.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/ratelimit.h"
#include "http/request.h"
#include "lib/clock.h"
#include "lib/config.h"
#include "lib/hashgate.h"
#include "lib/json.h"
#include "lib/metrics.h"
#include "proc/listen.h"
#include "proc/scoreboard.h"
#include "proc/status.h"
#include "store/store_purge.h"

#define CT_PROMETHEUS	"text/plain; version=0.0.4; charset=utf-8"
#define CT_OPENMETRICS	"application/openmetrics-text; version=1.0.0; " \
			"charset=utf-8"

/*
 * Gauges other modules report; each row's fn says -1 while it has nothing
 * to report.  The mail and webhook queues add their rows here when they
 * land.
 */
static const struct status_gauge status_gauges[] = {
	{ NULL, NULL, NULL }
};

/* ------------------------------------------------------------ expired rows */

#define EXPIRED_CAP		INT64_C(1000000)	/* counted up to */
#define EXPIRED_TTL_MS		30000	/* per worker, per branch */
#define EXPIRED_BRANCHES_MAX	64	/* listed branches reported */

struct expired {
	char		 name[64];
	int64_t		 at_ms;		/* when counted; 0: never */
	int		 ok;
	int64_t		 sessions, verifications;
};

static struct expired	 expired[EXPIRED_BRANCHES_MAX];

/*
 * ?expired asks for the expired rows: counting them means a query on
 * every listed branch, which a plain scrape of the page should not cost.
 */
static int
want_expired(struct request *r)
{
	return (request_query(r, "expired") != NULL);
}

/*
 * The expired sessions and verification rows of the i-th listed branch,
 * through this worker's connection to it, counted at most every
 * EXPIRED_TTL_MS (a branch that cannot be reached is not tried again
 * before that either).  NULL when unknown.
 */
static const struct expired *
expired_of(struct request *r, int i)
{
	struct branch	*b = branch_at(i);
	struct expired	*e;
	int64_t		 now = clock_mono_ms();

	if (b == NULL || i >= EXPIRED_BRANCHES_MAX)
		return (NULL);
	e = &expired[i];
	if (strcmp(e->name, b->name) != 0 || e->at_ms == 0 ||
	    now - e->at_ms >= EXPIRED_TTL_MS) {
		snprintf(e->name, sizeof(e->name), "%s", b->name);
		e->at_ms = now;
		r->branch = b;
		e->ok = branchcfg_acquire(r) == ERR_NONE &&
		    store_expired_counts(r->db, r->a, EXPIRED_CAP,
		    &e->sessions, &e->verifications) == 1;
		r->branch = NULL;
		r->db = NULL;
		r->bcfg = NULL;
	}
	return (e->ok ? e : NULL);
}

/* ------------------------------------------------------------ JSON */

static void
status_json(struct request *r, const struct status_ctx *c)
{
	const struct scoreboard	*sb = c->sb;
	json_object		*o, *ws, *w;
	int64_t			 now = clock_mono_ms(), start;
	int			 i, slots, hfree, hwait, qlen, qmax;

	o = json_object_new_object();
	json_object_object_add(o, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "pid", json_object_new_int(sb->master_pid));
	json_object_object_add(o, "start_time", json_object_new_string(
	    clock_iso(r->a, sb->master_start_wall_ms)));
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
		start = s->req_start_ms;
		json_object_object_add(w, "request_ms", st == SLOT_BUSY &&
		    start > 0 ? json_object_new_int64(now - start) : NULL);
		json_object_array_add(ws, w);
	}
	json_object_object_add(o, "workers", ws);
	if (hashgate_stats(&slots, &hfree, &hwait) == 0) {
		w = json_object_new_object();
		json_object_object_add(w, "slots", json_object_new_int(slots));
		json_object_object_add(w, "free", json_object_new_int(hfree));
		json_object_object_add(w, "waiting",
		    json_object_new_int(hwait));
		json_object_object_add(w, "waits", json_object_new_int64(
		    (int64_t)metrics_load(&sb->metrics.counter[
		    METRICS_HASH_WAITS])));
		json_object_object_add(o, "password_hashes", w);
	}
	if (sesscache_enabled()) {
		struct sesscache_stats	 st;

		sesscache_stats(&st);
		w = json_object_new_object();
		json_object_object_add(w, "entries",
		    json_object_new_int64((int64_t)st.entries));
		json_object_object_add(w, "hits",
		    json_object_new_int64((int64_t)st.hits));
		json_object_object_add(w, "misses",
		    json_object_new_int64((int64_t)st.misses));
		json_object_object_add(w, "stores",
		    json_object_new_int64((int64_t)st.puts));
		json_object_object_add(w, "invalidations",
		    json_object_new_int64((int64_t)st.notes));
		json_object_object_add(o, "session_cache", w);
	} else
		json_object_object_add(o, "session_cache", NULL);
	w = json_object_new_object();
	json_object_object_add(w, "denied", json_object_new_int64((int64_t)
	    metrics_load(&sb->metrics.counter[METRICS_RL_DENIED])));
	json_object_object_add(w, "evictions", json_object_new_int64(
	    (int64_t)ratelimit_evictions(c->rl)));
	json_object_object_add(o, "rate_limit", w);
	if (listen_queue(c->listen_fd, &qlen, &qmax) == 0) {
		w = json_object_new_object();
		json_object_object_add(w, "length", json_object_new_int(qlen));
		json_object_object_add(w, "max", json_object_new_int(qmax));
		json_object_object_add(o, "listen_queue", w);
	}
	ws = json_object_new_object();
	for (i = 0; want_expired(r) && i < branch_count() &&
	    i < EXPIRED_BRANCHES_MAX; i++) {
		const struct expired *e = expired_of(r, i);

		if (e == NULL) {
			json_object_object_add(ws, branch_at(i)->name, NULL);
			continue;
		}
		w = json_object_new_object();
		json_object_object_add(w, "sessions",
		    json_object_new_int64(e->sessions));
		json_object_object_add(w, "verifications",
		    json_object_new_int64(e->verifications));
		json_object_object_add(ws, branch_at(i)->name, w);
	}
	if (want_expired(r))
		json_object_object_add(o, "expired", ws);
	else
		json_object_put(ws);
	if (sb->mail.pid > 0) {
		const struct scoreboard_mail *m = &sb->mail;

		w = json_object_new_object();
		json_object_object_add(w, "pid", json_object_new_int(m->pid));
		json_object_object_add(w, "queued",
		    json_object_new_int64(m->queued));
		json_object_object_add(w, "retrying",
		    json_object_new_int64(m->retrying));
		json_object_object_add(w, "sending",
		    json_object_new_int64(m->sending));
		json_object_object_add(w, "sent",
		    json_object_new_int64((int64_t)m->sent));
		json_object_object_add(w, "failed",
		    json_object_new_int64((int64_t)m->failed));
		json_object_object_add(w, "last_error", m->last_error[0] ?
		    json_object_new_string_len(m->last_error,
		    (int)strnlen(m->last_error, sizeof(m->last_error))) : NULL);
		json_object_object_add(o, "mail", w);
	} else
		json_object_object_add(o, "mail", NULL);
	reply_header_add(r, "Cache-Control", "no-store");
	reply_json_obj(r, 200, o);
}

/* ------------------------------------------------------------ text formats */

struct out {
	struct jbuf	 b;
	int		 om;	/* OpenMetrics */
};

static void
outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2,
    3)));

static void
outf(struct out *o, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	jb_raw(&o->b, buf, (size_t)n);
}

/* a label value, escaped as both formats want (\\, \", \n) */
static void
label_value(struct out *o, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			jb_raw(&o->b, "\\", 1);
		if (*v == '\n') {
			jb_lit(&o->b, "\\n");
			continue;
		}
		jb_raw(&o->b, v, 1);
	}
}

/* # HELP and # TYPE of a family; name is the sample name */
static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	size_t	 n = strlen(name);
	int	 strip = o->om && strcmp(type, "counter") == 0 && n > 6 &&
		    strcmp(name + n - 6, "_total") == 0;

	outf(o, "# HELP %.*s %s\n", (int)(strip ? n - 6 : n), name, help);
	outf(o, "# TYPE %.*s %s\n", (int)(strip ? n - 6 : n), name, type);
}

static void
sample_u64(struct out *o, const char *name, uint64_t v)
{
	outf(o, "%s %llu\n", name, (unsigned long long)v);
}

/* seconds from microseconds, without a trailing ".000000" */
static void
seconds(char *buf, size_t len, int64_t us)
{
	snprintf(buf, len, "%lld.%06lld", (long long)(us / 1000000),
	    (long long)(us % 1000000));
}

static void
text_routes(struct out *o, const struct metrics_shm *m)
{
	char	 le[32], sum[48];
	int	 i, j;

	family(o, "neon_authd_requests_total", "counter",
	    "Requests answered, by route and HTTP status.");
	for (i = 0; i < METRICS_ROUTES_MAX; i++) {
		const struct metrics_route *r = &m->routes[i];

		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != 2)
			continue;
		for (j = 0; j < METRICS_STATUSES_MAX; j++) {
			int code = __atomic_load_n(&r->status[j].code,
			    __ATOMIC_ACQUIRE);

			if (code == 0)
				continue;
			jb_lit(&o->b, "neon_authd_requests_total{route=\"");
			label_value(o, r->name);
			outf(o, "\",status=\"%d\"} %llu\n", code,
			    (unsigned long long)metrics_load(&r->status[j].n));
		}
	}
	family(o, "neon_authd_request_duration_seconds", "histogram",
	    "Time from reading a request to having sent its reply, by route.");
	for (i = 0; i < METRICS_ROUTES_MAX; i++) {
		const struct metrics_route *r = &m->routes[i];
		uint64_t cum = 0;

		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != 2)
			continue;
		for (j = 0; j < METRICS_BUCKETS; j++) {
			cum += metrics_load(&r->bucket[j]);
			if (j == METRICS_BUCKETS - 1)
				snprintf(le, sizeof(le), "+Inf");
			else
				snprintf(le, sizeof(le), "%g",
				    (double)metrics_bucket_us[j] / 1e6);
			jb_lit(&o->b,
			    "neon_authd_request_duration_seconds_bucket{route=\"");
			label_value(o, r->name);
			outf(o, "\",le=\"%s\"} %llu\n", le,
			    (unsigned long long)cum);
		}
		jb_lit(&o->b, "neon_authd_request_duration_seconds_count{route=\"");
		label_value(o, r->name);
		outf(o, "\"} %llu\n", (unsigned long long)cum);
		seconds(sum, sizeof(sum), (int64_t)metrics_load(&r->sum_us));
		jb_lit(&o->b, "neon_authd_request_duration_seconds_sum{route=\"");
		label_value(o, r->name);
		outf(o, "\"} %s\n", sum);
	}
}

static void
text_branches(struct out *o, const struct metrics_shm *m)
{
	static const struct {
		const char		*name;
		const char		*help;
		enum metrics_db_event	 ev;
	} fams[] = {
		{ "neon_authd_db_connects_total",
		    "New database connections, by branch.", METRICS_DB_CONNECT },
		{ "neon_authd_db_reconnects_total",
		    "Broken database connections revived, by branch.",
		    METRICS_DB_RECONNECT },
	};
	static const enum metrics_db_event errs[] = { METRICS_DB_UNAVAILABLE,
	    METRICS_DB_QUERY, METRICS_DB_SCHEMA };
	size_t	 f, k;
	int	 i;

	family(o, "neon_authd_db_errors_total", "counter",
	    "Failed database connects and statements, by branch and kind "
	    "(unavailable, query, schema).");
	for (i = 0; i < METRICS_BRANCHES_MAX; i++) {
		const struct metrics_branch *b = &m->branches[i];

		if (__atomic_load_n(&b->state, __ATOMIC_ACQUIRE) != 2)
			continue;
		for (k = 0; k < sizeof(errs) / sizeof(errs[0]); k++) {
			jb_lit(&o->b, "neon_authd_db_errors_total{branch=\"");
			label_value(o, b->name);
			outf(o, "\",kind=\"%s\"} %llu\n",
			    metrics_db_event_name(errs[k]),
			    (unsigned long long)metrics_load(&b->ev[errs[k]]));
		}
	}
	for (f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		family(o, fams[f].name, "counter", fams[f].help);
		for (i = 0; i < METRICS_BRANCHES_MAX; i++) {
			const struct metrics_branch *b = &m->branches[i];

			if (__atomic_load_n(&b->state, __ATOMIC_ACQUIRE) != 2)
				continue;
			outf(o, "%s{branch=\"", fams[f].name);
			label_value(o, b->name);
			outf(o, "\"} %llu\n", (unsigned long long)
			    metrics_load(&b->ev[fams[f].ev]));
		}
	}
}

static void
status_text(struct request *r, const struct status_ctx *c, int om)
{
	const struct scoreboard	*sb = c->sb;
	const struct metrics_shm *m = &sb->metrics;
	struct out		 o;
	char			 sec[48];
	int			 counts[5] = { 0, 0, 0, 0, 0 };
	int			 i, slots, hfree, hwait, qlen, qmax;
	int			 fam_done = 0;
	int64_t			 gv;
	static const int	 states[] = { SLOT_STARTING, SLOT_IDLE,
				    SLOT_BUSY, SLOT_EXITING };

	memset(&o, 0, sizeof(o));
	o.om = om;
	jb_init(&o.b, r->a, 16384);

	family(&o, "neon_authd_build_info", "gauge",
	    "Always 1; the version of the running binary.");
	outf(&o, "neon_authd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	family(&o, "neon_authd_start_time_seconds", "gauge",
	    "When the master started, in seconds since the epoch.");
	seconds(sec, sizeof(sec), sb->master_start_wall_ms * 1000);
	outf(&o, "neon_authd_start_time_seconds %s\n", sec);
	family(&o, "neon_authd_pool_size", "gauge",
	    "Workers the pool is configured to run.");
	outf(&o, "neon_authd_pool_size %d\n", sb->pool_size);
	family(&o, "neon_authd_generation", "gauge",
	    "Configuration generation (one more at every reload).");
	outf(&o, "neon_authd_generation %u\n", sb->generation);

	for (i = 0; i < SCOREBOARD_MAX_SLOTS; i++) {
		int st = sb->slots[i].state;

		if (st > SLOT_FREE && st <= SLOT_EXITING && sb->slots[i].pid > 0)
			counts[st]++;
	}
	family(&o, "neon_authd_workers", "gauge",
	    "Worker processes, by state (busy, idle, starting, exiting).");
	for (i = 0; i < (int)(sizeof(states) / sizeof(states[0])); i++)
		outf(&o, "neon_authd_workers{state=\"%s\"} %d\n",
		    scoreboard_state_name(states[i]), counts[states[i]]);

	if (listen_queue(c->listen_fd, &qlen, &qmax) == 0) {
		family(&o, "neon_authd_listen_queue_length", "gauge",
		    "Connections waiting in the listening socket's accept "
		    "queue.");
		outf(&o, "neon_authd_listen_queue_length %d\n", qlen);
		family(&o, "neon_authd_listen_queue_max", "gauge",
		    "The accept queue's limit (the backlog).");
		outf(&o, "neon_authd_listen_queue_max %d\n", qmax);
	}

	text_routes(&o, m);

	family(&o, "neon_authd_worker_exits_total", "counter",
	    "Worker exits (each one replaced while the pool runs), by cause.");
	for (i = 0; i < METRICS_EXIT__N; i++)
		outf(&o, "neon_authd_worker_exits_total{cause=\"%s\"} %llu\n",
		    metrics_exit_name(i),
		    (unsigned long long)metrics_load(&m->exits[i]));

	text_branches(&o, m);

	family(&o, "neon_authd_ratelimit_denied_total", "counter",
	    "Requests answered 429 by the rate limiter.");
	sample_u64(&o, "neon_authd_ratelimit_denied_total",
	    metrics_load(&m->counter[METRICS_RL_DENIED]));
	family(&o, "neon_authd_ratelimit_evictions_total", "counter",
	    "Live rate-limit records replaced for lack of room.");
	sample_u64(&o, "neon_authd_ratelimit_evictions_total",
	    ratelimit_evictions(c->rl));

	family(&o, "neon_authd_password_hash_waits_total", "counter",
	    "Password hashes that waited for a slot of the hash gate.");
	sample_u64(&o, "neon_authd_password_hash_waits_total",
	    metrics_load(&m->counter[METRICS_HASH_WAITS]));
	family(&o, "neon_authd_password_hash_wait_seconds_total", "counter",
	    "Time password hashes spent waiting for a slot.");
	seconds(sec, sizeof(sec),
	    (int64_t)metrics_load(&m->counter[METRICS_HASH_WAIT_US]));
	outf(&o, "neon_authd_password_hash_wait_seconds_total %s\n", sec);
	if (hashgate_stats(&slots, &hfree, &hwait) == 0) {
		family(&o, "neon_authd_password_hash_slots", "gauge",
		    "Password hashes allowed at once (pool.hash_concurrency).");
		outf(&o, "neon_authd_password_hash_slots %d\n", slots);
		family(&o, "neon_authd_password_hash_waiting", "gauge",
		    "Password hashes waiting for a slot now.");
		outf(&o, "neon_authd_password_hash_waiting %d\n", hwait);
	}

	for (i = 0; want_expired(r) && i < branch_count() &&
	    i < EXPIRED_BRANCHES_MAX; i++) {
		const struct expired *e = expired_of(r, i);

		if (e == NULL)
			continue;
		if (!fam_done) {
			family(&o, "neon_authd_expired_rows", "gauge",
			    "Expired rows that neon-authd purge would delete, "
			    "by branch and table (counted up to 1000000, at "
			    "most every 30 s).");
			fam_done = 1;
		}
		jb_lit(&o.b, "neon_authd_expired_rows{branch=\"");
		label_value(&o, branch_at(i)->name);
		outf(&o, "\",table=\"session\"} %lld\n", (long long)e->sessions);
		jb_lit(&o.b, "neon_authd_expired_rows{branch=\"");
		label_value(&o, branch_at(i)->name);
		outf(&o, "\",table=\"verification\"} %lld\n",
		    (long long)e->verifications);
	}

	family(&o, "neon_authd_slow_requests_total", "counter",
	    "Requests that took pool.slow_request or longer.");
	sample_u64(&o, "neon_authd_slow_requests_total",
	    metrics_load(&m->counter[METRICS_SLOW_REQUESTS]));

	for (i = 0; status_gauges[i].name != NULL; i++)
		if (status_gauges[i].fn(&gv) == 0) {
			family(&o, status_gauges[i].name, "gauge",
			    status_gauges[i].help);
			outf(&o, "%s %lld\n", status_gauges[i].name,
			    (long long)gv);
		}

	if (om)
		jb_lit(&o.b, "# EOF\n");
	{
		char *text = jb_done(&o.b);

		reply_header_add(r, "Cache-Control", "no-store");
		reply_raw(r, 200, om ? CT_OPENMETRICS : CT_PROMETHEUS, text,
		    strlen(text));
	}
}

/* ------------------------------------------------------------ dispatch */

/* does the Accept header ask for OpenMetrics? */
static int
wants_openmetrics(struct request *r)
{
	const char	*a = request_header(r, "HTTP_ACCEPT");

	return (a != NULL && strcasestr(a, "application/openmetrics-text") !=
	    NULL);
}

int
status_serve(struct request *r, const struct status_ctx *c)
{
	const struct config	*cfg = c->cfg;
	const char		*fmt;
	int			 is_status, is_metrics;

	if (!cfg->status_enabled)
		return (0);
	is_status = str_eq_c(r->path, cfg->status_path);
	is_metrics = str_eq_c(r->path, cfg->metrics_path);
	if (!is_status && !is_metrics)
		return (0);
	r->route_name = is_status ? "status" : "metrics";
	if (strcmp(r->method, "GET") != 0) {
		reply_empty(r, 404);
		return (1);
	}
	if (is_metrics) {
		status_text(r, c, wants_openmetrics(r));
		return (1);
	}
	fmt = request_query(r, "format");
	if (fmt == NULL || strcmp(fmt, "json") == 0)
		status_json(r, c);
	else if (strcmp(fmt, "openmetrics") == 0)
		status_text(r, c, 1);
	else if (strcmp(fmt, "prometheus") == 0)
		status_text(r, c, 0);
	else
		reply_empty(r, 404);
	return (1);
}
