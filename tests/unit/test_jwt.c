/*
 * test_jwt.c -- unit tests for jwt.c and the pure part of cli_keys.c
 * (cmocka, TAP output).
 *
 * Against the Better Auth 1.7.25 golden vectors
 * (tests/vectors/better-auth-1.7.25.json): every `jwt` token verifies,
 * or fails, with its JWKS exactly as jose did at the vector's check times;
 * the fixed RFC 8032 key re-signs the vector tokens byte for byte; the
 * jwks rows (jwt kind and symmetric_encryption/jwks-private-key-ed25519)
 * decrypt with their secret, and re-export the stored public JWK, the
 * private JWK and the JWKS entry byte for byte.  Then sign/verify round
 * trips for EdDSA, ES256 and RS256, tampering, kid and alg confusion, the
 * row format round trip and the rotation durations.
 *
 * The vectors file is $NEON_AUTHD_VECTORS, else
 * ${top_srcdir:-${srcdir:-.}}/tests/vectors/better-auth-1.7.25.json;
 * when it is missing the vector tests fail (they are never skipped).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "lib/arena.h"
#include "proc/cli_keys.h"
#include "lib/crypto.h"
#include "lib/json.h"
#include "lib/jwt.h"

#define VECTORS_NAME	"better-auth-1.7.25.json"

static json_object	*V;
static char		 vpath[4096];
static struct arena	 A;
static const char	*cur_id = "-";

static const enum jwt_alg all_algs[] = {
	JWT_ALG_EDDSA, JWT_ALG_ES256, JWT_ALG_RS256
};

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (g_ == NULL || w_ == NULL || strcmp(g_, w_) != 0)		\
		fail_msg("%s: %s: got \"%s\", want \"%s\"", cur_id,	\
		    #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");	\
} while (0)

#define CHECK_VERDICT(got, want) do {					\
	enum jwt_verdict g_ = (got), w_ = (want);			\
	if (g_ != w_)							\
		fail_msg("%s: %s: got %s, want %s", cur_id, #got,	\
		    jwt_verdict_str(g_), jwt_verdict_str(w_));		\
} while (0)

/* ------------------------------------------------------------ helpers */

static json_object *
jget(json_object *o, const char *path)
{
	char		 key[128];
	const char	*dot;
	size_t		 n;

	while (o != NULL && *path != '\0') {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return (NULL);
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return (NULL);
		path += n + (dot ? 1 : 0);
	}
	return (o);
}

static const char *
jstr(json_object *o, const char *path)
{
	json_object	*v = jget(o, path);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

static const char *
jdump(json_object *o)
{
	return (json_dump(&A, o));
}

static json_object *
kind(const char *name)
{
	json_object	*arr;

	if (V == NULL)
		fail_msg("vectors file not loaded (%s): set NEON_AUTHD_VECTORS",
		    vpath);
	arr = jget(V, name);
	if (arr == NULL || !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) == 0)
		fail_msg("vectors: no \"%s\" array", name);
	return (arr);
}

static json_object *
vec(json_object *arr, size_t i)
{
	json_object	*v = json_object_array_get_idx(arr, i);

	cur_id = jstr(v, "id");
	if (cur_id == NULL)
		cur_id = "?";
	return (v);
}

/* the public keys of a JWKS document object; count in *n */
static struct jwt_key **
jwks_keys(json_object *doc, size_t *n)
{
	json_object	*keys = jget(doc, "keys");
	struct jwt_key	**out;
	const char	*text, *why = NULL;
	size_t		 i;

	if (keys == NULL || !json_object_is_type(keys, json_type_array))
		fail_msg("%s: no JWKS keys", cur_id);
	*n = json_object_array_length(keys);
	out = arena_alloc(&A, sizeof(*out) * (*n + 1));
	for (i = 0; i < *n; i++) {
		text = jdump(json_object_array_get_idx(keys, i));
		out[i] = jwt_key_from_jwk(text, strlen(text), &why);
		if (out[i] == NULL)
			fail_msg("%s: JWKS key %zu does not import: %s", cur_id,
			    i, why);
		assert_false(jwt_key_can_sign(out[i]));
	}
	return (out);
}

