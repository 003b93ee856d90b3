/*
 * api_openapi.c -- the API's own description, as Neon's hosted service and
 * Better Auth's openAPI plugin serve it: GET open-api/generate-schema (an
 * OpenAPI 3.1 document of every route this branch serves) and GET reference
 * (a reference page for it that works offline: no CDN, no outside asset).
 *
 * The document is generated from the route table (api/router.h
 * router_each), so it cannot drift: the request body of each row comes
 * from running the row's own parser in describe mode (http/body.h), the
 * 200 reply from the row's `response` schema.  Groups switched off for the
 * branch are left out, as they answer 404.
 */
#include <string.h>

#include "api/route.h"
#include "http/cookie.h"
#include "api/router.h"
#include "http/branch.h"
#include "http/branchcfg.h"
#include "lib/json.h"

#define OPENAPI_SCHEMAS \
"{\"User\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}," \
"\"name\":{\"type\":\"string\"},\"email\":{\"type\":\"string\",\"format\":\"email\"}," \
"\"emailVerified\":{\"type\":\"boolean\"},\"image\":{\"type\":[\"string\",\"null\"]}," \
"\"createdAt\":{\"type\":\"string\",\"format\":\"date-time\"}," \
"\"updatedAt\":{\"type\":\"string\",\"format\":\"date-time\"}," \
"\"role\":{\"type\":[\"string\",\"null\"]},\"banned\":{\"type\":[\"boolean\",\"null\"]}," \
"\"banReason\":{\"type\":[\"string\",\"null\"]}," \
"\"banExpires\":{\"type\":[\"string\",\"null\"],\"format\":\"date-time\"}," \
"\"phoneNumber\":{\"type\":[\"string\",\"null\"]}," \
"\"phoneNumberVerified\":{\"type\":[\"boolean\",\"null\"]}}," \
"\"required\":[\"id\",\"name\",\"email\",\"emailVerified\",\"createdAt\",\"updatedAt\"]}," \
"\"Session\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}," \
"\"token\":{\"type\":\"string\"},\"userId\":{\"type\":\"string\"}," \
"\"expiresAt\":{\"type\":\"string\",\"format\":\"date-time\"}," \
"\"createdAt\":{\"type\":\"string\",\"format\":\"date-time\"}," \
"\"updatedAt\":{\"type\":\"string\",\"format\":\"date-time\"}," \
"\"ipAddress\":{\"type\":\"string\"},\"userAgent\":{\"type\":\"string\"}," \
"\"impersonatedBy\":{\"type\":[\"string\",\"null\"]}," \
"\"activeOrganizationId\":{\"type\":[\"string\",\"null\"]}}," \
"\"required\":[\"id\",\"token\",\"userId\",\"expiresAt\",\"createdAt\",\"updatedAt\"]}," \
"\"Error\":{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\"}," \
"\"code\":{\"type\":\"string\"}},\"required\":[\"message\"]}}"

struct doc {
	struct request		*r;
	json_object		*paths;
};

static json_object *
error_response(const char *what)
{
	json_object	*o = json_tokener_parse("{\"content\":{\"application/json\":"
			    "{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}");

	json_object_object_add(o, "description", json_object_new_string(what));
	return (o);
}

