/*
 * notice: plain-text emails through the outbox (notice.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "mail.h"
#include "notice.h"
#include "outbox.h"
#include "str.h"

static struct {
	int	 ready;
	char	 from[256];
	char	 base_url[256];
} settings;

static const char *const kind_words[] = {
#define X(e, w)	w,
	NOTICE_KINDS(X)
#undef X
};

const char *
notice_kind_word(enum notice_kind k)
{
	if ((unsigned)k >= NOTICE_NKINDS)
		return NULL;
	return kind_words[k];
}

int
notice_init(const struct config *cfg)
{
	size_t n;

	str_copy(settings.from, cfg->smtp_from, sizeof(settings.from));
	str_copy(settings.base_url, cfg->base_url, sizeof(settings.base_url));
	n = strlen(settings.base_url);
	while (n > 0 && settings.base_url[n - 1] == '/')
		settings.base_url[--n] = '\0';
	settings.ready = 1;
	return 0;
}

const char *
notice_base_url(void)
{
	return settings.base_url;
}

int
notice_queue(struct db *db, long discussion, long participant,
    enum notice_kind kind, const char *to_addr, const char *subject,
    const char *text)
{
	char msgid[MAIL_MESSAGE_ID_MAX + 1];
	struct mail_msg m;
	struct buf b;
	int result = -1;

	buf_init(&b, MAIL_MESSAGE_MAX);
	if (!settings.ready || notice_kind_word(kind) == NULL ||
	    subject == NULL || strlen(subject) > NOTICE_SUBJECT_MAX ||
	    text == NULL || strlen(text) > NOTICE_TEXT_MAX) {
		log_error("notice", "notice_queue: not ready or bad arguments");
		goto out;
	}
	if (mail_message_id(settings.from, msgid, sizeof(msgid)) != 0)
		goto out;
	memset(&m, 0, sizeof(m));
	m.from_addr = settings.from;
	m.from_name = "Convene";
	m.to_addr = to_addr;
	m.subject = subject;
	m.message_id = msgid;
	m.date = time(NULL);
	m.text = text;
	if (mail_build_notice(&m, &b) != 0 || buf_cstr(&b) == NULL) {
		log_error("notice", "cannot build a notice");
		goto out;
	}
	if (outbox_add(db, discussion, participant, notice_kind_word(kind),
	    NULL, 0, to_addr, msgid, buf_cstr(&b)) != 0)
		goto out;
	result = 0;
out:
	buf_free(&b);
	return result;
}
