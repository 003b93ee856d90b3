/*
 * fuzz_body.c -- libFuzzer target: request bodies as the handlers get
 * them (http/body.c body_parse: JSON and application/x-www-form-urlencoded,
 * chosen by the first byte) and the zod-style validators run over the
 * result the way sign-up/email does (v_email, v_str_min, v_bool,
 * v_record_any, v_strs, v_object).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz/fuzz_req.h"
#include "http/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const choices[] = { "sign-in", "email-verification",
	    "forget-password", NULL };
	static const char *const ctypes[] = { "application/json",
	    "application/x-www-form-urlencoded", "application/json; charset=utf-8",
	    "text/plain" };
	struct fuzz_req	 f;
	struct vctx	 v, sub;
	json_object	*o;
	const char	**strs;
	size_t		 n;
	int		 st;

	if (size < 1)
		return (0);
	fuzz_req_init(&f);
	f.r.content_type = ctypes[data[0] % 4];
	f.r.body.p = arena_strndup(&f.a, (const char *)data + 1, size - 1);
	f.r.body.len = size - 1;
	if (body_parse(&f.r, data[0] & 4, &o) == ERR_NONE) {
		f.r.json = o;
		v_begin(&v, &f.r, (enum v_kind)((data[0] >> 3) % 4));
		(void)v_email(&v, "email");
		(void)v_str_min(&v, "password", 1, 8);
		(void)v_str(&v, "name", 0);
		(void)v_bool(&v, "rememberMe", 1);
		(void)v_nstr(&v, "image", &st);
		(void)v_enum(&v, "type", choices);
		(void)v_record_any(&v, "metadata", 0);
		(void)v_strs(&v, "permissions", 0, &strs, &n);
		if (v_object(&v, "idToken", 0, &sub))
			(void)v_str(&sub, "token", 1);
		(void)v_present(&v, "callbackURL");
		(void)v_end(&v);
	}
	fuzz_req_free(&f);
	return (0);
}
