package auth

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/infra"
)

func TestRoleOf(t *testing.T) {
	a := infra.Access{EditorGroups: []string{"hub-editors"}, ViewerGroups: []string{"staff"}}
	tests := []struct {
		u    *User
		want Role
	}{
		{nil, None},
		{&User{Name: "alice", Admin: true}, Editor},
		{&User{Name: "dave", Groups: []string{"x", "hub-editors"}}, Editor},
		{&User{Name: "bob", Groups: []string{"staff"}}, Viewer},
		{&User{Name: "carol"}, None},
	}
	for _, tt := range tests {
		if got := RoleOf(tt.u, a); got != tt.want {
			t.Errorf("RoleOf(%+v) = %v, want %v", tt.u, got, tt.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	p := "/services/hubprofiles/"
	for in, want := range map[string]string{
		"":                                      p,
		"/services/hubprofiles/profiles?x=1":    "/services/hubprofiles/profiles?x=1",
		"https://evil.example/":                 p,
		"//evil.example/services/hubprofiles":   p,
		"/services/hubprofiles/../../hub/admin": p,
		"/hub/admin":                            p,
		"/services/hubprofiles/\\evil":          p,
		"/services/hubprofilesX/":               p,
	} {
		if got := SafeNext(in, p); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func identify(t *testing.T, h *Hub, cookieValue string) *User {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/services/hubprofiles/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookieValue})
	c := echo.New().NewContext(req, httptest.NewRecorder())
	u, err := h.Identify(c)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSessionCookies(t *testing.T) {
	h := NewHub(HubConfig{APIURL: "http://127.0.0.1:1/hub/api"}, []byte("0123456789abcdef0123456789abcdef"), "/services/hubprofiles/", nil)
	now := time.Now()
	live := h.sessions.add(session{user: User{Name: "alice", Admin: true}, csrf: "c", expires: now.Add(time.Hour), checked: now}, now)
	good, _ := h.signer.sign(sessionRef{ID: live})
	if u := identify(t, h, good); u == nil || u.Name != "alice" || !u.Admin {
		t.Fatalf("a valid session gives %+v", u)
	}
	old := h.sessions.add(session{user: User{Name: "alice", Admin: true}, expires: now.Add(-time.Minute), checked: now}, now)
	expired, _ := h.signer.sign(sessionRef{ID: old})
	unknown, _ := h.signer.sign(sessionRef{ID: randomToken()}) // ended, or from before a restart
	other := signer{key: []byte("another key of thirty-two bytes!")}
	forged, _ := other.sign(sessionRef{ID: live})
	tampered := good[:len(good)-2] + "AA"
	for name, v := range map[string]string{"expired": expired, "unknown": unknown, "forged": forged, "tampered": tampered, "garbage": "x.y", "empty": ""} {
		if u := identify(t, h, v); u != nil {
			t.Errorf("%s cookie identified %+v", name, u)
		}
	}
}

func TestCheckCSRF(t *testing.T) {
	tests := []struct {
		method, session, header string
		ok                      bool
	}{
		{http.MethodGet, "tok", "", true},
		{http.MethodPost, "", "", true}, // no cookie session: a token or dev request
		{http.MethodPost, "tok", "", false},
		{http.MethodPost, "tok", "wrong", false},
		{http.MethodDelete, "tok", "tok", true},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(tt.method, "/", nil)
		if tt.header != "" {
			req.Header.Set("X-CSRF-Token", tt.header)
		}
		c := echo.New().NewContext(req, httptest.NewRecorder())
		if tt.session != "" {
			c.Set(csrfKey, tt.session)
		}
		if err := CheckCSRF(c); (err == nil) != tt.ok {
			t.Errorf("%s with session %q header %q: err = %v", tt.method, tt.session, tt.header, err)
		}
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "session.key")
	k1, err := LoadOrCreateKey("", file)
	if err != nil || len(k1) != 32 {
		t.Fatalf("created key %x, %v", k1, err)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	k2, err := LoadOrCreateKey("", file)
	if err != nil || string(k1) != string(k2) {
		t.Error("the key is not kept across restarts")
	}
	if _, err := LoadOrCreateKey("short", file); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestServiceName(t *testing.T) {
	for _, tt := range []struct{ name, clientID, prefix, want string }{
		{"profiles", "service-hubprofiles", "/services/hubprofiles/", "profiles"},
		{"", "service-hubprofiles", "/services/other/", "hubprofiles"},
		{"", "", "/services/hubprofiles/", "hubprofiles"},
		{"", "jupyterhub-user-x", "/", ""},
	} {
		if got := ServiceName(tt.name, tt.clientID, tt.prefix); got != tt.want {
			t.Errorf("ServiceName(%q, %q, %q) = %q, want %q", tt.name, tt.clientID, tt.prefix, got, tt.want)
		}
	}
}
