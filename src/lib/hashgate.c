/*
 * hashgate.c -- at most N password hashes at once across the worker pool.
 *
 * One scrypt hash (N=16384, r=16) is ~60 ms of CPU over a 32 MiB buffer.
 * More hashes at once than there are cores only time-slice: each takes
 * longer and the caches thrash (measured on two cores, six workers under
 * a sign-in load: 7 % more sign-ins per second with the gate at two), and
 * a sign-in flood would otherwise have every worker hashing at once.
 *
 * The gate is a System V semaphore holding N tokens.  A worker takes one
 * with SEM_UNDO for the length of a hash and waits in the kernel's queue
 * when none is left; the kernel gives a token back when its holder dies,
 * so a worker killed in the middle of a hash (hard timeout) never leaks
 * one.  Any failure of the gate lets the hash run ungated: it only ever
 * costs speed, never a request.
 */
#include <errno.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>

#include "lib/crypto.h"
#include "lib/hashgate.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/metrics.h"

/* the caller defines it (sem_ctl(2)) */
union semun {
	int			 val;
	struct semid_ds		*buf;
	unsigned short		*array;
};

static int	 gate_id = -1;
static int	 gate_slots;

int
hashgate_slots(int configured)
{
	long	 n;

	if (configured > 0)
		return (configured);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return (n < 1 ? 1 : n > 256 ? 256 : (int)n);
}

int
hashgate_create(int configured)
{
	union semun	 arg;
	int	 id;

	if ((id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) == -1) {
		log_warn("hashgate: semget (password hashes are not capped)");
		return (-1);
	}
	arg.val = hashgate_slots(configured);
	if (semctl(id, 0, SETVAL, arg) == -1) {
		log_warn("hashgate: semctl (password hashes are not capped)");
		(void)semctl(id, 0, IPC_RMID);
		return (-1);
	}
	hashgate_destroy();
	gate_id = id;
	gate_slots = arg.val;
	return (0);
}

void
hashgate_destroy(void)
{
	if (gate_id != -1)
		(void)semctl(gate_id, 0, IPC_RMID);
	gate_id = -1;
}

int
hashgate_stats(int *slots, int *free, int *waiting)
{
	int	 f, w;

	if (gate_id == -1 || (f = semctl(gate_id, 0, GETVAL)) == -1 ||
	    (w = semctl(gate_id, 0, GETNCNT)) == -1)
		return (-1);
	*slots = gate_slots;
	*free = f;
	*waiting = w;
	return (0);
}

/* take (-1) or give back (+1) a token; -1 when the gate is gone */
static int
gate_op(short delta)
{
	struct sembuf	 op;
	int64_t		 t0;

	if (gate_id == -1)
		return (-1);
	op.sem_num = 0;
	op.sem_op = delta;
	op.sem_flg = SEM_UNDO | (delta < 0 ? IPC_NOWAIT : 0);
	if (semop(gate_id, &op, 1) == 0)
		return (0);
	if (delta < 0 && errno == EAGAIN) {
		/* every slot taken: wait for one, and count the wait */
		t0 = clock_mono_us();
		op.sem_flg = SEM_UNDO;
		while (semop(gate_id, &op, 1) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EIDRM && errno != EINVAL)
				log_warn("hashgate: semop");
			return (-1);
		}
		metrics_add(METRICS_HASH_WAITS, 1);
		metrics_add(METRICS_HASH_WAIT_US,
		    (uint64_t)(clock_mono_us() - t0));
		return (0);
	}
	op.sem_flg = SEM_UNDO;
	while (semop(gate_id, &op, 1) == -1) {
		if (errno == EINTR)
			continue;
		/* EIDRM/EINVAL: replaced by a reload; hash ungated */
		if (errno != EIDRM && errno != EINVAL)
			log_warn("hashgate: semop");
		return (-1);
	}
	return (0);
}

int
hashgate_password_hash(struct arena *a, struct str pw, char **out)
{
	int	 held = gate_op(-1) == 0, rc;

	rc = crypto_password_hash(a, pw, out);
	if (held)
		(void)gate_op(1);
	return (rc);
}

int
hashgate_password_verify(struct str pw, const char *stored)
{
	int	 held = gate_op(-1) == 0, rc;

	rc = crypto_password_verify(pw, stored);
	if (held)
		(void)gate_op(1);
	return (rc);
}

void
hashgate_password_burn(struct str pw)
{
	int	 held = gate_op(-1) == 0;

	crypto_password_burn(pw);
	if (held)
		(void)gate_op(1);
}
