/*
 * main: the convene command. Parses the subcommand and settings, brings up
 * the database (embedded unless a URL is given), applies migrations as the
 * owner (migrate, or the embedded launcher) or checks they are applied, and
 * runs the subcommand. Invalid settings stop it with one clear line.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libical/ical.h>

#include "account.h"
#include "app.h"
#include "auth.h"
#include "changes.h"
#include "chaser.h"
#include "config.h"
#include "db.h"
#include "demo.h"
#include "http.h"
#include "invite.h"
#include "log.h"
#include "ltime.h"
#include "mfa.h"
#include "notice.h"
#include "migrate.h"
#include "oidc.h"
#include "pgembed.h"
#include "retention.h"
#include "router.h"
#include "stats_fold.h"
#include "str.h"
#include "web.h"
#include "worker.h"

static const char usage[] =
"usage: convene COMMAND [options]\n"
"\n"
"commands:\n"
"  serve [--demo]           run the web service (--demo: load demo data into\n"
"                           the embedded database first; another database\n"
"                           only with --demo-on-this-database)\n"
"  migrate                  apply database migrations and the serving\n"
"                           role's grants, as the owner, and exit\n"
"  user add NAME --role social_worker|manager|admin|mail_gateway\n"
"           [--team TEAM] [--authority CODE]\n"
"                           create a user; prints the password last\n"
"  user deactivate|reactivate|reset-password|mfa-reset NAME\n"
"                           mfa-reset: remove the user's two-step sign-in\n"
"                           (lost device); they set it up again at sign-in\n"
"  token create USER        create an API token; prints the token last\n"
"  oidc set AUTHORITY --issuer URL --client-id ID --client-secret-file PATH\n"
"           --allowed-domains D1,D2 [--role-claim NAME] [--team-claim NAME]\n"
"           --map ROLE=VALUE ...\n"
"                           single sign-on for an authority (docs/sso.md);\n"
"                           oidc remove AUTHORITY, oidc list\n"
"  oidc partner-set ORGANISATION --issuer URL --client-id ID\n"
"           --client-secret-file PATH\n"
"                           single sign-on for a partner organisation's\n"
"                           invitees (docs/partners.md); ORGANISATION is\n"
"                           its id or name; oidc partner-remove ORGANISATION,\n"
"                           oidc partner-list\n"
"  demo-data                load the demo council (prints credentials)\n"
"  retention run            run the retention job now (it also runs daily\n"
"                           in serve); prints what it removed as JSON\n"
"  routes                   print the route table as JSON\n"
"\n"
"options (each also an environment variable):\n"
"  --database-url URL       CONVENE_DATABASE_URL (default: embedded\n"
"                           PostgreSQL under DATA_DIR/pg)\n"
"  --migrate-database-url URL CONVENE_MIGRATE_DATABASE_URL (the owner\n"
"                           role, for migrate; default: --database-url)\n"
"  --stats-database-url URL CONVENE_STATS_DATABASE_URL (read replica)\n"
"  --listen HOST:PORT       CONVENE_LISTEN (default 127.0.0.1:8080)\n"
"  --base-url URL           CONVENE_BASE_URL (default http://LISTEN)\n"
"  --data-dir DIR           CONVENE_DATA_DIR (default ./var)\n"
"  --pages-dir DIR          CONVENE_PAGES_DIR (HTML templates, templates/)\n"
"  --govuk-dir DIR          CONVENE_GOVUK_DIR (govuk-frontend dist/govuk)\n"
"  --smtp-url URL           CONVENE_SMTP_URL (default: write .eml files)\n"
"  --smtp-user USER         CONVENE_SMTP_USER (password: CONVENE_SMTP_PASSWORD)\n"
"  --smtp-from ADDRESS      CONVENE_SMTP_FROM (organiser mailbox)\n"
"  --threads N              CONVENE_THREADS (HTTP threads, default 4)\n";

struct cmd {
	struct app	 app;
	struct pgembed	 pg;
	struct db	 db;
	int		 argc;		/* positional arguments left */
	char		*argv[8];
	const char	*role, *team, *authority, *expires_days, *label;
	int		 demo;
	int		 demo_here;	/* --demo-on-this-database */
	struct oidc_cli	 oidc;		/* convene oidc set ... */
};

