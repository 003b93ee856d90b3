/*
 * test_crypto.c -- unit tests for crypto.c (cmocka, TAP output).
 *
 * Checks crypto.c byte for byte against the Better Auth 1.7.25 golden
 * vectors (tests/vectors/better-auth-1.7.25.json, read with json-c) for
 * the kinds that are pure crypto or encoding: random_string, encoding,
 * cookie_signature, password, symmetric_encryption, verification_jwt,
 * otp_hash and session_data; plus published known answers (FIPS 180-2,
 * RFC 4231, RFC 5869, the XChaCha draft) and hand-written edge cases.
 * The jwt kind (EdDSA) belongs to test_jwt.
 *
 * The vectors file is $NEON_AUTHD_VECTORS, else
 * ${top_srcdir:-${srcdir:-.}}/tests/vectors/better-auth-1.7.25.json;
 * when it is missing every vector test fails (it is never skipped).
 * Where a vector exercises a reader built on these primitives (cookie
 * header parsing, the bearer plugin, getCookieCache), the test does that
 * glue itself, minimally, to prove the primitives reproduce the verdicts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "lib/arena.h"
#include "lib/crypto.h"

#define VECTORS_NAME	"better-auth-1.7.25.json"

static json_object	*V;		/* the whole vectors document */
static char		 vpath[4096];
static struct arena	 A;
static unsigned long	 nchecks;
static const char	*cur_kind = "-", *cur_id = "-";

#define CHECK(cond) do {						\
	if (!(cond))							\
		fail_msg("%s/%s: check failed: %s", cur_kind, cur_id,	\
		    #cond);						\
	nchecks++;							\
} while (0)

#define CHECK_INT(got, want) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (g_ != w_)							\
		fail_msg("%s/%s: %s: got %lld, want %lld", cur_kind,	\
		    cur_id, #got, g_, w_);				\
	nchecks++;							\
} while (0)

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (g_ == NULL || w_ == NULL || strcmp(g_, w_) != 0)		\
		fail_msg("%s/%s: %s: got \"%s\", want \"%s\"",	\
		    cur_kind, cur_id, #got, g_ ? g_ : "(null)",		\
		    w_ ? w_ : "(null)");				\
	nchecks++;							\
} while (0)

#define CHECK_MEM(gp, gl, wp, wl) do {					\
	if ((size_t)(gl) != (size_t)(wl) ||				\
	    ((wl) > 0 && memcmp((gp), (wp), (wl)) != 0))		\
		fail_msg("%s/%s: %s differs (len %zu, want %zu)",	\
		    cur_kind, cur_id, #gp, (size_t)(gl), (size_t)(wl));	\
	nchecks++;							\
} while (0)

/*
 * JSON helpers
 */

/* Member at a dotted path ("input.secret"), or NULL. */
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

