package edit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/kubespawner"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// The privilege boundary. KubeSpawner applies every kubespawner_override key
// with setattr, so whoever writes one decides what the user's pod is
// allowed to do: run privileged, as root, with the node's file system or
// network, under the hub's service account. Editors (anyone writing through
// the pages or the API, hub admins included) may add or change only the
// settings the infrastructure config's policy.editorOverrides lists; the
// cluster's operators set the rest, with the command-line import or by
// widening the policy.
//
// What an edit may not do is judged on the rendered lists KubeSpawner
// reads, before and after the edit, place by place (a profile by its slug,
// an option and a choice by their keys, an option's free-text field), so
// that no field of the catalog — typed, override or extra — is a way around
// it. A setting outside the policy may stay exactly as it was at its place,
// or go (removing narrows what a pod may do); anything else is refused:
// added, changed (a value inside it too), or moved to another place.

// boundaryHint is how every refusal ends: who can do it instead.
const boundaryHint = "an operator can allow it with policy.editorOverrides in the infrastructure config, or import the list with the command line (hubprofiles import)"

// overBoundary lists what turning before into after would add or change
// outside what editors may write (errors), and the node selectors it adds
// or changes that pick no configured node group (warnings, or errors with
// policy.nodeSelectorOutsideGroups: error). Paths are catalog paths into after, or, for an
// imported list, paths into it after listPrefix.
func overBoundary(pol infra.Policy, before, after *model.Catalog, importedList bool, listPrefix string) []model.Finding {
	var fs []model.Finding
	if !pol.EditorMay("image") && defaultImageRef(before) != defaultImageRef(after) {
		fs = append(fs, refusal("/defaults/image", "defaults.image", " (the hub-wide image, as kubespawner_override.image)"))
	}
	if !pol.EditorMay("default_url") && before.Defaults.DefaultURL != after.Defaults.DefaultURL {
		fs = append(fs, refusal("/defaults/default_url", "defaults.default_url", " (the hub-wide interface, as kubespawner_override.default_url)"))
	}
	old, err1 := profilelist.Render(before)
	cur, err2 := profilelist.Render(after)
	if err1 != nil || err2 != nil {
		return fs // a list that does not render is refused by the checks that follow
	}
	found := listBoundary(pol, after.NodeGroups, old, cur)
	if len(after.NodeGroups) > 0 {
		found = append(found, unknownPlacements(pol, after.NodeGroups, old, cur)...)
	}
	for _, f := range found {
		if importedList {
			f.Path = listPrefix + f.Path
		} else {
			f.Path = profilelist.CatalogPath(after, f.Path)
		}
		fs = append(fs, f)
	}
	return fs
}

func defaultImageRef(c *model.Catalog) string {
	if im, ok := c.Image(c.Defaults.Image); ok {
		return im.Ref
	}
	return ""
}

// listBoundary compares two rendered profile lists place by place. Paths
// are JSON pointers into cur.
func listBoundary(pol infra.Policy, groups []model.NodeGroup, old, cur []any) []model.Finding {
	var fs []model.Finding
	seen := map[string]bool{}
	lib := approvedValues(old)
	var vols volumeContext
	eachPlace(old, cur, func(at string, oldOv, curOv any, gates []gate) {
		m, _ := curOv.(*ordered.Map)
		fs = append(fs, siteBoundary(pol, groups, lib.at(at, gates, vols.at(at, m)), at, oldOv, curOv)...)
		// A setting an operator put here stays, but must not reach more
		// people than before: who may pick this place is theirs too.
		kept := keptSettings(pol, groups, oldOv, curOv)
		if len(kept) == 0 {
			return
		}
		for _, g := range gates {
			if seen[g.path] || !widens(g.old, g.cur) {
				continue
			}
			seen[g.path] = true
			fs = append(fs, model.Finding{Severity: model.Error, Path: g.path, Message: fmt.Sprintf(
				"allowed_groups: editors may not open this to more groups, because it carries settings an operator set (kubespawner_override.%s); %s",
				strings.Join(kept, ", kubespawner_override."), boundaryHint)})
		}
	})
	return fs
}

