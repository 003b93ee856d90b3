/*
 * url.c -- percent-coding and form pairs (see url.h).
 */
#include <ctype.h>
#include <string.h>

#include "lib/text.h"
#include "lib/url.h"

int
url_pct_decode(const char *s, size_t n, char *out, int plus, int strict)
{
	size_t	 i, o = 0;
	int	 h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 < n &&
			    (h = text_hexval((unsigned char)s[i + 1])) >= 0 &&
			    (l = text_hexval((unsigned char)s[i + 2])) >= 0) {
				out[o++] = (char)(h * 16 + l);
				i += 2;
				continue;
			}
			if (strict)
				return (-1);
		}
		out[o++] = (plus && s[i] == '+') ? ' ' : s[i];
	}
	out[o] = '\0';
	return (0);
}

char *
url_decode(struct arena *a, const char *s, size_t n, int plus)
{
	char	*out = arena_alloc(a, n + 1);

	(void)url_pct_decode(s, n, out, plus, 0);
	return (out);
}

char *
url_encode(struct arena *a, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 n = strlen(s), i, o = 0;
	char			*out = arena_alloc(a, n * 3 + 1);

	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (isalnum(c) || strchr("-_.!~*'()", c))
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return (out);
}

int
url_pair_next(struct arena *a, const char **p, const char *end, char **key,
    char **val)
{
	const char	*amp, *eq;

	while (*p < end) {
		amp = memchr(*p, '&', (size_t)(end - *p));
		if (amp == NULL)
			amp = end;
		eq = memchr(*p, '=', (size_t)(amp - *p));
		if (eq == NULL)
			eq = amp;
		if (eq == *p && eq == amp) {	/* "&&" */
			*p = amp + 1;
			continue;
		}
		*key = url_decode(a, *p, (size_t)(eq - *p), 1);
		*val = eq < amp ? url_decode(a, eq + 1,
		    (size_t)(amp - eq - 1), 1) : arena_strdup(a, "");
		*p = amp + 1;
		return (1);
	}
	return (0);
}

char *
url_query_get(struct arena *a, const char *q, size_t n, const char *key,
    int *count)
{
	const char	*p = q, *end = q + n;
	char		*k, *v, *first = NULL;
	int		 c = 0;

	if (q != NULL)
		while (url_pair_next(a, &p, end, &k, &v))
			if (strcmp(k, key) == 0 && c++ == 0)
				first = v;
	if (count != NULL)
		*count = c;
	return (first);
}

char *
url_form_encode(struct arena *a, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 n = strlen(s), i, o = 0;
	char			*out = arena_alloc(a, n * 3 + 1);

	for (i = 0; i < n; i++) {
		unsigned char	 c = (unsigned char)s[i];

		if (isalnum(c) || strchr("*-._", c))
			out[o++] = (char)c;
		else if (c == ' ')
			out[o++] = '+';
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return (out);
}

char *
url_search_set(struct arena *a, const char *url, const char *key,
    const char *value)
{
	const char	*q, *hash, *p, *end;
	char		*k, *v, *out;
	int		 done = 0;
	size_t		 n;

	hash = strchr(url, '#');
	end = hash ? hash : url + strlen(url);
	q = memchr(url, '?', (size_t)(end - url));
	n = (size_t)((q ? q : end) - url);
	out = arena_printf(a, "%.*s?", (int)n, url);
	if (q != NULL) {
		p = q + 1;
		while (url_pair_next(a, &p, end, &k, &v)) {
			if (strcmp(k, key) == 0) {
				if (done)
					continue;
				v = (char *)value;
				done = 1;
			}
			out = arena_printf(a, "%s%s%s=%s", out,
			    out[strlen(out) - 1] == '?' ? "" : "&",
			    url_form_encode(a, k), url_form_encode(a, v));
		}
	}
	if (!done)
		out = arena_printf(a, "%s%s%s=%s", out,
		    out[strlen(out) - 1] == '?' ? "" : "&",
		    url_form_encode(a, key), url_form_encode(a, value));
	return (hash ? arena_printf(a, "%s%s", out, hash) : out);
}
