/*
 * cli_user.c -- `neon-authd user ...` (see cli_user.h).
 *
 * Each subcommand opens the branch like the other offline commands
 * (proc/cli.c), then runs the admin endpoints' operation on a request of
 * its own: no headers and no client address, the command's arena, the
 * branch's connection and configuration.  What the endpoints refuse, the
 * command refuses with the same rule, before anything is written.  The
 * command line is stricter in two places, both documented: a new user's
 * password must meet the branch's minimum length too, and a role must be
 * a list of words ([A-Za-z0-9_-]).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "api/api_admin.h"
#include "auth/admin.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/error.h"
#include "lib/clock.h"
#include "lib/config.h"
#include "lib/json.h"
#include "lib/text.h"
#include "proc/cli.h"
#include "proc/cli_keys.h"
#include "proc/cli_user.h"
#include "store/store.h"
#include "store/store_admin.h"

#define PASSWORD_MAX	4096	/* read at most this much from stdin */
#define LIST_LIMIT	50	/* `user list` without --limit */

/* options, by the bit a subcommand allows them with */
#define O_JSON		0x01
#define O_SEARCH	0x02
#define O_LIMIT		0x04
#define O_OFFSET	0x08
#define O_NAME		0x10
#define O_ROLE		0x20
#define O_PWSTDIN	0x40
#define O_REASON	0x80
#define O_FOR		0x100

struct opts {
	const char	*pos[3];	/* BRANCH, then its words */
	int		 npos;
	int		 json, pw_stdin;
	const char	*search, *limit, *offset, *name, *role, *reason, *dur;
};

struct ctx {
	struct request		 r;
	struct request_env	 env;
	struct cli_branch	 cb;
	struct opts		 o;
	const char		*sub;
};

struct sub {
	const char	*name;
	int		 npos;		/* words after BRANCH */
	unsigned	 opts;
	int		(*run)(struct ctx *);
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: neon-authd user list BRANCH [--search S] [--limit N] "
	    "[--offset N] [--json]\n"
	    "       neon-authd user show BRANCH ID|EMAIL [--json]\n"
	    "       neon-authd user create BRANCH EMAIL [--name N] [--role R] "
	    "[--password-stdin] [--json]\n"
	    "       neon-authd user set-role BRANCH ID|EMAIL ROLE[,ROLE] "
	    "[--json]\n"
	    "       neon-authd user set-password BRANCH ID|EMAIL "
	    "--password-stdin\n"
	    "       neon-authd user ban BRANCH ID|EMAIL [--reason R] "
	    "[--for DURATION] [--json]\n"
	    "       neon-authd user unban BRANCH ID|EMAIL [--json]\n"
	    "       neon-authd user revoke-sessions BRANCH ID|EMAIL\n"
	    "       neon-authd user delete BRANCH ID|EMAIL\n"
	    "  DURATION: 30s, 15m, 24h, 7d, 1h30m (default: for ever)\n"
	    "  exit: 0 done, 1 database, 64 usage, 65 refused input, "
	    "67 no such user\n");
}

/* the message and exit status for what an operation refused */
static int
fail(struct ctx *x, enum err e, const char *who)
{
	const struct err_info	*i = err_info(e);
	const char		*msg;

	switch (e) {
	case ERR_USER_NOT_FOUND_404:
		fprintf(stderr, "neon-authd user: no such user: %s\n", who);
		return (CLI_USER_NO_USER);
	case ERR_INVALID_EMAIL:
		fprintf(stderr, "neon-authd user: not an email address: %s\n",
		    who);
		return (CLI_USER_INPUT);
	case ERR_ADMIN_USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL:
		fprintf(stderr, "neon-authd user: a user with the email %s "
		    "already exists\n", who);
		return (CLI_USER_INPUT);
	case ERR_PASSWORD_TOO_SHORT:
		fprintf(stderr, "neon-authd user: password too short: at "
		    "least %d characters (settings.password.min_length)\n",
		    x->cb.cfg.pw_min);
		return (CLI_USER_INPUT);
	case ERR_PASSWORD_TOO_LONG:
		fprintf(stderr, "neon-authd user: password too long: at most "
		    "%d characters (settings.password.max_length)\n",
		    x->cb.cfg.pw_max);
		return (CLI_USER_INPUT);
	default:
		break;
	}
	msg = x->r.err_message ? x->r.err_message : i && i->message ?
	    i->message : "internal error";
	fprintf(stderr, "neon-authd user: branch %s: %s\n",
	    x->cb.branch->name, msg);
	return (i != NULL && i->status < 500 ? CLI_USER_INPUT : CLI_USER_DB);
}

