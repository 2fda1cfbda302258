/*
 * mail: the email side of invites. Templates are plain files with {{name}}
 * placeholders so an authority can reword them without a rebuild; values
 * are escaped for HTML bodies and left alone in text bodies. Messages are
 * assembled as RFC 5322 + MIME with CRLF line ends, base64 bodies (GLib
 * encodes) and RFC 2047 encoded words for non-ASCII header text; libcurl
 * speaks SMTP. A message is rendered once, when it is queued, and sent byte
 * for byte afterwards, so a retry repeats the same Message-ID.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <glib.h>
#include <sodium.h>

#include "buf.h"
#include "mail.h"
#include "str.h"

#define B64_COLS	76	/* characters per base64 body line */
#define HDR_WIDTH	76	/* RFC 2047: no line with an encoded word longer */
#define EW_OVERHEAD	12	/* "=?UTF-8?B?" and "?=" */

/* ---- templates ----------------------------------------------------------- */

static int
put_escaped(struct buf *out, const char *v, enum mail_escape esc)
{
	const char *rep;
	size_t run;

	if (v == NULL)
		return 0;
	if (esc == MAIL_ESC_TEXT)
		return buf_puts(out, v);
	while (*v != '\0') {
		run = strcspn(v, "&<>\"'");
		if (run > 0 && buf_append(out, v, run) != 0)
			return -1;
		v += run;
		if (*v == '\0')
			break;
		switch (*v) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		default: rep = "&#39;"; break;
		}
		if (buf_puts(out, rep) != 0)
			return -1;
		v++;
	}
	return 0;
}

int
mail_render(const char *tpl, const struct mail_var *vars, size_t n,
    enum mail_escape esc, struct buf *out)
{
	const char *open, *close;
	size_t i, len;

	if (tpl == NULL)
		return -1;
	while ((open = strstr(tpl, "{{")) != NULL) {
		if (buf_append(out, tpl, (size_t)(open - tpl)) != 0)
			return -1;
		open += 2;
		if ((close = strstr(open, "}}")) == NULL)
			return -1;
		len = (size_t)(close - open);
		if (len == 0 || len > MAIL_VAR_NAME_MAX)
			return -1;
		for (i = 0; i < n; i++)
			if (strlen(vars[i].name) == len &&
			    memcmp(vars[i].name, open, len) == 0)
				break;
		if (i == n)
			return -1;
		if (put_escaped(out, vars[i].value, esc) != 0)
			return -1;
		tpl = close + 2;
	}
	if (buf_puts(out, tpl) != 0 || out->failed)
		return -1;
	return 0;
}

/*
 * Templates read before, by path, kept while the file's device, inode,
 * size and modification time stay the same, so an edit is read at the
 * next use as before; a booking read six files each time (open, fstat,
 * read, close), now it makes six stat calls.
 */
#define TEMPLATE_CACHE	32

struct tcached {
	char		 path[1024];
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	char		*data;
};

static pthread_mutex_t tcache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tcached tcache[TEMPLATE_CACHE];
static unsigned tcache_next;

