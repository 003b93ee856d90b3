/*
 * json.c -- json-c helpers (see json.h).
 */
#include <string.h>

#include "json.h"

#define DUMP_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

char *
json_quote(struct arena *a, const char *s)
{
	json_object	*o = json_object_new_string(s ? s : "");
	char		*out;

	out = arena_strdup(a, json_object_to_json_string_ext(o, DUMP_FLAGS));
	json_object_put(o);
	return (out);
}

/*
 * json-c 0.16 accepts a few things JSON.parse refuses even in strict
 * mode: single-quoted strings, Infinity/NaN, raw control characters in
 * strings.  Refuse them before parsing.
 */
static int
json_precheck(const char *text, size_t len)
{
	static const char	 outside[] = "{}[],:0123456789+-.eE \t\r\n"
				    "truefalsn\"";
	size_t			 i;
	int			 in_str = 0;

	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)text[i];

		if (in_str) {
			if (c < 0x20)
				return (-1);
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '\0' || strchr(outside, c) == NULL)
			return (-1);
		if (c == '"')
			in_str = 1;
	}
	return (0);
}

json_object *
json_parse(const char *text, size_t len, int *is_null)
{
	json_tokener	*tok;
	json_object	*o;
	size_t		 off;
	int		 terminated = 0;

	if (is_null)
		*is_null = 0;
	if (len > (size_t)INT32_MAX || json_precheck(text, len) == -1)
		return (NULL);
	if ((tok = json_tokener_new_ex(JSON_MAX_DEPTH)) == NULL)
		return (NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	/* a bare number or literal needs a terminator to be complete */
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, " ", 1);
		terminated = 1;		/* all of text was consumed */
	}
	if (json_tokener_get_error(tok) != json_tokener_success) {
		if (o)
			json_object_put(o);
		json_tokener_free(tok);
		return (NULL);
	}
	off = terminated ? len : json_tokener_get_parse_end(tok);
	/* only whitespace may follow */
	for (; off < len; off++)
		if (!strchr(" \t\r\n", text[off])) {
			json_object_put(o);
			json_tokener_free(tok);
			return (NULL);
		}
	json_tokener_free(tok);
	if (o == NULL && is_null)
		*is_null = 1;
	return (o);
}

static void
put_json(void *o)
{
	json_object_put(o);
}

void
json_own(struct arena *a, json_object *o)
{
	arena_defer(a, put_json, o);
}

char *
json_dump(struct arena *a, json_object *o)
{
	if (o == NULL)
		return (arena_strdup(a, "null"));
	return (arena_strdup(a, json_object_to_json_string_ext(o, DUMP_FLAGS)));
}
