-- Notices: plain-text emails about a discussion (server/notice.c) share the
-- invites' outbox, so they are queued in the writing transaction and sent
-- once by any instance. They carry no calendar object, hence no method.
-- The kinds are NOTICE_KINDS in include/notice.h (a test compares them).

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN
	('new', 'update', 'cancel', 'removed',
	 'partner_code', 'record_check', 'chase_reminder', 'chase_escalation',
	 'chase_worker'));
ALTER TABLE outbox ALTER COLUMN method DROP NOT NULL;
ALTER TABLE outbox DROP CONSTRAINT outbox_method_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_method_check CHECK (
	(kind IN ('new', 'update', 'cancel', 'removed'))
	= (method IS NOT NULL AND method IN ('REQUEST', 'CANCEL')));
