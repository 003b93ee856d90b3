/*
 * sesscache.c -- the shared session cache (see sesscache.h).
 *
 * One anonymous shared mapping: a header (the generation counter, the
 * user stripes, counters) and the buckets.  An entry holds the session
 * and user records packed as length-prefixed strings (0xffff: NULL) and
 * their integers.  The per-process part is the table of "listening
 * since" times, one per branch (least recently used out: a branch met
 * anew trusts nothing read before that moment).
 */
#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "http/sesscache.h"
#include "lib/clock.h"
#include "lib/log.h"

#define STRIPES		16384		/* power of two */
#define PAYLOAD		1216
#define NUL16		0xffff
#define LISTENERS	64

struct entry {
	uint64_t	 k0, k1;
	uint64_t	 gen;		/* generation before the read */
	int64_t		 read_us;	/* monotonic, when the read began */
	uint64_t	 used;		/* bucket tick of the last use */
	uint32_t	 stripe;
	uint16_t	 len;		/* payload bytes; 0: empty */
	uint16_t	 tlen;		/* the token's, first in the payload */
	char		 data[PAYLOAD];
};

struct bucket {
	pthread_mutex_t	 mu;
	uint64_t	 tick;
	struct entry	 e[SESSCACHE_WAYS];
};

struct shared {
	uint64_t	 gen;
	uint64_t	 hits, misses, puts, notes;
	size_t		 nbuckets;	/* power of two */
	uint64_t	 stripe[STRIPES];	/* gen of the last note */
	struct bucket	 b[];
};

struct listener {
	uint64_t	 k0, k1;
	int64_t		 since_us;
	int64_t		 used_us;
};

static struct shared	*sh;
static size_t		 sh_size;
static struct listener	 lis[LISTENERS];

int
sesscache_enabled(void)
{
	return (sh != NULL);
}

int
sesscache_create(size_t entries)
{
	pthread_mutexattr_t	 ma;
	size_t			 nb = 1, i, size;
	void			*p;

	if (sh != NULL) {
		(void)munmap(sh, sh_size);
		sh = NULL;
	}
	memset(lis, 0, sizeof(lis));
	if (entries == 0)
		return (0);
	while (nb * SESSCACHE_WAYS < entries)
		nb <<= 1;
	size = sizeof(struct shared) + nb * sizeof(struct bucket);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warn("%s: mmap of %zu bytes (session cache off)", __func__,
		    size);
		return (-1);
	}
	sh = p;
	sh_size = size;
	sh->nbuckets = nb;
	sh->gen = 1;
	if (pthread_mutexattr_init(&ma) != 0 ||
	    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) != 0)
		goto fail;
	for (i = 0; i < nb; i++)
		if (pthread_mutex_init(&sh->b[i].mu, &ma) != 0) {
			(void)pthread_mutexattr_destroy(&ma);
			goto fail;
		}
	(void)pthread_mutexattr_destroy(&ma);
	return (0);
 fail:
	log_warnx("%s: cannot make process-shared mutexes (session cache "
	    "off)", __func__);
	(void)munmap(sh, sh_size);
	sh = NULL;
	return (-1);
}

/* FNV-1a, 64 bits, from h */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*s = p;

	while (n-- > 0) {
		h ^= *s++;
		h *= UINT64_C(1099511628211);
	}
	return (h);
}

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	return (x ^ (x >> 33));
}

struct sesscache_key
sesscache_key(const char *name, const char *conninfo)
{
	struct sesscache_key	 k;
	uint64_t		 h = UINT64_C(14695981039346656037);

	h = fnv(h, name, strlen(name) + 1);
	h = fnv(h, conninfo, conninfo ? strlen(conninfo) : 0);
	k.h[0] = h;
	/* a second, independent hash: a collision needs both */
	h = UINT64_C(0x9e3779b97f4a7c15);
	h = fnv(h, conninfo, conninfo ? strlen(conninfo) : 0);
	h = fnv(h, "\1", 1);
	h = fnv(h, name, strlen(name));
	k.h[1] = mix(h);
	return (k);
}

struct sesscache_ticket
sesscache_begin(void)
{
	struct sesscache_ticket	 t = { 0, 0 };

	if (sh != NULL) {
		t.gen = __atomic_load_n(&sh->gen, __ATOMIC_ACQUIRE);
		t.at_us = clock_mono_us();
	}
	return (t);
}

static uint32_t
stripe_of(const struct sesscache_key *k, const char *user_id)
{
	return ((uint32_t)(mix(fnv(k->h[0], user_id, strlen(user_id))) &
	    (STRIPES - 1)));
}

static struct bucket *
bucket_of(const struct sesscache_key *k, const char *token, size_t tlen)
{
	return (&sh->b[mix(fnv(k->h[1], token, tlen)) & (sh->nbuckets - 1)]);
}

/* 0 locked, -1 not (logged) */
static int
lock(struct bucket *b)
{
	int	 rc = pthread_mutex_lock(&b->mu);

	if (rc == EOWNERDEAD) {
		/* its holder died mid-write: forget the bucket */
		memset(b->e, 0, sizeof(b->e));
		(void)pthread_mutex_consistent(&b->mu);
		return (0);
	}
	if (rc != 0) {
		errno = rc;
		log_warn("%s: pthread_mutex_lock", __func__);
		return (-1);
	}
	return (0);
}

