package model

import (
	"fmt"
	"github.com/jupyterhub/hubprofiles/ordered"
	"regexp"
	"strings"
)

// Severity says whether a finding breaks KubeSpawner (Error) or is only
// inconsistent or likely wrong (Warning).
type Severity string

// The two severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one problem, located by a JSON pointer (RFC 6901) into the
// document it was found in.
type Finding struct {
	Severity Severity `json:"severity"`
	Path     string   `json:"path"`
	Message  string   `json:"message"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s: %s", f.Path, f.Severity, f.Message)
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// Pointer builds a JSON pointer from its parts (see ordered.Pointer).
func Pointer(parts ...any) string { return ordered.Pointer(parts...) }

// Keys that the typed fields of each level render to. Extra may hold one of
// them only when the typed field is unset (an imported value of an unexpected
// type, such as default: "True", is kept that way).
var (
	ProfileKeys  = []string{"display_name", "slug", "description", "default", "allowed_groups", "kubespawner_override", "profile_options"}
	OptionKeys   = []string{"display_name", "choices", "unlisted_choice"}
	ChoiceKeys   = []string{"display_name", "description", "default", "allowed_groups", "kubespawner_override"}
	UnlistedKeys = []string{"enabled", "display_name", "display_name_in_choices", "validation_regex", "validation_message", "kubespawner_override"}
)

// CheckDefaultURL says what is wrong with an interface path ("" if
// nothing): it is a path on the user's server, like /lab or /rstudio.
func CheckDefaultURL(u string) string {
	switch {
	case !strings.HasPrefix(u, "/"):
		return fmt.Sprintf("the interface %q must be a path on the user's server starting with /, like /lab, /tree or /rstudio", u)
	case strings.HasPrefix(u, "//") || strings.Contains(u, "://"):
		return fmt.Sprintf("the interface %q must be a path, not a URL to another site", u)
	case strings.ContainsAny(u, " \t\n\"'<>"):
		return fmt.Sprintf("the interface %q contains spaces, quotes or < >", u)
	}
	return ""
}

var imageSlug = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Check reports what is over the limits (DefaultLimits), then what is
// inconsistent inside the catalog itself: duplicate
// slugs and keys, references to images or node groups that do not exist, and
// a value given both by a typed field and by the override or extra keys.
// Paths point into the catalog document. What KubeSpawner would make of the
// rendered list is package profilelist's business.
func (c *Catalog) Check() []Finding {
	if fs := c.CheckLimits(DefaultLimits); len(fs) > 0 {
		return fs // nothing else is checked on a catalog over the limits
	}
	var fs []Finding
	add := func(path, format string, args ...any) {
		fs = append(fs, Finding{Severity: Error, Path: path, Message: fmt.Sprintf(format, args...)})
	}
	seen := map[string]bool{}
	for i, im := range c.Images {
		p := Pointer("images", i)
		switch {
		case im.Slug == "":
			add(p+"/slug", "an image needs a slug")
		case !imageSlug.MatchString(im.Slug):
			add(p+"/slug", "image slug %q may only have lowercase letters, digits and single hyphens (it is used in URLs and in z2jh's prePuller)", im.Slug)
		case seen[im.Slug]:
			add(p+"/slug", "image slug %q is used twice", im.Slug)
		}
		seen[im.Slug] = true
		if strings.TrimSpace(im.Ref) == "" {
			add(p+"/ref", "an image needs a reference such as quay.io/org/image:tag")
		} else if im.Ref != strings.TrimSpace(im.Ref) || strings.ContainsAny(im.Ref, " \t\n") {
			add(p+"/ref", "image reference %q contains whitespace", im.Ref)
		}
	}
	seen = map[string]bool{}
	for i, ng := range c.NodeGroups {
		p := Pointer("node_groups", i)
		if ng.Slug == "" {
			add(p+"/slug", "a node group needs a slug")
		} else if seen[ng.Slug] {
			add(p+"/slug", "node group slug %q is used twice", ng.Slug)
		}
		seen[ng.Slug] = true
	}
	if im := c.Defaults.Image; im != "" {
		if _, ok := c.Image(im); !ok {
			add("/defaults/image", "no image %q in the image catalog", im)
		}
	}
	if u := c.Defaults.DefaultURL; u != "" {
		if msg := CheckDefaultURL(u); msg != "" {
			add("/defaults/default_url", "%s", msg)
		}
	}
	seen = map[string]bool{}
	for i, pr := range c.Profiles {
		p := Pointer("profiles", i)
		if pr.Slug != "" && seen[pr.Slug] {
			add(p+"/slug", "profile slug %q is used twice", pr.Slug)
		}
		seen[pr.Slug] = true
		fs = append(fs, c.checkRefs(p, pr.Image, pr.NodeGroup, pr.DefaultURL, pr.Override)...)
		fs = append(fs, checkSettings(p, &pr.Settings, pr.Override, pr.NodeGroup)...)
		fs = append(fs, checkExtra(p, pr.Extra, map[string]bool{
			"display_name": pr.DisplayName != "", "slug": true, "description": pr.Description != "",
			"default": pr.Default, "allowed_groups": pr.AllowedGroups != nil, "allowed_teams": pr.AllowedTeams != nil,
			"kubespawner_override": pr.Override != nil || pr.Image != "" || pr.NodeGroup != "" || pr.DefaultURL != "" || !pr.Settings.IsZero(),
			"profile_options":      len(pr.Options) > 0,
		})...)
		keys := map[string]bool{}
		for j, o := range pr.Options {
			op := Pointer("profiles", i, "options", j)
			if keys[o.Key] {
				add(op+"/key", "option key %q is used twice in this profile", o.Key)
			}
			keys[o.Key] = true
			fs = append(fs, checkExtra(op, o.Extra, map[string]bool{
				"display_name": o.DisplayName != "", "choices": true, "unlisted_choice": o.Unlisted != nil,
				"dynamic_image_building": o.DynamicImageBuilding != nil,
			})...)
			ckeys := map[string]bool{}
			for k, ch := range o.Choices {
				cp := Pointer("profiles", i, "options", j, "choices", k)
				if ckeys[ch.Key] {
					add(cp+"/key", "choice key %q is used twice in this option", ch.Key)
				}
				ckeys[ch.Key] = true
				fs = append(fs, c.checkRefs(cp, ch.Image, ch.NodeGroup, ch.DefaultURL, ch.Override)...)
				fs = append(fs, checkSettings(cp, &ch.Settings, ch.Override, ch.NodeGroup)...)
				fs = append(fs, checkExtra(cp, ch.Extra, map[string]bool{
					"display_name": ch.DisplayName != "", "description": ch.Description != "", "slug": ch.Slug != "",
					"default": ch.Default, "allowed_groups": ch.AllowedGroups != nil,
					"kubespawner_override": ch.Override != nil || ch.Image != "" || ch.NodeGroup != "" || ch.DefaultURL != "" || !ch.Settings.IsZero(),
				})...)
			}
			if u := o.Unlisted; u != nil {
				fs = append(fs, CheckSettings(op+"/unlisted_choice", &u.Settings, u.Override)...)
				if u.Image != "" && u.Override.Has("image") {
					add(op+"/unlisted_choice/kubespawner_override/image", "image is set twice: as the typed image template and in kubespawner_override")
				}
				fs = append(fs, checkExtra(op+"/unlisted_choice", u.Extra, map[string]bool{
					"enabled": u.Enabled, "display_name": u.DisplayName != "", "description": u.Description != "",
					"display_name_in_choices": u.DisplayNameInChoices != "",
					"validation_regex":        u.ValidationRegex != "", "validation_message": u.ValidationMessage != "",
					"kubespawner_override": u.Override != nil || u.Image != "" || !u.Settings.IsZero(),
				})...)
			}
		}
	}
	return fs
}

func (c *Catalog) checkRefs(p, image, nodeGroup, defaultURL string, ov *ordered.Map) []Finding {
	var fs []Finding
	add := func(path, format string, args ...any) {
		fs = append(fs, Finding{Severity: Error, Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if defaultURL != "" {
		if msg := CheckDefaultURL(defaultURL); msg != "" {
			add(p+"/default_url", "%s", msg)
		}
		if ov.Has("default_url") {
			add(p+"/kubespawner_override/default_url", "the interface is set twice: as default_url %q and in kubespawner_override", defaultURL)
		}
	}
	if image != "" {
		if _, ok := c.Image(image); !ok {
			add(p+"/image", "no image %q in the image catalog", image)
		}
		if ov.Has("image") {
			add(p+"/kubespawner_override/image", "the image is set twice: by the catalog image %q and in kubespawner_override", image)
		}
	}
	if nodeGroup != "" {
		if _, ok := c.NodeGroup(nodeGroup); !ok {
			add(p+"/node_group", "no node group %q in the infrastructure config", nodeGroup)
		}
		for _, k := range []string{"node_selector", "tolerations"} {
			if ov.Has(k) {
				add(p+"/kubespawner_override/"+k, "%s is set twice: by node group %q and in kubespawner_override", k, nodeGroup)
			}
		}
	}
	return fs
}

func checkExtra(p string, extra *ordered.Map, taken map[string]bool) []Finding {
	var fs []Finding
	for _, k := range extra.Keys() {
		if taken[k] {
			fs = append(fs, Finding{Severity: Error, Path: p + Pointer("extra", k),
				Message: fmt.Sprintf("%q is a field of its own here; it cannot also be an extra key", k)})
		}
	}
	return fs
}
