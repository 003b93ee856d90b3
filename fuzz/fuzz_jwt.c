/*
 * fuzz_jwt.c -- libFuzzer target: compact JWS tokens as a verifier sees
 * them (lib/jwt.c jwt_verify against a key set of each algorithm, with
 * and without kids) and the claims check, plus the HS256 tokens of
 * crypto.c (email verification links).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/arena.h"
#include "lib/crypto.h"
#include "lib/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct jwt_key	*keys[3];

static void
setup(void)
{
	static const enum jwt_alg algs[3] = { JWT_ALG_EDDSA, JWT_ALG_ES256,
	    JWT_ALG_RS256 };
	static const char *const kids[3] = { "k-ed", "k-es", "k-rs" };
	int	 i;

	if (crypto_init() != 0)
		abort();
	for (i = 0; i < 3; i++) {
		if ((keys[i] = jwt_key_generate(algs[i])) == NULL ||
		    jwt_key_set_kid(keys[i], kids[i]) != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	 a;
	struct str	 tok = { (const char *)data, size }, h, p;
	enum jwt_verdict v;
	char		*s;

	if (keys[0] == NULL)
		setup();
	arena_init(&a, 4096);
	s = arena_strndup(&a, (const char *)data, size);
	tok.p = s;
	v = jwt_verify(&a, keys, 3, tok, &h, &p);
	if (v == JWT_VALID)
		(void)jwt_claims_check(p, 1700000000);
	(void)jwt_verify(&a, keys, 1, tok, NULL, NULL);
	(void)jwt_claims_check(tok, 1700000000);
	(void)crypto_jwt_hs256_verify(&a, STR("fuzz-secret"), tok, &h, &p);
	arena_free(&a);
	return (0);
}
