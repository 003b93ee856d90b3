/*
 * ratelimit.c -- shared-memory rate limiter (see ratelimit.h).
 *
 * Layout: one header, then nbuckets (a power of two) buckets, each a
 * robust process-shared mutex and RATELIMIT_BUCKET_SLOTS entries.  A key
 * hashes (HMAC-SHA256 under a random per-table key, so clients cannot aim
 * their keys at one bucket) to one bucket and lives in one of its slots.
 * An entry is empty when its hash is 0.  Every read or write of a bucket
 * happens under its mutex; the eviction counter is the only field
 * touched outside a lock (atomically).
 *
 * Failure policy: a lock timeout or a hashing failure lets the request
 * through uncounted (fail open) and logs; rate limiting must never take
 * the service down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "http/ratelimit.h"

struct rl_entry {
	uint64_t	 hash;		/* 0: empty */
	int64_t		 last_ms;	/* lastRequest */
	int64_t		 window_ms;	/* rule in force at lastRequest */
	uint32_t	 count;
	uint32_t	 keylen;	/* full length of the key */
	char		 key[RATELIMIT_KEY_MAX];	/* first bytes */
};

struct rl_bucket {
	pthread_mutex_t	 mtx;
	struct rl_entry	 e[RATELIMIT_BUCKET_SLOTS];
};

struct ratelimit {
	size_t		 map_len;
	size_t		 nbuckets;
	unsigned char	 hkey[32];
	uint64_t	 evictions;	/* atomic */
	struct rl_bucket b[];
};

const char *(*ratelimit_header_fn)(struct request *, const char *) =
    request_header;

static enum ratelimit_xff	 xff_mode = RATELIMIT_XFF_SINGLE;

