/*
 * crypto.c -- OpenSSL 3 wrapper and Better Auth 1.7.25 crypto formats
 * (see crypto.h; protocol.md §3.2, §3.4, §4).
 *
 * Invariants:
 *  - The algorithm handles in `algs` are fetched once (crypto_init) and
 *    only read afterwards; every operation builds a short-lived context.
 *  - Key material on the stack (derived keys, subkeys, scrypt output) is
 *    wiped with OPENSSL_cleanse before returning, on every path.
 *  - Comparisons of MACs, hashes and password keys use CRYPTO_memcmp.
 *  - The base64 codecs are written out here rather than taken from
 *    EVP_EncodeBlock because Better Auth's readers have quirks (alphabet
 *    sniffing, stop at '=', atob's forgiveness) that must be reproduced.
 *  - XChaCha20-Poly1305 is HChaCha20 (below) + OpenSSL's IETF
 *    ChaCha20-Poly1305 with nonce 00000000 || nonce[16..23]; OpenSSL 3.0
 *    has no XChaCha cipher.
 */
#include <limits.h>
#include <stdint.h>
#include <malloc.h>
#include <string.h>
#include <crypt.h>
#include <sys/mman.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "lib/arena.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/text.h"

/* scrypt parameters of Better Auth's hashPassword (protocol.md §4.1) */
#define SCRYPT_N	16384
#define SCRYPT_R	16
#define SCRYPT_P	1
#define SCRYPT_DKLEN	64
#define SCRYPT_SALTLEN	16		/* random bytes; 32 hex chars */
/*
 * 128*N*r*p = 32 MiB for the V array alone, and OpenSSL counts the B and
 * XY buffers too, so its 32 MiB default refuses these parameters.  Node
 * (and Better Auth) use 64 MiB = 128*N*r*2.
 */
#define SCRYPT_MAXMEM	((uint64_t)128 * SCRYPT_N * SCRYPT_R * 2)
/* OpenSSL takes 128 r (N + 2) + 128 r p bytes: a shared buffer holds it */
_Static_assert((size_t)128 * SCRYPT_R * (SCRYPT_N + 2 + SCRYPT_P) + 4096 <=
    CRYPTO_SCRYPT_BUFFER, "CRYPTO_SCRYPT_BUFFER too small");

#define PURPOSE_SALT	"better-auth:oauth-encryption:v1"
#define ENVELOPE_PREFIX	"$ba$"

static struct {
	int		 loaded;
	EVP_MAC		*hmac;
	EVP_MD		*sha256;
	EVP_KDF		*scrypt;
	EVP_KDF		*hkdf;
	EVP_CIPHER	*chacha;
} algs;

struct crypto_hmac {
	EVP_MAC_CTX	*ctx;
};

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char hexdig[] = "0123456789abcdef";

/* Log the failing call with the newest OpenSSL error, and clear the queue. */
static void
ssl_err(const char *fn, const char *what)
{
	char		 buf[256];
	unsigned long	 e;

	e = ERR_peek_last_error();
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	else
		buf[0] = '\0';
	ERR_clear_error();
	log_err("%s: %s failed%s%s", fn, what, e ? ": " : "", buf);
}

/*
 * scrypt's buffer (N=16384, r=16: 32 MiB) from a mapping kept for the
 * life of the process.  Mapping it anew for each hash costs 8192 page
 * faults (a hash took 170 ms instead of 62).  Kept in the heap, it stays
 * on whatever 4 KiB pages it first got; in one bench run hashes in the
 * workers took 80 ms while a fresh process took 64-67 ms, and such pages
 * are our likeliest suspect.  Huge pages (MADV_HUGEPAGE; without THP the
 * advice is a no-op) give every worker the same layout, and measured two
 * concurrent hashes at 64.3-65.5 ms against 65.4-70.0 ms.
 */
#define BIG_MIN		(16u << 20)
#define HUGE_SZ		(2u << 20)

static struct {
	int	 hooked;
	void	*p;
	size_t	 cap;
	int	 used;
	void	*ext;		/* crypto_scrypt_buffer: next hash */
	size_t	 extcap;
	int	 extused;
} big;

void
crypto_scrypt_buffer(void *p, size_t cap)
{
	big.ext = p;
	big.extcap = p != NULL ? cap : 0;
	big.extused = 0;
}

int
crypto_scrypt_hooked(void)
{
	return (big.hooked);
}

static void *
big_map(size_t n)
{
	size_t	 len = (n + HUGE_SZ - 1) & ~(size_t)(HUGE_SZ - 1);
	char	*m, *al;
	size_t	 head;

	/* over-map by one huge page to align the start */
	m = mmap(NULL, len + HUGE_SZ, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return (NULL);
	al = (char *)(((uintptr_t)m + HUGE_SZ - 1) & ~(uintptr_t)(HUGE_SZ - 1));
	head = (size_t)(al - m);
	if (head > 0)
		(void)munmap(m, head);
	if (HUGE_SZ - head > 0)
		(void)munmap(al + len, HUGE_SZ - head);
#ifdef MADV_HUGEPAGE
	(void)madvise(al, len, MADV_HUGEPAGE);
#endif
	big.cap = len;
	return (al);
}

static void *
mem_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	if (n >= BIG_MIN && big.ext != NULL && !big.extused &&
	    n <= big.extcap) {
		big.extused = 1;
		return (big.ext);
	}
	if (n >= BIG_MIN && !big.used) {
		if (big.p != NULL && big.cap < n) {
			(void)munmap(big.p, big.cap);
			big.p = NULL;
		}
		if (big.p == NULL)
			big.p = big_map(n);
		if (big.p != NULL) {
			big.used = 1;
			return (big.p);
		}
	}
	return (malloc(n));
}

static void *
mem_realloc(void *p, size_t n, const char *file, int line)
{
	void	*q;

	(void)file;
	(void)line;
	if (p != NULL && p == big.ext) {
		if (n <= big.extcap)
			return (p);
		if ((q = malloc(n)) == NULL)
			return (NULL);
		memcpy(q, p, big.extcap);
		big.extused = 0;
		return (q);
	}
	if (p == NULL || p != big.p)
		return (realloc(p, n));
	if (n <= big.cap)
		return (p);
	if ((q = malloc(n)) == NULL)
		return (NULL);
	memcpy(q, p, big.cap);
	big.used = 0;
	return (q);
}

static void
mem_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	if (p != NULL && p == big.ext) {
		big.extused = 0;	/* OPENSSL_clear_free has cleansed it */
		return;
	}
	if (p != NULL && p == big.p) {
		big.used = 0;	/* OPENSSL_clear_free has cleansed it */
		return;
	}
	free(p);
}