/* the user named by id or email, or a message and the exit status */
static int
resolve(struct ctx *x, const char *who, struct user_rec *u)
{
	const char	*hash;
	int		 rc;

	if (store_admin_uuid_ok(who))
		rc = store_admin_user(x->r.db, x->r.a, who, u);
	else if (strchr(who, '@') != NULL)
		rc = store_user_by_email(x->r.db, x->r.a,
		    text_lower(x->r.a, who), u, &hash);
	else
		rc = 0;
	if (rc == -1)
		return (fail(x, err_db(&x->r, x->r.db, ERR_INTERNAL_EMPTY),
		    who));
	if (rc == 0)
		return (fail(x, ERR_USER_NOT_FOUND_404, who));
	return (CLI_USER_OK);
}

/* one line of standard input, without echo on a terminal */
static int
read_password(char *buf, size_t len)
{
	struct termios	 t, quiet;
	int		 tty = isatty(STDIN_FILENO), ok;
	size_t		 n;

	if (tty) {
		fprintf(stderr, "Password: ");
		if (tcgetattr(STDIN_FILENO, &t) == 0) {
			quiet = t;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		} else
			tty = 0;
	}
	ok = fgets(buf, (int)len, stdin) != NULL;
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
		fprintf(stderr, "\n");
	}
	if (!ok)
		return (-1);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] != '\n' && !feof(stdin))
		return (-1);	/* longer than the buffer */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return (n > 0 ? 0 : -1);
}

static int
get_password(struct ctx *x, char *buf, size_t len)
{
	(void)x;
	if (read_password(buf, len) == -1) {
		fprintf(stderr, "neon-authd user: no password on standard "
		    "input (one line, at most %d bytes)\n", PASSWORD_MAX);
		return (CLI_USER_INPUT);
	}
	if (!text_utf8_valid(buf, strlen(buf))) {
		fprintf(stderr, "neon-authd user: the password is not "
		    "UTF-8\n");
		return (CLI_USER_INPUT);
	}
	return (CLI_USER_OK);
}

/* ROLE[,ROLE]: words of [A-Za-z0-9_-]; a note for roles the plugin lacks */
static int
check_roles(const char *roles)
{
	const char	*p = roles, *e;
	size_t		 n;

	for (;;) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n > 64 || strspn(p, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") < n) {
			fprintf(stderr, "neon-authd user: bad role list %s "
			    "(words of [A-Za-z0-9_-], separated by ',')\n",
			    roles);
			return (CLI_USER_INPUT);
		}
		if (!((n == 5 && strncmp(p, "admin", 5) == 0) ||
		    (n == 4 && strncmp(p, "user", 4) == 0)))
			fprintf(stderr, "neon-authd user: note: %.*s is not "
			    "one of the admin plugin's roles (admin, user); "
			    "it grants no admin permission\n", (int)n, p);
		if (e == NULL)
			return (CLI_USER_OK);
		p = e + 1;
	}
}

/* ---- output */

static const char *
ban_state(const struct user_rec *u)
{
	if (u->banned != 1)
		return ("no");
	if (u->ban_expires == NULL)
		return ("yes");
	return (admin_banned(u, clock_now_ms()) ? "until" : "expired");
}

