/*
 * tmpl: compiles mustache-like templates into a flat list of operations
 * (text, value, section, inverted section, partial) and renders them against
 * a stack of jansson contexts into a bounded buffer. Escaping happens in one
 * place, emit_value(); nothing reaches the output unescaped except the
 * template's own text.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "str.h"
#include "tmpl.h"

enum op_kind {
	OP_TEXT,
	OP_VAR,
	OP_SECTION,
	OP_INVERTED,
	OP_PARTIAL
};

struct op {
	enum op_kind	 kind;
	const char	*text;		/* OP_TEXT: into the template's source */
	size_t		 len;
	char		 name[TMPL_MAX_NAME + 1];
	size_t		 end;		/* sections: first op after the body */
};

struct tmpl {
	char		 name[TMPL_MAX_NAME + 1];
	char		*src;
	struct op	*ops;
	size_t		 nops;
	size_t		 cap;
};

struct tmpl_set {
	struct tmpl	*t[TMPL_MAX_TEMPLATES];
	size_t		 n;
};

struct rctx {
	const struct tmpl_set	*set;
	struct buf		*out;
	json_t			*stack[TMPL_MAX_DEPTH];
	size_t			 depth;
	size_t			 partials;
	size_t			 steps;
};

static void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->src);
	free(t->ops);
	free(t);
}

struct tmpl_set *
tmpl_set_new(void)
{
	return calloc(1, sizeof(struct tmpl_set));
}

void
tmpl_set_free(struct tmpl_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		tmpl_free(s->t[i]);
	free(s);
}

static const struct tmpl *
find(const struct tmpl_set *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->t[i]->name, name) == 0)
			return s->t[i];
	return NULL;
}

int
tmpl_has(const struct tmpl_set *s, const char *name)
{
	return find(s, name) != NULL;
}

/* ---- compiling ------------------------------------------------------------ */

static struct op *
add_op(struct tmpl *t, enum op_kind kind)
{
	struct op *ops;
	size_t ncap;

	if (t->nops == t->cap) {
		ncap = t->cap ? t->cap * 2 : 32;
		if ((ops = realloc(t->ops, ncap * sizeof(*ops))) == NULL)
			return NULL;
		t->ops = ops;
		t->cap = ncap;
	}
	memset(&t->ops[t->nops], 0, sizeof(struct op));
	t->ops[t->nops].kind = kind;
	return &t->ops[t->nops++];
}

static int
add_text(struct tmpl *t, const char *s, size_t n)
{
	struct op *o;

	if (n == 0)
		return 0;
	if ((o = add_op(t, OP_TEXT)) == NULL)
		return -1;
	o->text = s;
	o->len = n;
	return 0;
}

static size_t
line_of(const char *src, size_t off)
{
	size_t i, line = 1;

	for (i = 0; i < off; i++)
		if (src[i] == '\n')
			line++;
	return line;
}

static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > TMPL_MAX_NAME)
		return 0;
	if (n == 1 && s[0] == '.')
		return 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    (c == '.' && i > 0 && i + 1 < n && s[i - 1] != '.')))
			return 0;
	}
	return 1;
}

/*
 * A tag alone on its line: only blanks between the line start (at or after
 * pos, so no other tag shares the line) and open, and only blanks up to the
 * newline after end. On success *ls is where the line starts and *next is
 * just past its newline.
 */
static int
standalone(const char *src, size_t len, size_t pos, size_t open, size_t end,
    size_t *ls, size_t *next)
{
	size_t a = open, b = end;

	while (a > pos && (src[a - 1] == ' ' || src[a - 1] == '\t'))
		a--;
	if (!(a == 0 || src[a - 1] == '\n'))
		return 0;
	while (b < len && (src[b] == ' ' || src[b] == '\t' || src[b] == '\r'))
		b++;
	if (b < len && src[b] != '\n')
		return 0;
	*ls = a;
	*next = b < len ? b + 1 : b;
	return 1;
}

