-- Convene core schema: authorities, the shared contacts directory, staff,
-- cases and children, strategy discussions with their participants and
-- outcomes, and the append-only audit log.
--
-- Every case-bearing row carries authority_id: one deployment may serve
-- several neighbouring authorities that share a police force and health
-- trusts, so the directory is shared while cases are not.

CREATE TABLE authorities (
	id			bigserial PRIMARY KEY,
	code			text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,64}$'),
	name			text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	-- local target for holding the discussion after the concern, in
	-- working days (DOMAIN.md: one working day, at most three)
	target_working_days	integer NOT NULL DEFAULT 1
				CHECK (target_working_days BETWEEN 1 AND 3),
	created_at		timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agencies (
	code		text PRIMARY KEY CHECK (code ~ '^[a-z_]{1,32}$'),
	name		text NOT NULL,
	sort_order	integer NOT NULL DEFAULT 100
);

INSERT INTO agencies (code, name, sort_order) VALUES
	('social_care', 'Children''s social care', 1),
	('police', 'Police', 2),
	('health', 'Health', 3),
	('education', 'Education', 4),
	('probation', 'Probation', 5),
	('housing', 'Housing', 6),
	('other', 'Other', 7);

-- The statutory set is per authority so that an authority can change it;
-- new authorities start with the Working Together three.
CREATE TABLE statutory_agencies (
	authority_id	bigint NOT NULL REFERENCES authorities(id),
	agency		text NOT NULL REFERENCES agencies(code),
	PRIMARY KEY (authority_id, agency)
);

CREATE FUNCTION authorities_default_statutory() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO statutory_agencies (authority_id, agency)
	VALUES (NEW.id, 'social_care'), (NEW.id, 'police'), (NEW.id, 'health');
	RETURN NEW;
END $$;

CREATE TRIGGER authorities_default_statutory AFTER INSERT ON authorities
	FOR EACH ROW EXECUTE FUNCTION authorities_default_statutory();

INSERT INTO authorities (code, name) VALUES ('default', 'Default authority');

CREATE TABLE organisations (
	id		bigserial PRIMARY KEY,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	agency		text NOT NULL REFERENCES agencies(code),
	active		boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (name, agency)
);

