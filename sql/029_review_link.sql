-- The next review becomes a due item (issue 12, section 2). A discussion
-- booked from it reviews the one that set the date; that one is then no
-- longer due (server/due.c), and the later record says whose decisions it
-- reviews.
ALTER TABLE discussions ADD COLUMN reviews_discussion_id bigint
	REFERENCES discussions(id) ON DELETE SET NULL;
CREATE INDEX discussions_reviews ON discussions (reviews_discussion_id)
	WHERE reviews_discussion_id IS NOT NULL;
CREATE INDEX discussions_next_review ON discussions (authority_id,
	next_review_date) WHERE next_review_date IS NOT NULL;
