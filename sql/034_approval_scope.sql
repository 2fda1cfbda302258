-- An approval (or refusal) is of the booking as it stood: the statutory
-- agencies it left out are kept with the decision. If a later change leaves
-- out an agency the decision did not cover, the manager is asked again
-- (server/approval.c, approval_refresh); leaving out fewer keeps it.
ALTER TABLE discussions ADD COLUMN approval_missing text[];
UPDATE discussions SET approval_missing = planned_missing
	WHERE approval IN ('approved', 'refused');
