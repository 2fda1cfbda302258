/*
 * record_pdf: the record of a strategy discussion as an A4 PDF document, for
 * the child's file in the council's case system. Rendered with cairo and
 * pango so the PDF holds real text (searchable, read by screen readers and
 * pdftotext) in an embedded font (Liberation Sans, fonts-liberation2), laid
 * out the same on every machine. The routes that serve it are
 * GET /meetings/{id}/record.pdf and GET /api/v1/meetings/{id}/record.pdf
 * (record_pdf_routes, listed in server/router.c).
 *
 * The document holds child names and dates of birth: it is for signed-in
 * staff who may see the discussion, never for emails, invites or logs.
 */
#ifndef CONVENE_RECORD_PDF_H
#define CONVENE_RECORD_PDF_H

#include <stddef.h>

#include "buf.h"

/* The family of the embedded font (fonts-liberation2 in scripts/deps.sh). */
#define RECORD_PDF_FONT		"Liberation Sans"
/* Ceiling on one document's size in bytes. */
#define RECORD_PDF_MAX		(16 * 1024 * 1024)

struct discussion;

/*
 * Render discussion d (with or without its record; absent sections read
 * "Not recorded") as a PDF appended to out. 0 on success; -1 with a message
 * in err (nothing appended) when cairo fails or the document would pass
 * out's ceiling. Safe to call from several threads at once.
 */
int	 record_pdf_render(const struct discussion *d, struct buf *out,
	    char *err, size_t errlen);

/*
 * The download's file name, "record-<case_ref>-v<version>.pdf": the case
 * reference only (never a child's name), characters other than letters,
 * digits, '-' and '_' replaced by '_'. Written into out (outlen bytes).
 */
void	 record_pdf_filename(const struct discussion *d, char *out,
	    size_t outlen);

#endif
