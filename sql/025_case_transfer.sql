-- Cases move between teams (issue 12, section 2; docs/api.md "Cases").
-- A case belongs to its authority; its team and allocated worker are the
-- current ones, and every move is a row here (who, when, from, to, why),
-- kept as long as the case (retention deletes the case, and so these).
--
-- A front-door team (MASH, out of hours) may book a discussion on any case
-- of its authority without taking the case on (server/meeting.c).

ALTER TABLE teams ADD COLUMN front_door boolean NOT NULL DEFAULT false;

CREATE TABLE case_transfers (
	id		bigserial PRIMARY KEY,
	case_id		bigint NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
	from_team_id	bigint NOT NULL REFERENCES teams(id),
	to_team_id	bigint NOT NULL REFERENCES teams(id),
	from_worker_id	bigint REFERENCES users(id),
	to_worker_id	bigint REFERENCES users(id),
	-- Free text that may name a child: here, never in the audit log.
	reason		text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
	transferred_by	bigint NOT NULL REFERENCES users(id),
	transferred_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_transfers_case ON case_transfers (case_id, id);

-- A social worker sees the discussions their team held and those of the
-- cases their team now holds (server/meeting.c visible, model_list.c).
CREATE INDEX cases_team ON cases (team_id);