static int
fail(const char *msg)
{
	fprintf(stderr, "convene: %s\n", msg);
	return 1;
}

/* Split argv into settings flags, command flags and positional words. */
static int
parse_args(struct cmd *c, int argc, char **argv, char *err, size_t errlen)
{
	const char *val;
	int i, rc;

	for (i = 1; i < argc; i++) {
		val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--demo") == 0) {
			c->demo = 1;
			continue;
		}
		if (strcmp(argv[i], "--demo-on-this-database") == 0) {
			c->demo_here = 1;
			continue;
		}
		if (strcmp(argv[i], "--role") == 0 ||
		    strcmp(argv[i], "--team") == 0 ||
		    strcmp(argv[i], "--authority") == 0 ||
		    strcmp(argv[i], "--expires-days") == 0 ||
		    strcmp(argv[i], "--label") == 0) {
			if (val == NULL) {
				snprintf(err, errlen, "%s needs a value", argv[i]);
				return -1;
			}
			if (argv[i][2] == 'e')
				c->expires_days = val;
			else if (argv[i][2] == 'l')
				c->label = val;
			else if (argv[i][2] == 'r')
				c->role = val;
			else if (argv[i][2] == 't')
				c->team = val;
			else
				c->authority = val;
			i++;
			continue;
		}
		if ((rc = oidc_cli_flag(&c->oidc, argv[i], val, err,
		    errlen)) != 0) {
			if (rc < 0)
				return -1;
			i++;
			continue;
		}
		if (strncmp(argv[i], "--", 2) == 0) {
			rc = config_flag(&c->app.cfg, argv[i], val, err, errlen);
			if (rc < 0)
				return -1;
			if (rc == 0) {
				snprintf(err, errlen, "unknown option %.64s "
				    "(see convene --help)", argv[i]);
				return -1;
			}
			i++;
			continue;
		}
		if (c->argc >= (int)(sizeof(c->argv) / sizeof(c->argv[0]))) {
			snprintf(err, errlen, "too many arguments");
			return -1;
		}
		c->argv[c->argc++] = argv[i];
	}
	return 0;
}

/* Migrate over a connection of its own as the owner role, then let it go:
 * nothing else runs with the owner's rights. */
static int
migrate_as(const char *url, char *err, size_t errlen)
{
	struct db owner;
	int n;

	if (db_open(&owner, url, err, errlen) != 0)
		return -1;
	n = migrate_run(&owner, err, errlen);
	db_close(&owner);
	return n < 0 ? -1 : 0;
}

/*
 * Connect. `migrate` migrates as the owner (CONVENE_MIGRATE_DATABASE_URL,
 * else CONVENE_DATABASE_URL) and stops there. Every other command connects
 * with CONVENE_DATABASE_URL and runs no DDL: it refuses a schema that is not
 * current. The embedded database is both: the launcher migrates as its owner
 * role, then everything runs as its serving login (docs/security.md).
 */
static int
open_database(struct cmd *c, char *err, size_t errlen)
{
	struct config *cfg = &c->app.cfg;
	const char *owner = cfg->migrate_database_url;
	int migrate_only = strcmp(c->argv[0], "migrate") == 0;

	if (owner[0] == '\0')
		owner = cfg->database_url;
	if (owner[0] == '\0') {
		if (pgembed_start(&c->pg, cfg->data_dir, err, errlen) != 0)
			return -1;
		str_copy(cfg->database_url, c->pg.conninfo,
		    sizeof(cfg->database_url));
		owner = c->pg.owner_conninfo;
		if (migrate_as(owner, err, errlen) != 0)
			return -1;
	} else if (migrate_only && migrate_as(owner, err, errlen) != 0)
		return -1;
	if (migrate_only)
		return 0;
	if (db_open(&c->db, cfg->database_url, err, errlen) != 0)
		return -1;
	if (migrate_check(&c->db, err, errlen) != 0)
		return -1;
	return 0;
}

