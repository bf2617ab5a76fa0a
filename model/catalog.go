// Package model is hubprofiles' domain: the Catalog a hub admin edits, as plain
// structs with no I/O. Rendering a Catalog into KubeSpawner's profile_list, and
// reading one back, live in package profilelist.
//
// Fields are typed where hubprofiles understands them (an image reference, a
// node group, a default flag). Whatever does not fit a typed field — a key
// KubeSpawner ignores but another tool reads, or a value of an unexpected type —
// is kept verbatim in Extra, so that importing a real list and rendering it again
// loses nothing.
package model

import "github.com/jupyterhub/hubprofiles/ordered"

// SchemaVersion is the version of hubprofiles' own document format.
const SchemaVersion = 1

// Catalog is everything a hub admin edits, as one document.
type Catalog struct {
	// Images is the curated image catalog. Profiles and choices name an image
	// by slug, so bumping a tag once updates every profile that offers it.
	Images []Image `json:"images"`
	// NodeGroups come from the infrastructure config; hub admins only read them.
	NodeGroups []NodeGroup `json:"node_groups"`
	// Profiles are shown to users in this order.
	Profiles []Profile `json:"profiles"`
	// Defaults apply to every server, under whatever profile it uses.
	Defaults Defaults `json:"defaults"`
	// ValuesNesting is where the z2jh values file the catalog was imported
	// from keeps singleuser: "" (top level), "jupyterhub" or
	// "basehub.jupyterhub"; a values export nests the same way.
	ValuesNesting string `json:"values_nesting,omitempty"`
}

// Defaults are the hub-wide base under every profile: the image and the
// interface a user gets when no profile (or no profile at all) says
// otherwise. A profile's or a choice's own value wins.
type Defaults struct {
	Image      string `json:"image,omitempty"`       // a catalog image slug
	DefaultURL string `json:"default_url,omitempty"` // e.g. /lab, /tree, /rstudio
}

// Image is one entry of the image catalog.
type Image struct {
	Slug        string `json:"slug"`
	DisplayName string `json:"display_name"`
	Description string `json:"description,omitempty"`
	// Ref is registry/repository:tag or registry/repository@digest.
	Ref string `json:"ref"`
}

// NodeGroup is a kind of node users can be scheduled on, with its capacity.
type NodeGroup struct {
	Slug         string       `json:"slug"`
	DisplayName  string       `json:"display_name"`
	NodeSelector *ordered.Map `json:"node_selector"`
	// Tolerations are Kubernetes Toleration objects.
	Tolerations []*ordered.Map `json:"tolerations,omitempty"`
	Allocatable Capacity       `json:"allocatable"`
}

// TolerationList is the tolerations as a JSON array value.
func (ng *NodeGroup) TolerationList() []any {
	out := make([]any, len(ng.Tolerations))
	for i, t := range ng.Tolerations {
		out[i] = t.Clone()
	}
	return out
}

// Capacity is what one node offers to a user pod.
type Capacity struct {
	CPU         float64 `json:"cpu"`          // cores
	Memory      int64   `json:"memory"`       // bytes
	GPU         int     `json:"gpu"`          // count
	GPUResource string  `json:"gpu_resource"` // e.g. nvidia.com/gpu
}

// Profile is one entry users pick in the spawn form.
type Profile struct {
	Slug          string   `json:"slug"`
	DisplayName   string   `json:"display_name"`
	Description   string   `json:"description,omitempty"`
	Default       bool     `json:"default,omitempty"`
	AllowedGroups []string `json:"allowed_groups,omitempty"`
	// AllowedTeams is a list of GitHub teams ("org:team") that may use the
	// profile. KubeSpawner ignores it; 2i2c's authenticator setup reads it
	// like allowed_groups.
	AllowedTeams []string `json:"allowed_teams,omitempty"`
	// Image and NodeGroup name a catalog image and a node group by slug.
	Image     string `json:"image,omitempty"`
	NodeGroup string `json:"node_group,omitempty"`
	// DefaultURL is the interface the server opens (default_url), e.g. /lab.
	DefaultURL string `json:"default_url,omitempty"`
	// Override holds every other kubespawner_override key, in order. Nil
	// means the profile has no kubespawner_override at all.
	// Settings are the typed sizes, GPU and environment.
	Settings
	Override *ordered.Map `json:"kubespawner_override,omitempty"`
	Options  []Option     `json:"options,omitempty"`
	Extra    *ordered.Map `json:"extra,omitempty"`
}

