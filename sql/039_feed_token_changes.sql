-- A change to a feed token (a revocation, above all) must reach every
-- instance's feed cache as such: a feed may be served from a build up to a
-- second old after its meetings change (include/feed.h FEED_FRESH_MS), but
-- a revoked token is refused at once. So feed_tokens notifies with its own
-- payload, which server/changes.c counts apart (CHANGES_TOKENS).
CREATE FUNCTION feed_token_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('convene_feed', 'tokens');
	RETURN NULL;
END;
$$;

DROP TRIGGER feed_tokens_feed_changed ON feed_tokens;
CREATE TRIGGER feed_tokens_feed_changed AFTER INSERT OR UPDATE OR DELETE OR
    TRUNCATE ON feed_tokens FOR EACH STATEMENT
    EXECUTE FUNCTION feed_token_changed();
