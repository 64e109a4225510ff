/*
 * dashboard_html.c - writing the dashboard's HTML: escaping, numbers, the
 * page frame with its style sheet, and sending. The style sheet is a C
 * string so the binary is the whole deployment; colours come from CSS
 * variables switched by prefers-color-scheme, and the layout is one
 * column that scrolls tables sideways on a phone.
 */
#include <math.h>
#include <stdarg.h>

#include "dashboard.h"
#include "server.h"

static const char STYLE[] =
        ":root{--bg:#fff;--fg:#1b1f24;--mute:#57606a;--line:#d0d7de;"
        "--band:rgba(9,105,218,.15);--accent:#0969da;--bad:#cf222e;"
        "--good:#1a7f37;--base:#8250df;--head:#bc4c00;--row:#f6f8fa}"
        "@media(prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;"
        "--mute:#8d96a0;--line:#30363d;--band:rgba(56,139,253,.2);"
        "--accent:#4493f8;--bad:#f85149;--good:#3fb950;--base:#a371f7;"
        "--head:#f0883e;--row:#161b22}}"
        "*{box-sizing:border-box}"
        "body{margin:0;background:var(--bg);color:var(--fg);"
        "font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif}"
        "main{max-width:1100px;margin:0 auto;padding:12px}"
        "a{color:var(--accent);text-decoration:none}"
        "a:hover{text-decoration:underline}"
        "header.top{border-bottom:1px solid var(--line);margin-bottom:12px;"
        "padding-bottom:6px}header.top a{font-weight:600}"
        "h1{font-size:1.4em;margin:.3em 0;overflow-wrap:anywhere}"
        "h2{font-size:1.15em;margin:1.2em 0 .4em;overflow-wrap:anywhere}"
        "h3{font-size:1em;margin:1em 0 .3em;overflow-wrap:anywhere}"
        ".scroll{overflow-x:auto;max-width:100%}"
        "table{border-collapse:collapse;margin:.3em 0;font-size:.92em}"
        "th,td{border-bottom:1px solid var(--line);padding:3px 8px;"
        "text-align:left;vertical-align:middle}"
        "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;"
        "white-space:nowrap}"
        "tr:nth-child(even) td{background:var(--row)}"
        "code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,"
        "monospace;font-size:.9em}"
        "pre{background:var(--row);padding:8px;overflow-x:auto;"
        "white-space:pre-wrap;overflow-wrap:anywhere}"
        ".mute{color:var(--mute)}.bad{color:var(--bad);font-weight:600}"
        ".good{color:var(--good);font-weight:600}"
        "svg{display:block;max-width:100%;height:auto}"
        "svg.spark{display:inline-block;vertical-align:middle;"
        "max-width:none}"
        "svg.strip{max-width:600px}"
        "svg text{fill:var(--mute);font-size:11px}"
        ".axis{stroke:var(--line)}.band{fill:var(--band)}"
        ".line{fill:none;stroke:var(--accent);stroke-width:1.5}"
        ".spark .line{stroke-width:1.2}.spark.up .line{stroke:var(--bad)}"
        ".pt{fill:var(--accent)}.pt:hover{r:5}"
        ".cp{stroke:var(--bad);stroke-dasharray:3 3}.cpt{fill:var(--bad)}"
        ".sb{fill:var(--base);opacity:.7}.sh{fill:var(--head);opacity:.7}"
        "input.filter{width:100%;max-width:420px;padding:6px;"
        "border:1px solid var(--line);background:var(--bg);color:var(--fg);"
        "border-radius:4px;font-size:1em}"
        "dl.kv{display:grid;grid-template-columns:max-content 1fr;"
        "gap:2px 12px}dl.kv dt{color:var(--mute)}dl.kv dd{margin:0;"
        "overflow-wrap:anywhere}"
        "@media(max-width:600px){body{font-size:14px}main{padding:8px}"
        "th,td{padding:2px 4px}}";

void mg_page_init(mg_page *p)
{
	mg_buf_init(&p->buf, MG_PAGE_MAX);
	p->error = 0;
}

void mg_page_release(mg_page *p)
{
	mg_buf_release(&p->buf);
}

void mg_page_puts(mg_page *p, const char *s)
{
	if (p->error == 0 && s)
		p->error = mg_buf_puts(&p->buf, s);
}

