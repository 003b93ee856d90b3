/*
 * crypto.h -- the only module that talks to OpenSSL 3: random identifiers,
 * base64/hex codecs, SHA-256, HMAC-SHA256, Better Auth signed cookies,
 * scrypt password hashes, XChaCha20-Poly1305 symmetricEncrypt, HKDF and
 * HS256 JWS, all byte-compatible with better-auth 1.7.25 (protocol.md §3.2,
 * §3.4, §4; golden vectors in tests/vectors/).
 *
 * Conventions:
 *  - Strings produced here are NUL-terminated and allocated in the
 *    caller's arena; decoders return a struct str whose bytes are followed
 *    by a NUL (not counted in len) so decoded text can be used as a C string.
 *  - Functions returning int use 0 = success, -1 = failure, unless the
 *    contract says otherwise (verifiers return 1 = match, 0 = mismatch).
 *  - Internal OpenSSL failures are logged with log_err(); bad input is not
 *    logged, only reported.
 *  - Secrets are wiped from stack buffers with OPENSSL_cleanse().
 *  - Algorithm handles are fetched once per process (crypto_init(), or
 *    lazily on first use) and are not thread-safe to initialise: call
 *    crypto_init() before starting threads.  Fetched handles survive fork().
 */
#ifndef NEON_AUTHD_CRYPTO_H
#define NEON_AUTHD_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

#define CRYPTO_SHA256_LEN		32
#define CRYPTO_COOKIE_SIG_LEN		44	/* padded base64 of 32 B */
#define CRYPTO_XCHACHA_KEY_LEN		32
#define CRYPTO_XCHACHA_NONCE_LEN	24
#define CRYPTO_XCHACHA_TAG_LEN		16
#define CRYPTO_ID_LEN			32	/* session tokens, ids */

/* Alphabets of Better Auth's generators, in its order (protocol.md §4.2). */
#define CRYPTO_ALPHABET_ID \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define CRYPTO_ALPHABET_STATE \
	"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
#define CRYPTO_ALPHABET_LOWER_ALNUM \
	"0123456789abcdefghijklmnopqrstuvwxyz"
#define CRYPTO_ALPHABET_DIGITS	"0123456789"

/* crypto_base64_encode_flags() flags */
#define CRYPTO_B64_URL		0x01	/* '-' '_', not '+' '/' */
#define CRYPTO_B64_NOPAD	0x02	/* no trailing '=' */

/* crypto_cookie_verify() results */
#define CRYPTO_COOKIE_VALID	1
#define CRYPTO_COOKIE_INVALID	0	/* well-formed, MAC mismatch */
#define CRYPTO_COOKIE_ABSENT	(-1)	/* malformed: as no cookie */

struct crypto_hmac;

/*
 * crypto_preinit: first thing in main(), before anything allocates through
 * OpenSSL: route its allocations of 16 MiB and more (scrypt's 32 MiB
 * buffer) to one mapping per process that is kept between hashes and
 * advised to use transparent huge pages.  Returns 0, or -1 when OpenSSL
 * had already allocated (then crypto_init keeps the buffer in the heap).
 */
int		 crypto_preinit(void);
/*
 * crypto_scrypt_buffer: scrypt's buffer for the hashes that follow is
 * [p, p + cap) (a slot of the pool's shared mapping, lib/hashgate.c)
 * instead of the process's own mapping; NULL goes back to that.  Only
 * with the allocation hook (crypto_scrypt_hooked); one hash at a time.
 */
void		 crypto_scrypt_buffer(void *p, size_t cap);
/* crypto_scrypt_hooked: crypto_preinit's hook is in place */
int		 crypto_scrypt_hooked(void);
/* the bytes one scrypt hash's buffer takes, with room to spare */
#define CRYPTO_SCRYPT_BUFFER	((size_t)33 << 20)
/*
 * crypto_init: fetch the OpenSSL algorithms used here (HMAC, SHA-256,
 * SCRYPT, HKDF, ChaCha20-Poly1305).  Idempotent; other functions call it
 * lazily.  Returns 0, or -1 if a provider lacks one (logged).
 */
int		 crypto_init(void);
/* crypto_cleanup: release what crypto_init() fetched. */
void		 crypto_cleanup(void);

