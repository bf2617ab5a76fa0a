package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/auth"
)

// access is who may call a UI route.
type access int

const (
	public access = iota // anyone, logged in or not (the vendored files)
	reads                // viewers and editors: pages, fragments, checks that write nothing
	writes               // editors: everything that writes
)

func (a access) String() string { return [...]string{"public", "reads", "writes"}[a] }

// uiRoute is how the tests call one UI route on newFixture, and what the
// dev admin gets.
type uiRoute struct {
	access access
	path   string // relative to the prefix
	form   url.Values
	hdr    []string
	dev    int  // the dev admin's status
	page   bool // a whole page of the layout for the dev admin
}

// uiRoutes classifies every UI route the server registers. A route missing
// here fails TestAccessMatrix, so a new page cannot escape it.
var uiRoutes = map[string]uiRoute{
	"GET /services/hubprofiles/static/*": {public, "static/htmx-2.0.11.min.js", nil, nil, 200, false},

	"GET /services/hubprofiles/": {reads, "", nil, nil, 200, true},

	"GET /services/hubprofiles/images":                   {reads, "images", nil, nil, 200, true},
	"POST /services/hubprofiles/images":                  {writes, "images", form("slug", "new", "ref", "quay.io/jupyter/minimal-notebook:2025-06-02", "base", "3"), nil, 303, false},
	"GET /services/hubprofiles/images/new":               {reads, "images/new", nil, nil, 200, true},
	"GET /services/hubprofiles/images/check":             {reads, "images/check?ref=quay.io/jupyter/base-notebook:2025-06-02", nil, htmx, 200, false},
	"GET /services/hubprofiles/images/:slug":             {reads, "images/spare", nil, nil, 200, true},
	"POST /services/hubprofiles/images/:slug":            {writes, "images/spare", form("ref", "quay.io/jupyter/base-notebook:2025-07-01", "base", "3"), nil, 303, false},
	"GET /services/hubprofiles/images/:slug/delete":      {reads, "images/spare/delete", nil, nil, 200, true},
	"POST /services/hubprofiles/images/:slug/delete":     {writes, "images/spare/delete", form("base", "3"), nil, 303, false},
	"POST /services/hubprofiles/images/:slug/bump":       {writes, "images/spare/bump", form("tag", "2025-07-01", "base", "3"), nil, 303, false},
	"GET /services/hubprofiles/images/unused/remove":     {reads, "images/unused/remove", nil, nil, 200, true},
	"POST /services/hubprofiles/images/unused/remove":    {writes, "images/unused/remove", form("base", "3"), nil, 303, false},
	"POST /services/hubprofiles/image-repositories/bump": {writes, "image-repositories/bump", form("repository", "quay.io/jupyter/base-notebook", "tag", "2025-07-01", "base", "3"), nil, 303, false},

	"GET /services/hubprofiles/profiles":                  {reads, "profiles", nil, nil, 200, true},
	"GET /services/hubprofiles/profiles/new":              {reads, "profiles/new", nil, nil, 200, true},
	"POST /services/hubprofiles/profiles/new":             {writes, "profiles/new", form("slug", "new", "display_name", "New", "base", "3"), nil, 303, false},
	"GET /services/hubprofiles/profiles/:slug":            {reads, "profiles/small", nil, nil, 200, true},
	"POST /services/hubprofiles/profiles/:slug":           {writes, "profiles/gpu", form("slug", "gpu", "display_name", "GPU", "base", "3"), nil, 303, false},
	"GET /services/hubprofiles/profiles/:slug/delete":     {reads, "profiles/gpu/delete", nil, nil, 200, true},
	"POST /services/hubprofiles/profiles/:slug/delete":    {writes, "profiles/gpu/delete", form("base", "3"), nil, 303, false},
	"POST /services/hubprofiles/profiles/:slug/move":      {writes, "profiles/gpu/move", form("to", "0"), nil, 303, false},
	"POST /services/hubprofiles/profiles/:slug/duplicate": {writes, "profiles/gpu/duplicate", form(), nil, 303, false},
	"POST /services/hubprofiles/regex-test":               {reads, "regex-test", form("regex", "^a$", "value", "a"), htmx, 200, false},
	"GET /services/hubprofiles/defaults-settings":         {reads, "defaults-settings", nil, nil, 200, true},
	"POST /services/hubprofiles/defaults-settings":        {writes, "defaults-settings", form("image", "spare", "default_url", "/lab", "base", "3"), nil, 303, false},
	"GET /services/hubprofiles/node-groups":               {reads, "node-groups", nil, nil, 200, true},
	"GET /services/hubprofiles/history":                   {reads, "history", nil, nil, 200, true},
	"GET /services/hubprofiles/history/:id":               {reads, "history/2", nil, nil, 200, true},
	"GET /services/hubprofiles/history/:id/publish":       {reads, "history/1/publish", nil, nil, 200, true},
	"GET /services/hubprofiles/history/:id/restore":       {reads, "history/1/restore", nil, nil, 200, true},
	"POST /services/hubprofiles/history/:id/publish":      {writes, "history/3/publish", nil, nil, 303, false},
	"POST /services/hubprofiles/history/:id/restore":      {writes, "history/1/restore", form("base", "3"), nil, 303, false},
	"GET /services/hubprofiles/preview":                   {reads, "preview", nil, nil, 200, true},
	// The fixture configures no peer hub.
	"GET /services/hubprofiles/peers/:name":     {reads, "peers/staging", nil, nil, 404, false},
	"POST /services/hubprofiles/peers/:name":    {writes, "peers/staging", form("take", "profile:gpu", "revision", "live", "base", "3"), nil, 404, false},
	"GET /services/hubprofiles/import":          {reads, "import", nil, nil, 200, true},
	"POST /services/hubprofiles/import":         {writes, "import", form("content", smallList, "action", "import", "base", "3"), nil, 303, false},
	"GET /services/hubprofiles/export":          {reads, "export", nil, nil, 200, true},
	"GET /services/hubprofiles/export/download": {reads, "export/download?format=json&revision=head", nil, nil, 200, false},
}

