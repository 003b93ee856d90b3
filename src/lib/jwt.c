/*
 * jwt.c -- JWS compact sign/verify with EdDSA, ES256 and RS256 keys, JWK
 * import/export and Better Auth's jwks row format (see jwt.h).
 *
 * Invariants:
 *  - A struct jwt_key owns one EVP_PKEY; OpenSSL clears private key
 *    material when it is freed.  Decrypted JWK texts and raw private
 *    bytes on the stack are wiped with OPENSSL_cleanse before return.
 *  - ES256 signatures travel as raw r || s (32 + 32 bytes); OpenSSL wants
 *    DER, so both directions convert.
 *  - JSON produced here is compact and ordered as JavaScript would order
 *    it (json-c keeps insertion order; json_dump matches JSON.stringify).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "lib/crypto.h"
#include "lib/json.h"
#include "lib/jwt.h"
#include "lib/log.h"

#define ED25519_LEN	32
#define P256_LEN	32
#define RSA_MIN_BITS	2048

struct jwt_key {
	enum jwt_alg	 alg;
	EVP_PKEY	*pkey;
	int		 has_private;
	char		 kid[JWT_KID_MAX];
};

enum jwt_alg
jwt_alg_parse(const char *name)
{
	if (name == NULL)
		return (JWT_ALG_NONE);
	if (strcmp(name, "EdDSA") == 0)
		return (JWT_ALG_EDDSA);
	if (strcmp(name, "ES256") == 0)
		return (JWT_ALG_ES256);
	if (strcmp(name, "RS256") == 0)
		return (JWT_ALG_RS256);
	return (JWT_ALG_NONE);
}

const char *
jwt_alg_name(enum jwt_alg alg)
{
	switch (alg) {
	case JWT_ALG_EDDSA:
		return ("EdDSA");
	case JWT_ALG_ES256:
		return ("ES256");
	case JWT_ALG_RS256:
		return ("RS256");
	default:
		return ("none");
	}
}

const char *
jwt_verdict_str(enum jwt_verdict v)
{
	switch (v) {
	case JWT_VALID:
		return ("valid");
	case JWT_MALFORMED:
		return ("malformed");
	case JWT_UNKNOWN_KID:
		return ("unknown-kid");
	case JWT_ALG_MISMATCH:
		return ("alg-mismatch");
	case JWT_BAD_SIGNATURE:
		return ("bad-signature");
	case JWT_EXPIRED:
		return ("expired");
	case JWT_NOT_YET_VALID:
		return ("not-yet-valid");
	}
	return ("?");
}

static struct jwt_key *
key_wrap(enum jwt_alg alg, EVP_PKEY *pkey, int has_private)
{
	struct jwt_key	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		log_err("%s: out of memory", __func__);
		EVP_PKEY_free(pkey);
		return (NULL);
	}
	k->alg = alg;
	k->pkey = pkey;
	k->has_private = has_private;
	return (k);
}

struct jwt_key *
jwt_key_generate(enum jwt_alg alg)
{
	EVP_PKEY	*pkey = NULL;

	switch (alg) {
	case JWT_ALG_EDDSA:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case JWT_ALG_ES256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case JWT_ALG_RS256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	default:
		return (NULL);
	}
	if (pkey == NULL) {
		log_err("%s: %s key generation failed", __func__,
		    jwt_alg_name(alg));
		return (NULL);
	}
	return (key_wrap(alg, pkey, 1));
}

void
jwt_key_free(struct jwt_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

int
jwt_key_set_kid(struct jwt_key *k, const char *kid)
{
	size_t	 n;

	if (kid == NULL || (n = strlen(kid)) == 0 || n >= sizeof(k->kid))
		return (-1);
	memcpy(k->kid, kid, n + 1);
	return (0);
}

const char *
jwt_key_kid(const struct jwt_key *k)
{
	return (k->kid);
}

enum jwt_alg
jwt_key_alg(const struct jwt_key *k)
{
	return (k->alg);
}

int
jwt_key_can_sign(const struct jwt_key *k)
{
	return (k->has_private);
}

/* ------------------------------------------------------------ import */

