/*
 * spool.h -- the mail queue on disk, as an MTA's maildrop keeps one: one
 * file per message, written to tmp/, fsync()ed, renamed into queue/ (and
 * the directory fsync()ed) before the request that queued it answers.
 *
 *   DIR/lock       flock()ed by the one mail sender that works the queue
 *   DIR/tmp/       files being written (never read)
 *   DIR/queue/     messages waiting: never tried, or to be retried
 *   DIR/done/      a record per delivered or failed message, without its
 *                  body and credentials, for `neon-authd mail status`
 *
 * A queue file is a header ("key: value" lines, then an empty line) and
 * the message as it goes to the SMTP server.  It names the branch the
 * message belongs to (its name in the configuration) and the transport
 * resolved when it was queued, so delivery needs no database: a branch
 * made by copying a database never sees, and never sends, its parent's
 * queue.  Directories are 0700, files 0600: messages carry links and
 * codes, and the header the SMTP password.
 */
#ifndef NEON_AUTHD_SPOOL_H
#define NEON_AUTHD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

#define SPOOL_ID_MAX	48

struct spool_msg {
	char		 id[SPOOL_ID_MAX];	/* set by spool_put */
	const char	*branch;	/* the branch's configuration name */
	const char	*kind;		/* "reset", "otp", ... */
	const char	*from;		/* envelope sender */
	const char	*to;		/* envelope recipient */
	const char	*host;		/* SMTP server */
	int		 port;
	const char	*security;	/* "tls", "starttls", "none" */
	const char	*user;		/* "" without login */
	const char	*pass;
	int		 attempts;	/* delivery attempts so far */
	int64_t		 queued_ms;
	int64_t		 next_ms;	/* not before (wall clock) */
	const char	*error;		/* last error, "" when none */
	const char	*outcome;	/* done/: "sent" | "failed" */
	int64_t		 done_ms;
	const char	*body;		/* the message; not in done/ */
	size_t		 body_len;
};

/* spool_prepare: create dir and its subdirectories (0700). 0 or -1. */
int	 spool_prepare(const char *dir);
/*
 * spool_put: queue m (a fresh id is written to m->id): tmp/, fsync,
 * rename into queue/, fsync of queue/.  0, or -1 (logged) with nothing
 * left in queue/.
 */
int	 spool_put(const char *dir, struct arena *a, struct spool_msg *m);
/*
 * spool_read: the queue file id (sub "queue") or the done record (sub
 * "done"); with_body reads the message too.  0, or -1 (a missing file is
 * not logged: errno ENOENT).
 */
int	 spool_read(const char *dir, const char *sub, struct arena *a,
	    const char *id, int with_body, struct spool_msg *m);
/*
 * spool_retry: rewrite the queue file of m (its attempts, next_ms and
 * error changed) atomically: tmp/, fsync, rename over queue/<id>.
 */
int	 spool_retry(const char *dir, struct arena *a,
	    const struct spool_msg *m);
/*
 * spool_finish: write the done/ record of m (outcome, done_ms, error),
 * then remove its queue file.  A crash between both leaves a message
 * that spool_sweep() takes out of the queue without sending it again.
 */
int	 spool_finish(const char *dir, struct arena *a,
	    const struct spool_msg *m);
/*
 * spool_list: the file names in dir/sub (ids, sorted: oldest first) in
 * a; *n their number.  0 or -1.
 */
int	 spool_list(const char *dir, const char *sub, struct arena *a,
	    char ***ids, size_t *n);
/*
 * spool_sweep: remove queue files that already have a done/ record, tmp/
 * files older than an hour, and done/ records older than keep_s seconds.
 * Returns the number of files removed.
 */
int	 spool_sweep(const char *dir, struct arena *a, int64_t keep_s);
/*
 * spool_lock: take the queue's lock (flock LOCK_EX | LOCK_NB on
 * dir/lock): the descriptor to keep open, or -1 (errno EWOULDBLOCK when
 * another sender holds it).
 */
int	 spool_lock(const char *dir);
/* spool_id_ok: id is a file name spool_put could have made. */
int	 spool_id_ok(const char *id);

#endif
