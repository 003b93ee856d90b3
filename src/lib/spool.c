/*
 * spool.c -- the mail queue on disk (see spool.h).
 *
 * Every file appears under its final name complete or not at all: it is
 * written under tmp/, flushed with fsync(), renamed, and the directory
 * that received it is fsync()ed so that the rename survives a crash.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/spool.h"
#include "lib/text.h"

#define MAGIC		"neon-authd-mail 1"
#define FILE_MAX	(4 * 1024 * 1024)	/* no message is bigger */

static char *
path_of(struct arena *a, const char *dir, const char *sub, const char *name)
{
	return (name ? arena_printf(a, "%s/%s/%s", dir, sub, name) :
	    arena_printf(a, "%s/%s", dir, sub));
}

int
spool_prepare(const char *dir)
{
	static const char *const subs[] = { "tmp", "queue", "done", NULL };
	char			 p[4096];
	int			 i, n;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("%s: mkdir %s", __func__, dir);
		return (-1);
	}
	for (i = 0; subs[i] != NULL; i++) {
		n = snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
		if (n < 0 || (size_t)n >= sizeof(p))
			return (-1);
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			log_warn("%s: mkdir %s", __func__, p);
			return (-1);
		}
	}
	return (0);
}

int
spool_id_ok(const char *id)
{
	size_t	 n = strlen(id);

	return (n > 0 && n < SPOOL_ID_MAX && id[0] != '.' &&
	    strspn(id, "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-") == n);
}

