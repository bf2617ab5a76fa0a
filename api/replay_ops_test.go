package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// The replay's settings operations: what the model does not type
// (init_containers, volume_mounts, a command, keys kept verbatim) an admin
// need not write when the change is a removal — of the setting, or of
// named items of a list — or a copy of a value the hub already has at
// another place (whole, or named items of one place's list). Those changes
// are sent as settings operations (api/settings.go), which write no raw
// JSON; whatever else changed stays in the profile's write and counts raw.

type replayOp struct {
	method, path string
	body         any
}

// rawPlace is one place of a profile with pointers to its raw maps.
type rawPlace struct {
	pl        model.Place
	ov, extra **ordered.Map
}

func profilePlaces(p *model.Profile) []rawPlace {
	out := []rawPlace{{model.Place{Profile: p.Slug}, &p.Override, &p.Extra}}
	for i := range p.Options {
		o := &p.Options[i]
		for j := range o.Choices {
			ch := &o.Choices[j]
			out = append(out, rawPlace{model.Place{Profile: p.Slug, Option: o.Key, Choice: ch.Key}, &ch.Override, &ch.Extra})
		}
		if o.Unlisted != nil {
			out = append(out, rawPlace{model.Place{Profile: p.Slug, Option: o.Key}, &o.Unlisted.Override, &o.Unlisted.Extra})
		}
	}
	return out
}

func catalogPlaces(c *model.Catalog) map[model.Place]rawPlace {
	out := map[model.Place]rawPlace{}
	for i := range c.Profiles {
		for _, rp := range profilePlaces(&c.Profiles[i]) {
			out[rp.pl] = rp
		}
	}
	return out
}

func placePath(pl model.Place) string {
	p := "api/v1/profiles/" + url.PathEscape(pl.Profile)
	switch {
	case pl.Option == "":
		return p
	case pl.Choice == "":
		return p + "/options/" + url.PathEscape(pl.Option) + "/unlisted_choice"
	}
	return p + "/options/" + url.PathEscape(pl.Option) + "/choices/" + url.PathEscape(pl.Choice)
}