static void
free_keys(struct jwt_key **k, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		jwt_key_free(k[i]);
}

/* full verdict: signature, then time claims at `at` */
static enum jwt_verdict
verdict_at(struct jwt_key *const *keys, size_t n, const char *token,
    int64_t at)
{
	struct str		 payload;
	enum jwt_verdict	 v;

	v = jwt_verify(&A, keys, n, str_c(token), NULL, &payload);
	if (v != JWT_VALID)
		return (v);
	return (jwt_claims_check(payload, at));
}

/* ------------------------------------------------------------ setup */

static int
group_setup(void **state)
{
	const char	*env, *top;
	int		 n;

	(void)state;
	if ((env = getenv("NEON_AUTHD_VECTORS")) != NULL && *env != '\0')
		n = snprintf(vpath, sizeof(vpath), "%s", env);
	else {
		top = getenv("top_srcdir");
		if (top == NULL || *top == '\0')
			top = getenv("srcdir");
		if (top == NULL || *top == '\0')
			top = ".";
		n = snprintf(vpath, sizeof(vpath),
		    "%s/tests/vectors/" VECTORS_NAME, top);
	}
	if (n < 0 || (size_t)n >= sizeof(vpath))
		vpath[0] = '\0';
	V = json_object_from_file(vpath);
	if (V == NULL)
		printf("# cannot load vectors from \"%s\"\n", vpath);
	return (crypto_init() == -1 ? -1 : 0);
}

static int
group_teardown(void **state)
{
	(void)state;
	json_object_put(V);
	crypto_cleanup();
	return (0);
}

static int
setup(void **state)
{
	(void)state;
	arena_init(&A, 64 * 1024);
	cur_id = "-";
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&A);
	return (0);
}

/* ------------------------------------------------------------ vectors */

/* every jwt vector's token against its JWKS at each check time */
static void
test_vector_checks(void **state)
{
	json_object	*arr = kind("jwt"), *v, *doc, *checks, *c;
	struct jwt_key	**keys;
	const char	*token;
	size_t		 i, j, n, nchecks = 0;
	int		 want;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		token = jstr(v, "output.token");
		if (token == NULL)
			continue;	/* the get-session header vector */
		doc = jget(v, "output.jwks_document");
		if (doc == NULL)
			doc = jget(v, "input.jwks_document");
		if (doc == NULL)
			fail_msg("%s: no JWKS document", cur_id);
		keys = jwks_keys(doc, &n);
		checks = jget(v, "expect.checks");
		for (j = 0; j < json_object_array_length(checks); j++) {
			c = json_object_array_get_idx(checks, j);
			want = json_object_get_boolean(jget(c,
			    "jose_jwtVerify_with_jwks"));
			if ((verdict_at(keys, n, token, json_object_get_int64(
			    jget(c, "at_unix"))) == JWT_VALID) != want)
				fail_msg("%s: check %zu: jose says %s", cur_id,
				    j, want ? "valid" : "invalid");
			nchecks++;
		}
		free_keys(keys, n);
	}
	assert_true(nchecks >= 9);
}

/* specific verdicts for the negative vectors */
static void
test_vector_negatives(void **state)
{
	json_object	*arr = kind("jwt"), *v;
	struct jwt_key	**keys;
	size_t		 i, n, seen = 0;
	enum jwt_verdict want;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		if (strcmp(cur_id, "neg-payload-tampered") == 0 ||
		    strcmp(cur_id, "neg-signature-tampered") == 0)
			want = JWT_BAD_SIGNATURE;
		else if (strcmp(cur_id, "neg-unknown-kid") == 0)
			want = JWT_UNKNOWN_KID;
		else
			continue;
		keys = jwks_keys(jget(v, "input.jwks_document"), &n);
		CHECK_VERDICT(jwt_verify(&A, keys, n,
		    str_c(jstr(v, "output.token")), NULL, NULL), want);
		free_keys(keys, n);
		seen++;
	}
	assert_int_equal(seen, 3);
}