/* String at path, or NULL if absent or not a string. */
static const char *
jstr(json_object *o, const char *path)
{
	json_object	*v = jget(o, path);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

static struct str
jslice(json_object *o, const char *path)
{
	json_object	*v = jget(o, path);
	struct str	 s = STR_NULL;

	if (v != NULL && json_object_is_type(v, json_type_string)) {
		s.p = json_object_get_string(v);
		s.len = (size_t)json_object_get_string_len(v);
	}
	return (s);
}

/* 1 if path holds a non-null value. */
static int
jhas(json_object *o, const char *path)
{
	return (jget(o, path) != NULL);
}

/* 1 if the last key of path exists with a JSON null value. */
static int
jnull(json_object *o, const char *path)
{
	const char	*dot = strrchr(path, '.');
	json_object	*parent, *val;
	char		 head[128];
	size_t		 n;

	if (dot == NULL) {
		parent = o;
		dot = path - 1;
	} else {
		n = (size_t)(dot - path);
		if (n >= sizeof(head))
			return (0);
		memcpy(head, path, n);
		head[n] = '\0';
		parent = jget(o, head);
	}
	if (parent == NULL ||
	    !json_object_object_get_ex(parent, dot + 1, &val))
		return (0);
	return (val == NULL);
}

/* The array of one vector kind; fails the test when the file is absent. */
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
	cur_kind = name;
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

/* Bytes of a hex string, through the module (tested on its own too). */
static struct str
unhex(const char *hex)
{
	struct str	 out = STR_NULL;

	if (crypto_hex_decode(&A, str_c(hex), &out) == -1)
		fail_msg("%s/%s: bad hex in vectors", cur_kind, cur_id);
	return (out);
}

/*
 * Setup
 */

static int
group_setup(void **state)
{
	const char	*env, *top;
	int		 n;

	(void)state;
	if ((env = getenv("NEON_AUTHD_VECTORS")) != NULL && *env != '\0') {
		n = snprintf(vpath, sizeof(vpath), "%s", env);
	} else {
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
		printf("# cannot load vectors from \"%s\": %s\n", vpath,
		    json_util_get_last_err() ? json_util_get_last_err() : "");
	if (crypto_init() == -1)
		return (-1);
	return (0);
}

static int
group_teardown(void **state)
{
	(void)state;
	printf("# %lu checks passed\n", nchecks);
	json_object_put(V);
	V = NULL;
	crypto_cleanup();
	return (0);
}

static int
setup(void **state)
{
	(void)state;
	arena_init(&A, 0);
	cur_kind = cur_id = "-";
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&A);
	return (0);
}

/*
 * Known answers and edge cases (no vectors file needed)
 */

static void
test_vectors_present(void **state)
{
	json_object	*meta;

	(void)state;
	if (V == NULL)
		fail_msg("vectors file not loaded (%s)", vpath);
	cur_kind = "meta";
	meta = jget(V, "meta");
	CHECK_STR(jstr(meta, "library.better-auth"), "1.7.25");
}

static void
test_sha256_hmac_known(void **state)
{
	unsigned char		 md[32], md2[32];
	struct crypto_hmac	*h;

	(void)state;
	cur_kind = "known";
	cur_id = "sha256";
	CHECK(crypto_sha256("abc", 3, md) == 0);
	CHECK_STR(crypto_hex_encode(&A, md, 32),
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK(crypto_sha256(NULL, 0, md) == 0);
	CHECK_STR(crypto_hex_encode(&A, md, 32),
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	cur_id = "hmac-rfc4231-2";
	CHECK(crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28,
	    md) == 0);
	CHECK_STR(crypto_hex_encode(&A, md, 32),
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	h = crypto_hmac_new("Jefe", 4);
	CHECK(h != NULL);
	CHECK(crypto_hmac_sign(h, "what do ya want for nothing?", 28,
	    md2) == 0);
	CHECK_MEM(md2, 32, md, 32);
	/* the context is reusable, also after another message */
	CHECK(crypto_hmac_sign(h, "another message", 15, md2) == 0);
	CHECK(crypto_hmac_sign(h, "what do ya want for nothing?", 28,
	    md2) == 0);
	CHECK_MEM(md2, 32, md, 32);
	crypto_hmac_free(h);
	crypto_hmac_free(NULL);

	cur_id = "hmac-empty-key";
	CHECK(crypto_hmac_sha256(NULL, 0, NULL, 0, md) == 0);
	CHECK_STR(crypto_hex_encode(&A, md, 32),
	    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	h = crypto_hmac_new(NULL, 0);
	CHECK(h != NULL);
	CHECK(crypto_hmac_sign(h, NULL, 0, md2) == 0);
	CHECK_MEM(md2, 32, md, 32);
	crypto_hmac_free(h);

	cur_id = "memeq";
	CHECK(crypto_memeq("abc", "abc", 3) == 1);
	CHECK(crypto_memeq("abc", "abd", 3) == 0);
	CHECK(crypto_memeq("", "", 0) == 1);
	CHECK(crypto_str_eq(STR("abc"), STR("abc")) == 1);
	CHECK(crypto_str_eq(STR("abc"), STR("ab")) == 0);
	CHECK(crypto_str_eq(STR(""), STR_NULL) == 1);

	cur_id = "is_ascii";
	CHECK(crypto_is_ascii(STR("password 123~\x7f")) == 1);
	CHECK(crypto_is_ascii(STR("caf\xc3\xa9")) == 0);
	CHECK(crypto_is_ascii(STR_NULL) == 1);
}

static void
test_hkdf_known(void **state)
{
	unsigned char	 ikm[22], salt[13], info[10], okm[42];
	size_t		 i;

	(void)state;
	cur_kind = "known";
	cur_id = "hkdf-rfc5869-1";
	memset(ikm, 0x0b, sizeof(ikm));
	for (i = 0; i < sizeof(salt); i++)
		salt[i] = (unsigned char)i;
	for (i = 0; i < sizeof(info); i++)
		info[i] = (unsigned char)(0xf0 + i);
	CHECK(crypto_hkdf_sha256(ikm, sizeof(ikm), salt, sizeof(salt), info,
	    sizeof(info), okm, sizeof(okm)) == 0);
	CHECK_STR(crypto_hex_encode(&A, okm, sizeof(okm)),
	    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	    "34007208d5b887185865");
}

static void
test_xchacha_known(void **state)
{
	static const char pt[] = "Ladies and Gentlemen of the class of '99: "
	    "If I could offer you only one tip for the future, sunscreen "
	    "would be it.";
	static const char ct_hex[] =
	    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
	    "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
	    "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
	    "21f9664c97637da9768812f615c68b13b52e"
	    "c0875924c1c7987947deafd8780acf49";
	unsigned char	 key[32], nonce[24], sub[32], aad[12], *out, *back;
	size_t		 i, ptlen = sizeof(pt) - 1;

	(void)state;
	cur_kind = "known";
	/* draft-irtf-cfrg-xchacha-03 §2.2.1 */
	cur_id = "hchacha20-draft-2.2.1";
	for (i = 0; i < 32; i++)
		key[i] = (unsigned char)i;
	memcpy(nonce, "\x00\x00\x00\x09\x00\x00\x00\x4a\x00\x00\x00\x00"
	    "\x31\x41\x59\x27", 16);
	crypto_hchacha20(key, nonce, sub);
	CHECK_STR(crypto_hex_encode(&A, sub, 32),
	    "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");

	/* draft-irtf-cfrg-xchacha-03 §A.3.1 */
	cur_id = "xchacha20poly1305-draft-A.3.1";
	for (i = 0; i < 32; i++)
		key[i] = (unsigned char)(0x80 + i);
	for (i = 0; i < 24; i++)
		nonce[i] = (unsigned char)(0x40 + i);
	memcpy(aad, "\x50\x51\x52\x53\xc0\xc1\xc2\xc3\xc4\xc5\xc6\xc7", 12);
	out = arena_alloc(&A, ptlen + 16);
	CHECK(crypto_xchacha20poly1305_seal(key, nonce, aad, sizeof(aad), pt,
	    ptlen, out) == 0);
	CHECK_STR(crypto_hex_encode(&A, out, ptlen + 16), ct_hex);
	back = arena_alloc(&A, ptlen);
	CHECK(crypto_xchacha20poly1305_open(key, nonce, aad, sizeof(aad), out,
	    ptlen + 16, back) == 0);
	CHECK_MEM(back, ptlen, pt, ptlen);
	/* wrong AAD, flipped tag bit, short input */
	CHECK(crypto_xchacha20poly1305_open(key, nonce, aad, 11, out,
	    ptlen + 16, back) == -1);
	out[ptlen + 15] ^= 1;
	CHECK(crypto_xchacha20poly1305_open(key, nonce, aad, sizeof(aad), out,
	    ptlen + 16, back) == -1);
	CHECK(crypto_xchacha20poly1305_open(key, nonce, NULL, 0, out, 15,
	    back) == -1);
}

static void
test_base64_edges(void **state)
{
	struct str	 o;

	(void)state;
	cur_kind = "edge";
	cur_id = "base64-strict";
	CHECK(crypto_base64_decode(&A, STR("AA=="), &o) == 0 && o.len == 1 &&
	    o.p[0] == 0 && o.p[1] == '\0');
	CHECK(crypto_base64_decode(&A, STR(""), &o) == 0 && o.len == 0);
	CHECK(crypto_base64_decode(&A, STR("AA="), &o) == -1);
	CHECK(crypto_base64_decode(&A, STR("AA"), &o) == -1);
	CHECK(crypto_base64_decode(&A, STR("A==="), &o) == -1);
	CHECK(crypto_base64_decode(&A, STR("AB=C"), &o) == -1);
	/* non-canonical: the unused bits of "B" are not zero */
	CHECK(crypto_base64_decode(&A, STR("AB=="), &o) == -1);
	CHECK(crypto_base64_decode(&A, STR("-_8="), &o) == -1);
	CHECK(crypto_base64_decode(&A, STR("QU JD"), &o) == -1);
	cur_id = "base64url-strict";
	CHECK(crypto_base64url_decode(&A, STR("-_8"), &o) == 0 &&
	    o.len == 2 && (unsigned char)o.p[0] == 0xfb);
	CHECK(crypto_base64url_decode(&A, STR("AA=="), &o) == -1);
	CHECK(crypto_base64url_decode(&A, STR("A"), &o) == -1);
	CHECK(crypto_base64url_decode(&A, STR("+/8"), &o) == -1);
	CHECK(crypto_base64url_decode(&A, STR("AB"), &o) == -1);
	cur_id = "atob";
	CHECK(crypto_base64_decode_atob(&A, STR(" AA= =\n"), 0, &o) == 0 &&
	    o.len == 1);
	CHECK(crypto_base64_decode_atob(&A, STR("AB"), 0, &o) == 0 &&
	    o.len == 1 && o.p[0] == 0);
	CHECK(crypto_base64_decode_atob(&A, STR("AA="), 0, &o) == -1);
	CHECK(crypto_base64_decode_atob(&A, STR("A"), 0, &o) == -1);
	CHECK(crypto_base64_decode_atob(&A, STR("-_8"), 0, &o) == -1);
	CHECK(crypto_base64_decode_atob(&A, STR("-_8"), 1, &o) == 0 &&
	    o.len == 2);
	cur_id = "ba";
	CHECK(crypto_base64_decode_ba(&A, STR("Q"), &o) == 0 && o.len == 0);
	CHECK(crypto_base64_decode_ba(&A, STR("QUJD\xc3\xa9"), &o) == -1);
	cur_id = "hex";
	CHECK(crypto_hex_decode(&A, STR("0aFf"), &o) == 0 && o.len == 2 &&
	    (unsigned char)o.p[1] == 0xff);
	CHECK(crypto_hex_decode(&A, STR("abc"), &o) == -1);
	CHECK(crypto_hex_decode(&A, STR("0g"), &o) == -1);
	cur_id = "encode";
	CHECK_STR(crypto_base64_encode(&A, "", 0), "");
	CHECK_STR(crypto_base64url_encode(&A, "\xfb\xff", 2), "-_8");
	CHECK_STR(crypto_hex_encode(&A, "", 0), "");
}

/*
 * random_string
 */

struct fixed_source {
	struct str	 bytes;
	size_t		 pos;
	json_object	*refills;
	size_t		 nrefill;
	int		 bad;
};

static int
fixed_source(void *arg, void *buf, size_t n)
{
	struct fixed_source	*fs = arg;
	json_object		*want;

	want = json_object_array_get_idx(fs->refills, fs->nrefill);
	if (want == NULL || (size_t)json_object_get_int64(want) != n ||
	    fs->pos + n > fs->bytes.len) {
		fs->bad = 1;
		return (-1);
	}
	memcpy(buf, fs->bytes.p + fs->pos, n);
	fs->pos += n;
	fs->nrefill++;
	return (0);
}

static void
test_random_string_vectors(void **state)
{
	json_object		*arr = kind("random_string"), *v;
	struct fixed_source	 fs;
	const char		*alpha, *s;
	size_t			 i, n, len;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		memset(&fs, 0, sizeof(fs));
		fs.bytes = unhex(jstr(v, "input.random_bytes_hex"));
		fs.refills = jget(v, "input.refill_sizes");
		alpha = jstr(v, "input.alphabet");
		CHECK(alpha != NULL);
		len = (size_t)json_object_get_int64(jget(v, "input.length"));
		n = strlen(alpha);
		CHECK_INT(256 / n * n, json_object_get_int64(jget(v,
		    "output.max_valid_byte_exclusive")));
		s = crypto_random_string_from(&A, len, alpha, fixed_source,
		    &fs);
		CHECK(fs.bad == 0);
		CHECK_STR(s, jstr(v, "output.value"));
		/* every byte given was drawn, in the given refill sizes */
		CHECK_INT(fs.pos, fs.bytes.len);
		CHECK_INT(fs.nrefill, json_object_array_length(fs.refills));
	}
}

static void
test_random_live(void **state)
{
	char		 big[258];
	const char	*s, *prev = NULL;
	unsigned long	 count[10] = { 0 };
	unsigned char	 buf[64], zero[64] = { 0 };
	size_t		 i, j;

	(void)state;
	cur_kind = "live";
	cur_id = "random_id";
	for (i = 0; i < 200; i++) {
		s = crypto_random_id(&A);
		CHECK(s != NULL && strlen(s) == CRYPTO_ID_LEN);
		CHECK(strspn(s, CRYPTO_ALPHABET_ID) == CRYPTO_ID_LEN);
		CHECK(prev == NULL || strcmp(s, prev) != 0);
		prev = s;
	}
	cur_id = "uniform-digits";
	s = crypto_random_string(&A, 20000, CRYPTO_ALPHABET_DIGITS);
	CHECK(s != NULL && strlen(s) == 20000);
	for (i = 0; i < 20000; i++)
		count[s[i] - '0']++;
	/* mean 2000, sd ~42: 8 sd either way */
	for (i = 0; i < 10; i++)
		CHECK(count[i] > 1660 && count[i] < 2340);
	cur_id = "state-128";
	s = crypto_random_string(&A, 128, CRYPTO_ALPHABET_STATE);
	CHECK(s != NULL && strspn(s, CRYPTO_ALPHABET_STATE) == 128);
	cur_id = "bad-args";
	CHECK(crypto_random_string(&A, 0, CRYPTO_ALPHABET_ID) == NULL);
	CHECK(crypto_random_string(&A, 8, "") == NULL);
	CHECK(crypto_random_string(&A, 8, NULL) == NULL);
	for (j = 0; j < 257; j++)
		big[j] = 'a';
	big[257] = '\0';
	CHECK(crypto_random_string(&A, 8, big) == NULL);
	cur_id = "bytes";
	CHECK(crypto_random_bytes(buf, sizeof(buf)) == 0);
	CHECK(memcmp(buf, zero, sizeof(buf)) != 0);
	CHECK(crypto_random_bytes(buf, 0) == 0);
}

/*
 * encoding
 */

static void
test_encoding_vectors(void **state)
{
	json_object		*arr = kind("encoding"), *v;
	struct str		 bytes, o, secret, msg;
	unsigned char		 mac[32];
	const char		*b64;
	size_t			 i;
	int			 handled;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		handled = 0;
		if (jhas(v, "output.code_challenge")) {
			CHECK_STR(crypto_sha256_base64url(&A,
			    jslice(v, "input.code_verifier")),
			    jstr(v, "output.code_challenge"));
			handled = 1;
		}
		if (jhas(v, "input.bytes_hex") && jhas(v, "output.base64")) {
			bytes = unhex(jstr(v, "input.bytes_hex"));
			CHECK_STR(crypto_base64_encode(&A, bytes.p, bytes.len),
			    jstr(v, "output.base64"));
			CHECK_STR(crypto_base64_encode_flags(&A, bytes.p,
			    bytes.len, CRYPTO_B64_NOPAD),
			    jstr(v, "output.base64_nopad"));
			CHECK_STR(crypto_base64_encode_flags(&A, bytes.p,
			    bytes.len, CRYPTO_B64_URL),
			    jstr(v, "output.base64url"));
			CHECK_STR(crypto_base64url_encode(&A, bytes.p,
			    bytes.len), jstr(v, "output.base64url_nopad"));
			CHECK_STR(crypto_hex_encode(&A, bytes.p, bytes.len),
			    jstr(v, "output.hex"));
			/* and back, through every decoder that applies */
			CHECK(crypto_base64_decode(&A, jslice(v,
			    "output.base64"), &o) == 0);
			CHECK_MEM(o.p, o.len, bytes.p, bytes.len);
			CHECK(crypto_base64url_decode(&A, jslice(v,
			    "output.base64url_nopad"), &o) == 0);
			CHECK_MEM(o.p, o.len, bytes.p, bytes.len);
			CHECK(crypto_base64_decode_ba(&A, jslice(v,
			    "output.base64"), &o) == 0);
			CHECK_MEM(o.p, o.len, bytes.p, bytes.len);
			CHECK(crypto_base64_decode_ba(&A, jslice(v,
			    "output.base64url_nopad"), &o) == 0);
			CHECK_MEM(o.p, o.len, bytes.p, bytes.len);
			CHECK(crypto_base64_decode_atob(&A, jslice(v,
			    "output.base64_nopad"), 0, &o) == 0);
			CHECK_MEM(o.p, o.len, bytes.p, bytes.len);
			CHECK(crypto_base64_decode_atob(&A, jslice(v,
			    "output.base64url"), 1, &o) == 0);
			CHECK_MEM(o.p, o.len, bytes.p, bytes.len);
			CHECK(crypto_hex_decode(&A, jslice(v, "output.hex"),
			    &o) == 0);
			CHECK_MEM(o.p, o.len, bytes.p, bytes.len);
			handled = 1;
		}
		if (jhas(v, "input.text")) {
			/* @better-auth/utils base64.decode */
			if (jhas(v, "output.bytes_hex")) {
				bytes = unhex(jstr(v, "output.bytes_hex"));
				CHECK(crypto_base64_decode_ba(&A, jslice(v,
				    "input.text"), &o) == 0);
				CHECK_MEM(o.p, o.len, bytes.p, bytes.len);
			} else {
				CHECK(jhas(v, "output.error"));
				CHECK(crypto_base64_decode_ba(&A, jslice(v,
				    "input.text"), &o) == -1);
			}
			handled = 1;
		}
		if (jhas(v, "output.stored_identifier")) {
			CHECK_STR(crypto_sha256_base64url(&A,
			    jslice(v, "input.identifier")),
			    jstr(v, "output.stored_identifier"));
			handled = 1;
		}
		if (jhas(v, "output.base64urlnopad")) {
			secret = jslice(v, "input.secret");
			msg = jslice(v, "input.message");
			CHECK(crypto_hmac_sha256(secret.p, secret.len, msg.p,
			    msg.len, mac) == 0);
			CHECK_STR(crypto_base64url_encode(&A, mac, 32),
			    jstr(v, "output.base64urlnopad"));
			CHECK_STR(crypto_base64_encode(&A, mac, 32),
			    jstr(v, "output.base64"));
			CHECK_STR(crypto_hex_encode(&A, mac, 32),
			    jstr(v, "output.hex"));
			b64 = jstr(v, "output.base64");
			CHECK(crypto_hmac_verify_b64(secret, msg,
			    str_c(b64)) == 1);
			CHECK(crypto_hmac_verify_b64(secret, msg,
			    jslice(v, "output.base64urlnopad")) == 1);
			CHECK(crypto_hmac_verify_b64(secret, STR("messagE"),
			    str_c(b64)) == 0);
			handled = 1;
		}
		if (!handled)
			fail_msg("%s/%s: vector shape not handled", cur_kind,
			    cur_id);
	}
}

/*
 * cookie_signature
 */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* decodeURIComponent for the ASCII escapes the vectors use. */
static struct str
pct_decode(struct str in)
{
	char		*o = arena_alloc(&A, in.len + 1);
	size_t		 i, n = 0;

	for (i = 0; i < in.len; i++) {
		if (in.p[i] == '%' && i + 2 < in.len + 0 &&
		    hexval(in.p[i + 1]) >= 0 && hexval(in.p[i + 2]) >= 0) {
			o[n++] = (char)(hexval(in.p[i + 1]) << 4 |
			    hexval(in.p[i + 2]));
			i += 2;
		} else
			o[n++] = in.p[i];
	}
	return ((struct str){ o, n });
}

static struct str
trim(struct str s)
{
	while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return (s);
}

/*
 * The first cookie called name in a Cookie header, unquoted and
 * percent-decoded when it has a '%' (what cookie.c will do); 0 if absent.
 */
static int
cookie_get(const char *header, const char *name, struct str *out)
{
	const char	*p = header, *semi, *eq;
	struct str	 pair, k, val;

	while (*p != '\0') {
		semi = strchr(p, ';');
		pair.p = p;
		pair.len = semi ? (size_t)(semi - p) : strlen(p);
		p = semi ? semi + 1 : p + pair.len;
		pair = trim(pair);
		if ((eq = memchr(pair.p, '=', pair.len)) == NULL)
			continue;
		k = trim((struct str){ pair.p, (size_t)(eq - pair.p) });
		if (!str_eq_c(k, name))
			continue;
		val = trim((struct str){ eq + 1,
		    pair.len - (size_t)(eq - pair.p) - 1 });
		if (val.len >= 2 && val.p[0] == '"' &&
		    val.p[val.len - 1] == '"') {
			val.p++;
			val.len -= 2;
		}
		if (memchr(val.p, '%', val.len) != NULL)
			val = pct_decode(val);
		*out = val;
		return (1);
	}
	return (0);
}

static const char *
read_verdict(int rc)
{
	switch (rc) {
	case CRYPTO_COOKIE_VALID:
		return ("valid");
	case CRYPTO_COOKIE_INVALID:
		return ("invalid");
	case CRYPTO_COOKIE_ABSENT:
		return ("absent");
	}
	return ("?");
}

/*
 * The bearer plugin end to end (protocol.md §3.6): header HMAC check in
 * either alphabet, then the normal signed-cookie reader, then the token
 * lookup.  Returns "session" or "null".
 */
static const char *
bearer_get_session(struct str secret, const char *authz, const char *db_token)
{
	struct str	 tok, signed_value, msg, sig, value;
	const char	*dot;
	char		*s;

	if (strncasecmp(authz, "bearer ", 7) != 0)
		return ("null");
	tok = trim(str_c(authz + 7));
	if ((dot = memchr(tok.p, '.', tok.len)) != NULL) {
		if (memchr(tok.p, '%', tok.len) != NULL)
			tok = pct_decode(tok);
		dot = memchr(tok.p, '.', tok.len);
		msg = (struct str){ tok.p, (size_t)(dot - tok.p) };
		sig = (struct str){ dot + 1, tok.len - msg.len - 1 };
		if (crypto_hmac_verify_b64(secret, msg, sig) != 1)
			return ("null");
		signed_value = tok;
	} else {
		if ((s = crypto_cookie_sign(&A, secret, tok)) == NULL)
			return ("null");
		signed_value = str_c(s);
	}
	if (crypto_cookie_verify(secret, signed_value, &value) !=
	    CRYPTO_COOKIE_VALID)
		return ("null");
	return (str_eq_c(value, db_token) ? "session" : "null");
}

static void
test_cookie_signature_vectors(void **state)
{
	json_object		*arr = kind("cookie_signature"), *v;
	struct crypto_hmac	*h;
	struct str		 secret, value, got, cv;
	unsigned char		 mac[32];
	const char		*s, *sig, *want;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		secret = jslice(v, "input.secret");
		CHECK(secret.p != NULL);
		if (jhas(v, "output.signature")) {
			value = jslice(v, "input.value");
			sig = jstr(v, "output.signature");
			s = crypto_cookie_sign(&A, secret, value);
			CHECK_STR(s, jstr(v, "output.signed_value"));
			CHECK_INT(strlen(sig), CRYPTO_COOKIE_SIG_LEN);
			CHECK_STR(s + value.len + 1, sig);
			CHECK(crypto_hmac_sha256(secret.p, secret.len, value.p,
			    value.len, mac) == 0);
			CHECK_STR(crypto_hex_encode(&A, mac, 32),
			    jstr(v, "output.signature_hex"));
			got = STR_NULL;
			rc = crypto_cookie_verify(secret, str_c(s), &got);
			CHECK_STR(read_verdict(rc), jstr(v, "expect.read"));
			CHECK(str_eq(got, value));
			/* the prepared-key path gives the same */
			h = crypto_hmac_new(secret.p, secret.len);
			CHECK(h != NULL);
			CHECK_STR(crypto_cookie_sign_ctx(&A, h, value), s);
			got = STR_NULL;
			CHECK(crypto_cookie_verify_ctx(h, str_c(s), &got) ==
			    CRYPTO_COOKIE_VALID);
			CHECK(str_eq(got, value));
			crypto_hmac_free(h);
		} else if (jhas(v, "input.cookie_header")) {
			want = jstr(v, "expect.read");
			if (!cookie_get(jstr(v, "input.cookie_header"),
			    jstr(v, "input.cookie_name"), &cv))
				fail_msg("%s/%s: cookie not found", cur_kind,
				    cur_id);
			got = STR_NULL;
			rc = crypto_cookie_verify(secret, cv, &got);
			CHECK_STR(read_verdict(rc), want);
			if (rc == CRYPTO_COOKIE_VALID)
				CHECK(str_eq_c(got, jstr(v, "expect.value")));
			h = crypto_hmac_new(secret.p, secret.len);
			CHECK(h != NULL);
			CHECK_STR(read_verdict(crypto_cookie_verify_ctx(h, cv,
			    NULL)), want);
			crypto_hmac_free(h);
		} else if (jhas(v, "input.authorization")) {
			CHECK_STR(bearer_get_session(secret,
			    jstr(v, "input.authorization"),
			    jstr(v, "input.session_token_in_db")),
			    jstr(v, "expect.get_session"));
		} else
			fail_msg("%s/%s: vector shape not handled", cur_kind,
			    cur_id);
	}
}

static void
test_cookie_edges(void **state)
{
	struct str	 secret = STR("a-very-long-secret-value-for-testing-"
	    "purposes-1234567890");
	struct str	 v;
	const char	*good = "Mzswhm3eXfiqKJxoecQMLedSYDo9q2Ym."
	    "sgBR1fOqOCYVxENtAneVOVj5o9hI+KV1EZwacYEodZk=";
	char		 buf[128];

	(void)state;
	cur_kind = "edge";
	cur_id = "cookie";
	CHECK(crypto_cookie_verify(secret, str_c(good), &v) ==
	    CRYPTO_COOKIE_VALID);
	CHECK(str_eq_c(v, "Mzswhm3eXfiqKJxoecQMLedSYDo9q2Ym"));
	CHECK(crypto_cookie_verify(secret, STR(""), NULL) ==
	    CRYPTO_COOKIE_ABSENT);
	CHECK(crypto_cookie_verify(secret, STR_NULL, NULL) ==
	    CRYPTO_COOKIE_ABSENT);
	CHECK(crypto_cookie_verify(secret, STR("."), NULL) ==
	    CRYPTO_COOKIE_ABSENT);
	/* atob ignores the two unused bits of the last symbol: k -> l */
	snprintf(buf, sizeof(buf), "%s", good);
	buf[strlen(buf) - 2] = 'l';
	CHECK(crypto_cookie_verify(secret, str_c(buf), NULL) ==
	    CRYPTO_COOKIE_VALID);
	buf[strlen(buf) - 2] = 'm';	/* 'k' 100100 -> 'm' 100110 */
	CHECK(crypto_cookie_verify(secret, str_c(buf), NULL) ==
	    CRYPTO_COOKIE_VALID);
	buf[strlen(buf) - 2] = 'o';	/* 101000: a used bit: mismatch */
	CHECK(crypto_cookie_verify(secret, str_c(buf), NULL) ==
	    CRYPTO_COOKIE_INVALID);
	/* "==" ending: 44 chars, atob gives 31 bytes -> invalid */
	snprintf(buf, sizeof(buf), "%s", good);
	buf[strlen(buf) - 2] = '=';
	CHECK(crypto_cookie_verify(secret, str_c(buf), NULL) ==
	    CRYPTO_COOKIE_INVALID);
	/* 44 UTF-16 units but 45 bytes (one 2-byte char): invalid */
	snprintf(buf, sizeof(buf), "x.\xc3\xa9%.42s=",
	    "sgBR1fOqOCYVxENtAneVOVj5o9hI+KV1EZwacYEodZk");
	CHECK(crypto_cookie_verify(secret, str_c(buf), NULL) ==
	    CRYPTO_COOKIE_INVALID);
	/* signature ok but for another value */
	snprintf(buf, sizeof(buf), "X%s", good + 1);
	CHECK(crypto_cookie_verify(secret, str_c(buf), NULL) ==
	    CRYPTO_COOKIE_INVALID);
}

/*
 * password
 */

/* NFKC of a vector password, from the hash vectors (tests cannot NFKC). */
static struct str
nfkc_of(json_object *arr, struct str pw)
{
	json_object	*v;
	size_t		 i;

	if (crypto_is_ascii(pw))
		return (pw);
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = json_object_array_get_idx(arr, i);
		if (jhas(v, "input.password_nfkc") &&
		    str_eq(jslice(v, "input.password"), pw))
			return (jslice(v, "input.password_nfkc"));
	}
	fail_msg("%s/%s: no NFKC form known for this password", cur_kind,
	    cur_id);
	return (STR_NULL);
}

