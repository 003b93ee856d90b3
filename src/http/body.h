/*
 * body.h -- request bodies and input validation as better-call and zod
 * do them (protocol.md §0.4 step 5, §2.2).
 */
#ifndef NEON_AUTHD_BODY_H
#define NEON_AUTHD_BODY_H

#include <json-c/json.h>

#include "http/error.h"
#include "http/request.h"

/*
 * body_parse: the request body as JSON.  JSON media types always, and
 * application/x-www-form-urlencoded when form_ok (an object of strings).
 * *out is NULL when there is no body ("undefined"); the object belongs to
 * the request arena.  Returns 0, or sets the 415/400 reply and returns -1.
 */
enum err	 body_parse(struct request *r, int form_ok, json_object **out);

/*
 * A zod-style validation pass: collect issues, then fail once.
 *
 * When r->describe is set (the OpenAPI document: api/api_openapi.c), the
 * same parser describes its input instead: each v_* call adds its field to
 * the JSON Schema object r->describe ("properties", "required") and
 * returns a neutral value ("" for a required string, NULL or the default
 * otherwise), and v_end succeeds.  So the document cannot drift from
 * what the parsers accept.  Every v_* function must honour it.
 */
struct vctx {
	struct request	*r;
	json_object	*body;
	char		*issues;	/* "; "-joined, NULL when none */
	json_object	*props;		/* describe mode: "properties" */
	json_object	*required;	/* describe mode: "required" */
	struct vctx	*parent;	/* v_object: the enclosing object */
	const char	*path;		/* v_object: its key: [body.<path>.x] */
};

/* what the body schema is: zod object, optional object, record, or the
 * sign-up intersection of an object and a record (two issues) */
enum v_kind {
	V_OBJECT,
	V_OBJECT_OPT,
	V_RECORD,
	V_OBJECT_RECORD,
};

/* v_begin: start validating r->json against a schema of the given kind. */
void		 v_begin(struct vctx *v, struct request *r, enum v_kind kind);
/* v_str: a string field; NULL when absent (issue if required) or wrong. */
const char	*v_str(struct vctx *v, const char *key, int required);
/* v_bool: a boolean field; def when absent; issue when not a boolean. */
int		 v_bool(struct vctx *v, const char *key, int def);
/* v_email: a required zod email field; the value, or NULL with an issue. */
const char	*v_email(struct vctx *v, const char *key);
/*
 * v_enum: a required z.enum(choices) field (NULL-ended): the value, or
 * NULL with zod's "Invalid option: expected one of ..." issue.
 */
const char	*v_enum(struct vctx *v, const char *key,
		    const char *const *choices);
/* v_present: 1 when the key is in the body (any value). */
int		 v_present(struct vctx *v, const char *key);
/*
 * v_str_min: v_str with zod's .min(n), counted in JS string length
 * ("Too small: expected string to have >=n characters").
 */
const char	*v_str_min(struct vctx *v, const char *key, int required,
		    size_t min);
/*
 * v_nstr: an optional string that may be null (zod .nullish()).  *state
 * is 0 when absent (or wrong, with an issue), 1 for null, 2 for a string.
 */
const char	*v_nstr(struct vctx *v, const char *key, int *state);
/* v_record_any: z.record(z.string(), z.any()): a member, or NULL. */
json_object	*v_record_any(struct vctx *v, const char *key, int required);
/*
 * v_strs: z.union([z.string(), z.array(z.string())]) ("Invalid input"
 * when it is neither).  1 with the strings in *out (one for a string)
 * and their number in *n; 0 when absent or wrong.
 */
int		 v_strs(struct vctx *v, const char *key, int required,
		    const char ***out, size_t *n);
/*
 * v_object: a nested z.object under key: starts sub on it, so that the
 * sub-fields' issues read [body.<key>.<field>].  1 when it is an object,
 * 0 when absent (an issue if required) or not an object (an issue).
 * Validate sub with the v_* functions; v_end(v) reports both.
 */
int		 v_object(struct vctx *v, const char *key, int required,
		    struct vctx *sub);
/*
 * v_issue: one more issue at path ("idToken.token", NULL for the body
 * itself) for the schemas v_* cannot express (nested objects, arrays,
 * refinements).  v_type_name: zod's name for a value's type ("string",
 * "number", "array", "object"; "null" for NULL, JSON null).
 */
void		 v_issue(struct vctx *v, const char *path, const char *msg);
/*
 * v_describe: in describe mode, add key with the JSON Schema text
 * schema_json and return 1; otherwise 0 (validate as usual).  For the
 * fields a parser checks with v_issue.
 */
int		 v_describe(struct vctx *v, const char *key,
		    const char *schema_json, int required);
const char	*v_type_name(json_object *o);
/* v_end: ERR_NONE when no issue, else ERR_VALIDATION_ERROR with the issues. */
enum err	 v_end(struct vctx *v);

/*
 * body_query_str: a string in the query string as a zod query schema
 * checks it: NULL when absent (an issue "[query.<key>] ..." appended to
 * *issues when required) or repeated (always an issue: an array).
 */
const char	*body_query_str(struct request *r, const char *key,
		    int required, char **issues);

/* body_email_ok: the zod email pattern (protocol.md §2.2). */
int		 body_email_ok(const char *s);

#endif