static int
compile(struct tmpl *t, size_t len, char *err, size_t errlen)
{
	size_t open_at[TMPL_MAX_DEPTH], nopen = 0, pos = 0, open, close, end;
	size_t ls, next, nlen;
	const char *src = t->src, *p, *q, *nm;
	char sigil;
	struct op *o;

	while (pos < len) {
		p = strstr(src + pos, "{{");
		if (p == NULL) {
			if (add_text(t, src + pos, len - pos) != 0)
				goto nomem;
			break;
		}
		open = (size_t)(p - src);
		if ((q = strstr(p + 2, "}}")) == NULL) {
			snprintf(err, errlen, "%s line %zu: {{ is never closed",
			    t->name, line_of(src, open));
			return -1;
		}
		close = (size_t)(q - src);
		end = close + 2;
		nm = p + 2;
		while (nm < q && (*nm == ' ' || *nm == '\t'))
			nm++;
		sigil = nm < q ? *nm : '\0';
		if (sigil == '{' || sigil == '&' || sigil == '=') {
			snprintf(err, errlen, "%s line %zu: {{%c is not supported "
			    "(every value is escaped)", t->name,
			    line_of(src, open), sigil);
			return -1;
		}
		if (sigil == '#' || sigil == '^' || sigil == '/' ||
		    sigil == '>' || sigil == '!')
			nm++;
		else
			sigil = '\0';
		while (nm < q && (*nm == ' ' || *nm == '\t'))
			nm++;
		nlen = (size_t)(q - nm);
		while (nlen > 0 && (nm[nlen - 1] == ' ' || nm[nlen - 1] == '\t'))
			nlen--;
		if (sigil != '!' && !name_ok(nm, nlen)) {
			snprintf(err, errlen, "%s line %zu: a name is letters, "
			    "digits, '_', '-' and '.', at most %d", t->name,
			    line_of(src, open), TMPL_MAX_NAME);
			return -1;
		}
		/* Emit the text before the tag (less a standalone indent). */
		if (sigil != '\0' &&
		    standalone(src, len, pos, open, end, &ls, &next)) {
			if (add_text(t, src + pos, ls - pos) != 0)
				goto nomem;
			end = next;
		} else if (add_text(t, src + pos, open - pos) != 0)
			goto nomem;
		pos = end;
		if (sigil == '!')
			continue;
		if (sigil == '/') {
			if (nopen == 0 || strlen(t->ops[open_at[nopen - 1]].name) !=
			    nlen || memcmp(t->ops[open_at[nopen - 1]].name, nm,
			    nlen) != 0) {
				snprintf(err, errlen, "%s line %zu: {{/%.*s}} does "
				    "not close the open section", t->name,
				    line_of(src, open), (int)nlen, nm);
				return -1;
			}
			t->ops[open_at[--nopen]].end = t->nops;
			continue;
		}
		o = add_op(t, sigil == '#' ? OP_SECTION : sigil == '^' ?
		    OP_INVERTED : sigil == '>' ? OP_PARTIAL : OP_VAR);
		if (o == NULL)
			goto nomem;
		memcpy(o->name, nm, nlen);
		o->name[nlen] = '\0';
		if (sigil == '#' || sigil == '^') {
			if (nopen == TMPL_MAX_DEPTH) {
				snprintf(err, errlen, "%s line %zu: sections nest "
				    "deeper than %d", t->name,
				    line_of(src, open), TMPL_MAX_DEPTH);
				return -1;
			}
			open_at[nopen++] = t->nops - 1;
		}
	}
	if (nopen > 0) {
		snprintf(err, errlen, "%s: section {{#%s}} is never closed",
		    t->name, t->ops[open_at[nopen - 1]].name);
		return -1;
	}
	return 0;
nomem:
	snprintf(err, errlen, "%s: out of memory", t->name);
	return -1;
}