static int
is_lower_hex(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (1);
}

static void
test_password_vectors(void **state)
{
	json_object	*arr = kind("password"), *v, *exp;
	const char	*hash, *salt;
	struct str	 pw;
	size_t		 i;
	int		 want;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		if ((hash = jstr(v, "output.hash")) != NULL) {
			/* made by hashPassword: we must verify it */
			CHECK(jhas(v, "input.password_nfkc"));
			pw = jslice(v, "input.password_nfkc");
			salt = jstr(v, "output.salt");
			CHECK_INT(strlen(salt), 32);
			CHECK(strncmp(hash, salt, 32) == 0 && hash[32] == ':');
			CHECK_STR(hash + 33, jstr(v, "output.key_hex"));
			CHECK_INT(json_object_get_int64(jget(v, "params.N")),
			    16384);
			CHECK_INT(json_object_get_int64(jget(v, "params.r")),
			    16);
			CHECK_INT(json_object_get_int64(jget(v, "params.p")),
			    1);
			CHECK_INT(crypto_password_verify(pw, hash), 1);
		} else if ((hash = jstr(v, "input.hash")) != NULL) {
			pw = nfkc_of(arr, jslice(v, "input.password"));
			exp = jget(v, "expect.verify");
			if (jnull(v, "expect.verify")) {
				/* verifyPassword throws */
				CHECK(jstr(v, "expect.error") != NULL);
				want = -1;
			} else {
				CHECK(exp != NULL);
				want = json_object_get_boolean(exp) ? 1 : 0;
			}
			CHECK_INT(crypto_password_verify(pw, hash), want);
		} else
			fail_msg("%s/%s: vector shape not handled", cur_kind,
			    cur_id);
	}
}

