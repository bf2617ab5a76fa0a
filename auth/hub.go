package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/model"
)

// Hub identifies users through JupyterHub: a browser by the session cookie
// its OAuth login set, a script by the API token it sends, which the hub
// resolves (cached briefly). Either must carry the scope that gives access
// to this service.
type Hub struct {
	provider *Provider
	signer   signer
	prefix   string
	service  string // the name the hub knows this service by
	lifetime time.Duration
	recheck  time.Duration
	now      func() time.Time
	log      *slog.Logger
	sessions *sessions

	mu     sync.Mutex
	tokens map[string]tokenEntry
}

// tokenEntry is a resolved API token: its owner, or why it is refused.
type tokenEntry struct {
	user    *User
	err     error
	expires time.Time
}

// maxCachedTokens bounds the cache; past it, the cache starts over.
const maxCachedTokens = 10_000

// NewHub returns the JupyterHub identifier for a service mounted at prefix.
func NewHub(cfg HubConfig, key []byte, prefix string, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := NewProvider(cfg)
	return &Hub{provider: p, signer: signer{key: key}, prefix: prefix, log: log,
		service:  ServiceName(cfg.ServiceName, cfg.ClientID, prefix),
		lifetime: p.cfg.SessionLifetime, recheck: p.cfg.Recheck, now: p.cfg.Now,
		sessions: newSessions(), tokens: map[string]tokenEntry{}}
}

// Context keys set by Identify.
const (
	userKey = "hubprofiles.user"
	csrfKey = "hubprofiles.csrf" // the session's CSRF token, when a cookie identified the user
)

// Identify implements Identifier. A session whose user the hub has not
// confirmed for Recheck is confirmed again first: a user removed from a
// group or from admin loses the role within that time, and one the hub no
// longer knows (logged out of the hub, deleted) loses the session. When the
// hub cannot be asked then, the request fails with ErrHubUnavailable (503)
// rather than going on with a role that may be stale; the session itself
// stays and works again once the hub answers.
func (h *Hub) Identify(c echo.Context) (*User, error) {
	if authz := c.Request().Header.Get("Authorization"); authz != "" {
		return h.byToken(c.Request().Context(), authz)
	}
	id, ok := h.sessionID(c)
	if !ok {
		return nil, nil
	}
	now := h.now()
	s, ok := h.sessions.get(id, now)
	if !ok {
		return nil, nil // ended, expired or from before a restart: the login replaces it
	}
	if now.Sub(s.checked) >= h.recheck {
		u, err := h.confirm(c.Request().Context(), id, s, now)
		if err != nil || u == nil {
			return nil, err
		}
		s.user = *u
	}
	c.Set(csrfKey, s.csrf)
	u := s.user
	return &u, nil
}

// sessionID is the id in the request's signed session cookie.
func (h *Hub) sessionID(c echo.Context) (string, bool) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil {
		return "", false
	}
	var ref sessionRef
	if err := h.signer.open(ck.Value, &ref); err != nil || ref.ID == "" {
		return "", false // forged or garbled: anonymous
	}
	return ref.ID, true
}

// confirm asks the hub about a session's user again, with the user's own
// OAuth token: it needs no scope beyond the ones every login gets, and the
// hub deletes it when the user logs out of the hub.
func (h *Hub) confirm(ctx context.Context, id string, s session, now time.Time) (*User, error) {
	ctx, cancel := context.WithTimeout(ctx, h.provider.cfg.Timeout)
	defer cancel()
	u, raw, err := h.provider.whoami(ctx, "Bearer "+s.token)
	if err != nil {
		h.log.Warn("cannot confirm a session with the hub", "user", s.user.Name, "err", err)
		return nil, err
	}
	if u == nil || u.Name != s.user.Name {
		h.sessions.end(id)
		h.log.Info("session ended: the hub no longer accepts its login", "user", s.user.Name)
		return nil, nil
	}
	if !hasServiceAccess(scopesOf(raw), h.service) {
		h.sessions.end(id)
		return nil, &ScopeError{User: u.Name, Service: h.service}
	}
	if u.Admin != s.user.Admin || !slices.Equal(u.Groups, s.user.Groups) {
		h.log.Info("the hub changed a logged-in user", "user", u.Name, "admin", u.Admin, "groups", u.Groups)
	}
	h.sessions.confirm(id, *u, now)
	return u, nil
}

