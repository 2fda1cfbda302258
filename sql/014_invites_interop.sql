-- Invites as calendar clients read them (issue 15): reply ordering by
-- DTSTAMP, SEQUENCE moved only by a new time, counter-proposals, mail
-- without a calendar part, and per-authority calendar wording and CLASS.

-- The DTSTAMP and SEQUENCE of the answer that set partstat (RFC 5546
-- 2.1.5: among replies to one SEQUENCE the latest DTSTAMP wins). NULL: no
-- answer since the last reset.
ALTER TABLE participants
	ADD COLUMN reply_dtstamp timestamptz,
	ADD COLUMN reply_sequence integer;

-- The times the invitations at the current SEQUENCE announced: a change
-- that moves either needs a new SEQUENCE and new answers; any other change
-- is sent at the same SEQUENCE (server/invite_revise.c).
-- answers_reset_at: when a new time last reset every answer to
-- NEEDS-ACTION (shown on the meeting page).
ALTER TABLE discussions
	ADD COLUMN invited_starts_at timestamptz,
	ADD COLUMN invited_ends_at timestamptz,
	ADD COLUMN answers_reset_at timestamptz;
UPDATE discussions SET invited_starts_at = starts_at,
	invited_ends_at = ends_at;

-- A new meeting's invitations announce its own times, whoever inserts it.
CREATE FUNCTION discussions_invited_times() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.invited_starts_at := coalesce(NEW.invited_starts_at, NEW.starts_at);
	NEW.invited_ends_at := coalesce(NEW.invited_ends_at, NEW.ends_at);
	RETURN NEW;
END $$;
CREATE TRIGGER discussions_invited_times BEFORE INSERT ON discussions
	FOR EACH ROW EXECUTE FUNCTION discussions_invited_times();

-- Counter-proposals and plain mail join replies in the gateway's inbox.
ALTER TABLE itip_inbox DROP CONSTRAINT itip_inbox_status_check;
ALTER TABLE itip_inbox ADD CONSTRAINT itip_inbox_status_check CHECK
	(status IN ('applied', 'stale', 'unmatched', 'unsupported',
	 'malformed', 'superseded', 'counter', 'mail'));
ALTER TABLE itip_inbox
	ADD COLUMN mail_from text CHECK (length(mail_from) <= 254),
	ADD COLUMN subject text CHECK (length(subject) <= 300);
CREATE INDEX itip_inbox_discussion ON itip_inbox (discussion_id)
	WHERE discussion_id IS NOT NULL;

-- METHOD:COUNTER ("Propose new time" in Outlook): who, the time proposed,
-- their comment. Shown on the meeting page until dismissed or used.
CREATE TABLE counter_proposals (
	id		bigserial PRIMARY KEY,
	discussion_id	bigint NOT NULL REFERENCES discussions(id),
	participant_id	bigint NOT NULL REFERENCES participants(id),
	inbox_id	bigint NOT NULL REFERENCES itip_inbox(id),
	sequence	integer NOT NULL,
	starts_at	timestamptz NOT NULL,
	ends_at		timestamptz NOT NULL CHECK (ends_at > starts_at),
	comment		text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
	received_at	timestamptz NOT NULL DEFAULT now(),
	-- set when the meeting is rescheduled (to this or another time)
	closed_at	timestamptz
);
CREATE INDEX counter_proposals_open ON counter_proposals (discussion_id)
	WHERE closed_at IS NULL;

-- Per-authority calendar wording (issue 15, point 11). NULL title: the
-- default from ics-templates/summary.txt. Set through the authority
-- settings API; checked in C (invite_title_check) before any write.
ALTER TABLE authorities
	ADD COLUMN invite_title_template text
		CHECK (length(invite_title_template) BETWEEN 1 AND 200),
	ADD COLUMN invite_class text NOT NULL DEFAULT 'CONFIDENTIAL'
		CHECK (invite_class IN ('PRIVATE', 'CONFIDENTIAL'));
