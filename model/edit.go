package model

import (
	"fmt"
	"strings"
)

// AddImage appends an image to the catalog.
func (c *Catalog) AddImage(im Image) error {
	if _, ok := c.Image(im.Slug); ok {
		return fmt.Errorf("image %q: %w", im.Slug, ErrExists)
	}
	c.Images = append(c.Images, im)
	return nil
}

// RemoveImage deletes an image no profile or choice uses.
func (c *Catalog) RemoveImage(slug string) error {
	for i := range c.Images {
		if c.Images[i].Slug != slug {
			continue
		}
		if users := c.ImageUsers(slug); len(users) > 0 {
			return Errorf(CodeInUse, "image %q is still used by %s", slug, strings.Join(users, "; "))
		}
		c.Images = append(c.Images[:i], c.Images[i+1:]...)
		return nil
	}
	return fmt.Errorf("image %q: %w", slug, ErrNotFound)
}

// UnusedImages are the slugs of the images nothing uses (no profile, no
// choice, not the hub default), in catalog order: imports keep every image
// they ever added, and a tag bump by import leaves the old one behind.
func (c *Catalog) UnusedImages() []string {
	var out []string
	users := c.AllImageUsers() // one pass, not one per image
	for _, im := range c.Images {
		if len(users[im.Slug]) == 0 {
			out = append(out, im.Slug)
		}
	}
	return out
}

// RemoveUnusedImages deletes every image nothing uses and returns their
// slugs; the rendered list does not change.
func (c *Catalog) RemoveUnusedImages() []string {
	unused := c.UnusedImages()
	for _, slug := range unused {
		_ = c.RemoveImage(slug) // unused, so never refused
	}
	return unused
}

// ImageUsers says, in words, where an image is used.
func (c *Catalog) ImageUsers(slug string) []string {
	return c.AllImageUsers()[slug]
}

// AllImageUsers is ImageUsers for every image at once, by slug, in one pass
// over the profiles (a page listing every image of a big hub would
// otherwise walk every choice once per image).
func (c *Catalog) AllImageUsers() map[string][]string {
	out := map[string][]string{}
	if c.Defaults.Image != "" {
		out[c.Defaults.Image] = append(out[c.Defaults.Image], "the hub default")
	}
	for _, p := range c.Profiles {
		if p.Image != "" {
			out[p.Image] = append(out[p.Image], fmt.Sprintf("profile %q", p.Slug))
		}
		for _, o := range p.Options {
			for _, ch := range o.Choices {
				if ch.Image != "" {
					out[ch.Image] = append(out[ch.Image], fmt.Sprintf("profile %q, option %q, choice %q", p.Slug, o.Key, ch.Key))
				}
			}
		}
	}
	return out
}

// ProfileIndex is the position of the profile with the given slug, or -1.
func (c *Catalog) ProfileIndex(slug string) int {
	for i := range c.Profiles {
		if c.Profiles[i].Slug == slug {
			return i
		}
	}
	return -1
}

// AddProfile appends a profile.
func (c *Catalog) AddProfile(p Profile) error {
	if c.ProfileIndex(p.Slug) >= 0 {
		return fmt.Errorf("profile %q: %w", p.Slug, ErrExists)
	}
	c.Profiles = append(c.Profiles, p)
	return nil
}

// ReplaceProfile replaces the profile with the given slug, keeping its
// place; the new one may have another slug.
func (c *Catalog) ReplaceProfile(slug string, p Profile) error {
	i := c.ProfileIndex(slug)
	if i < 0 {
		return fmt.Errorf("profile %q: %w", slug, ErrNotFound)
	}
	if p.Slug != slug && c.ProfileIndex(p.Slug) >= 0 {
		return fmt.Errorf("profile %q: %w", p.Slug, ErrExists)
	}
	c.Profiles[i] = p
	return nil
}

// RemoveProfile deletes a profile.
func (c *Catalog) RemoveProfile(slug string) error {
	i := c.ProfileIndex(slug)
	if i < 0 {
		return fmt.Errorf("profile %q: %w", slug, ErrNotFound)
	}
	c.Profiles = append(c.Profiles[:i], c.Profiles[i+1:]...)
	return nil
}

// MoveProfile puts a profile at position to (0-based, clamped).
func (c *Catalog) MoveProfile(slug string, to int) error {
	i := c.ProfileIndex(slug)
	if i < 0 {
		return fmt.Errorf("profile %q: %w", slug, ErrNotFound)
	}
	p := c.Profiles[i]
	c.Profiles = append(c.Profiles[:i], c.Profiles[i+1:]...)
	to = max(0, min(to, len(c.Profiles)))
	c.Profiles = append(c.Profiles[:to], append([]Profile{p}, c.Profiles[to:]...)...)
	return nil
}

// UsesNodeGroup reports whether the profile or one of its choices sends
// users to the node group.
func (p *Profile) UsesNodeGroup(slug string) bool {
	if p.NodeGroup == slug {
		return true
	}
	for _, o := range p.Options {
		for _, ch := range o.Choices {
			if ch.NodeGroup == slug {
				return true
			}
		}
	}
	return false
}

// Offers lists the catalog images and node groups a profile offers, as the
// profile's own or as choices.
func (p *Profile) Offers() (images, nodeGroups []string) {
	add := func(list []string, s string) []string {
		if s == "" {
			return list
		}
		for _, x := range list {
			if x == s {
				return list
			}
		}
		return append(list, s)
	}
	images, nodeGroups = add(nil, p.Image), add(nil, p.NodeGroup)
	for _, o := range p.Options {
		for _, ch := range o.Choices {
			images, nodeGroups = add(images, ch.Image), add(nodeGroups, ch.NodeGroup)
		}
	}
	return images, nodeGroups
}

// SetImageRef points an image at another reference (a bump to another tag).
func (c *Catalog) SetImageRef(slug, ref string) error {
	im, ok := c.Image(slug)
	if !ok {
		return fmt.Errorf("image %q: %w", slug, ErrNotFound)
	}
	im.Ref = ref
	return nil
}