static void
test_password_roundtrip(void **state)
{
	char	*h1 = NULL, *h2 = NULL;

	(void)state;
	cur_kind = "live";
	cur_id = "password";
	CHECK(crypto_password_hash(&A, STR("password123"), &h1) == 0);
	CHECK(h1 != NULL && strlen(h1) == 32 + 1 + 128 && h1[32] == ':');
	CHECK(is_lower_hex(h1, 32) && is_lower_hex(h1 + 33, 128));
	CHECK_INT(crypto_password_verify(STR("password123"), h1), 1);
	CHECK_INT(crypto_password_verify(STR("password12"), h1), 0);
	CHECK(crypto_password_hash(&A, STR("caf\xc3\xa9"), &h2) == 0);
	CHECK(strncmp(h1, h2, 32) != 0);		/* fresh salt */
	CHECK_INT(crypto_password_verify(STR("caf\xc3\xa9"), h2), 1);
	/* malformed stored values need no scrypt */
	CHECK_INT(crypto_password_verify(STR("x"), NULL), -1);
	CHECK_INT(crypto_password_verify(STR("x"), ""), -1);
	CHECK_INT(crypto_password_verify(STR("x"), ":abcd"), -1);
	CHECK_INT(crypto_password_verify(STR("x"), "abcd::x"), -1);
	crypto_password_burn(STR("whatever"));
}

