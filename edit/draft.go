package edit

import (
	"context"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// Drafts with errors. A real list can be broken (a choice setting a
// read-only spawner property, a free-text block written one level too deep);
// migrating such a hub must not lose it. Import therefore keeps it as a
// draft revision whose errors are listed, Publish refuses it, and later
// changes are accepted as long as they add no error of their own, so the
// draft can be fixed one step at a time.

// tolerate decides whether a change whose catalog c has errors (err, from
// check) may still be written as a draft, and if so renders it. It may when
// the change is an import kept as a draft (KeepErrors, not publishing), or
// when every error was already in the head.
func (e *Editor) tolerate(ctx context.Context, c *model.Catalog, head *State, ch Change, err error) ([]any, []model.Finding, error) {
	findings, invalid := model.FindingsOf(err)
	if !invalid || ch.Publish {
		return nil, nil, err
	}
	if !ch.KeepErrors && !onlyOldErrors(findings, e.Validate(ctx, head.Catalog)) {
		return nil, nil, err
	}
	list, rerr := profilelist.Render(c)
	if rerr != nil {
		return nil, nil, err
	}
	return list, findings, nil
}

// onlyOldErrors reports whether every error of now is also one of before
// (same place, same message).
func onlyOldErrors(now, before []model.Finding) bool {
	old := map[model.Finding]bool{}
	for _, f := range before {
		if f.Severity == model.Error {
			old[f] = true
		}
	}
	for _, f := range now {
		if f.Severity == model.Error && !old[f] {
			return false
		}
	}
	return true
}

// splitErrors separates a revision's errors from its warnings.
func splitErrors(fs []model.Finding) (errs, warnings []model.Finding) {
	for _, f := range fs {
		if f.Severity == model.Error {
			errs = append(errs, f)
		} else {
			warnings = append(warnings, f)
		}
	}
	return errs, warnings
}
