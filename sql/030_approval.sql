-- A booking that leaves a statutory agency out needs a manager's approval
-- to go ahead, where the authority sets it (issue 12, section 1;
-- docs/api.md "Approval before the meeting"). The discussion's approval is
-- NULL (not needed), pending, approved or refused; while pending or
-- refused its attendance cannot be recorded. Inviting the missing agency
-- makes it not needed again (server/approval.c).
ALTER TABLE authorities ADD COLUMN require_approval_single_agency boolean
	NOT NULL DEFAULT false;
ALTER TABLE discussions
	ADD COLUMN approval text
		CHECK (approval IN ('pending', 'approved', 'refused')),
	ADD COLUMN approval_by bigint REFERENCES users(id),
	ADD COLUMN approval_at timestamptz,
	ADD COLUMN approval_note text
		CHECK (length(approval_note) BETWEEN 1 AND 2000);
CREATE INDEX discussions_approval_pending ON discussions (authority_id)
	WHERE approval = 'pending';
