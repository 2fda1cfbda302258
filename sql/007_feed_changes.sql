-- Calendar feeds are served from an in-memory cache in each instance
-- (server/feed.c). Every table whose rows can change what a feed shows, or
-- whether a feed token is valid, tells the instances through NOTIFY; each
-- instance's listener (server/changes.c) then drops its cached feeds.
-- Statement-level, and PostgreSQL folds repeats in one transaction into one
-- notification delivered at COMMIT (nothing on ROLLBACK).
CREATE FUNCTION feed_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('convene_feed', '');
	RETURN NULL;
END;
$$;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['discussions', 'participants', 'cases',
	    'contacts', 'organisations', 'agencies', 'statutory_agencies',
	    'authorities', 'feed_tokens'] LOOP
		EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR '
		    'DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE '
		    'FUNCTION feed_changed()', t || '_feed_changed', t);
	END LOOP;
END;
$$;

-- A cache miss lists the feed's meetings: by contact id (this index) or by
-- address (participants_email), as two index scans instead of a scan of
-- every participant.
-- Not partial: a partial index is a plan the statistics refresh could pick
-- while the tables are small and keep in a cached plan as they grow.
CREATE INDEX participants_contact ON participants (contact_id);
