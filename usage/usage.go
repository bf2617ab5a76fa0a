// Package usage tells who uses what: for every profile, choice, free-text
// option and catalog image, how many servers run it now, how many distinct
// users used it in the last 7 and 30 days, and when it was last used. The
// facts come from the hub's REST API (hub.go): every server's user_options
// name the profile slug and the option choices it was started with, and
// the hub keeps them, with last_activity, for stopped servers too. A
// Watcher (watch.go) reads them in the background, never on the spawn or
// feed path; Tally (this file) matches them to a catalog, without I/O.
//
// What the hub keeps is each server's last start: a user who used image A
// last month and image B since counts for B only.
package usage

import (
	"strings"
	"time"

	"github.com/jupyterhub/hubprofiles/model"
)

// Server is one of a user's servers as the hub reports it.
type Server struct {
	User string
	Name string // "" for the default server
	// Options are the user_options the server was last started with.
	Options map[string]any
	// LastActivity is the hub's last_activity of the server (zero: none).
	LastActivity time.Time
	// Running: the server is running or starting now.
	Running bool
}

// Counts is how much one thing is used.
type Counts struct {
	// Running is the number of servers running it now, RunningUsers the
	// number of distinct users they belong to.
	Running      int `json:"running"`
	RunningUsers int `json:"running_users"`
	// Users7d and Users30d are the distinct users whose server used it in
	// the last 7 and 30 days (a running server counts as used now).
	Users7d  int `json:"users_7d"`
	Users30d int `json:"users_30d"`
	// LastUsed is the newest use; nil: no server's last start used it.
	LastUsed *time.Time `json:"last_used"`
}

// InUse says whether anyone runs it now or used it in the last 30 days.
func (c Counts) InUse() bool { return c.Running > 0 || c.Users30d > 0 }

// Windows of the report.
const (
	Week  = 7 * 24 * time.Hour
	Month = 30 * 24 * time.Hour
	// Unused is how long an image must go unused to be a candidate for
	// removal.
	Unused = 90 * 24 * time.Hour
)

// Key names an option or a choice of a profile. Choice is "" for an
// option's free-text field.
type Key struct{ Profile, Option, Choice string }

// Tally is usage matched to one catalog, at one moment.
type Tally struct {
	At       time.Time
	Profiles map[string]Counts // by profile slug
	Choices  map[Key]Counts    // by profile, option and choice key
	FreeText map[Key]Counts    // by profile and option (Choice "")
	Images   map[string]Counts // by catalog image slug
	// Servers and Users are what was counted; Unmatched is the number of
	// servers whose profile the catalog does not have (renamed or removed
	// since they started).
	Servers, Users, Unmatched int
}

// Profile is the usage of profile slug (zero when unused).
func (t *Tally) Profile(slug string) Counts { return t.Profiles[slug] }

// Choice is the usage of a choice.
func (t *Tally) Choice(profile, option, choice string) Counts {
	return t.Choices[Key{profile, option, choice}]
}

// Free is the usage of an option's free-text field.
func (t *Tally) Free(profile, option string) Counts { return t.FreeText[Key{profile, option, ""}] }

// Image is the usage of catalog image slug.
func (t *Tally) Image(slug string) Counts { return t.Images[slug] }

// RemovalCandidate says whether no server runs image slug and none used
// it in the last 90 days.
func (t *Tally) RemovalCandidate(slug string) bool {
	c := t.Images[slug]
	return c.Running == 0 && (c.LastUsed == nil || t.At.Sub(*c.LastUsed) > Unused)
}

// acc gathers one thing's uses before they become Counts.
type acc struct {
	running         int
	runningUsers    map[string]bool
	week, month     map[string]bool
	last            time.Time
	used            bool
	weekAt, monthAt time.Time
}