/*
 * symmetric_encryption
 */

/* The secret of a version in a {"1": "...", "2": "..."} object. */
static struct str
secret_of_version(json_object *secrets, uint32_t version)
{
	char	 key[16];

	snprintf(key, sizeof(key), "%lu", (unsigned long)version);
	return (jslice(secrets, key));
}

static void
check_sym_roundtrip(struct str secret, struct str data)
{
	struct str	 back;
	char		*c1, *c2;

	c1 = crypto_symmetric_encrypt(&A, secret, data);
	c2 = crypto_symmetric_encrypt(&A, secret, data);
	CHECK(c1 != NULL && c2 != NULL);
	CHECK_INT(strlen(c1), 2 * (24 + data.len + 16));
	CHECK(is_lower_hex(c1, strlen(c1)));
	CHECK(strcmp(c1, c2) != 0);			/* fresh nonce */
	CHECK(crypto_symmetric_decrypt(&A, secret, str_c(c1), &back) == 0);
	CHECK_MEM(back.p, back.len, data.p, data.len);
	CHECK(back.p[back.len] == '\0');
}

static void
test_symmetric_vectors(void **state)
{
	json_object	*arr = kind("symmetric_encryption"), *v, *secrets;
	json_object	*also, *a1, *lit;
	struct str	 secret, ct, plain, hex, s2;
	unsigned char	 key[32];
	uint32_t	 ver;
	size_t		 i, j;
	char		*c, *joined;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		if ((secrets = jget(v, "input.secrets")) != NULL) {
			/* versioned secrets: $ba$<v>$<hex> */
			ct = jslice(v, "output.ciphertext");
			CHECK(crypto_envelope_parse(ct, &ver, &hex) == 1);
			CHECK_INT(ver, json_object_get_int64(jget(v,
			    "input.current_version")));
			secret = secret_of_version(secrets, ver);
			CHECK(secret.p != NULL);
			CHECK(crypto_sha256(secret.p, secret.len, key) == 0);
			CHECK_STR(crypto_hex_encode(&A, key, 32),
			    jstr(v, "output.key_sha256_hex"));
			CHECK(crypto_symmetric_decrypt(&A, secret, hex,
			    &plain) == 0);
			CHECK(str_eq_c(plain, jstr(v, "expect.decrypt")));
			also = jget(v, "expect.also_decrypts");
			CHECK(also != NULL &&
			    json_object_array_length(also) > 0);
			for (j = 0; j < json_object_array_length(also); j++) {
				a1 = json_object_array_get_idx(also, j);
				ct = jslice(a1, "ciphertext");
				if (crypto_envelope_parse(ct, &ver, &hex) == 1)
					s2 = secret_of_version(secrets, ver);
				else {
					s2 = jslice(v, "input.legacy_secret");
					hex = ct;
				}
				CHECK(crypto_symmetric_decrypt(&A, s2, hex,
				    &plain) == 0);
				CHECK(str_eq_c(plain, jstr(a1, "decrypt")));
			}
			/* our own envelope */
			c = crypto_symmetric_encrypt_envelope(&A, 7, secret,
			    jslice(v, "input.data"));
			CHECK(c != NULL && strncmp(c, "$ba$7$", 6) == 0);
			CHECK(crypto_envelope_parse(str_c(c), &ver, &hex) == 1);
			CHECK_INT(ver, 7);
			CHECK(crypto_symmetric_decrypt(&A, secret, hex,
			    &plain) == 0);
			CHECK(str_eq(plain, jslice(v, "input.data")));
			continue;
		}
		secret = jslice(v, "input.secret");
		CHECK(secret.p != NULL);
		if (jhas(v, "input.derived_from")) {
			CHECK_STR(crypto_purpose_secret(&A,
			    jslice(v, "input.derived_from.secret"),
			    jstr(v, "input.derived_from.purpose")),
			    secret.p);
		}
		if (jhas(v, "output.key_sha256_hex")) {
			CHECK(crypto_sha256(secret.p, secret.len, key) == 0);
			CHECK_STR(crypto_hex_encode(&A, key, 32),
			    jstr(v, "output.key_sha256_hex"));
		}
		if (jhas(v, "output.jwks_row.privateKey")) {
			/* the column holds a JSON string literal of the hex */
			lit = json_tokener_parse(jstr(v,
			    "output.jwks_row.privateKey"));
			CHECK(lit != NULL &&
			    json_object_is_type(lit, json_type_string));
			CHECK_STR(json_object_get_string(lit),
			    jstr(v, "output.ciphertext"));
			json_object_put(lit);
		}
		if (jhas(v, "expect.decrypt") &&
		    jstr(v, "expect.decrypt") != NULL) {
			ct = jslice(v, "output.ciphertext");
			joined = arena_printf(&A, "%s%s%s",
			    jstr(v, "output.nonce_hex"),
			    jstr(v, "output.sealed_hex"),
			    jstr(v, "output.tag_hex"));
			CHECK_STR(joined, ct.p);
			CHECK(crypto_symmetric_decrypt(&A, secret, ct,
			    &plain) == 0);
			CHECK(str_eq(plain, jslice(v, "expect.decrypt")));
			if (jhas(v, "input.data"))
				check_sym_roundtrip(secret,
				    jslice(v, "input.data"));
		} else if (jhas(v, "input.ciphertext")) {
			CHECK(jnull(v, "expect.decrypt"));
			CHECK(crypto_symmetric_decrypt(&A, secret,
			    jslice(v, "input.ciphertext"), &plain) == -1);
		} else
			fail_msg("%s/%s: vector shape not handled", cur_kind,
			    cur_id);
	}
}