int
tmpl_add(struct tmpl_set *s, const char *name, const char *src, size_t len,
    char *err, size_t errlen)
{
	struct tmpl *t;
	size_t nlen = strlen(name);

	if (nlen == 0 || nlen > TMPL_MAX_NAME || strchr(name, '.') != NULL ||
	    !name_ok(name, nlen)) {
		snprintf(err, errlen, "template name must be letters, digits, "
		    "'_' and '-', at most %d", TMPL_MAX_NAME);
		return -1;
	}
	if (find(s, name) != NULL) {
		snprintf(err, errlen, "%s: defined twice", name);
		return -1;
	}
	if (s->n == TMPL_MAX_TEMPLATES) {
		snprintf(err, errlen, "more than %d templates",
		    TMPL_MAX_TEMPLATES);
		return -1;
	}
	if (len > TMPL_MAX_SOURCE || memchr(src, '\0', len) != NULL ||
	    !str_utf8_valid(src, len)) {
		snprintf(err, errlen, "%s: larger than %d bytes, or not UTF-8 "
		    "text", name, TMPL_MAX_SOURCE);
		return -1;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->src = malloc(len + 1)) == NULL) {
		tmpl_free(t);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	str_copy(t->name, name, sizeof(t->name));
	memcpy(t->src, src, len);
	t->src[len] = '\0';
	if (compile(t, len, err, errlen) != 0) {
		tmpl_free(t);
		return -1;
	}
	s->t[s->n++] = t;
	return 0;
}

int
tmpl_check(const struct tmpl_set *s, char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < s->n; i++)
		for (j = 0; j < s->t[i]->nops; j++)
			if (s->t[i]->ops[j].kind == OP_PARTIAL &&
			    find(s, s->t[i]->ops[j].name) == NULL) {
				snprintf(err, errlen, "%s: partial {{>%s}} does "
				    "not exist", s->t[i]->name,
				    s->t[i]->ops[j].name);
				return -1;
			}
	return 0;
}

/* Read path (at most TMPL_MAX_SOURCE bytes) into a new allocation. */
static char *
read_file(const char *path, size_t *lenp)
{
	struct stat st;
	FILE *f;
	char *data = NULL;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > TMPL_MAX_SOURCE ||
	    (data = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	n = fread(data, 1, (size_t)st.st_size, f);
	if (n != (size_t)st.st_size) {
		free(data);
		data = NULL;
		goto out;
	}
	data[n] = '\0';
	*lenp = n;
out:
	fclose(f);
	return data;
}

int
tmpl_load_dir(struct tmpl_set *s, const char *dir, char *err, size_t errlen)
{
	char path[1024], name[TMPL_MAX_NAME + 1];
	struct dirent *de;
	size_t n, len;
	char *src;
	DIR *d;
	int rc = -1, added;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: cannot open the page templates "
		    "directory", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n <= 5 ||
		    strcmp(de->d_name + n - 5, ".html") != 0)
			continue;
		if (n - 5 > TMPL_MAX_NAME) {
			snprintf(err, errlen, "%s: template name too long",
			    de->d_name);
			goto out;
		}
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = '\0';
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path) ||
		    (src = read_file(path, &len)) == NULL) {
			snprintf(err, errlen, "%s: cannot read it (or larger "
			    "than %d bytes)", de->d_name, TMPL_MAX_SOURCE);
			goto out;
		}
		added = tmpl_add(s, name, src, len, err, errlen);
		free(src);
		if (added != 0)
			goto out;
	}
	rc = tmpl_check(s, err, errlen);
out:
	closedir(d);
	return rc;
}

/* ---- rendering ------------------------------------------------------------- */

int
tmpl_escape(struct buf *out, const char *s, size_t n)
{
	size_t i, run = 0;
	const char *ent;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		case '`': ent = "&#96;"; break;
		default: ent = NULL; break;
		}
		if (ent == NULL)
			continue;
		if (buf_append(out, s + run, i - run) != 0 ||
		    buf_puts(out, ent) != 0)
			return -1;
		run = i + 1;
	}
	return buf_append(out, s + run, n - run);
}

