/*
 * body.c -- body parsing and zod-like validation (see body.h).
 *
 * Messages are zod v4's English texts, prefixed "[body.<key>]" and joined
 * with "; ", exactly as Better Auth reports them.
 */
#include <ctype.h>
#include <regex.h>
#include <string.h>
#include <strings.h>

#include "http/body.h"
#include "lib/json.h"
#include "lib/text.h"
#include "lib/url.h"

/* "application/json", "application/ld+json", ... case-insensitive */
static int
is_json_type(const char *ct, size_t n)
{
	size_t	 i;

	if (n < 16 || strncasecmp(ct, "application/", 12) != 0)
		return (0);
	ct += 12;
	n -= 12;
	/* ([a-z0-9.+-]*\+)?json */
	if (n >= 4 && strncasecmp(ct, "json", 4) == 0)
		return (1);
	for (i = 0; i < n; i++) {
		if (ct[i] == '+')
			return (i + 5 <= n && strncasecmp(ct + i + 1, "json",
			    4) == 0);
		if (!isalnum((unsigned char)ct[i]) && ct[i] != '.' &&
		    ct[i] != '-')
			return (0);
	}
	return (0);
}

static json_object *
parse_form(struct request *r)
{
	json_object	*o = json_object_new_object();
	const char	*p = r->body.p;
	char		*k, *v;

	while (url_pair_next(r->a, &p, r->body.p + r->body.len, &k, &v))
		if (*k != '\0')
			json_object_object_add(o, k, json_object_new_string(v));
	return (o);
}

/*
 * 1 when every key and string in o is well-formed UTF-8 (a raw byte or a
 * lone \uD800 escape would reach NFKC or PostgreSQL, which refuse it:
 * issue 12, #15).  depth is bounded by json_parse's JSON_MAX_DEPTH.
 */
static int
utf8_tree(json_object *o)
{
	json_object_iter	 it;
	size_t			 i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return (text_utf8_valid(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o)));
	case json_type_object:
		json_object_object_foreachC(o, it)
			if (!text_utf8_valid(it.key, strlen(it.key)) ||
			    (it.val != NULL && !utf8_tree(it.val)))
				return (0);
		return (1);
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(o, i);

			if (e != NULL && !utf8_tree(e))
				return (0);
		}
		return (1);
	default:
		return (1);
	}
}

enum err
body_parse(struct request *r, int form_ok, json_object **out)
{
	const char	*ct = r->content_type, *semi;
	size_t		 n;
	json_object	*o;
	int		 is_null = 0;

	*out = NULL;
	if (r->body.len == 0)
		return (ERR_NONE);
	if (ct == NULL || *ct == '\0')
		return (err_msg(r, ERR_UNSUPPORTED_MEDIA_TYPE, form_ok ?
		    "Content-Type is required. Allowed types: "
		    "application/x-www-form-urlencoded, application/json" :
		    "Content-Type is required. Allowed types: application/json"));
	semi = strchr(ct, ';');
	n = semi ? (size_t)(semi - ct) : strlen(ct);
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (is_json_type(ct, n)) {
		o = json_parse(r->body.p, r->body.len, &is_null);
		if (o == NULL && !is_null)
			return (ERR_BAD_REQUEST_JSON);
		if (o == NULL) {
			r->json_null = 1;	/* "received null" */
			return (ERR_NONE);
		}
		json_own(r->a, o);
		if (!utf8_tree(o))
			return (ERR_BAD_REQUEST_JSON);
		*out = o;
		return (ERR_NONE);
	}
	if (form_ok && n == 33 &&
	    strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) {
		o = parse_form(r);
		json_own(r->a, o);
		if (!utf8_tree(o))
			return (ERR_BAD_REQUEST_BODY);
		*out = o;
		return (ERR_NONE);
	}
	return (err_msg(r, ERR_UNSUPPORTED_MEDIA_TYPE, arena_printf(r->a,
	    "Content-Type \"%.*s\" is not allowed. Allowed types: %s", (int)n,
	    ct, form_ok ? "application/x-www-form-urlencoded, application/json"
	    : "application/json")));
}

static const char *
js_type(json_object *o)
{
	if (o == NULL)
		return ("null");
	switch (json_object_get_type(o)) {
	case json_type_boolean:
		return ("boolean");
	case json_type_int:
	case json_type_double:
		return ("number");
	case json_type_string:
		return ("string");
	case json_type_array:
		return ("array");
	case json_type_object:
		return ("object");
	default:
		return ("null");
	}
}

