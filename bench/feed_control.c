/*
 * bench/feed_control.c: the feed benchmark's control, not part of Convene.
 * The least a libmicrohttpd server can do to answer GET with a body: the
 * file named on the command line, read once into memory and answered from
 * there to every request, with the daemon options Convene uses (epoll, a
 * pool of 4 threads). It shows what libmicrohttpd itself does against
 * nginx on the machine, in the same run (docs/performance.md).
 *
 * usage: feed_control FILE PORT
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

static char	*body;
static size_t	 body_len;

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)url; (void)method; (void)version; (void)upload;
	(void)upload_len;
	if (*state == NULL) {	/* headers only: wait for the end */
		*state = c;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(body_len, body,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/calendar");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	FILE *f;
	long n, port;
	char *end;

	if (argc != 3)
		return 2;
	port = strtol(argv[2], &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return 2;
	if ((f = fopen(argv[1], "rb")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (body = malloc((size_t)n + 1)) == NULL ||
	    fread(body, 1, (size_t)n, f) != (size_t)n)
		return 1;
	fclose(f);
	body_len = (size_t)n;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
	    (unsigned short)port, NULL, NULL, answer, NULL,
	    MHD_OPTION_THREAD_POOL_SIZE, 4u,
	    MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_END);
	if (d == NULL)
		return 1;
	pause();
	MHD_stop_daemon(d);
	return 0;
}
