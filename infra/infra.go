// Package infra reads the infrastructure config: the file a cluster's
// operators own, which says what hub admins may build profiles from (node
// groups and their capacity, policy, registries) and who may edit. It is
// parsed strictly and checked as a whole at start-up, so that a typo stops
// the service with a message instead of quietly changing what users get.
package infra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/jupyterhub/hubprofiles/kubespawner"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// Config is the checked infrastructure config.
type Config struct {
	NodeGroups []model.NodeGroup
	Policy     Policy
	Registries []Registry
	// DockerConfig is the path of a docker config.json with credentials
	// for private registries.
	DockerConfig string
	Access       Access
	Usage        Usage
	// Peers are other hubprofiles servers (a staging hub, say) whose
	// catalogs this one may compare with and take changes from.
	Peers []Peer
}

// Peer is another hubprofiles server this one reads through its API.
type Peer struct {
	// Name is how the pages, the API and the command line name it
	// (--from staging).
	Name string
	// URL is the peer's hubprofiles URL, its service prefix included
	// (https://staging.example.org/services/hubprofiles/); it ends in "/".
	URL string
	// TokenFile holds a JupyterHub API token of the peer's hub, read at each
	// fetch (so a rotated token is used at once). The token needs the scope
	// access:services!service=<the peer's service name> (or access:services)
	// and its owner must be a viewer there.
	TokenFile string
}

// Peer is the configured peer called name.
func (c *Config) Peer(name string) (Peer, bool) {
	for _, p := range c.Peers {
		if p.Name == name {
			return p, true
		}
	}
	return Peer{}, false
}

// Usage says how often, and how much at most, the hub's servers are read
// to tell who uses what (package usage).
type Usage struct {
	// Interval between two reads; 0 turns usage off (pages say "usage
	// unknown").
	Interval time.Duration
	// PageSize is how many users one request asks for, MaxUsers how many
	// one read takes at most.
	PageSize, MaxUsers int
}

// Defaults and bounds of the usage: section.
const (
	DefaultUsageInterval = 10 * time.Minute
	MinUsageInterval     = time.Minute
	DefaultUsagePageSize = 200
	DefaultUsageMaxUsers = 100000
)

// Policy bounds what hub admins may publish.
type Policy struct {
	// AllowedRegistries lists registry hosts images may come from; empty
	// means any. Docker Hub is "docker.io".
	AllowedRegistries []string
	// MaxMemory (bytes) and MaxCPU (cores) bound every mem_* and cpu_*
	// value; zero means no bound.
	MaxMemory int64
	MaxCPU    float64
	// EditorOverrides are the kubespawner_override settings (trait names)
	// that editors — anyone writing through the pages or the API — may add
	// or change; nil means DefaultEditorOverrides, ["*"] everything. The
	// command-line import, run by an operator, is not bound by it.
	EditorOverrides []string
	// NodeSelectorOutsideGroups is how a new or changed node_selector that
	// matches no configured node group is reported: model.Warning (the
	// default) or model.Error, which refuses it.
	NodeSelectorOutsideGroups model.Severity
}

// DefaultEditorOverrides is what editors may set in a kubespawner_override
// when the config does not say: what real hubs change from quarter to
// quarter (the image, its pull policy, sizes, GPUs, node placement with
// node_selector and tolerations, the interface, environment variables with
// plain values, the working directory, the start timeout), and nothing
// that widens what a pod may do or reach (security contexts, uid and gid,
// volumes and mounts, init and extra containers, service accounts, host
// namespaces through extra_pod_config, lifecycle hooks, cmd and args, the
// namespace, labels).
// docs/security.md gives the reasoning and the figures; a test keeps the
// two the same.
//
// "default" is not a trait: real lists put `default: true` inside an
// override by mistake, where KubeSpawner sets it as a plain attribute that
// nothing reads.
var DefaultEditorOverrides = []string{
	"image", "image_pull_policy",
	"mem_guarantee", "mem_limit", "cpu_guarantee", "cpu_limit",
	"extra_resource_guarantees", "extra_resource_limits",
	"node_selector", "tolerations",
	"default_url", "environment", "working_dir", "start_timeout",
	"default",
}

