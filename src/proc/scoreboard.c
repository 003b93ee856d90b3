/*
 * scoreboard.c -- shared-memory worker slots (see scoreboard.h).
 */
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "lib/log.h"
#include "proc/scoreboard.h"
#include "lib/clock.h"

struct scoreboard *
scoreboard_create(void)
{
	struct scoreboard	*sb;

	sb = mmap(NULL, sizeof(*sb), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sb == MAP_FAILED) {
		log_warn("%s: mmap", __func__);
		return (NULL);
	}
	memset(sb, 0, sizeof(*sb));
	sb->master_start_ms = clock_mono_ms();
	sb->master_start_wall_ms = clock_now_ms();
	sb->master_start_wall = sb->master_start_wall_ms / 1000;
	metrics_attach(&sb->metrics);
	return (sb);
}

int
scoreboard_slot_claim(struct scoreboard *sb)
{
	int	 i;

	for (i = 0; i < SCOREBOARD_MAX_SLOTS; i++)
		if (sb->slots[i].state == SLOT_FREE) {
			memset((void *)&sb->slots[i], 0, sizeof(sb->slots[i]));
			sb->slots[i].state = SLOT_STARTING;
			return (i);
		}
	return (-1);
}
void
scoreboard_request_begin(struct scoreboard_slot *s, const char *route,
    size_t routelen)
{
	if (routelen >= SCOREBOARD_ROUTE_MAX)
		routelen = SCOREBOARD_ROUTE_MAX - 1;
	memcpy(s->route, route, routelen);
	s->route[routelen] = '\0';
	s->req_start_ms = clock_mono_ms();
	__atomic_store_n(&s->state, SLOT_BUSY, __ATOMIC_RELEASE);
}

void
scoreboard_request_end(struct scoreboard *sb, struct scoreboard_slot *s)
{
	int64_t	 now = clock_mono_ms();

	s->requests++;
	__atomic_add_fetch(&sb->requests_total, 1, __ATOMIC_RELAXED);
	s->req_start_ms = 0;
	s->heartbeat_ms = now;
	__atomic_store_n(&s->state, SLOT_IDLE, __ATOMIC_RELEASE);
}

const char *
scoreboard_state_name(int state)
{
	switch (state) {
	case SLOT_STARTING:
		return ("starting");
	case SLOT_IDLE:
		return ("idle");
	case SLOT_BUSY:
		return ("busy");
	case SLOT_EXITING:
		return ("exiting");
	default:
		return ("free");
	}
}