static const char *
jstr(json_object *o, const char *name)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return (NULL);
	return (json_object_get_string(v));
}

/* decode a base64url member; -1 when absent or not base64url */
static int
b64member(struct arena *a, json_object *o, const char *name, struct str *out)
{
	const char	*s = jstr(o, name);

	if (s == NULL)
		return (-1);
	return (crypto_base64url_decode(a, str_c(s), out));
}

static void
wipe_str(struct str s)
{
	if (s.p != NULL && s.len > 0)
		OPENSSL_cleanse((void *)(uintptr_t)s.p, s.len);
}

/* wipe the string members of an object (json-c copies of key material) */
static void
wipe_json_strings(json_object *o)
{
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val) {
		(void)key;
		if (json_object_is_type(val, json_type_string))
			OPENSSL_cleanse((void *)(uintptr_t)
			    json_object_get_string(val),
			    (size_t)json_object_get_string_len(val));
	}
}

static EVP_PKEY *
fromdata(const char *type, OSSL_PARAM_BLD *bld, int selection)
{
	EVP_PKEY_CTX	*ctx = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY	*pkey = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) <= 0)
		pkey = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return (pkey);
}

/* 1 when the private and public halves of pkey belong together */
static int
pairwise_ok(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX	*ctx;
	int		 ok;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
		return (0);
	ok = EVP_PKEY_pairwise_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return (ok);
}

static EVP_PKEY *
import_okp(struct arena *a, json_object *o, int *priv, const char **why)
{
	struct str	 x, d;
	EVP_PKEY	*pkey, *pub;
	const char	*crv = jstr(o, "crv");

	if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
		*why = "unsupported OKP curve";
		return (NULL);
	}
	if (b64member(a, o, "x", &x) == -1 || x.len != ED25519_LEN) {
		*why = "bad Ed25519 \"x\"";
		return (NULL);
	}
	if (jstr(o, "d") == NULL) {
		*priv = 0;
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		    (const unsigned char *)x.p, x.len);
		if (pkey == NULL)
			*why = "bad Ed25519 public key";
		return (pkey);
	}
	if (b64member(a, o, "d", &d) == -1 || d.len != ED25519_LEN) {
		*why = "bad Ed25519 \"d\"";
		return (NULL);
	}
	*priv = 1;
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    (const unsigned char *)d.p, d.len);
	wipe_str(d);
	if (pkey == NULL) {
		*why = "bad Ed25519 private key";
		return (NULL);
	}
	pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	    (const unsigned char *)x.p, x.len);
	if (pub == NULL || EVP_PKEY_eq(pkey, pub) != 1) {
		*why = "Ed25519 \"x\" does not match \"d\"";
		EVP_PKEY_free(pub);
		EVP_PKEY_free(pkey);
		return (NULL);
	}
	EVP_PKEY_free(pub);
	return (pkey);
}

static EVP_PKEY *
import_ec(struct arena *a, json_object *o, int *priv, const char **why)
{
	struct str	 x, y, d = STR_NULL;
	unsigned char	 point[1 + 2 * P256_LEN];
	OSSL_PARAM_BLD	*bld = NULL;
	BIGNUM		*bn = NULL;
	EVP_PKEY	*pkey = NULL;
	const char	*crv = jstr(o, "crv");

	if (crv == NULL || strcmp(crv, "P-256") != 0) {
		*why = "unsupported EC curve";
		return (NULL);
	}
	if (b64member(a, o, "x", &x) == -1 || x.len != P256_LEN ||
	    b64member(a, o, "y", &y) == -1 || y.len != P256_LEN) {
		*why = "bad P-256 \"x\" or \"y\"";
		return (NULL);
	}
	*priv = jstr(o, "d") != NULL;
	if (*priv && (b64member(a, o, "d", &d) == -1 || d.len != P256_LEN)) {
		*why = "bad P-256 \"d\"";
		goto done;
	}
	point[0] = 0x04;
	memcpy(point + 1, x.p, P256_LEN);
	memcpy(point + 1 + P256_LEN, y.p, P256_LEN);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    point, sizeof(point))) {
		*why = "out of memory";
		goto done;
	}
	if (*priv) {
		if ((bn = BN_secure_new()) == NULL ||
		    BN_bin2bn((const unsigned char *)d.p, (int)d.len,
		    bn) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY,
		    bn)) {
			*why = "out of memory";
			goto done;
		}
	}
	pkey = fromdata("EC", bld, *priv ? EVP_PKEY_KEYPAIR :
	    EVP_PKEY_PUBLIC_KEY);
	if (pkey == NULL)
		*why = "bad P-256 key";
	else if (*priv && !pairwise_ok(pkey)) {
		*why = "P-256 \"x\"/\"y\" do not match \"d\"";
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
 done:
	wipe_str(d);
	BN_clear_free(bn);
	OSSL_PARAM_BLD_free(bld);
	return (pkey);
}

