package profilelist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// Limits bound what Parse accepts, so that a hostile or broken input is
// refused quickly and in bounded memory.
type Limits struct {
	MaxBytes int // input size
	MaxDepth int // nesting of objects and arrays
	MaxNodes int // values after YAML aliases are expanded
}

// DefaultLimits are far above any real profile list (the largest of the 65
// production lists in the corpus is 26 kB, 12 levels deep, 1,500 values).
// The byte limit is model.DefaultLimits.FileBytes, the largest file the
// pages, the API and the CLI accept; what a writer stores is kept to half
// of each of these (model.DefaultLimits, CheckStored).
var DefaultLimits = Limits{MaxBytes: int(model.DefaultLimits.FileBytes), MaxDepth: 64, MaxNodes: 200_000}

// Format says what kind of document a source was.
type Format string

// The formats Parse recognises.
const (
	FormatList     Format = "profile-list" // a JSON or YAML array of profiles
	FormatValues   Format = "z2jh-values"  // a z2jh values file with singleuser.profileList
	FormatDocument Format = "hubprofiles"  // hubprofiles' own document
)

// Source is a parsed input.
type Source struct {
	Format Format
	// List is the profile list as written (FormatList, FormatValues).
	List any
	// ListPath is where the list was found in a values file, as a JSON pointer.
	ListPath string
	// Values is the values file itself (FormatValues), for the hub-wide
	// defaults it sets beside the list (values.go).
	Values *ordered.Map
	// Document is the catalog (FormatDocument).
	Document *model.Catalog
}

// ParseError is an input that could not be read, with where when known.
type ParseError struct {
	Line, Column int // 1-based; 0 when unknown
	Msg          string
}

func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// valuesPaths are where z2jh values files keep the profile list: a plain
// z2jh chart, z2jh as a sub-chart, and the daskhub/basehub layout.
var valuesPaths = [][]string{
	{"singleuser", "profileList"},
	{"jupyterhub", "singleuser", "profileList"},
	{"basehub", "jupyterhub", "singleuser", "profileList"},
}

// Parse reads a profile list, a z2jh values file or a hubprofiles document,
// as JSON or YAML. Input that starts with '{' or '[' is read as JSON (with
// JSON's error positions), anything else as YAML.
func Parse(data []byte, lim Limits) (*Source, error) {
	if len(data) > lim.MaxBytes {
		return nil, &ParseError{Msg: fmt.Sprintf("input is %d bytes, more than the limit of %d", len(data), lim.MaxBytes)}
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var (
		v   any
		err error
	)
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		v, err = ordered.DecodeJSON(data, lim.MaxDepth)
		var se *ordered.SyntaxError
		if errors.As(err, &se) {
			return nil, &ParseError{Line: se.Line, Column: se.Column, Msg: se.Msg}
		}
		if v != nil && ordered.TypeName(v) != "object" && ordered.TypeName(v) != "array" {
			return nil, &ParseError{Msg: "want a JSON array or object"}
		}
	} else {
		v, err = decodeYAML(data, lim)
	}
	if err != nil {
		return nil, err
	}
	return classify(v, data)
}

func classify(v any, data []byte) (*Source, error) {
	switch t := v.(type) {
	case []any:
		return &Source{Format: FormatList, List: t}, nil
	case *ordered.Map:
		if t.Has("schema_version") {
			doc, err := decodeDocument(data, t)
			if err != nil {
				return nil, err
			}
			return &Source{Format: FormatDocument, Document: doc}, nil
		}
		for _, path := range valuesPaths {
			if list, ok := lookup(t, path); ok {
				return &Source{Format: FormatValues, List: list, ListPath: model.Pointer(toAny(path)...), Values: t}, nil
			}
		}
		return nil, &ParseError{Msg: "no profile list found: want an array of profiles, a z2jh values file with " +
			"singleuser.profileList (also under jupyterhub: or basehub.jupyterhub:), or a hubprofiles document with schema_version"}
	case nil:
		return nil, &ParseError{Msg: "the input is empty"}
	default:
		return nil, &ParseError{Msg: fmt.Sprintf("want an array or an object, got a %s", ordered.TypeName(v))}
	}
}

func lookup(m *ordered.Map, path []string) (any, bool) {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(*ordered.Map)
		if !ok {
			return nil, false
		}
		if cur, ok = mm.Get(k); !ok {
			return nil, false
		}
	}
	return cur, true
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Document is hubprofiles' own export: a versioned catalog.
type Document struct {
	SchemaVersion int `json:"schema_version"`
	model.Catalog
}

// decodeDocument reads a hubprofiles document strictly: an unknown field or
// another schema version is refused rather than half-read.
func decodeDocument(data []byte, v *ordered.Map) (*model.Catalog, error) {
	raw := data
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || (t[0] != '{') {
		// YAML: re-encode the already parsed value as JSON.
		b, err := ordered.Marshal(v)
		if err != nil {
			return nil, &ParseError{Msg: err.Error()}
		}
		raw = b
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		return nil, &ParseError{Msg: "hubprofiles document: " + err.Error()}
	}
	if doc.SchemaVersion != model.SchemaVersion {
		return nil, &ParseError{Msg: fmt.Sprintf("hubprofiles document has schema_version %d; this version of hubprofiles reads %d", doc.SchemaVersion, model.SchemaVersion)}
	}
	return &doc.Catalog, nil
}
