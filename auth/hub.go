package auth

import (
	"context"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Hub identifies users through JupyterHub: a browser by the session cookie
// its OAuth login set, a script by the API token it sends, which the hub
// resolves (cached briefly).
type Hub struct {
	provider *Provider
	signer   signer
	prefix   string
	log      *slog.Logger

	mu     sync.Mutex
	tokens map[string]tokenEntry
}

type tokenEntry struct {
	user    *User
	expires time.Time
}

// maxCachedTokens bounds the cache; past it, the cache starts over.
const maxCachedTokens = 10_000

// NewHub returns the JupyterHub identifier for a service mounted at prefix.
func NewHub(cfg HubConfig, key []byte, prefix string, log *slog.Logger) *Hub {
	return &Hub{provider: NewProvider(cfg), signer: signer{key: key}, prefix: prefix, log: log, tokens: map[string]tokenEntry{}}
}

// Context keys set by Identify.
const (
	userKey = "hubprofiles.user"
	csrfKey = "hubprofiles.csrf" // the session's CSRF token, when a cookie identified the user
)

// Identify implements Identifier.
func (h *Hub) Identify(c echo.Context) (*User, error) {
	if authz := c.Request().Header.Get("Authorization"); authz != "" {
		return h.byToken(c.Request().Context(), authz)
	}
	ck, err := c.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	var s session
	if err := h.signer.open(ck.Value, &s); err != nil || time.Now().Unix() > s.Expires {
		return nil, nil // forged or expired: anonymous, and the login replaces it
	}
	c.Set(csrfKey, s.CSRF)
	u := s.User
	return &u, nil
}

// byToken resolves "token X" or "Bearer X" with the hub.
func (h *Hub) byToken(ctx context.Context, authz string) (*User, error) {
	scheme, tok, _ := strings.Cut(authz, " ")
	tok = strings.TrimSpace(tok)
	if (!strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer")) || tok == "" {
		return nil, nil
	}
	h.mu.Lock()
	e, ok := h.tokens[tok]
	h.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e.user, nil
	}
	ctx, cancel := context.WithTimeout(ctx, h.provider.cfg.Timeout)
	defer cancel()
	u, _, err := h.provider.whoami(ctx, "token "+tok)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if len(h.tokens) >= maxCachedTokens {
		h.tokens = map[string]tokenEntry{}
	}
	h.tokens[tok] = tokenEntry{user: u, expires: time.Now().Add(h.provider.cfg.TokenTTL)}
	h.mu.Unlock()
	return u, nil
}

// Register mounts login, the OAuth callback and logout on g (the prefix).
func (h *Hub) Register(g *echo.Group) {
	g.GET("/login", h.login)
	g.GET("/oauth_callback", h.callback)
	g.GET("/logout", h.logout)
	g.POST("/logout", h.logout)
}

func secure(c echo.Context) bool {
	return c.Request().TLS != nil || c.Request().Header.Get("X-Forwarded-Proto") == "https"
}

// login sends the browser to the hub's authorize page; the hub logs the user
// in first if needed and comes back to callback.
func (h *Hub) login(c echo.Context) error {
	st := oauthState{State: randomToken(), Next: SafeNext(c.QueryParam("next"), h.prefix), Expires: time.Now().Add(10 * time.Minute).Unix()}
	v, err := h.signer.sign(st)
	if err != nil {
		return err
	}
	c.SetCookie(cookie(stateCookie, v, h.prefix, secure(c), 600))
	sess, err := h.provider.BeginAuth(st.State)
	if err != nil {
		return err
	}
	u, err := sess.GetAuthURL()
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, u)
}

func (h *Hub) callback(c echo.Context) error {
	ck, err := c.Cookie(stateCookie)
	var st oauthState
	if err != nil || h.signer.open(ck.Value, &st) != nil || time.Now().Unix() > st.Expires ||
		st.State == "" || c.QueryParam("state") != st.State {
		return errorPage(c, http.StatusBadRequest, "Login failed",
			"This login link is not the one this browser started, or it expired. <a href=\""+h.prefix+"login\">Log in again</a>.")
	}
	c.SetCookie(cookie(stateCookie, "", h.prefix, secure(c), -1))
	if e := c.QueryParam("error"); e != "" {
		return errorPage(c, http.StatusForbidden, "Login refused", "The hub did not let you in ("+e+").")
	}
	sess, _ := h.provider.BeginAuth(st.State)
	if _, err := sess.Authorize(h.provider, c.QueryParams()); err != nil {
		return h.hubError(c, err)
	}
	gu, err := h.provider.FetchUser(sess)
	if err != nil {
		return h.hubError(c, err)
	}
	u := userFromHub(gu.RawData)
	v, err := h.signer.sign(session{User: *u, CSRF: randomToken(), Expires: time.Now().Add(sessionTTL).Unix()})
	if err != nil {
		return err
	}
	c.SetCookie(cookie(sessionCookie, v, h.prefix, secure(c), int(sessionTTL.Seconds())))
	h.log.Info("login", "user", u.Name, "admin", u.Admin, "groups", u.Groups)
	return c.Redirect(http.StatusFound, st.Next)
}

func (h *Hub) hubError(c echo.Context, err error) error {
	if errors.Is(err, ErrHubUnavailable) || err == nil {
		h.log.Error("login: the hub did not answer", "err", err)
		return errorPage(c, http.StatusServiceUnavailable, "JupyterHub is unreachable",
			"hubprofiles could not reach the hub to log you in. Try again in a minute; the hub's admins can check its logs.")
	}
	h.log.Warn("login failed", "err", err)
	return errorPage(c, http.StatusForbidden, "Login failed", html.EscapeString(err.Error())+" <a href=\""+h.prefix+"login\">Log in again</a>.")
}

func (h *Hub) logout(c echo.Context) error {
	c.SetCookie(cookie(sessionCookie, "", h.prefix, secure(c), -1))
	return errorPage(c, http.StatusOK, "Logged out", "You are logged out of hubprofiles. <a href=\""+h.prefix+"\">Log in again</a>.")
}

// LoginURL is where a page sends an anonymous browser.
func (h *Hub) LoginURL(next string) string {
	return h.prefix + "login?next=" + url.QueryEscape(next)
}

// SafeNext keeps a post-login redirect inside the service: a path under
// prefix, never another host ("//evil", "https://evil", "/\evil").
func SafeNext(next, prefix string) string {
	if next == "" || !strings.HasPrefix(next, prefix) || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "/../") {
		return prefix
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return prefix
	}
	return next
}
