package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
)

// The settings the model does not type, copied or removed without writing
// them: at a profile, a choice or a free-text field (the place is the
// URL), a kubespawner_override setting is copied from another place — whole,
// or some named items of a list — or removed, whole or one item; a key kept
// verbatim (extra) is removed. Editors may copy settings they could not
// write by hand: the boundary accepts a copy of a value the list already
// holds at a place no fewer people can pick (docs/security.md).

// placeOf is the place a settings URL names: a choice, a free-text field
// (".../unlisted_choice/...": an option key without a choice) or a profile.
func placeOf(c echo.Context) model.Place {
	return model.Place{Profile: param(c, "slug"), Option: param(c, "key"), Choice: param(c, "choice")}
}

// placeView is what a settings write answers with: the object at the place.
func placeView(pl model.Place) func(*edit.Result) any {
	switch {
	case pl.Option == "":
		return profileView(pl.Profile)
	case pl.Choice == "":
		return optionView(pl.Profile, pl.Option)
	}
	return choiceView(pl.Profile, pl.Option, pl.Choice)
}

// settingCopy is the body of a copy: where from, and which items.
type settingCopy struct {
	From *struct {
		Profile string `json:"profile"`
		Option  string `json:"option"`
		Choice  string `json:"choice"`
	} `json:"from"`
	Items []string `json:"items"`
}

func (h *Handler) copySetting(c echo.Context) error {
	to, setting := placeOf(c), param(c, "setting")
	var body settingCopy
	if err := decode(c, &body); err != nil {
		return err
	}
	if body.From == nil || body.From.Profile == "" {
		return missing("/from/profile", "name the profile (and the option and choice) to copy the setting from")
	}
	if body.Items != nil && len(body.Items) == 0 {
		return missing("/items", "items names the items to copy; leave it out to copy the whole setting")
	}
	from := model.Place{Profile: body.From.Profile, Option: body.From.Option, Choice: body.From.Choice}
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("%s: copy kubespawner_override.%s from %s", to, setting, from),
		Apply: func(cat *model.Catalog) error {
			return notCopyable(cat.CopySetting(to, setting, from, body.Items))
		},
		View: placeView(to),
	})
}

func (h *Handler) removeSetting(c echo.Context) error {
	at, setting, item := placeOf(c), param(c, "setting"), c.QueryParam("item")
	what := "kubespawner_override." + setting
	if item != "" {
		what = fmt.Sprintf("item %q of %s", item, what)
	}
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("%s: remove %s", at, what),
		Apply: func(cat *model.Catalog) error {
			return notCopyable(cat.RemoveSetting(at, setting, item))
		},
		View: placeView(at),
	})
}

func (h *Handler) removeExtra(c echo.Context) error {
	at, key := placeOf(c), param(c, "name")
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("%s: remove %s", at, key),
		Apply:   func(cat *model.Catalog) error { return cat.RemoveExtra(at, key) },
		View:    placeView(at),
	})
}

// notCopyable turns the model's refusal into a 422.
func notCopyable(err error) error {
	if errors.Is(err, model.ErrNotCopyable) {
		return apiError(http.StatusUnprocessableEntity, "invalid", "%s; nothing was saved", err.Error())
	}
	return err
}