// Option is a drop-down in a profile: a set of choices and an optional
// free-text field.
type Option struct {
	Key         string    `json:"key"`
	DisplayName string    `json:"display_name,omitempty"`
	Choices     []Choice  `json:"choices"`
	Unlisted    *Unlisted `json:"unlisted_choice,omitempty"`
	// DynamicImageBuilding is jupyterhub-fancy-profiles' switch for building
	// an image from a repository in this option. KubeSpawner ignores it.
	DynamicImageBuilding *DynamicImageBuilding `json:"dynamic_image_building,omitempty"`
	Extra                *ordered.Map          `json:"extra,omitempty"`
}

// DynamicImageBuilding is {"enabled": bool}; an object with other keys
// stays whole in the option's Extra.
type DynamicImageBuilding struct {
	Enabled bool `json:"enabled"`
}

// Choice is one entry of an option's drop-down.
type Choice struct {
	Key string `json:"key"`
	// Slug is a choice's own slug, which some tools (jupyterhub-fancy-profiles)
	// read; KubeSpawner names choices by Key.
	Slug          string   `json:"slug,omitempty"`
	DisplayName   string   `json:"display_name,omitempty"`
	Description   string   `json:"description,omitempty"`
	Default       bool     `json:"default,omitempty"`
	AllowedGroups []string `json:"allowed_groups,omitempty"`
	Image         string   `json:"image,omitempty"`
	NodeGroup     string   `json:"node_group,omitempty"`
	DefaultURL    string   `json:"default_url,omitempty"`
	Settings
	Override *ordered.Map `json:"kubespawner_override,omitempty"`
	Extra    *ordered.Map `json:"extra,omitempty"`
}

// Unlisted is an option's free-text field ("Other..."). Strings in its
// Override may contain {value}, which KubeSpawner replaces with the user's text.
type Unlisted struct {
	Enabled              bool   `json:"enabled"`
	DisplayName          string `json:"display_name,omitempty"`
	DisplayNameInChoices string `json:"display_name_in_choices,omitempty"`
	// Description is the help text under the field; KubeSpawner's own form
	// ignores it, jupyterhub-fancy-profiles shows it.
	Description       string `json:"description,omitempty"`
	ValidationRegex   string `json:"validation_regex,omitempty"`
	ValidationMessage string `json:"validation_message,omitempty"`
	// Image is the image the user's text starts: a template in which
	// KubeSpawner replaces {value} with the text, e.g. "{value}" or
	// "quay.io/org/{value}". It renders first in kubespawner_override.
	Image string `json:"image,omitempty"`
	// Settings here are literal values; other {value} templates stay in Override.
	Settings
	Override *ordered.Map `json:"kubespawner_override,omitempty"`
	Extra    *ordered.Map `json:"extra,omitempty"`
}

// Image returns the catalog image with the given slug.
func (c *Catalog) Image(slug string) (*Image, bool) {
	for i := range c.Images {
		if c.Images[i].Slug == slug {
			return &c.Images[i], true
		}
	}
	return nil, false
}

// NodeGroup returns the node group with the given slug.
func (c *Catalog) NodeGroup(slug string) (*NodeGroup, bool) {
	for i := range c.NodeGroups {
		if c.NodeGroups[i].Slug == slug {
			return &c.NodeGroups[i], true
		}
	}
	return nil, false
}
