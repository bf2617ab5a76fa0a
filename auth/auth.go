// Package auth says who is making a request and what they may do. Today it
// has the identity seam and the roles; the JupyterHub OAuth login and API
// tokens plug in behind Identifier.
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