static void
print_route(const struct route *r, void *arg)
{
	json_t *list = arg;
	json_t *roles = json_array();
	static const char *const auth[] = { "none", "token", "session" };

	if (r->roles & ROLE_SOCIAL_WORKER)
		json_array_append_new(roles, json_string("social_worker"));
	if (r->roles & ROLE_MANAGER)
		json_array_append_new(roles, json_string("manager"));
	if (r->roles & ROLE_ADMIN)
		json_array_append_new(roles, json_string("admin"));
	if (r->roles & ROLE_MAIL_GATEWAY)
		json_array_append_new(roles, json_string("mail_gateway"));
	json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o, s:s}",
	    "method", r->method, "pattern", r->pattern, "auth", auth[r->auth],
	    "roles", roles, "summary", r->summary ? r->summary : ""));
}

static int
cmd_routes(void)
{
	json_t *list = json_array();

	router_each(print_route, list);
	json_dumpf(list, stdout, JSON_INDENT(1));
	putchar('\n');
	json_decref(list);
	return 0;
}

static volatile sig_atomic_t stop_requested;

/*
 * The embedded PostgreSQL's watchdog. A PANIC whose crash recovery fails
 * (no room left for WAL) leaves no postmaster, and nothing else would ever
 * start one: the service would answer 503 until restarted by hand. Every
 * PGEMBED_WATCH_SECS it looks, and starts the server again if it is gone;
 * pg_ctl runs crash recovery, so acknowledged writes come back.
 */
static void *
watch_pg(void *arg)
{
	struct timespec tick = { 0, 250 * 1000 * 1000 };
	struct cmd *c = arg;
	char err[512];
	int i, rc, failing = 0;

	while (!c->app.stopping) {
		for (i = 0; i < PGEMBED_WATCH_SECS * 4 && !c->app.stopping; i++)
			nanosleep(&tick, NULL);
		if (c->app.stopping)
			break;
		if ((rc = pgembed_revive(&c->pg, err, sizeof(err))) == 1)
			log_info("main", "the embedded PostgreSQL had stopped; "
			    "started it again");
		else if (rc < 0 && !failing)
			log_error("main", "the embedded PostgreSQL has stopped "
			    "and does not start (retrying every %d s): %s",
			    PGEMBED_WATCH_SECS, err);
		failing = rc < 0;
	}
	return NULL;
}

/*
 * Memory. glibc gives each thread that allocates its own arena, and keeps
 * what is freed in each for reuse; with a dozen threads rendering invites
 * and feeds now and then, the resident size creeps up to the sum of every
 * arena's high-water mark. Two arenas are plenty for a service that waits
 * on PostgreSQL, and handing free pages back to the kernel while idle keeps
 * the resident size near what is in use (docs/performance.md, soak).
 */
#define SERVE_MALLOC_ARENAS	2
#define SERVE_TRIM_SECS		10
#define SERVE_MMAP_THRESHOLD	(256 * 1024)	/* bytes: larger blocks are
						   mapped, and unmapped when
						   freed */

static void
memory_setup(void)
{
#ifdef __GLIBC__
	mallopt(M_ARENA_MAX, SERVE_MALLOC_ARENAS);
	/* A fixed threshold: glibc otherwise raises it to the size of each
	 * large block freed, and then serves the next megabyte-sized feed
	 * rebuild from the heap, which it seldom gives back. */
	mallopt(M_MMAP_THRESHOLD, SERVE_MMAP_THRESHOLD);
#endif
}

/* Wait for SIGINT or SIGTERM (blocked in every thread), trimming the heap
 * every SERVE_TRIM_SECS meanwhile. Returns the signal. */
static int
wait_for_stop(const sigset_t *set)
{
	struct timespec t = { SERVE_TRIM_SECS, 0 };
	int sig;

	while ((sig = sigtimedwait(set, NULL, &t)) < 0) {
#ifdef __GLIBC__
		if (errno == EAGAIN)
			malloc_trim(0);
#endif
	}
	return sig;
}

static void
retention_config(const struct config *cfg, struct retention_cfg *r)
{
	memset(r, 0, sizeof(*r));
	str_copy(r->data_dir, cfg->data_dir, sizeof(r->data_dir));
	r->mail_days = cfg->retention_mail_days;
	r->itip_days = cfg->retention_itip_days;
}

