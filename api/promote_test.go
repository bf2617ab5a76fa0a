package api_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/auth"
)

// Staging → production: two real servers on loopback, the peer (staging)
// and this hub (production), each with its own database; production reads
// staging through staging's API with the token of its config.

// peerToken is the token staging accepts.
const peerToken = "staging-token-for-production"

// tokenOnly is staging's side of the token production sends: a request
// with an Authorization header is the dev admin only with peerToken (any
// other token is nobody); one without is the dev admin (staging's own
// admin setting it up).
type tokenOnly struct{}

func (tokenOnly) Identify(c echo.Context) (*auth.User, error) {
	switch c.Request().Header.Get("Authorization") {
	case "", "token " + peerToken:
		return auth.Dev{}.Identify(c)
	}
	return nil, nil
}

// stagingAndProduction starts staging (the example list, then a tag bump, a
// new image and profile, published) and production (the example list,
// published) with staging as its peer "staging". prodInfra is added to
// production's config.
func stagingAndProduction(t *testing.T, stagingInfra, prodInfra string) (staging, prod *client) {
	t.Helper()
	staging = newTestServer(t, as(tokenOnly{}), withInfra(stagingInfra))
	staging.seed()
	staging.must(http.StatusOK, http.MethodPatch, "api/v1/images/"+scipy, map[string]any{"ref": "quay.io/jupyter/scipy-notebook:2025-07-01"})
	staging.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "julia", "display_name": "Julia", "ref": "quay.io/jupyter/julia-notebook:2025-07-01"})
	staging.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", map[string]any{"slug": "julia", "display_name": "Julia", "image": "julia"})
	staging.must(http.StatusOK, http.MethodPost, fmt.Sprintf("api/v1/revisions/%d/publish", staging.revisions()), nil)

	tokenFile := filepath.Join(t.TempDir(), "staging-token")
	if err := os.WriteFile(tokenFile, []byte(peerToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	prod = newTestServer(t, withInfra(fmt.Sprintf("peers:\n  - name: staging\n    url: %s\n    tokenFile: %s\n", staging.url, tokenFile)+prodInfra))
	prod.seed()
	prod.must(http.StatusOK, http.MethodPost, fmt.Sprintf("api/v1/revisions/%d/publish", prod.revisions()), nil)
	return staging, prod
}

// differences are a compare answer's differences by "kind slug".
func differences(r *response) map[string]any {
	out := map[string]any{}
	for _, d := range list(r.JSON, "differences") {
		out[str(d, "kind")+" "+str(d, "slug")] = d
	}
	return out
}

func TestPromoteFromPeer(t *testing.T) {
	staging, prod := stagingAndProduction(t, "", "")
	stagingLive := staging.revisions()

	peers := prod.get("api/v1/peers")
	if p := list(peers.JSON, "peers"); len(p) != 1 || str(p[0], "name") != "staging" || str(p[0], "url") != staging.url {
		t.Errorf("peers = %v", peers.JSON)
	}

	cmp := prod.get("api/v1/peers/staging/compare")
	if num(cmp.JSON, "peer_revision") != stagingLive || dig(cmp.JSON, "peer_live") != true {
		t.Errorf("compared with staging revision %v (live %v), want its live revision %d", dig(cmp.JSON, "peer_revision"), dig(cmp.JSON, "peer_live"), stagingLive)
	}
	ds := differences(cmp)
	for key, want := range map[string]string{
		"image " + scipy: "tag 2025-06-02 → 2025-07-01",
		"image julia":    `added image "julia"`,
		"profile julia":  `added profile "Julia"`,
	} {
		d, ok := ds[key]
		if !ok || !strings.Contains(fmt.Sprint(dig(d, "lines")), want) {
			t.Errorf("%s: %v, want a line with %q", key, d, want)
		}
	}
	if len(ds) != 3 {
		t.Errorf("%d differences, want 3: %v", len(ds), ds)
	}

	// Take only the new profile: it brings its image, not the tag bump.
	revs, pubs := prod.revisions(), prod.publications()
	r := prod.must(http.StatusCreated, http.MethodPost, "api/v1/promote",
		map[string]any{"from": "staging", "revision": fmt.Sprint(stagingLive), "profiles": []string{"julia"}, "message": "Julia for the course"},
		"If-Match", etag(t, cmp))
	if got, want := str(r.JSON, "revision", "message"), fmt.Sprintf("promote from staging revision %d: Julia for the course", stagingLive); got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if dig(r.JSON, "revision", "live") != false || prod.publications() != pubs || prod.revisions() != revs+1 {
		t.Errorf("promote must write one draft revision and publish nothing: %v", r.JSON)
	}
	if took := fmt.Sprint(dig(r.JSON, "took")); !strings.Contains(took, `profile "julia"`) || !strings.Contains(took, `image "julia"`) {
		t.Errorf("took %s, want the profile and the image it uses", took)
	}
	head := prod.get("api/v1/catalog")
	if im := prod.get("api/v1/images/" + scipy); str(im.JSON, "ref") != scipyRef {
		t.Errorf("the tag bump was not ticked but production's %s is now %s", scipy, str(im.JSON, "ref"))
	}
	var slugs []string
	for _, p := range list(head.JSON, "profiles") {
		slugs = append(slugs, str(p, "slug"))
	}
	if !slices.Contains(slugs, "julia") {
		t.Errorf("production's head profiles %v lack julia", slugs)
	}
	// What is left to take is the tag bump alone.
	if ds := differences(prod.get("api/v1/peers/staging/compare")); len(ds) != 1 || ds["image "+scipy] == nil {
		t.Errorf("after the promotion the differences are %v, want only the tag bump", ds)
	}
	// The draft publishes the usual way.
	prod.must(http.StatusOK, http.MethodPost, fmt.Sprintf("api/v1/revisions/%d/publish", num(r.JSON, "revision", "id")), nil)
	if !strings.Contains(string(prod.get("profile_list").Body), "julia-notebook:2025-07-01") {
		t.Error("the published promotion is not in production's profile_list")
	}
}

func TestPromoteRefusals(t *testing.T) {
	// Staging lets editors write anything, and allows any registry;
	// production allows quay.io only and keeps the default editorOverrides.
	staging, prod := stagingAndProduction(t, "policy:\n  editorOverrides: [\"*\"]\n", "policy:\n  allowedRegistries: [quay.io]\n")
	staging.must(http.StatusCreated, http.MethodPost, "api/v1/images", map[string]any{"slug": "hub-image", "ref": "docker.io/library/python:3.13"})
	staging.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", map[string]any{"slug": "dockerhub", "display_name": "Docker Hub", "image": "hub-image"})
	staging.must(http.StatusCreated, http.MethodPost, "api/v1/profiles", map[string]any{"slug": "root", "display_name": "Root",
		"kubespawner_override": map[string]any{"uid": 0}})
	revs := prod.revisions()

	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
		want   string // in the message or a field
	}{
		{"registry outside policy", map[string]any{"from": "staging", "revision": "head", "profiles": []string{"dockerhub"}}, 422, "invalid", "docker.io"},
		{"setting outside editorOverrides", map[string]any{"from": "staging", "revision": "head", "profiles": []string{"root"}}, 422, "invalid", "kubespawner_override.uid: editors may not add or change this setting"},
		{"unknown peer", map[string]any{"from": "qa", "profiles": []string{"julia"}}, 404, "not_found", `peer "qa"`},
		{"nothing selected", map[string]any{"from": "staging"}, 422, "invalid", "nothing is selected"},
		{"a slug neither has", map[string]any{"from": "staging", "profiles": []string{"nowhere"}}, 404, "not_found", `profile "nowhere"`},
		{"bad revision", map[string]any{"from": "staging", "revision": "latest", "profiles": []string{"julia"}}, 400, "bad_request", `not "latest"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := errorOf(t, prod.do(http.MethodPost, "api/v1/promote", tt.body), tt.status, tt.code)
			if all := e.Error.Message + fmt.Sprint(e.Error.Fields); !strings.Contains(all, tt.want) {
				t.Errorf("error %s, want it to say %q", all, tt.want)
			}
		})
	}
	if prod.revisions() != revs {
		t.Errorf("refused promotions wrote %d revision(s)", prod.revisions()-revs)
	}
}

func TestPromoteFromAnUnreadablePeer(t *testing.T) {
	// A port nothing listens on: taken, then closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/services/hubprofiles/"
	ln.Close()
	staging := newTestServer(t, as(tokenOnly{}))
	staging.seed()
	staging.must(http.StatusOK, http.MethodPost, "api/v1/revisions/1/publish", nil)
	dir := t.TempDir()
	good, wrong := filepath.Join(dir, "good"), filepath.Join(dir, "wrong")
	os.WriteFile(good, []byte(peerToken), 0o600)
	os.WriteFile(wrong, []byte("not-the-token"), 0o600)
	prod := newTestServer(t, withInfra(fmt.Sprintf(`peers:
  - {name: gone, url: %q, tokenFile: %q}
  - {name: wrong-token, url: %q, tokenFile: %q}
  - {name: no-token-file, url: %q, tokenFile: %q}
  - {name: not-hubprofiles, url: %q, tokenFile: %q}
`, closed, good, staging.url, wrong, staging.url, filepath.Join(dir, "missing"), staging.root+"/elsewhere/", good)))
	prod.seed()
	revs := prod.revisions()
	for name, want := range map[string]string{
		"gone":            "unreachable",
		"wrong-token":     "401 Unauthorized",
		"no-token-file":   "reading its token file",
		"not-hubprofiles": "404 Not Found",
	} {
		t.Run(name, func(t *testing.T) {
			e := errorOf(t, prod.do(http.MethodGet, "api/v1/peers/"+name+"/compare", nil), http.StatusBadGateway, "peer_unavailable")
			if !strings.Contains(e.Error.Message, "peer "+name) || !strings.Contains(e.Error.Message, want) {
				t.Errorf("compare: %q, want it to name the peer and say %q", e.Error.Message, want)
			}
			e = errorOf(t, prod.do(http.MethodPost, "api/v1/promote", map[string]any{"from": name, "profiles": []string{"small"}}), http.StatusBadGateway, "peer_unavailable")
			if !strings.Contains(e.Error.Message, want) {
				t.Errorf("promote: %q, want %q", e.Error.Message, want)
			}
		})
	}
	if prod.revisions() != revs {
		t.Errorf("promotions from unreadable peers wrote %d revision(s)", prod.revisions()-revs)
	}
}
