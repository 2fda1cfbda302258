-- The vocabulary: every closed list of codes of the record, with the words a
-- person reads. Its rows are written by `convene migrate` from the one
-- definition in server/vocab.c (vocab_sync, after this and every later
-- migration), so the constraints that reference it below and in later
-- migrations follow the C table: a code exists in SQL exactly when it
-- exists in C. Rows are never deleted: old records may name a term.
CREATE TABLE vocabulary (
	list		text NOT NULL,
	code		text NOT NULL,
	words		text NOT NULL,
	sort_order	integer NOT NULL,
	PRIMARY KEY (list, code)
);
