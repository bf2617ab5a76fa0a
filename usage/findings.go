package usage

import (
	"fmt"
	"slices"

	"github.com/jupyterhub/hubprofiles/model"
)

// Sentence says c in words, for pages and warnings: "3 users are running
// this now; 41 used it in the last 30 days, 12 in the last 7".
func (c Counts) Sentence() string {
	var now string
	switch c.RunningUsers {
	case 0:
		now = "no one is running this now"
	case 1:
		now = "1 user is running this now"
	default:
		now = fmt.Sprintf("%d users are running this now", c.RunningUsers)
	}
	switch {
	case c.Users30d == 0 && c.LastUsed == nil:
		return now + "; no server's last start used it"
	case c.Users30d == 0:
		return now + "; no one used it in the last 30 days (last used " + c.LastUsed.UTC().Format("2006-01-02") + ")"
	}
	return fmt.Sprintf("%s; %d used it in the last 30 days, %d in the last 7", now, c.Users30d, c.Users7d)
}

// Removed warns about what after takes away that is in use, from a report
// made against the live catalog (what the servers were started from):
// profiles, choices, free-text fields and images that users run now or
// used in the last 30 days. Paths are after's catalog paths where the
// thing's parent is still there. Nothing when usage is unknown.
func Removed(r *Report, live, after *model.Catalog) []model.Finding {
	if r == nil || !r.Known || live == nil {
		return nil
	}
	var fs []model.Finding
	warn := func(path string, c Counts, format string, args ...any) {
		if c.InUse() {
			fs = append(fs, model.Finding{Severity: model.Warning, Path: path, Message: fmt.Sprintf(format, args...) + ": " + c.Sentence()})
		}
	}
	for _, lp := range live.Profiles {
		i := after.ProfileIndex(lp.Slug)
		if i < 0 {
			warn("/profiles", r.Profile(lp.Slug), "profile %q is removed but in use", lp.Slug)
			continue
		}
		ap := &after.Profiles[i]
		for _, lo := range lp.Options {
			j := slices.IndexFunc(ap.Options, func(o model.Option) bool { return o.Key == lo.Key })
			path := model.Pointer("profiles", i)
			var ao *model.Option
			if j >= 0 {
				ao, path = &ap.Options[j], model.Pointer("profiles", i, "options", j)
			}
			for _, lc := range lo.Choices {
				if ao == nil || !slices.ContainsFunc(ao.Choices, func(c model.Choice) bool { return c.Key == lc.Key }) {
					warn(path, r.Choice(lp.Slug, lo.Key, lc.Key), "choice %q of option %q (profile %q) is removed but in use", lc.Key, lo.Key, lp.Slug)
				}
			}
			if lo.Unlisted != nil && lo.Unlisted.Enabled && (ao == nil || ao.Unlisted == nil || !ao.Unlisted.Enabled) {
				warn(path, r.Free(lp.Slug, lo.Key), "the free-text field of option %q (profile %q) is removed but in use", lo.Key, lp.Slug)
			}
		}
	}
	afterUsers, liveUsers := after.AllImageUsers(), live.AllImageUsers() // one pass each, not one per image
	for _, im := range live.Images {
		if _, ok := after.Image(im.Slug); !ok {
			warn("/images", r.Image(im.Slug), "image %q (%s) is removed but in use", im.Slug, im.Ref)
		} else if len(afterUsers[im.Slug]) == 0 && len(liveUsers[im.Slug]) > 0 {
			warn("/images", r.Image(im.Slug), "image %q (%s) is no longer offered by any profile but in use", im.Slug, im.Ref)
		}
	}
	return fs
}
