/*
 * text.h -- small byte-string facts shared by every layer: JavaScript
 * string length, ASCII case folding, hex digits, UTF-8 validity.
 */
#ifndef NEON_AUTHD_TEXT_H
#define NEON_AUTHD_TEXT_H

#include <stddef.h>

#include "lib/arena.h"

/* text_js_length: length of UTF-8 bytes in UTF-16 code units (JS .length). */
size_t	 text_js_length(const char *p, size_t n);
/* text_lower: an ASCII-lower-cased copy of s in a. */
char	*text_lower(struct arena *a, const char *s);
/* text_hexval: the value of a hex digit (either case), or -1. */
int	 text_hexval(int c);
/*
 * text_utf8_valid: 1 when n bytes at p are well-formed UTF-8 (no
 * overlong forms, no surrogates, nothing above U+10FFFF), else 0.
 */
int	 text_utf8_valid(const char *p, size_t n);

#endif