static EVP_PKEY *
import_rsa(struct arena *a, json_object *o, int *priv, const char **why)
{
	static const struct {
		const char	*jwk;
		const char	*param;
	} fields[] = {
		{ "n", OSSL_PKEY_PARAM_RSA_N },
		{ "e", OSSL_PKEY_PARAM_RSA_E },
		{ "d", OSSL_PKEY_PARAM_RSA_D },
		{ "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};
	BIGNUM		*bn[8] = { NULL };
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pkey = NULL;
	struct str	 v;
	size_t		 i, nf;
	int		 crt;

	*priv = jstr(o, "d") != NULL;
	crt = *priv && jstr(o, "p") && jstr(o, "q") && jstr(o, "dp") &&
	    jstr(o, "dq") && jstr(o, "qi");
	nf = crt ? 8 : *priv ? 3 : 2;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL) {
		*why = "out of memory";
		goto done;
	}
	for (i = 0; i < nf; i++) {
		if (b64member(a, o, fields[i].jwk, &v) == -1 || v.len == 0) {
			*why = "bad RSA JWK member";
			goto done;
		}
		bn[i] = i < 2 ? BN_new() : BN_secure_new();
		if (bn[i] == NULL || BN_bin2bn((const unsigned char *)v.p,
		    (int)v.len, bn[i]) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, fields[i].param, bn[i])) {
			if (i >= 2)
				wipe_str(v);
			*why = "out of memory";
			goto done;
		}
		if (i >= 2)
			wipe_str(v);
	}
	pkey = fromdata("RSA", bld, *priv ? EVP_PKEY_KEYPAIR :
	    EVP_PKEY_PUBLIC_KEY);
	if (pkey == NULL)
		*why = "bad RSA key";
	else if (EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS) {
		*why = "RSA modulus shorter than 2048 bits";
		EVP_PKEY_free(pkey);
		pkey = NULL;
	} else if (*priv && crt && !pairwise_ok(pkey)) {
		*why = "RSA public and private parts do not match";
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
 done:
	for (i = 0; i < 8; i++)
		BN_clear_free(bn[i]);
	OSSL_PARAM_BLD_free(bld);
	return (pkey);
}

struct jwt_key *
jwt_key_from_jwk(const char *json, size_t len, const char **why)
{
	struct arena	 a;
	json_object	*o;
	const char	*kty, *alg, *kid, *dummy;
	enum jwt_alg	 kalg = JWT_ALG_NONE;
	EVP_PKEY	*pkey = NULL;
	struct jwt_key	*k = NULL;
	int		 priv = 0;

	if (why == NULL)
		why = &dummy;
	*why = "not a JSON object";
	if ((o = json_parse(json, len, NULL)) == NULL)
		return (NULL);
	arena_init(&a, 4096);
	if (!json_object_is_type(o, json_type_object) ||
	    (kty = jstr(o, "kty")) == NULL) {
		*why = "JWK without \"kty\"";
		goto done;
	}
	if (strcmp(kty, "OKP") == 0) {
		kalg = JWT_ALG_EDDSA;
		pkey = import_okp(&a, o, &priv, why);
	} else if (strcmp(kty, "EC") == 0) {
		kalg = JWT_ALG_ES256;
		pkey = import_ec(&a, o, &priv, why);
	} else if (strcmp(kty, "RSA") == 0) {
		kalg = JWT_ALG_RS256;
		pkey = import_rsa(&a, o, &priv, why);
	} else
		*why = "unsupported \"kty\"";
	if (pkey == NULL)
		goto done;
	if ((alg = jstr(o, "alg")) != NULL && jwt_alg_parse(alg) != kalg) {
		*why = "JWK \"alg\" does not match its key type";
		EVP_PKEY_free(pkey);
		goto done;
	}
	if ((k = key_wrap(kalg, pkey, priv)) == NULL) {
		*why = "out of memory";
		goto done;
	}
	if ((kid = jstr(o, "kid")) != NULL && jwt_key_set_kid(k, kid) == -1) {
		*why = "bad \"kid\"";
		jwt_key_free(k);
		k = NULL;
	}
 done:
	wipe_json_strings(o);
	json_object_put(o);
	arena_free(&a);
	return (k);
}

/* ------------------------------------------------------------ export */

static char *
bn_param_b64(struct arena *a, const EVP_PKEY *pkey, const char *param,
    int pad)
{
	BIGNUM		*bn = NULL;
	unsigned char	*buf;
	char		*out = NULL;
	int		 n;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
		return (NULL);
	n = pad > 0 ? pad : BN_num_bytes(bn);
	if (n <= 0)
		n = 1;
	buf = arena_alloc(a, (size_t)n);
	if (BN_bn2binpad(bn, buf, n) == n)
		out = crypto_base64url_encode(a, buf, (size_t)n);
	OPENSSL_cleanse(buf, (size_t)n);
	BN_clear_free(bn);
	return (out);
}

static char *
raw_b64(struct arena *a, const EVP_PKEY *pkey, int private)
{
	unsigned char	 buf[ED25519_LEN];
	size_t		 n = sizeof(buf);
	char		*out = NULL;
	int		 rc;

	rc = private ? EVP_PKEY_get_raw_private_key(pkey, buf, &n) :
	    EVP_PKEY_get_raw_public_key(pkey, buf, &n);
	if (rc == 1 && n == ED25519_LEN)
		out = crypto_base64url_encode(a, buf, n);
	OPENSSL_cleanse(buf, sizeof(buf));
	return (out);
}

static void
add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/*
 * fill o with the JWK members in Node's order; with_alg/kid for the
 * JWKS form.  0, or -1 when a value could not be read.
 */
static int
jwk_members(struct arena *a, const struct jwt_key *k, json_object *o,
    int private, int jwks_form)
{
	const EVP_PKEY	*p = k->pkey;
	const char	*x, *y, *n, *e;
	char		*d;

	if (jwks_form)
		add_str(o, "alg", jwt_alg_name(k->alg));
	switch (k->alg) {
	case JWT_ALG_EDDSA:
		if ((x = raw_b64(a, p, 0)) == NULL)
			return (-1);
		add_str(o, "crv", "Ed25519");
		if (private) {
			if ((d = raw_b64(a, p, 1)) == NULL)
				return (-1);
			add_str(o, "d", d);
			OPENSSL_cleanse(d, strlen(d));
		}
		add_str(o, "x", x);
		add_str(o, "kty", "OKP");
		break;
	case JWT_ALG_ES256:
		if ((x = bn_param_b64(a, p, OSSL_PKEY_PARAM_EC_PUB_X,
		    P256_LEN)) == NULL || (y = bn_param_b64(a, p,
		    OSSL_PKEY_PARAM_EC_PUB_Y, P256_LEN)) == NULL)
			return (-1);
		if (jwks_form)
			add_str(o, "crv", "P-256");
		add_str(o, "kty", "EC");
		add_str(o, "x", x);
		add_str(o, "y", y);
		if (!jwks_form)
			add_str(o, "crv", "P-256");
		if (private) {
			if ((d = bn_param_b64(a, p, OSSL_PKEY_PARAM_PRIV_KEY,
			    P256_LEN)) == NULL)
				return (-1);
			add_str(o, "d", d);
			OPENSSL_cleanse(d, strlen(d));
		}
		break;
	case JWT_ALG_RS256:
		if ((n = bn_param_b64(a, p, OSSL_PKEY_PARAM_RSA_N, 0)) ==
		    NULL || (e = bn_param_b64(a, p, OSSL_PKEY_PARAM_RSA_E,
		    0)) == NULL)
			return (-1);
		add_str(o, "kty", "RSA");
		add_str(o, "n", n);
		add_str(o, "e", e);
		if (private) {
			static const char *const names[] = { "d", "p", "q",
			    "dp", "dq", "qi" };
			static const char *const params[] = {
			    OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
			    OSSL_PKEY_PARAM_RSA_FACTOR2,
			    OSSL_PKEY_PARAM_RSA_EXPONENT1,
			    OSSL_PKEY_PARAM_RSA_EXPONENT2,
			    OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
			size_t	 i;

			for (i = 0; i < 6; i++) {
				if ((d = bn_param_b64(a, p, params[i], 0)) ==
				    NULL)
					return (-1);
				add_str(o, names[i], d);
				OPENSSL_cleanse(d, strlen(d));
			}
		}
		break;
	default:
		return (-1);
	}
	if (jwks_form)
		add_str(o, "kid", k->kid);
	return (0);
}

/* serialise; wipe the intermediate json-c buffers when private */
static char *
jwk_text(struct arena *a, const struct jwt_key *k, int private)
{
	struct arena	 tmp;
	json_object	*o;
	const char	*s;
	char		*out = NULL;

	arena_init(&tmp, 4096);
	o = json_object_new_object();
	if (jwk_members(&tmp, k, o, private, 0) == 0) {
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
		out = arena_strdup(a, s);
		if (private)
			OPENSSL_cleanse((void *)(uintptr_t)s, strlen(s));
	} else
		log_err("%s: cannot export a %s key", __func__,
		    jwt_alg_name(k->alg));
	if (private)
		wipe_json_strings(o);
	json_object_put(o);
	arena_free(&tmp);
	return (out);
}

char *
jwt_key_public_jwk(struct arena *a, const struct jwt_key *k)
{
	return (jwk_text(a, k, 0));
}

char *
jwt_key_private_jwk(struct arena *a, const struct jwt_key *k)
{
	if (!k->has_private)
		return (NULL);
	return (jwk_text(a, k, 1));
}

json_object *
jwt_key_jwks_entry(const struct jwt_key *k)
{
	struct arena	 tmp;
	json_object	*o = json_object_new_object();

	arena_init(&tmp, 4096);
	if (jwk_members(&tmp, k, o, 0, 1) == -1) {
		log_err("%s: cannot export a %s key", __func__,
		    jwt_alg_name(k->alg));
		json_object_put(o);
		o = NULL;
	}
	arena_free(&tmp);
	return (o);
}

/* ------------------------------------------------------------ rows */

int
jwt_key_to_row_secrets(struct arena *a, const struct crypto_secrets *keys,
    const struct jwt_key *k, char **public_col, char **private_col)
{
	char	*priv, *hex;

	if ((*public_col = jwt_key_public_jwk(a, k)) == NULL)
		return (-1);
	if ((priv = jwt_key_private_jwk(a, k)) == NULL)
		return (-1);
	hex = crypto_secrets_encrypt(a, keys, str_c(priv));
	OPENSSL_cleanse(priv, strlen(priv));
	if (hex == NULL)
		return (-1);
	*private_col = json_quote(a, hex);
	return (0);
}

/* one unversioned secret, as a list */
static void
one_secret(struct crypto_secrets *k, struct str secret)
{
	memset(k, 0, sizeof(*k));
	k->n = 1;
	k->s[0].value = secret.p;
	k->s[0].version = -1;
}

int
jwt_key_to_row(struct arena *a, struct str secret, const struct jwt_key *k,
    char **public_col, char **private_col)
{
	struct crypto_secrets	 keys;

	one_secret(&keys, str_c(arena_strndup(a, secret.p, secret.len)));
	return (jwt_key_to_row_secrets(a, &keys, k, public_col, private_col));
}

struct jwt_key *
jwt_key_from_row(struct arena *a, struct str secret, const char *kid,
    struct str public_col, struct str private_col, const char **why)
{
	struct crypto_secrets	 keys;

	one_secret(&keys, str_c(arena_strndup(a, secret.p, secret.len)));
	return (jwt_key_from_row_secrets(a, &keys, kid, public_col,
	    private_col, why, NULL));
}

struct jwt_key *
jwt_key_from_row_secrets(struct arena *a, const struct crypto_secrets *keys,
    const char *kid, struct str public_col, struct str private_col,
    const char **why, int *current)
{
	struct jwt_key	*k = NULL, *pub = NULL;
	json_object	*o = NULL;
	struct str	 blob = private_col, plain = STR_NULL;
	const char	*dummy;
	int		 which = -1;

	if (why == NULL)
		why = &dummy;
	if (current != NULL)
		*current = 0;
	while (blob.len > 0 && strchr(" \t\r\n", blob.p[0]) != NULL) {
		blob.p++;
		blob.len--;
	}
	if (blob.len > 0 && blob.p[0] == '"') {
		/* JSON string literal of the ciphertext (Better Auth 1.x) */
		if ((o = json_parse(blob.p, blob.len, NULL)) == NULL ||
		    !json_object_is_type(o, json_type_string)) {
			*why = "privateKey is not a JSON string";
			goto done;
		}
		blob.p = json_object_get_string(o);
		blob.len = (size_t)json_object_get_string_len(o);
	}
	if (blob.len > 0 && blob.p[0] == '{') {
		/* stored without encryption (disablePrivateKeyEncryption) */
		plain = blob;
		k = jwt_key_from_jwk(plain.p, plain.len, why);
		plain = STR_NULL;
	} else {
		if (crypto_secrets_decrypt(a, keys, blob, &plain, &which) ==
		    -1) {
			*why = "privateKey does not decrypt with any secret";
			goto done;
		}
		if (current != NULL)
			*current = crypto_secrets_is_current(keys, blob, which);
		k = jwt_key_from_jwk(plain.p, plain.len, why);
	}
	if (k == NULL)
		goto done;
	if (!k->has_private) {
		*why = "privateKey holds no private key";
		goto fail;
	}
	if ((pub = jwt_key_from_jwk(public_col.p, public_col.len, why)) ==
	    NULL)
		goto fail;
	if (pub->alg != k->alg || EVP_PKEY_eq(pub->pkey, k->pkey) != 1) {
		*why = "publicKey does not match privateKey";
		goto fail;
	}
	if (jwt_key_set_kid(k, kid) == -1) {
		*why = "bad key id";
		goto fail;
	}
	goto done;
 fail:
	jwt_key_free(k);
	k = NULL;
 done:
	jwt_key_free(pub);
	wipe_str(plain);
	json_object_put(o);
	return (k);
}

/* ------------------------------------------------------------ JWS */

static const char *
md_name(enum jwt_alg alg)
{
	return (alg == JWT_ALG_EDDSA ? NULL : "SHA256");
}

/* DER ECDSA-Sig-Value -> raw r || s; 0 or -1 */
static int
ecdsa_der_to_raw(const unsigned char *der, size_t len,
    unsigned char raw[2 * P256_LEN])
{
	ECDSA_SIG	*sig;
	const BIGNUM	*r, *s;
	int		 rc = -1;

	if ((sig = d2i_ECDSA_SIG(NULL, &der, (long)len)) == NULL)
		return (-1);
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, P256_LEN) == P256_LEN &&
	    BN_bn2binpad(s, raw + P256_LEN, P256_LEN) == P256_LEN)
		rc = 0;
	ECDSA_SIG_free(sig);
	return (rc);
}