static int
tcache_same(const struct tcached *c, const char *path, const struct stat *st)
{
	return c->data != NULL && strcmp(c->path, path) == 0 &&
	    c->dev == st->st_dev && c->ino == st->st_ino &&
	    c->size == st->st_size && c->mtime.tv_sec == st->st_mtim.tv_sec &&
	    c->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* A copy of path's cached text when st still describes it, else NULL. */
static char *
tcache_get(const char *path, const struct stat *st)
{
	char *copy = NULL;
	int i;

	pthread_mutex_lock(&tcache_mu);
	for (i = 0; i < TEMPLATE_CACHE && copy == NULL; i++)
		if (tcache_same(&tcache[i], path, st))
			copy = strdup(tcache[i].data);
	pthread_mutex_unlock(&tcache_mu);
	return copy;
}

/* Keep a copy of data, read from path as st describes it (in the slot of
 * the same path, or the next slot in turn). */
static void
tcache_put(const char *path, const struct stat *st, const char *data)
{
	struct tcached *c = NULL;
	char *copy;
	int i;

	if ((copy = strdup(data)) == NULL)
		return;
	pthread_mutex_lock(&tcache_mu);
	for (i = 0; i < TEMPLATE_CACHE && c == NULL; i++)
		if (tcache[i].data != NULL && strcmp(tcache[i].path, path) == 0)
			c = &tcache[i];
	if (c == NULL)
		c = &tcache[tcache_next++ % TEMPLATE_CACHE];
	free(c->data);
	str_copy(c->path, path, sizeof(c->path));
	c->dev = st->st_dev;
	c->ino = st->st_ino;
	c->size = st->st_size;
	c->mtime = st->st_mtim;
	c->data = copy;
	pthread_mutex_unlock(&tcache_mu);
}

char *
mail_template_load(const char *dir, const char *name)
{
	char path[1024], *data = NULL;
	struct stat st;
	ssize_t got;
	size_t used = 0;
	int fd = -1, n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path) || strchr(name, '/') != NULL)
		return NULL;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (data = tcache_get(path, &st)) != NULL)
		return data;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAIL_TEMPLATE_MAX)
		goto fail;
	if ((data = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (used < (size_t)st.st_size) {
		got = read(fd, data + used, (size_t)st.st_size - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		used += (size_t)got;
	}
	data[used] = '\0';
	if (!str_utf8_valid(data, used))
		goto fail;
	close(fd);
	/* Only a file read whole is kept. */
	if (used == (size_t)st.st_size)
		tcache_put(path, &st, data);
	return data;
fail:
	free(data);
	close(fd);
	return NULL;
}

/* ---- MIME ------------------------------------------------------------------- */

static int
is_ascii_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Append base64 of data in lines of 76 characters, each ending CRLF. The
 * whole of it is encoded in one call, by GLib (pango's, already linked):
 * the bodies are not secret, and libsodium's constant-time encoder was an
 * eighth of a booking's CPU in Convene (docs/performance.md). */
static int
put_base64(struct buf *out, const void *data, size_t len)
{
	size_t elen, n, at;
	gint state = 0, save = 0;
	char *enc;
	int rc = -1;

	if (len == 0)
		return 0;
	if (len > ((size_t)-1 - 8) / 4 * 3)
		return -1;
	/* GLib's bound without line breaks: 4 per 3, one group more for
	 * what is carried, and the close. */
	elen = (len / 3 + 1) * 4 + 4;
	if ((enc = malloc(elen)) == NULL)
		return -1;
	n = g_base64_encode_step(data, len, FALSE, enc, &state, &save);
	n += g_base64_encode_close(FALSE, enc + n, &state, &save);
	elen = n;
	for (at = 0; at < elen; at += n) {
		n = elen - at < B64_COLS ? elen - at : B64_COLS;
		if (buf_append(out, enc + at, n) != 0 ||
		    buf_append(out, "\r\n", 2) != 0)
			goto out;
	}
	rc = 0;
out:
	free(enc);
	return rc;
}

/* Input bytes whose base64 fits an encoded word on a line that already
 * holds col characters (RFC 2047: lines of at most 76). */
static size_t
ew_chunk(size_t col)
{
	size_t room = HDR_WIDTH - col - EW_OVERHEAD;

	return room / 4 * 3;
}

/* Append RFC 2047 encoded words for s, the first starting at column col,
 * the others on continuation lines (a space, then the word), each line at
 * most HDR_WIDTH characters and never splitting a UTF-8 sequence. */
static int
put_encoded_words(struct buf *out, const char *s, size_t col)
{
	char b64[96];
	size_t len = strlen(s), n, chunk;
	int first = 1;

	while (len > 0) {
		chunk = ew_chunk(first ? col : 1);
		n = len < chunk ? len : chunk;
		while (n < len && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			return -1;
		if (sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s,
		    n, sodium_base64_VARIANT_ORIGINAL) == NULL ||
		    buf_printf(out, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ",
		    b64) != 0)
			return -1;
		first = 0;
		s += n;
		len -= n;
	}
	return 0;
}

/* "Subject: text", folded at spaces for ASCII, encoded words otherwise. */
static int
put_subject(struct buf *out, const char *s)
{
	size_t col = 9, w;

	if (buf_puts(out, "Subject: ") != 0)
		return -1;
	if (!is_ascii_printable(s) || strstr(s, "=?") != NULL) {
		if (put_encoded_words(out, s, col) != 0)
			return -1;
		return buf_puts(out, "\r\n");
	}
	while (*s != '\0') {
		w = strcspn(s + 1, " ") + 1;	/* a leading space stays */
		if (col + w > HDR_WIDTH && col > 9 && *s == ' ') {
			if (buf_puts(out, "\r\n") != 0)
				return -1;
			col = 0;
		}
		if (buf_append(out, s, w) != 0)
			return -1;
		col += w;
		s += w;
	}
	return buf_puts(out, "\r\n");
}

/* "Name: display <addr>" with the display name quoted or encoded. */
static int
put_address(struct buf *out, const char *hdr, const char *name,
    const char *addr)
{
	const char *p;
	int plain;

	if (!str_email_valid(addr) || buf_printf(out, "%s: ", hdr) != 0)
		return -1;
	if (name != NULL && name[0] != '\0') {
		plain = is_ascii_printable(name) && strstr(name, "=?") == NULL;
		if (plain) {
			if (buf_puts(out, "\"") != 0)
				return -1;
			for (p = name; *p != '\0'; p++)
				if ((*p == '"' || *p == '\\') &&
				    buf_puts(out, "\\") != 0)
					return -1;
				else if (buf_append(out, p, 1) != 0)
					return -1;
			if (buf_puts(out, "\"") != 0)
				return -1;
		} else if (put_encoded_words(out, name, strlen(hdr) + 2) != 0)
			return -1;
		/* Fold before the address unless the line stays short. */
		if (buf_puts(out, plain && strlen(hdr) + strlen(name) +
		    strlen(addr) + 8 <= HDR_WIDTH ? " " : "\r\n ") != 0)
			return -1;
	}
	return buf_printf(out, "<%s>\r\n", addr);
}

static int
put_date(struct buf *out, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
		"May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	return buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int
put_part(struct buf *out, const char *boundary, const char *headers,
    const void *body, size_t len)
{
	if (buf_printf(out, "--%s\r\n%sContent-Transfer-Encoding: base64\r\n"
	    "\r\n", boundary, headers) != 0)
		return -1;
	return put_base64(out, body, len);
}

int
mail_build(const struct mail_msg *m, struct buf *out)
{
	char rnd[17], outer[48], inner[48], hdr[160];
	unsigned char r[8];

	if (m->from_addr == NULL || m->to_addr == NULL || m->subject == NULL ||
	    m->message_id == NULL || m->text == NULL || m->html == NULL ||
	    m->ics == NULL || m->method == NULL ||
	    (strcmp(m->method, "REQUEST") != 0 &&
	    strcmp(m->method, "CANCEL") != 0) ||
	    str_has_ctl(m->subject) || str_has_ctl(m->message_id) ||
	    (m->from_name != NULL && str_has_ctl(m->from_name)) ||
	    (m->to_name != NULL && str_has_ctl(m->to_name)) ||
	    strchr(m->message_id, '>') != NULL ||
	    strlen(m->message_id) > MAIL_MESSAGE_ID_MAX)
		return -1;
	/* Boundaries start with "=_", which base64 text can never contain. */
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(rnd, sizeof(rnd), r, sizeof(r));
	snprintf(outer, sizeof(outer), "=_convene_m_%s", rnd);
	snprintf(inner, sizeof(inner), "=_convene_a_%s", rnd);
	if (put_address(out, "From", m->from_name, m->from_addr) != 0 ||
	    put_address(out, "To", m->to_name, m->to_addr) != 0 ||
	    put_subject(out, m->subject) != 0 ||
	    put_date(out, m->date) != 0 ||
	    buf_printf(out, "Message-ID: <%s>\r\n", m->message_id) != 0 ||
	    buf_puts(out, "MIME-Version: 1.0\r\n") != 0 ||
	    buf_printf(out, "Content-Type: multipart/mixed;\r\n"
	    " boundary=\"%s\"\r\n\r\n", outer) != 0 ||
	    buf_puts(out, "This is a calendar invitation in MIME format.\r\n"
	    "\r\n") != 0 ||
	    buf_printf(out, "--%s\r\nContent-Type: multipart/alternative;\r\n"
	    " boundary=\"%s\"\r\n\r\n", outer, inner) != 0 ||
	    put_part(out, inner, "Content-Type: text/plain; charset=UTF-8\r\n",
	    m->text, strlen(m->text)) != 0 ||
	    put_part(out, inner, "Content-Type: text/html; charset=UTF-8\r\n",
	    m->html, strlen(m->html)) != 0)
		return -1;
	snprintf(hdr, sizeof(hdr), "Content-Type: text/calendar; method=%s;\r\n"
	    " charset=UTF-8\r\n", m->method);
	if (put_part(out, inner, hdr, m->ics, m->ics_len) != 0 ||
	    buf_printf(out, "--%s--\r\n\r\n", inner) != 0)
		return -1;
	if (put_part(out, outer, "Content-Type: application/ics; "
	    "name=\"invite.ics\"\r\nContent-Disposition: attachment;\r\n"
	    " filename=\"invite.ics\"\r\n", m->ics, m->ics_len) != 0 ||
	    buf_printf(out, "--%s--\r\n", outer) != 0 || out->failed)
		return -1;
	return 0;
}

/*
 * A plain notice: one text/plain part, base64, no calendar object. Used for
 * sign-in codes, requests to check a record and chasers (notice.h), which
 * must reach the same mailboxes through the same outbox as invites.
 */
int
mail_build_notice(const struct mail_msg *m, struct buf *out)
{
	if (m->from_addr == NULL || m->to_addr == NULL || m->subject == NULL ||
	    m->message_id == NULL || m->text == NULL ||
	    str_has_ctl(m->subject) || str_has_ctl(m->message_id) ||
	    (m->from_name != NULL && str_has_ctl(m->from_name)) ||
	    (m->to_name != NULL && str_has_ctl(m->to_name)) ||
	    strchr(m->message_id, '>') != NULL ||
	    strlen(m->message_id) > MAIL_MESSAGE_ID_MAX)
		return -1;
	if (put_address(out, "From", m->from_name, m->from_addr) != 0 ||
	    put_address(out, "To", m->to_name, m->to_addr) != 0 ||
	    put_subject(out, m->subject) != 0 ||
	    put_date(out, m->date) != 0 ||
	    buf_printf(out, "Message-ID: <%s>\r\n", m->message_id) != 0 ||
	    buf_puts(out, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n") != 0 ||
	    put_base64(out, m->text, strlen(m->text)) != 0 || out->failed)
		return -1;
	return 0;
}

int
mail_message_id(const char *from_addr, char *out, size_t outlen)
{
	unsigned char r[16];
	char hex[33];
	const char *at;
	int n;

	if (from_addr == NULL || (at = strrchr(from_addr, '@')) == NULL ||
	    at[1] == '\0')
		return -1;
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
	n = snprintf(out, outlen, "%s.convene@%s", hex, at + 1);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* ---- delivery --------------------------------------------------------------- */

int
mail_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
mail_global_cleanup(void)
{
	curl_global_cleanup();
}

struct reader {
	const char	*data;
	size_t		 len;
	size_t		 pos;
};

static size_t
read_cb(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct reader *r = arg;
	size_t room = size * nmemb, n = r->len - r->pos;

	if (n > room)
		n = room;
	memcpy(dst, r->data + r->pos, n);
	r->pos += n;
	return n;
}

/* The reason for a failed delivery, naming the setting to look at when
 * TLS is what failed (all of these are retried). */
static void
tls_reason(CURLcode rc, long code, char *err, size_t errlen)
{
	const char *why = NULL;

	switch (rc) {
	case CURLE_USE_SSL_FAILED:
		why = "the relay does not offer STARTTLS and CONVENE_SMTP_TLS "
		    "is required";
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		why = "the relay's TLS certificate is not trusted or not for "
		    "its name (CONVENE_SMTP_CA_FILE for a private CA)";
		break;
	case CURLE_SSL_CACERT_BADFILE:
		why = "CONVENE_SMTP_CA_FILE cannot be read";
		break;
	case CURLE_SSL_CONNECT_ERROR:
		why = "the TLS handshake with the relay failed";
		break;
	default:
		break;
	}
	if (why != NULL)
		snprintf(err, errlen, "smtp: %s; curl %d, status %ld", why,
		    (int)rc, code);
	else
		snprintf(err, errlen, "smtp: curl %d (%s), status %ld", (int)rc,
		    curl_easy_strerror(rc), code);
}

int
mail_send_smtp(const struct mail_smtp *s, const char *rcpt,
    const char *data, size_t len, char *err, size_t errlen)
{
	struct curl_slist *to = NULL;
	struct reader rd = { data, len, 0 };
	char addr[300];
	CURLcode rc = CURLE_FAILED_INIT;
	CURL *c;
	long code = 0;
	int result = -1;

	snprintf(err, errlen, "smtp: could not start");
	if ((c = curl_easy_init()) == NULL)
		return -1;
	if (snprintf(addr, sizeof(addr), "<%s>", rcpt) >= (int)sizeof(addr) ||
	    (to = curl_slist_append(NULL, addr)) == NULL)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)(s->tls_required ?
	    CURLUSESSL_ALL : CURLUSESSL_TRY));
	/* libcurl's defaults, said out loud: a relay's certificate is checked
	 * (name and chain) whenever TLS is used. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->ca_file != NULL && s->ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)MAIL_SMTP_CONNECT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)MAIL_SMTP_TIMEOUT);
	if (s->user != NULL && s->user[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password ?
		    s->password : "");
	}
	snprintf(addr, sizeof(addr), "<%s>", s->from);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, addr);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &rd);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		result = 0;
		err[0] = '\0';
		goto out;
	}
	tls_reason(rc, code, err, errlen);
	/* A 5xx reply (recipient or message refused) is final; connection
	 * failures, timeouts, 4xx and refused credentials (which an operator
	 * can fix) are worth retrying. */
	if (code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED)
		result = 1;
out:
	curl_slist_free_all(to);
	curl_easy_cleanup(c);
	return result;
}

/* mkdir that accepts an existing directory. */
static int
ensure_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return -1;
}

int
mail_write_eml(const char *dir, long id, const char *data, size_t len,
    char *err, size_t errlen)
{
	char tmp[1100], final[1100], parent[1024];
	const char *slash;
	size_t done = 0;
	ssize_t n;
	int fd = -1, dfd = -1, result = -1;

	if (snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-XXXXXX", dir, id) >=
	    (int)sizeof(tmp) || snprintf(final, sizeof(final), "%s/%ld.eml",
	    dir, id) >= (int)sizeof(final)) {
		snprintf(err, errlen, "eml: directory name too long");
		return -1;
	}
	if (ensure_dir(dir) != 0) {
		/* The data directory itself may not exist yet. */
		slash = strrchr(dir, '/');
		if (slash != NULL && slash != dir && (size_t)(slash - dir) <
		    sizeof(parent)) {
			memcpy(parent, dir, (size_t)(slash - dir));
			parent[slash - dir] = '\0';
			(void)ensure_dir(parent);
		}
		if (ensure_dir(dir) != 0) {
			snprintf(err, errlen, "eml: cannot create the outbox "
			    "directory (errno %d)", errno);
			return -1;
		}
	}
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errlen, "eml: cannot create a file (errno %d)",
		    errno);
		return -1;
	}
	while (done < len) {
		n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "eml: write failed (errno %d)",
			    errno);
			goto out;
		}
		done += (size_t)n;
	}
	if (fchmod(fd, 0600) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "eml: fsync failed (errno %d)", errno);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "eml: close failed (errno %d)", errno);
		goto out;
	}
	fd = -1;
	if (rename(tmp, final) != 0) {
		snprintf(err, errlen, "eml: rename failed (errno %d)", errno);
		goto out;
	}
	tmp[0] = '\0';
	/* The rename is durable only once the directory is synced. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) != 0) {
		snprintf(err, errlen, "eml: directory fsync failed (errno %d)",
		    errno);
		goto out;
	}
	result = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (result != 0 && tmp[0] != '\0')
		unlink(tmp);
	return result;
}
