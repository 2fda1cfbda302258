/*
 * Unit tests for tmpl: every value is escaped (the six characters, in text
 * and in attributes), sections iterate arrays and test truthiness, inverted
 * sections, dotted names and context lookup, partials, standalone lines,
 * syntax errors found at compile time (raw output refused), the depth limit
 * and the output ceiling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "tmpl.h"

/* Render src (as template "t") with the JSON text data; returns a string the
 * caller frees, or NULL when compile or render failed. */
static char *
render(const char *src, const char *data)
{
	struct tmpl_set *s = tmpl_set_new();
	char err[256];
	struct buf b;
	json_t *d;
	char *out = NULL;

	assert_non_null(s);
	d = json_loads(data, 0, NULL);
	assert_non_null(d);
	buf_init(&b, 1 << 20);
	if (tmpl_add(s, "t", src, strlen(src), err, sizeof(err)) == 0 &&
	    tmpl_render(s, "t", d, &b) == 0)
		out = strdup(buf_cstr(&b));
	buf_free(&b);
	json_decref(d);
	tmpl_set_free(s);
	return out;
}

static void
expect(const char *src, const char *data, const char *want)
{
	char *got = render(src, data);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_escapes_every_value(void **state)
{
	(void)state;
	expect("<p>{{x}}</p>", "{\"x\": \"<script>alert('x')</script>\"}",
	    "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>");
	expect("<a title=\"{{x}}\">", "{\"x\": \"\\\" onmouseover=`a`&\"}",
	    "<a title=\"&quot; onmouseover=&#96;a&#96;&amp;\">");
	/* Text of the template itself is not touched. */
	expect("a & b {{x}}", "{\"x\": \"&amp;\"}", "a & b &amp;amp;");
	/* UTF-8 passes through unchanged. */
	expect("{{x}}", "{\"x\": \"Zo\\u00eb \\u2014 \\u00a3\"}",
	    "Zo\xc3\xab \xe2\x80\x94 \xc2\xa3");
}

static void
test_scalars(void **state)
{
	(void)state;
	expect("{{i}}|{{r}}|{{t}}|{{f}}|{{n}}|{{o}}|{{a}}|{{missing}}",
	    "{\"i\": -42, \"r\": 1.5, \"t\": true, \"f\": false, \"n\": null, "
	    "\"o\": {\"k\": 1}, \"a\": [1]}", "-42|1.5|true|||||");
}

static void
test_sections(void **state)
{
	(void)state;
	expect("{{#list}}<li>{{name}}</li>{{/list}}",
	    "{\"list\": [{\"name\": \"a\"}, {\"name\": \"<b>\"}]}",
	    "<li>a</li><li>&lt;b&gt;</li>");
	expect("{{#list}}[{{.}}]{{/list}}", "{\"list\": [1, \"x\", true]}",
	    "[1][x][true]");
	expect("{{#obj}}{{k}}{{/obj}}", "{\"obj\": {\"k\": \"v\"}}", "v");
	/* Falsy values skip the section. */
	expect("{{#a}}A{{/a}}{{#b}}B{{/b}}{{#c}}C{{/c}}{{#d}}D{{/d}}"
	    "{{#e}}E{{/e}}{{#f}}F{{/f}}{{#g}}G{{/g}}",
	    "{\"a\": false, \"b\": null, \"c\": \"\", \"d\": 0, \"e\": [], "
	    "\"g\": true}", "G");
	expect("{{^a}}none{{/a}}{{^b}}no-b{{/b}}", "{\"a\": [], \"b\": 1}",
	    "none");
}

static void
test_lookup_walks_outwards(void **state)
{
	(void)state;
	/* Inside the section, csrf comes from the outer context. */
	expect("{{#rows}}{{id}}:{{csrf}};{{/rows}}",
	    "{\"csrf\": \"T\", \"rows\": [{\"id\": 1}, {\"id\": 2, \"csrf\": "
	    "\"own\"}]}", "1:T;2:own;");
	expect("{{a.b.c}}|{{a.x.c}}|{{#a.b}}{{c}}{{/a.b}}",
	    "{\"a\": {\"b\": {\"c\": \"deep\"}}}", "deep||deep");
	/* Once the first segment is found, no fallback to outer contexts. */
	expect("{{#inner}}{{a.b}}{{/inner}}",
	    "{\"a\": {\"b\": \"outer\"}, \"inner\": {\"a\": {}}}", "");
}

static void
test_partials_and_standalone(void **state)
{
	struct tmpl_set *s = tmpl_set_new();
	char err[256];
	const char *page = "<ul>\n  {{#items}}\n  {{>item}}\n  {{/items}}\n"
	    "</ul>\n{{! a comment }}\n";
	const char *item = "<li>{{name}}</li>\n";
	struct buf b;
	json_t *d;

	(void)state;
	assert_int_equal(tmpl_add(s, "page", page, strlen(page), err,
	    sizeof(err)), 0);
	/* A missing partial is found by the check, before any request. */
	assert_int_equal(tmpl_check(s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "item"));
	assert_int_equal(tmpl_add(s, "item", item, strlen(item), err,
	    sizeof(err)), 0);
	assert_int_equal(tmpl_check(s, err, sizeof(err)), 0);
	assert_true(tmpl_has(s, "item"));
	assert_false(tmpl_has(s, "nope"));
	d = json_pack("{s:[{s:s},{s:s}]}", "items", "name", "x", "name", "y");
	buf_init(&b, 4096);
	assert_int_equal(tmpl_render(s, "page", d, &b), 0);
	assert_string_equal(buf_cstr(&b), "<ul>\n<li>x</li>\n<li>y</li>\n"
	    "</ul>\n");
	assert_int_equal(tmpl_render(s, "nope", d, &b), -1);
	buf_free(&b);
	json_decref(d);
	/* Defining a name twice is an error. */
	assert_int_equal(tmpl_add(s, "item", item, strlen(item), err,
	    sizeof(err)), -1);
	tmpl_set_free(s);
}

static void
compile_fails(const char *src, const char *needle)
{
	struct tmpl_set *s = tmpl_set_new();
	char err[256] = "";

	assert_int_equal(tmpl_add(s, "bad", src, strlen(src), err,
	    sizeof(err)), -1);
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
	tmpl_set_free(s);
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	compile_fails("{{{raw}}}", "not supported");
	compile_fails("{{&raw}}", "not supported");
	compile_fails("a\n{{#x}}", "never closed");
	/* Found by fuzz_tmpl: text after an unclosed section. */
	compile_fails("{{#o}}}|@{/o!\n-<p>", "never closed");
	compile_fails("{{#x}}{{/y}}", "line 1");
	compile_fails("{{/x}}", "does not close");
	compile_fails("ok\n{{x", "line 2");
	compile_fails("{{a b}}", "name");
	compile_fails("{{}}", "name");
	compile_fails("{{a..b}}", "name");
	compile_fails("x\xff", "UTF-8");
}

static void
test_depth_limit(void **state)
{
	struct tmpl_set *s = tmpl_set_new();
	const char *loop = "{{>loop}}";
	char err[256];
	struct buf b;
	json_t *d = json_object();

	(void)state;
	/* A partial that includes itself stops at the limit. */
	assert_int_equal(tmpl_add(s, "loop", loop, strlen(loop), err,
	    sizeof(err)), 0);
	buf_init(&b, 4096);
	assert_int_equal(tmpl_render(s, "loop", d, &b), -1);
	buf_free(&b);
	/* Twice per level is 2^32 partials within the depth limit: the step
	 * limit ends it quickly. */
	assert_int_equal(tmpl_add(s, "fork", "{{>fork}}{{>fork}}", 18, err,
	    sizeof(err)), 0);
	buf_init(&b, 4096);
	assert_int_equal(tmpl_render(s, "fork", d, &b), -1);
	buf_free(&b);
	json_decref(d);
	tmpl_set_free(s);
}

static void
test_output_ceiling(void **state)
{
	struct tmpl_set *s = tmpl_set_new();
	const char *src = "{{#l}}{{x}}{{/l}}";
	char err[256];
	struct buf b;
	json_t *d, *l = json_array();
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		json_array_append_new(l, json_integer(i));
	d = json_pack("{s:o, s:s}", "l", l, "x", "<<<<");
	assert_int_equal(tmpl_add(s, "t", src, strlen(src), err,
	    sizeof(err)), 0);
	buf_init(&b, 1000);	/* 100 x "&lt;" x 4 = 1600 bytes */
	assert_int_equal(tmpl_render(s, "t", d, &b), -1);
	assert_true(b.failed);
	buf_free(&b);
	buf_init(&b, 1600);
	assert_int_equal(tmpl_render(s, "t", d, &b), 0);
	assert_int_equal(b.len, 1600);
	buf_free(&b);
	json_decref(d);
	tmpl_set_free(s);
}

static void
test_load_dir(void **state)
{
	char dir[] = "/tmp/tmpl-test-XXXXXX", path[256], err[256];
	struct tmpl_set *s = tmpl_set_new();
	struct buf b;
	json_t *d;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/page.html", dir);
	f = fopen(path, "w");
	fputs("<h1>{{title}}</h1>{{>part}}", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/part.html", dir);
	f = fopen(path, "w");
	fputs("<p>{{body}}</p>", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/.hidden.html", dir);
	f = fopen(path, "w");
	fputs("{{#broken}}", f);
	fclose(f);
	assert_int_equal(tmpl_load_dir(s, dir, err, sizeof(err)), 0);
	d = json_pack("{s:s, s:s}", "title", "T&C", "body", "\"hi\"");
	buf_init(&b, 4096);
	assert_int_equal(tmpl_render(s, "page", d, &b), 0);
	assert_string_equal(buf_cstr(&b), "<h1>T&amp;C</h1><p>&quot;hi&quot;"
	    "</p>");
	buf_free(&b);
	json_decref(d);
	tmpl_set_free(s);
	unlink(path);
	snprintf(path, sizeof(path), "%s/page.html", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/part.html", dir);
	unlink(path);
	rmdir(dir);
	s = tmpl_set_new();
	assert_int_equal(tmpl_load_dir(s, "/nonexistent-dir", err,
	    sizeof(err)), -1);
	tmpl_set_free(s);
}

/* The project's real page templates all compile and link up. */
static void
test_project_templates(void **state)
{
	struct tmpl_set *s = tmpl_set_new();
	char dir[1024], err[512] = "";

	(void)state;
	snprintf(dir, sizeof(dir), "%s/templates", CONVENE_SOURCE_DIR);
	if (tmpl_load_dir(s, dir, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(tmpl_has(s, "layout_head"));
	assert_true(tmpl_has(s, "error"));
	tmpl_set_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes_every_value),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_lookup_walks_outwards),
		cmocka_unit_test(test_partials_and_standalone),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_output_ceiling),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_project_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
