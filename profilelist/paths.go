package profilelist

import (
	"strconv"
	"strings"

	"github.com/jupyterhub/hubprofiles/model"
)

// CatalogPath translates a path into the rendered profile list (what
// Validate reports) into the matching path in the catalog the list was
// rendered from, so that an editor can show a finding next to the field the
// admin typed: /0/profile_options/image/choices/py/kubespawner_override/image
// becomes /profiles/0/options/0/choices/1/image when that choice names a
// catalog image. A path it cannot follow is returned under /profiles as far
// as it could follow it.
func CatalogPath(c *model.Catalog, listPath string) string {
	parts := splitPointer(listPath)
	if len(parts) == 0 {
		return "/profiles"
	}
	i, err := strconv.Atoi(parts[0])
	if err != nil || i < 0 || i >= len(c.Profiles) {
		return "/profiles"
	}
	p := &c.Profiles[i]
	out := model.Pointer("profiles", i)
	rest := parts[1:]
	if len(rest) == 0 {
		return out
	}
	switch rest[0] {
	case "kubespawner_override":
		return out + overridePath(p.Image, p.NodeGroup, &p.Settings, rest)
	case "profile_options":
		if len(rest) < 2 {
			return out + "/options"
		}
		j := optionIndex(p, rest[1])
		if j < 0 {
			return out + "/options"
		}
		out += model.Pointer("options", j)
		o := &p.Options[j]
		rest = rest[2:]
		if len(rest) >= 2 && rest[0] == "choices" {
			for k := range o.Choices {
				if o.Choices[k].Key == rest[1] {
					ch := &o.Choices[k]
					out += model.Pointer("choices", k)
					if len(rest) > 2 && rest[2] == "kubespawner_override" {
						return out + overridePath(ch.Image, ch.NodeGroup, &ch.Settings, rest[2:])
					}
					return out + joinPointer(rest[2:])
				}
			}
			return out + "/choices"
		}
		if len(rest) > 1 && rest[0] == "unlisted_choice" && rest[1] == "kubespawner_override" && o.Unlisted != nil {
			return out + "/unlisted_choice" + overridePath(o.Unlisted.Image, "", &o.Unlisted.Settings, rest[1:])
		}
		return out + joinPointer(rest)
	}
	return out + joinPointer(rest)
}

// overridePath maps a key of a rendered kubespawner_override back to the
// typed field it came from, if any.
func overridePath(image, nodeGroup string, s *model.Settings, rest []string) string {
	if len(rest) >= 2 {
		if typed := settingPath(s, rest[1:]); typed != "" {
			return typed
		}
		switch {
		case rest[1] == "image" && image != "":
			return "/image"
		case rest[1] == "default_url":
			return "/default_url"
		case (rest[1] == "node_selector" || rest[1] == "tolerations") && nodeGroup != "":
			return "/node_group"
		}
	}
	return joinPointer(rest)
}

func optionIndex(p *model.Profile, key string) int {
	for j := range p.Options {
		if p.Options[j].Key == key {
			return j
		}
	}
	return -1
}

func splitPointer(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
	}
	return parts
}

func joinPointer(parts []string) string {
	args := make([]any, len(parts))
	for i, s := range parts {
		args[i] = s
	}
	return model.Pointer(args...)
}
