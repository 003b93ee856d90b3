/*
 * clock.h -- the one clock module: wall time and monotonic time in
 * milliseconds, and dates as JavaScript writes them
 * (Date.prototype.toISOString, protocol.md §0.5).
 */
#ifndef NEON_AUTHD_CLOCK_H
#define NEON_AUTHD_CLOCK_H

#include <stdint.h>

#include "lib/arena.h"

/* clock_now_ms: wall clock (CLOCK_REALTIME), ms since the epoch. */
int64_t	 clock_now_ms(void);
/* clock_mono_ms: monotonic clock (CLOCK_MONOTONIC), ms; for intervals. */
int64_t	 clock_mono_ms(void);
/* clock_mono_us: the same clock in microseconds. */
int64_t	 clock_mono_us(void);
/*
 * clock_iso: "2026-11-27T13:45:13.422Z" for ms since the epoch, in a.
 * Years outside 0..9999 get JavaScript's six-digit signed form.
 */
char	*clock_iso(struct arena *a, int64_t ms);
/*
 * clock_iso_parse: the inverse of clock_iso for years 0..9999 (exactly
 * "YYYY-MM-DDTHH:MM:SS.mmmZ"); -1 when s is NULL or malformed.
 */
int64_t	 clock_iso_parse(const char *s);

#endif
