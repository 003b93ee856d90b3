/*
 * test_core.c -- unit tests for the pure core modules: arena, json,
 * config, branch resolution, router, reply construction.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/arena.h"
#include "http/branch.h"
#include "lib/config.h"
#include "lib/json.h"
#include "http/error.h"
#include "http/request.h"
#include "api/router.h"
#include "store/store.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include <sys/mman.h>
#include <sys/wait.h>

/* clock_iso against Date.prototype.toISOString (values from node) */
static void
test_iso(void **state)
{
	static const struct { int64_t ms; const char *iso; } v[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ -1, "1969-12-31T23:59:59.999Z" },
		{ 1796409056744LL, "2026-12-04T18:30:56.744Z" },
		{ 951782400000LL, "2000-02-29T00:00:00.000Z" },
		{ 253402300799999LL, "9999-12-31T23:59:59.999Z" },
		{ 253402300800000LL, "+010000-01-01T00:00:00.000Z" },
		{ -62167219200001LL, "-000001-12-31T23:59:59.999Z" },
		{ -62135596800000LL, "0001-01-01T00:00:00.000Z" },
	};
	struct arena	 a;
	char		 want[64];
	struct tm	 tm;
	time_t		 t;
	int64_t		 ms;
	size_t		 i;

	(void)state;
	arena_init(&a, 1024);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_string_equal(clock_iso(&a, v[i].ms), v[i].iso);
	/* and against gmtime_r, one day and a bit apart, 1900 to 2200 */
	for (ms = -2208988800000LL; ms < 7258118400000LL;
	    ms += 86400000LL + 3601001LL) {
		t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
		gmtime_r(&t, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)(((ms % 1000) + 1000) % 1000));
		assert_string_equal(clock_iso(&a, ms), want);
		arena_reset(&a);
	}
	arena_free(&a);
}

/* jb_str escapes exactly as json_quote (json-c, as JSON.stringify) */
static void
test_jbuf(void **state)
{
	static const char *const v[] = { "", "plain", "quote\" back\\slash",
		"a/b</script>", "tab\tnl\ncr\rbs\bff\f", "\x01\x1f\x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", NULL };
	struct arena	 a;
	struct jbuf	 b;
	char		 one[2] = { 0, 0 };
	int		 c, i;

	(void)state;
	arena_init(&a, 256);
	for (c = 1; c < 256; c++) {
		one[0] = (char)c;
		jb_init(&b, &a, 8);
		jb_str(&b, one);
		assert_string_equal(jb_done(&b), json_quote(&a, one));
	}
	for (i = 0; v[i] != NULL; i++) {
		jb_init(&b, &a, 1);	/* forces growth */
		jb_str(&b, v[i]);
		assert_string_equal(jb_done(&b), json_quote(&a, v[i]));
	}
	jb_init(&b, &a, 8);
	jb_lit(&b, "[");
	jb_str(&b, NULL);
	jb_lit(&b, ",");
	jb_bool(&b, 1);
	jb_lit(&b, ",");
	jb_bool(&b, 0);
	jb_lit(&b, "]");
	assert_string_equal(jb_done(&b), "[null,true,false]");
	arena_free(&a);
}

