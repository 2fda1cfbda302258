-- Duty contacts and chasers (issue 13, part 3; docs/chasers.md).
--
-- Organisations gain a duty contact (a shared inbox and a phone number) and
-- an optional rota of named contacts on duty for time windows. A statutory
-- agency that has not accepted a meeting some hours before it is chased:
-- first a reminder to its invitees, then an escalation to its
-- organisation's duty inbox (and a notice to the social worker). The
-- unique key of chases is the claim: every instance scans, the one whose
-- INSERT lands sends, the others find the row there (server/chaser.c).
-- A call logged by the worker counts as contact and is evidence for the
-- absence reason (server/calls.c).

ALTER TABLE organisations
	ADD COLUMN duty_email text CHECK (length(duty_email) BETWEEN 3 AND 254),
	ADD COLUMN duty_phone text CHECK (length(duty_phone) BETWEEN 1 AND 40);

-- Who is on duty when. No two windows of one organisation overlap: rota.c
-- checks before writing (and locks the organisation row), the trigger is
-- the backstop.
CREATE TABLE duty_rota (
	id		bigserial PRIMARY KEY,
	organisation_id	bigint NOT NULL REFERENCES organisations(id),
	contact_id	bigint NOT NULL REFERENCES contacts(id),
	starts_at	timestamptz NOT NULL,
	ends_at		timestamptz NOT NULL,
	created_by	bigint REFERENCES users(id),
	created_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (ends_at > starts_at)
);
CREATE INDEX duty_rota_org_time ON duty_rota (organisation_id, starts_at);

CREATE FUNCTION duty_rota_no_overlap() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM duty_rota r
	    WHERE r.organisation_id = NEW.organisation_id AND r.id <> NEW.id
	    AND tstzrange(r.starts_at, r.ends_at) &&
	        tstzrange(NEW.starts_at, NEW.ends_at)) THEN
		RAISE EXCEPTION 'duty rota windows overlap'
		    USING ERRCODE = '23P01';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER duty_rota_no_overlap BEFORE INSERT OR UPDATE ON duty_rota
	FOR EACH ROW EXECUTE FUNCTION duty_rota_no_overlap();

-- The four chase thresholds of an authority. A meeting booked less than
-- chase_reminder_hours ahead (the same day, usually) uses the minutes.
ALTER TABLE authorities
	ADD COLUMN chase_reminder_hours integer NOT NULL DEFAULT 24
		CHECK (chase_reminder_hours BETWEEN 1 AND 168),
	ADD COLUMN chase_escalation_hours integer NOT NULL DEFAULT 4
		CHECK (chase_escalation_hours BETWEEN 1 AND 167),
	ADD COLUMN chase_same_day_reminder_minutes integer NOT NULL DEFAULT 60
		CHECK (chase_same_day_reminder_minutes BETWEEN 2 AND 1440),
	ADD COLUMN chase_same_day_escalation_minutes integer NOT NULL
		DEFAULT 30
		CHECK (chase_same_day_escalation_minutes BETWEEN 1 AND 1439),
	ADD CONSTRAINT authorities_chase_hours_order
		CHECK (chase_escalation_hours < chase_reminder_hours),
	ADD CONSTRAINT authorities_chase_minutes_order
		CHECK (chase_same_day_escalation_minutes <
		    chase_same_day_reminder_minutes);

-- When an invitee accepted (any path: iTIP reply, RSVP link): the trigger
-- keeps it, so every writer of partstat is covered.
ALTER TABLE participants ADD COLUMN accepted_at timestamptz;
UPDATE participants SET accepted_at = coalesce(reply_dtstamp, created_at)
	WHERE partstat = 'ACCEPTED';

CREATE FUNCTION participants_accepted_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.partstat = 'ACCEPTED' AND (TG_OP = 'INSERT' OR
	    OLD.partstat IS DISTINCT FROM 'ACCEPTED') THEN
		NEW.accepted_at := now();
	ELSIF NEW.partstat <> 'ACCEPTED' THEN
		NEW.accepted_at := NULL;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER participants_accepted_at BEFORE INSERT OR UPDATE OF partstat
	ON participants FOR EACH ROW EXECUTE FUNCTION participants_accepted_at();

-- When every statutory agency of a discussion had accepted (set by the
-- chaser's scan; the metric convene_booking_to_all_accepted_seconds).
ALTER TABLE discussions ADD COLUMN all_accepted_at timestamptz;

-- One row per chase sent: the unique key is the claim across instances.
CREATE TABLE chases (
	id		bigserial PRIMARY KEY,
	discussion_id	bigint NOT NULL REFERENCES discussions(id),
	agency		text NOT NULL REFERENCES agencies(code),
	kind		text NOT NULL,
	v_kind		text GENERATED ALWAYS AS ('chase_kind') STORED,
	FOREIGN KEY (v_kind, kind) REFERENCES vocabulary (list, code),
	organisation_id	bigint REFERENCES organisations(id),
	-- emails queued: invitees (reminder), duty inbox and worker
	-- (escalation); 0 when there was nobody to write to
	emails		integer NOT NULL DEFAULT 0 CHECK (emails >= 0),
	sent_at		timestamptz NOT NULL DEFAULT now(),
	UNIQUE (discussion_id, agency, kind)
);

-- Calls the worker logged to an agency: time, who, outcome.
CREATE TABLE chase_calls (
	id		bigserial PRIMARY KEY,
	discussion_id	bigint NOT NULL REFERENCES discussions(id),
	agency		text NOT NULL REFERENCES agencies(code),
	participant_id	bigint REFERENCES participants(id),
	called_at	timestamptz NOT NULL,
	spoke_to	text NOT NULL CHECK (length(spoke_to) BETWEEN 1 AND 200),
	outcome		text NOT NULL,
	v_outcome	text GENERATED ALWAYS AS ('call_outcome') STORED,
	FOREIGN KEY (v_outcome, outcome) REFERENCES vocabulary (list, code),
	logged_by	bigint REFERENCES users(id),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chase_calls_discussion ON chase_calls (discussion_id);
