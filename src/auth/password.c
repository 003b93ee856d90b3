/*
 * password.c -- passwords behind the hash gate (see password.h).
 *
 * NFKC is the identity on ASCII; other input is normalised by PostgreSQL
 * (normalize($1, NFKC)), never by a home-made table.
 */
#include <string.h>

#include "auth/password.h"
#include "http/branchcfg.h"
#include "lib/crypto.h"
#include "lib/hashgate.h"
#include "lib/text.h"
#include "store/store.h"

/* the NFKC form of pw; ERR_NONE or a database error */
static enum err
prepare(struct request *r, const char *pw, const char **out)
{
	if (crypto_is_ascii(str_c(pw))) {
		*out = pw;
		return (ERR_NONE);
	}
	if (store_nfkc(r->db, r->a, pw, out) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	return (ERR_NONE);
}

enum err
password_check_length(struct request *r, const char *pw, int check_min)
{
	size_t	 len = text_js_length(pw, strlen(pw));

	if (check_min && len < (size_t)r->bcfg->pw_min)
		return (ERR_PASSWORD_TOO_SHORT);
	if (len > (size_t)r->bcfg->pw_max)
		return (ERR_PASSWORD_TOO_LONG);
	return (ERR_NONE);
}

enum err
password_hash(struct request *r, const char *pw, char **hash,
    enum err on_fail)
{
	const char	*p;
	enum err	 e;

	if ((e = prepare(r, pw, &p)) != ERR_NONE)
		return (e);
	switch (hashgate_password_hash(r->a, str_c(p), hash)) {
	case 0:
		return (ERR_NONE);
	case HASHGATE_BUSY:
		return (ERR_PASSWORD_HASH_BUSY);
	default:
		return (on_fail);
	}
}

enum err
password_verify(struct request *r, const char *pw, const char *stored,
    int *match)
{
	const char	*p;
	enum err	 e;

	*match = 0;
	if ((e = prepare(r, pw, &p)) != ERR_NONE)
		return (e);
	if (stored == NULL)
		return (hashgate_password_burn(str_c(p)) == HASHGATE_BUSY ?
		    ERR_PASSWORD_HASH_BUSY : ERR_NONE);
	switch (hashgate_password_verify(str_c(p), stored)) {
	case HASHGATE_BUSY:
		return (ERR_PASSWORD_HASH_BUSY);
	case 1:
		*match = 1;
		break;
	}
	return (ERR_NONE);
}

int
password_needs_rehash(const char *stored)
{
	return (crypto_password_is_bcrypt(stored));
}