/* this process's listening-since time for k (a new slot: now) */
static int64_t *
since_of(const struct sesscache_key *k, int64_t now)
{
	struct listener	*lru = &lis[0];
	int		 i;

	for (i = 0; i < LISTENERS; i++) {
		if (lis[i].used_us != 0 && lis[i].k0 == k->h[0] &&
		    lis[i].k1 == k->h[1]) {
			lis[i].used_us = now;
			return (&lis[i].since_us);
		}
		if (lis[i].used_us < lru->used_us)
			lru = &lis[i];
	}
	lru->k0 = k->h[0];
	lru->k1 = k->h[1];
	lru->since_us = now;
	lru->used_us = now;
	return (&lru->since_us);
}

/* ---- packing --------------------------------------------------------- */

struct pack {
	char	*p;
	size_t	 len, cap;
	int	 over;
};

static void
put_bytes(struct pack *k, const void *v, size_t n)
{
	if (k->over || n > k->cap - k->len) {
		k->over = 1;
		return;
	}
	memcpy(k->p + k->len, v, n);
	k->len += n;
}

static void
put_str(struct pack *k, const char *s)
{
	uint16_t	 n = NUL16;
	size_t		 l;

	if (s != NULL) {
		if ((l = strlen(s)) >= NUL16) {
			k->over = 1;
			return;
		}
		n = (uint16_t)l;
	}
	put_bytes(k, &n, sizeof(n));
	if (s != NULL)
		put_bytes(k, s, n);
}

static void
put_i64(struct pack *k, int64_t v)
{
	put_bytes(k, &v, sizeof(v));
}

struct unpack {
	const char	*p;
	size_t		 len, at;
	struct arena	*a;
};

static const char *
get_str(struct unpack *u)
{
	uint16_t	 n;

	memcpy(&n, u->p + u->at, sizeof(n));
	u->at += sizeof(n);
	if (n == NUL16)
		return (NULL);
	u->at += n;
	return (arena_strndup(u->a, u->p + u->at - n, n));
}

static int64_t
get_i64(struct unpack *u)
{
	int64_t	 v;

	memcpy(&v, u->p + u->at, sizeof(v));
	u->at += sizeof(v);
	return (v);
}

/*
 * Every member of the records is packed below: a member added to either
 * must be added there too (these fail the build until it is).
 */
_Static_assert(sizeof(struct session_rec) == 10 * sizeof(char *) +
    3 * sizeof(int64_t), "session_rec changed: update pack_recs");
/* (user_rec: its two ints take a pointer's room each, with the padding) */
_Static_assert(sizeof(struct user_rec) == 11 * sizeof(char *) +
    sizeof(int64_t), "user_rec changed: update pack_recs");

/* the token first (compared before anything is copied out) */
static void
pack_recs(struct pack *k, const struct session_rec *s,
    const struct user_rec *u)
{
	put_bytes(k, s->token, strlen(s->token));
	put_str(k, s->id);
	put_str(k, s->user_id);
	put_str(k, s->expires_at);
	put_str(k, s->created_at);
	put_str(k, s->updated_at);
	put_str(k, s->ip_address);
	put_str(k, s->user_agent);
	put_str(k, s->impersonated_by);
	put_str(k, s->active_organization_id);
	put_i64(k, s->expires_ms);
	put_i64(k, s->created_ms);
	put_i64(k, s->updated_ms);
	put_str(k, u->id);
	put_str(k, u->name);
	put_str(k, u->email);
	put_str(k, u->image);
	put_str(k, u->created_at);
	put_str(k, u->updated_at);
	put_str(k, u->role);
	put_str(k, u->ban_reason);
	put_str(k, u->ban_expires);
	put_i64(k, u->email_verified);
	put_i64(k, u->banned);
	put_i64(k, u->updated_ms);
}

static void
unpack_recs(struct unpack *p, size_t tlen, struct session_rec *s,
    struct user_rec *u)
{
	memset(s, 0, sizeof(*s));
	memset(u, 0, sizeof(*u));
	s->token = arena_strndup(p->a, p->p, tlen);
	p->at = tlen;
	s->id = get_str(p);
	s->user_id = get_str(p);
	s->expires_at = get_str(p);
	s->created_at = get_str(p);
	s->updated_at = get_str(p);
	s->ip_address = get_str(p);
	s->user_agent = get_str(p);
	s->impersonated_by = get_str(p);
	s->active_organization_id = get_str(p);
	s->expires_ms = get_i64(p);
	s->created_ms = get_i64(p);
	s->updated_ms = get_i64(p);
	u->id = get_str(p);
	u->name = get_str(p);
	u->email = get_str(p);
	u->image = get_str(p);
	u->created_at = get_str(p);
	u->updated_at = get_str(p);
	u->role = get_str(p);
	u->ban_reason = get_str(p);
	u->ban_expires = get_str(p);
	u->email_verified = (int)get_i64(p);
	u->banned = (int)get_i64(p);
	u->updated_ms = get_i64(p);
}

