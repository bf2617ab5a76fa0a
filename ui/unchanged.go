package ui

import (
	"fmt"

	"github.com/jupyterhub/hubprofiles/edit"
)

// nothingChanged is the flash of a write that left the catalog as it was
// (no revision was written), or "" for one that changed something.
func nothingChanged(res *edit.Result) string {
	if res == nil || !res.Unchanged {
		return ""
	}
	return fmt.Sprintf("Nothing changed: the catalog is already like that, so no revision was written (the head is still revision %d).", res.Revision.ID)
}
