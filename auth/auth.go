// Package auth says who is making a request and what they may do.
// Identifier is the one seam through which identity enters the server: Hub
// (hub.go) identifies a browser by the session its JupyterHub OAuth login
// set and a script by its JupyterHub API token, both checked for the scope
// that gives access to this service; Dev and Anonymous serve --dev and a
// server outside a hub. Roles come from hub admin rights and the groups of
// the infrastructure config, and Authorize (guard.go) is the one guard the
// API, the pages and the feeds use; its refusals are *model.Problem, which
// each surface answers in its own form.
//
// The OAuth login calls golang.org/x/oauth2 directly (provider.go), not
// goth: goth has no JupyterHub provider to reuse, gothic keeps its state
// in package-level variables, and goth's Provider and Session interfaces
// take no context, so a hub call could not be cancelled with its request.
package auth

import (
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/infra"
)

// User is a JupyterHub user as the hub describes it.
type User struct {
	Name   string   `json:"name"`
	Admin  bool     `json:"admin"`
	Groups []string `json:"groups"`
}

// Role is what a user may do, in increasing order.
type Role int

// The roles.
const (
	None   Role = iota // may not see anything but profile_list
	Viewer             // may read pages and history
	Editor             // may change and publish
)

func (r Role) String() string {
	return [...]string{"none", "viewer", "editor"}[r]
}

// RoleOf gives hub admins and members of the editor groups Editor, members of
// the viewer groups Viewer, and everyone else None.
func RoleOf(u *User, a infra.Access) Role {
	switch {
	case u == nil:
		return None
	case u.Admin || intersects(u.Groups, a.EditorGroups):
		return Editor
	case intersects(u.Groups, a.ViewerGroups):
		return Viewer
	}
	return None
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// Identifier finds who made a request: nil for an anonymous one. This is the
// one seam through which identity enters the server.
type Identifier interface {
	Identify(c echo.Context) (*User, error)
}

// Dev logs everyone in as a local admin. Only for --dev, which listens on
// loopback alone.
type Dev struct{}

// DevUser is who everyone is in dev mode.
var DevUser = User{Name: "dev-admin", Admin: true}

// Identify implements Identifier.
func (Dev) Identify(echo.Context) (*User, error) {
	u := DevUser
	return &u, nil
}

// Anonymous identifies nobody: until JupyterHub login is configured, a
// server outside dev mode serves only profile_list, healthz and metrics.
type Anonymous struct{}

// Identify implements Identifier.
func (Anonymous) Identify(echo.Context) (*User, error) { return nil, nil }