/* ---- the table ------------------------------------------------------- */

static int
entry_is(const struct entry *e, const struct sesscache_key *k,
    const char *token, size_t tlen)
{
	return (e->len != 0 && e->k0 == k->h[0] && e->k1 == k->h[1] &&
	    e->tlen == tlen && memcmp(e->data, token, tlen) == 0);
}

int
sesscache_get(const struct sesscache_key *k, const char *token,
    struct arena *a, struct session_rec *s, struct user_rec *u)
{
	struct bucket	*b;
	struct entry	*e;
	struct unpack	 p;
	size_t		 tlen = strlen(token);
	int64_t		 since;
	int		 i, hit = 0;

	if (sh == NULL || tlen == 0 || tlen >= PAYLOAD)
		return (0);
	since = *since_of(k, clock_mono_us());
	b = bucket_of(k, token, tlen);
	if (lock(b) == -1)
		return (0);
	for (i = 0; i < SESSCACHE_WAYS; i++) {
		e = &b->e[i];
		if (!entry_is(e, k, token, tlen))
			continue;
		if (e->read_us <= since || __atomic_load_n(&sh->stripe[
		    e->stripe], __ATOMIC_ACQUIRE) > e->gen) {
			e->len = 0;	/* stale for every reader */
			break;
		}
		e->used = ++b->tick;
		p.p = e->data;
		p.len = e->len;
		p.at = 0;
		p.a = a;
		unpack_recs(&p, tlen, s, u);
		hit = 1;
		break;
	}
	(void)pthread_mutex_unlock(&b->mu);
	__atomic_add_fetch(hit ? &sh->hits : &sh->misses, 1, __ATOMIC_RELAXED);
	return (hit);
}

void
sesscache_put(const struct sesscache_key *k,
    const struct sesscache_ticket *t, const struct session_rec *s,
    const struct user_rec *u)
{
	char		 buf[PAYLOAD];
	struct pack	 pk = { buf, 0, sizeof(buf), 0 };
	struct bucket	*b;
	struct entry	*e, *victim;
	size_t		 tlen;
	uint32_t	 st;
	int64_t		 since;
	int		 i;

	if (sh == NULL || t->gen == 0 || s->token == NULL || u->id == NULL ||
	    (tlen = strlen(s->token)) == 0)
		return;
	since = *since_of(k, clock_mono_us());
	pack_recs(&pk, s, u);
	if (pk.over || pk.len == 0)
		return;
	st = stripe_of(k, u->id);
	b = bucket_of(k, s->token, tlen);
	if (lock(b) == -1)
		return;
	victim = &b->e[0];
	for (i = 0; i < SESSCACHE_WAYS; i++) {
		e = &b->e[i];
		if (entry_is(e, k, s->token, tlen)) {
			victim = e;
			break;
		}
		if (e->len == 0 || (victim->len != 0 && e->used < victim->used))
			victim = e;
	}
	if (__atomic_load_n(&sh->stripe[st], __ATOMIC_ACQUIRE) > t->gen ||
	    since >= t->at_us) {
		/* invalidated since the read began: store nothing */
		if (entry_is(victim, k, s->token, tlen))
			victim->len = 0;
		(void)pthread_mutex_unlock(&b->mu);
		return;
	}
	victim->k0 = k->h[0];
	victim->k1 = k->h[1];
	victim->gen = t->gen;
	victim->read_us = t->at_us;
	victim->stripe = st;
	victim->used = ++b->tick;
	victim->tlen = (uint16_t)tlen;
	memcpy(victim->data, buf, pk.len);
	victim->len = (uint16_t)pk.len;
	(void)pthread_mutex_unlock(&b->mu);
	__atomic_add_fetch(&sh->puts, 1, __ATOMIC_RELAXED);
}

void
sesscache_note(const struct sesscache_key *k, const char *user_id)
{
	uint64_t	 g;

	if (sh == NULL)
		return;
	if (user_id == NULL) {
		*since_of(k, clock_mono_us()) = clock_mono_us();
		return;
	}
	g = __atomic_add_fetch(&sh->gen, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&sh->stripe[stripe_of(k, user_id)], g,
	    __ATOMIC_RELEASE);
	__atomic_add_fetch(&sh->notes, 1, __ATOMIC_RELAXED);
}

void
sesscache_stats(struct sesscache_stats *st)
{
	size_t	 i;
	int	 j;

	memset(st, 0, sizeof(*st));
	if (sh == NULL)
		return;
	st->hits = __atomic_load_n(&sh->hits, __ATOMIC_RELAXED);
	st->misses = __atomic_load_n(&sh->misses, __ATOMIC_RELAXED);
	st->puts = __atomic_load_n(&sh->puts, __ATOMIC_RELAXED);
	st->notes = __atomic_load_n(&sh->notes, __ATOMIC_RELAXED);
	for (i = 0; i < sh->nbuckets; i++)
		for (j = 0; j < SESSCACHE_WAYS; j++)
			if (sh->b[i].e[j].len != 0)
				st->entries++;
}