static void
test_arena(void **state)
{
	struct arena	 a;
	char		*p, *big;
	int		 i;

	(void)state;
	arena_init(&a, 1024);
	p = arena_strdup(&a, "hello");
	assert_string_equal(p, "hello");
	for (i = 0; i < 100; i++)
		assert_non_null(arena_alloc(&a, 100));
	big = arena_alloc(&a, 10000);
	memset(big, 'x', 10000);
	assert_string_equal(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
	assert_int_equal(((uintptr_t)arena_alloc(&a, 3)) %
	    _Alignof(max_align_t), 0);
	arena_reset(&a);
	assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
	arena_free(&a);
}

static void
test_json(void **state)
{
	struct arena	 a;
	json_object	*o;
	int		 is_null;

	(void)state;
	arena_init(&a, 1024);
	assert_string_equal(json_quote(&a, "a\"b/c\n"), "\"a\\\"b/c\\n\"");
	o = json_parse("{\"a\":[1,2,{\"b\":null}]} \n", 22, &is_null);
	assert_non_null(o);
	assert_string_equal(json_dump(&a, o), "{\"a\":[1,2,{\"b\":null}]}");
	json_object_put(o);
	assert_null(json_parse("{\"a\":1} x", 9, &is_null));
	assert_null(json_parse("{\"a\":", 5, &is_null));
	assert_null(json_parse("{'a':1}", 7, &is_null));
	assert_null(json_parse("[Infinity]", 10, &is_null));
	assert_null(json_parse("[\"\t\"]", 5, &is_null));
	{
		const char *q = "{\"a\":\"it's \\\"x\\\" \\u00e9\"}";

		o = json_parse(q, strlen(q), &is_null);
	}
	assert_non_null(o);
	json_object_put(o);
	assert_null(json_parse("null", 4, &is_null));
	assert_int_equal(is_null, 1);
	o = json_parse("true", 4, &is_null);
	assert_non_null(o);
	assert_true(json_object_get_boolean(o));
	json_object_put(o);
	o = json_parse("15", 2, &is_null);
	assert_non_null(o);
	assert_int_equal(json_object_get_int(o), 15);
	json_object_put(o);
	assert_null(json_parse("15x", 3, &is_null));
	assert_null(json_parse("", 0, &is_null));
	{
		/* nesting beyond the limit is refused */
		char	 deep[200];
		int	 i;

		for (i = 0; i < 100; i++)
			deep[i] = '[';
		for (i = 100; i < 200; i++)
			deep[i] = ']';
		assert_null(json_parse(deep, 200, &is_null));
		assert_int_equal(is_null, 0);
	}
	arena_free(&a);
}

static char *
write_conf(const char *text)
{
	static char	 path[64];
	int		 fd;

	snprintf(path, sizeof(path), "/tmp/na-conf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return (path);
}

#define SECRET "secret = \"0123456789abcdef0123456789abcdef\";\n"

static void
test_config(void **state)
{
	struct config	*c;
	char		 err[512], *p;

	(void)state;
	p = write_conf(SECRET "pool = { workers = 3; };\n"
	    "branches = ( { name = \"main\"; auth_url = "
	    "\"http://127.0.0.1:8080/neondb/auth/\"; database = \"dbname=x\"; } );\n");
	c = config_load(p, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->workers, 3);
	assert_int_equal(c->max_requests, 1000000);
	assert_int_equal(c->body_max, 65536);
	assert_int_equal(c->listen_mode, 0660);
	assert_int_equal(c->nbranches, 1);
	assert_string_equal(c->branches[0].auth_url,
	    "http://127.0.0.1:8080/neondb/auth");
	config_free(c);
	unlink(p);

	/* errors name the file, the line and the option */
	p = write_conf(SECRET "\npool = { workers = 0; };\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, ":3: pool.workers"));
	unlink(p);
	p = write_conf(SECRET "bogus = 1;\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, ":2: bogus: unknown option"));
	unlink(p);
	p = write_conf("secret = \"short\";\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "secret"));
	unlink(p);
	p = write_conf(SECRET "\npool = {\n  workers = 2;\n  wrokers = 3;\n};\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, ":5: pool.wrokers: unknown option"));
	unlink(p);
	p = write_conf(SECRET "pool = { workers = ; };\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, ":2:"));
	unlink(p);
	p = write_conf(SECRET "listen = { mode = \"999\"; };\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "listen.mode"));
	unlink(p);
	assert_null(config_load("/nonexistent/neon-authd.conf", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/neon-authd.conf"));
}

/* a branch's pooler and listen_database (README "Through PgBouncer") */
static void
test_config_pooler(void **state)
{
	struct config	*c;
	char		 err[512], *p;

	(void)state;
	p = write_conf(SECRET "branches = ( { name = \"a\"; auth_url = "
	    "\"http://127.0.0.1/a/auth\"; database = \"port=6432\"; "
	    "pooler = \"transaction\"; listen_database = \"port=5432\"; },\n"
	    "{ name = \"b\"; auth_url = \"http://127.0.0.1/b/auth\"; "
	    "database = \"dbname=x\"; } );\n"
	    "branch_template = { auth_url = \"http://127.0.0.1/{database}/auth\";"
	    " database = \"port=6432 dbname={database}\"; pooler = "
	    "\"transaction\"; listen_database = \"dbname={database}\"; };\n");
	c = config_load(p, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->branches[0].pooled, 1);
	assert_string_equal(c->branches[0].listen_database, "port=5432");
	assert_int_equal(c->branches[1].pooled, 0);
	assert_string_equal(c->branches[1].listen_database, "");
	assert_int_equal(c->template_pooled, 1);
	assert_string_equal(c->template_listen_database, "dbname={database}");
	config_free(c);
	unlink(p);
	p = write_conf(SECRET "branches = ( { name = \"a\"; auth_url = "
	    "\"http://127.0.0.1/a/auth\"; database = \"x\";\n"
	    "pooler = \"session\"; } );\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, ":3: pooler: must be"));
	unlink(p);
	p = write_conf(SECRET "branches = ( { name = \"a\"; auth_url = "
	    "\"http://127.0.0.1/a/auth\"; database = \"x\"; "
	    "listen_database = 5; } );\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "listen_database: must be a string"));
	unlink(p);
}


/* the options of issue 11: secrets, proxies, log, normalised Auth URLs */
static void
test_config_ops(void **state)
{
	struct config	*c;
	char		 err[512], *p;

	(void)state;
	p = write_conf("secrets = ( { version = 3; value = "
	    "\"new-secret-0123456789abcdefghijklmnopqr\"; }, "
	    "\"old-secret-0123456789abcdefghijklmnopqr\" );\n"
	    "secret = \"legacy-secret-0123456789abcdefghijklmno\";\n"
	    "trusted_proxies = [ \"10.0.0.0/8\", \"::1\" ];\n"
	    "log = { format = \"json\"; level = \"debug\"; };\n"
	    "pool = { slow_request = 250; };\n"
	    "branches = ( { name = \"main\"; auth_url = "
	    "\"HTTP://Auth.Example.COM:80/neondb/auth//\"; "
	    "database = \"dbname=x\"; } );\n");
	c = config_load(p, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->secrets.n, 3);
	assert_int_equal(c->secrets.s[0].version, 3);
	assert_int_equal(c->secrets.s[1].version, -1);
	assert_string_equal(c->secrets.s[2].value,
	    "legacy-secret-0123456789abcdefghijklmno");
	assert_string_equal(c->secret, c->secrets.s[0].value);
	assert_string_equal(c->trusted_proxies[0], "10.0.0.0/8");
	assert_null(c->trusted_proxies[2]);
	assert_int_equal(c->log_format, CONFIG_LOG_JSON);
	assert_int_equal(c->log_level, LOG_LVL_DEBUG);
	assert_int_equal(c->slow_request_ms, 250);
	assert_string_equal(c->branches[0].auth_url,
	    "http://auth.example.com/neondb/auth");
	config_free(c);
	unlink(p);
	/* the defaults: loopback only, text, no slow log, one secret */
	p = write_conf(SECRET);
	c = config_load(p, err, sizeof(err));
	assert_non_null(c);
	assert_null(c->trusted_proxies);
	assert_int_equal(c->log_format, CONFIG_LOG_TEXT);
	assert_int_equal(c->slow_request_ms, 0);
	assert_int_equal(c->secrets.n, 1);
	assert_string_equal(c->metrics_path, "/_neon-authd/metrics");
	config_free(c);
	unlink(p);
	/* errors */
	p = write_conf(SECRET "trusted_proxies = [ \"10.0.0.0/33\" ];\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "trusted_proxies[0]"));
	unlink(p);
	p = write_conf(SECRET "log = { format = \"xml\"; };\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, ":2: log.format"));
	unlink(p);
	p = write_conf(SECRET "log = { level = \"info\"; };\nlog_level = "
	    "\"debug\";\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "log_level: also given as log.level"));
	unlink(p);
	p = write_conf("secrets = ( { version = 1; value = "
	    "\"a-secret-0123456789abcdefghijklmnopqrst\"; }, { version = 1; "
	    "value = \"b-secret-0123456789abcdefghijklmnopqrst\"; } );\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "version 1 is listed twice"));
	unlink(p);
	p = write_conf(SECRET "branches = ( { name = \"x\"; auth_url = "
	    "\"https://h.example/a?b=1\"; database = \"dbname=x\"; } );\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "branches[0].auth_url"));
	unlink(p);
	p = write_conf(SECRET "branch_template = { auth_url = "
	    "\"https://h.example/{db}/auth\"; database = \"dbname={db}\"; };\n");
	assert_null(config_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "{db}: only {branch} and {database}"));
	unlink(p);
}

/* metrics counted by several processes into one shared mapping */
static void
test_metrics_shared(void **state)
{
	struct metrics_shm	*m;
	pid_t			 kids[4];
	int			 i, j, st, found = 0;
	uint64_t		 total = 0, bucket = 0;

	(void)state;
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	memset(m, 0, sizeof(*m));
	metrics_attach(m);
	for (i = 0; i < 4; i++) {
		if ((kids[i] = fork()) == 0) {
			for (j = 0; j < 1000; j++) {
				metrics_request("get-session", j % 2 ? 200 : 401,
				    j * 10);
				metrics_db("main", METRICS_DB_QUERY);
			}
			metrics_add(METRICS_RL_DENIED, 3);
			_exit(0);
		}
		assert_true(kids[i] > 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	for (i = 0; i < METRICS_ROUTES_MAX; i++) {
		if (m->routes[i].state != 2 ||
		    strcmp(m->routes[i].name, "get-session") != 0)
			continue;
		found++;
		for (j = 0; j < METRICS_STATUSES_MAX; j++)
			if (m->routes[i].status[j].code != 0)
				total += m->routes[i].status[j].n;
		for (j = 0; j < METRICS_BUCKETS; j++)
			bucket += m->routes[i].bucket[j];
	}
	assert_int_equal(found, 1);		/* one row for four writers */
	assert_int_equal(total, 4000);
	assert_int_equal(bucket, 4000);
	assert_int_equal(m->counter[METRICS_RL_DENIED], 12);
	for (i = 0; i < METRICS_BRANCHES_MAX; i++)
		if (m->branches[i].state == 2 &&
		    strcmp(m->branches[i].name, "main") == 0)
			assert_int_equal(m->branches[i].ev[METRICS_DB_QUERY],
			    4000);
	/* more names than rows: the rest counts under _other */
	for (i = 0; i < METRICS_BRANCHES_MAX + 20; i++) {
		char	 name[32];

		snprintf(name, sizeof(name), "b%d", i);
		metrics_db(name, METRICS_DB_CONNECT);
	}
	assert_string_equal(m->branches[METRICS_BRANCHES_MAX - 1].name,
	    METRICS_OTHER);
	assert_true(m->branches[METRICS_BRANCHES_MAX - 1].ev[
	    METRICS_DB_CONNECT] >= 20);
	metrics_attach(NULL);
	metrics_request("x", 200, 1);	/* detached: a no-op */
	munmap(m, sizeof(*m));
}

/* log records: text to a file with a time, JSON with escaping */
static void
test_log_formats(void **state)
{
	char	 path[] = "/tmp/neon-authd-test-log.XXXXXX", buf[4096];
	int	 fd;
	ssize_t	 n;
	const struct log_field f[] = {
		LOG_STR("route", "sign-in/email"), LOG_NUM("status", 200),
		LOG_MS("dur_ms", 12345), LOG_STR("branch", NULL),
		LOG_STR("client", "a \"b\""),
	};
	const struct log_field f2[] = {
		LOG_MS("db_ms", 7), LOG_NUM("n", -3), LOG_MS("neg", -5),
	};

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	close(fd);
	assert_int_equal(log_setup(LOG_LVL_INFO, path, 0), 0);
	log_kv(LOG_LVL_INFO, "access", NULL, f, 5);
	log_kv(LOG_LVL_INFO, "access", NULL, f2, 3);
	log_debug("not written");
	assert_int_equal(log_setup(LOG_LVL_INFO, path, 1), 0);
	log_kv(LOG_LVL_WARN, "slow_request", "slow request", f, 5);
	log_info("line \"quoted\"\n");
	assert_int_equal(log_setup(LOG_LVL_INFO, NULL, 0), 0);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	buf[n] = '\0';
	/* 2026-12-02T05:43:45.123Z info pid=N route=... */
	assert_true(strlen(buf) > 25 && buf[4] == '-' && buf[10] == 'T' &&
	    buf[23] == 'Z');
	assert_non_null(strstr(buf, "Z info pid="));
	assert_non_null(strstr(buf, " route=sign-in/email status=200 "
	    "dur_ms=12.345 branch=- client=\"a \\\"b\\\"\"\n"));
	/* the hand-made numbers: zero-padded milliseconds, a sign */
	assert_non_null(strstr(buf, " db_ms=0.007 n=-3 neg=0.000\n"));
	assert_null(strstr(buf, "not written"));
	assert_non_null(strstr(buf, "\"level\":\"warn\",\"pid\":"));
	assert_non_null(strstr(buf, "\"type\":\"slow_request\",\"route\":"
	    "\"sign-in/email\",\"status\":200,\"dur_ms\":12.345,"
	    "\"branch\":null,\"client\":\"a \\\"b\\\"\"}\n"));
	assert_non_null(strstr(buf, "\"msg\":\"line \\\"quoted\\\"\\u000a\"}"));
}

static void
test_branch(void **state)
{
	struct config	*c;
	char		 err[512], *p;
	struct branch	*b;
	struct str	 route;

	(void)state;
	p = write_conf(SECRET
	    "branches = ( { name = \"main\"; auth_url = "
	    "\"http://127.0.0.1:8080/neondb/auth\"; database = \"dbname=a\"; },\n"
	    " { name = \"dev\"; auth_url = \"https://Dev.Example.com/auth\";"
	    " database = \"dbname=b\"; } );\n"
	    "branch_template = { auth_url = \"https://{branch}.auth.example.com/{database}/auth\";"
	    " database = \"dbname={database} options=-cbranch={branch}\"; };\n");
	c = config_load(p, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(branch_map_init(c), 0);

	b = branch_resolve("127.0.0.1:8080", STR("/neondb/auth/ok"), &route);
	assert_non_null(b);
	assert_string_equal(b->name, "main");
	assert_string_equal(b->origin, "http://127.0.0.1:8080");
	assert_true(str_eq_c(route, "/ok"));
	assert_null(branch_resolve("127.0.0.1:8081", STR("/neondb/auth/ok"),
	    &route));
	assert_null(branch_resolve("127.0.0.1:8080", STR("/neondb/authx/ok"),
	    &route));

	b = branch_resolve("dev.example.com:443", STR("/auth/get-session"),
	    &route);
	assert_non_null(b);
	assert_string_equal(b->name, "dev");
	assert_true(b->secure);
	assert_true(str_eq_c(route, "/get-session"));

	b = branch_resolve("br-1.auth.example.com", STR("/shop/auth/ok"),
	    &route);
	assert_non_null(b);
	assert_string_equal(b->name, "br-1/shop");
	assert_string_equal(b->conninfo, "dbname=shop options=-cbranch=br-1");
	assert_string_equal(b->auth_url,
	    "https://br-1.auth.example.com/shop/auth");
	assert_true(str_eq_c(route, "/ok"));
	/* hostile names never reach the connection string */
	assert_null(branch_resolve("a b.auth.example.com", STR("/x/auth/ok"),
	    &route));
	assert_null(branch_resolve("br.auth.example.com",
	    STR("/x'y/auth/ok"), &route));
	assert_null(branch_resolve("x.y.auth.example.com", STR("/d/auth/ok"),
	    &route));
	assert_non_null(branch_host_only("dev.example.com"));
	branch_map_free();
	config_free(c);
	unlink(p);
}

/*
 * issue 12 #2 and #7: template names fold case, the branch is named by the
 * fields its connection string uses, and the reserved databases are
 * refused by whichever field names them.
 */
static void
test_branch_template_identity(void **state)
{
	struct config	*c;
	char		 err[512], *p;
	struct branch	*b1, *b2;
	struct str	 route;

	(void)state;
	p = write_conf(SECRET
	    "branch_template = { auth_url = \"https://{branch}.auth.example.com/{database}/auth\";"
	    " database = \"host=db dbname={database}\"; };\n");
	c = config_load(p, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(branch_map_init(c), 0);
	b1 = branch_resolve("one.auth.example.com", STR("/Shop/auth/ok"),
	    &route);
	assert_non_null(b1);
	assert_string_equal(b1->name, "/shop");
	assert_string_equal(b1->conninfo, "host=db dbname=shop");
	assert_string_equal(b1->key_url,
	    "https://{branch}.auth.example.com/shop/auth");
	b2 = branch_resolve("TWO.auth.example.com", STR("/shop/auth/ok"),
	    &route);
	assert_non_null(b2);
	/* one database: one name (rate limits, caches), one key set */
	assert_string_equal(b2->name, b1->name);
	assert_string_equal(b2->key_url, b1->key_url);
	assert_string_equal(b2->auth_url,
	    "https://two.auth.example.com/shop/auth");
	assert_null(branch_resolve("x.auth.example.com",
	    STR("/Template1/auth/ok"), &route));
	assert_null(branch_resolve("x.auth.example.com",
	    STR("/POSTGRES/auth/ok"), &route));
	/* the CLI's names fold too */
	b1 = branch_template_named("X/SHOP");
	assert_non_null(b1);
	assert_string_equal(b1->name, "/shop");
	branch_map_free();
	config_free(c);
	unlink(p);

	/* {branch} names the database: the guard sees it */
	p = write_conf(SECRET
	    "branch_template = { auth_url = \"https://{branch}.auth.example.com/auth\";"
	    " database = \"postgresql://u@db/{branch}?sslmode=disable\"; };\n");
	c = config_load(p, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(branch_map_init(c), 0);
	b1 = branch_resolve("Neondb.auth.example.com", STR("/auth/ok"), &route);
	assert_non_null(b1);
	assert_string_equal(b1->name, "neondb/");
	assert_null(branch_resolve("template1.auth.example.com",
	    STR("/auth/ok"), &route));
	assert_null(branch_resolve("Template0.auth.example.com",
	    STR("/auth/ok"), &route));
	assert_null(branch_resolve("postgres.auth.example.com",
	    STR("/auth/ok"), &route));
	assert_null(branch_template_named("template1"));
	branch_map_free();
	config_free(c);
	unlink(p);
	assert_true(branch_reserved_db("template0"));
	assert_false(branch_reserved_db("neondb"));
}

static void
test_router(void **state)
{
	const struct route	*rt;
	int			 known;

	(void)state;
	rt = router_match("GET", STR("/ok"), &known, NULL);
	assert_non_null(rt);
	assert_string_equal(rt->name, "ok");
	assert_null(router_match("POST", STR("/ok"), &known, NULL));
	assert_int_equal(known, 1);
	assert_null(router_match("GET", STR("/ok/"), &known, NULL));
	assert_int_equal(known, 0);
	assert_null(router_match("GET", STR("/nope"), &known, NULL));
}

static void
test_reply(void **state)
{
	struct arena	 a;
	struct request	 r;

	(void)state;
	arena_init(&a, 1024);
	memset(&r, 0, sizeof(r));
	r.a = &a;
	reply_err(&r, err_msg(&r, ERR_BAD_REQUEST_JSON, "Invalid \"JSON\""));
	assert_int_equal(r.status, 400);
	assert_string_equal(r.reply_body,
	    "{\"message\":\"Invalid \\\"JSON\\\"\",\"code\":\"BAD_REQUEST\"}");
	assert_string_equal(r.headers->name, "Content-Type");
	assert_string_equal(r.headers->value, "application/json");
	memset(&r, 0, sizeof(r));
	r.a = &a;
	r.query = STR("a=1&token=x%20y+z&e=");
	assert_string_equal(request_query(&r, "token"), "x y z");
	assert_string_equal(request_query(&r, "e"), "");
	assert_null(request_query(&r, "b"));
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_jbuf),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_pooler),
		cmocka_unit_test(test_config_ops),
		cmocka_unit_test(test_metrics_shared),
		cmocka_unit_test(test_log_formats),
		cmocka_unit_test(test_branch),
		cmocka_unit_test(test_branch_template_identity),
		cmocka_unit_test(test_router),
		cmocka_unit_test(test_reply),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