/* several secrets, newest first (secret rotation) */
static void
test_secrets_rotation(void **state)
{
	static const char *const old = "old-secret-0123456789abcdefghijklmnopqrstuv";
	static const char *const mid = "mid-secret-0123456789abcdefghijklmnopqrstuv";
	static const char *const new = "new-secret-0123456789abcdefghijklmnopqrstuv";
	struct crypto_secrets	 one, two, ver, gone;
	struct str		 plain, hex;
	uint32_t		 v;
	char			*c_old, *c_new, *c_env;
	int			 which;

	(void)state;
	cur_kind = "edge";
	cur_id = "secrets";
	memset(&one, 0, sizeof(one));
	one.n = 1;
	one.s[0].value = old;
	one.s[0].version = -1;
	two = one;
	two.n = 2;
	two.s[0].value = new;
	two.s[1].value = old;
	two.s[1].version = -1;
	/* written under the old secret, opened by the list with it second */
	c_old = crypto_secrets_encrypt(&A, &one, STR("payload"));
	CHECK(c_old != NULL && crypto_envelope_parse(str_c(c_old), &v, &hex) == 0);
	CHECK(crypto_secrets_decrypt(&A, &two, str_c(c_old), &plain, &which) ==
	    0 && which == 1 && str_eq_c(plain, "payload"));
	CHECK(crypto_secrets_is_current(&two, str_c(c_old), which) == 0);
	/* new rows use the newest */
	c_new = crypto_secrets_encrypt(&A, &two, STR("payload"));
	CHECK(crypto_secrets_decrypt(&A, &two, str_c(c_new), &plain, &which) ==
	    0 && which == 0);
	CHECK(crypto_secrets_is_current(&two, str_c(c_new), which) == 1);
	CHECK(crypto_secrets_decrypt(&A, &one, str_c(c_new), &plain, NULL) ==
	    -1);
	/* versioned, as Better Auth's secrets: an envelope with the version */
	memset(&ver, 0, sizeof(ver));
	ver.n = 3;
	ver.s[0].value = new;
	ver.s[0].version = 3;
	ver.s[1].value = mid;
	ver.s[1].version = 2;
	ver.s[2].value = old;
	ver.s[2].version = -1;
	c_env = crypto_secrets_encrypt(&A, &ver, STR("payload"));
	CHECK(c_env != NULL && strncmp(c_env, "$ba$3$", 6) == 0);
	CHECK(crypto_symmetric_decrypt(&A, STR("new-secret-0123456789abcdefghijklmnopqrstuv"),
	    str_c(c_env + 6), &plain) == 0 && str_eq_c(plain, "payload"));
	CHECK(crypto_secrets_decrypt(&A, &ver, str_c(c_env), &plain, &which) ==
	    0 && which == 0 && crypto_secrets_is_current(&ver, str_c(c_env),
	    which) == 1);
	/* bare hex: the unversioned (legacy) secret opens it, not current */
	CHECK(crypto_secrets_decrypt(&A, &ver, str_c(c_old), &plain, &which) ==
	    0 && which == 2 && crypto_secrets_is_current(&ver, str_c(c_old),
	    which) == 0);
	/* bare hex under the newest, but the newest is versioned: rewrite */
	CHECK(crypto_secrets_decrypt(&A, &ver, str_c(c_new), &plain, &which) ==
	    0 && which == 0 && crypto_secrets_is_current(&ver, str_c(c_new),
	    which) == 0);
	/* a removed secret no longer opens anything */
	memset(&gone, 0, sizeof(gone));
	gone.n = 1;
	gone.s[0].value = new;
	gone.s[0].version = 3;
	CHECK(crypto_secrets_decrypt(&A, &gone, str_c(c_old), &plain, NULL) ==
	    -1);
	CHECK(crypto_secrets_decrypt(&A, &gone, str_c(arena_printf(&A,
	    "$ba$2$%s", c_new)), &plain, NULL) == -1);
}