// pagePaths are the whole pages among uiRoutes, sorted.
var pagePaths = func() []string {
	var out []string
	for _, r := range uiRoutes {
		if r.page {
			out = append(out, r.path)
		}
	}
	sort.Strings(out)
	return out
}()

// isUIRoute tells the admin pages (package ui) from the API, the feeds
// (profile_list, defaults), login and the operational routes, which
// package api's matrix covers.
func isUIRoute(path string) bool {
	rest, under := strings.CutPrefix(path, prefix)
	switch {
	case !under || strings.HasPrefix(rest, "api/v1/") || rest == "api/v1":
		return false
	case rest == "profile_list" || rest == "defaults" || rest == "healthz" || rest == "metrics" || rest == "login" || rest == "oauth_callback" || rest == "logout":
		return false
	}
	return true
}

// TestAccessMatrix walks every UI route: anonymous users get the 401
// page, hub users without a role a 403 page that says who to ask,
// viewers may look but not change, and the dev admin may do everything.
func TestAccessMatrix(t *testing.T) {
	shared := newFixture(t)
	seen := map[string]bool{}
	for _, r := range shared.srv.Routes() {
		if r.Method == echo.RouteNotFound || !isUIRoute(r.Path) {
			continue
		}
		key := r.Method + " " + r.Path
		seen[key] = true
		if _, ok := uiRoutes[key]; !ok {
			t.Errorf("UI route %s is neither classified nor tested: add it to uiRoutes", key)
		}
	}
	var keys []string
	for key := range uiRoutes {
		if !seen[key] {
			t.Errorf("uiRoutes has %s, which is not a registered route", key)
		}
		keys = append(keys, key)
	}
	sort.Strings(keys)

	for _, key := range keys {
		spec := uiRoutes[key]
		method, _, _ := strings.Cut(key, " ")
		t.Run(key, func(t *testing.T) {
			var body any
			if spec.form != nil {
				body = spec.form
			}
			for _, who := range []string{"anonymous", "nobody", "viewer"} {
				revs, pubs := shared.revisions(), shared.publications()
				r := shared.do(method, spec.path, body, append(slices.Clone(spec.hdr), "X-Test-As", who)...)
				want := http.StatusForbidden
				switch {
				case spec.access == public:
					want = spec.dev
				case who == "anonymous":
					want = http.StatusUnauthorized
				case who == "viewer" && spec.access == reads:
					want = spec.dev
				}
				if r.Status != want {
					t.Errorf("%s: status %d, want %d; %.300s", who, r.Status, want, r.Body)
				}
				switch want {
				case http.StatusUnauthorized:
					wantErrorPage(t, r, "Not logged in", "Log in through JupyterHub")
					if l := r.Header.Get("Location"); l != "" {
						t.Errorf("anonymous: sent to %q, but auth.Anonymous starts no login", l)
					}
				case http.StatusForbidden:
					u := map[string]string{"nobody": nobodyUser.Name, "viewer": viewerUser.Name}[who]
					wantErrorPage(t, r, "Not allowed", "You are logged in as "+u+".", "hub admins", "Ask a hub admin")
					if who == "nobody" && spec.access == reads && !strings.Contains(textOf(r.Find("p")), "members of the group staff (read only)") {
						t.Errorf("nobody: the 403 page %q does not name the viewer group", textOf(r.Find("p")))
					}
				}
				if shared.revisions() != revs || shared.publications() != pubs {
					t.Errorf("%s %s by %s wrote something", method, spec.path, who)
				}
			}

			// The dev admin, on a fresh fixture so that writes do not
			// depend on one another.
			f := newFixture(t)
			revs, pubs := f.revisions(), f.publications()
			r := f.do(method, spec.path, body, spec.hdr...)
			if r.Status != spec.dev {
				t.Fatalf("dev admin: status %d, want %d; %.500s", r.Status, spec.dev, r.Body)
			}
			wrote := f.revisions() != revs || f.publications() != pubs
			if spec.access == writes && !wrote && spec.dev < 400 { // a refused write (no peer configured) writes nothing
				t.Errorf("dev admin: the write answered %d but wrote nothing", r.Status)
			}
			if spec.access != writes && wrote {
				t.Errorf("dev admin: a %s route wrote something", spec.access)
			}
			if spec.page && r.Find("html > body main#main").Length() != 1 {
				t.Errorf("dev admin: not a page of the layout")
			}
		})
	}
}

