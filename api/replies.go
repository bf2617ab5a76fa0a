package api

import (
	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
)

// The bodies of the API's replies (api/openapi.yaml has their schemas; the
// tests validate every reply against it). Fields are in the order of their
// JSON names, as encoding/json wrote the maps these replaced.

// meReply is GET /me.
type meReply struct {
	CSRFToken string     `json:"csrf_token,omitempty"` // for scripts that use the browser session
	Role      string     `json:"role"`
	User      *auth.User `json:"user"`
}

// writeReply answers a write: the new revision (or the unchanged head),
// the list's warnings, the errors a draft kept (which stop it from being
// published), the changed resource and the registry's answer about a new
// image reference.
type writeReply struct {
	Check     *registry.Result `json:"check,omitempty"`
	Errors    []Field          `json:"errors,omitempty"`
	Result    any              `json:"result,omitempty"`
	Revision  revisionJSON     `json:"revision"`
	Unchanged bool             `json:"unchanged,omitempty"`
	Warnings  []Field          `json:"warnings"`
}

// importReply answers POST /import.
type importReply struct {
	Errors      []Field            `json:"errors"`
	Format      profilelist.Format `json:"format"`
	Images      int                `json:"images"`
	Profiles    int                `json:"profiles"`
	Publishable bool               `json:"publishable"`
	Revision    revisionJSON       `json:"revision"`
	Unchanged   bool               `json:"unchanged,omitempty"`
	Warnings    []Field            `json:"warnings"`
}

// validateReply answers POST /validate.
type validateReply struct {
	Errors   int                `json:"errors"`
	Findings []Field            `json:"findings"`
	Format   profilelist.Format `json:"format"`
	Warnings int                `json:"warnings"`
}

type nodeGroupsReply struct {
	NodeGroups []model.NodeGroup `json:"node_groups"`
}

type imagesReply struct {
	Images []imageJSON `json:"images"`
}

type profilesReply struct {
	Profiles []model.Profile `json:"profiles"`
}

// tagsReply answers GET /images/{slug}/tags.
type tagsReply struct {
	Current string   `json:"current"`
	Newer   []string `json:"newer"`
	Ref     string   `json:"ref"`
	Tags    []string `json:"tags"`
}

// defaultsReply answers GET /defaults.
type defaultsReply struct {
	Defaults model.Defaults          `json:"defaults"`
	Revision int64                   `json:"revision"`
	Settings []profilelist.Effective `json:"settings"`
}

// revisionsReply answers GET /revisions; NextBefore is the next page's
// ?before=, when there may be one.
type revisionsReply struct {
	Live       int64          `json:"live"`
	NextBefore int64          `json:"next_before,omitempty"`
	Revisions  []revisionJSON `json:"revisions"`
}

// diffReply answers GET /revisions/{id}/diff.
type diffReply struct {
	Catalog     []ordered.Change `json:"catalog"`
	From        int64            `json:"from"`
	ProfileList []ordered.Change `json:"profile_list"`
	To          int64            `json:"to"`
}

// publishReply answers POST /revisions/{id}/publish.
type publishReply struct {
	Publication publicationJSON `json:"publication"`
	Warnings    []Field         `json:"warnings"`
}

type publicationsReply struct {
	Publications []publicationJSON `json:"publications"`
}