static void
test_symmetric_edges(void **state)
{
	struct str	 secret =
	    STR("peer-fixed-secret-9f3c1b7e2a4d6f8h0j2k4m6n8p0r2t4v6x8z");
	struct str	 hex, plain;
	uint32_t	 ver;
	char		*c, *u;
	size_t		 i;

	(void)state;
	cur_kind = "edge";
	cur_id = "envelope";
	CHECK(crypto_envelope_parse(STR("abcdef"), &ver, &hex) == 0);
	CHECK(crypto_envelope_parse(STR("$ba$"), &ver, &hex) == 0);
	CHECK(crypto_envelope_parse(STR("$ba$1"), &ver, &hex) == 0);
	CHECK(crypto_envelope_parse(STR("$ba$x$ff"), &ver, &hex) == 0);
	CHECK(crypto_envelope_parse(STR("$ba$$ff"), &ver, &hex) == 0);
	CHECK(crypto_envelope_parse(STR("$ba$-1$ff"), &ver, &hex) == 0);
	CHECK(crypto_envelope_parse(STR("$ba$12ab$ff"), &ver, &hex) == 1 &&
	    ver == 12 && str_eq_c(hex, "ff"));
	CHECK(crypto_envelope_parse(STR("$ba$-0$"), &ver, &hex) == 1 &&
	    ver == 0 && hex.len == 0);
	cur_id = "symmetric";
	c = crypto_symmetric_encrypt(&A, secret, STR_NULL);
	CHECK(c != NULL && strlen(c) == 80);
	CHECK(crypto_symmetric_decrypt(&A, secret, str_c(c), &plain) == 0 &&
	    plain.len == 0);
	/* upper-case hex decrypts, as @noble hexToBytes accepts it */
	u = arena_strdup(&A, c);
	for (i = 0; u[i] != '\0'; i++)
		if (u[i] >= 'a' && u[i] <= 'f')
			u[i] = (char)(u[i] - 'a' + 'A');
	CHECK(crypto_symmetric_decrypt(&A, secret, str_c(u), &plain) == 0);
	CHECK(crypto_symmetric_decrypt(&A, secret, STR("0"), &plain) == -1);
	CHECK(crypto_symmetric_decrypt(&A, secret, STR(""), &plain) == -1);
	CHECK(crypto_symmetric_decrypt(&A, STR("other"), str_c(c),
	    &plain) == -1);
}

/*
 * verification_jwt
 */

/* GET /verify-email's verdict for a token at time now (protocol.md §4.4). */
static const char *
verify_email_result(struct str secret, struct str token, int64_t now)
{
	json_object	*hdr, *pl, *alg, *exp;
	struct str	 h, p;
	const char	*res = "INVALID_TOKEN";

	if (crypto_jwt_hs256_verify(&A, secret, token, &h, &p) != 1)
		return (res);
	hdr = json_tokener_parse(h.p);
	pl = json_tokener_parse(p.p);
	if (hdr == NULL || pl == NULL ||
	    !json_object_object_get_ex(hdr, "alg", &alg) ||
	    strcmp(json_object_get_string(alg), "HS256") != 0)
		goto done;
	if (json_object_object_get_ex(pl, "exp", &exp) &&
	    json_object_get_int64(exp) <= now)
		res = "TOKEN_EXPIRED";
	else
		res = "valid";
 done:
	json_object_put(hdr);
	json_object_put(pl);
	return (res);
}

static void
test_verification_jwt_vectors(void **state)
{
	json_object	*arr = kind("verification_jwt"), *v, *checks, *c;
	struct str	 secret, token, h, p;
	const char	*si;
	char		*t;
	size_t		 i, j;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		secret = jslice(v, "input.secret");
		token = jslice(v, "output.token");
		CHECK(secret.p != NULL && token.p != NULL);
		if (jhas(v, "output.header_json")) {
			t = crypto_jwt_hs256_sign(&A, secret,
			    jslice(v, "output.header_json"),
			    jslice(v, "output.payload_json"));
			CHECK_STR(t, token.p);
			si = jstr(v, "output.signing_input");
			CHECK(t != NULL && strncmp(t, si, strlen(si)) == 0);
			CHECK_STR(t + strlen(si) + 1,
			    jstr(v, "output.signature_b64url"));
			CHECK_INT(crypto_jwt_hs256_verify(&A, secret, token, &h,
			    &p), 1);
			CHECK(str_eq(h, jslice(v, "output.header_json")));
			CHECK(str_eq(p, jslice(v, "output.payload_json")));
		}
		checks = jget(v, "expect.checks");
		CHECK(checks != NULL && json_object_array_length(checks) > 0);
		for (j = 0; j < json_object_array_length(checks); j++) {
			c = json_object_array_get_idx(checks, j);
			CHECK_STR(verify_email_result(secret, token,
			    json_object_get_int64(jget(c, "at_unix"))),
			    jstr(c, "result"));
		}
	}
	cur_kind = "edge";
	cur_id = "jwt-malformed";
	secret = STR("k");
	CHECK_INT(crypto_jwt_hs256_verify(&A, secret, STR("a.b"), NULL,
	    NULL), -1);
	CHECK_INT(crypto_jwt_hs256_verify(&A, secret, STR("a.b.c.d"), NULL,
	    NULL), -1);
	CHECK_INT(crypto_jwt_hs256_verify(&A, secret, STR(""), NULL, NULL),
	    -1);
	CHECK_INT(crypto_jwt_hs256_verify(&A, secret, STR("e30.e30."), NULL,
	    NULL), 0);
}

/*
 * otp_hash
 */

