package usage

import (
	"time"

	"github.com/jupyterhub/hubprofiles/model"
)

// View is a report laid out along a catalog, in its order: what the API's
// GET usage answers and what the pages show.
type View struct {
	// Known: the hub has been read; otherwise every count is zero and
	// Problem says why usage is unknown.
	Known bool       `json:"known"`
	AsOf  *time.Time `json:"as_of"`
	// Problem is why the newest read failed, "" when it worked (with
	// Known, the counts are those of the read before).
	Problem   string         `json:"problem"`
	Servers   int            `json:"servers"`
	Users     int            `json:"users"`
	Unmatched int            `json:"unmatched"`
	Profiles  []ProfileUsage `json:"profiles"`
	Images    []ImageUsage   `json:"images"`
}

// ProfileUsage is one profile's usage and its options'.
type ProfileUsage struct {
	Slug    string        `json:"slug"`
	Usage   Counts        `json:"usage"`
	Options []OptionUsage `json:"options"`
}

// OptionUsage is an option's choices' usage and its free-text field's
// (nil when the option has none).
type OptionUsage struct {
	Key      string        `json:"key"`
	Choices  []ChoiceUsage `json:"choices"`
	FreeText *Counts       `json:"free_text"`
}

// ChoiceUsage is one choice's usage.
type ChoiceUsage struct {
	Key   string `json:"key"`
	Usage Counts `json:"usage"`
}

// ImageUsage is one catalog image's usage; RemovalCandidate: no server
// runs it and none used it in the last 90 days.
type ImageUsage struct {
	Slug             string `json:"slug"`
	Ref              string `json:"ref"`
	Usage            Counts `json:"usage"`
	RemovalCandidate bool   `json:"removal_candidate"`
}

// ViewOf lays r out along c (r made for c).
func ViewOf(r *Report, c *model.Catalog) *View {
	v := &View{Known: r.Known, Problem: r.Problem, Profiles: []ProfileUsage{}, Images: []ImageUsage{}}
	if r.Known {
		at := r.AsOf
		v.AsOf = &at
		v.Servers, v.Users, v.Unmatched = r.Servers, r.Users, r.Unmatched
	}
	for _, p := range c.Profiles {
		pu := ProfileUsage{Slug: p.Slug, Usage: r.Profile(p.Slug), Options: []OptionUsage{}}
		for _, o := range p.Options {
			ou := OptionUsage{Key: o.Key, Choices: []ChoiceUsage{}}
			for _, ch := range o.Choices {
				ou.Choices = append(ou.Choices, ChoiceUsage{Key: ch.Key, Usage: r.Choice(p.Slug, o.Key, ch.Key)})
			}
			if o.Unlisted != nil && o.Unlisted.Enabled {
				free := r.Free(p.Slug, o.Key)
				ou.FreeText = &free
			}
			pu.Options = append(pu.Options, ou)
		}
		v.Profiles = append(v.Profiles, pu)
	}
	for _, im := range c.Images {
		v.Images = append(v.Images, ImageUsage{Slug: im.Slug, Ref: im.Ref, Usage: r.Image(im.Slug),
			RemovalCandidate: r.Known && r.RemovalCandidate(im.Slug)})
	}
	return v
}
