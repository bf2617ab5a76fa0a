package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"

	"github.com/jupyterhub/hubprofiles/ordered"
)

// Settings are the kubespawner_override keys hub admins change most, typed:
// sizes, a GPU and environment variables. A profile, a choice and a free-text
// choice each have them. They render into kubespawner_override after the
// image, the interface and the node group, and before the raw keys.
type Settings struct {
	// Sizes as written (JSON string or number), so rendering gives back the
	// same bytes: "4G" stays "4G", 4294967296 stays a number. Memory uses
	// JupyterHub's units (K, M, G, T, ×1024ⁿ, or a number of bytes); CPU is a
	// number of cores.
	MemGuarantee Quantity `json:"mem_guarantee,omitzero"`
	MemLimit     Quantity `json:"mem_limit,omitzero"`
	CPUGuarantee Quantity `json:"cpu_guarantee,omitzero"`
	CPULimit     Quantity `json:"cpu_limit,omitzero"`
	// NoMemLimit and NoCPULimit render mem_limit: null and cpu_limit: null:
	// this profile or choice is not bound by the hub-wide limit
	// (singleuser.memory.limit, singleuser.cpu.limit). A JSON null cannot
	// say it in the API, where null in a merge patch removes a field.
	NoMemLimit bool `json:"no_mem_limit,omitempty"`
	NoCPULimit bool `json:"no_cpu_limit,omitempty"`
	// GPU renders as extra_resource_limits: {resource: count}.
	GPU *GPU `json:"gpu,omitempty"`
	// Environment is name -> string value, in order. Values that are
	// Kubernetes EnvVar objects keep the whole map in the raw override.
	Environment *ordered.Map `json:"environment,omitempty"`
	// NodeSelector is node label -> value, in order: where the server runs
	// when no node group from the infrastructure config says it. A profile
	// or choice sets either a node group or a node selector.
	NodeSelector *ordered.Map `json:"node_selector,omitempty"`
	// ImagePullPolicy is Always, IfNotPresent or Never.
	ImagePullPolicy string `json:"image_pull_policy,omitempty"`
	// WorkingDir is the directory the server starts in.
	WorkingDir string `json:"working_dir,omitempty"`
	// OverrideOrder is the order of kubespawner_override's keys as imported,
	// kept so the served list stays byte-for-byte what it was. Keys it does
	// not name come after, typed first. Editors need not set it.
	OverrideOrder []string `json:"override_order,omitempty"`
}

// GPU is a number of one kind of accelerator.
type GPU struct {
	// Resource is the Kubernetes extended resource, e.g. nvidia.com/gpu.
	Resource string `json:"resource"`
	// Count as written: "1" or 1.
	Count Quantity `json:"count"`
}

// SettingKeys are the kubespawner_override keys Settings render to, in the
// order they are written.
var SettingKeys = []string{"environment", "mem_guarantee", "mem_limit", "cpu_guarantee", "cpu_limit", "extra_resource_limits", "node_selector", "image_pull_policy", "working_dir"}

// IsZero reports whether no typed setting is set (OverrideOrder is only a hint).
func (s *Settings) IsZero() bool {
	return s.MemGuarantee.IsZero() && s.MemLimit.IsZero() && s.CPUGuarantee.IsZero() &&
		s.CPULimit.IsZero() && !s.NoMemLimit && !s.NoCPULimit && s.GPU == nil && s.Environment == nil &&
		s.NodeSelector == nil && s.ImagePullPolicy == "" && s.WorkingDir == ""
}

// Clone is a deep copy.
func (s Settings) Clone() Settings {
	if s.GPU != nil {
		g := *s.GPU
		s.GPU = &g
	}
	s.Environment = s.Environment.Clone()
	s.NodeSelector = s.NodeSelector.Clone()
	s.OverrideOrder = append([]string(nil), s.OverrideOrder...)
	return s
}

