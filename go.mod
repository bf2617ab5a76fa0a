module github.com/jupyterhub/hubprofiles

go 1.26

require (
	github.com/mozillazg/go-unidecode v0.2.0
	golang.org/x/text v0.41.0
)

require go.yaml.in/yaml/v3 v3.0.6
