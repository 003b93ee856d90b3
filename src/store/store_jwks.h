/*
 * store_jwks.h -- the signing keys of a branch: SQL on neon_auth.jwks and
 * the per-worker, per-branch key cache (protocol.md §9, neon.md §7).
 *
 * Rows are in Better Auth's format, so a key written by the reference
 * server is usable here and the other way round when both use the same
 * secret: "publicKey" = the public JWK as JSON text, "privateKey" = the
 * JSON string literal of symmetricEncrypt(secret, private JWK JSON),
 * "id" = the kid.  The algorithm is read from the public JWK (neon_auth.jwks
 * has no alg/crv columns: spec/README.md decision 8).
 *
 * Lifetimes: "expiresAt" is the instant a key leaves the JWKS.  NULL
 * means never.  The signing key is the newest key of the branch's
 * configured alg that this server can decrypt and that stays published
 * for at least one more token lifetime (expiresAt NULL or > now + ttl),
 * so no token outlives its key.  When there is none, a new key is
 * created: in one transaction under pg_advisory_xact_lock(
 * STORE_JWKS_LOCK), after looking again, so racing workers create one key
 * between them.  `neon-authd keys rotate --grace D` sets the expiresAt of
 * every published key to now + D (when later) and inserts a new key:
 * the new key signs at once, the old ones verify until the grace ends.
 * Better Auth reads such rows correctly: it signs with the newest key and
 * publishes old ones at least as long.
 *
 * Auth URLs (neon_auth.jwks_auth_url, sql/012): a key belongs to the Auth URL it was
 * made for and signs only there.  The first time an Auth URL signs in a
 * database (a copy of another branch's), the keys of other Auth URLs are
 * retired there: published for one token lifetime more, never signing.
 * Rows without one (older, Better Auth's, `keys rotate`'s) are claimed by
 * the next Auth URL that signs.
 *
 * Caching: each worker keeps, per branch (bounded LRU), the published
 * keys, the decrypted signing key and the serialised JWKS document.  The
 * jwks table's trigger sends NOTIFY neon_auth_jwks; whoever drains it
 * calls store_jwks_invalidate().  STORE_JWKS_TTL_MS is the backstop.
 * Decrypted keys survive a reload when their row is unchanged.
 */
#ifndef NEON_AUTHD_STORE_JWKS_H
#define NEON_AUTHD_STORE_JWKS_H

#include <stdint.h>

#include "lib/arena.h"
#include "lib/crypto.h"
#include "lib/jwt.h"

struct db_conn;

/* pg_advisory_xact_lock key serialising key creation ("neonjwks"). */
#define STORE_JWKS_LOCK		INT64_C(0x6e656f6e6a776b73)
/* reload a branch's key set at least this often */
#define STORE_JWKS_TTL_MS	(300 * 1000)
/* rows read per load (newest first) */
#define STORE_JWKS_MAX_KEYS	64

/* Why a call failed: what the handler answers. */
enum store_jwks_err {
	STORE_JWKS_OK = 0,
	STORE_JWKS_DB,		/* database error: db_last_error(c) */
	STORE_JWKS_CRYPTO,	/* key generation or encryption failed */
};

/*
 * store_jwks_invalidate: forget the cached key set of a branch (its jwks
 * changed, or its connection was reset).  NULL forgets every branch.
 * Cheap and safe to call at any time, e.g. from branchcfg_acquire() when
 * db_drain_notifies() reports DB_NOTIFY_JWKS or fails.
 */
void		 store_jwks_invalidate(const char *branch_name);

/*
 * store_jwks_signing_key: the key that signs for branch_name served at
 * auth_url now (see the rules above), loading, decrypting or creating
 * keys as needed over c (outside any transaction).  secret encrypts new keys and decrypts
 * stored ones; alg is the branch's configured algorithm; ttl_s the token
 * lifetime; now_ms the wall clock.
 *
 * Returns a key owned by the cache: valid until the next store_jwks_*
 * call for any branch.  NULL on failure with *err (may be NULL) set.
 */
const struct jwt_key *store_jwks_signing_key(struct db_conn *c,
		    struct arena *a, const char *branch_name,
		    const char *auth_url,
		    const struct crypto_secrets *secrets, enum jwt_alg alg, int ttl_s,
		    int64_t now_ms, enum store_jwks_err *err);

/*
 * store_jwks_document: the branch's JWKS document {"keys":[…]} as JSON
 * text: every key still published at now_ms, newest first, each as
 * jwt_key_jwks_entry() builds it.  Creates the signing key first when
 * there is none, as Better Auth's GET /jwks does.  Built once per key set
 * and cached.  The text is borrowed from the cache (copy it into a if it
 * must survive another store_jwks_* call); *len_out receives its length.
 * NULL on failure with *err set.
 */
const char	*store_jwks_document(struct db_conn *c, struct arena *a,
		    const char *branch_name, const char *auth_url,
		    const struct crypto_secrets *secrets,
		    enum jwt_alg alg, int ttl_s, int64_t now_ms,
		    size_t *len_out, enum store_jwks_err *err);

/* One row as `neon-authd keys list` shows it. */
struct store_jwks_row {
	const char	*id;
	const char	*alg;		/* of the public JWK, or "?" */
	const char	*created_at;	/* ISO-8601 UTC, ms */
	const char	*expires_at;	/* NULL when never */
	int		 published;	/* expiresAt NULL or later */
	int		 decrypts;	/* privateKey opens */
	int		 signing;	/* the key that signs now */
	int		 current;	/* encrypted with the newest secret */
};

/*
 * store_jwks_list: every row of neon_auth.jwks, newest first, with the
 * signing key marked as store_jwks_signing_key() would choose it (for alg
 * and ttl_s, at the database's clock).  Rows in a.  Returns the count, or
 * -1 on a database error (db_last_error(c)).
 */
int		 store_jwks_list(struct db_conn *c, struct arena *a,
		    const struct crypto_secrets *secrets, enum jwt_alg alg, int ttl_s,
		    struct store_jwks_row **rows_out);

/*
 * store_jwks_rotate: in one transaction under STORE_JWKS_LOCK, set
 * "expiresAt" = now() + grace_s on every key still published beyond that
 * instant, and insert a new alg key encrypted with secret.  The new kid
 * (in a) goes to *new_id (may be NULL); *retired (may be NULL) receives
 * the number of keys given an end of life.  0, or -1 with *err set.
 */
int		 store_jwks_rotate(struct db_conn *c, struct arena *a,
		    const struct crypto_secrets *secrets, enum jwt_alg alg, int64_t grace_s,
		    char **new_id, int *retired, enum store_jwks_err *err);

/* What store_jwks_reencrypt did, row by row. */
struct store_jwks_reenc {
	int	 reencrypted;	/* opened with an older secret, rewritten */
	int	 kept;		/* already under the newest secret */
	int	 failed;	/* opens with none of the secrets (or unencrypted) */
};

/*
 * store_jwks_reencrypt: in one transaction under STORE_JWKS_LOCK, rewrite
 * the privateKey of every row that one of the secrets opens but that is
 * not in the newest secret's form, encrypted with the newest.  The jwks
 * trigger tells the workers.  Rows no secret opens are counted and left
 * as they are.  0, or -1 with *err set.
 */
int		 store_jwks_reencrypt(struct db_conn *c, struct arena *a,
		    const struct crypto_secrets *secrets,
		    struct store_jwks_reenc *out, enum store_jwks_err *err);

#endif
