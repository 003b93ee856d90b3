/*
 * json.c -- json-c helpers (see json.h).
 */
#include <string.h>

#include "lib/json.h"

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

void
jb_init(struct jbuf *b, struct arena *a, size_t hint)
{
	b->a = a;
	b->cap = hint < 64 ? 64 : hint;
	b->p = arena_alloc(a, b->cap);
	b->len = 0;
}

static void
jb_grow(struct jbuf *b, size_t n)
{
	char	*np;
	size_t	 ncap = b->cap;

	while (ncap - b->len < n + 1)
		ncap *= 2;
	np = arena_alloc(b->a, ncap);
	memcpy(np, b->p, b->len);
	b->p = np;
	b->cap = ncap;
}

void
jb_raw(struct jbuf *b, const char *s, size_t n)
{
	if (b->cap - b->len < n + 1)
		jb_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void
jb_str(struct jbuf *b, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 run;
	char			 esc[6];

	if (s == NULL) {
		jb_lit(b, "null");
		return;
	}
	jb_lit(b, "\"");
	while (*u != '\0') {
		/* copy the run that needs no escape in one go */
		for (run = 0; u[run] >= 0x20 && u[run] != '"' &&
		    u[run] != '\\'; run++)
			;
		if (run > 0) {
			jb_raw(b, (const char *)u, run);
			u += run;
			continue;
		}
		esc[0] = '\\';
		switch (*u) {
		case '"':
		case '\\':
			esc[1] = (char)*u;
			jb_raw(b, esc, 2);
			break;
		case '\b':
			jb_lit(b, "\\b");
			break;
		case '\f':
			jb_lit(b, "\\f");
			break;
		case '\n':
			jb_lit(b, "\\n");
			break;
		case '\r':
			jb_lit(b, "\\r");
			break;
		case '\t':
			jb_lit(b, "\\t");
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[*u >> 4];
			esc[5] = hex[*u & 0xf];
			jb_raw(b, esc, 6);
			break;
		}
		u++;
	}
	jb_lit(b, "\"");
}

void
jb_bool(struct jbuf *b, int v)
{
	if (v)
		jb_lit(b, "true");
	else
		jb_lit(b, "false");
}

char *
jb_done(struct jbuf *b)
{
	b->p[b->len] = '\0';
	return (b->p);
}
