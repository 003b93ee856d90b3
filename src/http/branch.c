/*
 * branch.c -- branch map and resolution (see branch.h).
 *
 * Listed branches match on the Host header (host[:port], case-insensitive,
 * default ports implied) and the base path as a whole-segment prefix.  A
 * template matches {branch} against the first label of the host and
 * {database} against one path segment; both fields accept only
 * [A-Za-z0-9_-], so the derived connection string cannot be steered by
 * the request beyond picking a name.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "http/branch.h"
#include "lib/clock.h"
#include "lib/config.h"
#include "lib/log.h"
#include "store/db.h"

#define TEMPLATE_CACHE_MAX	256

static struct branch	*listed;
static int		 nlisted;
static char		*tpl_auth_url, *tpl_database;
static char		*tpl_listen;	/* "" when none */
static int		 tpl_pooled;
static struct branch	*tcache[TEMPLATE_CACHE_MAX];
static int		 tcache_next;

static char *
xstrndup(const char *s, size_t n)
{
	char	*p = malloc(n + 1);

	if (p == NULL) {
		log_crit("out of memory");
		exit(1);
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* split "scheme://host[:port]/path" into origin, host, base path */
static int
branch_fill(struct branch *b, const char *auth_url)
{
	const char	*h, *slash;
	size_t		 n;

	b->auth_url = xstrndup(auth_url, strlen(auth_url));
	b->secure = strncmp(auth_url, "https://", 8) == 0;
	h = strstr(auth_url, "://");
	if (h == NULL)
		return (-1);
	h += 3;
	slash = strchr(h, '/');
	n = slash ? (size_t)(slash - h) : strlen(h);
	if (n == 0)
		return (-1);
	b->host = xstrndup(h, n);
	lower(b->host);
	/* drop a default port so "Host: example.com" matches */
	n = strlen(b->host);
	if (b->secure && n > 4 && strcmp(b->host + n - 4, ":443") == 0)
		b->host[n - 4] = '\0';
	if (!b->secure && n > 3 && strcmp(b->host + n - 3, ":80") == 0)
		b->host[n - 3] = '\0';
	b->origin = xstrndup(auth_url, (size_t)(h - auth_url) + (slash ?
	    (size_t)(slash - h) : strlen(h)));
	lower(b->origin);
	b->base_path = xstrndup(slash ? slash : "", slash ? strlen(slash) : 0);
	n = strlen(b->base_path);
	while (n > 0 && b->base_path[n - 1] == '/')
		b->base_path[--n] = '\0';
	return (0);
}

static void
branch_clear(struct branch *b)
{
	if (b == NULL)
		return;
	free(b->name);
	free(b->auth_url);
	free(b->origin);
	free(b->host);
	free(b->base_path);
	free(b->conninfo);
	free(b->key_url);
	free(b->listen_conninfo);
}

int
branch_map_init(const struct config *cfg)
{
	int	 i;

	branch_map_free();
	if (cfg->nbranches > 0) {
		listed = calloc((size_t)cfg->nbranches, sizeof(*listed));
		if (listed == NULL)
			return (-1);
	}
	for (i = 0; i < cfg->nbranches; i++) {
		listed[i].name = xstrndup(cfg->branches[i].name,
		    strlen(cfg->branches[i].name));
		listed[i].conninfo = xstrndup(cfg->branches[i].database,
		    strlen(cfg->branches[i].database));
		listed[i].key_url = xstrndup(cfg->branches[i].auth_url,
		    strlen(cfg->branches[i].auth_url));
		listed[i].pooled = cfg->branches[i].pooled;
		if (cfg->branches[i].listen_database != NULL &&
		    *cfg->branches[i].listen_database != '\0')
			listed[i].listen_conninfo = xstrndup(
			    cfg->branches[i].listen_database,
			    strlen(cfg->branches[i].listen_database));
		if (branch_fill(&listed[i], cfg->branches[i].auth_url) == -1) {
			log_err("%s: bad auth_url for branch %s", __func__,
			    cfg->branches[i].name);
			nlisted = i + 1;
			return (-1);
		}
		nlisted = i + 1;
	}
	if (cfg->template_auth_url) {
		tpl_auth_url = xstrndup(cfg->template_auth_url,
		    strlen(cfg->template_auth_url));
		tpl_database = xstrndup(cfg->template_database,
		    strlen(cfg->template_database));
		tpl_pooled = cfg->template_pooled;
		if (cfg->template_listen_database != NULL)
			tpl_listen = xstrndup(cfg->template_listen_database,
			    strlen(cfg->template_listen_database));
	}
	return (0);
}

void
branch_map_free(void)
{
	int	 i;

	for (i = 0; i < nlisted; i++)
		branch_clear(&listed[i]);
	free(listed);
	listed = NULL;
	nlisted = 0;
	for (i = 0; i < TEMPLATE_CACHE_MAX; i++) {
		branch_clear(tcache[i]);
		free(tcache[i]);
		tcache[i] = NULL;
	}
	free(tpl_auth_url);
	free(tpl_database);
	free(tpl_listen);
	tpl_auth_url = tpl_database = tpl_listen = NULL;
}

/* Host header compared with a branch host, default ports implied */
static int
host_eq(const char *want, const char *host, int secure)
{
	const char	*port = secure ? ":443" : ":80";
	size_t		 wl = strlen(want), hl = strlen(host);

	if (hl >= wl && strncasecmp(want, host, wl) == 0 &&
	    (hl == wl || strcmp(host + wl, port) == 0))
		return (1);
	/*
	 * A branch whose Auth URL names no port also answers a Host with
	 * one (a proxy in front of a web server on another port).
	 */
	if (strchr(want, ':') == NULL && want[0] != '[' && hl > wl &&
	    strncasecmp(want, host, wl) == 0 && host[wl] == ':')
		return (1);
	return (0);
}

/* path equals base or continues it with '/'; sets the remainder */
static int
prefix_match(const char *base, struct str path, struct str *route)
{
	size_t	 bl = strlen(base);

	if (path.len < bl || memcmp(path.p, base, bl) != 0)
		return (0);
	if (path.len > bl && path.p[bl] != '/')
		return (0);
	route->p = path.p + bl;
	route->len = path.len - bl;
	return (1);
}

static int
name_char(int c)
{
	return (isalnum(c) || c == '-' || c == '_');
}

/*
 * Match text against pattern with {branch}/{database} fields.
 * For the path, text may continue past the pattern with '/'.
 */
static int
tpl_match(const char *pat, const char *text, size_t tlen, char *branch,
    char *database, size_t *consumed, int is_path)
{
	size_t	 ti = 0, n;

	while (*pat) {
		if (*pat == '{') {
			char		*dst;
			const char	*end = strchr(pat, '}');

			if (end == NULL)
				return (0);
			if ((size_t)(end - pat) == 7 &&
			    strncmp(pat, "{branch}", 8) == 0)
				dst = branch;
			else if ((size_t)(end - pat) == 9 &&
			    strncmp(pat, "{database}", 10) == 0)
				dst = database;
			else
				return (0);
			n = 0;
			while (ti + n < tlen && name_char((unsigned char)
			    text[ti + n]) && n < 63)
				n++;
			if (n == 0 || (ti + n < tlen && name_char(
			    (unsigned char)text[ti + n])))
				return (0);
			/* names fold to lower case: one database, one name */
			if (dst[0] != '\0' && (strlen(dst) != n ||
			    strncasecmp(dst, text + ti, n) != 0))
				return (0);
			memcpy(dst, text + ti, n);
			dst[n] = '\0';
			lower(dst);
			ti += n;
			pat = end + 1;
			continue;
		}
		if (ti >= tlen || tolower((unsigned char)*pat) !=
		    tolower((unsigned char)text[ti]))
			return (0);
		pat++;
		ti++;
	}
	if (!is_path && ti != tlen)
		return (0);
	if (is_path && ti < tlen && text[ti] != '/')
		return (0);
	*consumed = ti;
	return (1);
}

/* substitute {branch} and {database} in s */
static char *
subst(const char *s, const char *branch, const char *database)
{
	char	 out[2048];
	size_t	 o = 0, n;

	while (*s && o < sizeof(out) - 1) {
		const char *v = NULL;

		if (strncmp(s, "{branch}", 8) == 0) {
			v = branch;
			s += 8;
		} else if (strncmp(s, "{database}", 10) == 0) {
			v = database;
			s += 10;
		}
		if (v) {
			n = strlen(v);
			if (o + n >= sizeof(out) - 1)
				return (NULL);
			memcpy(out + o, v, n);
			o += n;
			continue;
		}
		out[o++] = *s++;
	}
	if (*s)
		return (NULL);
	return (xstrndup(out, o));
}

int
branch_reserved_db(const char *db)
{
	return (db == NULL || strcmp(db, "template0") == 0 ||
	    strcmp(db, "template1") == 0 || strcmp(db, "postgres") == 0);
}

/*
 * The templated branch of the names br and db (either may be "", both
 * lower case), from the cache or made and cached; NULL when the
 * connection string does not parse or names one of PostgreSQL's own
 * databases.  The branch's name -- the key of its connections, config
 * cache, rate limits and keys -- holds only the fields the connection
 * string uses: Host labels that reach the same database are one branch
 * under several Auth URLs.  The cache is keyed on the Auth URL.
 */
static struct branch *
template_branch(const char *br, const char *db)
{
	char		 name[160], target[1024];
	const char	*dbname;
	char		*ci, *au;
	struct branch	*b;
	int		 i, n;

	if ((au = subst(tpl_auth_url, br, db)) == NULL)
		return (NULL);
	for (i = 0; i < TEMPLATE_CACHE_MAX; i++)
		if (tcache[i] && strcmp(tcache[i]->auth_url, au) == 0) {
			free(au);
			return (tcache[i]);
		}
	ci = subst(tpl_database, br, db);
	/* PostgreSQL's own databases are never branches, by any field */
	if (ci == NULL || db_conninfo_target(ci, target, sizeof(target),
	    &dbname) == -1 || branch_reserved_db(dbname)) {
		free(au);
		free(ci);
		return (NULL);
	}
	n = snprintf(name, sizeof(name), "%s/%s",
	    strstr(tpl_database, "{branch}") ? br : "",
	    strstr(tpl_database, "{database}") ? db : "");
	if (n < 0 || (size_t)n >= sizeof(name) ||
	    (b = calloc(1, sizeof(*b))) == NULL) {
		free(au);
		free(ci);
		return (NULL);
	}
	b->templated = 1;
	b->name = xstrndup(name, (size_t)n);
	b->conninfo = ci;
	b->pooled = tpl_pooled;
	if (tpl_listen != NULL && *tpl_listen != '\0' &&
	    (b->listen_conninfo = subst(tpl_listen, br, db)) == NULL) {
		free(au);
		branch_clear(b);
		free(b);
		return (NULL);
	}
	b->key_url = subst(tpl_auth_url,
	    strstr(tpl_database, "{branch}") ? br : "{branch}",
	    strstr(tpl_database, "{database}") ? db : "{database}");
	if (b->key_url == NULL || branch_fill(b, au) == -1) {
		free(au);
		branch_clear(b);
		free(b);
		return (NULL);
	}
	free(au);
	if (tcache[tcache_next]) {
		branch_clear(tcache[tcache_next]);
		free(tcache[tcache_next]);
	}
	tcache[tcache_next] = b;
	tcache_next = (tcache_next + 1) % TEMPLATE_CACHE_MAX;
	return (b);
}

/* one {branch}/{database} value: 1 to 63 of [A-Za-z0-9_-] */
static int
name_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 63)
		return (0);
	for (i = 0; i < n; i++)
		if (!name_char((unsigned char)s[i]))
			return (0);
	return (1);
}

