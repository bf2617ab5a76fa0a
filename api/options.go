package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// Option- and choice-level writes: one option or one choice changes, the
// rest of the profile is left as it is in the head, so two editors working
// on different choices do not need each other's revision.

// option finds profile slug's option key in cat.
func option(cat *model.Catalog, slug, key string) (*model.Option, error) {
	p, err := cat.Profile(slug)
	if err != nil {
		return nil, err
	}
	return p.Option(key)
}

func optionView(slug, key string) func(*edit.Result) any {
	return func(res *edit.Result) any {
		if o, err := option(res.Catalog, slug, key); err == nil {
			return o
		}
		return nil
	}
}

func choiceView(slug, key, choice string) func(*edit.Result) any {
	return func(res *edit.Result) any {
		if o, err := option(res.Catalog, slug, key); err == nil {
			if ch, err := o.Choice(choice); err == nil {
				return ch
			}
		}
		return nil
	}
}

func (h *Handler) getOption(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	o, err := option(st.Catalog, param(c, "slug"), param(c, "key"))
	if err != nil {
		return err
	}
	setETag(c, st.BaseID())
	return c.JSON(http.StatusOK, o)
}

func (h *Handler) getChoice(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	o, err := option(st.Catalog, param(c, "slug"), param(c, "key"))
	if err != nil {
		return err
	}
	ch, err := o.Choice(param(c, "choice"))
	if err != nil {
		return err
	}
	setETag(c, st.BaseID())
	return c.JSON(http.StatusOK, ch)
}

func (h *Handler) createOption(c echo.Context) error {
	slug := param(c, "slug")
	var o model.Option
	if err := decode(c, &o); err != nil {
		return err
	}
	if o.Key == "" {
		return missing("/key", "an option needs a key")
	}
	return h.write(c, writeOp{
		Status:  http.StatusCreated,
		Message: fmt.Sprintf("profile %s: add option %s", slug, o.Key),
		Apply: func(cat *model.Catalog) error {
			p, err := cat.Profile(slug)
			if err != nil {
				return err
			}
			return p.AddOption(o)
		},
		View: func(res *edit.Result) any {
			c.Response().Header().Set("Location", c.Request().URL.Path+"/"+url.PathEscape(o.Key))
			return optionView(slug, o.Key)(res)
		},
	})
}

func (h *Handler) patchOption(c echo.Context) error {
	slug, key := param(c, "slug"), param(c, "key")
	patch, err := decodePatch(c)
	if err != nil {
		return err
	}
	newKey := key
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("profile %s: edit option %s", slug, key),
		Apply: func(cat *model.Catalog) error {
			p, err := cat.Profile(slug)
			if err != nil {
				return err
			}
			o, err := p.Option(key)
			if err != nil {
				return err
			}
			var next model.Option
			if err := applyPatch(o, patch, &next); err != nil {
				return err
			}
			newKey = next.Key
			return p.ReplaceOption(key, next)
		},
		View: func(res *edit.Result) any { return optionView(slug, newKey)(res) },
	})
}

func (h *Handler) deleteOption(c echo.Context) error {
	slug, key := param(c, "slug"), param(c, "key")
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("profile %s: remove option %s", slug, key),
		Apply: func(cat *model.Catalog) error {
			p, err := cat.Profile(slug)
			if err != nil {
				return err
			}
			return p.RemoveOption(key)
		},
	})
}

func (h *Handler) moveOption(c echo.Context) error {
	slug, key := param(c, "slug"), param(c, "key")
	to, err := position(c)
	if err != nil {
		return err
	}
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("profile %s: move option %s to position %d", slug, key, to),
		Apply: func(cat *model.Catalog) error {
			p, err := cat.Profile(slug)
			if err != nil {
				return err
			}
			return p.MoveOption(key, to)
		},
	})
}

func (h *Handler) duplicateOption(c echo.Context) error {
	slug, key := param(c, "slug"), param(c, "key")
	d, err := decodeDuplicate(c, "key")
	if err != nil {
		return err
	}
	return h.write(c, writeOp{
		Status:  http.StatusCreated,
		Message: fmt.Sprintf("profile %s: duplicate option %s as %s", slug, key, d.Key),
		Apply: func(cat *model.Catalog) error {
			p, err := cat.Profile(slug)
			if err != nil {
				return err
			}
			return p.DuplicateOption(key, d.Key, d.DisplayName)
		},
		View: func(res *edit.Result) any {
			c.Response().Header().Set("Location", siblingPath(c, d.Key))
			return optionView(slug, d.Key)(res)
		},
	})
}

