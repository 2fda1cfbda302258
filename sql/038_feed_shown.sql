-- What each feed last showed (its ETag) and since when: the feed's
-- Last-Modified. It used to be computed on every cache miss as the latest
-- change to any meeting the feed's contacts were ever invited to, which
-- took 20-60 ms for a police contact on 16,000 discussions
-- (docs/performance.md). A poll that builds a different ETag from the one
-- stored here records it with the time; the next poll with the same ETag,
-- in any instance, reads it back. So Last-Modified moves exactly when the
-- ETag does and agrees across instances.
--
-- No feed_changed trigger (sql/007): this records what a poll saw, and
-- changes nothing that a feed shows.
CREATE TABLE feed_shown (
	feed_id		bigint PRIMARY KEY REFERENCES feed_tokens(id)
			    ON DELETE CASCADE,
	etag		text NOT NULL,
	shown_at	timestamptz NOT NULL
);
