-- Retention (issue 14, section 3; docs/security.md "Retention"). A daily
-- job (server/retention.c, one instance at a time) removes what is kept
-- only for delivery or diagnosis once it has served:
--   - the body of a sent invite (outbox.message) and its .eml file after
--     CONVENE_RETENTION_MAIL_DAYS (30); the row stays as delivery evidence;
--   - the raw bytes of a received reply (itip_inbox.raw) after
--     CONVENE_RETENTION_ITIP_DAYS (90); the parsed facts stay;
--   - sessions past their idle or absolute lifetime;
--   - where an authority sets a retention period for closed records
--     (authorities.record_retention_months, default NULL: off), every case
--     whose discussions are all held or cancelled and ended longer ago than
--     that, with all it holds (retention_delete_case below).

ALTER TABLE outbox ALTER COLUMN message DROP NOT NULL;
ALTER TABLE itip_inbox ALTER COLUMN raw DROP NOT NULL;
CREATE INDEX outbox_sent_kept ON outbox (sent_at)
	WHERE status = 'sent' AND message IS NOT NULL;
CREATE INDEX itip_inbox_raw_kept ON itip_inbox (received_at)
	WHERE raw IS NOT NULL;

-- Months after a case's last discussion ended (all held or cancelled) that
-- its records are deleted; NULL keeps them (the authority's records
-- management policy decides, in its DPIA).
ALTER TABLE authorities ADD COLUMN record_retention_months integer
	CHECK (record_retention_months BETWEEN 12 AND 1200);

-- One row a run: when, and how much each step removed. The job runs when
-- the last finished run is older than a day.
CREATE TABLE retention_runs (
	id		bigserial PRIMARY KEY,
	started_at	timestamptz NOT NULL,
	finished_at	timestamptz NOT NULL DEFAULT now(),
	mail_bodies	integer NOT NULL,
	itip_raw	integer NOT NULL,
	sessions	integer NOT NULL,
	cases		integer NOT NULL
);

-- Delete one case and everything of it, in the order the foreign keys
-- need; the audit log keeps that it happened (the case reference and how
-- many discussions: no child data) and nothing else of it is touched. The
-- statistics trigger queues the case, so the next fold takes its figures
-- out. Returns the number of discussions deleted; 0 when the case is gone.
CREATE FUNCTION retention_delete_case(p_case bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	c record;
	ds bigint[];
BEGIN
	SELECT id, authority_id, case_ref INTO c FROM cases WHERE id = p_case
		FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 0;
	END IF;
	ds := ARRAY(SELECT id FROM discussions WHERE case_id = p_case);
	DELETE FROM counter_proposals WHERE discussion_id = ANY (ds);
	DELETE FROM itip_inbox WHERE discussion_id = ANY (ds);
	DELETE FROM outbox WHERE discussion_id = ANY (ds);
	DELETE FROM idempotency_keys WHERE discussion_id = ANY (ds);
	DELETE FROM record_concerns WHERE discussion_id = ANY (ds);
	DELETE FROM record_agency_information WHERE discussion_id = ANY (ds);
	DELETE FROM record_dissent WHERE discussion_id = ANY (ds);
	DELETE FROM records WHERE discussion_id = ANY (ds);
	DELETE FROM outcomes WHERE discussion_id = ANY (ds);
	DELETE FROM actions WHERE discussion_id = ANY (ds);
	DELETE FROM discussion_reviews WHERE discussion_id = ANY (ds);
	DELETE FROM discussion_signoffs WHERE discussion_id = ANY (ds);
	UPDATE discussions SET chair_participant_id = NULL
		WHERE id = ANY (ds) AND chair_participant_id IS NOT NULL;
	DELETE FROM participants WHERE discussion_id = ANY (ds);
	DELETE FROM discussions WHERE id = ANY (ds);
	DELETE FROM children WHERE case_id = p_case;
	DELETE FROM cases WHERE id = p_case;
	INSERT INTO audit_log (authority_id, action, entity, entity_id, before)
		VALUES (c.authority_id, 'case.retention_delete', 'case', c.id,
		jsonb_build_object('case_ref', c.case_ref, 'discussions',
		    cardinality(ds)));
	RETURN cardinality(ds);
END $$;
