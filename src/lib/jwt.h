/*
 * jwt.h -- JWS compact signatures with asymmetric keys, JWK import and
 * export, and the jwks row format of Better Auth's jwt plugin
 * (protocol.md §9, neon.md §7).
 *
 * Algorithms: EdDSA (Ed25519), ES256 (P-256, signature = raw r || s, 64
 * bytes, as JWS requires) and RS256 (RSASSA-PKCS1-v1_5 with SHA-256,
 * 2048-bit keys).  The header neon-authd emits is
 * {"alg":<alg>,"kid":<kid>,"typ":"JWT"} (spec/README.md decision 4).
 *
 * A struct jwt_key is long-lived (malloc'd, not in an arena): workers keep
 * the decrypted signing keys of each branch in memory.  Free it with
 * jwt_key_free(), which also drops the private key material.
 *
 * Strings returned in an arena are NUL-terminated.  Bad input (a
 * malformed JWK, a token that does not parse) is reported through the
 * return value and, where there is a `why` argument, a static message; it
 * is never logged.  Internal OpenSSL failures are logged with log_err().
 * Like crypto.c, this file talks to OpenSSL directly (EVP_PKEY).
 */
#ifndef NEON_AUTHD_JWT_H
#define NEON_AUTHD_JWT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "lib/arena.h"
#include "lib/crypto.h"

#define JWT_KID_MAX	128	/* longest kid accepted, NUL included */

enum jwt_alg {
	JWT_ALG_NONE = 0,	/* unknown or unsupported */
	JWT_ALG_EDDSA,		/* Ed25519 */
	JWT_ALG_ES256,		/* ECDSA P-256 SHA-256 */
	JWT_ALG_RS256,		/* RSASSA-PKCS1-v1_5 SHA-256 */
};

/* jwt_verify() and jwt_claims_check() verdicts */
enum jwt_verdict {
	JWT_VALID = 0,
	JWT_MALFORMED,		/* not three base64url segments of JSON */
	JWT_UNKNOWN_KID,	/* no key with the header's kid */
	JWT_ALG_MISMATCH,	/* header alg is not the key's alg */
	JWT_BAD_SIGNATURE,
	JWT_EXPIRED,		/* exp <= now */
	JWT_NOT_YET_VALID,	/* nbf > now */
};

struct jwt_key;

/* jwt_alg_parse: "EdDSA", "ES256", "RS256" -> the alg; else JWT_ALG_NONE. */
enum jwt_alg	 jwt_alg_parse(const char *name);
/* jwt_alg_name: the JWS name of alg ("EdDSA"...), "none" for NONE. */
const char	*jwt_alg_name(enum jwt_alg alg);
/* jwt_verdict_str: a short word for logs and tests ("valid", "expired"). */
const char	*jwt_verdict_str(enum jwt_verdict v);

/*
 * jwt_key_generate: a fresh key pair (RS256: 2048-bit modulus, e = 65537).
 * The kid is empty until jwt_key_set_kid().  NULL on failure (logged).
 */
struct jwt_key	*jwt_key_generate(enum jwt_alg alg);

/*
 * jwt_key_from_jwk: import a JWK given as JSON text: OKP/Ed25519, EC/P-256
 * or RSA.  With a private part ("d", and for RSA preferably the CRT
 * fields too) the key can sign, otherwise only verify.  The JWK's own
 * "kid" and "alg" members, when present, set the kid and are checked
 * against the key type.  NULL on bad input (*why set when why is not
 * NULL) or failure.  The text is not wiped here: the caller owns it.
 */
struct jwt_key	*jwt_key_from_jwk(const char *json, size_t len,
		    const char **why);

/* jwt_key_free: release k and wipe its private key (NULL ok). */
void		 jwt_key_free(struct jwt_key *k);

/* jwt_key_set_kid: set the kid (copied). 0, or -1 when too long/empty. */
int		 jwt_key_set_kid(struct jwt_key *k, const char *kid);
/* jwt_key_kid / jwt_key_alg / jwt_key_can_sign: accessors. */
const char	*jwt_key_kid(const struct jwt_key *k);
enum jwt_alg	 jwt_key_alg(const struct jwt_key *k);
int		 jwt_key_can_sign(const struct jwt_key *k);

/*
 * jwt_key_public_jwk: the public JWK as JSON text, members in the order
 * Node's KeyObject.export({format:"jwk"}) writes them (this is the jwks
 * row's "publicKey"): {"crv","x","kty"}, {"kty","x","y","crv"} or
 * {"kty","n","e"}.  In a; NULL on failure (logged).
 */
char		*jwt_key_public_jwk(struct arena *a,
		    const struct jwt_key *k);

