/*
 * fuzz_json.c -- libFuzzer target: JSON request bodies (lib/json.c
 * json_parse with its depth limit) and the serialiser that writes them
 * back (json_dump, json_quote).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena	 a;
	json_object	*o;
	int		 is_null = 0;
	char		*s;

	arena_init(&a, 4096);
	o = json_parse((const char *)data, size, &is_null);
	if (o != NULL) {
		s = json_dump(&a, o);
		/* what we write must parse again */
		if (s != NULL) {
			json_object *o2 = json_parse(s, strlen(s), &is_null);

			if (o2 == NULL && !is_null)
				__builtin_trap();
			json_object_put(o2);
		}
		if (json_object_is_type(o, json_type_string))
			(void)json_quote(&a, json_object_get_string(o));
		json_object_put(o);
	}
	arena_free(&a);
	return (0);
}
