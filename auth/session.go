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
	"time"
)

// Cookie names: the service's own, never jupyterhub-* (cookies on one host
// are shared across ports and paths).
const (
	sessionCookie = "hubprofiles-session"
	stateCookie   = "hubprofiles-oauth-state"
)

// sessionTTL is how long a login lasts; the hub's own session is longer, so
// an expired one just makes a quick round trip through the hub.
const sessionTTL = 8 * time.Hour

// session is what the signed session cookie holds.
type session struct {
	User    User   `json:"u"`
	CSRF    string `json:"c"`
	Expires int64  `json:"e"`
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
