/*
 * hashgate.h -- at most N password hashes at once across the worker pool
 * (pool.hash_concurrency; the number of online CPUs by default).
 */
#ifndef NEON_AUTHD_HASHGATE_H
#define NEON_AUTHD_HASHGATE_H

#include "lib/arena.h"

/*
 * hashgate_create: in the master, before a generation of workers is
 * forked (they inherit it): a new gate of hashgate_slots(configured)
 * slots replaces the previous one, whose workers then hash ungated while
 * they finish.  -1 when it cannot be made (logged; hashes are not capped).
 */
int	 hashgate_create(int configured);
/* hashgate_destroy: in the master at exit. */
void	 hashgate_destroy(void);
/* hashgate_slots: the slots for a configured value (0 = online CPUs). */
int	 hashgate_slots(int configured);
/* hashgate_stats: slots, tokens free now, workers waiting; -1: no gate */
int	 hashgate_stats(int *slots, int *free, int *waiting);
/* crypto_password_hash / crypto_password_verify, inside the gate */
int	 hashgate_password_hash(struct arena *a, struct str pw, char **out);
int	 hashgate_password_verify(struct str pw, const char *stored);
/*
 * hashgate_password_burn: the work of one verify for a password that has
 * no stored hash (unknown user), inside the gate like a real one, so that
 * neither the answer time nor the CPU tells the two apart.
 */
void	 hashgate_password_burn(struct str pw);

#endif
