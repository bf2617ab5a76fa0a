package api_test

// The harness: every API test runs against the real router (server.New, the
// same one `hubprofiles serve` mounts) over real HTTP, on a real SQLite file
// in t.TempDir(), under a non-root prefix so that prefix handling is proven
// by every request.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/jupyterhub/hubprofiles/internal/testserver"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/store"
	"github.com/jupyterhub/hubprofiles/usage"
)

// prefix is where the tests mount the service, as JupyterHub does.
const prefix = "/services/hubprofiles/"

// testConfig is what newTestServer builds from.
type testConfig struct {
	identify auth.Identifier
	infra    string // infrastructure config YAML
	usage    *usage.Watcher
	database string // an SQLite file to serve; "" for a fresh one
}

type option func(*testConfig)

// as makes every request come from the identity id.
func as(id auth.Identifier) option { return func(c *testConfig) { c.identify = id } }

// withInfra sets the infrastructure config (YAML, as --config reads it).
func withInfra(yaml string) option { return func(c *testConfig) { c.infra = yaml } }

// withUsage gives the server who uses what from w.
func withUsage(w *usage.Watcher) option { return func(c *testConfig) { c.usage = w } }

// withDatabase serves an existing SQLite file instead of a fresh one.
func withDatabase(path string) option { return func(c *testConfig) { c.database = path } }

// userIdentity logs everyone in as one given user (for viewers and
// non-admin users, which package auth does not provide yet).
type userIdentity struct{ user auth.User }

func (u userIdentity) Identify(echo.Context) (*auth.User, error) {
	user := u.user
	return &user, nil
}

// byHeader picks the identity per request from the X-Test-As header:
// "anonymous" (auth.Anonymous), "viewer" (a member of the viewer group
// "staff"), "nobody" (a hub user with no role here); anything else is the dev
// admin (auth.Dev). For tests that compare identities on one database.
type byHeader struct{}

// The users byHeader knows.
var (
	viewerUser = auth.User{Name: "vera", Groups: []string{"staff"}}
	nobodyUser = auth.User{Name: "noah", Groups: []string{"students"}}
)

// accessConfig makes the "staff" group viewers.
const accessConfig = "access:\n  viewerGroups: [staff]\n"

func (byHeader) Identify(c echo.Context) (*auth.User, error) {
	switch c.Request().Header.Get("X-Test-As") {
	case "anonymous":
		return auth.Anonymous{}.Identify(c)
	case "viewer":
		return userIdentity{viewerUser}.Identify(c)
	case "nobody":
		return userIdentity{nobodyUser}.Identify(c)
	}
	return auth.Dev{}.Identify(c)
}

// client talks to one test server.
type client struct {
	t     *testing.T
	root  string // the server's URL
	url   string // the server's URL including the prefix
	srv   *server.Server
	edit  *edit.Editor
	store *store.Store
	http  *http.Client
	logs  *testserver.Log
	ts    *testserver.Server
}

// newTestServer starts the real router on a fresh SQLite file. By default
// everyone is the dev admin and the infrastructure config is empty.
func newTestServer(t *testing.T, opts ...option) *client {
	t.Helper()
	cfg := testConfig{identify: auth.Dev{}}
	for _, o := range opts {
		o(&cfg)
	}
	ts := testserver.Start(t, testserver.Options{Prefix: prefix, Infra: cfg.infra, Identify: cfg.identify, Usage: cfg.usage, LogLevel: slog.LevelDebug, Database: cfg.database})
	return &client{t: t, root: ts.URL, url: ts.URL + prefix, srv: ts.Srv, edit: ts.Edit, store: ts.Store, http: ts.HTTP, logs: ts.Logs, ts: ts}
}

// response is what the server answered.
type response struct {
	Path   string // as requested, relative to the prefix
	Status int
	Header http.Header
	Body   []byte
	JSON   any // the body decoded with encoding/json, nil unless it is JSON
}