static void
print_user_json(struct ctx *x, const struct user_rec *u, int wrapped)
{
	struct jbuf	 b;

	jb_init(&b, x->r.a, 512);
	if (wrapped)
		jb_lit(&b, "{\"user\":");
	user_write(&b, u);
	if (wrapped)
		jb_lit(&b, "}");
	printf("%s\n", jb_done(&b));
}

static void
print_user(const struct user_rec *u)
{
	printf("id:              %s\n", u->id);
	printf("email:           %s\n", u->email);
	printf("name:            %s\n", u->name);
	printf("email verified:  %s\n", u->email_verified ? "yes" : "no");
	printf("role:            %s\n", u->role ? u->role : "(default)");
	printf("banned:          %s", ban_state(u));
	if (u->banned == 1 && u->ban_expires != NULL)
		printf(" %s", u->ban_expires);
	if (u->banned == 1 && u->ban_reason != NULL)
		printf(" (%s)", u->ban_reason);
	printf("\n");
	printf("created:         %s\n", u->created_at);
	printf("updated:         %s\n", u->updated_at);
}

/* ---- the subcommands */

static int
do_list(struct ctx *x)
{
	struct store_admin_query q;
	struct user_rec		*users;
	int64_t			 total;
	int			 n, i;
	struct jbuf		 b;
	char			*end;
	long long		 v;

	memset(&q, 0, sizeof(q));
	q.sort = -1;
	q.limit = LIST_LIMIT;
	if (x->o.limit != NULL) {
		errno = 0;
		v = strtoll(x->o.limit, &end, 10);
		if (errno != 0 || *end != '\0' || end == x->o.limit || v < 1 ||
		    v > 10000) {
			fprintf(stderr, "neon-authd user: --limit: a number "
			    "from 1 to 10000\n");
			return (CLI_USER_USAGE);
		}
		q.limit = v;
	}
	if (x->o.offset != NULL) {
		errno = 0;
		v = strtoll(x->o.offset, &end, 10);
		if (errno != 0 || *end != '\0' || end == x->o.offset || v < 0) {
			fprintf(stderr, "neon-authd user: --offset: a number "
			    "from 0\n");
			return (CLI_USER_USAGE);
		}
		q.offset = v;
	}
	if (x->o.search != NULL && *x->o.search != '\0') {
		/* list-users' default search: email, contains */
		q.ncond = 1;
		q.cond[0].field = SAF_EMAIL;
		q.cond[0].op = SAO_CONTAINS;
		q.cond[0].value = x->o.search;
	}
	if (store_admin_list(x->r.db, x->r.a, &q, &users, &n, &total) != 1)
		return (fail(x, err_db(&x->r, x->r.db, ERR_INTERNAL_EMPTY),
		    NULL));
	if (x->o.json) {
		jb_init(&b, x->r.a, 256 + (size_t)n * 320);
		jb_lit(&b, "{\"users\":[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				jb_lit(&b, ",");
			user_write(&b, &users[i]);
		}
		printf("%s],\"total\":%lld,\"limit\":%lld,\"offset\":%lld}\n",
		    jb_done(&b), (long long)total, (long long)q.limit,
		    (long long)q.offset);
		return (CLI_USER_OK);
	}
	printf("%-36s  %-32s  %-20s  %-10s  %-7s  %s\n", "ID", "EMAIL",
	    "NAME", "ROLE", "BANNED", "CREATED");
	for (i = 0; i < n; i++)
		printf("%-36s  %-32s  %-20s  %-10s  %-7s  %s\n", users[i].id,
		    users[i].email, users[i].name, users[i].role ?
		    users[i].role : "-", ban_state(&users[i]),
		    users[i].created_at);
	printf("# %d of %lld user%s", n, (long long)total, total == 1 ? "" :
	    "s");
	if (q.offset > 0)
		printf(" from offset %lld", (long long)q.offset);
	printf("\n");
	return (CLI_USER_OK);
}

