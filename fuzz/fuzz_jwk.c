/*
 * fuzz_jwk.c -- libFuzzer target: JWK import (lib/jwt.c
 * jwt_key_from_jwk: OKP, EC and RSA, public and private, kid and alg
 * checks) as the CLI and a jwks row hand it; an imported key is exported
 * again (public JWK, JWKS entry) and signs when it can.
 */
#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "lib/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	 a;
	struct jwt_key	*k;
	const char	*why = NULL;
	json_object	*e;

	arena_init(&a, 4096);
	k = jwt_key_from_jwk((const char *)data, size, &why);
	if (k != NULL) {
		(void)jwt_key_public_jwk(&a, k);
		if ((e = jwt_key_jwks_entry(k)) != NULL)
			json_object_put(e);
		if (jwt_key_can_sign(k))
			(void)jwt_sign(&a, k, STR("{\"sub\":\"x\"}"));
		jwt_key_free(k);
	} else if (why == NULL) {
		/* bad input always says why */
		__builtin_trap();
	}
	arena_free(&a);
	return (0);
}
