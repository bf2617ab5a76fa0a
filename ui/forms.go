package ui

import (
	"strconv"
	"strings"

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
	findings, invalid := model.FindingsOf(err)
	se := staleOf(err)
	switch {
	case se != nil:
		return "Someone else changed the catalog while you were editing (revision " + itoa(se.Base) + " → " + itoa(se.Head) +
			"). Nothing was saved. What changed is listed below; your input is kept — check it against their change and save again."
	case invalid:
		var rest []string
		for _, f := range findings {
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
	case model.CodeOf(err) == model.CodeExists, model.CodeOf(err) == model.CodeNotFound:
		return err.Error()
	}
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