struct branch *
branch_template_named(const char *name)
{
	char		 br[64] = "", db[64] = "";
	const char	*slash;
	int		 has_b, has_d;

	if (tpl_auth_url == NULL || name == NULL)
		return (NULL);
	has_b = strstr(tpl_auth_url, "{branch}") != NULL;
	has_d = strstr(tpl_auth_url, "{database}") != NULL;
	slash = strchr(name, '/');
	if (has_b && has_d) {
		if (slash == NULL || !name_ok(name, (size_t)(slash - name)) ||
		    !name_ok(slash + 1, strlen(slash + 1)))
			return (NULL);
		memcpy(br, name, (size_t)(slash - name));
		snprintf(db, sizeof(db), "%s", slash + 1);
	} else if (has_d) {
		/* "db", or "/db" as the server names it */
		if (name[0] == '/')
			name++;
		if (!name_ok(name, strlen(name)))
			return (NULL);
		snprintf(db, sizeof(db), "%s", name);
	} else {
		if (slash != NULL && slash[1] == '\0' && slash > name &&
		    (size_t)(slash - name) < sizeof(br)) {
			memcpy(br, name, (size_t)(slash - name));
			br[slash - name] = '\0';
		} else
			snprintf(br, sizeof(br), "%s", name);
		if (!name_ok(br, strlen(br)))
			return (NULL);
	}
	lower(br);
	lower(db);
	return (template_branch(br, db));
}