static int
do_show(struct ctx *x)
{
	struct user_rec	 u;
	int64_t		 sessions;
	const char	*providers;
	int		 rc;

	if ((rc = resolve(x, x->o.pos[1], &u)) != CLI_USER_OK)
		return (rc);
	if (store_admin_user_facts(x->r.db, x->r.a, u.id, &sessions,
	    &providers) == -1)
		return (fail(x, err_db(&x->r, x->r.db, ERR_INTERNAL_EMPTY),
		    NULL));
	if (x->o.json) {
		struct jbuf	 b;

		jb_init(&b, x->r.a, 512);
		jb_lit(&b, "{\"user\":");
		user_write(&b, &u);
		printf("%s,\"sessions\":%lld,\"accounts\":%s}\n", jb_done(&b),
		    (long long)sessions, json_quote(x->r.a, providers));
		return (CLI_USER_OK);
	}
	print_user(&u);
	printf("live sessions:   %lld\n", (long long)sessions);
	printf("accounts:        %s\n", *providers ? providers : "(none)");
	return (CLI_USER_OK);
}

static int
do_create(struct ctx *x)
{
	struct admin_new	 nu;
	struct user_rec		 u;
	char			 pw[PASSWORD_MAX + 2];
	enum err		 e;
	int			 rc;

	memset(&nu, 0, sizeof(nu));
	nu.email = x->o.pos[1];
	nu.name = x->o.name ? x->o.name : "";
	nu.check_min = 1;
	if (x->o.role != NULL && (rc = check_roles(x->o.role)) != CLI_USER_OK)
		return (rc);
	nu.role = x->o.role;
	if (x->o.pw_stdin) {
		if ((rc = get_password(x, pw, sizeof(pw))) != CLI_USER_OK)
			return (rc);
		nu.password = pw;
	}
	e = api_admin_create_user(&x->r, NULL, &nu, &u);
	explicit_bzero(pw, sizeof(pw));
	if (e != ERR_NONE)
		return (fail(x, e, x->o.pos[1]));
	if (x->o.json)
		print_user_json(x, &u, 1);
	else
		printf("branch %s: user %s created: %s (role %s, %s)\n",
		    x->cb.branch->name, u.email, u.id, u.role ? u.role : "-",
		    nu.password ? "with a password" : "no password");
	return (CLI_USER_OK);
}

static int
do_set_role(struct ctx *x)
{
	struct user_rec	 u, out;
	enum err	 e;
	int		 rc;

	if ((rc = check_roles(x->o.pos[2])) != CLI_USER_OK ||
	    (rc = resolve(x, x->o.pos[1], &u)) != CLI_USER_OK)
		return (rc);
	if ((e = api_admin_set_role(&x->r, NULL, u.id, x->o.pos[2], &out)) !=
	    ERR_NONE)
		return (fail(x, e, x->o.pos[1]));
	if (x->o.json)
		print_user_json(x, &out, 1);
	else
		printf("branch %s: user %s: role %s (was %s)\n",
		    x->cb.branch->name, out.email, out.role, u.role ? u.role :
		    "-");
	return (CLI_USER_OK);
}

static int
do_set_password(struct ctx *x)
{
	struct user_rec	 u;
	char		 pw[PASSWORD_MAX + 2];
	enum err	 e;
	int		 rc;

	if (!x->o.pw_stdin) {
		fprintf(stderr, "neon-authd user: set-password reads the "
		    "password from standard input: say --password-stdin\n");
		return (CLI_USER_USAGE);
	}
	if ((rc = resolve(x, x->o.pos[1], &u)) != CLI_USER_OK ||
	    (rc = get_password(x, pw, sizeof(pw))) != CLI_USER_OK)
		return (rc);
	e = api_admin_set_password(&x->r, NULL, u.id, pw);
	explicit_bzero(pw, sizeof(pw));
	if (e != ERR_NONE)
		return (fail(x, e, x->o.pos[1]));
	printf("branch %s: user %s: password set\n", x->cb.branch->name,
	    u.email);
	return (CLI_USER_OK);
}