// byToken resolves "token X" or "Bearer X" with the hub, and refuses a
// token without access to this service.
func (h *Hub) byToken(ctx context.Context, authz string) (*User, error) {
	scheme, tok, _ := strings.Cut(authz, " ")
	tok = strings.TrimSpace(tok)
	if (!strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer")) || tok == "" {
		return nil, nil
	}
	h.mu.Lock()
	e, ok := h.tokens[tok]
	h.mu.Unlock()
	if ok && h.now().Before(e.expires) {
		return e.user, e.err
	}
	ctx, cancel := context.WithTimeout(ctx, h.provider.cfg.Timeout)
	defer cancel()
	u, raw, err := h.provider.whoami(ctx, "token "+tok)
	if err != nil {
		return nil, err
	}
	e = tokenEntry{user: u, expires: h.now().Add(h.provider.cfg.TokenTTL)}
	if u != nil && !hasServiceAccess(scopesOf(raw), h.service) {
		e = tokenEntry{err: &ScopeError{User: u.Name, Service: h.service}, expires: e.expires}
	}
	h.mu.Lock()
	if len(h.tokens) >= maxCachedTokens {
		h.tokens = map[string]tokenEntry{}
	}
	h.tokens[tok] = e
	h.mu.Unlock()
	return e.user, e.err
}

// Register mounts login, the OAuth callback and logout on g (the prefix).
func (h *Hub) Register(g *echo.Group) {
	g.GET("/login", h.login)
	g.GET("/oauth_callback", h.callback)
	g.GET("/logout", h.logout)
	g.POST("/logout", h.logout)
}

// secure says whether the browser reached us over HTTPS. Behind a chain of
// proxies X-Forwarded-Proto is a list (configurable-http-proxy appends its
// own "http" to the ingress's "https"): the first element is the browser's.
func secure(c echo.Context) bool {
	if c.Request().TLS != nil {
		return true
	}
	first, _, _ := strings.Cut(c.Request().Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(first), "https")
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
	return c.Redirect(http.StatusFound, h.provider.AuthURL(st.State))
}

func (h *Hub) callback(c echo.Context) error {
	ck, err := c.Cookie(stateCookie)
	var st oauthState
	if err != nil || h.signer.open(ck.Value, &st) != nil || time.Now().Unix() > st.Expires ||
		st.State == "" || c.QueryParam("state") != st.State {
		return model.Errorf(model.CodeBadRequest, "This login link is not the one this browser started, or it expired. Log in again.")
	}
	c.SetCookie(cookie(stateCookie, "", h.prefix, secure(c), -1))
	if e := c.QueryParam("error"); e != "" {
		// The hub's OAuth error code, but anyone can craft the link: text only.
		if len(e) > 200 {
			e = e[:200] + "…"
		}
		return model.Errorf(model.CodeForbidden, "The hub did not let you in (%s). Log in again.", strings.ToValidUTF8(e, "?"))
	}
	ctx := c.Request().Context()
	token, err := h.provider.Exchange(ctx, c.QueryParam("code"))
	if err != nil {
		return h.hubError(c, err)
	}
	u, raw, err := h.provider.FetchUser(ctx, token)
	if err != nil {
		return h.hubError(c, err)
	}
	if !hasServiceAccess(scopesOf(raw), h.service) {
		return model.Errorf(model.CodeInsufficientScope, "%s", (&ScopeError{User: u.Name, Service: h.service}).Error())
	}
	if old, ok := h.sessionID(c); ok {
		h.sessions.end(old) // a new login never continues an old session
	}
	now := h.now()
	id := h.sessions.add(session{user: *u, csrf: randomToken(), token: token,
		expires: now.Add(h.lifetime), checked: now}, now)
	v, err := h.signer.sign(sessionRef{ID: id})
	if err != nil {
		return err
	}
	c.SetCookie(cookie(sessionCookie, v, h.prefix, secure(c), int(h.lifetime.Seconds())))
	h.log.Info("login", "user", u.Name, "admin", u.Admin, "groups", u.Groups)
	return c.Redirect(http.StatusFound, st.Next)
}

func (h *Hub) hubError(c echo.Context, err error) error {
	if errors.Is(err, ErrHubUnavailable) || err == nil {
		h.log.Error("login: the hub did not answer", "err", err)
		return model.Errorf(model.CodeHubUnavailable, "hubprofiles could not reach the hub to log you in. Try again in a minute; the hub's admins can check its logs.")
	}
	h.log.Warn("login failed", "err", err)
	return model.Errorf(model.CodeForbidden, "Login failed: %v. Log in again.", err)
}

// logout ends the session on the server, so the cookie and its CSRF token
// are useless even if a copy of them survives in the browser or elsewhere.
func (h *Hub) logout(c echo.Context) error {
	if id, ok := h.sessionID(c); ok {
		h.sessions.end(id)
	}
	c.SetCookie(cookie(sessionCookie, "", h.prefix, secure(c), -1))
	return loggedOut(c, h.prefix)
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
