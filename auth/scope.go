package auth

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// allServices is the scope that lets a token use every JupyterHub service
// (hub admins have it).
const allServices = "access:services"

// serviceScope is the scope that lets a token use the service name alone.
func serviceScope(name string) string { return allServices + "!service=" + name }

// hasServiceAccess says whether a token with scopes (as GET /hub/api/user
// reports them: expanded, with their filters) may use the service name.
// This is the rule of JupyterHub's own HubAuth for services.
func hasServiceAccess(scopes []string, name string) bool {
	return slices.Contains(scopes, allServices) || slices.Contains(scopes, serviceScope(name))
}

// scopesOf reads the scopes of the hub's answer to GET /hub/api/user.
func scopesOf(raw map[string]any) []string {
	list, _ := raw["scopes"].([]any)
	out := make([]string, 0, len(list))
	for _, s := range list {
		if str, ok := s.(string); ok {
			out = append(out, str)
		}
	}
	return out
}

// ServiceName is the name a service is registered under at the hub: the
// explicit name (JUPYTERHUB_SERVICE_NAME), else the OAuth client id
// (JUPYTERHUB_CLIENT_ID, always "service-<name>"), else the last element of
// the /services/<name>/ prefix.
func ServiceName(name, clientID, prefix string) string {
	if name != "" {
		return name
	}
	if n, ok := strings.CutPrefix(clientID, "service-"); ok && n != "" {
		return n
	}
	if n, ok := strings.CutPrefix(strings.Trim(prefix, "/"), "services/"); ok && n != "" && !strings.Contains(n, "/") {
		return n
	}
	return ""
}

// ScopeError refuses a token the hub knows but whose scopes do not include
// access to this service: a token limited to reading a user name, or a
// single-user server's own token, must not act as its owner here.
type ScopeError struct {
	User    string // the token's owner
	Service string // this service's name
}

func (e *ScopeError) Error() string {
	return fmt.Sprintf("the token of %s does not carry the scope %s (or %s), which JupyterHub services require; use a token that has it",
		e.User, serviceScope(e.Service), allServices)
}

// Unwrap makes the refusal a 403 for any handler that returns it as it is.
func (e *ScopeError) Unwrap() error {
	return echo.NewHTTPError(http.StatusForbidden, e.Error())
}

// MissingScope is the scope the refused token lacked.
func (e *ScopeError) MissingScope() string { return serviceScope(e.Service) }
