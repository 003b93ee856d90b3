/*
 * revoke.c -- the table of revoked users (see revoke.h).
 *
 * The ring: entries appended in time order under an atomic counter, each
 * {branch hash, user id, when}; a reader walks back from the newest and
 * stops at the first entry too old to matter for the cookie at hand, so
 * a cache hit usually reads nothing.  An entry being written has when 0
 * and is skipped (it is concurrent with the read).  A hash collision
 * between branches only ever distrusts a cookie.  Every worker drains the
 * same NOTIFY, so an entry already there (written by the banning worker
 * or another drain) is not added again.
 *
 * Per process, and per branch (least recently used out; a slot made anew
 * knows nothing, so it starts by distrusting every older cookie): the
 * moment before which this process's notifications may have been lost.
 */
#include <sys/mman.h>

#include <stdio.h>
#include <string.h>

#include "http/revoke.h"
#include "lib/clock.h"
#include "lib/log.h"

#define RING		4096
#define BRANCHES	64
#define SKEW_MS		5000	/* clocks of the minting hosts may differ */
/* an entry matters while a cookie minted before it may live */
#define MAX_LIFE_MS	(INT64_C(366) * 86400 * 1000)

struct entry {
	uint64_t	 branch;	/* hash of the name */
	int64_t		 at_ms;		/* 0: being written */
	char		 id[40];
};

struct ring {
	uint64_t	 head;		/* entries ever written */
	int64_t		 not_before_ms;	/* wrapped: distrust older cookies */
	struct entry	 e[RING];
};

struct lost {
	char		 name[160];
	int64_t		 not_before_ms;
	int64_t		 used_ms;
};

static struct ring	 own_ring;
static struct ring	*ring = &own_ring;
static struct lost	 lost[BRANCHES];

int
revoke_share(void)
{
	void	*p;

	p = mmap(NULL, sizeof(struct ring), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_warn("%s: mmap (bans reach other workers by NOTIFY only)",
		    __func__);
		return (-1);
	}
	memset(p, 0, sizeof(struct ring));
	ring = p;
	return (0);
}

/* FNV-1a, 64 bits */
static uint64_t
hash(const char *s)
{
	uint64_t	 h = UINT64_C(14695981039346656037);

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return (h);
}

static struct lost *
lost_slot(const char *branch, int64_t now)
{
	struct lost	*lru = &lost[0];
	int		 i;

	for (i = 0; i < BRANCHES; i++) {
		if (lost[i].name[0] != '\0' &&
		    strcmp(lost[i].name, branch) == 0) {
			lost[i].used_ms = now;
			return (&lost[i]);
		}
		if (lost[i].used_ms < lru->used_ms)
			lru = &lost[i];
	}
	memset(lru, 0, sizeof(*lru));
	if ((size_t)snprintf(lru->name, sizeof(lru->name), "%s", branch) >=
	    sizeof(lru->name))
		lru->name[0] = '\0';	/* never found: always distrusting */
	lru->not_before_ms = now + SKEW_MS;
	lru->used_ms = now;
	return (lru);
}

/* the newest entry for (h, id) at or after since, or NULL */
static const struct entry *
find(uint64_t h, const char *id, int64_t since)
{
	uint64_t		 head = __atomic_load_n(&ring->head,
				    __ATOMIC_ACQUIRE), k;
	const struct entry	*e;
	int64_t			 at;

	for (k = head; k > 0 && head - k < RING; k--) {
		e = &ring->e[(k - 1) % RING];
		at = __atomic_load_n(&e->at_ms, __ATOMIC_ACQUIRE);
		if (at == 0)
			continue;
		/* in time order, within the skew: nothing older matters */
		if (at < since - 2 * SKEW_MS)
			break;
		if (at >= since && e->branch == h &&
		    strncmp(e->id, id, sizeof(e->id)) == 0)
			return (e);
	}
	return (NULL);
}

void
revoke_note(const char *branch, const char *user_id)
{
	int64_t		 now = clock_now_ms(), old;
	uint64_t	 h = hash(branch);
	struct entry	*e;

	if (user_id == NULL || strlen(user_id) >= sizeof(e->id)) {
		lost_slot(branch, now)->not_before_ms = now + SKEW_MS;
		return;
	}
	if (find(h, user_id, now - SKEW_MS) != NULL)
		return;		/* the banning worker, or another drain */
	e = &ring->e[__atomic_fetch_add(&ring->head, 1, __ATOMIC_ACQ_REL) %
	    RING];
	old = __atomic_exchange_n(&e->at_ms, 0, __ATOMIC_ACQ_REL);
	if (old != 0 && now - old < MAX_LIFE_MS)
		/* wrapped over one that may matter: distrust all older */
		__atomic_store_n(&ring->not_before_ms, now + SKEW_MS,
		    __ATOMIC_RELEASE);
	e->branch = h;
	snprintf(e->id, sizeof(e->id), "%s", user_id);
	__atomic_store_n(&e->at_ms, now, __ATOMIC_RELEASE);
}

void
revoke_drain_cb(void *branch, const char *user_id)
{
	revoke_note(branch, user_id);
}

void
revoke_test_forget(const char *branch)
{
	lost_slot(branch, clock_now_ms())->not_before_ms = 0;
}

int
revoke_stale(const char *branch, const char *user_id, int64_t minted_ms)
{
	int64_t	 now = clock_now_ms();

	if (minted_ms <= lost_slot(branch, now)->not_before_ms ||
	    minted_ms <= __atomic_load_n(&ring->not_before_ms,
	    __ATOMIC_ACQUIRE))
		return (1);
	/* revoked at or after the minting, less the skew */
	return (find(hash(branch), user_id, minted_ms - SKEW_MS) != NULL);
}
