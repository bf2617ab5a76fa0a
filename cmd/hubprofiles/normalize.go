package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

func runNormalize(_ context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("normalize", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	to := &choiceFlag{value: "json", allowed: []string{"json", "yaml", "values", "document"}}
	fs.Var(to, "to", "output: json or yaml (the profile list), values (a z2jh values fragment), document (hubprofiles' own)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: hubprofiles normalize FILE [--to json|yaml|values|document]")
		fmt.Fprintln(e.stderr, "\nImports FILE (a profile list, z2jh values file or hubprofiles document) and renders it again:")
		fmt.Fprintln(e.stderr, "explicit slugs, choices always present, the order kept. A list with errors is refused.")
		fs.PrintDefaults()
	}
	files, err := parseFlags(fs, args, e.getenv)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return &exitError{code: 2, msg: "normalize takes exactly one file"}
	}
	list, src, err := loadList(files[0])
	if err != nil {
		return &exitError{code: 2, msg: fmt.Sprintf("%s: %v", files[0], err)}
	}
	findings := profilelist.Validate(list, profilelist.Options{})
	if model.HasErrors(findings) {
		for _, f := range findings {
			if f.Severity == model.Error {
				fmt.Fprintf(e.stderr, "%s: %s%s\n", files[0], src.ListPath, f)
			}
		}
		return &exitError{code: 1, msg: "the list has errors; fix them first (hubprofiles validate lists the warnings too)"}
	}
	catalog := src.Document
	if catalog == nil {
		if catalog, err = profilelist.Import(list, profilelist.ImportOptions{}); err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("%s: %v", files[0], err)}
		}
	}
	out, err := profilelist.Exporters[to.value].Write(catalog)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(out)
	return err
}
