-- The record of the strategy discussion (issue: the record itself): concern
-- categories, what each agency shared, the analysis, per-child decisions,
-- the safety plan and dissent; children's equality and legal fields; the
-- chair as a participant; phone contact as planned presence.
--
-- Closed lists reference the vocabulary table (filled by vocab_sync from
-- server/vocab.c) through a generated column naming the list, so SQL has no
-- list of its own. Input is validated in C first: these constraints are a
-- backstop, and a violation logs no row (log_error_verbosity = terse in
-- the embedded and documented production settings).

-- Closed lists of the booking: the vocabulary replaces the CHECK lists.
ALTER TABLE discussions
	DROP CONSTRAINT IF EXISTS discussions_kind_check,
	DROP CONSTRAINT IF EXISTS discussions_format_check,
	DROP CONSTRAINT IF EXISTS discussions_status_check,
	DROP CONSTRAINT IF EXISTS discussions_planned_classification_check,
	DROP CONSTRAINT IF EXISTS discussions_actual_classification_check,
	ADD COLUMN v_kind text GENERATED ALWAYS AS ('kind') STORED,
	ADD COLUMN v_format text GENERATED ALWAYS AS ('format') STORED,
	ADD COLUMN v_status text GENERATED ALWAYS AS ('status') STORED,
	ADD COLUMN v_class text GENERATED ALWAYS AS ('classification') STORED,
	ADD FOREIGN KEY (v_kind, kind) REFERENCES vocabulary (list, code),
	ADD FOREIGN KEY (v_format, format) REFERENCES vocabulary (list, code),
	ADD FOREIGN KEY (v_status, status) REFERENCES vocabulary (list, code),
	ADD FOREIGN KEY (v_class, planned_classification)
		REFERENCES vocabulary (list, code),
	ADD FOREIGN KEY (v_class, actual_classification)
		REFERENCES vocabulary (list, code),
	-- the chair is one of the social-care people who attended
	ADD COLUMN chair_participant_id bigint;

ALTER TABLE participants
	DROP CONSTRAINT IF EXISTS participants_attendance_check,
	ADD COLUMN v_attendance text GENERATED ALWAYS AS ('attendance') STORED,
	ADD FOREIGN KEY (v_attendance, attendance)
		REFERENCES vocabulary (list, code),
	-- an invitee with no email counts as invited once a phone contact is
	-- logged
	ADD COLUMN contacted_by_phone_at timestamptz,
	-- the person who booked it, taking part: reached by booking it
	ADD COLUMN user_id bigint REFERENCES users (id);

ALTER TABLE discussions ADD FOREIGN KEY (chair_participant_id)
	REFERENCES participants (id);

-- Who may chair: managers always; directory contacts when marked.
ALTER TABLE contacts ADD COLUMN can_chair boolean NOT NULL DEFAULT false;
ALTER TABLE authorities
	ADD COLUMN enforce_chair_eligibility boolean NOT NULL DEFAULT false;

-- Children: equality and legal fields, the council's own id, unborn babies
-- (who need no name).
ALTER TABLE children
	ALTER COLUMN name DROP NOT NULL,
	ADD COLUMN authority_id bigint REFERENCES authorities(id),
	ADD COLUMN sex text,
	ADD COLUMN v_sex text GENERATED ALWAYS AS ('sex') STORED,
	ADD FOREIGN KEY (v_sex, sex) REFERENCES vocabulary (list, code),
	ADD COLUMN ethnicity text CHECK (length(ethnicity) <= 200),
	ADD COLUMN disability text CHECK (length(disability) <= 200),
	ADD COLUMN legal_status text,
	ADD COLUMN v_legal text GENERATED ALWAYS AS ('legal_status') STORED,
	ADD FOREIGN KEY (v_legal, legal_status)
		REFERENCES vocabulary (list, code),
	ADD COLUMN person_id text CHECK (length(person_id) BETWEEN 1 AND 64),
	ADD COLUMN unborn boolean NOT NULL DEFAULT false,
	ADD COLUMN expected_date date,
	ADD CONSTRAINT children_named_or_unborn
		CHECK (name IS NOT NULL OR unborn),
	ADD CONSTRAINT children_expected_when_unborn
		CHECK (NOT unborn OR expected_date IS NOT NULL);
UPDATE children ch SET authority_id = c.authority_id
	FROM cases c WHERE c.id = ch.case_id;
ALTER TABLE children ALTER COLUMN authority_id SET NOT NULL;

