package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

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

// Provider is JupyterHub's OAuth, called directly with golang.org/x/oauth2:
// authorize at the hub, exchange the code with the client secret in the
// form body (the hub refuses HTTP Basic), and read the user from GET
// /hub/api/user. Every call to the hub takes the request's context, so a
// request the browser abandons cancels its hub call too. (Not goth: goth
// has no JupyterHub provider, its gothic helpers keep package-level state,
// and its Provider and Session interfaces take no context.)
type Provider struct {
	cfg    HubConfig
	oauth  *oauth2.Config
	client *http.Client
}

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
		cfg: cfg,
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

// AuthURL is where to send the browser to log in, carrying state.
func (p *Provider) AuthURL(state string) string { return p.oauth.AuthCodeURL(state) }

// Exchange trades the code the hub sent back to the callback for an access
// token.
func (p *Provider) Exchange(ctx context.Context, code string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	tok, err := p.oauth.Exchange(ctx, code)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return "", fmt.Errorf("the hub refused the login code (%s): log in again", re.ErrorCode)
		}
		return "", fmt.Errorf("%w: %v", ErrHubUnavailable, err)
	}
	return tok.AccessToken, nil
}

// FetchUser is the owner of an access token, with the hub's whole user
// model (its scopes say whether the token may use this service).
func (p *Provider) FetchUser(ctx context.Context, accessToken string) (*User, map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	u, raw, err := p.whoami(ctx, "Bearer "+accessToken)
	if err != nil {
		return nil, nil, err
	}
	if u == nil {
		return nil, nil, errors.New("the hub refused the access token, or it names no user")
	}
	return u, raw, nil
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
