package model

import "fmt"

// RenameImage gives an image another slug, and every reference to it — the
// hub default, profiles, choices — follows, so the rendered list does not
// change. Import names images after their repository ("scipy-notebook"),
// but older imports named them after the whole reference
// ("scipy-notebook-2024-03-18"): renaming such an image once keeps its name
// true through later tag bumps.
func (c *Catalog) RenameImage(from, to string) error {
	im, ok := c.Image(from)
	if !ok {
		return fmt.Errorf("image %q: %w", from, ErrNotFound)
	}
	if from == to {
		return nil
	}
	if _, taken := c.Image(to); taken {
		return fmt.Errorf("image %q: %w", to, ErrExists)
	}
	im.Slug = to
	if c.Defaults.Image == from {
		c.Defaults.Image = to
	}
	for i := range c.Profiles {
		p := &c.Profiles[i]
		if p.Image == from {
			p.Image = to
		}
		for j := range p.Options {
			for k := range p.Options[j].Choices {
				if ch := &p.Options[j].Choices[k]; ch.Image == from {
					ch.Image = to
				}
			}
		}
	}
	return nil
}