func (h *Handler) createChoice(c echo.Context) error {
	slug, key := param(c, "slug"), param(c, "key")
	var ch model.Choice
	if err := decode(c, &ch); err != nil {
		return err
	}
	if ch.Key == "" {
		return missing("/key", "a choice needs a key")
	}
	return h.write(c, writeOp{
		Status:  http.StatusCreated,
		Message: fmt.Sprintf("profile %s, option %s: add choice %s", slug, key, ch.Key),
		Apply: func(cat *model.Catalog) error {
			o, err := option(cat, slug, key)
			if err != nil {
				return err
			}
			return o.AddChoice(ch)
		},
		View: func(res *edit.Result) any {
			c.Response().Header().Set("Location", c.Request().URL.Path+"/"+url.PathEscape(ch.Key))
			return choiceView(slug, key, ch.Key)(res)
		},
	})
}

func (h *Handler) patchChoice(c echo.Context) error {
	slug, key, choice := param(c, "slug"), param(c, "key"), param(c, "choice")
	patch, err := decodePatch(c)
	if err != nil {
		return err
	}
	newKey := choice
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("profile %s, option %s: edit choice %s", slug, key, choice),
		Apply: func(cat *model.Catalog) error {
			o, err := option(cat, slug, key)
			if err != nil {
				return err
			}
			ch, err := o.Choice(choice)
			if err != nil {
				return err
			}
			var next model.Choice
			if err := applyPatch(ch, patch, &next); err != nil {
				return err
			}
			newKey = next.Key
			return o.ReplaceChoice(choice, next)
		},
		View: func(res *edit.Result) any { return choiceView(slug, key, newKey)(res) },
	})
}

func (h *Handler) deleteChoice(c echo.Context) error {
	slug, key, choice := param(c, "slug"), param(c, "key"), param(c, "choice")
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("profile %s, option %s: remove choice %s", slug, key, choice),
		Apply: func(cat *model.Catalog) error {
			o, err := option(cat, slug, key)
			if err != nil {
				return err
			}
			return o.RemoveChoice(choice)
		},
	})
}

func (h *Handler) moveChoice(c echo.Context) error {
	slug, key, choice := param(c, "slug"), param(c, "key"), param(c, "choice")
	to, err := position(c)
	if err != nil {
		return err
	}
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("profile %s, option %s: move choice %s to position %d", slug, key, choice, to),
		Apply: func(cat *model.Catalog) error {
			o, err := option(cat, slug, key)
			if err != nil {
				return err
			}
			return o.MoveChoice(choice, to)
		},
	})
}

func (h *Handler) duplicateChoice(c echo.Context) error {
	slug, key, choice := param(c, "slug"), param(c, "key"), param(c, "choice")
	d, err := decodeDuplicate(c, "key")
	if err != nil {
		return err
	}
	return h.write(c, writeOp{
		Status:  http.StatusCreated,
		Message: fmt.Sprintf("profile %s, option %s: duplicate choice %s as %s", slug, key, choice, d.Key),
		Apply: func(cat *model.Catalog) error {
			o, err := option(cat, slug, key)
			if err != nil {
				return err
			}
			return o.DuplicateChoice(choice, d.Key, d.DisplayName)
		},
		View: func(res *edit.Result) any {
			c.Response().Header().Set("Location", siblingPath(c, d.Key))
			return choiceView(slug, key, d.Key)(res)
		},
	})
}

func (h *Handler) patchProfile(c echo.Context) error {
	slug := param(c, "slug")
	patch, err := decodePatch(c)
	if err != nil {
		return err
	}
	newSlug := slug
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: "edit profile " + slug,
		Apply: func(cat *model.Catalog) error {
			p, err := cat.Profile(slug)
			if err != nil {
				return err
			}
			var next model.Profile
			if err := applyPatch(p, patch, &next); err != nil {
				return err
			}
			newSlug = next.Slug
			return cat.ReplaceProfile(slug, next)
		},
		View: func(res *edit.Result) any { return profileView(newSlug)(res) },
	})
}