// Values is the typed settings as kubespawner_override keys, in SettingKeys order.
func (s *Settings) Values() *ordered.Map {
	m := ordered.NewMap()
	if s.Environment != nil {
		m.Set("environment", s.Environment.Clone())
	}
	for _, kv := range []struct {
		k string
		q Quantity
	}{{"mem_guarantee", s.MemGuarantee}, {"mem_limit", s.MemLimit}, {"cpu_guarantee", s.CPUGuarantee}, {"cpu_limit", s.CPULimit}} {
		if !kv.q.IsZero() {
			m.Set(kv.k, kv.q.Value())
		}
		if (kv.k == "mem_limit" && s.NoMemLimit) || (kv.k == "cpu_limit" && s.NoCPULimit) {
			if !m.Has(kv.k) { // set twice: CheckSettings reports it, the size wins
				m.Set(kv.k, nil)
			}
		}
	}
	if s.GPU != nil {
		m.Set("extra_resource_limits", ordered.MapOf(s.GPU.Resource, s.GPU.Count.Value()))
	}
	if s.NodeSelector != nil {
		m.Set("node_selector", s.NodeSelector.Clone())
	}
	if s.ImagePullPolicy != "" {
		m.Set("image_pull_policy", s.ImagePullPolicy)
	}
	if s.WorkingDir != "" {
		m.Set("working_dir", s.WorkingDir)
	}
	return m
}

// with is the typed settings and the raw override as one map, for
// summaries that speak in KubeSpawner's keys ("mem_limit 8G → 16G").
func (s *Settings) with(ov *ordered.Map) *ordered.Map {
	if s.IsZero() {
		return ov
	}
	out := s.Values()
	for _, k := range ov.Keys() {
		if !out.Has(k) {
			v, _ := ov.Get(k)
			out.Set(k, v)
		}
	}
	return out
}

// Quantity is an amount exactly as written: a JSON string ("4G") or a JSON
// number (4294967296, 0.5). The zero Quantity is unset.
type Quantity struct{ v any }

// QuantityOf wraps a string or a json.Number; anything else is refused.
func QuantityOf(v any) (Quantity, bool) {
	switch t := v.(type) {
	case string:
		return Quantity{t}, true
	case json.Number:
		return Quantity{t}, true
	}
	return Quantity{}, false
}

// IsZero reports whether the quantity is unset.
func (q Quantity) IsZero() bool { return q.v == nil }

// Value is the JSON value as written (string or json.Number), nil if unset.
func (q Quantity) Value() any { return q.v }

// String is the quantity as JSON, e.g. "4G" (quoted) or 4294967296.
func (q Quantity) String() string {
	switch t := q.v.(type) {
	case string:
		return strconv.Quote(t)
	case json.Number:
		return string(t)
	}
	return "null"
}

// MarshalJSON writes the value as written.
func (q Quantity) MarshalJSON() ([]byte, error) { return ordered.Marshal(q.v) }

// UnmarshalJSON takes a JSON string or number, keeping a number's digits.
func (q *Quantity) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		*q = Quantity{}
		return nil
	}
	v, err := ordered.DecodeJSON(data, 2)
	if err != nil {
		return err
	}
	x, ok := QuantityOf(v)
	if !ok {
		// A type error, so that decoders name the field.
		return &json.UnmarshalTypeError{Value: ordered.TypeName(v), Type: reflect.TypeFor[Quantity]()}
	}
	*q = x
	return nil
}

// extendedResource is a Kubernetes extended resource name: a domain prefix
// and a name, e.g. nvidia.com/gpu or amd.com/gpu.
var extendedResource = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)

