package api_test

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// access is who may call a route.
type access int

const (
	public access = iota // anyone, logged in or not
	page                 // an HTML page for viewers and editors
	read                 // API reads: viewers and editors
	write                // API writes: editors
)

func (a access) String() string { return [...]string{"public", "page", "read", "write"}[a] }

// routeSpec is how the authorization matrix calls one route, on the fixture
// of newMatrixFixture, and what the dev admin gets.
type routeSpec struct {
	access access
	path   string // relative to the prefix, or absolute when it starts with /
	body   any
	hdr    []string
	dev    int    // the dev admin's status on a fresh fixture
	code   string // the dev admin's error code, when dev is not 2xx
}

// matrixConfig: "staff" are viewers; one node group (without tolerations).
const matrixConfig = accessConfig + `nodeGroups:
  - slug: n2-highmem-4
    nodeSelector: {node.kubernetes.io/instance-type: n2-highmem-4}
    allocatable: {cpu: 3.92, memory: 28G}
`

// routeSpecs classifies every route the server registers. A route missing
// here fails TestAuthorizationMatrix, so a new route cannot escape it.
var routeSpecs = map[string]routeSpec{
	"GET /services/hubprofiles":  {public, "/services/hubprofiles", nil, nil, http.StatusMovedPermanently, ""},
	"GET /services/hubprofiles/": {page, "", nil, nil, 200, ""},
	// The hub reads the feeds on the feed listener (server.FeedHandler,
	// no login); on this, the public listener, they need a viewer.
	"GET /services/hubprofiles/profile_list":           {read, "profile_list", nil, nil, 200, ""},
	"GET /services/hubprofiles/defaults":               {read, "defaults", nil, nil, 200, ""},
	"GET /services/hubprofiles/healthz":                {public, "healthz", nil, nil, 200, ""},
	"GET /services/hubprofiles/metrics":                {read, "metrics", nil, nil, 200, ""},
	"GET /services/hubprofiles/api/v1/openapi.yaml":    {public, "api/v1/openapi.yaml", nil, nil, 200, ""},
	"GET /services/hubprofiles/api/v1/me":              {read, "api/v1/me", nil, nil, 200, ""},
	"GET /services/hubprofiles/api/v1/catalog":         {read, "api/v1/catalog", nil, nil, 200, ""},
	"PUT /services/hubprofiles/api/v1/catalog":         {write, "api/v1/catalog", `{"schema_version": 1, "images": [], "node_groups": [], "profiles": []}`, []string{"If-Match", `"3"`}, 200, ""},
	"GET /services/hubprofiles/api/v1/images":          {read, "api/v1/images", nil, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/images":         {write, "api/v1/images", map[string]any{"slug": "new", "ref": scipyNew}, nil, 201, ""},
	"GET /services/hubprofiles/api/v1/images/:slug":    {read, "api/v1/images/spare", nil, nil, 200, ""},
	"PATCH /services/hubprofiles/api/v1/images/:slug":  {write, "api/v1/images/spare", map[string]any{"description": "x"}, nil, 200, ""},
	"DELETE /services/hubprofiles/api/v1/images/:slug": {write, "api/v1/images/spare", nil, nil, 200, ""},
	"DELETE /services/hubprofiles/api/v1/images":       {write, "api/v1/images?unused=true", nil, nil, 200, ""},
	// The tests run without a registry checker (server.Options.Images nil).
	"POST /services/hubprofiles/api/v1/images/:slug/check":                                    {read, "api/v1/images/spare/check", nil, nil, 503, "registry_checks_off"},
	"GET /services/hubprofiles/api/v1/images/:slug/tags":                                      {read, "api/v1/images/spare/tags", nil, nil, 503, "registry_checks_off"},
	"POST /services/hubprofiles/api/v1/images/:slug/bump":                                     {write, "api/v1/images/spare/bump", nil, nil, 503, "registry_checks_off"},
	"GET /services/hubprofiles/api/v1/profiles":                                               {read, "api/v1/profiles", nil, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/profiles":                                              {write, "api/v1/profiles", map[string]any{"slug": "new", "display_name": "New"}, nil, 201, ""},
	"GET /services/hubprofiles/api/v1/profiles/:slug":                                         {read, "api/v1/profiles/small", nil, nil, 200, ""},
	"PUT /services/hubprofiles/api/v1/profiles/:slug":                                         {write, "api/v1/profiles/small", map[string]any{"display_name": "S"}, []string{"If-Match", `"3"`}, 200, ""},
	"DELETE /services/hubprofiles/api/v1/profiles/:slug":                                      {write, "api/v1/profiles/gpu", nil, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/profiles/:slug/move":                                   {write, "api/v1/profiles/gpu/move", map[string]any{"position": 0}, nil, 200, ""},
	"PATCH /services/hubprofiles/api/v1/profiles/:slug":                                       {write, "api/v1/profiles/small", map[string]any{"description": "x"}, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/profiles/:slug/duplicate":                              {write, "api/v1/profiles/small/duplicate", map[string]any{"slug": "small2"}, nil, 201, ""},
	"POST /services/hubprofiles/api/v1/profiles/:slug/options":                                {write, "api/v1/profiles/gpu/options", map[string]any{"key": "size", "choices": []any{map[string]any{"key": "a", "display_name": "A"}}}, nil, 201, ""},
	"GET /services/hubprofiles/api/v1/profiles/:slug/options/:key":                            {read, "api/v1/profiles/small/options/image", nil, nil, 200, ""},
	"PATCH /services/hubprofiles/api/v1/profiles/:slug/options/:key":                          {write, "api/v1/profiles/small/options/image", map[string]any{"display_name": "Img"}, nil, 200, ""},
	"DELETE /services/hubprofiles/api/v1/profiles/:slug/options/:key":                         {write, "api/v1/profiles/small/options/image", nil, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/profiles/:slug/options/:key/move":                      {write, "api/v1/profiles/small/options/image/move", map[string]any{"position": 0}, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/profiles/:slug/options/:key/duplicate":                 {write, "api/v1/profiles/small/options/image/duplicate", map[string]any{"key": "image2"}, nil, 201, ""},
	"POST /services/hubprofiles/api/v1/profiles/:slug/options/:key/choices":                   {write, "api/v1/profiles/small/options/image/choices", map[string]any{"key": "spare", "display_name": "Spare", "image": "spare"}, nil, 201, ""},
	"GET /services/hubprofiles/api/v1/profiles/:slug/options/:key/choices/:choice":            {read, "api/v1/profiles/small/options/image/choices/scipy", nil, nil, 200, ""},
	"PATCH /services/hubprofiles/api/v1/profiles/:slug/options/:key/choices/:choice":          {write, "api/v1/profiles/small/options/image/choices/scipy", map[string]any{"display_name": "S"}, nil, 200, ""},
	"DELETE /services/hubprofiles/api/v1/profiles/:slug/options/:key/choices/:choice":         {write, "api/v1/profiles/small/options/image/choices/r", nil, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/profiles/:slug/options/:key/choices/:choice/move":      {write, "api/v1/profiles/small/options/image/choices/r/move", map[string]any{"position": 0}, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/profiles/:slug/options/:key/choices/:choice/duplicate": {write, "api/v1/profiles/small/options/image/choices/scipy/duplicate", map[string]any{"key": "scipy2"}, nil, 201, ""},
	// The example list has no settings to copy or remove: a writer gets 404.
	"PUT /services/hubprofiles/api/v1/profiles/:slug/kubespawner_override/:setting":                                 {write, "api/v1/profiles/small/kubespawner_override/init_containers", map[string]any{"from": map[string]any{"profile": "gpu"}}, nil, 404, "not_found"},
	"DELETE /services/hubprofiles/api/v1/profiles/:slug/kubespawner_override/:setting":                              {write, "api/v1/profiles/small/kubespawner_override/init_containers", nil, nil, 404, "not_found"},
	"DELETE /services/hubprofiles/api/v1/profiles/:slug/extra/:name":                                                {write, "api/v1/profiles/small/extra/x", nil, nil, 404, "not_found"},
	"PUT /services/hubprofiles/api/v1/profiles/:slug/options/:key/choices/:choice/kubespawner_override/:setting":    {write, "api/v1/profiles/small/options/image/choices/r/kubespawner_override/cmd", map[string]any{"from": map[string]any{"profile": "gpu"}}, nil, 404, "not_found"},
	"DELETE /services/hubprofiles/api/v1/profiles/:slug/options/:key/choices/:choice/kubespawner_override/:setting": {write, "api/v1/profiles/small/options/image/choices/r/kubespawner_override/cmd", nil, nil, 404, "not_found"},
	"DELETE /services/hubprofiles/api/v1/profiles/:slug/options/:key/choices/:choice/extra/:name":                   {write, "api/v1/profiles/small/options/image/choices/r/extra/x", nil, nil, 404, "not_found"},
	"PUT /services/hubprofiles/api/v1/profiles/:slug/options/:key/unlisted_choice/kubespawner_override/:setting":    {write, "api/v1/profiles/small/options/image/unlisted_choice/kubespawner_override/cmd", map[string]any{"from": map[string]any{"profile": "gpu"}}, nil, 404, "not_found"},
	"DELETE /services/hubprofiles/api/v1/profiles/:slug/options/:key/unlisted_choice/kubespawner_override/:setting": {write, "api/v1/profiles/small/options/image/unlisted_choice/kubespawner_override/cmd", nil, nil, 404, "not_found"},
	"DELETE /services/hubprofiles/api/v1/profiles/:slug/options/:key/unlisted_choice/extra/:name":                   {write, "api/v1/profiles/small/options/image/unlisted_choice/extra/x", nil, nil, 404, "not_found"},
	"GET /services/hubprofiles/api/v1/node-groups":                                                                  {read, "api/v1/node-groups", nil, nil, 200, ""},
	"GET /services/hubprofiles/api/v1/defaults":                                                                     {read, "api/v1/defaults", nil, nil, 200, ""},
	"PUT /services/hubprofiles/api/v1/defaults":                                                                     {write, "api/v1/defaults", map[string]any{"image": "spare", "default_url": "/lab"}, nil, 200, ""},
	"GET /services/hubprofiles/api/v1/effective":                                                                    {read, "api/v1/effective", nil, nil, 200, ""},
	"GET /services/hubprofiles/api/v1/node-groups/:slug":                                                            {read, "api/v1/node-groups/n2-highmem-4", nil, nil, 200, ""},
	"GET /services/hubprofiles/api/v1/revisions":                                                                    {read, "api/v1/revisions", nil, nil, 200, ""},
	"GET /services/hubprofiles/api/v1/revisions/:id":                                                                {read, "api/v1/revisions/1", nil, nil, 200, ""},
	"GET /services/hubprofiles/api/v1/revisions/:id/diff":                                                           {read, "api/v1/revisions/2/diff", nil, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/revisions/:id/publish":                                                       {write, "api/v1/revisions/2/publish", nil, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/revisions/:id/restore":                                                       {write, "api/v1/revisions/1/restore", nil, nil, 201, ""},
	"GET /services/hubprofiles/api/v1/publications":                                                                 {read, "api/v1/publications", nil, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/import":                                                                      {write, "api/v1/import", smallList, nil, 201, ""},
	"GET /services/hubprofiles/api/v1/export":                                                                       {read, "api/v1/export", nil, nil, 200, ""},
	"POST /services/hubprofiles/api/v1/validate":                                                                    {read, "api/v1/validate", smallList, nil, 200, ""},
	// The fixture configures no peer.
	"GET /services/hubprofiles/api/v1/peers":               {read, "api/v1/peers", nil, nil, 200, ""},
	"GET /services/hubprofiles/api/v1/peers/:name/compare": {read, "api/v1/peers/staging/compare", nil, nil, 404, "not_found"},
	"POST /services/hubprofiles/api/v1/promote":            {write, "api/v1/promote", map[string]any{"from": "staging", "profiles": []string{"small"}}, nil, 404, "not_found"},
	"GET /services/hubprofiles/api/v1/usage":               {read, "api/v1/usage", nil, nil, 200, ""},
}

// newMatrixFixture: identities by X-Test-As; the node groups of the config
// as revision 1 (system:config); the example list as revision 2, published;
// an unused image "spare" as revision 3.
func newMatrixFixture(t *testing.T) *client {
	t.Helper()
	c := newTestServer(t, as(byHeader{}), withInfra(matrixConfig))
	c.wantRevisions(1)
	c.seed()
	c.must(http.StatusOK, http.MethodPost, "api/v1/revisions/2/publish", nil)
	c.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "spare", "ref": rRef + "-spare"})
	c.wantRevisions(3)
	return c
}

// uiPage tells the admin pages (package ui) from the API, the feed and
// the operational routes, which this matrix covers.
func uiPage(path string) bool {
	rest, under := strings.CutPrefix(path, "/services/hubprofiles/")
	switch {
	case !under || rest == "" || strings.HasPrefix(rest, "api/v1/"):
		return false
	case rest == "profile_list" || rest == "defaults" || rest == "healthz" || rest == "metrics" || rest == "login" || rest == "oauth_callback" || rest == "logout":
		return false
	}
	return true
}

// TestAuthorizationMatrix walks every registered route: anonymous users get
// 401 from everything but the public routes, hub users without a role 403,
// viewers may read but not write, and the dev admin may do everything.
func TestAuthorizationMatrix(t *testing.T) {
	shared := newMatrixFixture(t)
	seen := map[string]bool{}
	for _, r := range shared.srv.Routes() {
		if r.Method == echo.RouteNotFound {
			continue // the API group's 404 fallback (echo Group.Use), not a route
		}
		if uiPage(r.Path) {
			continue // the admin pages have their own matrix in package ui
		}
		key := r.Method + " " + r.Path
		seen[key] = true
		if _, ok := routeSpecs[key]; !ok {
			t.Errorf("route %s is neither classified nor tested: add it to routeSpecs", key)
		}
	}
	var keys []string
	for key := range routeSpecs {
		if !seen[key] {
			t.Errorf("routeSpecs has %s, which is not a registered route", key)
		}
		keys = append(keys, key)
	}
	sort.Strings(keys)
	doc := openAPIDoc(t)

	for _, key := range keys {
		spec := routeSpecs[key]
		method, route, _ := strings.Cut(key, " ")
		t.Run(key, func(t *testing.T) {
			for _, who := range []string{"anonymous", "nobody", "viewer"} {
				revs, pubs := shared.revisions(), shared.publications()
				r := shared.do(method, spec.path, spec.body, append(slices.Clone(spec.hdr), "X-Test-As", who)...)
				switch {
				case spec.access == public:
					if r.Status != spec.dev {
						t.Errorf("%s: status %d, want %d (public)", who, r.Status, spec.dev)
					}
				case spec.access == page:
					want := map[string]int{"anonymous": http.StatusUnauthorized, "nobody": http.StatusForbidden, "viewer": spec.dev}[who]
					if r.Status != want || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
						t.Errorf("%s: page status %d (%s), want %d as HTML", who, r.Status, r.Header.Get("Content-Type"), want)
					}
				case who == "anonymous":
					e := errorOf(t, r, http.StatusUnauthorized, "unauthorized")
					if !strings.Contains(e.Error.Message, "token") {
						t.Errorf("401 message %q does not say how to authenticate", e.Error.Message)
					}
				case who == "nobody" || spec.access == write:
					e := errorOf(t, r, http.StatusForbidden, "forbidden")
					if !strings.Contains(e.Error.Message, map[string]string{"nobody": nobodyUser.Name, "viewer": viewerUser.Name}[who]) {
						t.Errorf("403 message %q does not name the user", e.Error.Message)
					}
				default: // a viewer reading
					if r.Status != spec.dev {
						t.Errorf("viewer: status %d, want %d; %s", r.Status, spec.dev, r.Body)
					}
				}
				if shared.revisions() != revs || shared.publications() != pubs {
					t.Errorf("%s %s by %s wrote something", method, spec.path, who)
				}
			}

			// The dev admin, on a fresh fixture so that writes do not
			// depend on one another.
			f := newMatrixFixture(t)
			r := f.do(method, spec.path, spec.body, spec.hdr...)
			if r.Status != spec.dev {
				t.Fatalf("dev admin: status %d, want %d; %s", r.Status, spec.dev, r.Body)
			}
			ok := r.Status < 400
			if !ok {
				errorOf(t, r, spec.dev, spec.code)
			}
			if ok && spec.access == write && f.revisions() == 2 && f.publications() == 1 {
				t.Errorf("dev admin: the write %s answered %d but wrote nothing", key, r.Status)
			}
			// A success status is one openapi.yaml documents (errors are
			// its "4XX" and "5XX" responses).
			if api, isAPI := strings.CutPrefix(route, prefix+"api/v1"); isAPI {
				op := dig(doc, "paths", openAPIPath(api), strings.ToLower(method))
				want := strconv.Itoa(r.Status)
				if !ok {
					want = strconv.Itoa(r.Status/100) + "XX"
				}
				if dig(op, "responses", want) == nil {
					t.Errorf("openapi.yaml does not document response %s for %s %s", want, method, openAPIPath(api))
				}
			}
		})
	}
}

// TestProfileListRevisionNeedsViewer: on the public listener the feed and
// ?revision= need a viewer.
func TestProfileListRevisionNeedsViewer(t *testing.T) {
	c := newMatrixFixture(t)
	for _, tc := range []struct {
		who    string
		status int
		rev    string
	}{
		{"anonymous", http.StatusUnauthorized, ""},
		{"nobody", http.StatusForbidden, ""},
		{"viewer", http.StatusOK, "3"},
		{"dev", http.StatusOK, "3"},
	} {
		r := c.do(http.MethodGet, "profile_list?revision=head", nil, "X-Test-As", tc.who)
		if r.Status != tc.status || r.Header.Get("X-Hubprofiles-Revision") != tc.rev {
			t.Errorf("%s: status %d revision %q, want %d %q", tc.who, r.Status, r.Header.Get("X-Hubprofiles-Revision"), tc.status, tc.rev)
		}
		switch tc.status {
		case http.StatusUnauthorized:
			errorOf(t, r, http.StatusUnauthorized, "unauthorized")
		case http.StatusForbidden:
			errorOf(t, r, http.StatusForbidden, "forbidden")
		}
		// The plain feed: the same people, the live revision.
		r = c.do(http.MethodGet, "profile_list", nil, "X-Test-As", tc.who)
		if want := map[int]string{http.StatusOK: "2"}[tc.status]; r.Status != tc.status || r.Header.Get("X-Hubprofiles-Revision") != want {
			t.Errorf("%s: profile_list %d revision %q, want %d %q", tc.who, r.Status, r.Header.Get("X-Hubprofiles-Revision"), tc.status, want)
		}
	}
}

// TestAnonymous: with auth.Anonymous (a server outside dev mode before
// JupyterHub login exists) the public listener answers 401 to everything
// but healthz and the API description; KubeSpawner reads its list on the
// feed listener (server's tests).
func TestAnonymous(t *testing.T) {
	c := newTestServer(t, as(auth.Anonymous{}))
	ctx := context.Background()
	src, err := profilelist.Parse(examples.ProfileList, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	// Published by another process (hubprofiles import --publish).
	if _, err := c.edit.Import(ctx, src, edit.Change{Base: edit.NoBase, Author: "system:test", Message: "seed", Publish: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Refresh(ctx); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "api/v1/images", nil},
		{http.MethodGet, "api/v1/me", nil},
		{http.MethodGet, "api/v1/revisions/1", nil},
		{http.MethodPost, "api/v1/validate", smallList},
		{http.MethodPost, "api/v1/images", map[string]any{"slug": "x", "ref": scipyRef}},
		{http.MethodPost, "api/v1/import?publish=true", smallList},
		{http.MethodPost, "api/v1/revisions/1/publish", nil},
		{http.MethodPut, "api/v1/catalog", `{"schema_version": 1}`},
		{http.MethodGet, "profile_list?revision=1", nil},
		{http.MethodGet, "profile_list", nil},
		{http.MethodGet, "defaults", nil},
		{http.MethodGet, "metrics", nil},
	} {
		errorOf(t, c.do(tc.method, tc.path, tc.body), http.StatusUnauthorized, "unauthorized")
	}
	c.wantRevisions(1)
	if c.publications() != 1 {
		t.Errorf("anonymous requests published")
	}

	for _, p := range []string{"healthz", "api/v1/openapi.yaml"} {
		c.get(p)
	}
	if r := c.do(http.MethodGet, "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("the home page for anonymous: %d, want 401", r.Status)
	}
}

func TestMe(t *testing.T) {
	c := newTestServer(t, as(byHeader{}), withInfra(accessConfig))
	for _, tc := range []struct {
		who, name, role string
		admin           bool
	}{
		{"dev", "dev-admin", "editor", true},
		{"viewer", "vera", "viewer", false},
	} {
		r := c.get("api/v1/me", "X-Test-As", tc.who)
		if str(r.JSON, "user", "name") != tc.name || str(r.JSON, "role") != tc.role || dig(r.JSON, "user", "admin") != tc.admin {
			t.Errorf("%s: me = %s, want %s, %s", tc.who, r.Body, tc.name, tc.role)
		}
	}
	errorOf(t, c.do(http.MethodGet, "api/v1/me", nil, "X-Test-As", "nobody"), http.StatusForbidden, "forbidden")
}

func TestOpenAPIServed(t *testing.T) {
	c := newTestServer(t, as(auth.Anonymous{}))
	r := c.get("api/v1/openapi.yaml")
	want, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Body) != string(want) {
		t.Errorf("GET openapi.yaml is not api/openapi.yaml")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Errorf("Content-Type %q", ct)
	}
	if got := str(openAPIDoc(t), "openapi"); !strings.HasPrefix(got, "3.") {
		t.Errorf("openapi version %q", got)
	}
}

var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// openAPIPath turns an Echo route path into an OpenAPI one: :slug → {slug}.
func openAPIPath(p string) string { return echoParam.ReplaceAllString(p, "{$1}") }

// TestOpenAPIDescribesEveryRoute: every API route is in openapi.yaml's
// paths, every path and method there is a route, and every path parameter
// is declared.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	c := newTestServer(t)
	doc := openAPIDoc(t)
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatal("openapi.yaml has no paths")
	}
	base := prefix + "api/v1"
	routes := map[string]bool{}
	for _, r := range c.srv.Routes() {
		if r.Method == echo.RouteNotFound || !strings.HasPrefix(r.Path, base+"/") {
			continue
		}
		p := openAPIPath(strings.TrimPrefix(r.Path, base))
		m := strings.ToLower(r.Method)
		routes[m+" "+p] = true
		if dig(paths, p, m) == nil {
			t.Errorf("route %s %s is not described in openapi.yaml (paths[%q].%s)", r.Method, r.Path, p, m)
		}
	}
	if len(routes) < 20 {
		t.Errorf("only %d API routes found: is the walk looking under the right prefix?", len(routes))
	}
	methods := []string{"get", "put", "post", "patch", "delete", "head", "options", "trace"}
	for p, item := range paths {
		item, _ := item.(map[string]any)
		for m, op := range item {
			if !slices.Contains(methods, m) {
				continue
			}
			if !routes[m+" "+p] {
				t.Errorf("openapi.yaml describes %s %s, which is not a route", strings.ToUpper(m), p)
			}
			declared := map[string]bool{}
			for _, params := range []any{item["parameters"], dig(op, "parameters")} {
				for _, prm := range list(params) {
					if ref := str(prm, "$ref"); ref != "" {
						prm = dig(doc, "components", "parameters", strings.TrimPrefix(ref, "#/components/parameters/"))
					}
					if str(prm, "in") == "path" {
						declared[str(prm, "name")] = true
					}
				}
			}
			for _, want := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(p, -1) {
				if !declared[want[1]] {
					t.Errorf("%s %s: path parameter %q is not declared", strings.ToUpper(m), p, want[1])
				}
			}
			if dig(op, "responses") == nil {
				t.Errorf("%s %s has no responses", strings.ToUpper(m), p)
			}
		}
	}
}
