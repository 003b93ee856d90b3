/*
 * fuzz_req.h -- a bare request for the libFuzzer targets that need one
 * (cookies, bodies): an arena, the server's secret, the default cookie
 * prefix, FastCGI parameters the target fills.  Header-only: each target
 * is one file.
 */
#ifndef NEON_AUTHD_FUZZ_REQ_H
#define NEON_AUTHD_FUZZ_REQ_H

#include <string.h>

#include "http/branch.h"
#include "http/branchcfg.h"
#include "http/request.h"
#include "lib/arena.h"

struct fuzz_req {
	struct arena		 a;
	struct request		 r;
	struct request_env	 env;
	struct branch		 br;
	struct branchcfg	 cfg;
	char			*params[8];
};

static void
fuzz_req_init(struct fuzz_req *f)
{
	memset(f, 0, sizeof(*f));
	arena_init(&f->a, 4096);
	f->r.a = &f->a;
	f->env.secret = "fuzz-secret-0123456789abcdefghijklmnopqrstuvwxyz";
	f->r.env = &f->env;
	f->br.name = "main";
	f->r.branch = &f->br;
	memcpy(f->cfg.cookie_prefix, "neon-auth", sizeof("neon-auth"));
	f->r.bcfg = &f->cfg;
	f->r.params = f->params;
	f->r.method = "POST";
	f->r.scheme = "http";
}

static void
fuzz_req_free(struct fuzz_req *f)
{
	arena_free(&f->a);
}

#endif