/* the fixed key re-signs Better Auth's tokens byte for byte */
static void
test_vector_resign(void **state)
{
	json_object	*arr = kind("jwt"), *v;
	struct jwt_key	*k;
	const char	*pj, *why = NULL;
	size_t		 i, seen = 0;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		if (jget(v, "input.private_jwk") == NULL ||
		    jstr(v, "output.header_json") == NULL)
			continue;
		pj = jdump(jget(v, "input.private_jwk"));
		k = jwt_key_from_jwk(pj, strlen(pj), &why);
		if (k == NULL)
			fail_msg("%s: private JWK: %s", cur_id, why);
		assert_true(jwt_key_can_sign(k));
		assert_int_equal(jwt_key_alg(k), JWT_ALG_EDDSA);
		assert_int_equal(jwt_key_set_kid(k, jstr(v, "input.kid")), 0);
		CHECK_STR(jwt_sign_header(&A, k,
		    str_c(jstr(v, "output.header_json")),
		    str_c(jstr(v, "output.payload_json"))),
		    jstr(v, "output.token"));
		/* exports in Node's member order */
		CHECK_STR(jwt_key_private_jwk(&A, k), pj);
		CHECK_STR(jwt_key_public_jwk(&A, k),
		    jdump(jget(v, "input.public_jwk")));
		CHECK_STR(jwt_key_public_jwk(&A, k),
		    jstr(v, "input.jwks_row.publicKey"));
		{
			json_object *e = jwt_key_jwks_entry(k);

			CHECK_STR(jdump(e), jdump(json_object_array_get_idx(
			    jget(v, "output.jwks_document.keys"), 0)));
			json_object_put(e);
		}
		/* our header adds typ, the token still verifies */
		{
			struct jwt_key	*ks[1] = { k };
			struct str	 h, p;
			char		*tok = jwt_sign(&A, k, str_c(jstr(v,
			    "output.payload_json")));

			CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(tok), &h,
			    &p), JWT_VALID);
			CHECK_STR(h.p, arena_printf(&A, "{\"alg\":\"EdDSA\","
			    "\"kid\":\"%s\",\"typ\":\"JWT\"}",
			    jstr(v, "input.kid")));
			CHECK_STR(p.p, jstr(v, "output.payload_json"));
		}
		jwt_key_free(k);
		seen++;
	}
	assert_int_equal(seen, 2);
}

/* Better Auth's stored rows decrypt and give back their keys */
static void
test_vector_rows(void **state)
{
	json_object	*arr, *v, *row;
	struct jwt_key	*k, *pub;
	const char	*secret, *why = NULL, *tok;
	size_t		 i, rows = 0;

	(void)state;
	arr = kind("jwt");
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		if ((row = jget(v, "input.jwks_row")) == NULL)
			continue;
		secret = jstr(v, "input.secret");
		k = jwt_key_from_row(&A, str_c(secret), jstr(row, "id"),
		    str_c(jstr(row, "publicKey")),
		    str_c(jstr(row, "privateKey")), &why);
		if (k == NULL)
			fail_msg("%s: row does not decrypt: %s", cur_id, why);
		CHECK_STR(jwt_key_kid(k), jstr(row, "id"));
		CHECK_STR(jwt_key_public_jwk(&A, k), jstr(row, "publicKey"));
		/* the row's key made the vector's token */
		tok = jstr(v, "output.token");
		{
			struct jwt_key *ks[1] = { k };

			CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(tok), NULL,
			    NULL), JWT_VALID);
		}
		jwt_key_free(k);
		/* a wrong secret does not open it */
		assert_null(jwt_key_from_row(&A, STR("not-the-secret"),
		    jstr(row, "id"), str_c(jstr(row, "publicKey")),
		    str_c(jstr(row, "privateKey")), &why));
		/* nor does a mismatched public key */
		pub = jwt_key_generate(JWT_ALG_EDDSA);
		assert_non_null(pub);
		assert_null(jwt_key_from_row(&A, str_c(secret),
		    jstr(row, "id"), str_c(jwt_key_public_jwk(&A, pub)),
		    str_c(jstr(row, "privateKey")), &why));
		jwt_key_free(pub);
		rows++;
	}
	arr = kind("symmetric_encryption");
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		if ((row = jget(v, "output.jwks_row")) == NULL)
			continue;
		secret = jstr(v, "input.secret");
		k = jwt_key_from_row(&A, str_c(secret), jstr(row, "id"),
		    str_c(jstr(row, "publicKey")),
		    str_c(jstr(row, "privateKey")), &why);
		if (k == NULL)
			fail_msg("%s: row does not decrypt: %s", cur_id, why);
		CHECK_STR(jwt_key_private_jwk(&A, k),
		    jstr(v, "expect.decrypt"));
		{
			json_object *e = jwt_key_jwks_entry(k);

			CHECK_STR(jdump(e), jdump(json_object_array_get_idx(
			    jget(v, "output.jwks_document.keys"), 0)));
			json_object_put(e);
		}
		/* the bare hex form (no JSON quotes) is accepted too */
		assert_non_null(pub = jwt_key_from_row(&A, str_c(secret),
		    "x", str_c(jstr(row, "publicKey")),
		    str_c(jstr(v, "output.ciphertext")), &why));
		jwt_key_free(pub);
		jwt_key_free(k);
		rows++;
	}
	assert_true(rows >= 4);
}