static struct branch *
template_resolve(const char *host, struct str path, struct str *route)
{
	char		 br[64] = "", db[64] = "";
	const char	*h, *slash, *tpath;
	char		*thost;
	size_t		 hlen, consumed = 0;

	h = strstr(tpl_auth_url, "://") + 3;
	slash = strchr(h, '/');
	hlen = slash ? (size_t)(slash - h) : strlen(h);
	tpath = slash ? slash : "";
	thost = xstrndup(h, hlen);
	if (!tpl_match(thost, host, strlen(host), br, db, &consumed, 0)) {
		free(thost);
		return (NULL);
	}
	free(thost);
	if (!tpl_match(tpath, path.p, path.len, br, db, &consumed, 1))
		return (NULL);
	route->p = path.p + consumed;
	route->len = path.len - consumed;
	return (template_branch(br, db));
}

struct branch *
branch_resolve(const char *host, struct str path, struct str *route)
{
	struct branch	*best = NULL;
	struct str	 r, best_r = { NULL, 0 };
	size_t		 best_len = 0;
	int		 i;

	if (host == NULL)
		host = "";
	for (i = 0; i < nlisted; i++) {
		if (!host_eq(listed[i].host, host, listed[i].secure))
			continue;
		if (!prefix_match(listed[i].base_path, path, &r))
			continue;
		if (best == NULL || strlen(listed[i].base_path) > best_len) {
			best = &listed[i];
			best_len = strlen(listed[i].base_path);
			best_r = r;
		}
	}
	if (best) {
		*route = best_r;
		return (best);
	}
	if (tpl_auth_url)
		return (template_resolve(host, path, route));
	return (NULL);
}