// EnvironmentValueFrom is the policy.editorOverrides entry that lets
// editors write environment variables read from a Secret, a ConfigMap or
// the pod's own fields (an EnvVar object with valueFrom, rather than a
// string). "environment" alone allows plain string values only: in the
// hub's namespace a secretKeyRef can hand a user pod the hub's own secrets.
const EnvironmentValueFrom = "environment.valueFrom"

// EditorMay says whether editors may add or change the override setting
// trait (a deprecated alias such as singleuser_privileged counts as the
// trait it sets).
func (p Policy) EditorMay(trait string) bool {
	allowed := p.EditorOverrides
	if allowed == nil {
		allowed = DefaultEditorOverrides
	}
	trait = kubespawner.Canonical(trait)
	for _, a := range allowed {
		if a == "*" || a == trait {
			return true
		}
	}
	return false
}

// ForOperator is the policy for a change by the cluster's operators (the
// command-line import): every kubespawner_override setting is theirs to
// write, but a node_selector outside the node groups is still reported, as
// nodeSelectorOutsideGroups says.
func (p Policy) ForOperator() Policy {
	return Policy{EditorOverrides: []string{"*"}, NodeSelectorOutsideGroups: p.NodeSelectorOutsideGroups}
}

// Registry is per-registry connection settings.
type Registry struct {
	Host     string
	Insecure bool // plain HTTP, for on-premise registries
}

// Access says who besides hub admins may edit or view.
type Access struct {
	EditorGroups []string
	ViewerGroups []string
}

// file is the YAML shape; strict decoding refuses unknown keys.
type file struct {
	NodeGroups []struct {
		Slug         string            `yaml:"slug"`
		DisplayName  string            `yaml:"displayName"`
		NodeSelector yaml.Node         `yaml:"nodeSelector"`
		Tolerations  []yaml.Node       `yaml:"tolerations"`
		Allocatable  map[string]string `yaml:"allocatable"`
	} `yaml:"nodeGroups"`
	Policy struct {
		AllowedRegistries         []string  `yaml:"allowedRegistries"`
		MaxMemory                 string    `yaml:"maxMemory"`
		MaxCPU                    string    `yaml:"maxCPU"`
		EditorOverrides           *[]string `yaml:"editorOverrides"`
		NodeSelectorOutsideGroups string    `yaml:"nodeSelectorOutsideGroups"`
		// RequireNodeGroups is the older spelling of
		// nodeSelectorOutsideGroups: error.
		RequireNodeGroups bool `yaml:"requireNodeGroups"`
	} `yaml:"policy"`
	Registries []struct {
		Host     string `yaml:"host"`
		Insecure bool   `yaml:"insecure"`
	} `yaml:"registries"`
	DockerConfig string `yaml:"dockerConfig"`
	Access       struct {
		EditorGroups []string `yaml:"editorGroups"`
		ViewerGroups []string `yaml:"viewerGroups"`
	} `yaml:"access"`
	Peers []struct {
		Name      string `yaml:"name"`
		URL       string `yaml:"url"`
		TokenFile string `yaml:"tokenFile"`
	} `yaml:"peers"`
	Usage struct {
		Interval *string `yaml:"interval"`
		PageSize *int    `yaml:"pageSize"`
		MaxUsers *int    `yaml:"maxUsers"`
	} `yaml:"usage"`
}

// Error lists every problem found in a config, each with its place.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	return "infrastructure config: " + strings.Join(e.Problems, "; ")
}