// replayOps splits the change from before (nil: a new profile) to p into
// the profile write and the settings operations that follow it; cleanup
// removes the options and choices the write kept only as copy sources.
func replayOps(t *testing.T, head *model.Catalog, goalCat *model.Catalog, before *model.Profile, p model.Profile) (write model.Profile, ops, cleanup []replayOp) {
	t.Helper()
	write = p.Clone()
	old := map[model.Place]rawPlace{}
	if before != nil {
		for _, rp := range profilePlaces(before) {
			old[rp.pl] = rp
		}
	}
	headPlaces, goalPlaces := catalogPlaces(head), catalogPlaces(goalCat)
	headOrder := []model.Place{}
	for i := range head.Profiles {
		for _, rp := range profilePlaces(&head.Profiles[i]) {
			headOrder = append(headOrder, rp.pl)
		}
	}
	keep := map[model.Place]bool{}
	// usable says whether a source place of head still holds its value of
	// key when the operations run.
	usable := func(src model.Place, key string, v any) bool {
		if goalCat.ProfileIndex(src.Profile) < 0 {
			return true // its profile goes only after the operations
		}
		if g, ok := goalPlaces[src]; ok {
			gv, has := get(*g.ov, key)
			return has && ordered.Equal(gv, v)
		}
		if src.Profile == p.Slug {
			keep[src] = true
			return true
		}
		return false
	}
	source := func(key string, now any) (model.Place, []string, bool) {
		for _, pl := range headOrder {
			v, ok := get(*headPlaces[pl].ov, key)
			if ok && ordered.Equal(v, now) && usable(pl, key, v) {
				return pl, nil, true
			}
		}
		items, ok := now.([]any)
		if !ok || len(items) == 0 {
			return model.Place{}, nil, false
		}
		for _, pl := range headOrder {
			v, _ := get(*headPlaces[pl].ov, key)
			list, _ := v.([]any)
			var names []string
			for _, it := range items {
				name := model.ItemName(it)
				i := slices.IndexFunc(list, func(x any) bool { return model.ItemName(x) == name })
				if name == "" || i < 0 || !ordered.Equal(list[i], it) {
					break
				}
				names = append(names, name)
			}
			if len(names) == len(items) && usable(pl, key, v) {
				return pl, names, true
			}
		}
		return model.Place{}, nil, false
	}
	for _, rp := range profilePlaces(&write) {
		var oov, oex *ordered.Map
		if o, ok := old[rp.pl]; ok {
			oov, oex = *o.ov, *o.extra
		}
		at := placePath(rp.pl)
		ov := *rp.ov
		for _, k := range unionKeys(oov, ov) {
			was, had := get(oov, k)
			now, has := get(ov, k)
			if had == has && ordered.Equal(was, now) {
				continue
			}
			var planned []replayOp
			if had && !has {
				planned = append(planned, replayOp{http.MethodDelete, at + "/kubespawner_override/" + url.PathEscape(k), nil})
			} else if removed, ok := removedItems(was, now); had && ok {
				for _, name := range removed {
					planned = append(planned, replayOp{http.MethodDelete, at + "/kubespawner_override/" + url.PathEscape(k) + "?item=" + url.QueryEscape(name), nil})
				}
			} else if src, items, ok := source(k, now); ok {
				from := map[string]string{"profile": src.Profile}
				if src.Option != "" {
					from["option"] = src.Option
				}
				if src.Choice != "" {
					from["choice"] = src.Choice
				}
				body := map[string]any{"from": from}
				if items != nil {
					body["items"] = items
				}
				planned = append(planned, replayOp{http.MethodPut, at + "/kubespawner_override/" + url.PathEscape(k), body})
			}
			if planned == nil {
				continue // stays in the write: raw
			}
			ops = append(ops, planned...)
			if had {
				if ov == nil {
					ov = ordered.NewMap()
					*rp.ov = ov
				}
				ov.Set(k, ordered.Clone(was))
			} else {
				ov.Delete(k)
			}
		}
		if ov != nil && ov.Len() == 0 && oov == nil {
			*rp.ov = nil
		}
		ex := *rp.extra
		for _, k := range unionKeys(oex, ex) {
			was, had := get(oex, k)
			if _, has := get(ex, k); had && !has {
				ops = append(ops, replayOp{http.MethodDelete, at + "/extra/" + url.PathEscape(k), nil})
				if ex == nil {
					ex = ordered.NewMap()
					*rp.extra = ex
				}
				ex.Set(k, ordered.Clone(was))
			}
		}
	}
	// Sources the write would drop stay until the operations have run.
	for pl := range keep {
		rp := old[pl]
		if !keep[rp.pl] {
			continue
		}
		bo, _ := before.Option(rp.pl.Option)
		o, err := write.Option(rp.pl.Option)
		if err != nil {
			c := bo.Clone()
			for i := range c.Choices {
				c.Choices[i].Default = false
			}
			write.Options = append(write.Options, c)
			cleanup = append(cleanup, replayOp{http.MethodDelete, placePath(model.Place{Profile: p.Slug}) + "/options/" + url.PathEscape(bo.Key), nil})
			continue
		}
		if rp.pl.Choice == "" {
			continue // a free-text field the write keeps: its option is in the write
		}
		ch, _ := bo.Choice(rp.pl.Choice)
		if _, err := o.Choice(ch.Key); err == nil {
			continue
		}
		c := ch.Clone()
		c.Default = false
		o.Choices = append(o.Choices, c)
		cleanup = append(cleanup, replayOp{http.MethodDelete, placePath(rp.pl), nil})
	}
	return write, ops, cleanup
}

// removedItems is the names of the items of was, a list of named objects,
// that now lacks, when now is was with those items removed.
func removedItems(was, now any) ([]string, bool) {
	w, ok1 := was.([]any)
	n, ok2 := now.([]any)
	if !ok1 || !ok2 || len(n) >= len(w) {
		return nil, false
	}
	var removed []string
	j := 0
	for _, it := range w {
		name := model.ItemName(it)
		if name == "" {
			return nil, false
		}
		if j < len(n) && ordered.Equal(it, n[j]) {
			j++
			continue
		}
		removed = append(removed, name)
	}
	return removed, j == len(n)
}