static void
issue(struct vctx *v, const char *key, const char *msg)
{
	const char	*one;

	/* a nested object's issue belongs to the outermost context */
	if (v->parent != NULL) {
		issue(v->parent, key ? arena_printf(v->r->a, "%s.%s", v->path,
		    key) : v->path, msg);
		return;
	}
	one = key ? arena_printf(v->r->a, "[body.%s] %s", key, msg) :
	    arena_printf(v->r->a, "[body] %s", msg);
	v->issues = v->issues ? arena_printf(v->r->a, "%s; %s", v->issues,
	    one) : (char *)one;
}

/* describe mode: the schema of a field (owned by the caller) */
static void
describe(struct vctx *v, const char *key, json_object *schema, int required)
{
	json_object_object_add(v->props, key, schema);
	if (required)
		json_object_array_add(v->required,
		    json_object_new_string(key));
}

static json_object *
type_schema(const char *type, const char *format)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	if (format != NULL)
		json_object_object_add(o, "format",
		    json_object_new_string(format));
	return (o);
}

void
v_issue(struct vctx *v, const char *path, const char *msg)
{
	issue(v, path, msg);
}

int
v_describe(struct vctx *v, const char *key, const char *schema_json,
    int required)
{
	json_object	*o;

	if (v->r->describe == NULL)
		return (0);
	if ((o = json_tokener_parse(schema_json)) == NULL)
		o = json_object_new_object();
	describe(v, key, o, required);
	return (1);
}

const char *
v_type_name(json_object *o)
{
	return (js_type(o));
}

void
v_begin(struct vctx *v, struct request *r, enum v_kind kind)
{
	json_object	*body = r->json;
	const char	*got;

	v->r = r;
	v->body = body;
	v->issues = NULL;
	v->props = v->required = NULL;
	v->parent = NULL;
	v->path = NULL;
	if (r->describe != NULL) {
		v->props = json_object_new_object();
		v->required = json_object_new_array();
		json_object_object_add(r->describe, "type",
		    json_object_new_string("object"));
		json_object_object_add(r->describe, "properties", v->props);
		json_object_object_add(r->describe, "required", v->required);
		if (kind == V_RECORD || kind == V_OBJECT_RECORD)
			json_object_object_add(r->describe,
			    "additionalProperties",
			    json_object_new_boolean(1));
		if (kind == V_OBJECT_OPT)
			json_object_object_add(r->describe, "x-optional",
			    json_object_new_boolean(1));
		return;
	}
	if (body != NULL && json_object_is_type(body, json_type_object))
		return;
	v->body = NULL;
	if (body == NULL && !r->json_null && kind == V_OBJECT_OPT)
		return;
	got = body ? js_type(body) : r->json_null ? "null" : "undefined";
	if (kind != V_RECORD)
		issue(v, NULL, arena_printf(r->a, "Invalid input: expected "
		    "object, received %s", got));
	if (kind == V_RECORD || kind == V_OBJECT_RECORD)
		issue(v, NULL, arena_printf(r->a, "Invalid input: expected "
		    "record, received %s", got));
}

/* 1 present (*val set, may be JSON null), 0 absent */
static int
lookup(struct vctx *v, const char *key, json_object **val)
{
	*val = NULL;
	if (v->body == NULL)
		return (0);
	return (json_object_object_get_ex(v->body, key, val));
}

int
v_present(struct vctx *v, const char *key)
{
	json_object	*x;

	if (v->props != NULL)
		return (0);
	return (lookup(v, key, &x));
}

/*
 * has_nul: a JSON string holding a NUL character (\u0000).  The C code
 * below would see it cut at the NUL (a password "x\u0000y" hashed as
 * "x", a name stored as "x"): refused as invalid input instead
 * (test_hostile.sh; PostgreSQL refuses NUL in text anyway).
 */
static int
has_nul(struct vctx *v, const char *key, json_object *x)
{
	if (strlen(json_object_get_string(x)) ==
	    (size_t)json_object_get_string_len(x))
		return (0);
	issue(v, key, "Invalid input: expected string without NUL "
	    "characters");
	return (1);
}