/* a header value: one line of printable ASCII, at most 300 bytes */
static char *
clean(struct arena *a, const char *s)
{
	char	*t = arena_strndup(a, s ? s : "", s ? strnlen(s, 300) : 0);
	char	*p;

	for (p = t; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return (t);
}

static char *
header(struct arena *a, const struct spool_msg *m, int done)
{
	struct jbuf	 b;
	char		*l;

	jb_init(&b, a, 1024);
	l = arena_printf(a, MAGIC "\nid: %s\nbranch: %s\nkind: %s\n"
	    "queued: %lld\nattempts: %d\nnext: %lld\nerror: %s\nfrom: %s\n"
	    "to: %s\n", m->id, clean(a, m->branch), clean(a, m->kind),
	    (long long)m->queued_ms, m->attempts, (long long)m->next_ms,
	    clean(a, m->error), clean(a, m->from), clean(a, m->to));
	jb_raw(&b, l, strlen(l));
	if (done)
		l = arena_printf(a, "outcome: %s\ndone: %lld\n",
		    clean(a, m->outcome), (long long)m->done_ms);
	else
		l = arena_printf(a, "smtp: %s %d %s\nuser: %s\npass: %s\n",
		    clean(a, m->host), m->port, clean(a, m->security),
		    crypto_hex_encode(a, m->user ? m->user : "",
		    m->user ? strlen(m->user) : 0),
		    crypto_hex_encode(a, m->pass ? m->pass : "",
		    m->pass ? strlen(m->pass) : 0));
	jb_raw(&b, l, strlen(l));
	jb_lit(&b, "\n");
	return (jb_done(&b));
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

static int
fsync_dir(const char *path)
{
	int	 fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	rc = fsync(fd);
	close(fd);
	return (rc);
}

/* write head + body to tmp/, fsync, rename to sub/id, fsync sub/ */
static int
publish(const char *dir, struct arena *a, const char *sub, const char *id,
    const char *head, const char *body, size_t body_len)
{
	char	*tmp, *dst;
	int	 fd;

	tmp = arena_printf(a, "%s/tmp/%s.%d.%s", dir, id, (int)getpid(),
	    crypto_random_string(a, 8, CRYPTO_ALPHABET_ID));
	dst = path_of(a, dir, sub, id);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("%s: open %s", __func__, tmp);
		return (-1);
	}
	if (write_all(fd, head, strlen(head)) == -1 ||
	    (body != NULL && write_all(fd, body, body_len) == -1) ||
	    fsync(fd) == -1) {
		log_warn("%s: write %s", __func__, tmp);
		close(fd);
		unlink(tmp);
		return (-1);
	}
	if (close(fd) == -1 || rename(tmp, dst) == -1) {
		log_warn("%s: rename into %s", __func__, dst);
		unlink(tmp);
		return (-1);
	}
	if (fsync_dir(path_of(a, dir, sub, NULL)) == -1) {
		log_warn("%s: fsync %s/%s", __func__, dir, sub);
		return (-1);
	}
	return (0);
}

int
spool_put(const char *dir, struct arena *a, struct spool_msg *m)
{
	char	*rnd = crypto_random_string(a, 10, CRYPTO_ALPHABET_ID);
	int	 n;

	if (rnd == NULL)
		return (-1);
	if (m->queued_ms == 0)
		m->queued_ms = clock_now_ms();
	n = snprintf(m->id, sizeof(m->id), "%013lld.%s",
	    (long long)m->queued_ms, rnd);
	if (n < 0 || (size_t)n >= sizeof(m->id))
		return (-1);
	return (publish(dir, a, "queue", m->id, header(a, m, 0), m->body,
	    m->body_len));
}

int
spool_retry(const char *dir, struct arena *a, const struct spool_msg *m)
{
	return (publish(dir, a, "queue", m->id, header(a, m, 0), m->body,
	    m->body_len));
}

int
spool_finish(const char *dir, struct arena *a, const struct spool_msg *m)
{
	if (publish(dir, a, "done", m->id, header(a, m, 1), NULL, 0) == -1)
		return (-1);
	if (unlink(path_of(a, dir, "queue", m->id)) == -1 && errno != ENOENT) {
		log_warn("%s: unlink queue/%s", __func__, m->id);
		return (-1);
	}
	(void)fsync_dir(path_of(a, dir, "queue", NULL));
	return (0);
}

/* the whole file in a (NUL-terminated), or NULL */
static char *
slurp(struct arena *a, const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 r;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	if (fstat(fd, &st) == -1 || st.st_size > FILE_MAX) {
		close(fd);
		errno = EFBIG;
		return (NULL);
	}
	buf = arena_alloc(a, (size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return (buf);
}

static char *
unhex(struct arena *a, const char *s)
{
	struct str	 out;

	if (crypto_hex_decode(a, str_c(s), &out) == -1)
		return (NULL);
	return ((char *)out.p);
}

int
spool_read(const char *dir, const char *sub, struct arena *a, const char *id,
    int with_body, struct spool_msg *m)
{
	char		*buf, *line, *end, *v, *sp;
	size_t		 len;
	int		 seen_id = 0;

	memset(m, 0, sizeof(*m));
	m->error = m->user = m->pass = m->outcome = "";
	if (!spool_id_ok(id)) {
		errno = EINVAL;
		return (-1);
	}
	if ((buf = slurp(a, path_of(a, dir, sub, id), &len)) == NULL)
		return (-1);
	if (strncmp(buf, MAGIC "\n", sizeof(MAGIC)) != 0)
		goto bad;
	line = buf + sizeof(MAGIC);
	for (;;) {
		if ((end = strchr(line, '\n')) == NULL)
			goto bad;
		*end = '\0';
		if (*line == '\0')
			break;
		if ((v = strstr(line, ": ")) == NULL)
			goto bad;
		*v = '\0';
		v += 2;
		if (strcmp(line, "id") == 0) {
			if (strcmp(v, id) != 0)
				goto bad;
			snprintf(m->id, sizeof(m->id), "%s", v);
			seen_id = 1;
		} else if (strcmp(line, "branch") == 0)
			m->branch = v;
		else if (strcmp(line, "kind") == 0)
			m->kind = v;
		else if (strcmp(line, "queued") == 0)
			m->queued_ms = strtoll(v, NULL, 10);
		else if (strcmp(line, "attempts") == 0)
			m->attempts = (int)strtol(v, NULL, 10);
		else if (strcmp(line, "next") == 0)
			m->next_ms = strtoll(v, NULL, 10);
		else if (strcmp(line, "error") == 0)
			m->error = v;
		else if (strcmp(line, "from") == 0)
			m->from = v;
		else if (strcmp(line, "to") == 0)
			m->to = v;
		else if (strcmp(line, "outcome") == 0)
			m->outcome = v;
		else if (strcmp(line, "done") == 0)
			m->done_ms = strtoll(v, NULL, 10);
		else if (strcmp(line, "smtp") == 0) {
			/* "host port security" */
			if ((sp = strchr(v, ' ')) == NULL)
				goto bad;
			*sp++ = '\0';
			m->host = v;
			m->port = (int)strtol(sp, &sp, 10);
			if (*sp != ' ')
				goto bad;
			m->security = sp + 1;
		} else if (strcmp(line, "user") == 0) {
			if ((m->user = unhex(a, v)) == NULL)
				goto bad;
		} else if (strcmp(line, "pass") == 0) {
			if ((m->pass = unhex(a, v)) == NULL)
				goto bad;
		}
		line = end + 1;
	}
	if (!seen_id || m->branch == NULL || m->to == NULL || m->from == NULL)
		goto bad;
	if (m->kind == NULL)
		m->kind = "";
	if (with_body) {
		m->body = end + 1;
		m->body_len = len - (size_t)(m->body - buf);
	}
	return (0);
 bad:
	errno = EINVAL;
	return (-1);
}

static int
cmp_names(const void *x, const void *y)
{
	return (strcmp(*(char *const *)x, *(char *const *)y));
}

int
spool_list(const char *dir, const char *sub, struct arena *a, char ***ids,
    size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 cap = 64;
	char		**v;

	*n = 0;
	if ((d = opendir(path_of(a, dir, sub, NULL))) == NULL) {
		*ids = NULL;
		return (-1);
	}
	v = arena_alloc(a, cap * sizeof(*v));
	while ((de = readdir(d)) != NULL) {
		if (!spool_id_ok(de->d_name))
			continue;
		if (*n == cap) {
			char	**nv;

			nv = arena_alloc(a, cap * 2 * sizeof(*nv));

			memcpy(nv, v, cap * sizeof(*v));
			v = nv;
			cap *= 2;
		}
		v[(*n)++] = arena_strdup(a, de->d_name);
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), cmp_names);
	*ids = v;
	return (0);
}

/* the mtime of dir/sub/name in ms, or -1 */
static int64_t
mtime_ms(struct arena *a, const char *dir, const char *sub, const char *name)
{
	struct stat	 st;

	if (stat(path_of(a, dir, sub, name), &st) == -1)
		return (-1);
	return ((int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec /
	    1000000);
}

int
spool_sweep(const char *dir, struct arena *a, int64_t keep_s)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		**ids;
	size_t		 n, i;
	int64_t		 now = clock_now_ms(), t;
	int		 removed = 0;

	if (spool_list(dir, "queue", a, &ids, &n) == 0)
		for (i = 0; i < n; i++)
			if (stat(path_of(a, dir, "done", ids[i]), &st) == 0 &&
			    unlink(path_of(a, dir, "queue", ids[i])) == 0)
				removed++;
	if (spool_list(dir, "done", a, &ids, &n) == 0)
		for (i = 0; i < n; i++) {
			t = mtime_ms(a, dir, "done", ids[i]);
			if (t >= 0 && now - t > keep_s * 1000 &&
			    unlink(path_of(a, dir, "done", ids[i])) == 0)
				removed++;
		}
	/* leftovers of writers that died between open and rename */
	if ((d = opendir(path_of(a, dir, "tmp", NULL))) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			t = mtime_ms(a, dir, "tmp", de->d_name);
			if (t >= 0 && now - t > 3600 * 1000 &&
			    unlink(path_of(a, dir, "tmp", de->d_name)) == 0)
				removed++;
		}
		closedir(d);
	}
	return (removed);
}

int
spool_lock(const char *dir)
{
	char	 p[4096];
	int	 fd, n, saved;

	n = snprintf(p, sizeof(p), "%s/lock", dir);
	if (n < 0 || (size_t)n >= sizeof(p))
		return (-1);
	if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return (-1);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}
