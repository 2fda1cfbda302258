/*
 * web: XXX placeholder route table until this module is built.
 */
#include <stddef.h>

#include "router.h"

const struct route web_routes[] = {
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
