/*
 * json.h -- json-c helpers: parsing with limits, serialisation that
 * matches JSON.stringify, and small builders.  The only file besides the
 * handlers' own json_object use that configures json-c.
 */
#ifndef NEON_AUTHD_JSON_H
#define NEON_AUTHD_JSON_H

#include <json-c/json.h>

#include "lib/arena.h"

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

/*
 * struct jbuf: JSON written straight into the arena, for the hot paths
 * (get-session) where building json-c objects to serialise them cost a
 * third of the worker's instructions.  Strings are escaped exactly as
 * json_dump escapes them.  jb_done returns the NUL-terminated text.
 */
struct jbuf {
	struct arena	*a;
	char		*p;
	size_t		 len;
	size_t		 cap;
};
void		 jb_init(struct jbuf *b, struct arena *a, size_t hint);
void		 jb_raw(struct jbuf *b, const char *s, size_t n);
#define jb_lit(b, lit)	jb_raw((b), (lit), sizeof(lit) - 1)
/* jb_str: a string literal, or null for NULL */
void		 jb_str(struct jbuf *b, const char *s);
void		 jb_bool(struct jbuf *b, int v);
char		*jb_done(struct jbuf *b);

#endif
