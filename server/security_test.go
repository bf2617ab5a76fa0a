package server_test

// Security tests of issue 11/12 item 4 ("the feeds are public on the
// internet"): what each listener serves, and to whom.

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/infra"
)

// roleByHeader identifies requests by their X-Test-As header: "viewer" (a
// member of the viewer group), "nobody" (a hub user without a role),
// anything else anonymous. The real JupyterHub login is auth's tests'.
type roleByHeader struct{}

func (roleByHeader) Identify(c echo.Context) (*auth.User, error) {
	switch c.Request().Header.Get("X-Test-As") {
	case "viewer":
		return &auth.User{Name: "vera", Groups: []string{"staff"}}, nil
	case "nobody":
		return &auth.User{Name: "nico", Groups: []string{"students"}}, nil
	}
	return nil, nil
}

func newSecurityServer(t *testing.T) *testServer {
	t.Helper()
	s := newServer(t, roleByHeader{}, prefix)
	if _, err := s.edit.SetConfig(t.Context(), &infra.Config{Access: infra.Access{ViewerGroups: []string{"staff"}}}); err != nil {
		t.Fatal(err)
	}
	s.publish(nil)
	return s
}

// TestSecurityAnonymousFeedsAreRefusedOnThePublicListener: through the
// hub's proxy, profile_list (every group's profiles, allowed_groups,
// images), defaults and metrics answer only a viewer; healthz stays open
// (the liveness probe) and says nothing but the state.
func TestSecurityAnonymousFeedsAreRefusedOnThePublicListener(t *testing.T) {
	s := newSecurityServer(t)
	for _, path := range []string{"profile_list", "defaults", "metrics", "profile_list?revision=head"} {
		res, body := s.get(prefix + path)
		wantError(t, res, body, http.StatusUnauthorized, "unauthorized")
		if strings.Contains(string(body), "display_name") || strings.Contains(string(body), "hubprofiles_") {
			t.Errorf("%s: the 401 carries data: %s", path, body)
		}
		res, body = s.get(prefix+path, "X-Test-As", "nobody")
		wantError(t, res, body, http.StatusForbidden, "forbidden")
		if res, body := s.get(prefix+path, "X-Test-As", "viewer"); res.StatusCode != http.StatusOK {
			t.Errorf("%s for a viewer: %d %s", path, res.StatusCode, body)
		}
	}
	res, body := s.get(prefix + "healthz")
	if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"live_revision":1,"status":"ok"}` {
		t.Errorf("healthz anonymous: %d %s", res.StatusCode, body)
	}
}

// TestSecurityFeedListenerServesOnlyTheFeedsWithoutLogin: the listener the
// hub's module reads answers with no login, but only profile_list,
// defaults, healthz and metrics: no API, no pages, no login routes, and no
// preview of unpublished revisions.
func TestSecurityFeedListenerServesOnlyTheFeedsWithoutLogin(t *testing.T) {
	s := newSecurityServer(t)
	var routes []string
	for _, r := range s.srv.FeedRoutes() {
		if r.Method != echo.RouteNotFound {
			routes = append(routes, r.Method+" "+r.Path)
		}
	}
	sort.Strings(routes)
	want := []string{"GET " + prefix + "defaults", "GET " + prefix + "healthz", "GET " + prefix + "metrics", "GET " + prefix + "profile_list"}
	if strings.Join(routes, ",") != strings.Join(want, ",") {
		t.Errorf("feed listener routes %v, want exactly %v", routes, want)
	}
	for _, path := range []string{"profile_list", "defaults", "metrics", "healthz"} {
		if res, body := s.getFeed(prefix + path); res.StatusCode != http.StatusOK {
			t.Errorf("%s on the feed listener: %d %s, want 200 with no login", path, res.StatusCode, body)
		}
	}
	res, body := s.getFeed(prefix + "profile_list?revision=head")
	wantError(t, res, body, http.StatusUnauthorized, "unauthorized")
	for _, path := range []string{"", "api/v1/catalog", "api/v1/revisions", "api/v1/openapi.yaml", "history", "login", "static/style.css"} {
		if res, _ := s.getFeed(prefix + path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s on the feed listener: %d, want 404", path, res.StatusCode)
		}
	}
}