/* ------------------------------------------------------------ round trips */

static void
test_roundtrip_all_algs(void **state)
{
	static const char payload[] =
	    "{\"sub\":\"u\",\"role\":\"authenticated\",\"iat\":1767225600,"
	    "\"exp\":4920825600,\"name\":\"Zo\xc3\xab\"}";
	struct jwt_key	*k, *pubk, *ks[2];
	struct str	 h, p;
	const char	*why = NULL, *pubtext;
	char		*tok, *bad, *sig;
	const char	*dot;
	size_t		 i, siglen, want_len;

	(void)state;
	for (i = 0; i < 3; i++) {
		cur_id = jwt_alg_name(all_algs[i]);
		assert_non_null(k = jwt_key_generate(all_algs[i]));
		assert_int_equal(jwt_key_alg(k), all_algs[i]);
		assert_int_equal(jwt_key_set_kid(k, "kid-1"), 0);
		assert_non_null(tok = jwt_sign(&A, k, STR(payload)));
		/* the signature length JWS prescribes */
		sig = strrchr(tok, '.') + 1;
		siglen = strlen(sig);
		want_len = all_algs[i] == JWT_ALG_RS256 ? 342 : 86;
		assert_int_equal(siglen, want_len);

		/* verify with the public half only, as a JWKS user would */
		pubtext = jwt_key_public_jwk(&A, k);
		assert_non_null(pubk = jwt_key_from_jwk(pubtext,
		    strlen(pubtext), &why));
		assert_false(jwt_key_can_sign(pubk));
		assert_null(jwt_sign(&A, pubk, STR(payload)));
		assert_int_equal(jwt_key_set_kid(pubk, "kid-1"), 0);
		ks[0] = pubk;
		CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(tok), &h, &p),
		    JWT_VALID);
		CHECK_STR(p.p, payload);
		CHECK_STR(h.p, arena_printf(&A,
		    "{\"alg\":\"%s\",\"kid\":\"kid-1\",\"typ\":\"JWT\"}",
		    jwt_alg_name(all_algs[i])));
		CHECK_VERDICT(jwt_claims_check(p, 1767225600), JWT_VALID);

		/* a tampered signature */
		bad = arena_strdup(&A, tok);
		sig = strrchr(bad, '.') + 1;
		sig[3] = sig[3] == 'A' ? 'B' : 'A';
		CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(bad), NULL, NULL),
		    JWT_BAD_SIGNATURE);
		/* a truncated signature */
		bad = arena_strdup(&A, tok);
		bad[strlen(bad) - 4] = '\0';
		CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(bad), NULL, NULL),
		    JWT_BAD_SIGNATURE);
		/* a tampered payload */
		dot = strchr(tok, '.');
		assert_non_null(dot);
		bad = arena_printf(&A, "%.*s%s%s", (int)(dot - tok + 1), tok,
		    crypto_base64url_encode(&A, "{\"sub\":\"v\"}", 11),
		    strrchr(tok, '.'));
		CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(bad), NULL, NULL),
		    JWT_BAD_SIGNATURE);
		/* an unknown kid */
		assert_int_equal(jwt_key_set_kid(pubk, "kid-2"), 0);
		CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(tok), NULL, NULL),
		    JWT_UNKNOWN_KID);
		/* another algorithm's key under the same kid */
		ks[1] = jwt_key_generate(all_algs[(i + 1) % 3]);
		assert_non_null(ks[1]);
		assert_int_equal(jwt_key_set_kid(ks[1], "kid-1"), 0);
		CHECK_VERDICT(jwt_verify(&A, ks, 2, str_c(tok), NULL, NULL),
		    JWT_ALG_MISMATCH);
		/* the same key, other kid, in a set of two: found by kid */
		jwt_key_free(ks[1]);
		ks[1] = k;
		CHECK_VERDICT(jwt_verify(&A, ks, 2, str_c(tok), NULL, NULL),
		    JWT_VALID);
		/* malformed */
		CHECK_VERDICT(jwt_verify(&A, ks, 2, STR("a.b"), NULL, NULL),
		    JWT_MALFORMED);
		CHECK_VERDICT(jwt_verify(&A, ks, 2, STR("a.b.c.d"), NULL,
		    NULL), JWT_MALFORMED);
		jwt_key_free(pubk);
		jwt_key_free(k);
	}
}

