package profilelist

import (
	"strconv"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// Placement is one node_selector a profile list writes, with what goes
// with it where it applies: the tolerations and the most the pods sent
// there ask for. Drafting node groups for a hub that has none starts from
// these (infra.DraftNodeGroups).
type Placement struct {
	// Path is the kubespawner_override that writes the node_selector.
	Path         string
	NodeSelector any // as written: an object of labels, or whatever else was there
	// Tolerations are those KubeSpawner applies with it (the place's, or
	// the profile's under a choice); nil when none.
	Tolerations any
	// The largest memory and CPU guarantees (bytes, cores) and GPU counts
	// (by resource name) of the place and, for a profile, of its choices
	// that keep its node_selector.
	MemGuarantee int64
	CPUGuarantee float64
	GPUs         map[string]int64
}

// Placements lists the node selectors of a list, in order: each profile's,
// then each of its choices' own. Parts that are not objects are passed
// over (Validate reports them).
func Placements(list []any) []Placement {
	var out []Placement
	profileAt := -1 // the index in out of the current profile's own placement
	walk(list, func(i int, pov *ordered.Map) {
		profileAt = -1
		if pov.Has("node_selector") {
			profileAt = len(out)
			out = append(out, placementAt(model.Pointer(i, "kubespawner_override"), pov))
		}
	}, func(i int, pov *ordered.Map, option, key string, cov *ordered.Map) {
		eff := merged(pov, cov)
		if cov.Has("node_selector") {
			out = append(out, placementAt(model.Pointer(i, "profile_options", option, "choices", key, "kubespawner_override"), eff))
		} else if profileAt >= 0 {
			out[profileAt].Ask(placementAt("", eff)) // the profile's selector, with this choice's sizes
		}
	})
	return out
}

func placementAt(path string, ov *ordered.Map) Placement {
	p := Placement{Path: path, NodeSelector: mustGet(ov, "node_selector"), Tolerations: mustGet(ov, "tolerations")}
	if n, ok := bytesOf(mustGet(ov, "mem_guarantee")); ok {
		p.MemGuarantee = n
	}
	if n, ok := cpuOf(mustGet(ov, "cpu_guarantee")); ok {
		p.CPUGuarantee = n
	}
	limits, _ := mustGet(ov, "extra_resource_limits").(*ordered.Map)
	for _, name := range gpuLimits(ov) {
		if n, err := strconv.ParseInt(scalarString(mustGet(limits, name)), 10, 64); err == nil {
			if p.GPUs == nil {
				p.GPUs = map[string]int64{}
			}
			p.GPUs[name] = n
		}
	}
	return p
}

// Ask widens p's largest asks by q's.
func (p *Placement) Ask(q Placement) {
	p.MemGuarantee = max(p.MemGuarantee, q.MemGuarantee)
	p.CPUGuarantee = max(p.CPUGuarantee, q.CPUGuarantee)
	for name, n := range q.GPUs {
		if p.GPUs == nil {
			p.GPUs = map[string]int64{}
		}
		p.GPUs[name] = max(p.GPUs[name], n)
	}
}
