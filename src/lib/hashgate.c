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
 * costs speed, never a request.  The wait is bounded (pool.hash_wait):
 * a hash that cannot get a slot in time is refused (HASHGATE_BUSY, a 503)
 * rather than holding its worker, so a sign-in flood cannot take every
 * worker away from the other routes.
 *
 * scrypt's 32 MiB buffer comes from the gate too: the master maps one
 * buffer per slot, shared by all its workers, and a worker holding a
 * token claims a free buffer (its pid in the slot's owner word) for the
 * length of the hash (crypto_scrypt_buffer).  So the pool holds slots x
 * 32 MiB however many workers have hashed, instead of 32 MiB in each.  A
 * worker killed while it holds one leaves its pid there: the next worker
 * that finds no free buffer takes over one whose owner is gone.  Without
 * a buffer (no mapping, none free, ungated) a hash uses the worker's own.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <sys/ipc.h>
#include <sys/mman.h>
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

/* the shared mapping: this header page, then one buffer per slot */
struct gate_shm {
	int	 wait_ms;		/* pool.hash_wait; 0: no bound */
	int	 nbuf;
	pid_t	 owner[HASHGATE_MAX_SLOTS];	/* 0: free */
};
#define SHM_HEAD	((size_t)4096)

static int		 gate_id = -1;
static int		 gate_slots;
static int		 gate_wait_ms;
static struct gate_shm	*shm;
static size_t		 shm_len;
static int		 held_buf = -1;	/* the buffer held now */

int
hashgate_slots(int configured)
{
	long	 n;

	if (configured > 0)
		return (configured);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return (n < 1 ? 1 : n > HASHGATE_MAX_SLOTS ? HASHGATE_MAX_SLOTS :
	    (int)n);
}

/* the buffers of a new gate: NULL without the allocation hook or memory */
static struct gate_shm *
shm_create(int slots, int wait_ms, size_t *len)
{
	struct gate_shm	*g;
	void		*m;

	*len = SHM_HEAD + (size_t)slots * CRYPTO_SCRYPT_BUFFER;
	/* the header at least, so the wait bound is shared */
	if (!crypto_scrypt_hooked())
		*len = SHM_HEAD;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		log_warn("hashgate: mmap of %zu bytes (each worker hashes "
		    "in its own buffer)", *len);
		return (NULL);
	}
	g = m;
	g->wait_ms = wait_ms;
	g->nbuf = *len > SHM_HEAD ? slots : 0;
	return (g);
}

int
hashgate_create(int configured, int wait_ms)
{
	union semun	 arg;
	int	 id;
	struct gate_shm	*g;
	size_t	 len;

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
	g = shm_create(arg.val, wait_ms, &len);
	hashgate_destroy();
	gate_id = id;
	gate_slots = arg.val;
	gate_wait_ms = wait_ms;
	shm = g;
	shm_len = g != NULL ? len : 0;
	return (0);
}

void
hashgate_destroy(void)
{
	if (gate_id != -1)
		(void)semctl(gate_id, 0, IPC_RMID);
	gate_id = -1;
	/* workers of the old generation keep their own view of it */
	if (shm != NULL)
		(void)munmap(shm, shm_len);
	shm = NULL;
	shm_len = 0;
}

int
hashgate_buffers(int *nbuf, int *inuse)
{
	int	 i, n = 0;

	if (shm == NULL)
		return (-1);
	for (i = 0; i < shm->nbuf; i++)
		if (__atomic_load_n(&shm->owner[i], __ATOMIC_ACQUIRE) != 0)
			n++;
	*nbuf = shm->nbuf;
	*inuse = n;
	return (0);
}

/* claim a buffer for this process's hash; -1: none (use our own) */
static int
buf_claim(void)
{
	pid_t	 me = getpid(), o;
	int	 i, pass;

	if (shm == NULL || shm->nbuf == 0)
		return (-1);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < shm->nbuf; i++) {
			o = __atomic_load_n(&shm->owner[i], __ATOMIC_ACQUIRE);
			/* second pass: a holder that died mid-hash */
			if (o != 0 && (pass == 0 || o == me ||
			    kill(o, 0) == 0 || errno != ESRCH))
				continue;
			if (__atomic_compare_exchange_n(&shm->owner[i], &o,
			    me, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				crypto_scrypt_buffer((char *)shm + SHM_HEAD +
				    (size_t)i * CRYPTO_SCRYPT_BUFFER,
				    CRYPTO_SCRYPT_BUFFER);
				return (i);
			}
		}
	return (-1);
}

static void
buf_release(int i)
{
	if (i < 0)
		return;
	crypto_scrypt_buffer(NULL, 0);
	__atomic_store_n(&shm->owner[i], 0, __ATOMIC_RELEASE);
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

/* wait for op until pool.hash_wait after t0; EAGAIN when it passed */
static int
timed_op(struct sembuf *op, int64_t t0)
{
	struct timespec	 ts;
	int64_t		 left;
	int		 wait_ms = shm != NULL ? shm->wait_ms : gate_wait_ms;

	if (wait_ms <= 0)
		return (semop(gate_id, op, 1));
	left = (int64_t)wait_ms * 1000 - (clock_mono_us() - t0);
	if (left <= 0) {
		errno = EAGAIN;
		return (-1);
	}
	ts.tv_sec = (time_t)(left / 1000000);
	ts.tv_nsec = (long)(left % 1000000) * 1000;
	return (semtimedop(gate_id, op, 1, &ts));
}

/*
 * take (-1) or give back (+1) a token; -1 when the gate is gone,
 * HASHGATE_BUSY when no token came within pool.hash_wait
 */
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
		while (timed_op(&op, t0) == -1) {
			if (errno == EINTR)
				continue;
			metrics_add(METRICS_HASH_WAITS, 1);
			metrics_add(METRICS_HASH_WAIT_US,
			    (uint64_t)(clock_mono_us() - t0));
			if (errno == EAGAIN)
				return (HASHGATE_BUSY);
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
hashgate_enter(void)
{
	int	 g = gate_op(-1);

	if (g == HASHGATE_BUSY)
		return (HASHGATE_BUSY);
	held_buf = buf_claim();
	return (g == 0 ? 1 : 0);
}

void
hashgate_leave(int entered)
{
	buf_release(held_buf);
	held_buf = -1;
	if (entered == 1)
		(void)gate_op(1);
}

int
hashgate_password_hash(struct arena *a, struct str pw, char **out)
{
	int	 g, rc;

	if ((g = hashgate_enter()) == HASHGATE_BUSY)
		return (HASHGATE_BUSY);
	rc = crypto_password_hash(a, pw, out);
	hashgate_leave(g);
	return (rc);
}

int
hashgate_password_verify(struct str pw, const char *stored)
{
	int	 g, rc;

	if ((g = hashgate_enter()) == HASHGATE_BUSY)
		return (HASHGATE_BUSY);
	rc = crypto_password_verify(pw, stored);
	hashgate_leave(g);
	return (rc);
}

int
hashgate_password_burn(struct str pw)
{
	int	 g;

	if ((g = hashgate_enter()) == HASHGATE_BUSY)
		return (HASHGATE_BUSY);
	crypto_password_burn(pw);
	hashgate_leave(g);
	return (0);
}
