package model

import (
	"fmt"
)

// Promotion: taking changes from a peer hub's catalog (a staging hub's,
// say) into this one. The unit an admin ticks is an image, a profile (with
// its options and choices) or the hub-wide defaults: the things a catalog
// names by slug, so that taking one never half-applies another. Node groups
// are not taken: they are this hub's infrastructure config.

// Kinds of Difference.
const (
	KindImage    = "image"
	KindProfile  = "profile"
	KindDefaults = "defaults"
)

// Statuses of a Difference, said from this hub's side: what taking it does.
const (
	Added   = "added"   // only the peer has it: taking it adds it here
	Changed = "changed" // both have it, differently: taking it replaces this hub's
	Removed = "removed" // only this hub has it: taking it removes it here
)

// Difference is one image, profile or the defaults that differ between this
// hub's catalog and a peer's.
type Difference struct {
	Kind   string `json:"kind"`
	Slug   string `json:"slug,omitempty"` // empty for the defaults
	Name   string `json:"name"`
	Status string `json:"status"`
	// Lines say in words what taking it changes here, in the words of the
	// history page (Summarize).
	Lines []string `json:"lines"`
}

// Compare lists what differs from here to peer, images first, then
// profiles in the peer's order (those only here after them), then the
// defaults. Equal things are not listed.
func Compare(here, peer *Catalog) []Difference {
	var out []Difference
	for _, im := range peer.Images {
		old, ok := here.Image(im.Slug)
		if !ok {
			out = append(out, Difference{Kind: KindImage, Slug: im.Slug, Name: im.DisplayName, Status: Added,
				Lines: []string{fmt.Sprintf("added image %q (%s)", im.Slug, im.Ref)}})
		} else if line := imageChange(old, &im, here.profileNamesUsing(im.Slug)); line != "" {
			out = append(out, Difference{Kind: KindImage, Slug: im.Slug, Name: im.DisplayName, Status: Changed, Lines: []string{line}})
		}
	}
	for _, im := range here.Images {
		if _, ok := peer.Image(im.Slug); !ok {
			out = append(out, Difference{Kind: KindImage, Slug: im.Slug, Name: im.DisplayName, Status: Removed,
				Lines: []string{fmt.Sprintf("removed image %q", im.Slug)}})
		}
	}
	for i := range peer.Profiles {
		p := &peer.Profiles[i]
		j := here.ProfileIndex(p.Slug)
		if j < 0 {
			out = append(out, Difference{Kind: KindProfile, Slug: p.Slug, Name: p.DisplayName, Status: Added,
				Lines: append([]string{fmt.Sprintf("added profile %q", p.DisplayName)}, profileChanges(&Profile{DisplayName: p.DisplayName}, p)...)})
		} else if lines := profileChanges(&here.Profiles[j], p); len(lines) > 0 || !sameJSON(here.Profiles[j], *p) {
			if len(lines) == 0 {
				lines = []string{"edited (extra keys KubeSpawner ignores)"}
			}
			out = append(out, Difference{Kind: KindProfile, Slug: p.Slug, Name: p.DisplayName, Status: Changed, Lines: lines})
		}
	}
	for _, p := range here.Profiles {
		if peer.ProfileIndex(p.Slug) < 0 {
			out = append(out, Difference{Kind: KindProfile, Slug: p.Slug, Name: p.DisplayName, Status: Removed,
				Lines: []string{fmt.Sprintf("removed profile %q", p.DisplayName)}})
		}
	}
	if here.Defaults != peer.Defaults {
		var lines []string
		if here.Defaults.Image != peer.Defaults.Image {
			lines = append(lines, fmt.Sprintf("hub-wide image %s → %s", orNone(here.Defaults.Image), orNone(peer.Defaults.Image)))
		}
		if here.Defaults.DefaultURL != peer.Defaults.DefaultURL {
			lines = append(lines, fmt.Sprintf("hub-wide interface %s → %s", orNone(here.Defaults.DefaultURL), orNone(peer.Defaults.DefaultURL)))
		}
		out = append(out, Difference{Kind: KindDefaults, Name: "hub-wide defaults", Status: Changed, Lines: lines})
	}
	return out
}