static int
do_ban(struct ctx *x)
{
	struct user_rec	 u, out;
	int64_t		 secs = 0;
	enum err	 e;
	int		 rc;

	if (x->o.dur != NULL && (cli_keys_parse_duration(x->o.dur, &secs) ==
	    -1 || secs == 0)) {
		fprintf(stderr, "neon-authd user: bad duration %s (say 30s, "
		    "15m, 24h or 7d)\n", x->o.dur);
		return (CLI_USER_USAGE);
	}
	if ((rc = resolve(x, x->o.pos[1], &u)) != CLI_USER_OK)
		return (rc);
	if ((e = api_admin_ban_user(&x->r, NULL, u.id, x->o.reason,
	    (double)secs, &out)) != ERR_NONE)
		return (fail(x, e, x->o.pos[1]));
	if (x->o.json)
		print_user_json(x, &out, 1);
	else
		printf("branch %s: user %s banned %s%s (%s); its sessions are "
		    "revoked\n", x->cb.branch->name, out.email,
		    out.ban_expires ? "until " : "for ever",
		    out.ban_expires ? out.ban_expires : "", out.ban_reason);
	return (CLI_USER_OK);
}

static int
do_unban(struct ctx *x)
{
	struct user_rec	 u, out;
	enum err	 e;
	int		 rc;

	if ((rc = resolve(x, x->o.pos[1], &u)) != CLI_USER_OK)
		return (rc);
	if ((e = api_admin_unban_user(&x->r, NULL, u.id, &out)) != ERR_NONE)
		return (fail(x, e, x->o.pos[1]));
	if (x->o.json)
		print_user_json(x, &out, 1);
	else
		printf("branch %s: user %s unbanned\n", x->cb.branch->name,
		    out.email);
	return (CLI_USER_OK);
}

static int
do_revoke(struct ctx *x)
{
	struct user_rec	 u;
	int64_t		 n;
	enum err	 e;
	int		 rc;

	if ((rc = resolve(x, x->o.pos[1], &u)) != CLI_USER_OK)
		return (rc);
	if ((e = api_admin_revoke_sessions(&x->r, NULL, u.id, &n)) != ERR_NONE)
		return (fail(x, e, x->o.pos[1]));
	printf("branch %s: user %s: %lld session%s revoked\n",
	    x->cb.branch->name, u.email, (long long)n, n == 1 ? "" : "s");
	return (CLI_USER_OK);
}

static int
do_delete(struct ctx *x)
{
	struct user_rec	 u;
	enum err	 e;
	int		 rc;

	if ((rc = resolve(x, x->o.pos[1], &u)) != CLI_USER_OK)
		return (rc);
	if ((e = api_admin_remove_user(&x->r, NULL, u.id)) != ERR_NONE)
		return (fail(x, e, x->o.pos[1]));
	printf("branch %s: user %s (%s) deleted, with its accounts and "
	    "sessions\n", x->cb.branch->name, u.email, u.id);
	return (CLI_USER_OK);
}

static const struct sub subs[] = {
	{ "list", 0, O_JSON | O_SEARCH | O_LIMIT | O_OFFSET, do_list },
	{ "show", 1, O_JSON, do_show },
	{ "create", 1, O_JSON | O_NAME | O_ROLE | O_PWSTDIN, do_create },
	{ "set-role", 2, O_JSON, do_set_role },
	{ "set-password", 1, O_PWSTDIN, do_set_password },
	{ "ban", 1, O_JSON | O_REASON | O_FOR, do_ban },
	{ "unban", 1, O_JSON, do_unban },
	{ "revoke-sessions", 1, 0, do_revoke },
	{ "delete", 1, 0, do_delete },
	{ NULL, 0, 0, NULL }
};