struct branch *
branch_by_name(const char *name)
{
	int	 i;

	for (i = 0; i < nlisted; i++)
		if (strcmp(listed[i].name, name) == 0)
			return (&listed[i]);
	return (NULL);
}

int
branch_count(void)
{
	return (nlisted);
}

struct branch *
branch_at(int i)
{
	return (i >= 0 && i < nlisted ? &listed[i] : NULL);
}

struct branch *
branch_host_only(const char *host)
{
	struct branch	*found = NULL;
	int		 i;

	if (host == NULL)
		return (NULL);
	for (i = 0; i < nlisted; i++)
		if (host_eq(listed[i].host, host, listed[i].secure)) {
			if (found)
				return (NULL);
			found = &listed[i];
		}
	return (found);
}

/*
 * The daemon-wide state of unreachable databases, in one shared page
 * mapped before the workers fork: a negative cache per target (the
 * branch name) with a doubling backoff, and a throttle on the lines
 * their failures log.  A tiny spinlock guards it; a worker that cannot
 * have it at once goes on as if nothing were cached.  While no database
 * is marked (active == 0, read without the lock) a request takes
 * neither the lock nor the clock: the common case costs one load.
 */
#define DOWN_SLOTS	128
#define DOWN_FIRST_MS	100
#define DOWN_MAX_MS	1000
#define LOG_PER_SEC	10

