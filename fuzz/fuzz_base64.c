/*
 * fuzz_base64.c -- libFuzzer target: every base64 and hex decoder that
 * sees attacker bytes (lib/crypto.c: strict, URL, Better Auth's, atob,
 * jose's) and the encoders they must round-trip with.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	 a;
	struct str	 in = { (const char *)data, size }, out;
	char		*enc;

	arena_init(&a, 4096);
	if (crypto_base64_decode(&a, in, &out) == 0) {
		/* strict decoding is canonical: encoding gives the input */
		enc = crypto_base64_encode(&a, out.p, out.len);
		if (enc == NULL || strlen(enc) != size ||
		    memcmp(enc, data, size) != 0)
			__builtin_trap();
	}
	if (crypto_base64url_decode(&a, in, &out) == 0) {
		enc = crypto_base64url_encode(&a, out.p, out.len);
		if (enc == NULL || strlen(enc) != size ||
		    memcmp(enc, data, size) != 0)
			__builtin_trap();
	}
	(void)crypto_hex_decode(&a, in, &out);
	(void)crypto_base64_decode_ba(&a, in, &out);
	(void)crypto_base64_decode_atob(&a, in, 0, &out);
	(void)crypto_base64_decode_atob(&a, in, 1, &out);
	arena_free(&a);
	return (0);
}
