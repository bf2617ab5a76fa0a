// Package kubespawner knows what KubeSpawner 7.1 and JupyterHub accept for each
// value in a profile list: the JSON shape of every trait a kubespawner_override
// may set, how memory and CPU quantities are read, how the two str.format passes
// treat template strings, and which regular expressions the server (Python re)
// and the spawn form (a browser's RegExp with the v flag) both compile.
//
// Everything here is a pure function of its arguments. The facts come from
// KubeSpawner's spawner.py, objects.py and utils.py, JupyterHub's spawner.py
// and traitlets.py, and CPython's format and re parsers; where KubeSpawner
// would fail to start a server the problem is an Error, where it works but
// surprises, a Warning.
package kubespawner

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/jupyterhub/hubprofiles/ordered"
)

// Severity says whether KubeSpawner breaks (Error) or works in a way the admin
// probably did not mean (Warning).
type Severity int

// The severities, least severe first.
const (
	Warning Severity = iota
	Error
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// A Problem is something wrong with a value. Path is a JSON-pointer suffix
// relative to the value checked ("" for the value itself, "/nvidia.com~1gpu"
// for a key inside), escaped per RFC 6901.
type Problem struct {
	Severity Severity
	Path     string
	Msg      string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Severity.String() + ": " + p.Msg
	}
	return p.Severity.String() + " at " + p.Path + ": " + p.Msg
}

// Kind is the JSON shape a trait takes in a kubespawner_override.
type Kind int

// The kinds. Each names what traitlets (and, for a few, Kubernetes) accept.
const (
	String         Kind = iota + 1 // Unicode: a string
	NonEmptyString                 // image: a non-empty string
	StringOrNull                   // Unicode(allow_none): a string or null
	Enum                           // Enum: one of a fixed set of strings (slug_scheme)
	Float                          // Float: a number
	FloatOrNull                    // Float(allow_none), cpu_*: a number of cores or null
	BytesOrNull                    // ByteSpecification, mem_*: integer bytes, "4G", or null
	Int                            // Integer: an integer
	IntOrNull                      // Integer or callable (uid, gid, fs_gid): an integer or null
	Bool                           // Bool: true or false
	BoolOrNull                     // Bool(allow_none): true, false or null
	Dict                           // Dict: an object, merged into the current value
	StringMap                      // Dict of Kubernetes strings (labels, node_selector): string values
	ListOrDict                     // Union[List, Dict] (volumes, tolerations, ...): array or object of objects
	List                           // List: an array
	StringList                     // List(Unicode): an array of strings
	IntList                        // supplemental_gids: an array of integers
	Command                        // Command (cmd): a string or an array of strings, or null
	ResourceMap                    // extra_resource_*: an object of Kubernetes quantity strings
	Environment                    // environment: an object whose values are strings, EnvVar objects or null
	StringOrList                   // image_pull_secrets: an array of names or {name} objects (a string is deprecated)
	Callable                       // a Python callable: JSON can only say null
)