-- The child's authority is its case's: filled in when the writer does not
-- give it (bulk loads, older writers), so it can never disagree.
CREATE FUNCTION children_authority() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	SELECT authority_id INTO NEW.authority_id FROM cases
	WHERE id = NEW.case_id;
	RETURN NEW;
END $$;
CREATE TRIGGER children_authority BEFORE INSERT OR UPDATE OF case_id
	ON children FOR EACH ROW EXECUTE FUNCTION children_authority();
CREATE UNIQUE INDEX children_person_id ON children (authority_id, person_id)
	WHERE person_id IS NOT NULL;

-- Decisions per child: the outcome row grows the record's per-child fields.
ALTER TABLE outcomes
	DROP CONSTRAINT IF EXISTS outcomes_decision_check,
	ADD COLUMN v_decision text GENERATED ALWAYS AS ('decision') STORED,
	ADD FOREIGN KEY (v_decision, decision) REFERENCES vocabulary (list, code),
	ADD COLUMN police_investigation text,
	ADD COLUMN v_police text GENERATED ALWAYS AS ('police_investigation')
		STORED,
	ADD FOREIGN KEY (v_police, police_investigation)
		REFERENCES vocabulary (list, code),
	ADD COLUMN medical text,
	ADD COLUMN v_medical text GENERATED ALWAYS AS ('medical') STORED,
	ADD FOREIGN KEY (v_medical, medical) REFERENCES vocabulary (list, code),
	ADD COLUMN plan_to_see text,
	ADD COLUMN seen_alone boolean,
	ADD COLUMN views text,
	ADD COLUMN communication_needs text,
	ADD COLUMN parents text,
	ADD COLUMN v_parents text GENERATED ALWAYS AS ('parents') STORED,
	ADD FOREIGN KEY (v_parents, parents) REFERENCES vocabulary (list, code),
	ADD COLUMN parents_by text,
	ADD COLUMN parents_when date,
	ADD COLUMN parents_delay_reason text,
	ADD COLUMN consent_for_checks text,
	ADD COLUMN v_consent text GENERATED ALWAYS AS ('consent_for_checks')
		STORED,
	ADD FOREIGN KEY (v_consent, consent_for_checks)
		REFERENCES vocabulary (list, code),
	ADD COLUMN consent_reason text,
	ADD COLUMN next_step text,
	ADD COLUMN v_next text GENERATED ALWAYS AS ('next_step') STORED,
	ADD FOREIGN KEY (v_next, next_step) REFERENCES vocabulary (list, code);

-- One record per discussion.
CREATE TABLE records (
	discussion_id	bigint PRIMARY KEY REFERENCES discussions(id),
	status		text NOT NULL DEFAULT 'draft',
	v_status	text GENERATED ALWAYS AS ('record_status') STORED,
	version		integer NOT NULL DEFAULT 1 CHECK (version >= 1),
	concerns_other	text,
	worries		text,
	strengths	text,
	gaps		text,
	safety_plan	text,
	written_by	bigint REFERENCES users(id),
	written_at	timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (v_status, status) REFERENCES vocabulary (list, code)
);

CREATE TABLE record_concerns (
	discussion_id	bigint NOT NULL REFERENCES records(discussion_id),
	concern		text NOT NULL,
	v_concern	text GENERATED ALWAYS AS ('concern') STORED,
	PRIMARY KEY (discussion_id, concern),
	FOREIGN KEY (v_concern, concern) REFERENCES vocabulary (list, code)
);

CREATE TABLE record_agency_information (
	id		bigserial PRIMARY KEY,
	discussion_id	bigint NOT NULL REFERENCES records(discussion_id),
	position	integer NOT NULL,
	agency		text NOT NULL REFERENCES agencies(code),
	information	text NOT NULL,
	checks		text NOT NULL,
	v_checks	text GENERATED ALWAYS AS ('checks') STORED,
	received	text NOT NULL,
	v_received	text GENERATED ALWAYS AS ('received') STORED,
	from_whom	text NOT NULL DEFAULT '',
	FOREIGN KEY (v_checks, checks) REFERENCES vocabulary (list, code),
	FOREIGN KEY (v_received, received) REFERENCES vocabulary (list, code),
	UNIQUE (discussion_id, position)
);

CREATE TABLE record_dissent (
	id		bigserial PRIMARY KEY,
	discussion_id	bigint NOT NULL REFERENCES records(discussion_id),
	position	integer NOT NULL,
	agency		text NOT NULL REFERENCES agencies(code),
	about		text NOT NULL,
	escalated	boolean NOT NULL DEFAULT false,
	UNIQUE (discussion_id, position)
);
