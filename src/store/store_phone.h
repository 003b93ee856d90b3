/*
 * store_phone.h -- the phone-number plugin's columns of neon_auth."user"
 * ("phoneNumber" unique, "phoneNumberVerified"; sql/010_webhooks.sql).
 */
#ifndef NEON_AUTHD_STORE_PHONE_H
#define NEON_AUTHD_STORE_PHONE_H

#include "lib/arena.h"

struct db_conn;

/* store_phone_user: the id of the user with that number. 1, 0, -1. */
int	 store_phone_user(struct db_conn *c, struct arena *a,
	    const char *phone, const char **user_id);
/*
 * store_phone_of: a user's number (NULL when none) and whether it is
 * verified (-1 null).  1, 0 (no such user), -1.
 */
int	 store_phone_of(struct db_conn *c, struct arena *a,
	    const char *user_id, const char **phone, int *verified);
/*
 * store_phone_set: give user_id the number, verified.  1, 0 when another
 * user has it, -1.
 */
int	 store_phone_set(struct db_conn *c, struct arena *a,
	    const char *user_id, const char *phone);
/* store_phone_verified: mark the user's number verified.  1, 0, -1. */
int	 store_phone_verified(struct db_conn *c, struct arena *a,
	    const char *user_id);

#endif
