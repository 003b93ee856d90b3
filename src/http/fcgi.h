/*
 * fcgi.h -- the FastCGI transport: accept a request into a struct request
 * and write its reply.  fcgi.c is the only file that includes fcgiapp.h.
 */
#ifndef NEON_AUTHD_FCGI_H
#define NEON_AUTHD_FCGI_H

#include <stddef.h>

#include "http/request.h"

/* fcgi_init: FCGX_Init and the worker's request object. 0 or -1. */
int	 fcgi_init(void);
/*
 * fcgi_accept: read the request on the accepted connection conn_fd (which
 * it takes over) and fill r (params copied into
 * r->a; the body read up to body_max, r->body_error set to 413 when it is
 * larger and 400 when it disagrees with CONTENT_LENGTH).
 * Returns 0, 1 when the connection closed before sending a request (it
 * is closed; nothing to answer), or -1 on an unexpected error.
 */
int	 fcgi_accept(struct request *r, int conn_fd, size_t body_max);
/* fcgi_send: write status, headers and body.  0, or -1 if the peer is gone. */
int	 fcgi_send(struct request *r);
/* fcgi_finish: end the request (closes the connection). */
void	 fcgi_finish(struct request *r);

#endif