/* a header alg of "none" or HS256 never verifies with our keys */
static void
test_alg_confusion(void **state)
{
	struct jwt_key	*k, *ks[1];
	char		*tok;

	(void)state;
	assert_non_null(k = jwt_key_generate(JWT_ALG_EDDSA));
	assert_int_equal(jwt_key_set_kid(k, "k"), 0);
	ks[0] = k;
	tok = jwt_sign_header(&A, k, STR("{\"alg\":\"none\",\"kid\":\"k\"}"),
	    STR("{}"));
	CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(tok), NULL, NULL),
	    JWT_ALG_MISMATCH);
	tok = jwt_sign_header(&A, k, STR("{\"alg\":\"ES256\",\"kid\":\"k\"}"),
	    STR("{}"));
	CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(tok), NULL, NULL),
	    JWT_ALG_MISMATCH);
	tok = arena_printf(&A, "%s.%s.",
	    crypto_base64url_encode(&A, "{\"alg\":\"none\"}", 14),
	    crypto_base64url_encode(&A, "{}", 2));
	CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(tok), NULL, NULL),
	    JWT_ALG_MISMATCH);
	/* no kid: the single key of that alg */
	tok = jwt_sign_header(&A, k, STR("{\"alg\":\"EdDSA\"}"), STR("{}"));
	CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(tok), NULL, NULL),
	    JWT_VALID);
	/* header not an object */
	tok = jwt_sign_header(&A, k, STR("[\"EdDSA\"]"), STR("{}"));
	CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(tok), NULL, NULL),
	    JWT_MALFORMED);
	jwt_key_free(k);
}

/* to_row / from_row for every alg; private JWK export and re-import */
static void
test_rows_all_algs(void **state)
{
	struct jwt_key	*k, *back, *ks[1];
	char		*pub, *priv, *pj;
	const char	*why = NULL;
	size_t		 i;

	(void)state;
	for (i = 0; i < 3; i++) {
		cur_id = jwt_alg_name(all_algs[i]);
		assert_non_null(k = jwt_key_generate(all_algs[i]));
		assert_int_equal(jwt_key_to_row(&A, STR("s3cret"), k, &pub,
		    &priv), 0);
		assert_true(priv[0] == '"' && priv[strlen(priv) - 1] == '"');
		back = jwt_key_from_row(&A, STR("s3cret"),
		    "0b9a1f2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", str_c(pub),
		    str_c(priv), &why);
		if (back == NULL)
			fail_msg("%s: row round trip: %s", cur_id, why);
		CHECK_STR(jwt_key_public_jwk(&A, back), pub);
		pj = jwt_key_private_jwk(&A, k);
		CHECK_STR(jwt_key_private_jwk(&A, back), pj);
		ks[0] = back;
		assert_int_equal(jwt_key_set_kid(k,
		    "0b9a1f2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"), 0);
		CHECK_VERDICT(jwt_verify(&A, ks, 1, str_c(jwt_sign(&A, k,
		    STR("{\"a\":1}"))), NULL, NULL), JWT_VALID);
		assert_null(jwt_key_from_row(&A, STR("other"), "id",
		    str_c(pub), str_c(priv), &why));
		/* an unencrypted private JWK in the column also loads */
		jwt_key_free(back);
		assert_non_null(back = jwt_key_from_row(&A, STR("any"), "id",
		    str_c(pub), str_c(pj), &why));
		jwt_key_free(back);
		jwt_key_free(k);
	}
}

