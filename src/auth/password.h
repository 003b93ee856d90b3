/*
 * password.h -- the one owner of passwords: NFKC normalisation, the
 * branch's length policy, hashing and verifying behind the hash gate
 * (lib/hashgate.h), and the timing burn for accounts without a password.
 */
#ifndef NEON_AUTHD_PASSWORD_H
#define NEON_AUTHD_PASSWORD_H

#include "http/error.h"
#include "http/request.h"

/*
 * password_check_length: the branch's settings.password policy in
 * JavaScript string length: ERR_PASSWORD_TOO_SHORT (only when check_min),
 * ERR_PASSWORD_TOO_LONG, or ERR_NONE.
 */
enum err	 password_check_length(struct request *r, const char *pw,
		    int check_min);
/*
 * password_hash: NFKC-normalise pw and hash it in Better Auth's format
 * (in r->a).  ERR_NONE, a database error (normalisation), or on_fail.
 */
enum err	 password_hash(struct request *r, const char *pw, char **hash,
		    enum err on_fail);
/*
 * password_verify: NFKC-normalise pw and check it against stored (*match
 * 1 or 0).  stored NULL (no such user, no credential account) burns the
 * same work inside the gate and gives 0.  ERR_NONE or a database error.
 */
enum err	 password_verify(struct request *r, const char *pw,
		    const char *stored, int *match);

/*
 * password_needs_rehash: stored is in a format that verifies but that
 * Better Auth does not write (bcrypt, from an import): the caller stores
 * a fresh password_hash() of the password it just verified.
 */
int		 password_needs_rehash(const char *stored);

#endif
