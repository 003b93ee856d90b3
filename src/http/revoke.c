/*
 * revoke.c -- the per-worker table of revoked users (see revoke.h).
 *
 * One slot per branch (least recently used out; a slot made anew knows
 * nothing, so it starts by distrusting every older cookie), each holding
 * at most REVOKE_USERS recent revocations.  Entries stop mattering once
 * every cookie minted before them has expired, and are dropped then.
 */
#include <stdio.h>
#include <string.h>

#include "http/revoke.h"
#include "lib/clock.h"

#define REVOKE_BRANCHES	64
#define REVOKE_USERS	64
#define REVOKE_SKEW_MS	5000	/* clocks of the minting hosts may differ */
#define DONT_REMEMBER_S	60	/* a don't-remember cache lives 60 s */

struct rv_user {
	char		 id[40];
	int64_t		 at_ms;
};

struct rv_branch {
	char		 name[160];
	int64_t		 not_before_ms;	/* distrust cookies minted earlier */
	int64_t		 used_ms;
	int		 n;
	struct rv_user	 u[REVOKE_USERS];
};

static struct rv_branch	 tab[REVOKE_BRANCHES];

static struct rv_branch *
slot(const char *branch, int64_t now)
{
	struct rv_branch	*lru = &tab[0];
	int			 i;

	for (i = 0; i < REVOKE_BRANCHES; i++) {
		if (tab[i].name[0] != '\0' &&
		    strcmp(tab[i].name, branch) == 0) {
			tab[i].used_ms = now;
			return (&tab[i]);
		}
		if (tab[i].used_ms < lru->used_ms)
			lru = &tab[i];
	}
	memset(lru, 0, sizeof(*lru));
	if ((size_t)snprintf(lru->name, sizeof(lru->name), "%s", branch) >=
	    sizeof(lru->name))
		lru->name[0] = '\0';	/* never matched: always distrusting */
	lru->not_before_ms = now + REVOKE_SKEW_MS;
	lru->used_ms = now;
	return (lru);
}

/* drop the entries no live cookie can predate */
static void
prune(struct rv_branch *b, int64_t now, int64_t max_age_s)
{
	int64_t	 life = (max_age_s > DONT_REMEMBER_S ? max_age_s :
		    DONT_REMEMBER_S) * 1000 + 2 * REVOKE_SKEW_MS;
	int	 i, j;

	for (i = j = 0; i < b->n; i++)
		if (now - b->u[i].at_ms <= life)
			b->u[j++] = b->u[i];
	b->n = j;
}

void
revoke_note(const char *branch, const char *user_id)
{
	int64_t			 now = clock_now_ms();
	struct rv_branch	*b = slot(branch, now);
	int			 i;

	if (user_id == NULL || strlen(user_id) >= sizeof(b->u[0].id)) {
		b->not_before_ms = now + REVOKE_SKEW_MS;
		b->n = 0;
		return;
	}
	for (i = 0; i < b->n; i++)
		if (strcmp(b->u[i].id, user_id) == 0) {
			b->u[i].at_ms = now;
			return;
		}
	if (b->n == REVOKE_USERS) {
		/* full: distrust everything older instead */
		b->not_before_ms = now + REVOKE_SKEW_MS;
		b->n = 0;
		return;
	}
	snprintf(b->u[b->n].id, sizeof(b->u[b->n].id), "%s", user_id);
	b->u[b->n].at_ms = now;
	b->n++;
}

void
revoke_drain_cb(void *branch, const char *user_id)
{
	revoke_note(branch, user_id);
}

int
revoke_stale(const char *branch, const char *user_id, int64_t minted_ms,
    int64_t max_age_s)
{
	int64_t			 now = clock_now_ms();
	struct rv_branch	*b = slot(branch, now);
	int			 i;

	if (minted_ms <= b->not_before_ms)
		return (1);
	prune(b, now, max_age_s);
	for (i = 0; i < b->n; i++)
		if (strcmp(b->u[i].id, user_id) == 0 &&
		    minted_ms <= b->u[i].at_ms + REVOKE_SKEW_MS)
			return (1);
	return (0);
}