int
crypto_preinit(void)
{
	if (big.hooked)
		return (0);
	if (CRYPTO_set_mem_functions(mem_malloc, mem_realloc, mem_free) != 1)
		return (-1);
	big.hooked = 1;
	return (0);
}

int
crypto_init(void)
{
	if (algs.loaded)
		return (0);
	if ((algs.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (algs.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (algs.scrypt = EVP_KDF_fetch(NULL, "SCRYPT", NULL)) == NULL ||
	    (algs.hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (algs.chacha = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305",
	    NULL)) == NULL) {
		ssl_err(__func__, "algorithm fetch");
		crypto_cleanup();
		return (-1);
	}
	algs.loaded = 1;
	/*
	 * Without the allocation hook (crypto_preinit came too late), keep
	 * scrypt's buffer in the heap at least: from glibc's default mmap
	 * threshold up, each hash would map it anew (see big_map above).
	 */
	if (!big.hooked) {
		(void)mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
		(void)mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
	}
	return (0);
}

void
crypto_cleanup(void)
{
	EVP_MAC_free(algs.hmac);
	EVP_MD_free(algs.sha256);
	EVP_KDF_free(algs.scrypt);
	EVP_KDF_free(algs.hkdf);
	EVP_CIPHER_free(algs.chacha);
	memset(&algs, 0, sizeof(algs));
}

/*
 * Random
 */

int
crypto_random_bytes(void *buf, size_t n)
{
	unsigned char	*p = buf;
	size_t		 chunk;

	while (n > 0) {
		chunk = n > INT_MAX ? INT_MAX : n;
		if (RAND_bytes(p, (int)chunk) != 1) {
			ssl_err(__func__, "RAND_bytes");
			OPENSSL_cleanse(buf,
			    (size_t)(p - (unsigned char *)buf));
			return (-1);
		}
		p += chunk;
		n -= chunk;
	}
	return (0);
}

static int
csprng_source(void *arg, void *buf, size_t n)
{
	(void)arg;
	return (crypto_random_bytes(buf, n));
}

char *
crypto_random_string_from(struct arena *a, size_t len, const char *alphabet,
    int (*source)(void *arg, void *buf, size_t n), void *arg)
{
	unsigned char	 stackbuf[256], *buf;
	size_t		 n, maxvalid, bufsz, i, out;
	char		*s;

	if (alphabet == NULL || len == 0 || len > SIZE_MAX / 2)
		return (NULL);
	n = strlen(alphabet);
	if (n == 0 || n > 256)
		return (NULL);
	maxvalid = (256 / n) * n;
	bufsz = len * 2;
	buf = bufsz <= sizeof(stackbuf) ? stackbuf : arena_alloc(a, bufsz);
	s = arena_alloc(a, len + 1);
	out = 0;
	i = bufsz;
	while (out < len) {
		if (i >= bufsz) {
			if (source(arg, buf, bufsz) == -1) {
				s = NULL;
				break;
			}
			i = 0;
		}
		if (buf[i] < maxvalid)
			s[out++] = alphabet[buf[i] % n];
		i++;
	}
	OPENSSL_cleanse(buf, bufsz);
	return (s);
}

char *
crypto_random_string(struct arena *a, size_t len, const char *alphabet)
{
	return (crypto_random_string_from(a, len, alphabet, csprng_source,
	    NULL));
}

char *
crypto_random_id(struct arena *a)
{
	return (crypto_random_string(a, CRYPTO_ID_LEN, CRYPTO_ALPHABET_ID));
}

/*
 * Encodings
 */

static size_t
b64_encoded_len(size_t n, int pad)
{
	if (pad)
		return ((n + 2) / 3 * 4);
	return (n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1));
}

/* Write the encoding of src into dst (room for b64_encoded_len); no NUL. */
static size_t
b64_encode_into(char *dst, const unsigned char *src, size_t n,
    const char *alpha, int pad)
{
	size_t		 i, o = 0;
	uint32_t	 v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 |
		    src[i + 2];
		dst[o++] = alpha[v >> 18 & 0x3f];
		dst[o++] = alpha[v >> 12 & 0x3f];
		dst[o++] = alpha[v >> 6 & 0x3f];
		dst[o++] = alpha[v & 0x3f];
	}
	if (n - i == 1) {
		v = (uint32_t)src[i] << 16;
		dst[o++] = alpha[v >> 18 & 0x3f];
		dst[o++] = alpha[v >> 12 & 0x3f];
		if (pad) {
			dst[o++] = '=';
			dst[o++] = '=';
		}
	} else if (n - i == 2) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
		dst[o++] = alpha[v >> 18 & 0x3f];
		dst[o++] = alpha[v >> 12 & 0x3f];
		dst[o++] = alpha[v >> 6 & 0x3f];
		if (pad)
			dst[o++] = '=';
	}
	return (o);
}

char *
crypto_base64_encode_flags(struct arena *a, const void *buf, size_t n,
    int flags)
{
	int	 pad = (flags & CRYPTO_B64_NOPAD) == 0;
	size_t	 len;
	char	*s;

	if (n > (SIZE_MAX - 4) / 4 * 3)
		return (NULL);
	len = b64_encoded_len(n, pad);
	s = arena_alloc(a, len + 1);
	b64_encode_into(s, buf, n, (flags & CRYPTO_B64_URL) ? b64_url : b64_std,
	    pad);
	s[len] = '\0';
	return (s);
}

char *
crypto_base64_encode(struct arena *a, const void *buf, size_t n)
{
	return (crypto_base64_encode_flags(a, buf, n, 0));
}

char *
crypto_base64url_encode(struct arena *a, const void *buf, size_t n)
{
	return (crypto_base64_encode_flags(a, buf, n,
	    CRYPTO_B64_URL | CRYPTO_B64_NOPAD));
}

char *
crypto_hex_encode(struct arena *a, const void *buf, size_t n)
{
	const unsigned char	*p = buf;
	char			*s;
	size_t			 i;

	if (n > (SIZE_MAX - 1) / 2)
		return (NULL);
	s = arena_alloc(a, n * 2 + 1);
	for (i = 0; i < n; i++) {
		s[2 * i] = hexdig[p[i] >> 4];
		s[2 * i + 1] = hexdig[p[i] & 0x0f];
	}
	s[2 * n] = '\0';
	return (s);
}

