/*
 * fuzz_origin.c -- libFuzzer target: trusted-origin matching
 * (http/origin.c origin_match), the check every callbackURL, redirectTo
 * and Origin header goes through.  Input: "url\npattern"; without a
 * newline the URL is matched against a fixed set of patterns.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/origin.h"
#include "lib/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const pats[] = { "https://app.example.com",
	    "https://*.example.com", "http://127.0.0.1:*", "myapp://",
	    "exp://192.168.*.*:*/--/", "*.example.com", "https://a?.b.c" };
	struct arena	 a;
	char		*s, *nl;
	size_t		 i;
	int		 m;

	arena_init(&a, 4096);
	s = arena_strndup(&a, (const char *)data, size);
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		(void)origin_match(s, nl + 1, 0);
		(void)origin_match(s, nl + 1, 1);
	} else {
		for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			m = origin_match(s, pats[i], 1);
			/* these schemes never match anything */
			if (m && (strncasecmp(s, "javascript:", 11) == 0 ||
			    strncasecmp(s, "data:", 5) == 0))
				__builtin_trap();
		}
	}
	arena_free(&a);
	return (0);
}
