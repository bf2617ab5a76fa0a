{{/*
The name of every object: "hubprofiles" unless fullnameOverride is set. It is
deliberately not prefixed with the release name: the parent's
hub.extraContainers and hub.services name these objects literally.
*/}}
{{- define "hubprofiles.fullname" -}}
{{- .Values.fullnameOverride | default "hubprofiles" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The ConfigMap with the hub-side Python module. */}}
{{- define "hubprofiles.hubModuleName" -}}
{{- printf "%s-hub" (include "hubprofiles.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The Secret the sidecar reads: the chart's own or existingSecret. */}}
{{- define "hubprofiles.secretName" -}}
{{- .Values.existingSecret | default (include "hubprofiles.fullname" .) -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "hubprofiles.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: jupyterhub
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
z2jh's hub pod: hubPodSelector, or z2jh's default match labels. As a
sub-chart, .Release.Name is the parent's release, which is also z2jh's.
*/}}
{{- define "hubprofiles.hubPodSelector" -}}
{{- if .Values.hubPodSelector -}}
{{ toYaml .Values.hubPodSelector }}
{{- else -}}
app: jupyterhub
component: hub
release: {{ .Release.Name | quote }}
{{- end -}}
{{- end -}}

{{/* z2jh's proxy pod: networkPolicy.proxyPodSelector, or z2jh's defaults. */}}
{{- define "hubprofiles.proxyPodSelector" -}}
{{- if .Values.networkPolicy.proxyPodSelector -}}
{{ toYaml .Values.networkPolicy.proxyPodSelector }}
{{- else -}}
app: jupyterhub
component: proxy
release: {{ .Release.Name | quote }}
{{- end -}}
{{- end -}}

{{/*
The session key: the value given, else the one already in the cluster's
Secret (so `helm upgrade` keeps it), else a new random one. lookup returns
nothing under `helm template` and `--dry-run`, so those print a new key.
*/}}
{{- define "hubprofiles.sessionKey" -}}
{{- if .Values.sessionKey -}}
{{- .Values.sessionKey -}}
{{- else -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "hubprofiles.fullname" .) | default dict -}}
{{- $old := dig "data" "session-key" "" $secret -}}
{{- if $old -}}
{{- $old | b64dec -}}
{{- else -}}
{{- randAlphaNum 64 | sha256sum -}}
{{- end -}}
{{- end -}}
{{- end -}}