static void
test_otp_hash_vectors(void **state)
{
	json_object	*arr = kind("otp_hash"), *v, *rows;
	struct str	 otp, stored;
	unsigned char	 md[32];
	const char	*h;
	size_t		 i;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		otp = jslice(v, "input.otp");
		CHECK(otp.p != NULL);
		if (jhas(v, "output.stored")) {
			h = crypto_sha256_base64url(&A, otp);
			CHECK_STR(h, jstr(v, "output.stored"));
			CHECK_INT(strlen(h), 43);
			CHECK(crypto_sha256(otp.p, otp.len, md) == 0);
			CHECK_STR(crypto_hex_encode(&A, md, 32),
			    jstr(v, "output.sha256_hex"));
			CHECK_STR(arena_printf(&A, "%s:0", h),
			    jstr(v, "output.verification_value_new"));
			CHECK(crypto_otp_verify_hashed(otp,
			    jslice(v, "output.stored")) ==
			    json_object_get_boolean(jget(v,
			    "expect.verify_same")));
		} else if (jhas(v, "input.stored")) {
			CHECK(crypto_otp_verify_hashed(otp,
			    jslice(v, "input.stored")) ==
			    json_object_get_boolean(jget(v, "expect.verify")));
		} else if ((rows = jget(v, "output.rows")) != NULL) {
			h = crypto_sha256_base64url(&A, otp);
			stored = str_c(arena_printf(&A, "%s:0", h));
			CHECK(str_eq_c(stored, jstr(v, "expect.stored")));
			CHECK_STR(jstr(json_object_array_get_idx(rows, 0),
			    "value"), stored.p);
			CHECK_STR(jstr(json_object_array_get_idx(rows, 1),
			    "value"), arena_printf(&A, "%s:1", h));
			CHECK(crypto_otp_verify_hashed(otp,
			    (struct str){ h, strlen(h) }) == 1);
		} else
			fail_msg("%s/%s: vector shape not handled", cur_kind,
			    cur_id);
	}
}

/*
 * session_data
 */

/*
 * better-auth/cookies getCookieCache on one (joined) cookie value at
 * now_ms with the configured version: "valid" or "null" (protocol.md §3.4).
 */
static const char *
cache_read(struct str secret, struct str value, int64_t now_ms,
    const char *version)
{
	json_object	*root, *sess, *exp, *sig, *ver;
	struct str	 json, msg;
	const char	*res = "null";

	if (crypto_base64_decode_ba(&A, value, &json) == -1)
		return (res);
	if ((root = json_tokener_parse(json.p)) == NULL)
		return (res);
	if (!json_object_object_get_ex(root, "session", &sess) ||
	    !json_object_is_type(sess, json_type_object) ||
	    !json_object_object_get_ex(root, "expiresAt", &exp) ||
	    !json_object_object_get_ex(root, "signature", &sig) ||
	    !json_object_is_type(sig, json_type_string))
		goto done;
	/* JSON.stringify({...session, expiresAt}), in the received order */
	json_object_object_add(sess, "expiresAt",
	    json_object_new_int64(json_object_get_int64(exp)));
	msg = str_c(json_object_to_json_string_ext(sess,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (crypto_hmac_verify_b64(secret, msg,
	    str_c(json_object_get_string(sig))) != 1)
		goto done;
	if (json_object_get_int64(exp) < now_ms)
		goto done;
	if (!json_object_object_get_ex(sess, "version", &ver) ||
	    strcmp(json_object_get_string(ver), version) != 0)
		goto done;
	res = "valid";
 done:
	json_object_put(root);
	return (res);
}

/* The value of the first Set-Cookie/Cookie pair "name=value". */
static struct str
pair_value(const char *s)
{
	const char	*eq = strchr(s, '='), *semi;

	if (eq == NULL)
		return (STR_NULL);
	semi = strchr(eq, ';');
	return ((struct str){ eq + 1,
	    semi ? (size_t)(semi - eq - 1) : strlen(eq + 1) });
}

static void
test_session_data_vectors(void **state)
{
	json_object	*arr = kind("session_data"), *v, *checks, *c;
	struct str	 secret, sdj, hm, cookie;
	unsigned char	 mac[32];
	const char	*version, *sig;
	int64_t		 expires;
	size_t		 i, j;
	char		*s;

	(void)state;
	for (i = 0; i < json_object_array_length(arr); i++) {
		v = vec(arr, i);
		secret = jslice(v, "input.secret");
		CHECK(secret.p != NULL);
		version = jstr(v, "input.version");
		if (version == NULL)
			version = jstr(v, "input.cookie_cache.version");
		if (version == NULL)
			version = "1";
		if (jhas(v, "output.hmac_message")) {
			hm = jslice(v, "output.hmac_message");
			sig = jstr(v, "output.signature");
			CHECK(crypto_hmac_sha256(secret.p, secret.len, hm.p,
			    hm.len, mac) == 0);
			CHECK_STR(crypto_base64url_encode(&A, mac, 32), sig);
			if (jhas(v, "output.signature_hex"))
				CHECK_STR(crypto_hex_encode(&A, mac, 32),
				    jstr(v, "output.signature_hex"));
			if (jhas(v, "output.session_data_json")) {
				sdj = jslice(v, "output.session_data_json");
				expires = json_object_get_int64(jget(v,
				    "output.expires_at_ms"));
				s = arena_printf(&A, "%.*s,\"expiresAt\":%lld}",
				    (int)sdj.len - 1, sdj.p,
				    (long long)expires);
				CHECK_STR(s, hm.p);
				s = arena_printf(&A, "{\"session\":%s,"
				    "\"expiresAt\":%lld,\"signature\":\"%s\"}",
				    sdj.p, (long long)expires, sig);
				CHECK_STR(s, jstr(v, "output.cookie_json"));
			}
			if (jhas(v, "output.cookie_value")) {
				cookie = jslice(v, "output.cookie_value");
			} else {
				/* e2e: the session_data Set-Cookie */
				c = json_object_array_get_idx(jget(v,
				    "output.set_cookie"), 1);
				CHECK(c != NULL && strncmp(
				    json_object_get_string(c),
				    "better-auth.session_data=", 25) == 0);
				cookie = pair_value(json_object_get_string(c));
			}
			s = crypto_base64url_encode(&A,
			    jstr(v, "output.cookie_json"),
			    strlen(jstr(v, "output.cookie_json")));
			CHECK_STR(s, arena_strndup(&A, cookie.p, cookie.len));
			checks = jget(v, "expect.getCookieCache");
			for (j = 0; checks != NULL &&
			    j < json_object_array_length(checks); j++) {
				c = json_object_array_get_idx(checks, j);
				CHECK_STR(cache_read(secret, cookie,
				    json_object_get_int64(jget(c, "at_ms")),
				    version), jstr(c, "result"));
			}
			if (checks == NULL) {
				CHECK_STR(jstr(v, "expect.get_session"),
				    "session");
				CHECK_STR(cache_read(secret, cookie,
				    json_object_get_int64(jget(v,
				    "expect.get_session_at_ms")), version),
				    "valid");
			}
		} else if (jhas(v, "input.cookie_header")) {
			cookie = pair_value(jstr(v, "input.cookie_header"));
			CHECK_STR(cache_read(secret, cookie,
			    json_object_get_int64(jget(v, "input.at_ms")),
			    version), jstr(v, "expect.getCookieCache"));
		} else
			fail_msg("%s/%s: vector shape not handled", cur_kind,
			    cur_id);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vectors_present, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sha256_hmac_known, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hkdf_known, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_xchacha_known, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_base64_edges, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_random_string_vectors,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_live, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_encoding_vectors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cookie_signature_vectors,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_edges, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_password_vectors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_password_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symmetric_vectors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secrets_rotation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symmetric_edges, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verification_jwt_vectors,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_hash_vectors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_session_data_vectors,
		    setup, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	/* the daemon's allocation path: scrypt's buffer from the kept mapping */
	if (crypto_preinit() != 0)
		fprintf(stderr, "# crypto_preinit: OpenSSL had allocated already\n");
	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
