/*
 * stats_api: XXX placeholder route table until this module is built.
 */
#include <stddef.h>

#include "router.h"

const struct route stats_routes[] = {
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