struct down_slot {
	uint64_t	 hash;		/* 0: free */
	int64_t		 until_ms;
	int64_t		 backoff_ms;
	int64_t		 used_ms;
};

struct down_shared {
	int		 lock;
	int		 active;	/* slots in use (hash != 0) */
	struct down_slot slot[DOWN_SLOTS];
	int64_t		 log_window_ms;
	int		 log_count;
	int		 log_suppressed;
};

static struct down_shared	*down;

int
branch_shared_init(void)
{
	void	*p;

	if (down != NULL)
		return (0);
	p = mmap(NULL, sizeof(*down), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warn("%s: mmap", __func__);
		return (-1);
	}
	memset(p, 0, sizeof(*down));
	down = p;
	return (0);
}

static int
down_lock(void)
{
	int	 i;

	if (down == NULL)
		return (0);
	for (i = 0; i < 1000; i++)
		if (!__atomic_test_and_set(&down->lock, __ATOMIC_ACQUIRE))
			return (1);
	return (0);
}

static void
down_unlock(void)
{
	__atomic_clear(&down->lock, __ATOMIC_RELEASE);
}

/* FNV-1a, never 0 */
static uint64_t
down_hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ? h : 1);
}

static struct down_slot *
down_find(uint64_t h, int make, int64_t now)
{
	struct down_slot	*lru = &down->slot[0];
	int			 i;

	for (i = 0; i < DOWN_SLOTS; i++) {
		if (down->slot[i].hash == h)
			return (&down->slot[i]);
		if (down->slot[i].used_ms < lru->used_ms)
			lru = &down->slot[i];
	}
	if (!make)
		return (NULL);
	if (lru->hash == 0)
		__atomic_store_n(&down->active, down->active + 1,
		    __ATOMIC_RELEASE);
	memset(lru, 0, sizeof(*lru));
	lru->hash = h;
	lru->used_ms = now;
	return (lru);
}

int
branch_down_wait(const struct branch *b)
{
	struct down_slot	*d;
	int64_t			 now;
	int			 wait = 0;

	if (b == NULL || down == NULL ||
	    __atomic_load_n(&down->active, __ATOMIC_ACQUIRE) == 0)
		return (0);
	now = clock_mono_ms();
	if (!down_lock())
		return (0);
	if ((d = down_find(down_hash(b->name), 0, now)) != NULL &&
	    now < d->until_ms)
		wait = 1;
	down_unlock();
	return (wait);
}

void
branch_down_note(const struct branch *b, int failed)
{
	struct down_slot	*d;
	int64_t			 now;

	if (b == NULL || down == NULL || (!failed &&
	    __atomic_load_n(&down->active, __ATOMIC_ACQUIRE) == 0))
		return;
	now = clock_mono_ms();
	if (!down_lock())
		return;
	if ((d = down_find(down_hash(b->name), failed, now)) != NULL) {
		if (failed) {
			d->backoff_ms = d->backoff_ms == 0 ? DOWN_FIRST_MS :
			    d->backoff_ms * 2 > DOWN_MAX_MS ? DOWN_MAX_MS :
			    d->backoff_ms * 2;
			d->until_ms = now + d->backoff_ms;
			d->used_ms = now;
		} else {
			memset(d, 0, sizeof(*d));
			__atomic_store_n(&down->active, down->active - 1,
			    __ATOMIC_RELEASE);
		}
	}
	down_unlock();
}

int
branch_log_allow(int *suppressed)
{
	int64_t	 now = clock_mono_ms();
	int	 ok = 1;

	*suppressed = 0;
	if (!down_lock())
		return (1);
	if (now - down->log_window_ms >= 1000) {
		*suppressed = down->log_suppressed;
		down->log_suppressed = 0;
		down->log_window_ms = now;
		down->log_count = 0;
	}
	if (down->log_count >= LOG_PER_SEC) {
		down->log_suppressed++;
		ok = 0;
	} else
		down->log_count++;
	down_unlock();
	return (ok);
}
