/*
 * verify.c -- verification tokens and codes (see verify.h).
 */
#include <stdlib.h>
#include <string.h>

#include "auth/email.h"
#include "auth/verify.h"
#include "http/body.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/json.h"
#include "lib/jwt.h"
#include "lib/log.h"
#include "lib/text.h"
#include "lib/url.h"
#include "store/store_verification.h"

char *
verify_token_make(struct request *r, const struct verify_claims *c)
{
	int64_t		 iat = clock_now_ms() / 1000;
	struct jbuf	 b;
	char		*tail;

	jb_init(&b, r->a, 256);
	jb_lit(&b, "{\"email\":");
	jb_str(&b, text_lower(r->a, c->email));
	if (c->update_to != NULL) {
		jb_lit(&b, ",\"updateTo\":");
		jb_str(&b, text_lower(r->a, c->update_to));
	}
	if (c->request_type != NULL) {
		jb_lit(&b, ",\"requestType\":");
		jb_str(&b, c->request_type);
	}
	if (c->user_id != NULL) {
		jb_lit(&b, ",\"userId\":");
		jb_str(&b, c->user_id);
	}
	tail = arena_printf(r->a, ",\"iat\":%lld,\"exp\":%lld}",
	    (long long)iat, (long long)(iat +
	    r->bcfg->lt_verification_link));
	jb_raw(&b, tail, strlen(tail));
	return (crypto_jwt_hs256_sign(r->a, str_c(r->env->secret),
	    STR("{\"alg\":\"HS256\"}"), str_c(jb_done(&b))));
}

static const char *
claim(json_object *o, const char *k, int *bad)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return (NULL);
	if (!json_object_is_type(v, json_type_string)) {
		*bad = 1;
		return (NULL);
	}
	return (json_object_get_string(v));
}

static int
signed_by_any(struct request *r, const char *token, struct str *hdr,
    struct str *pay)
{
	const struct crypto_secrets	*k = r->env->secrets;
	int				 i;

	if (k == NULL || k->n == 0)
		return (crypto_jwt_hs256_verify(r->a, str_c(r->env->secret),
		    str_c(token), hdr, pay) == 1);
	for (i = 0; i < k->n; i++)
		if (crypto_jwt_hs256_verify(r->a, str_c(k->s[i].value),
		    str_c(token), hdr, pay) == 1)
			return (1);
	return (0);
}

enum err
verify_token_check(struct request *r, const char *token,
    struct verify_claims *c)
{
	struct str	 hdr, pay;
	json_object	*h, *p, *alg;
	int		 bad = 0;

	memset(c, 0, sizeof(*c));
	/* signed with the newest secret; any listed one still verifies */
	if (!signed_by_any(r, token, &hdr, &pay))
		return (ERR_INVALID_TOKEN);
	/* jose with algorithms: ["HS256"] */
	if ((h = json_parse(hdr.p, hdr.len, NULL)) == NULL)
		return (ERR_INVALID_TOKEN);
	json_own(r->a, h);
	if (!json_object_is_type(h, json_type_object) ||
	    !json_object_object_get_ex(h, "alg", &alg) ||
	    !json_object_is_type(alg, json_type_string) ||
	    strcmp(json_object_get_string(alg), "HS256") != 0)
		return (ERR_INVALID_TOKEN);
	switch (jwt_claims_check(pay, clock_now_ms() / 1000)) {
	case JWT_VALID:
		break;
	case JWT_EXPIRED:
		return (ERR_TOKEN_EXPIRED);
	default:
		return (ERR_INVALID_TOKEN);
	}
	if ((p = json_parse(pay.p, pay.len, NULL)) == NULL)
		return (ERR_INVALID_TOKEN);
	json_own(r->a, p);
	c->email = claim(p, "email", &bad);
	c->update_to = claim(p, "updateTo", &bad);
	c->request_type = claim(p, "requestType", &bad);
	c->user_id = claim(p, "userId", &bad);
	if (bad || c->email == NULL || !body_email_ok(c->email))
		return (ERR_INVALID_TOKEN);
	return (ERR_NONE);
}