/* raw r || s -> DER in a; NULL on failure */
static unsigned char *
ecdsa_raw_to_der(struct arena *a, const unsigned char *raw, size_t *outlen)
{
	ECDSA_SIG	*sig;
	BIGNUM		*r, *s;
	unsigned char	*der = NULL, *p;
	int		 n;

	if ((sig = ECDSA_SIG_new()) == NULL)
		return (NULL);
	r = BN_bin2bn(raw, P256_LEN, NULL);
	s = BN_bin2bn(raw + P256_LEN, P256_LEN, NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return (NULL);
	}
	if ((n = i2d_ECDSA_SIG(sig, NULL)) > 0) {
		der = arena_alloc(a, (size_t)n);
		p = der;
		if (i2d_ECDSA_SIG(sig, &p) != n)
			der = NULL;
		else
			*outlen = (size_t)n;
	}
	ECDSA_SIG_free(sig);
	return (der);
}

char *
jwt_sign_header(struct arena *a, const struct jwt_key *k,
    struct str header_json, struct str payload_json)
{
	EVP_MD_CTX	*ctx = NULL;
	unsigned char	*sig = NULL, raw[2 * P256_LEN];
	size_t		 siglen = 0;
	char		*input, *out = NULL;

	if (!k->has_private)
		return (NULL);
	input = arena_printf(a, "%s.%s",
	    crypto_base64url_encode(a, header_json.p, header_json.len),
	    crypto_base64url_encode(a, payload_json.p, payload_json.len));
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, md_name(k->alg), NULL, NULL,
	    k->pkey, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1)
		goto fail;
	sig = arena_alloc(a, siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input,
	    strlen(input)) != 1)
		goto fail;
	if (k->alg == JWT_ALG_ES256) {
		if (ecdsa_der_to_raw(sig, siglen, raw) == -1)
			goto fail;
		out = arena_printf(a, "%s.%s", input,
		    crypto_base64url_encode(a, raw, sizeof(raw)));
	} else
		out = arena_printf(a, "%s.%s", input,
		    crypto_base64url_encode(a, sig, siglen));
	EVP_MD_CTX_free(ctx);
	return (out);
 fail:
	log_err("%s: %s signature failed", __func__, jwt_alg_name(k->alg));
	EVP_MD_CTX_free(ctx);
	return (NULL);
}