var kindNames = map[Kind]string{
	String: "String", NonEmptyString: "NonEmptyString", StringOrNull: "StringOrNull", Enum: "Enum",
	Float: "Float", FloatOrNull: "FloatOrNull", BytesOrNull: "BytesOrNull", Int: "Int", IntOrNull: "IntOrNull",
	Bool: "Bool", BoolOrNull: "BoolOrNull", Dict: "Dict", StringMap: "StringMap", ListOrDict: "ListOrDict",
	List: "List", StringList: "StringList", IntList: "IntList", Command: "Command", ResourceMap: "ResourceMap",
	Environment: "Environment", StringOrList: "StringOrList", Callable: "Callable",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// traits maps every configurable trait of KubeSpawner 7.x (kubespawner/spawner.py)
// and of JupyterHub's base Spawner (jupyterhub/spawner.py) to its JSON shape.
var traits = map[string]Kind{
	// JupyterHub Spawner
	"port":                        Int,
	"consecutive_failure_limit":   Int,
	"start_timeout":               Int,
	"http_timeout":                Int,
	"poll_interval":               Int,
	"poll_jitter":                 Float,
	"debug":                       Bool,
	"options_form":                String,
	"options_from_form":           String,
	"apply_user_options":          Dict,
	"group_overrides":             Dict,
	"oauth_roles":                 StringList,
	"oauth_client_allowed_scopes": StringList,
	"server_token_scopes":         StringList,
	"env_keep":                    StringList,
	"environment":                 Environment,
	"cmd":                         Command,
	"args":                        StringList,
	"notebook_dir":                String,
	"default_url":                 String,
	"disable_user_config":         Bool,
	"mem_limit":                   BytesOrNull,
	"mem_guarantee":               BytesOrNull,
	"cpu_limit":                   FloatOrNull,
	"cpu_guarantee":               FloatOrNull,
	"progress_ready_hook":         Callable,
	"pre_spawn_hook":              Callable,
	"post_stop_hook":              Callable,
	"auth_state_hook":             Callable,
	"hub_connect_url":             StringOrNull,
	"ssl_alt_names":               StringList,
	"ssl_alt_names_include_local": Bool,
	"ip":                          String,

	// KubeSpawner
	"k8s_api_verify_ssl":                     BoolOrNull,
	"k8s_api_ssl_ca_cert":                    String,
	"k8s_api_host":                           String,
	"k8s_api_threadpool_workers":             Int,
	"k8s_api_request_timeout":                Int,
	"k8s_api_request_retry_timeout":          Int,
	"events_enabled":                         Bool,
	"enable_user_namespaces":                 Bool,
	"slug_scheme":                            Enum,
	"user_namespace_labels":                  StringMap,
	"user_namespace_annotations":             StringMap,
	"user_namespace_template":                String,
	"namespace":                              String,
	"services_enabled":                       Bool,
	"working_dir":                            StringOrNull,
	"service_account":                        StringOrNull,
	"automount_service_account_token":        BoolOrNull,
	"dns_name_template":                      String,
	"pod_name_template":                      String,
	"pod_connect_ip":                         String,
	"storage_pvc_ensure":                     Bool,
	"delete_pvc":                             Bool,
	"pvc_name_template":                      String,
	"remember_pvc_name":                      Bool,
	"component_label":                        String,
	"secret_name_template":                   String,
	"secret_mount_path":                      String,
	"hub_connect_ip":                         StringOrNull,
	"hub_connect_port":                       Int,
	"common_labels":                          StringMap,
	"extra_labels":                           StringMap,
	"extra_annotations":                      StringMap,
	"image":                                  NonEmptyString,
	"image_pull_policy":                      StringOrNull,
	"image_pull_secrets":                     StringOrList,
	"node_selector":                          StringMap,
	"uid":                                    IntOrNull,
	"gid":                                    IntOrNull,
	"fs_gid":                                 IntOrNull,
	"supplemental_gids":                      IntList,
	"privileged":                             Bool,
	"allow_privilege_escalation":             BoolOrNull,
	"container_security_context":             Dict,
	"pod_security_context":                   Dict,
	"modify_pod_hook":                        Callable,
	"after_pod_created_hook":                 Callable,
	"get_pod_url":                            Callable,
	"volumes":                                ListOrDict,
	"volume_mounts":                          ListOrDict,
	"storage_capacity":                       StringOrNull,
	"storage_extra_annotations":              StringMap,
	"storage_extra_labels":                   StringMap,
	"storage_class":                          StringOrNull,
	"storage_access_modes":                   StringList,
	"storage_selector":                       Dict,
	"lifecycle_hooks":                        Dict,
	"init_containers":                        ListOrDict,
	"extra_container_config":                 Dict,
	"extra_pod_config":                       Dict,
	"extra_containers":                       ListOrDict,
	"handle_legacy_names":                    Bool,
	"scheduler_name":                         StringOrNull,
	"tolerations":                            ListOrDict,
	"node_affinity_preferred":                ListOrDict,
	"node_affinity_required":                 ListOrDict,
	"pod_affinity_preferred":                 ListOrDict,
	"pod_affinity_required":                  ListOrDict,
	"pod_anti_affinity_preferred":            ListOrDict,
	"pod_anti_affinity_required":             ListOrDict,
	"extra_resource_guarantees":              ResourceMap,
	"extra_resource_limits":                  ResourceMap,
	"delete_stopped_pods":                    Bool,
	"additional_profile_form_template_paths": StringList,
	"profile_form_template":                  String,
	"profile_list":                           ListOrDict,
	"priority_class_name":                    String,
	"delete_grace_period":                    Int,
}

// deprecated maps the old names KubeSpawner still accepts (through properties
// that forward to the new trait) to their replacement. KubeSpawner builds the
// 0.9 list by dropping the first word; "singleuser_allow_privilege_escalation"
// and "singleuser_lifecycle_hooks" are missing because a missing comma in
// spawner.py glues them into one name, so they are not aliases at all.
var deprecated = map[string]string{
	"image_spec":                        "image",
	"singleuser_working_dir":            "working_dir",
	"singleuser_service_account":        "service_account",
	"singleuser_extra_labels":           "extra_labels",
	"singleuser_extra_annotations":      "extra_annotations",
	"singleuser_image_spec":             "image_spec",
	"singleuser_image_pull_policy":      "image_pull_policy",
	"singleuser_image_pull_secrets":     "image_pull_secrets",
	"singleuser_node_selector":          "node_selector",
	"singleuser_uid":                    "uid",
	"singleuser_fs_gid":                 "fs_gid",
	"singleuser_supplemental_gids":      "supplemental_gids",
	"singleuser_privileged":             "privileged",
	"singleuser_extra_pod_config":       "extra_pod_config",
	"singleuser_init_containers":        "init_containers",
	"singleuser_extra_container_config": "extra_container_config",
	"singleuser_extra_containers":       "extra_containers",
	"user_storage_class":                "storage_class",
	"user_storage_pvc_ensure":           "storage_pvc_ensure",
	"user_storage_capacity":             "storage_capacity",
	"user_storage_extra_labels":         "storage_extra_labels",
	"user_storage_access_modes":         "storage_access_modes",
}

// readOnly are spawner properties without a setter: setattr raises
// AttributeError, so overriding them fails every spawn.
var readOnly = map[string]bool{
	"name": true, "display_name": true, "pending": true, "ready": true, "active": true,
	"last_activity": true, "oauth_scopes": true, "pod_reflector": true, "event_reflector": true,
	"events": true,
}

// resolvedBeforeOverrides are templates KubeSpawner expands when the spawner is
// built, before any profile override is applied.
var resolvedBeforeOverrides = map[string]string{
	"pod_name_template":       "the pod name",
	"pvc_name_template":       "the PVC name",
	"secret_name_template":    "the secret name",
	"dns_name_template":       "the DNS name",
	"user_namespace_template": "the user namespace",
}

// enumValues are the strings a trait accepts; anything else fails at spawn
// (traitlets) or when the pod is created (Kubernetes).
var enumValues = map[string][]string{
	"slug_scheme":       {"safe", "escape"},
	"image_pull_policy": {"Always", "IfNotPresent", "Never"},
}

// Canonical resolves a deprecated alias (image_spec, singleuser_*, user_storage_*)
// to the trait it sets; any other name is returned as it is.
func Canonical(name string) string {
	for i := 0; i < 3; i++ {
		n, ok := deprecated[name]
		if !ok {
			break
		}
		name = n
	}
	return name
}

// Trait tells the JSON shape of a KubeSpawner or JupyterHub Spawner trait,
// including the deprecated aliases that still work. The second result is
// false for a name KubeSpawner does not know.
func Trait(name string) (Kind, bool) {
	k, ok := traits[Canonical(name)]
	return k, ok
}

// expansions lists the traits whose strings are formatted again, strictly
// (str.format(**fields): an unknown field is a KeyError), when the server
// starts, with the fields each pass fills in.
var expansions = map[string][]string{
	"environment":                TemplateFields,
	"extra_labels":               TemplateFields,
	"extra_annotations":          TemplateFields,
	"volumes":                    TemplateFields,
	"volume_mounts":              TemplateFields,
	"init_containers":            TemplateFields,
	"extra_containers":           TemplateFields,
	"service_account":            TemplateFields,
	"extra_pod_config":           TemplateFields,
	"storage_extra_labels":       TemplateFields,
	"storage_extra_annotations":  TemplateFields,
	"storage_selector":           TemplateFields,
	"user_namespace_labels":      TemplateFields,
	"user_namespace_annotations": TemplateFields,
	"pod_connect_ip":             TemplateFields, // only the dot-separated parts holding a '{'
	// JupyterHub's Spawner.format_string, used by get_env.
	"default_url":  {"username", "base_url"},
	"notebook_dir": {"username", "base_url"},
}

// IsExpanded tells whether the strings of a trait go through a strict
// str.format pass when the server starts: KubeSpawner's pod-time expansion
// (environment, extra_labels, volumes, init_containers, ...) or JupyterHub's
// format_string (default_url, notebook_dir). Literal braces in them must be
// doubled.
func IsExpanded(name string) bool {
	_, ok := expansions[Canonical(name)]
	return ok
}

// CheckOverride type-checks one kubespawner_override entry, name: v, of a
// profile or a choice, the way traitlets (and Kubernetes, for the values
// KubeSpawner copies into the pod unchanged) would. Template strings of
// expanded traits are checked by CheckExpandedStrings.
func CheckOverride(name string, v any) []Problem {
	c := &checker{trait: name}
	c.override(v)
	return c.ps
}

// checker collects problems for one override entry.
type checker struct {
	trait string
	ps    []Problem
}

func (c *checker) add(sev Severity, path, format string, args ...any) {
	c.ps = append(c.ps, Problem{Severity: sev, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *checker) errorf(path, format string, args ...any) { c.add(Error, path, format, args...) }
func (c *checker) warnf(path, format string, args ...any)  { c.add(Warning, path, format, args...) }

func (c *checker) override(v any) {
	name := c.trait
	if name == "default" {
		c.warnf("", "\"default\" inside kubespawner_override is ignored by KubeSpawner (it only sets an unused attribute); it belongs on the profile or choice itself (\"default\": true next to display_name)")
		return
	}
	if readOnly[name] {
		c.errorf("", "%s is a read-only property of the spawner, not a setting: KubeSpawner fails with AttributeError at spawn", name)
		return
	}
	kind, ok := Trait(name)
	if !ok {
		c.unknown(v)
		return
	}
	if n := Canonical(name); n != name {
		c.warnf("", "%s is a deprecated name for %s: KubeSpawner still accepts it but logs a warning at every spawn; write %s", name, n, n)
	}
	if what, ok := resolvedBeforeOverrides[Canonical(name)]; ok {
		c.warnf("", "overriding %s has no effect: KubeSpawner computes %s when the spawner is created, before profile overrides are applied", name, what)
	}
	c.kind(kind, v)
}

func (c *checker) unknown(v any) {
	hint := ""
	if s := suggest(c.trait); s != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", s)
	}
	if _, isMap := v.(*ordered.Map); isMap {
		c.errorf("", "%q is not a KubeSpawner setting%s: with an object value KubeSpawner fails with AttributeError at spawn", c.trait, hint)
		return
	}
	c.warnf("", "%q is not a KubeSpawner setting%s: it is ignored by KubeSpawner", c.trait, hint)
}

// suggest finds the known trait a mistyped name probably meant: the snake_case
// form of a camelCase (Helm-style) name, or a name at most two edits away.
func suggest(name string) string {
	if s := snakeCase(name); s != name {
		if _, ok := Trait(s); ok {
			return s
		}
	}
	best, bestD := "", 3
	for t := range traits {
		if d := editDistance(strings.ToLower(name), t); d < bestD || (d == bestD && t < best) {
			best, bestD = t, d
		}
	}
	return best
}

func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func editDistance(a, b string) int {
	ar, br := []rune(a), []rune(b)
	prev := make([]int, len(br)+1)
	cur := make([]int, len(br)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ar); i++ {
		cur[0] = i
		for j := 1; j <= len(br); j++ {
			cost := 1
			if ar[i-1] == br[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(br)]
}

// userText is a string of an unlisted_choice override that contains {value}:
// what it holds depends on what the user types.
type userText struct {
	raw      string // as written in the profile list
	rendered string // after the first pass, with a stand-in for the user's text
}

// show renders a value for a message: JSON, cut short.
func show(v any) string {
	if u, ok := v.(userText); ok {
		v = u.raw
	}
	b, err := ordered.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if r := []rune(s); len(r) > 60 {
		s = string(r[:57]) + "..."
	}
	return s
}

// isInteger tells whether a JSON number is written as an integer, the way
// Python's json module decides between int and float.
func isInteger(n json.Number) bool {
	return !strings.ContainsAny(string(n), ".eE")
}

const failStart = "KubeSpawner would fail to start the server"

func (c *checker) kind(kind Kind, v any) {
	name := c.trait
	if u, ok := v.(userText); ok {
		c.userText(kind, u)
		return
	}
	switch kind {
	case String, NonEmptyString, StringOrNull, Enum:
		s, isStr := v.(string)
		switch {
		case v == nil && kind == StringOrNull:
		case !isStr:
			c.errorf("", "%s must be a string, not %s; %s (TraitError)", name, describe(v), failStart)
		default:
			c.stringValue(kind, s)
		}
	case Float, FloatOrNull:
		c.cpu(kind, v)
	case BytesOrNull:
		c.bytes(v)
	case Int, IntOrNull:
		if v == nil && kind == IntOrNull {
			return
		}
		c.integer("", v)
	case Bool, BoolOrNull:
		switch t := v.(type) {
		case bool:
		case nil:
			if kind == Bool {
				c.errorf("", "%s must be true or false, not null; %s (TraitError)", name, failStart)
			}
		case json.Number:
			if t == "0" || t == "1" {
				c.warnf("", "%s %s: write true or false; traitlets reads 0 and 1 as booleans", name, t)
			} else {
				c.errorf("", "%s must be true or false, not %s; %s (TraitError)", name, show(v), failStart)
			}
		default:
			c.errorf("", "%s must be true or false, not %s; %s (TraitError)", name, describe(v), failStart)
		}
	case Dict, StringMap, ResourceMap, Environment:
		m, isMap := v.(*ordered.Map)
		if !isMap {
			c.errorf("", "%s must be an object, not %s; %s (TraitError)", name, describe(v), failStart)
			return
		}
		c.object(kind, m)
	case ListOrDict:
		c.listOrDict(v)
	case List, StringList, IntList:
		a, isList := v.([]any)
		if !isList {
			c.errorf("", "%s must be an array, not %s; %s (TraitError)", name, describe(v), failStart)
			return
		}
		for i, e := range a {
			p := fmt.Sprintf("/%d", i)
			if kind == StringList {
				c.stringItem(p, e)
			} else if kind == IntList {
				c.integer(p, e)
			}
		}
	case Command:
		switch t := v.(type) {
		case nil, string:
		case []any:
			for i, e := range t {
				c.stringItem(fmt.Sprintf("/%d", i), e)
			}
		default:
			c.errorf("", "%s must be a string or an array of strings, not %s; %s (TraitError)", name, describe(v), failStart)
		}
	case StringOrList:
		switch t := v.(type) {
		case string:
			c.warnf("", "%s as a single string is deprecated since KubeSpawner 0.14; write [%s]", name, show(t))
		case []any:
			for i, e := range t {
				p := fmt.Sprintf("/%d", i)
				switch et := e.(type) {
				case string:
				case *ordered.Map:
					if n, _ := et.Get("name"); n == nil {
						c.errorf(p, "%s entries that are objects need a \"name\": the Kubernetes API rejects the pod", name)
					}
				default:
					c.errorf(p, "%s entries must be secret names or {\"name\": ...} objects, not %s; the Kubernetes API rejects the pod", name, describe(e))
				}
			}
		default:
			c.errorf("", "%s must be an array of secret names, not %s; %s (TraitError)", name, describe(v), failStart)
		}
	case Callable:
		if v != nil {
			c.errorf("", "%s needs a Python callable, which JSON cannot express; %s", name, failStart)
		}
	}
}

// userText checks a string of an unlisted_choice override that holds {value}.
func (c *checker) userText(kind Kind, u userText) {
	name := c.trait
	switch kind {
	case String, NonEmptyString, StringOrNull, Command, StringOrList:
		if kind == NonEmptyString && strings.TrimSpace(u.raw) != u.raw {
			c.errorf("", "%s %s has surrounding whitespace: Kubernetes rejects the image name", name, show(u.raw))
		}
		if vals, ok := enumValues[Canonical(name)]; ok {
			c.warnf("", "%s %s: what the user types must be one of %s, or the server fails to start; make validation_regex accept only those", name, show(u.raw), strings.Join(vals, ", "))
		}
	case Enum:
		c.warnf("", "%s %s: what the user types must be one of %s; make validation_regex accept only those", name, show(u.raw), strings.Join(enumValues[Canonical(name)], ", "))
	case BytesOrNull:
		c.warnf("", "%s %s: what the user types must be a size like \"4G\" (K, M, G or T) or KubeSpawner fails to start the server; make validation_regex accept only those", name, show(u.raw))
	case Float, FloatOrNull, Int, IntOrNull, Bool, BoolOrNull:
		c.errorf("", "%s %s: filling in {value} always gives a string, and %s needs %s; %s (TraitError)", name, show(u.raw), name, wantedScalar(kind), failStart)
	default:
		c.errorf("", "%s must be %s, not a string; %s (TraitError)", name, wantedShape(kind), failStart)
	}
}

func wantedScalar(k Kind) string {
	switch k {
	case Float, FloatOrNull:
		return "a number"
	case Int, IntOrNull:
		return "an integer"
	}
	return "a boolean"
}

func wantedShape(k Kind) string {
	switch k {
	case List, StringList, IntList:
		return "an array"
	case ListOrDict:
		return "an array or an object"
	case Callable:
		return "a Python callable"
	}
	return "an object"
}

func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string, json.Number, bool:
		return fmt.Sprintf("the %s %s", ordered.TypeName(t), show(t))
	case userText:
		return "the string " + show(t)
	}
	return "an " + ordered.TypeName(v)
}

func (c *checker) stringValue(kind Kind, s string) {
	name := c.trait
	canon := Canonical(name)
	if kind == NonEmptyString {
		switch {
		case s == "":
			c.errorf("", "%s must not be empty: Kubernetes rejects a pod without an image", name)
		case strings.TrimSpace(s) != s:
			c.errorf("", "%s %s has surrounding whitespace: Kubernetes rejects the image name", name, show(s))
		case strings.IndexFunc(s, unicode.IsSpace) >= 0:
			c.errorf("", "%s %s contains whitespace: Kubernetes rejects the image name", name, show(s))
		}
	}
	if vals, ok := enumValues[canon]; ok && !contains(vals, s) {
		if kind == Enum {
			c.errorf("", "%s %s must be one of %s; %s (TraitError)", name, show(s), strings.Join(vals, ", "), failStart)
		} else {
			c.errorf("", "%s %s must be one of %s (or null): the Kubernetes API rejects the pod", name, show(s), strings.Join(vals, ", "))
		}
	}
	if canon == "working_dir" && strings.Contains(s, "{") {
		if fs, err := Fields(s); err == nil && len(fs) > 0 {
			c.warnf("", "working_dir %s: KubeSpawner expands {%s} only in the base config; a working_dir set by an override is used literally", show(s), fs[0])
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func (c *checker) stringItem(p string, e any) {
	if _, ok := e.(string); ok {
		return
	}
	if _, ok := e.(userText); ok {
		return
	}
	c.errorf(p, "%s entries must be strings, not %s; %s (TraitError)", c.trait, describe(e), failStart)
}

func (c *checker) integer(p string, v any) {
	name := c.trait
	n, isNum := v.(json.Number)
	if !isNum {
		c.errorf(p, "%s must be an integer, not %s; %s (TraitError)", name, describe(v), failStart)
		return
	}
	if isInteger(n) {
		return
	}
	f, err := n.Float64()
	if err == nil && f == math.Trunc(f) {
		c.warnf(p, "%s %s: write it as an integer; only recent traitlets accept a whole float", name, n)
		return
	}
	c.errorf(p, "%s %s must be an integer; %s (TraitError)", name, n, failStart)
}

func (c *checker) cpu(kind Kind, v any) {
	name := c.trait
	switch t := v.(type) {
	case nil:
		if kind == Float {
			c.errorf("", "%s must be a number, not null; %s (TraitError)", name, failStart)
		}
	case json.Number:
		f, err := ParseCPU(t)
		switch {
		case err != nil:
			c.errorf("", "%s %s: %v", name, t, err)
		case f < 0:
			c.errorf("", "%s %s is negative: the Kubernetes API rejects the pod", name, t)
		case Canonical(name) == "poll_jitter" && f > 1:
			c.errorf("", "%s %s must be between 0 and 1; %s (TraitError)", name, t, failStart)
		}
	case string:
		hint := ""
		if cores, ok := milliCores(t); ok {
			hint = fmt.Sprintf(" (write %s)", cores)
		} else if _, err := pyFloat(t); err == nil {
			hint = fmt.Sprintf(" (write %s without quotes)", strings.TrimSpace(t))
		}
		c.errorf("", "%s %s: must be a JSON number of cores, e.g. 2 or 0.5, not a string%s; %s (TraitError)", name, show(t), hint, failStart)
	default:
		c.errorf("", "%s must be a number of cores or null, not %s; %s (TraitError)", name, describe(v), failStart)
	}
}

// milliCores turns a Kubernetes "500m" into "0.5".
func milliCores(s string) (string, bool) {
	if !strings.HasSuffix(s, "m") {
		return "", false
	}
	d := strings.TrimSuffix(s, "m")
	if d == "" || strings.Trim(d, "0123456789") != "" {
		return "", false
	}
	var n int64
	if _, err := fmt.Sscan(d, &n); err != nil {
		return "", false
	}
	return fmt.Sprintf("%g", float64(n)/1000), true
}

// canonicalBytes matches ^[0-9]+(\.[0-9]+)?[KMGT]$, the form every tool reads.
func canonicalBytes(s string) bool {
	if len(s) < 2 || !strings.ContainsRune("KMGT", rune(s[len(s)-1])) {
		return false
	}
	num := s[:len(s)-1]
	intPart, frac, hasDot := strings.Cut(num, ".")
	digits := func(x string) bool { return x != "" && strings.Trim(x, "0123456789") == "" }
	return digits(intPart) && (!hasDot || digits(frac))
}

func (c *checker) bytes(v any) {
	name := c.trait
	if v == nil {
		return
	}
	n, err := ParseBytes(v)
	if err != nil {
		c.errorf("", "%s %s: %s; %s", name, show(v), bytesAdvice(v, err), failStart)
		return
	}
	if n < 0 {
		c.errorf("", "%s %s is negative: the Kubernetes API rejects the pod", name, show(v))
		return
	}
	switch t := v.(type) {
	case json.Number:
		if !isInteger(t) {
			c.warnf("", "%s %s: KubeSpawner truncates it to %d bytes; write an integer number of bytes or a size like \"4G\"", name, t, n)
		} else if n > 0 && n < 1<<20 {
			c.warnf("", "%s %s is only %s: a bare number counts bytes; for a size write a string like \"%sM\" or \"%sG\"", name, t, FormatBytes(n), t, t)
		}
	case string:
		if !canonicalBytes(t) {
			c.warnf("", "%s %s: KubeSpawner reads it as %s, but other tools expect an integer or a size like \"4G\" or \"1.5G\"", name, show(t), FormatBytes(n))
		}
	}
}

func bytesAdvice(v any, err error) string {
	const accepts = "KubeSpawner accepts only K, M, G or T suffixes (binary, e.g. \"4G\") or integer bytes"
	s, isStr := v.(string)
	if !isStr {
		return err.Error()
	}
	r := []rune(s)
	switch {
	case s == "":
		return "empty; " + accepts
	case strings.Trim(s, "0123456789") == "":
		return "a size string needs a suffix K, M, G or T; for bytes write the number without quotes (" + s + ")"
	case len(r) > 1 && strings.ContainsRune("kmgt", r[len(r)-1]):
		return fmt.Sprintf("suffixes are case-sensitive (write %s%c)", string(r[:len(r)-1]), unicode.ToUpper(r[len(r)-1]))
	case strings.HasSuffix(s, "i") || strings.HasSuffix(s, "B") || strings.HasSuffix(s, "b"):
		return accepts
	}
	return err.Error() + "; " + accepts
}

func (c *checker) object(kind Kind, m *ordered.Map) {
	name := c.trait
	canon := Canonical(name)
	for _, k := range m.Keys() {
		e, _ := m.Get(k)
		p := Pointer(k)
		if e == nil {
			continue // null deletes the key from the merged dict
		}
		if (canon == "container_security_context" || canon == "pod_security_context") && strings.Contains(k, "_") {
			c.errorf(p, "%s keys must be camelCase Kubernetes names, not %q: KubeSpawner raises ValueError when it builds the pod", name, k)
		}
		switch kind {
		case StringMap:
			switch e.(type) {
			case string, userText:
			default:
				c.errorf(p, "%s values must be strings (or null to remove a key), not %s: the Kubernetes API rejects the pod", name, describe(e))
			}
		case ResourceMap:
			c.quantity(p, e)
		case Environment:
			c.envValue(p, e)
		}
	}
}

func (c *checker) quantity(p string, e any) {
	name := c.trait
	switch t := e.(type) {
	case string:
		if err := checkQuantity(t); err != nil {
			c.errorf(p, "%s %s: %v; the Kubernetes API rejects the pod", name, show(t), err)
		}
	case userText:
		c.warnf(p, "%s %s: what the user types must be a Kubernetes quantity like \"1\" or the pod is rejected; make validation_regex accept only those", name, show(t))
	case json.Number:
		if f, err := t.Float64(); err != nil || f < 0 {
			c.errorf(p, "%s %s is not a quantity Kubernetes accepts", name, t)
			return
		}
		c.warnf(p, "%s %s: write quantities as strings, e.g. \"%s\"; a number works only because Kubernetes parses it", name, t, t)
	default:
		c.errorf(p, "%s values must be quantity strings like \"1\", not %s: the Kubernetes API rejects the pod", name, describe(e))
	}
}

var envVarKeys = map[string]bool{"name": true, "value": true, "valueFrom": true, "value_from": true}

func (c *checker) envValue(p string, e any) {
	name := c.trait
	switch t := e.(type) {
	case string, userText:
	case *ordered.Map:
		for _, k := range t.Keys() {
			if !envVarKeys[k] {
				c.errorf(p+Pointer(k), "%s: an EnvVar object has only name, value and valueFrom, not %q; KubeSpawner raises ValueError when it builds the pod", name, k)
			}
		}
		if val, ok := t.Get("value"); ok && val != nil {
			if _, isStr := val.(string); !isStr {
				c.errorf(p+"/value", "%s: value must be a string, not %s; the Kubernetes API rejects the pod", name, describe(val))
			}
		}
	default:
		c.errorf(p, "%s values must be strings (or an EnvVar object, or null to remove), not %s: KubeSpawner passes it on as a non-string and the pod cannot be built", name, describe(e))
	}
}

func (c *checker) listOrDict(v any) {
	name := c.trait
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			if _, isMap := e.(*ordered.Map); !isMap {
				c.errorf(fmt.Sprintf("/%d", i), "%s entries must be objects (Kubernetes specs), not %s: KubeSpawner fails when it builds the pod", name, describe(e))
			}
		}
	case *ordered.Map:
		for _, k := range t.Keys() {
			e, _ := t.Get(k)
			switch e.(type) {
			case *ordered.Map:
			case nil:
				c.warnf(Pointer(k), "%s: null removes %q only when the base config also writes %s as an object; over a list or nothing, KubeSpawner keeps the null and fails when it builds the pod", name, k, name)
			default:
				c.errorf(Pointer(k), "%s values must be objects (Kubernetes specs), not %s: KubeSpawner fails when it builds the pod", name, describe(e))
			}
		}
	default:
		c.errorf("", "%s must be an array or an object, not %s; %s (TraitError)", name, describe(v), failStart)
	}
}

// Pointer escapes one JSON-pointer segment (RFC 6901) and puts "/" before it.
func Pointer(key string) string { return ordered.Pointer(key) }

// TraitNames lists every trait name Trait knows, deprecated aliases included,
// sorted.
func TraitNames() []string {
	names := make([]string, 0, len(traits)+len(deprecated))
	for n := range traits {
		names = append(names, n)
	}
	for n := range deprecated {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