// gate is an allowed_groups that decides who may pick a place: the
// profile's, and a choice's or a free-text field's own.
type gate struct {
	path     string
	old, cur any
}

// keptSettings are the settings outside the policy that stay, unchanged,
// at a place.
func keptSettings(pol infra.Policy, groups []model.NodeGroup, oldV, curV any) []string {
	old, _ := oldV.(*ordered.Map)
	cur, _ := curV.(*ordered.Map)
	var kept []string
	for _, k := range cur.Keys() {
		if pol.EditorMay(k) || fromNodeGroup(k, cur, groups) {
			continue
		}
		v, _ := cur.Get(k)
		if was, had := old.Get(k); had && ordered.Equal(was, v) {
			kept = append(kept, k)
		}
	}
	return kept
}

// widens says whether allowed_groups cur lets in someone old did not: no
// list is everyone.
func widens(old, cur any) bool {
	if old == nil {
		return false
	}
	was, ok1 := old.([]any)
	now, ok2 := cur.([]any)
	if !ok1 || !ok2 {
		return !ordered.Equal(old, cur)
	}
	for _, g := range now {
		if !slices.ContainsFunc(was, func(w any) bool { return ordered.Equal(w, g) }) {
			return true
		}
	}
	return false
}

// eachPlace calls fn with every kubespawner_override of cur (the pointer to
// it, and its value) and the one at the same place in old (nil if none): a
// profile's, each choice's and each free-text field's.
func eachPlace(old, cur []any, fn func(at string, oldOv, curOv any, gates []gate)) {
	oldProfiles := keyed(old)
	curProfiles := keyed(cur)
	match := matchKeys(oldProfiles.keys, curProfiles.keys)
	for i, slug := range curProfiles.keys {
		np := curProfiles.vals[i]
		var op *ordered.Map
		if k, ok := match[slug]; ok {
			op = oldProfiles.get(k)
		}
		at := ordered.Pointer(i)
		profileGate := gate{at + "/allowed_groups", field(op, "allowed_groups"), field(np, "allowed_groups")}
		fn(at+"/kubespawner_override", field(op, "kubespawner_override"), field(np, "kubespawner_override"), []gate{profileGate})
		oldOpts, _ := field(op, "profile_options").(*ordered.Map)
		curOpts, _ := field(np, "profile_options").(*ordered.Map)
		optMatch := matchKeys(oldOpts.Keys(), curOpts.Keys())
		for _, ok := range curOpts.Keys() {
			nv, _ := curOpts.Get(ok)
			no, _ := nv.(*ordered.Map)
			var oo *ordered.Map
			if k, found := optMatch[ok]; found {
				v, _ := oldOpts.Get(k)
				oo, _ = v.(*ordered.Map)
			}
			oat := at + ordered.Pointer("profile_options", ok)
			oldChoices, _ := field(oo, "choices").(*ordered.Map)
			curChoices, _ := field(no, "choices").(*ordered.Map)
			chMatch := matchKeys(oldChoices.Keys(), curChoices.Keys())
			for _, ck := range curChoices.Keys() {
				v, _ := curChoices.Get(ck)
				nc, _ := v.(*ordered.Map)
				var oc *ordered.Map
				if k, found := chMatch[ck]; found {
					w, _ := oldChoices.Get(k)
					oc, _ = w.(*ordered.Map)
				}
				fn(oat+ordered.Pointer("choices", ck, "kubespawner_override"), field(oc, "kubespawner_override"), field(nc, "kubespawner_override"),
					[]gate{profileGate, {oat + ordered.Pointer("choices", ck, "allowed_groups"), field(oc, "allowed_groups"), field(nc, "allowed_groups")}})
			}
			ou, _ := field(oo, "unlisted_choice").(*ordered.Map)
			nu, _ := field(no, "unlisted_choice").(*ordered.Map)
			fn(oat+"/unlisted_choice/kubespawner_override", field(ou, "kubespawner_override"), field(nu, "kubespawner_override"),
				[]gate{profileGate, {oat + "/unlisted_choice/allowed_groups", field(ou, "allowed_groups"), field(nu, "allowed_groups")}})
		}
	}
}