/* the operation of one row; 0 to go on */
static int
add_row(const struct api_group *g, const struct route *rt, void *arg)
{
	struct doc	*d = arg;
	struct request	*r = d->r;
	json_object	*item, *op, *resp, *ok, *schema, *body, *params, *p;
	char		*path, *lower;
	void		*in = NULL;
	size_t		 i;

	if (g->enabled != NULL && !g->enabled(r->bcfg))
		return (0);
	/* the document describes itself too; the debug endpoint is a test aid */
	if (strcmp(rt->path, "/debug/sleep") == 0 && !r->env->testing_sleep)
		return (0);
	path = (rt->flags & ROUTE_PREFIX) ? arena_printf(r->a, "%s{id}",
	    rt->path) : arena_strdup(r->a, rt->path);
	if (!json_object_object_get_ex(d->paths, path, &item)) {
		item = json_object_new_object();
		json_object_object_add(d->paths, path, item);
	}
	lower = arena_strdup(r->a, rt->method);
	for (i = 0; lower[i]; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	op = json_object_new_object();
	json_object_object_add(op, "operationId", json_object_new_string(
	    arena_printf(r->a, "%s %s", rt->method, rt->path)));
	json_object_object_add(op, "summary", json_object_new_string(rt->name));
	p = json_object_new_array();
	json_object_array_add(p, json_object_new_string(g->name));
	json_object_object_add(op, "tags", p);
	if (rt->flags & ROUTE_PREFIX) {
		params = json_object_new_array();
		p = json_tokener_parse("{\"name\":\"id\",\"in\":\"path\","
		    "\"required\":true,\"schema\":{\"type\":\"string\"}}");
		json_object_array_add(params, p);
		json_object_object_add(op, "parameters", params);
	}
	if (rt->parse != NULL && strcmp(rt->method, "GET") != 0) {
		schema = json_object_new_object();
		r->describe = schema;
		(void)rt->parse(r, &in);
		r->describe = NULL;
		body = json_object_new_object();
		json_object_object_add(body, "required", json_object_new_boolean(
		    !json_object_object_get_ex(schema, "x-optional", NULL)));
		json_object_object_del(schema, "x-optional");
		p = json_object_new_object();
		json_object_object_add(p, "application/json",
		    json_object_new_object());
		json_object_object_add(json_object_object_get(p,
		    "application/json"), "schema", schema);
		if (rt->flags & ROUTE_FORM)
			json_object_object_add(p,
			    "application/x-www-form-urlencoded",
			    json_object_get(json_object_object_get(p,
			    "application/json")));
		json_object_object_add(body, "content", p);
		json_object_object_add(op, "requestBody", body);
	}
	resp = json_object_new_object();
	ok = json_object_new_object();
	json_object_object_add(ok, "description", json_object_new_string(
	    "Success"));
	schema = rt->response != NULL ? json_tokener_parse(rt->response) : NULL;
	if (schema == NULL)
		schema = json_tokener_parse("{\"type\":\"object\"}");
	p = json_object_new_object();
	json_object_object_add(p, "schema", schema);
	json_object_object_add(ok, "content", json_object_new_object());
	json_object_object_add(json_object_object_get(ok, "content"),
	    (rt->flags & ROUTE_HTML) ? "text/html" : "application/json", p);
	json_object_object_add(resp, "200", ok);
	json_object_object_add(resp, "400", error_response(
	    "Invalid input (VALIDATION_ERROR and the endpoint's codes)"));
	if (rt->session != SESS_NONE && rt->session != SESS_OPTIONAL) {
		json_object_object_add(resp, "401", error_response(
		    "No valid session (UNAUTHORIZED)"));
		json_object_object_add(op, "security", json_tokener_parse(
		    r->bcfg->bearer ? "[{\"cookie\":[]},{\"bearer\":[]}]" :
		    "[{\"cookie\":[]}]"));
	}
	if (rt->flags & ROUTE_DB)
		json_object_object_add(resp, "429", error_response(
		    "Rate limited"));
	json_object_object_add(op, "responses", resp);
	json_object_object_add(item, lower, op);
	return (0);
}

static enum err
generate_schema(struct request *r, void *in)
{
	struct doc	 d;
	json_object	*o, *info, *servers, *comp, *sec;

	(void)in;
	o = json_object_new_object();
	json_object_object_add(o, "openapi", json_object_new_string("3.1.0"));
	info = json_object_new_object();
	json_object_object_add(info, "title", json_object_new_string(
	    r->bcfg->app_name[0] ? r->bcfg->app_name : "neon-authd"));
	json_object_object_add(info, "description", json_object_new_string(
	    "The Better Auth HTTP API served by neon-authd for this branch"));
	json_object_object_add(info, "version", json_object_new_string(
	    PACKAGE_VERSION));
	json_object_object_add(o, "info", info);
	servers = json_object_new_array();
	json_object_array_add(servers, json_object_new_object());
	json_object_object_add(json_object_array_get_idx(servers, 0), "url",
	    json_object_new_string(r->branch->auth_url));
	json_object_object_add(o, "servers", servers);
	d.r = r;
	d.paths = json_object_new_object();
	(void)router_each(add_row, &d);
	json_object_object_add(o, "paths", d.paths);
	comp = json_object_new_object();
	json_object_object_add(comp, "schemas",
	    json_tokener_parse(OPENAPI_SCHEMAS));
	sec = json_object_new_object();
	json_object_object_add(sec, "cookie", json_object_new_object());
	json_object_object_add(json_object_object_get(sec, "cookie"), "type",
	    json_object_new_string("apiKey"));
	json_object_object_add(json_object_object_get(sec, "cookie"), "in",
	    json_object_new_string("cookie"));
	json_object_object_add(json_object_object_get(sec, "cookie"), "name",
	    json_object_new_string(cookie_name(r, "session_token")));
	json_object_object_add(sec, "bearer", json_tokener_parse(
	    "{\"type\":\"http\",\"scheme\":\"bearer\"}"));
	json_object_object_add(comp, "securitySchemes", sec);
	json_object_object_add(o, "components", comp);
	reply_json_obj(r, 200, o);
	return (ERR_NONE);
}

/*
 * The reference page: one self-contained document that fetches the schema
 * next to it and lists every operation with its input and reply.
 */
static const char reference_html[] =
"<!doctype html>\n"
"<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
"<title>API reference</title>\n"
"<style>\n"
"body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2530;background:#f6f7f9}\n"
"header{background:#1d2530;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}\n"
"header p{margin:4px 0 0;opacity:.8;font-size:13px}main{max-width:980px;margin:0 auto;padding:16px}\n"
"input{width:100%;box-sizing:border-box;padding:8px 10px;font-size:15px;margin:8px 0 16px}\n"
"h2{font-size:16px;margin:24px 0 8px;text-transform:capitalize}\n"
"details{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:6px 0}\n"
"summary{cursor:pointer;padding:8px 12px;font-family:ui-monospace,monospace}\n"
".m{display:inline-block;min-width:52px;font-weight:700}.GET{color:#0a7d32}.POST{color:#1c5fbf}\n"
".body{padding:0 12px 12px}pre{background:#f0f2f5;padding:8px;overflow:auto;font-size:12px}\n"
".lock{color:#8a5a00;font-size:12px;margin-left:8px}\n"
"</style></head><body>\n"
"<header><h1 id=\"t\">API reference</h1><p id=\"s\">loading the schema&hellip;</p></header>\n"
"<main><input id=\"q\" placeholder=\"Filter operations\" autocomplete=\"off\">\n"
"<div id=\"ops\"></div></main>\n"
"<script>\n"
"(function(){\n"
"var ops=document.getElementById('ops'),q=document.getElementById('q');\n"
"function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;if(x!==undefined)e.textContent=x;return e;}\n"
"function pre(o){return el('pre','',JSON.stringify(o,null,2));}\n"
"fetch('open-api/generate-schema',{credentials:'same-origin'}).then(function(r){return r.json();}).then(function(d){\n"
"document.getElementById('t').textContent=d.info.title+' \\u2014 API reference';\n"
"document.getElementById('s').textContent='OpenAPI '+d.openapi+', version '+d.info.version+', '+d.servers[0].url;\n"
"var groups={};Object.keys(d.paths).sort().forEach(function(p){var it=d.paths[p];\n"
"Object.keys(it).forEach(function(m){var op=it[m],g=(op.tags||['other'])[0];(groups[g]=groups[g]||[]).push([p,m,op]);});});\n"
"Object.keys(groups).sort().forEach(function(g){var sec=el('section');sec.appendChild(el('h2','',g));ops.appendChild(sec);\n"
"groups[g].forEach(function(x){var det=el('details'),s=el('summary'),b=el('div','body');\n"
"det.dataset.k=(x[1]+' '+x[0]+' '+g).toLowerCase();\n"
"s.appendChild(el('span','m '+x[1].toUpperCase(),x[1].toUpperCase()));s.appendChild(document.createTextNode(x[0]));\n"
"if(x[2].security)s.appendChild(el('span','lock','session'));det.appendChild(s);\n"
"if(x[2].requestBody){b.appendChild(el('h4','','Request body'));b.appendChild(pre(x[2].requestBody.content['application/json'].schema));}\n"
"Object.keys(x[2].responses).forEach(function(c){var rr=x[2].responses[c];b.appendChild(el('h4','',c+' '+rr.description));\n"
"if(rr.content){var ct=Object.keys(rr.content)[0];b.appendChild(pre(rr.content[ct].schema));}});\n"
"det.appendChild(b);sec.appendChild(det);});});\n"
"var sc=el('details');sc.appendChild(el('summary','','components'));sc.appendChild(pre(d.components));ops.appendChild(sc);\n"
"}).catch(function(e){document.getElementById('s').textContent='could not load the schema: '+e;});\n"
"q.addEventListener('input',function(){var v=q.value.toLowerCase();\n"
"Array.prototype.forEach.call(ops.querySelectorAll('details'),function(d){d.style.display=!d.dataset.k||d.dataset.k.indexOf(v)>=0?'':'none';});\n"
"Array.prototype.forEach.call(ops.querySelectorAll('section'),function(s){var n=0;\n"
"Array.prototype.forEach.call(s.querySelectorAll('details'),function(d){if(d.style.display!=='none')n++;});s.style.display=n?'':'none';});});\n"
"})();\n"
"</script></body></html>\n";

static enum err
reference(struct request *r, void *in)
{
	(void)in;
	reply_raw(r, 200, "text/html; charset=utf-8", reference_html,
	    sizeof(reference_html) - 1);
	reply_header_add(r, "Content-Security-Policy", "default-src 'none'; "
	    "script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
	    "connect-src 'self'; base-uri 'none'; form-action 'none'");
	reply_header_add(r, "X-Content-Type-Options", "nosniff");
	return (ERR_NONE);
}

static const struct route routes[] = {
	{ "GET", "/open-api/generate-schema", "open-api/generate-schema", NULL,
	    generate_schema, SESS_NONE, RL_BRANCH, ROUTE_DB,
	    "{\"type\":\"object\",\"required\":[\"openapi\",\"info\",\"paths\"]}" },
	{ "GET", "/reference", "reference", NULL, reference, SESS_NONE,
	    RL_BRANCH, ROUTE_DB | ROUTE_HTML, "{\"type\":\"string\"}" },
	{ NULL, NULL, NULL, NULL, NULL, SESS_NONE, RL_BRANCH, 0, NULL }
};

const struct api_group api_openapi_group = { "open-api", routes, NULL, NULL };