/* Value of c in the standard (url == 0) or URL alphabet, or -1. */
static int
b64_val(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (url)
		return (c == '-' ? 62 : c == '_' ? 63 : -1);
	return (c == '+' ? 62 : c == '/' ? 63 : -1);
}
/*
 * Decode n symbols of in (all known valid for `alpha`: 0 std, 1 url,
 * 2 both) into dst; leftover bits are returned in *rest_bits and *rest.
 * Returns the number of bytes written, or (size_t)-1 on a bad symbol.
 */
static size_t
b64_decode_into(unsigned char *dst, const char *in, size_t n, int alpha,
    unsigned int *rest_bits, uint32_t *rest)
{
	uint32_t	 acc = 0;
	unsigned int	 bits = 0;
	size_t		 i, o = 0;
	int		 v;

	for (i = 0; i < n; i++) {
		v = b64_val((unsigned char)in[i], alpha == 1);
		if (v < 0 && alpha == 2)
			v = b64_val((unsigned char)in[i], 1);
		if (v < 0)
			return ((size_t)-1);
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[o++] = (unsigned char)(acc >> bits);
		}
	}
	*rest_bits = bits;
	*rest = acc & ((1u << bits) - 1);
	return (o);
}

/* Decoded size of n symbols (an upper bound is enough), plus the NUL. */
static unsigned char *
b64_outbuf(struct arena *a, size_t n)
{
	return (arena_alloc(a, n / 4 * 3 + 3 + 1));
}

static int
b64_decode_strict(struct arena *a, struct str in, int url, struct str *out)
{
	unsigned char	*dst;
	unsigned int	 rest_bits;
	uint32_t	 rest;
	size_t		 n = in.len, o;

	if (in.len > 0 && in.p == NULL)
		return (-1);
	if (!url) {
		if (n % 4 != 0)
			return (-1);
		if (n > 0 && in.p[n - 1] == '=')
			n--;
		if (n > 0 && in.p[n - 1] == '=')
			n--;
	}
	if (n % 4 == 1)
		return (-1);
	dst = b64_outbuf(a, n);
	o = b64_decode_into(dst, in.p, n, url, &rest_bits, &rest);
	if (o == (size_t)-1 || rest != 0)
		return (-1);
	dst[o] = '\0';
	out->p = (const char *)dst;
	out->len = o;
	return (0);
}

int
crypto_base64_decode(struct arena *a, struct str in, struct str *out)
{
	return (b64_decode_strict(a, in, 0, out));
}

int
crypto_base64url_decode(struct arena *a, struct str in, struct str *out)
{
	return (b64_decode_strict(a, in, 1, out));
}

int
crypto_base64_decode_ba(struct arena *a, struct str in, struct str *out)
{
	unsigned char	*dst;
	unsigned int	 rest_bits;
	uint32_t	 rest;
	size_t		 n, o;
	int		 url;

	if (in.len > 0 && in.p == NULL)
		return (-1);
	url = in.len > 0 && (memchr(in.p, '-', in.len) != NULL ||
	    memchr(in.p, '_', in.len) != NULL);
	for (n = 0; n < in.len && in.p[n] != '='; n++)
		;
	dst = b64_outbuf(a, n);
	o = b64_decode_into(dst, in.p, n, url, &rest_bits, &rest);
	if (o == (size_t)-1)
		return (-1);
	dst[o] = '\0';
	out->p = (const char *)dst;
	out->len = o;
	return (0);
}

static int
is_ascii_ws(unsigned char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r');
}

int
crypto_base64_decode_atob(struct arena *a, struct str in, int url,
    struct str *out)
{
	unsigned char	*dst;
	unsigned int	 rest_bits;
	uint32_t	 rest;
	char		*tmp;
	size_t		 i, n, o;

	if (in.len > 0 && in.p == NULL)
		return (-1);
	tmp = arena_alloc(a, in.len + 1);
	for (i = n = 0; i < in.len; i++)
		if (!is_ascii_ws((unsigned char)in.p[i]))
			tmp[n++] = in.p[i];
	if (n % 4 == 0 && n > 0 && tmp[n - 1] == '=') {
		n--;
		if (tmp[n - 1] == '=')
			n--;
	}
	if (n % 4 == 1)
		return (-1);
	dst = b64_outbuf(a, n);
	o = b64_decode_into(dst, tmp, n, url ? 2 : 0, &rest_bits, &rest);
	if (o == (size_t)-1)
		return (-1);
	dst[o] = '\0';
	out->p = (const char *)dst;
	out->len = o;
	return (0);
}

int
crypto_hex_decode(struct arena *a, struct str in, struct str *out)
{
	unsigned char	*dst;
	size_t		 i;
	int		 hi, lo;

	if (in.len % 2 != 0 || (in.len > 0 && in.p == NULL))
		return (-1);
	dst = arena_alloc(a, in.len / 2 + 1);
	for (i = 0; i < in.len / 2; i++) {
		hi = text_hexval((unsigned char)in.p[2 * i]);
		lo = text_hexval((unsigned char)in.p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return (-1);
		dst[i] = (unsigned char)(hi << 4 | lo);
	}
	dst[in.len / 2] = '\0';
	out->p = (const char *)dst;
	out->len = in.len / 2;
	return (0);
}

/*
 * Hashes and MACs
 */

int
crypto_sha256(const void *buf, size_t n, unsigned char out[CRYPTO_SHA256_LEN])
{
	static const unsigned char	 empty[1];

	if (crypto_init() == -1)
		return (-1);
	if (EVP_Digest(n ? buf : empty, n, out, NULL, algs.sha256, NULL) != 1) {
		ssl_err(__func__, "EVP_Digest");
		return (-1);
	}
	return (0);
}

char *
crypto_sha256_base64url(struct arena *a, struct str s)
{
	unsigned char	 md[CRYPTO_SHA256_LEN];

	if (crypto_sha256(s.p, s.len, md) == -1)
		return (NULL);
	return (crypto_base64url_encode(a, md, sizeof(md)));
}

int
crypto_otp_verify_hashed(struct str otp, struct str stored)
{
	unsigned char	 md[CRYPTO_SHA256_LEN];
	char		 enc[44];
	size_t		 n;
	int		 ok;

	if (crypto_sha256(otp.p, otp.len, md) == -1)
		return (0);
	n = b64_encode_into(enc, md, sizeof(md), b64_url, 0);
	ok = stored.len == n && CRYPTO_memcmp(enc, stored.p, n) == 0;
	OPENSSL_cleanse(md, sizeof(md));
	OPENSSL_cleanse(enc, sizeof(enc));
	return (ok);
}

/* A new HMAC-SHA256 context keyed with key (an empty key is allowed). */
static EVP_MAC_CTX *
hmac_ctx_new(const void *key, size_t keylen)
{
	static const unsigned char	 empty[1];
	OSSL_PARAM			 params[2];
	EVP_MAC_CTX			*ctx;

	if (crypto_init() == -1)
		return (NULL);
	if ((ctx = EVP_MAC_CTX_new(algs.hmac)) == NULL) {
		ssl_err(__func__, "EVP_MAC_CTX_new");
		return (NULL);
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, keylen ? key : empty, keylen, params) != 1) {
		ssl_err(__func__, "EVP_MAC_init");
		EVP_MAC_CTX_free(ctx);
		return (NULL);
	}
	return (ctx);
}