static int
cmd_retention(struct cmd *c)
{
	struct retention_counts n;
	struct retention_cfg r;
	json_t *o;
	int rc;

	if (c->argc != 2 || strcmp(c->argv[1], "run") != 0)
		return fail("usage: convene retention run");
	retention_config(&c->app.cfg, &r);
	if ((rc = retention_run(&c->db, &r, &n)) == 1)
		return fail("another instance is running the retention job");
	if (rc != 0)
		return fail("the retention run failed (see the log)");
	if ((o = json_pack("{s:I, s:I, s:I, s:I}", "mail_bodies",
	    (json_int_t)n.mail_bodies, "itip_raw", (json_int_t)n.itip_raw,
	    "sessions", (json_int_t)n.sessions, "cases",
	    (json_int_t)n.cases)) == NULL)
		return fail("out of memory");
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(o);
	return 0;
}

static int
cmd_serve(struct cmd *c)
{
	struct retention_cfg rcfg;
	struct http_server *s;
	struct worker *w = NULL;
	pthread_t watchdog;
	sigset_t set;
	char err[512];
	int sig = 0, watching = 0;

	memory_setup();
	if (migrate_is_owner(&c->db) == 1)
		log_warn("main", "serving as a role that owns the tables (or a "
		    "superuser): it could alter or truncate audit_log; serve as "
		    "a member of " MIGRATE_SERVE_ROLE " (docs/operations.md)");
	if (c->demo && demo_load(&c->db, 1, stdout) < 0)
		return fail("could not load the demo data");
	if (auth_key_init(&c->db) != 0)
		return fail("could not load or make the server's signing key");
	/* Block the stop signals in every thread; main waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((c->app.pool = db_pool_new(c->app.cfg.database_url,
	    c->app.cfg.db_pool)) == NULL)
		return fail("could not create the database pool");
	/* Statistics read from the replica when one is configured; stats code
	 * falls back to the primary pool when the replica is down. */
	if (c->app.cfg.stats_database_url[0] != '\0' &&
	    (c->app.stats_pool = db_pool_new(c->app.cfg.stats_database_url,
	    c->app.cfg.db_pool)) == NULL)
		return fail("could not create the statistics database pool");
	/* Feeds are cached only while this listener hears of changes. */
	if (changes_start(c->app.cfg.database_url) != 0)
		return fail("could not start the change listener");
	if (stats_fold_start(c->app.cfg.database_url) != 0)
		return fail("could not start the statistics folder");
	retention_config(&c->app.cfg, &rcfg);
	if (retention_start(c->app.cfg.database_url, &rcfg) != 0)
		return fail("could not start the retention job");
	if (chaser_start(c->app.cfg.database_url) != 0)
		return fail("could not start the chaser");
	/* Page templates load (and fail loudly) before anyone can connect. */
	if (web_init(&c->app, err, sizeof(err)) != 0)
		return fail(err);
	if ((s = http_start(&c->app, err, sizeof(err))) == NULL)
		return fail(err);
	w = worker_start(&c->app);
	if (c->pg.started)
		watching = pthread_create(&watchdog, NULL, watch_pg, c) == 0;
	log_info("main", "listening on %s", c->app.cfg.base_url);
	printf("Convene is running at %s/ (Ctrl-C stops it)\n",
	    c->app.cfg.base_url);
	fflush(stdout);
	sig = wait_for_stop(&set);
	log_info("main", "stopping on signal %d", sig);
	c->app.stopping = 1;
	http_stop(s);
	worker_stop(w);
	changes_stop();
	stats_fold_stop();
	retention_stop();
	chaser_stop();
	if (watching)
		pthread_join(watchdog, NULL);
	db_pool_free(c->app.pool);
	db_pool_free(c->app.stats_pool);
	web_free();
	c->app.pool = NULL;
	c->app.stats_pool = NULL;
	return 0;
}

