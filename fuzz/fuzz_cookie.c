/*
 * fuzz_cookie.c -- libFuzzer target: the Cookie header (http/cookie.c
 * cookie_get, cookie_get_signed with the HMAC check) and request_header /
 * request_query over the same bytes as FastCGI parameter and query.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/fuzz_req.h"
#include "http/cookie.h"
#include "lib/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "neon-auth.session_token",
	    "__Secure-neon-auth.session_token", "neon-auth.session_data",
	    "neon-auth.dont_remember", "a", "" };
	struct fuzz_req	 f;
	char		*v, *s;
	size_t		 i;

	fuzz_req_init(&f);
	s = arena_strndup(&f.a, (const char *)data, size);
	f.params[0] = arena_printf(&f.a, "HTTP_COOKIE=%s", s);
	f.r.query.p = s;
	f.r.query.len = strlen(s);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)cookie_get(&f.r, names[i]);
		if (cookie_get_signed(&f.r, names[i], &v) ==
		    CRYPTO_COOKIE_VALID && v == NULL)
			__builtin_trap();
		(void)request_query(&f.r, names[i]);
	}
	if (request_header(&f.r, "HTTP_COOKIE") == NULL)
		__builtin_trap();
	fuzz_req_free(&f);
	return (0);
}
