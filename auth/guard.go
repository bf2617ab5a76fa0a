package auth

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/infra"
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

// Page protects a page: an anonymous browser is sent to log in, a known
// user below role gets a 403 page that says who to ask, and a hub that does
// not answer gets a 503 page.
func Page(id Identifier, access func() infra.Access, role Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, err := id.Identify(c)
			if errors.Is(err, ErrHubUnavailable) {
				return errorPage(c, http.StatusServiceUnavailable, "JupyterHub is unreachable",
					"hubprofiles could not reach the hub to check who you are. Try again in a minute.")
			}
			var se *ScopeError
			if errors.As(err, &se) {
				return errorPage(c, http.StatusForbidden, "Not allowed", html.EscapeString(se.Error()))
			}
			if err != nil {
				return err
			}
			if u == nil {
				if ls, ok := id.(LoginStarter); ok {
					return c.Redirect(http.StatusFound, ls.LoginURL(c.Request().URL.RequestURI()))
				}
				return errorPage(c, http.StatusUnauthorized, "Not logged in", "Log in through JupyterHub to use hubprofiles.")
			}
			a := access()
			if got := RoleOf(u, a); got < role {
				return errorPage(c, http.StatusForbidden, "Not allowed", forbiddenText(u, a, role))
			}
			if err := CheckCSRF(c); err != nil {
				return errorPage(c, http.StatusForbidden, "Refused", html.EscapeString(err.Error()))
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
		who = append(who, fmt.Sprintf("members of the group <b>%s</b>", html.EscapeString(g)))
	}
	if role == Viewer {
		for _, g := range a.ViewerGroups {
			who = append(who, fmt.Sprintf("members of the group <b>%s</b> (read only)", html.EscapeString(g)))
		}
	}
	return fmt.Sprintf("You are logged in as <b>%s</b>. hubprofiles is open to %s. Ask a hub admin to add you to one of those groups, then log in again.",
		html.EscapeString(u.Name), strings.Join(who, ", "))
}

var pageTemplate = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · hubprofiles</title></head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
</body></html>
`))

// errorPage answers with a small HTML page; message is trusted HTML (the
// callers escape what they put in it).
func errorPage(c echo.Context, status int, title, message string) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return pageTemplate.Execute(c.Response(), struct {
		Title   string
		Message template.HTML
	}{title, template.HTML(message)}) // #nosec: callers escape
}
