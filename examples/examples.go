// Package examples holds the example profile list that `hubprofiles serve
// --dev` starts with, so a newcomer's first page has something in it.
package examples

import _ "embed"

// ProfileList is examples/profile-list.yaml.
//
//go:embed profile-list.yaml
var ProfileList []byte
