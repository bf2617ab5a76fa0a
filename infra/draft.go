package infra

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/jupyterhub/hubprofiles/kubespawner"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/slug"
)

// Drafting node groups. A hub being migrated has no node groups yet: its
// lists send pods to nodes with raw node_selectors, which import keeps raw
// and which bypass the operators' bounds. DraftNodeGroups turns the
// selectors those lists already use into a nodeGroups section for an
// operator to review: once it is in the infrastructure config, importing
// the lists again makes each selector equal to a group's that group.

// DraftSource is one profile list to draft from, with the name its
// comments cite (a file name).
type DraftSource struct {
	Name string
	List []any
	// ListPath is where the list is in the file (a values file's
	// /singleuser/profileList), so that cited places point into the file.
	ListPath string
}

// instanceTypeLabels name a node's machine type: a group on one of them is
// named after it.
var instanceTypeLabels = []string{"node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"}

// maxCitedPlaces bounds the places a group's comment lists.
const maxCitedPlaces = 3

// place is where a list writes a node_selector.
type place struct{ source, path string }

// draftGroup is one distinct node_selector and tolerations pair.
type draftGroup struct {
	slug, display string
	selector      *ordered.Map
	tolerations   any
	places        []place
	asked         profilelist.Placement
}

// DraftNodeGroups drafts the nodeGroups section of an infrastructure config
// from the node selectors and tolerations the lists use: one group for
// each distinct pair, named after the instance type (or the label values)
// it selects, with comments saying where each came from and the most the
// lists ask of it. Allocatable capacity cannot be read from a list, so it
// is left for the operator, commented. The result is YAML that Parse
// accepts.
func DraftNodeGroups(sources []DraftSource) ([]byte, error) {
	var groups []*draftGroup
	var skipped []string
	byKey := map[string]*draftGroup{}
	for _, src := range sources {
		for _, pl := range profilelist.Placements(src.List) {
			sel, ok := labels(pl.NodeSelector)
			if !ok {
				skipped = append(skipped, src.Name+": "+src.ListPath+pl.Path)
				continue
			}
			key := compact(sel) + " " + compact(pl.Tolerations)
			g := byKey[key]
			if g == nil {
				g = &draftGroup{selector: sel, tolerations: pl.Tolerations}
				byKey[key] = g
				groups = append(groups, g)
			}
			g.places = append(g.places, place{src.Name, src.ListPath + pl.Path})
			g.asked.Ask(pl)
		}
	}
	name(groups)

	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, g := range groups {
		item, err := g.node()
		if err != nil {
			return nil, err
		}
		seq.Content = append(seq.Content, item)
	}
	header := []string{
		"Drafted by `hubprofiles nodegroups draft` from " + sourceNames(sources) + ".",
		"Review it before use.",
		"Each group is one node_selector (and tolerations) the lists use, named after the",
		"instance type or label values it selects. Check the names and display names, and",
		"fill in allocatable (what one node gives a user pod: `kubectl describe node`,",
		"Allocatable) so that hubprofiles can tell when a size cannot fit. Put the section",
		"into the infrastructure config (--config), then import the lists again: each",
		"node_selector equal to a group's becomes that group.",
	}
	if len(groups) == 0 {
		header = append(header, "", "The lists set no node_selector: there is nothing to draft.")
		seq.Style = yaml.FlowStyle
	}
	for _, s := range skipped {
		header = append(header, "Not drafted: "+s+" (its node_selector is not an object of string labels).")
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "nodeGroups", HeadComment: commentLines(header)}, seq,
	}}
	return profilelist.WriteYAML(root)
}

// labels is a node_selector as an object of string labels, which is what a
// node group's nodeSelector can hold.
func labels(v any) (*ordered.Map, bool) {
	m, ok := v.(*ordered.Map)
	if !ok || m.Len() == 0 {
		return nil, false
	}
	for _, k := range m.Keys() {
		if s, isStr := mustGet(m, k).(string); !isStr || s == "" {
			return nil, false
		}
	}
	return m, true
}