CREATE TABLE contacts (
	id		bigserial PRIMARY KEY,
	organisation_id	bigint NOT NULL REFERENCES organisations(id),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	role		text NOT NULL DEFAULT '' CHECK (length(role) <= 200),
	email		text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
	phone		text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
	active		boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_org ON contacts (organisation_id);
CREATE UNIQUE INDEX contacts_email ON contacts (lower(email));

CREATE TABLE teams (
	id		bigserial PRIMARY KEY,
	authority_id	bigint NOT NULL REFERENCES authorities(id),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (authority_id, name)
);

CREATE TABLE users (
	id		bigserial PRIMARY KEY,
	authority_id	bigint NOT NULL REFERENCES authorities(id),
	team_id		bigint REFERENCES teams(id),
	username	text NOT NULL UNIQUE
			CHECK (username ~ '^[A-Za-z0-9._@-]{1,64}$'),
	display_name	text NOT NULL DEFAULT '',
	role		text NOT NULL
			CHECK (role IN ('social_worker', 'manager', 'admin')),
	password_hash	text NOT NULL,
	active		boolean NOT NULL DEFAULT true,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- Only a hash of each API token is kept; the token itself is shown once.
CREATE TABLE api_tokens (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users(id),
	token_hash	text NOT NULL UNIQUE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	revoked_at	timestamptz
);

CREATE TABLE cases (
	id			bigserial PRIMARY KEY,
	authority_id		bigint NOT NULL REFERENCES authorities(id),
	case_ref		text NOT NULL
				CHECK (case_ref ~ '^[A-Za-z0-9][A-Za-z0-9/_-]{0,39}$'),
	team_id			bigint NOT NULL REFERENCES teams(id),
	allocated_worker_id	bigint REFERENCES users(id),
	-- initial child protection conference (statistics issue)
	icpc_date		date,
	icpc_not_required	boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	UNIQUE (authority_id, case_ref)
);

-- Children's names and dates of birth never leave the database except to
-- signed-in staff pages and the authenticated API.
CREATE TABLE children (
	id		bigserial PRIMARY KEY,
	case_id		bigint NOT NULL REFERENCES cases(id),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	date_of_birth	date,
	UNIQUE (case_id, name)
);

CREATE TABLE discussions (
	id			bigserial PRIMARY KEY,
	authority_id		bigint NOT NULL REFERENCES authorities(id),
	case_id			bigint NOT NULL REFERENCES cases(id),
	team_id			bigint NOT NULL REFERENCES teams(id),
	kind			text NOT NULL CHECK (kind IN ('meeting', 'discussion')),
	reason			text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
	concern_received_at	timestamptz NOT NULL,
	starts_at		timestamptz NOT NULL,
	ends_at			timestamptz NOT NULL,
	format			text NOT NULL
				CHECK (format IN ('in_person', 'video', 'phone')),
	location		text NOT NULL DEFAULT '' CHECK (length(location) <= 500),
	chair			text NOT NULL DEFAULT '' CHECK (length(chair) <= 200),
	status			text NOT NULL DEFAULT 'scheduled'
				CHECK (status IN ('scheduled', 'held', 'cancelled')),
	uid			text NOT NULL UNIQUE,
	sequence		integer NOT NULL DEFAULT 0,
	-- classification is stored, never recomputed, so history does not
	-- change when an authority changes its statutory set
	planned_classification	text NOT NULL CHECK (planned_classification IN
				('multi_agency', 'partial', 'single_agency')),
	planned_missing		text[] NOT NULL DEFAULT '{}',
	missing_agency_reason	text CHECK (length(missing_agency_reason) <= 2000),
	actual_classification	text CHECK (actual_classification IN
				('multi_agency', 'partial', 'single_agency')),
	actual_missing		text[],
	actual_contributed	text[],
	absence_reason		text CHECK (length(absence_reason) <= 2000),
	child_views_recorded	boolean,
	child_views		text CHECK (length(child_views) <= 5000),
	next_review_date	date,
	cancel_reason		text CHECK (length(cancel_reason) <= 2000),
	created_by		bigint REFERENCES users(id),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	held_recorded_at	timestamptz,
	CHECK (ends_at > starts_at)
);
CREATE INDEX discussions_authority_start ON discussions (authority_id, starts_at);
CREATE INDEX discussions_team_start ON discussions (team_id, starts_at);
CREATE INDEX discussions_case ON discussions (case_id);

CREATE TABLE participants (
	id		bigserial PRIMARY KEY,
	discussion_id	bigint NOT NULL REFERENCES discussions(id),
	contact_id	bigint REFERENCES contacts(id),
	-- a snapshot of the contact when invited: the directory may change
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	email		text CHECK (length(email) <= 254),
	agency		text NOT NULL REFERENCES agencies(code),
	organisation	text NOT NULL DEFAULT '' CHECK (length(organisation) <= 200),
	role		text NOT NULL DEFAULT '' CHECK (length(role) <= 200),
	added_on_day	boolean NOT NULL DEFAULT false,
	attendance	text CHECK (attendance IN
			('attended', 'contributed', 'apologies', 'absent')),
	-- iTIP participation status, moved by replies (invites issue)
	partstat	text NOT NULL DEFAULT 'NEEDS-ACTION' CHECK (partstat IN
			('NEEDS-ACTION', 'ACCEPTED', 'DECLINED', 'TENTATIVE')),
	removed_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participants_discussion ON participants (discussion_id);
CREATE INDEX participants_email ON participants (lower(email));

CREATE TABLE outcomes (
	id		bigserial PRIMARY KEY,
	discussion_id	bigint NOT NULL REFERENCES discussions(id),
	child_id	bigint NOT NULL REFERENCES children(id),
	decision	text NOT NULL CHECK (decision IN ('s47_joint',
			's47_single_agency', 'no_s47_further_assessment',
			'no_further_action')),
	rationale	text NOT NULL DEFAULT '' CHECK (length(rationale) <= 5000),
	UNIQUE (discussion_id, child_id)
);

CREATE TABLE actions (
	id		bigserial PRIMARY KEY,
	discussion_id	bigint NOT NULL REFERENCES discussions(id),
	what		text NOT NULL CHECK (length(what) BETWEEN 1 AND 2000),
	owner		text NOT NULL CHECK (length(owner) BETWEEN 1 AND 200),
	due_date	date
);
CREATE INDEX actions_discussion ON actions (discussion_id);

-- Append-only: the database itself refuses UPDATE, DELETE and TRUNCATE.
CREATE TABLE audit_log (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	authority_id	bigint REFERENCES authorities(id),
	user_id		bigint REFERENCES users(id),
	action		text NOT NULL,
	entity		text NOT NULL,
	entity_id	bigint,
	before		jsonb,
	after		jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE FUNCTION audit_log_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only';
END $$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();
