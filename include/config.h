/*
 * config: the service's settings, from CONVENE_* environment variables with
 * command-line flags overriding them. Invalid settings fail at start with one
 * clear line; nothing reads the environment after start-up.
 */
#ifndef CONVENE_CONFIG_H
#define CONVENE_CONFIG_H

#include <stddef.h>

#define CONFIG_STR	1024

struct config {
	char	database_url[CONFIG_STR];	/* "" = embedded PostgreSQL */
	char	migrate_database_url[CONFIG_STR]; /* the owner, for migrate;
						   "" = database_url */
	char	stats_database_url[CONFIG_STR];	/* "" = same as database */
	char	listen[128];		/* "127.0.0.1:8080" */
	char	listen_host[64];
	int	listen_port;
	char	base_url[256];		/* "http://127.0.0.1:8080" */
	int	https;			/* base_url starts with https:// */
	char	data_dir[512];		/* "./var" */
	char	assets_dir[512];	/* govuk-frontend dist, web/ */
	char	templates_dir[512];	/* ics-templates/ */
	char	pages_dir[512];		/* HTML page templates, templates/ */
	char	govuk_dir[512];		/* govuk-frontend dist/govuk */
	char	smtp_url[512];
	char	smtp_user[256];
	char	smtp_password[256];
	char	smtp_from[256];
	char	smtp_tls[16];		/* "opportunistic" or "required" */
	int	smtp_tls_required;
	char	smtp_ca_file[512];	/* "" = the system's CAs */
	int	threads;		/* HTTP worker threads */
	int	db_pool;		/* database connections */
	int	delivery_threads;	/* 0: this instance sends no invites */
	int	demo;			/* load demo data into an empty database */
	char	metrics_token[256];	/* "" = /metrics for loopback only */
	int	retention_mail_days;	/* sent invite bodies, .eml files */
	int	retention_itip_days;	/* raw received replies */
	char	trusted_proxies[256];	/* IPv4 peers whose X-Forwarded-For
					   names the client; "" = none */
};

/* Fill c with defaults, then the environment. 0, or -1 with err set. */
int	 config_from_env(struct config *c, char *err, size_t errlen);
/*
 * Apply one flag ("--listen", value). Returns 1 when the flag was consumed
 * with its value, 0 when it is not a config flag, -1 (err set) when the value
 * is invalid.
 */
int	 config_flag(struct config *c, const char *flag, const char *value,
	    char *err, size_t errlen);
/* Cross-field checks and derived values after all flags. */
int	 config_finish(struct config *c, char *err, size_t errlen);

#endif