/*
 * crypto_random_bytes: fill buf with n bytes from the OpenSSL CSPRNG.
 * Returns 0, or -1 (logged; buf is then zeroed).
 */
int		 crypto_random_bytes(void *buf, size_t n);

/*
 * crypto_random_string: len characters drawn uniformly from alphabet
 * (1..256 distinct bytes) by rejection sampling, exactly as Better Auth's
 * generateRandomString: random bytes are drawn 2*len at a time, a byte b is
 * kept iff b < floor(256/n)*n and gives alphabet[b % n].
 * Returns a NUL-terminated string in a, or NULL on RNG failure or a bad
 * argument (len 0, empty or oversized alphabet).
 */
char		*crypto_random_string(struct arena *a, size_t len,
		    const char *alphabet);

/*
 * crypto_random_string_from: as crypto_random_string, drawing bytes from
 * source(arg, buf, n) instead of the CSPRNG (tests feed fixed bytes).
 * source returns 0 or -1; on -1 the result is NULL.
 */
char		*crypto_random_string_from(struct arena *a, size_t len,
		    const char *alphabet,
		    int (*source)(void *arg, void *buf, size_t n), void *arg);

/* crypto_random_id: 32 chars of CRYPTO_ALPHABET_ID (tokens, ids); NULL on
 * RNG failure. */
char		*crypto_random_id(struct arena *a);

/*
 * Encoders: the result is NUL-terminated in a; NULL only when n is so
 * large (> SIZE_MAX / 2) that the output size would overflow.
 * crypto_base64_encode: standard alphabet, '=' padded.
 * crypto_base64url_encode: URL alphabet, no padding (JWS, cookie cache).
 * crypto_base64_encode_flags: any combination of CRYPTO_B64_* flags.
 * crypto_hex_encode: lowercase hex.
 */
char		*crypto_base64_encode(struct arena *a, const void *buf,
		    size_t n);
char		*crypto_base64url_encode(struct arena *a, const void *buf,
		    size_t n);
char		*crypto_base64_encode_flags(struct arena *a,
		    const void *buf, size_t n, int flags);
char		*crypto_hex_encode(struct arena *a, const void *buf,
		    size_t n);

/*
 * Strict decoders (for data neon-authd wrote itself).  On success *out
 * holds the bytes in a (NUL-terminated) and 0 is returned; -1 on any
 * invalid input, *out untouched.
 * crypto_base64_decode: standard alphabet, length % 4 == 0, 0-2 '=' at the
 * end only, canonical (unused bits zero).
 * crypto_base64url_decode: URL alphabet, no '=', canonical.
 * crypto_hex_decode: even length, either case (as @noble hexToBytes).
 */
int		 crypto_base64_decode(struct arena *a, struct str in,
		    struct str *out);
int		 crypto_base64url_decode(struct arena *a, struct str in,
		    struct str *out);
int		 crypto_hex_decode(struct arena *a, struct str in,
		    struct str *out);

/*
 * crypto_base64_decode_ba: @better-auth/utils base64.decode, used by
 * Better Auth to check HMACs (cookie cache signature, bearer header): the
 * URL alphabet is chosen iff the input contains '-' or '_', decoding stops
 * at the first '=', any other byte outside the alphabet fails, leftover
 * bits are dropped, no length check.  Same out/return contract as above.
 */
int		 crypto_base64_decode_ba(struct arena *a, struct str in,
		    struct str *out);

/*
 * crypto_base64_decode_atob: WHATWG forgiving-base64 decode (atob()):
 * ASCII whitespace removed, 1-2 '=' removed when length % 4 == 0,
 * length % 4 == 1 fails, standard alphabet only, leftover bits dropped.
 * With url != 0 '-' and '_' are accepted too (what jose does).
 */
int		 crypto_base64_decode_atob(struct arena *a, struct str in,
		    int url, struct str *out);

/* crypto_sha256: out = SHA-256(buf).  Returns 0 or -1 (logged). */
int		 crypto_sha256(const void *buf, size_t n,
		    unsigned char out[CRYPTO_SHA256_LEN]);