/*
 * jwt_key_private_jwk: the private JWK as JSON text in Node's order
 * ({"crv","d","x","kty"}, {"kty","x","y","crv","d"},
 * {"kty","n","e","d","p","q","dp","dq","qi"}).  In a: the caller wipes it
 * (OPENSSL_cleanse) when done.  NULL when k has no private part or on
 * failure.
 */
char		*jwt_key_private_jwk(struct arena *a,
		    const struct jwt_key *k);

/*
 * jwt_key_jwks_entry: the key as published in a JWKS document, built the
 * way Better Auth's GET /jwks does ({alg, crv, ...public JWK, kid}):
 * {"alg":"EdDSA","crv":"Ed25519","x":…,"kty":"OKP","kid":…},
 * {"alg":"ES256","crv":"P-256","kty":"EC","x":…,"y":…,"kid":…},
 * {"alg":"RS256","kty":"RSA","n":…,"e":…,"kid":…}.
 * A new json-c object owned by the caller; NULL on failure.
 */
json_object	*jwt_key_jwks_entry(const struct jwt_key *k);

/*
 * jwt_key_to_row: the two text columns of a jwks row as Better Auth
 * writes them: *public_col = jwt_key_public_jwk(), *private_col = the
 * JSON string literal of symmetricEncrypt(secret, private JWK JSON)
 * ("\"<hex>\"", protocol.md §4.6, §9).  Both in a.  0, or -1 on failure.
 */
int		 jwt_key_to_row(struct arena *a, struct str secret,
		    const struct jwt_key *k, char **public_col,
		    char **private_col);

/*
 * jwt_key_from_row: the signing key of a jwks row: private_col is the
 * JSON string literal written above (a bare hex string, a "$ba$<v>$<hex>"
 * envelope, or an unencrypted JWK object are accepted too), decrypted with
 * secret; the public column must match the private key.  kid becomes the
 * key's kid.  Decrypted material is wiped before returning.  NULL with
 * *why set (why may be NULL) on a wrong secret or malformed row.
 */
struct jwt_key	*jwt_key_from_row(struct arena *a, struct str secret,
		    const char *kid, struct str public_col,
		    struct str private_col, const char **why);

/*
 * jwt_key_to_row_secrets / jwt_key_from_row_secrets: the same with the
 * server's secrets (newest first, crypto.h): a new row is encrypted with
 * the newest, a row is opened with whichever secret it was written with.
 * *current (may be NULL) gets 1 when the row is already in the form the
 * newest secret writes (nothing to re-encrypt), 0 otherwise (also for an
 * unencrypted row).
 */
int		 jwt_key_to_row_secrets(struct arena *a,
		    const struct crypto_secrets *keys, const struct jwt_key *k,
		    char **public_col, char **private_col);
struct jwt_key	*jwt_key_from_row_secrets(struct arena *a,
		    const struct crypto_secrets *keys, const char *kid,
		    struct str public_col, struct str private_col,
		    const char **why, int *current);

/*
 * jwt_sign: a compact JWS over payload_json (exact bytes) with header
 * {"alg":…,"kid":…,"typ":"JWT"}.  In a; NULL on failure (logged).
 * jwt_sign_header: the same with the caller's exact header bytes (tests
 * reproduce Better Auth's {"alg":"EdDSA","kid":…} this way).
 */
char		*jwt_sign(struct arena *a, const struct jwt_key *k,
		    struct str payload_json);
char		*jwt_sign_header(struct arena *a, const struct jwt_key *k,
		    struct str header_json, struct str payload_json);

/*
 * jwt_verify: check a compact JWS against a key set the way jose's
 * jwtVerify with a JWKS does: the header must be a JSON object with a
 * supported "alg"; the key is the one whose kid equals the header's kid
 * (or the only key when the header has none); the key's alg must equal
 * the header's alg; then the signature.  Segments are decoded like jose
 * (base64url).  Claims are not looked at: see jwt_claims_check().
 * On JWT_VALID, *header_json and *payload_json (either may be NULL)
 * receive the decoded JSON texts in a.
 */
enum jwt_verdict jwt_verify(struct arena *a, struct jwt_key *const *keys,
		    size_t nkeys, struct str token, struct str *header_json,
		    struct str *payload_json);

/*
 * jwt_claims_check: the time claims of a payload at now (seconds), as
 * jose checks them with no clock tolerance: exp <= now is JWT_EXPIRED,
 * nbf > now JWT_NOT_YET_VALID; a payload that is not an object, or
 * carries a non-numeric exp/nbf/iat, is JWT_MALFORMED.
 */
enum jwt_verdict jwt_claims_check(struct str payload_json, int64_t now);

#endif
