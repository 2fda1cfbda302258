-- Actions that last (issue 12, section 2; docs/api.md "Actions"). An
-- action belongs to a child (or all the discussion's children: NULL) and
-- an owner (a participant of the discussion, or an agency; "owner" keeps
-- the words shown), has a status (vocabulary action_status: open, done,
-- not_done with the reason) and a due date. Saving the attendance changes
-- the rows it names by id, adds new ones and removes those left out: an
-- action keeps its id, status and history across edits.

ALTER TABLE actions
	ADD COLUMN child_id bigint REFERENCES children(id) ON DELETE CASCADE,
	ADD COLUMN owner_participant_id bigint REFERENCES participants(id),
	ADD COLUMN owner_agency text REFERENCES agencies(code),
	ADD COLUMN status text NOT NULL DEFAULT 'open',
	ADD COLUMN v_status text GENERATED ALWAYS AS ('action_status') STORED,
	ADD FOREIGN KEY (v_status, status) REFERENCES vocabulary (list, code),
	ADD COLUMN not_done_reason text
		CHECK (length(not_done_reason) BETWEEN 1 AND 2000),
	ADD COLUMN status_by bigint REFERENCES users(id),
	ADD COLUMN status_at timestamptz,
	ADD CONSTRAINT actions_not_done_has_reason
		CHECK ((status = 'not_done') = (not_done_reason IS NOT NULL));
CREATE INDEX actions_open_due ON actions (due_date) WHERE status = 'open';
CREATE INDEX actions_owner ON actions (owner_participant_id)
	WHERE owner_participant_id IS NOT NULL;
