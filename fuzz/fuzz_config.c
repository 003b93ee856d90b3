/*
 * fuzz_config.c -- libFuzzer target: the server configuration loader
 * (lib/config.c config_load over libconfig: every key, the branch list,
 * the template, secrets, mail) and the branch map built from what loads
 * (http/branch.c branch_map_init), as a reload would.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/fuzz_conf.h"
#include "http/branch.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*c;
	char		*norm;
	int		 i;

	c = fuzz_conf_load(data, size);
	if (c != NULL) {
		for (i = 0; i < c->nbranches; i++)
			if (config_auth_url_check(c->branches[i].auth_url,
			    &norm) == 0)
				free(norm);
		(void)branch_map_init(c);
		branch_map_free();
		config_free(c);
	}
	return (0);
}