/*
 * crypto_sha256_base64url: base64url_nopad(SHA-256(s)), 43 characters, in
 * a: email-OTP "hashed" storage, PKCE S256 code_challenge, hashed
 * verification identifiers (protocol.md §4.7).  NULL on failure (logged).
 */
char		*crypto_sha256_base64url(struct arena *a, struct str s);

/*
 * crypto_otp_verify_hashed: 1 if base64url_nopad(SHA-256(otp)) equals
 * stored (constant time over the hash), else 0.
 */
int		 crypto_otp_verify_hashed(struct str otp, struct str stored);

/* crypto_hmac_sha256: out = HMAC-SHA256(key, msg).  Returns 0 or -1. */
int		 crypto_hmac_sha256(const void *key, size_t keylen,
		    const void *msg, size_t msglen,
		    unsigned char out[CRYPTO_SHA256_LEN]);

/*
 * struct crypto_hmac: an HMAC-SHA256 key schedule prepared once per secret
 * (worker start) and reused for every request; each use works on a
 * duplicate, so one context may serve any number of calls.
 * crypto_hmac_new copies nothing the caller must keep; returns NULL on
 * failure (logged).  crypto_hmac_free accepts NULL.
 */
struct crypto_hmac	*crypto_hmac_new(const void *key, size_t keylen);
void			 crypto_hmac_free(struct crypto_hmac *h);
/*
 * crypto_hmac_sign: out = HMAC-SHA256(h's key, msg).  Returns 0 or -1.
 * A NULL h (failed crypto_hmac_new) is an error here and makes every
 * *_ctx function below fail closed.
 */
int		 crypto_hmac_sign(const struct crypto_hmac *h,
		    const void *msg, size_t msglen,
		    unsigned char out[CRYPTO_SHA256_LEN]);

/*
 * crypto_hmac_verify_b64 / _ctx: what @better-auth/utils
 * createHMAC("SHA-256").verify does with a base64 signature (bearer header
 * check, cookie cache): sig is decoded by crypto_base64_decode_ba() rules
 * (either alphabet, padding optional) and compared in constant time.
 * Returns 1 on match, 0 otherwise (including undecodable sig).
 */
int		 crypto_hmac_verify_b64(struct str secret, struct str msg,
		    struct str sig);
int		 crypto_hmac_verify_b64_ctx(const struct crypto_hmac *h,
		    struct str msg, struct str sig);

/*
 * crypto_memeq: 1 if the n bytes at a and b are equal, else 0, in time
 * independent of the contents.  crypto_str_eq: same for slices (the
 * lengths themselves are not hidden).
 */
int		 crypto_memeq(const void *a, const void *b, size_t n);
int		 crypto_str_eq(struct str a, struct str b);

/*
 * crypto_cookie_sign: Better Auth signed-cookie value (protocol.md §3.2):
 * "<value>.<base64 std padded HMAC-SHA256(UTF-8(secret), value)>", not
 * URL-encoded (cookie.c encodes).  In a; NULL on failure (logged).
 * crypto_cookie_sign_ctx: same with a prepared key.
 */
char		*crypto_cookie_sign(struct arena *a, struct str secret,
		    struct str value);
char		*crypto_cookie_sign_ctx(struct arena *a,
		    const struct crypto_hmac *h, struct str value);

/*
 * crypto_cookie_verify: better-call getSignedCookie on an already
 * percent-decoded, unquoted cookie value: split at the last '.'; no '.' at
 * index >= 1, or a signature part that is not 44 UTF-16 units ending in
 * '=' -> CRYPTO_COOKIE_ABSENT; a signature atob() rejects or that does not
 * match (constant-time compare) -> CRYPTO_COOKIE_INVALID; else
 * CRYPTO_COOKIE_VALID and *value_out (may be NULL) is the part before the
 * '.', borrowed from signed_value.
 * crypto_cookie_verify_ctx: same with a prepared key.
 */
int		 crypto_cookie_verify(struct str secret,
		    struct str signed_value, struct str *value_out);
int		 crypto_cookie_verify_ctx(const struct crypto_hmac *h,
		    struct str signed_value, struct str *value_out);

/*
 * crypto_is_ascii: 1 if every byte is < 0x80.  NFKC is the identity on
 * ASCII, so such passwords need no normalisation.
 */