/* Finish one MAC on ctx (consumed by the caller's free). */
static int
hmac_run(EVP_MAC_CTX *ctx, const void *msg, size_t msglen,
    unsigned char out[CRYPTO_SHA256_LEN])
{
	size_t	 outlen = 0;

	if ((msglen > 0 && EVP_MAC_update(ctx, msg, msglen) != 1) ||
	    EVP_MAC_final(ctx, out, &outlen, CRYPTO_SHA256_LEN) != 1 ||
	    outlen != CRYPTO_SHA256_LEN) {
		ssl_err(__func__, "EVP_MAC_update/final");
		return (-1);
	}
	return (0);
}

int
crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[CRYPTO_SHA256_LEN])
{
	EVP_MAC_CTX	*ctx;
	int		 rc;

	if ((ctx = hmac_ctx_new(key, keylen)) == NULL)
		return (-1);
	rc = hmac_run(ctx, msg, msglen, out);
	EVP_MAC_CTX_free(ctx);
	return (rc);
}

struct crypto_hmac *
crypto_hmac_new(const void *key, size_t keylen)
{
	struct crypto_hmac	*h;

	if ((h = OPENSSL_zalloc(sizeof(*h))) == NULL) {
		log_err("%s: out of memory", __func__);
		return (NULL);
	}
	if ((h->ctx = hmac_ctx_new(key, keylen)) == NULL) {
		OPENSSL_free(h);
		return (NULL);
	}
	return (h);
}

void
crypto_hmac_free(struct crypto_hmac *h)
{
	if (h == NULL)
		return;
	EVP_MAC_CTX_free(h->ctx);
	OPENSSL_free(h);
}

int
crypto_hmac_sign(const struct crypto_hmac *h, const void *msg, size_t msglen,
    unsigned char out[CRYPTO_SHA256_LEN])
{
	if (h == NULL) {
		log_err("%s: no HMAC context", __func__);
		return (-1);
	}
	/*
	 * A NULL key re-initialises HMAC with the key it holds: the inner
	 * state is restored from the prepared ipad state, nothing is
	 * allocated (a duplicated context cost ~12k instructions a cookie;
	 * the context is per process and each worker is single-threaded).
	 */
	if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1) {
		ssl_err(__func__, "EVP_MAC_init");
		return (-1);
	}
	return (hmac_run(h->ctx, msg, msglen, out));
}

/*
 * Decode sig as @better-auth/utils base64.decode into a 32-byte buffer;
 * -1 if it is not decodable or not 32 bytes long.
 */
static int
sig_decode_ba(struct str sig, unsigned char out[CRYPTO_SHA256_LEN])
{
	unsigned char	 tmp[CRYPTO_SHA256_LEN + 3];
	unsigned int	 rest_bits;
	uint32_t	 rest;
	size_t		 n, o;
	int		 url;

	if (sig.len > 0 && sig.p == NULL)
		return (-1);
	url = sig.len > 0 && (memchr(sig.p, '-', sig.len) != NULL ||
	    memchr(sig.p, '_', sig.len) != NULL);
	for (n = 0; n < sig.len && sig.p[n] != '='; n++)
		;
	/* only 43 symbols make 32 bytes (42 make 31, 44 make 33) */
	if (n != 43)
		return (-1);
	o = b64_decode_into(tmp, sig.p, n, url, &rest_bits, &rest);
	if (o != CRYPTO_SHA256_LEN)
		return (-1);
	memcpy(out, tmp, CRYPTO_SHA256_LEN);
	return (0);
}

int
crypto_hmac_verify_b64_ctx(const struct crypto_hmac *h, struct str msg,
    struct str sig)
{
	unsigned char	 want[CRYPTO_SHA256_LEN], got[CRYPTO_SHA256_LEN];
	int		 ok = 0;

	if (sig_decode_ba(sig, got) == 0 &&
	    crypto_hmac_sign(h, msg.p, msg.len, want) == 0)
		ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return (ok);
}

int
crypto_hmac_verify_b64(struct str secret, struct str msg, struct str sig)
{
	unsigned char	 want[CRYPTO_SHA256_LEN], got[CRYPTO_SHA256_LEN];
	int		 ok = 0;

	if (sig_decode_ba(sig, got) == 0 &&
	    crypto_hmac_sha256(secret.p, secret.len, msg.p, msg.len,
	    want) == 0)
		ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return (ok);
}

int
crypto_memeq(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return (1);
	return (CRYPTO_memcmp(a, b, n) == 0);
}

int
crypto_str_eq(struct str a, struct str b)
{
	if (a.len != b.len)
		return (0);
	return (crypto_memeq(a.p, b.p, a.len));
}

/*
 * Signed cookies (protocol.md §3.2)
 */

/* "value.sig" from a computed MAC. */
static char *
cookie_join(struct arena *a, struct str value,
    const unsigned char mac[CRYPTO_SHA256_LEN])
{
	char	*s;

	s = arena_alloc(a, value.len + 1 + CRYPTO_COOKIE_SIG_LEN + 1);
	if (value.len > 0)
		memcpy(s, value.p, value.len);
	s[value.len] = '.';
	b64_encode_into(s + value.len + 1, mac, CRYPTO_SHA256_LEN, b64_std, 1);
	s[value.len + 1 + CRYPTO_COOKIE_SIG_LEN] = '\0';
	return (s);
}

char *
crypto_cookie_sign(struct arena *a, struct str secret, struct str value)
{
	unsigned char	 mac[CRYPTO_SHA256_LEN];

	if (crypto_hmac_sha256(secret.p, secret.len, value.p, value.len,
	    mac) == -1)
		return (NULL);
	return (cookie_join(a, value, mac));
}

char *
crypto_cookie_sign_ctx(struct arena *a, const struct crypto_hmac *h,
    struct str value)
{
	unsigned char	 mac[CRYPTO_SHA256_LEN];

