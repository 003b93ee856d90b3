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
 *
 * settings.rate_limit.storage "database" counts in the branch database
 * instead (store/store_ratelimit.h), one upsert per limited request, so
 * every host on that database shares the counts.  The key there is
 * "<ip>|<route>": the database is the branch, and two hosts may name it
 * differently.  A failed upsert also lets the request through.
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
#include "lib/metrics.h"
#include "http/clientip.h"
#include "http/ratelimit.h"
#include "lib/clock.h"
#include "store/store_ratelimit.h"

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

/*
 * The client's key part: its address, an IPv6 client by its /64 (one host
 * holds a whole /64), from the one client-IP rule (clientip.c).
 */
int
ratelimit_client_ip(struct request *r, char *buf, size_t len)
{
	struct in6_addr	 a;
	char		 tmp[INET6_ADDRSTRLEN];
	int		 n;

	if (clientip_of(r, tmp, sizeof(tmp), &a) == -1) {
		snprintf(buf, len, "%s", "no-trusted-ip");
		return (-1);
	}
	if (IN6_IS_ADDR_V4MAPPED(&a))
		n = snprintf(buf, len, "%s", tmp);
	else {
		memset(&a.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a, tmp, sizeof(tmp)) == NULL)
			return (-1);
		n = snprintf(buf, len, "%s/64", tmp);
	}
	if (n < 0 || (size_t)n >= len) {
		snprintf(buf, len, "%s", "no-trusted-ip");
		return (-1);
	}
	return (0);
}

enum err
ratelimit_guard(struct request *r, struct ratelimit *rl, int window, int max)
{
	char		 ip[INET6_ADDRSTRLEN + 8], retry[16];
	const char	*route, *key;
	size_t		 n;
	int		 retry_s;

	if (r->branch == NULL || (rl == NULL && (r->bcfg == NULL ||
	    !r->bcfg->rl_database)))
		return (ERR_NONE);
	if (r->bcfg != NULL) {
		if (!r->bcfg->rl_enabled)
			return (ERR_NONE);
		if (window == 0) {
			window = r->bcfg->rl_window;
			max = r->bcfg->rl_max;
		}
	} else if (window == 0) {
		window = 10;
		max = 100;
	}
	n = r->route.len;
	while (n > 0 && r->route.p[n - 1] == '/')
		n--;
	route = arena_strndup(r->a, n ? r->route.p : "", n);
	ratelimit_client_ip(r, ip, sizeof(ip));
	if (r->bcfg != NULL && r->bcfg->rl_database && r->db != NULL) {
		static int64_t	 logged_ms;
		int		 rc;

		key = arena_printf(r->a, "%s|%s", ip, route);
		rc = store_ratelimit_hit(r->db, r->a, key, window, max,
		    &retry_s);
		if (rc == 1)
			return (ERR_NONE);
		if (rc == -1) {
			if (clock_mono_ms() - logged_ms >= 1000) {
				log_warnx("branch %s: rate limit storage: %s",
				    r->branch->name,
				    db_last_error(r->db)->message);
				logged_ms = clock_mono_ms();
			}
			return (ERR_NONE);
		}
	} else {
		key = arena_printf(r->a, "%s|%s|%s",
		    r->branch->name ? r->branch->name : "", ip, route);
		if (ratelimit_hit(rl, key, window, max, clock_mono_ms(),
		    &retry_s))
			return (ERR_NONE);
	}
	metrics_add(METRICS_RL_DENIED, 1);
	snprintf(retry, sizeof(retry), "%d", retry_s);
	reply_header_add(r, "X-Retry-After", retry);
	return (ERR_TOO_MANY_REQUESTS);
}
