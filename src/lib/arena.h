/*
 * arena.h -- per-request bump allocator and length-carrying string slices.
 *
 * Everything a request allocates comes from one arena, reset after the
 * reply is sent.  Allocation failure is fatal for the worker (it _exits
 * with NEON_AUTHD_EX_OOM and the master respawns it), so callers never
 * check for NULL.
 */
#ifndef NEON_AUTHD_ARENA_H
#define NEON_AUTHD_ARENA_H

#include <stddef.h>
#include <stdarg.h>

#define NEON_AUTHD_EX_OOM 71	/* worker out of memory: respawn */

struct str {
	const char	*p;
	size_t		 len;
};

#define STR(lit)	((struct str){ (lit), sizeof(lit) - 1 })
#define STR_NULL	((struct str){ NULL, 0 })

struct arena_block;
struct arena_defer;

struct arena {
	struct arena_block	*head;
	size_t			 block_size;
	size_t			 used_total;
	struct arena_defer	*defers;
};

/* arena_init: prepare an empty arena whose blocks are block_size bytes. */
void	 arena_init(struct arena *a, size_t block_size);
/* arena_reset: free every block but the first and rewind it. */
void	 arena_reset(struct arena *a);
/* arena_free: release all memory. */
void	 arena_free(struct arena *a);
/* arena_alloc: n bytes aligned for any type, zeroed. Never NULL. */
void	*arena_alloc(struct arena *a, size_t n);
/* arena_alloc_uninit: the same, not zeroed: for a buffer about to be filled. */
void	*arena_alloc_uninit(struct arena *a, size_t n);
/* arena_strndup: NUL-terminated copy of n bytes of s. */
char	*arena_strndup(struct arena *a, const char *s, size_t n);
/* arena_strdup: NUL-terminated copy of s (NULL gives NULL). */
char	*arena_strdup(struct arena *a, const char *s);
/* arena_printf: formatted string in the arena. */
char	*arena_printf(struct arena *a, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
char	*arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/*
 * arena_defer: call fn(arg) when the arena is next reset or freed (for
 * objects owned elsewhere, e.g. json-c trees).  Calls run newest first.
 */
void	 arena_defer(struct arena *a, void (*fn)(void *), void *arg);

/* str helpers */
struct str	 str_c(const char *s);		/* slice of a C string (NULL ok) */
int		 str_eq(struct str a, struct str b);
int		 str_eq_c(struct str a, const char *c);
char		*str_dup(struct arena *a, struct str s);	/* NUL-terminated */

#endif