// unknownPlacements reports each node_selector an edit adds or changes that
// sends pods to no node group of the infrastructure config (issue 13): such
// a selector was accepted silently, and pods that match no node wait
// forever. A selector matches a group when it has all of the group's
// labels, with the same values (it may narrow the group further).
func unknownPlacements(pol infra.Policy, groups []model.NodeGroup, old, cur []any) []model.Finding {
	sev, then := model.Warning, "check that nodes carry these labels, or ask an operator for a node group"
	if pol.NodeSelectorOutsideGroups == model.Error {
		sev, then = model.Error, "pick a node group, or ask an operator to add one (policy.nodeSelectorOutsideGroups is error in the infrastructure config)"
	}
	var fs []model.Finding
	eachPlace(old, cur, func(at string, oldV, curV any, _ []gate) {
		cur, _ := curV.(*ordered.Map)
		old, _ := oldV.(*ordered.Map)
		sel, ok := cur.Get("node_selector")
		if !ok {
			return
		}
		if was, had := old.Get("node_selector"); had && ordered.Equal(was, sel) {
			return // as it was: an operator's, or accepted before
		}
		m, isMap := sel.(*ordered.Map)
		if !isMap || m.Len() == 0 || selectsGroup(m, groups) {
			return // not an object: validation's business; {} places nothing
		}
		fs = append(fs, model.Finding{Severity: sev, Path: at + "/node_selector", Message: fmt.Sprintf(
			"node_selector %s matches none of the infrastructure config's node groups (%s): users who pick this may wait forever for a node; %s",
			compactJSON(m), groupSlugs(groups), then)})
	})
	return fs
}