char *
jwt_sign(struct arena *a, const struct jwt_key *k, struct str payload_json)
{
	json_object	*h = json_object_new_object();
	char		*hdr, *out;

	add_str(h, "alg", jwt_alg_name(k->alg));
	add_str(h, "kid", k->kid);
	add_str(h, "typ", "JWT");
	hdr = json_dump(a, h);
	json_object_put(h);
	out = jwt_sign_header(a, k, str_c(hdr), payload_json);
	return (out);
}

/* 1 valid, 0 invalid */
static int
sig_ok(struct arena *a, const struct jwt_key *k, struct str input,
    struct str sig)
{
	EVP_MD_CTX		*ctx;
	const unsigned char	*s = (const unsigned char *)sig.p;
	size_t			 slen = sig.len;
	int			 ok = 0;

	switch (k->alg) {
	case JWT_ALG_EDDSA:
		if (sig.len != 64)
			return (0);
		break;
	case JWT_ALG_ES256:
		if (sig.len != 2 * P256_LEN ||
		    (s = ecdsa_raw_to_der(a, s, &slen)) == NULL)
			return (0);
		break;
	case JWT_ALG_RS256:
		if ((int)sig.len != EVP_PKEY_get_size(k->pkey))
			return (0);
		break;
	default:
		return (0);
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return (0);
	if (EVP_DigestVerifyInit_ex(ctx, NULL, md_name(k->alg), NULL, NULL,
	    k->pkey, NULL) == 1 && EVP_DigestVerify(ctx, s, slen,
	    (const unsigned char *)input.p, input.len) == 1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	return (ok);
}

enum jwt_verdict
jwt_verify(struct arena *a, struct jwt_key *const *keys, size_t nkeys,
    struct str token, struct str *header_json, struct str *payload_json)
{
	const char		*d1, *d2, *alg_s, *kid = NULL;
	struct str		 seg[3], hdr, pl, sig;
	json_object		*h = NULL, *v;
	const struct jwt_key	*k = NULL;
	enum jwt_verdict	 rc = JWT_MALFORMED;
	enum jwt_alg		 alg;
	size_t			 i, n;

	if (token.p == NULL ||
	    (d1 = memchr(token.p, '.', token.len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', token.len - (size_t)(d1 + 1 -
	    token.p))) == NULL ||
	    memchr(d2 + 1, '.', token.len - (size_t)(d2 + 1 - token.p)))
		return (JWT_MALFORMED);
	seg[0] = (struct str){ token.p, (size_t)(d1 - token.p) };
	seg[1] = (struct str){ d1 + 1, (size_t)(d2 - d1 - 1) };
	seg[2] = (struct str){ d2 + 1, token.len - (size_t)(d2 + 1 -
	    token.p) };
	if (crypto_base64_decode_atob(a, seg[0], 1, &hdr) == -1 ||
	    crypto_base64_decode_atob(a, seg[1], 1, &pl) == -1 ||
	    crypto_base64_decode_atob(a, seg[2], 1, &sig) == -1)
		return (JWT_MALFORMED);
	if ((h = json_parse(hdr.p, hdr.len, NULL)) == NULL ||
	    !json_object_is_type(h, json_type_object) ||
	    (alg_s = jstr(h, "alg")) == NULL)
		goto done;
	if (json_object_object_get_ex(h, "kid", &v)) {
		if (!json_object_is_type(v, json_type_string))
			goto done;
		kid = json_object_get_string(v);
	}
	if ((alg = jwt_alg_parse(alg_s)) == JWT_ALG_NONE) {
		rc = JWT_ALG_MISMATCH;
		goto done;
	}
	rc = JWT_UNKNOWN_KID;
	for (i = n = 0; i < nkeys; i++) {
		if (keys[i] == NULL)
			continue;
		if (kid != NULL ? strcmp(keys[i]->kid, kid) == 0 :
		    keys[i]->alg == alg) {
			k = keys[i];
			n++;
		}
	}
	if (n != 1)
		goto done;
	if (k->alg != alg) {
		rc = JWT_ALG_MISMATCH;
		goto done;
	}
	if (!sig_ok(a, k, (struct str){ token.p, (size_t)(d2 - token.p) },
	    sig)) {
		rc = JWT_BAD_SIGNATURE;
		goto done;
	}
	rc = JWT_VALID;
	if (header_json)
		*header_json = hdr;
	if (payload_json)
		*payload_json = pl;
 done:
	json_object_put(h);
	return (rc);
}

enum jwt_verdict
jwt_claims_check(struct str payload_json, int64_t now)
{
	json_object		*o, *v;
	enum jwt_verdict	 rc = JWT_VALID;
	double			 t;

	if ((o = json_parse(payload_json.p, payload_json.len, NULL)) ==
	    NULL)
		return (JWT_MALFORMED);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return (JWT_MALFORMED);
	}
	if (json_object_object_get_ex(o, "iat", &v) &&
	    !json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		rc = JWT_MALFORMED;
	if (rc == JWT_VALID && json_object_object_get_ex(o, "nbf", &v)) {
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			rc = JWT_MALFORMED;
		else if ((t = json_object_get_double(v)) > (double)now)
			rc = JWT_NOT_YET_VALID;
	}
	if (rc == JWT_VALID && json_object_object_get_ex(o, "exp", &v)) {
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			rc = JWT_MALFORMED;
		else if ((t = json_object_get_double(v)) <= (double)now)
			rc = JWT_EXPIRED;
	}
	json_object_put(o);
	return (rc);
}