static void
test_jwk_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"kty\":\"oct\",\"k\":\"AAAA\"}",
		"{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":"
		    "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}",
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"ES256\",\"x\":"
		    "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
		/* d of RFC 8032 test 1 with the x of test 2 */
		"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":"
		    "\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\",\"x\":"
		    "\"PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}",
		"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
		    "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"y\":"
		    "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
		NULL
	};
	const char	*why;
	size_t		 i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		why = NULL;
		if (jwt_key_from_jwk(bad[i], strlen(bad[i]), &why) != NULL)
			fail_msg("JWK %zu imported: %s", i, bad[i]);
		assert_non_null(why);
	}
	/* the RFC 8032 test 1 public key imports, with its alg and kid */
	{
		const char *ok = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		    "\"alg\":\"EdDSA\",\"kid\":\"k1\",\"x\":"
		    "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
		struct jwt_key *k = jwt_key_from_jwk(ok, strlen(ok), &why);

		assert_non_null(k);
		CHECK_STR(jwt_key_kid(k), "k1");
		jwt_key_free(k);
	}
}

static void
test_claims(void **state)
{
	(void)state;
	CHECK_VERDICT(jwt_claims_check(STR("{\"exp\":100}"), 99), JWT_VALID);
	CHECK_VERDICT(jwt_claims_check(STR("{\"exp\":100}"), 100),
	    JWT_EXPIRED);
	CHECK_VERDICT(jwt_claims_check(STR("{\"exp\":100}"), 101),
	    JWT_EXPIRED);
	CHECK_VERDICT(jwt_claims_check(STR("{\"nbf\":100}"), 99),
	    JWT_NOT_YET_VALID);
	CHECK_VERDICT(jwt_claims_check(STR("{\"nbf\":100}"), 100),
	    JWT_VALID);
	CHECK_VERDICT(jwt_claims_check(STR("{\"exp\":\"100\"}"), 1),
	    JWT_MALFORMED);
	CHECK_VERDICT(jwt_claims_check(STR("[]"), 1), JWT_MALFORMED);
	CHECK_VERDICT(jwt_claims_check(STR("{}"), 1), JWT_VALID);
	CHECK_VERDICT(jwt_claims_check(STR("{\"iat\":null}"), 1),
	    JWT_MALFORMED);
}

static void
test_durations(void **state)
{
	static const struct {
		const char	*in;
		int64_t		 want;	/* -1: rejected */
	} cases[] = {
		{ "30s", 30 }, { "15m", 900 }, { "24h", 86400 },
		{ "7d", 604800 }, { "90", 90 }, { "0", 0 }, { "0s", 0 },
		{ "1h30m", 5400 }, { "1d12h", 129600 },
		{ "", -1 }, { "h", -1 }, { "1w", -1 }, { "-5s", -1 },
		{ "1h30", -1 }, { "5 s", -1 }, { "99999999999999999999", -1 },
		{ "4000d", -1 }, { "3660d", 3660 * 86400 },
	};
	int64_t		 got;
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = -7;
		rc = cli_keys_parse_duration(cases[i].in, &got);
		if (cases[i].want < 0 ? rc != -1 : (rc != 0 ||
		    got != cases[i].want))
			fail_msg("duration \"%s\": rc %d, got %lld",
			    cases[i].in, rc, (long long)got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vector_checks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vector_negatives, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vector_resign, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vector_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_all_algs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_alg_confusion, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rows_all_algs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_jwk_rejects, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durations, setup,
		    teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
