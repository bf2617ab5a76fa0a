package ui

import (
	"strings"
	"testing"
)

// TestMergeRemovedAndChanged: a choice one side removed and the other
// changed is kept, with a note; one removed and untouched goes.
func TestMergeRemovedAndChanged(t *testing.T) {
	base := profileForm{Options: []optionForm{{Key: "image", Choices: []choiceForm{{Key: "a"}, {Key: "b"}, {Key: "c"}}}}}
	theirs := profileForm{Options: []optionForm{{Key: "image", Choices: []choiceForm{{Key: "a", DisplayName: "A2"}, {Key: "c"}}}}}
	yours := profileForm{Options: []optionForm{{Key: "image", Choices: []choiceForm{{Key: "b"}, {Key: "c", Description: "mine"}}}}}
	m := mergeProfileForms(&base, &theirs, &yours)
	var keys []string
	for _, ch := range yours.Options[0].Choices {
		keys = append(keys, ch.Key)
	}
	// b: removed by them, untouched by you → gone; a: removed by you,
	// changed by them → back; c: yours.
	if strings.Join(keys, ",") != "a,c" {
		t.Errorf("choices %v, want a,c", keys)
	}
	if len(m.Notes) != 1 || !strings.Contains(m.Notes[0], "“a”") {
		t.Errorf("notes %q, want one about a", m.Notes)
	}
	if yours.Options[0].Choices[1].Description != "mine" || yours.Options[0].Choices[0].DisplayName != "A2" {
		t.Errorf("merged choices %+v", yours.Options[0].Choices)
	}
}