func (a *acc) add(s *Server, at time.Time) {
	if a.runningUsers == nil {
		a.runningUsers, a.week, a.month = map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
	if s.Running {
		a.running++
		a.runningUsers[s.User] = true
	}
	if at.IsZero() {
		return
	}
	if !at.Before(a.weekAt) {
		a.week[s.User] = true
	}
	if !at.Before(a.monthAt) {
		a.month[s.User] = true
	}
	if !a.used || at.After(a.last) {
		a.last, a.used = at, true
	}
}

func (a *acc) counts() Counts {
	c := Counts{Running: a.running, RunningUsers: len(a.runningUsers), Users7d: len(a.week), Users30d: len(a.month)}
	if a.used {
		last := a.last
		c.LastUsed = &last
	}
	return c
}

// Count matches servers to catalog c as KubeSpawner would apply their
// user_options: an empty or missing profile is the default profile (the
// first one marked default, else the first), a missing choice the
// option's default choice, "<option>--unlisted-choice" the option's
// free-text field, and the image is the last of the hub-wide default, the
// profile's and each chosen choice's (a free-text value that fills in to
// a catalog image's reference counts for that image).
func Count(c *model.Catalog, servers []Server, now time.Time) *Tally {
	accs := map[any]*acc{}
	get := func(k any) *acc {
		a := accs[k]
		if a == nil {
			a = &acc{weekAt: now.Add(-Week), monthAt: now.Add(-Month)}
			accs[k] = a
		}
		return a
	}
	type profileKey string
	type imageKey string
	type freeKey Key
	t := &Tally{At: now, Profiles: map[string]Counts{}, Choices: map[Key]Counts{}, FreeText: map[Key]Counts{}, Images: map[string]Counts{}}
	users := map[string]bool{}
	refs := map[string]string{}
	for _, im := range c.Images {
		refs[im.Ref] = im.Slug
	}
	for i := range servers {
		s := &servers[i]
		users[s.User] = true
		at := s.LastActivity
		if s.Running {
			at = now
		}
		p := profileOf(c, s.Options)
		if p == nil {
			t.Unmatched++
			continue
		}
		get(profileKey(p.Slug)).add(s, at)
		image := c.Defaults.Image
		if p.Image != "" {
			image = p.Image
		}
		for _, o := range p.Options {
			if text, _ := s.Options[o.Key+"--unlisted-choice"].(string); text != "" {
				get(freeKey(Key{p.Slug, o.Key, ""})).add(s, at)
				if o.Unlisted != nil && o.Unlisted.Image != "" {
					if slug, ok := refs[fillValue(o.Unlisted.Image, text)]; ok {
						image = slug
					}
				}
				continue
			}
			ch := choiceOf(o, s.Options[o.Key])
			if ch == nil {
				continue
			}
			get(Key{p.Slug, o.Key, ch.Key}).add(s, at)
			if ch.Image != "" {
				image = ch.Image
			}
		}
		if image != "" {
			get(imageKey(image)).add(s, at)
		}
	}
	for k, a := range accs {
		switch k := k.(type) {
		case profileKey:
			t.Profiles[string(k)] = a.counts()
		case imageKey:
			t.Images[string(k)] = a.counts()
		case freeKey:
			t.FreeText[Key(k)] = a.counts()
		case Key:
			t.Choices[k] = a.counts()
		}
	}
	t.Servers, t.Users = len(servers), len(users)
	return t
}

// profileOf is the profile user_options start, nil when the catalog has
// none by that slug.
func profileOf(c *model.Catalog, opts map[string]any) *model.Profile {
	slug, _ := opts["profile"].(string)
	if slug == "" {
		return defaultOf(c.Profiles, func(p *model.Profile) bool { return p.Default })
	}
	if i := c.ProfileIndex(slug); i >= 0 {
		return &c.Profiles[i]
	}
	return nil
}

// choiceOf is the choice a user_options value picks: the named one, or
// the option's default when none is named.
func choiceOf(o model.Option, v any) *model.Choice {
	key, _ := v.(string)
	if key == "" {
		return defaultOf(o.Choices, func(ch *model.Choice) bool { return ch.Default })
	}
	for i := range o.Choices {
		if o.Choices[i].Key == key {
			return &o.Choices[i]
		}
	}
	return nil
}

// defaultOf is what KubeSpawner picks when nothing is named: the first
// item marked default, else the first; nil when there are none.
func defaultOf[T any](items []T, isDefault func(*T) bool) *T {
	for i := range items {
		if isDefault(&items[i]) {
			return &items[i]
		}
	}
	if len(items) > 0 {
		return &items[0]
	}
	return nil
}

// fillValue fills {value} into a free-text field's image template, as
// KubeSpawner's format_map does for the plain field (other fields and
// format specs are left as they are: such a template names no catalog
// image anyway).
func fillValue(template, value string) string {
	out := make([]byte, 0, len(template)+len(value))
	for i := 0; i < len(template); i++ {
		switch {
		case strings.HasPrefix(template[i:], "{value}"):
			out = append(out, value...)
			i += len("{value}") - 1
		case strings.HasPrefix(template[i:], "{{") || strings.HasPrefix(template[i:], "}}"):
			out = append(out, template[i])
			i++
		default:
			out = append(out, template[i])
		}
	}
	return string(out)
}