int		 crypto_is_ascii(struct str s);

/*
 * crypto_password_hash: Better Auth hashPassword (protocol.md §4.1):
 * scrypt(P = password, S = ASCII of a fresh 32-char lowercase hex salt,
 * N=16384, r=16, p=1, dkLen=64), stored as "<salt>:<128 hex key>".  The
 * password must already be NFKC-normalised UTF-8 (see crypto_is_ascii).
 * *out is allocated in a.  Returns 0, or -1 (logged).  Uses 32 MiB.
 */
int		 crypto_password_hash(struct arena *a, struct str password,
		    char **out);

/*
 * crypto_password_is_bcrypt: stored is a bcrypt hash ($2a$, $2b$, $2y$),
 * as imported from Supabase Auth; crypto_password_verify checks those too
 * (through crypt_r), and a successful sign-in rehashes them to scrypt.
 */
int		 crypto_password_is_bcrypt(const char *stored);

/*
 * crypto_password_verify: Better Auth verifyPassword: stored is split on
 * ':' (fields after the second are ignored); an empty salt or key part, or
 * no ':', is malformed.  The key part must equal the lowercase hex of the
 * recomputed key (constant-time compare), so an upper-cased or truncated
 * key does not match.  Returns 1 match, 0 mismatch, -1 malformed or
 * internal failure (logged).  password as for crypto_password_hash.
 */
int		 crypto_password_verify(struct str password,
		    const char *stored);

/*
 * crypto_password_burn: run one scrypt with the production parameters and
 * discard it, so a sign-in for an unknown user costs what a real verify
 * costs (protocol.md §4.1).
 */
void		 crypto_password_burn(struct str password);

/*
 * crypto_hchacha20: HChaCha20 (draft-irtf-cfrg-xchacha §2.2) subkey
 * derivation.  Cannot fail.
 */
void		 crypto_hchacha20(const unsigned char key[32],
		    const unsigned char nonce[16], unsigned char out[32]);

/*
 * crypto_xchacha20poly1305_seal: XChaCha20-Poly1305 AEAD encryption;
 * out receives inlen bytes of ciphertext then the 16-byte tag (out must
 * hold inlen + 16).  Returns 0 or -1 (logged).
 * crypto_xchacha20poly1305_open: inverse; in is ciphertext || tag
 * (inlen >= 16), out receives inlen - 16 bytes.  Returns 0, or -1 when the
 * tag does not verify (out is then wiped) or on failure.
 */
int		 crypto_xchacha20poly1305_seal(const unsigned char key[32],
		    const unsigned char nonce[24], const void *aad,
		    size_t aadlen, const void *in, size_t inlen,
		    unsigned char *out);
int		 crypto_xchacha20poly1305_open(const unsigned char key[32],
		    const unsigned char nonce[24], const void *aad,
		    size_t aadlen, const void *in, size_t inlen,
		    unsigned char *out);

/*
 * crypto_symmetric_encrypt: Better Auth symmetricEncrypt({key: secret,
 * data}) (protocol.md §4.6): key = SHA-256(UTF-8(secret)), random 24-byte
 * nonce, no AAD, result = lowercase hex(nonce || ciphertext || tag) in a.
 * NULL on failure (logged).
 */
char		*crypto_symmetric_encrypt(struct arena *a,
		    struct str secret, struct str plaintext);

/*
 * crypto_symmetric_decrypt: symmetricDecrypt with a string key: hex (either
 * case) decoded, first 24 bytes the nonce, the tag checked.  On success
 * *plain_out holds the plaintext in a (NUL-terminated; wipe it if it is a
 * secret) and 0 is returned; -1 on bad hex, short input, wrong key or
 * tampering.
 */
int		 crypto_symmetric_decrypt(struct arena *a, struct str secret,
		    struct str hex, struct str *plain_out);

/*
 * crypto_symmetric_encrypt_envelope: symmetricEncrypt with versioned
 * secrets: "$ba$<version>$<hex>", hex as crypto_symmetric_encrypt with the
 * secret of that version.  NULL on failure.
 */
char		*crypto_symmetric_encrypt_envelope(struct arena *a,
		    uint32_t version, struct str secret, struct str plaintext);

