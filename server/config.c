/*
 * config: one place that knows every setting and its bounds, so that a typo
 * in a deployment fails loudly at start rather than at the first request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "config.h"
#include "organizer.h"
#include "retention.h"
#include "worker.h"
#include "str.h"

struct setting {
	const char	*env;
	const char	*flag;
	size_t		 off;
	size_t		 size;
};

#define S(e, f, m) { e, f, offsetof(struct config, m), \
	sizeof(((struct config *)0)->m) }

static const struct setting settings[] = {
	S("CONVENE_DATABASE_URL", "--database-url", database_url),
	S("CONVENE_MIGRATE_DATABASE_URL", "--migrate-database-url",
	    migrate_database_url),
	S("CONVENE_STATS_DATABASE_URL", "--stats-database-url",
	    stats_database_url),
	S("CONVENE_LISTEN", "--listen", listen),
	S("CONVENE_BASE_URL", "--base-url", base_url),
	S("CONVENE_DATA_DIR", "--data-dir", data_dir),
	S("CONVENE_ASSETS_DIR", "--assets-dir", assets_dir),
	S("CONVENE_TEMPLATES_DIR", "--templates-dir", templates_dir),
	S("CONVENE_PAGES_DIR", "--pages-dir", pages_dir),
	S("CONVENE_GOVUK_DIR", "--govuk-dir", govuk_dir),
	S("CONVENE_SMTP_URL", "--smtp-url", smtp_url),
	S("CONVENE_SMTP_USER", "--smtp-user", smtp_user),
	S("CONVENE_SMTP_PASSWORD", NULL, smtp_password),
	S("CONVENE_SMTP_FROM", "--smtp-from", smtp_from),
	S("CONVENE_SMTP_TLS", "--smtp-tls", smtp_tls),
	S("CONVENE_SMTP_CA_FILE", "--smtp-ca-file", smtp_ca_file),
	S("CONVENE_METRICS_TOKEN", NULL, metrics_token),
	S("CONVENE_TRUSTED_PROXIES", "--trusted-proxies", trusted_proxies),
};

/* CONVENE_TRUSTED_PROXIES: IPv4 addresses separated by commas. */
static int
proxies_valid(const char *list)
{
	struct in_addr a;
	char one[INET_ADDRSTRLEN];
	size_t n;

	while (*list != '\0') {
		n = strcspn(list, ",");
		if (n == 0 || n >= sizeof(one))
			return 0;
		memcpy(one, list, n);
		one[n] = '\0';
		if (inet_pton(AF_INET, one, &a) != 1)
			return 0;
		list += n;
		if (*list == ',')
			list++;
	}
	return 1;
}

static int
set_str(struct config *c, const struct setting *s, const char *v,
    char *err, size_t errlen)
{
	char *dst = (char *)c + s->off;

	if (str_copy(dst, v, s->size) >= s->size) {
		snprintf(err, errlen, "%s: longer than %zu characters",
		    s->env, s->size - 1);
		return -1;
	}
	return 0;
}

