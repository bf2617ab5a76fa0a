package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/markbates/goth"
	"golang.org/x/oauth2"
)

// HubConfig says where the hub is and who this service is to it. All of it
// comes from the environment JupyterHub gives a service, except the public
// authorize URL, which only the browser needs.
type HubConfig struct {
	// APIURL is JUPYTERHUB_API_URL (e.g. http://hub:8081/hub/api): token
	// exchange and user lookups go there directly.
	APIURL string
	// AuthorizeURL is the hub's authorize endpoint as the browser reaches
	// it, e.g. /hub/api/oauth2/authorize (relative works when the service is
	// proxied on the hub's own domain, as in zero-to-jupyterhub).
	AuthorizeURL string
	// ClientID is JUPYTERHUB_CLIENT_ID (service-<name>); ClientSecret is
	// the service's API token, JUPYTERHUB_API_TOKEN.
	ClientID, ClientSecret string
	// CallbackURL is JUPYTERHUB_OAUTH_CALLBACK_URL, exactly as registered.
	CallbackURL string
	// Timeout bounds every call to the hub.
	Timeout time.Duration
	// TokenTTL is how long a resolved API token is trusted without asking
	// the hub again (default 30 s): a revoked token stops working within it.
	TokenTTL time.Duration
	// ServiceName is JUPYTERHUB_SERVICE_NAME; tokens must carry
	// access:services!service=<it> (or access:services). Empty: derived
	// from ClientID (see ServiceName).
	ServiceName string
	// SessionLifetime is how long a login lasts (default
	// DefaultSessionLifetime).
	SessionLifetime time.Duration
	// Recheck is how often a session's user is confirmed with the hub
	// (default DefaultRecheck); a negative value confirms on every request.
	Recheck time.Duration
	// Now is the clock (default time.Now); tests advance their own.
	Now func() time.Time
}

// ErrHubUnavailable means the hub did not answer; the caller says so (503).
var ErrHubUnavailable = errors.New("the JupyterHub API cannot be reached")

// Provider is a goth provider for JupyterHub's OAuth: authorize at the hub,
// exchange the code with the client secret in the form body (the hub refuses
// HTTP Basic), and read the user from GET /hub/api/user. It is used directly,
// without gothic's package-level state.
type Provider struct {
	name   string
	cfg    HubConfig
	oauth  *oauth2.Config
	client *http.Client
}

var _ goth.Provider = (*Provider)(nil)

// NewProvider returns the JupyterHub provider.
func NewProvider(cfg HubConfig) *Provider {
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 30 * time.Second
	}
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = DefaultSessionLifetime
	}
	if cfg.Recheck == 0 {
		cfg.Recheck = DefaultRecheck
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	api := strings.TrimSuffix(cfg.APIURL, "/")
	return &Provider{
		name: "jupyterhub",
		cfg:  cfg,
		oauth: &oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.CallbackURL,
			Endpoint: oauth2.Endpoint{
				AuthURL:   cfg.AuthorizeURL,
				TokenURL:  api + "/oauth2/token",
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		client: &http.Client{Timeout: cfg.Timeout},
	}
}

// Name implements goth.Provider.
func (p *Provider) Name() string { return p.name }

// SetName implements goth.Provider.
func (p *Provider) SetName(name string) { p.name = name }

// Debug implements goth.Provider.
func (p *Provider) Debug(bool) {}

// BeginAuth implements goth.Provider: the URL to send the browser to.
func (p *Provider) BeginAuth(state string) (goth.Session, error) {
	return &Session{AuthURL: p.oauth.AuthCodeURL(state)}, nil
}

// UnmarshalSession implements goth.Provider.
func (p *Provider) UnmarshalSession(data string) (goth.Session, error) {
	var s Session
	err := json.Unmarshal([]byte(data), &s)
	return &s, err
}

// FetchUser implements goth.Provider: the hub's model of the token's owner.
func (p *Provider) FetchUser(s goth.Session) (goth.User, error) {
	sess, ok := s.(*Session)
	if !ok || sess.AccessToken == "" {
		return goth.User{}, errors.New("jupyterhub: no access token yet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout)
	defer cancel()
	u, raw, err := p.whoami(ctx, "Bearer "+sess.AccessToken)
	if err != nil {
		return goth.User{}, err
	}
	if u == nil {
		return goth.User{}, errors.New("jupyterhub: the hub refused the access token")
	}
	return goth.User{Provider: p.name, Name: u.Name, NickName: u.Name, UserID: u.Name, RawData: raw, AccessToken: sess.AccessToken}, nil
}

// RefreshToken implements goth.Provider; JupyterHub issues no refresh tokens.
func (p *Provider) RefreshToken(string) (*oauth2.Token, error) {
	return nil, errors.New("jupyterhub issues no refresh tokens")
}

// RefreshTokenAvailable implements goth.Provider.
func (p *Provider) RefreshTokenAvailable() bool { return false }

// Session is the provider's state between BeginAuth and Authorize.
type Session struct {
	AuthURL     string `json:"auth_url"`
	AccessToken string `json:"access_token,omitempty"`
}

var _ goth.Session = (*Session)(nil)

// GetAuthURL implements goth.Session.
func (s *Session) GetAuthURL() (string, error) {
	if s.AuthURL == "" {
		return "", errors.New(goth.NoAuthUrlErrorMessage)
	}
	return s.AuthURL, nil
}

// Marshal implements goth.Session.
func (s *Session) Marshal() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Authorize implements goth.Session: it exchanges the code for a token.
func (s *Session) Authorize(provider goth.Provider, params goth.Params) (string, error) {
	p, ok := provider.(*Provider)
	if !ok {
		return "", errors.New("jupyterhub: wrong provider")
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	tok, err := p.oauth.Exchange(ctx, params.Get("code"))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return "", fmt.Errorf("the hub refused the login code (%s): log in again", re.ErrorCode)
		}
		return "", fmt.Errorf("%w: %v", ErrHubUnavailable, err)
	}
	s.AccessToken = tok.AccessToken
	return tok.AccessToken, nil
}

// whoami asks the hub who owns a token (authorization is the whole header
// value, "token X" or "Bearer X"). A token the hub refuses gives a nil user.
func (p *Provider) whoami(ctx context.Context, authorization string) (*User, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(p.cfg.APIURL, "/")+"/user", nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", authorization)
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrHubUnavailable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, nil, nil
	case resp.StatusCode != http.StatusOK:
		return nil, nil, fmt.Errorf("%w: GET /user answered %s", ErrHubUnavailable, resp.Status)
	}
	var raw map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&raw); err != nil {
		return nil, nil, fmt.Errorf("%w: unreadable GET /user answer: %v", ErrHubUnavailable, err)
	}
	u := userFromHub(raw)
	if u == nil {
		return nil, nil, nil
	}
	return u, raw, nil
}

// userFromHub reads the hub's user model; nil for a service's token or a
// model without a name (a service is not a person).
func userFromHub(raw map[string]any) *User {
	u := &User{}
	u.Name, _ = raw["name"].(string)
	u.Admin, _ = raw["admin"].(bool)
	if kind, _ := raw["kind"].(string); kind != "" && kind != "user" {
		return nil
	}
	if gs, ok := raw["groups"].([]any); ok {
		for _, g := range gs {
			if s, ok := g.(string); ok {
				u.Groups = append(u.Groups, s)
			}
		}
	}
	if u.Name == "" {
		return nil
	}
	return u
}
