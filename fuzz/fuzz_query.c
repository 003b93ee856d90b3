/*
 * fuzz_query.c -- libFuzzer target: query strings and form pairs
 * (lib/url.c: url_query_get, url_pair_next, url_decode both ways) and
 * url_search_set, which rewrites redirect URLs with attacker queries.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "token", "callbackURL", "",
	    "a", "error" };
	struct arena	 a;
	const char	*p, *end;
	char		*s, *k, *v, *out;
	size_t		 i;
	int		 n, count;

	arena_init(&a, 4096);
	s = arena_strndup(&a, (const char *)data, size);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		(void)url_query_get(&a, s, strlen(s), keys[i], &count);
	p = s;
	end = s + strlen(s);
	for (n = 0; n < 10000 && url_pair_next(&a, &p, end, &k, &v); n++)
		if (k == NULL || v == NULL)
			__builtin_trap();
	(void)url_decode(&a, s, strlen(s), 0);
	(void)url_decode(&a, s, strlen(s), 1);
	out = arena_alloc(&a, size + 1);
	(void)url_pct_decode((const char *)data, size, out, 1, 1);
	(void)url_encode(&a, s);
	(void)url_form_encode(&a, s);
	/* the text as a URL whose query gets a parameter set */
	(void)url_search_set(&a, s, "error", "INVALID_TOKEN");
	arena_free(&a);
	return (0);
}