static int
cmd_user_add(struct cmd *c)
{
	enum auth_role role;
	char pw[64];
	int rc;

	if (c->argc != 3 || strcmp(c->argv[1], "add") != 0)
		return fail("usage: convene user add NAME --role ROLE "
		    "[--team TEAM] [--authority CODE]");
	if (auth_role_parse(c->role, &role) != 0)
		return fail("--role: must be social_worker, manager, admin or "
		    "mail_gateway");
	if ((role == ROLE_SOCIAL_WORKER || role == ROLE_MANAGER) &&
	    c->team == NULL)
		return fail("--team: required for social workers and managers");
	rc = auth_user_add(&c->db, c->argv[2], role, c->team,
	    c->authority ? c->authority : "default", pw, sizeof(pw));
	if (rc == 1)
		return fail("a user with that name already exists (names are "
		    "the same whatever their case)");
	if (rc != 0)
		return fail("could not create the user (names: letters, digits, "
		    ". _ @ -)");
	printf("created %s (%s)\npassword:\n%s\n", c->argv[2],
	    auth_role_name(role), pw);
	return 0;
}

/* user deactivate|reactivate|reset-password|mfa-reset NAME */
static int
cmd_user(struct cmd *c)
{
	const char *verb = c->argc > 1 ? c->argv[1] : "";
	char pw[64];
	long uid;
	int rc;

	if (strcmp(verb, "add") == 0)
		return cmd_user_add(c);
	if (c->argc != 3 || (strcmp(verb, "deactivate") != 0 &&
	    strcmp(verb, "reactivate") != 0 &&
	    strcmp(verb, "reset-password") != 0 &&
	    strcmp(verb, "mfa-reset") != 0))
		return fail("usage: convene user add|deactivate|reactivate|"
		    "reset-password|mfa-reset NAME");
	if ((rc = account_find(&c->db, c->argv[2], &uid)) != 0)
		return fail(rc > 0 ? "there is no user with that name" :
		    "could not read the users");
	if (strcmp(verb, "reset-password") == 0) {
		if (account_password_reset(&c->db, NULL, uid, pw,
		    sizeof(pw)) != 0)
			return fail("could not reset the password");
		printf("password of %s reset; it must be changed at the next "
		    "sign-in\ntemporary password:\n%s\n", c->argv[2], pw);
		return 0;
	}
	if (strcmp(verb, "mfa-reset") == 0) {
		if (mfa_reset(&c->db, NULL, uid) != 0)
			return fail("could not reset two-step sign-in");
		printf("two-step sign-in of %s reset; their sessions ended; they "
		    "set it up again at the next sign-in\n", c->argv[2]);
		return 0;
	}
	if (account_set_active(&c->db, NULL, uid,
	    strcmp(verb, "reactivate") == 0) != 0)
		return fail("could not change the user");
	printf("%s %sd\n", c->argv[2], verb);
	return 0;
}

static int
cmd_token(struct cmd *c)
{
	char token[AUTH_TOKEN_LEN + 1];
	const char *verb = c->argc > 1 ? c->argv[1] : "";
	json_t *a, *t;
	size_t i;
	long days = AUTH_TOKEN_DAYS_DEFAULT, id;
	int rc;

	if (strcmp(verb, "list") == 0 && c->argc == 3) {
		if ((rc = account_find(&c->db, c->argv[2], &id)) != 0)
			return fail(rc > 0 ? "there is no user with that name" :
			    "could not read the users");
		if ((a = account_tokens(&c->db, id)) == NULL)
			return fail("could not read the tokens");
		printf("%-8s %-8s %-21s %s\n", "ID", "STATE", "EXPIRES", "LABEL");
		json_array_foreach(a, i, t)
			printf("%-8" JSON_INTEGER_FORMAT " %-8s %-21s %s\n",
			    json_integer_value(json_object_get(t, "id")),
			    json_string_value(json_object_get(t, "state")),
			    json_string_value(json_object_get(t, "expires_at")),
			    json_string_value(json_object_get(t, "label")));
		json_decref(a);
		return 0;
	}
	if (strcmp(verb, "revoke") == 0 && c->argc == 3) {
		if (str_to_long(c->argv[2], 1, 9007199254740991L, &id) != 0)
			return fail("token revoke: ID must be a token's number "
			    "(convene token list USER)");
		rc = account_token_revoke(&c->db, NULL, id, 0, 0);
		if (rc == ACCOUNT_NOT_FOUND)
			return fail("there is no token with that id");
		if (rc != 0)
			return fail("could not revoke the token");
		printf("token %ld revoked\n", id);
		return 0;
	}
	if (c->argc != 3 || strcmp(verb, "create") != 0)
		return fail("usage: convene token create USER [--expires-days N] "
		    "[--label TEXT] | token list USER | token revoke ID");
	if (c->expires_days != NULL && str_to_long(c->expires_days, 1,
	    AUTH_TOKEN_DAYS_MAX, &days) != 0)
		return fail("--expires-days: must be a whole number from 1 to "
		    "366");
	if (c->label != NULL && (strlen(c->label) > ACCOUNT_LABEL_MAX ||
	    str_has_ctl(c->label) ||
	    !str_utf8_valid(c->label, strlen(c->label))))
		return fail("--label: at most 100 characters of text");
	rc = auth_token_create(&c->db, c->argv[2], (int)days, c->label, token,
	    sizeof(token), &id);
	if (rc == 1)
		return fail("no active user has that name");
	if (rc != 0)
		return fail("could not create the token");
	printf("API token %ld for %s, valid for %ld days (shown once; send it "
	    "as \"Authorization: Bearer TOKEN\"):\n%s\n", id, c->argv[2],
	    days, token);
	return 0;
}

