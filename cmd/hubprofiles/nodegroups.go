package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/jupyterhub/hubprofiles/infra"
)

// runNodeGroups is `hubprofiles nodegroups draft FILE...`: the first step
// of giving a hub being migrated node groups (docs/migrate.md).
func runNodeGroups(_ context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("nodegroups", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: hubprofiles nodegroups draft FILE...")
		fmt.Fprintln(e.stderr, "\nPrints, as YAML for the infrastructure config, a nodeGroups section drafted from the")
		fmt.Fprintln(e.stderr, "node selectors and tolerations that FILE (profile lists, z2jh values files or hubprofiles")
		fmt.Fprintln(e.stderr, "documents; - reads standard input) use, with comments saying where each came from.")
		fmt.Fprintln(e.stderr, "Review it, fill in allocatable, and add it to the config; then import the lists again.")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args, e.getenv)
	if err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] != "draft" {
		fs.Usage()
		return &exitError{code: 2, msg: "nodegroups needs a subcommand: draft FILE..."}
	}
	files := pos[1:]
	if len(files) == 0 {
		fs.Usage()
		return &exitError{code: 2, msg: "nodegroups draft needs at least one file"}
	}
	sources := make([]infra.DraftSource, 0, len(files))
	for _, f := range files {
		list, src, err := loadList(f)
		if err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("%s: %v", f, err)}
		}
		items, ok := list.([]any)
		if !ok {
			return &exitError{code: 2, msg: fmt.Sprintf("%s: the profile list is not an array", f)}
		}
		sources = append(sources, infra.DraftSource{Name: f, List: items, ListPath: src.ListPath})
	}
	out, err := infra.DraftNodeGroups(sources)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(out)
	return err
}