// do sends a request to path (relative to the prefix, e.g. "api/v1/images";
// a path starting with / is relative to the server's root).
// body is nil, a string or []byte sent as is, or a value sent as JSON.
// hdr are header name, value pairs.
func (c *client) do(method, path string, body any, hdr ...string) *response {
	c.t.Helper()
	r, err := c.try(method, path, body, hdr...)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (c *client) try(method, path string, body any, hdr ...string) (*response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b // sent chunked: no Content-Length
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	url := c.url + path
	if strings.HasPrefix(path, "/") {
		url = c.root + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	out := &response{Path: path, Status: res.StatusCode, Header: res.Header, Body: data}
	checkAgainstSpec(c.t, method, path, res.StatusCode, res.Header, data)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(data) > 0 {
		if err := json.Unmarshal(data, &out.JSON); err != nil {
			return nil, fmt.Errorf("the body is not JSON (%v): %s", err, data)
		}
	}
	return out, nil
}

// must sends a request and fails the test unless the status is want.
func (c *client) must(want int, method, path string, body any, hdr ...string) *response {
	c.t.Helper()
	r := c.do(method, path, body, hdr...)
	if r.Status != want {
		c.t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// get is a GET that must answer 200.
func (c *client) get(path string, hdr ...string) *response {
	c.t.Helper()
	return c.must(http.StatusOK, http.MethodGet, path, nil, hdr...)
}

// revisions is how many revisions the database holds.
func (c *client) revisions() int64 { return c.ts.Revisions(c.t) }

// publications is how many publications the database holds.
func (c *client) publications() int { return c.ts.Publications(c.t) }

// apiError is the body of every error response, decoded strictly: a key
// outside the documented shape fails the test.
type apiError struct {
	Error struct {
		Code    string       `json:"code"`
		Message string       `json:"message"`
		Fields  []errorField `json:"fields"`
		Head    int64        `json:"head"`
		Changes []struct {
			Path string `json:"path"`
			Op   string `json:"op"`
			From any    `json:"from"`
			To   any    `json:"to"`
		} `json:"changes"`
	} `json:"error"`
}

type errorField struct {
	Path     string `json:"path"`
	Message  string `json:"message"`
	Severity string `json:"severity"`
}

// errorOf checks that r is an error response with the given status and code,
// in the documented shape, and returns it.
func errorOf(t *testing.T, r *response, status int, code string) apiError {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %q, want application/json", ct)
	}
	var e apiError
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body %s is not {\"error\": {code, message, fields, head, changes}}: %v", r.Body, err)
	}
	if e.Error.Code != code {
		t.Errorf("error code %q, want %q (message %q)", e.Error.Code, code, e.Error.Message)
	}
	if e.Error.Message == "" {
		t.Errorf("error %q has no message", e.Error.Code)
	}
	if strings.HasPrefix(r.Path, "api/v1/") && !slices.Contains(documentedErrorCodes(t), e.Error.Code) {
		t.Errorf("error code %q is not in openapi.yaml's Error.code enum %v", e.Error.Code, documentedErrorCodes(t))
	}
	for _, f := range e.Error.Fields {
		if f.Path == "" && f.Message == "" {
			t.Errorf("empty field in %s", r.Body)
		}
	}
	return e
}

// fieldPaths lists the paths of an error's fields.
func (e apiError) fieldPaths() []string {
	var out []string
	for _, f := range e.Error.Fields {
		out = append(out, f.Path)
	}
	return out
}

// hasField reports whether the error has a field at path whose message
// contains substr.
func (e apiError) hasField(path, substr string) bool {
	for _, f := range e.Error.Fields {
		if f.Path == path && strings.Contains(f.Message, substr) {
			return true
		}
	}
	return false
}

// openAPIDoc is api/openapi.yaml, parsed.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

var errorCodes struct {
	once  sync.Once
	codes []string
}

// documentedErrorCodes is the enum of error codes openapi.yaml promises.
func documentedErrorCodes(t *testing.T) []string {
	t.Helper()
	errorCodes.once.Do(func() {
		doc := openAPIDoc(t)
		enum := dig(doc, "components", "schemas", "Error", "properties", "error", "properties", "code", "enum")
		for _, v := range enum.([]any) {
			errorCodes.codes = append(errorCodes.codes, v.(string))
		}
	})
	return errorCodes.codes
}

// dig walks decoded JSON or YAML by object keys and array indexes (ints).
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k < 0 || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// str is dig for a string; num for a number (as encoding/json decodes it).
func str(v any, path ...any) string {
	s, _ := dig(v, path...).(string)
	return s
}

func num(v any, path ...any) int64 {
	f, _ := dig(v, path...).(float64)
	return int64(f)
}

// list is dig for an array.
func list(v any, path ...any) []any {
	a, _ := dig(v, path...).([]any)
	return a
}

// orderedJSON decodes a body keeping key order, for order-sensitive checks.
func orderedJSON(t *testing.T, data []byte) any {
	t.Helper()
	v, err := ordered.DecodeJSON(data, 128)
	if err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return v
}

// sameOrderedJSON reports whether a and b are equal as JSON with the key
// order of every object significant too.
func sameOrderedJSON(a, b any) bool {
	if !ordered.Equal(a, b) {
		return false
	}
	switch x := a.(type) {
	case *ordered.Map:
		y := b.(*ordered.Map)
		if !slices.Equal(x.Keys(), y.Keys()) {
			return false
		}
		for _, k := range x.Keys() {
			xv, _ := x.Get(k)
			yv, _ := y.Get(k)
			if !sameOrderedJSON(xv, yv) {
				return false
			}
		}
	case []any:
		y := b.([]any)
		for i := range x {
			if !sameOrderedJSON(x[i], y[i]) {
				return false
			}
		}
	}
	return true
}

// etag is the revision an ETag names: `"12"` is 12.
func etag(t *testing.T, r *response) string {
	t.Helper()
	e := r.Header.Get("ETag")
	if e == "" {
		t.Fatalf("no ETag in the response (status %d): %s", r.Status, r.Body)
	}
	return e
}
