/*
 * api.h -- endpoint handlers, one file per group (api_*.c).
 *
 * A handler validates its input, does its work and sets the reply on r;
 * it never writes to the transport.
 */
#ifndef NEON_AUTHD_API_H
#define NEON_AUTHD_API_H

#include "request.h"

/* api_misc.c */
void	 api_ok(struct request *r);
void	 api_error_page(struct request *r);
void	 api_debug_sleep(struct request *r);
void	 api_status_page(struct request *r);

/* query string helpers (api_misc.c) */
/*
 * api_query_get: the first value of key in the query string, URL-decoded
 * into the arena, or NULL when absent.
 */
char	*api_query_get(struct request *r, const char *key);
/* api_url_decode: percent- and '+'-decoding into the arena. */
char	*api_url_decode(struct arena *a, const char *s, size_t n, int plus);

#endif
