// Package imagecheck holds the tests of the repository's Dockerfile, which
// cannot be built here (there is no container engine): the build stage's
// `go build` command, taken from the Dockerfile and run as written in a
// build context filtered by .dockerignore, must give a statically linked
// binary that runs, and the final stage must be the static, non-root image
// the chart's parent values expect. IMAGECHECK_SRC builds another source tree
// (e.g. an export of a commit) instead of the working tree. The package has
// tests only.
package imagecheck
