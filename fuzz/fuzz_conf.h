/*
 * fuzz_conf.h -- the libFuzzer targets that need a server configuration
 * file (config loader, branch map) write it to a private temporary file:
 * config_load reads a path.  Header-only.
 */
#ifndef NEON_AUTHD_FUZZ_CONF_H
#define NEON_AUTHD_FUZZ_CONF_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/config.h"

/* fuzz_conf_load: config_load of the n bytes at p; NULL when refused. */
static struct config *
fuzz_conf_load(const void *p, size_t n)
{
	static char	 path[64];
	char		 err[512];
	FILE		*f;

	if (path[0] == '\0') {
		int fd;

		snprintf(path, sizeof(path), "/tmp/neon-authd-fuzz-XXXXXX");
		if ((fd = mkstemp(path)) == -1)
			abort();
		close(fd);
	}
	if ((f = fopen(path, "w")) == NULL)
		abort();
	if (n > 0 && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
	return (config_load(path, err, sizeof(err)));
}

#endif