/*
 * crypto_envelope_parse: Better Auth parseEnvelope: if data is
 * "$ba$<version>$<rest>" (version read like JS parseInt, >= 0) set
 * *version and *hex (borrowed, the rest) and return 1; otherwise return 0:
 * bare hex, to be decrypted with the legacy secret.
 */
int		 crypto_envelope_parse(struct str data, uint32_t *version,
		    struct str *hex);

/*
 * The server's secrets, newest first (config: secret / secrets).  The
 * newest signs and encrypts; every one verifies and decrypts, so a
 * rotated-out secret keeps working until it is removed from the file.
 * version >= 0 is a Better Auth versioned secret (its ciphertexts are
 * "$ba$<version>$<hex>"); -1 is an unversioned one (bare hex).
 */
#define CRYPTO_SECRETS_MAX	8

struct crypto_secret {
	const char	*value;
	int64_t		 version;	/* -1: unversioned */
};

struct crypto_secrets {
	int			 n;
	struct crypto_secret	 s[CRYPTO_SECRETS_MAX];
};

/*
 * crypto_secrets_encrypt: symmetricEncrypt under the newest secret: an
 * envelope when it is versioned, bare hex otherwise.  In a; NULL on
 * failure.
 */
char		*crypto_secrets_encrypt(struct arena *a,
		    const struct crypto_secrets *k, struct str plaintext);
/*
 * crypto_secrets_decrypt: symmetricDecrypt with any of the secrets: an
 * envelope with the secret of its version (or, for a version not listed,
 * each unversioned secret), bare hex with each unversioned secret, then
 * each versioned one.  0 with *plain_out (in a)
 * and *which (may be NULL) the index of the secret that opened it; -1
 * when none does.
 */
int		 crypto_secrets_decrypt(struct arena *a,
		    const struct crypto_secrets *k, struct str data,
		    struct str *plain_out, int *which);
/*
 * crypto_secrets_is_current: 1 when data opened with secret `which` is
 * in the form crypto_secrets_encrypt writes today (newest secret, and an
 * envelope exactly when it is versioned), else 0: re-encrypt it.
 */
int		 crypto_secrets_is_current(const struct crypto_secrets *k,
		    struct str data, int which);

/*
 * crypto_hkdf_sha256: HKDF-SHA256 extract-and-expand (RFC 5869) into
 * out[0..outlen).  Returns 0 or -1 (logged).
 */
int		 crypto_hkdf_sha256(const void *ikm, size_t ikmlen,
		    const void *salt, size_t saltlen, const void *info,
		    size_t infolen, unsigned char *out, size_t outlen);

/*
 * crypto_purpose_secret: Better Auth derivePurposeKey for a string secret:
 * lowercase hex(HKDF-SHA256(ikm = secret, salt =
 * "better-auth:oauth-encryption:v1", info = "better-auth:<purpose>:v1",
 * L = 32)), the 64-char "secret" then given to crypto_symmetric_*.
 * In a; NULL on failure.
 */
char		*crypto_purpose_secret(struct arena *a, struct str secret,
		    const char *purpose);

/*
 * crypto_jwt_hs256_sign: compact JWS "<b64url(header)>.<b64url(payload)>.
 * <b64url(HMAC-SHA256(UTF-8(secret), signing input))>" over the exact
 * header and payload bytes given (e.g. {"alg":"HS256"}, protocol.md §4.4).
 * In a; NULL on failure.
 */
char		*crypto_jwt_hs256_sign(struct arena *a, struct str secret,
		    struct str header_json, struct str payload_json);

/*
 * crypto_jwt_hs256_verify: check the HS256 signature of a compact JWS the
 * way jose decodes it (segments base64url, forgiving as atob).  Returns 1
 * when the signature is valid, with the decoded header and payload JSON in
 * a (either pointer may be NULL); 0 on a signature mismatch; -1 when the
 * token is malformed.  The caller still checks that the header's alg is
 * "HS256" and the claims (exp <= now -> expired, no leeway).
 */
int		 crypto_jwt_hs256_verify(struct arena *a, struct str secret,
		    struct str token, struct str *header_json,
		    struct str *payload_json);

#endif
