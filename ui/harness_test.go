package ui_test

// The harness: every page test goes through the real router (server.New,
// the one `hubprofiles serve` mounts) over real HTTP, on a real SQLite file
// in t.TempDir(), under the service prefix JupyterHub gives, so that prefix
// handling is proven by every request. Pages are read with goquery, the way
// a browser would see them.

import (
	"bytes"
	"context"
	"fmt"
	"github.com/jupyterhub/hubprofiles/internal/testserver"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/store"
)

// prefix is where the tests mount the service, as JupyterHub does.
const prefix = "/services/hubprofiles/"

// infraConfig: "staff" are viewers; two node groups with a known capacity
// (the size generator needs allocatable memory).
const infraConfig = `access:
  viewerGroups: [staff]
nodeGroups:
  - slug: n2-highmem-4
    displayName: "n2-highmem-4: 4 CPU, 32 GB"
    nodeSelector: {node.kubernetes.io/instance-type: n2-highmem-4}
    allocatable: {cpu: 4, memory: 32Gi}
  - slug: gpu-t4
    displayName: "One NVIDIA T4"
    nodeSelector: {cloud.google.com/gke-accelerator: nvidia-tesla-t4}
    tolerations:
      - {key: nvidia.com/gpu, operator: Equal, value: present, effect: NoSchedule}
    allocatable: {cpu: 3.5, memory: 24G, gpu: 1}
`

// The users byHeader knows besides the dev admin.
var (
	viewerUser = auth.User{Name: "vera", Groups: []string{"staff"}}
	nobodyUser = auth.User{Name: "noah", Groups: []string{"students"}}
)

// byHeader picks the identity per request from the X-Test-As header:
// "anonymous" (auth.Anonymous), "viewer" (a member of the viewer group
// "staff"), "nobody" (a hub user with no role here), "session" (the dev
// admin as a session cookie identifies a user: with sessionToken as its
// CSRF token); anything else is the dev admin (auth.Dev).
type byHeader struct{}

// sessionToken is the CSRF token of the "session" identity.
const sessionToken = "s3ss10n-csrf-t0ken"

// csrfContextKey is where auth.Hub.Identify leaves a session's CSRF token
// for auth.CheckCSRF and auth.CSRFToken (auth/hub.go, csrfKey): a cookie
// session cannot be built outside package auth without a hub.
const csrfContextKey = "hubprofiles.csrf"

func (byHeader) Identify(c echo.Context) (*auth.User, error) {
	var u auth.User
	switch c.Request().Header.Get("X-Test-As") {
	case "anonymous":
		return auth.Anonymous{}.Identify(c)
	case "viewer":
		u = viewerUser
	case "nobody":
		u = nobodyUser
	case "session":
		c.Set(csrfContextKey, sessionToken)
		return auth.Dev{}.Identify(c)
	default:
		return auth.Dev{}.Identify(c)
	}
	return &u, nil
}

// client talks to one test server.
type client struct {
	t     testing.TB
	url   string // the server's URL including the prefix
	srv   *server.Server
	edit  *edit.Editor
	store *store.Store
	http  *http.Client
	logs  *testserver.Log
	ts    *testserver.Server
}

// newTestServer starts the real router on a fresh SQLite file with
// infraConfig (recorded as revision 1 by system:config), identities by
// X-Test-As (the dev admin by default), and no registry checker.
func newTestServer(t testing.TB) *client {
	t.Helper()
	return newTestServerWith(t, nil, byHeader{})
}

// newTestServerWith is newTestServer with a registry checker (nil: none)
// and an identifier of the test's.
func newTestServerWith(t testing.TB, images *registry.Checker, id auth.Identifier) *client {
	t.Helper()
	return newTestServerFrom(t, testserver.Options{Prefix: prefix, Infra: infraConfig, Identify: id, Images: images, LogLevel: slog.LevelWarn})
}

// newTestServerFrom starts a test server with o.
func newTestServerFrom(t testing.TB, o testserver.Options) *client {
	t.Helper()
	ts := testserver.Start(t, o)
	return &client{t: t, url: ts.URL + prefix, srv: ts.Srv, edit: ts.Edit, store: ts.Store, http: ts.HTTP, logs: ts.Logs, ts: ts}
}

