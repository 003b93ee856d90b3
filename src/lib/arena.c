/*
 * arena.c -- per-request bump allocator (see arena.h).
 *
 * Blocks are chained; a request that needs more than one block gets more,
 * and arena_reset() keeps only the first so the steady state allocates
 * nothing.  Oversized requests get a block of their own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"

struct arena_defer {
	struct arena_defer	*next;
	void			(*fn)(void *);
	void			*arg;
};

struct arena_block {
	struct arena_block	*next;
	size_t			 size;
	size_t			 used;
	max_align_t		 data[];
};

static void
oom(void)
{
	static const char msg[] = "<2>out of memory\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(NEON_AUTHD_EX_OOM);
}

static struct arena_block *
block_new(size_t size)
{
	struct arena_block	*b;

	if ((b = malloc(sizeof(*b) + size)) == NULL)
		oom();
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return (b);
}

void
arena_init(struct arena *a, size_t block_size)
{
	a->head = NULL;
	a->block_size = block_size ? block_size : 16384;
	a->used_total = 0;
	a->defers = NULL;
}

static void
run_defers(struct arena *a)
{
	struct arena_defer	*d;

	/* the records live in the arena: unlink before it is rewound */
	while ((d = a->defers) != NULL) {
		a->defers = d->next;
		d->fn(d->arg);
	}
}

void
arena_defer(struct arena *a, void (*fn)(void *), void *arg)
{
	struct arena_defer	*d = arena_alloc(a, sizeof(*d));

	d->fn = fn;
	d->arg = arg;
	d->next = a->defers;
	a->defers = d;
}

void
arena_reset(struct arena *a)
{
	struct arena_block	*b, *next;

	run_defers(a);
	if (a->head == NULL)
		return;
	/* keep the oldest (last) block: it has the configured size */
	b = a->head;
	while (b->next != NULL) {
		next = b->next;
		free(b);
		b = next;
	}
	b->used = 0;
	a->head = b;
	a->used_total = 0;
}

void
arena_free(struct arena *a)
{
	struct arena_block	*b, *next;

	run_defers(a);
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->used_total = 0;
}

void *
arena_alloc_uninit(struct arena *a, size_t n)
{
	struct arena_block	*b;
	size_t			 align = _Alignof(max_align_t), off;
	void			*p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - align)
		oom();
	b = a->head;
	if (b != NULL) {
		off = (b->used + align - 1) & ~(align - 1);
		if (off <= b->size && n <= b->size - off) {
			p = (char *)b->data + off;
			b->used = off + n;
			a->used_total += n;
			return (p);
		}
	}
	if (n > a->block_size / 2) {
		/* big allocation: its own block, linked behind the head */
		struct arena_block *big = block_new(n);

		big->used = n;
		if (b == NULL) {
			a->head = big;
		} else {
			big->next = b->next;
			b->next = big;
		}
		a->used_total += n;
		return (big->data);
	}
	b = block_new(a->block_size);
	b->next = a->head;
	a->head = b;
	b->used = n;
	a->used_total += n;
	return (b->data);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	void	*p = arena_alloc_uninit(a, n);

	memset(p, 0, n ? n : 1);
	return (p);
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char	*p = arena_alloc_uninit(a, n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}

char *
arena_strdup(struct arena *a, const char *s)
{
	if (s == NULL)
		return (NULL);
	return (arena_strndup(a, s, strlen(s)));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n;
	char	*p, small[256];

	/* one pass for short strings, two for long ones */
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		oom();
	p = arena_alloc_uninit(a, (size_t)n + 1);
	if ((size_t)n < sizeof(small))
		memcpy(p, small, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return (p);
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return (p);
}

struct str
str_c(const char *s)
{
	struct str	 r = { s, s ? strlen(s) : 0 };

	return (r);
}

int
str_eq(struct str a, struct str b)
{
	return (a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0));
}

int
str_eq_c(struct str a, const char *c)
{
	return (str_eq(a, str_c(c)));
}

char *
str_dup(struct arena *a, struct str s)
{
	return (arena_strndup(a, s.p ? s.p : "", s.len));
}
