/*
 * status.h -- the status page (README "Status page").
 */
#ifndef NEON_AUTHD_STATUS_H
#define NEON_AUTHD_STATUS_H

#include "http/request.h"

struct scoreboard;

/* status_page: the scoreboard of sb as the reply of r (GET only). */
void	 status_page(struct request *r, const struct scoreboard *sb);

#endif