char *
verify_link(struct request *r, const char *token, const char *callback)
{
	return (arena_printf(r->a, "%s/verify-email?token=%s&callbackURL=%s",
	    r->branch->auth_url, token, url_encode(r->a, callback != NULL &&
	    *callback != '\0' ? callback : "/")));
}

char *
verify_otp_identifier(struct request *r, const char *type, const char *email)
{
	return (arena_printf(r->a, "%s-otp-%s", type, email));
}

char *
verify_otp_issue(struct request *r, const char *identifier)
{
	char	*otp, *hash;

	otp = crypto_random_string(r->a, VERIFY_OTP_LENGTH,
	    CRYPTO_ALPHABET_DIGITS);
	if (otp == NULL || (hash = crypto_sha256_base64url(r->a,
	    str_c(otp))) == NULL)
		return (NULL);
	if (store_verification_create(r->db, r->a, identifier,
	    arena_printf(r->a, "%s:0", hash), clock_now_ms() +
	    (int64_t)r->bcfg->lt_otp * 1000) == -1)
		return (NULL);
	return (otp);
}

/* split "<stored>:<attempts>" at the last ':' */
static void
split_value(struct request *r, const char *value, const char **stored,
    int *attempts)
{
	const char	*colon = strrchr(value, ':');

	if (colon == NULL) {
		*stored = value;
		*attempts = 0;
		return;
	}
	*stored = arena_strndup(r->a, value, (size_t)(colon - value));
	*attempts = (int)strtol(colon + 1, NULL, 10);
}

enum err
verify_otp_check(struct request *r, const char *identifier, const char *otp,
    int restore)
{
	struct verification_rec	 v, got;
	const char		*stored;
	int			 rc, attempts;
	int64_t			 now = clock_now_ms();

	rc = store_verification_find(r->db, r->a, identifier, &v);
	if (rc == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	if (rc == 1 && v.expires_ms < now) {
		if (store_verification_delete(r->db, r->a, identifier) == -1)
			return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
		return (ERR_OTP_EXPIRED);
	}
	rc = store_verification_consume(r->db, r->a, identifier, &got);
	if (rc == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	if (rc == 0 || got.expires_ms < now)
		return (ERR_INVALID_OTP);
	split_value(r, got.value, &stored, &attempts);
	if (attempts >= VERIFY_OTP_ATTEMPTS)
		return (ERR_TOO_MANY_ATTEMPTS);
	if (!crypto_otp_verify_hashed(str_c(otp), str_c(stored))) {
		if (store_verification_create(r->db, r->a, identifier,
		    arena_printf(r->a, "%s:%d", stored, attempts + 1),
		    got.expires_ms) == -1)
			return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
		return (ERR_INVALID_OTP);
	}
	if (!restore)
		return (ERR_NONE);
	/* a newer code was issued meanwhile: this one no longer counts */
	if ((rc = store_verification_find(r->db, r->a, identifier, &v)) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_SERVER_ERROR));
	if (rc == 1)
		return (ERR_INVALID_OTP);
	if (store_verification_create(r->db, r->a, identifier, got.value,
	    got.expires_ms) == -1)
		return (ERR_OTP_RESTORE_FAILED);
	return (ERR_NONE);
}

int
verify_send(struct request *r, const struct user_rec *u, const char *to,
    const char *callback)
{
	struct verify_claims	 c;
	struct email_vars	 v;
	const char		*email = to != NULL ? to : u->email;
	char			*tok;

	memset(&v, 0, sizeof(v));
	v.user_name = u->name;
	if (strcmp(r->bcfg->verification_method, "otp") == 0) {
		/* overrideDefaultEmailVerification: a code instead */
		v.otp = verify_otp_issue(r, verify_otp_identifier(r,
		    "email-verification", email));
		if (v.otp == NULL)
			return (-1);
		v.otp_type = "email-verification";
		v.expires_s = r->bcfg->lt_otp;
		return (email_send(r, MAIL_OTP, email, &v));
	}
	memset(&c, 0, sizeof(c));
	c.email = email;
	c.user_id = u->id;
	if ((tok = verify_token_make(r, &c)) == NULL)
		return (-1);
	v.url = verify_link(r, tok, callback);
	v.expires_s = r->bcfg->lt_verification_link;
	return (email_send(r, MAIL_VERIFICATION, email, &v));
}
