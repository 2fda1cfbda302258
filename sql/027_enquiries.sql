-- Section 47 enquiries per child (issue 12, section 2; docs/api.md
-- "Section 47 enquiries"). An enquiry starts with the authorised decision
-- of a strategy discussion for one child (server/enquiry.c enquiry_sync);
-- a child may have many over the years. Its conference is booked for a
-- date (which may be to come) and held on a date (never to come), kept
-- apart; or a manager records that none is required, with the reason. A
-- child already on a plan has a review conference instead (kind review).

CREATE TABLE s47_enquiries (
	id			bigserial PRIMARY KEY,
	authority_id		bigint NOT NULL REFERENCES authorities(id),
	case_id			bigint NOT NULL REFERENCES cases(id)
				ON DELETE CASCADE,
	child_id		bigint NOT NULL REFERENCES children(id)
				ON DELETE CASCADE,
	discussion_id		bigint NOT NULL REFERENCES discussions(id)
				ON DELETE CASCADE,
	kind			text NOT NULL DEFAULT 'initial'
				CHECK (kind IN ('initial', 'review')),
	started_on		date NOT NULL,
	icpc_booked_for		date,
	icpc_held_on		date CHECK (icpc_held_on >= started_on),
	icpc_not_required	boolean NOT NULL DEFAULT false,
	not_required_reason	text CHECK (length(not_required_reason)
				BETWEEN 1 AND 2000),
	not_required_by		bigint REFERENCES users(id),
	created_at		timestamptz NOT NULL DEFAULT now(),
	UNIQUE (discussion_id, child_id),
	CHECK (NOT (icpc_not_required AND icpc_held_on IS NOT NULL)),
	CHECK (icpc_not_required = (not_required_reason IS NOT NULL))
);
CREATE INDEX s47_enquiries_open ON s47_enquiries (authority_id, started_on)
	WHERE icpc_held_on IS NULL AND NOT icpc_not_required;
CREATE INDEX s47_enquiries_case ON s47_enquiries (case_id);
CREATE INDEX s47_enquiries_child ON s47_enquiries (child_id);

-- Discussions signed off before enquiries existed started theirs then.
INSERT INTO s47_enquiries (authority_id, case_id, child_id, discussion_id,
	kind, started_on)
SELECT d.authority_id, d.case_id, o.child_id, d.id,
	CASE WHEN ch.legal_status = 'child_protection_plan' THEN 'review'
	ELSE 'initial' END,
	(d.starts_at AT TIME ZONE 'Europe/London')::date
FROM discussions d
JOIN discussion_signoffs s ON s.discussion_id = d.id
JOIN outcomes o ON o.discussion_id = d.id
JOIN children ch ON ch.id = o.child_id
WHERE d.status = 'held' AND o.decision IN
	(SELECT v.code FROM vocabulary v WHERE v.list = 'section47')
ON CONFLICT (discussion_id, child_id) DO NOTHING;