	if (crypto_hmac_sign(h, value.p, value.len, mac) == -1)
		return (NULL);
	return (cookie_join(a, value, mac));
}
/*
 * Split a signed cookie value as better-call does.  Returns
 * CRYPTO_COOKIE_ABSENT when the shape is wrong, CRYPTO_COOKIE_INVALID when
 * atob() would reject the signature, else CRYPTO_COOKIE_VALID with the
 * value and the 32 decoded signature bytes.
 */
static int
cookie_split(struct str sv, struct str *value,
    unsigned char sig[CRYPTO_SHA256_LEN])
{
	unsigned char	 tmp[CRYPTO_SHA256_LEN + 3];
	unsigned int	 rest_bits;
	uint32_t	 rest;
	const char	*s;
	size_t		 dot, slen;

	if (sv.p == NULL || sv.len == 0)
		return (CRYPTO_COOKIE_ABSENT);
	for (dot = sv.len; dot > 0 && sv.p[dot - 1] != '.'; dot--)
		;
	if (dot < 2)		/* no '.', or '.' at index 0 */
		return (CRYPTO_COOKIE_ABSENT);
	dot--;
	s = sv.p + dot + 1;
	slen = sv.len - dot - 1;
	if (slen == 0 || s[slen - 1] != '=' ||
	    text_js_length(s, slen) != CRYPTO_COOKIE_SIG_LEN)
		return (CRYPTO_COOKIE_ABSENT);
	value->p = sv.p;
	value->len = dot;
	/*
	 * atob: 44 units ending in '=' can only give 32 bytes as 43 symbols
	 * of the standard alphabet + '='.  Whitespace, a second '=', '-' or
	 * '_' or non-ASCII give an error or a shorter MAC: a mismatch.  The
	 * two unused bits of the last symbol are ignored, as atob does.
	 */
	if (slen != CRYPTO_COOKIE_SIG_LEN)
		return (CRYPTO_COOKIE_INVALID);
	if (b64_decode_into(tmp, s, CRYPTO_COOKIE_SIG_LEN - 1, 0, &rest_bits,
	    &rest) != CRYPTO_SHA256_LEN)
		return (CRYPTO_COOKIE_INVALID);
	memcpy(sig, tmp, CRYPTO_SHA256_LEN);
	return (CRYPTO_COOKIE_VALID);
}

static int
cookie_compare(const unsigned char want[CRYPTO_SHA256_LEN],
    const unsigned char got[CRYPTO_SHA256_LEN], struct str value,
    struct str *value_out)
{
	if (CRYPTO_memcmp(want, got, CRYPTO_SHA256_LEN) != 0)
		return (CRYPTO_COOKIE_INVALID);
	if (value_out != NULL)
		*value_out = value;
	return (CRYPTO_COOKIE_VALID);
}

int
crypto_cookie_verify(struct str secret, struct str signed_value,
    struct str *value_out)
{
	unsigned char	 got[CRYPTO_SHA256_LEN], want[CRYPTO_SHA256_LEN];
	struct str	 value;
	int		 rc;

	if ((rc = cookie_split(signed_value, &value, got)) !=
	    CRYPTO_COOKIE_VALID)
		return (rc);
	if (crypto_hmac_sha256(secret.p, secret.len, value.p, value.len,
	    want) == -1)
		return (CRYPTO_COOKIE_INVALID);
	rc = cookie_compare(want, got, value, value_out);
	OPENSSL_cleanse(want, sizeof(want));
	return (rc);
}

int
crypto_cookie_verify_ctx(const struct crypto_hmac *h, struct str signed_value,
    struct str *value_out)
{
	unsigned char	 got[CRYPTO_SHA256_LEN], want[CRYPTO_SHA256_LEN];
	struct str	 value;
	int		 rc;

	if ((rc = cookie_split(signed_value, &value, got)) !=
	    CRYPTO_COOKIE_VALID)
		return (rc);
	if (crypto_hmac_sign(h, value.p, value.len, want) == -1)
		return (CRYPTO_COOKIE_INVALID);
	rc = cookie_compare(want, got, value, value_out);
	OPENSSL_cleanse(want, sizeof(want));
	return (rc);
}

/*
 * Passwords (protocol.md §4.1)
 */

int
crypto_is_ascii(struct str s)
{
	size_t	 i;

	for (i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] >= 0x80)
			return (0);
	return (1);
}

/* out = scrypt(password, salt) with Better Auth's parameters. */
static int
scrypt_derive(struct str password, const char *salt, size_t saltlen,
    unsigned char out[SCRYPT_DKLEN])
{
	static const char	 empty[1];
	OSSL_PARAM		 params[7], *p = params;
	EVP_KDF_CTX		*kctx;
	uint64_t		 n = SCRYPT_N, maxmem = SCRYPT_MAXMEM;
	uint32_t		 r = SCRYPT_R, par = SCRYPT_P;
	int			 rc = -1;

	if (crypto_init() == -1)
		return (-1);
	if ((kctx = EVP_KDF_CTX_new(algs.scrypt)) == NULL) {
		ssl_err(__func__, "EVP_KDF_CTX_new");
		return (-1);
	}
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
	    (void *)(password.len ? password.p : empty), password.len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, saltlen);
	*p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*p++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &par);
	*p++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
	    &maxmem);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, SCRYPT_DKLEN, params) != 1) {
		ssl_err(__func__, "EVP_KDF_derive(SCRYPT)");
		OPENSSL_cleanse(out, SCRYPT_DKLEN);
		goto done;
	}
	rc = 0;
 done:
	EVP_KDF_CTX_free(kctx);
	return (rc);
}

int
crypto_password_hash(struct arena *a, struct str password, char **out)
{
	unsigned char	 saltbin[SCRYPT_SALTLEN], key[SCRYPT_DKLEN];
	char		*s;
	size_t		 i;
	int		 rc = -1;

	if (crypto_random_bytes(saltbin, sizeof(saltbin)) == -1)
		return (-1);
	/* "<32 hex salt>:<128 hex key>" */
	s = arena_alloc(a, SCRYPT_SALTLEN * 2 + 1 + SCRYPT_DKLEN * 2 + 1);
	for (i = 0; i < SCRYPT_SALTLEN; i++) {
		s[2 * i] = hexdig[saltbin[i] >> 4];
		s[2 * i + 1] = hexdig[saltbin[i] & 0x0f];
	}
	/* the scrypt salt is the ASCII hex string, not the 16 bytes */
	if (scrypt_derive(password, s, SCRYPT_SALTLEN * 2, key) == -1)
		goto done;
	s[SCRYPT_SALTLEN * 2] = ':';
	for (i = 0; i < SCRYPT_DKLEN; i++) {
		s[SCRYPT_SALTLEN * 2 + 1 + 2 * i] = hexdig[key[i] >> 4];
		s[SCRYPT_SALTLEN * 2 + 2 + 2 * i] = hexdig[key[i] & 0x0f];
	}
	s[SCRYPT_SALTLEN * 2 + 1 + SCRYPT_DKLEN * 2] = '\0';
	*out = s;
	rc = 0;
 done:
	OPENSSL_cleanse(key, sizeof(key));
	return (rc);
}