// wantErrorPage checks a guard's answer: a small HTML page with the title
// as <h1> and the texts in it.
func wantErrorPage(t *testing.T, r *response, title string, texts ...string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%d page: Content-Type %q, want HTML", r.Status, ct)
	}
	if got := r.text("h1"); got != title {
		t.Errorf("%d page: <h1> %q, want %q", r.Status, got, title)
	}
	if r.Find("html[lang]").Length() != 1 {
		t.Errorf("%d page: no html[lang]", r.Status)
	}
	body := textOf(r.Find("body"))
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Errorf("%d page %q does not say %q", r.Status, body, s)
		}
	}
}

// routePattern matches a request path against a route path with :params
// and a trailing *.
func routePattern(route string) *regexp.Regexp {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, ":"):
			parts[i] = `[^/]+`
		case p == "*":
			parts[i] = `.*`
		default:
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return regexp.MustCompile(`^` + strings.Join(parts, "/") + `$`)
}

// routeOf is the uiRoutes key a request goes to.
func routeOf(t *testing.T, method, path string) (string, uiRoute) {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	var best string
	for key := range uiRoutes {
		m, route, _ := strings.Cut(key, " ")
		if m == method && routePattern(route).MatchString(u.Path) {
			// A static segment beats a parameter (images/new before images/:slug).
			if best == "" || strings.Count(key, ":") < strings.Count(best, ":") {
				best = key
			}
		}
	}
	if best == "" {
		t.Fatalf("%s %s goes to no UI route", method, path)
	}
	return best, uiRoutes[best]
}

