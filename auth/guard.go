package auth

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/model"
)

// CSRFError refuses a state-changing request that a session cookie
// authenticated but that does not carry the session's CSRF token.
type CSRFError struct{}

func (CSRFError) Error() string {
	return "this request changes something but lacks the CSRF token of your session (X-CSRF-Token header or _csrf form field); reload the page and try again"
}

// CheckCSRF enforces the CSRF token on POST, PUT, PATCH and DELETE requests
// identified by a session cookie. Requests with an API token are not
// exposed to CSRF (a browser never adds the header by itself).
func CheckCSRF(c echo.Context) error {
	switch c.Request().Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	want, _ := c.Get(csrfKey).(string)
	if want == "" {
		return nil
	}
	got := c.Request().Header.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("_csrf")
	}
	if got != want {
		return CSRFError{}
	}
	return nil
}

// CSRFToken is the token pages put in forms (empty without a session).
func CSRFToken(c echo.Context) string {
	s, _ := c.Get(csrfKey).(string)
	return s
}

// LoginStarter is an Identifier that can send a browser to log in.
type LoginStarter interface {
	LoginURL(next string) string
}

// Authorize says who made the request and refuses one below role. Every
// surface's guard calls it, so the refusals read the same everywhere; each
// surface answers them in its own form (a JSON error, a page). Its errors
// are *model.Problem: unauthorized (nobody logged in), forbidden,
// insufficient_scope, csrf and hub_unavailable.
func Authorize(c echo.Context, id Identifier, a infra.Access, role Role) (*User, error) {
	u, err := id.Identify(c)
	if errors.Is(err, ErrHubUnavailable) {
		return nil, model.Errorf(model.CodeHubUnavailable, "JupyterHub cannot be reached to check who you are; try again in a minute")
	}
	var se *ScopeError
	if errors.As(err, &se) {
		return nil, model.Errorf(model.CodeInsufficientScope, "%s", se.Error())
	}
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, model.Errorf(model.CodeUnauthorized, "Log in through JupyterHub, or send Authorization: token <JupyterHub API token>")
	}
	if got := RoleOf(u, a); got < role {
		return nil, model.Errorf(model.CodeForbidden, "%s", forbiddenText(u, a, role))
	}
	if err := CheckCSRF(c); err != nil {
		return nil, model.Errorf(model.CodeCSRF, "%s", err.Error())
	}
	return u, nil
}

// Page protects a page: an anonymous browser is sent to log in; every other
// refusal of Authorize is returned, for the pages to answer with a page.
func Page(id Identifier, access func() infra.Access, role Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, err := Authorize(c, id, access(), role)
			if ls, ok := id.(LoginStarter); ok && model.CodeOf(err) == model.CodeUnauthorized {
				return c.Redirect(http.StatusFound, ls.LoginURL(c.Request().URL.RequestURI()))
			}
			if err != nil {
				return err
			}
			c.Set(userKey, u)
			return next(c)
		}
	}
}

// UserOf is the user a guard let through.
func UserOf(c echo.Context) *User {
	u, _ := c.Get(userKey).(*User)
	return u
}

// SetUser records the user a guard let through.
func SetUser(c echo.Context, u *User) { c.Set(userKey, u) }

func forbiddenText(u *User, a infra.Access, role Role) string {
	var who []string
	who = append(who, "hub admins")
	for _, g := range a.EditorGroups {
		who = append(who, fmt.Sprintf("members of the group %s", g))
	}
	if role == Viewer {
		for _, g := range a.ViewerGroups {
			who = append(who, fmt.Sprintf("members of the group %s (read only)", g))
		}
	}
	return fmt.Sprintf("You are logged in as %s. This needs the %s role; yours is %s. hubprofiles is open to %s. Ask a hub admin to add you to one of those groups, then log in again.",
		u.Name, role, RoleOf(u, a), strings.Join(who, ", "))
}

// loggedOutPage is the one page auth writes itself: the answer to a
// logout, which is not an error and comes before any page of the UI can
// know who is there (its link starts a new login).
var loggedOutPage = template.Must(template.New("logout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Logged out · hubprofiles</title>
<link rel="stylesheet" href="{{.}}static/style.css"></head>
<body>
<main id="main">
<h1>Logged out</h1>
<p>You are logged out of hubprofiles. <a href="{{.}}">Log in again</a>.</p>
</main>
</body></html>
`))

func loggedOut(c echo.Context, prefix string) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return loggedOutPage.Execute(c.Response(), prefix)
}