int
crypto_password_is_bcrypt(const char *stored)
{
	return (stored != NULL && stored[0] == '$' && stored[1] == '2' &&
	    (stored[2] == 'a' || stored[2] == 'b' || stored[2] == 'y') &&
	    stored[3] == '$');
}

/*
 * A bcrypt hash (Supabase Auth, most PHP and Rails apps) through libcrypt's
 * crypt_r(3): the library that verifies bcrypt on this system, rather than
 * an implementation of our own.
 */
static int
bcrypt_verify(struct str password, const char *stored)
{
	struct crypt_data	*cd;
	char			*pw, *out;
	int			 rc = -1;

	/* bcrypt looks at 72 bytes at most; a NUL would end it early */
	if (memchr(password.p, '\0', password.len) != NULL)
		return (0);
	if ((cd = calloc(1, sizeof(*cd))) == NULL ||
	    (pw = malloc(password.len + 1)) == NULL) {
		free(cd);
		log_err("%s: out of memory", __func__);
		return (-1);
	}
	memcpy(pw, password.p, password.len);
	pw[password.len] = '\0';
	out = crypt_r(pw, stored, cd);
	if (out != NULL && out[0] != '*')
		rc = strlen(out) == strlen(stored) &&
		    CRYPTO_memcmp(out, stored, strlen(out)) == 0;
	else
		rc = 0;		/* a malformed hash matches nothing */
	OPENSSL_cleanse(pw, password.len);
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(pw);
	free(cd);
	return (rc);
}

int
crypto_password_verify(struct str password, const char *stored)
{
	unsigned char	 key[SCRYPT_DKLEN];
	char		 hex[SCRYPT_DKLEN * 2];
	const char	*salt, *k, *c1, *c2;
	size_t		 saltlen, klen, i;
	int		 rc;

	if (crypto_password_is_bcrypt(stored))
		return (bcrypt_verify(password, stored));
	if (stored == NULL || (c1 = strchr(stored, ':')) == NULL)
		return (-1);
	salt = stored;
	saltlen = (size_t)(c1 - stored);
	k = c1 + 1;
	c2 = strchr(k, ':');
	klen = c2 != NULL ? (size_t)(c2 - k) : strlen(k);
	if (saltlen == 0 || klen == 0)
		return (-1);
	if (scrypt_derive(password, salt, saltlen, key) == -1)
		return (-1);
	for (i = 0; i < SCRYPT_DKLEN; i++) {
		hex[2 * i] = hexdig[key[i] >> 4];
		hex[2 * i + 1] = hexdig[key[i] & 0x0f];
	}
	rc = klen == sizeof(hex) && CRYPTO_memcmp(hex, k, sizeof(hex)) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	return (rc);
}

void
crypto_password_burn(struct str password)
{
	static const char	 salt[] = "00000000000000000000000000000000";
	unsigned char		 key[SCRYPT_DKLEN];

	if (scrypt_derive(password, salt, sizeof(salt) - 1, key) == 0)
		OPENSSL_cleanse(key, sizeof(key));
}

/*
 * XChaCha20-Poly1305 (protocol.md §4.6)
 */

#define ROTL32(v, n)	((uint32_t)((v) << (n)) | ((v) >> (32 - (n))))
#define QROUND(a, b, c, d) do {					\
	a += b; d ^= a; d = ROTL32(d, 16);				\
	c += d; b ^= c; b = ROTL32(b, 12);				\
	a += b; d ^= a; d = ROTL32(d, 8);				\
	c += d; b ^= c; b = ROTL32(b, 7);				\
} while (0)

static uint32_t
load32_le(const unsigned char *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static void
store32_le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

void
crypto_hchacha20(const unsigned char key[32], const unsigned char nonce[16],
    unsigned char out[32])
{
	uint32_t	 x[16];
	int		 i;

	/* "expand 32-byte k" */
	x[0] = 0x61707865;
	x[1] = 0x3320646e;
	x[2] = 0x79622d32;
	x[3] = 0x6b206574;
	for (i = 0; i < 8; i++)
		x[4 + i] = load32_le(key + 4 * i);
	for (i = 0; i < 4; i++)
		x[12 + i] = load32_le(nonce + 4 * i);
	for (i = 0; i < 10; i++) {
		/* column round */
		QROUND(x[0], x[4], x[8], x[12]);
		QROUND(x[1], x[5], x[9], x[13]);
		QROUND(x[2], x[6], x[10], x[14]);
		QROUND(x[3], x[7], x[11], x[15]);
		/* diagonal round */
		QROUND(x[0], x[5], x[10], x[15]);
		QROUND(x[1], x[6], x[11], x[12]);
		QROUND(x[2], x[7], x[8], x[13]);
		QROUND(x[3], x[4], x[9], x[14]);
	}
	/* no feed-forward: words 0..3 and 12..15 are the subkey */
	for (i = 0; i < 4; i++) {
		store32_le(out + 4 * i, x[i]);
		store32_le(out + 16 + 4 * i, x[12 + i]);
	}
	OPENSSL_cleanse(x, sizeof(x));
}

/*
 * One XChaCha20-Poly1305 pass.  enc != 0: out = ct || tag from in[inlen];
 * enc == 0: in = ct || tag, out = pt.  Returns 0, or -1 (bad tag: 1).
 */
static int
xchacha_run(int enc, const unsigned char key[32],
    const unsigned char nonce[24], const void *aad, size_t aadlen,
    const unsigned char *in, size_t inlen, unsigned char *out, int *badtag)
{
	unsigned char	 subkey[32], iv[12];
	EVP_CIPHER_CTX	*ctx;
	size_t		 ctlen;
	int		 outl, rc = -1;

	*badtag = 0;
	ctlen = enc ? inlen : inlen - CRYPTO_XCHACHA_TAG_LEN;
	if (ctlen > INT_MAX - 64 || aadlen > INT_MAX) {
		log_err("%s: input too long", __func__);
		return (-1);
	}
	if (crypto_init() == -1)
		return (-1);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		ssl_err(__func__, "EVP_CIPHER_CTX_new");
		return (-1);
	}
	crypto_hchacha20(key, nonce, subkey);
	memset(iv, 0, 4);
	memcpy(iv + 4, nonce + 16, 8);
	if (EVP_CipherInit_ex2(ctx, algs.chacha, subkey, iv, enc,
	    NULL) != 1) {
		ssl_err(__func__, "EVP_CipherInit_ex2");
		goto done;
	}
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
	    CRYPTO_XCHACHA_TAG_LEN, (void *)(in + ctlen)) != 1) {
		ssl_err(__func__, "EVP_CTRL_AEAD_SET_TAG");
		goto done;
	}
	if (aadlen > 0 && EVP_CipherUpdate(ctx, NULL, &outl, aad,
	    (int)aadlen) != 1) {
		ssl_err(__func__, "EVP_CipherUpdate(aad)");
		goto done;
	}
	if (ctlen > 0 && EVP_CipherUpdate(ctx, out, &outl, in,
	    (int)ctlen) != 1) {
		ssl_err(__func__, "EVP_CipherUpdate");
		goto done;
	}
	if (EVP_CipherFinal_ex(ctx, out + ctlen, &outl) != 1) {
		if (enc) {
			ssl_err(__func__, "EVP_CipherFinal_ex");
		} else {
			ERR_clear_error();
			*badtag = 1;
		}
		goto done;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
	    CRYPTO_XCHACHA_TAG_LEN, out + ctlen) != 1) {
		ssl_err(__func__, "EVP_CTRL_AEAD_GET_TAG");
		goto done;
	}
	rc = 0;
 done:
	if (rc == -1 && !enc && ctlen > 0)
		OPENSSL_cleanse(out, ctlen);
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(subkey, sizeof(subkey));
	return (rc);
}