// TestViewersAreNotOfferedWrites: the pages a viewer sees offer no button
// that submits to a route a viewer may not use (they would only lead to a
// 403 page), and they do not show editors' actions.
func TestViewersAreNotOfferedWrites(t *testing.T) {
	c := newFixture(t)
	for _, p := range pagePaths {
		r := c.get(p, "X-Test-As", "viewer")
		if got := textOf(r.Find("nav .who")); !strings.Contains(got, "vera · viewer") {
			t.Errorf("%s: the header says %q, want vera · viewer", p, got)
		}
		r.Find("form").Each(func(_ int, f *goquery.Selection) {
			method := strings.ToUpper(f.AttrOr("method", "GET"))
			submits := f.Find(`button:not([type]), button[type=submit], input[type=submit]`)
			if method != http.MethodPost || submits.Length() == 0 {
				return
			}
			key, route := routeOf(t, method, f.AttrOr("action", ""))
			if route.access == writes && key != "POST /services/hubprofiles/import" { // that one: TestViewerCanCheckAnImport
				t.Errorf("%s: a viewer is offered %q, which submits to %s (editors only)", p, submits.Map(func(_ int, b *goquery.Selection) string { return textOf(b) }), key)
			}
		})
		r.Find("[hx-post]").Each(func(_ int, s *goquery.Selection) {
			if goquery.NodeName(s) == "form" {
				return // checked above by its submit buttons
			}
			key, route := routeOf(t, http.MethodPost, s.AttrOr("hx-post", ""))
			if route.access == writes {
				t.Errorf("%s: a viewer's %s posts to %s (editors only)", p, goquery.NodeName(s), key)
			}
		})
	}
	// Editors' links and columns are not shown.
	for path, sel := range map[string]string{
		"images":   `a[href$="/images/new"]`,
		"profiles": `a[href$="/profiles/new"], form[action$="/move"]`,
		"history":  `form[action$="/publish"], form[action$="/restore"]`,
		"":         `form[action$="/publish"]`,
	} {
		if n := c.get(path, "X-Test-As", "viewer").Find(sel).Length(); n != 0 {
			t.Errorf("%s: a viewer sees %d of %s", path, n, sel)
		}
	}
}

// TestViewerCanCheckAnImport: the import page offers viewers the Check
// button (only Import is for editors), and checking writes nothing.
//
// Was a bug, fixed (ui/ui.go, Register: g.POST("/import", h.importPost, edits)): the
// check and the import share one route guarded for editors, so a viewer's
// Check ends on the 403 page. Fix: a route of its own for the check
// (e.g. POST /import/check guarded by view, the Check button's formaction),
// or guard POST /import by view and refuse action=import below Editor in
// importPost.
func TestViewerCanCheckAnImport(t *testing.T) {
	c := newFixture(t)
	r := c.get("import", "X-Test-As", "viewer")
	if got := texts(r.Find("#import-form"), "button"); !slices.Equal(got, []string{"Check"}) {
		t.Fatalf("a viewer's import buttons %q, want Check only", got)
	}
	r = c.do(http.MethodPost, "import", form("content", smallList, "action", "check"), "X-Test-As", "viewer")
	if r.Status != http.StatusOK {
		t.Errorf("a viewer's check: status %d, want 200; %s", r.Status, textOf(r.Find("body")))
	}
	c.wantRevisions(3)
}

// TestStaticFiles: the vendored htmx is served to anyone, cacheable, as
// JavaScript; the pages load it from there and from nowhere else.
func TestStaticFiles(t *testing.T) {
	c := newFixture(t)
	r := c.get("static/htmx-2.0.11.min.js", "X-Test-As", "anonymous")
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("htmx Content-Type %q", ct)
	}
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=3600" {
		t.Errorf("Cache-Control %q", got)
	}
	if !strings.Contains(string(r.Body[:min(len(r.Body), 2000)]), "htmx") || len(r.Body) < 10000 {
		t.Errorf("the file is not htmx (%d bytes)", len(r.Body))
	}
	c.get("static/style.css", "X-Test-As", "anonymous")
	c.must(http.StatusNotFound, http.MethodGet, "static/nope.js", nil)

	page := c.get("")
	var scripts []string
	page.Find("script").Each(func(_ int, s *goquery.Selection) { scripts = append(scripts, s.AttrOr("src", "(inline)")) })
	if !slices.Equal(scripts, []string{prefix + "static/htmx-2.0.11.min.js"}) {
		t.Errorf("scripts %q, want only the vendored htmx", scripts)
	}
	if got := page.Find(`link[rel=stylesheet]`).AttrOr("href", ""); got != prefix+"static/style.css" {
		t.Errorf("stylesheet %q", got)
	}
}

// TestAnonymousServer: a server with auth.Anonymous (no login configured)
// answers every page with the 401 page, not a redirect to a login.
func TestAnonymousServer(t *testing.T) {
	c := newTestServerWith(t, nil, auth.Anonymous{})
	for _, p := range pagePaths {
		r := c.must(http.StatusUnauthorized, http.MethodGet, p, nil)
		wantErrorPage(t, r, "Not logged in", "Log in through JupyterHub")
	}
	r := c.must(http.StatusUnauthorized, http.MethodPost, "profiles/new", form("slug", "x", "display_name", "X"))
	wantErrorPage(t, r, "Not logged in")
	c.wantRevisions(1)
	c.get("static/htmx-2.0.11.min.js")
}