struct ratelimit *
ratelimit_create(size_t slots)
{
	struct ratelimit	*rl;
	pthread_mutexattr_t	 ma;
	size_t			 nb = 1, want, len, i;
	int			 rc;

	want = (slots + RATELIMIT_BUCKET_SLOTS - 1) / RATELIMIT_BUCKET_SLOTS;
	while (nb < want && nb < ((size_t)1 << 30))
		nb <<= 1;
	if (nb < want) {
		log_warnx("%s: %zu slots is too many", __func__, slots);
		return (NULL);
	}
	len = sizeof(*rl) + nb * sizeof(struct rl_bucket);
	rl = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rl == MAP_FAILED) {
		log_warn("%s: mmap %zu bytes", __func__, len);
		return (NULL);
	}
	memset(rl, 0, sizeof(*rl));	/* the rest is zero from mmap */
	rl->map_len = len;
	rl->nbuckets = nb;
	if (crypto_random_bytes(rl->hkey, sizeof(rl->hkey)) == -1)
		goto fail;
	if ((rc = pthread_mutexattr_init(&ma)) != 0) {
		log_warnx("%s: pthread_mutexattr_init: %s", __func__,
		    strerror(rc));
		goto fail;
	}
	if ((rc = pthread_mutexattr_setpshared(&ma,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (rc = pthread_mutexattr_setrobust(&ma,
	    PTHREAD_MUTEX_ROBUST)) != 0) {
		log_warnx("%s: mutex attributes: %s", __func__, strerror(rc));
		pthread_mutexattr_destroy(&ma);
		goto fail;
	}
	for (i = 0; i < nb; i++)
		if ((rc = pthread_mutex_init(&rl->b[i].mtx, &ma)) != 0) {
			log_warnx("%s: pthread_mutex_init: %s", __func__,
			    strerror(rc));
			pthread_mutexattr_destroy(&ma);
			goto fail;
		}
	pthread_mutexattr_destroy(&ma);
	return (rl);
 fail:
	munmap(rl, len);
	return (NULL);
}

void
ratelimit_destroy(struct ratelimit *rl)
{
	if (rl != NULL)
		munmap(rl, rl->map_len);
}

uint64_t
ratelimit_evictions(const struct ratelimit *rl)
{
	return (rl ? __atomic_load_n(&rl->evictions, __ATOMIC_RELAXED) : 0);
}

/* lock a bucket; 0, or -1 when it cannot be had in time */
static int
bucket_lock(struct rl_bucket *b)
{
	struct timespec	 ts;
	int		 rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)RATELIMIT_LOCK_MS * 1000000L;
	while (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	rc = pthread_mutex_timedlock(&b->mtx, &ts);
	if (rc == EOWNERDEAD) {
		/* the holder died mid-update: start the bucket afresh */
		memset(b->e, 0, sizeof(b->e));
		if (pthread_mutex_consistent(&b->mtx) != 0) {
			pthread_mutex_unlock(&b->mtx);
			return (-1);
		}
		log_warnx("ratelimit: recovered a bucket from a dead worker");
		return (0);
	}
	if (rc != 0) {
		log_warnx("ratelimit: bucket lock: %s", strerror(rc));
		return (-1);
	}
	return (0);
}

int
ratelimit_test_hold(struct ratelimit *rl, const char *key)
{
	unsigned char	 mac[CRYPTO_SHA256_LEN];
	uint64_t	 h;

	if (crypto_hmac_sha256(rl->hkey, sizeof(rl->hkey), key, strlen(key),
	    mac) == -1)
		return (-1);
	memcpy(&h, mac, sizeof(h));
	if (h == 0)
		h = 1;
	return (bucket_lock(&rl->b[(h >> 7) & (rl->nbuckets - 1)]));
}

static int
entry_is(const struct rl_entry *e, uint64_t h, const char *key, size_t kl)
{
	size_t	 n = kl < RATELIMIT_KEY_MAX ? kl : RATELIMIT_KEY_MAX;

	return (e->hash == h && e->keylen == kl && memcmp(e->key, key, n) == 0);
}

int
ratelimit_hit(struct ratelimit *rl, const char *key, int window_s, int max,
    int64_t now_ms, int *retry_after_s)
{
	unsigned char	 mac[CRYPTO_SHA256_LEN];
	struct rl_bucket *b;
	struct rl_entry	*e = NULL, *victim = NULL, *expired = NULL;
	struct rl_entry	*oldest = NULL, *c;
	int64_t		 window_ms = (int64_t)window_s * 1000;
	uint64_t	 h;
	size_t		 kl = strlen(key), i;
	int		 allowed = 1;

	if (retry_after_s != NULL)
		*retry_after_s = 0;
	if (rl == NULL)
		return (1);
	if (crypto_hmac_sha256(rl->hkey, sizeof(rl->hkey), key, kl,
	    mac) == -1)
		return (1);
	memcpy(&h, mac, sizeof(h));
	if (h == 0)
		h = 1;
	b = &rl->b[(h >> 7) & (rl->nbuckets - 1)];
	if (bucket_lock(b) == -1)
		return (1);

	for (i = 0; i < RATELIMIT_BUCKET_SLOTS; i++)
		if (entry_is(&b->e[i], h, key, kl)) {
			e = &b->e[i];
			break;
		}
	if (e == NULL) {
		/* an empty slot, else an expired one, else the oldest */
		for (i = 0; i < RATELIMIT_BUCKET_SLOTS; i++) {
			c = &b->e[i];
			if (c->hash == 0) {
				victim = c;
				break;
			}
			if (now_ms - c->last_ms >= c->window_ms) {
				if (expired == NULL)
					expired = c;
			} else if (oldest == NULL ||
			    c->last_ms < oldest->last_ms)
				oldest = c;
		}
		if (victim == NULL && (victim = expired) == NULL) {
			victim = oldest;
			__atomic_add_fetch(&rl->evictions, 1,
			    __ATOMIC_RELAXED);
		}
		e = victim;
		memset(e, 0, sizeof(*e));
		e->hash = h;
		e->keylen = (uint32_t)kl;
		memcpy(e->key, key, kl < RATELIMIT_KEY_MAX ? kl :
		    RATELIMIT_KEY_MAX);
		e->count = 1;
		e->last_ms = now_ms;
		e->window_ms = window_ms;
	} else if (now_ms - e->last_ms >= window_ms) {
		e->count = 1;
		e->last_ms = now_ms;
		e->window_ms = window_ms;
	} else if (max < 0 || e->count >= (uint32_t)max) {
		allowed = 0;
		if (retry_after_s != NULL)
			*retry_after_s = (int)((e->last_ms + window_ms -
			    now_ms + 999) / 1000);
	} else {
		e->count++;
		e->last_ms = now_ms;
		e->window_ms = window_ms;
	}
	pthread_mutex_unlock(&b->mtx);
	return (allowed);
}

static int
starts_with(const char *s, const char *prefix)
{
	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

static int
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return (1);
	return (0);
}

void
ratelimit_rule(const char *route, int def_window, int def_max, int *window,
    int *max)
{
	static const char *const core_60[] = {
		"/request-password-reset", "/send-verification-email",
		"/email-otp/send-verification-otp",
		"/email-otp/request-password-reset", NULL,
	};
	static const char *const email_otp[] = {
		"/email-otp/send-verification-otp",
		"/email-otp/check-verification-otp", "/email-otp/verify-email",
		"/sign-in/email-otp", "/email-otp/request-password-reset",
		"/email-otp/reset-password", "/forget-password/email-otp",
		"/email-otp/request-email-change", "/email-otp/change-email",
		NULL,
	};

	*window = def_window;
	*max = def_max;
	if (route == NULL)
		return;
	if (starts_with(route, "/sign-in") || starts_with(route, "/sign-up") ||
	    starts_with(route, "/change-password") ||
	    starts_with(route, "/change-email")) {
		*window = 10;
		*max = 3;
	}
	if (in_list(route, core_60) || starts_with(route, "/forget-password")) {
		*window = 60;
		*max = 3;
	}
	if (in_list(route, email_otp)) {
		*window = 60;
		*max = 3;
	}
}

void
ratelimit_set_xff_mode(enum ratelimit_xff mode)
{
	xff_mode = mode;
}

/*
 * Parse a bare IP address (n bytes of s).  IPv4 comes back as an
 * IPv4-mapped IPv6 address.  Returns 0, or -1.
 */
static int
parse_ip(const char *s, size_t n, struct in6_addr *a)
{
	char		 buf[INET6_ADDRSTRLEN + 1];
	struct in_addr	 a4;

	if (n == 0 || n >= sizeof(buf))
		return (-1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = 0xff;
		a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &a4, 4);
		return (0);
	}
	return (inet_pton(AF_INET6, buf, a) == 1 ? 0 : -1);
}

