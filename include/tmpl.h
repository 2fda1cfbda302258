/*
 * tmpl: a small mustache-like template engine over jansson values, used for
 * every HTML page. Every {{value}} is HTML-escaped; there is no syntax for
 * raw output, so a page cannot print unescaped text by accident.
 *
 *   {{name}} {{a.b}} {{.}}   the value, escaped (& < > " ' and backtick)
 *   {{#name}}...{{/name}}    an array: once per element; any other truthy
 *                            value: once, with the value as the context
 *   {{^name}}...{{/name}}    once when the value is missing or falsy
 *   {{>partial}}             another template, in the current context
 *   {{! comment }}
 *
 * Falsy: missing, null, false, "", 0 and []. Names are looked up from the
 * innermost context outwards; "a.b" then descends into objects. A tag alone
 * on its line (sections, partials, comments) takes its line with it.
 * Templates are compiled when added, so syntax errors are found at start.
 */
#ifndef CONVENE_TMPL_H
#define CONVENE_TMPL_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

#define TMPL_MAX_SOURCE		(256 * 1024)	/* bytes per template */
#define TMPL_MAX_TEMPLATES	256
#define TMPL_MAX_NAME		64		/* template and value names */
#define TMPL_MAX_DEPTH		32		/* nested sections + partials */
#define TMPL_MAX_STEPS		(4 * 1024 * 1024) /* operations per render */

struct tmpl_set;

/* An empty set; NULL when out of memory. Free with tmpl_set_free. */
struct tmpl_set *tmpl_set_new(void);
void	 tmpl_set_free(struct tmpl_set *s);
/* Compile src[0..len) as template name. 0, or -1 with a message naming the
 * template and line in err (syntax error, duplicate name, limits). */
int	 tmpl_add(struct tmpl_set *s, const char *name, const char *src,
	    size_t len, char *err, size_t errlen);
/* Add every NAME.html in dir as template NAME, then check that every
 * partial named anywhere exists. 0, or -1 with err set. */
int	 tmpl_load_dir(struct tmpl_set *s, const char *dir, char *err,
	    size_t errlen);
/* 0 when every {{>partial}} in the set names a template in it. */
int	 tmpl_check(const struct tmpl_set *s, char *err, size_t errlen);
/* 1 when the set has a template called name. */
int	 tmpl_has(const struct tmpl_set *s, const char *name);
/* Render template name with data (borrowed) appended to out. 0 on success;
 * -1 when the template is unknown, nesting passes TMPL_MAX_DEPTH, the work
 * passes TMPL_MAX_STEPS or out reached its ceiling. */
int	 tmpl_render(const struct tmpl_set *s, const char *name, json_t *data,
	    struct buf *out);
/* Append s[0..n) to out, HTML-escaped. 0, or -1 at the ceiling. */
int	 tmpl_escape(struct buf *out, const char *s, size_t n);

#endif
