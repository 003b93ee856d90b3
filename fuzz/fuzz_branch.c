/*
 * fuzz_branch.c -- libFuzzer target: the Host header and path to a branch
 * (http/branch.c branch_resolve over listed branches, a host-only one and
 * a branch_template with {branch} and {database}), the way every request
 * is routed.  Input: "host\npath" (no newline: the whole input is the
 * path under the listed host).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_conf.h"
#include "http/branch.h"
#include "lib/arena.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf[] =
    "secret = \"fuzz-secret-0123456789abcdefghijklmnopqrstuvwxyz\";\n"
    "branches = (\n"
    "  { name = \"main\"; auth_url = \"http://127.0.0.1:8080/neondb/auth\";"
    " database = \"host=127.0.0.1 dbname=neondb\"; },\n"
    "  { name = \"root\"; auth_url = \"https://auth.example.com\";"
    " database = \"host=127.0.0.1 dbname=rootdb\"; }\n"
    ");\n"
    "branch_template = { auth_url ="
    " \"https://{branch}.auth.example.net/{database}/auth\";"
    " database = \"host=db dbname={database} options=-cb={branch}\"; };\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config	*c;
	struct arena		 a;
	struct branch		*b;
	struct str		 path, route;
	char			*s, *nl;
	const char		*host = "127.0.0.1:8080";

	if (c == NULL) {
		log_init(LOG_LVL_CRIT, NULL);
		if ((c = fuzz_conf_load(conf, sizeof(conf) - 1)) == NULL ||
		    branch_map_init(c) != 0)
			abort();
	}
	arena_init(&a, 4096);
	s = arena_strndup(&a, (const char *)data, size);
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		host = s;
		s = nl + 1;
	}
	path.p = s;
	path.len = strlen(s);
	b = branch_resolve(host, path, &route);
	if (b != NULL) {
		/* the route lies inside the path, below the base path */
		if (route.len > path.len || (route.len > 0 &&
		    route.p[0] != '/'))
			__builtin_trap();
		(void)branch_template_named(b->name);
	}
	(void)branch_host_only(host);
	(void)branch_template_named(s);
	arena_free(&a);
	return (0);
}
