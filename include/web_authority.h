/*
 * web_authority: the administrator's page for the authority's settings
 * (/admin/settings): which agencies are statutory, and the target for
 * holding a strategy discussion after the concern. Reads and writes go
 * through authority.h; the routes are in authority_routes (authority.c).
 */
#ifndef CONVENE_WEB_AUTHORITY_H
#define CONVENE_WEB_AUTHORITY_H

struct http_req;
struct http_resp;

int	 web_authority_form(struct http_req *, struct http_resp *);
int	 web_authority_post(struct http_req *, struct http_resp *);

#endif