static int
run(struct cmd *c)
{
	const char *name = c->argv[0];

	if (strcmp(name, "serve") == 0)
		return cmd_serve(c);
	if (strcmp(name, "migrate") == 0) {
		printf("database is up to date\n");
		return 0;
	}
	if (strcmp(name, "user") == 0)
		return cmd_user(c);
	if (strcmp(name, "token") == 0)
		return cmd_token(c);
	if (strcmp(name, "retention") == 0)
		return cmd_retention(c);
	if (strcmp(name, "oidc") == 0)
		return oidc_cli_run(&c->db, c->argc, c->argv, &c->oidc);
	if (strcmp(name, "demo-data") == 0)
		return demo_load(&c->db, 0, stdout) >= 0 ? 0 :
		    fail("could not load the demo data");
	return fail("unknown command (see convene --help)");
}

int
main(int argc, char **argv)
{
	static struct cmd c;
	char err[512];
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (config_from_env(&c.app.cfg, err, sizeof(err)) != 0 ||
	    parse_args(&c, argc, argv, err, sizeof(err)) != 0 ||
	    config_finish(&c.app.cfg, err, sizeof(err)) != 0)
		return fail(err);
	if (c.argc == 0)
		return fail("no command given (see convene --help)");
	/* Fictional people and meetings go into the embedded database only,
	 * unless asked for by name: a --demo left in a unit file or a
	 * script must not fill a council's database (docs/security.md).
	 * Refused before connecting, so nothing is migrated either. */
	if (strcmp(c.argv[0], "serve") == 0 && c.demo && !c.demo_here &&
	    c.app.cfg.database_url[0] != '\0')
		return fail("--demo loads fictional data into the embedded "
		    "database only; this is another database (--database-url or "
		    "CONVENE_DATABASE_URL). To load it there anyway, add "
		    "--demo-on-this-database");
	if (strcmp(c.argv[0], "routes") == 0)
		return cmd_routes();
	/* The embedded database has roles of its own: a migrate URL without
	 * a serving URL would be silently ignored by serve. */
	if (strcmp(c.argv[0], "migrate") != 0 &&
	    c.app.cfg.migrate_database_url[0] != '\0' &&
	    c.app.cfg.database_url[0] == '\0')
		return fail("CONVENE_MIGRATE_DATABASE_URL is set but "
		    "CONVENE_DATABASE_URL is not: set both (the owner for "
		    "migrate, the serving login for everything else)");
	icalerror_set_errors_are_fatal(0);
	if (auth_init() != 0 || ltime_init() != 0)
		return fail("could not initialise libsodium or the Europe/London "
		    "time zone");
	if (invite_init(&c.app.cfg) != 0)
		return fail("invite templates (CONVENE_TEMPLATES_DIR) are "
		    "missing or broken; the log line above names the file");
	notice_init(&c.app.cfg);
	if (strcmp(c.argv[0], "serve") != 0)
		log_set_quiet(1);
	if (open_database(&c, err, sizeof(err)) != 0) {
		pgembed_stop(&c.pg);
		return fail(err);
	}
	rc = run(&c);
	db_close(&c.db);
	pgembed_stop(&c.pg);
	return rc;
}