static const struct sub *
sub_find(const char *name)
{
	const struct sub	*s;

	for (s = subs; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return (s);
	return (NULL);
}

static const struct {
	const char	*name;
	unsigned	 bit;
	size_t		 off;		/* its value in struct opts, or 0 */
} options[] = {
	{ "--json", O_JSON, 0 },
	{ "--password-stdin", O_PWSTDIN, 0 },
	{ "--search", O_SEARCH, offsetof(struct opts, search) },
	{ "--limit", O_LIMIT, offsetof(struct opts, limit) },
	{ "--offset", O_OFFSET, offsetof(struct opts, offset) },
	{ "--name", O_NAME, offsetof(struct opts, name) },
	{ "--role", O_ROLE, offsetof(struct opts, role) },
	{ "--reason", O_REASON, offsetof(struct opts, reason) },
	{ "--for", O_FOR, offsetof(struct opts, dur) },
};

/* the words and options of a subcommand; 0, or a message and 64 */
static int
parse_args(const struct sub *s, int argc, char **argv, struct opts *o)
{
	size_t		 k, n;
	const char	*arg, *val;
	int		 i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		arg = argv[i];
		if (strncmp(arg, "--", 2) != 0) {
			if (o->npos == s->npos + 1) {
				fprintf(stderr, "neon-authd user %s: "
				    "unexpected argument %s\n", s->name, arg);
				return (CLI_USER_USAGE);
			}
			o->pos[o->npos++] = arg;
			continue;
		}
		for (k = 0; k < sizeof(options) / sizeof(options[0]); k++) {
			n = strlen(options[k].name);
			if (strncmp(arg, options[k].name, n) == 0 &&
			    (arg[n] == '\0' || (arg[n] == '=' &&
			    options[k].off != 0)))
				break;
		}
		if (k == sizeof(options) / sizeof(options[0]) ||
		    !(s->opts & options[k].bit)) {
			fprintf(stderr, "neon-authd user %s: unknown option "
			    "%s\n", s->name, arg);
			return (CLI_USER_USAGE);
		}
		if (options[k].off == 0) {
			if (options[k].bit == O_JSON)
				o->json = 1;
			else
				o->pw_stdin = 1;
			continue;
		}
		n = strlen(options[k].name);
		if (arg[n] == '=')
			val = arg + n + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			fprintf(stderr, "neon-authd user %s: %s needs a "
			    "value\n", s->name, arg);
			return (CLI_USER_USAGE);
		}
		*(const char **)((char *)o + options[k].off) = val;
	}
	if (o->npos != s->npos + 1) {
		fprintf(stderr, "neon-authd user %s: %s\n", s->name,
		    o->npos == 0 ? "which branch?" : "missing argument");
		return (CLI_USER_USAGE);
	}
	return (CLI_USER_OK);
}

int
cli_user(struct config *c, int argc, char **argv)
{
	const struct sub	*s;
	struct ctx		 x;
	int			 rc;

	if (argc < 1 || (s = sub_find(argv[0])) == NULL) {
		usage(stderr);
		return (CLI_USER_USAGE);
	}
	memset(&x, 0, sizeof(x));
	if ((rc = parse_args(s, argc - 1, argv + 1, &x.o)) != CLI_USER_OK) {
		usage(stderr);
		return (rc);
	}
	if ((rc = cli_branch_open(&x.cb, "user", c, x.o.pos[0])) != 0) {
		cli_branch_close(&x.cb);
		return (rc);
	}
	/* a request without HTTP: the operations need no more */
	x.sub = s->name;
	x.env.secret = c->secret;
	x.r.a = &x.cb.a;
	x.r.env = &x.env;
	x.r.start_ms = clock_now_ms();
	x.r.method = "CLI";
	x.r.scheme = "https";
	x.r.branch = x.cb.branch;
	x.r.db = x.cb.conn;
	x.r.bcfg = &x.cb.cfg;
	x.r.route_name = arena_printf(x.r.a, "user %s", s->name);
	rc = s->run(&x);
	cli_branch_close(&x.cb);
	return (rc);
}