// newFixture is newTestServer with the example list imported (revision 2,
// published, so it is live), then an unused image "spare" added (revision
// 3, the draft head). The example list gives two profiles: "small" (the
// default, with an option "image" of two choices and a free-text field)
// and "gpu" (a GPU node selector).
func newFixture(t testing.TB) *client {
	t.Helper()
	c := newTestServer(t)
	ctx := context.Background()
	src, err := profilelist.Parse(examples.ProfileList, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.edit.Import(ctx, src, edit.Change{Base: edit.NoBase, Author: "alice", Message: "import the example list", Publish: true}); err != nil {
		t.Fatalf("importing the example list: %v", err)
	}
	if _, err := c.edit.Commit(ctx, edit.Change{Base: edit.NoBase, Author: "bob", Message: "add a spare image",
		Apply: func(cat *model.Catalog) error {
			return cat.AddImage(model.Image{Slug: "spare", DisplayName: "Spare", Ref: "quay.io/jupyter/base-notebook:2025-06-02"})
		}}); err != nil {
		t.Fatalf("adding the spare image: %v", err)
	}
	c.wantRevisions(3)
	return c
}

// response is what the server answered, with the body parsed as HTML.
type response struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         []byte
	doc          *goquery.Document
}

// Doc is the body as an HTML document (a fragment is parsed into <body>).
func (r *response) Doc() *goquery.Document {
	if r.doc == nil {
		d, err := goquery.NewDocumentFromReader(bytes.NewReader(r.Body))
		if err != nil {
			panic(err)
		}
		r.doc = d
	}
	return r.doc
}

// Find is r.Doc().Find.
func (r *response) Find(sel string) *goquery.Selection { return r.Doc().Find(sel) }

// text is the text of the first match of sel as textOf gives it.
func (r *response) text(sel string) string { return textOf(r.Find(sel).First()) }

// textOf is the text of s as a reader sees it: a <br> is a space, and runs
// of white space are one space.
func textOf(s *goquery.Selection) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && n.Data == "br":
			b.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range s.Nodes {
		walk(n)
	}
	return squash(b.String())
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// location is the Location header relative to the prefix.
func (r *response) location() string {
	l := r.Header.Get("Location")
	if rest, ok := strings.CutPrefix(l, prefix); ok {
		return rest
	}
	return l
}

// do sends a request to path (relative to the prefix). body is nil, a
// url.Values sent as a form, or a *multipartBody. hdr are header name,
// value pairs.
func (c *client) do(method, path string, body any, hdr ...string) *response {
	c.t.Helper()
	var (
		rd io.Reader
		ct string
	)
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case *multipartBody:
		rd, ct = bytes.NewReader(b.buf.Bytes()), b.contentType
	default:
		c.t.Fatalf("do: unknown body type %T", body)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &response{Method: method, Path: path, Status: res.StatusCode, Header: res.Header, Body: data}
}

// must sends a request and fails the test unless the status is want.
func (c *client) must(want int, method, path string, body any, hdr ...string) *response {
	c.t.Helper()
	r := c.do(method, path, body, hdr...)
	if r.Status != want {
		c.t.Fatalf("%s %s: status %d, want %d; body:\n%s", method, path, r.Status, want, r.Body)
	}
	return r
}

// get is a GET that must answer 200.
func (c *client) get(path string, hdr ...string) *response {
	c.t.Helper()
	return c.must(http.StatusOK, http.MethodGet, path, nil, hdr...)
}

// post is a form POST.
func (c *client) post(want int, path string, form url.Values, hdr ...string) *response {
	c.t.Helper()
	return c.must(want, http.MethodPost, path, form, hdr...)
}

// htmx is the header an htmx request carries.
var htmx = []string{"HX-Request", "true"}

// multipartBody is a multipart/form-data request body.
type multipartBody struct {
	buf         bytes.Buffer
	contentType string
}

