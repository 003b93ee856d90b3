/*
 * api_oauth.c -- social sign-in and linked accounts: sign-in/social,
 * callback/:id, link-social, list-accounts, unlink-account,
 * get-access-token, refresh-token, account-info (protocol.md §1.3, §1.4,
 * §1.23-§1.26, §8), and Neon's sign-in/social/init (neon.md §3.3, §8).
 */
#include <string.h>

#include "api/route.h"
#include "auth/session.h"
#include "http/request.h"
#include "lib/json.h"
#include "store/store_account.h"

/* ---- GET /list-accounts (protocol.md §1.24) */

static enum err
list_accounts(struct request *r, void *in)
{
	struct account_rec	*acc;
	struct jbuf		 b;
	int			 i, n;

	(void)in;
	if (store_account_list(r->db, r->a, r->auth->u.id, &acc, &n) == -1)
		return (err_db(r, r->db, ERR_INTERNAL_EMPTY));
	jb_init(&b, r->a, 256 * (size_t)(n + 1));
	jb_lit(&b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_lit(&b, ",");
		account_public_write(&b, &acc[i]);
	}
	jb_lit(&b, "]");
	reply_json_str(r, 200, jb_done(&b));
	return (ERR_NONE);
}

static const struct route routes[] = {
	{ "GET", "/list-accounts", "list-accounts", NULL, list_accounts,
	    SESS_REQUIRED, RL_BRANCH, ROUTE_DB },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0 }
};

const struct api_group api_oauth_group = { "core/oauth", routes, NULL };