static int
truthy(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_TRUE:
	case JSON_OBJECT:
		return 1;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	default:
		return 0;
	}
}

/* The value called name: the first segment from the innermost context that
 * has it, then each further segment inside it. NULL when missing. */
static json_t *
lookup(const struct rctx *c, const char *name)
{
	char seg[TMPL_MAX_NAME + 1];
	const char *p = name, *dot;
	json_t *v = NULL;
	size_t k, n;

	if (strcmp(name, ".") == 0)
		return c->depth > 0 ? c->stack[c->depth - 1] : NULL;
	dot = strchr(p, '.');
	n = dot ? (size_t)(dot - p) : strlen(p);
	memcpy(seg, p, n);
	seg[n] = '\0';
	for (k = c->depth; k > 0 && v == NULL; k--)
		if (json_is_object(c->stack[k - 1]))
			v = json_object_get(c->stack[k - 1], seg);
	while (v != NULL && dot != NULL) {
		p = dot + 1;
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		memcpy(seg, p, n);
		seg[n] = '\0';
		v = json_is_object(v) ? json_object_get(v, seg) : NULL;
	}
	return v;
}

static int
emit_value(struct buf *out, json_t *v)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return tmpl_escape(out, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		return buf_puts(out, num);
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.15g", json_real_value(v));
		return buf_puts(out, num);
	case JSON_TRUE:
		return buf_puts(out, "true");
	default:
		/* null, false, objects and arrays print nothing */
		return 0;
	}
}

static int render_ops(struct rctx *, const struct tmpl *, size_t, size_t);

static int
render_with(struct rctx *c, const struct tmpl *t, size_t from, size_t to,
    json_t *ctx)
{
	int rc;

	if (c->depth == TMPL_MAX_DEPTH)
		return -1;
	c->stack[c->depth++] = ctx;
	rc = render_ops(c, t, from, to);
	c->depth--;
	return rc;
}

static int
render_ops(struct rctx *c, const struct tmpl *t, size_t from, size_t to)
{
	const struct tmpl *p;
	const struct op *o;
	json_t *v, *el;
	size_t i = from, k;

	while (i < to) {
		/* A partial included twice by itself is exponential work
		 * within the depth limit: bound the work as well. */
		if (++c->steps > TMPL_MAX_STEPS)
			return -1;
		o = &t->ops[i];
		switch (o->kind) {
		case OP_TEXT:
			if (buf_append(c->out, o->text, o->len) != 0)
				return -1;
			break;
		case OP_VAR:
			if ((v = lookup(c, o->name)) != NULL &&
			    emit_value(c->out, v) != 0)
				return -1;
			break;
		case OP_SECTION:
			v = lookup(c, o->name);
			if (json_is_array(v)) {
				json_array_foreach(v, k, el)
					if (render_with(c, t, i + 1, o->end,
					    el) != 0)
						return -1;
			} else if (v != NULL && truthy(v) &&
			    render_with(c, t, i + 1, o->end, v) != 0)
				return -1;
			i = o->end;
			continue;
		case OP_INVERTED:
			v = lookup(c, o->name);
			if ((v == NULL || !truthy(v)) &&
			    render_ops(c, t, i + 1, o->end) != 0)
				return -1;
			i = o->end;
			continue;
		case OP_PARTIAL:
			if ((p = find(c->set, o->name)) == NULL ||
			    c->partials == TMPL_MAX_DEPTH)
				return -1;
			c->partials++;
			if (render_ops(c, p, 0, p->nops) != 0)
				return -1;
			c->partials--;
			break;
		}
		i++;
	}
	return c->out->failed ? -1 : 0;
}

int
tmpl_render(const struct tmpl_set *s, const char *name, json_t *data,
    struct buf *out)
{
	const struct tmpl *t;
	struct rctx c;

	if (s == NULL || (t = find(s, name)) == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	c.set = s;
	c.out = out;
	return render_with(&c, t, 0, t->nops, data);
}