// multipartForm encodes fields and files (field name → file content).
func multipartForm(t testing.TB, fields url.Values, files map[string]string) *multipartBody {
	t.Helper()
	b := &multipartBody{}
	w := multipart.NewWriter(&b.buf)
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, content := range files {
		fw, err := w.CreateFormFile(name, name+".yaml")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(fw, content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b.contentType = w.FormDataContentType()
	return b
}

// revisions is how many revisions the database holds.
func (c *client) revisions() int64 { return c.ts.Revisions(c.t) }

// wantRevisions fails unless the database holds n revisions.
func (c *client) wantRevisions(n int64) {
	c.t.Helper()
	if got := c.revisions(); got != n {
		c.t.Fatalf("the database holds %d revisions, want %d", got, n)
	}
}

// publications is how many publications the database holds.
func (c *client) publications() int { return c.ts.Publications(c.t) }

// head is the draft head: its revision and catalog.
func (c *client) head() *edit.State {
	c.t.Helper()
	st, err := c.edit.Head(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

// profile is a profile of the head, or fails the test.
func (c *client) profile(slug string) *model.Profile {
	c.t.Helper()
	cat := c.head().Catalog
	i := cat.ProfileIndex(slug)
	if i < 0 {
		c.t.Fatalf("the head has no profile %q", slug)
	}
	return &cat.Profiles[i]
}

// liveID is the revision that is live (0: none).
func (c *client) liveID() int64 {
	c.t.Helper()
	p, _, err := c.store.Live(context.Background())
	if err != nil {
		return 0
	}
	return p.RevisionID
}

// byID selects the element whose id is id (ids here contain dots, which
// a #id selector would read as classes).
func byID(id string) string { return `[id="` + id + `"]` }

// byName selects the form controls named name.
func byName(name string) string { return `[name="` + name + `"]` }

// formValues is what a browser without JavaScript submits for form: every
// named input, select and textarea (checkboxes and radios when checked, a
// select's selected option or its first), plus the submitter's name=value.
func formValues(form *goquery.Selection, submitName, submitValue string) url.Values {
	v := url.Values{}
	form.Find("input[name], select[name], textarea[name]").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		if _, disabled := s.Attr("disabled"); disabled {
			return
		}
		switch goquery.NodeName(s) {
		case "textarea":
			// The HTML parser drops one leading newline; so does a browser.
			v.Add(name, s.Text())
		case "select":
			opt := s.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = s.Find("option").First()
			}
			val, ok := opt.Attr("value")
			if !ok {
				val = opt.Text()
			}
			v.Add(name, val)
		default:
			typ := strings.ToLower(s.AttrOr("type", "text"))
			switch typ {
			case "checkbox", "radio":
				if _, ok := s.Attr("checked"); ok {
					v.Add(name, s.AttrOr("value", "on"))
				}
			case "submit", "button", "image", "reset", "file":
			default:
				v.Add(name, s.AttrOr("value", ""))
			}
		}
	})
	if submitName != "" {
		v.Set(submitName, submitValue)
	}
	return v
}

// form is a form of name, value pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// sameCatalog reports whether two catalogs are the same document as JSON
// (object keys in any order: the editor writes the typed resource fields
// of a kubespawner_override first, whatever the order they were read in).
func sameCatalog(a, b *model.Catalog) bool {
	return ordered.Equal(edit.CatalogValue(a), edit.CatalogValue(b))
}

// sameJSON reports whether two JSON documents are equal (keys in any order).
func sameJSON(t testing.TB, a, b []byte) bool {
	t.Helper()
	x, err1 := ordered.DecodeJSON(a, 128)
	y, err2 := ordered.DecodeJSON(b, 128)
	if err1 != nil || err2 != nil {
		t.Fatalf("not JSON: %v, %v", err1, err2)
	}
	return ordered.Equal(x, y)
}

// catalogDiff says how b differs from a, one change a line.
func catalogDiff(a, b *model.Catalog) string {
	var lines []string
	for _, ch := range ordered.Diff(edit.CatalogValue(a), edit.CatalogValue(b)) {
		lines = append(lines, fmt.Sprintf("%s %s: %v → %v", ch.Path, ch.Op, ch.From, ch.To))
	}
	return strings.Join(lines, "\n")
}

// withoutEmptyOverrides is a copy of c whose empty kubespawner_overrides
// are none (nil).
func withoutEmptyOverrides(c *model.Catalog) *model.Catalog {
	out := *c
	out.Profiles = slices.Clone(c.Profiles)
	for i := range out.Profiles {
		p := &out.Profiles[i]
		if p.Override != nil && p.Override.Len() == 0 {
			p.Override = nil
		}
		p.Options = slices.Clone(p.Options)
		for j := range p.Options {
			o := &p.Options[j]
			o.Choices = slices.Clone(o.Choices)
			for k := range o.Choices {
				if ov := o.Choices[k].Override; ov != nil && ov.Len() == 0 {
					o.Choices[k].Override = nil
				}
			}
		}
	}
	return &out
}