func (h *Handler) duplicateProfile(c echo.Context) error {
	slug := param(c, "slug")
	d, err := decodeDuplicate(c, "slug")
	if err != nil {
		return err
	}
	return h.write(c, writeOp{
		Status:  http.StatusCreated,
		Message: fmt.Sprintf("duplicate profile %s as %s", slug, d.Key),
		Apply:   func(cat *model.Catalog) error { return cat.DuplicateProfile(slug, d.Key, d.DisplayName) },
		View: func(res *edit.Result) any {
			c.Response().Header().Set("Location", siblingPath(c, d.Key))
			return profileView(d.Key)(res)
		},
	})
}

// duplicate is the body of a duplicate request: the new slug or key, and
// optionally a new display name.
type duplicate struct {
	Key         string
	DisplayName string
}

func decodeDuplicate(c echo.Context, keyName string) (duplicate, error) {
	var body map[string]string
	if err := decode(c, &body); err != nil {
		return duplicate{}, err
	}
	d := duplicate{Key: body[keyName], DisplayName: body["display_name"]}
	for k := range body {
		if k != keyName && k != "display_name" {
			return d, apiError(http.StatusBadRequest, "bad_request", "unknown field %q: send {\"%s\": ..., \"display_name\": ...}", k, keyName)
		}
	}
	if d.Key == "" {
		return d, missing("/"+keyName, "the copy needs a new "+keyName)
	}
	return d, nil
}

// siblingPath is the URL of a copy: .../{old}/duplicate -> .../{new}.
func siblingPath(c echo.Context, key string) string {
	u, _ := url.Parse(c.Request().URL.Path)
	return u.JoinPath("..", "..", key).EscapedPath()
}

func position(c echo.Context) (int, error) {
	var body struct {
		Position *int `json:"position"`
	}
	if err := decode(c, &body); err != nil {
		return 0, err
	}
	if body.Position == nil {
		return 0, apiError(http.StatusBadRequest, "bad_request", "send {\"position\": N}, N counting from 0")
	}
	return *body.Position, nil
}

func missing(path, msg string) error {
	return &model.Problem{Code: model.CodeInvalid, Message: msg, Findings: []model.Finding{{Path: path, Message: msg, Severity: model.Error}}}
}

// decodePatch reads a JSON merge patch (RFC 7396): an object whose keys
// replace the resource's, null removing one, objects merging key by key.
func decodePatch(c echo.Context) (*ordered.Map, error) {
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, apiError(http.StatusBadRequest, "bad_request", "the request needs a JSON body")
	}
	v, err := ordered.DecodeJSON(data, 64)
	if err != nil {
		return nil, apiError(http.StatusBadRequest, "bad_request", "malformed JSON: %v", err)
	}
	m, ok := v.(*ordered.Map)
	if !ok {
		return nil, apiError(http.StatusBadRequest, "bad_request", "a merge patch is a JSON object, not %s", ordered.TypeName(v))
	}
	return m, nil
}

// applyPatch merges patch into cur's JSON form and decodes the result into
// next as strictly as a full write: unknown fields are refused.
func applyPatch(cur any, patch *ordered.Map, next any) error {
	data, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	doc, err := ordered.DecodeJSON(data, 10000)
	if err != nil {
		return err
	}
	merged, err := ordered.Marshal(mergePatch(doc, patch))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	if err := dec.Decode(next); err != nil {
		e := apiError(http.StatusBadRequest, "bad_request", "the patched document is not valid: %v", err)
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			typeErr.Field = strings.ReplaceAll(typeErr.Field, "Settings.", "") // an embedded struct, not a JSON level
			e.Message = fmt.Sprintf("%s must be %s, not %s", jsonField(typeErr.Field), typeName(typeErr.Type), typeErr.Value)
			e.Findings = []model.Finding{{Path: "/" + strings.ReplaceAll(typeErr.Field, ".", "/"), Message: e.Message}}
		}
		return e
	}
	return nil
}

func mergePatch(target, patch any) any {
	pm, ok := patch.(*ordered.Map)
	if !ok {
		return ordered.Clone(patch)
	}
	tm, ok := target.(*ordered.Map)
	if ok {
		tm = tm.Clone()
	} else {
		tm = ordered.NewMap()
	}
	for _, k := range pm.Keys() {
		v, _ := pm.Get(k)
		if v == nil {
			tm.Delete(k)
			continue
		}
		tv, _ := tm.Get(k)
		tm.Set(k, mergePatch(tv, v))
	}
	return tm
}
