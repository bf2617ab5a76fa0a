package profilelist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/jupyterhub/hubprofiles/ordered"
)

// decodeYAML reads the first YAML document into ordered values. Aliases are
// expanded here, not by the YAML library, so that the count of values they
// produce is bounded: a "billion laughs" file is refused, not expanded.
func decodeYAML(data []byte, lim Limits) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(err)
	}
	if doc.Kind == 0 {
		return nil, nil // empty input
	}
	c := &yamlConverter{lim: lim}
	return c.value(&doc, 0)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func yamlError(err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &ParseError{Line: line, Msg: m[2]}
	}
	return &ParseError{Msg: strings.TrimPrefix(msg, "yaml: ")}
}

type yamlConverter struct {
	lim   Limits
	nodes int
}

func (c *yamlConverter) errorf(n *yaml.Node, format string, args ...any) error {
	return &ParseError{Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
}

func (c *yamlConverter) value(n *yaml.Node, depth int) (any, error) {
	c.nodes++
	if c.nodes > c.lim.MaxNodes {
		return nil, c.errorf(n, "more than %d values (after expanding aliases): refused", c.lim.MaxNodes)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth)
	case yaml.AliasNode:
		return c.value(n.Alias, depth)
	case yaml.SequenceNode:
		if depth >= c.lim.MaxDepth {
			return nil, c.errorf(n, "nested deeper than %d levels", c.lim.MaxDepth)
		}
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		if depth >= c.lim.MaxDepth {
			return nil, c.errorf(n, "nested deeper than %d levels", c.lim.MaxDepth)
		}
		return c.mapping(n, depth)
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, c.errorf(n, "unsupported YAML node")
}

func (c *yamlConverter) mapping(n *yaml.Node, depth int) (any, error) {
	out := ordered.NewMap()
	explicit := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.ShortTag() == "!!merge" {
			if err := c.merge(out, vn, depth); err != nil {
				return nil, err
			}
			continue
		}
		if kn.Kind != yaml.ScalarNode {
			return nil, c.errorf(kn, "mapping keys must be plain values")
		}
		if explicit[kn.Value] {
			return nil, c.errorf(kn, "duplicate key %q", kn.Value)
		}
		explicit[kn.Value] = true
		v, err := c.value(vn, depth+1)
		if err != nil {
			return nil, err
		}
		out.Set(kn.Value, v)
	}
	return out, nil
}

// merge applies a YAML merge key (<<: *anchor or <<: [*a, *b]): keys already
// present win, as YAML specifies.
func (c *yamlConverter) merge(out *ordered.Map, vn *yaml.Node, depth int) error {
	sources := []*yaml.Node{vn}
	if vn.Kind == yaml.SequenceNode {
		sources = vn.Content
	}
	for _, s := range sources {
		v, err := c.value(s, depth+1)
		if err != nil {
			return err
		}
		m, ok := v.(*ordered.Map)
		if !ok {
			return c.errorf(s, "a merge key (<<) must point to a mapping")
		}
		for _, k := range m.Keys() {
			if !out.Has(k) {
				mv, _ := m.Get(k)
				out.Set(k, mv)
			}
		}
	}
	return nil
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func (c *yamlConverter) scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, c.errorf(n, "%v", err)
		}
		return b, nil
	case "!!int", "!!float":
		if jsonNumber.MatchString(n.Value) {
			return json.Number(n.Value), nil
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, c.errorf(n, "%v", err)
		}
		switch t := v.(type) {
		case int:
			return json.Number(strconv.Itoa(t)), nil
		case int64:
			return json.Number(strconv.FormatInt(t, 10)), nil
		case uint64:
			return json.Number(strconv.FormatUint(t, 10)), nil
		case float64:
			if math.IsInf(t, 0) || math.IsNaN(t) {
				return nil, c.errorf(n, "%s cannot be written in JSON, which KubeSpawner reads", n.Value)
			}
			return json.Number(strconv.FormatFloat(t, 'g', -1, 64)), nil
		}
		return n.Value, nil
	default: // !!str, !!timestamp, !!binary and custom tags keep their text
		return n.Value, nil
	}
}

// ToYAML writes an ordered value as YAML with two-space indentation, keys in
// order. Strings that would read back as another type are quoted.
func ToYAML(v any) ([]byte, error) {
	n, err := YAMLNode(v)
	if err != nil {
		return nil, err
	}
	return WriteYAML(n)
}

// WriteYAML writes a YAML node tree with two-space indentation.
func WriteYAML(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// YAMLNode is an ordered value as a YAML node tree, for writers that add
// comments to it (infra's node-group draft).
func YAMLNode(v any) (*yaml.Node, error) {
	switch t := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case string:
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}
		if strings.Contains(t, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(t), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(t)}, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range t {
			en, err := YAMLNode(e)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, en)
		}
		return n, nil
	case *ordered.Map:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range t.Keys() {
			ev, _ := t.Get(k)
			en, err := YAMLNode(ev)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, en)
		}
		return n, nil
	}
	return nil, fmt.Errorf("cannot write %T as YAML", v)
}