func selectsGroup(sel *ordered.Map, groups []model.NodeGroup) bool {
	for i := range groups {
		g := groups[i].NodeSelector
		if g.Len() == 0 {
			continue
		}
		all := true
		for _, k := range g.Keys() {
			want, _ := g.Get(k)
			got, ok := sel.Get(k)
			if !ok || !ordered.Equal(want, got) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func groupSlugs(groups []model.NodeGroup) string {
	slugs := make([]string, len(groups))
	for i := range groups {
		slugs[i] = groups[i].Slug
	}
	return strings.Join(slugs, ", ")
}

func compactJSON(v any) string {
	b, err := ordered.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

// siteBoundary compares one place's kubespawner_override before and after;
// approved says whether a value is a copy of one the list already had.
func siteBoundary(pol infra.Policy, groups []model.NodeGroup, approved func(key string, v any) bool, at string, oldV, curV any) []model.Finding {
	cur, ok := curV.(*ordered.Map)
	if !ok {
		return nil // not an object: KubeSpawner cannot apply it, and validation says so
	}
	old, _ := oldV.(*ordered.Map)
	var fs []model.Finding
	for _, k := range cur.Keys() {
		v, _ := cur.Get(k)
		was, had := old.Get(k)
		if kubespawner.Canonical(k) == "environment" && pol.EditorMay("environment") {
			if !pol.EditorMay(infra.EnvironmentValueFrom) {
				fs = append(fs, environmentBoundary(at+ordered.Pointer(k), k, was, v)...)
			}
			continue
		}
		if pol.EditorMay(k) || (had && ordered.Equal(was, v)) || fromNodeGroup(k, cur, groups) || approved(k, v) {
			continue
		}
		path, detail := at+ordered.Pointer(k), ""
		if had {
			if ch := ordered.Diff(was, v); len(ch) > 0 && ch[0].Path != "" {
				path += ch[0].Path
				detail = fmt.Sprintf(" (%s %s inside it)", strings.ReplaceAll(strings.TrimPrefix(ch[0].Path, "/"), "/", "."), ch[0].Op)
			}
		}
		fs = append(fs, refusal(path, "kubespawner_override."+k, detail))
	}
	return fs
}

// environmentBoundary lets editors write plain string variables only: an
// EnvVar object (valueFrom a Secret, a ConfigMap or the pod's fields) can
// hand a user's pod the secrets of the namespace it runs in — the hub's,
// under zero-to-jupyterhub.
func environmentBoundary(at, key string, oldV, curV any) []model.Finding {
	cur, ok := curV.(*ordered.Map)
	if !ok {
		return nil // validation's business
	}
	old, _ := oldV.(*ordered.Map)
	var fs []model.Finding
	for _, name := range cur.Keys() {
		v, _ := cur.Get(name)
		if _, plain := v.(string); plain || v == nil {
			continue
		}
		if was, had := old.Get(name); had && ordered.Equal(was, v) {
			continue
		}
		fs = append(fs, model.Finding{Severity: model.Error, Path: at + ordered.Pointer(name), Message: fmt.Sprintf(
			"kubespawner_override.%s.%s: editors may set environment variables to plain strings only; a variable read from a Secret, a ConfigMap or the pod (valueFrom) needs %q in policy.editorOverrides — %s",
			key, name, infra.EnvironmentValueFrom, boundaryHint)})
	}
	return fs
}

// fromNodeGroup says whether key (node_selector or tolerations) holds
// exactly what a configured node group renders at this place: the
// operators wrote that, so choosing the group is not widening anything.
func fromNodeGroup(key string, ov *ordered.Map, groups []model.NodeGroup) bool {
	if k := kubespawner.Canonical(key); k != "node_selector" && k != "tolerations" {
		return false
	}
	sel, _ := ov.Get("node_selector")
	tol, hasTol := ov.Get("tolerations")
	for i := range groups {
		g := &groups[i]
		if g.NodeSelector == nil || !ordered.Equal(g.NodeSelector, sel) {
			continue
		}
		if !hasTol || ordered.Equal(g.TolerationList(), tol) {
			return true
		}
	}
	return false
}

func refusal(path, setting, detail string) model.Finding {
	return model.Finding{Severity: model.Error, Path: path, Message: fmt.Sprintf(
		"%s: editors may not add or change this setting%s, because it can widen what a user's pod may do or reach; %s",
		setting, detail, boundaryHint)}
}

// keyedList is a rendered list's profiles by slug, in order.
type keyedList struct {
	keys []string
	vals []*ordered.Map
}

func keyed(list []any) keyedList {
	var k keyedList
	for _, v := range list {
		m, _ := v.(*ordered.Map)
		slug, _ := field(m, "slug").(string)
		k.keys = append(k.keys, slug)
		k.vals = append(k.vals, m)
	}
	return k
}

func (k keyedList) get(slug string) *ordered.Map {
	if i := slices.Index(k.keys, slug); i >= 0 {
		return k.vals[i]
	}
	return nil
}

// matchKeys pairs each key of cur with the key of old it continues: the
// same key, or else — a renamed profile, option or choice keeps its
// settings — the key at the same position when that one is gone from cur.
func matchKeys(old, cur []string) map[string]string {
	m := map[string]string{}
	for i, k := range cur {
		switch {
		case slices.Contains(old, k):
			m[k] = k
		case i < len(old) && !slices.Contains(cur, old[i]):
			m[k] = old[i]
		}
	}
	return m
}

// field is m[key], or nil when m is nil or lacks it.
func field(m *ordered.Map, key string) any {
	if m == nil {
		return nil
	}
	v, _ := m.Get(key)
	return v
}
