/*
 * hashgate.h -- at most N password hashes at once across the worker pool
 * (pool.hash_concurrency; the number of online CPUs by default).
 */
#ifndef NEON_AUTHD_HASHGATE_H
#define NEON_AUTHD_HASHGATE_H

#include "lib/arena.h"

#define HASHGATE_MAX_SLOTS	256
/* no slot came within pool.hash_wait: the caller answers 503 */
#define HASHGATE_BUSY		(-2)

/*
 * hashgate_create: in the master, before a generation of workers is
 * forked (they inherit it): a new gate of hashgate_slots(configured)
 * slots, with one shared scrypt buffer per slot and a wait bounded by
 * wait_ms (0: none), replaces the previous one, whose workers then hash
 * ungated in their own buffers while they finish.  -1 when it cannot be
 * made (logged; hashes are not capped).
 */
int	 hashgate_create(int configured, int wait_ms);
/* hashgate_destroy: in the master at exit. */
void	 hashgate_destroy(void);
/* hashgate_slots: the slots for a configured value (0 = online CPUs). */
int	 hashgate_slots(int configured);
/* hashgate_stats: slots, tokens free now, workers waiting; -1: no gate */
int	 hashgate_stats(int *slots, int *free, int *waiting);
/* hashgate_buffers: shared scrypt buffers, and how many are held now */
int	 hashgate_buffers(int *nbuf, int *inuse);
/*
 * hashgate_enter: take a slot and a shared buffer for one hash: 1 held,
 * 0 ungated (no gate; hash anyway), HASHGATE_BUSY (do not hash).
 * hashgate_leave(what hashgate_enter returned) gives both back.
 */
int	 hashgate_enter(void);
void	 hashgate_leave(int entered);
/*
 * crypto_password_hash / crypto_password_verify, inside the gate; or
 * HASHGATE_BUSY without hashing.
 */
int	 hashgate_password_hash(struct arena *a, struct str pw, char **out);
int	 hashgate_password_verify(struct str pw, const char *stored);
/*
 * hashgate_password_burn: the work of one verify for a password that has
 * no stored hash (unknown user), inside the gate like a real one, so that
 * neither the answer time nor the CPU tells the two apart.  0, or
 * HASHGATE_BUSY as a verify would be.
 */
int	 hashgate_password_burn(struct str pw);

#endif
