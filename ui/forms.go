package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
)

// formError turns a refused write into messages next to the form's fields:
// a finding at {prefix}N/{name} goes to fields[name]. What has no field
// comes back as one form-level message (also for a stale form).
func (h *Handler) formError(err error, prefix string, errs map[string]string, fields map[string]string) string {
	return h.formErrorFunc(err, errs, func(path string) (string, bool) {
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok {
			return "", false
		}
		_, name, _ := strings.Cut(rest, "/")
		f, ok := fields[name]
		return f, ok
	})
}

// formErrorFunc is formError with a path mapping of the caller's.
func (h *Handler) formErrorFunc(err error, errs map[string]string, field func(path string) (string, bool)) string {
	var (
		ve *edit.ValidationError
		se *edit.StaleError
	)
	switch {
	case errors.As(err, &se):
		return "Someone else changed the catalog while you were editing (revision " + itoa(se.Base) + " → " + itoa(se.Head) +
			"). Nothing was saved. What changed is listed below; your input is kept — check it against their change and save again."
	case errors.As(err, &ve):
		var rest []string
		for _, f := range ve.Findings {
			if f.Severity != model.Error {
				continue
			}
			if name, ok := field(f.Path); ok {
				if errs[name] == "" {
					errs[name] = f.Message
				} else {
					errs[name] += "; " + f.Message
				}
				continue
			}
			rest = append(rest, f.Path+": "+f.Message)
		}
		if len(rest) > 0 {
			return "Nothing was saved: " + strings.Join(rest, "; ")
		}
		return ""
	case errors.Is(err, model.ErrExists), errors.Is(err, model.ErrNotFound):
		return err.Error()
	}
	return ""
}

func staleOf(err error) *edit.StaleError {
	var se *edit.StaleError
	if errors.As(err, &se) {
		return se
	}
	return nil
}

// statusOf is the status a form answered with an error gets.
func statusOf(err error) int {
	var se *edit.StaleError
	switch {
	case errors.As(err, &se):
		return http.StatusConflict
	case errors.Is(err, model.ErrExists):
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
