/*
 * url.h -- percent-coding and application/x-www-form-urlencoded pairs:
 * one decoder for query strings, form bodies, cookies and origin paths,
 * one encoder (JavaScript's encodeURIComponent).
 */
#ifndef NEON_AUTHD_URL_H
#define NEON_AUTHD_URL_H

#include <stddef.h>

#include "lib/arena.h"

/*
 * url_pct_decode: percent-decode n bytes of s into out (n + 1 bytes);
 * with plus, '+' is a space.  A malformed escape is copied as it is, or
 * makes it return -1 when strict.
 */
int	 url_pct_decode(const char *s, size_t n, char *out, int plus,
	    int strict);
/* url_decode: percent- (and with plus, '+'-) decoding into a. */
char	*url_decode(struct arena *a, const char *s, size_t n, int plus);
/* url_encode: encodeURIComponent(s) into a. */
char	*url_encode(struct arena *a, const char *s);
/*
 * url_pair_next: the next "key=value" of a form-urlencoded text between
 * *p and end, both decoded into a; 0 at the end.
 */
int	 url_pair_next(struct arena *a, const char **p, const char *end,
	    char **key, char **val);
/*
 * url_query_get: the first value of key in a query string (n bytes at q),
 * decoded into a, or NULL when absent; *count (when not NULL) is the
 * number of occurrences.
 */
char	*url_query_get(struct arena *a, const char *q, size_t n,
	    const char *key, int *count);

/*
 * url_form_encode: the application/x-www-form-urlencoded byte
 * serialisation (URLSearchParams): alphanumerics and *-._ as they are,
 * space as '+', everything else %XX.
 */
char	*url_form_encode(struct arena *a, const char *s);
/*
 * url_search_set: what url.searchParams.set(key, value) makes of url:
 * the query parsed and written again form-encoded, the first key
 * replaced (later ones dropped) or appended; the fragment kept.
 */
char	*url_search_set(struct arena *a, const char *url, const char *key,
	    const char *value);

#endif