// Selection is what to take from a peer: images and profiles by slug, and
// the hub-wide defaults.
type Selection struct {
	Images   []string `json:"images"`
	Profiles []string `json:"profiles"`
	Defaults bool     `json:"defaults"`
}

// Empty says whether nothing is selected.
func (s Selection) Empty() bool {
	return len(s.Images) == 0 && len(s.Profiles) == 0 && !s.Defaults
}

// Take applies the selected parts of peer to c and says what it took. A
// profile or the defaults bring along the peer's images they use that c
// lacks (an image c already has is c's own unless it is selected too). A
// profile only the peer has goes after the profiles that precede it there;
// an image or profile only c has is removed (an image still in use is
// refused with CodeInUse). A slug neither has is ErrNotFound.
func (c *Catalog) Take(peer *Catalog, sel Selection) ([]string, error) {
	var took []string
	var removeImages []string
	for _, slug := range sel.Images {
		im, ok := peer.Image(slug)
		_, here := c.Image(slug)
		switch {
		case ok:
			c.putImage(*im)
			took = append(took, fmt.Sprintf("image %q", slug))
		case here:
			removeImages = append(removeImages, slug)
		default:
			return nil, fmt.Errorf("image %q: neither this hub nor the peer has it: %w", slug, ErrNotFound)
		}
	}
	for _, slug := range sel.Profiles {
		i := peer.ProfileIndex(slug)
		j := c.ProfileIndex(slug)
		switch {
		case i >= 0:
			p := peer.Profiles[i].Clone()
			if j >= 0 {
				c.Profiles[j] = p
			} else {
				c.Profiles = insertAt(c.Profiles, c.placeAfter(peer, i), p)
			}
			took = append(took, fmt.Sprintf("profile %q", slug))
			images, _ := p.Offers()
			took = append(took, c.bringImages(peer, images)...)
		case j >= 0:
			if err := c.RemoveProfile(slug); err != nil {
				return nil, err
			}
			took = append(took, fmt.Sprintf("profile %q (removed)", slug))
		default:
			return nil, fmt.Errorf("profile %q: neither this hub nor the peer has it: %w", slug, ErrNotFound)
		}
	}
	if sel.Defaults {
		c.Defaults = peer.Defaults
		took = append(took, "the hub-wide defaults")
		if peer.Defaults.Image != "" {
			took = append(took, c.bringImages(peer, []string{peer.Defaults.Image})...)
		}
	}
	for _, slug := range removeImages {
		if err := c.RemoveImage(slug); err != nil {
			return nil, err
		}
		took = append(took, fmt.Sprintf("image %q (removed)", slug))
	}
	return took, nil
}

// putImage replaces the image with im's slug, or appends im.
func (c *Catalog) putImage(im Image) {
	for i := range c.Images {
		if c.Images[i].Slug == im.Slug {
			c.Images[i] = im
			return
		}
	}
	c.Images = append(c.Images, im)
}

// bringImages adds the peer's images among slugs that c lacks.
func (c *Catalog) bringImages(peer *Catalog, slugs []string) []string {
	var took []string
	for _, s := range slugs {
		if _, here := c.Image(s); here {
			continue
		}
		if im, ok := peer.Image(s); ok {
			c.Images = append(c.Images, *im)
			took = append(took, fmt.Sprintf("image %q (used by what was taken)", s))
		}
	}
	return took
}

// placeAfter is where the peer's profile at index i goes in c: after the
// nearest profile before it in the peer's order that c has, else first.
func (c *Catalog) placeAfter(peer *Catalog, i int) int {
	for k := i - 1; k >= 0; k-- {
		if j := c.ProfileIndex(peer.Profiles[k].Slug); j >= 0 {
			return j + 1
		}
	}
	return 0
}
