package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Cookie names: the service's own, never jupyterhub-* (cookies on one host
// are shared across ports and paths).
const (
	sessionCookie = "hubprofiles-session"
	stateCookie   = "hubprofiles-oauth-state"
)

// DefaultSessionLifetime is how long a login lasts unless --session-lifetime
// says otherwise; the hub's own session is longer, so an expired one just
// makes a quick round trip through the hub.
const DefaultSessionLifetime = 8 * time.Hour

// DefaultRecheck is how often a session's user is read again from the hub,
// so that a change of groups or admin flag takes effect within it.
const DefaultRecheck = 60 * time.Second

// sessionRef is what the signed session cookie holds: only the id of the
// record kept in memory (sessions), so that logout can end it.
type sessionRef struct {
	ID string `json:"i"`
}

// session is the server-side record of one login.
type session struct {
	user    User
	csrf    string
	token   string    // the user's OAuth access token; re-checks use it
	expires time.Time // end of the session's lifetime
	checked time.Time // when the hub last confirmed user
}

// maxSessions bounds the records kept; past it the oldest logins end first.
// Each one costs a login at the hub, so the bound is for robustness only.
const maxSessions = 50_000

// sessions are the live logins, in memory: a restart of the sidecar logs
// everyone out (their next page load goes through the hub's OAuth again,
// which asks nothing when they are still logged in to the hub). The hub
// runs one replica, so one process holds every session.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*session
}

func newSessions() *sessions { return &sessions{byID: map[string]*session{}} }

// add records s and returns its new id.
func (ss *sessions) add(s session, now time.Time) string {
	id := randomToken()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.byID) >= maxSessions {
		var oldest string
		for k, v := range ss.byID {
			if !now.Before(v.expires) {
				delete(ss.byID, k)
			} else if oldest == "" || v.expires.Before(ss.byID[oldest].expires) {
				oldest = k
			}
		}
		if len(ss.byID) >= maxSessions {
			delete(ss.byID, oldest)
		}
	}
	ss.byID[id] = &s
	return id
}

// get returns a copy of the live session id, dropping it if it expired.
func (ss *sessions) get(id string, now time.Time) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.byID[id]
	if !ok {
		return session{}, false
	}
	if !now.Before(s.expires) {
		delete(ss.byID, id)
		return session{}, false
	}
	return *s, true
}

// confirm records what the hub said about the session's user just now.
func (ss *sessions) confirm(id string, u User, now time.Time) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s, ok := ss.byID[id]; ok {
		s.user, s.checked = u, now
	}
}

// end forgets a session: its cookie and CSRF token are useless from now on.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byID, id)
}

// oauthState ties a callback to the login that started it.
type oauthState struct {
	State   string `json:"s"`
	Next    string `json:"n"`
	Expires int64  `json:"e"`
}

// signer signs cookie values with HMAC-SHA256: value = payload.signature,
// both base64url. Nothing in them is secret, but nothing can be forged.
type signer struct{ key []byte }

func (s signer) sign(v any) (string, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p)), nil
}

func (s signer) mac(p string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(p))
	return m.Sum(nil)
}

var errBadCookie = errors.New("invalid or forged cookie")

// open checks the signature and decodes the payload into v.
func (s signer) open(value string, v any) error {
	p, sig, ok := strings.Cut(value, ".")
	if !ok {
		return errBadCookie
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(p)) {
		return errBadCookie
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return errBadCookie
	}
	return json.Unmarshal(payload, v)
}

// randomToken is 32 random bytes, hex.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

// LoadOrCreateKey returns the session signing key: the value of env if set
// (at least 32 bytes, hex or raw), else the content of file, created with a
// new random key (mode 0600) the first time, so sessions survive restarts.
func LoadOrCreateKey(env, file string) ([]byte, error) {
	if env != "" {
		if b, err := hex.DecodeString(env); err == nil && len(b) >= 32 {
			return b, nil
		}
		if len(env) >= 32 {
			return []byte(env), nil
		}
		return nil, errors.New("the session key must be at least 32 bytes (or 64 hex digits)")
	}
	if b, err := os.ReadFile(file); err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) < 32 {
			return nil, fmt.Errorf("%s does not hold a session key of at least 32 bytes in hex", file)
		}
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, err
	}
	key := randomToken()
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process created it meanwhile
		return LoadOrCreateKey("", file)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return hex.DecodeString(key)
}

// cookie builds a cookie scoped to the service prefix.
func cookie(name, value, path string, secure bool, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge}
}
