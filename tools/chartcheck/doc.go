// Package chartcheck holds the tests of the Helm chart in ../../chart: helm
// lint and helm template over every ci/*-values.yaml scenario, each rendered
// object decoded strictly into its Kubernetes API type and checked against
// the built-in schema, assertions on what the objects say, the values schema
// refusing typos, and the parent values (chart/parent-values.yaml) checked
// against the rendered chart, the hubprofiles command line and the hub-side
// Python module.
//
// The umbrella tests (umbrella_test.go) install the chart as chart/README.md
// says: a parent chart depending on the real zero-to-jupyterhub 4.4.0 chart
// (../shared/upstream beside the repository, or CHARTCHECK_Z2JH; the tests
// fail without it) and on this chart, with parent-values.yaml under
// jupyterhub:, and check the hub Deployment and hub Secret z2jh renders, with
// hubprofiles.enabled true and false.
//
// Helm is built from its Go module (the tool in ../go.mod), not installed:
// the first build takes minutes, later ones come from Go's build cache.
// hubprofiles is built from the repository (CGO_ENABLED=0 -trimpath, as in
// the Dockerfile). CHARTCHECK_CHART checks another copy of the chart and
// CHARTCHECK_HUBPROFILES uses a hubprofiles binary built elsewhere; neither
// is needed normally. The package has tests only.
package chartcheck