var slugRx = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Parse reads and checks a config. An empty input is an empty config (no node
// groups, no policy): what dev mode and a first install start with.
func Parse(data []byte) (*Config, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
		return nil, &Error{Problems: []string{strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	c := &Config{DockerConfig: f.DockerConfig}
	seen := map[string]bool{}
	for i, g := range f.NodeGroups {
		at := fmt.Sprintf("nodeGroups[%d]", i)
		switch {
		case g.Slug == "":
			bad("%s.slug: a node group needs a slug", at)
		case !slugRx.MatchString(g.Slug):
			bad("%s.slug: %q may only have lowercase letters, digits and single hyphens", at, g.Slug)
		case seen[g.Slug]:
			bad("%s.slug: %q is used twice", at, g.Slug)
		}
		seen[g.Slug] = true
		ng := model.NodeGroup{Slug: g.Slug, DisplayName: g.DisplayName}
		if ng.DisplayName == "" {
			ng.DisplayName = g.Slug
		}
		sel, err := stringMap(&g.NodeSelector)
		switch {
		case err != nil:
			bad("%s.nodeSelector (line %d): %v", at, g.NodeSelector.Line, err)
		case sel.Len() == 0:
			bad("%s.nodeSelector: a node group needs a node selector, or profiles could not be sent to it", at)
		}
		ng.NodeSelector = sel
		for j := range g.Tolerations {
			v, err := nodeValue(&g.Tolerations[j])
			tol, isMap := v.(*ordered.Map)
			if err != nil || !isMap {
				bad("%s.tolerations[%d] (line %d): a toleration is an object such as {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}", at, j, g.Tolerations[j].Line)
				continue
			}
			ng.Tolerations = append(ng.Tolerations, tol)
		}
		for k, v := range g.Allocatable {
			var err error
			switch k {
			case "cpu":
				ng.Allocatable.CPU, err = ParseCPU(v)
			case "memory":
				ng.Allocatable.Memory, err = ParseMemory(v)
			case "gpu":
				ng.Allocatable.GPU, err = strconv.Atoi(v)
				if err == nil && ng.Allocatable.GPU < 0 {
					err = errors.New("cannot be negative")
				}
			case "gpuResource":
				ng.Allocatable.GPUResource = v
			default:
				err = fmt.Errorf("unknown key (want cpu, memory, gpu, gpuResource)")
			}
			if err != nil {
				bad("%s.allocatable.%s: %q: %v", at, k, v, err)
			}
		}
		if ng.Allocatable.GPU > 0 && ng.Allocatable.GPUResource == "" {
			ng.Allocatable.GPUResource = "nvidia.com/gpu"
		}
		c.NodeGroups = append(c.NodeGroups, ng)
	}
	for i, r := range f.Policy.AllowedRegistries {
		if r == "" || strings.ContainsAny(r, "/ \t") {
			bad("policy.allowedRegistries[%d]: %q is not a registry host such as quay.io or registry.example.org:5000", i, r)
		}
	}
	c.Policy.AllowedRegistries = f.Policy.AllowedRegistries
	if f.Policy.MaxMemory != "" {
		n, err := ParseMemory(f.Policy.MaxMemory)
		if err != nil {
			bad("policy.maxMemory: %q: %v", f.Policy.MaxMemory, err)
		}
		c.Policy.MaxMemory = n
	}
	if f.Policy.MaxCPU != "" {
		n, err := ParseCPU(f.Policy.MaxCPU)
		if err != nil {
			bad("policy.maxCPU: %q: %v", f.Policy.MaxCPU, err)
		}
		c.Policy.MaxCPU = n
	}
	switch outside := f.Policy.NodeSelectorOutsideGroups; {
	case outside == "" && f.Policy.RequireNodeGroups:
		c.Policy.NodeSelectorOutsideGroups = model.Error
	case outside == "":
		c.Policy.NodeSelectorOutsideGroups = model.Warning
	case outside != string(model.Warning) && outside != string(model.Error):
		bad("policy.nodeSelectorOutsideGroups: %q: want warning or error", outside)
	case f.Policy.RequireNodeGroups && outside != string(model.Error):
		bad("policy.requireNodeGroups: true contradicts policy.nodeSelectorOutsideGroups: %s (requireNodeGroups is its older spelling; keep only nodeSelectorOutsideGroups)", outside)
	default:
		c.Policy.NodeSelectorOutsideGroups = model.Severity(outside)
	}
	if eo := f.Policy.EditorOverrides; eo != nil {
		c.Policy.EditorOverrides = append([]string{}, *eo...) // [] stays empty: editors may set nothing
		for i, name := range *eo {
			if !editorOverrideName(name) {
				bad("policy.editorOverrides[%d]: %q is not a KubeSpawner trait name (such as image, mem_limit or node_selector), %q or \"*\"", i, name, EnvironmentValueFrom)
			}
		}
	}
	for i, r := range f.Registries {
		if r.Host == "" || strings.ContainsAny(r.Host, "/ \t") {
			bad("registries[%d].host: %q is not a registry host", i, r.Host)
		}
		c.Registries = append(c.Registries, Registry{Host: r.Host, Insecure: r.Insecure})
	}
	c.Access = Access{EditorGroups: f.Access.EditorGroups, ViewerGroups: f.Access.ViewerGroups}
	names := map[string]bool{}
	for i, p := range f.Peers {
		at := fmt.Sprintf("peers[%d]", i)
		switch {
		case !slugRx.MatchString(p.Name):
			bad("%s.name: %q: a peer needs a name of lowercase letters, digits and single hyphens, such as staging", at, p.Name)
		case names[p.Name]:
			bad("%s.name: %q is used twice", at, p.Name)
		}
		names[p.Name] = true
		u, err := url.Parse(p.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			bad("%s.url: %q is not the peer's hubprofiles URL, such as https://staging.example.org/services/hubprofiles/", at, p.URL)
		}
		if p.TokenFile == "" {
			bad("%s.tokenFile: a peer needs the file that holds a JupyterHub API token for it", at)
		}
		c.Peers = append(c.Peers, Peer{Name: p.Name, URL: strings.TrimSuffix(p.URL, "/") + "/", TokenFile: p.TokenFile})
	}
	c.Usage = Usage{Interval: DefaultUsageInterval, PageSize: DefaultUsagePageSize, MaxUsers: DefaultUsageMaxUsers}
	if v := f.Usage.Interval; v != nil {
		d, err := time.ParseDuration(*v)
		switch {
		case *v == "0" || *v == "off":
			d = 0
		case err != nil:
			bad("usage.interval: %q is not a duration such as 10m or 1h (0 or off turns usage off)", *v)
		case d < MinUsageInterval:
			bad("usage.interval: %q is less than %v: every read pages through all the hub's users", *v, MinUsageInterval)
		}
		c.Usage.Interval = d
	}
	if v := f.Usage.PageSize; v != nil {
		if *v < 1 || *v > 1000 {
			bad("usage.pageSize: %d is not between 1 and 1000 (the hub answers at most its api_page_max_limit, 200 by default)", *v)
		}
		c.Usage.PageSize = *v
	}
	if v := f.Usage.MaxUsers; v != nil {
		if *v < 1 {
			bad("usage.maxUsers: %d must be at least 1", *v)
		}
		c.Usage.MaxUsers = *v
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return c, nil
}

// editorOverrideName says whether name can be listed in
// policy.editorOverrides: a typo would otherwise quietly allow nothing.
func editorOverrideName(name string) bool {
	if name == "*" || name == "default" || name == EnvironmentValueFrom {
		return true
	}
	kind, ok := kubespawner.Trait(name)
	return ok && kind != kubespawner.Callable
}

// ParseMemory reads a memory size: integer bytes, or a number with K, M, G or
// T as KubeSpawner reads them (binary: G is GiB), or with Ki, Mi, Gi or Ti as
// `kubectl describe node` prints them.
func ParseMemory(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return n, nil
	}
	s = strings.TrimSuffix(s, "i")
	n, err := kubespawner.ParseBytes(s)
	if err != nil {
		return 0, errors.New("want bytes, or a number ending in K, M, G or T (binary, as KubeSpawner reads them) or Ki, Mi, Gi, Ti")
	}
	if n < 0 {
		return 0, errors.New("cannot be negative")
	}
	return n, nil
}

// ParseCPU reads cores as a number ("3.92") or Kubernetes millicores ("3920m").
func ParseCPU(s string) (float64, error) {
	s = strings.TrimSpace(s)
	div := 1.0
	if strings.HasSuffix(s, "m") {
		s, div = strings.TrimSuffix(s, "m"), 1000
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errors.New("want a number of cores such as 3.92, or millicores such as 3920m")
	}
	return f / div, nil
}

// stringMap reads a YAML mapping of strings, keeping its order.
func stringMap(n *yaml.Node) (*ordered.Map, error) {
	m := ordered.NewMap()
	if n.Kind == 0 {
		return m, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("want a mapping of label: value")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
			return nil, fmt.Errorf("label %q: want a string value", k.Value)
		}
		m.Set(k.Value, v.Value)
	}
	return m, nil
}

// nodeValue converts any YAML node into an ordered JSON value.
func nodeValue(n *yaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	// Decode again through ordered to get ordered values (key order of a
	// toleration does not matter to Kubernetes).
	return ordered.DecodeJSON(b, 32)
}
