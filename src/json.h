/*
 * json.h -- json-c helpers: parsing with limits, serialisation that
 * matches JSON.stringify, and small builders.  The only file besides the
 * handlers' own json_object use that configures json-c.
 */
#ifndef NEON_AUTHD_JSON_H
#define NEON_AUTHD_JSON_H

#include <json-c/json.h>

#include "arena.h"

#define JSON_MAX_DEPTH	32

/* json_quote: s as a JSON string literal (with quotes), in the arena. */
char		*json_quote(struct arena *a, const char *s);
/*
 * json_parse: parse a complete JSON text of len bytes.  Returns a new
 * object the caller must json_object_put, or NULL on malformed input,
 * trailing garbage or nesting deeper than JSON_MAX_DEPTH.  A JSON null
 * gives NULL with *is_null set.
 */
json_object	*json_parse(const char *text, size_t len, int *is_null);
/* json_own: hand o to the arena, which frees it when it is reset. */
void		 json_own(struct arena *a, json_object *o);
/* json_dump: compact serialisation like JSON.stringify, copied to the arena. */
char		*json_dump(struct arena *a, json_object *o);

#endif