const char *
v_str(struct vctx *v, const char *key, int required)
{
	json_object	*x;

	if (v->props != NULL) {
		describe(v, key, type_schema("string", NULL), required);
		return (required ? "" : NULL);
	}
	if (v->body == NULL)
		return (NULL);
	if (!lookup(v, key, &x)) {
		if (required)
			issue(v, key, "Invalid input: expected string, "
			    "received undefined");
		return (NULL);
	}
	if (x == NULL || !json_object_is_type(x, json_type_string)) {
		issue(v, key, arena_printf(v->r->a, "Invalid input: expected "
		    "string, received %s", js_type(x)));
		return (NULL);
	}
	if (has_nul(v, key, x))
		return (NULL);
	return (json_object_get_string(x));
}

int
v_bool(struct vctx *v, const char *key, int def)
{
	json_object	*x, *sc;

	if (v->props != NULL) {
		sc = type_schema("boolean", NULL);
		json_object_object_add(sc, "default",
		    json_object_new_boolean(def));
		describe(v, key, sc, 0);
		return (def);
	}
	if (v->body == NULL || !lookup(v, key, &x))
		return (def);
	if (x == NULL || !json_object_is_type(x, json_type_boolean)) {
		issue(v, key, arena_printf(v->r->a, "Invalid input: expected "
		    "boolean, received %s", js_type(x)));
		return (def);
	}
	return (json_object_get_boolean(x));
}

const char *
v_email(struct vctx *v, const char *key)
{
	const char	*s;
	char		*saved = v->issues;

	if (v->props != NULL) {
		describe(v, key, type_schema("string", "email"), 1);
		return ("");
	}
	s = v_str(v, key, 1);
	if (s == NULL)
		return (NULL);
	(void)saved;
	if (!body_email_ok(s)) {
		issue(v, key, "Invalid email address");
		return (NULL);
	}
	return (s);
}

const char *
v_str_min(struct vctx *v, const char *key, int required, size_t min)
{
	const char	*s;

	if (v->props != NULL) {
		s = v_str(v, key, required);
		json_object_object_add(json_object_object_get(v->props, key),
		    "minLength", json_object_new_int64((int64_t)min));
		return (s);
	}
	if ((s = v_str(v, key, required)) == NULL)
		return (NULL);
	if (text_js_length(s, strlen(s)) < min) {
		issue(v, key, arena_printf(v->r->a, "Too small: expected "
		    "string to have >=%zu characters", min));
		return (NULL);
	}
	return (s);
}

const char *
v_nstr(struct vctx *v, const char *key, int *state)
{
	json_object	*x, *sc;

	*state = 0;
	if (v->props != NULL) {
		sc = json_object_new_object();
		json_object_object_add(sc, "type", json_tokener_parse(
		    "[\"string\",\"null\"]"));
		describe(v, key, sc, 0);
		return (NULL);
	}
	if (v->body == NULL || !lookup(v, key, &x))
		return (NULL);
	if (x == NULL) {
		*state = 1;
		return (NULL);
	}
	if (!json_object_is_type(x, json_type_string)) {
		issue(v, key, arena_printf(v->r->a, "Invalid input: expected "
		    "string, received %s", js_type(x)));
		return (NULL);
	}
	if (has_nul(v, key, x))
		return (NULL);
	*state = 2;
	return (json_object_get_string(x));
}

json_object *
v_record_any(struct vctx *v, const char *key, int required)
{
	json_object	*x, *sc;

	if (v->props != NULL) {
		sc = type_schema("object", NULL);
		json_object_object_add(sc, "additionalProperties",
		    json_object_new_boolean(1));
		describe(v, key, sc, required);
		return (NULL);
	}
	if (v->body == NULL)
		return (NULL);
	if (!lookup(v, key, &x)) {
		if (required)
			issue(v, key, "Invalid input: expected record, "
			    "received undefined");
		return (NULL);
	}
	if (x == NULL || !json_object_is_type(x, json_type_object)) {
		issue(v, key, arena_printf(v->r->a, "Invalid input: expected "
		    "record, received %s", js_type(x)));
		return (NULL);
	}
	return (x);
}