static int
set_int(const char *name, const char *v, long min, long max, int *out,
    char *err, size_t errlen)
{
	long n;

	if (str_to_long(v, min, max, &n) != 0) {
		snprintf(err, errlen, "%s: must be a whole number from %ld to %ld",
		    name, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

int
config_from_env(struct config *c, char *err, size_t errlen)
{
	const char *v;
	size_t i;

	memset(c, 0, sizeof(*c));
	str_copy(c->listen, "127.0.0.1:8080", sizeof(c->listen));
	str_copy(c->data_dir, "./var", sizeof(c->data_dir));
	c->threads = 4;
	c->db_pool = 12;	/* two per HTTP thread (statistics) and the worker */
	c->delivery_threads = WORKER_THREADS_DEFAULT;
	c->retention_mail_days = RETENTION_MAIL_DAYS;
	c->retention_itip_days = RETENTION_ITIP_DAYS;
	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if ((v = getenv(settings[i].env)) != NULL &&
		    set_str(c, &settings[i], v, err, errlen) != 0)
			return -1;
	}
	if ((v = getenv("CONVENE_THREADS")) != NULL &&
	    set_int("CONVENE_THREADS", v, 1, 64, &c->threads, err, errlen) != 0)
		return -1;
	if ((v = getenv("CONVENE_DB_POOL")) != NULL &&
	    set_int("CONVENE_DB_POOL", v, 1, 32, &c->db_pool, err, errlen) != 0)
		return -1;
	if ((v = getenv("CONVENE_DELIVERY_THREADS")) != NULL &&
	    set_int("CONVENE_DELIVERY_THREADS", v, 0, WORKER_THREADS_MAX,
	    &c->delivery_threads, err, errlen) != 0)
		return -1;
	if ((v = getenv("CONVENE_RETENTION_MAIL_DAYS")) != NULL &&
	    set_int("CONVENE_RETENTION_MAIL_DAYS", v, 1, RETENTION_DAYS_MAX,
	    &c->retention_mail_days, err, errlen) != 0)
		return -1;
	if ((v = getenv("CONVENE_RETENTION_ITIP_DAYS")) != NULL &&
	    set_int("CONVENE_RETENTION_ITIP_DAYS", v, 1, RETENTION_DAYS_MAX,
	    &c->retention_itip_days, err, errlen) != 0)
		return -1;
	return 0;
}

int
config_flag(struct config *c, const char *flag, const char *value,
    char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		if (settings[i].flag == NULL || strcmp(flag, settings[i].flag))
			continue;
		if (value == NULL) {
			snprintf(err, errlen, "%s needs a value", flag);
			return -1;
		}
		return set_str(c, &settings[i], value, err, errlen) ? -1 : 1;
	}
	if (strcmp(flag, "--threads") == 0) {
		if (value == NULL) {
			snprintf(err, errlen, "%s needs a value", flag);
			return -1;
		}
		return set_int("--threads", value, 1, 64, &c->threads, err,
		    errlen) ? -1 : 1;
	}
	return 0;
}

static int
parse_listen(struct config *c, char *err, size_t errlen)
{
	const char *colon = strrchr(c->listen, ':');
	long port;
	size_t hlen;

	if (colon == NULL || colon == c->listen ||
	    str_to_long(colon + 1, 1, 65535, &port) != 0) {
		snprintf(err, errlen, "CONVENE_LISTEN: must be HOST:PORT like "
		    "127.0.0.1:8080");
		return -1;
	}
	hlen = (size_t)(colon - c->listen);
	if (hlen >= sizeof(c->listen_host)) {
		snprintf(err, errlen, "CONVENE_LISTEN: host too long");
		return -1;
	}
	memcpy(c->listen_host, c->listen, hlen);
	c->listen_host[hlen] = '\0';
	c->listen_port = (int)port;
	return 0;
}

/* Prefer a directory beside the source tree in development, the installed
 * path otherwise. */
static void
default_dir(char *dst, size_t size, const char *rel, const char *installed)
{
	char p[600];

	if (dst[0] != '\0')
		return;
	snprintf(p, sizeof(p), "%s/%s", CONVENE_SOURCE_DIR, rel);
	if (access(p, R_OK) == 0)
		str_copy(dst, p, size);
	else
		str_copy(dst, installed, size);
}

/*
 * With a relay, invites leave the building: they must name a mailbox that
 * is read (replies go there) and answer links that work, so neither may
 * fall back to a placeholder. Runs before the defaults are filled in.
 */
static int
smtp_check(struct config *c, char *err, size_t errlen)
{
	if (c->smtp_tls[0] == '\0' || strcmp(c->smtp_tls,
	    "opportunistic") == 0)
		c->smtp_tls_required = 0;
	else if (strcmp(c->smtp_tls, "required") == 0)
		c->smtp_tls_required = 1;
	else {
		snprintf(err, errlen, "CONVENE_SMTP_TLS: must be "
		    "\"opportunistic\" or \"required\"");
		return -1;
	}
	if (c->smtp_ca_file[0] != '\0' && access(c->smtp_ca_file, R_OK) != 0) {
		snprintf(err, errlen, "CONVENE_SMTP_CA_FILE: cannot read %s",
		    c->smtp_ca_file);
		return -1;
	}
	if (c->smtp_url[0] == '\0')
		return 0;
	if (c->smtp_from[0] == '\0') {
		snprintf(err, errlen, "CONVENE_SMTP_FROM: must be set when "
		    "CONVENE_SMTP_URL is (the organiser mailbox invites name "
		    "and replies go to)");
		return -1;
	}
	if (c->base_url[0] == '\0') {
		snprintf(err, errlen, "CONVENE_BASE_URL: must be set when "
		    "CONVENE_SMTP_URL is (answer links in invites point "
		    "there)");
		return -1;
	}
	return 0;
}

int
config_finish(struct config *c, char *err, size_t errlen)
{
	size_t n;

	if (parse_listen(c, err, errlen) != 0 || smtp_check(c, err, errlen))
		return -1;
	if (c->base_url[0] == '\0')
		snprintf(c->base_url, sizeof(c->base_url), "http://%s",
		    c->listen);
	if (strncmp(c->base_url, "http://", 7) != 0 &&
	    strncmp(c->base_url, "https://", 8) != 0) {
		snprintf(err, errlen, "CONVENE_BASE_URL: must start with "
		    "http:// or https://");
		return -1;
	}
	n = strlen(c->base_url);
	if (n > 0 && c->base_url[n - 1] == '/')
		c->base_url[n - 1] = '\0';
	c->https = strncmp(c->base_url, "https://", 8) == 0;
	if (c->data_dir[0] == '\0') {
		snprintf(err, errlen, "CONVENE_DATA_DIR: must not be empty");
		return -1;
	}
	if (c->smtp_url[0] != '\0' && strncmp(c->smtp_url, "smtp://", 7) != 0 &&
	    strncmp(c->smtp_url, "smtps://", 8) != 0) {
		snprintf(err, errlen, "CONVENE_SMTP_URL: must start with smtp:// "
		    "or smtps://");
		return -1;
	}
	if (c->smtp_from[0] == '\0')	/* .eml files only (smtp_check) */
		str_copy(c->smtp_from, "strategy-meetings@convene.invalid",
		    sizeof(c->smtp_from));
	if (!str_email_valid(c->smtp_from)) {
		snprintf(err, errlen, "CONVENE_SMTP_FROM: must be an email "
		    "address");
		return -1;
	}
	if (organizer_mailbox_fits(c->smtp_from) != 0) {
		snprintf(err, errlen, "CONVENE_SMTP_FROM: the part before "
		    "'@' must be at most %d characters: each invitation's "
		    "organiser is it plus \"+\" and a %d-character tag, "
		    "within the 64 of RFC 5321",
		    ORGANIZER_LOCAL_MAX - 1 - ORGANIZER_TAG_LEN,
		    ORGANIZER_TAG_LEN);
		return -1;
	}
	if (c->metrics_token[0] != '\0' && (strlen(c->metrics_token) < 32 ||
	    str_has_ctl(c->metrics_token) || strchr(c->metrics_token, ' '))) {
		snprintf(err, errlen, "CONVENE_METRICS_TOKEN: must be at least "
		    "32 characters without spaces (e.g. openssl rand -hex 32)");
		return -1;
	}
	if (!proxies_valid(c->trusted_proxies)) {
		snprintf(err, errlen, "CONVENE_TRUSTED_PROXIES: must be IPv4 "
		    "addresses separated by commas (e.g. 127.0.0.1)");
		return -1;
	}
	default_dir(c->assets_dir, sizeof(c->assets_dir), "web",
	    "/usr/share/convene/web");
	default_dir(c->templates_dir, sizeof(c->templates_dir),
	    "ics-templates", "/usr/share/convene/ics-templates");
	default_dir(c->pages_dir, sizeof(c->pages_dir), "templates",
	    "/usr/share/convene/templates");
	default_dir(c->govuk_dir, sizeof(c->govuk_dir),
	    "node_modules/govuk-frontend/dist/govuk",
	    "/usr/share/convene/govuk-frontend");
	return 0;
}
