/*
 * mail: iMIP email (RFC 6047). Renders the plain-text templates of
 * ics-templates/, assembles one MIME message per recipient
 * (multipart/mixed -> multipart/alternative {text/plain, text/html,
 * text/calendar; method=...} + invite.ics), and delivers a finished message
 * either through libcurl's SMTP or as an .eml file written atomically.
 * Every body part is base64 (libsodium's encoder), so messages are 7-bit and
 * pass relays without 8BITMIME.
 */
#ifndef CONVENE_MAIL_H
#define CONVENE_MAIL_H

#include <stddef.h>
#include <time.h>

struct buf;

#define MAIL_TEMPLATE_MAX	(64 * 1024)	/* bytes per template file */
#define MAIL_VAR_NAME_MAX	32		/* {{name}} */
#define MAIL_MESSAGE_MAX	(4 * 1024 * 1024)
#define MAIL_MESSAGE_ID_MAX	200
#define MAIL_SMTP_TIMEOUT	60		/* seconds per message */
#define MAIL_SMTP_CONNECT	10		/* seconds to connect */

enum mail_escape {
	MAIL_ESC_TEXT,		/* values as they are */
	MAIL_ESC_HTML		/* values with & < > " ' escaped */
};

struct mail_var {
	const char	*name;
	const char	*value;		/* NULL renders as "" */
};

/*
 * Render template tpl, replacing each {{name}} with its value (escaped per
 * esc) and appending to out. A placeholder not in vars, an unterminated or
 * over-long one is an error: templates are checked at start-up, so a typo
 * cannot silently drop text. 0 on success, -1 otherwise.
 */
int	 mail_render(const char *tpl, const struct mail_var *vars, size_t n,
	    enum mail_escape esc, struct buf *out);

/* Read dir/name (at most MAIL_TEMPLATE_MAX bytes, valid UTF-8, no NUL)
 * into a new string the caller frees. NULL on failure. */
char	*mail_template_load(const char *dir, const char *name);

struct mail_msg {
	const char	*from_addr;
	const char	*from_name;	/* display name; may be NULL */
	const char	*to_addr;
	const char	*to_name;	/* may be NULL */
	const char	*subject;	/* UTF-8; encoded when not ASCII */
	const char	*message_id;	/* without angle brackets */
	time_t		 date;
	const char	*text;		/* text/plain body, UTF-8 */
	const char	*html;		/* text/html body, UTF-8 */
	const char	*ics;		/* the iCalendar object */
	size_t		 ics_len;
	const char	*method;	/* "REQUEST" or "CANCEL": must match ics */
};

/* Append the complete message (CRLF line ends) to out. 0 on success; -1
 * when a field is missing, holds CR/LF, or out's ceiling is reached. */
int	 mail_build(const struct mail_msg *m, struct buf *out);

/* A text-only message (no calendar part; ics, html and method unused).
 * 0 on success; -1 as mail_build. */
int	 mail_build_notice(const struct mail_msg *m, struct buf *out);

/* A new unique Message-ID (no angle brackets) in the domain of from_addr:
 * 32 random hex digits, "@", the domain. 0 on success. */
int	 mail_message_id(const char *from_addr, char *out, size_t outlen);

/* Call once, single-threaded, before mail_send_smtp is used. */
int	 mail_global_init(void);
void	 mail_global_cleanup(void);

struct mail_smtp {
	const char	*url;		/* smtp://host:port or smtps:// */
	const char	*user;		/* "" = no authentication */
	const char	*password;
	const char	*from;		/* envelope sender */
	/* smtp:// only: 1 refuses to send unless the server offers STARTTLS
	 * (CONVENE_SMTP_TLS=required); 0 uses it whenever offered. smtps://
	 * is TLS from the first byte either way. */
	int		 tls_required;
	const char	*ca_file;	/* PEM CA bundle; NULL/"" = system */
};

/*
 * Send data (a finished message) to one recipient. STARTTLS is used when
 * the server offers it (and required with tls_required); certificates are
 * always verified, against ca_file when set. On failure writes to err a short reason made of a
 * libcurl code, its generic text and the SMTP status, never a server
 * reply (which can quote addresses). Returns 0 when the server accepted
 * the message, 1 for a permanent refusal (5xx), -1 for anything else.
 */
int	 mail_send_smtp(const struct mail_smtp *s, const char *rcpt,
	    const char *data, size_t len, char *err, size_t errlen);

/*
 * Write data to dir/<id>.eml atomically: a temporary file in dir, fsync,
 * rename, fsync of dir. dir is created (0700) when missing; its parent must
 * exist or is created too. 0 on success, -1 with err set.
 */
int	 mail_write_eml(const char *dir, long id, const char *data, size_t len,
	    char *err, size_t errlen);

#endif