int
v_strs(struct vctx *v, const char *key, int required, const char ***out,
    size_t *n)
{
	json_object	*x, *e;
	const char	**list;
	size_t		 i, len;

	*out = NULL;
	*n = 0;
	if (v->props != NULL) {
		describe(v, key, json_tokener_parse("{\"anyOf\":[{\"type\":"
		    "\"string\"},{\"type\":\"array\",\"items\":{\"type\":"
		    "\"string\"}}]}"), required);
		return (0);
	}
	if (v->body == NULL)
		return (0);
	if (!lookup(v, key, &x)) {
		if (required)
			issue(v, key, "Invalid input");
		return (0);
	}
	if (x != NULL && json_object_is_type(x, json_type_string)) {
		list = arena_alloc(v->r->a, sizeof(*list));
		list[0] = json_object_get_string(x);
		*out = list;
		*n = 1;
		return (1);
	}
	if (x == NULL || !json_object_is_type(x, json_type_array))
		goto bad;
	len = json_object_array_length(x);
	list = arena_alloc(v->r->a, (len + 1) * sizeof(*list));
	for (i = 0; i < len; i++) {
		e = json_object_array_get_idx(x, i);
		if (e == NULL || !json_object_is_type(e, json_type_string))
			goto bad;
		list[i] = json_object_get_string(e);
	}
	*out = list;
	*n = len;
	return (1);
 bad:
	issue(v, key, "Invalid input");
	return (0);
}

int
v_object(struct vctx *v, const char *key, int required, struct vctx *sub)
{
	json_object	*x, *sc;

	memset(sub, 0, sizeof(*sub));
	sub->r = v->r;
	sub->parent = v;
	sub->path = key;
	if (v->props != NULL) {
		sc = type_schema("object", NULL);
		sub->props = json_object_new_object();
		sub->required = json_object_new_array();
		json_object_object_add(sc, "properties", sub->props);
		json_object_object_add(sc, "required", sub->required);
		describe(v, key, sc, required);
		return (0);
	}
	if (v->body == NULL)
		return (0);
	if (!lookup(v, key, &x)) {
		if (required)
			issue(v, key, "Invalid input: expected object, "
			    "received undefined");
		return (0);
	}
	if (x == NULL || !json_object_is_type(x, json_type_object)) {
		issue(v, key, arena_printf(v->r->a, "Invalid input: expected "
		    "object, received %s", js_type(x)));
		return (0);
	}
	sub->body = x;
	return (1);
}

const char *
v_enum(struct vctx *v, const char *key, const char *const *choices)
{
	json_object	*x, *sc, *e;
	const char	*s, *list = NULL;
	size_t		 i;

	if (v->props != NULL) {
		sc = type_schema("string", NULL);
		e = json_object_new_array();
		for (i = 0; choices[i] != NULL; i++)
			json_object_array_add(e,
			    json_object_new_string(choices[i]));
		json_object_object_add(sc, "enum", e);
		describe(v, key, sc, 1);
		return (choices[0]);
	}
	if (v->body == NULL)
		return (NULL);
	if (lookup(v, key, &x) && x != NULL &&
	    json_object_is_type(x, json_type_string)) {
		s = json_object_get_string(x);
		for (i = 0; choices[i] != NULL; i++)
			if (strcmp(s, choices[i]) == 0)
				return (choices[i]);
	}
	for (i = 0; choices[i] != NULL; i++)
		list = list ? arena_printf(v->r->a, "%s|\"%s\"", list,
		    choices[i]) : arena_printf(v->r->a, "\"%s\"", choices[i]);
	issue(v, key, arena_printf(v->r->a, "Invalid option: expected one of "
	    "%s", list ? list : ""));
	return (NULL);
}

enum err
v_end(struct vctx *v)
{
	if (v->props != NULL || v->issues == NULL)
		return (ERR_NONE);
	return (err_msg(v->r, ERR_VALIDATION_ERROR, v->issues));
}

const char *
body_query_str(struct request *r, const char *key, int required,
    char **issues)
{
	const char	*v, *msg = NULL;
	int		 n;

	v = request_query_n(r, key, &n);
	if (n > 1)
		msg = "Invalid input: expected string, received array";
	else if (v == NULL && required)
		msg = "Invalid input: expected string, received undefined";
	if (msg == NULL)
		return (v);
	msg = arena_printf(r->a, "[query.%s] %s", key, msg);
	*issues = *issues ? arena_printf(r->a, "%s; %s", *issues, msg) :
	    (char *)msg;
	return (NULL);
}

int
body_email_ok(const char *s)
{
	static regex_t	 re;
	static int	 compiled;

	if (!compiled) {
		/* zod v4's email pattern, POSIX ERE (no (?:) groups) */
		if (regcomp(&re, "^([A-Za-z0-9_'+-]+\\.)*[A-Za-z0-9_'+-]*"
		    "[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9-]*\\.)+"
		    "[A-Za-z]{2,}$", REG_EXTENDED | REG_NOSUB) != 0)
			return (0);
		compiled = 1;
	}
	if (strlen(s) > 320)
		return (0);
	return (regexec(&re, s, 0, NULL, 0) == 0);
}