int
crypto_xchacha20poly1305_seal(const unsigned char key[32],
    const unsigned char nonce[24], const void *aad, size_t aadlen,
    const void *in, size_t inlen, unsigned char *out)
{
	int	 badtag;

	return (xchacha_run(1, key, nonce, aad, aadlen, in, inlen, out,
	    &badtag));
}

int
crypto_xchacha20poly1305_open(const unsigned char key[32],
    const unsigned char nonce[24], const void *aad, size_t aadlen,
    const void *in, size_t inlen, unsigned char *out)
{
	int	 badtag;

	if (inlen < CRYPTO_XCHACHA_TAG_LEN)
		return (-1);
	return (xchacha_run(0, key, nonce, aad, aadlen, in, inlen, out,
	    &badtag));
}

char *
crypto_symmetric_encrypt(struct arena *a, struct str secret,
    struct str plaintext)
{
	unsigned char	 key[32], *raw;
	char		*hex = NULL;
	size_t		 rawlen;

	if (plaintext.len > INT_MAX - 64)
		return (NULL);
	rawlen = CRYPTO_XCHACHA_NONCE_LEN + plaintext.len +
	    CRYPTO_XCHACHA_TAG_LEN;
	raw = arena_alloc(a, rawlen);
	if (crypto_sha256(secret.p, secret.len, key) == -1)
		return (NULL);
	if (crypto_random_bytes(raw, CRYPTO_XCHACHA_NONCE_LEN) == 0 &&
	    crypto_xchacha20poly1305_seal(key, raw, NULL, 0, plaintext.p,
	    plaintext.len, raw + CRYPTO_XCHACHA_NONCE_LEN) == 0)
		hex = crypto_hex_encode(a, raw, rawlen);
	OPENSSL_cleanse(key, sizeof(key));
	return (hex);
}

int
crypto_symmetric_decrypt(struct arena *a, struct str secret, struct str hex,
    struct str *plain_out)
{
	unsigned char	 key[32], *pt;
	struct str	 raw;
	size_t		 ptlen;
	int		 rc;

	if (crypto_hex_decode(a, hex, &raw) == -1 ||
	    raw.len < CRYPTO_XCHACHA_NONCE_LEN + CRYPTO_XCHACHA_TAG_LEN)
		return (-1);
	ptlen = raw.len - CRYPTO_XCHACHA_NONCE_LEN - CRYPTO_XCHACHA_TAG_LEN;
	pt = arena_alloc(a, ptlen + 1);
	if (crypto_sha256(secret.p, secret.len, key) == -1)
		return (-1);
	rc = crypto_xchacha20poly1305_open(key, (const unsigned char *)raw.p,
	    NULL, 0, raw.p + CRYPTO_XCHACHA_NONCE_LEN,
	    raw.len - CRYPTO_XCHACHA_NONCE_LEN, pt);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc == -1)
		return (-1);
	pt[ptlen] = '\0';
	plain_out->p = (const char *)pt;
	plain_out->len = ptlen;
	return (0);
}

char *
crypto_symmetric_encrypt_envelope(struct arena *a, uint32_t version,
    struct str secret, struct str plaintext)
{
	char	*hex;

	if ((hex = crypto_symmetric_encrypt(a, secret, plaintext)) == NULL)
		return (NULL);
	return (arena_printf(a, ENVELOPE_PREFIX "%lu$%s",
	    (unsigned long)version, hex));
}