// gpuCount reads a GPU count: a whole number, as a JSON integer or a string
// of digits (Kubernetes quantities for extended resources are integers).
func gpuCount(q Quantity) (int64, bool) {
	var s string
	switch t := q.v.(type) {
	case string:
		s = t
	case json.Number:
		s = string(t)
	default:
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// GPUFrom reads extra_resource_limits as a typed GPU: exactly one extended
// resource with a whole count. ok is false for anything else.
func GPUFrom(v any) (*GPU, bool) {
	m, ok := v.(*ordered.Map)
	if !ok || m.Len() != 1 {
		return nil, false
	}
	res := m.Keys()[0]
	x, _ := m.Get(res)
	q, ok := QuantityOf(x)
	if !ok || !extendedResource.MatchString(res) {
		return nil, false
	}
	if _, ok := gpuCount(q); !ok {
		return nil, false
	}
	return &GPU{Resource: res, Count: q}, true
}

// EnvironmentFrom reads environment as a typed map when every value is a
// string. ok is false otherwise (EnvVar objects, null).
func EnvironmentFrom(v any) (*ordered.Map, bool) { return StringMapFrom(v) }

// StringMapFrom reads a map of names to strings (environment, node_selector).
// ok is false for anything else (null, non-string values, an empty name).
func StringMapFrom(v any) (*ordered.Map, bool) {
	m, ok := v.(*ordered.Map)
	if !ok {
		return nil, false
	}
	for _, k := range m.Keys() {
		x, _ := m.Get(k)
		if _, ok := x.(string); !ok || k == "" {
			return nil, false
		}
	}
	return m.Clone(), true
}

// CheckSettings finds what cannot be rendered as meant in typed settings at
// path p: a GPU that is not a whole count of an extended resource, an
// environment value that is not a string, a key set both as a typed field
// and in the raw override ov. Sizes are checked on the rendered list, by
// KubeSpawner's own rules (profilelist.Validate: units, a guarantee above
// its limit), so that every problem of a change is reported at once.
func CheckSettings(p string, s *Settings, ov *ordered.Map) []Finding {
	return checkSettings(p, s, ov, "")
}

// checkSettings is CheckSettings knowing the object's node group: a node
// group and a typed node selector would both write node_selector.
func checkSettings(p string, s *Settings, ov *ordered.Map, nodeGroup string) []Finding {
	var fs []Finding
	add := func(path, format string, args ...any) {
		fs = append(fs, Finding{Severity: Error, Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if g := s.GPU; g != nil {
		if !extendedResource.MatchString(g.Resource) {
			add(p+"/gpu/resource", "GPU resource %q is not a Kubernetes extended resource name like nvidia.com/gpu", g.Resource)
		}
		if _, ok := gpuCount(g.Count); !ok {
			add(p+"/gpu/count", "GPU count %s must be a whole number of GPUs, e.g. 1", g.Count)
		}
	}
	if env := s.Environment; env != nil {
		for _, k := range env.Keys() {
			x, _ := env.Get(k)
			if k == "" {
				add(p+"/environment", "an environment variable needs a name")
			}
			if _, ok := x.(string); !ok {
				add(p+Pointer("environment", k), "environment variable %s must be a string, not %s (write EnvVar objects in kubespawner_override)", k, ordered.TypeName(x))
			}
		}
	}
	if sel := s.NodeSelector; sel != nil {
		for _, k := range sel.Keys() {
			x, _ := sel.Get(k)
			if k == "" {
				add(p+"/node_selector", "a node selector needs a label name")
			}
			if _, ok := x.(string); !ok {
				add(p+Pointer("node_selector", k), "node selector %s must be a string, not %s", k, ordered.TypeName(x))
			}
		}
	}
	if s.NoMemLimit && !s.MemLimit.IsZero() {
		add(p+"/no_mem_limit", "no_mem_limit and mem_limit %s are both set: set one or the other", s.MemLimit)
	}
	if s.NoCPULimit && !s.CPULimit.IsZero() {
		add(p+"/no_cpu_limit", "no_cpu_limit and cpu_limit %s are both set: set one or the other", s.CPULimit)
	}
	if v := s.ImagePullPolicy; v != "" && v != "Always" && v != "IfNotPresent" && v != "Never" {
		add(p+"/image_pull_policy", "image_pull_policy %q must be Always, IfNotPresent or Never", v)
	}
	vals := s.Values()
	for _, k := range vals.Keys() {
		if ov.Has(k) {
			add(p+"/kubespawner_override/"+k, "%s is set twice: as a typed field and in kubespawner_override", k)
		}
	}
	if nodeGroup != "" && s.NodeSelector != nil {
		add(p+"/node_selector", "node_selector is set twice: node group %q already places the server; set one or the other", nodeGroup)
	}
	return fs
}