// name gives each group a slug and a display name from what it selects:
// the instance type first, then the other label values in order; groups
// that would share one get a number.
func name(groups []*draftGroup) {
	taken := map[string]bool{}
	for _, g := range groups {
		var values []string
		for _, k := range instanceTypeLabels {
			if v, ok := g.selector.Get(k); ok {
				values = append(values, v.(string))
			}
		}
		for _, k := range g.selector.Keys() {
			if !slices.Contains(instanceTypeLabels, k) {
				values = append(values, mustGet(g.selector, k).(string))
			}
		}
		g.display = strings.Join(values, ", ")
		base := slug.Make(strings.Join(values, " "))
		if len(base) > 48 {
			base = strings.Trim(base[:48], "-")
		}
		if base == "" {
			base = "node-group"
		}
		g.slug = base
		for n := 2; taken[g.slug]; n++ {
			g.slug = base + "-" + strconv.Itoa(n)
		}
		taken[g.slug] = true
	}
}

// node is the group as a YAML mapping with its comments.
func (g *draftGroup) node() (*yaml.Node, error) {
	m := ordered.MapOf("slug", g.slug, "displayName", g.display, "nodeSelector", g.selector)
	if g.tolerations != nil {
		m.Set("tolerations", g.tolerations)
	}
	out, err := profilelist.YAMLNode(m)
	if err != nil {
		return nil, err
	}
	lines := []string{fmt.Sprintf("From %d place(s): %s.", len(g.places), cite(g.places))}
	var asks []string
	if g.asked.MemGuarantee > 0 {
		asks = append(asks, "mem_guarantee "+kubespawner.FormatBytes(g.asked.MemGuarantee))
	}
	if g.asked.CPUGuarantee > 0 {
		asks = append(asks, "cpu_guarantee "+strconv.FormatFloat(g.asked.CPUGuarantee, 'g', -1, 64))
	}
	gpuNames := make([]string, 0, len(g.asked.GPUs))
	for n := range g.asked.GPUs {
		gpuNames = append(gpuNames, n)
	}
	slices.Sort(gpuNames)
	for _, n := range gpuNames {
		asks = append(asks, fmt.Sprintf("%s %d", n, g.asked.GPUs[n]))
	}
	if len(asks) > 0 {
		lines = append(lines, "The most the lists ask of it: "+strings.Join(asks, ", ")+".")
	}
	out.HeadComment = commentLines(append(lines, allocatableHint(g)))
	return out, nil
}

// allocatableHint is the line that asks the operator for the capacity.
func allocatableHint(g *draftGroup) string {
	hint := "To fill in: allocatable: {cpu: …, memory: …"
	if len(g.asked.GPUs) > 0 {
		hint += ", gpu: …"
	}
	return hint + "} (one node's Allocatable in kubectl describe node)."
}

// cite names the first few places, by source: "a.yaml: /0/…, /1/…; b.yaml:
// /3/… and 4 more".
func cite(places []place) string {
	shown := places[:min(len(places), maxCitedPlaces)]
	var parts []string
	for i, p := range shown {
		if i > 0 && p.source == shown[i-1].source {
			parts[len(parts)-1] += ", " + p.path
			continue
		}
		parts = append(parts, p.source+": "+p.path)
	}
	out := strings.Join(parts, "; ")
	if n := len(places) - len(shown); n > 0 {
		out += fmt.Sprintf(" and %d more", n)
	}
	return out
}

func commentLines(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight("# "+l, " ")
	}
	return strings.Join(out, "\n")
}

func sourceNames(sources []DraftSource) string {
	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

func compact(v any) string {
	if v == nil {
		return "null"
	}
	b, err := ordered.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func mustGet(m *ordered.Map, k string) any {
	v, _ := m.Get(k)
	return v
}