void mg_page_printf(mg_page *p, const char *fmt, ...)
{
	va_list ap;

	if (p->error)
		return;
	va_start(ap, fmt);
	p->error = mg_buf_vprintf(&p->buf, fmt, ap);
	va_end(ap);
}

void mg_page_esc(mg_page *p, const char *s)
{
	const char *run;

	if (s == NULL || p->error)
		return;
	/* copy stretches without metacharacters in one call */
	for (run = s;; s++) {
		const char *ent = NULL;

		switch (*s) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		case '\0':
			break;
		default:
			continue;
		}
		if (s > run && p->error == 0)
			p->error = mg_buf_put(&p->buf, run, (size_t)(s - run));
		if (ent == NULL)
			return;
		mg_page_puts(p, ent);
		run = s + 1;
	}
}

void mg_page_seg(mg_page *p, const char *s)
{
	if (s && p->error == 0)
		p->error = mg_http_escape_segment(&p->buf, s);
}

void mg_page_num(mg_page *p, double v)
{
	static const char *const suffix[] = {"", "k", "M", "G", "T"};
	double a = fabs(v);
	size_t i = 0;

	if (!isfinite(v)) {
		mg_page_puts(p, "–");
		return;
	}
	if (a >= 1e4) {
		while (a >= 1000 &&
		       i + 1 < sizeof(suffix) / sizeof(suffix[0])) {
			a /= 1000;
			v /= 1000;
			i++;
		}
	}
	/* below 10,000 four digits, so axis ticks read 1420, not 1.42e+03 */
	mg_page_printf(p, i == 0 ? "%.4g%s" : "%.3g%s", v, suffix[i]);
}

void mg_page_begin(mg_page *p, const char *title)
{
	mg_page_puts(p, "<!doctype html>\n<html lang=\"en\"><head>"
	                "<meta charset=\"utf-8\">"
	                "<meta name=\"viewport\" content=\"width=device-width,"
	                "initial-scale=1\">"
	                "<meta name=\"color-scheme\" content=\"light dark\">"
	                "<title>");
	mg_page_esc(p, title);
	mg_page_puts(p, " · memgate</title><style>");
	mg_page_puts(p, STYLE);
	mg_page_puts(p, "</style></head><body><main>\n<header class=\"top\">"
	                "<a href=\"/\">memgate</a></header>\n");
}

void mg_page_end(mg_page *p)
{
	mg_page_puts(p, "\n</main></body></html>\n");
}

int mg_page_send(mg_req *r, int status, mg_page *p)
{
	size_t len;
	char *data;

	if (p->error) {
		int error = p->error;

		mg_page_release(p);
		if (error == MG_ELIMIT)
			return mg_page_error(r, 500, "page too large");
		return mg_http_fail(r, MG_ENOMEM, NULL);
	}
	len = p->buf.len;
	data = mg_buf_detach(&p->buf);
	if (data == NULL)
		return mg_http_fail(r, MG_ENOMEM, NULL);
	mg_http_header(r, "Cache-Control", "no-store");
	/* nothing on these pages needs to run code from elsewhere */
	mg_http_header(r, "Content-Security-Policy",
	               "default-src 'none'; style-src 'unsafe-inline'; "
	               "script-src 'unsafe-inline'; img-src 'self' data:");
	mg_http_header(r, "X-Content-Type-Options", "nosniff");
	return mg_http_reply(r, status, "text/html; charset=utf-8", data, len);
}

int mg_page_error(mg_req *r, int status, const char *fmt, ...)
{
	char msg[1024];
	char title[32];
	mg_page p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(title, sizeof(title), "%s",
	         status == 404   ? "Not found"
	         : status == 400 ? "Bad request"
	                         : "Error");
	mg_page_init(&p);
	mg_page_begin(&p, title);
	mg_page_printf(&p, "<h1>%d %s</h1><p>", status, title);
	mg_page_esc(&p, msg);
	mg_page_puts(&p, "</p>");
	mg_page_end(&p);
	if (p.error) {
		mg_page_release(&p);
		return mg_http_fail(r, MG_ENOMEM, NULL);
	}
	return mg_page_send(r, status, &p);
}
