/*
 * vocab: the one vocabulary of the record. Every closed list of codes that a
 * request may carry (formats, decisions, concern categories, ...) is defined
 * here once, with the words a person reads. Validation, templates, the PDF,
 * the history and CSV headers take codes and words from here; `convene
 * migrate` copies the lists into the `vocabulary` table, and the columns
 * holding these codes reference it, so the SQL constraints derive from this
 * table too. Agencies are not here: they are data (the `agencies` table),
 * because an authority chooses its statutory set.
 */
#ifndef CONVENE_VOCAB_H
#define CONVENE_VOCAB_H

#include <stddef.h>

struct db;

enum vocab_list {
	VOCAB_KIND,
	VOCAB_FORMAT,
	VOCAB_STATUS,
	VOCAB_CLASSIFICATION,
	VOCAB_ATTENDANCE,
	VOCAB_DECISION,
	VOCAB_SECTION47,	/* the decisions that start an enquiry */
	VOCAB_CONCERN,
	VOCAB_CHECKS,
	VOCAB_RECEIVED,
	VOCAB_POLICE_INVESTIGATION,
	VOCAB_MEDICAL,
	VOCAB_PARENTS,
	VOCAB_CONSENT,
	VOCAB_NEXT_STEP,
	VOCAB_LEGAL_STATUS,
	VOCAB_SEX,
	VOCAB_RECORD_STATUS,
	VOCAB_ACTION_STATUS,
	VOCAB_CHASE_KIND,	/* chases.kind (sql/033) */
	VOCAB_CALL_OUTCOME,	/* chase_calls.outcome (sql/033) */
	VOCAB_NLISTS
};

struct vocab_term {
	const char	*code;
	const char	*words;		/* what a person reads */
};

/* The list's name as stored in vocabulary.list ("decision", ...). */
const char *vocab_name(enum vocab_list l);
/* The terms of l, in display order; *n set to their number. */
const struct vocab_term *vocab_terms(enum vocab_list l, size_t *n);
/* The codes of l as a NULL-ended array (for input_enum); static storage. */
const char *const *vocab_codes(enum vocab_list l);
/* 1 when code is a term of l. */
int	 vocab_has(enum vocab_list l, const char *code);
/* The words for code, or code itself when unknown (never NULL for a
 * non-NULL code); NULL for NULL. */
const char *vocab_words(enum vocab_list l, const char *code);
/* Look a list up by its name; -1 when unknown. */
int	 vocab_by_name(const char *name);

/* Copy every list into the vocabulary table (insert new terms, update
 * words and order; terms are never deleted, old rows may name them). Runs
 * inside the caller's transaction. 0 or -1. */
int	 vocab_sync(struct db *db);

#endif