static int
format_ip(const struct in6_addr *a, char *buf, size_t len)
{
	struct in6_addr	 net;
	char		 tmp[INET6_ADDRSTRLEN];
	int		 n;

	if (IN6_IS_ADDR_V4MAPPED(a)) {
		if (inet_ntop(AF_INET, &a->s6_addr[12], tmp,
		    sizeof(tmp)) == NULL)
			return (-1);
		n = snprintf(buf, len, "%s", tmp);
	} else {
		net = *a;
		memset(&net.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &net, tmp, sizeof(tmp)) == NULL)
			return (-1);
		n = snprintf(buf, len, "%s/64", tmp);
	}
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/* loopback, RFC 1918, link-local, unique-local */
static int
ip_private(const struct in6_addr *a)
{
	const uint8_t	*b = a->s6_addr;

	if (IN6_IS_ADDR_V4MAPPED(a))
		return (b[12] == 127 || b[12] == 10 ||
		    (b[12] == 172 && (b[13] & 0xf0) == 16) ||
		    (b[12] == 192 && b[13] == 168) ||
		    (b[12] == 169 && b[13] == 254));
	return (IN6_IS_ADDR_LOOPBACK(a) || (b[0] & 0xfe) == 0xfc ||
	    IN6_IS_ADDR_LINKLOCAL(a));
}

static const char *
rl_hdr(struct request *r, const char *name)
{
	return (ratelimit_header_fn ? ratelimit_header_fn(r, name) : NULL);
}

int
ratelimit_client_ip(struct request *r, char *buf, size_t len)
{
	struct in6_addr	 xa, ra;
	const char	*xff, *s, *e;
	int		 have_xff = 0, have_remote;

	have_remote = r->remote_addr != NULL &&
	    parse_ip(r->remote_addr, strlen(r->remote_addr), &ra) == 0;
	xff = xff_mode == RATELIMIT_XFF_NEVER ? NULL :
	    rl_hdr(r, "HTTP_X_FORWARDED_FOR");
	if (xff != NULL && strchr(xff, ',') == NULL) {
		s = xff + strspn(xff, " \t");
		for (e = s + strlen(s); e > s && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			;
		have_xff = parse_ip(s, (size_t)(e - s), &xa) == 0;
		if (xff_mode == RATELIMIT_XFF_PRIVATE &&
		    !(have_remote && ip_private(&ra)))
			have_xff = 0;
	}
	if (have_xff && format_ip(&xa, buf, len) == 0)
		return (0);
	if (have_remote && format_ip(&ra, buf, len) == 0)
		return (0);
	snprintf(buf, len, "%s", "no-trusted-ip");
	return (-1);
}

static int64_t
now_monotonic_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
ratelimit_guard(struct request *r, struct ratelimit *rl)
{
	char		 ip[INET6_ADDRSTRLEN + 8], retry[16];
	const char	*route, *key;
	size_t		 n;
	int		 window = 10, max = 100, retry_s;

	if (rl == NULL || r->branch == NULL)
		return (0);
	if (r->bcfg != NULL) {
		if (!r->bcfg->rl_enabled)
			return (0);
		window = r->bcfg->rl_window;
		max = r->bcfg->rl_max;
	}
	n = r->route.len;
	while (n > 0 && r->route.p[n - 1] == '/')
		n--;
	route = arena_strndup(r->a, n ? r->route.p : "", n);
	ratelimit_rule(route, window, max, &window, &max);
	ratelimit_client_ip(r, ip, sizeof(ip));
	key = arena_printf(r->a, "%s|%s|%s",
	    r->branch->name ? r->branch->name : "", ip, route);
	if (ratelimit_hit(rl, key, window, max, now_monotonic_ms(),
	    &retry_s))
		return (0);
	reply_error(r, 429, NULL, "Too many requests. Please try again later.");
	snprintf(retry, sizeof(retry), "%d", retry_s);
	reply_header_add(r, "X-Retry-After", retry);
	return (-1);
}