int
crypto_envelope_parse(struct str data, uint32_t *version, struct str *hex)
{
	const size_t	 plen = sizeof(ENVELOPE_PREFIX) - 1;
	const char	*sep;
	size_t		 i, end;
	uint64_t	 v = 0;
	int		 neg = 0, digits = 0;

	if (data.len < plen || memcmp(data.p, ENVELOPE_PREFIX, plen) != 0)
		return (0);
	sep = memchr(data.p + plen, '$', data.len - plen);
	if (sep == NULL)
		return (0);
	end = (size_t)(sep - data.p);
	/* parseInt(s, 10): leading blanks, a sign, digits, junk ignored */
	for (i = plen; i < end && is_ascii_ws((unsigned char)data.p[i]); i++)
		;
	if (i < end && (data.p[i] == '+' || data.p[i] == '-'))
		neg = data.p[i++] == '-';
	for (; i < end && data.p[i] >= '0' && data.p[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(data.p[i] - '0');
		if (v > UINT32_MAX)
			return (0);
		digits++;
	}
	if (digits == 0 || (neg && v != 0))
		return (0);
	*version = (uint32_t)v;
	hex->p = sep + 1;
	hex->len = data.len - end - 1;
	return (1);
}

/*
 * Several secrets (rotation)
 */

char *
crypto_secrets_encrypt(struct arena *a, const struct crypto_secrets *k,
    struct str plaintext)
{
	if (k == NULL || k->n < 1)
		return (NULL);
	if (k->s[0].version >= 0)
		return (crypto_symmetric_encrypt_envelope(a,
		    (uint32_t)k->s[0].version, str_c(k->s[0].value),
		    plaintext));
	return (crypto_symmetric_encrypt(a, str_c(k->s[0].value), plaintext));
}

int
crypto_secrets_decrypt(struct arena *a, const struct crypto_secrets *k,
    struct str data, struct str *plain_out, int *which)
{
	struct str	 hex;
	uint32_t	 version;
	int		 i, pass;

	if (k == NULL)
		return (-1);
	if (crypto_envelope_parse(data, &version, &hex)) {
		for (i = 0; i < k->n; i++)
			if (k->s[i].version == (int64_t)version &&
			    crypto_symmetric_decrypt(a, str_c(k->s[i].value),
			    hex, plain_out) == 0)
				goto found;
		/* a version we do not list: our unversioned secrets may be it */
		for (i = 0; i < k->n; i++)
			if (k->s[i].version < 0 &&
			    crypto_symmetric_decrypt(a, str_c(k->s[i].value),
			    hex, plain_out) == 0)
				goto found;
		return (-1);
	}
	/* bare hex: unversioned secrets first, then the versioned ones */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < k->n; i++)
			if ((pass == 0) == (k->s[i].version < 0) &&
			    crypto_symmetric_decrypt(a, str_c(k->s[i].value),
			    data, plain_out) == 0)
				goto found;
	return (-1);
 found:
	if (which != NULL)
		*which = i;
	return (0);
}

int
crypto_secrets_is_current(const struct crypto_secrets *k, struct str data,
    int which)
{
	struct str	 hex;
	uint32_t	 version;
	int		 env;

	if (k == NULL || k->n < 1 || which != 0)
		return (0);
	env = crypto_envelope_parse(data, &version, &hex);
	return (k->s[0].version >= 0 ? env : !env);
}

/*
 * HKDF (protocol.md §4.6 purpose keys)
 */

int
crypto_hkdf_sha256(const void *ikm, size_t ikmlen, const void *salt,
    size_t saltlen, const void *info, size_t infolen, unsigned char *out,
    size_t outlen)
{
	static const unsigned char	 empty[1];
	OSSL_PARAM			 params[5], *p = params;
	EVP_KDF_CTX			*kctx;
	int				 rc = -1;

	if (crypto_init() == -1)
		return (-1);
	if ((kctx = EVP_KDF_CTX_new(algs.hkdf)) == NULL) {
		ssl_err(__func__, "EVP_KDF_CTX_new");
		return (-1);
	}
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(ikmlen ? ikm : empty), ikmlen);
	if (saltlen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)salt, saltlen);
	if (infolen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		    (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, outlen, params) != 1) {
		ssl_err(__func__, "EVP_KDF_derive(HKDF)");
		goto done;
	}
	rc = 0;
 done:
	EVP_KDF_CTX_free(kctx);
	return (rc);
}

char *
crypto_purpose_secret(struct arena *a, struct str secret, const char *purpose)
{
	unsigned char	 okm[32];
	char		*info, *hex = NULL;

	info = arena_printf(a, "better-auth:%s:v1", purpose);
	if (crypto_hkdf_sha256(secret.p, secret.len, PURPOSE_SALT,
	    sizeof(PURPOSE_SALT) - 1, info, strlen(info), okm,
	    sizeof(okm)) == 0)
		hex = crypto_hex_encode(a, okm, sizeof(okm));
	OPENSSL_cleanse(okm, sizeof(okm));
	return (hex);
}

/*
 * HS256 JWS (protocol.md §4.4)
 */

char *
crypto_jwt_hs256_sign(struct arena *a, struct str secret,
    struct str header_json, struct str payload_json)
{
	unsigned char	 mac[CRYPTO_SHA256_LEN];
	size_t		 hl, pl, sl, n;
	char		*s;

	hl = b64_encoded_len(header_json.len, 0);
	pl = b64_encoded_len(payload_json.len, 0);
	sl = b64_encoded_len(CRYPTO_SHA256_LEN, 0);
	s = arena_alloc(a, hl + 1 + pl + 1 + sl + 1);
	n = b64_encode_into(s, (const unsigned char *)header_json.p,
	    header_json.len, b64_url, 0);
	s[n++] = '.';
	n += b64_encode_into(s + n, (const unsigned char *)payload_json.p,
	    payload_json.len, b64_url, 0);
	if (crypto_hmac_sha256(secret.p, secret.len, s, n, mac) == -1)
		return (NULL);
	s[n++] = '.';
	n += b64_encode_into(s + n, mac, sizeof(mac), b64_url, 0);
	s[n] = '\0';
	return (s);
}

int
crypto_jwt_hs256_verify(struct arena *a, struct str secret, struct str token,
    struct str *header_json, struct str *payload_json)
{
	unsigned char	 want[CRYPTO_SHA256_LEN];
	struct str	 h, p, sig, hdec, pdec, sdec;
	const char	*d1, *d2;
	int		 rc;

	if (token.p == NULL || token.len == 0 ||
	    (d1 = memchr(token.p, '.', token.len)) == NULL)
		return (-1);
	h.p = token.p;
	h.len = (size_t)(d1 - token.p);
	p.p = d1 + 1;
	if ((d2 = memchr(p.p, '.', token.len - h.len - 1)) == NULL)
		return (-1);
	p.len = (size_t)(d2 - p.p);
	sig.p = d2 + 1;
	sig.len = token.len - h.len - p.len - 2;
	if (memchr(sig.p, '.', sig.len) != NULL || h.len == 0)
		return (-1);
	if (crypto_base64_decode_atob(a, h, 1, &hdec) == -1 ||
	    crypto_base64_decode_atob(a, p, 1, &pdec) == -1 ||
	    crypto_base64_decode_atob(a, sig, 1, &sdec) == -1)
		return (-1);
	if (sdec.len != CRYPTO_SHA256_LEN)
		return (0);
	if (crypto_hmac_sha256(secret.p, secret.len, token.p,
	    h.len + 1 + p.len, want) == -1)
		return (-1);
	rc = CRYPTO_memcmp(want, sdec.p, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (rc != 1)
		return (0);
	if (header_json != NULL)
		*header_json = hdec;
	if (payload_json != NULL)
		*payload_json = pdec;
	return (1);
}
